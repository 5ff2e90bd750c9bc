"""Which image a plan's steps work on (agent.plan_images): after a new upload, the new photo unless the request
reaches back; a map planned on another map step's output, the photo behind it unless the request asks for the map of
that map."""

from __future__ import annotations

import pytest

from agent.plan_images import maps_on_photos, on_the_named_uploads, on_the_newest_upload, on_the_result_named
from protocol.plan import Plan, PlanStep, Reference
from tools.catalog import default_registry

TOOLS = default_registry()
PHOTO = "image/2c1b9d0e.png"


def plan(*steps):
    return Plan(tuple(PlanStep.of(task, index, args) for index, (task, args) in enumerate(steps)))


EDGES = ("Edge Detection On Image", {"image_path": PHOTO})
POSE_OF_0 = ("Pose Detection On Image", {"image_path": "<GENERATED>-0"})


def test_the_pose_after_the_edges_is_the_photos():
    redrawn, changed = maps_on_photos(plan(EDGES, POSE_OF_0), "Show me the edges, then the pose", TOOLS)
    assert changed == {1: PHOTO}
    assert redrawn.steps[1].arguments == {"image_path": PHOTO} and redrawn.links == []


def test_a_search_after_a_map_is_on_the_photo():
    """Asked "show me the pose of d.png, then tell me how many faces it has", the planner counted the pose map's."""
    pose = ("Pose Detection On Image", {"image_path": PHOTO})
    faces_of_0 = ("Detection", {"image_path": "<GENERATED>-0"})
    request = "show me the pose of d.png, then tell me how many faces it has"
    redrawn, changed = maps_on_photos(plan(pose, faces_of_0), request, TOOLS)
    assert changed == {1: PHOTO} and redrawn.links == []
    # asked of the map itself, the link stays
    reading = ("Text Detection On Image", {"image_path": "<GENERATED>-0"})
    for asked in ("show me the pose, then read the text in the pose", "show me the pose, then read them"):
        assert maps_on_photos(plan(pose, reading), asked, TOOLS) == (plan(pose, reading), {})


def test_maps_of_maps_go_back_to_the_image_the_first_map_was_drawn_from():
    rotate = ("Rotate Image", {"image_path": PHOTO, "angle": 90})
    lines = ("Line Detection On Image", {"image_path": "<GENERATED>-0"})
    sketch = ("Sketch Detection On Image", {"image_path": "<GENERATED>-1"})
    pose = ("Pose Detection On Image", {"image_path": "<GENERATED>-2"})
    redrawn, changed = maps_on_photos(plan(rotate, lines, sketch, pose), "rotate it, lines, sketch and pose", TOOLS)
    # the lines are drawn on the rotated photo (not a map); the sketch and the pose on that photo too
    assert changed == {2: Reference(0), 3: Reference(0)}
    assert redrawn.links == [(0, 1), (0, 2), (0, 3)]


@pytest.mark.parametrize(
    "request_text",
    [
        "edges, then the pose of the edges",
        "get the edge map, then a pose from that",
        "find the edges and draw the pose on the result",
        "canny, then the pose of the edge map",
    ],
)
def test_a_request_for_the_map_of_the_map_keeps_the_link(request_text):
    assert maps_on_photos(plan(EDGES, POSE_OF_0), request_text, TOOLS) == (plan(EDGES, POSE_OF_0), {})


def test_that_photo_is_not_the_map():
    _, changed = maps_on_photos(plan(EDGES, POSE_OF_0), "the edges in that photo, then the pose", TOOLS)
    assert changed == {1: PHOTO}


def test_a_conditioned_generator_still_follows_its_map():
    generate = ("Generate Image Condition On Canny Image", {"image_path": "<GENERATED>-0", "text": "a castle"})
    steps = plan(EDGES, generate)
    assert maps_on_photos(steps, "edges, then a castle", TOOLS) == (steps, {})


FIRST, SECOND = "image/aaaa1111.png", "image/bbbb2222.png"
SHOWN = [FIRST, "image/0534_edge_aaaa1111.png", SECOND]


