"""The size of a box a detector found, told from its corners (agent/box_size.py)."""

from __future__ import annotations

import pytest
from PIL import Image

from agent.box_size import BOX_SIZE, NO_BOX, SHARE, asks_for_the_box_size, box_size_answer, found_size_answer
from agent.loop import Agent, ChatSession
from protocol.prompt import PromptTemplate
from tests.agent_fakes import FakeRuntime, ScriptedLLM
from tests.session_fakes import answer, call
from tools.catalog import default_registry
from tools.workspace import Workspace


@pytest.mark.parametrize(
    ("request_text", "asks"),
    [
        ("how big is the box?", True),  # seen in a --cli drive: the model cropped the photo to the box
        ("what size is the cat's box?", True),
        ("how large is the bounding box around her face?", True),
        ("what are the box's dimensions?", True),
        ("how big is the image?", False),  # the picture's: agent/image_facts.py
        ("how big is the crop?", False),
        ("put a box around the cat", False),
    ],
)
def test_which_requests_ask_how_big_a_found_box_is(request_text, asks):
    assert asks_for_the_box_size(request_text) is asks


def test_the_last_detections_boxes_are_measured_without_the_model(tiny_tokenizer, tmp_path):
    runtime = FakeRuntime(names=("Detection", "Crop Image"), found="cat [78, 0, 446, 300]")
    llm = ScriptedLLM([])
    agent = Agent(llm, runtime, PromptTemplate.load("en"), tiny_tokenizer, context_length=4096)
    session = ChatSession(Workspace(tmp_path / "ws"))
    photo = agent.introduce_image(session, Image.new("RGB", (451, 300), "white")).name
    assert agent.chat(session, "how big is the box?").text == NO_BOX  # nothing found yet
    llm.replies = [call("Detection", photo), answer("The cat is at cat [78, 0, 446, 300].")]
    agent.chat(session, "find the cat and put a box around it")
    prompts = len(llm.prompts)
    reply = agent.chat(session, "how big is the box?")
    assert reply.text == BOX_SIZE.format(label="cat", box="78, 0, 446, 300", width=368, height=300)
    assert len(llm.prompts) == prompts and not reply.files and [tool for tool, _ in runtime.calls] == ["Detection"]


def test_each_box_is_measured():
    class Found:
        action, action_input, ok = "Detection", "image/a.png", True
        observation = "face [10, 20, 30, 60], cat [0, 0, 5, 5]"

    assert box_size_answer([Found()]) == (
        "The face's box [10, 20, 30, 60] is 20 x 40 pixels (width x height). "
        "The cat's box [0, 0, 5, 5] is 5 x 5 pixels (width x height)."
    )


def test_how_big_a_found_thing_is_is_its_box_and_its_share_of_the_picture(tiny_tokenizer, tmp_path):
    """Seen in a --cli drive: "how big is the cat in the photo?" after "find the cat" was refused (no tool answers
    questions about an image), though the cat's box was found."""
    runtime = FakeRuntime(names=("Detection", "Crop Image"), found="cat [78, 0, 446, 300]")
    llm = ScriptedLLM([])
    agent = Agent(llm, runtime, PromptTemplate.load("en"), tiny_tokenizer, context_length=4096)
    session = ChatSession(Workspace(tmp_path / "ws"))
    photo = agent.introduce_image(session, Image.new("RGB", (451, 300), "white")).name
    llm.replies = [call("Detection", photo), answer("The cat is at cat [78, 0, 446, 300].")]
    agent.chat(session, "find the cat")
    told = agent.chat(session, "how big is the cat in the photo?").text
    box = BOX_SIZE.format(label="cat", box="78, 0, 446, 300", width=368, height=300)
    assert told == f"{box} {SHARE.format(share=82, width=451, height=300)}"
    assert agent.chat(session, "what size is the cat?").text == told
    assert len(llm.prompts) == 2
    assert found_size_answer("how large is her face?", session.reports, lambda name: (451, 300)) is None  # not found


def test_the_size_of_a_thing_no_detector_here_finds_is_not_made_up(tiny_tokenizer, tmp_path):
    """Seen in a --cli drive: "crop the cup" was refused for want of a box, then "what's the size of the cup?" was
    answered "The cup is 3000 x 4000." (the photo is 600 x 400)."""
    from agent.box_size import CANNOT_MEASURE

    runtime = FakeRuntime(names=("Detection", "Crop Image"))
    llm = ScriptedLLM([answer("The cup is 3000 x 4000.")])
    agent = Agent(llm, runtime, PromptTemplate.load("en"), tiny_tokenizer, context_length=4096)
    session = ChatSession(Workspace(tmp_path / "ws"))
    photo = agent.introduce_image(session, Image.new("RGB", (600, 400), "white")).name
    told = agent.chat(session, "what's the size of the cup?").text
    assert told == CANNOT_MEASURE.format(what="cup", image=photo, width=600, height=400) and not llm.prompts
    assert found_size_answer("how big is the picture?", [], lambda name: (6, 4), photo) is None  # its own size
    assert found_size_answer("how big is the cat?", [], lambda name: (6, 4), photo) is None  # to be found first
    assert found_size_answer("how tall is the horse?", [], lambda name: (6, 4), photo) is None  # of the world
    runtime.available = default_registry().subset(("Detection", "Detect the Give Object", "Crop Image"))
    assert not agent.chat(session, "how big is the cup?").text.startswith("I can't measure")  # it may find a cup


def test_how_big_a_cat_is_with_no_detection_yet_runs_the_detector(tiny_tokenizer, tmp_path):
    """Seen in a Gradio drive: "How big is the cat in the photo?" with no detection run yet was answered that the tool
    for questions about a picture is missing; the detector finds the cat, and its box is measured."""
    runtime = FakeRuntime(names=("Detection", "Crop Image"), found="cat [78, 0, 446, 300]")
    missing = "I can't see images myself, and no tool here answers questions about an image."
    llm = ScriptedLLM([])
    agent = Agent(llm, runtime, PromptTemplate.load("en"), tiny_tokenizer, context_length=4096)
    session = ChatSession(Workspace(tmp_path / "ws"))
    photo = agent.introduce_image(session, Image.new("RGB", (451, 300), "white")).name
    llm.replies = [answer(missing), f" {photo}\nObservation:", answer("The cat is at cat [78, 0, 446, 300].")]
    told = agent.chat(session, "how big is the cat in the photo?").text
    box = BOX_SIZE.format(label="cat", box="78, 0, 446, 300", width=368, height=300)
    assert told == f"{box} {SHARE.format(share=82, width=451, height=300)}"
    assert runtime.calls == [("Detection", photo)]
