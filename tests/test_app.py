"""The Gradio app through gradio_client (real tool runtime, scripted model), its handlers driven from threads as
gradio does (Stop, New session and a second tab during a running turn), the terminal chat and the CLI."""

from __future__ import annotations

import io
import os
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import gradio as gr
import numpy as np
import pytest
from PIL import Image

from agent.loop import NEEDS_IMAGE, Agent, Reply, StepTaken, TextChunk, TraceStep
from protocol.prompt import PromptTemplate
from tests.agent_fakes import EdgeMapLLM, FakeRuntime, GatedLLM
from tools.runtime import ToolRuntime
from ui.app import ChatApp, build_app
from ui.launch import SHIPPED_ADAPTER, choose_template, resolve_adapter
from ui.panels import tools_panel
from ui.sessions import OWNER_FILE, SessionFactory, owned_temp_dir
from ui.terminal import chat_in_terminal, show

MAX_PIXELS = 600 * 600


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def save_png(path: Path, array: np.ndarray) -> Path:
    Image.fromarray(array).save(path)
    return path


@pytest.fixture(scope="module")
def images(tmp_path_factory) -> dict[str, Path]:
    from skimage import data

    folder = tmp_path_factory.mktemp("uploads")
    notes = folder / "notes.txt"
    notes.write_text("not an image")
    empty = folder / "empty.png"
    empty.write_bytes(b"")
    return {
        "empty": empty,
        "astronaut": save_png(folder / "astronaut.png", data.astronaut()),
        "cat": save_png(folder / "chelsea.png", data.chelsea()),
        "huge": save_png(folder / "huge.png", np.zeros((700, 700, 3), np.uint8)),
        "notes": notes,
    }


@pytest.fixture(scope="module")
def edge_agent(tiny_tokenizer) -> Agent:
    """The real runtime with offline OpenCV tools, driven by a model scripted to ask for the edges."""
    runtime = ToolRuntime.from_load("Image2Canny_cpu,ImageCropping_cpu")
    return Agent(EdgeMapLLM(), runtime, PromptTemplate.load("en"), tiny_tokenizer, context_length=4096)


@pytest.fixture(scope="module")
def server(edge_agent, tmp_path_factory):
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    sessions = SessionFactory(tmp_path_factory.mktemp("sessions"), max_pixels=MAX_PIXELS)
    demo = build_app(edge_agent, sessions)
    port = free_port()
    demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    yield f"http://127.0.0.1:{port}/", sessions
    demo.close()


def client(url: str):
    from gradio_client import Client

    return Client(url, verbose=False)


def texts(messages: list[dict]) -> list[str]:
    return [part["text"] for message in messages for part in message["content"] if part["type"] == "text"]


def files(messages: list[dict], role: str = "assistant") -> list[str]:
    return [
        part["file"]
        for message in messages
        if message["role"] == role
        for part in message["content"]
        if part["type"] == "file"
    ]


def upload_and_ask(url: str, image: Path, question: str = "Show me the edges of the image") -> list[dict]:
    from gradio_client import handle_file

    session = client(url)
    session.predict(handle_file(str(image)), api_name="/upload")
    _, messages, _ = session.predict(question, api_name="/chat")
    return messages


def test_non_image_and_over_limit_uploads_get_clear_messages(server, images):
    from gradio_client import handle_file

    url, _ = server
    session = client(url)
    messages, _it = session.predict(handle_file(str(images["notes"])), api_name="/upload")
    assert "Could not use notes.txt: the uploaded image is not a readable image" in texts(messages)[-1]
    assert "BytesIO" not in texts(messages)[-1]  # plain words, no Python object
    messages, _it = session.predict(handle_file(str(images["empty"])), api_name="/upload")
    assert "Could not use empty.png: the uploaded image is empty (0 bytes)" in texts(messages)[-1]
    messages, it_image = session.predict(handle_file(str(images["huge"])), api_name="/upload")
    assert "huge.png" in texts(messages)[-1] and "over the limit of 360,000" in texts(messages)[-1]
    assert files(messages, role="user") == [] and it_image["value"] is None  # nothing was added to the conversation


