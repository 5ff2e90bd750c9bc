"""Whether a place is open on a day, answered from the words read on its sign.

Asked "is it open on saturday?" of a sign that read "OPEN 9 TO 5 MON TO FRI", the small model gave the words and no
answer. The sign's days and hours are read as a timetable (agent/timetable.py). A question that asks whether it is
open (or closed) on a day, the weekend or weekdays is answered yes or no with the words; a sign that names no day
leaves the question to the words alone. So are a time ("is it open at 6?"), how long, the earliest and latest, how
many days a week, a holiday.

A sign with hours for each run of days ("MON-FRI 8AM-6PM SAT 10AM-2PM") answers a day's question with that day's
hours: "what time do they open on saturday?" had been answered "8 am", the first hours on the sign. "Today",
"tomorrow" and "now" are the day and time by this computer's clock ("are they open right now?" had been answered
with the words alone).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from agent.timetable import (
    DAY,
    DAYS,
    HOURS,
    SINGLE_DAY,
    by_run,
    clock_time,
    day_index,
    day_span,
    hours_by_run,
    hours_on,
    length_said,
    listed_days,
    minutes,
    open_span,
    sign_days,
)

_GROUPS = {"weekend": (5, 6), "weekday": (0, 1, 2, 3, 4)}
_GROUP_ASKED = re.compile(r"\b(weekend|weekday)s?\b", re.IGNORECASE)
_ASKED = re.compile(
    rf"\b(?P<state>open|closed|hours|opening\s+times)\b[^?.!]*?\b(?:on\s+)?(?:a\s+|the\s+)?"
    rf"(?P<day>{DAY}|weekend|weekday)s?\b",
    re.IGNORECASE,
)

# A time asked about ("at 6", "at 5:30 pm")
_AT = re.compile(r"\bat\s+(?:(\d{1,2})(?::(\d\d))?\s*(am|pm|o'?clock)?|(noon|midday|midnight))\b", re.IGNORECASE)
_NAMED_TIMES = {"noon": ("12", "pm"), "midday": ("12", "pm"), "midnight": ("12", "am")}
# "what about monday morning?" after a question of another day: the same question of that day
_WHAT_ABOUT = re.compile(
    # "and on sunday?" (the model said the question back)
    rf"^\W*(?:(?:(?:and|ok|so)\s+)?(?:what|how)\s+about\s+(?:on\s+)?|and\s+(?:on\s+)?)(?:a\s+|the\s+)?"
    # "what about holidays?" after the days were asked (Detection ran)
    rf"(?P<day>{DAY}|weekend|weekday|(?:bank\s+|public\s+)?holiday|christmas|xmas|easter|thanksgiving)s?"
    r"(?P<part>\s+(?:morning|afternoon|evening|night))?(?P<at>\s+at\s+(?:noon|midday|midnight|\d{1,2}(?::\d\d)?\s*(?:am|pm)?))?"
    r"\s*[?.!]*\s*$",
    re.IGNORECASE,
)
# "what time do they close?", "when does the cafe open on friday?", "tell me when they close on saturday"
_WHEN = re.compile(
    r"\b(?:what\s+time|when)\s+(?:(?:do|does|will|is|are)\s+)?(?P<who>it|they|the\s+\w+|this\s+\w+|that\s+\w+)\s+"
    r"(?P<verb>open|close|shut)(?:s|es)?\b",
    re.IGNORECASE,
)
# "when is it open?", "what are the opening hours?", "what are their hours?": the hours and days, not a time; "what
# are the weekend hours?", "what are saturday's hours?": those of the days named
_OPEN_WHEN = re.compile(
    r"\b(?:when\s+(?:is|are)\s+(?P<who>it|they|the\s+\w+|this\s+\w+|that\s+\w+)\s+open\b"
    rf"|what\s+(?:are|is)\s+(?:(?:the|its|their|your)\s+)?(?:(?P<named>{DAY}|weekend|weekday)(?:'s|s)?\s+)?"
    r"(?:opening\s+|business\s+|open\s+)?(?:hours|times)\b"
    r"|what\s+hours\s+(?:is|are|do|does)\b"
    # "what do the hours mean?" (the hours were given without their days)
    r"|what\s+(?:do|does)\s+(?:the|its|their|these|those)\s+(?:opening\s+)?hours\s+(?:mean|say)\b)",
    re.IGNORECASE,
)
OPEN_WHEN = '{who} open {hours}{days}: the sign reads "{words}".'
OPEN_BY_DAY = '{who} open {runs}: the sign reads "{words}".'
OPEN_BUT = 'It is open {runs}, not on {others}: the sign reads "{words}".'
OPENS_BY_DAY = '{who} {verb} {runs}: the sign reads "{words}".'
AT_HOURS = '{answer}: the sign reads "{words}", open {hours}, {so} at {time}.'
OPENS_AT = '{who} {verb} at {time}{on}: the sign reads "{words}".'
OPENS_AND_CLOSES = '{who} {opens} at {opening} and {closes} at {closing}{on}: the sign reads "{words}".'
_BOTH_TIMES = re.compile(r"\b(?:open|close|shut)s?\s+and\s+(?:open|close|shut)s?\b", re.IGNORECASE)
OPEN_ON = 'the sign reads "{words}", open on {day}.'
CLOSED_ON = 'the sign reads "{words}", closed on {day}.'
LEFT_OUT = 'the sign reads "{words}", which leaves out {day}.'
NO_DAYS = 'The sign names no days: it reads "{words}" (open {hours}), so it does not say whether they open on {day}.'
PARTLY = 'Partly: the sign reads "{words}", open on {days} but not on {others}.'


def opening_answer(request: str, words: str, now: datetime | None = None) -> str | None:
    """Yes or no to ``request`` when it asks whether the place is open or closed on a day and ``words`` (its sign)
    name days, what the sign says of that day when it asks the day's hours, the time it opens or closes (on that
    day) when it asks for that; else ``None``. "Today", "tomorrow" and "now" are read by ``now`` (the computer's
    clock when not given), said first."""
    elliptic = _WHAT_ABOUT.match(request)
    if elliptic:  # "and on sunday?", "what about holidays?": the question asked again of that day
        request = f"is it open on {elliptic.group('day')}{elliptic.group('part') or ''}{elliptic.group('at') or ''}"
    dated, clock = with_the_clock(request, now or datetime.now())
    told = (
        _days_a_week(dated, words)
        or _on_a_holiday(dated, words)
        or _how_late(dated, words)
        or _how_long(dated, words)
        or _earliest(dated, words)
        or _open_when(dated, words)
        or _opens_at(dated, words)
        or _open_at(dated, words)
        or _open_on(dated, words)
    )
    return f"{clock} {told}" if told and clock else told


# "how many days a week are they open?" (Detection ran)
_DAYS_A_WEEK = re.compile(
    r"\bhow\s+many\s+days\s+(?:a|per|each|in\s+a)\s+week\b"
    r"|\bhow\s+many\s+days\s+(?:are|is|do|does)\s+(?:it|they|the\s+\w+)\s+(?:open|stay\s+open)\b",
    re.IGNORECASE,
)
DAYS_A_WEEK = 'The sign names {count} day{s} a week, {span}: it reads "{words}".'
# "is it open on christmas?" (the words alone): a sign's days are days of the week
_HOLIDAY = re.compile(
    r"\b(?:open|closed|hours)\b.*\b(?P<holiday>christmas(?:\s+(?:eve|day))?|xmas|new\s+year'?s?(?:\s+(?:eve|day))?|easter"
    r"|thanksgiving|(?:bank|public)\s+holidays?|holidays?)\b",
    re.IGNORECASE,
)
NO_HOLIDAYS = (
    'The sign names days of the week, not holidays: it reads "{words}", so it does not say whether they open on '
    "{holiday}."
)
# "are they open late?", "how late are they open?" (the words alone): the closing times
_LATE = re.compile(
    r"\b(?:open\s+(?:late|(?:un)?till?\s+late)|how\s+late\s+(?:are|is|do|does)\s+(?:it|they|the\s+\w+)\s+open)\b",
    re.IGNORECASE,
)


def _days_a_week(request: str, words: str) -> str | None:
    """How many days a week the sign says the place is open, when ``request`` asks that and the sign names days."""
    days = sign_days(words) if _DAYS_A_WEEK.search(request) else None
    if not days or not days[0]:
        return None
    count = len(days[0])
    return DAYS_A_WEEK.format(count=count, s="" if count == 1 else "s", span=day_span(days[0]), words=words)


def _on_a_holiday(request: str, words: str) -> str | None:
    """That a sign's days say nothing of the holiday ``request`` asks about, when the sign gives days or hours."""
    asked = _HOLIDAY.search(request)
    if asked is None or (sign_days(words) is None and HOURS.search(words) is None):
        return None
    holiday = asked.group("holiday").lower()
    said = "holidays" if holiday.endswith(("holiday", "holidays")) else holiday[0].upper() + holiday[1:]
    return NO_HOLIDAYS.format(words=words, holiday=said)


