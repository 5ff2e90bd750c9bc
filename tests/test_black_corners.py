"""Cropping out the black corners a rotation leaves (agent/black_corners.py)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from PIL import Image

from agent.black_corners import NO_CORNERS, asks_to_crop_the_corners, corners_box, upright_inside
from agent.loop import Agent, ChatSession
from protocol.prompt import PromptTemplate
from tests.agent_fakes import ScriptedLLM
from tests.session_fakes import answer, call
from tools.runtime import ToolRuntime
from tools.workspace import Workspace


@pytest.mark.parametrize(
    ("request_text", "asks"),
    [
        ("crop out the black corners", True),  # seen in a --cli drive: asked for a box in pixels
        ("remove the black borders", True),
        ("get rid of the black bits please", True),
        ("crop the black cat", False),
        ("make the corners black", False),
        ("the corners are black, fix that", True),  # seen in a --cli drive: the model cropped 0, 0, 266, 266
        ("fix the black edges", True),
        ("the edges look black, can you crop them off?", True),
        ("why are the corners black?", False),  # a question
        ("the corners are black", False),  # nothing asked
    ],
)
def test_which_requests_ask_to_crop_the_black_corners(request_text, asks):
    assert asks_to_crop_the_corners(request_text) is asks


@pytest.mark.parametrize(("size", "angle"), [((600, 400), 15), ((600, 400), 30), ((512, 512), 45), ((300, 451), -20)])
def test_the_upright_box_inside_a_turned_picture_holds_no_black_pixel(size, angle):
    turned = Image.new("RGB", size, "white").rotate(angle, expand=True)
    width, height = upright_inside(*size, math.radians(angle))
    left, top = (turned.width - width) // 2, (turned.height - height) // 2
    kept = np.asarray(turned.crop((left, top, left + width, top + height)))
    assert (kept.min(axis=2) == 0).sum() == 0
    assert width * height > 0.3 * size[0] * size[1]  # not a sliver


def test_quarter_turns_leave_the_whole_picture():
    assert upright_inside(451, 300, math.radians(90)) == (300, 451)
    assert upright_inside(451, 300, 0.0) == (451, 300)


def test_rotations_that_cancel_crop_back_to_the_photo():
    made_by = {"image/b.png": "Rotate Image: image/a.png, 45", "image/c.png": "Rotate Image: image/b.png, -45"}
    sizes = {"image/a.png": (512, 512), "image/b.png": (725, 725), "image/c.png": (1028, 1028)}
    request = "crop out the black corners"
    assert corners_box(request, "image/c.png", made_by, sizes.get) == (258, 258, 770, 770)
    assert corners_box(request, "image/a.png", made_by, sizes.get) is None  # the upload: no rotation made it
    assert corners_box("crop the middle", "image/c.png", made_by, sizes.get) is None


def test_the_black_corners_are_cropped_after_a_real_rotation(tiny_tokenizer, tmp_path):
    runtime = ToolRuntime.from_load("ImageEditing_cpu,ImageCropping_cpu")
    llm = ScriptedLLM([])
    agent = Agent(llm, runtime, PromptTemplate.load("en"), tiny_tokenizer, context_length=4096)
    session = ChatSession(Workspace(tmp_path / "ws"))
    image = agent.introduce_image(session, Image.new("RGB", (600, 400), "white")).name
    llm.replies = [call("Rotate Image", f"{image}, 15"), answer("Done.")]
    (turned,) = agent.chat(session, "rotate it 15 degrees").files
    llm.replies, llm.prompts = [call("Crop Image", f"{turned}, 1500, 400, 2000, 2000"), answer("Done.")], []
    (cropped,) = agent.chat(session, "crop out the black corners").files
    kept = np.asarray(Image.open(tmp_path / "ws" / cropped).convert("RGB"))
    assert (kept.min(axis=2) == 0).sum() == 0 and kept.shape[:2] == (266, 549)
    llm.prompts = []
    assert agent.chat(session, "crop out the black corners").text == NO_CORNERS.format(image=cropped)
    assert llm.prompts == []


def test_a_rotation_and_its_corners_asked_at_once_are_both_done(tiny_tokenizer, tmp_path):
    """Seen in a --cli drive: "rotate it 30 degrees and crop out the black corners" was answered that the upload has
    no black corners (it was not made by Rotate Image)."""
    runtime = ToolRuntime.from_load("ImageEditing_cpu,ImageCropping_cpu")
    llm = ScriptedLLM([])
    agent = Agent(llm, runtime, PromptTemplate.load("en"), tiny_tokenizer, context_length=4096)
    session = ChatSession(Workspace(tmp_path / "ws"))
    image = agent.introduce_image(session, Image.new("RGB", (600, 400), "white")).name
    llm.replies = [call("Rotate Image", f"{image}, 15"), call("Crop Image", f"{image}, 1500, 400, 2000, 2000")]
    llm.replies += [answer("Done.")]
    reply = agent.chat(session, "rotate it 15 degrees and crop out the black corners")
    assert [step.action for step in reply.steps] == ["Rotate Image", "Crop Image"]
    kept = np.asarray(Image.open(tmp_path / "ws" / reply.files[-1]).convert("RGB"))
    assert (kept.min(axis=2) == 0).sum() == 0 and kept.shape[:2] == (266, 549)
