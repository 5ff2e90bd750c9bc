"""A rotation asked to keep the picture's size: the rotated canvas cut back to it (agent/kept_size.py)."""

from __future__ import annotations

import pytest
from PIL import Image

from agent.kept_size import NOT_KEPT, keeps_the_size, size_not_keepable, size_not_kept, with_kept_size
from agent.loop import Agent, ChatSession, TraceStep
from protocol.prompt import PromptTemplate
from protocol.steps import ToolCall
from tests.agent_fakes import FakeRuntime, ScriptedLLM
from tests.session_fakes import answer, call
from tools.catalog import default_registry
from tools.workspace import Workspace

TOOLS = default_registry().subset(("Rotate Image", "Crop Image", "Resize Image"))
PHOTO, TURNED = "image/aaaa.png", "image/r1_rotate_aaaa.png"
SIZES = {PHOTO: (512, 512), TURNED: (725, 725)}
ROTATION = TraceStep(1, "", "Rotate Image", f"{PHOTO}, 45", TURNED, True, (TURNED,))


@pytest.mark.parametrize(
    ("request_text", "keeps"),
    [
        ("rotate it 45 degrees but keep the same size", True),  # seen in a drive: the canvas grew to 725 x 725
        ("turn it by 30 degrees without changing the size", True),
        ("rotate it 10 degrees and keep its original dimensions", True),
        ("rotate it 45 degrees", False),
        ("make it the same size as the other one", False),  # no rotation
    ],
)
def test_which_requests_keep_the_size_of_a_rotation(request_text, keeps):
    assert keeps_the_size(request_text, TOOLS) is keeps


def test_the_crop_is_the_middle_at_the_sources_size():
    request = "rotate it 45 degrees but keep the same size"
    assert size_not_kept(request, [ROTATION], TOOLS, SIZES.get) == "Crop Image"
    assert size_not_kept("rotate it 45 degrees", [ROTATION], TOOLS, SIZES.get) is None
    cropped = TraceStep(2, "", "Crop Image", f"{TURNED}, 106, 106, 618, 618", "image/c1.png", True, ("image/c1.png",))
    assert size_not_kept(request, [ROTATION, cropped], TOOLS, SIZES.get) is None  # done
    written = ToolCall("Do I need to use a tool? Yes", "Crop Image", f"{PHOTO}, 0, 0, 45, 45")
    kept = with_kept_size(written, request, [ROTATION], TOOLS, SIZES.get)
    assert kept.action_input == f"{TURNED}, 106, 106, 618, 618"
    assert with_kept_size(written, "rotate it 45 degrees", [ROTATION], TOOLS, SIZES.get) == written
    turned_90 = TraceStep(1, "", "Rotate Image", f"{PHOTO}, 90", TURNED, True, (TURNED,))
    sideways = {PHOTO: (600, 400), TURNED: (400, 600)}  # a quarter turn of a wide photo: no middle at its size
    assert size_not_kept("rotate it 90 but keep the size", [turned_90], TOOLS, sideways.get) is None


def test_a_size_that_cannot_be_kept_is_said():
    """Seen in a drive: "rotate that 45 and keep the size" of a 640 x 142 strip presented the 553 x 553 canvas as
    asked (the strip's box does not fit in it)."""
    strip = {PHOTO: (640, 142), TURNED: (553, 553)}
    request = "rotate that 45 and keep the size"
    assert size_not_keepable(request, [ROTATION], TOOLS, strip.get) == NOT_KEPT.format(
        width=640, height=142, turned_width=553, turned_height=553
    )
    assert size_not_keepable(request, [ROTATION], TOOLS, SIZES.get) is None  # the crop keeps it
    assert size_not_keepable("rotate that 45", [ROTATION], TOOLS, strip.get) is None  # not asked


def test_a_rotation_that_keeps_the_size_is_cut_back_to_it(tiny_tokenizer, tmp_path):
    runtime = FakeRuntime(names=("Rotate Image", "Crop Image"))
    run = runtime.run

    def rotating(tool, argument, workspace):  # the fake filters keep the size; a rotation grows the canvas
        if tool != "Rotate Image":
            return run(tool, argument, workspace)
        from tools.runtime import Observation

        name = workspace.save_image(Image.new("RGB", (46, 46)), "rotate", argument.split(",")[0])
        return Observation(name, True, (name,), 0.01)

    runtime.run = rotating
    llm = ScriptedLLM([])
    agent = Agent(llm, runtime, PromptTemplate.load("en"), tiny_tokenizer, context_length=4096)
    session = ChatSession(Workspace(tmp_path / "ws"))
    photo = agent.introduce_image(session, Image.new("RGB", (32, 32), "white")).name
    llm.replies = [
        call("Rotate Image", f"{photo}, 45"),
        answer("Done."),  # set aside: the crop back to 32 x 32
        f" {photo}, 0, 0, 5, 5\nObservation:",
        answer("Done."),
    ]
    reply = agent.chat(session, "rotate it 45 degrees but keep the same size")
    turned = reply.steps[0].files[0]
    assert runtime.calls[-1] == ("Crop Image", f"{turned}, 7, 7, 39, 39")
    assert reply.files[-1] == reply.steps[-1].files[0]  # the crop is the last image shown
