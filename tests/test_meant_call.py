"""The turn's first call held to the tool a request names and the image it points at."""

from __future__ import annotations

from functools import partial

import pytest

from agent.image_reference import from_before_the_newest_upload, meant_image
from agent.meant_call import as_meant, map_not_made, named_but_not_run, named_tool
from agent.tool_words import named_by
from protocol.steps import ToolCall
from tools.catalog import default_registry

TOOLS = default_registry().subset(
    ("Detection", "Text Detection On Image", "Edge Detection On Image", "Rotate Image", "Resize Image", "Crop Image")
)
UPLOADS = ["image/aaaa1111.png", "image/bbbb2222.png"]
RESULT = "image/c3c3_rotate_bbbb2222.png"
FILES = {*UPLOADS, RESULT}


@pytest.mark.parametrize(
    ("request_text", "meant"),
    [
        ("now make it 128 by 128", RESULT),
        ("crop the result to 0,0,100,100", RESULT),
        ("and now the edges of this one", RESULT),
        ("now crop the original to 200,150,451,300", UPLOADS[-1]),
        ("the straight lines of the photo I uploaded", UPLOADS[-1]),
        ("rotate the first photo by 90", UPLOADS[0]),
        ("edges of the one I just sent", UPLOADS[-1]),
        # seen in a drive: "blur the face in the second one" blurred the first upload again
        ("blur the face in the second one", UPLOADS[1]),
        ("read the first sign", UPLOADS[0]),  # seen in a --cli drive of two signs: the newest was read
        ("crop the second upload", UPLOADS[1]),
        ("rotate the third photo", None),  # two uploads: there is no third
        ("rotate image/aaaa1111.png by 90", None),  # the request names the file itself
        ("edges please", None),  # says nothing of which image
        ("what does the sign say?", None),
    ],
)
def test_a_request_points_at_an_image_by_its_place_in_the_conversation(request_text, meant):
    from generation.tool_calls import image_names

    assert meant_image(request_text, UPLOADS, RESULT, image_names(request_text)) == meant


FIRST_EDGES = "image/e1e1_edge_aaaa1111.png"  # made from the first upload, before the second came
SECOND_EDGES = "image/e2e2_edge_bbbb2222.png"


@pytest.mark.parametrize(
    ("image", "request_text", "stale"),
    [
        (FIRST_EDGES, "Show me the straight lines in the image", True),
        (UPLOADS[0], "edges please", True),
        (UPLOADS[1], "edges please", False),  # the newest upload itself
        (SECOND_EDGES, "edges please", False),  # made after it
        ("image/gone1234.png", "edges please", True),  # no longer in the history: older still
        (FIRST_EDGES, "now the edges of the previous one", False),  # reaches back
        (UPLOADS[0], "do the same to the other photo", False),
    ],
)
def test_an_image_from_before_the_newest_upload(image, request_text, stale):
    shown = [UPLOADS[0], FIRST_EDGES, UPLOADS[1], SECOND_EDGES]
    assert from_before_the_newest_upload(image, request_text, UPLOADS, shown) is stale


def test_a_call_on_an_image_from_before_the_newest_upload_runs_on_the_new_one():
    files = {*UPLOADS, FIRST_EDGES, SECOND_EDGES}
    shown = [UPLOADS[0], FIRST_EDGES, UPLOADS[1], SECOND_EDGES]

    def ran(call: ToolCall, request: str) -> str:
        meant = as_meant(
            call, request, TOOLS, uploads=UPLOADS, latest=SECOND_EDGES, exists=files.__contains__, shown=shown
        )
        return meant.action_input

    assert ran(ToolCall("t", "Rotate Image", f"{FIRST_EDGES}, 90"), "rotate by 90") == f"{UPLOADS[1]}, 90"
    assert ran(ToolCall("t", "Rotate Image", f"{UPLOADS[0]}, 90"), "rotate it by 90") == f"{SECOND_EDGES}, 90"
    assert ran(ToolCall("t", "Rotate Image", f"{UPLOADS[0]}, 90"), f"rotate {UPLOADS[0]} by 90") == f"{UPLOADS[0]}, 90"


@pytest.mark.parametrize(
    ("request_text", "tool"),
    [
        ("Use Text Detection On Image on this", "Text Detection On Image"),
        ("please run edge detection on image", "Edge Detection On Image"),
        ("run edge detection", None),  # not the tool's full name; one-word names never count
        ("what objects are in the picture?", None),
        ("Rotate Image then Resize Image", None),  # two tools named: the model orders them
    ],
)
def test_a_request_names_a_tool_by_its_full_name(request_text, tool):
    assert named_tool(request_text, TOOLS) == tool


@pytest.mark.parametrize(
    ("request_text", "called", "tool"),
    [
        ("Text Detection On Image please", [], "Text Detection On Image"),
        ("can you use Rotate Image on it?", [""], "Rotate Image"),  # a rejected reply ran nothing
        ("Text Detection On Image please", ["Detection"], None),  # a tool ran: the model chose it
        ("what does Text Detection On Image do?", [], None),  # asks about the tool, not for it
        ("How is Rotate Image different from Resize Image?", [], None),
        ("rotate it", [], None),  # no tool named in full
    ],
)
def test_a_tool_named_in_full_is_owed_only_while_nothing_ran(request_text, called, tool):
    assert named_but_not_run(request_text, called, TOOLS) == tool


EDGE = "Edge Detection On Image"


@pytest.mark.parametrize(
    ("request_text", "said", "called", "tool"),
    [
        ("Show me the edge map of the image", f"Glad it worked out! I saved it as {FIRST_EDGES}.", [], EDGE),
        ("edge map please", "I don't have an image to work on yet. Please upload one first.", [], EDGE),
        ("edge map please", "Done! The edge map is ready.", [""], EDGE),  # a rejected reply ran nothing
        ("edge map please", f"The edge map is ready: {FIRST_EDGES}", [EDGE], None),  # it ran
        ("thanks for the edge map!", f"You're welcome! It is {FIRST_EDGES}.", [], None),
        ("how is an edge map made?", "It is done with the Canny algorithm.", [], None),  # asks about it
        ("edge map please", "Sure, what threshold would you like?", [], None),  # asks back, presents nothing
        ("rotate it by 90", f"Done! I saved it as {FIRST_EDGES}.", [], None),  # no map asked for
    ],
)
def test_a_map_asked_for_is_owed_when_the_answer_presents_a_file_or_refuses(request_text, said, called, tool):
    assert map_not_made(request_text, said, called, TOOLS) == tool


