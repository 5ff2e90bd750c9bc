"""A correction of the image runs the last turn's call again on the image meant (agent/redo.py)."""

from __future__ import annotations

from functools import partial

import pytest
from PIL import Image

from agent.loop import Agent, ChatSession
from agent.redo import blurred_again, corrected_image, redone
from agent.upload_names import upload_named
from protocol.prompt import PromptTemplate
from protocol.steps import ToolCall
from tests.agent_fakes import FakeRuntime, ScriptedLLM
from tests.session_fakes import answer, call
from tools.catalog import default_registry
from tools.runtime import Observation
from tools.workspace import Workspace

UPLOADS = ["image/aaaa1111.png", "image/bbbb2222.png"]
FILE_NAMES = {UPLOADS[0]: "astronaut.png", UPLOADS[1]: "sign.png"}
EDGES = "image/e1e1_edge_bbbb2222.png"


@pytest.mark.parametrize(
    ("request_text", "meant"),
    [
        ("no, I meant the first photo", UPLOADS[0]),
        ("not that one, the other one", UPLOADS[0]),
        ("wrong photo, use the astronaut", UPLOADS[0]),
        ("I meant the astronaut", UPLOADS[0]),
        ("nope, do it on the astronaut please", UPLOADS[0]),
        ("no, the first one", UPLOADS[0]),
        ("no, I meant the sign", None),  # the photo it worked on
        ("no", None),
        ("no thanks", None),
        ("no, rotate it by 90 degrees", None),  # another request
        ("no, crop the first photo", None),
        ("the first photo", None),  # no correction said
        ("and in the astronaut one?", UPLOADS[0]),  # the same again, said short
        ("and the first", UPLOADS[0]),  # seen in a --cli drive: the edges of the second again
        ("now the first", UPLOADS[0]),
        ("what about the astronaut?", UPLOADS[0]),
        ("same for the astronaut photo", UPLOADS[0]),
        ("and the pose?", None),  # no image
        # seen in a --cli drive: after the lines of a crop, the lines of the original were drawn again
        ("and the edges of the astronaut too", None),  # another map: the model's, held to the map it names
        ("do the same to the astronaut", UPLOADS[0]),  # the same again, no correction
        ("now do that for the other one too", UPLOADS[0]),
        ("do the same for the sign", None),  # the image it ran on
        ("do the same", None),
    ],
)
def test_which_messages_correct_the_image(request_text, meant):
    lineage = {EDGES: [EDGES, UPLOADS[1]]}
    named = partial(upload_named, file_names=FILE_NAMES)
    assert corrected_image(request_text, UPLOADS[1], UPLOADS, named, lambda name: lineage.get(name, [name])) == meant


def test_a_named_part_takes_its_box_from_the_new_image():
    tools = default_registry().subset(("Crop Image", "Rotate Image"))
    sizes = {UPLOADS[0]: (600, 400), UPLOADS[1]: (512, 512)}
    crop = ToolCall("t", "Crop Image", f"{UPLOADS[1]}, 0, 0, 512, 256")
    assert (
        redone(crop, "crop the top half", UPLOADS[0], tools, sizes.get).action_input == f"{UPLOADS[0]}, 0, 0, 600, 200"
    )
    # the part the message itself names: after "crop the top third", "now the bottom third of the original" had
    # cropped the original's top third
    again = redone(
        crop, "crop the top half", UPLOADS[0], tools, sizes.get, request="now the bottom third of the original"
    )
    assert again.action_input == f"{UPLOADS[0]}, 0, 267, 600, 400"
    given = ToolCall("t", "Crop Image", f"{UPLOADS[1]}, 1, 2, 30, 40")  # a box the person gave stays
    assert (
        redone(given, "crop it to 1,2,30,40", UPLOADS[0], tools, sizes.get).action_input
        == f"{UPLOADS[0]}, 1, 2, 30, 40"
    )
    turn = ToolCall("t", "Rotate Image", f"{UPLOADS[1]}, 90")
    assert redone(turn, "rotate it", UPLOADS[0], tools, sizes.get).action_input == f"{UPLOADS[0]}, 90"
    # seen in a drive: "and the coffee one too" after "make the astronaut 256 pixels wide" made the photo 256 x 256
    tools = default_registry().subset(("Resize Image",))
    wide = ToolCall("t", "Resize Image", f"{UPLOADS[1]}, 256, 256")
    assert (
        redone(wide, "make it 256 pixels wide", UPLOADS[0], tools, sizes.get).action_input == f"{UPLOADS[0]}, 256, 171"
    )
    exact = ToolCall("t", "Resize Image", f"{UPLOADS[1]}, 300, 200")
    assert redone(exact, "make it 300x200", UPLOADS[0], tools, sizes.get).action_input == f"{UPLOADS[0]}, 300, 200"


