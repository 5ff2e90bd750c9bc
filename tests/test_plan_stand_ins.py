"""A planned request that asks for a tool that is not loaded: the map step written in its place is left out and the
answer says how to load the tool (agent.plan_stand_ins, agent.plan_mode)."""

from __future__ import annotations

import pytest

from agent.capabilities import load_hint
from agent.plan_stand_ins import asked_but_not_loaded, without_stand_ins, without_unasked
from protocol.plan import Plan, PlanStep, Reference
from tools.catalog import default_registry

CATALOG = default_registry()
OFFLINE = CATALOG.subset(
    (
        "Edge Detection On Image",
        "Hed Detection On Image",
        "Pose Detection On Image",
        "Rotate Image",
        "Remove the background",
        "Detection",
        "Blur Region",
        "Crop Image",
    )
)
PHOTO = "image/2c1b9d0e.png"


def plan(*steps):
    return Plan(tuple(PlanStep.of(task, index, args) for index, (task, args) in enumerate(steps)))


@pytest.mark.parametrize(
    ("request_text", "missing"),
    [
        ("rotate it by 90 degrees, then show me the depth", ["Predict Depth On Image"]),
        ("get the edges, and describe the photo", ["Get Photo Description"]),
        ("make a normal map and a depth map", ["Predict Depth On Image", "Predict Normal Map On Image"]),
        ("what colour is her suit, and show me the edges", ["Answer Question About The Image"]),
        ("how many people are there? then blur the faces", []),  # Detection counts them
        ("show me the edges, then the pose", []),
        ("rotate it, then make it black and white", ["Instruct Image Using Text"]),  # generative_requests' wording
        ("what's the capital of France?", []),
        (
            "based on pose of d.jpg and content of e.jpg, please show me a new image",  # HuggingGPT's example
            ["Get Photo Description", "Generate Image Condition On Pose Image"],
        ),
    ],
)
def test_the_tools_a_request_asks_for_that_are_not_loaded(request_text, missing):
    assert [spec.name for spec in asked_but_not_loaded(request_text, OFFLINE, CATALOG)] == missing


ROTATE = ("Rotate Image", {"image_path": PHOTO, "angle": 90})
HED_OF_0 = ("Hed Detection On Image", {"image_path": "<GENERATED>-0"})


def test_the_map_standing_in_for_the_depth_is_left_out():
    request = "rotate it by 90 degrees, then show me the depth"
    missing = asked_but_not_loaded(request, OFFLINE, CATALOG)
    assert without_stand_ins(plan(ROTATE, HED_OF_0), request, missing, OFFLINE) == plan(ROTATE)


NOBG_OF_0 = ("Remove the background", {"image_path": "<GENERATED>-0"})


def test_an_edit_standing_in_for_a_generative_tool_is_left_out():
    """Offline the planner wrote "make it look like a watercolor painting" as a background removal."""
    request = "rotate it by 90 degrees, then make it look like a watercolor painting"
    missing = asked_but_not_loaded(request, OFFLINE, CATALOG)
    assert [spec.name for spec in missing] == ["Instruct Image Using Text"]
    assert without_stand_ins(plan(ROTATE, NOBG_OF_0), request, missing, OFFLINE) == plan(ROTATE)
    # "turn it 90 degrees" asks for the rotation in other words, so only the background removal can stand in
    turned = "turn it 90 degrees, then make it black and white"
    missing = asked_but_not_loaded(turned, OFFLINE, CATALOG)
    assert without_stand_ins(plan(ROTATE, NOBG_OF_0), turned, missing, OFFLINE) == plan(ROTATE)
    nobg = ("Remove the background", {"image_path": PHOTO})
    assert without_stand_ins(plan(ROTATE, nobg), turned, missing, OFFLINE) == plan(ROTATE)
    # side by side, neither named: which one stands in is unclear, and the plan runs as written
    spun = "spin it a little, then make it black and white"
    missing = asked_but_not_loaded(spun, OFFLINE, CATALOG)
    assert without_stand_ins(plan(ROTATE, nobg), spun, missing, OFFLINE) == plan(ROTATE, nobg)


