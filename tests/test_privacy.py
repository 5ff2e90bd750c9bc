"""Requests to hide what is personal: the blurs they run and the answer that says what was and was not hidden."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from PIL import Image

from agent.loop import Agent, ChatSession
from agent.privacy import NOT_FOUND_BY_TOOLS, hides_what_is_personal, privacy_answer, private_parts
from protocol.prompt import PromptTemplate
from tests.agent_fakes import FakeRuntime, ScriptedLLM
from tests.session_fakes import answer, call
from tools.workspace import Workspace


@pytest.mark.parametrize(
    ("request_text", "asks"),
    [
        ("i want to post this online, can you hide anything personal?", True),  # seen in a --cli drive
        ("anonymize this photo", True),
        ("make it safe to post online", True),
        ("blur any personal info please", True),
        # seen in a --cli drive: the model removed the background
        ("I want to post this on my blog but I don't want people to recognize her. Can you help?", True),
        ("make her unrecognizable", True),
        ("can you recognize her?", False),
        ("rotate it so nobody can recognize her", False),  # an edit asked: the model's
        ("hide personal details and show me the edges", False),  # more than that: the model's
        ("is this personal?", False),
        ("remove the background", False),
    ],
)
def test_a_request_to_hide_what_is_personal_runs_the_face_and_phone_number_blurs(request_text, asks):
    parts = private_parts("image/a.png") if hides_what_is_personal(request_text) else None
    assert parts == (["blur the faces in image/a.png", "blur the phone number"] if asks else None)


def _step(action: str, observation: str, ok: bool = True, files: tuple[str, ...] = ()) -> SimpleNamespace:
    return SimpleNamespace(action=action, observation=observation, ok=ok, files=files)


def test_the_answer_says_what_was_blurred_and_what_was_not_found():
    face_and_number = [
        _step("Detection", "face [1, 2, 3, 4]", files=("image/d.png",)),
        _step("Blur Region", "image/b1.png", files=("image/b1.png",)),
        _step("Text Detection On Image", "CALL 555-0147"),
        _step("Blur Region", "image/b2.png", files=("image/b2.png",)),
    ]
    told = privacy_answer(face_and_number)
    assert told == f"I blurred the face (image/b1.png), then the phone number: image/b2.png. {NOT_FOUND_BY_TOOLS}"
    cat_and_a_word = [
        _step("Detection", "cat [1, 2, 3, 4]", files=("image/d.png",)),
        _step("Text Detection On Image", "MEOW"),
    ]
    told = privacy_answer(cat_and_a_word)
    assert told.startswith('Nothing was blurred. No face was found (the detector found: cat). The writing ("MEOW")')


def test_anonymize_blurs_the_face_of_the_photo_worked_on(tiny_tokenizer, tmp_path):
    """Seen in a --cli drive: "i want to post this online, can you hide anything personal?" removed the background."""
    runtime = FakeRuntime(names=("Detection", "Blur Region", "Text Detection On Image", "Remove the background"))
    llm = ScriptedLLM([call("Remove the background", "x")])
    agent = Agent(llm, runtime, PromptTemplate.load("en_product"), tiny_tokenizer, context_length=4096)
    session = ChatSession(Workspace(tmp_path / "ws"))
    photo = agent.introduce_image(session, Image.new("RGB", (32, 32), "white")).name

    def replies(prompt: str) -> str:  # the detection, then the blur of the box it found; then the reading
        return call("Blur Region", f"{photo}, 0, 0, 8, 8") if "face [0, 0, 8, 8]" in prompt else answer("Done.")

    llm.replies = [call("Detection", photo), replies, answer("Done.")]
    reply = agent.chat(session, "anonymize this photo")
    assert [tool for tool, _ in runtime.calls][:2] == ["Detection", "Blur Region"]
    assert "Remove the background" not in [tool for tool, _ in runtime.calls]
    assert reply.text.startswith("I blurred the face") and reply.text.endswith(NOT_FOUND_BY_TOOLS)


def test_after_a_map_the_photo_behind_it_is_the_one_anonymized(tiny_tokenizer, tmp_path):
    """Seen in a --cli drive: "i want to post this online, can you hide anything personal?" right after a sketch ran
    the detector on the sketch."""
    runtime = FakeRuntime(names=("Detection", "Blur Region", "Text Detection On Image", "Edge Detection On Image"))
    llm = ScriptedLLM([])
    agent = Agent(llm, runtime, PromptTemplate.load("en_product"), tiny_tokenizer, context_length=4096)
    session = ChatSession(Workspace(tmp_path / "ws"))
    photo = agent.introduce_image(session, Image.new("RGB", (32, 32), "white")).name
    llm.replies = [call("Edge Detection On Image", photo), answer("Done.")]
    (edges,) = agent.chat(session, "show me the edges").files
    assert session.latest_image == edges
    llm.replies += [answer("Done.")] * 6
    agent.chat(session, "anonymize this photo")
    asked = [prompt.rpartition("New input: ")[2].partition("\n")[0] for prompt in llm.prompts[2:]]
    assert f"blur the faces in {photo}" in asked and not any(edges in said for said in asked)
