"""Showing an image of the conversation again, answered by the agent (agent/show_again.py)."""

from __future__ import annotations

import pytest
from PIL import Image

from agent.image_facts import (
    CHANGES_ANSWER,
    DONE_ANSWER,
    JUST_DONE_ANSWER,
    NONE_OF_THAT,
    NOTHING_DONE,
    SIZE_ANSWER,
    THOSE_DONE,
    UNCHANGED,
    asks_what_changed,
    asks_what_was_done,
)
from agent.loop import Agent, ChatSession
from agent.show_again import SHOWN, asks_to_see
from protocol.prompt import PromptTemplate
from tests.agent_fakes import FakeRuntime, ScriptedLLM
from tests.session_fakes import answer, call
from tools.workspace import Workspace

TEMPLATE = PromptTemplate.load("en")


@pytest.mark.parametrize(
    ("request_text", "asks"),
    [
        ("now show me the original again", True),
        ("show me the original", True),
        ("can you show the first photo again?", True),
        ("let me see the result", True),
        ("can i see the original again", True),  # seen in a --cli drive: "no loaded tool can see a document"
        ("could I see the first photo?", True),
        ("can i see the edges", False),
        ("ok, display the cropped one again please", True),
        ("show me the edge map", True),
        ("show me image/ab12cd34.png", True),
        ("show me the photo I uploaded", True),
        ("show me the edges", False),  # a new map: the model's
        ("show me the original rotated by 90 degrees", False),  # asks for more
        ("show me how to crop", False),
        ("what does the original show?", False),
        # seen in a drive after a blur: the model ran Detection and answered with the face's box
        ("what does it look like now", True),
        ("let me see it", True),
        ("can I see that?", True),
        ("what does the cat look like?", False),  # a question about the picture
        # seen in a --cli drive of a cat and a coffee photo: the model ran Detection on the cat
        ("show me the cat one", True),
        ("can I see the one with the cat?", True),
        ("show me the other one", True),
        ("show me the cat", False),  # where it is: the detector's
    ],
)
def test_which_requests_ask_to_see_an_image_again(request_text, asks):
    assert asks_to_see(request_text) is asks


@pytest.fixture
def agent(tiny_tokenizer) -> Agent:
    runtime = FakeRuntime(names=("Edge Detection On Image", "Remove the background", "Resize Image"))
    return Agent(ScriptedLLM([]), runtime, TEMPLATE, tiny_tokenizer, context_length=4096)


def test_the_original_is_shown_again_without_the_model(agent, tmp_path):
    """Seen in the recorded demo: "now show me the original again" after a blur removed the original's background."""
    session = ChatSession(Workspace(tmp_path / "ws"))
    photo = agent.introduce_image(session, Image.new("RGB", (32, 24), "white")).name
    agent.llm.replies = [call("Edge Detection On Image", photo), answer("Done.")]
    (edges,) = agent.chat(session, "show me the edges").files
    prompts = len(agent.llm.prompts)
    reply = agent.chat(session, "now show me the original again")
    assert reply.text == SHOWN.format(image=photo) and reply.files == (photo,)
    assert session.latest_image == photo and len(agent.llm.prompts) == prompts  # "it" is the original next
    assert session.memory.turns[-1].text.endswith(reply.text)  # the model sees it in later turns
    assert agent.chat(session, "let me see the edge map").files == (edges,)
    assert agent.chat(session, f"show me {photo}").files == (photo,)
    assert len(agent.llm.prompts) == prompts
    agent.llm.replies = [answer("I don't know that file.")]
    assert agent.chat(session, "show me image/ffffffff.png").files == ()  # not one of the conversation's