def _chat(tokenizer, tmp_path, tools: tuple[str, ...]) -> tuple[Agent, ScriptedLLM, FakeRuntime, ChatSession]:
    """An agent with ``tools`` and a scripted model, and a session: (agent, model, runtime, session)."""
    runtime = FakeRuntime(names=tools)
    llm = ScriptedLLM([])
    agent = Agent(llm, runtime, PromptTemplate.load("en"), tokenizer, context_length=4096)
    return agent, llm, runtime, ChatSession(Workspace(tmp_path / "ws"))


def test_no_i_meant_the_first_photo_runs_the_last_call_on_it(tiny_tokenizer, tmp_path):
    """Seen in a drive: after "edges" ran on the second of two uploads, "no, I meant the first photo" ran Detection
    on the first."""
    agent, llm, runtime, session = _chat(tiny_tokenizer, tmp_path, ("Edge Detection On Image", "Detection"))
    first, second = (
        agent.introduce_image(session, Image.new("RGB", (8, 8), colour), f"{word}.png").name
        for colour, word in (("white", "astronaut"), ("black", "sign"))
    )
    llm.replies = [call("Edge Detection On Image", second), answer("Done.")]
    agent.chat(session, "edges")
    # the agent writes the call up to its image; the model ends the step, then answers
    llm.replies += ["\nObservation:", answer("Here are the edges of the first photo.")]
    reply = agent.chat(session, "no, I meant the first photo")
    assert runtime.calls[-1] == ("Edge Detection On Image", first)
    assert [step.action for step in reply.steps] == ["Edge Detection On Image"]
    assert len(reply.files) == 1


def test_not_that_one_the_other_one_crops_the_other_upload_with_its_own_half(tiny_tokenizer, tmp_path):
    """Seen in a drive: after "crop the top half" of the newer upload, "not that one, the other one" cropped the crop
    (the agent's call was read again as one on "that one")."""
    agent, llm, runtime, session = _chat(tiny_tokenizer, tmp_path, ("Crop Image",))
    first, second = (
        agent.introduce_image(session, Image.new("RGB", size, "white")).name for size in ((60, 40), (64, 64))
    )
    llm.replies = [call("Crop Image", f"{second}, 0, 0, 64, 32"), answer("Done.")]
    agent.chat(session, "crop the top half")
    llm.replies += ["\nObservation:", answer("Done.")]
    agent.chat(session, "not that one, the other one")
    assert runtime.calls[-1] == ("Crop Image", f"{first}, 0, 0, 60, 20")


def test_more_blur_blurs_the_last_box_of_the_blurred_image_again(tiny_tokenizer, tmp_path):
    """Seen in a drive: asked to "make the blur stronger" after a face was blurred, the model blurred a box of 48450s
    (Blur Region has no strength); the agent's call kept its box and image (the found box is the upload's)."""
    agent, llm, runtime, session = _chat(tiny_tokenizer, tmp_path, ("Blur Region", "Detection"))
    photo = agent.introduce_image(session, Image.new("RGB", (32, 32), "white")).name
    llm.replies = [call("Blur Region", f"{photo}, 2, 3, 20, 21"), answer("Done.")]
    (blurred,) = agent.chat(session, "blur 2, 3, 20, 21").files
    llm.replies += ["\nObservation:", answer("Done.")]
    reply = agent.chat(session, "make the blur stronger")
    assert runtime.calls[-1] == ("Blur Region", f"{blurred}, 2, 3, 20, 21") and len(reply.files) == 1
    # seen in a drive: "ok now blur it more" was asked for a box (read as a blur of the picture, before the model)
    (stronger,) = reply.files
    llm.replies += ["\nObservation:", answer("Done.")]
    reply = agent.chat(session, "ok now blur it more")
    assert runtime.calls[-1] == ("Blur Region", f"{stronger}, 2, 3, 20, 21") and len(reply.files) == 1
    made_by = {blurred: f"Blur Region: {photo}, 2, 3, 20, 21"}
    assert blurred_again("blur it a lot more", blurred, made_by).action_input == f"{blurred}, 2, 3, 20, 21"
    # seen in a --cli drive: "actually make the blur stronger" blurred the photo again, the same blur as before
    assert blurred_again("actually make the blur stronger", blurred, made_by).action_input == f"{blurred}, 2, 3, 20, 21"
    assert blurred_again("blur the face", blurred, made_by) is None  # a blur asked anew: the model's call
    assert blurred_again("blur it more", photo, made_by) is None  # the image is no blur's result
    # seen in a drive: "stronger" after a blur was answered "no loaded tool can sharpen a photo"
    for more in ("stronger", "a bit more", "even more please"):
        assert blurred_again(more, blurred, made_by).action_input == f"{blurred}, 2, 3, 20, 21"
    assert blurred_again("stronger", photo, made_by) is None  # "more" of no blur is the model's to read
    # seen in a drive: "the blur is too weak" blurred a box of 0.5, 10000, 10000, 10000, which failed
    for weak in (
        "the blur is too weak",
        "it's not blurred enough",
        "i can still see her face",
        "blur isn't strong enough",
    ):
        assert blurred_again(weak, blurred, made_by).action_input == f"{blurred}, 2, 3, 20, 21", weak


