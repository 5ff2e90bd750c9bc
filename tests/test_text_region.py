"""Box edits of the writing in a picture ("crop to the sign"): the reading places the text, the edit takes its box."""

from __future__ import annotations

import pytest
from PIL import Image

from agent.loop import Agent, ChatSession
from agent.text_region import NO_PART, NO_WRITING, read_before_the_edit, the_part_read, with_margin, writing_box_tool
from protocol.prompt import PromptTemplate
from tests.agent_fakes import FakeRuntime, ScriptedLLM
from tools.outputs import NO_TEXT_FOUND, Box, PlacedWord
from tools.runtime import Observation
from tools.workspace import Workspace

READER, CROPPER, BLURRER = "Text Detection On Image", "Crop Image", "Blur Region"
LOADED = (READER, CROPPER, BLURRER, "Detection")


@pytest.mark.parametrize(
    ("request_text", "tool"),
    [
        ("crop to the sign", CROPPER),
        ("zoom in on the text", CROPPER),
        ("can you crop it to just the words", CROPPER),
        ("blur the writing", BLURRER),
        ("please blur the sign before I post this", BLURRER),
        ("crop to the sign and make it bigger", CROPPER),  # the crop's part names the sign
        ("crop the top half of the sign", None),  # a part by its place: its own box
        ("crop it to 0, 0, 100, 50", None),  # numbers: the person's box
        ("blur the face and the sign", None),  # a person: the detector's turn, as before
        # the person in a part of their own (seen in a --cli drive: the face was blurred for the phone number)
        ("read the sign, blur the phone number and crop the face", BLURRER),
        ("blur her face and the phone number", None),
        ("blur the sign but keep the cat", BLURRER),  # seen in a drive: the cat kept is no person to blur
        ("crop the text out", None),  # what to leave out, not what to keep
        ("crop it and read the text", None),  # the crop names no writing
        ("read the sign", None),  # no box edit
        ("crop the cat", None),
        ("blur the phone number", BLURRER),  # a part of the writing (agent/text_parts.py)
        ("hide the phone number", BLURRER),  # seen in a --cli drive: the model removed the background
        ("crop to the first line", CROPPER),
        ("blur 'SALE'", BLURRER),
        ("blur it one more time", None),
        ("what's on the sign? and blur it", BLURRER),  # seen in a --cli drive: read, not blurred, and answered
        ("read the sign and crop the top half", None),  # a part by its place: its own box
    ],
)
def test_which_box_edits_are_of_the_writing(request_text, tool):
    assert writing_box_tool(request_text, LOADED) == tool


def test_without_the_reading_tool_no_edit_is_of_the_writing():
    assert writing_box_tool("crop to the sign", (CROPPER, BLURRER)) is None


def test_right_after_a_reading_the_writing_is_it():
    """Seen in a drive: "whats the sign say", then "crop to it" was asked for a box."""
    assert writing_box_tool("crop to it", LOADED, after_reading=True) == CROPPER
    assert writing_box_tool("crop around that", LOADED, after_reading=True) == CROPPER
    assert writing_box_tool("crop to it", LOADED) is None
    assert writing_box_tool("blur it", LOADED, after_reading=True) is None  # the whole picture, as before


def test_the_margin_grows_the_box_by_a_quarter_of_its_height_inside_the_picture():
    assert with_margin((100, 40, 300, 80), 400, 200) == (90, 30, 310, 90)
    assert with_margin((2, 4, 398, 196), 400, 200) == (0, 0, 400, 200)


class ReadingRuntime(FakeRuntime):
    """The fake runtime whose reading tool reads ``words`` placed in ``box`` (none: nothing placed)."""

    def __init__(self, words: str, box: tuple[int, int, int, int] | None, placed: tuple[PlacedWord, ...] = ()) -> None:
        super().__init__(names=LOADED)
        self.words, self.box, self.placed = words, box, placed

    def run(self, tool_name: str, action_input: str, workspace: Workspace) -> Observation:
        if tool_name != READER:
            return super().run(tool_name, action_input, workspace)
        self.calls.append((tool_name, action_input))
        data = [Box("text", 1.0, self.box), *self.placed] if self.box else None
        return Observation(self.words, True, (), 0.01, data=data)


