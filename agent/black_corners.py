"""Cropping out the black corners a rotation leaves: the largest upright box inside the turned picture.

Rotate Image grows the canvas so nothing of the photo is cut off, and fills the corners black. Asked to "crop out the
black corners" after "rotate her 45 degrees", the agent asked for a box in pixels. The rotations that made the image
say where the photo is: each turns about the canvas's centre and grows it evenly, so the photo (the size it had before
the first of them) stands in the middle, turned by their sum. The crop keeps the largest upright box inside it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Collection, Mapping

from agent.pending_edit import CROPPER
from agent.several_edits import ROTATOR
from agent.undo import made_call

# "crop out the black corners", "remove the black borders", "get rid of the black bits"; "the corners are black, fix
# that", "fix the black edges" (the model cropped a box of its own)
_ASKS = re.compile(
    r"\b(?:crop|cut|trim|remove|get\s+rid\s+of|fix)\s+(?:out\s+|off\s+|away\s+)?(?:the|those|these|all\s+the)\s+"
    r"black\s+(?:corners?|edges?|borders?|bits|parts|triangles|areas|background)\b"
    r"|\b(?:the\s+)?(?:corners|edges|borders)\s+(?:are|look|went|turned)\s+(?:all\s+)?black\b.*\b(?:fix|crop|remove|"
    r"get\s+rid|cut|trim)",
    re.IGNORECASE,
)
Box = tuple[int, int, int, int]
NO_CORNERS = (
    "{image} has no black corners to crop: it was not made by Rotate Image. Crop Image takes a box you give as left, "
    'top, right, bottom, or a part by its place ("the middle").'
)


def asks_to_crop_the_corners(request: str) -> bool:
    """Whether ``request`` asks to crop out the black corners of a rotation."""
    return bool(_ASKS.search(request))


def corners_box(
    request: str, latest: str | None, made_by: Mapping[str, str], size: Callable[[str], tuple[int, int] | None]
) -> Box | None:
    """The box of ``latest`` that holds the photo without the black corners, when ``request`` asks for it and
    ``latest`` was made by rotations (``made_by``: each made image's call; ``size`` an image's width and height);
    ``None`` otherwise."""
    if latest is None or not asks_to_crop_the_corners(request):
        return None
    angle, image = 0.0, latest
    while (made := made_call(made_by, image)).tool == ROTATOR:
        try:
            angle += float(made.action_input.rpartition(",")[2])
        except ValueError:
            return None
        image = made.action_input.split(",", 1)[0].strip()
    photo, canvas = size(image), size(latest)
    if image == latest or photo is None or canvas is None:
        return None
    width, height = upright_inside(*photo, math.radians(angle))
    left, top = (canvas[0] - width) // 2, (canvas[1] - height) // 2
    return left, top, left + width, top + height


def upright_inside(width: int, height: int, angle: float) -> tuple[int, int]:
    """The width and height of the largest upright box inside a ``width`` x ``height`` picture turned by ``angle``
    radians about its centre (the whole picture, sideways or not, for quarter turns)."""
    sin, cos = abs(math.sin(angle)), abs(math.cos(angle))
    if sin < 1e-9 or cos < 1e-9:  # a half or quarter turn: no corners
        return (width, height) if cos >= sin else (height, width)
    longer, shorter = max(width, height), min(width, height)
    if shorter <= 2 * sin * cos * longer or abs(sin - cos) < 1e-9:
        # the box touches the longer sides only: a half of the shorter side fixes it
        half = shorter / 2
        inner = (half / sin, half / cos) if width >= height else (half / cos, half / sin)
    else:
        cos_2a = cos * cos - sin * sin
        inner = ((width * cos - height * sin) / cos_2a, (height * cos - width * sin) / cos_2a)
    return max(1, math.floor(inner[0])), max(1, math.floor(inner[1]))


def corners_not_cropped(request: str, called: Collection[str], available: Collection[str]) -> str | None:
    """:data:`CROPPER` when ``request`` asks to crop out the black corners, it is loaded and nothing ran yet this turn
    (``called``); else ``None``."""
    return CROPPER if asks_to_crop_the_corners(request) and CROPPER in available and not called else None
