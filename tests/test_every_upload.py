"""The same edit of every upload (agent/every_upload.py)."""

from __future__ import annotations

import pytest
from PIL import Image

from agent.every_upload import NONE_SAYS, SAYS, earlier_uploads, every_finding, upload_not_done
from agent.loop import Agent, ChatSession, TraceStep
from agent.read_text import asks_about_writing
from protocol.prompt import PromptTemplate
from tests.agent_fakes import FakeRuntime, ScriptedLLM
from tests.session_fakes import answer, call
from tools.workspace import Workspace

UPLOADS = ["image/aaaa1111.png", "image/bbbb2222.png"]


def step(tool: str, image: str, ok: bool = True) -> TraceStep:
    return TraceStep(1, "", tool, image, "image/dddd_made.png" if ok else "failed", ok)


@pytest.mark.parametrize(
    ("request_text", "steps", "expected"),
    [
        ("remove the background from both", [step("Remove the background", UPLOADS[1], ok=False)],
         ("Remove the background", UPLOADS[0])),  # tried on one, even where it failed
        ("show me the edges of each of them", [step("Edge Detection On Image", UPLOADS[0])],
         ("Edge Detection On Image", UPLOADS[1])),
        ("remove the background from both", [step("Remove the background", UPLOADS[0]),
                                              step("Remove the background", UPLOADS[1])], None),  # all done
        ("remove the background", [step("Remove the background", UPLOADS[0])], None),  # one asked for
        # seen in a drive: "what do these two signs say?" read one of the two
        ("what do these two signs say?", [step("Text Detection On Image", UPLOADS[1])],
         ("Text Detection On Image", UPLOADS[0])),
        ("read the text on these photos", [step("Text Detection On Image", UPLOADS[0])],
         ("Text Detection On Image", UPLOADS[1])),
        ("the two pictures: make their edges", [step("Edge Detection On Image", UPLOADS[0])],
         ("Edge Detection On Image", UPLOADS[1])),
        ("rotate both", [step("Rotate Image", "image/c3c3_edge_aaaa1111.png")], None),  # a result, not an upload
        ("rotate both", [], None),  # nothing ran
        # seen in a --cli drive: "which file is the cat?" was answered with the coffee photo, looked at alone
        ("which file is the cat?", [step("Detection", UPLOADS[0])], ("Detection", UPLOADS[1])),
        ("which one is the biggest?", [step("Detection", UPLOADS[0])], None),  # sizes, not a detection of each
    ],
)  # fmt: skip
def test_which_upload_the_edit_is_owed_to(request_text, steps, expected):
    assert upload_not_done(request_text, steps, UPLOADS) == expected
    assert upload_not_done(request_text, steps, UPLOADS[:1]) is None  # one upload: nothing more to do


def test_an_edit_of_both_uploads_runs_on_each(tiny_tokenizer, tmp_path):
    """Seen in the recorded demo: "remove the background from both" tried one photo and answered."""
    runtime = FakeRuntime(names=("Remove the background",))
    llm = ScriptedLLM([])
    agent = Agent(llm, runtime, PromptTemplate.load("en"), tiny_tokenizer, context_length=4096)
    session = ChatSession(Workspace(tmp_path / "ws"))
    first, second = (
        agent.introduce_image(session, Image.new("RGB", (8, 8), colour)).name for colour in ("white", "black")
    )
    llm.replies = [call("Remove the background", second), answer("Done."), "\nObservation:", answer("Both are done.")]
    reply = agent.chat(session, "remove the background from both")
    assert runtime.calls == [("Remove the background", second), ("Remove the background", first)]
    assert len(reply.files) == 2 and reply.text.startswith("Both are done")
    assert all(name in reply.text for name in reply.files)  # seen in a drive: "rotate both" named one result


