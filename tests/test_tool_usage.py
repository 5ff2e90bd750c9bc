"""How to use a tool, and how many are loaded, answered from the tools themselves (agent/tool_usage.py)."""

from __future__ import annotations

import pytest

from agent.loop import Agent, ChatSession
from agent.tool_usage import EXAMPLE_REQUESTS, usage_answer
from protocol.prompt import PromptTemplate
from tests.agent_fakes import FakeRuntime, ScriptedLLM
from tools.catalog import default_registry
from tools.workspace import Workspace

LOADED = [spec for spec in default_registry() if spec.name in ("Edge Detection On Image", "Blur Region", "Crop Image")]


@pytest.mark.parametrize(
    ("request_text", "tool"),
    [
        ("how do I use the edge detection?", "Edge Detection On Image"),  # seen in a --cli drive: "upload an image"
        ("how can I use edge detection", "Edge Detection On Image"),
        ("what does the blur do?", "Blur Region"),
        ("how do I use the crop tool?", "Crop Image"),
        ("what is the edge map for?", "Edge Detection On Image"),
        ("how do I use photoshop?", None),  # no tool of its name
        ("how do I use the depth map?", None),  # not loaded
        ("what does the sign say?", None),
    ],
)
def test_the_tool_asked_about(request_text, tool):
    answer = usage_answer(request_text, LOADED, has_image=False)
    if tool is None:
        assert answer is None
    else:
        assert answer.startswith(f"{tool}: ") and f'"{EXAMPLE_REQUESTS[tool]}"' in answer
        assert "Upload an image, then ask" in answer


def test_every_example_request_names_a_tool_of_the_catalogue():
    assert set(EXAMPLE_REQUESTS) <= set(default_registry().names)


def test_the_agent_answers_how_to_use_a_tool_and_how_many_there_are(tiny_tokenizer, tmp_path):
    """Seen in a --cli drive: "how many tools do you have?" was answered "I have 10 tools loaded, and one tool is Edge
    Detection On Image, which is not loaded." with twelve loaded, that one among them."""
    runtime = FakeRuntime(names=("Edge Detection On Image", "Crop Image"))
    llm = ScriptedLLM(["Thought: Do I need to use a tool? No\nAI: I have 10 tools."])
    agent = Agent(llm, runtime, PromptTemplate.load("en"), tiny_tokenizer, context_length=4096)
    session = ChatSession(Workspace(tmp_path / "ws"))
    told = agent.chat(session, "how many tools do you have?").text
    assert told == "2 tools are loaded here: Edge Detection On Image, Crop Image."
    how = agent.chat(session, "how do I use the edge detection?").text
    assert how.startswith("Edge Detection On Image: finds the edges") and "Upload an image, then ask" in how
    assert llm.prompts == [] and runtime.calls == []
