"""Whether a place is open on a day, answered from the words read on its sign.

Asked "is it open on saturday?" of a sign that read "OPEN 9 TO 5 MON TO FRI", the small model gave the words and no
answer. The days a sign names are plain to read: single days ("SAT"), ranges ("MON TO FRI", "MONDAY-FRIDAY"), every
day ("DAILY", "7 DAYS", "24/7"), each marked closed when "CLOSED" stands next to it. A question that asks whether
it is open (or closed) on a day, the weekend or weekdays is answered yes or no with the words; a sign that names no
day leaves the question to the words alone.
"""

from __future__ import annotations

import re

DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_DAY = r"(?:mon(?:day)?|tue(?:s(?:day)?)?|wed(?:nesday)?|thu(?:r(?:s(?:day)?)?)?|fri(?:day)?|sat(?:urday)?|sun(?:day)?)"
_GROUPS = {"weekend": (5, 6), "weekday": (0, 1, 2, 3, 4)}
_ASKED = re.compile(
    rf"\b(?P<state>open|closed|hours|opening\s+times)\b[^?.!]*?\b(?:on\s+)?(?:a\s+|the\s+)?"
    rf"(?P<day>{_DAY}|weekend|weekday)s?\b",
    re.IGNORECASE,
)
_RANGE = re.compile(rf"\b({_DAY})s?\.?\s*(?:-|–|to|through|thru|until|till)\s*({_DAY})s?\b\.?", re.IGNORECASE)
_SINGLE = re.compile(rf"\b({_DAY})s?\b\.?", re.IGNORECASE)
_EVERY_DAY = re.compile(r"\b(?:daily|every\s*day|7\s*days|seven\s+days|24\s*/\s*7)\b", re.IGNORECASE)
_CLOSED = re.compile(r"\bclosed\b", re.IGNORECASE)
_NEAR = 12  # characters between a day and a "CLOSED" that marks it

OPEN_ON = 'the sign reads "{words}", open on {day}.'
CLOSED_ON = 'the sign reads "{words}", closed on {day}.'
LEFT_OUT = 'the sign reads "{words}", which leaves out {day}.'
PARTLY = 'Partly: the sign reads "{words}", open on {days} but not on {others}.'


def _index(day: str) -> int:
    return next(index for index, name in enumerate(DAYS) if name.lower().startswith(day.lower()[:3]))


def _listed(days: list[int]) -> str:
    return " and ".join(f"{DAYS[index]}s" for index in days)


def _spans(words: str) -> list[tuple[tuple[int, ...], int, int]]:
    """The days ``words`` name, each run of them with where it stands: ranges first, then single days outside them."""
    spans: list[tuple[tuple[int, ...], int, int]] = []
    for found in _RANGE.finditer(words):
        first, last = _index(found.group(1)), _index(found.group(2))
        days = tuple((first + step) % 7 for step in range((last - first) % 7 + 1))
        spans.append((days, found.start(), found.end()))
    for found in _SINGLE.finditer(words):
        if not any(start <= found.start() < end for _, start, end in spans):
            spans.append(((_index(found.group(1)),), found.start(), found.end()))
    spans += [(tuple(range(7)), found.start(), found.end()) for found in _EVERY_DAY.finditer(words)]
    return spans


def sign_days(words: str) -> tuple[set[int], set[int]] | None:
    """The days (0 is Monday) ``words`` say a place is open and those it says it is closed, or ``None`` when they
    name no day. Each "CLOSED" marks the run of days nearest to it; a sign that names closed days alone ("CLOSED
    MONDAYS") is open on the others."""
    spans = _spans(words)
    if not spans:
        return None
    marked: set[int] = set()
    for closed in _CLOSED.finditer(words):
        distance = [max(start - closed.end(), closed.start() - end, 0) for _, start, end in spans]
        nearest = min(range(len(spans)), key=distance.__getitem__)
        if distance[nearest] <= _NEAR:
            marked.add(nearest)
    open_days = {day for number, (days, _, _) in enumerate(spans) if number not in marked for day in days}
    closed_days = {day for number in marked for day in spans[number][0]}
    if not open_days:
        open_days = set(range(7))
    return open_days - closed_days, closed_days


def opening_answer(request: str, words: str) -> str | None:
    """Yes or no to ``request`` when it asks whether the place is open or closed on a day and ``words`` (its sign)
    name days, what the sign says of that day when it asks the day's hours; else ``None``."""
    asked = _ASKED.search(request)
    days = sign_days(words) if asked else None
    if asked is None or days is None:
        return None
    open_days, closed_days = days
    day = asked.group("day").lower()
    group = _GROUPS.get(day.removesuffix("s"))
    wanted = group or (_index(day),)
    said = f"{day.removesuffix('s')}s" if group else f"{DAYS[wanted[0]]}s"
    opened = [index for index in wanted if index in open_days]
    if opened and len(opened) < len(wanted):  # "open on weekends?" of a sign open on Saturdays alone
        others = [index for index in wanted if index not in opened]
        return PARTLY.format(words=words, days=_listed(opened), others=_listed(others))
    if opened:
        template, is_open = OPEN_ON, True
    elif any(index in closed_days for index in wanted):
        template, is_open = CLOSED_ON, False
    else:
        template, is_open = LEFT_OUT, False
    told = template.format(words=words, day=said)
    state = asked.group("state").lower()
    if state not in {"open", "closed"}:  # "what are the hours on sunday?": no yes or no
        return told[0].upper() + told[1:]
    return f"{'Yes' if is_open == (state == 'open') else 'No'}: {told}"
