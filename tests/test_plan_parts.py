"""Each thing a planned request asks for, done once (agent/plan_parts.py)."""

from __future__ import annotations

from agent.plan_parts import with_the_reading_asked, without_chained_twins
from protocol.plan import Plan, PlanStep
from tools.catalog import default_registry

TOOLS = default_registry().subset(("Crop Image", "Rotate Image", "Text Detection On Image", "Edge Detection On Image"))
SIGN, PHOTO = "image/5a1e0c2d.png", "image/2c1b9d0e.png"


def plan(*steps):
    return Plan(tuple(PlanStep.of(task, index, args) for index, (task, args) in enumerate(steps)))


TOP_HALF = ("Crop Image", {"image_path": SIGN, "left": 0, "top": 0, "right": 202, "bottom": 78})
CROP_OF_0 = ("Crop Image", {"image_path": "<GENERATED>-0", "left": 156, "top": 156, "right": 156, "bottom": 156})


def test_a_step_repeating_the_tool_it_works_on_is_left_out_when_asked_once():
    """Asked to "read /sign.png and crop its top half", the planner cropped the crop again with an empty box."""
    request = f"read {SIGN} and crop its top half"
    assert without_chained_twins(plan(TOP_HALF, CROP_OF_0), request, TOOLS) == (plan(TOP_HALF), [1])
    # the step that used the twin uses the earlier step's output
    rotate_1 = ("Rotate Image", {"image_path": "<GENERATED>-1", "angle": 90})
    kept, _ = without_chained_twins(
        plan(TOP_HALF, CROP_OF_0, rotate_1), f"crop the top half of {SIGN}, rotate it", TOOLS
    )
    rotated = PlanStep.of("Rotate Image", 2, {"image_path": "<GENERATED>-0", "angle": 90})
    assert kept == Plan((PlanStep.of(TOP_HALF[0], 0, TOP_HALF[1]), rotated))


def test_two_of_a_tool_asked_for_stay():
    request = f"crop the top half of {SIGN}, then crop the left half of that"
    assert without_chained_twins(plan(TOP_HALF, CROP_OF_0), request, TOOLS) == (plan(TOP_HALF, CROP_OF_0), [])


def test_a_reading_asked_for_that_no_step_does_is_added_on_the_image_named():
    request = f"read {SIGN} and crop its top half"
    added, step_ids = with_the_reading_asked(plan(TOP_HALF), request, TOOLS, [SIGN, PHOTO], {})
    assert step_ids == [1] and added == plan(TOP_HALF, ("Text Detection On Image", {"image_path": SIGN}))


def test_a_reading_is_added_only_when_asked_and_missing():
    read = ("Text Detection On Image", {"image_path": SIGN})
    images = [SIGN, PHOTO]
    assert with_the_reading_asked(plan(read), f"read {SIGN}", TOOLS, images, {}) == (plan(read), [])  # it reads
    edges = ("Edge Detection On Image", {"image_path": PHOTO})
    assert with_the_reading_asked(plan(edges), "show me the edges of the sign", TOOLS, images, {}) == (
        plan(edges),
        [],
    )
    assert with_the_reading_asked(Plan(), f"read {SIGN}", TOOLS, images, {}) == (Plan(), [])  # the loop answers


def test_both_signs_asked_to_be_read_are_each_read():
    """Seen in a drive: "read both signs and make the stop sign 400 wide" was planned with no reading."""
    edges = ("Edge Detection On Image", {"image_path": PHOTO})
    added, step_ids = with_the_reading_asked(plan(edges), "read both signs", TOOLS, [SIGN, PHOTO], {})
    reads = [("Text Detection On Image", {"image_path": image}) for image in (SIGN, PHOTO)]
    assert step_ids == [1, 2] and added == plan(edges, *reads)


def test_each_image_a_reading_part_names_is_read():
    """Through the web API, "read /parking.png and /stop.png, then make /stop.png 400 wide" read one sign."""
    read_sign = ("Text Detection On Image", {"image_path": SIGN})
    added, step_ids = with_the_reading_asked(plan(read_sign), f"read {SIGN} and {PHOTO}", TOOLS, [SIGN, PHOTO], {})
    assert step_ids == [1] and added == plan(read_sign, ("Text Detection On Image", {"image_path": PHOTO}))


def test_detections_standing_in_for_a_reading_are_left_out():
    """Seen through the web API: "which of /stop.png and /parking.png says stop?" was planned as a detection of each
    sign, and answered "The detector found: No object found"."""
    from agent.plan_parts import without_detections_for_reading

    tools = default_registry().subset(("Detection", "Text Detection On Image"))
    request = f"which of {SIGN} and {PHOTO} says stop?"
    detected = plan(("Detection", {"image_path": SIGN}), ("Detection", {"image_path": PHOTO}))
    read, added = with_the_reading_asked(detected, request, tools, [SIGN, PHOTO], {})
    assert added == [2, 3]
    kept, left_out = without_detections_for_reading(read, request)
    assert left_out == [0, 1] and kept.tasks == ["Text Detection On Image"] * 2
    asked = f"read {SIGN} and find the faces in it"  # a search asked for stays
    assert without_detections_for_reading(read, asked) == (read, [])
