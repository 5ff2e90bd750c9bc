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


@pytest.mark.parametrize(
    ("request_text", "asks"),
    [
        ("tell me a joke", True),  # seen in a drive: "No problem at all. Tell me a joke about a joke about a tool."
        ("can you tell me a funny joke?", True),
        ("tell me another joke please", True),
        ("know any jokes?", True),
        ("make me laugh", True),
        ("another joke", True),
        ("another one", False),  # another of anything
        ("write a joke about cats", False),  # writing asked for: the model's, as trained
        ("tell me a joke about this picture and blur it", False),
    ],
)
def test_which_messages_only_ask_for_a_joke(request_text, asks):
    from agent.small_talk import joke_answer

    assert (joke_answer(request_text, 0, None) is not None) is asks


def test_jokes_are_told_in_turn_and_lead_back_to_the_picture(tiny_tokenizer, tmp_path):
    from agent.small_talk import JOKE_AFTER, JOKES

    llm = ScriptedLLM([answer("Tell me a joke about a joke about a tool.")])
    agent = Agent(llm, FakeRuntime(), PromptTemplate.load("en"), tiny_tokenizer, context_length=4096)
    session = ChatSession(Workspace(tmp_path / "ws"))
    assert agent.chat(session, "tell me a joke").text == JOKES[0]
    assert agent.chat(session, "another joke").text == JOKES[1]
    agent.introduce_image(session, Image.new("RGB", (8, 8)))
    assert agent.chat(session, "tell me a joke").text == f"{JOKES[2]} {JOKE_AFTER}"
    assert llm.prompts == []


def test_how_to_upload_is_answered_by_the_agent(tiny_tokenizer, tmp_path):
    """Seen in a drive: "how do I upload a picture?" was answered "I don't have an image to work on yet. Please upload
    one first."."""
    from agent.loop import HOW_TO_UPLOAD
    from agent.small_talk import asks_how_to_upload

    for request_text in (
        "how do I upload a picture?",
        "how can I send you a photo",
        "where do I add my image?",
        "ok how do i upload one",
    ):
        assert asks_how_to_upload(request_text), request_text
    assert not asks_how_to_upload("how do I blur a picture?")
    llm = ScriptedLLM([answer("Please upload one first.")])
    agent = Agent(llm, FakeRuntime(), PromptTemplate.load("en"), tiny_tokenizer, context_length=4096)
    session = ChatSession(Workspace(tmp_path / "ws"))
    assert agent.chat(session, "how do I upload a picture?").text == HOW_TO_UPLOAD
    assert llm.prompts == []


def test_a_message_that_only_hands_images_over_is_answered_with_them(tiny_tokenizer, tmp_path):
    """Seen in a drive: "hi! i uploaded two pics" after two uploads was answered "Glad you like it!"."""
    from agent.small_talk import HANDED_OVER, handed_over_answer

    llm = ScriptedLLM([answer("Glad you like it!")])
    agent = Agent(llm, FakeRuntime(), PromptTemplate.load("en"), tiny_tokenizer, context_length=4096)
    session = ChatSession(Workspace(tmp_path / "ws"))
    first = agent.introduce_image(session, Image.new("RGB", (8, 8))).name
    assert agent.chat(session, "here's my photo").text == HANDED_OVER.format(them="it", images=first, it="it")
    second = agent.introduce_image(session, Image.new("RGB", (8, 8), "white")).name
    reply = agent.chat(session, "hi! i uploaded two pics")
    assert reply.text == HANDED_OVER.format(them="them", images=f"{first}, {second}", it="them")
    assert llm.prompts == []
    assert handed_over_answer("i uploaded a photo of my cat, blur it", [first]) is None  # asks for something
    assert handed_over_answer("here's my photo", []) is None  # nothing uploaded yet
