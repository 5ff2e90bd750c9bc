"""Sample builders: validated drafts to GPT4Tools records (single, chain, context and negative samples).

A draft with tool calls is played out as a workspace would: the human's image gets a workspace-style
file name, each image tool returns a fresh chained name, text tools return what the caption says. The
first step becomes a ``single`` or ``chain`` sample; later turns (call the next tool after an observation,
or answer with what was obtained) become ``context`` samples; with ``failure_share``, one of the calls fails
as the runtime reports it and the answer says so (``failure`` samples).
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from itertools import pairwise

from data_gen import aliases, files, phrasings, slots
from data_gen.captions import Caption, CaptionBox
from data_gen.failure_samples import failure_answer, failure_observations
from data_gen.served import served_listing
from data_gen.tasks import CHAIN, CONTEXT, FAILURE, IMAGE_PLACEHOLDER, NEGATIVE, SINGLE, Draft, Task
from protocol.prompt import PromptTemplate, Turn, size_description
from protocol.records import Record
from protocol.steps import THOUGHT_NO, THOUGHT_YES, FinalAnswer, ObservedStep, ToolCall
from tools.catalog import BOX_CORNERS
from tools.outputs import NO_OBJECT_FOUND, NO_TEXT_FOUND, object_names
from tools.registry import ToolRegistry
from tools.spec import InputKind, OutputKind, ToolSpec

OUTPUT_NOUNS = {
    "en": {
        "Generate Image From User Input Text": "new image",
        "Instruct Image Using Text": "edited image",
        "Segment the given object": "mask",
        "Remove Something From The Photo": "edited photo",
        "Replace Something From The Photo": "edited photo",
        "Extend An Image": "extended image",
        "Crop Image": "cropped image",
        "Rotate Image": "rotated image",
        "Resize Image": "resized image",
        "Blur Region": "blurred image",
    },
    "zh": {
        "Generate Image From User Input Text": "新图片",
        "Instruct Image Using Text": "编辑后的图片",
        "Segment the given object": "掩码图",
        "Remove Something From The Photo": "编辑后的照片",
        "Replace Something From The Photo": "编辑后的照片",
        "Extend An Image": "扩展后的图片",
        "Crop Image": "裁剪后的图片",
        "Rotate Image": "旋转后的图片",
        "Resize Image": "缩放后的图片",
        "Blur Region": "模糊处理后的图片",
    },
}
IMAGE_ANSWERS = {
    "en": (
        "Here is the {noun}: {file}.",
        "Done! I saved the {noun} as {file}.",
        "The {noun} is ready: {file}",
        "I have made the {noun}; it is {file}.",
        "{file} is the {noun} you asked for.",
    ),
    "zh": ("这是{noun}：{file}。", "完成了！{noun}保存为 {file}。", "{noun}已经生成：{file}"),
}
TEXT_ANSWERS = {
    "Get Photo Description": {"en": ("The image shows: {text}", "It shows {text_lc}"), "zh": ("图片内容：{text}",)},
    "Text Detection On Image": {
        "en": ('The text reads "{text}".', 'It says "{text}".'),
        "zh": ("图中的文字是“{text}”。",),
    },
    "Detect the Give Object": {"en": ("I found it here: {text}.", "Detected: {text}."), "zh": ("检测结果：{text}。",)},
    "Detection": {
        "en": ("I found these objects: {text}.", "Objects detected: {text}."),
        "zh": ("检测到的物体：{text}。",),
    },
}


@dataclass(frozen=True)
class Sample:
    """A record with what the report and the splits need to know about it."""

    record: Record
    kind: str
    tools: tuple[str, ...]  # the gold tool of the output step (empty for answers without a tool)
    language: str
    caption_id: str
    request: str  # the human's words with the image placeholder (for de-duplication)
    aliases: Mapping[str, str] = field(default_factory=dict)  # alias shown in the prompt -> catalogue name
    scenario: str = ""  # what a session turn asks (data_gen/sessions.py); "" for the other samples


def answer_for(spec: ToolSpec, observation: str | None, language: str, rng: random.Random) -> str | None:
    """The answer after ``spec`` returned ``observation``: the file it made, or what it read or found (``None`` when
    what the tool returns is unknown, or the tool's output has no answer frame)."""
    if observation is None:
        return None
    if spec.output is OutputKind.IMAGE:
        nouns = phrasings.NOUNS.get(spec.name, {}).get(language)
        noun = (
            nouns[0]
            if nouns
            else OUTPUT_NOUNS[language].get(spec.name, OUTPUT_NOUNS[language]["Generate Image From User Input Text"])
        )
        return rng.choice(IMAGE_ANSWERS[language]).format(noun=noun, file=observation)
    frames = TEXT_ANSWERS.get(spec.name)
    if frames is None:
        return None
    text = observation.rstrip(".")
    frame = rng.choice(frames.get(language) or frames["en"])
    return frame.format(text=observation, text_lc=text[0].lower() + text[1:] + ".")


def format_boxes(boxes: Sequence[CaptionBox]) -> str:
    return "; ".join(f"{b.label} [{', '.join(str(v) for v in b.box)}]" for b in boxes)


def takes_a_box(spec: ToolSpec) -> bool:
    """Whether the tool's arguments after the image are a box's corners (Crop Image, Blur Region)."""
    return spec.inputs[1:] == BOX_CORNERS


@dataclass
class _Step:
    call: ToolCall
    spec: ToolSpec
    observation: str | None  # None: what the tool returns is unknown (no answer sample after it)
    boxes: tuple[CaptionBox, ...] = ()  # what a detector reported (its observation is these, formatted)


class SampleBuilder:
    """Turns (task, validated draft) into samples with a given prompt template per language."""

    def __init__(
        self,
        templates: dict[str, PromptTemplate],
        catalogue: ToolRegistry,
        listed_pool: ToolRegistry,
        *,
        seed: int,
        tools_per_prompt: tuple[int, int] = (2, 5),
        answer_share: float = 0.35,
        rename_share: float = 0.0,
        failure_share: float = 0.0,
        plain_image_share: float = 0.0,
        condition_of_share: float = 0.0,
        served_listing_share: float = 0.0,
    ) -> None:
        self.templates = templates
        self.catalogue = catalogue
        self.listed_pool = listed_pool
        self.pool = list(listed_pool)
        self.seed = seed
        self.tools_per_prompt = tools_per_prompt
        self.answer_share = answer_share
        self.rename_share = rename_share
        self.failure_share = failure_share
        self.plain_image_share = plain_image_share
        self.condition_of_share = condition_of_share
        self.served_listing_share = served_listing_share

    # ----------------------------------------------------------------- prompt parts
    def listed_tools(self, gold: Sequence[str], rng: random.Random) -> list[ToolSpec]:
        """2 to 5 tools: the gold ones plus random others from the pool, shuffled."""
        low, high = self.tools_per_prompt
        count = max(rng.randint(low, high), len(set(gold)))
        chosen = [self.catalogue.get(name) for name in dict.fromkeys(gold)]
        others = [spec for spec in self.pool if spec.name not in gold]
        chosen += rng.sample(others, min(count - len(chosen), len(others)))
        rng.shuffle(chosen)
        return chosen

    def tool_aliases(self, listed: Sequence[ToolSpec], rng: random.Random) -> dict[str, str]:
        """Aliases for the listed tools in ``rename_share`` of the prompts (no random draw when it is 0)."""
        if not self.rename_share or rng.random() >= self.rename_share:
            return {}
        return aliases.draw_aliases([spec.name for spec in listed], self.catalogue.names, rng)

    def history(self, task: Task, draft: Draft, image: str, template: PromptTemplate) -> list[Turn]:
        if not task.with_image:
            return []
        return template.introduce_image(image, self.describe_image(task, draft))

    def describe_image(self, task: Task, draft: Draft) -> str:
        """What the conversation says about the human's image: its caption, after what kind of map it is when a
        conditioned generator works on it ("A pose made from a photo. ..." or, in ``condition_of_share`` of
        those, "A pose skeleton of ..."); in ``plain_image_share`` of prompts only its size, as the demo says with no
        captioner loaded. Both draws use their own random stream, so at 0 nothing else changes."""
        rng = task.rng(self.seed, "description")
        if self.plain_image_share and rng.random() < self.plain_image_share:
            return size_description(*task.caption.size)
        description = task.caption.text
        first = draft.calls[0][0] if draft.calls else ""
        if first not in phrasings.CONDITIONS:
            return description
        if self.condition_of_share and rng.random() < self.condition_of_share:
            noun = rng.choice(phrasings.CONDITION_IMAGES[first])
            article = "An" if noun[0] in "aeiouAEIOU" else "A"
            return f"{article} {noun} of {description[0].lower()}{description[1:]}"
        return f"A {phrasings.CONDITIONS[first]['en'][0]} made from a photo. {description}"

    # ----------------------------------------------------------------- playing the calls out
    @staticmethod
    def _detected(
        spec: ToolSpec, arguments: list[str], source_is_upload: bool, caption: Caption
    ) -> tuple[CaptionBox, ...]:
        """The boxes a detector reports on the caption's scene (none for other tools or a derived image)."""
        if spec.name == "Detection" and source_is_upload:
            return tuple(slots.caption_boxes(caption))
        if spec.name == "Detect the Give Object":  # one or several names, each object's boxes in that order
            boxes = slots.caption_boxes(caption)
            return tuple(b for name in object_names(arguments[1]) for b in boxes if b.label == name)
        return ()

    def _observation(
        self, spec: ToolSpec, boxes: Sequence[CaptionBox], source_is_upload: bool, caption: Caption
    ) -> str | None:
        if spec.name == "Get Photo Description":
            return caption.text if source_is_upload else None
        if spec.name == "Text Detection On Image":
            return caption.sign_text or NO_TEXT_FOUND
        if spec.name == "Detection":
            return format_boxes(boxes) if source_is_upload else None
        if spec.name == "Detect the Give Object":
            return format_boxes(boxes) if boxes else NO_OBJECT_FOUND
        return None

    def play(self, task: Task, draft: Draft, image: str, rng: random.Random) -> list[_Step]:
        """Resolve image arguments and outputs of every call, in order."""
        steps: list[_Step] = []
        current, from_upload = image, True
        for tool, action_input in draft.calls:
            spec = self.catalogue.get(tool)
            arguments = spec.split_arguments(action_input)
            arguments = [
                current if item.kind is InputKind.IMAGE else value
                for item, value in zip(spec.inputs, arguments, strict=True)
            ]
            if steps and steps[-1].spec.output is OutputKind.BOXES and takes_a_box(spec):
                arguments[1:5] = self._reported_box(steps[-1].boxes, arguments[1:5], draft.request)
            call = ToolCall(THOUGHT_YES, tool, ", ".join(arguments))
            if spec.output is OutputKind.IMAGE:
                source = current if spec.image_inputs else None
                output = files.derived_name(spec.operation, source, rng)
                steps.append(_Step(call, spec, output))
                current, from_upload = output, False
            else:
                boxes = self._detected(spec, arguments, from_upload, task.caption)
                observation = self._observation(spec, boxes, from_upload, task.caption)
                steps.append(_Step(call, spec, observation, boxes))
        return steps

    @staticmethod
    def _reported_box(reported: Sequence[CaptionBox], proposed: list[str], request: str) -> list[str]:
        """Crop after a detector: the proposed box if the detector reported it, else the box of an object
        the request names (the longest such label), else the first box reported."""
        if not reported or any([str(v) for v in b.box] == proposed for b in reported):
            return proposed
        named = [b for b in reported if b.label.lower() in request.lower()]
        chosen = max(named, key=lambda b: len(b.label)) if named else reported[0]
        return [str(v) for v in chosen.box]

    # ----------------------------------------------------------------- samples
    def build(self, task: Task, draft: Draft) -> list[Sample]:
        rng = task.rng(self.seed, "build")
        template = self.templates[task.language]
        image = files.upload_name(task.caption, rng) if task.with_image else ""
        gold = [tool for tool, _ in draft.calls]
        if self.served_listing_share and task.rng(self.seed, "served").random() < self.served_listing_share:
            listed, renamed = served_listing(self.listed_pool, gold, task.rng(self.seed, "served listing")), {}
        else:
            listed = self.listed_tools(gold, rng)
            renamed = self.tool_aliases(listed, rng)
        shown = [replace(spec, name=renamed.get(spec.name, spec.name)) for spec in listed]
        user_input = draft.request.replace(IMAGE_PLACEHOLDER, image)
        instruction = template.render_instruction(shown, self.history(task, draft, image, template), user_input)
        back = {alias: name for name, alias in renamed.items()}

        def as_shown(call: ToolCall) -> ToolCall:
            return replace(call, tool=renamed.get(call.tool, call.tool))

        def sample(kind: str, scratchpad: str, output: str, tools: tuple[str, ...]) -> Sample:
            record = Record(instruction, scratchpad, output)
            return Sample(record, kind, tools, task.language, task.caption.id, draft.request, back)

        if task.kind == NEGATIVE:
            answer = draft.answer.replace(IMAGE_PLACEHOLDER, image)
            return [sample(NEGATIVE, "", FinalAnswer(THOUGHT_NO, answer).render(), ())]
        steps = self.play(task, draft, image, rng)
        first_kind = CHAIN if len(steps) > 1 else SINGLE
        samples = [sample(first_kind, "", as_shown(steps[0].call).render(), (steps[0].call.tool,))]
        observed: list[ObservedStep] = []
        for previous, step in pairwise(steps):
            if previous.observation is None:
                break
            observed.append(ObservedStep(as_shown(previous.call), previous.observation))
            scratchpad = template.render_scratchpad(observed)
            samples.append(sample(CONTEXT, scratchpad, as_shown(step.call).render(), (step.call.tool,)))
        last = steps[-1]
        answer = answer_for(last.spec, last.observation, task.language, rng)
        wants_answer = len(steps) > 1 or rng.random() < self.answer_share
        if answer and wants_answer and len(observed) == len(steps) - 1:
            scratchpad = template.render_scratchpad(
                [*observed, ObservedStep(as_shown(last.call), last.observation or "")]
            )
            samples.append(sample(CONTEXT, scratchpad, FinalAnswer(THOUGHT_NO, answer).render(), ()))
        failure_rng = task.rng(self.seed, "failure")
        if self.failure_share and failure_rng.random() < self.failure_share:
            index = failure_rng.randrange(len(observed) + 1)  # a call whose earlier calls all returned something
            failed = as_shown(steps[index].call)
            error = failure_rng.choice(failure_observations(steps[index].spec, failed))
            scratchpad = template.render_scratchpad([*observed[:index], ObservedStep(failed, error)])
            answer = failure_answer(error, task.language, failure_rng)
            samples.append(sample(FAILURE, scratchpad, FinalAnswer(THOUGHT_NO, answer).render(), ()))
        return samples
