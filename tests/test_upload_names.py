"""Uploads called by the words of their files' names (agent/upload_names.py)."""

from __future__ import annotations

import pytest
from PIL import Image

from agent.loop import Agent, ChatSession
from agent.upload_names import SENT_AS, name_words, upload_named, upload_named_for, which_is_answer
from protocol.prompt import PromptTemplate
from tests.agent_fakes import FakeRuntime, ScriptedLLM
from tools.catalog import default_registry
from tools.workspace import Workspace

TOOLS = default_registry()

FILES = {"image/a1.png": "astronaut.png", "image/b2.png": "IMG_2041.jpg", "image/c3.png": "red_car-2.jpg"}


def test_the_telling_words_of_a_file_name():
    assert name_words("red_car-2.jpg") == {"red", "car"}
    assert name_words("IMG_2041.JPG") == frozenset()  # a camera's name says nothing
    assert name_words("/tmp/uploads/Chelsea the Cat.png") == {"chelsea", "cat"}


@pytest.mark.parametrize(
    ("request_text", "upload"),
    [
        ("resize the astronaut to 256x256", "image/a1.png"),
        ("show me the edges of the cars", "image/c3.png"),  # plural
        ("rotate the image by 90 degrees", None),  # no file's word
        ("make the red astronaut smaller", None),  # two files' words: which is unclear
        ("make image/c3.png 400 wide", "image/c3.png"),  # by its name in the workspace (the web API's requests)
        ("read image/a1.png and image/c3.png", None),
    ],
)
def test_which_upload_a_request_calls_by_its_files_name(request_text, upload):
    assert upload_named(request_text, FILES) == upload


def test_each_part_of_a_request_means_the_upload_it_names():
    """The model resized the newest upload (the sign) for "resize astronaut.png to 256x256 and read the text in
    sign.png" and read the resized sign."""
    files = {"image/a1.png": "astronaut.png", "image/s2.png": "sign.png"}
    request = "resize astronaut.png to 256x256 and read the text in sign.png"
    assert upload_named(request, files) is None  # both named: the request as a whole says neither
    assert upload_named_for(request, "Resize Image", files, TOOLS) == "image/a1.png"
    assert upload_named_for(request, "Text Detection On Image", files, TOOLS) == "image/s2.png"
    assert upload_named_for(request, "Edge Detection On Image", files, TOOLS) is None  # no part asks for it
    # by its place: seen in a plan drive, "crop the left half of the first one, then rotate both" cropped the second
    files = {"image/c1.png": "IMG_001.png", "image/c2.png": "IMG_002.png"}
    request = "crop the left half of the first one, then rotate both by 90 degrees"
    assert upload_named_for(request, "Crop Image", files, TOOLS) == "image/c1.png"
    assert upload_named_for(request, "Rotate Image", files, TOOLS) is None  # both


def test_which_upload_is_something_its_file_name_says(tiny_tokenizer, tmp_path):
    """Seen in a --cli drive: "which one is the rocket?" after rocket.png and astro.png was refused (no tool answers
    questions about an image)."""
    llm = ScriptedLLM([])
    agent = Agent(llm, FakeRuntime(), PromptTemplate.load("en"), tiny_tokenizer, context_length=4096)
    session = ChatSession(Workspace(tmp_path / "ws"))
    rocket = agent.introduce_image(session, Image.new("RGB", (8, 8)), "rocket.png").name
    agent.introduce_image(session, Image.new("RGB", (8, 8)), "astro.png")
    assert agent.chat(session, "which one is the rocket?").text == SENT_AS.format(upload=rocket, file_name="rocket.png")
    assert llm.prompts == []
    assert which_is_answer("which one is the biggest?", session.file_names) is None
