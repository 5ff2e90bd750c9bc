"""Questions about the words a reading found, answered from those words (agent/word_questions.py)."""

from __future__ import annotations

import pytest
from PIL import Image

from agent.loop import Agent, ChatSession
from agent.read_text import NOT_RELIABLY
from agent.text_region import every_word_placed
from agent.word_questions import (
    COUNTED,
    LINE_READ,
    LINES_COUNTED,
    LINES_UNKNOWN,
    NTH_WORD,
    READ_AGAIN,
    SAYS_NO,
    SAYS_YES,
    TOO_FEW_WORDS,
    answer_about_lines,
    answer_about_words,
)
from protocol.prompt import PromptTemplate
from tests.agent_fakes import FakeRuntime, ScriptedLLM
from tests.session_fakes import answer, call
from tools.outputs import Box, PlacedWord
from tools.workspace import Workspace

WORDS = "-based segmentation of the coins"


def reading_agent(tiny_tokenizer, tmp_path, words: str, other: str, size: tuple[int, int] = (8, 8)):
    """An agent over a scripted model whose reading tool reads ``words`` (``other`` the second tool loaded), its
    session and an upload of ``size``."""
    from tools.runtime import Observation

    runtime = FakeRuntime(names=("Text Detection On Image", other))
    run = runtime.run
    runtime.run = lambda tool, argument, workspace: (
        Observation(words, True, (), 0.01) if tool == "Text Detection On Image" else run(tool, argument, workspace)
    )
    llm = ScriptedLLM([])
    agent = Agent(llm, runtime, PromptTemplate.load("en"), tiny_tokenizer, context_length=4096)
    session = ChatSession(Workspace(tmp_path / "ws"))
    return agent, llm, session, agent.introduce_image(session, Image.new("RGB", size, "white")).name


@pytest.mark.parametrize(
    ("request_text", "expected"),
    [
        ("what's the first word?", NTH_WORD.format(ordinal="first", word="based", words=WORDS)),
        ("and the LAST word?", NTH_WORD.format(ordinal="last", word="coins", words=WORDS)),
        ("what is the third word", NTH_WORD.format(ordinal="third", word="of", words=WORDS)),
        ("what does the sign say now", None),  # seen in a drive: 'No: the text reads ...' (it does not say "now")
        # seen in a drive: 'The 3rd word is "word".'
        ("what's the 3rd word", NTH_WORD.format(ordinal="3rd", word="of", words=WORDS)),
        ("how many words are there?", COUNTED.format(count=5, unit="words", words=WORDS)),
        # seen in a --cli drive: "It has 1100 words."
        ("how many words is that?", COUNTED.format(count=5, unit="words", words=WORDS)),
        ("how many words in total?", COUNTED.format(count=5, unit="words", words=WORDS)),
        ("how many letters does it have?", COUNTED.format(count=27, unit="letters", words=WORDS)),
        # seen in a drive: "how many lines of text are there" was answered 11000
        ("how many lines of text are there", LINES_UNKNOWN.format(words=WORDS, count=5)),
        ("what did it say?", READ_AGAIN.format(words=WORDS)),
        ("is it in english?", NOT_RELIABLY.format(words=WORDS, task="tell its language")),
        ("translate it to french", NOT_RELIABLY.format(words=WORDS, task="translate it")),
        ("now rotate it by 90 degrees", None),
        ("what colour is the sign?", None),
        ("how many letters are in the word 'lantern'?", None),  # a word the question names
        ("what's the first word of the Gettysburg Address?", None),
        # seen in a drive: 'Yes, it says "Do I need to use a tool?"'
        ("does it say segmentation of the coins?", SAYS_YES.format(words=WORDS)),
        ('does the page say "watershed"?', SAYS_NO.format(words=WORDS)),
    ],
)
def test_questions_about_the_words_read(request_text, expected):
    assert answer_about_words(request_text, WORDS) == expected