def test_less_blur_takes_a_pass_away_or_says_what_blur_region_can_do(tiny_tokenizer, tmp_path):
    """Seen in a drive: "the blur is too strong" blurred a box of 23, 3, 4, 5, which failed. Blur Region has one
    strength: a blur of a blur loses its last pass; a single pass is left to the person (undoing it shows the face)."""
    from agent.redo import ONE_PASS_LEFT, ONE_STRENGTH

    agent, llm, runtime, session = _chat(tiny_tokenizer, tmp_path, ("Blur Region", "Detection"))
    photo = agent.introduce_image(session, Image.new("RGB", (32, 32), "white")).name
    llm.replies = [call("Blur Region", f"{photo}, 2, 3, 20, 21"), answer("Done.")]
    (blurred,) = agent.chat(session, "blur 2, 3, 20, 21").files
    reply = agent.chat(session, "the blur is too strong")
    assert reply.text == ONE_PASS_LEFT.format(latest=blurred, before=photo) and not reply.files
    llm.replies += ["\nObservation:", answer("Done.")]
    (twice,) = agent.chat(session, "blur it more").files
    reply = agent.chat(session, "hmm, too blurry")
    assert reply.text.startswith(ONE_STRENGTH) and twice in reply.text
    assert reply.files == (blurred,) and session.latest_image == blurred
    assert [tool for tool, _ in runtime.calls] == ["Blur Region", "Blur Region"]  # no call for either
    assert agent.chat(session, "less blur please").text == ONE_PASS_LEFT.format(latest=blurred, before=photo)
    # seen in a --cli drive: "that's too much" after "make the blur stronger" ran Detection
    llm.replies += ["\nObservation:", answer("Done.")]
    (again,) = agent.chat(session, "make the blur stronger").files
    reply = agent.chat(session, "that's too much")
    assert reply.text.startswith(ONE_STRENGTH) and again in reply.text and reply.files == (blurred,)


def test_do_the_same_to_the_original_runs_the_last_call_on_the_upload(tiny_tokenizer, tmp_path):
    """Seen in a drive: "do the same to the original" after a crop of a rotation removed the original's background."""
    agent, llm, runtime, session = _chat(
        tiny_tokenizer, tmp_path, ("Rotate Image", "Crop Image", "Remove the background")
    )
    photo = agent.introduce_image(session, Image.new("RGB", (60, 40), "white")).name
    llm.replies = [call("Rotate Image", f"{photo}, 180"), answer("Done.")]
    (turned,) = agent.chat(session, "turn it upside down").files
    llm.replies += [call("Crop Image", f"{turned}, 0, 0, 20, 40"), answer("Done.")]
    agent.chat(session, "crop the left third")
    llm.replies += ["\nObservation:", answer("Done.")]
    reply = agent.chat(session, "do the same to the original")
    assert runtime.calls[-1] == ("Crop Image", f"{photo}, 0, 0, 20, 40") and len(reply.files) == 1


def test_more_blur_with_no_blur_before_says_so(tiny_tokenizer, tmp_path):
    """Seen in the Gradio drive: "make the blur stronger" after a background removal blurred a box of 1800, 512, 512,
    512, which failed."""
    from agent.redo import NO_BLUR_TO_STRENGTHEN

    agent, llm, runtime, session = _chat(tiny_tokenizer, tmp_path, ("Blur Region", "Edge Detection On Image"))
    photo = agent.introduce_image(session, Image.new("RGB", (32, 32), "white")).name
    assert agent.chat(session, "make the blur stronger").text == NO_BLUR_TO_STRENGTHEN.format(latest=photo)
    llm.replies = [call("Edge Detection On Image", photo), answer("Done.")]
    (edges,) = agent.chat(session, "show me the edges").files
    assert agent.chat(session, "blur it more").text == NO_BLUR_TO_STRENGTHEN.format(latest=edges)
    assert runtime.calls == [("Edge Detection On Image", photo)] and len(llm.prompts) == 2


