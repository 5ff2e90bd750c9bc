"""Undo: "undo that" brings back the image the last step started from, answered by the agent (agent/undo.py)."""

from __future__ import annotations

import pytest
from PIL import Image

from agent.loop import Agent, ChatSession
from agent.undo import (
    FEWER_STEPS,
    NO_SUCH_EDIT,
    NOT_THE_LAST,
    NOTHING_TO_UNDO,
    NOTHING_YET,
    UNDONE,
    UNDONE_ALL,
    UNDONE_EACH,
    UNDONE_EVERY,
    UNDONE_SEVERAL,
    asks_to_undo,
    steps_to_undo,
    undo,
)
from protocol.prompt import PromptTemplate
from tests.agent_fakes import FakeRuntime, ScriptedLLM
from tests.session_fakes import answer, call
from tools.workspace import Workspace

TEMPLATE = PromptTemplate.load("en")


@pytest.mark.parametrize(
    ("request_text", "undo"),
    [
        ("undo that", True),
        ("Undo", True),
        ("oops, undo that!", True),
        ("can you undo the last step please", True),
        ("go back to the previous image", True),
        ("too much, go back one", True),  # seen in a --cli drive: the model removed the background
        ("go back a step", True),
        ("undo again", True),  # seen in a drive: "no loaded tool can undo an action"
        ("revert it", True),
        ("take that back", True),
        ("undo the edges and rotate it", False),  # asks for more: the model's
        ("go back to sleep", False),
        ("how do I undo in photoshop?", False),
        ("revert the colours to normal", False),
        ("undo the rotation", True),  # an edit named
        ("please revert the crop", True),
        ("undo the last resize", True),
        ("undo the rotation and blur it", False),
        ("now undo the last two changes", True),  # several steps
        ("undo both", True),
        ("revert everything", True),
        ("go back to the original", True),
        ("undo the last 3 edits please", True),
        ("undo all of it and rotate it", False),
        ("rotate it back", True),  # the rotation undone
        ("start over", True),  # seen in a drive: the model read the photo's text
        ("let's start again", True),
        ("ok, turn the photo back to normal", True),
        ("rotate it back and blur it", False),
        ("thanks! can you undo that?", True),  # seen in a drive: answered that no tool can undo
        ("great, undo the blur", True),
        ("hmm too much, rotate it back", True),  # seen in a drive: rotated the rotated image by 90
        ("that's way too blurry, undo it", True),
        ("make it less blurry", True),  # seen in a drive: the model blurred the same box of the original again
        ("remove the blur", True),
        ("unblur it please", True),
        ("make it less blurry and rotate it", False),
        ("put it back", True),  # seen in a drive, after the background was removed: removed again
        ("put the background back please", True),
        ("go back two steps", True),  # seen in a drive: rotated by 2
        ("put it back how it was", True),  # seen in a drive: the model removed the background
        ("restore the original", True),
        ("go back to the first version", True),  # seen in a --cli drive: the model removed the background
        ("back to the start please", True),
        ("go back to the first image", False),  # of several uploads, the first one
    ],
)
def test_which_requests_ask_to_undo(request_text, undo):
    assert asks_to_undo(request_text) is undo


@pytest.fixture
def agent(tiny_tokenizer) -> Agent:
    runtime = FakeRuntime(names=("Edge Detection On Image", "Remove the background"))
    return Agent(ScriptedLLM([]), runtime, TEMPLATE, tiny_tokenizer, context_length=4096)


