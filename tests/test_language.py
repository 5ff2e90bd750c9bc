"""A request plainly in another language than English is told so before the model runs (agent/language.py)."""

from __future__ import annotations

import pytest
from PIL import Image

from agent.language import ONLY_ENGLISH, other_language
from agent.loop import Agent, ChatSession
from protocol.prompt import PromptTemplate
from tests.agent_fakes import FakeRuntime, ScriptedLLM
from tools.workspace import Workspace


@pytest.mark.parametrize(
    ("request_text", "language"),
    [
        # seen in a --cli drive: answered "Graja la ferentes." and, after Detection, in broken French
        ("gira la imagen 90 grados", "Spanish"),
        ("que puedes hacer con esta foto?", "Spanish"),
        ("merci, maintenant recadre la moitié gauche", "French"),
        ("dreh das Bild bitte um 90 Grad", "German"),
        ("ruota la foto di 90 gradi", "Italian"),
        ("rotate it 90 degrees", None),
        ("blur her face por favor", None),  # English words: the model's to read
        ("show me el capitan", None),
        ("edges", None),  # too short to tell
        ("la la land", None),
        ("找到图片中的猫然后模糊", None),  # GPT4Tools' Chinese: not refused
    ],
)
def test_which_requests_are_in_another_language(request_text, language):
    assert other_language(request_text) == language


def test_a_request_in_another_language_gets_one_line_without_the_model(tiny_tokenizer, tmp_path):
    llm = ScriptedLLM([])
    agent = Agent(llm, FakeRuntime(), PromptTemplate.load("en"), tiny_tokenizer, context_length=4096)
    session = ChatSession(Workspace(tmp_path / "ws"))
    agent.introduce_image(session, Image.new("RGB", (32, 32), "white"))
    reply = agent.chat(session, "gira la imagen 90 grados")
    assert reply.text == ONLY_ENGLISH.format(language="Spanish") and not llm.prompts and not reply.files