@pytest.mark.parametrize(
    ("request_text", "words", "forbidden"),
    [
        ("is parking allowed here?", "NO PARKING TOW AWAY ZONE", True),  # seen in a drive: 'The image shows "..."'
        ("can I park here?", "NO PARKING TOW AWAY ZONE", True),
        ("am I allowed to smoke here?", "NO SMOKING", True),
        ("can I park here?", "PARKING 2 HOURS", False),  # no "no" before it: the words alone cannot say
        ("can I smoke here?", "NO PARKING", False),
        ("can we go?", "NO GOING BACK", False),  # too short a word to match
        # seen in a --cli drive: declined as a question about the picture
        ("is it ok to bring my dog?", "FOR RENT CALL 555-0147 NO PETS", True),
        ("can I bring my dog in?", "NO PETS", True),
        ("is it ok to eat here?", "NO FOOD OR DRINK", True),
        ("can I bring my cat?", "NO DOGS", False),
        ("can pets live there?", "FOR RENT CALL 555-0147 NO PETS", True),  # seen in a --cli drive: the text alone
        ("can dogs stay here?", "NO PETS", True),
        ("can they live there?", "NO PETS", False),
        ("can i have pets?", "FOR RENT CALL 555-0147 NO PETS", True),  # seen in a --cli drive: "Yes, I don't have pets"
        ("are dogs allowed?", "FOR RENT CALL 555-0147 NO PETS", True),
    ],
)
def test_a_sign_that_says_no_to_what_is_asked_answers_no(request_text, words, forbidden):
    told = answer_about_words(request_text, words)
    assert (told == SAYS_NO.format(words=words)) is forbidden


def test_a_sign_that_forbids_other_things_says_nothing_of_what_is_asked():
    """Seen in a --cli drive: "is it allowed to smoke there?" of a sign that says "NO PETS" was told the words alone."""
    from agent.word_questions import NOT_SAID

    words = "FOR RENT CALL 555-0147 NO PETS"
    assert answer_about_words("is it allowed to smoke there?", words) == NOT_SAID.format(words=words)
    assert answer_about_words("can I smoke here?", "NO PARKING") == NOT_SAID.format(words="NO PARKING")
    assert answer_about_words("can I park here?", "PARKING 2 HOURS") is None  # forbids nothing: the words alone


def test_what_a_sign_offers_is_told_for_sale_or_rent():
    """Seen in a --cli drive: "is it for sale?" of a FOR RENT sign was answered with the words alone."""
    from agent.word_questions import IS_FOR, NOT_FOR, SAYS_YES

    words = "FOR RENT CALL 555-0147 NO PETS"
    assert answer_about_words("is it for sale?", words) == NOT_FOR.format(offered="rent", words=words)
    assert answer_about_words("is it for rent?", words) == SAYS_YES.format(words=words)
    assert answer_about_words("is the flat for sale or rent?", words) == IS_FOR.format(offered="rent", words=words)
    assert answer_about_words("is it for sale?", "OPEN 9 TO 5") is None  # the sign offers nothing: not told


def test_the_area_code_of_the_number_read_is_told():
    """Seen in a --cli drive: "whats the area code" of "CALL 555-0147" was answered with the words alone."""
    from agent.read_text import asks_about_writing
    from agent.word_questions import AREA_CODE, NO_AREA_CODE

    told = answer_about_words("whats the area code", "FOR RENT CALL 555-0147 NO PETS")
    assert told == NO_AREA_CODE.format(number="555-0147", digits=7)
    told = answer_about_words("what's the area code?", "LOST CAT CALL (555) 201 3344")
    assert told == AREA_CODE.format(code="555", number="(555) 201 3344")
    assert answer_about_words("what's the area code?", "OPEN 9 TO 5") is None  # no phone number: not told
    assert asks_about_writing("what's the area code?")


def test_a_word_past_the_end_says_how_many_there_are():
    assert answer_about_words("what's the fifth word?", "NO PARKING") == TOO_FEW_WORDS.format(
        count=2, s="s", words="NO PARKING"
    )
    assert answer_about_words("the second word?", "STOP") == TOO_FEW_WORDS.format(count=1, s="", words="STOP")


