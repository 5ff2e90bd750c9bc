"""Requests for several edits at once: each one is done (agent/several_edits.py)."""

from __future__ import annotations

import pytest

from agent.several_edits import edit_not_run
from tools.catalog import default_registry

TOOLS = default_registry().subset(
    ("Rotate Image", "Resize Image", "Crop Image", "Blur Region", "Edge Detection On Image", "Hed Detection On Image")
)


@pytest.mark.parametrize(
    ("request_text", "called", "missing"),
    [
        ("make it bigger and rotate it by 90 degrees", ["Rotate Image"], "Resize Image"),
        ("rotate it 90 degrees and then show me the edges", ["Rotate Image"], "Edge Detection On Image"),
        ("crop the top half, then turn it upside down", ["Crop Image"], "Rotate Image"),
        ("show me the soft edges and make it 128x128", ["Hed Detection On Image"], "Resize Image"),
        ("make it bigger and rotate it by 90 degrees", ["Rotate Image", "Resize Image"], None),  # both done
        ("make it bigger and rotate it by 90 degrees", [], None),  # nothing ran: the other rules' turn
        ("rotate it by 90 degrees", ["Rotate Image"], None),  # one edit
        ("thanks for the resize, now show me the edges", ["Edge Detection On Image"], None),
        ("turn it into a sketch and show me the edges", ["Edge Detection On Image"], None),  # no rotation
        # seen in a drive: after the resize, a crop was opened for "the crop" and failed
        ("make the crop 2x bigger", ["Resize Image"], None),
        ("this blur is too weak, make it 2x bigger", ["Resize Image"], None),
        ("blur the face and make it bigger", ["Resize Image"], "Blur Region"),
    ],
)
def test_which_edit_of_several_did_not_run(request_text, called, missing):
    assert edit_not_run(request_text, called, TOOLS) == missing


@pytest.mark.parametrize(
    ("request_text", "written", "meant"),
    [
        # seen in a drive: "crop her face and rotate it 180" was rotated by 18000.05
        ("crop her face and rotate it 180", "image/a.png, 18000.05", "image/a.png, 180"),
        ("crop it and rotate it by 45 degrees", "image/a.png, 45.0", "image/a.png, 45.0"),  # the same angle
        ("rotate it 90 degrees clockwise after the crop", "image/a.png, 90", "image/a.png, -90"),
        ("crop it and rotate it", "image/a.png, 30", "image/a.png, 30"),  # no angle stated
        ("rotate it by 10 degrees and then by 20 degrees", "image/a.png, 5", "image/a.png, 5"),  # several
    ],
)
def test_a_later_rotation_turns_by_the_angle_stated(request_text, written, meant):
    from agent.several_edits import with_stated_angle
    from protocol.steps import ToolCall

    assert with_stated_angle(ToolCall("", "Rotate Image", written), request_text).action_input == meant
    resize = ToolCall("", "Resize Image", "image/a.png, 10, 10")
    assert with_stated_angle(resize, request_text) is resize


def test_a_later_call_on_an_undone_image_works_on_the_image_now(tiny_tokenizer, tmp_path):
    """Seen in a drive: after "go back to the original", "crop her face and rotate it 180" rotated the blurred image
    the undo had gone back from, by 18000."""
    from PIL import Image

    from agent.loop import Agent, ChatSession
    from protocol.prompt import PromptTemplate
    from tests.agent_fakes import FakeRuntime, ScriptedLLM
    from tests.session_fakes import answer, call
    from tools.workspace import Workspace

    runtime = FakeRuntime(names=("Blur Region", "Crop Image", "Rotate Image"))
    llm = ScriptedLLM([])
    agent = Agent(llm, runtime, PromptTemplate.load("en"), tiny_tokenizer, context_length=4096)
    session = ChatSession(Workspace(tmp_path / "ws"))
    photo = agent.introduce_image(session, Image.new("RGB", (32, 32), "white")).name
    llm.replies = [call("Blur Region", f"{photo}, 2, 3, 20, 21"), answer("Done.")]
    (blurred,) = agent.chat(session, "blur 2, 3, 20, 21").files
    agent.chat(session, "go back to the original")
    llm.replies += [
        call("Crop Image", f"{photo}, 0, 0, 16, 16"),
        answer("Done."),  # set aside: the agent opens the rotation, and the model writes its input
        f" {blurred}, 18000\nObservation:",
        answer("Done."),
    ]
    agent.chat(session, "crop it to 0, 0, 16, 16 and rotate it 180")
    cropped = runtime.calls[-2]
    assert cropped == ("Crop Image", f"{photo}, 0, 0, 16, 16")
    assert runtime.calls[-1][0] == "Rotate Image" and runtime.calls[-1][1].endswith(", 180")
    assert blurred not in runtime.calls[-1][1]


@pytest.mark.parametrize(
    ("request_text", "angle", "other_numbers"),
    [
        ("crop her face and rotate it 180", "180", []),  # a bare number a rotation verb takes
        ("turn it 90", "90", []),
        ("rotate it by 45 degrees", "45", []),
        ("turn it 2x bigger", None, ["2"]),  # a size, not an angle
        ("rotate it 10, then crop 0, 0, 5, 5", "10", ["0", "0", "5", "5"]),
        ("crop it to 0,0,100,100", None, ["0", "0", "100", "100"]),
    ],
)
def test_the_angle_a_request_states(request_text, angle, other_numbers):
    from agent.stated_numbers import numbers_besides_size_and_angle, stated_angle

    assert stated_angle(request_text) == angle
    assert numbers_besides_size_and_angle(request_text) == other_numbers


@pytest.mark.parametrize(
    ("request_text", "tool", "called", "unasked"),
    [
        # seen in a drive: the face was detected, then the photo sketched and the sketch presented
        ("can you detect her face and draw a box around it?", "Sketch Detection On Image", ["Detection"], True),
        ("detect her face and show me the edges", "Edge Detection On Image", ["Detection"], False),  # asked
        ("rotate it and turn it into a drawing", "Sketch Detection On Image", ["Rotate Image"], False),  # a synonym
        ("draw a box around her face", "Sketch Detection On Image", [], False),  # nothing ran yet: the model's turn
        ("detect her face and blur it", "Blur Region", ["Detection"], False),  # an edit, not a map
    ],
)
def test_a_map_nobody_asked_for_after_another_tool(request_text, tool, called, unasked):
    from agent.several_edits import map_unasked

    tools = default_registry()
    assert map_unasked(request_text, tool, called, tools) is unasked
