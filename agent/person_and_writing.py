"""A blur asked for on a person and on the writing at once ("blur her face in the first image and the phone number
in the second", "blur the face and the sign"), or on two parts of the writing ("blur the phone number and the
email").

A face is placed by the detector and the writing by the reading tool, each turn with its own shape
(agent/pending_edit.py, agent/text_region.py). Asked for both in one request, the writing edit stepped aside for the
person (a request that names people is the detector's), the face was blurred and the phone number was dropped without
a word; the reading's box is of one part of the writing, so a second part was dropped too. Such a request runs as
two requests, one after the other, each with the verb ("blur her face in the first image", "blur the phone number in
the second image"); on the same image the second blurs the first's result.
"""

from __future__ import annotations

import re

from agent.pending_edit import names_people
from agent.request_parts import OPENING, TOOL_VERBS
from agent.text_parts import asked_part
from agent.text_region import WRITING

# "blur X and Y", "blur X, and Y": the second thing named from a determiner on, so "blur the face and then read the
# sign" is no such request (the reading is another tool's)
_BLUR_OF_TWO = re.compile(
    OPENING + r"(?P<verb>blur|pixelate|obscure|censor|anonymi[sz]e|hide)\s+(?P<first>.+?)"
    r"(?:\s*,\s*(?:and\s+)?|\s+and\s+)(?:also\s+)?(?P<second>(?:the|her|his|their|its|that|this)\b.+?)"
    r"(?:\s+please)?[\s.!?]*$",
    re.IGNORECASE,
)
_OTHER_VERB = re.compile(rf"\b(?:{TOOL_VERBS}|then)\b", re.IGNORECASE)
# "... and the phone number in the second": the image by its place in the row, its noun said once
_BARE_PLACE = re.compile(r"\b(?:in|on|of)\s+the\s+(?:first|second|third|fourth|last|other|next|previous)\s*$")
_PLACED_NOUN = re.compile(
    r"\b(?:first|second|third|fourth|last|other|next|previous)\s+(image|photo|picture|pic|upload|one)\b",
    re.IGNORECASE,
)


def blurs_one_by_one(request: str) -> list[str] | None:
    """``request`` as two blur requests to run one after the other when it asks to blur a person and a piece of
    writing ("blur her face and the phone number") or two parts of the writing, else ``None``."""
    match = _BLUR_OF_TWO.match(request)
    if not match:
        return None
    verb, first, second = match.group("verb"), match.group("first"), match.group("second")
    verb = "blur" if verb.lower() == "hide" else verb  # "hide the number": a blur, as the box tools read it
    if _OTHER_VERB.search(first) or _OTHER_VERB.search(second):
        return None
    kinds = {_kind(first), _kind(second)}
    parts = asked_part(first), asked_part(second)
    two_parts = kinds == {"writing"} and None not in parts and parts[0] != parts[1]
    if kinds != {"person", "writing"} and not two_parts:
        return None
    return [f"{verb} {_with_place_noun(first, second)}", f"{verb} {_with_place_noun(second, first)}"]


def _kind(thing: str) -> str | None:
    """Whether ``thing`` names a person (the detector's) or writing (the reading's), or ``None`` for neither or both."""
    person, writing = names_people(thing), bool(WRITING.search(thing) or asked_part(thing))
    return "person" if person and not writing else "writing" if writing and not person else None


def _with_place_noun(thing: str, other: str) -> str:
    """``thing`` with the noun ``other`` gives its image's place ("in the second" -> "in the second image")."""
    noun = _PLACED_NOUN.search(other)
    return f"{thing} {noun.group(1)}" if noun and _BARE_PLACE.search(thing) else thing