def chat(tiny_tokenizer, tmp_path, runtime: ReadingRuntime, say: str, replies: list[str]):
    session = ChatSession(Workspace(tmp_path / "ws"))
    llm = ScriptedLLM(replies)
    agent = Agent(llm, runtime, PromptTemplate.load("en"), tiny_tokenizer, context_length=4096)
    image = agent.introduce_image(session, Image.new("RGB", (400, 200), "white")).name
    return agent.chat(session, say), image


DONE = "Thought: Do I need to use a tool? No\nAI: Done."


def test_crop_to_the_sign_reads_it_first_and_crops_the_text_with_a_margin(tiny_tokenizer, tmp_path):
    runtime = ReadingRuntime("OPEN 24 HOURS", (100, 40, 300, 80))
    # the model's own calls (a box it made up) are set aside for the reading and the crop the agent writes
    made_up = (
        "Thought: Do I need to use a tool? Yes\nAction: Crop Image\nAction Input: {image}, 0, 0, 1, 2\nObservation:"
    )
    done = "Thought: Do I need to use a tool? No\nAI: Done."
    reply, image = chat(tiny_tokenizer, tmp_path, runtime, "crop to the sign", [made_up, made_up, done])
    assert runtime.calls == [(READER, image), (CROPPER, f"{image}, 90, 30, 310, 90")]
    assert [step.action for step in reply.steps] == [READER, CROPPER] and reply.files


def test_a_reading_that_places_no_text_says_the_edit_did_not_run_and_asks_for_the_box(tiny_tokenizer, tmp_path):
    runtime = ReadingRuntime(NO_TEXT_FOUND, None)
    said = "Thought: Do I need to use a tool? No\nAI: There is no text in the image."
    reply, image = chat(tiny_tokenizer, tmp_path, runtime, "blur the text", ["", said])
    assert runtime.calls == [(READER, image)]
    assert "Blur Region did not run: it needs a box" in reply.text and "left, top, right, bottom" in reply.text
    # said by the agent: the model had repeated the last turn's refusal before it
    assert reply.text.startswith(NO_WRITING.format(image=image))


def test_both_uploads_are_read_and_cropped_in_turn(tiny_tokenizer, tmp_path):
    """Seen in a drive: "crop both to the text" cropped one sign and only read the other."""
    runtime = ReadingRuntime("OPEN", (100, 40, 300, 80))
    session = ChatSession(Workspace(tmp_path / "ws"))
    agent = Agent(ScriptedLLM([DONE]), runtime, PromptTemplate.load("en"), tiny_tokenizer, context_length=4096)
    first, second = (agent.introduce_image(session, Image.new("RGB", (400, 200), "white")).name for _ in range(2))
    reply = agent.chat(session, "crop both to the text")
    box = "90, 30, 310, 90"
    assert runtime.calls == [
        (READER, first),
        (CROPPER, f"{first}, {box}"),
        (READER, second),
        (CROPPER, f"{second}, {box}"),
    ]
    assert len([name for name in reply.files if "_crop_" in name]) == 2


def test_the_original_is_read_when_the_request_says_so(tiny_tokenizer, tmp_path):
    """Seen in a drive: "now blur the words on the original" after a resize read and blurred the resized copy."""
    runtime = ReadingRuntime("OPEN", (100, 40, 300, 80))
    runtime.available = runtime.available.__class__(
        [*runtime.available, *FakeRuntime(names=("Resize Image",)).available]
    )
    session = ChatSession(Workspace(tmp_path / "ws"))
    resize = (
        "Thought: Do I need to use a tool? Yes\nAction: Resize Image\nAction Input: {image}, 800, 400\nObservation:"
    )
    llm = ScriptedLLM([])
    agent = Agent(llm, runtime, PromptTemplate.load("en"), tiny_tokenizer, context_length=4096)
    photo = agent.introduce_image(session, Image.new("RGB", (400, 200), "white")).name
    llm.replies = [resize.format(image=photo), DONE]
    agent.chat(session, "make it twice as big")
    llm.replies += [DONE]
    agent.chat(session, "now blur the words on the original")
    assert runtime.calls[-2:] == [(READER, photo), (BLURRER, f"{photo}, 90, 30, 310, 90")]