def test_an_upload_that_already_has_the_size_is_left_as_it_is(tiny_tokenizer, tmp_path):
    """Seen in a drive: "make them both the same size" resized the cat photo to the 451 x 300 it had, and the answer
    presented the unchanged upload as the resized image."""
    from agent.loop import ALREADY_SIZED

    runtime = FakeRuntime(names=("Resize Image",))
    llm = ScriptedLLM([])
    agent = Agent(llm, runtime, PromptTemplate.load("en"), tiny_tokenizer, context_length=4096)
    session = ChatSession(Workspace(tmp_path / "ws"))
    square = agent.introduce_image(session, Image.new("RGB", (16, 16), "white")).name
    wide = agent.introduce_image(session, Image.new("RGB", (12, 8), "black")).name
    llm.replies = [call("Resize Image", f"{square}, 12, 8"), answer("Done."), ", 12, 8\nObservation:", answer("Done.")]
    reply = agent.chat(session, "make them both the same size")
    assert runtime.calls == [("Resize Image", f"{square}, 12, 8")] and len(reply.files) == 1
    assert reply.text.endswith(ALREADY_SIZED.format(image=wide, width=12, height=8))


def test_the_answer_says_which_uploads_the_edit_failed_on():
    steps = [step("Remove the background", UPLOADS[1], ok=False), step("Remove the background", UPLOADS[0])]
    said = earlier_uploads("remove the background from both", steps, UPLOADS)
    assert said == f"Remove the background failed on {UPLOADS[1]}: failed."
    assert earlier_uploads("remove the background from both", steps[::-1], UPLOADS) == ""  # the last: the loop's
    assert earlier_uploads("remove the background", steps, UPLOADS) == ""


def test_the_answer_holds_what_the_tool_said_of_every_upload():
    """Seen in a drive: asked "what do these two signs say?", the answer would have quoted the last reading alone."""
    steps = [
        TraceStep(1, "", "Text Detection On Image", UPLOADS[0], "NO PARKING", True),
        TraceStep(2, "", "Text Detection On Image", UPLOADS[1], "STOP", True),
    ]
    request = "what do these two signs say?"
    said = earlier_uploads(request, steps, UPLOADS, 'The sign says "STOP".')
    assert said == f'{UPLOADS[0]} reads "NO PARKING".'
    assert earlier_uploads(request, steps, UPLOADS, 'They say "NO PARKING" and "STOP".') == ""  # quoted already


def test_which_of_the_signs_says_a_word_reads_each_sign(tiny_tokenizer, tmp_path):
    """Seen in a drive: "which of these signs says stop?" ran Detection on each sign; then a reading of each was kept
    on stop.png, the upload whose name holds the word "stop", three times over."""
    from tools.runtime import Observation

    runtime = FakeRuntime(names=("Detection", "Text Detection On Image"))
    llm = ScriptedLLM([])
    agent = Agent(llm, runtime, PromptTemplate.load("en"), tiny_tokenizer, context_length=4096)
    session = ChatSession(Workspace(tmp_path / "ws"))
    stop, parking = (
        agent.introduce_image(session, Image.new("RGB", (8, 8), "white"), name).name
        for name in ("stop.png", "parking.png")
    )
    words = {stop: "STOP", parking: "NO PARKING"}
    runtime.run = lambda tool, argument, workspace: (
        Observation(words[argument], True, (), 0.01) if tool == "Text Detection On Image" else None
    )
    llm.replies = [call("Detection", parking), answer("Done."), "\nObservation:", answer("Done.")]
    reply = agent.chat(session, "which of these signs says stop?")
    assert [(step.action, step.action_input) for step in reply.steps] == [
        ("Text Detection On Image", parking),  # the model's choice of upload: each is read
        ("Text Detection On Image", stop),
    ]
    # seen in a drive: 'The text reads "NO PARKING". image/... reads "STOP".': the one asked for comes first
    assert reply.text == f'{SAYS.format(image=stop, words="STOP")} {parking} reads "NO PARKING".'


