"""Plan records: requests whose gold output is a HuggingGPT-style plan (:mod:`protocol.plan`).

Kinds of plan task (``GenConfig.plans`` gives how many of each per caption; fractions spread them over captions):

- ``single``: one tool, drafted by the configured teacher like a single-tool ReAct task;
- ``chain``: 2 to 4 steps, each using the output of the one before (a third of the two-step ones are drafted
  by the teacher from ``data_gen.tasks.CHAINS``, the rest composed from clauses);
- ``dag``: independent branches: several tools on one image, an edit whose result two tools use, two images,
  a step beside a chain, or HuggingGPT's merge (a map of one image and a description of another feed a
  conditioned generator);
- ``repeated``: a tool used twice (on two images, twice on one image with other arguments, twice in a row);
- ``none``: a request that needs no tool (the no-tool requests of the ReAct data); the plan is ``[]``.

Composed requests join one clause per step (:mod:`data_gen.plan_phrasings`) with the template teacher's slot
values, typos and openers; the test split's connectors and openers are held out. Steps are drawn as walks over
which tool can use which output (an image for edits, maps and analyses; a map for its conditioned generator;
boxes for a box-taking tool; a description for text-to-image); each task targets one gold tool (round robin, so
tools are balanced), and test plans always contain a held-out tool. Records go through the ReAct data's
validation, de-duplication, split rules and ``_finalise`` checks.
"""

from __future__ import annotations

import logging
import math
import random
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from data_gen import files, plan_phrasings
from data_gen.builders import Sample, SampleBuilder
from data_gen.captions import Caption
from data_gen.config import GenConfig
from data_gen.dedup import Embedder, deduplicate
from data_gen.negatives import negative_request
from data_gen.phrasings import CONDITIONS
from data_gen.splits import SplitPlan, seeded_rng
from data_gen.tasks import CHAIN, CHAINS, IMAGE_PLACEHOLDER, PLAN_KINDS, SINGLE, TEXT_ONLY_TOOLS, Draft, Task
from data_gen.teachers.base import Teacher
from data_gen.teachers.template import INPUT_SLOTS, TemplateTeacher
from data_gen.validate import DraftValidator
from generation.tool_calls import image_names
from protocol.plan import (
    Plan,
    PlanError,
    PlanStep,
    Reference,
    Value,
    decode_plan,
    plan_problems,
    plan_shape,
    takes_a_box,
)
from protocol.plan_prompt import PlanTemplate, is_plan_prompt, offered_tools
from protocol.records import Record
from tools.registry import ToolRegistry
from tools.spec import InputKind, OutputKind

logger = logging.getLogger(__name__)

SINGLE_PLAN, CHAIN_PLAN, DAG_PLAN, REPEATED_PLAN, NO_TOOL_PLAN = PLAN_KINDS
SAMPLE_PREFIX = "plan_"  # a plan sample's kind is this plus the gold plan's shape (plan_single, plan_dag...)
NO_TOOL_SAMPLE = SAMPLE_PREFIX + "none"
SECOND_IMAGE = "<image2>"
TEACHER_CHAIN_SHARE = 1 / 3  # two-step chains drafted by the teacher (its chain phrasings) rather than composed
MAX_CHAIN = 4
DRAW_ATTEMPTS = 300  # skeletons drawn for a task before it is given up (its target tool fits no such plan)
DESCRIBE = "Get Photo Description"
TEXT_TO_IMAGE = "Generate Image From User Input Text"
# A map step and the conditioned generator that follows that kind of map.
MAP_GENERATORS = {first: second for first, second in CHAINS if second in CONDITIONS}
TWICE_ON_ONE_IMAGE = ("Answer Question About The Image", "Detect the Give Object", "Segment the given object")
TWICE_IN_A_ROW = ("Rotate Image", "Resize Image", "Instruct Image Using Text", "Blur Region", "Crop Image")
_SLOT = re.compile(r"\{(\w+)\}")
UPLOADS = (IMAGE_PLACEHOLDER, SECOND_IMAGE)


def plan_count(per_caption: float, number: int) -> int:
    """Tasks for caption ``number`` when ``per_caption`` are wanted on average (0.5: every other caption)."""
    return math.floor((number + 1) * per_caption) - math.floor(number * per_caption)


