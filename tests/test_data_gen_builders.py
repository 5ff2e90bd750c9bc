"""Sample builders: single, chained, context and no-tool records from hand-made drafts."""

from __future__ import annotations

import re
from dataclasses import replace

from data_gen.builders import SampleBuilder
from data_gen.captions import Caption, CaptionBox
from data_gen.tasks import (
    CHAIN,
    CONTEXT,
    FAILURE,
    IMAGE_PLACEHOLDER,
    NEGATIVE,
    PICK_ONE,
    PICK_ONE_CHAIN,
    SINGLE,
    Draft,
    Task,
)
from data_gen.teachers.template import TemplateTeacher
from protocol.prompt import PromptTemplate, size_description
from protocol.steps import THOUGHT_NO, THOUGHT_YES, FinalAnswer, ToolCall, parse_reply, parse_trajectory
from tools.catalog import default_registry
from tools.failures import NO_PERSON_FOR_POSE
from tools.outputs import object_names

CATALOGUE = default_registry()
TEMPLATES = {lang: PromptTemplate.load(lang) for lang in ("en", "zh")}
CAPTION = Caption(
    "t-1",
    'A red stop sign reading "STOP" at a corner.',
    ("stop sign", "corner"),
    (CaptionBox("stop sign", (10, 20, 110, 140)),),
    "STOP",
    (640, 480),
)
FILE_RE = re.compile(r"^[\w-]+(/[\w-]+)*/[\w.-]+\.(png|jpe?g|JPG|webp)$")


def builder(answer_share: float = 1.0, **options: float) -> SampleBuilder:
    return SampleBuilder(TEMPLATES, CATALOGUE, CATALOGUE, seed=0, answer_share=answer_share, **options)


def edges_then_castle() -> tuple[Task, Draft]:
    """A two-step chain: the edges of the upload, then a castle generated from them."""
    task = Task(CHAIN, CAPTION, ("Edge Detection On Image", "Generate Image Condition On Canny Image"), "en", True)
    draft = Draft(
        f"Draw a castle from the edges of {IMAGE_PLACEHOLDER}",
        (
            ("Edge Detection On Image", IMAGE_PLACEHOLDER),
            ("Generate Image Condition On Canny Image", f"{IMAGE_PLACEHOLDER}, a castle"),
        ),
    )
    return task, draft


def listed(instruction: str) -> list[str]:
    return [line[2:].split(":")[0] for line in instruction.splitlines() if line.startswith("> ")]


def test_single_tool_sample_and_answer_after_the_observation():
    task = Task(SINGLE, CAPTION, ("Edge Detection On Image",), "en", True)
    draft = Draft(f"Show me the edges of {IMAGE_PLACEHOLDER}.", (("Edge Detection On Image", IMAGE_PLACEHOLDER),))
    first, answer = builder().build(task, draft)
    assert first.kind == SINGLE and answer.kind == CONTEXT
    call = parse_reply(first.record.output)
    assert isinstance(call, ToolCall) and call.thought == THOUGHT_YES and FILE_RE.match(call.action_input)
    assert f"Provide an image named {call.action_input}" in first.record.instruction
    assert f"New input: Show me the edges of {call.action_input}." in first.record.instruction
    assert 2 <= len(listed(first.record.instruction)) <= 5 and "Edge Detection On Image" in listed(
        first.record.instruction
    )
    ((step, observation),) = parse_trajectory(answer.record.input)
    assert step == call and re.match(r"image/[0-9a-f]{4}_edge_[0-9a-f]{4}\.png$", observation)
    final = parse_reply(answer.record.output)
    assert isinstance(final, FinalAnswer) and final.thought == THOUGHT_NO and observation in final.answer


def test_chain_feeds_the_output_to_the_next_tool_and_answers_with_the_last_file():
    task, draft = edges_then_castle()
    first, following, answer = builder().build(task, draft)
    assert [first.kind, following.kind, answer.kind] == [CHAIN, CONTEXT, CONTEXT]
    assert set(task.tools) <= set(listed(first.record.instruction))
    ((_, edge_file),) = parse_trajectory(following.record.input)
    second = parse_reply(following.record.output)
    assert second.tool == "Generate Image Condition On Canny Image" and second.action_input == f"{edge_file}, a castle"
    steps = parse_trajectory(answer.record.input)
    assert len(steps) == 2 and steps[1][1] in parse_reply(answer.record.output).answer