def _how_late(request: str, words: str) -> str | None:
    """The closing times, when ``request`` asks whether the place is open late."""
    asked = _LATE.search(request)
    return _opens_at("what time do they close?", words) if asked else None


# "today", "tomorrow", "tonight", "(right) now", "at the moment", "currently"
_RELATIVE_DAY = re.compile(
    r"\b(?:(?P<now>(?:right\s+)?now|at\s+the\s+moment|currently)|(?P<day>today|tonight|tomorrow))\b", re.IGNORECASE
)
CLOCK_NOW = "By this computer's clock it is {day}, {time}."
CLOCK_DAY = "{said} is {day}."


def with_the_clock(request: str, now: datetime) -> tuple[str, str]:
    """``request`` with its first "today", "tomorrow" or "now" written as the day (and for "now" the time) it is by
    ``now`` ("are they open right now?": "are they open on Monday at 9:05 am?"), and the sentence that says so;
    ``(request, "")`` when it says none of them."""
    found = _RELATIVE_DAY.search(request)
    if found is None:
        return request, ""
    said = (found.group("day") or "").lower()
    when = now + timedelta(days=1) if said == "tomorrow" else now
    day = DAYS[when.weekday()]
    if found.group("now"):
        time = f"{when.hour % 12 or 12}:{when.minute:02d} {'pm' if when.hour >= 12 else 'am'}"
        written, clock = f"on {day} at {time}", CLOCK_NOW.format(day=day, time=time)
    else:  # "tonight" stays beside its day: a part of it (_PART_OF_DAY)
        written = f"on {day} tonight" if said == "tonight" else f"on {day}"
        clock = CLOCK_DAY.format(said=said.capitalize(), day=day)
    return request[: found.start()] + written + request[found.end() :], clock