@dataclass(frozen=True)
class SkeletonStep:
    """A step to phrase: its tool, the image it works on (an upload placeholder, an earlier step's index, or
    ``None``) and, for a text input fed by a description, that step's index."""

    tool: str
    image: str | int | None = IMAGE_PLACEHOLDER
    text_from: int | None = None


@dataclass(frozen=True)
class PlanTask:
    """One plan request to make: composed from ``skeleton``, drafted by the teacher (``teacher_task``) or none."""

    kind: str
    caption: Caption
    language: str
    index: int
    with_image: bool
    skeleton: tuple[SkeletonStep, ...] = ()
    teacher_task: Task | None = None
    partner: Caption | None = None  # the second image's caption

    @property
    def tools(self) -> tuple[str, ...]:
        """The tools of the plan, in order."""
        if self.teacher_task is not None:
            return self.teacher_task.tools
        return tuple(step.tool for step in self.skeleton)

    @property
    def key(self) -> str:
        partner = f"|{self.partner.id}" if self.partner else ""
        return f"{self.caption.id}|plan-{self.kind}|{'+'.join(self.tools)}|{self.language}|{self.index}{partner}"

    def rng(self, seed: int, salt: str = "") -> random.Random:
        return seeded_rng(seed, self.key, salt)


@dataclass(frozen=True)
class PlanDraft:
    """A request and its plan; :data:`IMAGE_PLACEHOLDER` / :data:`SECOND_IMAGE` stand for the images' file names."""

    request: str
    plan: Plan


# --------------------------------------------------------------------------------------------- skeletons
class SkeletonDrawer:
    """Draws step skeletons over the tools of ``pool`` (what may follow what: see the module docstring)."""

    def __init__(self, pool: ToolRegistry) -> None:
        self.pool = pool
        self.image_tools = [s.name for s in pool if s.image_inputs and s.name not in CONDITIONS]
        self.box_users = [s.name for s in pool if takes_a_box(s)]

    def followers(self, tool: str) -> list[str]:
        """Tools that can use ``tool``'s output."""
        if tool in MAP_GENERATORS:
            return [MAP_GENERATORS[tool]] if MAP_GENERATORS[tool] in self.pool else []
        output = self.pool.get(tool).output
        if output is OutputKind.BOXES:
            return self.box_users
        if output is OutputKind.TEXT:
            return [TEXT_TO_IMAGE] if tool == DESCRIBE and TEXT_TO_IMAGE in self.pool else []
        if tool == "Segment the given object":
            return []  # a mask: nothing further
        return self.image_tools

    def follow(self, tool: str, k: int) -> SkeletonStep:
        """The step ``tool`` working on step ``k``'s output."""
        return SkeletonStep(tool, None, k) if tool == TEXT_TO_IMAGE else SkeletonStep(tool, k)

    def start(self, rng: random.Random, source: str = IMAGE_PLACEHOLDER) -> SkeletonStep:
        starters = self.image_tools + ([TEXT_TO_IMAGE] if TEXT_TO_IMAGE in self.pool else [])
        tool = rng.choice(starters)
        return SkeletonStep(tool, None) if tool == TEXT_TO_IMAGE else SkeletonStep(tool, source)

    def chain(self, rng: random.Random, length: int) -> tuple[SkeletonStep, ...] | None:
        """``length`` steps, each working on the output of the one before (``None``: a dead end came first)."""
        steps = [self.start(rng)]
        while len(steps) < length:
            options = self.followers(steps[-1].tool)
            if not options:
                return None
            steps.append(self.follow(rng.choice(options), len(steps) - 1))
        return tuple(steps)

    def dag(self, rng: random.Random) -> tuple[SkeletonStep, ...] | None:
        """Independent branches: tools side by side on one image, an edit whose result two tools use, one tool
        per image, a chain beside another step, or HuggingGPT's merge."""
        pattern = rng.choice(("fan_out", "edit_then_fan_out", "two_images", "merge", "chain_and_one"))
        if pattern == "fan_out":
            tools = rng.sample(self.image_tools, min(len(self.image_tools), rng.choice((2, 3))))
            return tuple(SkeletonStep(tool) for tool in tools) if len(tools) > 1 else None
        if pattern == "edit_then_fan_out":
            first = self.start(rng)
            options = self.followers(first.tool)
            if len(set(options)) < 2:
                return None
            return (first, *(self.follow(tool, 0) for tool in rng.sample(options, 2)))
        if pattern == "two_images":
            first, second = rng.sample(self.image_tools, 2)
            return (SkeletonStep(first), SkeletonStep(second, SECOND_IMAGE))
        if pattern == "merge":
            maps = [m for m in MAP_GENERATORS if m in self.pool and MAP_GENERATORS[m] in self.pool]
            if not maps or DESCRIBE not in self.pool:
                return None
            chosen = rng.choice(maps)
            described = rng.choice(UPLOADS)
            return (SkeletonStep(chosen), SkeletonStep(DESCRIBE, described), SkeletonStep(MAP_GENERATORS[chosen], 0, 1))
        chain = self.chain(rng, 2)
        if chain is None:
            return None
        other = SkeletonStep(TEXT_TO_IMAGE, None) if rng.random() < 0.5 else self.start(rng, SECOND_IMAGE)
        return (*chain, other)

    def repeated(self, rng: random.Random) -> tuple[SkeletonStep, ...] | None:
        """A tool used twice: on two images, twice on one image, twice in a row, or text-to-image twice."""
        pattern = rng.choice(("two_images", "twice_on_one_image", "twice_in_a_row", "draw_twice"))
        if pattern == "two_images":
            tool = rng.choice(self.image_tools)
            return (SkeletonStep(tool), SkeletonStep(tool, SECOND_IMAGE))
        if pattern == "twice_on_one_image":
            tools = [t for t in TWICE_ON_ONE_IMAGE if t in self.pool]
            return (SkeletonStep(tool := rng.choice(tools)), SkeletonStep(tool)) if tools else None
        if pattern == "twice_in_a_row":
            tools = [t for t in TWICE_IN_A_ROW if t in self.pool]
            return (SkeletonStep(tool := rng.choice(tools)), SkeletonStep(tool, 0)) if tools else None
        if TEXT_TO_IMAGE not in self.pool:
            return None
        return (SkeletonStep(TEXT_TO_IMAGE, None), SkeletonStep(TEXT_TO_IMAGE, None))

    def draw(self, kind: str, target: str, rng: random.Random) -> tuple[SkeletonStep, ...] | None:
        """A skeleton of ``kind`` that uses ``target`` (``None`` when none turned up)."""
        for _ in range(DRAW_ATTEMPTS):
            if kind == CHAIN_PLAN:
                skeleton = self.chain(rng, rng.randint(2, MAX_CHAIN))
            elif kind == DAG_PLAN:
                skeleton = self.dag(rng)
            else:
                skeleton = self.repeated(rng)
            if skeleton and target in {step.tool for step in skeleton}:
                return skeleton
        return None


