"""One tool on two images a request names: "the edges of the original and of the crop" (agent/named_pair.py)."""

from __future__ import annotations

import pytest
from PIL import Image

from agent.image_reference import meant_image
from agent.loop import Agent, ChatSession
from agent.named_pair import images_named
from protocol.prompt import PromptTemplate
from tests.agent_fakes import FakeRuntime, ScriptedLLM
from tests.session_fakes import answer, call
from tools.workspace import Workspace

UPLOAD, CROP = "image/aaaa1111.png", "image/4e34_crop_aaaa1111.png"


@pytest.mark.parametrize(
    ("request_text", "images"),
    [
        ("show me the edges of the original and of the crop", [UPLOAD, CROP]),
        ("rotate both the original and the crop by 90", [UPLOAD, CROP]),
        ("resize the cropped image and the original to 100x100", [CROP, UPLOAD]),
        ("blur the face and the phone number", []),  # no image named so
        ("show me the edges of the original and of the original", []),
        ("show me the edges of the crop", []),
    ],
)
def test_the_two_images_a_request_names(request_text, images):
    def resolve(words: str) -> str | None:
        return meant_image(words, [UPLOAD], CROP, (), [UPLOAD, CROP])

    assert images_named(request_text, resolve) == images


def test_the_edges_of_the_original_and_of_the_crop_are_both_drawn(tiny_tokenizer, tmp_path):
    """Seen in a --cli drive: after "crop her face", "show me the edges of the original and of the crop" drew the
    crop's edges alone and answered done."""
    runtime = FakeRuntime(names=("Crop Image", "Edge Detection On Image"))
    llm = ScriptedLLM([])
    agent = Agent(llm, runtime, PromptTemplate.load("en"), tiny_tokenizer, context_length=4096)
    session = ChatSession(Workspace(tmp_path / "ws"))
    photo = agent.introduce_image(session, Image.new("RGB", (64, 64), "white")).name
    llm.replies = [call("Crop Image", f"{photo}, 0, 0, 32, 32"), answer("Done.")]
    (crop,) = agent.chat(session, "crop it to 0, 0, 32, 32").files
    llm.replies += [call("Edge Detection On Image", crop), answer("Here are the edges."), "\nObservation:"]
    llm.replies += [answer("Here are the edges of both.")]
    reply = agent.chat(session, "show me the edges of the original and of the crop")
    drawn = sorted(argument for tool, argument in runtime.calls if tool == "Edge Detection On Image")
    assert drawn == sorted([photo, crop]) and len(reply.files) == 2
    assert all(name in reply.text for name in reply.files)  # the answer names both maps
    # seen in the same drive: "now rotate both by 90" rotated one of the two maps
    llm.replies += [call("Rotate Image", f"{reply.files[0]}, 90"), answer("Done."), ", 90\nObservation:"]
    llm.replies += [answer("Both rotated.")]
    agent.chat(session, "now rotate both by 90")
    turned = sorted(argument for tool, argument in runtime.calls if tool == "Rotate Image")
    assert turned == sorted(f"{name}, 90" for name in reply.files)
