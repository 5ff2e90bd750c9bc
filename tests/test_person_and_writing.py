"""A blur of a person and of the writing in one request runs as two requests, one after the other."""

from __future__ import annotations

import pytest
from PIL import Image

from agent.loop import Agent, ChatSession
from agent.person_and_writing import blurs_one_by_one
from protocol.prompt import PromptTemplate
from tests.agent_fakes import ScriptedLLM
from tests.test_text_region import BLURRER, DONE, FOR_RENT, READER, ReadingRuntime
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
    assert len(reply.text.splitlines()) == 2  # each request's answer on its own line, as streamed
    # one exchange in the conversation, as asked
    assert session.memory.said[-1] == "blur her face in the first image and the phone number in the second"
    assert session.turns == 1
    # seen in a --cli drive: "what did you just do?" told the second blur only
    told = agent.chat(session, "what did you just do?").text
    assert all(name in told for name in reply.files if "_blur_" in name)
