"""Which file a result or an upload is: "which file is the pose", "which one did I upload first" (agent.image_facts)."""

from __future__ import annotations

import pytest

from agent.image_facts import UPLOAD_ORDER, WHICH_FILE, WHICH_FILES, upload_order_answer, which_file_is

PHOTO = "image/e3e70682.png"
POSE, SKETCH = "image/f728_pose_e3e70682.png", "image/eb11_scribble_e3e70682.png"
MADE = [
    (POSE, "Pose Detection On Image", PHOTO),
    (SKETCH, "Sketch Detection On Image", PHOTO),
    ("image/e443_crop_eb11.png", "Crop Image (1, 2, 30, 40)", SKETCH),
    ("image/23a7_crop_e443.png", "Crop Image (0, 0, 10, 10)", "image/e443_crop_eb11.png"),
]


def test_a_result_is_named_by_what_it_is():
    """Seen in a drive: "which file is the pose" drew the pose again and named the new file."""
    assert which_file_is("which file is the pose", MADE) == WHICH_FILE.format(
        thing="pose", image=POSE, tool="Pose Detection On Image", source=PHOTO
    )
    assert which_file_is("what's the sketch called?", MADE).startswith(f"The sketch is {SKETCH}")
    assert which_file_is("which one is the cropped one", MADE) == WHICH_FILES.format(
        thing="cropped one", images="image/e443_crop_eb11.png, image/23a7_crop_e443.png"
    )


def test_a_thing_nothing_made_or_another_question_is_left_to_the_rest():
    assert which_file_is("which file is the edge map", MADE) is None  # no edge map was made
    assert which_file_is("which one is bigger?", MADE) is None
    assert which_file_is("which file is the pose", []) is None


def test_which_upload_came_first_is_answered_from_the_order_of_the_uploads():
    """Seen in a drive: "which one did i upload first" was answered with the second upload."""
    uploads = ["image/cd613e30.png", "image/1e2feb89.png"]
    names = {"image/cd613e30.png": "chelsea.png"}
    assert upload_order_answer("which one did i upload first", uploads, names) == UPLOAD_ORDER.format(
        image=uploads[0], called=" (your file chelsea.png)", place="first", uploads=", ".join(uploads)
    )
    assert upload_order_answer("which did I upload last?", uploads, names).startswith(f"You uploaded {uploads[1]} last")
    assert upload_order_answer("which one did i upload third", uploads, names) is None  # only two
    assert upload_order_answer("which one is first?", uploads, names) is None


@pytest.mark.parametrize(
    ("request_text", "told"),
    [
        # seen in a --cli drive: answered with the blur made last ("The first file is image/40a5_blur_4e6e.png.")
        (
            "what's the name of the first file?",
            "The first image you uploaded is image/cd613e30.png (your file chelsea.png).",
        ),
        ("What was the last photo called?", "The last image you uploaded is image/1e2feb89.png."),
        ("what is the second image's name", "The second image you uploaded is image/1e2feb89.png."),
        ("what's the name of the third file?", None),  # only two
        ("what's the name of the cat?", None),
    ],
)
def test_the_name_of_an_upload_is_answered_from_the_uploads(request_text, told):
    uploads = ["image/cd613e30.png", "image/1e2feb89.png"]
    assert upload_order_answer(request_text, uploads, {"image/cd613e30.png": "chelsea.png"}) == told


@pytest.mark.parametrize(
    ("request_text", "answer"),
    [
        # seen in a --cli drive: the model ran Detection and answered "I found it here: face [176, 65, 273, 162]."
        ("is the original still there?", "Yes"),
        ("did you keep my original photo?", "Yes"),
        ("do you still have the original?", "Yes"),
        ("did you overwrite my original?", "No"),
        ("is my upload gone?", "No"),
        ("make the original bigger", None),
        ("what was the original size?", None),
    ],
)
def test_whether_the_upload_was_kept_is_answered_from_the_session(request_text, answer):
    from agent.image_facts import ORIGINAL_KEPT, original_kept_answer

    told = original_kept_answer(request_text, ["image/cd613e30.png"], {"image/cd613e30.png": "chelsea.png"}, 2)
    expected = ORIGINAL_KEPT.format(
        answer=answer, uploads="image/cd613e30.png (your file chelsea.png)", are="is", made=" (2 so far)"
    )
    assert told == (expected if answer else None)
    assert original_kept_answer(request_text, [], {}, 0) is None  # nothing uploaded: the rest answers
