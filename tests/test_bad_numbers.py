"""Numbers no tool can take, said by the person, get one line that names the fix (agent/bad_numbers.py)."""

from __future__ import annotations

import pytest
from PIL import Image

from agent.bad_numbers import BAD_ANGLE, BAD_BOX, BAD_SIZE, bad_numbers_answer
from agent.loop import Agent, ChatSession
from protocol.prompt import PromptTemplate
from tests.agent_fakes import FakeRuntime, ScriptedLLM
from tools.outputs import MAX_RESIZE_SIDE
from tools.workspace import Workspace


@pytest.mark.parametrize(
    ("request_text", "expected"),
    [
        ("resize to -5", BAD_SIZE.format(said="-5", most=MAX_RESIZE_SIDE)),  # seen in a drive: -5000 x 5000 was called
        ("resize it to 0x100", BAD_SIZE.format(said="0x100", most=MAX_RESIZE_SIDE)),
        ("make it -200 by 300", BAD_SIZE.format(said="-200 by 300", most=MAX_RESIZE_SIDE)),
        ("rotate by abc", BAD_ANGLE.format(said="abc")),  # seen in a drive: rotated by 90, "Done!"
        ("rotate it by abc degrees", BAD_ANGLE.format(said="abc")),  # seen in a --cli drive: turned 300 degrees
        ("rotate it by ninety degrees", None),
        ("turn it by lots", BAD_ANGLE.format(said="lots")),
        ("resize it to 640x480", None),
        ("make it 300 pixels wide", None),
        ("make it 0.5x", None),
        ("rotate it by ninety", None),  # a number in words
        ("rotate it by -30", None),
        ("rotate by a bit", None),
        ("rotate the photo by quarter", None),
        # seen in a --cli drive: made 8192 wide and called done
        ("resize to 100000 wide", BAD_SIZE.format(said="100000", most=MAX_RESIZE_SIDE)),
        ("make it 20000x20000", BAD_SIZE.format(said="20000x20000", most=MAX_RESIZE_SIDE)),
        ("make it 8000 wide", None),
        ("crop 10,10,100", BAD_BOX.format(said="10,10,100")),  # seen in a --cli drive: cropped 10, 10, 10000, 10
        ("blur 0, 0, 1, 2, 3", BAD_BOX.format(said="0, 0, 1, 2, 3")),
        ("crop it to 10, 10, 100, 100", None),
    ],
)
def test_which_numbers_no_tool_takes(request_text, expected):
    assert bad_numbers_answer(request_text) == expected


def test_a_size_below_one_is_answered_before_the_model(tiny_tokenizer, tmp_path):
    llm = ScriptedLLM([])
    runtime = FakeRuntime(names=("Resize Image", "Rotate Image"))
    agent = Agent(llm, runtime, PromptTemplate.load("en"), tiny_tokenizer, context_length=4096)
    session = ChatSession(Workspace(tmp_path / "ws"))
    agent.introduce_image(session, Image.new("RGB", (16, 8)))
    assert agent.chat(session, "resize to -5").text == BAD_SIZE.format(said="-5", most=MAX_RESIZE_SIDE)
    assert llm.prompts == [] and runtime.calls == []