def test_an_upload_called_by_what_it_shows_or_as_the_other_one_is_shown(tiny_tokenizer, tmp_path):
    """Seen in a --cli drive of a cat photo and then a coffee photo: "show me the cat one" ran Detection on the cat,
    then "what's in the other one?" ran it on the cat again (the coffee photo had stayed "it"); after a question about
    the coffee photo, "blur the cup" gave the cat's size."""
    runtime = FakeRuntime(names=("Detection", "Edge Detection On Image"), found="cat [78, 0, 446, 300]")
    agent = Agent(ScriptedLLM([]), runtime, TEMPLATE, tiny_tokenizer, context_length=4096)
    session = ChatSession(Workspace(tmp_path / "ws"))
    cat = agent.introduce_image(session, Image.new("RGB", (45, 30), "white")).name
    coffee = agent.introduce_image(session, Image.new("RGB", (60, 40), "white")).name
    session.shows[coffee] = frozenset()  # the detector finds nothing it knows on the coffee photo
    reply = agent.chat(session, "show me the cat one")
    assert reply.text == SHOWN.format(image=cat) and reply.files == (cat,) and session.latest_image == cat
    assert agent.chat(session, "show me the other one").files == (coffee,) and session.latest_image == coffee
    assert agent.llm.prompts == [] and [tool for tool, _ in runtime.calls] == ["Detection"]  # the cat's, once
    agent.llm.replies = [call("Detection", coffee), answer("No object found.")]
    agent.chat(session, "show me the cat one")
    agent.chat(session, f"what is in {coffee}?")  # a question about the other upload: "it" is that one next
    assert session.latest_image == coffee


def test_the_size_of_an_image_pointed_at_is_answered_from_its_file(agent, tmp_path):
    """Seen in the recorded demo: "what's the size of the result?" resized the result to 200x1."""
    session = ChatSession(Workspace(tmp_path / "ws"))
    photo = agent.introduce_image(session, Image.new("RGB", (32, 24), "white")).name
    agent.llm.replies = [call("Resize Image", f"{photo}, 16, 12"), answer("Done.")]
    (small,) = agent.chat(session, "resize it to 16x12").files
    Image.new("RGB", (16, 12)).save(session.workspace.resolve(small))  # the fake runtime only filters
    prompts = len(agent.llm.prompts)
    result = agent.chat(session, "what's the size of the result?").text
    assert result == SIZE_ANSWER.format(image=small, kind="PNG", width=16, height=12)
    original = agent.chat(session, "how big is the original?").text
    assert original == SIZE_ANSWER.format(image=photo, kind="PNG", width=32, height=24)
    ratio = agent.chat(session, "what's the aspect ratio?").text  # seen in a drive: "I cannot see images myself"
    assert ratio == SIZE_ANSWER.format(image=small, kind="PNG", width=16, height=12) + " Its aspect ratio is 4:3."
    assert len(agent.llm.prompts) == prompts and agent.runtime.calls == [("Resize Image", f"{photo}, 16, 12")]


def test_what_was_done_is_answered_from_the_session(agent, tmp_path):
    """Seen in the recorded demo: asked "what did you do so far?" after a resize, a rotation and an undo, the model
    told of a background removal, a crop and a reading that never ran."""

    session = ChatSession(Workspace(tmp_path / "ws"))
    photo = agent.introduce_image(session, Image.new("RGB", (32, 24), "white")).name
    assert agent.chat(session, "what did you do so far?").text == NOTHING_DONE.format(uploads=photo)
    agent.llm.replies = [call("Edge Detection On Image", photo), answer("Done.")]
    (edges,) = agent.chat(session, "show me the edges").files
    agent.llm.replies += [call("Resize Image", f"{edges}, 16, 12"), answer("Done.")]
    (small,) = agent.chat(session, "resize it to 16x12").files
    prompts = len(agent.llm.prompts)
    steps = f"Edge Detection On Image on {photo} made {edges}; Resize Image (16, 12) on {edges} made {small}"
    assert agent.chat(session, "what have we done so far?").text == DONE_ANSWER.format(steps=steps, latest=small)
    # seen in a drive: "which one did you blur first?" was answered that Blur Region needs a box
    # and "what did you remove?" after a background removal ("I lost objects in the background")
    told = DONE_ANSWER.format(steps=steps, latest=small)
    # and "what did you hide?" after a privacy blur (the model: "I lost the phone number")
    asked_done = (("which one did you blur first?", "blurred"), ("what did you remove?", "removed"))
    for asked, done in (*asked_done, ("what did you hide?", "hidden")):
        assert agent.chat(session, asked).text == NONE_OF_THAT.format(done=done) + told
    # seen in a --cli drive: "what did you blur?" was told every step; the edit named is told alone
    resized = f"Resize Image (16, 12) on {edges} made {small}"
    assert agent.chat(session, "what did you resize?").text == THOSE_DONE.format(steps=resized, latest=small)
    # seen in a --cli drive: "how many times did i rotate it?" rotated it again
    counted = THOSE_DONE.format(steps=f"1 time: {resized}", latest=small)
    assert agent.chat(session, "how many times did i resize it?").text == counted
    # seen in a drive: "what did you just do?" after a crop was answered with a background removal
    just = agent.chat(session, "what did you just do?").text
    assert just == JUST_DONE_ANSWER.format(steps=f"Resize Image (16, 12) on {edges} made {small}", latest=small)
    # seen in a drive: "compare it with the original: what changed?" drew an edge map of the original
    changes = agent.chat(session, "compare it with the original: what changed?").text
    assert changes == CHANGES_ANSWER.format(latest=small, original=photo, steps=steps)
    # seen in a drive: "what angle did you rotate it by?" rotated the image again
    # seen in a --cli drive: answered "The first picture is image/fcfb_crop_bf7f.png." (the crop)
    for asked in (
        "what size did you make it?",
        "how much did you resize it?",
        "whats the difference between the first and the last picture",
    ):
        assert agent.chat(session, asked).text == changes
    assert len(agent.llm.prompts) == prompts
    assert not asks_what_was_done("what did you do with the cat?")
    assert asks_what_was_done("what did the plan do?")  # seen in a --cli drive: Detection ran
    assert not asks_what_changed("what is the difference between a cat and a dog?")  # words alone


