"""Requests for several edits at once: each one is done (agent/several_edits.py)."""

from __future__ import annotations

import pytest

from agent.loop import TraceStep
from agent.several_edits import (
    edit_not_run,
    edit_out_of_order,
    edits_in_order,
    on_the_last_edit,
    reads_instead_of_editing,
    with_the_parts_size,
)
from protocol.steps import ToolCall
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


def test_an_edit_of_a_map_the_model_drew_in_its_place_is_not_run():
    """Seen in the session run: asked to "make the sketch bigger", the model called the sketch (shown again) and
    answered; the resize is the step left."""
    tools = default_registry()
    assert edit_not_run("make the sketch bigger", ["Sketch Detection On Image"], tools) == "Resize Image"
    assert edit_not_run("make the sketch bigger", ["Sketch Detection On Image", "Resize Image"], tools) is None


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
    reply = agent.chat(session, "crop it to 0, 0, 16, 16 and rotate it 180")
    assert runtime.calls[-2] == ("Crop Image", f"{photo}, 0, 0, 16, 16")
    assert runtime.calls[-1] == ("Rotate Image", f"{reply.steps[0].files[0]}, 180")  # the crop, turned


@pytest.mark.parametrize(
    ("request_text", "angle", "other_numbers"),
    [
        ("crop her face and rotate it 180", "180", []),  # a bare number a rotation verb takes
        ("turn it 90", "90", []),
        ("rotate it by 45 degrees", "45", []),
        ("turn it 2x bigger", None, []),  # a scale: neither an angle nor a box's number
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


@pytest.mark.parametrize(
    ("request_text", "tool", "called", "unasked"),
    [
        # seen in the session set: the research adapter detected the face, then cropped it and presented the crop
        ("what objects are in this image?", "Crop Image", ["Detection"], True),
        ("is there any text on the sign?", "Rotate Image", ["Text Detection On Image"], True),
        ("what objects are in this image?", "Crop Image", [], False),  # nothing found yet: the model's turn
        ("is it possible to crop her face?", "Crop Image", ["Detection"], False),  # asked
        ("detect her face and blur it", "Blur Region", ["Detection"], False),  # no question
        ("how many cats are there?", "Edge Detection On Image", ["Detection"], False),  # a map: map_unasked's
    ],
)
def test_an_edit_nobody_asked_for_after_a_search(request_text, tool, called, unasked):
    from agent.several_edits import edit_unasked

    assert edit_unasked(request_text, tool, called, default_registry()) is unasked


@pytest.mark.parametrize(
    ("request_text", "tool", "called", "beyond"),
    [
        # seen in a --cli drive: the cat was found, then its background removed and the cut-out became "it"
        ("find the cat and put a box around it", "Remove the background", ["Detection"], True),
        ("find the cat and remove the background", "Remove the background", ["Detection"], False),  # asked
        ("find the cat and crop it", "Remove the background", ["Detection"], False),  # an edit asked: its rules
        ("put a box around the cat", "Remove the background", [], False),  # nothing searched yet
        ("find the cat", "Edge Detection On Image", ["Detection"], False),  # a map: map_unasked's
        ("find the cat", "Blur Region", ["Detection"], False),  # a box edit: pending_edit's
    ],
)
def test_an_image_nobody_asked_for_after_a_search(request_text, tool, called, beyond):
    from agent.tool_words import image_beyond_the_search

    assert image_beyond_the_search(request_text, tool, called, default_registry()) is beyond


@pytest.mark.parametrize(
    ("request_text", "tool", "called", "beyond"),
    [
        # seen in a drive: the square crop done, the model resized the crop to 500 x 0
        ("crop the bigger one to a square", "Resize Image", ["Crop Image"], True),
        ("crop it to a square and rotate it", "Rotate Image", ["Crop Image"], False),  # asked, not yet done
        ("crop it to a square", "Crop Image", ["Crop Image"], False),  # the asked edit again: the model's
        ("rotate it by 90 degrees", "Crop Image", ["Rotate Image"], True),
        ("rotate it by 45 degrees but keep the size", "Crop Image", ["Rotate Image"], False),  # the kept size's cut
        ("show me the edges", "Crop Image", ["Edge Detection On Image"], True),  # a map asked alone
        ("blur the face", "Blur Region", ["Detection"], False),
    ],
)
def test_an_edit_after_every_asked_one(request_text, tool, called, beyond):
    from agent.tool_words import edit_beyond_the_asked

    assert edit_beyond_the_asked(request_text, tool, called, default_registry()) is beyond


@pytest.mark.parametrize(
    ("request_text", "order"),
    [
        ("crop her face and rotate it 180", ["Crop Image", "Rotate Image"]),  # asked_edits alone: rotation first
        ("make it bigger and rotate it by 90 degrees", ["Resize Image", "Rotate Image"]),
        ("show me the edges, then crop the top half", ["Edge Detection On Image", "Crop Image"]),
        ("blur the face and crop it", ["Blur Region", "Crop Image"]),
    ],
)
def test_edits_in_the_order_asked(request_text, order):
    assert edits_in_order(request_text, TOOLS) == order


@pytest.mark.parametrize(
    ("request_text", "asked"),
    [
        # seen in a drive: "make the sketch bigger" drew the sketch again, then resized the new one
        ("make the sketch bigger", ["Resize Image"]),
        ("rotate the edge map 90 degrees", ["Rotate Image"]),
        ("crop the top half and show me the edges", ["Crop Image", "Edge Detection On Image"]),  # a map asked for
        ("make a sketch and make it bigger", ["Resize Image", "Sketch Detection On Image"]),
    ],
)
def test_a_map_an_edit_works_on_is_not_asked_anew(request_text, asked):
    from agent.several_edits import asked_edits

    assert asked_edits(request_text, default_registry()) == asked


FACE = TraceStep(1, "", "Detection", "image/aaaa.png", "face [1, 2, 30, 40]", True)


@pytest.mark.parametrize(
    ("request_text", "tool", "steps", "waiting"),
    [
        # seen in a drive: after the detection the model rotated the photo, and the face was cropped unrotated
        ("crop her face and rotate it 180", "Rotate Image", [FACE], "Crop Image"),
        ("crop her face and rotate it 180", "Rotate Image", [], None),  # no box to crop yet: the model's call runs
        ("crop her face and rotate it 180", "Crop Image", [FACE], None),  # the first asked
        ("make it bigger and rotate it by 90 degrees", "Rotate Image", [], "Resize Image"),
        ("make it bigger and rotate it by 90 degrees", "Rotate Image",
         [TraceStep(1, "", "Resize Image", "image/aaaa.png, 64, 64", "image/b_resize_aaaa.png", True)], None),
        ("rotate it by 90 degrees", "Rotate Image", [], None),
        ("crop her face and rotate it 180", "Edge Detection On Image", [FACE], None),  # not asked
    ],
)  # fmt: skip
def test_an_edit_asked_for_first_runs_first(request_text, tool, steps, waiting):
    assert edit_out_of_order(request_text, tool, steps, TOOLS) == waiting


def made(tool: str, source: str, name: str) -> TraceStep:
    return TraceStep(1, "", tool, source, name, True, (name,))


PHOTO, CROP, BLUR, EDGES = (
    "image/aaaa.png",
    "image/c1_crop_aaaa.png",
    "image/b1_blur_aaaa.png",
    "image/e1_edge_aaaa.png",
)


@pytest.mark.parametrize(
    ("request_text", "steps", "written", "expected"),
    [
        # seen in a drive: the edges of the photo before the crop
        ("crop the top half and show me the edges", [made("Crop Image", PHOTO, CROP)],
         ("Edge Detection On Image", PHOTO), ("Edge Detection On Image", CROP)),
        ("crop the top half and rotate it 90", [made("Crop Image", PHOTO, CROP)],
         ("Rotate Image", f"{PHOTO}, 90"), ("Rotate Image", f"{CROP}, 90")),
        # a box found on the photo is not a box of its crop
        ("crop it to 0,0,9,9 and blur the face", [made("Crop Image", PHOTO, CROP)],
         ("Blur Region", f"{PHOTO}, 1, 2, 3, 4"), ("Blur Region", f"{PHOTO}, 1, 2, 3, 4")),
        # a blur moves no pixel: the crop of "blur her face and crop it" is of the blurred photo
        ("blur her face and crop it", [FACE, made("Blur Region", PHOTO, BLUR)],
         ("Crop Image", f"{PHOTO}, 1, 2, 30, 40"), ("Crop Image", f"{BLUR}, 1, 2, 30, 40")),
        ("crop the top half and show me the edges of the original", [made("Crop Image", PHOTO, CROP)],
         ("Edge Detection On Image", PHOTO), ("Edge Detection On Image", PHOTO)),
        ("show me the edges and rotate it 90", [made("Edge Detection On Image", PHOTO, EDGES)],
         ("Rotate Image", f"{PHOTO}, 90"), ("Rotate Image", f"{PHOTO}, 90")),  # a map is not an edit to go on from
        ("show me the edges", [made("Crop Image", PHOTO, CROP)],
         ("Edge Detection On Image", PHOTO), ("Edge Detection On Image", PHOTO)),  # one thing asked
    ],
)  # fmt: skip
def test_a_later_call_works_on_the_last_edit(request_text, steps, written, expected):
    made_from = {CROP: PHOTO, BLUR: PHOTO, EDGES: PHOTO}
    call = ToolCall("Do I need to use a tool? Yes", *written)
    chained = on_the_last_edit(request_text, call, steps, made_from, uploads=[PHOTO], tools=TOOLS)
    assert (chained.tool, chained.action_input) == expected


def test_crop_her_face_and_rotate_it_crops_then_turns_the_crop(tiny_tokenizer, tmp_path):
    """Seen in a drive: after the detection the model rotated the whole photo, then the face was cropped from the
    unrotated photo: two images, neither the one asked for."""
    from PIL import Image

    from agent.loop import Agent, ChatSession
    from protocol.prompt import PromptTemplate
    from tests.agent_fakes import FakeRuntime, ScriptedLLM
    from tests.session_fakes import answer, call
    from tools.workspace import Workspace

    runtime = FakeRuntime(names=("Detection", "Crop Image", "Rotate Image"))
    llm = ScriptedLLM([])
    agent = Agent(llm, runtime, PromptTemplate.load("en"), tiny_tokenizer, context_length=4096)
    session = ChatSession(Workspace(tmp_path / "ws"))
    photo = agent.introduce_image(session, Image.new("RGB", (16, 16), "white")).name
    llm.replies = [
        call("Detection", photo),
        call("Rotate Image", f"{photo}, 180"),  # set aside: the crop is asked for first
        f" {photo}, 0, 0, 8, 8\nObservation:",
        call("Rotate Image", f"{photo}, 180"),  # on the photo the crop was made from
        answer("Done."),
    ]
    reply = agent.chat(session, "crop her face and rotate it 180")
    cropped = reply.steps[1].files[0]
    assert runtime.calls == [
        ("Detection", photo),
        ("Crop Image", f"{photo}, 0, 0, 8, 8"),
        ("Rotate Image", f"{cropped}, 180"),
    ]
    assert reply.steps[2].files[0] in reply.text


def test_an_edit_left_when_the_steps_run_out_is_told(tiny_tokenizer, tmp_path):
    from PIL import Image

    from agent.loop import STEPS_RAN_OUT, Agent, ChatSession
    from protocol.prompt import PromptTemplate
    from tests.agent_fakes import FakeRuntime, ScriptedLLM
    from tests.session_fakes import answer, call
    from tools.workspace import Workspace

    runtime = FakeRuntime(names=("Resize Image", "Rotate Image"))
    llm = ScriptedLLM([])
    agent = Agent(llm, runtime, PromptTemplate.load("en"), tiny_tokenizer, context_length=4096, max_steps=2)
    session = ChatSession(Workspace(tmp_path / "ws"))
    photo = agent.introduce_image(session, Image.new("RGB", (16, 16), "white")).name
    llm.replies = [call("Rotate Image", f"{photo}, 90"), answer("Done.")]
    reply = agent.chat(session, "rotate it by 90 degrees and make it 32x32")
    assert reply.text.endswith(STEPS_RAN_OUT.format(tool="Resize Image", steps=2))


@pytest.mark.parametrize(
    ("request_text", "tool", "instead"),
    [
        # seen in a drive: the sign was read, not resized
        ("make the sign bigger so I can read it better", "Text Detection On Image", "Resize Image"),
        ("make it 2x bigger and read it again", "Text Detection On Image", None),  # a reading asked for
        ("what does the sign say?", "Text Detection On Image", None),
        ("make the sign bigger", "Resize Image", None),  # the model's call is the edit
        ("thanks, that's readable", "Text Detection On Image", None),  # no edit asked
    ],
)
def test_a_reading_in_place_of_the_edit_asked(request_text, tool, instead):
    assert reads_instead_of_editing(request_text, tool, TOOLS) == instead


@pytest.mark.parametrize(
    ("request_text", "written", "meant"),
    [
        ("crop the cat and make it 200x200", "200, 0", "200, 200"),  # seen in a drive: the resize failed
        ("crop it to 0,0,100,100 and resize to 50 by 60", "100, 100", "50, 60"),  # the numbers of the size's part
        ("rotate it 90 and make it bigger", "200, 0", "200, 0"),  # no size stated
    ],
)
def test_a_later_resize_takes_the_size_its_part_states(request_text, written, meant):
    call = ToolCall("Do I need to use a tool? Yes", "Resize Image", f"image/a.png, {written}")
    assert with_the_parts_size(call, request_text).action_input == f"image/a.png, {meant}"


def test_crop_and_make_it_bigger_scales_the_crop(tiny_tokenizer, tmp_path):
    """Seen in a drive: "crop his face and make it bigger" resized the 85 x 85 crop of a 512 x 512 photo to 1024 x
    1024, twice the photo's size; twice the crop's is meant."""
    from PIL import Image

    from agent.loop import Agent, ChatSession
    from protocol.prompt import PromptTemplate
    from tests.agent_fakes import FakeRuntime, ScriptedLLM
    from tests.session_fakes import answer, call
    from tools.runtime import Observation
    from tools.workspace import Workspace

    class CroppingRuntime(FakeRuntime):
        def run(self, tool_name: str, action_input: str, workspace: Workspace) -> Observation:
            if tool_name != "Crop Image":
                return super().run(tool_name, action_input, workspace)
            self.calls.append((tool_name, action_input))
            source, *box = (part.strip() for part in action_input.split(","))
            name = workspace.save_image(workspace.open_image(source).crop(tuple(map(int, box))), "crop", source)
            return Observation(name, True, (name,), 0.01)

    runtime = CroppingRuntime(names=("Crop Image", "Resize Image"))
    llm = ScriptedLLM([])
    agent = Agent(llm, runtime, PromptTemplate.load("en"), tiny_tokenizer, context_length=4096)
    session = ChatSession(Workspace(tmp_path / "ws"))
    photo = agent.introduce_image(session, Image.new("RGB", (40, 40), "white")).name
    llm.replies = [call("Crop Image", f"{photo}, 0, 0, 10, 10"), call("Resize Image", f"{photo}, 80, 80"), answer("")]
    reply = agent.chat(session, "crop it to 0, 0, 10, 10 and make it twice as big")
    cropped = reply.steps[0].files[0]
    assert runtime.calls[-1] == ("Resize Image", f"{cropped}, 20, 20")


def test_a_lone_edit_is_run_after_a_lookup_nobody_asked_for(tiny_tokenizer, tmp_path):
    """Seen in a --cli drive: "upscale it" ran Detection and was answered "I found that face is [176, 65, 273, 162].\""""
    from PIL import Image

    from agent.loop import Agent, ChatSession
    from agent.several_edits import lone_edit_not_run
    from protocol.prompt import PromptTemplate
    from tests.agent_fakes import FakeRuntime, ScriptedLLM
    from tests.session_fakes import answer, call
    from tools.catalog import default_registry
    from tools.workspace import Workspace

    tools = default_registry()
    assert lone_edit_not_run("upscale it", ["Detection"], tools) == "Resize Image"
    assert lone_edit_not_run("is it bigger now?", ["Detection"], tools) is None  # a question
    assert lone_edit_not_run("blur the face", ["Detection"], tools) is None  # its box comes from the detection
    assert lone_edit_not_run("upscale it", ["Rotate Image"], tools) is None  # an edit ran: not a lookup alone
    runtime = FakeRuntime(names=("Detection", "Resize Image"), found="face [1, 2, 5, 6]")
    llm = ScriptedLLM([call("Detection", "image/x.png"), answer("I found that face is [1, 2, 5, 6].")])
    agent = Agent(llm, runtime, PromptTemplate.load("en"), tiny_tokenizer, context_length=4096)
    session = ChatSession(Workspace(tmp_path / "ws"))
    photo = agent.introduce_image(session, Image.new("RGB", (64, 64), "white")).name
    llm.replies = [
        call("Detection", photo),
        answer("I found that face is [1, 2, 5, 6]."),
        f" {photo}, 9, 9\nObservation:",
    ]
    llm.replies += [answer("Done.")]
    agent.chat(session, "upscale it")
    assert runtime.calls[-1] == ("Resize Image", f"{photo}, 128, 128")  # twice its size, as "bigger" with no amount


def test_a_first_call_of_a_later_edit_gives_way_to_the_edit_asked_first(tiny_tokenizer, tmp_path):
    """Seen in a --cli drive: asked to "crop the cat and rotate it 45 degrees", the model rotated first; the cat was
    not found on the turned picture and the crop never ran."""
    from PIL import Image

    from agent.loop import Agent, ChatSession
    from protocol.prompt import PromptTemplate
    from tests.agent_fakes import OBSERVED_IMAGE_RE, FakeRuntime, ScriptedLLM
    from tests.session_fakes import answer, call
    from tools.workspace import Workspace

    runtime = FakeRuntime(names=("Detection", "Crop Image", "Rotate Image"), found="cat [2, 2, 20, 20]")
    llm = ScriptedLLM([])
    agent = Agent(llm, runtime, PromptTemplate.load("en"), tiny_tokenizer, context_length=4096)
    session = ChatSession(Workspace(tmp_path / "ws"))
    photo = agent.introduce_image(session, Image.new("RGB", (32, 32), "white")).name
    llm.replies = [
        call("Rotate Image", f"{photo}, 45"),  # set aside: the detector is opened, and the model writes its input
        f" {photo}\nObservation:",
        call("Crop Image", f"{photo}, 2, 2, 20, 20"),
        lambda prompt: call("Rotate Image", f"{OBSERVED_IMAGE_RE.findall(prompt)[-1]}, 45"),
        answer("Done."),
    ]
    reply = agent.chat(session, "crop the cat and rotate it 45 degrees")
    assert llm.prompts[1].endswith("Action: Detection\nAction Input:")
    assert [tool for tool, _ in runtime.calls] == ["Detection", "Crop Image", "Rotate Image"]
    assert runtime.calls[-1] == ("Rotate Image", f"{reply.steps[1].files[0]}, 45")  # the crop, turned
    # the edit asked first of numbers is left to the model's order
    runtime.calls.clear()
    llm.replies += [call("Rotate Image", f"{photo}, 90"), answer("Done.")]
    agent.chat(session, "crop it to 0, 0, 16, 16 and rotate it 90")
    assert runtime.calls[0][0] == "Rotate Image"
