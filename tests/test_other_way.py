""" "Rotate it the other way" turns the last rotation's source by the opposite angle (agent/other_way.py)."""

from __future__ import annotations

import pytest
from PIL import Image

from agent.loop import Agent, ChatSession
from agent.other_way import the_other_way
from protocol.prompt import PromptTemplate
from protocol.steps import ToolCall
from tests.agent_fakes import FakeRuntime, ScriptedLLM
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


def test_rotate_it_the_other_way_in_a_session(tiny_tokenizer, tmp_path):
    """Seen in the recorded demo: "rotate it the other way" rotated by -1."""
    runtime = FakeRuntime(names=("Rotate Image",))
    llm = ScriptedLLM([])
    agent = Agent(llm, runtime, PromptTemplate.load("en"), tiny_tokenizer, context_length=4096)
    session = ChatSession(Workspace(tmp_path / "ws"))
    photo = agent.introduce_image(session, Image.new("RGB", (16, 8))).name
    call = "Thought: Do I need to use a tool? Yes\nAction: Rotate Image\nAction Input: {}\nObservation:"
    done = "Thought: Do I need to use a tool? No\nAI: Done."
    llm.replies = [call.format(f"{photo}, -90"), done]
    (rotated,) = agent.chat(session, "rotate it 90 degrees clockwise").files
    llm.replies += [call.format(f"{rotated}, -1"), done]
    agent.chat(session, "no, rotate it the other way")
    assert runtime.calls[-1] == ("Rotate Image", f"{photo}, 90")


def test_an_answer_before_the_rotation_gives_way_to_it(tiny_tokenizer, tmp_path):
    """Seen with the research adapter: "no, rotate it the other way" was answered "Done! I saved the rotated image as"
    the last turn's result, with no call."""
    runtime = FakeRuntime(names=("Rotate Image",))
    llm = ScriptedLLM([])
    agent = Agent(llm, runtime, PromptTemplate.load("en"), tiny_tokenizer, context_length=4096)
    session = ChatSession(Workspace(tmp_path / "ws"))
    photo = agent.introduce_image(session, Image.new("RGB", (16, 8))).name
    call = "Thought: Do I need to use a tool? Yes\nAction: Rotate Image\nAction Input: {}\nObservation:"
    done = "Thought: Do I need to use a tool? No\nAI: Done! I saved the rotated image as {}."
    llm.replies = [call.format(f"{photo}, -90"), done.format("it")]
    (rotated,) = agent.chat(session, "rotate it 90 degrees clockwise").files
    llm.replies += [done.format(rotated), f" {rotated}, -1\nObservation:", done.format("the new one")]
    reply = agent.chat(session, "no, rotate it the other way")
    assert runtime.calls[-1] == ("Rotate Image", f"{photo}, 90") and len(reply.files) == 1
    assert reply.files[0] != rotated