def _open_when(request: str, words: str) -> str | None:
    """The hours and days ``words`` give ("9 TO 5", Monday to Friday) when ``request`` asks when the place is open
    and names no day ("when is it open?" had been answered "It opens at 9"); ``None`` otherwise."""
    asked, hours = _OPEN_WHEN.search(request), HOURS.search(words)
    if asked is None or hours is None:
        return None
    named = asked.group("named") or ""
    day = SINGLE_DAY.fullmatch(named) or SINGLE_DAY.search(request[asked.end() :])
    if day:  # "what are saturday's hours?": what the sign says of that day
        return _open_on(f"what are the hours on {day.group(1)}", words)
    group = _GROUP_ASKED.search(named or request[asked.end() :])
    if group:  # "what are the weekend hours?" had been answered with every run's hours
        return _group_hours(group.group(1).lower(), words)
    who = asked.group("who") or ""
    said = (who[0].upper() + who[1:] + (" are" if who.lower() == "they" else " is")) if who else "It is"
    runs = by_run(words, lambda found: found.group(0).strip().lower())
    if runs:
        return OPEN_BY_DAY.format(who=said, runs=runs, words=words)
    days = sign_days(words)
    return OPEN_WHEN.format(
        who=said, hours=hours.group(0).strip().lower(), days=f", {day_span(days[0])}" if days else "", words=words
    )


