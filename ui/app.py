"""The Gradio demo: chat with images over the agent loop, one workspace and memory per browser session.

Layout: the chat (images inline, each tool step a collapsible message written while the model streams);
under it the message box (type, paste or drag images into it), the image "it" refers to, a status line,
Stop, Retry, Upload image and New session; with plan mode, the "Plan first" switch and the last plan's task
graph and steps; example photos with requests to click; a trace table of every step; the tools that work now, and
folded away the others with how to enable them.

A planned message (HuggingGPT style, :mod:`agent.plan_mode`) shows its plan before it runs, each step as it ends,
then the answer with the images the steps made; Stop cancels the plan's steps that have not ended.

A message is shown as soon as it is sent, with its place in the queue (one model serves every tab, one
turn at a time); Send is disabled until its answer is complete; Stop ends the turn between two tokens or
two steps. New session (or the chat's bin icon) stops the running turn and waits for it before the old
folder goes. What the demo guarantees is listed in docs/demo.md.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
import weakref
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any
from unittest import mock

import gradio as gr

from agent.executor import StepResult
from agent.loop import Agent, Reply, StepTaken, TextChunk, TraceStep
from agent.plan_mode import PlanMade, PlanReply, PlanStarted, StepUpdate
from tools.errors import ToolError
from ui.launch import DEFAULT_IDLE_MINUTES, DemoOptionError
from ui.panels import EMPTY_TRACE, TRACE_HEADERS, example_messages, received_text, tools_panel, trace_row
from ui.plan_view import PLAN_HEADERS, plan_rows, plan_svg
from ui.sessions import BrowserSession, PendingMessage, SessionFactory, owned_temp_dir, served_folder
from ui.terminal import PLAN_MODES, plan_first

if TYPE_CHECKING:
    from agent.executor import PlanRun
    from agent.plan_mode import PlanAgent
    from protocol.plan import Plan

logger = logging.getLogger(__name__)

STREAM_INTERVAL = 0.1  # seconds between chat updates while the model streams
MODEL_QUEUE = "model"  # turns and uploads share the model and tools: one event at a time, the rest queue
RESET_WAIT_SECONDS = 30.0  # New session waits this long for a stopped turn (a running tool finishes first)
MAX_MESSAGES = 400  # messages kept per session; older ones leave the screen (the model's memory is trimmed apart)
MAX_TRACE_ROWS = 300
EXAMPLES_PREFIX = "gpt4tools-examples-"
PAGE_CHECK_SECONDS = 300.0  # how long the started app may take to answer its first request (minutes when busy)
SETTLE_SECONDS = 120.0  # a stopped plan's turn waits this long for its dropped tool calls (they write to its folder)
EMPTY_PLAN = [[""] * len(PLAN_HEADERS)]


MODEL_CALL_NOTE = "The model wrote {model_call}; the agent ran the step above instead (docs/demo.md)."


def _step_message(step: TraceStep) -> dict[str, Any]:
    """A finished step as a collapsed 'thought' message in the chat."""
    if step.action:
        title = f"Step {step.index}: {step.action}" + ("" if step.ok else " (failed)")
        body = (
            f"**Thought:** {step.thought}\n\n**Action:** {step.action}\n\n**Action Input:** {step.action_input}"
            f"\n\n**Observation:** {step.observation}"
        )
        if step.model_call:  # as the terminal's "[ran ...]": the step streamed was the model's, this one ran
            body += f"\n\n*{MODEL_CALL_NOTE.format(model_call=step.model_call)}*"
    else:
        title, body = f"Step {step.index}: reply did not follow the format", step.observation
    return {
        "role": "assistant",
        "content": body,
        "metadata": {"title": title, "status": "done", "duration": round(step.llm_seconds + step.tool_seconds, 2)},
    }


def _pending(title: str) -> dict[str, Any]:
    return {"role": "assistant", "content": "", "metadata": {"title": title, "status": "pending"}}


def _pending_message(step: int) -> dict[str, Any]:
    return _pending(f"Step {step}: thinking")


def _step_line(result: StepResult) -> str:
    """A plan's step that ended, as a line of the chat's steps message (as the terminal prints it)."""
    detail = result.outcome.text if result.ok and result.outcome else result.reason
    return f"- [{result.status.value}] {result.step.task} ({result.seconds:.1f} s): {detail}\n"


def _image_message(path: Path, role: str = "assistant") -> dict[str, Any]:
    return {"role": role, "content": {"path": str(path)}}


def _text_message(text: str) -> dict[str, Any]:
    return {"role": "assistant", "content": text}


class ChatApp:
    """Event handlers of the demo, bound to one agent and one session factory."""

    def __init__(
        self, agent: Agent, sessions: SessionFactory, plan_agent: PlanAgent | None = None, plan: str = "off"
    ) -> None:
        self.agent = agent
        self.sessions = sessions
        self.plan_agent = plan_agent
        self.plan = plan  # the "Plan first" switch of a tab that has not touched it
        # gradio session hash -> session, so a closed tab's session is closed at once (gradio itself keeps a
        # closed tab's state for an hour); weak, so sessions gradio dropped do not linger here
        self._tabs: weakref.WeakValueDictionary[str, BrowserSession] = weakref.WeakValueDictionary()
        self._queue = threading.Lock()
        self._waiting: list[BrowserSession] = []  # sessions whose message waits for the model, in order
        self._running = 0

    # ----------------------------------------------------------------- sessions
    def _session(self, session: BrowserSession | None, request: gr.Request | None) -> BrowserSession:
        session = session or self.sessions.new()
        if request is not None and request.session_hash:
            self._tabs[request.session_hash] = session
        return session

    def close(self, session: BrowserSession | None) -> None:
        """Close ``session`` without blocking (idle timeout, closed tab): stop its turn, drop its queued message."""
        if session is None:
            return
        with self._queue:
            if session in self._waiting:
                self._waiting.remove(session)
        self.sessions.close(session)

    def tab_closed(self, request: gr.Request) -> None:
        """Close the session of a tab that was closed (or reloaded)."""
        self.close(self._tabs.pop(request.session_hash, None))

    def _trace_rows(self, session: BrowserSession) -> list[list[Any]]:
        return session.trace or EMPTY_TRACE

    @staticmethod
    def _it_image(session: BrowserSession) -> gr.Image:
        name = session.chat.latest_image
        if name is None:
            return gr.Image(value=None, label='"it": no image yet')
        return gr.Image(value=str(session.chat.workspace.root / name), label=f'"it" = {name}')

    @staticmethod
    def _bounded(session: BrowserSession) -> None:
        """Keep the newest :data:`MAX_MESSAGES` messages and :data:`MAX_TRACE_ROWS` trace rows."""
        dropped = max(0, len(session.messages) - MAX_MESSAGES)
        del session.messages[:dropped]
        del session.trace[:-MAX_TRACE_ROWS]
        session.turn_start = max(0, session.turn_start - dropped)

    # ----------------------------------------------------------------- taking a message
    def _take(
        self, session: BrowserSession, text: str, files: tuple[str, ...], *, show: bool = True, plan: str | None = None
    ) -> bool:
        """Show a message at once and queue it for the model, planned first when the ``plan`` switch (default the
        app's) says so; returns False (saying why in the chat) when it cannot be taken."""
        problem = None
        if session.turn.closed:
            return False
        if session.turn.running or session.pending is not None:
            problem = "Your last message is still being answered: wait for it, or press Stop."
        elif text:
            problem = self.agent.input_problem(text)
        if problem:
            session.messages.append(_text_message(problem))
            return False
        if not text and not files:
            return False
        if show:
            session.messages += [_image_message(Path(file), role="user") for file in files]
            if text:
                session.messages.append({"role": "user", "content": text})
            session.last_message = text
        planned = self.plan_agent is not None and bool(text) and plan_first(plan or self.plan, text)
        session.pending = PendingMessage(text, files, planned)
        with self._queue:
            self._waiting.append(session)
        return True

    def _queue_status(self, session: BrowserSession) -> str:
        with self._queue:
            ahead = self._running + (self._waiting.index(session) if session in self._waiting else 0)
        if ahead:
            return f"Queued: {ahead} turn(s) of other people go first. Stop cancels."
        return "Working on it… Stop cancels."

    def accept(
        self,
        message: dict[str, Any] | None,
        session: BrowserSession | None,
        plan: str | None = None,
        request: gr.Request | None = None,
    ):
        """Show the sent message at once; outputs (message box, chat, state, status, stop, retry)."""
        session = self._session(session, request)
        message = message or {}
        text, files = (message.get("text") or "").strip(), tuple(message.get("files") or ())
        taken = self._take(session, text, files, plan=plan)
        self._bounded(session)
        return self._taken(session, taken)

    def retry(self, session: BrowserSession | None, plan: str | None = None, request: gr.Request | None = None):
        """Send the last message again, replacing its answer; outputs as :meth:`accept`."""
        session = self._session(session, request)
        text = session.last_message
        if not text or session.turn.running or session.pending is not None:
            return self._taken(session, False, "Nothing to retry yet.")
        del session.messages[session.turn_start :]
        session.chat.memory.forget_last_exchange(text)
        return self._taken(session, self._take(session, text, (), show=False, plan=plan))

    def _taken(self, session: BrowserSession, taken: bool, refused: str = "") -> tuple[Any, ...]:
        """Outputs of :meth:`accept`: a message taken locks the box and enables Stop; one refused stays in the
        box (to be shortened and sent again)."""
        if not taken:
            return gr.skip(), session.messages, session, refused, gr.skip(), gr.skip()
        return (
            gr.MultimodalTextbox(value=None, interactive=False),
            session.messages,
            session,
            self._queue_status(session),
            gr.Button(interactive=True),
            gr.Button(interactive=False),
        )

    # ----------------------------------------------------------------- running a turn
    def respond(self, session: BrowserSession | None) -> Iterator[tuple[Any, ...]]:
        """Answer the message waiting in ``session``, streaming; outputs (chat, trace, status, "it" image, plan
        graph, plan steps)."""
        if session is None or session.pending is None:
            yield (gr.skip(),) * 6
            return
        for _ in self._turn(session):
            yield self._shown(session, "Working on it… Stop cancels.")
        if not session.turn.closed:
            yield self._shown(session, "")

    def _shown(self, session: BrowserSession, status: str) -> tuple[Any, ...]:
        plan = session.plan_rows or EMPTY_PLAN
        return session.messages, self._trace_rows(session), status, self._it_image(session), session.plan_graph, plan

    def ready(self, session: BrowserSession | None):
        """Enable sending again; outputs (message box, stop, retry)."""
        can_retry = bool(session and session.last_message)
        return gr.MultimodalTextbox(interactive=True), gr.Button(interactive=False), gr.Button(interactive=can_retry)

    def _turn(self, session: BrowserSession) -> Iterator[None]:
        """Run the waiting message of ``session``; yields whenever the chat changed (never once it is closed)."""
        with self._queue:
            if session in self._waiting:
                self._waiting.remove(session)
        cancel = session.turn.begin()
        pending, session.pending = session.pending, None
        if cancel is None or pending is None:  # closed while it waited, or already answering
            return
        with self._queue:
            self._running += 1
        try:
            for file in pending.files:
                self._introduce(session, Path(file), show_upload=False)
                if session.turn.closed:
                    return
                yield
            if pending.text and not cancel.is_set():
                session.turn_start = len(session.messages)
                # closed here, not when collected: a stopped plan's dropped tool calls are waited for before the
                # turn ends (and a closed session's folder goes)
                with contextlib.closing(self._stream_turn(session, pending.text, cancel, pending.planned)) as shown:
                    for _ in shown:
                        if session.turn.closed:
                            return
                        yield
            elif cancel.is_set():
                session.messages.append(_text_message("Stopped."))
                yield
        finally:
            with self._queue:
                self._running -= 1
            if session.turn.end():
                self.sessions.discard(session)
            self._bounded(session)

    def _stream_turn(
        self, session: BrowserSession, text: str, cancel: threading.Event, planned: bool = False
    ) -> Iterator[None]:
        """Run one message through the ReAct loop, or ``planned`` through plan mode, showing its events."""
        messages = session.messages
        pending = _pending("Planning" if planned else "Step 1: thinking")
        messages.append(pending)
        yield
        if planned and self.plan_agent is not None:
            events: Iterator[Any] = self.plan_agent.run(session.chat, text)
        else:
            events = self.agent.run(session.chat, text, cancel)
        runs: list[PlanRun] = []
        plan: Plan | None = None  # the plan running, and its steps' states so far
        results: dict[int, StepResult] = {}
        shown = time.monotonic()
        try:
            for event in events:
                if planned and cancel.is_set():  # the ReAct loop stops itself; a plan stops when its events close
                    events.close()
                    if runs:  # every step's final state: closing the events cancelled those not ended
                        self._plan_view(session, plan, {r.step.id: r for r in runs[-1].snapshot().results})
                    pending["metadata"]["status"] = "done"
                    messages.append(_text_message("Stopped."))
                    yield
                    return
                if isinstance(event, TextChunk):
                    pending["content"] += event.text
                    if time.monotonic() - shown < STREAM_INTERVAL:
                        continue
                elif isinstance(event, StepTaken):
                    messages[-1] = _step_message(event.step)
                    session.trace.append(trace_row(session.chat.turns, event.step))
                    pending = _pending_message(event.step.index + 1)
                    messages.append(pending)
                elif isinstance(event, Reply):
                    messages[-1] = _text_message(event.text)
                    messages += [_image_message(session.chat.workspace.root / name) for name in event.files]
                elif isinstance(event, PlanMade):
                    plan = event.result.plan
                    results.clear()
                    pending = self._show_plan(session, event)
                elif isinstance(event, PlanStarted):
                    runs.append(event.run)
                    session.turn.on_stop(lambda run=event.run: run.cancel("stopped"))  # ends a step waited for
                    continue
                elif isinstance(event, StepUpdate):
                    results[event.result.step.id] = event.result
                    self._plan_view(session, plan, results)
                    if event.result.status.finished:
                        pending["content"] += _step_line(event.result)
                elif isinstance(event, PlanReply):
                    pending["metadata"] |= {"title": "The plan's steps", "status": "done"}
                    if not pending["content"]:  # nothing ran: the plan's message says why
                        messages.pop()
                    messages.append(_text_message(event.text))
                    messages += [_image_message(session.chat.workspace.root / name) for name in event.files]
                shown = time.monotonic()
                yield
        except Exception as error:  # e.g. out of memory in the model: say so instead of spinning forever
            logger.exception("turn failed")
            messages[-1] = _text_message(
                f"Sorry, this turn failed ({type(error).__name__}: {error}). The conversation is kept: "
                "press Retry to try again."
            )
            yield
        finally:
            events.close()  # a plan that has not ended is cancelled
            for run in runs:
                if not run.settle(SETTLE_SECONDS):
                    logger.warning("a stopped plan's tool call still runs after %s s", SETTLE_SECONDS)

    def _show_plan(self, session: BrowserSession, made: PlanMade) -> dict[str, Any]:
        """Show a plan (or why there is none) in place of the pending message; the message that follows it."""
        session.messages[-1] = _text_message(made.text)
        plan = made.result.plan
        self._plan_view(session, plan, {})
        if plan is None:
            pending = _pending("Planning again" if made.attempt == 1 else "Answering")
        elif plan.steps:
            pending = _pending("Running the plan")
        else:  # no tool needed: the ReAct loop answers
            pending = _pending_message(1)
        session.messages.append(pending)
        return pending

    @staticmethod
    def _plan_view(session: BrowserSession, plan: Plan | None, results: Mapping[int, StepResult]) -> None:
        """Draw ``plan`` (none: clear the view) with its steps' states into the plan panel."""
        session.plan_graph = plan_svg(plan, results) if plan is not None else ""
        session.plan_rows = plan_rows(plan, results) if plan is not None else []

    # ----------------------------------------------------------------- images
    def _introduce(self, session: BrowserSession, file: Path, *, show_upload: bool) -> None:
        """Take an image file into the session, saying what was received (or why not) in the chat."""
        try:
            data = file.read_bytes()
            received = self.agent.introduce_image(session.chat, data, file.name)
        except (ToolError, OSError) as error:
            session.messages.append(_text_message(f"Could not use {file.name}: {error}"))
            return
        if show_upload:
            session.messages.append(_image_message(session.chat.workspace.root / received.name, role="user"))
        session.messages.append(_text_message(received_text(received)))

    def upload(self, file: str | None, session: BrowserSession | None, request: gr.Request | None = None):
        """Take an uploaded image into the session; outputs (chat, state, "it" image)."""
        session = self._session(session, request)
        if file and not session.turn.closed:
            self._introduce(session, Path(file), show_upload=True)
            self._bounded(session)
        return session.messages, session, self._it_image(session)

    # ----------------------------------------------------------------- controls
    def stop(self, session: BrowserSession | None) -> str:
        """Stop the running (or queued) turn of ``session``; outputs the status line."""
        if session is None or not session.turn.stop(queued=session.pending is not None):
            return "Nothing is running."
        return "Stopping at the next step…"

    def new_session(self, session: BrowserSession | None, request: gr.Request | None = None):
        """Forget the conversation and its files, after stopping its turn; outputs (chat, trace, state,
        message box, status, "it" image, stop, retry, plan graph, plan steps)."""
        if session is not None:
            if session.turn.close():  # let the stopped turn end first: its last update must not land after ours
                session.turn.wait_idle(RESET_WAIT_SECONDS)
            self.close(session)
        fresh = self._session(None, request)
        return (
            [],
            EMPTY_TRACE,
            fresh,
            gr.MultimodalTextbox(value=None, interactive=True),
            "New session: the conversation and its images are gone.",
            self._it_image(fresh),
            gr.Button(interactive=False),
            gr.Button(interactive=False),
            "",
            EMPTY_PLAN,
        )

    # ----------------------------------------------------------------- the API's one-call chat
    def chat(
        self, text: str, session: BrowserSession | None, plan: str | None = None, request: gr.Request | None = None
    ):
        """Send ``text`` and stream the turn in one call (the ``/chat`` API, ``plan`` as the "Plan first"
        switch); outputs (text box, chat, trace, state)."""
        session = self._session(session, request)
        if self._take(session, (text or "").strip(), (), plan=plan):
            yield "", session.messages, self._trace_rows(session), session
            for _ in self._turn(session):
                yield "", session.messages, self._trace_rows(session), session
            if session.turn.closed:  # New session replaced it: its state must not come back
                return
        yield "", session.messages, self._trace_rows(session), session


def build_app(  # noqa: PLR0917 (the demo's whole configuration)
    agent: Agent,
    sessions: SessionFactory | None = None,
    title: str = "GPT4Tools",
    idle_minutes: float = DEFAULT_IDLE_MINUTES,
    plan_agent: PlanAgent | None = None,
    plan: str = "off",
) -> gr.Blocks:
    """The demo's Blocks (queued); start it with :func:`serve` (or ``.launch(...)`` in tests). With ``plan_agent``
    a message may be planned first: ``plan`` (``on``, ``off`` or ``auto``) is each new tab's "Plan first"."""
    if plan not in PLAN_MODES:
        raise DemoOptionError(f"--plan must be one of {', '.join(PLAN_MODES)}; got {plan!r}")
    sessions = sessions or SessionFactory()
    app = ChatApp(agent, sessions, plan_agent, plan)
    can_now, can_later = tools_panel(agent.runtime)
    examples = example_messages(agent.runtime, owned_temp_dir(EXAMPLES_PREFIX, served_folder()))
    # uploaded and shown files are copied into gradio's cache: delete_cache empties it when the app closes
    with gr.Blocks(title=title, delete_cache=(3600, 24 * 3600)) as demo:
        gr.Markdown(
            f"# {title}\nSend an image (drag or paste it into the message box, or Upload image) and ask for what "
            "you need: its edges, a sketch, the pose, the background removed, faces, the text in it, a crop..."
        )

        # a plain function, not the bound app.close: gradio deep-copies the page config, callback included, at
        # every page load, and copying a bound method copies its object (the agent, the model: 19 GB after a
        # few concurrent loads of the page)
        def expire(session: BrowserSession | None) -> None:
            app.close(session)

        state = gr.State(None, time_to_live=idle_minutes * 60, delete_callback=expire)
        chatbot = gr.Chatbot(label="Chat", height=520, elem_id="chat")
        with gr.Row(equal_height=True):
            message = gr.MultimodalTextbox(
                show_label=False,
                placeholder=f"e.g. Show me the edges of the image (up to {agent.max_input_chars:,} characters)",
                file_count="multiple",
                sources=["upload"],
                submit_btn="Send",
                scale=6,
                elem_id="message",
            )
            it_image = gr.Image(
                label='"it": no image yet', interactive=False, height=110, scale=1, min_width=120, elem_id="it-image"
            )
        status = gr.Markdown("", elem_id="status")
        # each tab's own switch (a component's value is per tab); hidden without plan mode (no tools loaded)
        plan_switch = gr.Radio(
            list(PLAN_MODES),
            value=plan,
            label="Plan first (on: always; auto: when a message asks for several things; off: never)",
            visible=plan_agent is not None,
            elem_id="plan-first",
        )
        with gr.Row():
            stop = gr.Button("Stop", variant="stop", interactive=False, elem_id="stop")
            retry = gr.Button("Retry last message", interactive=False, elem_id="retry")
            upload = gr.UploadButton("Upload image", elem_id="upload")
            clear = gr.Button("New session", elem_id="new-session")
        if examples:
            gr.Examples(examples, inputs=[message], label="Examples: click one, then Send")
        with gr.Accordion("Plan of the last planned message", open=True, visible=plan_agent is not None):
            plan_graph = gr.HTML("", elem_id="plan-graph")
            plan_table = gr.Dataframe(headers=list(PLAN_HEADERS), value=EMPTY_PLAN, wrap=True, elem_id="plan-steps")
        with gr.Accordion("Trace of each step", open=False):
            trace = gr.Dataframe(headers=TRACE_HEADERS, value=EMPTY_TRACE, wrap=True, elem_id="trace")
        with gr.Accordion("Tools", open=True):
            gr.Markdown(can_now)
            if can_later:
                with gr.Accordion("Not available here, and how to enable them", open=False):
                    gr.Markdown(can_later)
        api_text = gr.Textbox(visible=False)  # the /chat API: text in, the whole turn streamed out

        taken = [message, chatbot, state, status, stop, retry]
        shown = [chatbot, trace, status, it_image, plan_graph, plan_table]
        turn: dict[str, Any] = {"fn": app.respond, "inputs": [state], "outputs": shown}
        turn |= {"concurrency_id": MODEL_QUEUE, "show_progress": "minimal", "show_progress_on": [status]}
        for event, fn, inputs in (
            (message.submit, app.accept, [message, state, plan_switch]),
            (retry.click, app.retry, [state, plan_switch]),
            (chatbot.retry, app.retry, [state, plan_switch]),
        ):
            (
                event(fn, inputs, taken, queue=False, api_name=False)
                .then(**turn, api_name=False)
                .then(app.ready, [state], [message, stop, retry], queue=False, api_name=False)
            )
        stop.click(app.stop, [state], [status], queue=False, api_name="stop")
        resets = {"fn": app.new_session, "inputs": [state], "queue": False}
        resets["outputs"] = [chatbot, trace, state, message, status, it_image, stop, retry, plan_graph, plan_table]
        clear.click(**resets, api_name="new_session")
        chatbot.clear(**resets, api_name=False)  # its bin icon
        upload.upload(app.upload, [upload, state], [chatbot, state, it_image], api_name="upload",
                      concurrency_id=MODEL_QUEUE)  # fmt: skip
        api_text.submit(app.chat, [api_text, state, plan_switch], [api_text, chatbot, trace, state], api_name="chat",
                        concurrency_id=MODEL_QUEUE)  # fmt: skip
        demo.unload(app.tab_closed)
    demo.queue(default_concurrency_limit=1)
    return demo


def serve(demo: gr.Blocks, sessions: SessionFactory, **launch: Any) -> None:
    """Run the demo until Ctrl-C (or SIGTERM, see :func:`ui.sessions.interrupt_on_sigterm`), then close it and
    remove every session folder."""
    from gradio import networking

    # gradio checks that its page answers with a single 3-second request, which the first page of a busy
    # machine exceeds (the demo then refused to start): ask again for up to PAGE_CHECK_SECONDS instead
    try:
        with mock.patch.object(networking, "url_ok", _page_answers):
            demo.launch(prevent_thread_lock=True, **launch)
    except OSError as error:  # e.g. the port is taken
        raise DemoOptionError(f"the web app could not start: {error}; pass another --server_port") from None
    try:
        while demo.is_running:
            time.sleep(0.5)
    except KeyboardInterrupt:
        logger.info("closing the demo")
    finally:
        demo.close()
        sessions.remove_all()


def _page_answers(url: str) -> bool:
    """Whether ``url`` answers within :data:`PAGE_CHECK_SECONDS`."""
    import httpx

    deadline = time.monotonic() + PAGE_CHECK_SECONDS
    while time.monotonic() < deadline:
        try:
            if httpx.head(url, timeout=60, verify=False).status_code < 400:
                return True
        except httpx.HTTPError:
            pass
        time.sleep(1)
    return False
