"""A goodbye is answered by the agent (agent/small_talk.py)."""

from __future__ import annotations

import pytest
from PIL import Image

from agent.loop import Agent, ChatSession
from agent.small_talk import FAREWELL, THANKED_FAREWELL, farewell_answer
from protocol.prompt import PromptTemplate
from tests.agent_fakes import FakeRuntime, ScriptedLLM
from tests.session_fakes import answer
from tools.workspace import Workspace


@pytest.mark.parametrize(
    ("request_text", "expected"),
    [
        ("bye", FAREWELL),
        ("ok bye", FAREWELL),
        ("see you later!", FAREWELL),
        ("that's all for now", FAREWELL),
        ("thanks bye", THANKED_FAREWELL),  # the model answered "Glad you're doing well."
        ("thank you so much, goodbye", THANKED_FAREWELL),
        ("bye, and thanks for the help", THANKED_FAREWELL),
        ("thanks!", None),  # thanks alone: the model answers ("You're welcome!")
        ("rotate it and bye", None),
        ("how do I say bye in french?", None),
    ],
)
def test_which_messages_only_say_goodbye(request_text, expected):
    assert farewell_answer(request_text) == expected


def test_a_goodbye_is_answered_without_the_model(tiny_tokenizer, tmp_path):
    """Seen in the recorded demo: "bye" after two uploads was answered "I don't have an image to work on yet"."""
    llm = ScriptedLLM([answer("I don't have an image to work on yet.")])
    agent = Agent(llm, FakeRuntime(), PromptTemplate.load("en"), tiny_tokenizer, context_length=4096)
    session = ChatSession(Workspace(tmp_path / "ws"))
    agent.introduce_image(session, Image.new("RGB", (8, 8)))
    assert agent.chat(session, "bye").text == FAREWELL
    assert llm.prompts == []


@pytest.mark.parametrize(
    ("request_text", "expected"),
    [
        ("lol", "LIKED"),  # seen in a drive: "no loaded tool can find a word or image (lol)"
        ("haha nice", "LIKED"),
        ("wow, that's great!", "LIKED"),
        ("looks good :)", "LIKED"),
        ("ok", "NOTED"),
        ("okay, got it", "NOTED"),
        ("thanks!", None),  # thanks: the model's, as trained
        ("cool, thanks", None),
        ("ok rotate it", None),
        ("nice. now blur it", None),
    ],
)
def test_which_messages_only_react(request_text, expected):
    from agent import small_talk

    assert small_talk.reaction_answer(request_text) == (getattr(small_talk, expected) if expected else None)


@pytest.mark.parametrize(
    ("request_text", "greets"),
    [
        ("hello", True),
        ("hi there!", True),
        ("good morning", True),
        ("hello, rotate it", False),
        ("hi, who made you?", False),
    ],
)
def test_a_greeting_is_answered_by_the_agent(request_text, greets):
    """Seen in a drive: "hello" after an upload was answered "Goodbye! Have a great day."."""
    from agent.small_talk import GREETING, GREETING_WITH_IMAGE, greeting_answer

    assert (greeting_answer(request_text, None) == GREETING) is greets
    expected = GREETING_WITH_IMAGE.format(image="image/a.png") if greets else None
    assert greeting_answer(request_text, "image/a.png") == expected
