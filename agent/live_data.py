"""Questions about the world now: "what's the weather like today?", "any news?", "what's the bitcoin price?".

No tool here knows such things and the model has no way to: asked "what's the weather like today?" with no image,
the embedded model answered that no loaded tool can answer questions about an image. A question of today's
weather, the news, a price or a result is answered by the agent with what it cannot do and what it can. A question
that speaks of a picture ("what's the weather like in this photo?") is a picture question (agent/picture_questions.py).
"""

from __future__ import annotations

import re

NO_LIVE_DATA = (
    "I can't tell you that: I have no connection to the internet or to live data such as the weather, the news or "
    "prices. I work on pictures: upload one and I can read its text, find faces, crop, rotate or resize it, and more."
)

_NOW = r"(?:today|tonight|tomorrow|right\s+now|now|outside|this\s+(?:morning|afternoon|evening|week|weekend))"
_LIVE = re.compile(
    rf"\b(?:weather|forecast|temperature)\b[^?.!]*\b{_NOW}\b|\b{_NOW}'?s?\s+(?:weather|forecast|temperature)\b"
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