def _group_hours(group: str, words: str) -> str:
    """The hours ``words`` give on the days of ``group`` (weekend or weekday), and those of its days the sign
    leaves out or closes ("10am-2 pm on Saturdays; Sundays left out")."""
    wanted = _GROUPS[group]
    runs = by_run(words, lambda found: found.group(0).strip().lower(), wanted)
    days = sign_days(words)
    if not runs or days is None:  # one set of hours: whether the sign opens on those days, with its hours
        return _open_on(f"what are the hours on {group}s", words) or ""
    others = [index for index in wanted if index not in days[0]]
    if not others:
        return OPEN_BY_DAY.format(who="It is", runs=runs, words=words)
    return OPEN_BUT.format(runs=runs, others=listed_days(others), words=words)


# "how many hours are they open on saturday?", "how long is it open?", "which day are they open longest?"
_HOW_LONG = re.compile(
    # "how many hours a day are they open on weekdays?" (Detection ran)
    r"\bhow\s+(?:many\s+hours|long)\s+(?:(?:a|per|each)\s+day\s+)?(?:are|is|do|does)\s+"
    r"(?P<who>it|they|the\s+\w+|this\s+\w+|that\s+\w+)\s+"
    r"(?:open|stay\s+open)\b",
    re.IGNORECASE,
)
_LONGEST = re.compile(
    r"\b(?:which|what)\s+days?\s+(?:are|is|do|does)\s+(?:it|they|the\s+\w+)\s+(?:open|stay\s+open)\s+(?:the\s+)?"
    r"(?P<most>longest|most|shortest|least)\b",
    re.IGNORECASE,
)
OPEN_FOR = '{who} open {length} {days} ({hours}): the sign reads "{words}".'
LONGEST = '{most} {days}: {hours}, {length}. The sign reads "{words}".'


# "what's the earliest they open?" (the model made up a time), "on which day do they close earliest?" (Detection ran)
_EARLIEST = re.compile(
    r"\b(?P<most>earliest|latest)\b[^?.!]*?\b(?P<verb>open|close|shut)"
    r"|\b(?P<verb_first>open|close|shut)(?:s|es|ing)?\s+(?:the\s+)?(?P<most_after>earliest|latest)\b",
    re.IGNORECASE,
)
EARLIEST = '{who} {verb} {most} {days}, at {time}: the sign reads "{words}".'


def _earliest(request: str, words: str) -> str | None:
    """The run of days the place opens or closes earliest or latest on, and at what time, as ``request`` asks, from
    the hours ``words`` give for each run of days; on a sign with one set of hours, that time."""
    asked = _EARLIEST.search(request)
    hours = HOURS.search(words)
    if asked is None or hours is None:
        return None
    verb = (asked.group("verb") or asked.group("verb_first")).lower()
    most = (asked.group("most") or asked.group("most_after")).lower()
    start = 1 if verb == "open" else 4
    runs = hours_by_run(words)
    if not runs:
        days = sign_days(words)
        said = f" {day_span(days[0])}" if days else ""
        return OPENS_AT.format(who="They", verb=verb, time=clock_time(hours, start), on=said, words=words)
    side = 0 if verb == "open" else 1
    pick = min if most == "earliest" else max
    days, found = pick(runs, key=lambda run: open_span(run[1])[side])
    return EARLIEST.format(
        who="They", verb=verb, most=most, days=day_span(set(days)), time=clock_time(found, start), words=words
    )