def test_after_a_new_upload_the_steps_on_the_earlier_photo_work_on_the_new_one():
    lines = ("Line Detection On Image", {"image_path": FIRST})
    sketch = ("Sketch Detection On Image", {"image_path": "<GENERATED>-0"})
    moved, changed = on_the_newest_upload(
        plan(lines, sketch), "the straight lines of the image, then a sketch", [FIRST, SECOND], SHOWN
    )
    assert changed == {0: SECOND}
    assert moved.steps[0].arguments == {"image_path": SECOND} and moved.steps[1] == plan(lines, sketch).steps[1]


@pytest.mark.parametrize(
    "request_text",
    [
        "the edges of the first photo, then its pose",
        "the edges of the previous image and of this one",
        f"the edges of {FIRST}, then rotate it",
    ],
)
def test_a_request_that_reaches_back_keeps_the_earlier_photo(request_text):
    steps = plan(("Edge Detection On Image", {"image_path": FIRST}))
    assert on_the_newest_upload(steps, request_text, [FIRST, SECOND], SHOWN) == (steps, {})


def test_a_step_that_takes_words_first_keeps_them():
    steps = plan(("Generate Image From User Input Text", {"text": "a cat on the moon"}))
    assert on_the_newest_upload(steps, "draw a cat on the moon", [FIRST, SECOND], SHOWN) == (steps, {})


def test_one_upload_or_the_new_one_changes_nothing():
    steps = plan(("Edge Detection On Image", {"image_path": SECOND}))
    assert on_the_newest_upload(steps, "edges", [FIRST, SECOND], SHOWN) == (steps, {})
    steps = plan(("Edge Detection On Image", {"image_path": FIRST}))
    assert on_the_newest_upload(steps, "edges", [FIRST], SHOWN[:1]) == (steps, {})


def test_a_step_goes_to_the_upload_the_request_calls_by_its_files_name():
    """After astronaut.png and cat.png, "resize the astronaut" is about the first upload, not the newest."""
    resize = ("Resize Image", {"image_path": SECOND, "width": 256, "height": 256})
    moved, changed = on_the_newest_upload(plan(resize), "resize the astronaut", [FIRST, SECOND], SHOWN, FIRST)
    assert changed == {0: FIRST} and moved.steps[0].arguments["image_path"] == FIRST
    on_it = plan(("Resize Image", {"image_path": FIRST, "width": 256, "height": 256}))
    assert on_the_newest_upload(on_it, "resize the astronaut", [FIRST, SECOND], SHOWN, FIRST) == (on_it, {})


def test_each_step_goes_to_the_upload_its_part_of_the_request_names():
    """Asked "resize astronaut.png to 256x256 and read the text in sign.png", the planner read the resized
    astronaut."""
    files = {FIRST: "astronaut.png", SECOND: "sign.png"}
    request = "resize astronaut.png to 256x256 and read the text in sign.png"
    resize = ("Resize Image", {"image_path": FIRST, "width": 256, "height": 256})
    read_0 = ("Text Detection On Image", {"image_path": "<GENERATED>-0"})
    moved, changed = on_the_named_uploads(plan(resize, read_0), request, files, TOOLS)
    assert changed == {1: SECOND} and moved == plan(resize, ("Text Detection On Image", {"image_path": SECOND}))
    # the resize on the sign moves to the astronaut, so the reading of its output moves to the sign
    on_sign = ("Resize Image", {"image_path": SECOND, "width": 256, "height": 256})
    moved, changed = on_the_named_uploads(plan(on_sign, read_0), request, files, TOOLS)
    assert changed == {0: FIRST, 1: SECOND}
    # a step on a result made from the upload its part names keeps it
    edges_0 = ("Edge Detection On Image", {"image_path": "<GENERATED>-0"})
    edges = "resize astronaut.png to 256x256, then show me the edges of astronaut.png and read sign.png"
    assert on_the_named_uploads(plan(resize, edges_0), edges, files, TOOLS) == (plan(resize, edges_0), {})


