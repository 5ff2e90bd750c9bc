"""Each edit or map a planned request asks for gets a step (agent/plan_asked.py)."""

from __future__ import annotations

import json

import pytest

from agent.plan_asked import asked_but_unplanned, with_the_edits_asked
from protocol.plan import Plan, PlanStep
from tools.catalog import default_registry

TOOLS = default_registry().subset(
    (
        "Detection",
        "Crop Image",
        "Blur Region",
        "Rotate Image",
        "Resize Image",
        "Edge Detection On Image",
        "Line Detection On Image",
    )
)
PHOTO, SIGN = "image/aaaa1111.png", "image/bbbb2222.png"
SIZES = {PHOTO: (600, 400), SIGN: (190, 96)}
FILE_NAMES = {PHOTO: "coffee.jpg", SIGN: "stop.png"}


def plan(*steps: tuple[str, dict[str, object]]) -> Plan:
    return Plan(tuple(PlanStep.of(task, index, args) for index, (task, args) in enumerate(steps)))


def held(planned: Plan, request: str) -> tuple[str, list[int]]:
    made, added = with_the_edits_asked(planned, request, TOOLS, FILE_NAMES, SIZES.get)
    return made.render(), added


def test_a_rotation_left_out_works_on_the_step_before_it():
    """Seen through the plan drive: "crop 50 pixels off each side and rotate it by 30 degrees" was the crop alone."""
    crop = ("Crop Image", {"image_path": PHOTO, "left": 50, "top": 50, "right": 550, "bottom": 350})
    rotated = ("Rotate Image", {"image_path": "<GENERATED>-0", "angle": 30})
    assert held(plan(crop), "crop 50 pixels off each side and rotate it by 30 degrees") == (
        plan(crop, rotated).render(),
        [1],
    )


def test_a_resize_after_an_empty_crop_is_left_out_rather_than_sized_from_it():
    """Seen through the plan drive: "read the sign, then crop to it and make it 2x bigger" was planned with the crop
    ``2, 2, 2, 2``, and sizing the resize from that empty crop raised ZeroDivisionError."""
    crop = ("Crop Image", {"image_path": SIGN, "left": 2, "top": 2, "right": 2, "bottom": 2})
    assert held(plan(crop), "crop to it and make it 2x bigger") == (plan(crop).render(), [])


def test_a_size_left_out_is_computed_from_the_upload():
    """Seen through the plan drive: "make it 4k, then give me the straight lines" had no resize."""
    lines = ("Line Detection On Image", {"image_path": PHOTO})
    resized = ("Resize Image", {"image_path": PHOTO, "width": 3840, "height": 2560})
    made, added = held(plan(lines), "make it 4k, then give me the straight lines")
    assert added == [1]
    # the lines of the 4k image: the part after an edit goes on from its result, the resize placed before its user
    resize_first = Plan(
        (
            PlanStep.of("Resize Image", 1, resized[1]),
            PlanStep.of("Line Detection On Image", 0, {"image_path": "<GENERATED>-1"}),
        )
    )
    assert made == resize_first.render()


def test_a_part_naming_an_upload_works_on_it():
    edges = ("Edge Detection On Image", {"image_path": PHOTO})
    resized = ("Resize Image", {"image_path": SIGN, "width": 400, "height": 202})
    made, _ = held(plan(edges), "show me the edges of the coffee and make the stop sign 400 wide")
    assert made == plan(edges, resized).render()


def test_a_face_to_crop_is_found_first_and_a_later_part_works_on_the_crop():
    """Seen through the plan drive: "zoom in on her face, then show me its edges" drew the whole photo's edges."""
    edges = ("Edge Detection On Image", {"image_path": PHOTO})
    made, added = held(plan(edges), "zoom in on her face, then show me its edges")
    assert added == [1, 2]
    assert (
        made
        == Plan(
            (
                PlanStep.of("Detection", 1, {"image_path": PHOTO}),
                PlanStep.of("Crop Image", 2, {"image_path": "<GENERATED>-1"}),
                PlanStep.of("Edge Detection On Image", 0, {"image_path": "<GENERATED>-2"}),
            )
        ).render()
    )


def test_a_size_relative_to_another_steps_output_is_computed_as_the_plan_makes_it():
    """Seen through the plan drive: "rotate it 90 degrees clockwise, then make it half the size" was planned as the
    rotation and a background removal, and no resize could be added while the rotated image's size was unknown."""
    rotated = ("Rotate Image", {"image_path": PHOTO, "angle": -90})
    resized = ("Resize Image", {"image_path": "<GENERATED>-0", "width": 200, "height": 300})
    made, added = held(plan(rotated), "rotate it 90 degrees clockwise, then make it half the size")
    assert added == [1] and made == plan(rotated, resized).render()


@pytest.mark.parametrize(
    ("steps", "request_text"),
    [
        ([("Rotate Image", {"image_path": PHOTO, "angle": 90})], "rotate it 90 degrees"),  # done already
        ([("Edge Detection On Image", {"image_path": PHOTO})], "show me the edges and describe it"),  # no edit left out
        ([("Rotate Image", {"image_path": PHOTO, "angle": 90})], "rotate it and blur the sky"),  # no box to know
        # a size relative to a detection's crop cannot be known before the plan runs
        ([("Detection", {"image_path": PHOTO}), ("Crop Image", {"image_path": "<GENERATED>-0"})],
         "crop her face, then make it twice as big"),
    ],
)  # fmt: skip
def test_nothing_is_added_that_cannot_be_known_or_was_done(steps, request_text):
    planned = plan(*steps)
    assert with_the_edits_asked(planned, request_text, TOOLS, FILE_NAMES, SIZES.get) == (planned, [])