def test_the_first_word_after_a_reading_is_answered_from_it(tiny_tokenizer, tmp_path):
    """Seen in a drive: after "read it", "what's the first word?" was answered 'The word "word" is not loaded, and no
    loaded tool can answer questions about an image'."""
    from tools.runtime import Observation

    runtime = FakeRuntime(names=("Text Detection On Image", "Rotate Image"))
    run = runtime.run
    runtime.run = lambda tool, argument, workspace: (
        Observation("OPEN 24 HOURS", True, (), 0.01)
        if tool == "Text Detection On Image"
        else run(tool, argument, workspace)
    )
    llm = ScriptedLLM([])
    agent = Agent(llm, runtime, PromptTemplate.load("en"), tiny_tokenizer, context_length=4096)
    session = ChatSession(Workspace(tmp_path / "ws"))
    sign = agent.introduce_image(session, Image.new("RGB", (8, 8), "white")).name
    llm.replies = [call("Text Detection On Image", sign), answer('The sign says "OPEN 24 HOURS".')]
    agent.chat(session, "read it")
    prompts = len(llm.prompts)
    reply = agent.chat(session, "what's the first word?")
    assert reply.text == NTH_WORD.format(ordinal="first", word="OPEN", words="OPEN 24 HOURS")
    assert len(llm.prompts) == prompts and not reply.steps  # the model was not asked
    llm.replies = [*llm.prompts, call("Rotate Image", f"{sign}, 90"), answer("Rotated.")]  # replies by prompt count
    agent.chat(session, "rotate it by 90 degrees")
    rotated = session.latest_image
    llm.replies = [*llm.prompts, answer("The first word is STOP."), f" {rotated}\nObservation:", answer("STOP.")]
    reply = agent.chat(session, "what's the first word?")  # the rotated image was not read: it is read now
    assert [step.action for step in reply.steps] == ["Text Detection On Image"]
    assert reply.steps[0].action_input == rotated != sign
    assert reply.text == NTH_WORD.format(ordinal="first", word="OPEN", words="OPEN 24 HOURS")


def test_the_language_of_a_sign_not_read_yet_is_read_first():
    """Seen in a drive: "is this sign in english?" was declined as a question about the picture."""
    from agent.read_text import READER, unread_writing, with_read_text

    for request in ("is this sign in english?", "what language is the menu in?"):
        assert unread_writing(request, [], [READER]) == READER
        assert with_read_text("Yes.", READER, "OPEN DAILY", request) == NOT_RELIABLY.format(
            words="OPEN DAILY", task="tell its language"
        )


def test_a_question_of_the_words_before_any_reading_reads_then_answers(tiny_tokenizer, tmp_path):
    """Seen in a drive: "how many words are on this page?" was declined as a question about the picture, then read
    with the answer still declining."""
    from tools.runtime import Observation

    runtime = FakeRuntime(names=("Text Detection On Image", "Detection"))
    runtime.run = lambda tool, argument, workspace: Observation("OPEN 24 HOURS", True, (), 0.01)
    llm = ScriptedLLM([])
    agent = Agent(llm, runtime, PromptTemplate.load("en"), tiny_tokenizer, context_length=4096)
    session = ChatSession(Workspace(tmp_path / "ws"))
    agent.introduce_image(session, Image.new("RGB", (8, 8), "white"))
    llm.replies = [answer("I can't see images myself."), " image\nObservation:", answer("I can't see images myself.")]
    reply = agent.chat(session, "how many words are on this page?")
    assert [step.action for step in reply.steps] == ["Text Detection On Image"]
    assert reply.text == COUNTED.format(count=3, unit="words", words="OPEN 24 HOURS")


