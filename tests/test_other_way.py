""" "Rotate it the other way" turns the last rotation's source by the opposite angle (agent/other_way.py)."""

from __future__ import annotations

import pytest
from PIL import Image

from agent.loop import Agent, ChatSession
from agent.other_way import NOT_ROTATED, TURNED_BACK, rotation_answer, the_other_way
from protocol.prompt import PromptTemplate
from protocol.steps import ToolCall
from tests.agent_fakes import FakeRuntime, ScriptedLLM
from tests.session_fakes import answer, call
from tools.workspace import Workspace

ROTATED = "image/b2b2_rotate_a1a1.png"
MADE_BY = {ROTATED: "Rotate Image: image/a1a1.png, -90", "image/c3c3_edge_a1a1.png": "Edge Detection On Image: x"}


@pytest.mark.parametrize(
    ("request_text", "latest", "expected"),
    [
        ("no, rotate it the other way", ROTATED, "image/a1a1.png, 90"),
        ("turn it in the opposite direction", ROTATED, "image/a1a1.png, 90"),
        ("rotate it 90 degrees", ROTATED, f"{ROTATED}, -1"),  # not the other way: the call as written
        ("rotate it the other way", "image/c3c3_edge_a1a1.png", "image/c3c3_edge_a1a1.png, -1"),  # no rotation made it
        ("rotate it the other way", "image/a1a1.png", "image/a1a1.png, -1"),  # an upload
    ],
)
def test_the_other_way_is_the_opposite_of_the_rotation_that_made_the_image(request_text, latest, expected):
    call = ToolCall("t", "Rotate Image", f"{latest}, -1")
    assert the_other_way(call, request_text, latest, MADE_BY).action_input == expected
    edges = ToolCall("t", "Edge Detection On Image", latest)
    assert the_other_way(edges, request_text, latest, MADE_BY) is edges  # only a rotation


@pytest.fixture
def uploaded(tiny_tokenizer, tmp_path):
    """An agent over a scripted model with Rotate Image, its session and a photo uploaded there."""
    runtime = FakeRuntime(names=("Rotate Image",))
    agent = Agent(ScriptedLLM([]), runtime, PromptTemplate.load("en"), tiny_tokenizer, context_length=4096)
    session = ChatSession(Workspace(tmp_path / "ws"))
    return agent, session, agent.introduce_image(session, Image.new("RGB", (16, 8))).name


@pytest.fixture
def rotated(uploaded):
    """An agent over a scripted model, its session and the photo it rotated 90 degrees clockwise, and that result."""
    agent, session, photo = uploaded
    agent.llm.replies = [call("Rotate Image", f"{photo}, -90"), answer("Done.")]
    (result,) = agent.chat(session, "rotate it 90 degrees clockwise").files
    return agent, session, photo, result


def test_rotate_it_the_other_way_in_a_session(rotated):
    """Seen in the recorded demo: "rotate it the other way" rotated by -1."""
    agent, session, photo, result = rotated
    agent.llm.replies += [call("Rotate Image", f"{result}, -1"), answer("Done.")]
    agent.chat(session, "no, rotate it the other way")
    assert agent.runtime.calls[-1] == ("Rotate Image", f"{photo}, 90")


def test_an_answer_before_the_rotation_gives_way_to_it(rotated):
    """Seen with the research adapter: "no, rotate it the other way" was answered "Done! I saved the rotated image as"
    the last turn's result, with no call."""
    agent, session, photo, result = rotated
    done = f"Done! I saved the rotated image as {result}."
    agent.llm.replies += [answer(done), f" {result}, -1\nObservation:", answer("Done.")]
    reply = agent.chat(session, "no, rotate it the other way")
    assert agent.runtime.calls[-1] == ("Rotate Image", f"{photo}, 90") and len(reply.files) == 1
    assert reply.files[0] != result


@pytest.mark.parametrize(
    ("request_text", "expected"),
    [
        ("now 45 more", f"{ROTATED}, -45"),  # seen in a drive: turned back by +45 after 45 clockwise
        ("another 30 degrees", f"{ROTATED}, -30"),
        ("rotate it 10 more degrees please", f"{ROTATED}, -10"),
        ("make it 45 more pixels wide", f"{ROTATED}, 45"),  # no rotation asked: the call as written
        ("a bit more", f"{ROTATED}, -45"),  # half the last 90; seen in a drive: turned back after 10 clockwise
        ("just a little more please", f"{ROTATED}, -45"),
    ],
)
def test_more_of_a_rotation_turns_further_the_same_way(request_text, expected):
    from agent.other_way import further_the_same_way

    call = ToolCall("t", "Rotate Image", f"{ROTATED}, 45")
    assert further_the_same_way(call, request_text, ROTATED, MADE_BY).action_input == expected
    upload = ToolCall("t", "Rotate Image", "image/a1a1.png, 45")
    assert further_the_same_way(upload, "45 more", "image/a1a1.png", MADE_BY) is upload  # no rotation made it


def test_more_of_a_rotation_in_a_session(rotated):
    agent, session, _, result = rotated
    agent.llm.replies += [call("Rotate Image", f"{result}, 45"), answer("Done.")]
    agent.chat(session, "now 45 more")
    assert agent.runtime.calls[-1] == ("Rotate Image", f"{result}, -45")


