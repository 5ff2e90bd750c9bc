"""Each thing a planned request asks for, done once: a step that repeats the tool of the step it works on is left out
when the request asks for that tool once, and a reading the request asks for that no step does is added (one of
each upload, for "read both signs").

Asked through the web API to "read /sign.png and crop its top half", the embedded planner cropped the top half, then
cropped the crop again with the box ``156, 156, 156, 156`` (which failed as empty), and read nothing: the request's
two things became one thing twice. The ReAct loop opens the reading step the model left out
(:func:`agent.read_text.unread_writing`); a plan gets the step added, on the image its part of the request names.
"""

from __future__ import annotations

from collections.abc import Sequence

from agent.every_upload import asks_for_every
from agent.plan_images import bypassed, image_argument
from agent.read_text import READER, called_instead_of_reading, unread_writing
from agent.request_parts import request_parts
from agent.tool_words import named_by
from agent.upload_names import upload_named_for
from generation.tool_calls import image_names
from protocol.plan import Plan, PlanStep, Reference
from tools.registry import ToolRegistry


def without_chained_twins(plan: Plan, request: str, tools: ToolRegistry) -> tuple[Plan, list[int]]:
    """``plan`` less each step that works on the output of a step of the same tool when at most one part of
    ``request`` asks for that tool (the steps that used it use the earlier one's output), and the ids left out."""
    steps = plan.by_id()
    twins = {
        step.id
        for step in plan.steps
        if isinstance(source := image_argument(step), Reference)
        and source.step in steps
        and steps[source.step].task == step.task
        and sum(bool(named_by(part, step.task, tools)) for part in request_parts(request)) <= 1
    }
    return bypassed(plan, twins), sorted(twins)


def with_the_reading_asked(
    plan: Plan,
    request: str,
    tools: ToolRegistry,
    images: Sequence[str],
    file_names: dict[str, str],
) -> tuple[Plan, list[int]]:
    """``plan`` with a reading step added when ``request`` asks to read and no step reads, on the image the part
    that asks names (a session image by name, an upload by its file's words), else on the image the plan's first
    step works on when that is one of the session's ``images`` (each image the part names, when it names several); a
    reading of every upload the request asks for ("read both signs") that no step reads; and the ids of the added
    steps."""
    if not plan.steps or READER not in tools:
        return plan, []
    parts = [part for part in request_parts(request) if unread_writing(part, (), tools.names)]
    read = {image_argument(step) for step in plan.steps if step.task == READER}
    named = [name for part in parts for name in dict.fromkeys(image_names(part)) if name in images]
    if any(asks_for_every(part, images) for part in parts):
        targets = [image for image in images if image not in read]
    elif len(named) > 1:  # "read image/a.png and image/b.png"
        targets = [name for name in named if name not in read]
    elif unread_writing(request, plan.tasks, tools.names) is None:
        return plan, []
    else:
        upload = upload_named_for(request, READER, file_names, tools)
        first = image_argument(plan.steps[0])
        target = named[0] if named else upload or (first if isinstance(first, str) and first in images else None)
        targets = [target] if target else []
    next_id = max(step.id for step in plan.steps) + 1
    added = [PlanStep(READER, next_id + index, (("image_path", target),)) for index, target in enumerate(targets)]
    return (Plan((*plan.steps, *added)), [step.id for step in added]) if added else (plan, [])


def without_detections_for_reading(plan: Plan, request: str) -> tuple[Plan, list[int]]:
    """``plan`` less the detection steps whose output no step uses, on an image a reading step reads, when
    ``request`` asks to read and to find nothing (:func:`agent.read_text.called_instead_of_reading`): asked "which of
    /stop.png and /parking.png says stop?", the planner detected objects on each sign; and the ids left out."""
    used = {source for step in plan.steps for source in step.references}
    read = {image_argument(step) for step in plan.steps if step.task == READER}
    left_out = [
        step.id
        for step in plan.steps
        if step.id not in used and image_argument(step) in read and called_instead_of_reading(request, step.task)
    ]
    return (Plan(tuple(step for step in plan.steps if step.id not in left_out)), left_out) if left_out else (plan, [])
