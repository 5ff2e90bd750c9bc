"""A crop with room around its box: "crop it with some margin" (agent/margin.py)."""

from __future__ import annotations

import pytest
from PIL import Image

from agent.loop import Agent, ChatSession
from agent.margin import asks_for_a_margin, with_asked_margin
from protocol.prompt import PromptTemplate
from protocol.steps import ToolCall
from tests.agent_fakes import FakeRuntime, ScriptedLLM
from tests.session_fakes import answer, call
from tools.workspace import Workspace


@pytest.mark.parametrize(
    ("request_text", "box"),
    [
        ("crop it with some margin", "41, 0, 451, 300"),  # a tenth of the box's width and height on each side
        ("crop the cat with a bit of padding", "41, 0, 451, 300"),
        ("crop to her face with 20 pixels of padding", "58, 0, 451, 300"),
        ("crop her face, leave 20 pixels around it", "58, 0, 451, 300"),
        ("crop it with a 10px border", "68, 0, 451, 300"),
        ("crop it", "78, 0, 446, 300"),  # no margin asked
    ],
)
def test_the_margin_asked_grows_the_crop_inside_the_picture(request_text, box):
    found = {("78", "0", "446", "300")}
    cropped = ToolCall("", "Crop Image", "image/a.png, 78, 0, 446, 300")
    grown = with_asked_margin(cropped, request_text, lambda name: (451, 300), found)
    assert grown.action_input == f"image/a.png, {box}"
    blurred = ToolCall("", "Blur Region", "image/a.png, 78, 0, 446, 300")
    assert with_asked_margin(blurred, request_text, lambda name: (451, 300), found) == blurred  # crops only
    roomy = ToolCall("", "Crop Image", "image/a.png, 41, 0, 451, 300")  # a box of its own: its margin may be there
    assert with_asked_margin(roomy, request_text, lambda name: (451, 300), found) == roomy
    assert not asks_for_a_margin("what is the margin of error?")


def test_a_crop_with_some_margin_of_a_found_cat_has_room_around_it(tiny_tokenizer, tmp_path):
    """Seen in a --cli drive: "crop it with some margin" after "find the cat" cropped to the cat's box exactly."""
    runtime = FakeRuntime(names=("Detection", "Crop Image"), found="cat [100, 50, 200, 150]")
    llm = ScriptedLLM([])
    agent = Agent(llm, runtime, PromptTemplate.load("en"), tiny_tokenizer, context_length=4096)
    session = ChatSession(Workspace(tmp_path / "ws"))
    photo = agent.introduce_image(session, Image.new("RGB", (451, 300), "white")).name
    llm.replies = [call("Detection", photo), answer("The cat is at cat [100, 50, 200, 150].")]
    agent.chat(session, "find the cat")
    llm.replies += [call("Crop Image", f"{photo}, 100, 50, 200, 150"), answer("Done.")]
    assert agent.chat(session, "crop it with some margin").files
    assert runtime.calls[-1] == ("Crop Image", f"{photo}, 90, 40, 210, 160")
