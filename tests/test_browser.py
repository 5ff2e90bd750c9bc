"""The demo in a real browser: headless Debian Chromium driven by Playwright (slow; CI runs it).

Loads the page, uploads the astronaut, asks for an edge map and sees an image in the reply; the page is
saved as ``artifacts/browser_edge_map.png``.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from PIL import Image

from agent.loop import Agent
from protocol.prompt import PromptTemplate
from tests.agent_fakes import EdgeMapLLM
from tests.test_app import free_port
from tools.runtime import ToolRuntime
from ui.app import SessionFactory, build_app

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
def app_url(tiny_tokenizer, tmp_path):
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    runtime = ToolRuntime.from_load("Image2Canny_cpu,ImageCropping_cpu")
    agent = Agent(EdgeMapLLM(), runtime, PromptTemplate.load("en"), tiny_tokenizer, context_length=4096)
    demo = build_app(agent, SessionFactory(tmp_path / "sessions"))
    port = free_port()
    demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    yield f"http://127.0.0.1:{port}/"
    demo.close()


def test_browser_upload_ask_for_edges_and_see_the_image(app_url, tmp_path):
    from playwright.sync_api import expect, sync_playwright
    from skimage import data

    astronaut = tmp_path / "astronaut.png"
    Image.fromarray(data.astronaut()).save(astronaut)
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(app_url)
            expect(page.get_by_text("Edge Detection On Image").first).to_be_visible(timeout=TIMEOUT_MS)  # tools panel
            page.locator("input[type=file]").first.set_input_files(str(astronaut))
            chat = page.locator("#chat")
            expect(chat.get_by_text("Received image/")).to_be_visible(timeout=TIMEOUT_MS)
            page.locator("#message textarea").fill("Show me the edges of the image")
            page.locator("#message textarea").press("Enter")
            expect(chat.get_by_text("Here is the edge map: image/")).to_be_visible(timeout=TIMEOUT_MS)
            edge_image = chat.locator("img[src*='_edge_']")
            expect(edge_image.first).to_be_visible(timeout=TIMEOUT_MS)
            assert edge_image.first.evaluate("img => img.complete && img.naturalWidth") == 512  # it loaded
            expect(chat.get_by_text("Step 1: Edge Detection On Image")).to_be_visible()
            page.screenshot(path=str(ARTIFACTS / "browser_edge_map.png"), full_page=True)
        finally:
            browser.close()
