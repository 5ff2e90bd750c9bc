"""Each edit or map a planned request asks for by its words gets a step, where the planner left it out.

Through the web API, "crop 50 pixels off each side and rotate it by 30 degrees" was planned as the crop alone, "make
it 4k, then give me the straight lines" as an edge map and the lines (no resize), "zoom in on her face, then show me
its edges" as the edges of the whole photo. The ReAct loop opens the step of an asked edit the model left out
(agent/several_edits.py); a plan gets the step added, in the part's place:

- on the upload its part names by its file's words, else on the output of the step before it when its part points
  back ("rotate it", "its edges") or that step is an edit it goes on from ("crop the top half and show me the
  edges": the edges of the crop; agent.several_edits.goes_on_from), else on the image the plan's first step works on;
- with the numbers its part gives: an angle stated or in words, a size stated or relative to the size of the image
  it works on (an upload's, or another step's output as the plan will make it: agent.plan_sizes.planned_size), a
  box stated or of a part named by its place, or the faces or people a detection added before it finds;
- and a later part that points back ("then show me its edges") works on the added step's output.

A step whose numbers cannot be known before the plan runs (a relative size of a detection's crop) is not added;
such a request is then no plan's to run (:func:`asked_but_unplanned`): the ReAct loop does it a step at a time.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from functools import partial

from agent.image_reference import points_past_the_latest
from agent.kept_size import grows, keeps_the_size, middle_box
from agent.meant_call import ANGLE, RESIZER
from agent.pending_edit import CROPPER, FINDER, edits_people, named_box
from agent.plan_images import image_argument
from agent.plan_sizes import planned_size
from agent.request_parts import request_parts
from agent.several_edits import ROTATOR, asked_edits, goes_on_from
from agent.stated_numbers import angle_in_words, scaled_size, stated_angle, stated_numbers
from agent.upload_names import upload_named_for
from protocol.plan import BOX_CORNERS, Plan, PlanStep, Reference, Value, takes_a_box
from tools.registry import ToolRegistry
from tools.spec import InputKind, OutputKind

# A part that works on what the part before it made: "rotate it", "show me its edges", "then blur them"
_POINTS_BACK = re.compile(r"\b(?:it|its|them|their|the\s+result|the\s+output)\b", re.IGNORECASE)
_DEFAULT_TURN = "90"  # "rotate it" with no angle: a quarter turn, as agent.stated_numbers.angle_in_words reads it


def with_the_edits_asked(
    plan: Plan,
    request: str,
    tools: ToolRegistry,
    file_names: Mapping[str, str],
    size: Callable[[Value], tuple[int, int] | None],
) -> tuple[Plan, list[int]]:
    """``plan`` with a step for each edit or map a part of ``request`` asks for (agent/several_edits.py) that no step
    does and each later part on the edit it goes on from (see the module docstring; ``size`` gives an upload's width
    and height), and the ids added."""
    if not plan.steps:
        return plan, []
    steps = list(plan.steps)
    added: list[int] = []
    before: Value | None = None  # the image the last asked step makes, for a part that points back
    edited = ""  # the edit (not a map) that made it, which a later part goes on from
    first_image = image_argument(steps[0])
    for part in request_parts(request):
        points_back = bool(_POINTS_BACK.search(part))
        for tool in asked_edits(part, tools):
            named = upload_named_for(part, tool, file_names, tools)
            # "crop the top half and show me the edges": the edges of the crop, as "its edges" would say
            goes_on = before is not None and (
                points_back or (bool(edited) and goes_on_from(tool, edited) and not points_past_the_latest(part))
            )
            done = next((step for step in steps if step.task == tool), None)
            if done is not None:
                if goes_on and not named and _works_before(done, before, steps):
                    steps[steps.index(done)] = done = _repointed(done, before)  # the executor follows the references
                if tools.get(tool).output is OutputKind.IMAGE:
                    before, edited = Reference(done.id), "" if tools.get(tool).makes_map else tool
                continue
            image = named or (before if goes_on else first_image)
            if image is None:
                continue
            planned = partial(planned_size, steps=steps, size=size, tools=tools)  # an output's size as planned
            new = _step_for(part, tool, image=image, tools=tools, size=planned, step_id=_next_id(steps))
            if not new:
                continue
            steps.extend(new)
            added.extend(step.id for step in new)
            before, edited = Reference(new[-1].id), "" if tools.get(tool).makes_map else tool
    kept = _size_kept(steps, request, tools, size)
    steps, added = ([*_after(steps, kept), kept], [*added, kept.id]) if kept else (steps, added)
    return (Plan(_in_order(steps)), added) if added or tuple(steps) != tuple(plan.steps) else (plan, [])


def _step_for(
    part: str,
    tool: str,
    *,
    image: Value,
    tools: ToolRegistry,
    size: Callable[[Value], tuple[int, int] | None],
    step_id: int,
) -> list[PlanStep]:
    """The step (with a detection before it, for a box of faces or people) that does ``tool`` on ``image`` as
    ``part`` asks, or ``[]`` when its numbers cannot be known before the plan runs."""
    spec = tools.get(tool)
    image_input = spec.inputs[0].name
    numbers = [spec_input.name for spec_input in spec.inputs if spec_input.kind is InputKind.NUMBER]
    if not numbers:
        return [PlanStep(tool, step_id, ((image_input, image),))]
    stated = stated_numbers(part)
    if tool == ROTATOR:
        angle = float(stated_angle(part) or angle_in_words(_DEFAULT_TURN, part))
        return [PlanStep(tool, step_id, ((image_input, image), (ANGLE, int(angle) if angle.is_integer() else angle)))]
    dimensions = size(image)
    if tool == RESIZER:
        made = (int(stated[0]), int(stated[1])) if len(stated) == 2 else None
        made = made or (scaled_size(part, *dimensions) if dimensions else None)
        return [PlanStep(tool, step_id, ((image_input, image), *zip(numbers, made, strict=True)))] if made else []
    if not takes_a_box(spec):
        return []
    box = tuple(int(number) for number in stated) if len(stated) == len(BOX_CORNERS) else None
    box = box or (named_box(part, tool, *dimensions) if dimensions else None)
    if box:
        return [PlanStep(tool, step_id, ((image_input, image), *zip(BOX_CORNERS, box, strict=True)))]
    if edits_people(part, tool) and FINDER in tools:  # the box tool takes every box the detection finds
        finder = PlanStep(FINDER, step_id, ((tools.get(FINDER).inputs[0].name, image),))
        return [finder, PlanStep(tool, step_id + 1, ((image_input, Reference(step_id)),))]
    return []


def _size_kept(
    steps: Sequence[PlanStep], request: str, tools: ToolRegistry, size: Callable[[Value], tuple[int, int] | None]
) -> PlanStep | None:
    """A crop of the middle of the plan's rotation back to its source's size when ``request`` asks for a rotation that
    keeps the size and the plan crops nothing (agent/kept_size.py); ``None`` otherwise or when a size is unknown."""
    rotation = next((step for step in steps if step.task == ROTATOR), None)
    if rotation is None or CROPPER not in tools or any(step.task == CROPPER for step in steps):
        return None
    if not keeps_the_size(request, tools):
        return None
    source = planned_size(image_argument(rotation), steps, size, tools)
    turned = planned_size(Reference(rotation.id), steps, size, tools)
    if not source or not turned or not grows(source, turned):
        return None
    box = middle_box(source, turned)
    image_input = tools.get(CROPPER).inputs[0].name
    return PlanStep(
        CROPPER, _next_id(steps), ((image_input, Reference(rotation.id)), *zip(BOX_CORNERS, box, strict=True))
    )


def _after(steps: Sequence[PlanStep], crop: PlanStep) -> list[PlanStep]:
    """``steps`` with those that worked on the rotation ``crop`` cuts back working on the crop."""
    rotated = crop.args[0][1]
    return [
        _repointed(step, Reference(crop.id)) if step.args and step.args[0][1] == rotated else step for step in steps
    ]


def _works_before(step: PlanStep, before: Value, steps: Sequence[PlanStep]) -> bool:
    """Whether ``step`` works on an image ``before`` (a step's output, made after the parts before ``step``'s) was
    made from: an upload, or the output of a step ``before`` goes on from ("blur her face, rotate it and make it 300
    pixels wide" was planned with the rotation and the resize side by side on the blur), and not on ``step``'s own
    output (no cycle)."""
    image = image_argument(step)
    if not isinstance(image, Reference):
        return True
    chain = _chain_of(before, steps)
    return image.step in chain and step.id not in chain and image != before


def _chain_of(image: Value, steps: Sequence[PlanStep]) -> list[int]:
    """The ids of the steps ``image`` comes from, following each step's image back (``image``'s own step first)."""
    by_id = {step.id: step for step in steps}
    chain: list[int] = []
    while isinstance(image, Reference) and image.step in by_id and image.step not in chain:
        chain.append(image.step)
        image = image_argument(by_id[image.step])
    return chain


def _repointed(step: PlanStep, image: Value) -> PlanStep:
    """``step`` working on ``image``."""
    return PlanStep(step.task, step.id, ((step.args[0][0], image), *step.args[1:])) if step.args else step


def _in_order(steps: Sequence[PlanStep]) -> tuple[PlanStep, ...]:
    """``steps`` listed so that each comes after the steps whose outputs it uses (a step pointed at an added step's
    output moves after it), otherwise in their order."""
    placed: list[PlanStep] = []
    waiting = list(steps)
    while waiting:
        ready = next(
            (step for step in waiting if all(any(done.id == used for done in placed) for used in step.references)),
            waiting[0],  # a cycle: the executor's check names it
        )
        placed.append(ready)
        waiting.remove(ready)
    return tuple(placed)


def _next_id(steps: Sequence[PlanStep]) -> int:
    return max(step.id for step in steps) + 1


def asked_but_unplanned(plan: Plan, request: str, tools: ToolRegistry) -> list[str]:
    """The edits and maps a part of ``request`` asks for (agent/several_edits.py) that no step of ``plan`` does: "read
    the sign, then crop to it and make it 2x bigger" had run the crop alone (the crop's size is the reading's to give)
    and answered as if all was done."""
    planned = {step.task for step in plan.steps}
    asked = [tool for part in request_parts(request) for tool in asked_edits(part, tools)]
    return [tool for tool in dict.fromkeys(asked) if tool not in planned]