def test_a_stand_in_that_a_later_step_worked_on_is_left_out_and_that_step_takes_its_image():
    """Offline the planner drew the edges for "black and white" and rotated the edge map."""
    request = "make it black and white and rotate it 45 degrees"
    missing = asked_but_not_loaded(request, OFFLINE, CATALOG)
    assert [spec.name for spec in missing] == ["Instruct Image Using Text"]
    edges = ("Edge Detection On Image", {"image_path": PHOTO})
    rotate_0 = ("Rotate Image", {"image_path": "<GENERATED>-0", "angle": 45})
    rotated = PlanStep.of("Rotate Image", 1, {"image_path": PHOTO, "angle": 45})
    assert without_stand_ins(plan(edges, rotate_0), request, missing, OFFLINE) == Plan((rotated,))
    # two stand-ins in a row for the one tool missing: the rotation is the other thing asked
    nobg_0 = ("Remove the background", {"image_path": "<GENERATED>-0"})
    rotate_1 = ("Rotate Image", {"image_path": "<GENERATED>-1", "angle": 45})
    rotated = PlanStep.of("Rotate Image", 2, {"image_path": PHOTO, "angle": 45})
    assert without_stand_ins(plan(edges, nobg_0, rotate_1), request, missing, OFFLINE) == Plan((rotated,))


POSE = ("Pose Detection On Image", {"image_path": "d.jpg"})
READ_E = ("Text Detection On Image", {"image_path": "e.jpg"})


def test_a_reading_step_standing_in_for_the_describer_is_left_out():
    """Offline the planner read e.jpg for "the content of e.jpg": "No text found." for a request about a picture."""
    request = "based on pose of d.jpg and content of e.jpg, please show me a new image"
    missing = asked_but_not_loaded(request, OFFLINE, CATALOG)
    assert without_stand_ins(plan(POSE, READ_E), request, missing, OFFLINE) == plan(POSE)
    # a request that speaks of writing asked for the reading
    signs = "based on pose of d.jpg and the sign in e.jpg, please show me a new image"
    assert without_stand_ins(plan(POSE, READ_E), signs, missing, OFFLINE) == plan(POSE, READ_E)


@pytest.mark.parametrize(
    ("request_text", "steps"),
    [
        ("rotate it, then show me the depth and the soft edges", (ROTATE, HED_OF_0)),  # the HED map was asked for
        ("rotate it, then the pose", (ROTATE, HED_OF_0)),  # nothing missing
    ],
)
def test_a_map_the_request_names_or_an_unclear_stand_in_runs(request_text, steps):
    missing = asked_but_not_loaded(request_text, OFFLINE, CATALOG)
    assert without_stand_ins(plan(*steps), request_text, missing, OFFLINE) == plan(*steps)


def test_more_stand_ins_than_tools_missing_are_left_out_when_the_other_steps_do_the_rest():
    """Two maps nobody named for the one missing depth: the rotation is the other thing asked, so neither is it."""
    request = "rotate it, then the depth"
    missing = asked_but_not_loaded(request, OFFLINE, CATALOG)
    pose = ("Pose Detection On Image", {"image_path": PHOTO})
    assert without_stand_ins(plan(ROTATE, HED_OF_0, pose), request, missing, OFFLINE) == plan(ROTATE)


def test_the_load_hint_names_every_family_the_tool_needs():
    assert load_hint(CATALOG.get("Predict Depth On Image")) == "Image2Depth_cpu"


DETECT = ("Detection", {"image_path": PHOTO})
CROP_OF_0 = ("Crop Image", {"image_path": "<GENERATED>-0"})
NOBG = ("Remove the background", {"image_path": PHOTO})


def test_an_image_step_nobody_asked_for_is_left_out():
    """The embedded planner's plan for "crop the face in d.png" also removed the background."""
    assert without_unasked(plan(DETECT, CROP_OF_0, NOBG), "crop the face in d.png", OFFLINE) == plan(DETECT, CROP_OF_0)


def test_image_steps_beside_the_reading_asked_are_left_out():
    """Seen in a plan drive: "read both signs" was planned as the edges of one sign, their background removed and a
    reading of each."""
    other = "image/0f0f0f0f.png"
    edges, nobg = (
        ("Edge Detection On Image", {"image_path": other}),
        ("Remove the background", {"image_path": "<GENERATED>-0"}),
    )
    read, read_other = (
        ("Text Detection On Image", {"image_path": PHOTO}),
        ("Text Detection On Image", {"image_path": other}),
    )
    planned = plan(edges, read, nobg, read_other)
    trimmed = without_unasked(without_unasked(planned, "read both signs", OFFLINE), "read both signs", OFFLINE)
    assert trimmed.tasks == ["Text Detection On Image", "Text Detection On Image"]