FOR_RENT = (
    PlacedWord("FOR", (100, 40, 160, 80), 0),
    PlacedWord("RENT", (170, 40, 260, 80), 0),
    PlacedWord("CALL", (100, 100, 180, 140), 1),
    PlacedWord("555-0147", (190, 100, 300, 140), 1),
)


def test_a_part_of_the_writing_is_edited_alone(tiny_tokenizer, tmp_path):
    """ "blur the phone number" blurs the number's words with the margin, not the whole sign."""
    runtime = ReadingRuntime("FOR RENT CALL 555-0147", (100, 40, 300, 140), FOR_RENT)
    reply, image = chat(tiny_tokenizer, tmp_path, runtime, "blur the phone number", [DONE, DONE])
    assert runtime.calls == [(READER, image), (BLURRER, f"{image}, 180, 90, 310, 150")]
    assert reply.files


def test_a_part_blurred_since_it_was_read_is_placed_by_the_reading_before_the_blur(tiny_tokenizer, tmp_path):
    """Seen in a --cli drive: after "blur the phone number", "now crop the phone number" read the blurred sign, found
    no number in it and cropped nothing."""
    from agent.loop import BLURRED_PART

    runtime = ReadingRuntime("FOR RENT CALL 555-0147", (100, 40, 300, 140), FOR_RENT)
    session = ChatSession(Workspace(tmp_path / "ws"))
    agent = Agent(ScriptedLLM([DONE, DONE]), runtime, PromptTemplate.load("en"), tiny_tokenizer, context_length=4096)
    image = agent.introduce_image(session, Image.new("RGB", (400, 200), "white")).name
    (blurred,) = agent.chat(session, "blur the phone number").files
    runtime.words, runtime.placed = "FOR RENT CALL", FOR_RENT[:3]  # the number is a blur now
    agent.llm.replies += [DONE, DONE]
    reply = agent.chat(session, "now crop the phone number")
    assert runtime.calls[-2:] == [(READER, blurred), (CROPPER, f"{blurred}, 180, 90, 310, 150")]
    assert reply.text.endswith(BLURRED_PART.format(part="phone number", image=blurred, read=image))


@pytest.mark.parametrize(
    ("request_text", "blurred", "expected"),
    [
        ("and her face too", True, "blur her face"),  # seen in a --cli drive: Detection ran, nothing blurred
        ("the phone number as well", True, "blur the phone number"),
        ("and the other one too", True, "and the other one too"),  # the same again elsewhere: agent/redo.py
        ("and her face too", False, "and her face too"),
    ],
)
def test_another_thing_after_a_blur_is_blurred(request_text, blurred, expected):
    from agent.text_region import blur_of_another_thing

    assert blur_of_another_thing(request_text, blurred) == expected


def test_hours_written_as_one_word_are_a_part_of_the_writing():
    """Seen in a --cli drive: "crop to the hours" of "STORE HOURS MON-FRI 8AM-6PM SAT 10AM-2 PM" found no hours."""
    from agent.text_parts import part_text

    assert part_text("crop to the hours", "STORE HOURS MON-FRI 8AM-6PM SAT 10AM-2 PM") == "8AM-6PM 10AM-2 PM"
    assert part_text("blur the phone number", "CALL 555-0147") == "555-0147"  # no time


