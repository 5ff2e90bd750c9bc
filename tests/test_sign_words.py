"""What a short word on a sign stands for (agent/sign_words.py)."""

from __future__ import annotations

import pytest

from agent.sign_words import MEANING
from agent.word_questions import answer_about_words

HOURS = "STORE HOURS MON-FRI 8AM-6PM SAT 10AM-2 PM"


@pytest.mark.parametrize(
    ("request_text", "word", "meaning"),
    [
        ("what does SAT mean?", "SAT", "Saturday"),  # seen in a --cli drive: "SAT is the SAT Subject Test."
        ("what does 'fri' stand for on the sign?", "FRI", "Friday"),
        ("what does AM mean?", "AM", "before noon (ante meridiem)"),  # inside "8AM"
        ("what does CALL mean?", None, None),  # a word, not an abbreviation: the model's
        ("what does SUN mean?", None, None),  # not on the sign
        ("what does SAT mean and blur it", None, None),
    ],
)
def test_a_sign_abbreviation_asked_about_is_told_in_full(request_text, word, meaning):
    told = answer_about_words(request_text, HOURS)
    if word is None:
        assert told is None or "short for" not in told
    else:
        assert told == MEANING.format(word=word, meaning=meaning, words=HOURS)
