"""A box step of a plan takes the boxes a detection finds, where the planner made its box up.

Asked "find the faces in d.png and blur them", the embedded planner wrote the detection and, beside it, a Blur Region
on the same photo with the box ``512, 512, 512, 512`` (numbers the request never states), which failed as an empty
box. The plan data feeds a box tool after a detector the detection itself (``"image_path": "<GENERATED>-k"``, every
box it finds; ``data_gen.plans.from_teacher_draft``), so that is the step meant. "Crop the face in d.png" was planned
with no detection at all and a made-up box: when the request speaks of faces or people, a Detection step is added to
find them (as the ReAct loop runs Detection first: ``agent.pending_edit.invented_box``). "Crop the top half of
d.png" gets the top half's box from the image's size (another step's output: its size as the plan will make it), "blur it" the whole picture's and "make the picture square"
the largest centred square's, as in the ReAct loop (``agent.pending_edit.named_box``). "Crop to the sign" takes the
box of the words a reading finds (a reading added when the plan has none), as the ReAct loop does
(``agent.text_region``).
"""

from __future__ import annotations

from collections.abc import Callable

from agent.pending_edit import FINDER, edits_people, is_shown, named_box
from agent.plan_sizes import planned_size
from agent.read_text import READER
from agent.stated_numbers import numbers_besides_size_and_angle
from agent.text_region import writing_box_tool
from protocol.plan import BOX_CORNERS, Plan, PlanStep, Reference, Value, takes_a_box
from tools.registry import ToolRegistry
from tools.spec import OutputKind


def boxes_from_the_detection(
    plan: Plan,
    request: str,
    tools: ToolRegistry,
    size: Callable[[Value], tuple[int, int] | None] = lambda image: None,
    shown: str = "",
) -> tuple[Plan, dict[int, int | None]]:
    """``plan`` with each box step whose corners the request does not state taking the part of its image the request
    names by its place ("the top half"; ``size`` gives an image's width and height, ``None`` when unknown before
    the plan runs), else the boxes of a detection step on its image (the latest such step listed before it, else
    after it; a :data:`FINDER` step added before it when there is none and the request speaks of faces or people),
    and the detection each changed step now takes (``None``: a named part; ``{}``: the plan as it was). A box the
    conversation (``shown``) holds stays."""
    stated = set(numbers_besides_size_and_angle(request))
    steps = list(plan.steps)
    changed: dict[int, int | None] = {}
    for step in plan.steps:
        if not (step.task in tools and takes_a_box(tools.get(step.task)) and step.args):
            continue
        corners = [step.arguments.get(name) for name in BOX_CORNERS]
        if all(isinstance(value, int | float) and _number(value) in stated for value in corners):
            continue  # the person's own box
        if all(isinstance(value, int | float) for value in corners) and is_shown(map(_number, corners), shown):
            continue  # a box the conversation holds ("blur it" after a detection)
        image_name, image = step.args[0]
        dimensions = planned_size(image, steps, size, tools)  # "rotate it 90 degrees, then crop the top half"
        region = named_box(request, step.task, *dimensions) if dimensions else None
        if region:
            changed[step.id] = None
            steps[steps.index(step)] = PlanStep(
                step.task, step.id, (step.args[0], *zip(BOX_CORNERS, region, strict=True))
            )
            continue
        if isinstance(image, Reference) and any(
            other.id == image.step and (_detects(other, tools) or other.task == READER) for other in steps
        ):
            continue  # already given a detection or a reading: the executor runs it on every box found
        position = steps.index(step)
        found = [other for other in steps if _detects(other, tools) and other.args[0][1] == image]
        read = [other for other in steps if other.task == READER and other.args and other.args[0][1] == image]
        if writing_box_tool(request, tools.names, after_reading=bool(read)) == step.task:
            # "crop to the sign": the reading's box of the words (agent/text_region.py), a reading added if none
            if read:
                detection = ([other for other in read if steps.index(other) < position] or read)[-1].id
            else:
                detection = max(other.id for other in steps) + 1
                steps.insert(position, PlanStep(READER, detection, ((tools.get(READER).inputs[0].name, image),)))
        elif found:
            detection = ([other for other in found if steps.index(other) < position] or found)[-1].id
        elif edits_people(request, step.task) and FINDER in tools:
            detection = max(other.id for other in steps) + 1
            steps.insert(position, PlanStep(FINDER, detection, ((tools.get(FINDER).inputs[0].name, image),)))
        else:
            continue
        changed[step.id] = detection
        boxed = PlanStep(step.task, step.id, ((image_name, Reference(detection)),))
        steps[steps.index(step)] = boxed
        finder = next(other for other in steps if other.id == detection)
        if steps.index(finder) > steps.index(boxed):  # listed after the step it now feeds: it runs first
            steps.remove(finder)
            steps.insert(steps.index(boxed), finder)
    return (plan, {}) if not changed else (Plan(tuple(steps)), changed)


def _detects(step: PlanStep, tools: ToolRegistry) -> bool:
    """Whether ``step`` finds boxes (Detection, Detect the Give Object) on an image."""
    return step.task in tools and tools.get(step.task).output is OutputKind.BOXES and bool(step.args)


def _number(value: float) -> str:
    """A corner as a request would write it (``176``, not ``176.0``)."""
    return str(int(value)) if float(value).is_integer() else str(value)