HOURS_PLACED = tuple(
    PlacedWord(text, (left, 20 + 40 * line, left + 30, 50 + 40 * line), line)
    for text, left, line in (
        ("STORE", 10, 0),
        ("HOURS", 50, 0),
        ("MON-FRI", 10, 1),
        ("8AM-6PM", 60, 1),
        ("SAT", 10, 2),
        ("10AM-2PM", 50, 2),
    )
)


@pytest.mark.parametrize(
    ("request_text", "expected"),
    [
        # seen in a --cli drive: "The reading gives the words without their line breaks, so I can't count the lines."
        (
            "how many lines of text are there?",
            LINES_COUNTED.format(count=3, s="s", lines='"STORE HOURS", "MON-FRI 8AM-6PM", "SAT 10AM-2PM"'),
        ),
        # seen in a --cli drive: every word read again
        ("read me just the first line", LINE_READ.format(place="first", line="STORE HOURS")),
        ("what does the last line say?", LINE_READ.format(place="last", line="SAT 10AM-2PM")),
        ("what's on the second line?", LINE_READ.format(place="second", line="MON-FRI 8AM-6PM")),
        ("blur the second line", None),  # an edit of the line, not a question
        ("what's the first word?", None),  # of the words: answered from them
    ],
)
def test_a_question_of_the_lines_is_answered_from_the_placed_words(request_text, expected):
    assert answer_about_lines(request_text, HOURS_PLACED) == expected


def test_the_lines_of_a_reading_are_kept_only_when_it_placed_every_word():
    words = "STORE HOURS MON-FRI 8AM-6PM SAT 10AM-2PM"
    assert every_word_placed(words, [Box("text", 1.0, (0, 0, 9, 9)), *HOURS_PLACED]) == HOURS_PLACED
    assert every_word_placed(words, HOURS_PLACED[:-1]) == ()  # a word it was not sure of: no lines to count
    assert every_word_placed(words, None) == ()


def test_the_lines_of_the_last_reading_answer_a_later_turn(tiny_tokenizer, tmp_path):
    from tests.test_text_region import READER, ReadingRuntime

    words = "STORE HOURS MON-FRI 8AM-6PM SAT 10AM-2PM"
    runtime = ReadingRuntime(words, (10, 20, 80, 130), HOURS_PLACED)
    llm = ScriptedLLM([])
    agent = Agent(llm, runtime, PromptTemplate.load("en"), tiny_tokenizer, context_length=4096)
    session = ChatSession(Workspace(tmp_path / "ws"))
    image = agent.introduce_image(session, Image.new("RGB", (120, 160), "white")).name
    llm.replies = [call(READER, image), answer(f"It reads {words}.")]
    agent.chat(session, "what does this sign say?")
    llm.prompts = []
    assert agent.chat(session, "read me just the first line").text == LINE_READ.format(
        place="first", line="STORE HOURS"
    )
    assert agent.chat(session, "how many lines of text are there?").text.startswith("The text has 3 lines")
    assert llm.prompts == []


def test_a_line_asked_for_before_any_reading_is_answered_after_it(tiny_tokenizer, tmp_path):
    from tests.test_text_region import READER, ReadingRuntime

    words = "STORE HOURS MON-FRI 8AM-6PM SAT 10AM-2PM"
    runtime = ReadingRuntime(words, (10, 20, 80, 130), HOURS_PLACED)
    llm = ScriptedLLM([])
    agent = Agent(llm, runtime, PromptTemplate.load("en"), tiny_tokenizer, context_length=4096)
    session = ChatSession(Workspace(tmp_path / "ws"))
    image = agent.introduce_image(session, Image.new("RGB", (120, 160), "white")).name
    llm.replies = [call(READER, image), answer(f"It reads {words}.")]
    reply = agent.chat(session, "what does the last line of the sign say?")
    assert reply.text == LINE_READ.format(place="last", line="SAT 10AM-2PM")


