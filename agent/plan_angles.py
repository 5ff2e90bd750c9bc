"""A plan's rotation step takes the angle the request asks for.

The ReAct loop runs a rotation by the angle the request states, turned the way it says ("90 degrees clockwise" is
-90: the tool turns counter-clockwise for positive angles), or asks for in words ("upside down" 180, "a bit" 15;
``agent.meant_call.with_stated_numbers``). The planner writes its own numbers: asked to "turn it 90 degrees clockwise,
then show me the edges", it wrote ``angle: 90``. A plan with one rotation step takes the same angle; with several
(which angle is whose), the planner's stand.
"""

from __future__ import annotations

from agent.meant_call import ANGLE
from agent.several_edits import ROTATOR
from agent.stated_numbers import angle_in_words, stated_angle, stated_numbers
from protocol.plan import Plan, PlanStep
from tools.registry import ToolRegistry


def angles_from_the_request(plan: Plan, request: str, tools: ToolRegistry) -> tuple[Plan, dict[int, float]]:
    """``plan`` with its one rotation step turned by the angle ``request`` states (:func:`stated_angle`) or, stating
    no number, asks for in words (:func:`angle_in_words`), and the angle the changed step now turns by (``{}``: the
    plan as it was)."""
    rotations = [step for step in plan.steps if step.task == ROTATOR and step.args]
    if ROTATOR not in tools or len(rotations) != 1:
        return plan, {}
    step = rotations[0]
    written = step.arguments.get(ANGLE)
    meant = stated_angle(request)
    if meant is None and not stated_numbers(request):
        meant = angle_in_words(str(written), request)
    if meant is None or (isinstance(written, int | float) and float(meant) == float(written)):
        return plan, {}
    angle = float(meant)
    turned = PlanStep(step.task, step.id, (step.args[0], (ANGLE, int(angle) if angle.is_integer() else angle)))
    return Plan(tuple(turned if other is step else other for other in plan.steps)), {step.id: angle}