def meant(call: ToolCall, request: str) -> ToolCall:
    return as_meant(call, request, TOOLS, uploads=UPLOADS, latest=RESULT, exists=FILES.__contains__)


def test_the_call_runs_the_named_tool_on_the_meant_image_with_the_models_arguments():
    assert meant(ToolCall("t", "Detection", UPLOADS[1]), "Use Text Detection On Image on it") == ToolCall(
        "t", "Text Detection On Image", RESULT
    )
    assert meant(ToolCall("t", "Resize Image", f"{UPLOADS[1]}, 128, 128"), "now make it 128 by 128") == ToolCall(
        "t", "Resize Image", f"{RESULT}, 128, 128"
    )
    crop = ToolCall("t", "Crop Image", f"{RESULT}, 200, 150, 451, 300")
    assert meant(crop, "now crop the original to 200,150,451,300").action_input == f"{UPLOADS[1]}, 200, 150, 451, 300"


def test_the_call_is_left_as_written_where_the_request_leaves_room():
    chosen = ToolCall("t", "Rotate Image", f"{UPLOADS[0]}, 90")
    assert meant(chosen, "rotate by 90") is chosen  # no reference: the model's choice
    assert meant(chosen, "rotate the first photo by 90") is chosen  # already the one meant
    unknown = ToolCall("t", "Rotate Image", "image/none.png, 90")
    assert meant(unknown, "rotate it") is unknown  # a name no file has: the runtime's error says so
    inputs_differ = ToolCall("t", "Rotate Image", f"{RESULT}, 90")
    assert meant(inputs_differ, "use Crop Image on it").tool == "Rotate Image"  # its arguments would not fit


CROP = "image/d4d4_crop_aaaa1111.png"
EDGES = "image/e5e5_edge_d4d4.png"
POSE_MAP = "image/f6f6_pose_aaaa1111.png"


@pytest.mark.parametrize(
    ("request_text", "meant"),
    [
        ("now show the edges of the cropped image", CROP),
        ("rotate the cropped one by 90", CROP),
        ("blur the edge map", EDGES),
        ("resize the rotated photo", None),  # nothing was rotated: the model chooses
        ("rotate the pose map by 180", POSE_MAP),  # seen in a --cli drive: the crop made after it was rotated
        ("blur the skeleton", POSE_MAP),
        ("crop the sketch", None),  # no sketch was made
    ],
)
def test_a_request_points_at_a_result_by_what_made_it(request_text, meant):
    shown = [UPLOADS[0], POSE_MAP, CROP, EDGES]
    assert meant_image(request_text, UPLOADS, EDGES, (), shown) == meant


def test_the_map_a_tool_makes_is_what_it_is_asked_for_not_its_input():
    shown = [UPLOADS[0], CROP, EDGES, UPLOADS[1]]
    asked = "Show me the edge map of the image"
    assert meant_image(asked, UPLOADS, UPLOADS[1], (), shown, making="edge") is None  # asks for one: not its input
    assert meant_image("blur the edge map", UPLOADS, UPLOADS[1], (), shown, making="blur") == EDGES


@pytest.mark.parametrize(
    ("request_text", "numbers", "sign"),
    [
        ("just give me the top-left part, 0,0 to 300,200", ["0", "0", "300", "200"], 0),
        ("resize this to 300x200", ["300", "200"], 0),
        ("turn it 90 degrees clockwise", ["90"], -1),
        ("tilt it 30 degrees counter-clockwise", ["30"], 1),
        ("Rotate it 45° anticlockwise.", ["45"], 1),
        ("rotate it to the right by 22.5", ["22.5"], -1),
        ("rotate image/ab12_crop_cd34.png by -45", ["-45"], 0),  # digits of a file name are not numbers stated
        ("crop the 2nd photo", [], 0),  # an ordinal neither
        ("rotate it by ninety degrees", ["90"], 0),  # the model wrote 9
        ("turn it forty-five degrees to the left", ["45"], 1),
        ("rotate this one a hundred and eighty degrees", ["180"], 0),  # "one" alone stays a word
        ("make it two hundred by three hundred", ["200", "300"], 0),
        ("rotate right", [], -1),  # seen in a drive: turned by 90, counter-clockwise
        ("turn it left", [], 1),
        ("rotate it right away", [], 0),
    ],
)
def test_the_numbers_and_direction_a_request_states(request_text, numbers, sign):
    from agent.stated_numbers import rotation_sign, stated_numbers

    assert stated_numbers(request_text) == numbers
    assert rotation_sign(request_text) == sign


def test_the_call_takes_the_numbers_the_request_states():
    box = meant(ToolCall("t", "Crop Image", f"{UPLOADS[1]}, 0, 0, 0, 300"), "the top-left part, 0,0 to 300,200")
    assert box.action_input == f"{UPLOADS[1]}, 0, 0, 300, 200"
    turned = meant(ToolCall("t", "Rotate Image", f"{UPLOADS[1]}, 90"), "turn the photo I uploaded 90 degrees clockwise")
    assert turned.action_input == f"{UPLOADS[1]}, -90"
    left = meant(ToolCall("t", "Rotate Image", f"{UPLOADS[1]}, -30"), "tilt the new photo 30 degrees to the left")
    assert left.action_input == f"{UPLOADS[1]}, 30"


@pytest.mark.parametrize(
    ("written", "request_text", "angle"),
    [
        ("0", "rotate it a bit", "15"),  # a turn of nothing was shown as the rotated image
        ("3", "tilt it slightly", "15"),
        ("0", "turn it a little to the right", "-15"),
        ("90", "turn it upside down", "180"),
        ("90", "turn it to the right", "-90"),  # the model turned it left
        ("360", "rotate it", "90"),
        ("45", "rotate it", "45"),  # a turn the plain request leaves to the model
        # seen in a drive: "rotate it and show me the edges" after a face was found turned it by 176, the box's left
        ("176", "rotate it and show me the edges", "90"),
        ("-90", "rotate it sideways", "-90"),
        ("180", "turn it sideways", "90"),  # seen in a drive: a half turn is not sideways
        ("45", "put it on its side", "90"),
        ("0", "rotate it by 0 degrees", "0"),  # stated: as asked
    ],
)
def test_a_turn_asked_for_in_words_gets_its_angle(written, request_text, angle):
    turned = meant(ToolCall("t", "Rotate Image", f"{RESULT}, {written}"), request_text)
    assert turned.action_input == f"{RESULT}, {angle}"


