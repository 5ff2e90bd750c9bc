"""A resize step of a plan takes the size the request asks for relative to the picture's.

Asked "make it twice as big, then show me the edges" of a 512x512 photo, the embedded planner wrote Resize Image with
``width = 512, height = 512``: the plan ran, and the person got the same size back, called done. A resize step on an
image whose size is known before the plan runs (an upload) takes the size the request asks for relative to it ("twice
as big", "half the size", "50%": :func:`agent.stated_numbers.scaled_size`), as the ReAct loop does
(:func:`agent.meant_call.with_relative_size`). A step on another step's output takes it from that output's size as
the plan will make it (:func:`planned_size`: a rotation's grown canvas, a resize's numbers, a crop's box, a map of its
source's size); asked to "rotate it 90 degrees clockwise, then make it half the size", the planner had removed the
background instead, and no resize could be added while the rotated image's size was unknown.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Sequence

from agent.meant_call import ANGLE, RESIZER, as_same_size, states_a_size, the_size_part
from agent.pending_edit import BLURRER, CROPPER
from agent.picture_questions import DETECTORS
from agent.plan_images import bypassed
from agent.several_edits import ROTATOR
from agent.stated_numbers import scaled_size
from protocol.plan import BOX_CORNERS, Plan, PlanStep, Reference, Value
from protocol.steps import ToolCall
from tools.registry import ToolRegistry
from tools.spec import InputKind

BACKGROUND_REMOVER = "Remove the background"
Size = tuple[int, int]


def sizes_from_the_request(
    plan: Plan, request: str, tools: ToolRegistry, size: Callable[[Value], tuple[int, int] | None]
) -> tuple[Plan, dict[int, tuple[int, int]]]:
    """``plan`` with each resize step on an image of known size (``size`` gives an image's width and height,
    ``None`` when unknown before the plan runs) set to the size ``request`` asks for relative to it, and the size each
    changed step now makes (``{}``: the plan as it was)."""
    if RESIZER not in tools:
        return plan, {}
    numbers = [spec_input.name for spec_input in tools.get(RESIZER).inputs if spec_input.kind is InputKind.NUMBER]
    steps = list(plan.steps)
    changed: dict[int, tuple[int, int]] = {}
    for index, step in enumerate(steps):
        if step.task != RESIZER or not step.args:
            continue
        dimensions = planned_size(step.args[0][1], steps, size, tools)
        scaled = scaled_size(the_size_part(request), *dimensions) if dimensions else None
        if scaled is None or tuple(step.arguments.get(name) for name in numbers) == scaled:
            continue
        changed[step.id] = scaled
        steps[index] = PlanStep(step.task, step.id, (step.args[0], *zip(numbers, scaled, strict=True)))
    return (plan, {}) if not changed else (Plan(tuple(steps)), changed)


def without_unstated_sizes(
    plan: Plan, request: str, tools: ToolRegistry, sized: Collection[int]
) -> tuple[Plan, set[int]]:
    """``plan`` less the resize steps whose size neither ``request`` says (:func:`agent.meant_call.states_a_size`)
    nor a rule worked out (``sized``: the ids of such steps), and the ids left out; a step that used one's output
    uses its input. Asked to "crop to the cat and make it square", the planner resized the crop to 1 x 1 and the
    plan answered done. A size relative to the picture's ("2x bigger") that no rule worked out is of an image whose
    size is unknown before the plan runs: "crop to the sign then make it 2x bigger" had resized the crop to 1 x 1; the
    resize left out, the request is the chat's, a step at a time (:func:`agent.plan_asked.asked_but_unplanned`)."""
    relative = scaled_size(the_size_part(request), 100, 100) is not None
    if states_a_size(request) and not relative:
        return plan, set()
    unstated = {step.id for step in plan.steps if step.task == RESIZER and step.id not in sized}
    return (bypassed(plan, unstated), unstated) if unstated else (plan, set())