# --------------------------------------------------------------------------------------------- planning
def draw_plan_tasks(split: SplitPlan, config: GenConfig) -> list[PlanTask]:
    """Plan tasks for every caption of a split; each targets a gold tool (round robin per kind).

    Train and val plans use their split's (seen) tools only; every test plan holds a held-out tool.
    """
    plans, seed = config.plans, config.seed
    if not any(plans.values()):
        return []
    test = split.name == "test"
    gold = split.gold.names
    drawer = SkeletonDrawer(split.listed)
    rng = seeded_rng(seed, "plan-tasks", split.name)
    order = rng.sample(gold, len(gold))
    chains = [
        pair
        for pair in CHAINS
        if all(t in split.listed for t in pair) and (set(pair) & set(gold) if test else set(pair) <= set(gold))
    ]
    served = dict.fromkeys(PLAN_KINDS, 0)
    tasks: list[PlanTask] = []
    for number, caption in enumerate(split.captions):
        crng = seeded_rng(seed, "plan-caption", split.name, caption.id)
        for kind in PLAN_KINDS:
            for index in range(plan_count(plans.get(kind, 0), number)):
                language = "zh" if crng.random() < config.zh_share else "en"
                task = _plan_task(
                    kind,
                    caption,
                    language,
                    index,
                    split,
                    drawer,
                    order[served[kind] % len(order)],
                    chains,
                    crng,
                    config.negative_image_share,
                )
                served[kind] += 1
                if task is not None:
                    tasks.append(task)
        if split.cap is not None and len(tasks) >= split.cap:
            break
    return tasks


