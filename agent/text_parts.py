"""The part of the writing a box edit names: "blur the phone number", "crop to the hours", "blur the word SALE".

The reading tool places each word it is sure of (``tools.outputs.PlacedWord``), so a crop or blur of one part of a
sign takes the box around that part's words, not the whole text's. A part that the reading does not hold is said
so ("I read ... and found no phone number in it"): the whole sign is never edited in its place. A question for a
part ("what's the phone number?") is answered with its words from the reading's text (:func:`part_text`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from agent.timetable import DAYS, day_run_span, sign_days
from tools.outputs import PlacedWord

Words = Sequence[PlacedWord]
Texts = Sequence[str]

_DIGIT = re.compile(r"\d")
_NUMBERISH = re.compile(r"^[+(]?[\d()./\-–]*\d[\d()./\-–]*$")
# a time, or two joined as one word ("8AM-6PM", "10AM-2" before "PM")
_TIME = re.compile(r"^\d{1,2}(?:[:.]\d{2})?(?:am|pm|h)?(?:[-–]\d{1,2}(?:[:.]\d{2})?(?:am|pm|h)?)?$", re.IGNORECASE)
_TIME_WORDS = frozenset({"am", "pm", "a.m.", "p.m.", "hours", "hrs", "noon", "midnight"})
_DAYS = re.compile(
    r"^(?:mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)(?:day)?s?\.?$|^(?:daily|weekdays|weekends?|today|tomorrow)$",
    re.IGNORECASE,
)
_LINKS = frozenset({"to", "-", "–", "till", "until", "til", "and", "&"})  # between two times or two days
_PRICE = re.compile(r"^[$£€¥]\d|\d[$£€¥]$|^\d+[.,]\d{2}$")
_EMAIL = re.compile(r"\S@\S")
_WEBSITE = re.compile(r"^(?:https?://|www\.)|\.(?:com|org|net|co|io|uk|de|fr|info|shop)(?:/\S*)?$", re.IGNORECASE)
PHONE_DIGITS = 6  # a run of numbers with fewer digits is a house number or a price, not a phone number
_ORDINALS = {"first": 0, "top": 0, "second": 1, "third": 2, "last": -1, "bottom": -1}
LINE = re.compile(rf"\b({'|'.join(_ORDINALS)})\s+line\b", re.IGNORECASE)
# Quoted words ("blur 'SALE'", 'crop to "FRESH BREAD"'; an apostrophe is no quote), or "the word sale" and "the
# words FRESH BREAD" (more than one word when typed in capitals, as a sign has them)
_QUOTED = re.compile(r"[\"“]([^\"”\n]+)[\"”]|(?<!\w)'([^'\n]+)'(?!\w)")
_NOT_NAMED = r"(?:on|in|of|at|from|to|please|pls|too|and|there|that|it|here|only|as|so|but|with)"
_CALLED = re.compile(r"\b[Tt]he\s+[Ww]ords?\s+([\w$£€@.\-]+(?:\s+[A-Z0-9$£€@.\-]{2,}\b)*)")


@dataclass(frozen=True)
class TextPart:
    """A part of the writing a request can name: what it is called, the words that ask for it and which of the words
    read (their texts, in reading order) are its own (their indices)."""

    name: str
    asked: re.Pattern[str]
    picks: Callable[[Texts], list[int]]


def _bare(text: str) -> str:
    return text.strip(".,:;!?\"'“”()").lower()


def _phone_numbers(texts: Texts) -> list[int]:
    """The runs of neighbouring numbers ("(555) 201 3344") with :data:`PHONE_DIGITS` digits or more."""
    runs: list[list[int]] = [[]]
    for index, text in enumerate(texts):
        if _NUMBERISH.match(text):
            runs[-1].append(index)
        elif runs[-1]:
            runs.append([])
    return [i for run in runs if sum(len(_DIGIT.findall(texts[j])) for j in run) >= PHONE_DIGITS for i in run]


def _linked(texts: Texts, kind: Callable[[str], bool], beside: frozenset[str] = frozenset()) -> list[int]:
    """The words of ``kind``, with a link word between two of them ("9 TO 5", "MON - FRI") and the ``beside`` words
    next to one ("24 HOURS")."""
    picked = []
    for index, text in enumerate(texts):
        before = texts[index - 1] if index > 0 else ""
        after = texts[index + 1] if index + 1 < len(texts) else ""
        bare = _bare(text)
        if (
            kind(text)
            or (bare in _LINKS and kind(before) and kind(after))
            or (bare in beside and (kind(before) or kind(after)))
        ):
            picked.append(index)
    return picked


def _hours(texts: Texts) -> list[int]:
    return _linked(texts, lambda text: bool(_TIME.match(_bare(text))), _TIME_WORDS)


def _days(texts: Texts) -> list[int]:
    return _linked(texts, lambda text: bool(_DAYS.match(_bare(text))))


def _matching(pattern: re.Pattern[str]) -> Callable[[Texts], list[int]]:
    return lambda texts: [index for index, text in enumerate(texts) if pattern.search(text)]


def _day_hours(days: tuple[int, ...]) -> Callable[[Texts], list[int]]:
    """What picks the words of the runs of days that hold ``days`` (0 is Monday) with their hours ("SAT 10AM-2 PM"
    for Saturday), on a sign with hours for more than one run of days; on a sign with one set of hours, those hours
    when the sign opens on one of ``days`` or names no days; none when it leaves them out or closes then."""

    def picks(texts: Texts) -> list[int]:
        text = " ".join(texts)
        spans = [span for span in (day_run_span(text, day) for day in days) if span]
        if not spans:
            named = sign_days(text)
            return _hours(texts) if named is None or set(days) & named[0] else []
        starts = [sum(len(text) + 1 for text in texts[:index]) for index in range(len(texts))]
        return [index for index, start in enumerate(starts) if any(low <= start < high for low, high in spans)]

    return picks


# The days a request can ask the hours of, as it says them: each by its name, and the two groups
_DAYS_ASKED = {
    **{rf"{name[:3]}\w*": (name, (index,)) for index, name in enumerate(DAYS)},
    r"week\s*days?": ("weekday", (0, 1, 2, 3, 4)),
    r"week\s*ends?": ("weekend", (5, 6)),
}


PARTS = (
    # "blur the saturday hours" (every run's hours were blurred)
    *(
        TextPart(
            f"{name} hours",
            re.compile(rf"\b{said}(?:'s)?\s+(?:opening\s+)?(?:hours|times)\b", re.I),
            _day_hours(days),
        )
        for said, (name, days) in _DAYS_ASKED.items()
    ),
    TextPart(
        "phone number",
        re.compile(
            r"\b(?:tele)?phone\b|\b(?:mobile|cell)\s+number\b|\bnumber\s+(?:do|should|can|shall)\s+(?:i|we)\s+(?:call|ring|text)\b"
            r"|^\W*(?:who|how)\s+(?:do|should|can|shall)\s+(?:i|we)\s+(?:call|ring|text|contact|reach)\b",
            re.I,
        ),
        _phone_numbers,
    ),
    TextPart("email address", re.compile(r"\be-?mail\b", re.I), _matching(_EMAIL)),
    TextPart(
        "web address", re.compile(r"\bwebsite\b|\bweb\s*address\b|\burl\b|\bweb\s*link\b", re.I), _matching(_WEBSITE)
    ),
    TextPart(
        "price",
        re.compile(
            r"\bprices?\b|\bcosts?\b|\bhow\s+much\s+(?:is|are)\s+(?:the|a|an|it|they|this|that|these|those|one)\b"
            r"(?!\s+(?:discount|sale|saving|reduction|off)s?\b)",
            re.I,
        ),
        _matching(_PRICE),
    ),
    TextPart("hours", re.compile(r"\bhours\b|\bopening\s+times\b|\bthe\s+times\b", re.I), _hours),
    TextPart("days", re.compile(r"\bdays\b", re.I), _days),
    # "what's the number again?" of a sign with a phone number on it: the phone number, not every digit ("9 5")
    TextPart(
        "number",
        re.compile(r"\bnumbers?\b|\bdigits\b", re.I),
        lambda texts: _phone_numbers(texts) or _matching(_DIGIT)(texts),
    ),
)


def _named_words(request: str) -> list[str] | None:
    """The words a request quotes or calls "the word(s) ..." ("blur the word SALE"), or ``None``."""
    quoted, called = _QUOTED.search(request), _CALLED.search(request)
    if quoted:
        named = (quoted.group(1) or quoted.group(2)).split()
    elif called and not re.fullmatch(_NOT_NAMED, called.group(1), re.IGNORECASE):
        named = called.group(1).split()
    else:
        return None
    named = [_bare(word) for word in named]
    return [word for word in named if word] or None


def _sequence(texts: Texts, named: list[str]) -> list[int]:
    """Every place the ``named`` words stand in a row among ``texts``."""
    bare = [_bare(text) for text in texts]
    picked = []
    for start in range(len(texts) - len(named) + 1):
        if bare[start : start + len(named)] == named:
            picked.extend(range(start, start + len(named)))
    return picked


def part_named_by_words(request: str) -> bool:
    """Whether ``request`` names its part by quoting its words or calling them "the word ..."."""
    return _named_words(request) is not None


def asked_part(request: str) -> str | None:
    """What part of the writing ``request`` names ("phone number", "first line", '"SALE"'), or ``None``."""
    named = _named_words(request)
    if named:
        return f'"{" ".join(named).upper()}"'
    line = LINE.search(request)
    if line:
        return f"{line.group(1).lower()} line"
    return next((part.name for part in PARTS if part.asked.search(request)), None)


def _picked(request: str, texts: Texts) -> list[int] | None:
    """The indices of the words of the part ``request`` names among ``texts``, other than a line; ``None`` when it
    names none."""
    named = _named_words(request)
    if named:
        return _sequence(texts, named)
    part = next((part for part in PARTS if part.asked.search(request)), None)
    return part.picks(texts) if part else None


def part_words(request: str, words: Words) -> list[PlacedWord]:
    """The placed words of the part ``request`` names (:func:`asked_part`); all of them when it names none; none when
    the reading does not hold that part."""
    line = LINE.search(request)
    if line and not _named_words(request):
        lines = sorted({word.line for word in words})
        index = _ORDINALS[line.group(1).lower()]
        wanted = lines[index] if -len(lines) <= index < len(lines) else None
        return [word for word in words if word.line == wanted]
    picked = _picked(request, [word.text for word in words])
    return list(words) if picked is None else [words[index] for index in picked]


def part_text(request: str, text: str) -> str | None:
    """The words of the part ``request`` names in a reading's ``text`` ("(555) 201 3344"); ``""`` when the text does
    not hold it; ``None`` when the request names no part, or a line (a reading's text has no line breaks)."""
    if LINE.search(request) and not _named_words(request):
        return None
    texts = text.split()
    picked = _picked(request, texts)
    return None if picked is None else " ".join(texts[index] for index in picked)


def around(words: Words) -> tuple[int, int, int, int] | None:
    """The box around ``words``, or ``None`` for none."""
    if not words:
        return None
    return (
        min(word.box[0] for word in words),
        min(word.box[1] for word in words),
        max(word.box[2] for word in words),
        max(word.box[3] for word in words),
    )
