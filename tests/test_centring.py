"""A found thing put in the middle by a crop: "make the cat the center of the image" (agent/centring.py)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from PIL import Image

from agent.centring import centred_crop
from agent.loop import Agent, ChatSession
from protocol.prompt import PromptTemplate
from tests.agent_fakes import FakeRuntime, ScriptedLLM
from tests.session_fakes import answer, call
from tools.workspace import Workspace

FOUND = SimpleNamespace(ok=True, action="Detection", action_input="image/a.png", observation="cat [78, 0, 446, 300]")


@pytest.mark.parametrize(
    ("request_text", "box"),
    [
        ("make the cat the center of the image", "image/a.png, 73, 0, 451, 300"),
        ("center the cat", "image/a.png, 73, 0, 451, 300"),
        ("can you put the cat in the middle of the photo?", "image/a.png, 73, 0, 451, 300"),
        ("crop it so the cat is in the centre", "image/a.png, 73, 0, 451, 300"),
        ("make her face the center of the image", None),  # no face was found
        ("crop the center", None),  # a part by its place (agent/stated_numbers.py)
        ("make the cat the center and blur it", None),
    ],
)
def test_the_crop_is_the_largest_box_centred_on_what_was_found(request_text, box):
    centred = centred_crop(request_text, [FOUND], lambda name: (451, 300))
    assert (centred.action_input if centred else None) == box
    if centred:
        assert centred.tool == "Crop Image"


def test_the_cat_asked_to_be_in_the_middle_is_cropped_around_without_the_model(tiny_tokenizer, tmp_path):
    """Seen in a --cli drive: "make the cat the center of the image" after "find the cat" rotated the crop by 300."""
    runtime = FakeRuntime(names=("Detection", "Crop Image", "Rotate Image"), found="cat [78, 0, 446, 300]")
    llm = ScriptedLLM([])
    agent = Agent(llm, runtime, PromptTemplate.load("en"), tiny_tokenizer, context_length=4096)
    session = ChatSession(Workspace(tmp_path / "ws"))
    photo = agent.introduce_image(session, Image.new("RGB", (451, 300), "white")).name
    llm.replies = [call("Detection", photo), answer("The cat is at cat [78, 0, 446, 300].")]
    agent.chat(session, "find the cat")
    llm.replies += [" Done! The cat is in the middle now."]
    reply = agent.chat(session, "make the cat the center of the image")
    assert runtime.calls[-1] == ("Crop Image", f"{photo}, 73, 0, 451, 300")
    assert reply.files and reply.files[-1] == session.latest_image