def test_undo_shows_the_image_before_the_last_step_without_the_model(agent, tmp_path):
    """The embedded model, asked "undo that" after a pose map, removed the pose map's background."""
    session = ChatSession(Workspace(tmp_path / "ws"))
    assert agent.chat(session, "undo that").text == NOTHING_YET
    photo = agent.introduce_image(session, Image.new("RGB", (32, 32), "white")).name
    agent.llm.replies = [call("Edge Detection On Image", photo), answer("Done.")]
    (edges,) = agent.chat(session, "show me the edges").files
    agent.llm.replies += [call("Remove the background", edges), answer("Done.")]
    (cut_out,) = agent.chat(session, "remove its background").files
    prompts = len(agent.llm.prompts)
    reply = agent.chat(session, "undo that")
    assert reply.text == UNDONE.format(image=edges, undone=cut_out) and reply.files == (edges,)
    assert session.latest_image == edges and len(agent.llm.prompts) == prompts  # the model was not asked
    assert session.memory.turns[-1].text.endswith(reply.text)  # the model sees it in later turns
    assert agent.chat(session, "go back one step").files == (photo,)
    assert agent.chat(session, "undo").text == NOTHING_TO_UNDO.format(image=photo)
    assert session.latest_image == photo  # "it" in the next request


def test_several_steps_are_undone_at_once_at_most_to_the_upload(agent, tmp_path):
    """Asked "now undo the last two changes" after a rotation and a resize, the embedded model removed the
    background of the rotated photo."""
    assert steps_to_undo("undo the last two changes") == 2 and steps_to_undo("undo that") is None
    assert steps_to_undo("go back two steps") == 2
    assert steps_to_undo("put it back how it was") == steps_to_undo("go back to the original")  # every step
    assert steps_to_undo("put it back") is None  # the last step (the background put back)
    session = ChatSession(Workspace(tmp_path / "ws"))
    photo = agent.introduce_image(session, Image.new("RGB", (32, 32), "white")).name
    agent.llm.replies = [call("Edge Detection On Image", photo), answer("Done.")]
    (edges,) = agent.chat(session, "show me the edges").files
    agent.llm.replies += [call("Remove the background", edges), answer("Done.")]
    (cut_out,) = agent.chat(session, "remove its background").files
    agent.llm.replies += [call("Edge Detection On Image", cut_out), answer("Done.")]
    (edges_again,) = agent.chat(session, "and its edges").files
    prompts = len(agent.llm.prompts)
    reply = agent.chat(session, "now undo the last two changes")
    assert reply.text == UNDONE_SEVERAL.format(count=2, image=edges, undone=f"{edges_again} and {cut_out}")
    assert reply.files == (edges,) and session.latest_image == edges and len(agent.llm.prompts) == prompts
    assert {edges_again, cut_out} <= session.undone  # "it" no longer means them
    reply = agent.chat(session, "undo the last three steps")  # one step is left: back to the upload
    fewer = FEWER_STEPS.format(count=1, s="", image=photo)  # seen in a --cli drive: said as if two were undone
    assert reply.text == f"{UNDONE.format(image=photo, undone=edges)} {fewer}" and session.latest_image == photo
    session.latest_image = edges_again
    reply = agent.chat(session, "go back to the original")
    assert reply.text == UNDONE_ALL.format(image=photo, undone=f"{edges_again}, {cut_out} and {edges}")
    assert reply.files == (photo,)


def test_undo_after_a_planned_turn(agent, tmp_path):
    from agent.executor import Executor
    from agent.plan_mode import PlanAgent
    from agent.planner import Planner
    from agent.step_runner import RuntimeStepRunner
    from protocol.plan_prompt import PlanTemplate
    from protocol.plan_response import ResponseTemplate

    session = ChatSession(Workspace(tmp_path / "ws"))
    photo = agent.introduce_image(session, Image.new("RGB", (32, 32), "white")).name
    planner = Planner(agent.llm, TEMPLATE, PlanTemplate.load("en"), agent.tokenizer, agent.runtime.available)
    plan_agent = PlanAgent(agent, planner, Executor(RuntimeStepRunner(agent.runtime)), ResponseTemplate.load("en"))
    agent.llm.replies = [
        f'[{{"task": "Edge Detection On Image", "id": 0, "dep": [-1], "args": {{"image_path": "{photo}"}}}}]',
        " Done.",
    ]
    (edges,) = plan_agent.chat(session, "show me the edges").files
    assert session.made_by[edges] == f"Edge Detection On Image: {photo}"  # as the ReAct loop records it
    reply = plan_agent.chat(session, "undo that")
    assert reply.files == (photo,) and session.latest_image == photo and edges in reply.text


