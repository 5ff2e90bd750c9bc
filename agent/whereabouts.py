"""Where something the detector finds is in the picture: "where is the cat?", "where's her face?", "find the faces".

Asked "where is the cat?" of the cat photo, the model answered that no loaded tool can answer questions about an
image, though Detection finds cats; asked "where is her face?", it ran Detection and answered "The face is at face
[176, 65, 273, 162].". Such a question runs the detector (:func:`unlocated`), and the answer says where each box it
found lies, in words a person reads ("at the top") and in pixels (:func:`whereabouts_answer`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from agent.pending_edit import CAT_LABELS, FACE_LABELS, FINDER, PEOPLE_WORDS, PERSON_LABELS, labelled_boxes
from agent.picture_questions import DETECTORS

# The whole request asks where a face, a person or a cat is: "where is the cat?", "where's her face?", "where is
# she?", "can you show me where the astronaut is?"
_IN_THE_PICTURE = (
    r"(?:\s+(?:in|on)\s+(?:it|this|that|(?:the|this|that|my)\s+(?:image|photo|picture|pic)))?\s*[?.!]*\s*$"
)
_WHERE = re.compile(
    r"^\W*(?:(?:so|and|ok|okay|hmm+)[,]?\s+)?(?:(?:can|could)\s+you\s+(?:show\s+me|tell\s+me)\s+|show\s+me\s+)?"
    r"where(?:'s|\s+is|\s+are|'re)?\s+(?:(?:the|her|his|their|my|a|an)\s+)?"
    r"(?P<what>(?!(?:it|this|that|file|image|photo|picture|pic|result|original|folder|workspace)s?\b)\w+)"
    r"(?:\s+(?:is|are))?" + _IN_THE_PICTURE,
    re.IGNORECASE,
)
# The whole request asks which side something is on: "is the cat on the left or the right?" (answered "The cat is on
# the left." of a crop the cat filled), "which side is the cat on?"
_SIDE_WORD = r"(?:(?:on|in|at|to(?:wards)?)\s+)?(?:the\s+)?(?:left|right|top|bottom|middle|cent(?:er|re))(?:\s+(?:side|half|edge))?"
_SIDE = re.compile(
    r"^\W*(?:(?:so|and|ok|okay)[,]?\s+)?(?:(?:is|are)\s+(?:(?:the|her|his|their|my|a|an)\s+)?"
    r"(?P<what>(?!(?:it|this|that)\b)\w+)\s+" + _SIDE_WORD + r"(?:\s*,?\s+or\s+" + _SIDE_WORD + r")*"
    r"|which\s+(?:side|half|part)(?:\s+of\s+the\s+(?:image|photo|picture|pic))?\s+(?:is|are)\s+"
    r"(?:(?:the|her|his|their|my)\s+)?(?P<which>\w+)(?:\s+(?:on|in))?)" + _IN_THE_PICTURE,
    re.IGNORECASE,
)
# The whole request asks to find what Detection finds: "find the faces in this photo" (answered "The nose is cat [78,
# 0, 446, 300]." of the cat photo)
_FIND = re.compile(
    r"^\W*(?:(?:please|can\s+you|could\s+you)\s+)?(?:find|detect|locate|spot)\s+"
    r"(?:(?:the|all(?:\s+the)?|any|her|his|their|a|an)\s+)?"
    rf"(?P<what>{PEOPLE_WORDS})" + _IN_THE_PICTURE,
    re.IGNORECASE,
)
# What Detection finds, by its word or a pronoun
_PEOPLE_OR_PRONOUN = re.compile(rf"(?:{PEOPLE_WORDS}|she|he|they)$")

# The copy with the boxes drawn is shown, not named (named, the model took it for the photo next); the boxes are
# written as the detector writes them, which a later turn's blur or crop takes (the model copies them from its history)
ONE_FOUND = (
    "The {label} is {place} of {image}: {label} [{box}] (left, top, right, bottom, in pixels); the copy shown marks it."
)
SEVERAL_FOUND = (
    "There are {count} {label}s on {image}: {places} (left, top, right, bottom, in pixels); the copy shown marks them."
)
NONE_OF_THEM = "{finder} found no {asked} on {image}; it found {others}."
MOST_OF_IT = " It takes up most of the picture."
# how much of the picture's width and height a box spans for the answer to say it takes up most of the picture
_MOST = 0.8
TEXT_PLACED = 'The text ("{words}") is {place} of {image}: {box} (left, top, right, bottom, in pixels).'
_WRITING_WORDS = frozenset({"text", "writing", "words", "sign", "signs", "label", "lettering", "letters", "caption"})


def asks_where(request: str) -> str:
    """The word for what ``request`` asks the place of ("cat" of "where is the cat?", "faces" of "find the faces"),
    lower-cased; ``""`` when it asks no such thing."""
    where = _WHERE.match(request.strip()) or _FIND.match(request.strip()) or _SIDE.match(request.strip())
    named = where.groupdict() if where else {}
    return (named.get("what") or named.get("which") or "").lower()


def unlocated(request: str, called: Sequence[str], available: Sequence[str]) -> str | None:
    """:data:`agent.pending_edit.FINDER` when ``request`` asks where something it finds (a face, a person, a cat)
    is, it is loaded and no detector ran this turn (``called``); else ``None``."""
    if FINDER not in available or any(tool in DETECTORS for tool in called):
        return None
    return FINDER if _PEOPLE_OR_PRONOUN.match(asks_where(request)) else None


def answering_labels(asked: str, found: Sequence[str]) -> tuple[str, ...]:
    """The detector's labels that answer a question about ``asked``: its own word where the detector found that
    (a detector told what to find labels by it), else those that stand for a cat, a face or a person; none for
    anything else."""
    if asked in found or asked.rstrip("s") in found:
        return (asked if asked in found else asked.rstrip("s"),)
    if not _PEOPLE_OR_PRONOUN.match(asked):
        return ()
    if asked.startswith(("cat", "kitten")):
        return CAT_LABELS
    return FACE_LABELS if asked.startswith("face") else PERSON_LABELS


def place_in_words(box: Sequence[int], width: int, height: int) -> str:
    """Where ``box`` (left, top, right, bottom) lies in a ``width`` x ``height`` picture, by the third its centre
    falls in: "at the top left", "on the right", "in the middle"."""
    left, top, right, bottom = box
    column = ("left", "", "right")[min(2, 3 * (left + right) // (2 * max(1, width)))]
    row = ("top", "", "bottom")[min(2, 3 * (top + bottom) // (2 * max(1, height)))]
    if row and column:
        return f"at the {row} {column}"
    if row or column:
        return f"{'at' if row else 'on'} the {row or column}"
    return "in the middle"


def whereabouts_answer(
    request: str, tool: str, image: str, observation: str, size: tuple[int, int] | None, *, asked: str = ""
) -> str | None:
    """Where the boxes detector ``tool`` found on ``image`` (its name, or "the picture"; its ``observation``; ``size``:
    the image's width and height) lie, of those that answer what ``request`` asks the place of (or ``asked``: what it
    asks to mark); what it found instead when none does; ``None`` when the request asks no such thing, the detector
    found nothing (the empty result says so) or the size cannot be read."""
    asked = asked or asks_where(request)
    found = [(label, tuple(int(corner) for corner in box)) for label, box in labelled_boxes(observation)]
    if not asked or not found or size is None:
        return None
    labels = answering_labels(asked, [label for label, _ in found])
    answering = [(label, box) for label, box in found if label in labels]
    if not answering:
        others = ", ".join(f"a {label} {place_in_words(box, *size)}" for label, box in found)
        return NONE_OF_THEM.format(finder=tool, asked=asked, image=image, others=others)
    # the label that answers best (a person's own box before the face that stands for it), each of its boxes
    best = next(label for label in labels if any(found_label == label for found_label, _ in answering))
    boxes = [box for label, box in answering if label == best]
    if len(boxes) == 1:
        box = ", ".join(map(str, boxes[0]))
        left, top, right, bottom = boxes[0]
        most = right - left >= _MOST * size[0] and bottom - top >= _MOST * size[1]
        found_at = ONE_FOUND.format(label=best, place=place_in_words(boxes[0], *size), image=image, box=box)
        return found_at + (MOST_OF_IT if most else "")
    places = ", ".join(f"{best} [{', '.join(map(str, box))}] {place_in_words(box, *size)}" for box in boxes)
    return SEVERAL_FOUND.format(count=len(boxes), label=best, image=image, places=places)


def asks_where_the_writing_is(request: str) -> bool:
    """Whether ``request`` asks where the writing is ("where is the text?", "where's the sign in this photo?")."""
    return asks_where(request) in _WRITING_WORDS


def writing_whereabouts(words: str, box: Sequence[int], image: str, size: tuple[int, int]) -> str:
    """Where the text a reading placed in ``box`` lies in ``image`` (its name, or "the picture") of ``size``: asked
    "where is the text in the picture?", the answer had given the words alone."""
    place = place_in_words(box, *size)
    return TEXT_PLACED.format(words=words, place=place, image=image, box=", ".join(map(str, box)))
