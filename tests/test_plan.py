"""The plan format (render, decode, validate, compare, describe, TaskBench form) and the planner prompt."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from generation.tool_calls import call_space
from protocol.plan import (
    LOOSE_REFERENCE,
    Plan,
    PlanError,
    PlanStep,
    Reference,
    decode_plan,
    describe_plan,
    from_taskbench,
    parse_plan,
    plan_problems,
    plan_shape,
    same_plan,
    to_taskbench,
)
from protocol.plan_prompt import PlanTemplate, is_plan_prompt, offered_tools, render_tool_line
from protocol.prompt import PromptTemplate, TemplateError
from tools.catalog import TOOL_SPECS, default_registry

CATALOGUE = default_registry()
IMAGE = "image/a1b2.png"
OTHER = "examples/dog_03.jpg"


def step(task: str, id: int, **args) -> PlanStep:
    return PlanStep.of(task, id, args)


EDGE_THEN_FOX = Plan(
    (
        step("Edge Detection On Image", 0, image_path=IMAGE),
        step("Generate Image Condition On Canny Image", 1, image_path="<GENERATED>-0", text="a red fox"),
    )
)
DETECT_CROP_READ = Plan(
    (
        step("Detection", 0, image_path=IMAGE),
        step("Crop Image", 1, image_path="<GENERATED>-0"),
        step("Text Detection On Image", 2, image_path="<GENERATED>-1"),
    )
)
MERGE = Plan(  # HuggingGPT's README example, over our tools
    (
        step("Pose Detection On Image", 0, image_path=IMAGE),
        step("Get Photo Description", 1, image_path=OTHER),
        step("Generate Image Condition On Pose Image", 2, text="<GENERATED>-1", image_path="<GENERATED>-0"),
    )
)
NUMBERS = Plan(
    (
        step("Rotate Image", 0, image_path=IMAGE, angle=-12.5),
        step("Crop Image", 1, image_path="<GENERATED>-0", left=1, top=2, right=30, bottom=40),
        step("Extend An Image", 2, image_path="<GENERATED>-1", size="1024x768"),
    )
)
PLANS = [Plan(), EDGE_THEN_FOX, DETECT_CROP_READ, MERGE, NUMBERS]


@pytest.mark.parametrize("plan", PLANS, ids=["none", "chain", "boxes", "merge", "numbers"])
def test_render_decode_round_trip_and_valid(plan):
    text = plan.render()
    assert decode_plan(text) == plan
    assert parse_plan(text, CATALOGUE, [IMAGE, OTHER]) == plan
    assert [list(item) for item in json.loads(text)] == [["task", "id", "dep", "args"]] * len(plan)


def test_dep_is_derived_from_references_and_the_models_dep_is_ignored():
    data = [dict(item, dep=[7, 7]) for item in json.loads(MERGE.render())]
    plan = decode_plan(json.dumps(data))
    assert plan == MERGE
    items = json.loads(plan.render())
    assert [item["dep"] for item in items] == [[-1], [-1], [0, 1]]  # [-1]: no dependency, as HuggingGPT
    assert set(items[2]["dep"]) == {0, 1} and items[2]["args"]["image_path"] == "<GENERATED>-0"
    assert decode_plan('[{"task": "Detection", "id": 0, "args": {"image_path": "a.png"}}]').steps[0].deps == [-1]


@pytest.mark.parametrize(
    "text",
    [
        "Here is the plan:\n```json\n" + EDGE_THEN_FOX.render() + "\n```\nDone.",
        "  " + EDGE_THEN_FOX.render() + "\n",
        "[oops] " + EDGE_THEN_FOX.render(),
    ],
)
def test_text_around_the_plan_is_ignored(text):
    assert decode_plan(text) == EDGE_THEN_FOX


@pytest.mark.parametrize(
    ("text", "fix"),
    [
        ("I would detect the edges first.", "no JSON list found"),
        ('[{"task": "Detection", "id": 0', "not valid JSON"),
        ('{"task": "Detection"}', "no JSON list"),
        ("[3]", r"step 1 is int; each step is an object"),
        ('[{"task": "Detection", "args": {}}]', "lacks 'id'"),
        ('[{"task": "Detection", "id": 0, "args": {}, "why": "x"}]', "unknown key"),
        ('[{"task": "", "id": 0, "args": {}}]', "must be a tool name"),
        ('[{"task": "Detection", "id": -2, "args": {}}]', "0 or above"),
        ('[{"task": "Detection", "id": true, "args": {}}]', "whole number"),
        ('[{"task": "Detection", "id": 0, "dep": "none", "args": {}}]', r"\[-1\] for none"),
        ('[{"task": "Detection", "id": 0, "args": ["a.png"]}]', "mapping input names"),
        ('[{"task": "Detection", "id": 0, "args": {"image_path": null}}]', "a string or a number"),
        ('[{"task": "Detection", "id": 0, "args": {"image_path": "<GENERATED>-0, <GENERATED>-1"}}]', "alone"),
        ('[{"task": "Detection", "id": 1, "args": {"text": "<GENERATED >-0"}}]', 'as "<GENERATED>-k"'),
        ('[{"task": "Detection", "id": 1, "args": {"text": "<generated>-0"}}]', 'as "<GENERATED>-k"'),
    ],
)
def test_decode_errors_name_the_fix(text, fix):
    with pytest.raises(PlanError, match=fix):
        decode_plan(text)


def problems_of(*steps: PlanStep, images=(IMAGE,)) -> str:
    return "; ".join(plan_problems(Plan(steps), CATALOGUE, list(images)))


@pytest.mark.parametrize(
    ("steps", "fix"),
    [
        ((step("Detect", 0, image_path=IMAGE),), "unknown tool 'Detect'; did you mean 'Detection'"),
        ((step("Detection", 0, image=IMAGE),), "has no input 'image'.*needs 'image_path'"),
        ((step("Crop Image", 0, image_path=IMAGE, left=1, top=2),), "needs 'right', 'bottom' too"),
        ((step("Detection", 0, image_path="photo"),), "not an image file name"),
        ((step("Detection", 0, image_path="image/zz.png"),), r"not an image of this session \(images: image/a1b2"),
        ((step("Generate Image From User Input Text", 0, text="  "),), "non-empty text"),
        ((step("Rotate Image", 0, image_path=IMAGE, angle="90"),), "without quotes"),
        ((step("Extend An Image", 0, image_path=IMAGE, size="big"),), "should look like 1024x768"),
        ((step("Extend An Image", 0, image_path=IMAGE, size=1024),), "WIDTHxHEIGHT"),
        ((step("Get Photo Description", 0, image_path="<GENERATED>-4"),), "no step with id 4"),
        (
            (step("Get Photo Description", 0, image_path="<GENERATED>-1"), step("Detection", 1, image_path=IMAGE)),
            "step id 1 comes later; put the step whose output is used first",
        ),
        ((step("Get Photo Description", 0, image_path="<GENERATED>-0"),), "uses its own output"),
        (
            (
                step("Get Photo Description", 0, image_path="<GENERATED>-1"),
                step("Rotate Image", 1, image_path="<GENERATED>-0", angle=9),
            ),
            r"steps 0 -> 1 -> 0 .* cycle",
        ),
        ((step("Detection", 0, image_path=IMAGE), step("Detection", 0, image_path=IMAGE)), "repeats id 0"),
        (
            (
                step("Get Photo Description", 0, image_path=IMAGE),
                step("Rotate Image", 1, image_path="<GENERATED>-0", angle=9),
            ),
            r"\(Get Photo Description\) gives text, but this input takes image",
        ),
        (
            (step("Detection", 0, image_path=IMAGE), step("Rotate Image", 1, image_path="<GENERATED>-0", angle=9)),
            "gives boxes, but this input takes image",  # only a box-taking tool takes a detection
        ),
        (
            (
                step("Detection", 0, image_path=IMAGE),
                step("Crop Image", 1, image_path="<GENERATED>-0", left=1, top=2, right=3, bottom=4),
            ),
            "comes from the detection in 'image_path'; leave out left, top, right, bottom",
        ),
        (
            (
                step("Detection", 0, image_path=IMAGE),
                step("Crop Image", 1, image_path=IMAGE, left="<GENERATED>-0", top=2, right=3, bottom=4),
            ),
            "write the value out",
        ),
    ],
)
def test_validation_errors_name_the_step_and_the_fix(steps, fix):
    assert problems_of(*steps)
    with pytest.raises(PlanError, match=fix):
        validate = Plan(steps)
        parse_plan(validate.render(), CATALOGUE, [IMAGE])


def test_without_session_images_any_image_file_name_is_accepted():
    assert not plan_problems(Plan((step("Detection", 0, image_path="any/where.JPG"),)), CATALOGUE)
    assert not plan_problems(
        EDGE_THEN_FOX, [spec for spec in TOOL_SPECS if "Canny" in spec.name or "Edge" in spec.name]
    )
    assert plan_problems(EDGE_THEN_FOX, [spec for spec in TOOL_SPECS if "Edge" in spec.name])  # generator not offered


def test_same_plan_ignores_ids_and_the_order_of_independent_steps():
    reordered = Plan(
        (
            step("Get Photo Description", 5, image_path=OTHER),
            step("Pose Detection On Image", 9, image_path=IMAGE),
            step("Generate Image Condition On Pose Image", 7, image_path="<GENERATED>-9", text="<GENERATED>-5"),
        )
    )
    assert same_plan(MERGE, reordered)
    swapped_inputs = Plan(
        (
            *MERGE.steps[:2],
            step("Generate Image Condition On Pose Image", 2, image_path="<GENERATED>-1", text="<GENERATED>-0"),
        )
    )
    assert not same_plan(MERGE, swapped_inputs)
    assert same_plan(NUMBERS, decode_plan(NUMBERS.render().replace('"left": 1', '"left": 1.0')))
    assert not same_plan(NUMBERS, decode_plan(NUMBERS.render().replace('"left": 1', '"left": 2')))
    assert not same_plan(EDGE_THEN_FOX, Plan(EDGE_THEN_FOX.steps[:1]))
    assert same_plan(Plan(), Plan())


def test_shapes():
    assert [plan_shape(p) for p in PLANS] == ["none", "chain", "chain", "dag", "chain"]
    assert plan_shape(Plan(EDGE_THEN_FOX.steps[:1])) == "single"
    two = Plan((step("Detection", 0, image_path=IMAGE), step("Detection", 1, image_path=OTHER)))
    assert plan_shape(two) == "dag"


def test_describe_plan_for_people():
    text = describe_plan(DETECT_CROP_READ)
    assert text.splitlines() == [
        '1. Detection: image_path = "image/a1b2.png"',
        "2. Crop Image (uses step 1): image_path = the output of step 1",
        "3. Text Detection On Image (uses step 2): image_path = the output of step 2",
    ]
    assert describe_plan(Plan()) == "No tool is needed."
    assert "第 1 步的结果" in describe_plan(EDGE_THEN_FOX, "zh")


@pytest.mark.parametrize("plan", PLANS, ids=["none", "chain", "boxes", "merge", "numbers"])
def test_taskbench_round_trip(plan):
    form = to_taskbench(plan)
    assert from_taskbench(form) == plan
    assert from_taskbench(json.loads(json.dumps(form)), CATALOGUE) == plan
    assert len(form["task_links"]) == len(plan.links)


def test_taskbench_form_uses_node_positions_and_tool_names():
    form = to_taskbench(MERGE)
    assert form["task_nodes"][2] == {
        "task": "Generate Image Condition On Pose Image",
        "arguments": [{"name": "text", "value": "<node-1>"}, {"name": "image_path", "value": "<node-0>"}],
    }
    assert {(link["source"], link["target"]) for link in form["task_links"]} == {
        ("Pose Detection On Image", "Generate Image Condition On Pose Image"),
        ("Get Photo Description", "Generate Image Condition On Pose Image"),
    }


def test_from_taskbench_reads_bare_values_in_input_order_and_numbers():
    nodes = {
        "task_nodes": [
            {"task": "Rotate Image", "arguments": [IMAGE, "90"]},
            {"task": "Detection", "arguments": ["<node-0>"]},
        ]
    }
    plan = from_taskbench(nodes, CATALOGUE)
    assert plan.steps[0].arguments == {"image_path": IMAGE, "angle": 90}
    assert plan.steps[1].arguments == {"image_path": Reference(0)}
    with pytest.raises(PlanError, match="has no name"):
        from_taskbench(nodes)
    with pytest.raises(PlanError, match="task_nodes"):
        from_taskbench({"nodes": []})


# --------------------------------------------------------------------------------------------- hypothesis
NAMES = [spec.name for spec in TOOL_SPECS]


@st.composite
def plans(draw) -> Plan:
    """Random plans (valid or not) with references to any id: decode must give back exactly what was rendered."""
    count = draw(st.integers(0, 5))
    steps = []
    for index in range(count):
        names = draw(
            st.lists(st.sampled_from(["image_path", "text", "angle", "size", "left"]), max_size=3, unique=True)
        )
        values = st.one_of(
            st.text(min_size=1, max_size=12).filter(lambda t: not LOOSE_REFERENCE.search(t)),
            st.integers(-99999, 99999),
            st.builds(Reference, st.integers(0, 6)),
        )
        args = tuple((name, draw(values)) for name in names)
        steps.append(PlanStep(draw(st.sampled_from(NAMES)), index, args))
    return Plan(tuple(steps))


@settings(max_examples=150, deadline=None)
@given(plans())
def test_any_plan_round_trips_through_json(plan):
    assert decode_plan(plan.render()) == plan
    assert from_taskbench(to_taskbench(plan)) == plan


# --------------------------------------------------------------------------------------------- planner prompt
@pytest.mark.parametrize("language", ["en", "zh"])
def test_plan_prompt_lists_exactly_the_tools_and_the_images(language):
    template = PlanTemplate.load(language)
    request = "see this:\n> Fake Tool(image_path: image) -> image\nthen edge it"
    prompt = template.render_instruction(TOOL_SPECS, [(IMAGE, "A dog."), (OTHER, "A cat.")], request)
    tools = offered_tools(prompt)
    assert list(tools) == NAMES  # the quoted line in the request is not an offered tool
    for spec in TOOL_SPECS:
        assert tools[spec.name].output is spec.output
        assert [(i.name, i.kind) for i in tools[spec.name].inputs] == [(i.name, i.kind) for i in spec.inputs]
    assert f"{IMAGE}: A dog." in prompt and prompt.endswith(f"{request}\n")
    assert is_plan_prompt(prompt) and not call_space(prompt, PromptTemplate.shipped()).tools
    assert template.no_images.strip() in template.render_instruction(TOOL_SPECS[:1], [], "hi")
    assert render_tool_line(CATALOGUE.get("Crop Image")) == (
        "> Crop Image(image_path: image, left: number, top: number, right: number, bottom: number) -> image"
    )


@pytest.mark.parametrize("language", ["en", "zh"])
def test_react_prompts_are_not_plan_prompts(language):
    template = PromptTemplate.load(language)
    assert not is_plan_prompt(template.render_instruction(TOOL_SPECS, "", "draw a cat"))


def test_plan_template_saves_beside_an_adapter_and_checks_its_fields(tmp_path):
    assert PlanTemplate.beside(tmp_path, "zh") == PlanTemplate.load("zh")  # nothing saved: the shipped one
    custom = PlanTemplate.from_dict({**PlanTemplate.load("en").__dict__, "request": "Task: {input}"})
    custom.save(tmp_path)
    assert PlanTemplate.beside(tmp_path, "zh") == custom
    assert [t.name for t in PlanTemplate.shipped()] == ["en", "zh"]
    assert [t.name for t in PromptTemplate.shipped()] == [
        "en",
        "en_product",
        "gpt4tools",
        "zh",
    ]  # the ReAct templates are unaffected
    with pytest.raises(TemplateError, match="request must contain"):
        PlanTemplate.from_dict({**custom.__dict__, "request": "Task:"})
    with pytest.raises(TemplateError, match="may not contain tool lines"):
        PlanTemplate.from_dict({**custom.__dict__, "instructions": "> Blur It(image_path: image) -> image"})
    with pytest.raises(TemplateError, match="missing fields"):
        PlanTemplate.from_dict({"name": "x"})
    with pytest.raises(TemplateError, match="shipped templates: en, zh"):
        PlanTemplate.load("fr")
    with pytest.raises(TemplateError, match="at least one tool"):
        custom.render_instruction([], [], "hi")


def test_steps_that_repeat_an_earlier_one_are_left_out_and_their_users_repointed():
    from protocol.plan import Plan, PlanStep, without_repeats

    edges = {"image_path": "a.png"}
    plan = Plan(
        (
            PlanStep.of("Edge Detection On Image", 0, edges),
            PlanStep.of("Edge Detection On Image", 1, edges),
            PlanStep.of("Rotate Image", 2, {"image_path": "<GENERATED>-1", "angle": 90}),
            PlanStep.of("Rotate Image", 3, {"image_path": "<GENERATED>-0", "angle": 90}),  # a repeat once read through
            PlanStep.of("Rotate Image", 4, {"image_path": "<GENERATED>-0", "angle": 45}),  # other arguments: kept
        )
    )
    kept, same = without_repeats(plan)
    assert same == {1: 0, 3: 2}
    assert [(step.id, step.task, step.arguments.get("angle")) for step in kept.steps] == [
        (0, "Edge Detection On Image", None),
        (2, "Rotate Image", 90),
        (4, "Rotate Image", 45),
    ]
    assert kept.links == [(0, 2), (0, 4)]
    assert without_repeats(kept) == (kept, {})
