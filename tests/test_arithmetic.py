"""Sums asked in words are worked out by the agent (agent/arithmetic.py)."""

from __future__ import annotations

import pytest

from agent.arithmetic import CANNOT_DIVIDE, SUM, sum_answer
from agent.loop import Agent, ChatSession
from protocol.prompt import PromptTemplate
from tests.agent_fakes import FakeRuntime, ScriptedLLM
from tools.workspace import Workspace


@pytest.mark.parametrize(
    ("request_text", "expression", "result"),
    [
        ("what's 2+2?", "2+2", "4"),  # seen in a --cli drive: "2 plus 2 is 6."
        ("what is 12 x 7", "12 x 7", "84"),
        ("how much is 3 * (4 + 5)?", "3 * (4 + 5)", "27"),
        ("calculate 10 / 4", "10 / 4", "2.5"),
        ("what's 1,000 - 1", "1,000 - 1", "999"),
        ("what is 2^10", "2^10", "1,024"),
        ("what is 1/3?", "1/3", "0.333333"),
    ],
)
def test_a_sum_is_worked_out(request_text, expression, result):
    assert sum_answer(request_text) == SUM.format(expression=expression, result=result)


@pytest.mark.parametrize(
    "request_text",
    [
        "what is 9^999999",  # too large to be worth the time
        "what's the phone number?",
        "resize it to 200x200",
        "what's 2 + 2 and rotate it",  # more than a sum
        "what is 3",
        "what is __import__('os')",
    ],
)
def test_other_requests_are_no_sums(request_text):
    assert sum_answer(request_text) is None


def test_a_sum_is_answered_without_the_model(tiny_tokenizer, tmp_path):
    llm = ScriptedLLM([])
    agent = Agent(llm, FakeRuntime(), PromptTemplate.load("en"), tiny_tokenizer, context_length=4096)
    session = ChatSession(Workspace(tmp_path / "ws"))
    assert agent.chat(session, "what's 2+2?").text == SUM.format(expression="2+2", result="4")
    assert agent.chat(session, "what is 5/0?").text == CANNOT_DIVIDE.format(expression="5/0")
    assert llm.prompts == []