def _rotated(tiny_tokenizer, tmp_path, other_tool: str) -> tuple[Agent, ChatSession, FakeRuntime, str, str]:
    """An agent with Rotate Image and ``other_tool`` after "rotate it by 90 degrees" of an upload: (agent, session,
    runtime, the upload, the rotation)."""
    runtime = FakeRuntime(names=("Rotate Image", other_tool))
    agent = Agent(ScriptedLLM([]), runtime, TEMPLATE, tiny_tokenizer, context_length=4096)
    session = ChatSession(Workspace(tmp_path / "ws"))
    photo = agent.introduce_image(session, Image.new("RGB", (32, 32), "white")).name
    agent.llm.replies = [call("Rotate Image", f"{photo}, 90"), answer("Done.")]
    (turned,) = agent.chat(session, "rotate it by 90 degrees").files
    return agent, session, runtime, photo, turned


def test_a_named_edit_is_undone_only_when_it_was_the_last(tiny_tokenizer, tmp_path):
    """ "Undo the rotation" was left to the model; an earlier edit is not undone alone (later steps would be lost)."""
    agent, session, _, photo, turned = _rotated(tiny_tokenizer, tmp_path, "Crop Image")
    agent.llm.replies += [call("Crop Image", f"{turned}, 0, 0, 8, 8"), answer("Done.")]
    (cropped,) = agent.chat(session, "crop it to 0, 0, 8, 8").files
    prompts = len(agent.llm.prompts)
    assert agent.chat(session, "undo the rotation").text == NOT_THE_LAST.format(
        edit="rotation", latest=cropped, before=turned
    )
    assert agent.chat(session, "undo the blur").text == NO_SUCH_EDIT.format(edit="blur", latest=cropped)
    assert session.latest_image == cropped and len(agent.llm.prompts) == prompts
    assert agent.chat(session, "undo the crop").files == (turned,)
    assert agent.chat(session, "now undo the rotation").files == (photo,)


@pytest.mark.parametrize("request_text", ["undo the background removal", "put it back", "put the background back"])
def test_the_background_removal_is_undone_by_its_name(tiny_tokenizer, tmp_path, request_text):
    """Seen in a drive: "put it back" after the background was removed said no background removal had made it (the
    edit's outputs are saved as "nobg")."""
    agent, session, _, _, turned = _rotated(tiny_tokenizer, tmp_path, "Remove the background")
    agent.llm.replies += [call("Remove the background", turned), answer("Done.")]
    (cut_out,) = agent.chat(session, "remove the background").files
    reply = agent.chat(session, request_text)
    assert reply.text == UNDONE.format(image=turned, undone=cut_out) and session.latest_image == turned


def test_rotate_it_back_undoes_the_rotation(tiny_tokenizer, tmp_path):
    """Seen in a drive: "rotate it back" after "rotate 90 degrees counterclockwise" rotated the result by 90 again."""
    agent, session, runtime, photo, turned = _rotated(tiny_tokenizer, tmp_path, "Crop Image")
    reply = agent.chat(session, "rotate it back")
    assert reply.text == UNDONE.format(image=photo, undone=turned) and session.latest_image == photo
    assert runtime.calls == [("Rotate Image", f"{photo}, 90")]  # no other rotation ran


