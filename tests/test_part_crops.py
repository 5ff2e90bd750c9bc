"""A crop called by the part it kept (agent/part_crops.py), and the crops shown together."""

from __future__ import annotations

from PIL import Image

from agent.loop import Agent, ChatSession
from agent.part_crops import crop_of_the_part
from agent.show_again import SHOWN_EACH
from protocol.prompt import PromptTemplate
from tests.agent_fakes import FakeRuntime, ScriptedLLM
from tests.session_fakes import answer, call
from tools.workspace import Workspace


def test_the_left_half_is_the_crop_of_the_left_half(tiny_tokenizer, tmp_path):
    """Seen in a --cli drive: after "crop the left half" and "now the right half of the original", "rotate the left
    half 180" rotated the right half, and "show me both halves" cropped a made-up box (which failed)."""
    runtime = FakeRuntime(names=("Crop Image", "Rotate Image"))
    llm = ScriptedLLM([])
    agent = Agent(llm, runtime, PromptTemplate.load("en"), tiny_tokenizer, context_length=4096)
    session = ChatSession(Workspace(tmp_path / "ws"))
    photo = agent.introduce_image(session, Image.new("RGB", (60, 40), "white")).name
    llm.replies = [call("Crop Image", f"{photo}, 0, 0, 30, 40"), answer("Done.")]
    (left,) = agent.chat(session, "crop the left half").files
    llm.replies += [call("Crop Image", f"{photo}, 30, 0, 60, 40"), answer("Done.")]
    (right,) = agent.chat(session, "now the right half of the original").files
    llm.replies += [call("Rotate Image", f"{right}, 180"), answer("Done.")]
    agent.chat(session, "rotate the left half 180")
    assert runtime.calls[-1] == ("Rotate Image", f"{left}, 180")
    prompts = len(llm.prompts)
    reply = agent.chat(session, "show me both halves")
    assert reply.files == (left, right) and reply.text == SHOWN_EACH.format(images=f"{left}, {right}")
    assert len(llm.prompts) == prompts
    size = {photo: (60, 40)}.get
    assert crop_of_the_part("rotate the top half", session.made_by, size) is None  # no such crop made