def test_two_concurrent_sessions_each_get_the_edge_map_of_their_own_upload(server, images):
    url, sessions = server
    with ThreadPoolExecutor(2) as pool:
        astronaut, cat = pool.map(lambda image: upload_and_ask(url, image), [images["astronaut"], images["cat"]])
    for messages, size in ((astronaut, (512, 512)), (cat, (451, 300))):
        assert len(messages) == 6  # own upload (2), own question, one step, answer, image: nothing else
        received = texts(messages)[0]
        assert received.startswith("Received image/")
        uploaded_id = received.split()[1].rstrip(":").removeprefix("image/").removesuffix(".png")
        step = messages[3]
        assert step["metadata"]["title"] == "Step 1: Edge Detection On Image" and step["metadata"]["status"] == "done"
        answer = texts(messages)[-1]
        assert answer.startswith("Here is the edge map: image/") and f"_edge_{uploaded_id}" in answer  # its own image
        (edge_file,) = files(messages)
        edges = np.asarray(Image.open(edge_file))
        assert edges.shape[1::-1] == size and set(np.unique(edges)) <= {0, 255}  # a Canny map, not the photo
        assert 0 < (edges > 0).mean() < 0.5
    assert texts(astronaut)[0] != texts(cat)[0]
    workspaces = [path for path in sessions.root.iterdir() if path.is_dir()]
    assert len(workspaces) >= 2 and all(len(list((ws / "image").glob("*.png"))) <= 2 for ws in workspaces)


def test_new_session_forgets_the_conversation(server, images):
    from gradio_client import handle_file

    url, _ = server
    session = client(url)
    session.predict(handle_file(str(images["astronaut"])), api_name="/upload")
    messages, *_ = session.predict(api_name="/new_session")
    assert messages == []
    _, messages, _ = session.predict("Show me the edges of the image", api_name="/chat")
    assert texts(messages) == ["Show me the edges of the image", NEEDS_IMAGE]  # the old image is gone


def test_tools_panel_says_what_works_and_how_to_enable_the_rest():
    now, later = tools_panel(FakeRuntime())
    assert "**What I can do now (2)**" in now
    assert "- **Edge Detection On Image**: Finds the edges in an image" in now
    assert "Get Photo Description" not in now
    assert "- Get Photo Description: ImageCaptioning could not load: no BLIP checkpoint offline\n" in later
    assert "- Rotate Image, Resize Image, Blur Region: add `ImageEditing_cpu` to `--load`\n" in later  # grouped
    assert "not in --load" not in later
    runtime = ToolRuntime.from_load("Image2Canny_cpu")
    assert "- Remove Something From The Photo, Replace Something From The Photo: add " \
           "`Inpainting_cpu,Text2Box_cpu,Segmenting_cpu` to `--load`" in tools_panel(runtime)[1]  # fmt: skip


def test_terminal_chat_runs_the_same_agent(edge_agent, images, tmp_path):
    commands = (
        f"rotate it\n/image\n/image {images['notes']}\n/image {images['astronaut']}\nedges of /etc/passwd\n"
        "Show me the edges\n/quit\n"
    )
    out = io.StringIO()
    chat_in_terminal(edge_agent, tmp_path, stdin=io.StringIO(commands), stdout=out)
    text = out.getvalue()
    assert "AI: That needs an image, and this conversation has none yet. Upload one (/image PATH)" in text
    assert "'/etc/passwd' is a path outside it. Upload the image (/image PATH)" in text  # the terminal's own way
    assert "Usage: /image PATH" in text and "is not a readable image" in text and "Received image/" in text
    assert "Action: Edge Detection On Image" in text and "AI: Here is the edge map: image/" in text
    edge_path = Path(text.split("Image: ", 1)[1].split()[0])
    assert edge_path.is_file() and edge_path.is_relative_to(tmp_path)
    assert "\nHuman: Show me the edges\n" in text  # piped input is echoed, so the output reads as a transcript