def test_the_words_before_an_edit_are_those_read_on_the_older_version(tiny_tokenizer, tmp_path):
    """Seen in a --cli drive: after "blur the phone number", "what did the sign say before you blurred it?" read the
    blurred copy ("OPEN 9 TO 5 CALL") and answered with it."""
    from agent.word_questions import BEFORE_THE_EDITS

    agent, llm, session, image = reading_agent(
        tiny_tokenizer, tmp_path, "OPEN 9 TO 5 CALL 555-0147", "Blur Region", (80, 40)
    )
    llm.replies = [call("Text Detection On Image", image), answer("It reads OPEN 9 TO 5 CALL 555-0147.")]
    agent.chat(session, "read the sign")
    llm.replies, llm.prompts = [call("Blur Region", f"{image}, 0, 20, 80, 40"), answer("Done.")], []
    agent.chat(session, "blur the bottom half")
    llm.prompts = []
    reply = agent.chat(session, "what did the sign say before you blurred it?")
    told = READ_AGAIN.format(words="OPEN 9 TO 5 CALL 555-0147")
    assert reply.text == BEFORE_THE_EDITS.format(image=image, told=told) and llm.prompts == []


def test_a_part_of_the_sign_asked_after_a_crop_is_the_one_read_before_it(tiny_tokenizer, tmp_path):
    """Seen in the session run: after "read the sign then crop her face", "what's the phone number?" read the face's
    crop and answered "There is no readable text"."""
    from agent.word_questions import BEFORE_THE_EDITS, PART_READ

    words = "FOR RENT CALL 555-0147"
    agent, llm, session, image = reading_agent(tiny_tokenizer, tmp_path, words, "Crop Image", (80, 40))
    llm.replies = [call("Text Detection On Image", image), answer(f"It reads {words}.")]
    agent.chat(session, "read the sign")
    llm.replies, llm.prompts = [call("Crop Image", f"{image}, 0, 0, 40, 20"), answer("Done.")], []
    agent.chat(session, "crop the top left quarter")
    llm.prompts = []
    reply = agent.chat(session, "what's the phone number?")
    told = PART_READ.format(part="phone number", verb="is", found="555-0147", words=words)
    assert reply.text == BEFORE_THE_EDITS.format(image=image, told=told) and llm.prompts == []


def test_what_a_sign_allows_is_answered_from_its_reading_before_a_blur(tiny_tokenizer, tmp_path):
    """Seen in a --cli drive: after "blur the number on it", "are pets allowed?" ran Detection on the blur."""
    words = "FOR RENT CALL 555-0147 NO PETS"
    agent, llm, session, image = reading_agent(tiny_tokenizer, tmp_path, words, "Blur Region", (80, 40))
    llm.replies = [call("Text Detection On Image", image), answer(f"It reads {words}.")]
    agent.chat(session, "read the sign")
    llm.replies, llm.prompts = [call("Blur Region", f"{image}, 0, 20, 80, 40"), answer("Done.")], []
    agent.chat(session, "blur the bottom half")
    llm.prompts = []
    assert agent.chat(session, "are pets allowed?").text == SAYS_NO.format(words=words) and llm.prompts == []


def test_a_part_of_the_request_about_the_words_is_answered_from_the_reading():
    """Seen in a plan drive: "read the sign and tell me if I can park here" was answered with the words alone."""
    from agent.findings import held_to_findings

    request = "read the sign and tell me if I can park here"
    told = held_to_findings('The text reads "NO PARKING".', request, "Text Detection On Image", "NO PARKING")
    assert told == SAYS_NO.format(words="NO PARKING")
    kept = held_to_findings('The text reads "NO PARKING".', "read the sign", "Text Detection On Image", "NO PARKING")
    assert kept == 'The text reads "NO PARKING".'