def _how_long(request: str, words: str) -> str | None:
    """How long the place is open (on the day ``request`` names), or which of the sign's runs of days it is open
    longest or shortest, from the hours ``words`` give; ``None`` when it asks no such thing or the sign gives no
    hours for it ("how many hours are they open on saturday?" had been answered with Saturday's hours alone)."""
    longest = _LONGEST.search(request)
    if longest:
        runs = hours_by_run(words)
        if not runs:
            return None
        most = longest.group("most").lower() in ("longest", "most")
        days, hours = (max if most else min)(runs, key=lambda run: open_span(run[1])[1] - open_span(run[1])[0])
        return LONGEST.format(
            most="Longest:" if most else "Shortest:",
            days=day_span(set(days)),
            hours=hours.group(0).strip(),
            length=length_said(hours),
            words=words,
        )
    asked = _HOW_LONG.search(request)
    if asked is None:
        return None
    day = SINGLE_DAY.search(request[asked.end() :])
    index = day_index(day.group(1)) if day else None
    hours = hours_on(words, index)
    if hours is None and day is not None:  # a day the sign gives no hours for: what it says of that day
        return _open_on(f"what are the hours on {day.group(1)}", words)
    if hours is None:
        return None
    who = asked.group("who")
    who = f"{who[0].upper()}{who[1:]} {'are' if who.lower() == 'they' else 'is'}"
    group = _GROUP_ASKED.search(request[asked.end() :])  # "on weekdays": those runs alone
    wanted = _GROUPS[group.group(1).lower()] if group else range(7)
    told = by_run(words, lambda found: f"{length_said(found)} ({found.group(0).strip()})", wanted)
    runs = told if index is None else None
    if runs:  # "how long is it open?" of a sign with hours for each run of days
        return OPEN_BY_DAY.format(who=who, runs=runs, words=words)
    days = f"on {DAYS[index]}s" if index is not None else "a day"
    return OPEN_FOR.format(who=who, length=length_said(hours), days=days, hours=hours.group(0).strip(), words=words)


def _opens_at(request: str, words: str) -> str | None:
    """The hour ``request`` asks ("what time do they close?") from the hours ``words`` give ("9 TO 5": they close at
    5); ``None`` when it asks no such thing or the sign gives no hours. A day the sign does not open on is answered
    by :func:`_open_on`."""
    when = _WHEN.search(request)
    day = SINGLE_DAY.search(request[when.end() :]) if when else None
    hours = hours_on(words, day_index(day.group(1)) if day else None) if when else None
    if when is None or hours is None:
        return None
    if day:
        days = sign_days(words)
        if days is not None and day_index(day.group(1)) not in days[0]:  # what the sign says of that day, no yes or no
            return _open_on(f"what are the hours on {day.group(1)}", words)
    verb = "open" if when.group("verb").lower() == "open" else "close"
    start = 1 if verb == "open" else 4  # the groups of the opening or the closing time: hour, minutes, am or pm
    who = when.group("who")
    verb = verb if who.lower() == "they" else f"{verb}s"
    group = _GROUP_ASKED.search(request[when.end() :])
    wanted = _GROUPS[group.group(1).lower()] if group else range(7)
    both = _BOTH_TIMES.search(request)
    if (
        both
        and not day
        and (spans := by_run(words, lambda found: f"from {clock_time(found, 1)} to {clock_time(found, 4)}", wanted))
    ):
        be = "are" if who.lower() == "they" else "is"  # "what time do they open and close?" of each run's hours
        return OPEN_BY_DAY.format(who=f"{who[0].upper() + who[1:]} {be}", runs=spans, words=words)
    runs = None if day else by_run(words, lambda found: f"at {clock_time(found, start)}", wanted)
    if runs:  # "what time do they open?" of a sign with hours for each run of days
        return OPENS_BY_DAY.format(who=who[0].upper() + who[1:], verb=verb, runs=runs, words=words)
    on = f" on {DAYS[day_index(day.group(1))]}s" if day else ""
    if both:  # "what time do they open and close?" (the closing time went unanswered)
        shut = "close" if who.lower() == "they" else "closes"
        opened = "open" if who.lower() == "they" else "opens"
        return OPENS_AND_CLOSES.format(
            who=who[0].upper() + who[1:],
            opens=opened,
            opening=clock_time(hours, 1),
            closes=shut,
            closing=clock_time(hours, 4),
            on=on,
            words=words,
        )
    return OPENS_AT.format(who=who[0].upper() + who[1:], verb=verb, time=clock_time(hours, start), on=on, words=words)