def test_what_changed_with_no_image_asks_for_one(agent, tmp_path):
    """Seen through the web API: "what changed?" with no image gave model words ("I changed Detection, Input: ...")."""
    from agent.loop import NEEDS_IMAGE

    session = ChatSession(Workspace(tmp_path / "ws"))
    for request in ("what changed?", "what did you do so far?"):
        assert agent.chat(session, request).text == NEEDS_IMAGE
    assert agent.llm.prompts == []


def test_an_upload_no_tool_changed_is_said_to_be_unchanged(agent, tmp_path):
    session = ChatSession(Workspace(tmp_path / "ws"))
    photo = agent.introduce_image(session, Image.new("RGB", (32, 24), "white")).name
    assert agent.chat(session, "what changed?").text == UNCHANGED.format(latest=photo)
    assert agent.llm.prompts == []


def test_before_and_after_shows_the_upload_and_the_latest_image(agent, tmp_path):
    """Seen in a drive: asked to "show me the before and after" of a resized crop, the model removed the
    background (and failed: no person)."""
    from agent.image_facts import UNCHANGED
    from agent.show_again import BEFORE_AND_AFTER

    session = ChatSession(Workspace(tmp_path / "ws"))
    photo = agent.introduce_image(session, Image.new("RGB", (32, 24), "white")).name
    assert agent.chat(session, "show me the before and after").text == UNCHANGED.format(latest=photo)
    agent.llm.replies = [call("Edge Detection On Image", photo), answer("Done.")]
    (edges,) = agent.chat(session, "show me the edges").files
    prompts = len(agent.llm.prompts)
    reply = agent.chat(session, "ok, show me the before and after")
    assert reply.text == BEFORE_AND_AFTER.format(before=photo, after=edges) and reply.files == (photo, edges)
    assert session.latest_image == edges and len(agent.llm.prompts) == prompts
    # seen in a drive: "show me the original and the latest" removed the original's background
    assert agent.chat(session, "show me the original and the latest").files == (photo, edges)
    # seen in a drive: "show me the result next to the original" cropped the original to 300, 300, 10000, 10000
    assert agent.chat(session, "show me the result next to the original").files == (photo, edges)
    assert len(agent.llm.prompts) == prompts


def test_show_me_both_shows_each_upload_as_it_is_now(agent, tmp_path):
    """Seen in a drive: asked to "show me both" after a cat and a coffee photo, the model removed both backgrounds."""
    from agent.show_again import SHOWN_EACH, asks_to_see_each

    for request_text in ("show me both", "can you show me them all again?", "let me see both photos"):
        assert asks_to_see_each(request_text), request_text
    assert not asks_to_see_each("show me both edges")
    session = ChatSession(Workspace(tmp_path / "ws"))
    cat = agent.introduce_image(session, Image.new("RGB", (32, 24), "white")).name
    cup = agent.introduce_image(session, Image.new("RGB", (24, 24), "gray")).name
    agent.llm.replies = [call("Edge Detection On Image", cat), answer("Done.")]
    (edges,) = agent.chat(session, "show me the edges of the first one").files
    prompts = len(agent.llm.prompts)
    reply = agent.chat(session, "show me both")
    assert reply.files == (edges, cup) and reply.text == SHOWN_EACH.format(images=f"{edges}, {cup}")
    assert session.latest_image == edges and len(agent.llm.prompts) == prompts  # "it" is still the edge map


