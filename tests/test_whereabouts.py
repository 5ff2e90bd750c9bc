""" "Where is the cat?" runs the detector and says where each box it found lies (agent/whereabouts.py)."""

from __future__ import annotations

import pytest
from PIL import Image

from agent.loop import Agent, ChatSession
from agent.whereabouts import asks_where, place_in_words, unlocated, whereabouts_answer
from protocol.prompt import PromptTemplate
from tests.agent_fakes import FakeRuntime, ScriptedLLM
from tests.session_fakes import answer
from tools.workspace import Workspace


@pytest.mark.parametrize(
    ("request_text", "asked", "finds"),
    [
        ("where is the cat?", "cat", True),  # seen in a drive: "no loaded tool can answer questions about an image"
        ("where's her face?", "face", True),
        ("where is the astronaut?", "astronaut", True),
        ("can you show me where she is?", "she", True),
        ("where are the faces in this photo?", "faces", True),
        ("where is the dog?", "dog", False),  # the detector finds no dogs: the model's
        ("where is it saved?", "", False),  # the file (agent/image_facts.py)
        ("where is the file?", "", False),
        ("blur the cat and tell me where it is", "", False),  # not the whole request
        ("find the faces in this photo", "faces", True),  # seen in a Gradio drive: "The nose is cat [78, 0, 446, 300]."
        ("find the faces and blur them", "", False),
        ("detect objects", "", False),  # not only what Detection finds
        ("is the cat on the left or the right?", "cat", True),  # seen in a drive: "The cat is on the left." of a crop
        ("which side of the photo is her face on?", "face", True),  # it filled
        ("is she in the middle?", "she", True),
        ("is it on the left?", "", False),  # "it": the image
        ("is the cat on the left and blur it", "", False),
    ],
)
def test_which_requests_ask_where_something_is(request_text, asked, finds):
    assert asks_where(request_text) == asked
    assert (unlocated(request_text, [], ["Detection"]) == "Detection") is finds
    assert unlocated(request_text, ["Detection"], ["Detection"]) is None  # it ran already
    assert unlocated(request_text, [], ["Crop Image"]) is None  # not loaded


@pytest.mark.parametrize(
    ("box", "words"),
    [
        ((176, 65, 273, 162), "at the top"),
        ((0, 0, 100, 100), "at the top left"),
        ((400, 400, 512, 512), "at the bottom right"),
        ((200, 200, 300, 300), "in the middle"),
        ((0, 200, 100, 300), "on the left"),
        ((0, 0, 512, 512), "in the middle"),
    ],
)
def test_a_place_in_words_is_the_third_of_the_picture_the_box_centre_is_in(box, words):
    assert place_in_words(box, 512, 512) == words


def test_a_box_that_takes_up_most_of_the_picture_is_said_to():
    """Asked "is the cat on the left or the right?" of a crop the cat filled, the answer had been "on the left"."""
    from agent.whereabouts import MOST_OF_IT

    asked = "is the cat on the left or the right?"
    filled = whereabouts_answer(asked, "Detection", "the picture", "cat [3, 0, 352, 300]", (355, 300))
    assert filled is not None and "in the middle" in filled and filled.endswith(MOST_OF_IT)
    small = whereabouts_answer(asked, "Detection", "the picture", "cat [0, 0, 100, 300]", (355, 300))
    assert small is not None and "on the left" in small and MOST_OF_IT not in small


@pytest.mark.parametrize(
    ("request_text", "observation", "expected"),
    [
        (
            "where is her face?",
            "face [176, 65, 273, 162]",
            "The face is at the top of image/a.png: face [176, 65, 273, 162] (left, top, right, bottom, in pixels); the"
            " copy shown marks it.",
        ),
        (  # a person's own box before the face that stands for it
            "where is the woman?",
            "face [176, 65, 273, 162], upper body [100, 50, 400, 500]",
            "The upper body is in the middle of image/a.png: upper body [100, 50, 400, 500] (left, top, right, bottom,"
            " in pixels); the copy shown marks it.",
        ),
        (
            "where are the faces?",
            "face [10, 10, 50, 50], face [400, 400, 500, 500]",
            "There are 2 faces on image/a.png: face [10, 10, 50, 50] at the top left, face [400, 400, 500, 500] at the"
            " bottom right (left, top, right, bottom, in pixels); the copy shown marks them.",
        ),
        (
            "where is the cat?",
            "face [176, 65, 273, 162]",
            "Detection found no cat on image/a.png; it found a face at the top.",
        ),
        (
            "where is the dog?",
            "cat [0, 0, 512, 512]",
            "Detection found no dog on image/a.png; it found a cat in the middle.",
        ),
        ("where is the cat?", "No object found.", None),  # the empty result says so
        ("how many cats are there?", "cat [0, 0, 512, 512]", None),  # not a where-question
    ],
)
def test_the_answer_says_where_each_box_found_lies(request_text, observation, expected):
    assert whereabouts_answer(request_text, "Detection", "image/a.png", observation, (512, 512)) == expected


def test_where_the_cat_is_runs_the_detector_and_names_no_marked_copy(tiny_tokenizer, tmp_path):
    """The model refused ("no loaded tool can answer questions about an image"); answered with the detector's box as
    "The face is at face [176, 65, 273, 162]." and the marked copy named, it took that copy for the photo next."""
    runtime = FakeRuntime(names=("Detection", "Crop Image"))
    llm = ScriptedLLM([])
    agent = Agent(llm, runtime, PromptTemplate.load("en"), tiny_tokenizer, context_length=4096)
    session = ChatSession(Workspace(tmp_path / "ws"))
    image = agent.introduce_image(session, Image.new("RGB", (24, 24), "white")).name
    llm.replies = [
        answer("I cannot see images myself, and no loaded tool can answer questions about an image."),
        f" {image}\nObservation:",
        answer("The face is at face [0, 0, 8, 8]."),
    ]
    reply = agent.chat(session, "where is her face?")
    assert runtime.calls == [("Detection", image)]
    assert reply.text == (
        "The face is at the top left of the picture: face [0, 0, 8, 8] (left, top, right, bottom, in pixels); the copy"
        " shown marks it."
    )
    (marked,) = reply.files  # the one image: named, the upload would be shown again
    assert marked == reply.steps[-1].files[0] and marked not in session.memory.turns[-1].text