@pytest.mark.parametrize(
    ("request_text", "words", "expected"),
    [
        # seen in a drive: "The sign is missing: LOST CAT CALL (555) 201 3344."
        ("what's the phone number on this sign?", "LOST CAT CALL (555) 201 3344", "The phone number is (555) 201 3344"),
        ("what number do I call?", "FOR RENT CALL 555-0147", "The phone number is 555-0147"),
        ("who do i call?", "FOR RENT CALL 555-0147", "The phone number is 555-0147"),  # seen in a drive: refused
        ("how can we contact them?", "FOR RENT CALL 555-0147", "The phone number is 555-0147"),
        ("how much does it cost?", "FRESH BREAD $3.50 A LOAF", "The price is $3.50"),
        ("what days are they open?", "OPEN 9 TO 5 MON TO FRI", "The days are MON TO FRI"),
        ("what's their website?", "VISIT www.example.org TODAY", "The web address is www.example.org"),
    ],
)
def test_a_question_for_a_part_of_the_writing_is_answered_with_its_words(request_text, words, expected):
    assert answer_about_words(request_text, words) == f'{expected} (the text reads "{words}").'


def test_a_part_the_words_do_not_hold_is_said_missing_and_edits_are_no_questions():
    # seen in a drive: "how much is the bread?" was answered "There is 1000 grams of bread in the bread basket."
    assert answer_about_words("how much is the bread?", "FRESH BREAD DAILY") == (
        'The text reads "FRESH BREAD DAILY", with no price in it.'
    )
    assert answer_about_words("how much is the discount?", "SALE 50% OFF") is None  # no price: the words decide
    assert answer_about_words("blur the phone number", "FOR RENT CALL 555-0147") is None  # an edit, not a question


def test_the_number_asked_again_after_it_was_blurred_is_from_the_fullest_reading():
    """Seen in a --cli drive: after "blur her face and the phone number" and "now crop to the sign", "what's the
    number again?" was answered "The number are 9 5" from the reading of the sign with the number blurred."""
    from agent.word_questions import BEFORE_THE_EDITS, part_read_before_the_edits

    read = {"image/face_blurred.png": "OPEN 9 TO 5 CALL 555-0147", "image/number_blurred.png": "OPEN 9 TO 5 CALL"}
    chain = ["image/crop.png", "image/number_blurred.png", "image/face_blurred.png", "image/photo.png"]
    told = part_read_before_the_edits("what's the number again?", read.get, chain)
    expected = 'The number is 555-0147 (the text reads "OPEN 9 TO 5 CALL 555-0147").'
    assert told == BEFORE_THE_EDITS.format(image="image/face_blurred.png", told=expected)
    # seen in a --cli drive: the blurred sign itself read since ("now crop the phone number" found none in it)
    read["image/crop.png"] = "OPEN 9 TO 5 CALL"
    assert part_read_before_the_edits("whats the number again", read.get, chain) == told
    read["image/crop.png"] = "OPEN 9 TO 5 CALL 555-0147"  # every word kept: the newest reading answers
    assert part_read_before_the_edits("whats the number again", read.get, chain) is None
    numbers = answer_about_words("what are the numbers?", "OPEN 9 TO 5")  # no phone number: each number
    assert numbers == 'The numbers are 9 5 (the text reads "OPEN 9 TO 5").'


def test_a_number_asked_again_is_from_the_reading_before_it_was_blurred_turns_ago(tiny_tokenizer, tmp_path):
    """Seen in a --cli drive: the sign read, its phone number blurred, the sign read again and cropped; "what's the
    number again?" answered "The number are 9 5" from the later reading (the first one was no longer kept)."""
    from agent.word_questions import BEFORE_THE_EDITS, PART_READ
    from tools.runtime import Observation

    words = ["OPEN 9 TO 5 CALL 555-0147"]
    agent, llm, session, image = reading_agent(tiny_tokenizer, tmp_path, "", "Blur Region", (80, 40))
    run = FakeRuntime.run.__get__(agent.runtime)
    agent.runtime.run = lambda tool, argument, workspace: (
        Observation(words[0], True, (), 0.01) if tool == "Text Detection On Image" else run(tool, argument, workspace)
    )
    llm.replies = [call("Text Detection On Image", image), answer(f"It reads {words[0]}.")]
    agent.chat(session, "read the sign")
    llm.replies += [call("Blur Region", f"{image}, 0, 20, 80, 40"), answer("Done.")]
    (blurred,) = agent.chat(session, "blur the bottom half").files
    words[0] = "OPEN 9 TO 5 CALL"
    llm.replies += [call("Text Detection On Image", blurred), answer("It reads OPEN 9 TO 5 CALL.")]
    agent.chat(session, "read it again")
    llm.replies += [call("Blur Region", f"{blurred}, 0, 0, 40, 20"), answer("Done.")]
    agent.chat(session, "blur the top left quarter")
    prompts = len(llm.prompts)
    reply = agent.chat(session, "what's the number again?")
    told = PART_READ.format(part="number", verb="is", found="555-0147", words="OPEN 9 TO 5 CALL 555-0147")
    assert reply.text == BEFORE_THE_EDITS.format(image=image, told=told) and len(llm.prompts) == prompts