def test_put_it_back_the_right_way_undoes_every_rotation_in_a_row(tiny_tokenizer, tmp_path):
    """Seen in a --cli drive: "put it back the right way" after three rotations (a whole turn in all) turned it a
    quarter more."""
    agent, session, runtime, photo, turned = _rotated(tiny_tokenizer, tmp_path, "Crop Image")
    agent.llm.replies += [call("Rotate Image", f"{turned}, 180"), answer("Done.")]
    (upside_down,) = agent.chat(session, "turn it upside down").files
    reply = agent.chat(session, "put it back the right way")
    assert reply.text == UNDONE_SEVERAL.format(count=2, image=photo, undone=f"{upside_down} and {turned}")
    assert reply.files == (photo,) and session.latest_image == photo
    assert runtime.calls[-1] == ("Rotate Image", f"{turned}, 180")  # no other rotation ran
    agent.llm.replies += [call("Rotate Image", f"{photo}, 90"), answer("Done.")]
    agent.chat(session, "rotate it by 90 degrees")
    assert agent.chat(session, "turn it the right way up").text.startswith("Undone: back to")  # one rotation
    assert not asks_to_undo("turn it the right way up", photo)  # an upload taken crooked: no rotation to undo
    assert asks_to_undo("turn it the right way up", turned, session.made_from)


def test_never_rotated_undoes_a_rotation_and_the_crop_of_its_corners(tiny_tokenizer, tmp_path):
    """Seen in a --cli drive: "make it look like it was never rotated" after "rotate it 30 degrees and crop out the
    black corners" rotated the crop by 30 more."""
    agent, session, runtime, photo, turned = _rotated(tiny_tokenizer, tmp_path, "Crop Image")
    agent.llm.replies += [call("Crop Image", f"{turned}, 8, 8, 24, 24"), answer("Done.")]
    (cropped,) = agent.chat(session, "crop it to 8, 8, 24, 24").files
    reply = agent.chat(session, "make it look like it was never rotated")
    assert reply.text == UNDONE_SEVERAL.format(count=2, image=photo, undone=f"{cropped} and {turned}")
    assert session.latest_image == photo and runtime.calls[-1][0] == "Crop Image"
    assert not asks_to_undo("turn it the right way up", cropped)  # what made it is not known: not claimed


def test_zoom_out_after_a_zoom_in_undoes_the_crop(tiny_tokenizer, tmp_path):
    """Seen in a --cli drive: "zoom out" after "zoom in" resized the crop to numbers from its file's name."""
    agent, session, runtime, _, turned = _rotated(tiny_tokenizer, tmp_path, "Crop Image")
    agent.llm.replies += [call("Crop Image", f"{turned}, 8, 8, 24, 24"), answer("Done.")]
    (crop,) = agent.chat(session, "zoom in").files
    reply = agent.chat(session, "zoom out")
    assert reply.text == UNDONE.format(image=turned, undone=crop) and session.latest_image == turned
    assert agent.chat(session, "zoom out").text == NO_SUCH_EDIT.format(edit="crop", latest=turned)
    assert [tool for tool, _ in runtime.calls] == ["Rotate Image", "Crop Image"]


def test_back_to_the_original_size_after_resizes_is_the_upload(tiny_tokenizer, tmp_path):
    """Seen in a --cli drive: "go back to the original size" after three resizes made the 64 x 64 copy 512 x 512."""
    runtime = FakeRuntime(names=("Resize Image", "Rotate Image"))
    agent = Agent(ScriptedLLM([]), runtime, TEMPLATE, tiny_tokenizer, context_length=4096)
    session = ChatSession(Workspace(tmp_path / "ws"))
    photo = agent.introduce_image(session, Image.new("RGB", (32, 32), "white")).name
    agent.llm.replies = [call("Resize Image", f"{photo}, 16, 16"), answer("Done.")]
    (half,) = agent.chat(session, "make it smaller").files
    agent.llm.replies += [call("Resize Image", f"{half}, 8, 8"), answer("Done.")]
    (quarter,) = agent.chat(session, "smaller").files
    reply = agent.chat(session, "go back to the original size")
    assert reply.text == UNDONE_ALL.format(image=photo, undone=f"{quarter} and {half}") and reply.files == (photo,)
    assert len(runtime.calls) == 2  # no resize up of the small copy
    agent.llm.replies += [call("Rotate Image", f"{photo}, 90"), answer("Done.")]
    (turned,) = agent.chat(session, "rotate it 90 degrees").files
    assert not asks_to_undo("go back to the original size", turned, session.made_from)  # the rotation stays