@pytest.mark.parametrize(
    ("asked", "told", "edit"),
    [
        # seen in a --cli drive: "whats the phone number on the sign", then "blur it" blurred the whole photo
        ("whats the phone number on the sign", "", "blur it"),
        # seen in a --cli drive: the signs read, "which one has a phone number?" answered from the reading, then "blur
        # it on that one" blurred the whole sign
        ("what does the sign say?", "which one has a phone number?", "blur it on that one"),
    ],
)
def test_it_after_a_question_of_a_part_of_the_writing_is_that_part(tiny_tokenizer, tmp_path, asked, told, edit):
    runtime = ReadingRuntime("FOR RENT CALL 555-0147", (100, 40, 300, 140), FOR_RENT)
    session = ChatSession(Workspace(tmp_path / "ws"))
    llm = ScriptedLLM([])
    agent = Agent(llm, runtime, PromptTemplate.load("en"), tiny_tokenizer, context_length=4096)
    image = agent.introduce_image(session, Image.new("RGB", (400, 200), "white")).name
    llm.replies = [
        f"Thought: Do I need to use a tool? Yes\nAction: {READER}\nAction Input: {image}\nObservation:",
        DONE,
    ]
    agent.chat(session, asked)
    if told:  # answered from the reading, with no tool
        assert "The phone number is 555-0147" in agent.chat(session, told).text
    llm.replies, llm.prompts = (
        [
            f"Thought: Do I need to use a tool? Yes\nAction: {BLURRER}\nAction Input: {image}, 0, 0, 400, 200\nObservation:",
            DONE,
        ],
        [],
    )
    agent.chat(session, edit)
    assert runtime.calls[-1] == (BLURRER, f"{image}, 180, 90, 310, 150")


def test_her_face_too_after_the_number_was_blurred_blurs_her_face(tiny_tokenizer, tmp_path):
    """Seen in a session: the blur of the number read first, then "and her face too" ran Detection alone."""
    runtime = ReadingRuntime("FOR RENT CALL 555-0147", (100, 40, 300, 140), FOR_RENT)
    session = ChatSession(Workspace(tmp_path / "ws"))
    llm = ScriptedLLM([DONE])
    agent = Agent(llm, runtime, PromptTemplate.load("en"), tiny_tokenizer, context_length=4096)
    agent.introduce_image(session, Image.new("RGB", (400, 200), "white"))
    (blurred,) = agent.chat(session, "blur the phone number").files
    detect = f"Thought: Do I need to use a tool? Yes\nAction: Detection\nAction Input: {blurred}\nObservation:"
    # the model answers after the detection; the blur asked for opens, and the model writes its input
    llm.replies, llm.prompts = [detect, DONE, f" {blurred}, 0, 0, 8, 8\nObservation:", DONE], []
    reply = agent.chat(session, "and her face too")
    assert runtime.calls[-1] == (BLURRER, f"{blurred}, 0, 0, 8, 8") and reply.files


@pytest.mark.parametrize(
    ("request_text", "last_request", "last_tool", "expected"),
    [
        ("blur it", "whats the phone number on the sign", READER, "blur the phone number"),
        # seen in a --cli drive of two signs: the whole sign with the number was blurred
        ("blur it on that one", "which one has a phone number?", READER, "blur the phone number on that one"),
        ("can you crop to that please", "what are the hours?", READER, "can you crop to the hours please"),
        ("blur it", "what does the sign say?", READER, "blur it"),  # no part: the whole picture, as before
        ("blur it", "whats the phone number", "Detection", "blur it"),  # no reading
        ("blur it and rotate it", "whats the phone number on the sign", READER, "blur it and rotate it"),
    ],
)
def test_which_edits_of_it_take_the_part_read(request_text, last_request, last_tool, expected):
    assert the_part_read(request_text, last_request, last_tool) == expected


def test_the_words_asked_to_be_read_are_told_beside_the_edit(tiny_tokenizer, tmp_path):
    """Seen in a --cli drive: "can you read the sign and blur the phone number?" was answered with the blurred image
    alone, the words never told."""
    from agent.read_text import WORDS_READ

    runtime = ReadingRuntime("FOR RENT CALL 555-0147", (100, 40, 300, 140), FOR_RENT)
    done = "Thought: Do I need to use a tool? No\nAI: The blurred image is ready."
    reply, image = chat(
        tiny_tokenizer, tmp_path, runtime, "can you read the sign and blur the phone number?", [done] * 2
    )
    assert runtime.calls == [(READER, image), (BLURRER, f"{image}, 180, 90, 310, 150")]
    assert reply.text.endswith(WORDS_READ.format(words="FOR RENT CALL 555-0147"))
    # not asked to read: the words are not told
    reply, image = chat(tiny_tokenizer, tmp_path / "2", runtime, "blur the phone number", [done] * 2)
    assert "FOR RENT" not in reply.text


