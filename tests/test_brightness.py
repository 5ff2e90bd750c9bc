"""Which picture is brighter: measured from the pixels, answered without the model."""

from __future__ import annotations

import pytest
from PIL import Image

from agent.brightness import asks_which_is_brighter, brightness_answer, mean_brightness
from agent.loop import Agent, ChatSession
from protocol.prompt import PromptTemplate
from tests.agent_fakes import FakeRuntime, ScriptedLLM
from tools.workspace import Workspace


@pytest.mark.parametrize(
    ("request_text", "asks"),
    [
        ("which one is brighter", True),
        ("which is darker?", True),
        ("ok which of them is the lightest one", True),
        ("which one is brighter, and blur it", False),  # asks for more
        ("make it brighter", False),  # an edit, not a question
        ("which one is bigger?", False),
    ],
)
def test_which_requests_ask_which_is_brighter(request_text, asks):
    assert asks_which_is_brighter(request_text) is asks


def test_the_answer_orders_the_images_from_the_one_asked_for_with_their_figures():
    measured = {"image/a.png": 200.2, "image/b.png": 40.4}
    assert brightness_answer("which one is brighter", measured).startswith(
        "image/a.png (200) is brighter than image/b.png (40)"
    )
    assert brightness_answer("which is darker?", measured).startswith("image/b.png (40) is darker than image/a.png")
    three = brightness_answer("which is the darkest", {**measured, "image/c.png": 90})
    assert three.startswith("image/b.png (40) is the darkest, then image/c.png (90), then image/a.png (200)")
    assert "as bright as each other" in brightness_answer("which is brighter", {"a": 10.2, "b": 9.9})
    assert mean_brightness(Image.new("RGB", (4, 4), (255, 255, 255))) == 255


def test_the_agent_answers_which_upload_is_brighter_without_the_model(tiny_tokenizer, tmp_path):
    """Seen in a drive: "which one is brighter" of two uploads was answered "I could not answer that"."""
    llm = ScriptedLLM([])
    agent = Agent(llm, FakeRuntime(), PromptTemplate.load("en"), tiny_tokenizer, context_length=4096)
    session = ChatSession(Workspace(tmp_path / "ws"))
    dark = agent.introduce_image(session, Image.new("RGB", (8, 8), (20, 20, 20))).name
    light = agent.introduce_image(session, Image.new("RGB", (8, 8), (230, 230, 230))).name
    reply = agent.chat(session, "which one is brighter?")
    assert reply.text.startswith(f"{light} (230) is brighter than {dark} (20)") and llm.prompts == []


@pytest.mark.parametrize(
    ("request_text", "asks"),
    [
        ("is this photo black and white?", True),  # seen in a --cli drive: a made-up tool was said to be missing
        ("is it in colour?", True),
        ("is the image grayscale", True),
        ("make it black and white", False),
        ("is the cat black and white?", False),  # of the cat, which the pixels do not tell
    ],
)
def test_which_requests_ask_whether_the_picture_is_black_and_white(request_text, asks):
    from agent.brightness import asks_if_grey

    assert asks_if_grey(request_text) is asks


def test_black_and_white_is_told_from_the_pixels():
    from agent.brightness import HAS_COLOUR, IS_GREY, grey_answer, grey_share

    grey = Image.new("RGB", (20, 10), (90, 90, 90))
    coloured = Image.new("RGB", (20, 10), (200, 40, 40))
    assert grey_share(grey) == 1.0 and grey_share(coloured) == 0.0
    assert grey_answer("is it black and white?", "image/a.png", 1.0) == "Yes: " + IS_GREY.format(
        image="image/a.png", share=1.0
    )
    assert grey_answer("is it in color?", "image/a.png", 0.0) == "Yes: " + HAS_COLOUR.format(
        image="image/a.png", share=1.0
    )
    assert grey_answer("is it in color?", "image/a.png", 1.0).startswith("No: ")
