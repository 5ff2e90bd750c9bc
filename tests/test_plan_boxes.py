"""A plan's box step with a box the request never states takes the boxes of the plan's detection on the same image
(agent.plan_boxes)."""

from __future__ import annotations

import pytest

from agent.plan_boxes import boxes_from_the_detection
from protocol.plan import Plan, PlanStep, Reference, plan_problems
from tools.catalog import default_registry

TOOLS = default_registry()
PHOTO, OTHER = "image/2c1b9d0e.png", "image/77aa11bb.png"


def plan(*steps):
    return Plan(tuple(PlanStep.of(task, index, args) for index, (task, args) in enumerate(steps)))


def blur(image, box=(512, 512, 512, 512)):
    return ("Blur Region", {"image_path": image, **dict(zip(("left", "top", "right", "bottom"), box, strict=True))})


DETECT = ("Detection", {"image_path": PHOTO})


def test_a_made_up_box_beside_a_detection_becomes_the_detection():
    """The embedded planner's plan for "find the faces in d.png and blur them"."""
    edges = ("Edge Detection On Image", {"image_path": PHOTO})
    boxed, changed = boxes_from_the_detection(plan(DETECT, blur(PHOTO), edges), "find the faces and blur them", TOOLS)
    assert changed == {1: 0}
    assert boxed.steps[1] == PlanStep("Blur Region", 1, (("image_path", Reference(0)),))
    assert boxed.steps[0] == plan(DETECT).steps[0] and boxed.links == [(0, 1)]


@pytest.mark.parametrize(
    ("steps", "request_text"),
    [
        ((DETECT, blur(PHOTO, (10, 20, 110, 220))), "find the faces, and blur 10, 20, 110, 220"),  # stated
        ((DETECT, blur(OTHER)), "find the dogs in one and blur the other"),  # another image
        ((blur(PHOTO),), "blur the licence plate"),  # no detection in the plan, and no face or person to find
        ((DETECT, blur("<GENERATED>-0")), "find the faces and blur them"),  # given the detection already
    ],
)
def test_a_stated_box_or_one_on_another_image_is_kept(steps, request_text):
    assert boxes_from_the_detection(plan(*steps), request_text, TOOLS) == (plan(*steps), {})


def test_the_detection_listed_before_the_box_step_is_taken():
    find_cat = ("Detect the Give Object", {"image_path": PHOTO, "text": "cat"})
    _, changed = boxes_from_the_detection(plan(DETECT, find_cat, blur(PHOTO)), "find them and blur the cat", TOOLS)
    assert changed == {2: 1}


def test_a_made_up_box_for_a_face_with_no_detection_in_the_plan_gets_one():
    """The embedded planner's plan for "crop the face in d.png": the crop alone, on a box it made up."""
    crop = ("Crop Image", {"image_path": PHOTO, "left": 512, "top": 512, "right": 512, "bottom": 512})
    boxed, changed = boxes_from_the_detection(
        plan(("Rotate Image", {"image_path": PHOTO, "angle": 90}), crop), "rotate it 90, and crop the face", TOOLS
    )
    assert changed == {1: 2}
    assert boxed.steps[1:] == (
        PlanStep("Detection", 2, (("image_path", PHOTO),)),
        PlanStep("Crop Image", 1, (("image_path", Reference(2)),)),
    )


def test_a_part_named_by_its_place_is_cropped_by_the_images_size():
    """The embedded planner's "crop the top half of d.png": a crop of ``512, 512, 512, 512``."""
    boxed, changed = boxes_from_the_detection(
        plan(("Crop Image", {"image_path": PHOTO, "left": 512, "top": 512, "right": 512, "bottom": 512})),
        "crop the top half of d.png",
        TOOLS,
        lambda image: (512, 400) if image == PHOTO else None,
    )
    assert changed == {0: None}
    assert boxed.steps[0].arguments == {"image_path": PHOTO, "left": 0, "top": 0, "right": 512, "bottom": 200}


def test_a_part_of_another_steps_output_is_cropped_by_the_size_the_plan_makes():
    """Seen in a --cli drive (plan mode auto): "rotate it 90 degrees and then crop the top half" of a 600 x 400 photo
    cropped ``1, 1, 1, 1`` of the rotation, which failed as empty."""
    rotate = ("Rotate Image", {"image_path": PHOTO, "angle": 90})
    crop = ("Crop Image", {"image_path": "<GENERATED>-0", "left": 1, "top": 1, "right": 1, "bottom": 1})
    boxed, changed = boxes_from_the_detection(
        plan(rotate, crop),
        "rotate it 90 degrees and then crop the top half",
        TOOLS,
        lambda image: (600, 400) if image == PHOTO else None,
    )
    assert changed == {1: None}
    assert boxed.steps[1].arguments == {"image_path": Reference(0), "left": 0, "top": 0, "right": 400, "bottom": 300}