@pytest.mark.parametrize(
    ("model_call", "request_text", "resized"),
    [
        (f"Crop Image: {RESULT}, 100, 10000, 100, 10000", "make it smaller, 100x100", f"{RESULT}, 100, 100"),
        (f"Rotate Image: {RESULT}, 128", "now make it 128 by 128", f"{RESULT}, 128, 128"),
        (f"Crop Image: {RESULT}, 0, 0, 50, 50", "scale it down to 64 x 48", f"{RESULT}, 64, 48"),
        (f"Crop Image: {RESULT}, 0, 0, 50, 50", "make the crop 64 x 48", f"{RESULT}, 64, 48"),  # the crop: a noun
    ],
)
def test_a_request_for_another_size_resizes(model_call, request_text, resized):
    """After a crop, "make it smaller, 100x100" was read as another crop (a follow-up that changes the last call)."""
    tool, argument = model_call.split(": ", 1)
    assert meant(ToolCall("t", tool, argument), request_text) == ToolCall("t", "Resize Image", resized)


@pytest.mark.parametrize(
    ("request_text", "resized"),
    [
        # seen in a drive: the model removed the background for "... make it 200x200 instead"
        ("undo that, I want the original back. make it 200x200 instead", True),
        ("show me the edges at 256x256", False),  # the edge map asked for by its words
        ("edge map, 256 by 256", False),
    ],
)
def test_a_size_overrules_a_tool_of_an_image_alone_only_when_the_request_does_not_ask_for_it(request_text, resized):
    call = ToolCall("t", "Edge Detection On Image", RESULT)
    meant_call = as_meant(
        call,
        request_text,
        TOOLS,
        uploads=UPLOADS,
        latest=RESULT,
        exists=FILES.__contains__,
        asked_for=lambda tool: named_by(request_text, tool, TOOLS),
    )
    assert (meant_call.tool == "Resize Image") is resized
    assert meant(call, request_text).tool == "Edge Detection On Image"  # nobody said what the request asks for


@pytest.mark.parametrize(
    "request_text",
    ["crop it to 100x100", "rotate it 90 and make it smaller", "make it smaller", "make it 100 by 100 by 100"],
)
def test_a_size_with_another_edit_or_without_two_numbers_is_left_to_the_model(request_text):
    call = ToolCall("t", "Crop Image", f"{RESULT}, 0, 0, 100, 100")
    assert meant(call, request_text).tool == "Crop Image"


@pytest.mark.parametrize(
    ("request_text", "box"),
    [
        ("crop the top half", "0, 0, 300, 100"),
        ("keep only the bottom half", "0, 100, 300, 200"),
        ("crop out the left half please", "0, 0, 150, 200"),
        ("blur the right half", "150, 0, 300, 200"),
        ("crop the bottom-right quarter", "150, 100, 300, 200"),
        ("crop the top left corner", "0, 0, 150, 100"),
        ("crop the top half and then rotate it by 90 degrees", "0, 0, 300, 100"),  # 90: not a box
        ("blur the whole image", "0, 0, 300, 200"),
        ("blur all of it", "0, 0, 300, 200"),
        ("blur it", "0, 0, 300, 200"),  # the picture itself, for a blur alone
        # seen in the recorded demo: "can you crop out the left third?" was asked for a box
        ("can you crop out the left third?", "0, 0, 100, 200"),
        ("crop the right third", "200, 0, 300, 200"),
        ("blur the top third", "0, 0, 300, 66"),
        ("keep the bottom third", "0, 134, 300, 200"),
        # seen in a drive: "crop the middle of the picture" was asked for a box
        ("crop the middle of the picture", "75, 50, 225, 150"),
        # seen in a drive: "and blur the bottom quarter" was asked for a box
        ("and blur the bottom quarter", "0, 150, 300, 200"),
        ("crop the left quarter", "0, 0, 75, 200"),
        ("blur the top-left quarter", "0, 0, 150, 100"),  # a corner, not the left strip
        # seen in a drive: "crop 100 pixels off each side" was cropped 10000, 0, 423, 300
        ("crop 50 pixels off each side", "50, 50, 250, 150"),
        ("blur the centre", "75, 50, 225, 150"),
        # seen in a --cli drive: "crop the middle third" was asked for a box; across the longer side
        ("crop the middle third", "100, 0, 200, 200"),
        ("blur the central quarter", "112, 0, 187, 200"),
        # seen in a drive: "crop the left 40%" was cropped 40, 0.01, 10000, 10000 and resized to 40%
        ("crop the left 40%", "0, 0, 120, 200"),
        ("blur the bottom 25 percent", "0, 150, 300, 200"),
        ("keep the right 12.5%", "263, 0, 300, 200"),
        # seen in a drive: "crop out the top 100 pixels" was cropped 100, 10000, 0, 10000; a strip in pixels is cut away
        ("crop out the top 100 pixels", "0, 100, 300, 200"),
        ("cut 50 px off the bottom", "0, 0, 300, 150"),
        ("crop 30 pixels from the right", "0, 0, 270, 200"),
        ("keep only the left 120 pixels", "0, 0, 120, 200"),
        ("blur the bottom 20 pixels", "0, 180, 300, 200"),  # no cut: the strip itself
    ],
)
def test_a_part_named_by_its_place_is_the_box_of_the_images_size(request_text, box):
    """Asked to "crop the top half" of a 300x200 image, the model wrote ``300, 200, -180, 0``."""
    from agent.meant_call import with_named_region

    tools = default_registry().subset(("Crop Image", "Blur Region"))
    tool = "Blur Region" if "blur" in request_text else "Crop Image"
    call = ToolCall("t", tool, f"{RESULT}, 300, 200, -180, 0")
    assert with_named_region(call, request_text, tools, lambda name: (300, 200)).action_input == f"{RESULT}, {box}"


@pytest.mark.parametrize(
    ("request_text", "size"),
    [
        ("crop it to 0,0,100,100, the top half", (300, 200)),  # numbers stated: those are the box
        ("crop the top half and the left half", (300, 200)),  # two parts
        ("crop the dog", (300, 200)),
        ("crop the person in the middle", (300, 200)),  # someone to find, not a part
        ("crop it", (300, 200)),  # a crop of the picture itself has no box
        ("crop the top half", None),  # the image cannot be read
    ],
)
def test_a_box_is_left_as_written_without_one_named_part_or_a_readable_image(request_text, size):
    from agent.meant_call import with_named_region

    call = ToolCall("t", "Crop Image", f"{RESULT}, 1, 2, 3, 4")
    assert with_named_region(call, request_text, default_registry(), lambda name: size) is call


