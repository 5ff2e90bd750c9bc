"""A planned rotation takes the angle the request asks for (agent.plan_angles)."""

from __future__ import annotations

import pytest

from agent.plan_angles import angles_from_the_request
from protocol.plan import Plan, PlanStep
from tools.catalog import default_registry

TOOLS = default_registry().subset(("Rotate Image", "Resize Image", "Edge Detection On Image"))
PHOTO = "image/9d347fe4.png"
EDGES_OF_0 = ("Edge Detection On Image", {"image_path": "<GENERATED>-0"})


def plan(*steps):
    return Plan(tuple(PlanStep.of(task, index, args) for index, (task, args) in enumerate(steps)))


def rotate(angle, image=PHOTO):
    return ("Rotate Image", {"image_path": image, "angle": angle})


@pytest.mark.parametrize(
    ("request_text", "written", "angle"),
    [
        ("turn it 90 degrees clockwise, then show me the edges", 90, -90),  # the planner turned it left
        ("rotate it by ninety degrees and show me its edges", 9, 90),
        ("resize it to 300x200 and rotate it 45 degrees", 30, 45),  # the size's numbers are not the angle
        ("turn it upside down and show me the edges", 90, 180),
        ("rotate it a bit, then show me the edges", 0, 15),
        ("rotate it, then show me the edges", 45, None),  # a plain turn: the planner's angle stands
        ("rotate it 90 degrees, then show me the edges", 90, None),  # already as asked
        ("rotate it 30 degrees, then 60 degrees more", 30, None),  # two angles for one step: which is whose
    ],
)
def test_the_one_rotation_takes_the_angle_asked_for(request_text, written, angle):
    planned = plan(rotate(written), EDGES_OF_0)
    turned, changed = angles_from_the_request(planned, request_text, TOOLS)
    if angle is None:
        assert (turned, changed) == (planned, {})
    else:
        assert changed == {0: angle}
        assert turned.steps[0].arguments == {"image_path": PHOTO, "angle": angle}
        assert turned.steps[1] == planned.steps[1]


def test_two_rotations_keep_the_planners_angles():
    planned = plan(rotate(90), rotate(90, "<GENERATED>-0"))
    assert angles_from_the_request(planned, "rotate it 90 degrees clockwise twice", TOOLS) == (planned, {})
