""" "The cat photo" of several uploads is the one where the detector finds a cat (agent/upload_contents.py)."""

from __future__ import annotations

import pytest
from PIL import Image

from agent.loop import Agent, ChatSession
from agent.upload_contents import labels_found, labels_named, upload_showing
from protocol.prompt import PromptTemplate
from tests.agent_fakes import FakeRuntime, ScriptedLLM
from tests.session_fakes import answer, call
from tools.catalog import default_registry
from tools.runtime import Observation
from tools.workspace import Workspace

PERSON = frozenset(["person", "upper body", "face"])


@pytest.mark.parametrize(
    ("request_text", "labels"),
    [
        ("detect the edges of the cat photo", {"cat"}),  # seen in a drive: the edges of the astronaut
        ("blur the kitten", {"cat"}),
        ("show me her pose", PERSON),  # seen in a drive: the pose of the cat, the newest upload
        ("make the astronaut smaller", PERSON),
        ("blur the face", PERSON),
        ("the photo of the man", PERSON),
        ("put the cat next to her", set()),  # both: no one upload is meant by them
        ("make it smaller", set()),
        ("the other photo", set()),
        ("the chef's hat", set()),  # "he" is a word of its own
    ],
)
def test_which_words_name_what_the_detector_finds(request_text, labels):
    assert labels_named(request_text) == labels


def test_the_one_upload_where_the_detector_found_it_is_meant():
    found = {"image/a.png": frozenset(["face", "person"]), "image/b.png": frozenset(["cat"])}
    assert upload_showing({"cat"}, found) == "image/b.png"
    assert upload_showing(PERSON, found) == "image/a.png"
    assert upload_showing({"cat"}, {**found, "image/c.png": frozenset(["cat"])}) is None  # two cats
    assert upload_showing({"cat"}, {"image/a.png": frozenset()}) is None
    assert labels_found("cat [78, 0, 446, 300], face [1, 2, 3, 4]") == {"cat", "face"}
    assert labels_found("No object found.") == frozenset()


class _CatOnFirst(FakeRuntime):
    """The fake runtime, whose detector finds a cat on the first upload and a face on any other image."""

    def __init__(self, cat: str) -> None:
        super().__init__(names=("Detection", "Edge Detection On Image"))
        self.cat = cat

    def run(self, tool_name: str, action_input: str, workspace: Workspace) -> Observation:
        observed = super().run(tool_name, action_input, workspace)
        if tool_name == "Detection" and action_input == self.cat:
            return Observation("cat [0, 0, 8, 8]", True, observed.files)
        return observed


def _two_uploads(tiny_tokenizer, tmp_path, replies):
    session = ChatSession(Workspace(tmp_path / "ws"))
    runtime = _CatOnFirst("")
    agent = Agent(ScriptedLLM(replies), runtime, PromptTemplate.load("en"), tiny_tokenizer, context_length=4096)
    cat = agent.introduce_image(session, Image.new("RGB", (24, 24), "gray")).name
    person = agent.introduce_image(session, Image.new("RGB", (24, 24), "white")).name
    runtime.cat = cat
    return agent, session, runtime, cat, person


def test_the_cat_photo_is_the_upload_where_a_cat_is_found(tiny_tokenizer, tmp_path):
    """The model drew the edges of the newest upload, the astronaut, for "the cat photo"."""
    agent, session, runtime, cat, person = _two_uploads(
        tiny_tokenizer, tmp_path, [call("Edge Detection On Image", "image/placeholder.png"), answer("Done.")]
    )
    agent.llm.replies[0] = call("Edge Detection On Image", person)
    reply = agent.chat(session, "detect the edges of the cat photo")
    assert runtime.calls[:2] == [("Detection", cat), ("Detection", person)]  # each upload looked at once
    assert runtime.calls[2:] == [("Edge Detection On Image", cat)]
    assert reply.steps[-1].action_input == cat
    agent.llm.prompts.clear()
    agent.llm.replies = [call("Edge Detection On Image", cat), answer("Done.")]
    agent.chat(session, "and the edges of the astronaut photo")  # what the detector found is kept
    assert [tool for tool, _ in runtime.calls].count("Detection") == 2
    assert runtime.calls[-1] == ("Edge Detection On Image", person)


