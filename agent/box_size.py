"""The size of a box a detector found: "how big is the box?" after "find the cat and put a box around it", "how big
is the cat in the photo?" after "find the cat".

The model cannot measure a box; asked so, it cropped the photo to the box and presented the crop (asked how big the
cat is, it refused). The boxes the last detection found are the conversation's facts (``ChatSession.reports``): the
answer gives each one's width and height, in pixels, from its corners, and for a thing found, its share of the
picture.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from agent.pending_edit import Step, labelled_boxes
from agent.picture_questions import DETECTORS
from agent.request_parts import OPENING
from agent.upload_contents import labels_named
from agent.whereabouts import answering_labels
from generation.tool_calls import image_names

BOX_SIZE = "The {label}'s box [{box}] is {width} x {height} pixels (width x height)."
SHARE = "That is {share}% of the {width} x {height} picture."
NO_BOX = "No box has been found yet: ask me to find a face, a person or a cat first."
CANNOT_MEASURE = (
    "I can't measure the {what}: the detector here finds only faces, people and cats, so nothing gives me its box. "
    "{image} itself is {width} x {height} pixels."
)

# The whole request asks how big a found box is: "how big is the box?", "what size is the cat's box?", "how large is
# the bounding box around her face?", "what are the box's dimensions?"
_BOX = (
    r"(?:(?:the|that|this)\s+(?:\w+(?:'s)?\s+)?(?:bounding\s+)?box(?:\s+(?:around|of)\s+(?:the\s+|her\s+|his\s+)?\w+)?)"
)
_BOX_SIZE_QUESTION = re.compile(
    OPENING
    + r"(?:(?:how\s+(?:big|large|wide|tall)|what(?:'s|\s+is)\s+the\s+size\s+of|what\s+size)\s+(?:is\s+)?"
    + _BOX
    + r"|what\s+are\s+(?:the\s+dimensions\s+of\s+"
    + _BOX
    + r"|the\s+box's\s+dimensions))(?:\s+please)?\s*[.?!]*\s*$",
    re.IGNORECASE,
)

# The whole request asks how big something a detector finds is: "how big is the cat in the photo?", "how large is her
# face?", "what size is the cat?"
_THING_SIZE = re.compile(
    OPENING + r"(?:(?:how\s+(?:big|large|wide|tall)|what\s+size)\s+(?:is|are)\s+"
    # "what's the size of the cup?" (the model: "The cup is 3000 x 4000.")
    r"|what(?:'s|\s+is)\s+the\s+(?:size|width|height|dimensions)\s+of\s+)(?:the|her|his|their|my|that|this)\s+"
    r"(?P<what>\w+)(?:\s+(?:in|on)\s+(?:it|the\s+(?:image|photo|picture|pic)))?(?:\s+please)?\s*[.?!]*\s*$",
    re.IGNORECASE,
)


def asks_for_the_box_size(request: str) -> bool:
    """Whether ``request`` only asks how big a box a detector found is (see the module docstring)."""
    return bool(_BOX_SIZE_QUESTION.match(request))


def box_size_answer(reports: Sequence[Step]) -> str:
    """The width and height of each box the detections among ``reports`` found (:data:`BOX_SIZE`), or
    :data:`NO_BOX`."""
    boxes = [
        (label, box)
        for step in reports
        if step.ok and step.action in DETECTORS
        for label, box in labelled_boxes(step.observation)
    ]
    if not boxes:
        return NO_BOX
    told = []
    for label, box in boxes:
        left, top, right, bottom = (int(corner) for corner in box)
        told.append(BOX_SIZE.format(label=label, box=", ".join(box), width=right - left, height=bottom - top))
    return " ".join(told)


# What a size is asked of that is the picture itself, or writing the reading tool places
_NOT_A_THING = re.compile(
    r"^(?:image|photo|picture|pic|file|upload|original|crop|result|output|edit|rotation|resize|blur|cut-?out|map|edges|"
    r"lines|pose|sketch|drawing|one|version|copy|first|second|third|last|latest|new|other|sign|text|writing|words?|"
    r"box|it)$",
    re.IGNORECASE,
)


def found_size_answer(
    request: str, reports: Sequence[Step], size_of: Callable[[str], tuple[int, int] | None], latest: str | None = None
) -> str | None:
    """How big the things ``request`` asks the size of are, when the last detection (``reports``) found them: each
    box's :data:`BOX_SIZE` and its :data:`SHARE` of the picture (``size_of``: an image's width and height);
    :data:`CANNOT_MEASURE` for a thing the detector does not find, with the size of ``latest``, the image worked on;
    ``None`` when it asks no such thing or what it names was not found yet."""
    asked = _THING_SIZE.match(request.strip())
    if asked is None:
        return None
    what = asked.group("what").lower()
    latest_size = size_of(latest) if latest else None
    # "how tall is the horse?" asks of the world: the tool that answers questions about a picture's
    of_the_picture = not re.search(r"\b(?:tall|wide|height|width)\b", request, re.IGNORECASE)
    if latest_size and of_the_picture and not labels_named(what) and not _NOT_A_THING.match(what):
        return CANNOT_MEASURE.format(what=what, image=latest, width=latest_size[0], height=latest_size[1])
    told = []
    for step in reports:
        found = labelled_boxes(step.observation) if step.ok and step.action in DETECTORS else []
        labels = answering_labels(asked.group("what").lower(), [label for label, _ in found])
        size = size_of(image_names(step.action_input)[0]) if image_names(step.action_input) else None
        for label, box in found:
            if label not in labels:
                continue
            left, top, right, bottom = (int(corner) for corner in box)
            width, height = right - left, bottom - top
            told.append(BOX_SIZE.format(label=label, box=", ".join(box), width=width, height=height))
            if size:
                share = round(100 * width * height / max(1, size[0] * size[1]))
                told.append(SHARE.format(share=share, width=size[0], height=size[1]))
    return " ".join(told) if told else None


def unmeasured(request: str, called: Sequence[str], finder: str, available: Sequence[str]) -> str | None:
    """``finder`` when ``request`` asks how big a face, a person or a cat is (what it finds), it is loaded
    (``available``) and none of the turn's ``called`` tools ran it: asked "how big is the cat in the photo?" with no
    detection run yet, the model answered that the tool for questions about a picture is missing; else ``None``."""
    asked = _THING_SIZE.match(request.strip())
    if asked and finder in available and finder not in called and labels_named(asked.group("what")):
        return finder
    return None