def _open_on(request: str, words: str) -> str | None:
    """Yes or no to ``request`` when it asks whether the place is open or closed on a day and ``words`` name days;
    what the sign says of that day when it asks the day's hours; else ``None``."""
    asked = _ASKED.search(request)
    days = sign_days(words) if asked else None
    hours = HOURS.search(words)
    if asked is not None and days is None and hours:  # "is it open on sunday?" of "OPEN 9 TO 5": the text alone
        day = asked.group("day").lower().removesuffix("s")
        said = f"{day}s" if day in _GROUPS else f"{day.capitalize()}s"
        return NO_DAYS.format(words=words, hours=hours.group(0).strip(), day=said)
    if asked is None or days is None:
        return None
    open_days, closed_days = days
    day = asked.group("day").lower()
    group = _GROUPS.get(day.removesuffix("s"))
    wanted = group or (day_index(day),)
    said = f"{day.removesuffix('s')}s" if group else f"{DAYS[wanted[0]]}s"
    opened = [index for index in wanted if index in open_days]
    if opened and len(opened) < len(wanted):  # "open on weekends?" of a sign open on Saturdays alone
        others = [index for index in wanted if index not in opened]
        return PARTLY.format(words=words, days=listed_days(opened), others=listed_days(others))
    if opened:
        template, is_open = OPEN_ON, True
    elif any(index in closed_days for index in wanted):
        template, is_open = CLOSED_ON, False
    else:
        template, is_open = LEFT_OUT, False
    told = template.format(words=words, day=said)
    state = asked.group("state").lower()
    by_run = bool(hours_by_run(words))
    day_hours = None
    if is_open and by_run and len(wanted) == 1:  # "is it open on saturday?" of "MON-FRI 8AM-6PM SAT 10AM-2PM"
        day_hours = hours_on(words, wanted[0])
    elif is_open and not by_run and state not in {"open", "closed"}:  # "what are the weekday hours?" of "9 TO 5"
        day_hours = hours
    if day_hours:  # that day's hours
        told = told.removesuffix(".") + f", {day_hours.group(0).strip()}."
    at = (
        _at_hours(request, words, wanted[0] if len(wanted) == 1 else None)
        if is_open and state in {"open", "closed"}
        else None
    )
    if at is not None:  # "are they open on friday at 6?" of "OPEN 9 TO 5 MON TO FRI" had been a yes
        within, hours, time = at
        answer = "Yes" if within == (state == "open") else "No"
        return AT_HOURS.format(answer=answer, words=words, hours=hours, so="so open" if within else "not", time=time)
    part = _in_part_of_day(request, words, wanted[0] if len(wanted) == 1 else None, state) if is_open else None
    if part and state in {"open", "closed"}:
        return part
    if state not in {"open", "closed"}:  # "what are the hours on sunday?": no yes or no
        return told[0].upper() + told[1:]
    return f"{'Yes' if is_open == (state == 'open') else 'No'}: {told}"


# A part of the day asked about ("open on friday evening?", "tonight"), as minutes after midnight
_PART_OF_DAY = re.compile(r"\b(morning|lunchtime|afternoon|evening|night|tonight)\b", re.IGNORECASE)
_PARTS_OF_DAY = {
    "morning": (6 * 60, 12 * 60),
    "lunchtime": (12 * 60, 14 * 60),
    "afternoon": (12 * 60, 18 * 60),
    "evening": (18 * 60, 22 * 60),
    "night": (22 * 60, 30 * 60),
    "tonight": (18 * 60, 24 * 60),
}
IN_PART = '{answer}: the sign reads "{words}", open {hours}, so {so} the {part}.'


