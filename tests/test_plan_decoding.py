"""Constrained decoding of plans: the grammar, random-logit decoding that always parses, HFGenerator and Planner."""

from __future__ import annotations

import random
from dataclasses import replace

import pytest
import torch

from agent.planner import Planner
from generation.generator import HFGenerator
from generation.plans import START, PlanConstraint, PlanGrammar, plan_space
from modeling.loading import load_for_inference
from protocol.plan import Plan, PlanError, PlanStep, describe_plan, parse_plan
from protocol.plan_prompt import PlanTemplate, offered_tools
from protocol.prompt import PromptTemplate
from tests.test_plan import DETECT_CROP_READ, EDGE_THEN_FOX, IMAGE, MERGE, NUMBERS, OTHER
from tools.catalog import TOOL_SPECS, default_registry

torch.set_num_threads(1)
CATALOGUE = default_registry()
TEMPLATE = PlanTemplate.load("en")


def space_for(tools=TOOL_SPECS, images=((IMAGE, "A dog."), (OTHER, "A cat."))):
    return plan_space(TEMPLATE.render_instruction(list(tools), list(images), "do it"))


def fed(text: str, space=None):
    """The grammar's state after ``text`` (``None`` once it breaks the plan)."""
    grammar = PlanGrammar(space or space_for())
    state = START
    for char in text:
        state = grammar.feed(state, char)
        if state is None:
            return None
    return state


def in_input_order(plan: Plan) -> Plan:
    """``plan`` with each step's arguments in its tool's input order (the order constrained replies use)."""
    order = {spec.name: [i.name for i in spec.inputs] for spec in TOOL_SPECS}
    return Plan(
        tuple(replace(s, args=tuple(sorted(s.args, key=lambda a: order[s.task].index(a[0])))) for s in plan.steps)
    )


@pytest.mark.parametrize("plan", [Plan(), EDGE_THEN_FOX, DETECT_CROP_READ, MERGE, NUMBERS])
def test_every_rendered_plan_is_accepted_to_its_end(plan):
    state = fed(in_input_order(plan).render())
    assert state is not None and state.phase == "done"
    if plan is MERGE:  # HuggingGPT's README writes the text first; constrained replies follow the tool's order
        assert fed(plan.render()) is None


@pytest.mark.parametrize(
    "text",
    [
        '[{"task": "Detect", "id"',  # not an offered tool
        '[{"task": "Detection", "id": 1',  # ids count from 0
        '[{"task": "Detection", "id": 0, "dep": [0',  # no earlier step
        '[{"task": "Detection", "id": 0, "dep": [-1], "args": {"image_path": "image/zz',  # not a session image
        '[{"task": "Rotate Image", "id": 0, "dep": [-1], "args": {"angle"',  # inputs in the tool's order
        '[{"task": "Rotate Image", "id": 0, "dep": [-1], "args": {"image_path": "image/a1b2.png", "angle": "',
        '[{"task": "Rotate Image", "id": 0, "dep": [-1], "args": {"image_path": "image/a1b2.png", "angle": 012',
        '[{"task": "Rotate Image", "id": 0, "dep": [-1], "args": {"image_path": "image/a1b2.png", "angle": 1.234',
        '[{"task": "Get Photo Description", "id": 0, "dep": [-1], "args": {"image_path": "<GENERATED>-0"',
        '[{"task": "Get Photo Description", "id": 0, "dep": [-1], "args": {"image_path": "image/a1b2.png"}}, '
        '{"task": "Rotate Image", "id": 1, "dep": [0], "args": {"image_path": "<GENERATED>-0"',  # text is no image
        '[{"task": "Generate Image From User Input Text", "id": 0, "dep": [-1], "args": {"text": "a <GENERATED>',
        '[{"task": "Generate Image From User Input Text", "id": 0, "dep": [-1], "args": {"text": ""',
        '[{"task": "Generate Image From User Input Text", "id": 0, "dep": [-1], "args": {"text": "a\\n',
        '[{"task": "Detection", "id": 0, "dep": [-1], "args": {"image_path": "image/a1b2.png"}}, '
        '{"task": "Crop Image", "id": 1, "dep": [0], "args": {"image_path": "<GENERATED>-0", ',  # no corners
        "[] and more",
        ' [{"task"',
    ],
)
def test_the_grammar_rejects_what_would_not_parse(text):
    assert fed(text) is None


