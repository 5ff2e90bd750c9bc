"""What a short word on a sign stands for: "what does SAT mean?" after a reading of store hours.

Asked so, the model answered "SAT is the SAT Subject Test." A sign's abbreviations are few and fixed (days, months,
times of day, street and business words), so a word read on the sign that is one of them is told in full, with the
words read; any other word is left to the model.
"""

from __future__ import annotations

import re

from agent.request_parts import OPENING

ABBREVIATIONS = {
    "mon": "Monday",
    "tue": "Tuesday",
    "tues": "Tuesday",
    "wed": "Wednesday",
    "thu": "Thursday",
    "thur": "Thursday",
    "thurs": "Thursday",
    "fri": "Friday",
    "sat": "Saturday",
    "sun": "Sunday",
    "jan": "January",
    "feb": "February",
    "mar": "March",
    "apr": "April",
    "jun": "June",
    "jul": "July",
    "aug": "August",
    "sep": "September",
    "sept": "September",
    "oct": "October",
    "nov": "November",
    "dec": "December",
    "am": "before noon (ante meridiem)",
    "pm": "after noon (post meridiem)",
    "hr": "hour",
    "hrs": "hours",
    "min": "minutes (or minimum)",
    "max": "maximum",
    "st": "street (or saint)",
    "ave": "avenue",
    "rd": "road",
    "blvd": "boulevard",
    "ln": "lane",
    "apt": "apartment",
    "tel": "telephone",
    "ph": "phone",
    "ext": "extension",
    "fl": "floor",
    "est": "established",
    "inc": "incorporated",
    "ltd": "limited",
    "dept": "department",
    "no": "number (or no)",
    "approx": "approximately",
    "qty": "quantity",
    "pcs": "pieces",
    "24/7": "open all day, every day",
}
MEANING = 'On the sign, "{word}" is short for {meaning} (the text reads "{words}").'

# The whole request asks what a word means: "what does SAT mean?", "what does 'hrs' stand for on the sign?"
_MEANING_QUESTION = re.compile(
    OPENING + r"what\s+(?:does|do|is)\s+[\"'“‘]?(?P<word>[\w/]+)\.?[\"'”’]?\s+(?:mean|stand\s+for|short\s+for)"
    r"(?:\s+(?:on|in)\s+(?:the|this|that|it)(?:\s+\w+)?)?(?:\s+please)?\s*[?.!]*\s*$",
    re.IGNORECASE,
)
_TOKEN = re.compile(r"24/7|[^\W\d_]+|\d+")  # "8AM" holds "AM"


def meaning_answer(request: str, words: str) -> str | None:
    """What the word ``request`` asks the meaning of stands for, when it is among the ``words`` read and is one of
    the sign abbreviations (:data:`ABBREVIATIONS`); else ``None``."""
    asked = _MEANING_QUESTION.match(request.strip())
    if asked is None:
        return None
    word = asked.group("word")
    read = {token.lower() for token in _TOKEN.findall(words)}
    meaning = ABBREVIATIONS.get(word.lower())
    if meaning is None or word.lower() not in read:
        return None
    return MEANING.format(word=word.upper(), meaning=meaning, words=words)