def test_the_terminal_says_which_call_ran_where_the_agent_ran_another_than_the_streamed_one(tmp_path):
    session = SimpleNamespace(workspace=SimpleNamespace(root=tmp_path))
    lines: list[str] = []
    photo, pose = "image/ccc19892.png", "image/0d0a_pose_ccc19892.png"
    ran = TraceStep(1, "", "Detection", photo, "face [1, 2, 3, 4]", True, model_call=f"Detection: {pose}")
    show(StepTaken(ran), session, io.StringIO(), lambda *text: lines.append(" ".join(text)))
    assert lines == [f" [ran Detection: {photo}] face [1, 2, 3, 4]"]
    lines.clear()
    as_streamed = replace(ran, model_call="")
    show(StepTaken(as_streamed), session, io.StringIO(), lambda *text: lines.append(" ".join(text)))
    assert lines == [" face [1, 2, 3, 4]"]
    # seen in a --cli drive: an answer set aside, the agent opened the crop, the model wrote the cat's box and the
    # square around it ran, while the terminal showed the model's box as the one cropped
    lines.clear()
    crop = TraceStep(2, "", "Crop Image", f"{photo}, 28, 0, 328, 300", pose, True, model_call="AI: The cat is there.")
    streamed = [
        f"AI: The cat is there. [not the answer]\nAction: Crop Image\nAction Input: {photo}, 3, 0, 352",
        ", 300\n",
    ]
    show(StepTaken(crop), session, io.StringIO(), lambda *text: lines.append(" ".join(text)), streamed)
    assert lines == [f" [ran Crop Image: {photo}, 28, 0, 328, 300] {pose}"]
    lines.clear()
    streamed[-1] = ", 300\nObservation:"
    show(
        StepTaken(replace(crop, action_input=f"{photo}, 3, 0, 352, 300")),
        session,
        io.StringIO(),
        lines.append,
        streamed,
    )
    assert lines == [f" {pose}"]  # as streamed


def test_cli_with_piped_input_echoes_it_and_removes_its_folder(tiny_model_dir, images, tmp_path):
    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "TMPDIR": str(tmp_path), "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1"}
    command = [sys.executable, "gpt4tools.py", "--cli", "--base_model", str(tiny_model_dir), "--lora_model", "none",
               "--load", "Image2Canny_cpu", "--max_new_tokens", "8", "--max_steps", "1"]  # fmt: skip
    commands = f"/image {images['astronaut']}\nShow me the edges\n/quit\n"
    done = subprocess.run(command, input=commands, capture_output=True, text=True, cwd=root, env=env, check=False)
    assert done.returncode == 0, done.stderr
    assert f"Human: /image {images['astronaut']}\nReceived image/" in done.stdout
    assert "Human: Show me the edges\n" in done.stdout and "Human: /quit" in done.stdout
    folder = Path(done.stdout.split("Files are kept in ")[1].split()[0])
    assert folder.is_relative_to(tmp_path) and list(tmp_path.glob("gpt4tools-cli-*")) == []  # removed at exit
    bad = subprocess.run([*command, "--max_input_chars", "0"], capture_output=True, text=True, cwd=root, env=env,
                         check=False)  # fmt: skip
    assert bad.returncode == 2 and bad.stderr == "error: --max_input_chars must be a positive number, got 0\n"


def test_default_adapter_and_prompt_choice(tmp_path):
    shipped = str(SHIPPED_ADAPTER) if (SHIPPED_ADAPTER / "adapter_config.json").is_file() else None
    assert resolve_adapter(None) == shipped
    assert resolve_adapter(None, base_model="some/other-model") is None
    assert resolve_adapter("none") is None and resolve_adapter("out/lora") == "out/lora"
    assert choose_template("zh", None).language == "zh"
    assert choose_template("gpt4tools", None).name == "gpt4tools"  # the original's prompt, for its adapters
    PromptTemplate.load("zh").save(tmp_path)
    assert choose_template("en", str(tmp_path)).language == "zh"  # the adapter's own prompt wins


