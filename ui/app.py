"""The Gradio demo: chat with images over the agent loop, one workspace and memory per browser session.

Layout: the chat (images inline, each tool step a collapsible message written while the model streams),
a text box, an image upload button and a new-session button; beside it a collapsible trace table of
every step and a panel listing the tools that are loaded and those that are not, with the reason.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gradio as gr

from agent.loop import Agent, ChatSession, Reply, StepTaken, TextChunk, TraceStep
from tools.catalog import TOOL_SPECS
from tools.errors import ToolError
from tools.workspace import DEFAULT_MAX_PIXELS, Workspace

logger = logging.getLogger(__name__)

TRACE_HEADERS = ["turn", "step", "thought", "action", "action input", "observation", "ok", "llm s", "tool s"]
STREAM_INTERVAL = 0.1  # seconds between chat updates while the model streams
MODEL_QUEUE = "model"  # chat and upload share the model and tools: one event at a time, the rest queue


@dataclass
class BrowserSession:
    """Everything one browser tab owns: the agent's session, the messages shown and the trace."""

    chat: ChatSession
    messages: list[dict[str, Any]] = field(default_factory=list)
    trace: list[list[Any]] = field(default_factory=list)


class SessionFactory:
    """Creates sessions with a fresh workspace directory each, and removes it when the session ends."""

    def __init__(self, root: str | Path | None = None, max_pixels: int = DEFAULT_MAX_PIXELS) -> None:
        # gradio serves files from the system temp directory, so workspaces live there by default
        self.root = Path(root) if root else Path(tempfile.mkdtemp(prefix="gpt4tools-sessions-"))
        self.max_pixels = max_pixels

    def new(self) -> BrowserSession:
        workspace = Workspace(self.root / uuid.uuid4().hex, max_pixels=self.max_pixels)
        return BrowserSession(ChatSession(workspace))

    @staticmethod
    def close(session: BrowserSession | None) -> None:
        if session is not None:
            shutil.rmtree(session.chat.workspace.root, ignore_errors=True)


def tools_markdown(runtime: Any) -> str:
    """The tools panel: what the model can call now, and what is missing with the reason."""
    available = runtime.available
    lines = [f"**Loaded ({len(available)})**", ""]
    lines += [f"- {spec.name}" for spec in available] or ["- none"]
    missing = [spec for spec in TOOL_SPECS if spec.name not in available]
    if missing:
        lines += ["", f"**Unavailable ({len(missing)})**", ""]
        for spec in missing:
            reasons = [
                f"{family}: {runtime.unavailable[family]}" for family in spec.families if family in runtime.unavailable
            ]
            reason = "; ".join(reasons) or f"{', '.join(spec.families)} not in --load"
            lines.append(f"- {spec.name} — {reason}")
    return "\n".join(lines)


def _step_message(step: TraceStep) -> dict[str, Any]:
    """A finished step as a collapsed 'thought' message in the chat."""
    if step.action:
        title = f"Step {step.index}: {step.action}" + ("" if step.ok else " (failed)")
        body = (
            f"**Thought:** {step.thought}\n\n**Action:** {step.action}\n\n**Action Input:** {step.action_input}"
            f"\n\n**Observation:** {step.observation}"
        )
    else:
        title, body = f"Step {step.index}: reply did not follow the format", step.observation
    return {
        "role": "assistant",
        "content": body,
        "metadata": {"title": title, "status": "done", "duration": round(step.llm_seconds + step.tool_seconds, 2)},
    }


def _pending_message(step: int) -> dict[str, Any]:
    return {"role": "assistant", "content": "", "metadata": {"title": f"Step {step}: thinking", "status": "pending"}}


def _image_message(path: Path, role: str = "assistant") -> dict[str, Any]:
    return {"role": role, "content": {"path": str(path)}}