def _plan_task(  # noqa: PLR0917 (the context of one task)
    kind: str,
    caption: Caption,
    language: str,
    index: int,
    split: SplitPlan,
    drawer: SkeletonDrawer,
    target: str,
    chains: Sequence[tuple[str, str]],
    rng: random.Random,
    image_share: float,
) -> PlanTask | None:
    if kind == NO_TOOL_PLAN:
        return PlanTask(kind, caption, language, index, rng.random() < image_share)

    def drafted_by_the_teacher(tools: tuple[str, ...]) -> PlanTask:
        with_image = tools[0] not in TEXT_ONLY_TOOLS or rng.random() < 0.5
        task = Task(SINGLE if len(tools) == 1 else CHAIN, caption, tools, language, with_image, index, "plan")
        return PlanTask(kind, caption, language, index, with_image, teacher_task=task)

    if kind == SINGLE_PLAN:
        return drafted_by_the_teacher((target,))
    if kind == CHAIN_PLAN and rng.random() < TEACHER_CHAIN_SHARE:
        pairs = [pair for pair in chains if target in pair]
        if pairs:
            return drafted_by_the_teacher(rng.choice(pairs))
    skeleton = drawer.draw(kind, target, rng)
    if skeleton is None:
        return None
    partner = None
    if any(step.image == SECOND_IMAGE for step in skeleton):
        others = [c for c in split.captions if c.id != caption.id]
        if not others:
            return None
        partner = rng.choice(others)
    with_image = any(step.image in UPLOADS for step in skeleton) or rng.random() < 0.5
    return PlanTask(kind, caption, language, index, with_image, skeleton, partner=partner)


def teacher_tasks(tasks: Sequence[PlanTask]) -> list[Task]:
    """The tasks the teacher drafts (single-tool plans and some two-step chains)."""
    return [task.teacher_task for task in tasks if task.teacher_task is not None]


# --------------------------------------------------------------------------------------------- drafting
def _typed(kind: InputKind, value: str) -> Value:
    if kind is InputKind.NUMBER:
        number = float(value)
        return int(number) if number.is_integer() else number
    return value


def from_teacher_draft(draft: Draft, catalogue: ToolRegistry) -> PlanDraft:
    """A teacher's single-tool or chained draft as a plan: a later call's image is the step before's output
    (its boxes, for a box-taking tool after a detector); a call after a text or boxes step that takes no box
    works on the human's image."""
    steps: list[PlanStep] = []
    for index, (tool, action_input) in enumerate(draft.calls):
        spec = catalogue.get(tool)
        values = spec.split_arguments(action_input)
        previous = catalogue.get(draft.calls[index - 1][0]) if index else None
        args: list[tuple[str, Value]] = []
        for item, value in zip(spec.inputs, values, strict=True):
            if item.kind is InputKind.IMAGE:
                fed = previous is not None and (
                    previous.output is OutputKind.IMAGE or (previous.output is OutputKind.BOXES and takes_a_box(spec))
                )
                args.append((item.name, Reference(index - 1) if fed else IMAGE_PLACEHOLDER))
                if fed and previous.output is OutputKind.BOXES:
                    break  # the box comes from the detection
            else:
                args.append((item.name, _typed(item.kind, value)))
        steps.append(PlanStep(tool, index, tuple(args)))
    return PlanDraft(draft.request, Plan(tuple(steps)))