def test_a_failing_model_ends_the_turn_with_a_message(tiny_tokenizer, tmp_path):
    class BrokenLLM:
        def stream(self, prompt, max_new_tokens=128):
            yield "Thought: Do I"
            raise RuntimeError("out of memory")

    agent = Agent(BrokenLLM(), FakeRuntime(), PromptTemplate.load("en"), tiny_tokenizer, context_length=4096)
    *_, (textbox, messages, _trace, session) = ChatApp(agent, SessionFactory(tmp_path)).chat("how are you?", None)
    assert textbox == "" and messages[-1] == {
        "role": "assistant",
        "content": "Sorry, this turn failed (RuntimeError: out of memory). The conversation is kept: press Retry "
        "to try again.",
    }
    assert session.chat.workspace.root.parent == tmp_path and not session.turn.running


@pytest.fixture
def gated_app(tiny_tokenizer, tmp_path) -> tuple[ChatApp, GatedLLM]:
    """The app over the real offline tools and a fake model that pauses mid-reply until its gate opens."""
    llm = GatedLLM(EdgeMapLLM())
    runtime = ToolRuntime.from_load("Image2Canny_cpu,ImageCropping_cpu")
    agent = Agent(llm, runtime, PromptTemplate.load("en"), tiny_tokenizer, context_length=4096, max_input_chars=100)
    return ChatApp(agent, SessionFactory(tmp_path / "sessions")), llm


def contents(messages: list[dict]) -> list[str]:
    return [message["content"] for message in messages if isinstance(message["content"], str)]


def edge_maps(session) -> list[Path]:
    return list((session.chat.workspace.root / "image").glob("*_edge_*.png"))


def test_stop_ends_the_running_turn_and_the_session_goes_on(gated_app, images):
    app, llm = gated_app
    session = app.sessions.new()
    app.upload(str(images["astronaut"]), session)
    with ThreadPoolExecutor(1) as pool:
        turn = pool.submit(lambda: list(app.chat("Show me the edges", session)))
        assert llm.streaming.wait(30)
        assert app.stop(session) == "Stopping at the next step…"
        llm.gate.set()
        outputs = turn.result(30)
    assert contents(outputs[-1][1])[-1] == "Stopped." and edge_maps(session) == []  # no tool ran
    assert app.stop(session) == "Nothing is running."
    *_, (_, messages, _, _) = app.chat("Show me the edges", session)
    assert contents(messages)[-1].startswith("Here is the edge map: image/") and len(edge_maps(session)) == 1
    assert app._it_image(session).label == f'"it" = {edge_maps(session)[0].relative_to(session.chat.workspace.root)}'


def test_new_session_during_a_turn_waits_for_it_before_removing_its_folder(gated_app, images):
    app, llm = gated_app
    session = app.sessions.new()
    app.upload(str(images["astronaut"]), session)
    old_folder = session.chat.workspace.root
    with ThreadPoolExecutor(2) as pool:
        turn = pool.submit(lambda: list(app.chat("Show me the edges", session)))
        assert llm.streaming.wait(30)
        reset = pool.submit(app.new_session, session)
        assert not reset.done() and old_folder.is_dir()  # the turn still owns its folder
        llm.gate.set()
        chat, _trace, fresh, *_ = reset.result(30)
        outputs = turn.result(30)
    assert chat == [] and fresh is not session and fresh.chat.workspace.root.is_dir()
    assert not old_folder.exists() and session.messages == []  # gone once the turn ended, memory dropped
    assert all(state is session for *_, state in outputs) and len(outputs) == 2  # nothing after the reset
    assert app.sessions.workspaces() == [fresh.chat.workspace.root]


def test_closing_an_idle_session_removes_its_folder_at_once(gated_app):
    app, _ = gated_app
    session = app._session(None, gr_request("tab-1"))
    folder = session.chat.workspace.root
    app.tab_closed(gr_request("tab-1"))
    assert not folder.exists() and session.turn.closed
    list(app.chat("hello", session))  # a closed session takes nothing more: its folder does not come back
    assert not folder.exists()


def test_a_closed_sessions_files_stay_loadable_for_the_grace_period(tmp_path):
    sessions = SessionFactory(tmp_path, grace_seconds=0.5)
    session = sessions.new()
    folder = session.chat.workspace.root
    sessions.close(session)  # New session a moment after a turn showed an image: a client may still fetch it
    assert folder.is_dir() and session.messages == [] and len(session.chat.memory) == 0
    deadline = time.monotonic() + 10
    while folder.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not folder.exists()


