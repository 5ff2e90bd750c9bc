"""The size of a box a detector found: "how big is the box?" after "find the cat and put a box around it".

The model cannot measure a box; asked so, it cropped the photo to the box and presented the crop. The boxes the last
detection found are the conversation's facts (``ChatSession.reports``): the answer gives each one's width and height,
in pixels, from its corners.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from agent.pending_edit import Step, labelled_boxes
from agent.picture_questions import DETECTORS
from agent.request_parts import OPENING

BOX_SIZE = "The {label}'s box [{box}] is {width} x {height} pixels (width x height)."
NO_BOX = "No box has been found yet: ask me to find a face, a person or a cat first."

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