def test_numbers_are_left_as_written_unless_the_request_states_as_many_as_the_tool_takes():
    same = ToolCall("t", "Resize Image", f"{UPLOADS[1]}, 300.0, 200")
    assert meant(same, "resize the new photo to 300x200") is same  # the same numbers
    chain = ToolCall("t", "Resize Image", f"{UPLOADS[1]}, 300, 200")
    assert meant(chain, "resize the new photo to 300x200 and rotate it 90") is chain  # three numbers for two inputs
    short = ToolCall("t", "Crop Image", f"{UPLOADS[1]}, 0, 0")
    assert meant(short, "crop the new photo to 0,0,300,200") is short  # the runtime's error names the inputs
    plain = ToolCall("t", "Rotate Image", f"{UPLOADS[1]}, 180")
    assert meant(plain, "flip the new photo upside down") is plain  # no number stated


POSE = "image/f6f6_pose_bbbb2222.png"
DEPTH_OF_CROP = "image/a7a7_depth_d4d4.png"
LINES_OF_CROP = "image/b8b8_line_d4d4.png"
ROTATED_LINES = "image/c9c9_rotate_b8b8.png"


@pytest.mark.parametrize(
    ("call", "request_text", "image"),
    [
        (ToolCall("t", "Detection", POSE), "what objects are in it?", UPLOADS[1]),
        (ToolCall("t", "Detection", UPLOADS[0]), "what objects are in it?", UPLOADS[1]),  # "it" is the map's photo
        (ToolCall("t", "Text Detection On Image", DEPTH_OF_CROP), "read the text", CROP),  # a map of a result
        (ToolCall("t", "Detection", POSE), "what objects are in the pose skeleton?", POSE),  # asks of the map
        (ToolCall("t", "Detection", POSE), f"find the objects in {POSE}", POSE),  # names the map's file
        (ToolCall("t", "Edge Detection On Image", POSE), "edges of it", POSE),  # a tool that makes an image
        (ToolCall("t", "Detection", RESULT), "what objects are in it?", RESULT),  # a rotation is no map
        # a rotated line drawing is still a drawing: the photo it was drawn from (a crop of the upload)
        (ToolCall("t", "Detection", ROTATED_LINES), "how many people are in this photo?", CROP),
    ],
)
def test_a_question_about_a_maps_content_is_asked_of_the_photo_behind_it(call, request_text, image):
    files = {*FILES, POSE, CROP, DEPTH_OF_CROP, LINES_OF_CROP, ROTATED_LINES}
    latest = call.action_input if call.action_input != UPLOADS[0] else POSE
    meant_call = as_meant(
        call,
        request_text,
        TOOLS,
        uploads=UPLOADS,
        latest=latest,
        exists=files.__contains__,
        shown=[CROP, LINES_OF_CROP, latest],
    )
    assert meant_call.action_input == image


EDGES_OF_PHOTO = "image/e7e7_edge_bbbb2222.png"


def test_a_face_edit_on_a_map_runs_on_the_photo_behind_it():
    """Seen in --cli: "find the faces" ran on the photo behind a pose map, then "blur the face" blurred the pose map."""
    pose = "image/f6f6_pose_bbbb2222.png"
    files = {*FILES, pose}

    def ran(tool: str, request: str) -> str:
        call = ToolCall("t", tool, f"{pose}, 176, 65, 273, 162" if tool != "Rotate Image" else f"{pose}, 90")
        meant = as_meant(
            call, request, TOOLS, uploads=UPLOADS, latest=pose, exists=files.__contains__, shown=[*UPLOADS, pose]
        )
        return meant.action_input.split(",")[0]

    assert ran("Crop Image", "crop the face") == UPLOADS[1]
    assert ran("Crop Image", "crop it to the face") == pose  # points at the map itself
    assert ran("Crop Image", "crop the top left") == pose  # no face or person: the model's choice
    assert ran("Rotate Image", "rotate the person by 90") == pose  # not a box tool


def test_a_background_removal_on_a_map_runs_on_the_photo_behind_it():
    """Seen in the recorded demo: "remove the background of the image" after the straight lines cut out the drawing."""
    lines = "image/a1a1_line_bbbb2222.png"
    files = {*FILES, lines}

    def ran(request: str) -> str:
        call = ToolCall("t", "Remove the background", lines)
        tools = default_registry().subset(("Remove the background", "Line Detection On Image"))
        meant = as_meant(
            call, request, tools, uploads=UPLOADS, latest=lines, exists=files.__contains__, shown=[*UPLOADS, lines]
        )
        return meant.action_input

    assert ran("Remove the background of the image") == UPLOADS[1]
    assert ran("remove the background of it") == lines  # points at the drawing itself
    assert ran("remove its background") == lines
    assert ran("remove the background of the line drawing") == lines


def test_a_map_of_a_map_is_traced_back_to_the_photo():
    lines = "image/a1a1_line_bbbb2222.png"
    sketch = "image/b2b2_scribble_a1a1.png"
    files = {*FILES, lines, sketch}
    call = ToolCall("t", "Edge Detection On Image", sketch)
    shown = [*UPLOADS, lines, sketch]
    ran = as_meant(
        call, "edge map please", TOOLS, uploads=UPLOADS, latest=sketch, exists=files.__contains__, shown=shown
    )
    assert ran.action_input == UPLOADS[1]


@pytest.mark.parametrize(
    ("request_text", "image"),
    [
        ("Show me the edges of the image", UPLOADS[1]),  # the edges of the edge map were drawn
        ("edge map please", UPLOADS[1]),
        ("turn it into edges", EDGES_OF_PHOTO),  # points at the latest image itself
        ("edges of that", EDGES_OF_PHOTO),
        (f"edges of {EDGES_OF_PHOTO}", EDGES_OF_PHOTO),  # names it
    ],
)
def test_a_map_drawn_on_a_map_the_request_does_not_point_at_is_drawn_on_the_photo(request_text, image):
    files = {*FILES, EDGES_OF_PHOTO}
    call = ToolCall("t", "Edge Detection On Image", EDGES_OF_PHOTO)
    shown = [*UPLOADS, EDGES_OF_PHOTO]
    ran = as_meant(
        call, request_text, TOOLS, uploads=UPLOADS, latest=EDGES_OF_PHOTO, exists=files.__contains__, shown=shown
    )
    assert ran.action_input == image


MAPS = default_registry().subset(
    (
        "Edge Detection On Image",
        "Line Detection On Image",
        "Hed Detection On Image",
        "Sketch Detection On Image",
        "Pose Detection On Image",
        "Predict Depth On Image",
        "Detection",
    )
)


