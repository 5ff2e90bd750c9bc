"""Shorthand and slips of the keyboard set right before any rule or the model reads a message (protocol/typos.py)."""

from __future__ import annotations

import pytest
from PIL import Image

from agent.loop import Agent, ChatSession
from protocol.prompt import PromptTemplate
from protocol.typos import without_typos
from tests.agent_fakes import FakeRuntime, ScriptedLLM
from tools.workspace import Workspace


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        # seen in a drive: rotated, then "mak it smallr" resized to 90000 x 2
        ("plz rotat it 90", "please rotate it 90"),
        ("mak it smallr", "make it smaller"),
        ("blurr her face pls", "blur her face please"),  # found the face and blurred nothing
        ("can u detect the edegs", "can you detect the edges"),  # ran Detection
        ("croppp to the sign", "crop to the sign"),
        ("remvoe the bakground", "remove the background"),
        ("Show me the Edegs", "Show me the Edges"),
        ("Detet all the objects", "Detect all the objects"),  # the case kept
        ("thnks 👍", "thanks 👍"),
        ("wats on the sign", "what's on the sign"),  # seen in a --cli drive: "I cannot see images myself"
        # four letters, two of them swapped (seen in a --cli drive: "blurr the fcae" asked for a box)
        ("blurr the fcae", "blur the face"),
        ("corp the left hlaf", "crop the left half"),
        ("read the txet on the sgin", "read the text on the sign"),
        # words of their own stay, however near a tool word
        ("sing it a song", "sing it a song"),
        ("a lace dress", "a lace dress"),
        ("FRESH BREAD DAILY", "FRESH BREAD DAILY"),
        ("the pole is tall", "the pole is tall"),
        ("I am pleased, thank you", "I am pleased, thank you"),
        ("the cup and the crops", "the cup and the crops"),
        # seen in the session set: "what do you think of this photo?" had read "thank" and "photos"
        ("what do you think of this photo?", "what do you think of this photo?"),
        ("show me its outline", "show me its outline"),
        # file names stay as written
        ("rotate image/u.png by 90", "rotate image/u.png by 90"),
        ("blur ur.png", "blur ur.png"),
    ],
)
def test_shorthand_and_slips_are_read_as_meant(typed, read):
    assert without_typos(typed) == read


def test_the_agent_reads_a_typed_request_set_right(tiny_tokenizer, tmp_path):
    """The request the rules and the model read is the one set right."""
    llm = ScriptedLLM(["Thought: Do I need to use a tool? No\nAI: Done."])
    agent = Agent(llm, FakeRuntime(), PromptTemplate.load("en"), tiny_tokenizer, context_length=4096)
    session = ChatSession(Workspace(tmp_path / "ws"))
    agent.introduce_image(session, Image.new("RGB", (8, 8)))
    agent.chat(session, "can u show me the edegs")
    assert "New input: can you show me the edges" in llm.prompts[0]


def test_the_session_sets_requests_are_read_as_written_but_the_typed_ones():
    """The requests people wrote for the session set are changed only where they were typed with slips on purpose (a
    tool word added to the list must not make an English word near it a slip)."""
    from session_eval.spec import SessionSet

    typed = {"typed-fast-rotate-then-blur", "detect-the-edegs", "remove-the-bg-whats-left", "blurr-the-fcae"}
    changed = {
        session.id
        for session in SessionSet.load().sessions
        for turn in session.turns
        if without_typos(turn.say) != turn.say
    }
    assert changed == typed
