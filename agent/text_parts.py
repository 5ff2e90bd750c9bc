"""The part of the writing a box edit names: "blur the phone number", "crop to the hours", "blur the word SALE".

The reading tool places each word it is sure of (``tools.outputs.PlacedWord``), so a crop or blur of one part of a
sign takes the box around that part's words, not the whole text's. A part that the reading does not hold is said
so ("I read ... and found no phone number in it"): the whole sign is never edited in its place.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from tools.outputs import PlacedWord

Words = Sequence[PlacedWord]

_DIGIT = re.compile(r"\d")
_NUMBERISH = re.compile(r"^[+(]?[\d()./\-–]*\d[\d()./\-–]*$")
_TIME = re.compile(r"^\d{1,2}(?:[:.]\d{2})?(?:am|pm|h)?$", re.IGNORECASE)
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
_LINE = re.compile(rf"\b({'|'.join(_ORDINALS)})\s+line\b", re.IGNORECASE)
# Quoted words ("blur 'SALE'", 'crop to "FRESH BREAD"'; an apostrophe is no quote), or "the word sale" and "the
# words FRESH BREAD" (more than one word when typed in capitals, as a sign has them)
_QUOTED = re.compile(r"[\"“]([^\"”\n]+)[\"”]|(?<!\w)'([^'\n]+)'(?!\w)")
_NOT_NAMED = r"(?:on|in|of|at|from|to|please|pls|too|and|there|that|it|here|only|as|so|but|with)"
_CALLED = re.compile(r"\b[Tt]he\s+[Ww]ords?\s+([\w$£€@.\-]+(?:\s+[A-Z0-9$£€@.\-]{2,}\b)*)")


@dataclass(frozen=True)
class TextPart:
    """A part of the writing a request can name: what it is called, the words that ask for it and how to find its
    words among those read."""

    name: str
    asked: re.Pattern[str]
    picks: Callable[[Words], list[PlacedWord]]


def _bare(text: str) -> str:
    return text.strip(".,:;!?\"'“”()").lower()


def _runs(words: Words, belongs: Callable[[PlacedWord], bool]) -> list[list[PlacedWord]]:
    """The longest runs of neighbouring words (in reading order) that all belong."""
    runs: list[list[PlacedWord]] = [[]]
    for word in words:
        if belongs(word):
            runs[-1].append(word)
        elif runs[-1]:
            runs.append([])
    return [run for run in runs if run]


def _phone_numbers(words: Words) -> list[PlacedWord]:
    runs = _runs(words, lambda word: bool(_NUMBERISH.match(word.text)))
    return [word for run in runs if sum(len(_DIGIT.findall(w.text)) for w in run) >= PHONE_DIGITS for word in run]


def _numbers(words: Words) -> list[PlacedWord]:
    return [word for word in words if _DIGIT.search(word.text)]


def _linked(words: Words, kind: Callable[[str], bool], beside: frozenset[str] = frozenset()) -> list[PlacedWord]:
    """The words of ``kind``, with a link word between two of them ("9 TO 5", "MON - FRI") and the ``beside`` words
    next to one ("24 HOURS")."""
    picked = []
    for index, word in enumerate(words):
        before = words[index - 1].text if index > 0 else ""
        after = words[index + 1].text if index + 1 < len(words) else ""
        text = _bare(word.text)
        if (
            kind(word.text)
            or (text in _LINKS and kind(before) and kind(after))
            or (text in beside and (kind(before) or kind(after)))
        ):
            picked.append(word)
    return picked


def _hours(words: Words) -> list[PlacedWord]:
    return _linked(words, lambda text: bool(_TIME.match(_bare(text))), _TIME_WORDS)


def _days(words: Words) -> list[PlacedWord]:
    return _linked(words, lambda text: bool(_DAYS.match(_bare(text))))


def _matching(pattern: re.Pattern[str]) -> Callable[[Words], list[PlacedWord]]:
    return lambda words: [word for word in words if pattern.search(word.text)]


PARTS = (
    TextPart(
        "phone number", re.compile(r"\b(?:tele)?phone\b|\bmobile\s+number\b|\bcell\s+number\b", re.I), _phone_numbers
    ),
    TextPart("email address", re.compile(r"\be-?mail\b", re.I), _matching(_EMAIL)),
    TextPart(
        "web address", re.compile(r"\bwebsite\b|\bweb\s*address\b|\burl\b|\bweb\s*link\b", re.I), _matching(_WEBSITE)
    ),
    TextPart("price", re.compile(r"\bprices?\b|\bcosts?\b", re.I), _matching(_PRICE)),
    TextPart("hours", re.compile(r"\bhours\b|\bopening\s+times\b|\bthe\s+times\b", re.I), _hours),
    TextPart("days", re.compile(r"\bdays\b", re.I), _days),
    TextPart("number", re.compile(r"\bnumbers?\b|\bdigits\b", re.I), _numbers),
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


def _sequence(words: Words, named: list[str]) -> list[PlacedWord]:
    """Every place the ``named`` words stand in a row among ``words``."""
    texts = [_bare(word.text) for word in words]
    picked = []
    for start in range(len(words) - len(named) + 1):
        if texts[start : start + len(named)] == named:
            picked.extend(words[start : start + len(named)])
    return picked


def asked_part(request: str) -> str | None:
    """What part of the writing ``request`` names ("phone number", "first line", '"SALE"'), or ``None``."""
    named = _named_words(request)
    if named:
        return f'"{" ".join(named).upper()}"'
    line = _LINE.search(request)
    if line:
        return f"{line.group(1).lower()} line"
    return next((part.name for part in PARTS if part.asked.search(request)), None)


def part_words(request: str, words: Words) -> list[PlacedWord]:
    """The placed words of the part ``request`` names (:func:`asked_part`); all of them when it names none; none when
    the reading does not hold that part."""
    named = _named_words(request)
    if named:
        return _sequence(words, named)
    line = _LINE.search(request)
    if line:
        lines = sorted({word.line for word in words})
        index = _ORDINALS[line.group(1).lower()]
        wanted = lines[index] if -len(lines) <= index < len(lines) else None
        return [word for word in words if word.line == wanted]
    part = next((part for part in PARTS if part.asked.search(request)), None)
    return part.picks(words) if part else list(words)


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
