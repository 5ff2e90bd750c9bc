"""Putting a found thing in the middle: "make the cat the center of the image", "center the cat".

No tool here moves what a picture shows; asked to "make the cat the center of the image" after "find the cat", the
model rotated the crop by 300 degrees. A crop can put it in the middle: the largest box centred on the box the last
detection found of it, inside the picture it was found on. The agent writes that crop itself.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from agent.pending_edit import CROPPER, Step, labelled_boxes
from agent.picture_questions import DETECTORS
from agent.request_parts import OPENING
from agent.whereabouts import answering_labels
from generation.tool_calls import image_names
from protocol.steps import ToolCall

_MIDDLE = r"(?:cent(?:er|re)|middle)"
_PICTURE = r"(?:\s+(?:of|in)\s+(?:it|the\s+(?:image|photo|picture|pic|frame|crop)))?"
# The whole request asks for something found to be in the middle of the picture
_CENTRED = re.compile(
    OPENING + r"(?:(?:make|put|place|have|get)\s+(?:the\s+|her\s+|his\s+)?(?P<what>\w+)\s+(?:be\s+)?"
    r"(?:the|in\s+the|at\s+the)\s+" + _MIDDLE + _PICTURE + r"|cent(?:er|re)\s+(?:on\s+)?(?:the\s+|her\s+|his\s+)?"
    r"(?P<centred>\w+)"
    + _PICTURE
    + r"|crop\s+(?:it\s+)?so\s+(?:that\s+)?(?:the\s+)?(?P<so>\w+)\s+is\s+in\s+the\s+"
    + _MIDDLE
    + r")(?:\s+please)?\s*[.!?]*\s*$",
    re.IGNORECASE,
)


def centred_crop(
    request: str, reports: Sequence[Step], size_of: Callable[[str], tuple[int, int] | None]
) -> ToolCall | None:
    """The crop that puts what ``request`` asks to have in the middle there, when the last detection (``reports``)
    found it: the largest box centred on its box inside the picture it was found on (``size_of``: an image's width and
    height); ``None`` when the request asks no such thing, nothing it names was found or the box is on the edge."""
    asked = _CENTRED.match(request.strip())
    if asked is None:
        return None
    what = next(word for word in asked.groups() if word).lower()
    for step in reports:
        found = labelled_boxes(step.observation) if step.ok and step.action in DETECTORS else []
        labels = answering_labels(what, [label for label, _ in found])
        image = next(iter(image_names(step.action_input)), None)
        size = size_of(image) if image else None
        box = next((box for label, box in found if label in labels), None)
        if box is None or size is None:
            continue
        left, top, right, bottom = (int(corner) for corner in box)
        middle_x, middle_y = (left + right) // 2, (top + bottom) // 2
        half_width = min(middle_x, size[0] - middle_x)
        half_height = min(middle_y, size[1] - middle_y)
        if half_width <= 0 or half_height <= 0:
            return None
        centred = (middle_x - half_width, middle_y - half_height, middle_x + half_width, middle_y + half_height)
        return ToolCall(f"The {what} goes in the middle", CROPPER, ", ".join([image, *map(str, centred)]))
    return None