class ChatApp:
    """Event handlers of the demo, bound to one agent and one session factory."""

    def __init__(self, agent: Agent, sessions: SessionFactory) -> None:
        self.agent = agent
        self.sessions = sessions

    def _trace_rows(self, session: BrowserSession) -> list[list[Any]]:
        return session.trace or [["", "", "", "", "", "", "", "", ""]]

    def chat(self, text: str, session: BrowserSession | None) -> Iterator[tuple[Any, ...]]:
        """Run one turn, streaming the model's text into the chat; outputs (textbox, chat, trace, state)."""
        session = session or self.sessions.new()
        text = (text or "").strip()
        if not text:
            yield "", session.messages, self._trace_rows(session), session
            return
        messages = session.messages
        messages.append({"role": "user", "content": text})
        pending = _pending_message(1)
        messages.append(pending)
        yield "", messages, self._trace_rows(session), session
        try:
            yield from self._stream_turn(session, text, pending)
        except Exception as error:  # e.g. out of memory in the model: say so instead of spinning forever
            logger.exception("turn failed")
            messages[-1] = {"role": "assistant", "content": f"Sorry, this turn failed: {type(error).__name__}: {error}"}
            yield "", messages, self._trace_rows(session), session

    def _stream_turn(self, session: BrowserSession, text: str, pending: dict[str, Any]) -> Iterator[tuple[Any, ...]]:
        messages = session.messages
        shown = time.monotonic()
        for event in self.agent.run(session.chat, text):
            if isinstance(event, TextChunk):
                pending["content"] += event.text
                if time.monotonic() - shown < STREAM_INTERVAL:
                    continue
            elif isinstance(event, StepTaken):
                messages[-1] = _step_message(event.step)
                session.trace.append(self._row(session, event.step))
                pending = _pending_message(event.step.index + 1)
                messages.append(pending)
            elif isinstance(event, Reply):
                messages[-1] = {"role": "assistant", "content": event.text}
                messages += [_image_message(session.chat.workspace.root / name) for name in event.files]
            shown = time.monotonic()
            yield "", messages, self._trace_rows(session), session

    @staticmethod
    def _row(session: BrowserSession, step: TraceStep) -> list[Any]:
        return [
            session.chat.turns,
            step.index,
            step.thought,
            step.action,
            step.action_input,
            step.observation,
            step.ok,
            round(step.llm_seconds, 2),
            round(step.tool_seconds, 2),
        ]

    def upload(self, file: str | None, session: BrowserSession | None) -> tuple[Any, ...]:
        """Take an uploaded image into the session; outputs (chat, state)."""
        session = session or self.sessions.new()
        if not file:
            return session.messages, session
        label = Path(file).name
        try:
            name, description = self.agent.introduce_image(session.chat, Path(file).read_bytes())
        except (ToolError, OSError) as error:
            session.messages.append({"role": "assistant", "content": f"Could not use {label}: {error}"})
            return session.messages, session
        session.messages.append(_image_message(session.chat.workspace.root / name, role="user"))
        session.messages.append({"role": "assistant", "content": f"Received {name}: {description}"})
        return session.messages, session

    def new_session(self, session: BrowserSession | None) -> tuple[Any, ...]:
        """Forget the conversation and its files; outputs (chat, trace, state, textbox)."""
        self.sessions.close(session)
        fresh = self.sessions.new()
        return [], self._trace_rows(fresh), fresh, ""


def build_app(agent: Agent, sessions: SessionFactory | None = None, title: str = "GPT4Tools") -> gr.Blocks:
    """The demo's Blocks (queued); launch it with ``.launch(server_name=..., server_port=...)``."""
    sessions = sessions or SessionFactory()
    app = ChatApp(agent, sessions)
    with gr.Blocks(title=title) as demo:
        gr.Markdown(
            f"# {title}\nUpload an image, then ask for what you need: edges, a sketch, the pose, "
            "the background removed, faces, the text in it, a crop..."
        )
        state = gr.State(None, delete_callback=sessions.close)
        with gr.Row():
            with gr.Column(scale=3):
                chatbot = gr.Chatbot(label="Chat", height=560, elem_id="chat")
                with gr.Row():
                    textbox = gr.Textbox(
                        show_label=False,
                        placeholder="e.g. Show me the edges of the image",
                        scale=6,
                        elem_id="message",
                    )
                    send = gr.Button("Send", variant="primary", scale=1, elem_id="send")
                with gr.Row():
                    upload = gr.UploadButton("Upload image", elem_id="upload")
                    clear = gr.Button("New session", elem_id="new-session")
            with gr.Column(scale=2):
                with gr.Accordion("Trace of each step", open=False):
                    trace = gr.Dataframe(headers=TRACE_HEADERS, value=[[""] * len(TRACE_HEADERS)], wrap=True)
                with gr.Accordion("Tools", open=True):
                    gr.Markdown(tools_markdown(agent.runtime))
        chat_io = {"fn": app.chat, "inputs": [textbox, state], "outputs": [textbox, chatbot, trace, state]}
        textbox.submit(**chat_io, api_name="chat", concurrency_id=MODEL_QUEUE)
        send.click(**chat_io, api_name=False, concurrency_id=MODEL_QUEUE)
        upload.upload(app.upload, [upload, state], [chatbot, state], api_name="upload", concurrency_id=MODEL_QUEUE)
        clear.click(app.new_session, [state], [chatbot, trace, state, textbox], api_name="new_session")
        chatbot.clear(app.new_session, [state], [chatbot, trace, state, textbox], api_name=False)  # its bin icon
    demo.queue(default_concurrency_limit=1)
    return demo
