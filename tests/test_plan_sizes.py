"""A planned resize takes the size the request asks for relative to the picture (agent.plan_sizes)."""

from __future__ import annotations

import pytest

from agent.plan_sizes import planned_size, rotated_size, same_sizes, sizes_from_the_request
from protocol.plan import Plan, PlanStep, Reference
from tools.catalog import default_registry

TOOLS = default_registry().subset(("Resize Image", "Edge Detection On Image", "Crop Image"))
PHOTO = "image/9d347fe4.png"


def plan(*steps):
    return Plan(tuple(PlanStep.of(task, index, args) for index, (task, args) in enumerate(steps)))


def known(image):
    return (512, 384) if image == PHOTO else None


def resize(image, width=512, height=384):
    return ("Resize Image", {"image_path": image, "width": width, "height": height})


EDGES_OF_0 = ("Edge Detection On Image", {"image_path": "<GENERATED>-0"})


def test_twice_as_big_is_twice_the_uploads_size():
    """The embedded planner wrote the photo's own size for "make it twice as big, then show me the edges"."""
    request = "make it twice as big, then show me the edges"
    sized, changed = sizes_from_the_request(plan(resize(PHOTO), EDGES_OF_0), request, TOOLS, known)
    assert sized == plan(resize(PHOTO, 1024, 768), EDGES_OF_0) and changed == {0: (1024, 768)}


def test_one_side_is_taken_from_the_part_that_asks_for_a_size():
    """Seen in plan mode: "make it 300 pixels wide and rotate it by 90 degrees" ran a resize to 300 x 512."""
    request = "make it 300 pixels wide and rotate it by 90 degrees"
    sized, changed = sizes_from_the_request(plan(resize(PHOTO, 300, 512)), request, TOOLS, known)
    assert sized == plan(resize(PHOTO, 300, 225)) and changed == {0: (300, 225)}


def test_a_size_in_numbers_or_on_an_unknown_image_is_the_planners():
    stated = plan(resize(PHOTO, 128, 128))
    assert sizes_from_the_request(stated, "make it 128 by 128", TOOLS, known) == (stated, {})
    unknown = plan(resize("image/ffff0000.png", 10, 10))
    assert sizes_from_the_request(unknown, "make it half the size", TOOLS, known) == (unknown, {})


def test_a_size_relative_to_another_steps_output_is_computed_from_the_plan():
    crop = ("Crop Image", {"image_path": PHOTO, "left": 0, "top": 0, "right": 256, "bottom": 192})
    chained = plan(crop, resize("<GENERATED>-0", 10, 10))
    sized, changed = sizes_from_the_request(chained, "crop it, then make it half the size", TOOLS, known)
    assert sized == plan(crop, resize("<GENERATED>-0", 128, 96)) and changed == {1: (128, 96)}


def test_a_size_relative_to_a_blur_of_what_a_detection_found_is_the_photos():
    """Seen in a plan drive: "find her face and pixelate it, then make the picture half the size" resized to 100 x 100
    (the blur takes the detection's output, the photo with its boxes)."""
    tools = default_registry().subset(("Resize Image", "Detection", "Blur Region"))
    detect = ("Detection", {"image_path": PHOTO})
    blur = ("Blur Region", {"image_path": "<GENERATED>-0"})
    chained = plan(detect, blur, resize("<GENERATED>-1", 100, 100))
    request = "find her face and pixelate it, then make the picture half the size"
    sized, changed = sizes_from_the_request(chained, request, tools, known)
    assert changed == {2: (256, 192)} and sized == plan(detect, blur, resize("<GENERATED>-1", 256, 192))


@pytest.mark.parametrize(
    ("task", "args", "size"),
    [
        ("Rotate Image", {"angle": 90}, (384, 512)),
        ("Rotate Image", {"angle": 30}, (636, 590)),
        ("Resize Image", {"width": 100, "height": 50}, (100, 50)),
        ("Crop Image", {"left": 10, "top": 20, "right": 110, "bottom": 70}, (100, 50)),
        ("Edge Detection On Image", {}, (512, 384)),  # a map of its source's size
        ("Detection", {}, (512, 384)),  # the image it searched, handed on with its boxes
    ],
)
def test_the_size_of_a_steps_output_as_the_plan_makes_it(task, args, size):
    tools = default_registry()
    chained = plan((task, {"image_path": PHOTO, **args}))
    assert planned_size(Reference(0), chained.steps, known, tools) == size
    assert planned_size(Reference(7), chained.steps, known, tools) is None  # no such step


@pytest.mark.parametrize("size", [(512, 512), (451, 300), (33, 17), (1, 1)])
@pytest.mark.parametrize("angle", [90, -90, 180, 270, 45, 30, -15, 12.345, 359.5, 1e-9, -720])
def test_a_rotations_canvas_is_the_one_rotate_image_makes(size, angle):
    from PIL import Image

    assert rotated_size(*size, angle) == Image.new("L", size).rotate(angle, expand=True).size
    already = plan(resize(PHOTO, 256, 192))
    assert sizes_from_the_request(already, "half the size please", TOOLS, known) == (already, {})


def test_two_images_made_the_same_size():
    """Seen in a plan drive: "make them the same size" resized the bigger image to its own size turned sideways."""
    smaller = "image/aaaa0000.png"
    sizes = {PHOTO: (512, 384), smaller: (300, 225)}
    request = "make them the same size and show me the edges"
    made, changed = same_sizes(plan(resize(PHOTO, 384, 512), EDGES_OF_0), request, TOOLS, [smaller, PHOTO], sizes.get)
    assert made == plan(resize(PHOTO, 300, 225), EDGES_OF_0) and changed == {0: f"{PHOTO}, 300, 225"}
    on_the_smaller = plan(resize(smaller, 1, 2))
    assert same_sizes(on_the_smaller, request, TOOLS, [smaller, PHOTO], sizes.get)[0] == plan(resize(PHOTO, 300, 225))
    assert same_sizes(on_the_smaller, "make it smaller", TOOLS, [smaller, PHOTO], sizes.get) == (on_the_smaller, {})