@pytest.mark.parametrize(
    ("request_text", "expected"),
    [
        ("which of these signs says stop?", f'{UPLOADS[1]} says "STOP". {UPLOADS[0]} reads "NO PARKING".'),
        ("which one reads 'no parking'?", f'{UPLOADS[0]} says "NO PARKING". {UPLOADS[1]} reads "STOP".'),
        ("which sign says open?",
         f'{NONE_SAYS.format(wanted="open")} {UPLOADS[0]} reads "NO PARKING". {UPLOADS[1]} reads "STOP".'),
        ("what does each sign say?", f'{UPLOADS[0]} reads "NO PARKING". {UPLOADS[1]} reads "STOP".'),
        # seen in a drive: "what do the signs say?" read one sign, "which one is about bread?" was declined
        ("what do the signs say?", f'{UPLOADS[0]} reads "NO PARKING". {UPLOADS[1]} reads "STOP".'),
        ("which one is about parking?", f'{UPLOADS[0]} says "NO PARKING". {UPLOADS[1]} reads "STOP".'),
        ("read the sign", None),  # one sign asked for
    ],
)  # fmt: skip
def test_the_answer_to_a_reading_of_every_upload_is_each_reading(request_text, expected):
    steps = [
        TraceStep(1, "", "Text Detection On Image", UPLOADS[1], "STOP", True),  # the model's choice came first
        TraceStep(2, "", "Text Detection On Image", UPLOADS[0], "NO PARKING.", True),
    ]
    assert every_finding(request_text, steps, UPLOADS) == expected


def test_which_sign_has_a_part_of_the_writing_is_answered_with_its_words():
    """Seen in a --cli drive: "which sign has a phone number?" ran Detection on each sign."""
    from agent.every_upload import HAS_PART, NONE_HAS

    steps = [
        TraceStep(1, "", "Text Detection On Image", UPLOADS[0], "STORE HOURS MON-FRI 8AM-6PM", True),
        TraceStep(2, "", "Text Detection On Image", UPLOADS[1], "FOR RENT CALL 555-0147 NO PETS", True),
    ]
    told = HAS_PART.format(image=UPLOADS[1], part="phone number", found="555-0147")
    expected = f'{told} {UPLOADS[0]} reads "STORE HOURS MON-FRI 8AM-6PM".'
    assert every_finding("which sign has a phone number?", steps, UPLOADS) == expected
    assert every_finding("which one has an email address?", steps, UPLOADS).startswith(
        NONE_HAS.format(part="email address")
    )
    assert asks_about_writing("which sign has a phone number?")


def test_which_one_after_both_were_read_is_answered_from_their_words(tiny_tokenizer, tmp_path):
    """Seen in a --cli drive: after "read both signs", "which one is for rent?" was answered "image/... is the
    rentier, which is image/..."."""
    from tools.runtime import Observation

    words = {0: "STORE HOURS MON-FRI 8AM-6PM", 1: "FOR RENT CALL 555-0147 NO PETS"}
    runtime = FakeRuntime(names=("Text Detection On Image",))
    llm = ScriptedLLM([])
    agent = Agent(llm, runtime, PromptTemplate.load("en"), tiny_tokenizer, context_length=4096)
    session = ChatSession(Workspace(tmp_path / "ws"))
    first, second = (agent.introduce_image(session, Image.new("RGB", (32, 32), "white")).name for _ in range(2))
    read = {first: words[0], second: words[1]}
    runtime.run = lambda tool, image, workspace: Observation(read.get(image, "EXIT"), True, (), 0.01)
    llm.replies = [call("Text Detection On Image", first), call("Text Detection On Image", second), answer("Done.")]
    agent.chat(session, "read both signs")
    prompts = len(llm.prompts)
    told = agent.chat(session, "which one is for rent?").text
    assert told == f'{SAYS.format(image=second, words=words[1])} {first} reads "{words[0]}".'
    assert len(llm.prompts) == prompts
    # one of them never read: the model's turn, as before
    third = agent.introduce_image(session, Image.new("RGB", (32, 32), "white")).name
    llm.replies += [call("Text Detection On Image", third), answer("Done.")]
    agent.chat(session, "which one is for rent?")
    assert len(llm.prompts) > prompts