def test_all_the_images_of_one_upload_are_it_and_its_results(agent, tmp_path):
    """Seen in a --cli drive: "show me all the images" after a sketch (and its undo) ran Detection."""
    from agent.show_again import SHOWN_EACH

    session = ChatSession(Workspace(tmp_path / "ws"))
    photo = agent.introduce_image(session, Image.new("RGB", (32, 24), "white")).name
    agent.llm.replies = [call("Edge Detection On Image", photo), answer("Done.")]
    (edges,) = agent.chat(session, "show me the edges").files
    prompts = len(agent.llm.prompts)
    reply = agent.chat(session, "show me all the images")
    assert reply.files == (photo, edges) and reply.text == SHOWN_EACH.format(images=f"{photo}, {edges}")
    assert session.latest_image == edges and len(agent.llm.prompts) == prompts


def test_all_the_images_we_made_are_the_tools_results(agent, tmp_path):
    """Seen in a --cli drive: "show me all the images we made" after the edges and a sketch ran the sketch again."""
    from agent.show_again import SHOWN_EACH, asks_for_what_was_made

    assert asks_for_what_was_made("show me all the images we made")
    assert asks_for_what_was_made("can you show me everything you've created so far?")
    assert not asks_for_what_was_made("show me all the images")
    session = ChatSession(Workspace(tmp_path / "ws"))
    cat = agent.introduce_image(session, Image.new("RGB", (32, 24), "white")).name
    cup = agent.introduce_image(session, Image.new("RGB", (24, 24), "gray")).name
    agent.llm.replies = [call("Edge Detection On Image", cat), answer("Done.")]
    (edges,) = agent.chat(session, "show me the edges of the first one").files
    agent.llm.replies += [call("Edge Detection On Image", cup), answer("Done.")]
    (cup_edges,) = agent.chat(session, "show me the edges of the second one").files
    prompts = len(agent.llm.prompts)
    reply = agent.chat(session, "show me all the images we made")
    assert reply.files == (edges, cup_edges) and reply.text == SHOWN_EACH.format(images=f"{edges}, {cup_edges}")
    assert len(agent.llm.prompts) == prompts


def test_a_square_picture_is_not_cropped_to_a_square(tiny_tokenizer, tmp_path):
    """Seen in a drive: "make it square" of the 512 x 512 astronaut cropped all of it and answered done."""
    from agent.image_facts import ALREADY_SQUARE

    runtime = FakeRuntime(names=("Crop Image", "Resize Image"))
    agent = Agent(ScriptedLLM([]), runtime, TEMPLATE, tiny_tokenizer, context_length=4096)
    session = ChatSession(Workspace(tmp_path / "ws"))
    square = agent.introduce_image(session, Image.new("RGB", (32, 32), "white")).name
    reply = agent.chat(session, "make it square")
    assert reply.text == ALREADY_SQUARE.format(image=square, width=32, height=32, half=16)
    assert runtime.calls == [] and agent.llm.prompts == []
    wide = agent.introduce_image(session, Image.new("RGB", (48, 32), "white")).name
    agent.llm.replies = [call("Crop Image", f"{wide}, 8, 0, 40, 32"), answer("Done.")]
    agent.chat(session, "make it square")  # not square: cropped
    assert runtime.calls == [("Crop Image", f"{wide}, 8, 0, 40, 32")]