def test_every_upload_asked_for_gets_the_plan():
    """Seen in a plan drive: "rotate both by 90 degrees" rotated one of two uploads."""
    from agent.plan_images import for_every_upload

    rotate = ("Rotate Image", {"image_path": SECOND, "angle": 90})
    edges_of_it = ("Edge Detection On Image", {"image_path": "<GENERATED>-0"})
    copied, added = for_every_upload(
        plan(rotate, edges_of_it), "rotate both by 90 degrees, then the edges", [FIRST, SECOND], TOOLS
    )
    assert added == [2, 3]
    assert copied.steps[2].arguments == {"image_path": FIRST, "angle": 90}
    assert copied.steps[3].arguments == {"image_path": Reference(2)}
    one = plan(rotate)
    assert for_every_upload(one, "rotate it by 90 degrees", [FIRST, SECOND], TOOLS) == (one, [])  # one asked for
    both = plan(rotate, ("Rotate Image", {"image_path": FIRST, "angle": 90}))
    assert for_every_upload(both, "rotate both by 90 degrees", [FIRST, SECOND], TOOLS) == (both, [])  # each done
    # seen in a plan drive: "crop the left half of the first one, then rotate both" cropped both
    crop = ("Crop Image", {"image_path": FIRST, "left": 0, "top": 0, "right": 10, "bottom": 20})
    rotate_it = ("Rotate Image", {"image_path": "<GENERATED>-0", "angle": 90})
    request = "crop the left half of the first one, then rotate both by 90 degrees"
    copied, added = for_every_upload(plan(crop, rotate_it), request, [FIRST, SECOND], TOOLS)
    assert added == [2] and copied.steps[2].task == "Rotate Image"
    assert copied.steps[2].arguments == {"image_path": SECOND, "angle": 90}
    # after a crop of the first upload, "rotate both": the crop and the second upload
    cropped = f"image/aa11_crop_{FIRST[6:14]}.png"
    rotate_crop = ("Rotate Image", {"image_path": cropped, "angle": 90})
    copied, added = for_every_upload(plan(rotate_crop), "rotate both", [FIRST, SECOND], TOOLS, [cropped, SECOND])
    assert added == [1] and copied.steps[1].arguments == {"image_path": SECOND, "angle": 90}


def test_a_step_with_no_image_named_goes_on_from_the_last_edit():
    """Seen in a plan drive: after "rotate it by 180", the planner cropped the upload for "crop the left half"."""
    from agent.plan_images import on_the_newest_edits

    turned = f"image/aa11_rotate_{FIRST[6:14]}.png"
    crop = ("Crop Image", {"image_path": FIRST, "left": 0, "top": 0, "right": 225, "bottom": 300})
    moved, changed = on_the_newest_edits(plan(crop), "crop the left half", turned, [turned, FIRST], {"edge"})
    assert changed == {0: turned} and moved.steps[0].arguments["image_path"] == turned
    steps = plan(crop)
    assert on_the_newest_edits(steps, "crop the original's left half", turned, [turned, FIRST], {"edge"}) == (steps, {})
    # seen in a plan drive: after "blur her face", "make it half the size" resized the upload
    blurred = f"image/bb22_blur_{FIRST[6:14]}.png"
    resize = ("Resize Image", {"image_path": FIRST, "width": 256, "height": 256})
    _, changed = on_the_newest_edits(plan(resize), "make it half the size", blurred, [blurred, FIRST], {"edge"})
    assert changed == {0: blurred}


def test_a_result_named_by_what_made_it_is_the_one_worked_on():
    """Seen in a --cli drive: after "detect her pose and then crop her face", "rotate the pose map by 180 and make it
    half the size" was planned on the crop."""
    pose, crop = "image/f2f5_pose_2c1b9d0e.png", "image/55d0_crop_2c1b9d0e.png"
    shown = [PHOTO, pose, crop]
    rotate = ("Rotate Image", {"image_path": crop, "angle": 180})
    resize = ("Resize Image", {"image_path": "<GENERATED>-0", "width": 48, "height": 48})
    moved, changed = on_the_result_named(
        plan(rotate, resize), "rotate the pose map by 180 and make it half the size", shown, TOOLS
    )
    assert changed == {0: pose} and moved.steps[1].arguments["image_path"] == Reference(0)
    for request in (
        "rotate the pose map and the original by 180",  # another image too: as planned
        "rotate it by 180",  # no result named
        "show me the pose map of the crop",  # a new map: its own result is not the one meant
    ):
        assert on_the_result_named(plan(rotate), request, shown, TOOLS)[1] == {}
    redraw = ("Pose Detection On Image", {"image_path": crop})
    assert on_the_result_named(plan(redraw), "show me the pose map again", shown, TOOLS)[1] == {}