def gr_request(session_hash: str) -> gr.Request:
    return gr.Request(session_hash=session_hash)


def test_a_queued_message_is_shown_at_once_with_its_place(gated_app, images):
    app, llm = gated_app
    first, second = app.sessions.new(), app.sessions.new()
    app.upload(str(images["astronaut"]), first)
    with ThreadPoolExecutor(1) as pool:
        turn = pool.submit(lambda: list(app.chat("Show me the edges", first)))
        assert llm.streaming.wait(30)
        box, messages, _, status, stop, retry = app.accept({"text": "Show me the edges", "files": []}, second)
        assert messages == [{"role": "user", "content": "Show me the edges"}]
        assert status == "Queued: 1 turn(s) of other people go first. Stop cancels."
        assert box.interactive is False and stop.interactive is True and retry.interactive is False  # Send is off
        llm.gate.set()
        turn.result(30)
    *_, (messages, _trace, status, _it, _graph, _steps) = app.respond(second)
    assert contents(messages)[-1] == NEEDS_IMAGE  # its own session has no image
    assert status == "" and app.ready(second)[0].interactive is True


def test_an_attached_image_is_taken_in_before_the_message(gated_app, images, tmp_path):
    from PIL import Image as PILImage

    app, llm = gated_app
    llm.gate.set()
    wide = tmp_path / "wide.png"
    PILImage.new("RGB", (2048, 1024), "white").save(wide)
    app.sessions.max_pixels = 10_000_000
    session = app.sessions.new()
    _, messages, *_ = app.accept({"text": "Show me the edges", "files": [str(wide)]}, session)
    assert messages[0]["content"] == {"path": str(wide)} and messages[1]["content"] == "Show me the edges"
    *_, (messages, _, _, it_image, _, _) = app.respond(session)
    received = contents(messages)[1]
    assert received.startswith("Received image/") and received.endswith("(downscaled from 2048x1024 to 1024x512)")
    assert contents(messages)[-1].startswith("Here is the edge map") and "_edge_" in it_image.label


def test_over_long_messages_are_refused_with_the_limit_and_kept_in_the_box(gated_app):
    app, llm = gated_app
    session = app.sessions.new()
    box, messages, *_ = app.accept({"text": "x" * 101, "files": []}, session)
    assert contents(messages) == ["Your message is 101 characters long; the limit is 100. Shorten it, or send it "
                                  "in several messages."]  # fmt: skip
    assert session.pending is None and box == gr.skip()  # the text stays in the box
    assert not llm.streaming.is_set()


def test_retry_replaces_the_last_answer(gated_app, images):
    app, llm = gated_app
    llm.gate.set()
    session = app.sessions.new()
    app.upload(str(images["astronaut"]), session)
    *_, (_, first, _, _) = app.chat("Show me the edges", session)
    answers = len(first)
    app.retry(session)
    *_, (messages, _, _, _, _, _) = app.respond(session)
    assert len(messages) == answers and contents(messages)[-1].startswith("Here is the edge map")
    assert [turn.text for turn in session.chat.memory.turns].count("Show me the edges") == 1