def test_crop_after_detection_uses_the_reported_box_and_ocr_reads_the_sign():
    task = Task(CHAIN, CAPTION, ("Detection", "Crop Image"), "en", True)
    draft = Draft(
        f"Detect things in {IMAGE_PLACEHOLDER} and crop the stop sign",
        (("Detection", IMAGE_PLACEHOLDER), ("Crop Image", f"{IMAGE_PLACEHOLDER}, 1, 2, 3, 4")),
    )
    _, following, _ = builder().build(task, draft)
    ((_, boxes),) = parse_trajectory(following.record.input)
    assert "stop sign [10, 20, 110, 140]" in boxes
    assert parse_reply(following.record.output).action_input.endswith("10, 20, 110, 140")
    scene = replace(
        CAPTION,
        objects=("bus", "stop sign"),
        boxes=(CaptionBox("bus", (0, 0, 300, 200)), CaptionBox("stop sign", (10, 20, 110, 140))),
    )
    for request, proposed, cropped in (
        ("crop the stop sign", "1, 2, 3, 4", "10, 20, 110, 140"),  # the box of the object the request names
        ("crop what it found", "10, 20, 110, 140", "10, 20, 110, 140"),  # a reported box proposed: kept
        ("crop what it found", "1, 2, 3, 4", "0, 0, 300, 200"),  # nothing to go by: the first box
    ):
        draft = Draft(
            f"Detect things in {IMAGE_PLACEHOLDER} and {request}",
            (("Detection", IMAGE_PLACEHOLDER), ("Crop Image", f"{IMAGE_PLACEHOLDER}, {proposed}")),
        )
        following = builder().build(replace(task, caption=scene), draft)[1]
        assert parse_reply(following.record.output).action_input.endswith(cropped)
    task = Task(SINGLE, CAPTION, ("Text Detection On Image",), "en", True)
    _, answer = builder().build(
        task, Draft(f"Read {IMAGE_PLACEHOLDER}", (("Text Detection On Image", IMAGE_PLACEHOLDER),))
    )
    assert "STOP" in parse_reply(answer.record.output).answer


def test_blur_after_object_detection_copies_the_box_from_the_observation():
    task = Task(CHAIN, CAPTION, ("Detect the Give Object", "Blur Region"), "en", True)
    draft = Draft(
        f"Find the stop sign in {IMAGE_PLACEHOLDER} and blur it",
        (
            ("Detect the Give Object", f"{IMAGE_PLACEHOLDER}, stop sign"),
            ("Blur Region", f"{IMAGE_PLACEHOLDER}, 1, 2, 3, 4"),
        ),
    )
    first, following, *_ = builder().build(task, draft)
    assert parse_reply(first.record.output).action_input.endswith(", stop sign")
    ((_, boxes),) = parse_trajectory(following.record.input)
    assert boxes == "stop sign [10, 20, 110, 140]"
    blur = parse_reply(following.record.output)
    assert blur.tool == "Blur Region" and blur.action_input.endswith(", 10, 20, 110, 140")


def test_pick_one_detects_both_objects_and_blurs_the_box_of_the_one_named_for_blurring():
    caption = replace(
        CAPTION, objects=("stop sign", "bicycle"), boxes=(*CAPTION.boxes, CaptionBox("bicycle", (300, 200, 420, 330)))
    )
    teacher = TemplateTeacher(CATALOGUE, seed=0, typo_rate=0.0)
    seen_orders = set()
    for index in range(12):
        task = Task(CHAIN, caption, PICK_ONE_CHAIN, "en", True, index, PICK_ONE)
        draft = teacher.draft(task)
        first, following, *_ = builder().build(task, draft)
        detect = parse_reply(first.record.output)
        asked = object_names(detect.action_input.split(", ", 1)[1])
        assert sorted(asked) == ["bicycle", "stop sign"]
        seen_orders.add(tuple(asked))
        ((_, observation),) = parse_trajectory(following.record.input)
        assert observation.split("; ") == [f"{name} [{', '.join(map(str, box))}]" for name, box in (
            (name, next(b.box for b in caption.boxes if b.label == name)) for name in asked
        )]  # fmt: skip
        blurred = max(asked, key=draft.request.rfind)  # every frame names the object to blur last
        box = next(b.box for b in caption.boxes if b.label == blurred)
        assert parse_reply(following.record.output).action_input.endswith(", ".join(map(str, box)))
    assert len(seen_orders) == 2, "the object to blur is sometimes asked for first, sometimes second"


