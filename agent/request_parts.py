"""How many things a request asks for: "find the faces, then blur them" is two, "blur the face" one.

A sequencing word joins two parts ("..., then ...", "... 然后 ..."), and so does "and" or a comma before a second verb
of the kind tools do ("find the faces and blur them"; "black and white" is one). Whole words only, so "band" or
"thence" do not count. Plan mode's automatic switch (:func:`asks_for_several`) and its check for steps nobody asked
for (agent/plan_stand_ins.py) read requests so.
"""

from __future__ import annotations

import re
from itertools import pairwise

_JOINING = "then|after that|afterwards|also|as well as|finally"
_SEQUENCE = re.compile(rf"\b(?:{_JOINING})\b|;|然后|接着|并且|同时|最后|之后", re.IGNORECASE)
TOOL_VERBS = (
    "show|give|tell|make|find|detect|crop|blur|draw|generate|describe|read|remove|replace|rotate|resize|segment|"
    "estimate|predict|extract|turn|convert|cut|count|caption|answer|add|put|flip|mirror|merge|combine|sharpen|brighten"
)
# Words before a request proper ("oops, undo that", "thanks! can you undo that?", "ok so what size is it?", "hmm too
# much, rotate it back"): a
# pattern anchored at the start, for requests matched whole
OPENING = (
    r"^\s*(?:(?:please|ok(?:ay)?|hmm+|no|oops|actually|now|then|so|and|hey|hi|hello|thanks?(?:\s+you)?|thx|great|perfect|cool"
    r"|nice|can\s+you|could\s+you|not\s+quite|wrong\s+way"
    # a judgement of the last result: "hmm too much, rotate it back", "that's way too blurry, undo it"
    r"|(?:that(?:'s|\s+is)\s+|it(?:'s|\s+is)\s+)?(?:(?:way|far|much|a\s+bit|a\s+little)\s+)?too\s+\w+)[,!.]?\s+)*"
)
# A part made of joining words alone ("edges then") asks for nothing
_JOIN_WORDS = re.compile(rf"\b(?:and|please|{_JOINING})\b", re.IGNORECASE)
_SECOND_VERB = re.compile(rf"(?:\band|,)\s+(?:{TOOL_VERBS})\b", re.IGNORECASE)


def request_parts(request: str) -> list[str]:
    """``request`` cut where one thing asked ends and the next begins (a heuristic: at least one part)."""
    joins = sorted({match.start() for pattern in (_SEQUENCE, _SECOND_VERB) for match in pattern.finditer(request)})
    # "; then" is one join, not two
    joins = [start for index, start in enumerate(joins) if index == 0 or start - joins[index - 1] > len("and ")]
    bounds = [0, *joins, len(request)]
    parts = [request[start:end].strip(" ,;") for start, end in pairwise(bounds)]
    return [part for part in parts if _JOIN_WORDS.sub("", part).strip(" ,;.!?")] or [request]


def asked_parts(request: str) -> int:
    """The number of things ``request`` asks for, read from the words that join them (at least 1)."""
    return len(request_parts(request))


# The words that make a crop square ("crop to the cat and make it square")
MADE_SQUARE = r"(?:make|turn)\s+(?:it|that|the\s+crop)\s+(?:into\s+)?(?:a\s+)?square"
# A part that only shapes the crop before it: "crop to the cat and make it square" is one square crop
_SHAPES_THE_CROP = re.compile(
    rf"^(?:and\s+)?(?:then\s+)?{MADE_SQUARE}(?:\s+please)?[.!?]*$",
    re.IGNORECASE,
)
_CROP = re.compile(r"\b(?:crop|trim)\b|\bzoom\s+in\b", re.IGNORECASE)


def asks_for_several(request: str) -> bool:
    """Whether ``request`` asks for several things: "find the faces, then blur them", "detect the text and
    describe the photo" (the automatic switch to plan mode); a crop made square is one thing."""
    parts = request_parts(request)
    shaping = [
        index
        for index, part in enumerate(parts)
        if index and _SHAPES_THE_CROP.match(part) and _CROP.search(parts[index - 1])
    ]
    return len(parts) - len(shaping) > 1 and not reads_then_asks(request)


# A reading, then a question of its words: "read the sign and tell me when they close on saturday" (plan mode read the
# sign and never answered); the chat reads and answers from the words (agent/word_questions.py)
_READS = re.compile(
    r"^(?:please\s+)?(?:read|scan|ocr)\b|^(?:please\s+)?(?:detect|find|get|extract)\s+(?:the\s+)?(?:text|writing|words)\b",
    re.IGNORECASE,
)
_ASKS_OF_IT = re.compile(
    r"^(?:and\s+)?(?:then\s+)?(?:tell|give|show)\s+me\s+(?:what|when|where|who|how|which|if|whether|the\s+\w+)\b",
    re.IGNORECASE,
)


def reads_then_asks(request: str) -> bool:
    """Whether ``request`` asks for a reading and then only a question of what it reads (one thing, not two)."""
    parts = request_parts(request)
    return len(parts) == 2 and bool(_READS.search(parts[0])) and bool(_ASKS_OF_IT.match(parts[1]))
