"""A blur of a person and of the writing in one request runs as two requests, one after the other."""

from __future__ import annotations

import pytest
from PIL import Image

from agent.loop import Agent, ChatSession
from agent.person_and_writing import BLURRED_ONE_BY_ONE, blurs_one_by_one, joined_answers
from agent.text_region import NO_WRITING
from protocol.prompt import PromptTemplate
from tests.agent_fakes import ScriptedLLM
from tests.session_fakes import answer, call
from tests.test_text_region import BLURRER, DONE, FOR_RENT, READER, ReadingRuntime
from tools.outputs import NO_OBJECT_FOUND, NO_TEXT_FOUND
from tools.workspace import Workspace


@pytest.mark.parametrize(
    ("request_text", "parts"),
    [
        (
            "blur her face in the first image and the phone number in the second",
            ["blur her face in the first image", "blur the phone number in the second image"],
        ),
        (
            "blur the phone number in the second image and her face in the first",
            ["blur the phone number in the second image", "blur her face in the first image"],
        ),
        ("blur the face and the sign", ["blur the face", "blur the sign"]),
        ("please blur his face, and the text on the sign.", ["blur his face", "blur the text on the sign"]),
        ("blur the face and then read the sign", None),  # a reading is another tool's part
        ("blur the face and the cat", None),  # both the detector's
        ("blur the sign and the text", None),  # the same writing
        ("blur the phone number and the email", ["blur the phone number", "blur the email"]),  # two of its parts
        ("blur the face", None),
        # seen in a --cli drive: the background was removed, then the face blurred; the number was left
        ("hide her face and the number please", ["blur her face", "blur the number"]),
        ("crop to her face and the sign", None),  # one crop can hold both
        # seen in a --cli drive: asked for a box, the answer offering "the top half" as one
        ("blur the top half and the bottom half", ["blur the top half", "blur the bottom half"]),
        ("blur the top half and the upper half", None),  # one place
        ("blur her face and the bottom-left corner", ["blur her face", "blur the bottom-left corner"]),
    ],
)
def test_which_requests_blur_a_person_and_the_writing(request_text, parts):
    assert blurs_one_by_one(request_text) == parts


def test_the_face_and_the_phone_number_are_both_blurred(tiny_tokenizer, tmp_path):
    """Seen in a drive: "blur her face in the first image and the phone number in the second" blurred the face and
    dropped the phone number without a word."""
    runtime = ReadingRuntime("FOR RENT CALL 555-0147", (100, 40, 300, 140), FOR_RENT)
    session = ChatSession(Workspace(tmp_path / "ws"))
    llm = ScriptedLLM([])
    agent = Agent(llm, runtime, PromptTemplate.load("en"), tiny_tokenizer, context_length=4096)
    photo, sign = (agent.introduce_image(session, Image.new("RGB", (400, 200), "white")).name for _ in range(2))
    find = f"Thought: Do I need to use a tool? Yes\nAction: Detection\nAction Input: {photo}\nObservation:"
    blur = (
        f"Thought: Do I need to use a tool? Yes\nAction: Blur Region\nAction Input: {photo}, 0, 0, 8, 8\nObservation:"
    )
    llm.replies = [find, blur, DONE, DONE, DONE]
    reply = agent.chat(session, "blur her face in the first image and the phone number in the second")
    assert (BLURRER, f"{photo}, 0, 0, 8, 8") in runtime.calls
    assert runtime.calls[-2:] == [(READER, sign), (BLURRER, f"{sign}, 180, 90, 310, 150")]
    numbers = [step.index for step in reply.steps]  # the second request's steps numbered on from the first's
    assert numbers == sorted(set(numbers))
    assert len([name for name in reply.files if "_blur_" in name]) == 2
    # one answer for both, each thing with its image (each part had answered "The blurred image is ready: ...")
    face, number = (step.files[0] for step in reply.steps if step.action == BLURRER)
    assert reply.text == BLURRED_ONE_BY_ONE.format(
        earlier=f"her face in the first image ({face})", last="the phone number in the second image", image=number
    )
    # one exchange in the conversation, as asked
    assert session.memory.said[-1] == "blur her face in the first image and the phone number in the second"
    assert session.turns == 1
    # seen in a --cli drive: "what did you just do?" told the second blur only
    told = agent.chat(session, "what did you just do?").text
    assert all(name in told for name in reply.files if "_blur_" in name)