def test_a_question_of_the_signs_words_asks_for_no_step_besides_the_reading():
    """Seen in a plan drive: "read the sign and tell me if I can park here" was planned as a reading and a background
    removal (which failed: no person)."""
    read = ("Text Detection On Image", {"image_path": PHOTO})
    request = "read the sign and tell me if I can park here"
    assert without_unasked(plan(read, NOBG), request, OFFLINE) == plan(read)
    asked = "read the sign and remove the background"  # two things: both stay
    assert without_unasked(plan(read, NOBG), asked, OFFLINE) == plan(read, NOBG)


def test_a_reading_asked_for_by_a_signs_name_stays_and_the_unasked_crop_goes():
    """Seen in a plan drive: "what's the name of the cafe and make the picture smaller" was planned as a resize and a
    crop of 1, 1, 1, 1; the reading added for the name was then left out in place of the crop."""
    resize = ("Resize Image", {"image_path": PHOTO, "width": 320, "height": 214})
    crop = ("Crop Image", {"image_path": "<GENERATED>-0", "left": 1, "top": 1, "right": 1, "bottom": 1})
    read = ("Text Detection On Image", {"image_path": PHOTO})
    request = "what's the name of the cafe and make the picture smaller"
    loaded = CATALOG.subset((*OFFLINE.names, "Resize Image", "Text Detection On Image"))
    kept = without_unasked(plan(resize, crop, read), request, loaded)
    assert [step.task for step in kept.steps] == ["Resize Image", "Text Detection On Image"]


def test_a_reading_step_nobody_asked_for_is_left_out():
    request = "crop the face in d.png"
    read = ("Text Detection On Image", {"image_path": PHOTO})
    assert without_unasked(plan(DETECT, CROP_OF_0, read), request, OFFLINE) == plan(DETECT, CROP_OF_0)
    asked = "crop the face in d.png and read the label"
    assert without_unasked(plan(DETECT, CROP_OF_0, read), asked, OFFLINE) == plan(DETECT, CROP_OF_0, read)


@pytest.mark.parametrize(
    ("request_text", "steps"),
    [
        ("turn it 90 degrees", (ROTATE,)),  # the only image step, named by a synonym
        ("turn it upside down and make it smaller", (ROTATE, NOBG)),  # nothing named: which is meant is unclear
        ("crop the face and remove the background", (DETECT, CROP_OF_0, NOBG)),  # both named
    ],
)
def test_a_plan_whose_image_steps_are_all_asked_for_or_none_named_runs_as_written(request_text, steps):
    assert without_unasked(plan(*steps), request_text, OFFLINE) == plan(*steps)


BLUR_OF_0 = ("Blur Region", {"image_path": "<GENERATED>-0"})
EDGES = ("Edge Detection On Image", {"image_path": PHOTO})


def test_an_image_step_beyond_the_things_asked_is_left_out_of_a_plan_for_several():
    """The embedded planner's plan for "detect the person ... and blur the face" also drew the edges."""
    request = "detect the person in d.png and blur the face"
    assert without_unasked(plan(DETECT, BLUR_OF_0, EDGES), request, OFFLINE) == plan(DETECT, BLUR_OF_0)
    # as many steps as things asked: the unnamed one may be asked in other words, and it runs
    spun = "detect the person in d.png and spin it a little"
    assert without_unasked(plan(DETECT, NOBG), spun, OFFLINE) == plan(DETECT, NOBG)
    # a rotation asked in other words is asked
    turned = "blur the face and turn it upside down"
    assert without_unasked(plan(DETECT, BLUR_OF_0, ROTATE), turned, OFFLINE) == plan(DETECT, BLUR_OF_0, ROTATE)


def test_an_image_step_nobody_asked_for_in_the_middle_of_a_chain_is_bypassed():
    """Seen through the plan drive: "crop her face, rotate it 180 and tell me where the file is saved" was planned as
    a detection, the crop, a background removal of the crop and the rotation of the cut-out."""
    from agent.plan_stand_ins import without_unasked_links

    request = "crop her face, rotate it 180 and tell me where the file is saved"
    nobg = ("Remove the background", {"image_path": "<GENERATED>-1"})
    turned = ("Rotate Image", {"image_path": "<GENERATED>-2", "angle": 180})
    planned = plan(DETECT, CROP_OF_0, nobg, turned)
    kept = without_unasked_links(planned, request, OFFLINE)
    assert [step.task for step in kept.steps] == ["Detection", "Crop Image", "Rotate Image"]
    assert kept.steps[-1].arguments["image_path"] == Reference(1)  # the crop
    asked = "crop her face, remove its background and rotate it 180"  # asked for: runs
    assert without_unasked_links(planned, asked, OFFLINE) == planned