@pytest.mark.parametrize(
    ("request_text", "angle", "answered"),
    [
        # seen in a --cli drive: "rotate it a bit more" before any rotation turned 15 degrees, said nowhere
        ("rotate it a bit more", "15", "Done. It is turned 15 degrees counter-clockwise."),
        ("rotate it a little to the right", "-15", "Done. It is turned 15 degrees clockwise."),
        ("rotate it the other way", "90", "Done. It is turned 90 degrees counter-clockwise."),
        ("turn it upside down", "180", "Done. It is turned 180 degrees."),
        ("rotate it by 15 degrees", "15", "Done."),  # the request said it
    ],
)
def test_an_angle_the_request_left_open_is_told(request_text, angle, answered):
    from agent.loop import TraceStep
    from agent.other_way import with_angle_told

    step = TraceStep(1, "", "Rotate Image", f"image/a1a1.png, {angle}", "image/b.png", True)
    assert with_angle_told("Done.", request_text, [step]) == answered
    assert with_angle_told("Turned by 15 degrees.", request_text, [step]) == "Turned by 15 degrees."  # said already
    failed = TraceStep(1, "", "Rotate Image", f"image/a1a1.png, {angle}", "no such file", False)
    assert with_angle_told("Done.", request_text, [failed]) == "Done."


def test_a_slight_turn_in_a_session_says_how_far(uploaded):
    agent, session, photo = uploaded
    agent.llm.replies = [call("Rotate Image", f"{photo}, 3"), answer("Done.")]
    reply = agent.chat(session, "rotate it a bit more")
    assert agent.runtime.calls[-1] == ("Rotate Image", f"{photo}, 15")
    assert reply.text.endswith("It is turned 15 degrees counter-clockwise.")


CHAIN = {
    "image/b.png": "Rotate Image: image/a.png, 30",
    "image/c.png": "Crop Image: image/b.png, 0, 0, 5, 5",
    "image/d.png": "Rotate Image: image/c.png, -45",
    "image/e2.png": "Rotate Image: image/e.png, 45",
    "image/f.png": "Rotate Image: image/e2.png, -45",
    "image/g.png": "Rotate Image: image/e.png, 300",
}


@pytest.mark.parametrize(
    ("request_text", "latest", "expected"),
    [
        # seen in a --cli drive: every step since the upload ("image/... was made from image/...: Rotate Image (30) ...")
        (
            "how much did you rotate it?",
            "image/b.png",
            "image/b.png is image/a.png turned 30 degrees counter-clockwise.",
        ),
        (
            "by how many degrees did you turn it?",
            "image/d.png",
            "image/d.png is image/a.png turned 15 degrees clockwise (30 counter-clockwise, then 45 clockwise).",
        ),
        (
            "how much was it rotated?",
            "image/c.png",
            "image/c.png is image/a.png turned 30 degrees counter-clockwise.",
        ),
        ("what angle did you rotate it by?", "image/a.png", None),  # an upload: nothing made it
        # seen in a --cli drive: "turned 0 degrees (45 counter-clockwise, then 45 clockwise)"
        (
            "how much did you rotate it?",
            "image/f.png",
            "image/f.png is image/e.png turned back the way it was (45 counter-clockwise, then 45 clockwise).",
        ),
        ("how much did you rotate it?", "image/g.png", "image/g.png is image/e.png turned 60 degrees clockwise."),
        ("rotate it a bit more", "image/b.png", None),
        # seen in a --cli drive after "rotate it slightly to the left": it was rotated again
        (
            "how many degrees is slightly?",
            "image/b.png",
            "image/b.png is image/a.png turned 30 degrees counter-clockwise.",
        ),
    ],
)
def test_how_much_it_was_rotated_is_the_sum_of_the_rotations_since_the_upload(request_text, latest, expected):
    assert rotation_answer(request_text, latest, CHAIN) == expected


def test_how_much_an_image_no_rotation_made_was_rotated():
    made_by = {"image/c.png": "Crop Image: image/a.png, 0, 0, 5, 5"}
    assert rotation_answer("how much did you rotate it?", "image/c.png", made_by) == NOT_ROTATED.format(
        image="image/c.png", source="image/a.png"
    )


def test_how_much_it_was_rotated_in_a_session(rotated):
    agent, session, photo, result = rotated
    agent.llm.prompts = []
    reply = agent.chat(session, "how much did you rotate it?")
    assert reply.text == f"{result} is {photo} turned 90 degrees clockwise." and agent.llm.prompts == []


QUARTERS = {
    "image/q1.png": "Rotate Image: image/q0.png, 90",
    "image/q2.png": "Rotate Image: image/q1.png, 90",
    "image/q3.png": "Rotate Image: image/q2.png, 90",
    "image/q4.png": "Rotate Image: image/q3.png, 90",
    "image/q5.png": "Crop Image: image/q4.png, 0, 0, 5, 5",
}


def test_whether_it_is_back_to_normal_is_answered_from_the_rotations():
    """Seen in a --cli drive: "is it back to normal?" after four quarter turns resized the picture to 900 x 1000."""
    steps = " (90 counter-clockwise, then 90 counter-clockwise, then 90 counter-clockwise, then 90 counter-clockwise)"
    yes = rotation_answer("is it back to normal?", "image/q4.png", QUARTERS)
    assert yes == "Yes: " + TURNED_BACK.format(image="image/q4.png", source="image/q0.png", steps=steps)
    assert rotation_answer("is it upright again?", "image/q3.png", QUARTERS).startswith("No: image/q3.png is")
    assert rotation_answer("is it back to normal?", "image/q5.png", QUARTERS) is None  # a crop since: not said


def test_more_answered_before_the_rotation_gives_way_to_it(rotated):
    """Seen in a --cli drive: "more" after "rotate it a little to the left" was answered "Sorry, no loaded tool can add
    more images"."""
    agent, session, _, result = rotated
    agent.llm.replies += [answer("Sorry, no loaded tool can add more images."), f" {result}, 1\nObservation:"]
    agent.llm.replies += [answer("Done.")]
    agent.chat(session, "more")
    assert agent.runtime.calls[-1] == ("Rotate Image", f"{result}, -45")