def test_a_face_and_a_number_neither_found_tell_how_to_give_a_box_once(tiny_tokenizer, tmp_path):
    """Seen in a --cli drive on the coffee photo: "blur her face and the phone number" answered "There is no object in
    ..." and "I found no writing to place in ...", each followed by the same paragraph on how to give a box."""
    runtime = ReadingRuntime(NO_TEXT_FOUND, None)
    runtime.found = NO_OBJECT_FOUND
    session = ChatSession(Workspace(tmp_path / "ws"))
    llm = ScriptedLLM([])
    agent = Agent(llm, runtime, PromptTemplate.load("en"), tiny_tokenizer, context_length=4096)
    photo = agent.introduce_image(session, Image.new("RGB", (400, 200), "white")).name
    find = f"Thought: Do I need to use a tool? Yes\nAction: Detection\nAction Input: {photo}\nObservation:"
    llm.replies = [find, f"Thought: Do I need to use a tool? No\nAI: There is no object in {photo}.", DONE]
    lines = agent.chat(session, "blur her face and the phone number").text.splitlines()
    assert lines[0].startswith(f"I found no face in {photo}.")
    assert lines[1] == NO_WRITING.format(image=photo)
    assert lines[2].startswith("So Blur Region did not run: it needs a box.") and len(lines) == 3
    assert not any(call[0] == BLURRER for call in runtime.calls)


@pytest.mark.parametrize(
    ("answers", "joined"),
    [
        (["A. Give a box.", "B. Give a box."], "A.\nB.\nGive a box."),
        (["A. Give a box.", "B."], "A. Give a box.\nB."),  # said of one part only
        (["Give a box.", "B. Give a box."], "Give a box.\nB. Give a box."),  # a part would be left empty
        (["Done: image/a.png.", "Done: image/b.png."], "Done: image/a.png.\nDone: image/b.png."),
    ],
)
def test_the_sentences_that_end_every_part_are_said_once(answers, joined):
    assert joined_answers(answers) == joined


def test_two_places_are_blurred_one_after_the_other(tiny_tokenizer, tmp_path):
    """Seen in a --cli drive after a rotation: "blur the top half and the bottom half" asked for a box; run as two
    blurs, the second must blur the first's result (the model named the rotated image for it)."""
    from tests.agent_fakes import FakeRuntime

    runtime = FakeRuntime(names=("Rotate Image", "Blur Region"))
    session = ChatSession(Workspace(tmp_path / "ws"))
    llm = ScriptedLLM([])
    agent = Agent(llm, runtime, PromptTemplate.load("en"), tiny_tokenizer, context_length=4096)
    photo = agent.introduce_image(session, Image.new("RGB", (40, 20), "white")).name
    llm.replies = [call("Rotate Image", f"{photo}, 30"), answer("Done.")]
    (rotated,) = agent.chat(session, "rotate it by 30 degrees").files
    made_up = f"{rotated}, 30000, 10000, 20000, 10000"
    llm.replies += [call(BLURRER, made_up), answer("Done."), call(BLURRER, made_up), answer("Done.")]
    reply = agent.chat(session, "blur the top half and the bottom half")
    top, bottom = [step for step in reply.steps if step.action == BLURRER]
    assert top.action_input == f"{rotated}, 0, 0, 40, 10"
    assert bottom.action_input == f"{top.files[0]}, 0, 10, 40, 20"
    assert session.latest_image == bottom.files[0]
    # the second part is asked with the first's exchange before it: its result by name
    second = [prompt for prompt in llm.prompts if "New input: blur the bottom half" in prompt]
    assert second and all(top.files[0] in prompt for prompt in second)
    assert session.memory.said[-1] == "blur the top half and the bottom half"  # one exchange, as asked
    # one answer for both (each part had answered "Here is the blurred image: ...")
    told = BLURRED_ONE_BY_ONE.format(
        earlier=f"the top half ({top.files[0]})", last="the bottom half", image=bottom.files[0]
    )
    assert reply.text == told