@pytest.mark.parametrize(
    ("model_tool", "request_text", "tool"),
    [
        ("Hed Detection On Image", "draw the outlines as an edge map", "Edge Detection On Image"),
        ("Edge Detection On Image", "show me the skeleton of the person", "Pose Detection On Image"),
        ("Edge Detection On Image", "how far is everything? give me a depth map", "Predict Depth On Image"),
        ("Hed Detection On Image", "a depth map or an edge map please", "Hed Detection On Image"),  # two named
        ("Edge Detection On Image", "edges and pose", "Edge Detection On Image"),  # asks for more: the model orders
        ("Line Detection On Image", "show me the outlines", "Edge Detection On Image"),  # outlines: the edge map
        ("Pose Detection On Image", "show me the contours", "Edge Detection On Image"),
        ("Hed Detection On Image", "soft outlines please", "Hed Detection On Image"),  # an outline map: its choice
        ("Sketch Detection On Image", "trace the outlines for a colouring book", "Sketch Detection On Image"),
        ("Line Detection On Image", "the outlines and the pose", "Line Detection On Image"),  # asks for more
        ("Hed Detection On Image", "show me what you can do", "Hed Detection On Image"),  # no map named
        ("Detection", "what objects are in the edge map?", "Detection"),  # not a map-making call
        ("Pose Detection On Image", "pose please", "Pose Detection On Image"),  # already the one named
        ("Hed Detection On Image", "Show me the edges of the image", "Edge Detection On Image"),
        ("Edge Detection On Image", "soft edges please", "Hed Detection On Image"),  # "edges" inside "soft edges"
        ("Edge Detection On Image", "HED edges", "Edge Detection On Image"),  # two maps named: the model's choice
    ],
)
def test_a_map_making_call_draws_the_map_the_request_names(model_tool, request_text, tool):
    call = ToolCall("t", model_tool, UPLOADS[0])
    meant_call = as_meant(call, request_text, MAPS, uploads=UPLOADS, latest=UPLOADS[0], exists=FILES.__contains__)
    assert meant_call.tool == tool


@pytest.mark.parametrize(
    ("request_text", "factor"),
    [
        ("make it twice as big", 2.0),
        ("double the size", 2.0),
        ("make it 3 times larger", 3.0),
        ("scale it by 2x", 2.0),
        ("make it 1.5 times bigger", 1.5),
        ("half the size please", 0.5),
        ("halve it", 0.5),
        ("and then half of that", 0.5),  # seen in a --cli drive after a resize: cropped to a box of the model's
        ("crop half of it away", None),
        ("make it a quarter the size", 0.25),
        ("resize to 50%", 0.5),
        ("scale it to 25 percent", 0.25),
        ("make it smaller", 0.5),  # no amount: half
        ("make the image larger", 2.0),  # no amount: twice
        ("make it 128 by 128", None),  # a size in numbers
        ("rotate it 90 degrees", None),
        ("make it 200x", None),  # "200x200" cut short, more likely than 200 times
        ("make it 20 times bigger", 20.0),
        ("make it 4 times smaller", 0.25),  # the model resized a 368x300 crop to 300 x 300 for "3 times smaller"
        ("make it twice smaller", 0.5),
        ("make it smaller, 100x100", None),
        ("make it bigger and rotate it by 90 degrees", 2.0),  # planned as a resize to 90 x 60
        ("make it bigger and crop it to 0, 0, 100, 100", None),
        ("crop the left 40%", None),  # a part to crop, not a size
        ("crop the left 40% and shrink it to 50%", 0.5),
        ("make it 50% bigger", 1.5),  # seen in a drive: resized to half
        ("make it 20 percent smaller", 0.8),
        ("enlarge it by 20%", 1.2),
        ("reduce its size by 30%", 0.7),
        ("crop the bigger one to a square", None),  # which image, not a size
        ("read the smaller one", None),
    ],
)
def test_the_size_a_request_asks_for_relative_to_the_pictures(request_text, factor):
    from agent.stated_numbers import scale_factor

    assert scale_factor(request_text) == factor


@pytest.mark.parametrize(
    ("model_call", "request_text", "resized"),
    [
        (f"Resize Image: {RESULT}, 20000, 30000", "make it twice as big", f"{RESULT}, 600, 400"),
        (f"Resize Image: {RESULT}, 1, 2", "make it smaller", f"{RESULT}, 150, 100"),
        (f"Resize Image: {RESULT}, 1, 2", "make it a bit smaller", f"{RESULT}, 225, 150"),  # not half
        (f"Resize Image: {RESULT}, 1, 2", "slightly bigger please", f"{RESULT}, 375, 250"),
        (f"Rotate Image: {RESULT}, 50", "resize it to 50%", f"{RESULT}, 150, 100"),
        (f"Resize Image: {RESULT}, 300, 200", "make it 100 times bigger", f"{RESULT}, 8192, 5461"),  # at most
        # seen in the recorded demo: "make it 400 pixels wide" of a 385x156 sign was resized to 400 x 0
        (f"Resize Image: {RESULT}, 400, 0", "make it 400 pixels wide", f"{RESULT}, 400, 267"),
        (f"Resize Image: {RESULT}, 100, 100", "resize it to 100px tall", f"{RESULT}, 150, 100"),
        (f"Resize Image: {RESULT}, 1, 1", "set the width to 150", f"{RESULT}, 150, 100"),
        # seen in a drive: the model cropped 20000, 20000, 20000, 20000 (failed) for "make the crop 2x bigger"
        (f"Crop Image: {RESULT}, 20000, 20000, 20000, 20000", "make the crop 2x bigger", f"{RESULT}, 600, 400"),
        # seen in a drive: "ok, then make it 4k" was resized to 400 x 300
        (f"Resize Image: {RESULT}, 400, 300", "ok, then make it 4k", f"{RESULT}, 3840, 2560"),
        (f"Resize Image: {RESULT}, 1920, 1080", "make it full HD", f"{RESULT}, 1920, 1280"),
        # seen in a --cli drive: "make it 1080p" gave 1920 x 1281 (1080 lines: the shorter side)
        (f"Resize Image: {RESULT}, 10800, 1080", "that's too big, make it 1080p", f"{RESULT}, 1620, 1080"),
        (f"Resize Image: {RESULT}, 1, 1", "make it 720p", f"{RESULT}, 1080, 720"),
        (f"Resize Image: {RESULT}, 1, 1", "make it HD", f"{RESULT}, 1080, 720"),  # seen: the background was removed
        # seen in a drive: "I want a thumbnail" cropped a box of 1000s
        (f"Crop Image: {RESULT}, 1000, 1000, 1000, 1000", "I want a thumbnail", f"{RESULT}, 128, 85"),
        # seen in a --cli drive: "can you make it 64 pixels" was resized to 64000 x -1 (failed)
        (f"Resize Image: {RESULT}, 64000, -1", "can you make it 64 pixels", f"{RESULT}, 64, 43"),
        (f"Resize Image: {RESULT}, 1, 1", "resize it to 150 px", f"{RESULT}, 150, 100"),
        # seen in a --cli drive: "resize it to 128" was resized to 1280 x 1280
        (f"Resize Image: {RESULT}, 1280, 1280", "resize it to 150", f"{RESULT}, 150, 100"),
        # seen in a --cli drive: "make it instagram size" of a square photo was resized to 1000 x 2000
        (f"Resize Image: {RESULT}, 1000, 2000", "make it instagram size", f"{RESULT}, 1080, 720"),
        # seen in a drive: "make it half as wide" halved both sides, "twice as tall" resized to 200 x 200
        (f"Resize Image: {RESULT}, 150, 100", "make it half as wide", f"{RESULT}, 150, 200"),
        (f"Resize Image: {RESULT}, 200, 200", "now make it twice as tall", f"{RESULT}, 300, 400"),
        (f"Resize Image: {RESULT}, 1, 1", "double the width", f"{RESULT}, 600, 200"),
        (f"Resize Image: {RESULT}, 1, 1", "halve its height", f"{RESULT}, 300, 100"),
        (f"Resize Image: {RESULT}, 1, 1", "make it 50% wider", f"{RESULT}, 450, 200"),
        (f"Resize Image: {RESULT}, 1, 1", "make it 20 percent shorter", f"{RESULT}, 300, 160"),
        (f"Resize Image: {RESULT}, 1, 1", "make it 100 times as tall", f"{RESULT}, 300, 8192"),  # at most
        # seen in --cli: the angle of another part had read as the height (300 x 90)
        (
            f"Resize Image: {RESULT}, 300, 90",
            "make it 150 pixels wide and rotate it by 90 degrees",
            f"{RESULT}, 150, 100",
        ),
    ],
)
def test_a_size_relative_to_the_pictures_is_computed_from_it(model_call, request_text, resized):
    """The embedded model wrote 20000 x 30000 for "twice as big" and 1 x 2 for "smaller"."""
    from agent.meant_call import with_relative_size

    tool, argument = model_call.split(": ", 1)
    tools = default_registry().subset(("Resize Image", "Rotate Image", "Crop Image"))
    meant_call = with_relative_size(ToolCall("t", tool, argument), request_text, tools, lambda name: (300, 200))
    assert meant_call == ToolCall("t", "Resize Image", resized)