def test_a_later_part_goes_on_from_the_edit_before_it():
    """Seen through the plan drive: "crop the top half and show me the edges" drew the uncropped photo's edges."""
    crop = ("Crop Image", {"image_path": PHOTO, "left": 0, "top": 0, "right": 600, "bottom": 200})
    edges = ("Edge Detection On Image", {"image_path": PHOTO})
    made, added = held(plan(crop, edges), "crop the top half and show me the edges")
    assert added == [] and made == plan(crop, ("Edge Detection On Image", {"image_path": "<GENERATED>-0"})).render()
    # a part that points elsewhere, and a box found on the photo, stay on the photo
    assert (
        held(plan(crop, edges), "crop the top half and show me the edges of the original")[0]
        == plan(crop, edges).render()
    )
    rotated = ("Rotate Image", {"image_path": PHOTO, "angle": 90})
    blur = ("Blur Region", {"image_path": PHOTO, "left": 1, "top": 2, "right": 30, "bottom": 40})
    assert held(plan(rotated, blur), "rotate it 90 degrees and blur 1, 2, 30, 40")[0] == plan(rotated, blur).render()


def test_edits_asked_in_a_row_are_chained_where_the_planner_set_them_side_by_side():
    """Seen in a --cli drive: "blur her face, rotate it 90 degrees and make it 300 pixels wide" was planned with the
    rotation and the resize each on the blur; the answer was the rotation at 512 x 512."""
    found = ("Detection", {"image_path": PHOTO})
    blur = ("Blur Region", {"image_path": "<GENERATED>-0"})
    resized = ("Resize Image", {"image_path": "<GENERATED>-1", "width": 300, "height": 200})
    rotated = ("Rotate Image", {"image_path": "<GENERATED>-1", "angle": 90})
    made, added = held(
        plan(found, blur, resized, rotated), "blur her face, rotate it 90 degrees and make it 300 pixels wide"
    )
    chained = Plan(
        (
            PlanStep.of(found[0], 0, found[1]),
            PlanStep.of(blur[0], 1, blur[1]),
            PlanStep.of(rotated[0], 3, rotated[1]),
            PlanStep.of("Resize Image", 2, {"image_path": "<GENERATED>-3", "width": 300, "height": 200}),
        )
    )
    assert added == [] and made == chained.render()
    # asked as two things of the blur ("the blur, rotated; and the blur, resized") they stay side by side
    side_by_side = plan(found, blur, resized, rotated)
    assert held(side_by_side, "blur her face, then rotate the blurred image 90 degrees")[0] == side_by_side.render()


def test_a_rotation_that_keeps_the_size_gets_the_crop_back_to_it():
    """As in the chat (agent/kept_size.py): the plan drive's "rotate it 45 degrees but keep the same size" presented
    the grown canvas."""
    rotated = ("Rotate Image", {"image_path": PHOTO, "angle": 90})
    made, added = held(plan(rotated), "rotate it 90 degrees but keep the same size")
    assert added == [] and made == plan(rotated).render()  # a quarter turn of a wide photo: no middle at its size
    turned = ("Rotate Image", {"image_path": PHOTO, "angle": 180})
    assert held(plan(turned), "rotate it 180 degrees but keep the same size") == (plan(turned).render(), [])
    tilted = ("Rotate Image", {"image_path": SIGN, "angle": 30})
    edges = ("Edge Detection On Image", {"image_path": "<GENERATED>-0"})
    made, added = held(plan(tilted, edges), "rotate it 30 degrees without changing the size, then show me the edges")
    steps = {step["task"]: step for step in json.loads(made)}
    crop = steps["Crop Image"]
    assert added == [crop["id"]] and crop["args"]["image_path"] == "<GENERATED>-0"
    box = [crop["args"][corner] for corner in ("left", "top", "right", "bottom")]
    assert (box[2] - box[0], box[3] - box[1]) == SIZES[SIGN]  # the sign's own size, from the middle
    assert steps["Edge Detection On Image"]["args"]["image_path"] == f"<GENERATED>-{crop['id']}"


def test_an_edit_asked_for_that_no_step_does_is_named():
    """Seen in the plan drive: "read the sign, then crop to it and make it 2x bigger" ran the crop alone (its size is
    the reading's to give) and answered as if all was done; plan mode hands such a request to the ReAct loop."""
    read = ("Text Detection On Image", {"image_path": SIGN})
    crop = ("Crop Image", {"image_path": "<GENERATED>-0"})
    tools = default_registry().subset(("Text Detection On Image", "Crop Image", "Resize Image"))
    request = "read the sign, then crop to it and make it 2x bigger"
    assert asked_but_unplanned(plan(read, crop), request, tools) == ["Resize Image"]
    resize = ("Resize Image", {"image_path": "<GENERATED>-1", "width": 10, "height": 10})
    assert asked_but_unplanned(plan(read, crop, resize), request, tools) == []