def _in_part_of_day(request: str, words: str, day: int | None, state: str) -> str | None:
    """Yes, no or partly to whether the place is open (``state``) in the part of the day ``request`` names ("is it
    open on friday evening?" of "MON-FRI 8AM-6PM" had been a yes), from the hours ``words`` give for ``day``;
    ``None`` when it names none or the sign gives no hours."""
    part, hours = _PART_OF_DAY.search(request), hours_on(words, day)
    if part is None or hours is None:
        return None
    name = part.group(1).lower()
    (start, end), (first, last) = open_span(hours), _PARTS_OF_DAY[name]
    overlap = max(0, min(end, last) - max(start, first))
    name = "evening" if name == "tonight" else name
    if 0 < overlap < last - first:
        return IN_PART.format(
            answer="Partly", words=words, hours=hours.group(0).strip(), so="open for part of", part=name
        )
    opened = overlap > 0
    answer = "Yes" if opened == (state == "open") else "No"
    so = "open in" if opened else "closed in"
    return IN_PART.format(answer=answer, words=words, hours=hours.group(0).strip(), so=so, part=name)


def _at_hours(request: str, words: str, day: int | None) -> tuple[bool, str, str] | None:
    """Whether the time ``request`` asks about ("at 6") falls in the hours ``words`` give ("9 TO 5") for ``day``, with
    those hours and the time as written; ``None`` when either is missing."""
    hours, at = hours_on(words, day), _AT.search(request)
    if hours is None or at is None:
        return None
    within = _within(at, hours)
    return None if within is None else (within, hours.group(0).strip(), at.group(0).removeprefix("at ").strip())


def _within(at: re.Match[str], hours: re.Match[str]) -> bool | None:
    """Whether the time ``at`` asks about falls in ``hours``; ``None`` when it is no time of day. A closing hour
    before the opening one is in the afternoon ("9 TO 5" is 9:00-17:00), and a time without am or pm is either ("at
    6": 6:00 or 18:00)."""
    hour, minute, half = at.groups()[:3]
    if at.group(4):  # "at noon"
        hour, half = _NAMED_TIMES[at.group(4).lower()]
    if int(hour) > 24:
        return None
    start, end = open_span(hours)
    half = half if half and half.lower() in {"am", "pm"} else None
    asked = minutes(hour, minute, half)
    candidates = [asked] if half or asked >= 13 * 60 else [asked, asked + 12 * 60]
    return any(start <= time < end for time in candidates)


# "is it open at 6?" with no day named (the model answered 'I found it open: OPEN 9 TO 5 ...')
_OPEN_AT = re.compile(
    r"^\W*(?:(?:and|so|ok|okay)[,]?\s+)?(?:is|are|will)\s+(?:it|they|the\s+\w+|this\s+\w+)\s+(?:be\s+|still\s+)?"
    r"(?P<state>open|closed)\s+at\b",
    re.IGNORECASE,
)
AT_BY_RUN = 'It depends on the day: at {time} they are {runs}. The sign reads "{words}".'


def _open_at(request: str, words: str) -> str | None:
    """Yes or no to whether the place is open (or closed) at the time ``request`` names without a day, from the hours
    ``words`` give; on a sign whose hours differ by day, what each run of days says. ``None`` otherwise."""
    asked, at = _OPEN_AT.match(request), _AT.search(request)
    if asked is None or at is None or _ASKED.search(request):
        return None
    state, time = asked.group("state").lower(), at.group(0).removeprefix("at ").strip()
    runs = [(days, hours, _within(at, hours)) for days, hours in hours_by_run(words)]
    if len({within for _, _, within in runs}) > 1:
        said = [
            f"{'open' if within else 'closed'} {day_span(set(days))} ({hours.group(0).strip()})"
            for days, hours, within in runs
        ]
        return AT_BY_RUN.format(time=time, runs=" and ".join(said), words=words)
    if runs:  # the same on every run of days
        within, hours = runs[0][2], by_run(words, lambda found: found.group(0).strip())
    else:
        within, hours, _ = _at_hours(request, words, None) or (None, None, None)
    if within is None:
        return None
    answer = "Yes" if within == (state == "open") else "No"
    return AT_HOURS.format(answer=answer, words=words, hours=hours, so="so open" if within else "not", time=time)
