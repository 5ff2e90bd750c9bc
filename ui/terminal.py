"""Terminal chat with the same agent as the Gradio demo (``python gpt4tools.py --cli``).

With piped input (not a terminal), each input line is echoed after its prompt, so the output reads as a
transcript. Ctrl-C during a turn stops that turn; at the prompt it ends the chat.
"""

from __future__ import annotations

import shlex
import signal
import sys
import threading
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from agent.loop import Agent, ChatSession, Reply, StepTaken, TextChunk
from tools.errors import ToolError
from tools.workspace import Workspace
from ui.panels import received_text

HELP = (
    "Commands: /image PATH (add an image), /new (new session), /quit. Anything else is a message.\n"
    "Try: /image photo.jpg   then   Show me the edges of the image"
)


def chat_in_terminal(
    agent: Agent,
    workspace_root: str | Path,
    stdin: TextIO = sys.stdin,
    stdout: TextIO = sys.stdout,
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
            _answer(agent, session, line, say, stdout)


def _answer(agent: Agent, session: ChatSession, line: str, say: Callable[..., None], stdout: TextIO) -> None:
    """Run one turn, streaming it; Ctrl-C stops it at the next token or step (the agent says so)."""
    cancel = threading.Event()
    in_main = threading.current_thread() is threading.main_thread()  # only the main thread may set handlers
    previous = signal.signal(signal.SIGINT, lambda _signum, _frame: cancel.set()) if in_main else None
    try:
        for event in agent.run(session, line, cancel):
            if isinstance(event, TextChunk):
                stdout.write(event.text)
                stdout.flush()
            elif isinstance(event, StepTaken):
                say(f" {event.step.observation}")
            elif isinstance(event, Reply):
                if event.finished and not event.corrected:  # the answer was streamed as it is
                    say()
                else:  # the agent's own message, or its correction of what the model wrote above
                    say(f"\n{'[corrected] ' if event.corrected else ''}AI: {event.text}")
                for name in event.files:
                    say(f"Image: {session.workspace.root / name}")
    finally:
        if in_main:
            signal.signal(signal.SIGINT, previous)
