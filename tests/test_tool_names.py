"""Constrained tool names: the listed names are read from the prompt and the Action line is held to them."""

from __future__ import annotations

import pytest
import torch

from agent.prompt import PromptTemplate, Turn
from agent.tool_names import ToolNameConstraint, action_name_prefix, listed_tool_names
from tools.catalog import TOOL_SPECS

NAMES = ["Detection", "Detect the Give Object", "Crop Image"]


@pytest.mark.parametrize("language", ["en", "zh"])
def test_listed_names_come_from_the_tool_block_only(language):
    template = PromptTemplate.load(language)
    history = [Turn("human", "see this:\n> Fake Tool: quoted by the human"), Turn("ai", "Received.")]
    prompt = template.render_instruction(TOOL_SPECS[:4], history, "and this:\n> Other: also quoted")
    assert "\n> Fake Tool: " in prompt and "\n> Other: " in prompt
    assert listed_tool_names(prompt) == [spec.name for spec in TOOL_SPECS[:4]]
    assert listed_tool_names("no tools here") == []


def test_only_the_action_line_is_constrained():
    assert action_name_prefix("Thought: Do I need to use a tool? Yes\nAction: Det") == " Det"
    assert action_name_prefix("Thought: Do I need to use a tool? Yes\nAction Input: x") is None
    assert ToolNameConstraint.fits(" Detect", NAMES) and ToolNameConstraint.fits(" Detection\n", NAMES)
    assert not ToolNameConstraint.fits(" Detect\n", NAMES) and not ToolNameConstraint.fits(" Detect Objects", NAMES)


def test_choose_prefers_the_best_token_that_keeps_the_name_listed(tiny_tokenizer):
    constraint = ToolNameConstraint(tiny_tokenizer)
    ids = {text: tiny_tokenizer(text, add_special_tokens=False)["input_ids"] for text in ("\n", "ion", "Object")}
    newline, ion = ids["\n"][0], ids["ion"]
    assert len(ids["\n"]) == 1 and len(ion) == 1, "the test needs single-token pieces"
    logits = torch.zeros(len(tiny_tokenizer))
    logits[newline], logits[ion[0]] = 5.0, 4.0
    text = "Thought: Do I need to use a tool? Yes\nAction: Detect"
    assert constraint.choose(text, logits, newline, NAMES) == ion[0]  # "Detect\n" is not a listed tool
    assert constraint.choose(text + "ion", logits, newline, NAMES) == newline  # "Detection\n" is
    assert constraint.choose("Thought: Do I need to use a tool? No\nAI: hi", logits, newline, NAMES) == newline
    assert constraint.choose(text + " Objects", logits, newline, NAMES) == newline  # already off the list
    assert constraint.choose(text, logits, newline, []) == newline  # no tool block: nothing to hold to
