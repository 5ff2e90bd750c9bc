"""The timetable a sign's words give: the days it names, open or closed, and the hours of each run of days.

The days a sign names are plain to read: single days ("SAT"), ranges ("MON TO FRI", "MONDAY-FRIDAY"), every day
("DAILY", "7 DAYS", "24/7"), each marked closed when "CLOSED" stands next to it. Hours ("9 TO 5", "8AM-6PM") belong
to the run of days they follow, or, on a sign that writes hours first, the run they precede. The questions asked of
a timetable are agent/opening_days.py's.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection

DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
DAY = r"(?:mon(?:day)?|tue(?:s(?:day)?)?|wed(?:nesday)?|thu(?:r(?:s(?:day)?)?)?|fri(?:day)?|sat(?:urday)?|sun(?:day)?)"
_RANGE = re.compile(rf"\b({DAY})s?\.?\s*(?:-|–|to|through|thru|until|till)\s*({DAY})s?\b\.?", re.IGNORECASE)
SINGLE_DAY = re.compile(rf"\b({DAY})s?\b\.?", re.IGNORECASE)
_EVERY_DAY = re.compile(r"\b(?:daily|every\s*day|7\s*days|seven\s+days|24\s*/\s*7)\b", re.IGNORECASE)
_CLOSED = re.compile(r"\bclosed\b", re.IGNORECASE)
_NEAR = 12  # characters between a day and a "CLOSED" that marks it
# Opening hours on a sign ("9 TO 5", "8AM-6PM", "10:30 - 22:00")
HOURS = re.compile(
    r"\b(\d{1,2})(?::(\d\d))?\s*(am|pm)?\s*(?:-|–|to|till|until)\s*(\d{1,2})(?::(\d\d))?\s*(am|pm)?\b", re.IGNORECASE
)


def day_index(day: str) -> int:
    """The index (0 is Monday) of the day ``day`` names ("sat", "Saturday")."""
    return next(index for index, name in enumerate(DAYS) if name.lower().startswith(day.lower()[:3]))


def listed_days(days: list[int]) -> str:
    """``days`` (indices, 0 is Monday) as a person lists them: "Saturdays and Sundays"."""
    return " and ".join(f"{DAYS[index]}s" for index in days)


def _spans(words: str) -> list[tuple[tuple[int, ...], int, int]]:
    """The days ``words`` name, each run of them with where it stands: ranges first, then single days outside them."""
    spans: list[tuple[tuple[int, ...], int, int]] = []
    for found in _RANGE.finditer(words):
        first, last = day_index(found.group(1)), day_index(found.group(2))
        days = tuple((first + step) % 7 for step in range((last - first) % 7 + 1))
        spans.append((days, found.start(), found.end()))
    for found in SINGLE_DAY.finditer(words):
        if not any(start <= found.start() < end for _, start, end in spans):
            spans.append(((day_index(found.group(1)),), found.start(), found.end()))
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


def hours_by_run(words: str) -> list[tuple[tuple[int, ...], re.Match[str]]]:
    """Each run of days ``words`` name with the hours written for it, in the sign's order, when the sign gives
    hours for more than one run ("MON-FRI 8AM-6PM SAT 10AM-2PM"); ``[]`` when it gives one set of hours or none.
    Hours belong to the run they follow, or, on a sign that writes hours before its first day, the run they
    precede."""
    hours = list(HOURS.finditer(words))
    spans = sorted(_spans(words), key=lambda span: span[1])
    if len(hours) < 2 or not spans:
        return []
    after = spans[0][1] < hours[0].start()  # "MON-FRI 8AM-6PM ..." rather than "8AM-6PM MON-FRI ..."
    runs: list[tuple[tuple[int, ...], re.Match[str]]] = []
    for number, (days, start, end) in enumerate(spans):
        if after:
            low, high = end, spans[number + 1][1] if number + 1 < len(spans) else len(words)
        else:
            low, high = spans[number - 1][2] if number else 0, start
        within = [found for found in hours if low <= found.start() < high]
        if within:
            runs.append((days, within[0] if after else within[-1]))
    return runs if len(runs) > 1 else []


def day_run_span(words: str, day: int) -> tuple[int, int] | None:
    """Where in ``words`` the run of days that holds ``day`` (0 is Monday) stands with its hours, from the first
    character of either to the last, on a sign with hours for more than one run of days; ``None`` when the sign
    gives no hours of that day's own."""
    spans = _spans(words)
    for days, hours in hours_by_run(words):
        if day in days:
            start, end = next((start, end) for named, start, end in spans if named == days)
            return min(start, hours.start()), max(end, hours.end())
    return None


def hours_on(words: str, day: int | None) -> re.Match[str] | None:
    """The hours ``words`` give for ``day`` (0 is Monday; ``None``: any day), or their only hours."""
    runs = hours_by_run(words)
    if runs and day is not None:
        return next((hours for days, hours in runs if day in days), None)
    return HOURS.search(words)


def clock_time(hours: re.Match[str], start: int) -> str:
    """The opening (``start`` 1) or closing (``start`` 4) time of ``hours`` as a person says it: "8:30 am"."""
    hour, minute, half = hours.group(start), hours.group(start + 1), hours.group(start + 2)
    return hour + (f":{minute}" if minute else "") + (f" {half.lower()}" if half else "")


def by_run(words: str, told: Callable[[re.Match[str]], str], wanted: Collection[int] = range(7)) -> str | None:
    """What ``told`` says of each run's hours ("8am-6pm Monday to Friday and 10am-2 pm on Saturdays") among the runs
    open on a ``wanted`` day, on a sign with hours for more than one run of days; ``None`` otherwise."""
    runs = [(days, hours) for days, hours in hours_by_run(words) if set(days) & set(wanted)]
    if not runs:
        return None
    said = [f"{told(hours)} {day_span(set(days))}" for days, hours in runs]
    return " and ".join(filter(None, [", ".join(said[:-1]), said[-1]]))


def day_span(days: set[int]) -> str:
    """Open days as a person says them: "every day", "Monday to Friday", "on Mondays and Saturdays"."""
    ordered = sorted(days)
    if len(ordered) == len(DAYS):
        return "every day"
    if len(ordered) >= 3 and ordered == list(range(ordered[0], ordered[-1] + 1)):
        return f"{DAYS[ordered[0]]} to {DAYS[ordered[-1]]}"
    return f"on {listed_days(ordered)}"


def length_said(hours: re.Match[str]) -> str:
    """How long ``hours`` ("10AM-2 PM") last, as a person says it: "4 hours", "8 and a half hours"."""
    start, end = open_span(hours)
    whole, rest = divmod(end - start, 60)
    said = f"{whole} and a half" if rest == 30 else (str(whole) if not rest else f"{whole} hours {rest} minutes")
    return said if rest not in (0, 30) else f"{said} hour{'' if said == '1' else 's'}"


def minutes(hour: str, minute: str | None, half: str | None) -> int:
    """Minutes after midnight of a clock time (``half``: am or pm, when written)."""
    hours = int(hour) % 12 + (12 if half and half.lower() == "pm" else 0) if half else int(hour)
    return hours * 60 + int(minute or 0)


def open_span(hours: re.Match[str]) -> tuple[int, int]:
    """The opening and closing minutes after midnight of ``hours`` ("9 TO 5": 9:00-17:00, a closing hour before the
    opening one being in the afternoon)."""
    start = minutes(hours.group(1), hours.group(2), hours.group(3))
    end = minutes(hours.group(4), hours.group(5), hours.group(6))
    return start, end + 12 * 60 if end <= start and not hours.group(6) else end