@pytest.mark.parametrize(
    ("model_call", "request_text", "size"),
    [
        (f"Rotate Image: {RESULT}, 90", "rotate it and make it smaller", (300, 200)),  # another edit asked for
        (f"Crop Image: {RESULT}, 0, 0, 10, 10", "crop it to half the size", (300, 200)),
        (f"Resize Image: {RESULT}, 64, 64", "make it 64 by 64", (300, 200)),  # numbers stated
        (f"Resize Image: {RESULT}, 400, 300", "make it 400 wide and 300 tall", (300, 200)),  # both sides stated
        (f"Resize Image: {RESULT}, 1, 2", "make it smaller", None),  # the image cannot be read
        (f"Edge Detection On Image: {RESULT}", "make it twice as big", (300, 200)),  # takes no numbers
    ],
)
def test_a_relative_size_is_left_to_the_model_where_the_request_asks_for_more(model_call, request_text, size):
    from agent.meant_call import with_relative_size

    tool, argument = model_call.split(": ", 1)
    call = ToolCall("t", tool, argument)
    assert with_relative_size(call, request_text, default_registry(), lambda name: size) is call


def test_a_tool_not_asked_for_gives_way_to_the_size_asked_for():
    """Seen in a drive: asked to "make her face bigger" after a crop to her face, the model removed the background."""
    from agent.meant_call import with_relative_size
    from agent.tool_words import named_by

    tools = default_registry().subset(("Resize Image", "Remove the background", "Edge Detection On Image"))
    cut_out = ToolCall("t", "Remove the background", RESULT)
    asked = partial(named_by, "make her face bigger", loaded=tools)
    resized = with_relative_size(cut_out, "make her face bigger", tools, lambda name: (300, 200), asked)
    assert resized == ToolCall("t", "Resize Image", f"{RESULT}, 600, 400")  # "bigger": twice
    asked = partial(named_by, "cut her out and make it bigger", loaded=tools)  # asked for: the model's
    assert with_relative_size(cut_out, "cut her out and make it bigger", tools, lambda name: (3, 2), asked) is cut_out


def test_blur_it_after_a_detection_keeps_the_box_found():
    """The session "find the face", then "blur it": the model blurred the face's box, not the whole picture."""
    from agent.meant_call import with_named_region

    tools = default_registry().subset(("Blur Region",))
    call = ToolCall("t", "Blur Region", f"{RESULT}, 176, 65, 273, 162")
    shown = "The face is at face [176, 65, 273, 162]."
    assert with_named_region(call, "blur it", tools, lambda name: (512, 512), shown) is call
    assert (
        with_named_region(call, "blur it", tools, lambda name: (512, 512)).action_input == f"{RESULT}, 0, 0, 512, 512"
    )
    # seen in a session run: after "are there any faces in here?" answered "Yes: I found 1 face: face [...]", the model
    # blurred the whole photo for "blur it"
    from agent.loop import TraceStep

    found = [TraceStep(1, "", "Detection", RESULT, "face [176, 65, 273, 162]", True)]
    whole = ToolCall("t", "Blur Region", f"{RESULT}, 0, 0, 512, 512")
    blurred = with_named_region(whole, "blur it", tools, lambda name: (512, 512), last_found=found)
    assert blurred.action_input == f"{RESULT}, 176, 65, 273, 162"
    two = [TraceStep(1, "", "Detection", RESULT, "face [176, 65, 273, 162]; upper body [1, 2, 300, 400]", True)]
    assert with_named_region(whole, "blur it", tools, lambda name: (512, 512), last_found=two) == whole  # which one?


