"""Terminal chat with the same agent as the Gradio demo (``python gpt4tools.py --cli``)."""

from __future__ import annotations

import shlex
import sys
import uuid
from pathlib import Path
from typing import TextIO

from agent.loop import Agent, ChatSession, Reply, StepTaken, TextChunk
from tools.errors import ToolError
from tools.workspace import Workspace

HELP = (
    "Commands: /image PATH (add an image), /new (new session), /quit. Anything else is a message.\n"
    "Try: /image photo.jpg   then   Show me the edges of the image"
)


def chat_in_terminal(
    agent: Agent, workspace_root: str | Path, stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout
) -> None:
    """Read messages and commands from ``stdin`` until ``/quit`` or end of input, streaming the model's text."""

    def say(text: str = "") -> None:
        stdout.write(text + "\n")
        stdout.flush()

    def fresh() -> ChatSession:
        return ChatSession(Workspace(Path(workspace_root) / uuid.uuid4().hex[:8]))

    session = fresh()
    say(HELP)
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
            for event in agent.run(session, line):
                if isinstance(event, TextChunk):
                    stdout.write(event.text)
                    stdout.flush()
                elif isinstance(event, StepTaken):
                    say(f" {event.step.observation}")
                elif isinstance(event, Reply):
                    if not event.finished:  # the agent's own message: nothing was streamed
                        say(f"\nAI: {event.text}")
                    else:  # the answer was streamed; add what the agent appended to it
                        say(f"\n{event.note}" if event.note else "")
                    for name in event.files:
                        say(f"Image: {session.workspace.root / name}")