def test_after_an_undo_the_undone_image_is_not_worked_on(tiny_tokenizer, tmp_path):
    """After "undo the rotation", "show me the edges" drew the rotated image's edges (the model's history spoke of it)."""
    agent, session, runtime, photo, turned = _rotated(tiny_tokenizer, tmp_path, "Edge Detection On Image")
    agent.chat(session, "undo the rotation")
    agent.llm.replies += [call("Edge Detection On Image", turned), answer("Done.")]
    agent.chat(session, "show me the edges")
    assert runtime.calls[-1] == ("Edge Detection On Image", photo)
    agent.llm.replies += [call("Edge Detection On Image", turned), answer("Done.")]
    agent.chat(session, f"show me the edges of {turned}")  # named: that one
    assert runtime.calls[-1] == ("Edge Detection On Image", turned)


def test_a_turn_on_several_uploads_is_undone_on_each(tiny_tokenizer, tmp_path):
    """Seen in a drive: "undo that" after "rotate both by 90 degrees" brought back one upload, the other stayed
    rotated; "undo both" did the same."""
    runtime = FakeRuntime(names=("Rotate Image", "Edge Detection On Image"))
    agent = Agent(ScriptedLLM([]), runtime, TEMPLATE, tiny_tokenizer, context_length=4096)
    session = ChatSession(Workspace(tmp_path / "ws"))
    first, second = (agent.introduce_image(session, Image.new("RGB", (32, 32), "white")).name for _ in range(2))
    agent.llm.replies = [call("Rotate Image", f"{first}, 90"), call("Rotate Image", f"{second}, 90"), answer("Done.")]
    first_turned, second_turned = agent.chat(session, "rotate both by 90 degrees").files
    for request in ("undo that", "undo both"):
        session.undone.clear()
        session.latest_image = second_turned
        reply = agent.chat(session, request)
        assert reply.text == UNDONE_EACH.format(
            images=f"{first} and {second}", undone=f"{first_turned} and {second_turned}"
        )
        assert reply.files == (first, second) and session.latest_image == second
        assert {first_turned, second_turned} <= session.undone
    assert agent.chat(session, "undo that").text == NOTHING_TO_UNDO.format(image=second)


def test_a_turn_of_several_steps_on_one_upload_is_undone_a_step_at_a_time():
    made_from = {"b.png": "a.png", "c.png": "b.png"}
    text, before, undone = undo("c.png", made_from, "undo that", last_made=("b.png", "c.png"))
    assert (text, before, undone) == (UNDONE.format(image="b.png", undone="c.png"), ["b.png"], ["c.png"])


def test_undo_everything_after_edits_of_several_uploads_goes_back_to_each():
    """Seen in a drive: "undo everything" after the cat was resized and blurred and the astronaut rotated undid the
    rotation only; "go back to the original" stays with the image worked on."""
    made_from = {"cat-small.png": "cat.png", "cat-blur.png": "cat-small.png", "astro-turned.png": "astro.png"}
    for request in ("undo everything", "let's start over"):
        text, before, undone = undo("astro-turned.png", made_from, request, last_made=("astro-turned.png",))
        assert before == ["cat.png", "astro.png"] and set(undone) == set(made_from)
        assert text == UNDONE_EVERY.format(images="cat.png and astro.png", count=3)
    text, before, _ = undo("astro-turned.png", made_from, "go back to the original", last_made=("astro-turned.png",))
    assert before == ["astro.png"] and text.startswith("Undone: back to astro.png")
    one = {"b.png": "a.png", "c.png": "b.png"}  # one upload edited: every step of its own, as before
    assert undo("c.png", one, "undo everything")[1] == ["a.png"]