@pytest.mark.parametrize(
    ("model_call", "request_text", "ran"),
    [
        ("Resize Image: 200, 100", "can you make the picture square?", f"Crop Image: {RESULT}, 100, 0, 400, 300"),
        ("Crop Image: 1, 2, 3, 4", "crop it to a square", f"Crop Image: {RESULT}, 100, 0, 400, 300"),
        ("Resize Image: 300, 300", "make it 300 by 300, square", f"Resize Image: {RESULT}, 300, 300"),  # numbers
        ("Resize Image: 200, 100", "make it smaller", f"Resize Image: {RESULT}, 200, 100"),
        # seen in a drive: "crop it to 4:3" cropped 4, 3, -10000, -10000
        ("Crop Image: 4, 3, -10000, -10000", "crop it to 4:3", f"Crop Image: {RESULT}, 50, 0, 450, 300"),
        ("Crop Image: 1, 2, 3, 4", "make it 16:9", f"Crop Image: {RESULT}, 0, 9, 500, 290"),
        # seen in a drive: "zoom in 2x" resized the picture to its own size, then cropped 200, 20000, 200, 20000
        ("Resize Image: 500, 300", "zoom in 2x", f"Crop Image: {RESULT}, 125, 75, 375, 225"),
        ("Crop Image: 1, 2, 3, 4", "zoom in", f"Crop Image: {RESULT}, 125, 75, 375, 225"),
        ("Crop Image: 1, 2, 3, 4", "zoom in by 5 times", f"Crop Image: {RESULT}, 200, 120, 300, 180"),
        ("Crop Image: 1, 2, 3, 4", "zoom in a bit", f"Crop Image: {RESULT}, 83, 50, 416, 250"),
        # the cat's box, not the middle's square: the made-up box is left for the detector to replace
        ("Crop Image: 1, 2, 3, 4", "crop to the cat and make it square", f"Crop Image: {RESULT}, 1, 2, 3, 4"),
    ],
)
def test_make_it_square_is_the_largest_centred_square(model_call, request_text, ran):
    """Asked to "make the picture square", the embedded model resized a 600 x 400 photo to 200 x 100."""
    from agent.meant_call import as_square_crop

    tool, numbers = model_call.split(": ")
    call = ToolCall("t", tool, f"{RESULT}, {numbers}")
    tools = default_registry().subset(("Crop Image", "Resize Image"))
    squared = as_square_crop(call, request_text, tools, lambda name: (500, 300))
    assert f"{squared.tool}: {squared.action_input}" == ran


@pytest.mark.parametrize(
    ("request_text", "box", "squared"),
    [
        # seen in a --cli drive: "crop to the cat and make it square" cropped the picture's middle, not the cat
        ("crop to the cat and make it square", "100, 40, 220, 200", "80, 40, 240, 200"),
        ("crop the cat to a square", "100, 40, 220, 200", "80, 40, 240, 200"),
        ("crop to her face, square", "10, 0, 30, 60", "0, 0, 60, 60"),  # moved inside the picture
        ("crop the left half and make it square", "0, 0, 250, 300", "0, 0, 300, 300"),  # as large as it can be
        ("zoom in on the cat and make it square", "100, 40, 220, 200", "80, 40, 240, 200"),
        ("crop to the cat", "100, 40, 220, 200", "100, 40, 220, 200"),  # no square asked
        ("crop it to a square", "100, 0, 400, 300", "100, 0, 400, 300"),  # the middle's square already
        ("crop to the cat and make it square", "220, 40, 100, 200", "220, 40, 100, 200"),  # no box: a made-up one
    ],
)
def test_a_square_crop_of_a_named_thing_is_square_around_it(request_text, box, squared):
    from agent.meant_call import squared_around_its_box

    call = ToolCall("t", "Crop Image", f"{RESULT}, {box}")
    assert squared_around_its_box(call, request_text, lambda name: (500, 300)).action_input == f"{RESULT}, {squared}"


@pytest.mark.parametrize(
    ("model_call", "request_text", "ran"),
    [
        # seen in the session set: the embedded model cropped a made-up box, or ran Detection
        (("Crop Image", f"{RESULT}, 1000, 600, -1000, 600"), "cut me out of this so I can put it on my CV", RESULT),
        (("Detection", RESULT), "cut the person out", RESULT),
        (("Edge Detection On Image", RESULT), "give me this photo with a transparent background", RESULT),
        (("Crop Image", f"{RESULT}, 0, 0, 100, 100"), "cut out the top half", None),  # a crop
        (("Crop Image", f"{RESULT}, 50, 60, 350, 300"), "cut out the rectangle from 50, 60 to 350, 300", None),
        (("Remove the background", RESULT), "cut her out", None),  # already the cutter
    ],
)
def test_a_cut_out_asked_for_removes_the_background(model_call, request_text, ran):
    tools = default_registry().subset((*TOOLS.names, "Remove the background"))
    call = ToolCall("t", *model_call)
    meant_call = as_meant(call, request_text, tools, uploads=UPLOADS, latest=RESULT, exists=FILES.__contains__)
    if ran is None:
        assert meant_call.tool == call.tool
    else:
        assert (meant_call.tool, meant_call.action_input) == ("Remove the background", ran)


@pytest.mark.parametrize(
    ("request_text", "tool"),
    [
        ("Detect the pose of the person", "Pose Detection On Image"),  # seen in the drive: Detection ran
        ("show me the depth map", "Predict Depth On Image"),
        ("find the faces in the edge map", "Detection"),  # a search of a map
        ("detect the pose and the faces", "Detection"),  # asks for more: the model orders
        ("what objects are in it?", "Detection"),
    ],
)
def test_a_map_asked_for_is_drawn_where_the_model_searched(request_text, tool):
    call = ToolCall("t", "Detection", UPLOADS[0])
    meant_call = as_meant(call, request_text, MAPS, uploads=UPLOADS, latest=UPLOADS[0], exists=FILES.__contains__)
    assert meant_call.tool == tool


@pytest.mark.parametrize(
    ("request_text", "called", "tool"),
    [
        ("ok, then make it 4k", [], "Resize Image"),  # seen in a drive: "I don't have an image to work on yet"
        ("make it 128 by 128", [], "Resize Image"),
        ("can you make me a thumbnail of it?", [], "Resize Image"),
        ("make it twice as big", [], "Resize Image"),
        ("make it 4k", ["Resize Image"], None),  # it ran
        ("how do I make it smaller?", [], None),  # a question
        ("crop it and make it smaller", [], None),  # another edit: the other rules' turn
        ("thanks, it is bigger now", [], None),
    ],
)
def test_a_size_asked_for_that_nothing_made(request_text, called, tool):
    from agent.meant_call import size_not_made

    assert size_not_made(request_text, called, TOOLS) == tool


