""" "Why did you do that?", "that's wrong", "are you sure?" are answered from the last turn (agent/feedback.py)."""

from __future__ import annotations

import pytest
from PIL import Image

from agent.feedback import (
    DOUBT_ANSWER,
    NO_TOOL_LAST,
    NO_TOOL_YET,
    STEPS_ANSWER,
    WHY_ANSWER,
    WRONG_ANSWER,
    asks_about_the_last_turn,
)
from agent.loop import Agent, ChatSession
from protocol.prompt import PromptTemplate
from tests.agent_fakes import FakeRuntime, ScriptedLLM
from tests.session_fakes import answer, call
from tools.workspace import Workspace


@pytest.mark.parametrize(
    ("request_text", "asks"),
    [
        ("why did you do that?", True),  # seen in a drive: "I cannot see images myself, ..."
        ("why?", True),
        ("why did you rotate it?", True),
        ("that's wrong", True),
        ("no, that's not what I asked for", True),
        ("are you sure?", True),
        ("how sure are you?", True),  # seen in a --cli drive after a detection: "I could not answer that"
        ("how accurate is that?", True),
        ("how sure is the weather forecast?", False),
        ("did it work?", True),
        ("why is the sky blue?", False),  # general knowledge: the model's
        ("no, I meant the first photo", False),  # a correction (agent/redo.py)
        ("that's wrong, rotate it the other way", False),  # a request follows
        ("is it red?", False),
    ],
)
def test_which_messages_ask_about_the_last_turn(request_text, asks):
    assert asks_about_the_last_turn(request_text) is asks


@pytest.mark.parametrize(
    ("request_text", "template"),
    [
        ("why did you do that?", WHY_ANSWER),
        ("that's wrong", WRONG_ANSWER),
        ("are you sure?", DOUBT_ANSWER),
        ("how many steps did you take?", STEPS_ANSWER),  # seen in a --cli drive: "I used 1 step." after two calls
    ],
)
def test_the_last_turn_is_told_from_its_request_and_calls(tiny_tokenizer, tmp_path, request_text, template):
    runtime = FakeRuntime(names=("Rotate Image",))
    llm = ScriptedLLM([])
    agent = Agent(llm, runtime, PromptTemplate.load("en"), tiny_tokenizer, context_length=4096)
    session = ChatSession(Workspace(tmp_path / "ws"))
    photo = agent.introduce_image(session, Image.new("RGB", (16, 8), "white")).name
    assert agent.chat(session, request_text).text == NO_TOOL_YET
    llm.replies = [call("Rotate Image", f"{photo}, 90"), answer("Done.")]
    (rotated,) = agent.chat(session, "rotate it 90 degrees").files
    steps = f"I ran Rotate Image on {photo}, 90 (it made {rotated})"
    told = template.format(request="rotate it 90 degrees", steps=steps, count="1 step")
    assert agent.chat(session, request_text).text == told
    assert agent.chat(session, request_text).text == told  # asked again: still of the rotation
    llm.replies += [answer("A photo is a picture.")]
    agent.chat(session, "what is a photo?")  # a turn that runs no tool
    said = agent.chat(session, request_text).text
    assert said == NO_TOOL_LAST.format(request="what is a photo?", said="A photo is a picture.")
    assert runtime.calls == [("Rotate Image", f"{photo}, 90")] and len(llm.prompts) == 3


def test_why_after_a_refusal_is_told_of_the_refusal(tiny_tokenizer, tmp_path):
    """Seen in a drive: "why?" after "make it look warmer" was refused explained the rotation before it."""
    runtime = FakeRuntime(names=("Rotate Image",))
    llm = ScriptedLLM([])
    agent = Agent(llm, runtime, PromptTemplate.load("en"), tiny_tokenizer, context_length=4096)
    session = ChatSession(Workspace(tmp_path / "ws"))
    photo = agent.introduce_image(session, Image.new("RGB", (16, 8), "white")).name
    llm.replies = [call("Rotate Image", f"{photo}, 90"), answer("Done.")]
    agent.chat(session, "rotate it 90 degrees")
    refused = agent.chat(session, "make it look warmer")
    assert refused.by_agent and "not loaded" in refused.text
    told = agent.chat(session, "why?").text
    assert told == NO_TOOL_LAST.format(request="make it look warmer", said=refused.text)
    assert agent.chat(session, "why?").text == told  # asked again: still of the refusal
    assert len(llm.prompts) == 2


def test_a_failed_call_is_told_with_why_it_failed(tiny_tokenizer, tmp_path):
    """Seen in a drive: "why?" after a resize the tool refused was answered as if no tool had run (a size above the
    largest is now answered before the model: the tool refuses another here)."""
    runtime = FakeRuntime(names=("Resize Image",), fail=lambda tool: "resize to 2000x1 is out of range")
    llm = ScriptedLLM([])
    agent = Agent(llm, runtime, PromptTemplate.load("en"), tiny_tokenizer, context_length=4096)
    session = ChatSession(Workspace(tmp_path / "ws"))
    photo = agent.introduce_image(session, Image.new("RGB", (16, 8), "white")).name
    llm.replies = [call("Resize Image", f"{photo}, 2000, 1"), answer("I could not do that.")]
    agent.chat(session, "resize it to 2000x1")
    steps = f"I ran Resize Image on {photo}, 2000, 1, which failed: resize to 2000x1 is out of range"
    assert agent.chat(session, "why?").text == WHY_ANSWER.format(request="resize it to 2000x1", steps=steps)


def test_what_was_asked_before_is_told_from_the_conversation(tiny_tokenizer, tmp_path):
    """Seen in a drive: "what did I ask you before?" was answered 'You asked me, "What would you like to do?"'."""
    from agent.feedback import ASKED_BEFORE, NOTHING_ASKED

    runtime = FakeRuntime(names=("Rotate Image",))
    agent = Agent(ScriptedLLM([]), runtime, PromptTemplate.load("en"), tiny_tokenizer, context_length=4096)
    session = ChatSession(Workspace(tmp_path / "ws"))
    photo = agent.introduce_image(session, Image.new("RGB", (16, 16))).name
    assert agent.chat(session, "what did I ask you before?").text == NOTHING_ASKED
    agent.llm.replies = [call("Rotate Image", f"{photo}, 90"), answer("Done.")]
    agent.chat(session, "rotate it 90 degrees")
    agent.llm.replies = [answer("Hello!")]
    agent.chat(session, "thanks")
    prompts = len(agent.llm.prompts)
    assert agent.chat(session, "what did I ask you before?").text == ASKED_BEFORE.format(request="thanks")
    assert agent.chat(session, "what was my first question?").text == ASKED_BEFORE.format(
        request="rotate it 90 degrees"
    )
    # seen in a --cli drive: 'The tool called "Detection" found "face" and "upper body".'
    assert agent.chat(session, "what was the first thing I asked?").text == ASKED_BEFORE.format(
        request="rotate it 90 degrees"
    )
    assert len(agent.llm.prompts) == prompts