def test_a_text_that_spells_the_reference_tag_with_nothing_to_refer_to_is_refused():
    """``<GENERATED>`` in a text with no earlier text step could not be closed (a crash when the budget ran out)."""
    text = '[{"task": "Generate Image From User Input Text", "id": 0, "dep": [-1], "args": {"text": "'
    assert fed(text + "<GENERATE") is not None and fed(text + "<GENERATED") is None
    grammar = PlanGrammar(space_for())
    state = fed(text + "<GENERATE")
    assert fed(text + "<GENERATE" + grammar.finish(state)).phase == "done"


@pytest.mark.parametrize("loose", ["<GENERATED >-0", "<generated>-0", "< GENERATED>-0", "a <GENERATED>-0"])
def test_a_text_reference_is_written_exactly_or_not_at_all(loose):
    """A loosely written reference passed the grammar and then ran as the literal text "<GENERATED >-0"."""
    text = (
        '[{"task": "Get Photo Description", "id": 0, "dep": [-1], "args": {"image_path": "' + IMAGE + '"}}, '
        '{"task": "Generate Image From User Input Text", "id": 1, "dep": [0], "args": {"text": "'
    )
    assert fed(text + "<GENERATED>-0" + '"}}]').phase == "done"
    assert fed(text + loose + '"') is None


def test_tools_whose_inputs_cannot_be_given_are_not_offered():
    no_images = space_for(images=())
    assert fed('[{"task": "Detection"', no_images) is None  # no image to detect on
    assert fed(
        '[{"task": "Generate Image From User Input Text", "id": 0, "dep": [-1], "args": {"text": "a fox"}}, '
        '{"task": "Detection", "id": 1, "dep": [0], "args": {"image_path": "<GENERATED>-0"}}]',
        no_images,
    )
    only_image_tools = space_for(tools=[CATALOGUE.get("Detection")], images=())
    assert fed("[]", only_image_tools) is not None and fed("[{", only_image_tools) is None


def _decode_randomly(constraint, prompt, seed, vocabulary, *, budget=None, bias_closing=1.5):
    """Decode with random logits (quotes and closing brackets made likelier by ``bias_closing``); with ``budget``,
    the end of the turn must come within it."""
    space = plan_space(prompt)
    generator = torch.Generator().manual_seed(seed)
    bias = torch.zeros(vocabulary)
    for token, piece in enumerate(constraint.pieces):
        if '"' in piece or "]" in piece:
            bias[token] = bias_closing
    written = ""
    for used in range(budget or 4000):
        logits = torch.randn(vocabulary, generator=generator) + bias
        left = None if budget is None else budget - used
        token = constraint.choose(written, logits, int(logits.argmax()), space, left)
        if token in constraint.end_ids:
            return written
        written += constraint.piece(token)
    raise AssertionError(f"no end within {budget or 4000} tokens: {written[:300]}")


def test_random_logit_decoding_always_gives_a_valid_plan(tiny_tokenizer):
    constraint = PlanConstraint(tiny_tokenizer, [tiny_tokenizer.eos_token_id])
    shapes = set()
    for seed in range(60):
        rng = random.Random(seed)
        tools = rng.sample(TOOL_SPECS, rng.randint(1, 6))
        images = [(f"image/{seed:04x}.png", "A photo.")] if seed % 3 else []
        prompt = TEMPLATE.render_instruction(tools, images, "anything")
        text = _decode_randomly(constraint, prompt, seed, len(tiny_tokenizer))
        plan = parse_plan(text, offered_tools(prompt), [name for name, _ in images])
        shapes.add(min(len(plan), 2))
    assert shapes == {0, 1, 2}  # empty, single and multi-step plans all occurred


