"""A resize step of a plan takes the size the request asks for relative to the picture's.

Asked "make it twice as big, then show me the edges" of a 512x512 photo, the embedded planner wrote Resize Image with
``width = 512, height = 512``: the plan ran, and the person got the same size back, called done. A resize step on an
image whose size is known before the plan runs (an upload) takes the size the request asks for relative to it ("twice
as big", "half the size", "50%": :func:`agent.stated_numbers.scaled_size`), as the ReAct loop does
(:func:`agent.meant_call.with_relative_size`). A step on another step's output keeps the planner's numbers: that
image's size is not known until the plan runs.
"""

from __future__ import annotations

from collections.abc import Callable

from agent.meant_call import RESIZER
from agent.stated_numbers import scaled_size
from protocol.plan import Plan, PlanStep, Value
from tools.registry import ToolRegistry
from tools.spec import InputKind


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
        dimensions = size(step.args[0][1])
        scaled = scaled_size(request, *dimensions) if dimensions else None
        if scaled is None or tuple(step.arguments.get(name) for name in numbers) == scaled:
            continue
        changed[step.id] = scaled
        steps[index] = PlanStep(step.task, step.id, (step.args[0], *zip(numbers, scaled, strict=True)))
    return (plan, {}) if not changed else (Plan(tuple(steps)), changed)
