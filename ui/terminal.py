"""Terminal chat with the same agent as the Gradio demo (``python gpt4tools.py --mode cli``, or ``--cli``).

With plan mode available, ``/plan on|off|auto`` says when a message is planned first: always, never (the ReAct
loop answers), or when it asks for several things (:func:`agent.request_parts.asks_for_several`). A planned message
shows the plan before it runs, each step as it ends, then the answer.

With piped input (not a terminal), each input line is echoed after its prompt, so the output reads as a
transcript. Ctrl-C during a turn stops that turn; at the prompt it ends the chat.
"""

from __future__ import annotations

import shlex
import signal
import sys
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from agent.executor import StepStatus
from agent.loop import UPLOAD_HINT, Agent, ChatSession, Reply, StepTaken, TextChunk
from agent.plan_mode import PlanMade, PlanReply, StepUpdate
from agent.request_parts import asks_for_several
from protocol.steps import ACTION, ACTION_INPUT, AI, OBSERVATION
from tools.errors import ToolError
from tools.workspace import Workspace
from ui.panels import received_text

if TYPE_CHECKING:
    from agent.plan_mode import PlanAgent

HELP = (
    "Commands: /image PATH (add an image), /new (new session), /quit. Anything else is a message.\n"
    "Try: /image photo.jpg   then   Show me the edges of the image"
)
PLAN_HELP = "/plan on|off|auto: plan first always, never, or when a message asks for several things (now: {mode})"
PLAN_MODES = ("on", "off", "auto")
TERMINAL_UPLOAD_HINT = "/image PATH"


def plan_first(mode: str, message: str) -> bool:
    """Whether ``message`` is planned first under the switch ``mode`` (``on``, ``off`` or ``auto``)."""
    return mode == "on" or (mode == "auto" and asks_for_several(message))


def chat_in_terminal(  # noqa: PLR0917 (streams for tests, plan mode optional)
    agent: Agent,
    workspace_root: str | Path,
    stdin: TextIO = sys.stdin,
    stdout: TextIO = sys.stdout,
    plan_agent: PlanAgent | None = None,
    plan: str = "off",
    echo: bool | None = None,
) -> None:
    """Read messages and commands from ``stdin`` until ``/quit`` or end of input, streaming the model's text.

    ``echo`` (default: when ``stdin`` is not a terminal) writes each input line after its prompt.
    """
    echo = not stdin.isatty() if echo is None else echo

    def say(text: str = "") -> None:
        stdout.write(text + "\n")
        stdout.flush()

    def fresh() -> ChatSession:
        return ChatSession(Workspace(Path(workspace_root) / uuid.uuid4().hex[:8]))

    session = fresh()
    say(HELP)
    if plan_agent is not None:
        say(PLAN_HELP.format(mode=plan))
    say(f"Files are kept in {session.workspace.root} until the chat ends")
    while True:
        stdout.write("\nHuman: ")
        stdout.flush()
        line = stdin.readline()
        if echo and line:
            say(line.rstrip("\n"))
        if not line or line.strip() == "/quit":
            break
        line = line.strip()
        if not line:
            continue
        if line == "/new":
            session = fresh()
            say(f"New session: the conversation is forgotten; files now go to {session.workspace.root}")
        elif line.startswith("/plan"):
            choice = line.removeprefix("/plan").strip()
            if plan_agent is None:
                say("Plan mode is not available here (no tools loaded)")
                continue
            plan = choice if choice in PLAN_MODES else plan
            say(PLAN_HELP.format(mode=plan))
        elif line.startswith("/image"):
            path = " ".join(shlex.split(line)[1:])
            if not path:
                say("Usage: /image PATH (a PNG or JPEG file on this machine)")
                continue
            try:
                received = agent.introduce_image(session, Path(path).expanduser())
            except ToolError as error:
                say(f"Could not use {path!r}: {error}")
                continue
            say(received_text(received))
        else:
            _answer(
                agent,
                session,
                line,
                say,
                stdout,
                plan_agent=plan_agent if plan_agent and plan_first(plan, line) else None,
            )