def test_a_correction_to_the_cat_photo_runs_the_call_there(tiny_tokenizer, tmp_path):
    agent, session, runtime, cat, person = _two_uploads(tiny_tokenizer, tmp_path, [])
    agent.llm.replies = [call("Edge Detection On Image", person), answer("Done.")]
    agent.chat(session, "detect the edges")  # the newest, as the request does not say
    agent.llm.replies = [answer("Done.")]
    agent.llm.prompts.clear()
    agent.chat(session, "no, I meant the cat photo")
    assert runtime.calls[-1] == ("Edge Detection On Image", cat)


def test_one_upload_or_a_file_name_needs_no_look(tiny_tokenizer, tmp_path):
    session = ChatSession(Workspace(tmp_path / "ws"))
    runtime = _CatOnFirst("")
    agent = Agent(ScriptedLLM([]), runtime, PromptTemplate.load("en"), tiny_tokenizer, context_length=4096)
    only = agent.introduce_image(session, Image.new("RGB", (24, 24), "gray"), "IMG_2041.jpg").name
    agent.llm.replies = [call("Edge Detection On Image", only), answer("Done.")]
    agent.chat(session, "detect the edges of the cat photo")
    assert runtime.calls == [("Edge Detection On Image", only)]
    other = agent.introduce_image(session, Image.new("RGB", (24, 24), "white"), "cat.jpg").name
    agent.llm.replies = [call("Edge Detection On Image", only), answer("Done.")]
    agent.llm.prompts.clear()
    agent.chat(session, "detect the edges of the cat photo")
    assert runtime.calls[-1] == ("Edge Detection On Image", other)  # its file's name says so
    assert [tool for tool, _ in runtime.calls].count("Detection") == 0


def test_each_part_of_a_plan_works_on_the_upload_it_calls_by_what_it_shows(tiny_tokenizer, tmp_path):
    """Seen in a plan drive: "crop the cat photo to a square and then detect the lines of the coffee one" cropped the
    coffee photo (the one upload a file's name called) and drew the lines of the crop."""
    from tests.test_plan_mode import PlanningLLM, build, steps

    runtime = _CatOnFirst("")
    runtime.available = default_registry().subset(("Detection", "Crop Image", "Line Detection On Image"))
    llm = PlanningLLM([])
    plan_agent, _ = build(tiny_tokenizer, llm, runtime)
    session = ChatSession(Workspace(tmp_path / "ws"))
    cat = plan_agent.agent.introduce_image(session, Image.new("RGB", (30, 20), "gray"), "IMG_2041.jpg").name
    coffee = plan_agent.agent.introduce_image(session, Image.new("RGB", (30, 20), "white"), "coffee.png").name
    runtime.cat = cat
    crop = ("Crop Image", {"image_path": coffee, "left": 1, "top": 2, "right": 3, "bottom": 4})
    llm.plans = [steps(crop, ("Line Detection On Image", {"image_path": "<GENERATED>-0"}))]
    plan_agent.chat(session, "crop the cat photo to a square and then detect the lines of the coffee one")
    ran = [(tool, argument) for tool, argument in runtime.calls if tool != "Detection"]
    assert sorted(ran) == [("Crop Image", f"{cat}, 5, 0, 25, 20"), ("Line Detection On Image", coffee)]


def test_the_original_cat_is_shown_from_the_upload_showing_a_cat(tiny_tokenizer, tmp_path):
    """Seen in a drive: "show me the original cat" after both uploads were edited ran Detection and answered with the
    cat's box; "the original" alone is the newest upload."""
    agent, session, _, cat, person = _two_uploads(tiny_tokenizer, tmp_path, [])
    reply = agent.chat(session, "show me the original cat")
    assert reply.files == (cat,) and session.latest_image == cat and agent.llm.prompts == []
    assert agent.chat(session, "show me the original").files == (person,)


def test_hers_after_an_edit_of_the_cat_is_the_face_on_the_upload_showing_a_person(tiny_tokenizer, tmp_path):
    """Seen in a drive: "now blur hers too" after "blur the cat's face" was told the detector cannot find that."""
    agent, session, runtime, cat, person = _two_uploads(tiny_tokenizer, tmp_path, [])
    runtime.available = default_registry().subset(("Detection", "Blur Region"))
    agent.llm.replies = [
        call("Blur Region", f"{cat}, 1000, 2000, 3000, 4000"),
        f" {cat}\nObservation:",
        answer("Done."),
    ]
    reply = agent.chat(session, "now blur hers too")
    assert runtime.calls[:3] == [("Detection", cat), ("Detection", person), ("Detection", person)]
    assert reply.steps[0].action == "Detection" and reply.steps[0].action_input == person  # her face is looked for