@pytest.mark.parametrize("budget", [3, 12, 40, 90, 300])
def test_plans_close_within_the_token_budget(tiny_tokenizer, budget):
    constraint = PlanConstraint(tiny_tokenizer, [tiny_tokenizer.eos_token_id])
    steps = set()
    for seed in range(12):
        tools = random.Random(seed).sample(TOOL_SPECS, 5)
        prompt = TEMPLATE.render_instruction(tools, [(IMAGE, "A photo.")], "anything")
        # closing marks made unlikely: left alone, these plans would run to eight steps of long texts
        text = _decode_randomly(constraint, prompt, seed, len(tiny_tokenizer), budget=budget, bias_closing=-3.0)
        steps.add(len(parse_plan(text, offered_tools(prompt), [IMAGE])))
    # closing is budgeted a token per character, so a step is only started with room for ~100 more tokens
    assert max(steps) >= (1 if budget >= 300 else 0)


@pytest.fixture(scope="module")
def tiny(tiny_model_dir):
    return load_for_inference(str(tiny_model_dir), dtype="fp32")


def _plan_prompts(template, tokenizer, count=6):
    prompts = []
    for seed in range(count):
        rng = random.Random(seed)
        tools = rng.sample(TOOL_SPECS, 4)
        instruction = TEMPLATE.render_instruction(tools, [(IMAGE, "A dog on a couch.")], f"plan {seed}")
        prompts.append(template.wrap(instruction, "", tokenizer))
    return prompts


def test_hf_generator_holds_plan_prompts_to_valid_plans_and_leaves_react_prompts_alone(tiny):
    model, tokenizer, template = tiny
    plans = _plan_prompts(template, tokenizer)
    react = template.wrap(template.render_instruction(TOOL_SPECS[:3], "", "describe it"), "", tokenizer)
    generator = HFGenerator(model, tokenizer, template, batch_size=4)
    outputs = generator.generate([*plans, react], max_new_tokens=120)
    for prompt, output in zip(plans, outputs, strict=False):
        parse_plan(output, offered_tools(prompt), [IMAGE])
    free = HFGenerator(model, tokenizer, template, batch_size=4, constrain_plans=False)
    free_outputs = free.generate([*plans, react], max_new_tokens=120)
    assert free_outputs[-1] == outputs[-1]  # the ReAct reply is the same with or without plan constraints
    assert free_outputs[:-1] != outputs[:-1]  # the random model's own replies are no plans
    assert "".join(generator.stream(plans[0], max_new_tokens=120)) == outputs[0]


def test_planner_returns_a_validated_plan_and_its_description(tiny):
    model, tokenizer, template = tiny
    planner = Planner(HFGenerator(model, tokenizer, template), template, TEMPLATE, tokenizer, TOOL_SPECS[:6])
    result = planner.plan("Describe the photo", [(IMAGE, "A dog.")])
    assert result.ok and result.error == ""
    assert result.describe() == describe_plan(result.plan)
    assert planner.prompt("x", []).startswith("<|im_start|>")


class Scripted:
    """A generator that streams a fixed reply."""

    def __init__(self, reply: str) -> None:
        self.reply = reply

    def stream(self, prompt: str, max_new_tokens: int = 128):
        yield from (self.reply[:5], self.reply[5:])


def test_planner_reports_a_reply_that_is_not_a_valid_plan(tiny_tokenizer):
    template = PromptTemplate.load("en")
    tools = [CATALOGUE.get("Detection")]
    planner = Planner(
        Scripted('[{"task": "Detection", "id": 0, "args": {"image_path": "x.png"}}]'),
        template,
        TEMPLATE,
        tiny_tokenizer,
        tools,
    )
    result = planner.plan("find things", [(IMAGE, "A dog.")])
    assert not result.ok and "not an image of this session" in result.error
    assert result.describe().startswith("The model's reply is not a valid plan: ")
    good = Plan((PlanStep.of("Detection", 0, {"image_path": IMAGE}),))
    assert (
        Planner(Scripted(good.render()), template, TEMPLATE, tiny_tokenizer, tools).plan("x", [(IMAGE, "")]).plan
        == good
    )
    with pytest.raises(PlanError, match="at least one available tool"):
        Planner(Scripted(""), template, TEMPLATE, tiny_tokenizer, [])