def test_a_part_the_reading_does_not_hold_is_said_and_nothing_is_edited(tiny_tokenizer, tmp_path):
    runtime = ReadingRuntime("FOR RENT", (100, 40, 260, 80), FOR_RENT[:2])
    reply, image = chat(tiny_tokenizer, tmp_path, runtime, "blur the phone number", [DONE, DONE])
    assert runtime.calls == [(READER, image)] and not reply.files
    assert reply.text.startswith(NO_PART.format(text="FOR RENT", image=image, part="phone number"))
    assert "Blur Region did not run: it needs a box" in reply.text


def test_a_part_read_but_not_placed_is_said_so(tiny_tokenizer, tmp_path):
    """Seen in a drive: 'I read "FOR RENT 'a e 555-0147" ... and found no phone number in it.' (the number was read,
    but not among the words the reader was sure enough of to place)."""
    from agent.text_region import UNPLACED_PART

    runtime = ReadingRuntime("FOR RENT 555-0147", (100, 40, 300, 140), FOR_RENT[:2])
    reply, image = chat(tiny_tokenizer, tmp_path, runtime, "blur the phone number", [DONE, DONE])
    said = UNPLACED_PART.format(text="FOR RENT 555-0147", image=image, part="phone number", words="555-0147")
    assert runtime.calls == [(READER, image)] and reply.text.startswith(said) and not reply.files


def test_where_the_writing_is_is_answered_from_the_readings_box(tiny_tokenizer, tmp_path):
    """Seen in a drive: "where is the text in the picture?" was answered with the words alone."""
    from agent.whereabouts import TEXT_PLACED

    runtime = ReadingRuntime("NO PARKING", (20, 20, 150, 60), ())
    session = ChatSession(Workspace(tmp_path / "ws"))
    llm = ScriptedLLM([])
    agent = Agent(llm, runtime, PromptTemplate.load("en"), tiny_tokenizer, context_length=4096)
    image = agent.introduce_image(session, Image.new("RGB", (400, 200), "white")).name
    said = "Thought: Do I need to use a tool? No\nAI: The text reads NO PARKING."
    llm.replies = [said, f" {image}\nObservation:", said]  # the answer before any reading is set aside
    reply = agent.chat(session, "where is the text in the picture?")
    assert runtime.calls == [(READER, image)]
    words = TEXT_PLACED.format(words="NO PARKING", place="at the top left", image="the picture", box="20, 20, 150, 60")
    assert reply.text == words


def test_a_reading_asked_after_the_edit_reads_the_result():
    """Seen in a drive: "blur the phone number, then read the sign" read, blurred and answered with no reading of
    the blurred sign (the edit's own reading ran before it)."""
    from agent.text_region import read_after_the_edit

    asked = "blur the phone number, then read the sign"
    assert read_after_the_edit(asked, [READER, BLURRER]) == READER
    assert read_after_the_edit(asked, [READER, BLURRER, READER]) is None  # read after the edit
    assert read_after_the_edit("read the sign and blur the phone number", [READER, BLURRER]) is None  # read first
    assert read_after_the_edit("blur the phone number", [READER, BLURRER]) is None
    assert read_after_the_edit("crop to the sign, then read it", [READER]) is None  # no edit ran yet