def test_two_questions_of_the_words_are_both_answered():
    """Seen in a --cli drive: "what's the phone number and what time do they open?" was answered "They open at 9"
    alone."""
    words = "OPEN 9 TO 5 CALL 555-0147"
    told = answer_about_words("what's the phone number and what time do they open?", words)
    assert told == (
        f'The phone number is 555-0147 (the text reads "{words}"). They open at 9: the sign reads "{words}".'
    )
    mixed = answer_about_words("what's the phone number and how are you?", words)  # the second is not of the words
    assert mixed == f'The phone number is 555-0147 (the text reads "{words}").'


def test_a_line_of_the_writing_asked_of_a_resized_sign_is_read_not_drawn(tiny_tokenizer, tmp_path):
    """Seen in a --cli drive: "what does the second line say?" of a sign made bigger ran Line Detection On Image (the
    straight lines) and answered with its map."""
    from tools.runtime import Observation

    runtime = FakeRuntime(names=("Text Detection On Image", "Line Detection On Image", "Resize Image"))
    run = runtime.run
    runtime.run = lambda tool, argument, workspace: (
        Observation("FOR RENT CALL 555-0147", True, (), 0.01)
        if tool == "Text Detection On Image"
        else run(tool, argument, workspace)
    )
    llm = ScriptedLLM([])
    agent = Agent(llm, runtime, PromptTemplate.load("en"), tiny_tokenizer, context_length=4096)
    session = ChatSession(Workspace(tmp_path / "ws"))
    image = agent.introduce_image(session, Image.new("RGB", (40, 20), "white")).name
    llm.replies = [call("Resize Image", f"{image}, 80, 40"), answer("Done.")]
    (bigger,) = agent.chat(session, "make it twice as big").files
    llm.replies += [call("Line Detection On Image", bigger), answer("Here are the lines.")]
    reply = agent.chat(session, "what does the second line say?")
    assert [step.action for step in reply.steps] == ["Text Detection On Image"] and not reply.files


def test_the_letters_of_a_word_asked_by_its_place_are_counted():
    """Seen in a --cli drive: "how many letters in the last word?" was answered with the word alone."""
    from agent.word_questions import WORD_LETTERS

    words = "FOR RENT CALL 555-0147 NO PETS"
    told = answer_about_words("how many letters in the last word?", words)
    assert told == WORD_LETTERS.format(ordinal="last", word="PETS", count=4, s="s", words=words)
    assert answer_about_words("what's the last word?", words) == NTH_WORD.format(
        ordinal="last", word="PETS", words=words
    )


def test_blur_everything_except_the_phone_number_is_no_blur_of_the_number(tiny_tokenizer, tmp_path):
    """Seen in a --cli drive: "blur everything except the phone number" read the sign and blurred the number alone."""
    from agent.capabilities import NO_BLUR_ALL_BUT

    agent, llm, session, _ = reading_agent(tiny_tokenizer, tmp_path, "FOR RENT CALL 555-0147", "Blur Region")
    reply = agent.chat(session, "blur everything except the phone number")
    assert reply.text == NO_BLUR_ALL_BUT and not reply.files and llm.prompts == []


