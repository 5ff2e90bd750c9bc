"""A profile picture is the square around the face with some room (agent/profile_picture.py)."""

from __future__ import annotations

import pytest
from PIL import Image

from agent.loop import Agent, ChatSession
from agent.profile_picture import AS_A_CROP, as_a_profile_picture
from protocol.prompt import PromptTemplate
from tests.agent_fakes import FakeRuntime, ScriptedLLM
from tests.session_fakes import answer, call
from tools.workspace import Workspace


@pytest.mark.parametrize(
    ("request_text", "crop"),
    [
        ("make it a profile picture", True),  # seen in a --cli drive: the background was removed
        ("make it into a profile pic", True),
        ("use this as my avatar", True),
        ("crop a headshot", True),
        ("i want a profile picture for linkedin", True),
        ("what is a profile picture?", False),
        ("make it a profile picture and blur the background", False),  # more than that
    ],
)
def test_which_requests_ask_for_a_profile_picture(request_text, crop):
    assert (as_a_profile_picture(request_text) == AS_A_CROP) is crop


def test_a_profile_picture_is_the_square_around_the_face_found_with_room(tiny_tokenizer, tmp_path):
    runtime = FakeRuntime(names=("Detection", "Crop Image", "Remove the background"), found="face [180, 122, 265, 207]")
    llm = ScriptedLLM([])
    agent = Agent(llm, runtime, PromptTemplate.load("en"), tiny_tokenizer, context_length=4096)
    session = ChatSession(Workspace(tmp_path / "ws"))
    photo = agent.introduce_image(session, Image.new("RGB", (512, 512), "white")).name
    llm.replies = [call("Crop Image", f"{photo}, 0, 0, 300, 300"), f" {photo}\nObservation:"]
    llm.replies += [call("Crop Image", f"{photo}, 180, 122, 265, 207"), answer("Done.")]
    agent.chat(session, "make it a profile picture")
    assert runtime.calls[0] == ("Detection", photo)
    left, top, right, bottom = (int(number) for number in runtime.calls[-1][1].split(",")[1:])
    assert runtime.calls[-1][0] == "Crop Image" and right - left == bottom - top  # a square
    assert left <= 180 - 8 and top <= 122 - 8 and right >= 265 + 8 and bottom >= 207 + 8  # the face with room