def same_sizes(
    plan: Plan, request: str, tools: ToolRegistry, images: Sequence[str], size: Callable[[str], tuple[int, int] | None]
) -> tuple[Plan, dict[int, str]]:
    """``plan`` with each resize step on one of two ``images`` made as "make them the same size" asks
    (:func:`agent.meant_call.as_same_size`: the bigger one takes the smaller's size), and the new input of each
    changed step (``{}``: the plan as it was). Asked to "make them the same size", the planner resized the bigger
    image to its own size turned sideways."""
    if RESIZER not in tools:
        return plan, {}
    numbers = [spec_input.name for spec_input in tools.get(RESIZER).inputs if spec_input.kind is InputKind.NUMBER]
    steps = list(plan.steps)
    changed: dict[int, str] = {}
    for index, step in enumerate(steps):
        image = step.args[0][1] if step.task == RESIZER and step.args else None
        if not isinstance(image, str):
            continue
        written = ToolCall("", RESIZER, ", ".join([image, *(str(step.arguments.get(name)) for name in numbers)]))
        meant = as_same_size(written, request, tools, images, size)
        if meant == written:
            continue
        resized, *sides = meant.arguments
        changed[step.id] = meant.action_input
        steps[index] = PlanStep(
            step.task, step.id, ((step.args[0][0], resized), *zip(numbers, map(int, sides), strict=True))
        )
    return (plan, {}) if not changed else (Plan(tuple(steps)), changed)


def planned_size(
    image: Value, steps: Sequence[PlanStep], size: Callable[[Value], Size | None], tools: ToolRegistry
) -> Size | None:
    """The width and height of ``image``: an upload's (``size``), or the output of one of ``steps`` as the plan will
    make it from its input's size (:func:`output_size`; a blur of a face a detection found takes the detection's output,
    the image searched); ``None`` when that cannot be known before the plan runs."""
    seen: set[int] = set()
    chain: list[PlanStep] = []
    while isinstance(image, Reference):
        step = next((step for step in steps if step.id == image.step), None)
        if step is None or step.id in seen or not step.args:
            return None
        seen.add(step.id)
        chain.append(step)
        image = step.args[0][1]
    dimensions = size(image)
    for step in reversed(chain):  # from the upload on; a detector hands on the image it searched, with its boxes
        if step.task not in DETECTORS:
            dimensions = output_size(step, dimensions, tools) if dimensions else None
    return dimensions


def output_size(step: PlanStep, source: Size, tools: ToolRegistry) -> Size | None:
    """The width and height of the image ``step`` makes from one of ``source``'s size, or ``None`` when it makes none
    or its size cannot be told from its numbers."""
    numbers = step.arguments
    try:
        if step.task == ROTATOR:
            return rotated_size(*source, float(numbers[ANGLE]))
        if step.task == RESIZER:
            made = round(float(numbers["width"])), round(float(numbers["height"]))
        elif step.task == CROPPER:
            left, top, right, bottom = (float(numbers[corner]) for corner in BOX_CORNERS)
            made = round(right) - round(left), round(bottom) - round(top)
        else:
            made = None
    except (KeyError, TypeError, ValueError):
        return None
    if made is not None:  # an empty box or size makes no image (the planner had cropped 0, 0, 0, 0)
        return made if min(made) > 0 else None
    keeps_size = step.task in (BLURRER, BACKGROUND_REMOVER) or (step.task in tools and tools.get(step.task).makes_map)
    return source if keeps_size else None


def rotated_size(width: int, height: int, angle: float) -> Size:
    """The canvas of a ``width`` x ``height`` picture turned counter-clockwise by ``angle`` degrees, grown to hold all
    of it, as Rotate Image makes it (the corners' span, rounded outwards, as PIL's ``rotate(expand=True)``)."""
    turns = angle % 360
    if turns % 90 == 0:  # a quarter turn is a transpose: the sides swap exactly
        return (height, width) if turns in (90, 270) else (width, height)
    radians = -math.radians(angle)
    cos, sin = round(math.cos(radians), 15), round(math.sin(radians), 15)
    centre_x, centre_y = width / 2, height / 2
    # the turn about the centre, as an affine map of the source's corners
    shift_x = cos * -centre_x + sin * -centre_y + centre_x
    shift_y = -sin * -centre_x + cos * -centre_y + centre_y
    corners = ((0, 0), (width, 0), (width, height), (0, height))
    xs = [cos * x + sin * y + shift_x for x, y in corners]
    ys = [-sin * x + cos * y + shift_y for x, y in corners]
    return math.ceil(max(xs)) - math.floor(min(xs)), math.ceil(max(ys)) - math.floor(min(ys))