def test_opening_hours_are_told_from_the_other_sign_read(tiny_tokenizer, tmp_path):
    """Seen in a --cli drive: both signs were read, the rental sign blurred, and "what time do they open on
    saturday?" read the blurred rental sign and found no text; the store's hours had been read."""
    from tools.runtime import Observation

    hours = "STORE HOURS MON-FRI 8AM-6PM SAT 10AM-2PM"
    agent, llm, session, store = reading_agent(tiny_tokenizer, tmp_path, hours, "Blur Region")
    rental = agent.introduce_image(session, Image.new("RGB", (8, 8), "white")).name
    run = agent.runtime.run
    agent.runtime.run = lambda tool, argument, workspace: (
        Observation("FOR RENT CALL 555-0147", True, (), 0.01) if argument == rental else run(tool, argument, workspace)
    )
    reader = "Text Detection On Image"
    llm.replies = [call(reader, store), answer("Read."), call(reader, rental), answer("Read.")]
    agent.chat(session, "read the first sign")
    agent.chat(session, "read the second sign")
    llm.replies += [call("Blur Region", f"{rental}, 0, 0, 8, 8"), answer("Done.")]
    (blurred,) = agent.chat(session, "blur it").files
    assert session.latest_image == blurred
    prompts = len(llm.prompts)
    told = agent.chat(session, "what time do they open on saturday?").text
    assert told.startswith(f"{store}: They open at 10 am on Saturdays") and len(llm.prompts) == prompts


def test_a_new_sign_not_read_yet_is_read_for_its_hours(tiny_tokenizer, tmp_path):
    """Seen in a --cli drive: after one sign was read, a second was uploaded and "is it open at 9am?" was answered from
    the first sign's words; the new sign is read."""
    from tools.runtime import Observation

    agent, llm, session, first = reading_agent(tiny_tokenizer, tmp_path, "OPEN 9 TO 5 CALL 555-0147", "Detection")
    reader = "Text Detection On Image"
    llm.replies = [call(reader, first), answer("Read.")]
    agent.chat(session, "is it open at 6?")
    second = agent.introduce_image(session, Image.new("RGB", (8, 8), "white")).name
    run = agent.runtime.run
    hours = "STORE HOURS MON-FRI 8AM-6PM SAT 10AM-2 PM"
    agent.runtime.run = lambda tool, argument, workspace: (
        Observation(hours, True, (), 0.01) if argument == second else run(tool, argument, workspace)
    )
    llm.replies += [call(reader, second), answer("Read.")]
    reply = agent.chat(session, "is it open at 9am?")
    assert [(step.action, step.action_input) for step in reply.steps] == [(reader, second)]
    assert reply.text.startswith("It depends on the day: at 9am they are open Monday to Friday")


def test_translate_it_of_a_picture_reads_its_writing(tiny_tokenizer, tmp_path):
    """Seen in a --cli drive: "translate it to german" of a sign was taken as words alone and the model made up a
    translation; with a picture in the conversation, "it" is its writing. After words the model wrote, "it" is those
    words."""
    from agent.read_text import as_the_writing

    words = "FOR RENT CALL 555-0147 NO PETS"
    agent, llm, session, sign = reading_agent(tiny_tokenizer, tmp_path, words, "Detection")
    llm.replies = [answer('"Hinterläfte" in German is "Hinterläfte".'), f" {sign}\nObservation:", answer("Read.")]
    reply = agent.chat(session, "translate it to german")
    assert [step.action for step in reply.steps] == ["Text Detection On Image"]
    assert reply.text == NOT_RELIABLY.format(words=words, task="translate it")
    assert as_the_writing("translate it to german") == "translate the writing to german"
    assert as_the_writing("translate the poem") == "translate the poem"
    session.turn_request = "write me a haiku about rain"  # the last turn was words alone: "it" is those
    assert agent.taken_up(session, "translate it to french") == "translate it to french"
