"""Requests to mark something in the picture: "put a box around the cat", "draw a rectangle around her face",
"highlight the faces", "put a box around the text".

No tool here draws on a picture; Detection's copy for the person marks what it finds with boxes. Asked to "put a box
around the cat", the model cropped the photo to the cat's box. Such a request runs Detection when it names what the
detector finds (a face, a person, a cat: agent/upload_contents.py reads those words). Writing ("the text", "the
phone number") is placed by the reading tool, and the agent draws the box of the words asked for on a copy
(``Agent._mark_the_writing``). Anything else is answered with what can be marked ("circle the cup").
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence

from agent.pending_edit import PEOPLE_WORDS
from agent.picture_questions import COLOURS
from agent.text_parts import asked_part
from agent.text_region import WRITING
from agent.upload_contents import labels_named

# "put a box around the cat", "draw a red rectangle around her face", "circle the cup", "highlight the faces"; not a
# frame around the picture itself ("put a box around it": agent/capabilities.py NO_FRAME) nor "the outline of" (edges)
_MARK = re.compile(
    r"\b(?:put|draw|add|place)\s+(?:an?\s+|some\s+)?(?:\w+\s+)?(?:box|boxes|rectangles?|squares?|circles?|marks?)\s+"
    r"(?:around|round|on|over)\s+(?P<around>(?:the|her|his|their|its|all\s+the|each|every)\s+[\w' ]+)"
    r"|\b(?:circle|highlight|mark|box)\s+(?P<marked>(?:the|her|his|their|its|all\s+the|each|every)\s+[\w' ]+)",
    re.IGNORECASE,
)
_PICTURE = re.compile(r"^(?:the|its)\s+(?:image|photo|picture|pic|edges?)\b", re.IGNORECASE)
# "box every object you can find": whatever the detector finds
_ANYTHING_FOUND = re.compile(r"^(?:all\s+the|each|every)\s+(?:objects?|things?)\b", re.IGNORECASE)

NO_MARKER = (
    "No tool here draws on a picture: Detection marks what it finds with boxes in the copy it shows, and it finds "
    'faces, people and cats only ("put a box around her face", "mark the cat"); the writing is marked from a '
    'reading ("put a box around the text").'
)
WRITING_MARKED = 'I read "{text}" in {image} and marked {what} with a box in the copy shown.'
BOX_STYLE = (
    "Detection draws its boxes in colours and widths of its own (the first box red), and no tool here redraws them. "
    'I can crop to a box or blur it instead ("crop to the face", "blur the face").'
)
# "make the box red", "change the rectangle to blue", "make the boxes thicker": the detector's drawing restyled (the
# restyler had been named as missing)
_RESTYLED = re.compile(
    r"\b(?:make|change|turn|colou?r|paint)\s+(?:the|that|this|those|these|its)\s+(?:box|boxes|rectangles?|outlines?)\s+"
    rf"(?:to\s+|into\s+)?(?:{COLOURS}|thicker|thinner|bolder)\b",
    re.IGNORECASE,
)


def restyles_the_marking(request: str) -> bool:
    """Whether ``request`` asks to change how a marking's boxes are drawn (their colour or width)."""
    return bool(_RESTYLED.search(request))


def marked(request: str) -> str | None:
    """What ``request`` asks to mark ("the cat" of "put a box around the cat"), or ``None`` when it asks to mark
    nothing in the picture."""
    asked = _MARK.search(request)
    if not asked:
        return None
    thing = (asked.group("around") or asked.group("marked")).strip()
    return None if _PICTURE.match(thing) else thing


def marks_what_is_found(request: str) -> bool:
    """Whether ``request`` asks to mark something the detector finds (a face, a person, a cat, or every object)."""
    thing = marked(request)
    return bool(thing and (labels_named(thing) or _ANYTHING_FOUND.match(thing)))


# "put a box around it", "circle them", "mark it": what "it" is, the last detection says
_MARK_IT = re.compile(
    r"\b(?:put|draw|add|place)\s+(?:an?\s+|some\s+)?(?:\w+\s+)?(?:box|boxes|rectangles?|squares?|circles?|marks?)\s+"
    r"(?:around|round|on|over)\s+(?:it|them)\b|\b(?:circle|highlight|mark|box)\s+(?:it|them)\b",
    re.IGNORECASE,
)


def marks_it(request: str) -> bool:
    """Whether ``request`` asks to mark "it" or "them" ("put a box around it" after "find the cat": the model cropped
    to the cat's box)."""
    return bool(_MARK_IT.search(request))


def marked_finding(request: str) -> str:
    """The word for the face, person or cat ``request`` asks to mark ("cat" of "put a box around the cat"), to answer
    where it was found; ``""`` for anything else (every object, the writing, a cup)."""
    thing = marked(request)
    if not thing or not labels_named(thing):
        return ""
    return re.findall(r"\w+", thing.lower())[-1]


def marks_the_writing(request: str) -> str | None:
    """What of the writing ``request`` asks to mark ("the phone number" of "circle the phone number", "the text" of
    "put a box around the text"), or ``None``."""
    thing = marked(request)
    return thing if thing and (WRITING.search(thing) or asked_part(thing)) and not labels_named(thing) else None


def unmarked(request: str, called: Sequence[str], finder: str, available: Collection[str]) -> str | None:
    """``finder`` when ``request`` asks to mark what it finds, it is loaded (``available``) and none of the turn's
    ``called`` tools ran it: the answer came before anything was marked; else ``None``."""
    if finder in available and finder not in called and marks_what_is_found(request):
        return finder
    return None


_NAMED_FINDING = re.compile(rf"\b({PEOPLE_WORDS})\b", re.IGNORECASE)


def it_finding(request: str, found: Sequence[str]) -> str:
    """What "it" is in ``request``, which asks to mark it: the face, person or cat the request names beside ("find the
    cat and put a box around it": a face alone found had been told as "The face is at ..."), else the first of the
    labels ``found``."""
    named = _NAMED_FINDING.search(request)
    return named.group(1).lower() if named else next(iter(found), "")