def test_a_reading_of_every_upload_that_found_nothing_says_so():
    """Seen in a --cli drive: "read both" of two photos was answered 'image/....png reads "No text found".'."""
    from agent.findings import NOTHING_READ

    steps = [
        TraceStep(i, "", "Text Detection On Image", image, "No text found.", True) for i, image in enumerate(UPLOADS)
    ]
    assert every_finding("read both", steps, UPLOADS) == " ".join(NOTHING_READ.format(image=image) for image in UPLOADS)


def test_the_answer_to_a_detection_of_every_upload_is_each_finding():
    """Seen in a drive: "detect faces in both" was answered 'The detected face is ready: cat [80, 0, 421, 300].'
    with the astronaut's face in a note after it."""
    steps = [
        TraceStep(1, "", "Detection", UPLOADS[1], "cat [80, 0, 421, 300]", True),
        TraceStep(2, "", "Detection", UPLOADS[0], "face [176, 65, 273, 162]", True),
    ]
    assert every_finding("detect faces in both", steps, UPLOADS) == (
        f'Detection on {UPLOADS[0]}: "face [176, 65, 273, 162]". Detection on {UPLOADS[1]}: "cat [80, 0, 421, 300]".'
    )
    assert every_finding("detect faces in both", steps[:1], UPLOADS) is None  # one upload not searched yet
    failed = [steps[0], TraceStep(2, "", "Detection", UPLOADS[0], "the image could not be read", False)]
    assert every_finding("detect faces in both", failed, UPLOADS) is None  # the failure is told otherwise
    edges = [TraceStep(1, "", "Edge Detection On Image", image, "image/dddd_edge.png", True) for image in UPLOADS]
    assert every_finding("show me the edges of both", edges, UPLOADS) is None  # images, not words


def test_which_photo_has_a_cat_is_answered_from_a_detection_of_each(tiny_tokenizer, tmp_path):
    """Seen in a drive: asked "which photo has a cat?" of the astronaut and a cat, the model answered that it cannot
    see images; made to detect, it answered "The face is ready: face [...]"."""
    from agent.detector_scope import HAS, HAS_NONE, WHICH_HAS
    from tools.runtime import Observation

    runtime = FakeRuntime(names=("Detection", "Rotate Image"))
    llm = ScriptedLLM([])
    agent = Agent(llm, runtime, PromptTemplate.load("en"), tiny_tokenizer, context_length=4096)
    session = ChatSession(Workspace(tmp_path / "ws"))
    astronaut, cat = (agent.introduce_image(session, Image.new("RGB", (8, 8), "white")).name for _ in range(2))
    found = {astronaut: "face [1, 2, 5, 6]", cat: "cat [0, 0, 7, 7], cat [1, 1, 3, 3]"}
    runtime.run = lambda tool, argument, workspace: Observation(found[argument], True, (), 0.01)
    llm.replies = [
        answer("I cannot see images myself."),
        f" {cat}\nObservation:",  # the agent opened Detection
        answer("The face is ready: face [1, 2, 5, 6]."),
        "\nObservation:",
        answer("The face is ready: face [1, 2, 5, 6]."),
    ]
    reply = agent.chat(session, "which photo has a cat?")
    assert sorted(step.action_input for step in reply.steps) == sorted([astronaut, cat])
    lines = {
        cat: HAS.format(image=cat, what="2 cats", boxes=found[cat]),
        astronaut: HAS_NONE.format(image=astronaut, noun="cat"),
    }
    assert reply.text == WHICH_HAS.format(findings="; ".join(lines[step.action_input] for step in reply.steps))
    assert found[cat] in reply.text and "no cat" in reply.text