def test_blur_it_blurs_the_whole_picture():
    """Planned for "blur it": a Blur Region of ``1, 2, 3, 4``."""
    boxed, changed = boxes_from_the_detection(
        plan(blur(PHOTO, (1, 2, 3, 4))), "blur it", TOOLS, lambda image: (512, 400) if image == PHOTO else None
    )
    assert changed == {0: None}
    assert boxed.steps[0].arguments == {"image_path": PHOTO, "left": 0, "top": 0, "right": 512, "bottom": 400}


def test_a_box_the_conversation_holds_stays():
    """ "blur it" after an earlier turn's detection: the planner's box is the face found, not a made-up one."""
    planned = plan(blur(PHOTO, (176, 65, 273, 162)))
    size = lambda image: (512, 512)  # noqa: E731
    assert boxes_from_the_detection(planned, "blur it", TOOLS, size, "face [176, 65, 273, 162]") == (planned, {})


def test_a_square_asked_for_is_the_largest_centred_square():
    """Planned for "make the picture square": a crop of ``0, 0, 100, 100`` of a 600 x 400 photo."""
    crop = ("Crop Image", {"image_path": PHOTO, "left": 0, "top": 0, "right": 100, "bottom": 100})
    boxed, changed = boxes_from_the_detection(
        plan(crop), "make the picture square", TOOLS, lambda image: (600, 400) if image == PHOTO else None
    )
    assert changed == {0: None}
    assert boxed.steps[0].arguments == {"image_path": PHOTO, "left": 100, "top": 0, "right": 500, "bottom": 400}
    blurred, _ = boxes_from_the_detection(plan(blur(PHOTO)), "blur a square", TOOLS, lambda image: (600, 400))
    assert blurred.steps[0].arguments["right"] == 512  # a square crop only: a blur's box is not the square


def test_a_crop_of_the_writing_takes_the_readings_box():
    """Seen in the plan drive: "read the sign, then crop to it and make it 2x bigger" cropped ``2, 2, 2, 2``; "blur
    the text" with no reading in the plan gets one."""
    read = ("Text Detection On Image", {"image_path": PHOTO})
    crop = ("Crop Image", {"image_path": PHOTO, "left": 2, "top": 2, "right": 2, "bottom": 2})
    boxed, changed = boxes_from_the_detection(plan(read, crop), "read the sign, then crop to it", TOOLS)
    assert changed == {1: 0} and boxed.steps[1] == PlanStep("Crop Image", 1, (("image_path", Reference(0)),))
    boxed, changed = boxes_from_the_detection(plan(blur(PHOTO)), "blur the text", TOOLS)
    assert changed == {0: 1}
    assert boxed.steps == (
        PlanStep("Text Detection On Image", 1, (("image_path", PHOTO),)),
        PlanStep("Blur Region", 0, (("image_path", Reference(1)),)),
    )
    assert plan_problems(boxed, TOOLS) == []  # a reading hands a box tool its text's box
    unplaced = plan(("Get Photo Description", {"image_path": PHOTO}), ("Crop Image", {"image_path": "<GENERATED>-0"}))
    assert any("gives text" in problem for problem in plan_problems(unplaced, TOOLS))  # a caption places nothing


def test_a_reading_listed_after_the_blur_it_places_runs_first():
    """Seen in the plan drive: "blur the words on the first one" was planned as a blur of 1, 2, 3, 4 and a reading
    after it; taking the reading's box made a plan whose blur used a later step, so the made-up box ran."""
    read = ("Text Detection On Image", {"image_path": PHOTO})
    boxed, changed = boxes_from_the_detection(plan(blur(PHOTO, (1, 2, 3, 4)), read), "blur the words", TOOLS)
    assert changed == {0: 1}
    assert boxed.steps == (
        PlanStep("Text Detection On Image", 1, (("image_path", PHOTO),)),
        PlanStep("Blur Region", 0, (("image_path", Reference(1)),)),
    )
    assert plan_problems(boxed, TOOLS) == []