def test_object_names_split_on_commas_and_semicolons_only():
    assert object_names("dog") == ["dog"]
    assert object_names(" dog, frisbee; dog ") == ["dog", "frisbee"]
    assert object_names("salt and pepper shaker") == ["salt and pepper shaker"]


def test_negative_samples_with_and_without_an_image_and_in_chinese():
    with_image = Task(NEGATIVE, CAPTION, (), "zh", True)
    (sample,) = builder().build(with_image, Draft("我上传的图片叫什么？", (), f"图片名为 {IMAGE_PLACEHOLDER}。"))
    final = parse_reply(sample.record.output)
    assert sample.kind == NEGATIVE and isinstance(final, FinalAnswer) and final.answer.strip()
    assert "之前的对话" in sample.record.instruction and IMAGE_PLACEHOLDER not in final.answer
    assert final.answer.split("图片名为 ")[1].rstrip("。") in sample.record.instruction
    no_image = Task(NEGATIVE, CAPTION, (), "en", False)
    (sample,) = builder().build(no_image, Draft("Hi!", (), "Hello!"))
    assert "Provide an image" not in sample.record.instruction and sample.record.input == ""


def test_text_only_tool_needs_no_image_and_answer_share_zero_skips_answers():
    task = Task(SINGLE, CAPTION, ("Generate Image From User Input Text",), "en", False)
    (sample,) = builder(answer_share=0.0).build(
        task, Draft("Draw a cat", (("Generate Image From User Input Text", "a cat"),))
    )
    assert parse_reply(sample.record.output).action_input == "a cat"
    assert "Provide an image" not in sample.record.instruction


def test_failure_samples_quote_the_runtime_error_and_leave_the_other_samples_as_they_were():
    cases = {
        "Pose Detection On Image": (IMAGE_PLACEHOLDER, NO_PERSON_FOR_POSE),
        "Segment the given object": (f"{IMAGE_PLACEHOLDER}, stop sign", "no 'stop sign' found in "),
        "Edge Detection On Image": (IMAGE_PLACEHOLDER, "'Edge Detection On Image' failed: "),
    }
    for tool, (action_input, error) in cases.items():
        task = Task(SINGLE, CAPTION, (tool,), "en", True)
        draft = Draft(f"Please use {tool} on {IMAGE_PLACEHOLDER}", ((tool, action_input),))
        plain = builder().build(task, draft)
        *kept, failed = builder(failure_share=1.0).build(task, draft)
        assert [sample.record for sample in kept] == [sample.record for sample in plain]
        assert failed.kind == FAILURE and failed.tools == ()
        ((call, observation),) = parse_trajectory(failed.record.input)
        assert call == parse_reply(plain[0].record.output) and error in observation
        answer = parse_reply(failed.record.output)
        assert isinstance(answer, FinalAnswer) and answer.thought == THOUGHT_NO
        assert observation in answer.answer  # quoted whole, so the agent adds no failure note of its own


def test_a_chain_fails_at_some_step_and_stops_there():
    task, draft = edges_then_castle()
    steps_before_failure = set()
    for index in range(12):
        failing = SampleBuilder(TEMPLATES, CATALOGUE, CATALOGUE, seed=index, failure_share=1.0)
        failed = failing.build(task, draft)[-1]
        trajectory = parse_trajectory(failed.record.input)
        assert [call.tool for call, _ in trajectory] == list(task.tools[: len(trajectory)])
        assert "failed: " in trajectory[-1][1] and trajectory[-1][1] in parse_reply(failed.record.output).answer
        steps_before_failure.add(len(trajectory) - 1)
    assert steps_before_failure == {0, 1}


def test_images_described_by_size_alone_and_condition_images_by_kind():
    task = Task(SINGLE, CAPTION, ("Generate Image Condition On Pose Image",), "en", True)
    draft = Draft(
        f"Make a dancer in the pose of {IMAGE_PLACEHOLDER}",
        (("Generate Image Condition On Pose Image", f"{IMAGE_PLACEHOLDER}, a dancer"),),
    )
    shares = {"plain_image_share": 1.0}, {"condition_of_share": 1.0}, {}
    plain, condition_of, made_from = (builder(**share).describe_image(task, draft) for share in shares)
    assert plain == size_description(640, 480) == "a 640x480 image."  # the demo's words without a captioner
    assert re.match(r"A pose (skeleton|image) of a red stop sign", condition_of)
    assert made_from == 'A pose made from a photo. A red stop sign reading "STOP" at a corner.'