def test_which_is_the_cat_one_asks_which_photo_has_a_cat():
    """Seen in a drive: "which is the cat one?" of a coffee cup and a cat was answered "The cat is the cat."."""
    from agent.detector_scope import which_has, which_has_unfound

    searched = [("image/a.png", "No object found."), ("image/b.png", "cat [1, 2, 3, 4]")]
    for request in ("which is the cat one?", "which one is the cat photo?", "which file is the cat?"):
        assert which_has_unfound(request, [], ["Detection"]) == "Detection"
        assert which_has(request, searched) == "image/a.png shows no cat; image/b.png shows a cat: cat [1, 2, 3, 4]."
    assert which_has_unfound("which is the cat's name?", [], ["Detection"]) is None


def test_which_photo_has_a_cat_of_more_photos_than_steps_is_answered_from_the_detections(tiny_tokenizer, tmp_path):
    """Seen in a Gradio drive: asked "which photo has a cat?" of a session with many uploads, the steps ran out after
    the detections and the answer was "Done (steps: Detection -> ...)"."""
    from agent.detector_scope import HAS_NONE, WHICH_HAS
    from tools.runtime import Observation

    runtime = FakeRuntime(names=("Detection",))
    llm = ScriptedLLM([])
    agent = Agent(llm, runtime, PromptTemplate.load("en"), tiny_tokenizer, context_length=4096, max_steps=3)
    session = ChatSession(Workspace(tmp_path / "ws"))
    photos = [agent.introduce_image(session, Image.new("RGB", (8, 8), "white")).name for _ in range(2)]
    runtime.run = lambda tool, argument, workspace: Observation("No object found.", True, (), 0.01)
    # the answer after the first search gives way to the search of the other photo, the last step there is
    llm.replies = [call("Detection", photos[1]), answer("No cat."), "\nObservation:"]
    reply = agent.chat(session, "which photo has a cat?")
    assert [step.action_input for step in reply.steps] == [photos[1], photos[0]]
    lines = [HAS_NONE.format(image=image, noun="cat") for image in (photos[1], photos[0])]
    assert reply.text == WHICH_HAS.format(findings="; ".join(lines))


def test_both_after_a_result_of_each_means_those_results(tiny_tokenizer, tmp_path):
    """Seen in a drive: after the edges of each of two photos, "make both 256 wide" resized one edge map."""
    runtime = FakeRuntime(names=("Edge Detection On Image", "Resize Image"))
    llm = ScriptedLLM([])
    agent = Agent(llm, runtime, PromptTemplate.load("en"), tiny_tokenizer, context_length=4096)
    session = ChatSession(Workspace(tmp_path / "ws"))
    first, second = (agent.introduce_image(session, Image.new("RGB", (8, 8), "white")).name for _ in range(2))
    edges = {}
    for photo in (second, first):
        llm.replies = [*llm.prompts, call("Edge Detection On Image", photo), answer("Done.")]
        (edges[photo],) = agent.chat(session, f"show me the edges of {photo}").files
    llm.replies = [
        *llm.prompts,
        call("Resize Image", f"{edges[first]}, 256, 256"),
        answer("Done."),  # set aside: the other edge map
        ", 256, 256\nObservation:",
        answer("Both are resized."),
    ]
    reply = agent.chat(session, "make both 256 wide")
    assert runtime.calls[-2:] == [
        ("Resize Image", f"{edges[first]}, 256, 256"),
        ("Resize Image", f"{edges[second]}, 256, 256"),
    ]
    assert len(reply.files) == 2


def test_the_images_every_upload_means():
    from agent.every_upload import worked_on

    versions = ["image/e1_edge_aaaa1111.png", "image/bbbb2222.png"]
    assert worked_on([step("Resize Image", UPLOADS[0])], UPLOADS, versions) == UPLOADS
    assert worked_on([step("Resize Image", versions[0])], UPLOADS, versions) == versions
    assert worked_on([step("Resize Image", "image/ffff.png")], UPLOADS, versions) == []
    # seen in a --cli drive: after the second photo's blur, "make both of them 200 pixels wide" began on the first
    # photo, never edited (its own newest), and resized the second's upload, not its blur
    assert worked_on([step("Resize Image", versions[1])], UPLOADS, versions) == versions


