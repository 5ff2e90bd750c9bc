"""The demo in a real browser: headless Debian Chromium driven by Playwright (slow; CI runs it).

Sends the astronaut with a request for its edges and sees the edge map (the page is saved as
``artifacts/browser_edge_map.png``); clicks Stop and New session while a turn is running.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PIL import Image

from agent.loop import Agent
from protocol.prompt import PromptTemplate
from tests.agent_fakes import EdgeMapLLM, GatedLLM
from tests.test_app import free_port
from tools.runtime import ToolRuntime
from ui.app import build_app
from ui.sessions import SessionFactory

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 180_000  # generous: CI machines may be busy
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not shutil.which(CHROMIUM), reason="needs Debian's chromium (make install)"),
]


@pytest.fixture
def launch(tiny_tokenizer, tmp_path) -> Iterator[Callable[..., tuple[str, SessionFactory]]]:
    """Start the demo over the real offline tools and the given fake model; returns (url, sessions)."""
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    demos = []

    def start(llm) -> tuple[str, SessionFactory]:
        runtime = ToolRuntime.from_load("Image2Canny_cpu,ImageCropping_cpu")
        agent = Agent(llm, runtime, PromptTemplate.load("en"), tiny_tokenizer, context_length=4096)
        sessions = SessionFactory(tmp_path / "sessions")
        demo = build_app(agent, sessions)
        port = free_port()
        demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
        demos.append(demo)
        return f"http://127.0.0.1:{port}/", sessions

    yield start
    for demo in demos:
        demo.close()


@pytest.fixture
def astronaut(tmp_path) -> Path:
    from skimage import data

    path = tmp_path / "astronaut.png"
    Image.fromarray(data.astronaut()).save(path)
    return path


@pytest.fixture
def page():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser.new_page(viewport={"width": 1400, "height": 1200})
        finally:
            browser.close()


def send(page, text: str, image: Path | None = None) -> None:
    """Type ``text`` into the message box (attaching ``image``) and press Enter."""
    from playwright.sync_api import expect

    if image is not None:
        page.locator("#message input[type=file]").set_input_files(str(image))
        expect(page.locator("#message").get_by_role("listitem")).to_have_count(1, timeout=TIMEOUT_MS)  # uploaded
    page.locator("#message textarea").fill(text)
    page.locator("#message textarea").press("Enter")


def test_browser_send_an_image_ask_for_edges_and_see_the_map(launch, astronaut, page):
    from playwright.sync_api import expect

    url, _ = launch(EdgeMapLLM())
    ARTIFACTS.mkdir(exist_ok=True)
    page.goto(url)
    expect(page.get_by_text("Edge Detection On Image").first).to_be_visible(timeout=TIMEOUT_MS)  # tools panel
    send(page, "Show me the edges of the image", astronaut)
    chat = page.locator("#chat")
    expect(chat.get_by_text("Received image/")).to_be_visible(timeout=TIMEOUT_MS)
    expect(chat.get_by_text("Here is the edge map: image/")).to_be_visible(timeout=TIMEOUT_MS)
    edge_image = chat.locator("img[src*='_edge_']")
    expect(edge_image.first).to_be_visible(timeout=TIMEOUT_MS)
    assert edge_image.first.evaluate("img => img.complete && img.naturalWidth") == 512  # it loaded
    expect(chat.get_by_text("Step 1: Edge Detection On Image")).to_be_visible()
    expect(page.locator("#it-image")).to_contain_text('"it" = image/')  # the edge map is what "it" means now
    expect(page.locator("#retry")).to_be_enabled()
    expect(chat.get_by_text("Show me the edges of the image")).to_have_count(1)  # the human's own message
    expect(chat.locator("img[src*='astronaut']")).to_have_count(1)  # and the photo sent with it
    page.get_by_text("Trace of each step").click()
    expect(page.locator("#trace")).to_contain_text("Edge Detection On Image")
    page.get_by_text("Not available here, and how to enable them").click()
    expect(page.get_by_text("to --load").first).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "browser_edge_map.png"), full_page=True)


def test_browser_stop_and_new_session_during_a_turn(launch, astronaut, page):
    from playwright.sync_api import expect

    llm = GatedLLM(EdgeMapLLM())
    url, sessions = launch(llm)
    forbidden = []
    page.on("response", lambda response: forbidden.append(response.url) if response.status >= 400 else None)
    page.goto(url)
    chat = page.locator("#chat")
    send(page, "Show me the edges of the image", astronaut)
    assert llm.streaming.wait(TIMEOUT_MS / 1000)  # the model is mid-reply
    expect(page.locator("#message textarea")).to_be_disabled()  # no second message while this one runs
    page.locator("#stop").click()
    expect(page.locator("#status")).to_contain_text("Stopping", timeout=TIMEOUT_MS)
    llm.gate.set()
    expect(chat.get_by_text("Stopped.", exact=True)).to_be_visible(timeout=TIMEOUT_MS)
    expect(page.locator("#message textarea")).to_be_enabled(timeout=TIMEOUT_MS)
    expect(page.locator("#stop")).to_be_disabled()
    assert not list(sessions.workspaces()[0].glob("image/*_edge_*.png"))  # the tool never ran

    llm.gate.clear()
    llm.streaming.clear()
    send(page, "Show me the edges of the image")
    assert llm.streaming.wait(TIMEOUT_MS / 1000)
    (old_folder,) = sessions.workspaces()
    page.locator("#new-session").click()
    page.wait_for_timeout(500)
    assert old_folder.is_dir()  # New session waits for the stopped turn before removing its folder
    llm.gate.set()
    expect(chat.get_by_text("Received image/")).to_have_count(0, timeout=TIMEOUT_MS)
    expect(page.locator("#status")).to_contain_text("New session", timeout=TIMEOUT_MS)
    expect(page.locator("#message textarea")).to_be_enabled()
    page.wait_for_timeout(1000)  # a late update of the stopped turn would show up now
    expect(chat.get_by_text("Show me the edges")).to_have_count(0)
    assert not old_folder.exists() and len(sessions.workspaces()) == 1
    assert forbidden == []  # no broken image or refused request on the way