def test_a_square_crop_of_an_upload_named_by_its_file_measures_that_upload(tiny_tokenizer, tmp_path):
    """Seen in a --cli drive: "make the rocket photo square" after rocket.png and a square astronaut was answered
    that the astronaut is already square."""
    from agent.image_facts import ALREADY_SQUARE

    runtime = FakeRuntime(names=("Crop Image", "Resize Image"))
    agent = Agent(ScriptedLLM([]), runtime, TEMPLATE, tiny_tokenizer, context_length=4096)
    session = ChatSession(Workspace(tmp_path / "ws"))
    rocket = agent.introduce_image(session, Image.new("RGB", (48, 32), "white"), "rocket.png").name
    square = agent.introduce_image(session, Image.new("RGB", (32, 32), "white"), "astronaut.png").name
    agent.llm.replies = [call("Crop Image", f"{square}, 0, 0, 32, 32"), answer("Done.")]
    agent.chat(session, "make the rocket photo square")
    assert runtime.calls == [("Crop Image", f"{rocket}, 8, 0, 40, 32")]  # the rocket's, as the model was corrected
    told = agent.chat(session, "make the astronaut photo square").text
    assert told == ALREADY_SQUARE.format(image=square, width=32, height=32, half=16)


def test_a_request_to_make_the_picture_landscape_offers_the_two_ways(tiny_tokenizer, tmp_path):
    """Seen in a drive: "make it landscape" of a 328 x 400 photo resized it to 1500 x 328."""
    from agent.image_facts import ALREADY_ORIENTED, ORIENTATION_CHOICE

    runtime = FakeRuntime(names=("Crop Image", "Rotate Image", "Resize Image"))
    agent = Agent(ScriptedLLM([]), runtime, TEMPLATE, tiny_tokenizer, context_length=4096)
    session = ChatSession(Workspace(tmp_path / "ws"))
    tall = agent.introduce_image(session, Image.new("RGB", (32, 40), "white")).name
    reply = agent.chat(session, "make it landscape")
    assert reply.text == ORIENTATION_CHOICE.format(
        image=tall,
        width=32,
        height=40,
        orientation="landscape",
        ratio="4:3",
        part="widest",
        crop_width=32,
        crop_height=24,
    )
    assert agent.chat(session, "turn this photo into portrait mode").text == ALREADY_ORIENTED.format(
        image=tall, orientation="portrait", width=32, height=40
    )
    assert runtime.calls == [] and agent.llm.prompts == []


def test_the_total_of_two_rotations_is_told(agent, tmp_path):
    """Seen in a drive: "how many degrees is that in total?" after "rotate 15" and "rotate it another 15" was
    answered that no tool answers questions about an image."""
    from agent.image_facts import CHANGES_ANSWER, ROTATIONS_IN_ALL
    from tools.catalog import default_registry

    agent.runtime.available = default_registry().subset(("Rotate Image",))
    session = ChatSession(Workspace(tmp_path / "ws"))
    photo = agent.introduce_image(session, Image.new("RGB", (32, 24), "white")).name
    agent.llm.replies = [call("Rotate Image", f"{photo}, 15"), answer("Done.")]
    (first,) = agent.chat(session, "rotate 15").files
    agent.llm.replies += [call("Rotate Image", f"{first}, 15"), answer("Done.")]
    (second,) = agent.chat(session, "rotate it another 15").files
    steps = f"Rotate Image (15) on {photo} made {first}; Rotate Image (15) on {first} made {second}"
    told = CHANGES_ANSWER.format(latest=second, original=photo, steps=steps) + ROTATIONS_IN_ALL.format(angle="30")
    assert agent.chat(session, "how many degrees is that in total?").text == told


def test_an_image_the_tools_made_is_shown_by_its_place_among_them(agent, tmp_path):
    """Seen in a --cli drive: "go back to the second image you made" removed the background, "show me the first
    result" ran Detection."""
    from agent.show_again import FEWER_MADE, SHOWN

    session = ChatSession(Workspace(tmp_path / "ws"))
    photo = agent.introduce_image(session, Image.new("RGB", (32, 24), "white")).name
    agent.llm.replies = [call("Resize Image", f"{photo}, 16, 12"), answer("Done.")]
    (smaller,) = agent.chat(session, "make it 16 wide").files
    agent.llm.replies += [call("Edge Detection On Image", smaller), answer("Done.")]
    (edges,) = agent.chat(session, "show me the edges").files
    prompts = len(agent.llm.prompts)
    reply = agent.chat(session, "show me the first result")
    assert reply.text == SHOWN.format(image=smaller) and reply.files == (smaller,) and session.latest_image == smaller
    assert agent.chat(session, "go back to the second image you made").files == (edges,)
    assert agent.chat(session, "show me the third result").text == FEWER_MADE.format(count=2, s="s")
    assert len(agent.llm.prompts) == prompts