def test_a_box_edit_of_every_upload_not_run_on_one_is_said():
    """Seen in a --cli drive: "blur the face in both" of the astronaut and a cat told the detections and the one
    blur; that the cat photo was not blurred went unsaid."""
    from agent.every_upload import NOT_ON_ONE, edit_not_on_each
    from agent.pending_edit import box_edit_unfound

    steps = [
        TraceStep(1, "", "Detection", UPLOADS[1], "cat [78, 0, 446, 300]", True),
        TraceStep(2, "", "Detection", UPLOADS[0], "face [176, 65, 273, 162]", True),
        TraceStep(3, "", "Blur Region", f"{UPLOADS[0]}, 176, 65, 273, 162", "image/cc_blur.png", True),
    ]
    unfound = lambda request, on_it: box_edit_unfound(request, on_it, ["Blur Region", "Detection"])  # noqa: E731
    notes = edit_not_on_each("blur the face in both", steps, UPLOADS, unfound)
    assert notes == [NOT_ON_ONE.format(tool="Blur Region", image=UPLOADS[1], found="cat [78, 0, 446, 300]")]
    assert edit_not_on_each("blur the face", steps, UPLOADS, unfound) == []  # one picture asked for


def test_an_edit_of_every_upload_runs_on_each_with_the_box_found_there(tiny_tokenizer, tmp_path):
    """Seen in a --cli drive: "blur the faces in both" found both faces, blurred one and answered; opened on the other
    upload, the model copied the first face's box, which had moved the blur back onto the first photo."""
    from agent.every_upload import edit_not_done
    from agent.pending_edit import box_edit_unfound
    from tools.runtime import Observation

    runtime = FakeRuntime(names=("Detection", "Blur Region"))
    llm = ScriptedLLM([])
    agent = Agent(llm, runtime, PromptTemplate.load("en"), tiny_tokenizer, context_length=4096)
    session = ChatSession(Workspace(tmp_path / "ws"))
    first, second = (
        agent.introduce_image(session, Image.new("RGB", (64, 64), "white"), name).name
        for name in ("man.png", "woman.png")
    )
    faces = {first: "face [10, 10, 30, 30]", second: "face [20, 5, 40, 25]"}
    run = runtime.run
    runtime.run = lambda tool, argument, workspace: (
        Observation(faces[argument], True, (), 0.01) if tool == "Detection" else run(tool, argument, workspace)
    )
    llm.replies = [
        call("Detection", second),
        answer("Found."),
        "\nObservation:",  # the detector opened on the other upload
        answer("Found."),
        f" {first}, 10, 10, 30, 30\nObservation:",  # the blur opened: the model answered before it
        answer("Done."),
        ", 10, 10, 30, 30\nObservation:",  # opened on the other upload: the first face's box copied
        answer("Done."),
    ]
    reply = agent.chat(session, "blur the faces in both")
    assert [(step.action, step.action_input) for step in reply.steps] == [
        ("Detection", second),
        ("Detection", first),
        ("Blur Region", f"{first}, 10, 10, 30, 30"),
        ("Blur Region", f"{second}, 20, 5, 40, 25"),
    ]
    unfound = lambda request, on_it: box_edit_unfound(request, on_it, ["Blur Region", "Detection"])  # noqa: E731
    cat = [
        TraceStep(1, "", "Detection", UPLOADS[1], "cat [78, 0, 446, 300]", True),
        TraceStep(2, "", "Detection", UPLOADS[0], "face [176, 65, 273, 162]", True),
        TraceStep(3, "", "Blur Region", f"{UPLOADS[0]}, 176, 65, 273, 162", "image/cc_blur.png", True),
    ]
    assert edit_not_done("blur the face in both", cat, UPLOADS, unfound) is None  # no face on the cat: said instead
