"""Questions about the world now: "what's the weather like today?", "any news?", "what's the bitcoin price?", "what
time is it?".

No tool here knows such things and the model has no way to: asked "what's the weather like today?" with no image,
the embedded model answered that no loaded tool can answer questions about an image. A question of today's
weather, the news, a price or a result is answered by the agent with what it cannot do and what it can. A question
that speaks of a picture ("what's the weather like in this photo?") is a picture question (agent/picture_questions.py).

The time and the date are this computer's: asked "what time is it?", the model answered "It will be 12:34
tomorrow.". With a picture in the conversation the question may be of a clock in it, which no tool here reads; the
answer says so beside the computer's time.
"""

from __future__ import annotations

import re
from datetime import datetime

NO_LIVE_DATA = (
    "I can't tell you that: I have no connection to the internet or to live data such as the weather, the news or "
    "prices. I work on pictures: upload one and I can read its text, find faces, crop, rotate or resize it, and more."
)

_NOW = r"(?:today|tonight|tomorrow|right\s+now|now|outside|this\s+(?:morning|afternoon|evening|week|weekend))"
_LIVE = re.compile(
    rf"\b(?:weather|forecast|temperature)\b[^?.!]*\b{_NOW}\b|\b{_NOW}'?s?\s+(?:weather|forecast|temperature)\b"
    # "what's the weather in paris?" (the model answered that no loaded tool answers questions about an image)
    r"|\b(?:weather|forecast|temperature)\s+(?:like\s+)?(?:in|at|for)\s+(?!(?:the|this|that|my|it|her|his|your)\b)[a-z]"
    r"|\bweather\s+forecast\b|\bwill\s+it\s+(?:rain|snow)\b|\bis\s+it\s+going\s+to\s+(?:rain|snow)\b"
    r"|\b(?:latest|today'?s|any)\s+news\b|\bwhat(?:'s|\s+is)\s+(?:in\s+)?the\s+news\b|\bheadlines\b"
    r"|\b(?:stock|share|bitcoin|btc|ethereum|gold|oil)\s+prices?\b|\bprice\s+of\s+(?:bitcoin|gold|oil|(?:\w+\s+)?stock)\b"
    r"|\bexchange\s+rate\b|\bwho\s+won\b[^?.!]*\b(?:game|match|election|race|yesterday|last\s+night)\b",
    re.IGNORECASE,
)
_PICTURE = re.compile(r"\b(?:image|photo|picture|pic|photograph|shot|sign|page)s?\b", re.IGNORECASE)


def live_data_answer(request: str) -> str | None:
    """:data:`NO_LIVE_DATA` when ``request`` asks about the world now and speaks of no picture; else ``None``."""
    return NO_LIVE_DATA if _LIVE.search(request) and not _PICTURE.search(request) else None


CLOCK_ANSWER = "By this computer's clock it is {time} on {day}, {date}."
CLOCK_IN_PICTURE = "I can't read a clock in a picture: no tool here sees what an image shows."
# The whole request asks the time, the day or the date, of no picture: "what time is it?", "what's today's date?"
_CLOCK = re.compile(
    r"^\W*(?:(?:hey|hi|so|ok|okay|and)[,!]?\s+)?(?:(?:can|could)\s+you\s+tell\s+me\s+|do\s+you\s+know\s+)?"
    r"(?:what(?:'s|\s+is)?\s+(?:the\s+)?(?:time|day|date|year|month)(?:\s+(?:is\s+it|it\s+is))?"
    r"|what(?:'s|\s+is)\s+(?:today'?s|the\s+current)\s+(?:date|day|time)|what\s+day\s+of\s+the\s+week\s+is\s+it"
    r"|what\s+time\s+is\s+it)"
    r"(?:\s+(?:now|right\s+now|today|here|please))*\s*[?.!]*\s*$",
    re.IGNORECASE,
)


def clock_answer(request: str, now: datetime, *, has_image: bool) -> str | None:
    """:data:`CLOCK_ANSWER` from ``now`` when ``request`` only asks the time, the day or the date, with
    :data:`CLOCK_IN_PICTURE` when the conversation has an image (``has_image``: the question may be of a clock in
    it); else ``None``."""
    if not _CLOCK.match(request):
        return None
    told = CLOCK_ANSWER.format(time=now.strftime("%H:%M"), day=now.strftime("%A"), date=f"{now.day} {now:%B %Y}")
    return f"{told} {CLOCK_IN_PICTURE}" if has_image else told