def _detecting(runtime: FakeRuntime, found: dict[str, str]) -> None:
    """``runtime`` with Detection answering ``found[image]`` (the boxes it finds there)."""
    run = runtime.run
    runtime.run = lambda tool, argument, workspace: (
        Observation(found[argument.split(",")[0].strip()], True, (), 0.01)
        if tool == "Detection"
        else run(tool, argument, workspace)
    )


@pytest.mark.parametrize("request_text", ["do the same to the second photo", "and in the second one?"])
def test_the_same_again_on_another_image_does_every_call_of_the_last_turn(tiny_tokenizer, tmp_path, request_text):
    """Seen in a drive: after "blur the face in the first one" (Detection, then the blur of the face found), "and in
    the second one?" blurred a box of 20000s on the second, and "do the same to the cat photo" ran Detection alone."""
    agent, llm, runtime, session = _chat(tiny_tokenizer, tmp_path, ("Detection", "Blur Region"))
    first, second = (agent.introduce_image(session, Image.new("RGB", (64, 64), "white")).name for _ in range(2))
    _detecting(runtime, {first: "face [1, 2, 30, 40]", second: "cat [0, 0, 9, 9], face [5, 6, 20, 21]"})
    llm.replies = [call("Detection", first), call("Blur Region", f"{first}, 1, 2, 30, 40"), answer("Done.")]
    agent.chat(session, "blur the face in the first one")
    llm.replies += ["\nObservation:", "\nObservation:", answer("Done.")]
    reply = agent.chat(session, request_text)
    assert [(step.action, step.action_input) for step in reply.steps] == [
        ("Detection", second),
        ("Blur Region", f"{second}, 5, 6, 20, 21"),  # the face found there
    ]


def test_the_same_again_of_a_found_box_blurred_as_it_looks_for_it_there(tiny_tokenizer, tmp_path):
    """Seen in a --cli drive: after "which one has a cat?" and "blur it" (the cat's box), "now the other one" blurred
    the whole coffee photo: "blur it" was read as the whole picture. The other photo is searched instead."""
    agent, llm, runtime, session = _chat(tiny_tokenizer, tmp_path, ("Detection", "Blur Region"))
    cup = agent.introduce_image(session, Image.new("RGB", (60, 40), "gray")).name
    cat = agent.introduce_image(session, Image.new("RGB", (64, 48), "white")).name
    _detecting(runtime, {cat: "cat [10, 5, 40, 25]", cup: "No object found."})
    llm.replies = [call("Detection", cat), answer("The cat is there.")]
    agent.chat(session, "find the cat")
    llm.replies += [call("Blur Region", f"{cat}, 1, 2, 3, 4"), answer("Done.")]
    assert agent.chat(session, "blur it").steps[-1].action_input == f"{cat}, 10, 5, 40, 25"
    llm.replies += [answer("There is no object in it.")]
    reply = agent.chat(session, "now the other one")
    assert [(step.action, step.action_input) for step in reply.steps] == [("Detection", cup)]
    assert "Blur Region" not in [tool for tool, argument in runtime.calls if cup in argument]


def test_the_same_again_says_when_the_box_to_edit_is_not_found_there(tiny_tokenizer, tmp_path):
    from agent.redo import NOT_FOUND_AGAIN

    agent, llm, runtime, session = _chat(tiny_tokenizer, tmp_path, ("Detection", "Blur Region"))
    first, second = (agent.introduce_image(session, Image.new("RGB", (64, 64), "white")).name for _ in range(2))
    _detecting(runtime, {first: "face [1, 2, 30, 40]", second: "cat [0, 0, 9, 9]"})
    llm.replies = [call("Detection", first), call("Blur Region", f"{first}, 1, 2, 30, 40"), answer("Done.")]
    agent.chat(session, "blur the face in the first one")
    llm.replies += ["\nObservation:", answer("There is a cat.")]
    reply = agent.chat(session, "do the same to the second photo")
    assert [step.action for step in reply.steps] == ["Detection"]
    assert reply.text.endswith(NOT_FOUND_AGAIN.format(label="face", image=second, tool="Blur Region"))