def _answer(
    agent: Agent,
    session: ChatSession,
    line: str,
    say: Callable[..., None],
    stdout: TextIO,
    *,
    plan_agent: PlanAgent | None = None,
) -> None:
    """Run one turn (planned first when ``plan_agent`` is given), streaming it; Ctrl-C stops it at the next
    token or step (the agent says so) or, in plan mode, cancels the plan's steps."""
    cancel = threading.Event()
    in_main = threading.current_thread() is threading.main_thread()  # only the main thread may set handlers
    previous = signal.signal(signal.SIGINT, lambda _signum, _frame: cancel.set()) if in_main else None
    events: Iterator[Any] = plan_agent.run(session, line) if plan_agent else agent.run(session, line, cancel)
    streamed: list[str] = []
    try:
        for event in events:
            show(event, session, stdout, say, streamed)
            if plan_agent and cancel.is_set():
                events.close()  # closing plan mode's turn cancels the plan
                say("\nStopped.")
                break
    finally:
        if in_main:
            signal.signal(signal.SIGINT, previous)


def show(
    event: Any, session: ChatSession, stdout: TextIO, say: Callable[..., None], streamed: list[str] | None = None
) -> None:
    """Print one event of a turn (the ReAct loop's or plan mode's); ``streamed`` collects the turn's text so far."""
    if isinstance(event, TextChunk):
        stdout.write(event.text)
        stdout.flush()
        if streamed is not None:
            streamed.append(event.text)
    elif isinstance(event, StepTaken):
        step = event.step
        ran = f"{step.action}: {step.action_input}"
        # the streamed call is the model's; where the agent ran another (agent/meant_call.py), say which; a call the
        # agent opened after setting an answer aside is the model's input as streamed, set right after it
        model_call = step.model_call if not step.model_call.startswith(AI) else _streamed_call(streamed or ())
        overruled = model_call and model_call != ran
        correction = f" [ran {ran}]" if overruled else ""
        say(f"{correction} {step.observation}")
    elif isinstance(event, PlanMade):
        say(event.text)
    elif isinstance(event, StepUpdate) and event.result.status is not StepStatus.RUNNING:
        result = event.result
        detail = result.outcome.text if result.ok and result.outcome else result.reason
        say(f"  [{result.status.value}] {result.step.task} ({result.seconds:.1f} s): {detail}")
    elif isinstance(event, PlanReply):
        say(f"\nAI: {event.text}")
        for name in event.files:
            say(f"Image: {session.workspace.root / name}")
    elif isinstance(event, Reply):
        so_far = "".join(streamed or ())
        added = None if event.corrected else _added_to_streamed(event.text, so_far)
        if event.finished and not event.corrected and _was_streamed(event.text, so_far):
            say()
        elif added:  # a note after the model's streamed answer: the note alone, not the answer twice
            say(f" {added.replace(UPLOAD_HINT, TERMINAL_UPLOAD_HINT)}")  # the stream ends its sentence, not its line
        else:  # the agent's own message, or its correction of what the model wrote above
            text = event.text.replace(UPLOAD_HINT, TERMINAL_UPLOAD_HINT)
            say(f"\n{'[corrected] ' if event.corrected else ''}AI: {text}")
        for name in event.files:
            say(f"Image: {session.workspace.root / name}")


def _streamed_call(streamed: Iterable[str]) -> str:
    """The last call the turn's ``streamed`` text wrote (``Tool: input``), or ``""`` for none."""
    text = "".join(streamed)
    action, _, rest = text.rpartition(f"\n{ACTION_INPUT}")
    if not _:
        return ""
    tool = action.rpartition(f"{ACTION}")[2].strip()
    written = rest.split("\n", 1)[0].removesuffix(OBSERVATION).strip()
    return f"{tool}: {written}" if tool else ""


def _added_to_streamed(answer: str, streamed: str) -> str | None:
    """What ``answer`` adds after the answer the model streamed ("AI: ..."), when it begins with it: the agent's note
    on a part it could not do had printed the whole answer a second time."""
    if AI not in streamed:
        return None
    said = streamed.rsplit(AI, 1)[1].strip()
    if not said or not answer.startswith(said):
        return None
    return answer[len(said) :].strip() or None


def _was_streamed(answer: str, streamed: str) -> bool:
    """Whether each line of ``answer`` was streamed as it is: the model's words, not the agent's ("blur the phone
    number" on a photo with no writing had ended at "No text found." with the agent's answer unprinted)."""
    return all(line.strip() in streamed for line in answer.splitlines() if line.strip())