class PlanComposer:
    """Phrases skeletons into requests with the template teacher's values, typos and openers."""

    def __init__(self, teacher: TemplateTeacher, catalogue: ToolRegistry, seed: int) -> None:
        self.teacher = teacher
        self.catalogue = catalogue
        self.seed = seed

    def compose(self, task: PlanTask, test: bool) -> PlanDraft:
        """The request and plan of a composed task (``test``: held-out connectors and openers)."""
        rng = task.rng(self.seed, "compose")
        values = []
        for number, step in enumerate(task.skeleton):
            caption = task.partner if step.image == SECOND_IMAGE and task.partner else task.caption
            values.append(self.teacher.values(Task(SINGLE, caption, (step.tool,), task.language, True, number), rng))
        frame = self._merge_frame(task, rng) or self._joined_frame(task, rng, test)
        slots = {f"{name}_{number}": value for number, given in enumerate(values) for name, value in given.items()}
        request = self.teacher.style(frame, rng).format(img0=IMAGE_PLACEHOLDER, img1=SECOND_IMAGE, **slots)
        steps = tuple(self._step(number, task.skeleton, values[number]) for number in range(len(task.skeleton)))
        return PlanDraft(request, Plan(steps))

    def _step(self, number: int, skeleton: Sequence[SkeletonStep], values: Mapping[str, str]) -> PlanStep:
        step = skeleton[number]
        spec = self.catalogue.get(step.tool)
        args: list[tuple[str, Value]] = []
        for item in spec.inputs:
            if item.kind is InputKind.IMAGE:
                args.append((item.name, Reference(step.image) if isinstance(step.image, int) else step.image))
                if isinstance(step.image, int) and self._finds_boxes(skeleton[step.image]):
                    break  # a box-taking tool takes the detection's box
            elif item.kind is InputKind.TEXT and step.text_from is not None:
                args.append((item.name, Reference(step.text_from)))
            else:
                args.append((item.name, _typed(item.kind, values[INPUT_SLOTS[item.name].strip("{}")])))
        return PlanStep(step.tool, number, tuple(args))

    def _finds_boxes(self, step: SkeletonStep) -> bool:
        return self.catalogue.get(step.tool).output is OutputKind.BOXES

    def _joined_frame(self, task: PlanTask, rng: random.Random, test: bool) -> str:
        """One clause per step, joined by a sequential connector where a step uses the one before."""
        language, skeleton = task.language, task.skeleton
        anaphors = plan_phrasings.ANAPHORS.get(language) or plan_phrasings.ANAPHORS["en"]

        def source(number: int) -> str:
            step = skeleton[number]
            if isinstance(step.image, int):
                return rng.choice(anaphors)
            if task.partner is not None:
                return "{img0}" if step.image == IMAGE_PLACEHOLDER else "{img1}"
            return "{image}"  # the file name, or "this photo" (the teacher's name_rate)

        def clause(number: int) -> str:
            step = skeleton[number]
            if isinstance(step.image, int) and self._finds_boxes(skeleton[step.image]):
                found = "one" if skeleton[step.image].tool == "Detect the Give Object" else "all"
                table = plan_phrasings.BOX_CLAUSES[step.tool][found]
                text = rng.choice(table.get(language) or table["en"])
                return _SLOT.sub(lambda m: f"{{{m.group(1)}_{step.image}}}", text)  # the detected object's slots
            if step.text_from is not None:
                text = rng.choice(
                    plan_phrasings.FED_TEXT_CLAUSES.get(language) or plan_phrasings.FED_TEXT_CLAUSES["en"]
                )
            else:
                text = rng.choice(plan_phrasings.clauses(step.tool, language)).replace("{src}", source(number))
            return _SLOT.sub(
                lambda m: m.group(0) if m.group(1) in ("img0", "img1") else f"{{{m.group(1)}_{number}}}", text
            )

        frame = clause(0)
        for number in range(1, len(skeleton)):
            uses_previous = number - 1 in (skeleton[number].image, skeleton[number].text_from)
            joins = plan_phrasings.SEQUENTIAL if uses_previous else plan_phrasings.PARALLEL
            frame += rng.choice(plan_phrasings.held(joins, language, test)) + clause(number)
        opener, end = rng.choice(plan_phrasings.held(plan_phrasings.OPENERS, language, test))
        frame = opener + frame + end
        return frame if frame.startswith("{") else frame[0].upper() + frame[1:]

    def _merge_frame(self, task: PlanTask, rng: random.Random) -> str | None:
        """HuggingGPT's merge request, for the map + description -> conditioned generator skeleton."""
        skeleton = task.skeleton
        merge = len(skeleton) == 3 and skeleton[2].image == 0 and skeleton[2].text_from == 1
        if not merge:
            return None
        frames = plan_phrasings.MERGE_FRAMES.get(task.language) or plan_phrasings.MERGE_FRAMES["en"]
        frame = rng.choice(frames).replace("{cond}", "{cond_2}").replace("{src0}", "{img0}")
        return frame.replace("{src1}", "{img0}" if skeleton[1].image == IMAGE_PLACEHOLDER else "{img1}")


# --------------------------------------------------------------------------------------------- samples
def plan_problem(record: Record) -> str | None:
    """Why a plan record's output is not a valid plan for its prompt's tools and images (``None``: it is; nor
    for a record that is not a plan record)."""
    if not is_plan_prompt(record.instruction):
        return None
    try:
        plan = decode_plan(record.output)
    except PlanError as exc:
        return f"plan does not decode: {exc}"
    problems = plan_problems(plan, offered_tools(record.instruction), image_names(record.instruction))
    return f"plan does not fit its prompt: {problems[0]}" if problems else None