def test_session_folders_are_removed_at_exit_and_after_a_kill(tmp_path, monkeypatch):
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True
    )
    stale = tmp_path / "gpt4tools-sessions-stale"
    (stale / "abc").mkdir(parents=True)
    (stale / OWNER_FILE).write_text(dead.stdout.strip())
    foreign = tmp_path / "gpt4tools-sessions-foreign"
    foreign.mkdir()  # no owner file: not ours to remove
    folder = owned_temp_dir("gpt4tools-sessions-")
    assert not stale.exists() and foreign.is_dir() and folder.is_dir()
    script = (
        "import sys, time; from ui.sessions import SessionFactory, interrupt_on_sigterm; interrupt_on_sigterm(); "
        "s = SessionFactory(); s.new(); print(s.root, flush=True); time.sleep(60)"
    )
    env = {**os.environ, "TMPDIR": str(tmp_path), "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, env=env)
    root = Path(child.stdout.readline().strip())
    assert root.is_dir() and len([p for p in root.iterdir() if p.is_dir()]) == 1
    child.terminate()  # SIGTERM, as `kill` sends
    child.wait(30)
    assert not root.exists()


def test_the_page_config_holds_no_bound_method(edge_agent, tmp_path):
    """gradio deep-copies the page config at every page load: a bound method there copies its object (with
    a real agent, the model: the demo grew to 19 GB and was killed after a few page loads)."""
    import types

    config = build_app(edge_agent, SessionFactory(tmp_path)).get_config_file()

    def methods(value) -> list:
        if isinstance(value, types.MethodType):
            return [value]
        if isinstance(value, dict):
            return [m for item in value.values() for m in methods(item)]
        if isinstance(value, list | tuple):
            return [m for item in value for m in methods(item)]
        return []

    assert methods(config) == []


def test_a_long_session_keeps_its_newest_messages_only(gated_app, monkeypatch):
    import ui.app

    app, llm = gated_app
    llm.gate.set()
    monkeypatch.setattr(ui.app, "MAX_MESSAGES", 6)
    session = app.sessions.new()
    for turn in range(4):
        *_, (_, messages, _, _) = app.chat(f"hello {turn}", session)
    assert len(messages) == 6 and messages[-2]["content"] == "hello 3"  # the newest turn is whole
    assert session.messages[session.turn_start - 1]["content"] == "hello 3"  # Retry still finds its turn


# ----------------------------------------------------------------- plan mode in the demo
def plan_app_parts(tokenizer, runner=None, names=("Edge Detection On Image", "Pose Detection On Image")):
    """An agent and a plan agent over fake tools and a model that plans ``names`` on the latest image (or answers
    without a tool in the ReAct loop), as tests/test_plan_mode.py builds them."""
    import re

    from agent.executor import Executor
    from agent.plan_mode import PlanAgent
    from agent.planner import Planner
    from agent.step_runner import RuntimeStepRunner
    from protocol.plan_prompt import PlanTemplate
    from protocol.plan_response import ResponseTemplate
    from tests.test_plan_mode import PlanningLLM, steps

    def planned(prompt):
        image = re.findall(r"image/[0-9a-f]{8}\.png", prompt)[-1]
        first, *rest = names
        return steps((first, {"image_path": image}), *((name, {"image_path": "<GENERATED>-0"}) for name in rest))

    observed = re.compile(r"Observation: (image/\S+\.png)")
    llm = PlanningLLM(planned, answer=lambda prompt: "Done, see " + (observed.findall(prompt) or ["nothing"])[-1])
    runtime = FakeRuntime(names=names)
    template = PromptTemplate.load("en")
    agent = Agent(llm, runtime, template, tokenizer, context_length=4096)
    planner = Planner(llm, template, PlanTemplate.load("en"), tokenizer, runtime.available)
    executor = Executor(runner or RuntimeStepRunner(runtime))
    return agent, PlanAgent(agent, planner, executor, ResponseTemplate.load("en")), llm


@pytest.fixture(scope="module")
def plan_server(tiny_tokenizer, tmp_path_factory):
    agent, plan_agent, llm = plan_app_parts(tiny_tokenizer)
    sessions = SessionFactory(tmp_path_factory.mktemp("plan-sessions"), max_pixels=MAX_PIXELS)
    demo = build_app(agent, sessions, plan_agent=plan_agent, plan="on")
    port = free_port()
    demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    yield f"http://127.0.0.1:{port}/", llm
    demo.close()


def test_a_planned_message_shows_the_plan_its_steps_and_the_answer_with_its_image(plan_server, images):
    from gradio_client import handle_file

    from protocol.plan_prompt import is_plan_prompt

    url, llm = plan_server
    session = client(url)
    session.predict(handle_file(str(images["astronaut"])), api_name="/upload")
    _, messages, _ = session.predict("Show me the edges, then the pose", api_name="/chat")  # the tab's default: on
    shown = texts(messages)
    plan = next(text for text in shown if text.startswith("Plan:\n"))
    assert "1. Edge Detection On Image" in plan and "2. Pose Detection On Image" in plan
    (steps,) = [message for message in messages if (message.get("metadata") or {}).get("title") == "The plan's steps"]
    assert "[done] Edge Detection On Image" in steps["content"][0]["text"]
    assert "[done] Pose Detection On Image" in steps["content"][0]["text"]
    assert shown.index(plan) < len(shown) - 1 and shown[-1].startswith("Done, see image/")  # plan first, answer last
    _edges, pose = files(messages)  # the images the plan made, shown as the ReAct path shows them
    assert Path(pose).name in shown[-1] and Image.open(pose).size == (512, 512)
    planned = sum(is_plan_prompt(prompt) for prompt in llm.prompts)
    _, messages, _ = session.predict("Show me the edges, then the pose", "off", api_name="/chat")
    assert sum(is_plan_prompt(prompt) for prompt in llm.prompts) == planned  # off: the ReAct loop answered
    assert texts(messages)[-1].startswith("Done, see")
    assert sum(text.startswith("Plan:\n") for text in texts(messages)) == 1  # only the first message's plan


def test_the_plan_view_follows_the_steps_and_the_switch_is_per_tab(tiny_tokenizer, images, tmp_path):
    agent, plan_agent, _ = plan_app_parts(tiny_tokenizer)
    app = ChatApp(agent, SessionFactory(tmp_path), plan_agent, "off")
    planned, plain = app.sessions.new(), app.sessions.new()
    for session in (planned, plain):
        app.upload(str(images["astronaut"]), session)
    app.accept({"text": "Show me the edges and the pose", "files": []}, planned, "on")
    outputs = list(app.respond(planned))
    graphs = [graph for *_, graph, _rows in outputs]
    assert graphs[0] == "" and 'data-status="running"' in "".join(graphs) and graphs[-1].startswith("<svg")
    assert graphs[-1].count('data-status="done"') == 2
    *_, rows = outputs[-1]
    assert [row[1] for row in rows] == ["Edge Detection On Image", "Pose Detection On Image"]
    assert [row[4] for row in rows] == ["done", "done"]
    app.accept({"text": "Say hello", "files": []}, plain)  # the app's default for this tab: off
    *_, (messages, _trace, _status, _it, graph, rows) = app.respond(plain)
    assert graph == "" and rows == [[""] * 9] and contents(messages)[-1] == "Done, see nothing"


def test_build_app_hides_the_switch_without_plan_mode_and_refuses_an_unknown_mode(edge_agent, tmp_path):
    from ui.launch import DemoOptionError

    config = build_app(edge_agent, SessionFactory(tmp_path)).get_config_file()
    (switch,) = [c for c in config["components"] if c["props"].get("elem_id") == "plan-first"]
    assert switch["props"]["visible"] is False
    with pytest.raises(DemoOptionError, match="--plan must be one of on, off, auto"):
        build_app(edge_agent, SessionFactory(tmp_path), plan="maybe")


def test_stop_during_a_plan_cancels_its_steps_at_once(tiny_tokenizer, images, tmp_path):
    import time

    from tests.plan_fakes import WAIT, Held, ScriptedRunner

    busy = Held()
    names = ("Edge Detection On Image", "Get Photo Description")
    runner = ScriptedRunner({"Edge Detection On Image": busy}, tools=names)
    agent, plan_agent, _ = plan_app_parts(tiny_tokenizer, runner, names)
    app = ChatApp(agent, SessionFactory(tmp_path), plan_agent, "on")
    session = app.sessions.new()
    app.upload(str(images["astronaut"]), session)
    with ThreadPoolExecutor(1) as pool:
        turn = pool.submit(lambda: list(app.chat("Show me the edges, then describe them", session)))
        assert busy.started.wait(WAIT)
        assert app.stop(session) == "Stopping at the next step…"
        deadline = time.monotonic() + WAIT
        while contents(session.messages)[-1] != "Stopped." and time.monotonic() < deadline:
            time.sleep(0.05)
        assert contents(session.messages)[-1] == "Stopped."  # while the stuck tool still runs
        assert [row[4] for row in session.plan_rows] == ["cancelled", "cancelled"]
        assert session.turn.running and not busy.returned.is_set()  # the turn waits for its dropped call
        busy.release.set()
        turn.result(WAIT)
    assert not session.turn.running and [tool for tool, _ in runner.calls] == ["Edge Detection On Image"]
    assert not any(text.startswith("Done") for text in contents(session.messages))  # no answer was written
    *_, (_, messages, _, _) = app.chat("Show me the edges, then describe them", session)  # the session goes on
    assert contents(messages)[-1].startswith("Done, see image/")


def test_new_session_during_a_plan_cancels_it_and_removes_the_folder_after_its_tool_call(
    tiny_tokenizer, images, tmp_path
):
    from tests.plan_fakes import WAIT, Held, ScriptedRunner

    busy = Held()
    names = ("Edge Detection On Image", "Get Photo Description")
    runner = ScriptedRunner({"Edge Detection On Image": busy}, tools=names)
    agent, plan_agent, _ = plan_app_parts(tiny_tokenizer, runner, names)
    app = ChatApp(agent, SessionFactory(tmp_path), plan_agent, "on")
    session = app.sessions.new()
    app.upload(str(images["astronaut"]), session)
    old_folder = session.chat.workspace.root
    with ThreadPoolExecutor(2) as pool:
        turn = pool.submit(lambda: list(app.chat("Show me the edges, then describe them", session)))
        assert busy.started.wait(WAIT)
        reset = pool.submit(app.new_session, session)
        assert not reset.done() and old_folder.is_dir()  # the dropped tool call may still write there
        busy.release.set()
        chat, _trace, fresh, *_, graph, rows = reset.result(WAIT)
        turn.result(WAIT)
    assert chat == [] and graph == "" and rows == [[""] * 9] and not old_folder.exists()
    assert app.sessions.workspaces() == [fresh.chat.workspace.root]


def test_a_step_the_agent_ran_in_place_of_the_models_says_so():
    """The chat's step bubble shows the call that ran; where the model wrote another, the bubble says which."""
    from agent.loop import TraceStep
    from ui.app import MODEL_CALL_NOTE, _step_message

    ran = TraceStep(1, "t", "Detection", "image/a.png", "face [1, 2, 3, 4]", True)
    assert "agent ran" not in _step_message(ran)["content"]
    overruled = TraceStep(1, "t", "Detection", "image/a.png", "face [1, 2, 3, 4]", True, model_call="Blur Region: x")
    assert MODEL_CALL_NOTE.format(model_call="Blur Region: x") in _step_message(overruled)["content"]


def test_the_terminal_prints_an_answer_it_did_not_stream(tmp_path):
    """ "blur the phone number" on a photo with no writing ended at "No text found.": the agent's answer, which it
    gives as a finished turn without streaming it, was never printed."""
    session = SimpleNamespace(workspace=SimpleNamespace(root=tmp_path))
    lines: list[str] = []
    streamed: list[str] = []

    def shown(event: object) -> None:
        show(event, session, io.StringIO(), lambda *text: lines.append(" ".join(text)), streamed)

    for chunk in ("Thought: Do I need to use a tool? No\n", "AI: Here is the edge map: image/a.png"):
        shown(TextChunk(1, chunk))
    shown(Reply("Here is the edge map: image/a.png", (), (), True))
    assert lines == [""]  # streamed as it is: not again
    told = "I found no writing to place in image/a.png."
    shown(Reply(told, (), (), True))
    assert lines[-1] == f"\nAI: {told}"


def test_the_terminal_prints_a_note_after_a_streamed_answer_once(tmp_path):
    """Seen in a --cli drive: "flip it and show me the edges" printed the streamed answer, then the whole answer again
    with the note on the flip; the note alone follows it now."""
    session = SimpleNamespace(workspace=SimpleNamespace(root=tmp_path))
    lines: list[str] = []
    streamed = ["Thought: Do I need to use a tool? No\n", "AI: Done! I saved the edge map as image/e.png."]
    note = "None of the tools here can flip or mirror an image."
    reply = Reply(f"Done! I saved the edge map as image/e.png. {note}", (), (), True)
    show(reply, session, io.StringIO(), lambda *text: lines.append(" ".join(text)), streamed)
    assert lines == [f" {note}"]  # the stream ends without a new line: "...image/e.png. None of the tools ..."
