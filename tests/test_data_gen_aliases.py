"""Tool-name aliases: valid, distinct, never another tool's real name, and used consistently in a record."""

from __future__ import annotations

import random
from dataclasses import replace

import pytest

from data_gen.aliases import cased, draw_aliases, opaque, reworded
from data_gen.builders import SampleBuilder
from data_gen.pipeline import record_problem
from data_gen.tasks import CHAIN, CONTEXT, IMAGE_PLACEHOLDER, Draft, Task
from protocol.steps import ToolCall, parse_reply, parse_trajectory
from tests.test_data_gen_builders import CAPTION, CATALOGUE, TEMPLATES, listed

NAMES = CATALOGUE.names


@pytest.mark.parametrize("seed", range(60))
def test_aliases_are_valid_distinct_tool_names_that_shadow_no_real_tool(seed):
    aliases = draw_aliases(NAMES, NAMES, random.Random(seed))
    assert list(aliases) == list(NAMES)
    lowered = [alias.lower() for alias in aliases.values()]
    assert len(set(lowered)) == len(lowered)
    for name, alias in aliases.items():
        assert alias != name
        assert alias.lower() not in {other.lower() for other in NAMES if other != name}
        replace(CATALOGUE.get(name), name=alias)  # ToolSpec validates the name


def test_each_style_keeps_or_hides_what_it_promises():
    rng = random.Random(0)
    name = "Predict Depth On Image"
    for _ in range(20):
        assert cased(name, rng).replace(" ", "").lower() == "predictdepthonimage"
        assert not {"predict", "depth", "image"} & set(opaque(name, rng).lower().split())
    rewordings = {reworded(name, rng) for _ in range(40)}
    assert len(rewordings) > 5 and all(1 <= len(r.split()) <= 4 for r in rewordings)


def test_a_renamed_chain_uses_the_aliases_in_list_reply_and_scratchpad():
    builder = SampleBuilder(TEMPLATES, CATALOGUE, CATALOGUE, seed=0, answer_share=1.0, rename_share=1.0)
    tools = ("Edge Detection On Image", "Generate Image Condition On Canny Image")
    draft = Draft(
        f"Draw a castle from the edges of {IMAGE_PLACEHOLDER}",
        ((tools[0], IMAGE_PLACEHOLDER), (tools[1], f"{IMAGE_PLACEHOLDER}, a castle")),
    )
    samples = builder.build(Task(CHAIN, CAPTION, tools, "en", True), draft)
    first, follow_up = samples[0], samples[1]
    shown = listed(first.record.instruction)
    assert not set(shown) & set(NAMES) and set(first.aliases) == set(shown)
    assert f"one of [{', '.join(shown)}]" in first.record.instruction
    call = parse_reply(first.record.output)
    assert isinstance(call, ToolCall) and first.aliases[call.tool] == tools[0] and first.tools == (tools[0],)
    assert follow_up.kind == CONTEXT and follow_up.tools == (tools[1],)
    ((earlier, _observation),) = parse_trajectory(follow_up.record.input)
    assert earlier.tool == call.tool
    assert follow_up.aliases[parse_reply(follow_up.record.output).tool] == tools[1]
    for sample in samples:
        assert record_problem(sample.record, CATALOGUE, sample.aliases) is None
    assert "unknown tool" in record_problem(first.record, CATALOGUE)