def test_a_reading_asked_before_the_edit_reads_what_the_edit_worked_on(tiny_tokenizer, tmp_path):
    """Seen in a --cli drive: "read the sign then crop her face" had the model find the face and crop it first; the
    reading, opened after, read the crop and found no text."""
    runtime = ReadingRuntime("OPEN 9 TO 5", (100, 40, 300, 80))
    session = ChatSession(Workspace(tmp_path / "ws"))
    llm = ScriptedLLM([])
    agent = Agent(llm, runtime, PromptTemplate.load("en"), tiny_tokenizer, context_length=4096)
    image = agent.introduce_image(session, Image.new("RGB", (400, 200), "white")).name
    step = "Thought: Do I need to use a tool? Yes\nAction: {tool}\nAction Input: {input}\nObservation:"
    llm.replies = [
        step.format(tool="Detection", input=image),
        step.format(tool=CROPPER, input=f"{image}, 0, 0, 8, 8"),
        DONE,  # answered before the reading asked for
        " image/made_crop.png\nObservation:",  # the reading's input, written as the crop
        "Thought: Do I need to use a tool? No\nAI: The sign reads OPEN 9 TO 5.",
    ]
    reply = agent.chat(session, "read the sign then crop her face")
    readings = [step.action_input for step in reply.steps if step.action == READER]
    assert readings == [image]  # the photo, not the crop
    assert read_before_the_edit("crop her face then read the sign", READER, reply.steps) is None  # read after


@pytest.mark.parametrize(
    ("request_text", "marked_box", "said"),
    [
        ("circle the phone number", (180, 90, 310, 150), 'the phone number ("555-0147")'),
        ("put a box around the text", (75, 15, 325, 165), "the text"),
    ],
)
def test_the_writing_asked_to_be_marked_is_boxed_on_a_copy(tiny_tokenizer, tmp_path, request_text, marked_box, said):
    """Seen in a drive: "put a box around the text" was answered that no tool draws."""
    from agent.marking import WRITING_MARKED

    runtime = ReadingRuntime("FOR RENT CALL 555-0147", (100, 40, 300, 140), FOR_RENT)
    session = ChatSession(Workspace(tmp_path / "ws"))
    llm = ScriptedLLM([])
    agent = Agent(llm, runtime, PromptTemplate.load("en"), tiny_tokenizer, context_length=4096)
    image = agent.introduce_image(session, Image.new("RGB", (400, 200), "white")).name
    reply = agent.chat(session, request_text)
    assert runtime.calls == [(READER, image)] and not llm.prompts  # the agent's own answer
    assert reply.text == WRITING_MARKED.format(text="FOR RENT CALL 555-0147", image=image, what=said)
    (copy,) = reply.files
    drawn = session.workspace.open_image(copy).convert("RGB")
    left, top, right, bottom = marked_box
    assert drawn.getpixel((left, (top + bottom) // 2)) != (255, 255, 255)  # the outline on the box's edge
    assert drawn.getpixel(((left + right) // 2, (top + bottom) // 2)) == (255, 255, 255)  # inside left as it was
    assert session.latest_image == image  # "it" is still the photo, not the marked copy


def test_a_part_to_mark_the_reading_does_not_hold_is_said(tiny_tokenizer, tmp_path):
    runtime = ReadingRuntime("FOR RENT", (100, 40, 260, 80), FOR_RENT[:2])
    reply, image = chat(tiny_tokenizer, tmp_path, runtime, "highlight the phone number", [])
    assert reply.text == NO_PART.format(text="FOR RENT", image=image, part="phone number") and not reply.files


def test_the_words_asked_about_beside_an_edit_are_told():
    """Seen in a --cli drive: "what's on the sign? and blur it" was answered with the blurred image alone."""
    from agent.loop import TraceStep
    from agent.read_text import WORDS_READ, words_untold

    steps = [
        TraceStep(1, "", "Text Detection On Image", "image/a.png", "OPEN 9 TO 5", True),
        TraceStep(2, "", "Blur Region", "image/a.png, 1, 2, 3, 4", "image/b_blur_a.png", True),
    ]
    answer = "The blurred image is ready: image/b_blur_a.png"
    said = words_untold(answer, "what's on the sign? and blur it", steps)
    assert said == WORDS_READ.format(words="OPEN 9 TO 5")
    assert words_untold(answer, "blur it", steps) == ""  # the words not asked for
