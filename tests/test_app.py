"""The Gradio app through gradio_client (real tool runtime, scripted model), the terminal chat and the CLI."""

from __future__ import annotations

import io
import os
import socket
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from agent.loop import Agent
from protocol.prompt import PromptTemplate
from tests.agent_fakes import EdgeMapLLM, FakeRuntime
from tools.runtime import ToolRuntime
from ui.app import ChatApp, SessionFactory, build_app, tools_markdown
from ui.launch import SHIPPED_ADAPTER, choose_template, resolve_adapter
from ui.terminal import chat_in_terminal

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
    return {
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
    messages = session.predict(handle_file(str(images["notes"])), api_name="/upload")
    assert "Could not use notes.txt: the uploaded image is not a readable image" in texts(messages)[-1]
    messages = session.predict(handle_file(str(images["huge"])), api_name="/upload")
    assert "huge.png" in texts(messages)[-1] and "over the limit of 360,000" in texts(messages)[-1]
    assert files(messages, role="user") == []  # nothing was added to the conversation


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
    messages, _trace, _textbox = session.predict(api_name="/new_session")
    assert messages == []
    _, messages, _ = session.predict("Show me the edges of the image", api_name="/chat")
    step = texts(messages)[1]
    assert "does not exist in the workspace" in step and "holds no images yet" in step  # the old image is gone


def test_tools_panel_lists_loaded_and_unavailable_tools_with_reasons():
    panel = tools_markdown(FakeRuntime())
    loaded, unavailable = panel.split("**Unavailable")
    assert "- Edge Detection On Image" in loaded and "- Pose Detection On Image" in loaded
    assert "- Get Photo Description — ImageCaptioning: no BLIP checkpoint offline" in unavailable
    assert "- Generate Image From User Input Text — Text2Image not in --load" in unavailable


def test_terminal_chat_runs_the_same_agent(edge_agent, images, tmp_path):
    commands = f"/image\n/image {images['notes']}\n/image {images['astronaut']}\nShow me the edges\n/quit\n"
    out = io.StringIO()
    chat_in_terminal(edge_agent, tmp_path, stdin=io.StringIO(commands), stdout=out)
    text = out.getvalue()
    assert "Usage: /image PATH" in text and "is not a readable image" in text and "Received image/" in text
    assert "Action: Edge Detection On Image" in text and "AI: Here is the edge map: image/" in text
    edge_path = Path(text.split("Image: ", 1)[1].split()[0])
    assert edge_path.is_file() and edge_path.is_relative_to(tmp_path)


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
    *_, (textbox, messages, _trace, session) = ChatApp(agent, SessionFactory(tmp_path)).chat("hi", None)
    assert textbox == "" and messages[-1] == {
        "role": "assistant",
        "content": "Sorry, this turn failed: RuntimeError: out of memory",
    }
    assert session.chat.workspace.root.parent == tmp_path
