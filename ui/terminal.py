"""Terminal chat with the same agent as the Gradio demo (``python gpt4tools.py --mode cli``).

With plan mode available, ``/plan on|off|auto`` says when a message is planned first: always, never (the ReAct
loop answers), or when it asks for several things (:func:`agent.plan_mode.asks_for_several`). A planned message
shows the plan before it runs, each step as it ends, then the answer.
"""

from __future__ import annotations

import shlex
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from agent.executor import StepStatus
from agent.loop import Agent, ChatSession, Reply, StepTaken, TextChunk
from agent.plan_mode import PlanMade, PlanReply, StepUpdate, asks_for_several
from tools.errors import ToolError
from tools.workspace import Workspace

if TYPE_CHECKING:
    from agent.plan_mode import PlanAgent

HELP = (
    "Commands: /image PATH (add an image), /new (new session), /quit. Anything else is a message.\n"
    "Try: /image photo.jpg   then   Show me the edges of the image"
)
PLAN_HELP = "/plan on|off|auto: plan first always, never, or when a message asks for several things (now: {mode})"
PLAN_MODES = ("on", "off", "auto")


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
) -> None:
    """Read messages and commands from ``stdin`` until ``/quit`` or end of input, streaming the model's text."""

    def say(text: str = "") -> None:
        stdout.write(text + "\n")
        stdout.flush()

    def fresh() -> ChatSession:
        return ChatSession(Workspace(Path(workspace_root) / uuid.uuid4().hex[:8]))

    session = fresh()
    say(HELP)
    if plan_agent is not None:
        say(PLAN_HELP.format(mode=plan))
    say(f"Files are kept in {session.workspace.root}")
    while True:
        stdout.write("\nHuman: ")
        stdout.flush()
        line = stdin.readline()
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
                name, description = agent.introduce_image(session, Path(path).expanduser())
            except ToolError as error:
                say(f"Could not use {path!r}: {error}")
                continue
            say(f"Received {name}. {description}")
        else:
            events: Iterator[Any]
            if plan_agent is not None and plan_first(plan, line):
                events = plan_agent.run(session, line)
            else:
                events = agent.run(session, line)
            for event in events:
                show(event, session, stdout, say)


def show(event: Any, session: ChatSession, stdout: TextIO, say: Any) -> None:
    """Print one event of a turn (the ReAct loop's or plan mode's)."""
    if isinstance(event, TextChunk):
        stdout.write(event.text)
        stdout.flush()
    elif isinstance(event, StepTaken):
        say(f" {event.step.observation}")
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
        if not event.finished:  # the agent's own message: nothing was streamed
            say(f"\nAI: {event.text}")
        else:  # the answer was streamed; add what the agent appended to it
            say(f"\n{event.note}" if event.note else "")
        for name in event.files:
            say(f"Image: {session.workspace.root / name}")