@pytest.mark.parametrize(
    ("request_text", "image", "runs_on"),
    [
        ("crop the left half", "image/a.png", "image/b_rotate_a.png"),  # seen in a drive: the upload was cropped
        ("make it 256 wide", "image/a.png", None),  # "it": the model's reading of it stands
        ("crop the original's left half", "image/a.png", None),
        ("No, crop 310 90 430 200 instead.", "image/a.png", None),  # changes the last edit
        ("make that 45 degrees", "image/a.png", None),
        ("crop the left half", "image/b_rotate_a.png", None),  # already the newest
        ("crop the left half", "image/z.png", None),  # another upload
    ],
)
def test_an_edit_with_no_image_named_goes_on_from_the_last_edit(request_text, image, runs_on):
    from agent.image_reference import on_the_newest_edit

    lineage = ["image/b_rotate_a.png", "image/a.png"]
    assert on_the_newest_edit(request_text, image, lineage[0], lineage, {"edge"}) == runs_on
    edges = ["image/c_edge_a.png", "image/a.png"]  # a map is no edit to go on from
    assert on_the_newest_edit(request_text, image, edges[0], edges, {"edge"}) is None


UPLOADS = ("image/aaaa1111.png", "image/bbbb2222.png")
SIZES = {"image/aaaa1111.png": (451, 300), "image/bbbb2222.png": (600, 400)}


@pytest.mark.parametrize(
    ("request_text", "image"),
    [
        ("read the smaller one", "image/aaaa1111.png"),  # seen in a drive: the model resized one of two signs
        ("crop the bigger one to a square", "image/bbbb2222.png"),
        ("rotate the largest image", "image/bbbb2222.png"),
        ("rotate the smaller", None),  # no image named
        ("make it smaller", None),
    ],
)
def test_an_image_called_by_its_size(request_text, image):
    from agent.image_reference import image_by_size

    assert image_by_size(request_text, UPLOADS, SIZES.get) == image
    assert image_by_size(request_text, UPLOADS[:1], SIZES.get) is None  # one image: no comparison
    assert image_by_size(request_text, UPLOADS, lambda name: (10, 10)) is None  # a tie


@pytest.mark.parametrize(
    ("model_call", "request_text", "meant"),
    [
        # seen in a drive: "make them the same size" resized the resized sign to 1000 x 156
        ("Resize Image: image/aaaa1111.png, 1000, 156", "make them the same size", "image/bbbb2222.png, 451, 300"),
        (
            "Resize Image: image/aaaa1111.png, 1, 2",
            "make it the same size as the other one",
            "image/aaaa1111.png, 600, 400",
        ),
        (
            "Resize Image: image/bbbb2222.png, 1, 2",
            "give it the same dimensions as the first",
            "image/bbbb2222.png, 451, 300",
        ),
    ],
)
def test_two_images_made_the_same_size(model_call, request_text, meant):
    from agent.meant_call import as_same_size

    tool, argument = model_call.split(": ", 1)
    tools = default_registry()
    made = as_same_size(ToolCall("t", tool, argument), request_text, tools, UPLOADS, SIZES.get)
    assert made == ToolCall("t", "Resize Image", meant)


@pytest.mark.parametrize("request_text", ["crop them to the same size", "make it bigger", "is it the same size?"])
def test_the_same_size_only_when_asked_alone(request_text):
    from agent.meant_call import as_same_size

    call = ToolCall("t", "Crop Image", "image/aaaa1111.png, 0, 0, 10, 10")
    assert as_same_size(call, request_text, default_registry(), UPLOADS, SIZES.get) == call
    assert as_same_size(call, "make them the same size", default_registry(), UPLOADS, lambda n: (9, 9)) == call


def test_the_image_said_first_is_made_the_same_size_as_the_other(tiny_tokenizer, tmp_path):
    """Seen in a drive: asked to "make the cat picture the same size as the coffee one", the model resized the coffee
    photo to the cat's size."""
    from PIL import Image

    from agent.loop import Agent, ChatSession
    from agent.meant_call import resized_subject
    from protocol.prompt import PromptTemplate
    from tests.agent_fakes import FakeRuntime, ScriptedLLM
    from tests.session_fakes import answer, call
    from tools.workspace import Workspace

    assert resized_subject("make the cat picture the same size as the coffee one") == "the cat picture"
    assert resized_subject("make it the same size as the first") == ""
    runtime = FakeRuntime(names=("Resize Image",))
    agent = Agent(ScriptedLLM([]), runtime, PromptTemplate.load("en"), tiny_tokenizer, context_length=4096)
    session = ChatSession(Workspace(tmp_path / "ws"))
    cat = agent.introduce_image(session, Image.new("RGB", (45, 30)), "cat.png").name
    coffee = agent.introduce_image(session, Image.new("RGB", (60, 40)), "coffee.png").name
    agent.llm.replies = [call("Resize Image", f"{coffee}, 45, 30"), answer("Done.")]
    agent.chat(session, "make the cat picture the same size as the coffee one")
    assert runtime.calls == [("Resize Image", f"{cat}, 60, 40")]


@pytest.mark.parametrize(
    ("model_call", "request_text", "resized"),
    [
        # seen in a --cli drive: "actually go back to the original size" of a thumbnail was resized to 64 x 1
        (
            f"Resize Image: {RESULT}, 64, 1",
            "actually go back to the original size",
            f"Resize Image: {RESULT}, 451, 300",
        ),
        (f"Crop Image: {RESULT}, 0, 0, 1, 1", "make it as big as the original", f"Resize Image: {RESULT}, 451, 300"),
        (f"Resize Image: {RESULT}, 64, 1", "make it 64 pixels wide", f"Resize Image: {RESULT}, 64, 1"),  # not asked
        (f"Rotate Image: {RESULT}, 90", "rotate it to the original size", f"Rotate Image: {RESULT}, 90"),  # an edit
    ],
)
def test_the_original_size_is_the_uploads(model_call, request_text, resized):
    from agent.meant_call import with_the_original_size

    tool, argument = model_call.split(": ", 1)
    tools = default_registry().subset(("Resize Image", "Rotate Image", "Crop Image"))
    meant_call = with_the_original_size(
        ToolCall("t", tool, argument), request_text, tools, RESULT, lambda name: (451, 300)
    )
    assert f"{meant_call.tool}: {meant_call.action_input}" == resized


def test_a_number_of_lines_fits_a_wide_strip_in_its_frame():
    """Seen in a --cli drive: "make it HD" of the crop of a phone number (269 x 59) was resized to 3283 x 720."""
    from agent.stated_numbers import scaled_size

    assert scaled_size("make it HD", 269, 59) == (1280, 281)
    assert scaled_size("make it 1080p", 640, 480) == (1440, 1080)  # a 4:3 photo: 1080 lines, as before
    assert scaled_size("make it HD", 300, 600) == (640, 1280)  # upright: the frame turned