class PlanSampleBuilder:
    """Turns plan tasks and their drafts into records: the planner prompt (offered tools, the session's images,
    the request) and the plan."""

    def __init__(self, templates: Mapping[str, PlanTemplate], builder: SampleBuilder, seed: int) -> None:
        self.templates = templates
        self.builder = builder  # the split's ReAct builder: listed tools and image descriptions as the ReAct data
        self.seed = seed

    def build(self, task: PlanTask, draft: PlanDraft) -> Sample:
        rng = task.rng(self.seed, "build")
        names = {}
        if task.with_image:
            names[IMAGE_PLACEHOLDER] = files.upload_name(task.caption, rng)
        if task.partner is not None:
            second = files.upload_name(task.partner, rng)
            while second in names.values():
                second = files.upload_name(task.partner, rng)
            names[SECOND_IMAGE] = second
        plan = Plan(
            tuple(
                replace(step, args=tuple((n, names.get(v, v) if isinstance(v, str) else v) for n, v in step.args))
                for step in draft.plan.steps
            )
        )
        request = draft.request
        for placeholder, name in names.items():
            request = request.replace(placeholder, name)
        gold = list(dict.fromkeys(plan.tasks))
        listed = self.builder.listed_tools(gold, rng)
        first = plan.steps[0].task if plan.steps else ""
        pseudo = task.teacher_task or Task(
            task.kind, task.caption, task.tools, task.language, task.with_image, task.index, "plan"
        )
        images = []
        if IMAGE_PLACEHOLDER in names:
            description = self.builder.describe_image(pseudo, Draft(draft.request, ((first, ""),) if first else ()))
            images.append((names[IMAGE_PLACEHOLDER], description))
        if SECOND_IMAGE in names:
            images.append((names[SECOND_IMAGE], task.partner.text))
        instruction = self.templates[task.language].render_instruction(listed, images, request)
        record = Record(instruction, "", plan.render())
        return Sample(
            record, SAMPLE_PREFIX + plan_shape(plan), tuple(gold), task.language, task.caption.id, draft.request
        )


def _dedup_group(task: PlanTask) -> tuple:
    if task.kind == NO_TOOL_PLAN:
        return (NO_TOOL_SAMPLE, task.language, task.caption.id if task.with_image else "")
    return (task.caption.id, SAMPLE_PREFIX + task.kind, task.tools)


def plan_samples(
    *,
    split: SplitPlan,
    tasks: Sequence[PlanTask],
    drafts: Mapping[str, list[Draft]],
    validator: DraftValidator,
    builder: SampleBuilder,
    teacher: Teacher,
    config: GenConfig,
    embed: Embedder | None,
) -> list[Sample]:
    """The split's plan samples: drafted (teacher tasks validated like ReAct drafts, the rest composed with the
    template teacher's values), de-duplicated and built with the split's ReAct ``builder``'s tool lists."""
    if not tasks:
        return []
    catalogue = builder.catalogue
    composer = PlanComposer(
        teacher if isinstance(teacher, TemplateTeacher) else TemplateTeacher(catalogue, seed=config.seed),
        catalogue,
        config.seed,
    )
    templates = {template.language: template for template in PlanTemplate.shipped()}
    pairs: list[tuple[PlanTask, PlanDraft]] = []
    for task in tasks:
        if task.kind == NO_TOOL_PLAN:
            request, _answer = negative_request(task.rng(config.seed, "none"), task.language, task.with_image)
            pairs.append((task, PlanDraft(request, Plan())))
        elif task.teacher_task is not None:
            for draft in validator(task.teacher_task, drafts.get(task.teacher_task.key, [])):
                pairs.append((task, from_teacher_draft(draft, catalogue)))
        else:
            pairs.append((task, composer.compose(task, split.name == "test")))
    groups = [_dedup_group(task) for task, _ in pairs]
    keep = deduplicate([draft.request for _, draft in pairs], groups, config.near_duplicate_threshold, embed)
    plan_builder = PlanSampleBuilder(templates, builder, config.seed)
    samples = [plan_builder.build(*pairs[index]) for index in keep]
    logger.info("%s: %d plan drafts, %d after de-duplication", split.name, len(pairs), len(samples))
    return samples
