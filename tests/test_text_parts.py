"""The part of the writing a box edit names ("blur the phone number", "crop to the hours"): its words' box."""

from __future__ import annotations

import pytest

from agent.text_parts import around, asked_part, part_words
from tools.outputs import PlacedWord


def sign(*lines: str) -> list[PlacedWord]:
    """Words of a sign, 40 px wide and a gap apart, each line 60 px below the one before."""
    words = []
    for line, text in enumerate(lines):
        for index, word in enumerate(text.split()):
            words.append(PlacedWord(word, (50 * index, 60 * line, 50 * index + 40, 60 * line + 40), line))
    return words


def picked(request: str, *lines: str) -> str:
    return " ".join(word.text for word in part_words(request, sign(*lines)))


@pytest.mark.parametrize(
    ("request_text", "lines", "words"),
    [
        ("blur the phone number", ("FOR RENT", "CALL 555-0147"), "555-0147"),
        ("can you blur the phone number before i post this", ("LOST CAT", "CALL (555) 201 3344"), "(555) 201 3344"),
        ("blur the phone number", ("FLAT 12", "OPEN 9 TO 5"), ""),  # numbers, but too few digits for a phone
        ("crop to the hours", ("OPEN 9 TO 5", "MON TO FRI"), "9 TO 5"),
        ("crop to the opening times", ("OPEN 9:30 - 17:00",), "9:30 - 17:00"),
        ("crop to the hours", ("OPEN 24 HOURS",), "24 HOURS"),
        ("blur the days", ("OPEN 9 TO 5", "MON TO FRI"), "MON TO FRI"),
        # seen in a --cli drive: every run's hours were blurred
        ("blur the saturday hours", ("STORE HOURS", "MON-FRI 8AM-6PM", "SAT 10AM-2 PM"), "SAT 10AM-2 PM"),
        ("crop to the tuesday hours", ("STORE HOURS", "MON-FRI 8AM-6PM", "SAT 10AM-2 PM"), "MON-FRI 8AM-6PM"),
        ("crop the sunday hours", ("STORE HOURS", "MON-FRI 8AM-6PM", "SAT 10AM-2 PM"), ""),  # left out: none
        ("crop the weekday hours", ("STORE HOURS", "MON-FRI 8AM-6PM", "SAT 10AM-2 PM"), "MON-FRI 8AM-6PM"),
        ("crop the weekend hours", ("8AM-6PM MON-FRI", "10AM-2PM SAT", "SUN CLOSED"), "10AM-2PM SAT"),
        ("blur the saturday hours", ("OPEN DAILY 7AM-7PM",), "7AM-7PM"),  # one set of hours, every day
        ("blur the saturday hours", ("OPEN 9 TO 5", "MON TO FRI"), ""),  # not open on Saturdays
        ("blur the price", ("FRESH BREAD", "$3.50 A LOAF"), "$3.50"),
        ("blur the email", ("WRITE TO", "ana@example.org"), "ana@example.org"),
        ("crop to the website", ("VISIT", "www.example.org"), "www.example.org"),
        ("blur the word RENT", ("FOR RENT", "CALL 555-0147"), "RENT"),
        ("blur the word sale please", ("SUMMER SALE",), "SALE"),
        ('crop to "fresh bread"', ("FRESH BREAD", "DAILY"), "FRESH BREAD"),
        ("crop to 'DAILY'", ("FRESH BREAD", "DAILY"), "DAILY"),
        ("crop to the second line", ("NO PARKING", "TOW AWAY ZONE"), "TOW AWAY ZONE"),
        ("blur the bottom line", ("NO PARKING", "TOW AWAY ZONE"), "TOW AWAY ZONE"),
        ("crop to the third line", ("NO PARKING", "TOW AWAY ZONE"), ""),
        ("crop to the sign", ("NO PARKING", "TOW AWAY ZONE"), "NO PARKING TOW AWAY ZONE"),  # no part: all of it
        ("blur the words on the sign", ("MAIN STREET",), "MAIN STREET"),  # "on" names no word
        ("don't crop what's left of the sign", ("MAIN STREET",), "MAIN STREET"),  # apostrophes quote nothing
    ],
)
def test_the_part_a_request_names_is_found_among_the_words_read(request_text, lines, words):
    assert picked(request_text, *lines) == words


@pytest.mark.parametrize(
    ("request_text", "part"),
    [
        ("blur the phone number", "phone number"),
        ("blur the word sale", '"SALE"'),
        ("crop to the first line", "first line"),
        ("crop to the hours", "hours"),
        ("crop to the sign", None),
        ("blur it one more time", None),  # "time" is no opening time
    ],
)
def test_what_part_a_request_names(request_text, part):
    assert asked_part(request_text) == part


def test_the_box_of_a_part_holds_its_words_only():
    words = part_words("blur the phone number", sign("LOST CAT", "CALL (555) 201 3344"))
    assert around(words) == (50, 60, 190, 100)
    assert around([]) is None