RESIZED, ENLARGED, ROTATED = "image/b1b1_resize_a1a1.png", "image/d1d1_resize_a1a1.png", "image/c1c1_rotate_a1a1.png"
MADE_BY = {
    RESIZED: "Resize Image: image/a1a1.png, 320, 240",
    ENLARGED: "Resize Image: image/a1a1.png, 1280, 960",
    ROTATED: "Rotate Image: image/a1a1.png, 90",
}
SIZES = {"image/a1a1.png": (640, 480), RESIZED: (320, 240), ENLARGED: (1280, 960), ROTATED: (480, 640)}


@pytest.mark.parametrize(
    ("request_text", "latest", "expected"),
    [
        ("not that much", RESIZED, ("Resize Image", "image/a1a1.png, 480, 360")),  # halfway back
        ("too small", RESIZED, ("Resize Image", "image/a1a1.png, 480, 360")),
        ("too big", RESIZED, None),  # it shrank: "too big" asks for smaller, the model's
        ("that's way too big", ENLARGED, ("Resize Image", "image/a1a1.png, 960, 720")),
        ("no, too much!", ROTATED, ("Rotate Image", "image/a1a1.png, 45")),
        ("a bit less", ROTATED, ("Rotate Image", "image/a1a1.png, 45")),
        ("too small", ROTATED, ("Resize Image", f"{ROTATED}, 600, 800")),  # no resize to take back: a bit bigger
        ("too big", "image/a1a1.png", ("Resize Image", "image/a1a1.png, 480, 360")),  # seen in a drive: 20000 x 1
        ("not that much", "image/a1a1.png", None),  # an upload: nothing went too far
        ("make it less blurry", RESIZED, None),  # an undo of a blur (agent/undo.py)
        ("less than 100 pixels wide", RESIZED, None),
    ],
)
def test_an_edit_that_went_too_far_is_done_again_half_as_far(request_text, latest, expected):
    from agent.redo import less_of_the_last

    less = less_of_the_last(request_text, latest, MADE_BY, SIZES.get)
    assert (less and (less.tool, less.action_input)) == expected


def test_not_that_much_after_a_rotation_turns_the_photo_half_as_far(tiny_tokenizer, tmp_path):
    """Seen in a drive: "not that much" after a resize was answered that no loaded tool can answer questions about an
    image."""
    agent, llm, runtime, session = _chat(tiny_tokenizer, tmp_path, ("Rotate Image",))
    photo = agent.introduce_image(session, Image.new("RGB", (32, 16), "white")).name
    llm.replies = [call("Rotate Image", f"{photo}, 90"), answer("Done.")]
    agent.chat(session, "rotate it 90 degrees")
    llm.replies += ["\nObservation:", answer("Done.")]
    reply = agent.chat(session, "not that much")
    assert runtime.calls[-1] == ("Rotate Image", f"{photo}, 45") and len(reply.files) == 1


def test_a_failure_on_one_of_several_uploads_says_how_to_use_another(tiny_tokenizer, tmp_path):
    """Seen in a drive: "show me her pose" of the astronaut and the cat ran on the cat, the newest, and failed."""
    from agent.redo import OTHER_UPLOAD

    runtime = FakeRuntime(names=("Pose Detection On Image",), fail=lambda tool: "no person found in the image")
    llm = ScriptedLLM([])
    agent = Agent(llm, runtime, PromptTemplate.load("en"), tiny_tokenizer, context_length=4096)
    session = ChatSession(Workspace(tmp_path / "ws"))
    first = agent.introduce_image(session, Image.new("RGB", (16, 8), "white")).name
    newest = agent.introduce_image(session, Image.new("RGB", (8, 8), "black")).name
    llm.replies = [call("Pose Detection On Image", newest), answer("I could not do that.")]
    told = agent.chat(session, "show me her pose").text
    assert told.endswith(OTHER_UPLOAD.format(image=newest, place="newest", count=2, other="first"))
    llm.replies += ["\nObservation:", answer("I could not do that.")]
    agent.chat(session, "no, I meant the first photo")  # as the hint says: the failed call again on the first
    assert runtime.calls[-1] == ("Pose Detection On Image", first)
    llm.replies += [call("Pose Detection On Image", first), answer("I could not do that.")]
    told = agent.chat(session, "show me the pose in the first photo").text  # it said which: nothing to add
    assert "uploads" not in told and first in runtime.calls[-1][1]
