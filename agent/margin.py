"""A crop with room around its box: "crop it with some margin", "crop to her face with 20 pixels of padding".

Asked "crop it with some margin" after "find the cat", the model cropped to the cat's box exactly: it cannot work out
a margin, and the box it copies is the detector's. A crop of a box a detector found grows on each side by the pixels
the request states, or by :data:`MARGIN_SHARE` of the box's width and height, and stays inside the picture.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from dataclasses import replace

from agent.pending_edit import CROPPER
from protocol.steps import ToolCall

MARGIN_SHARE = 0.1  # of the box's width (left and right) and height (top and bottom) when no size is stated

# "with some margin", "with a bit of padding", "leave 20 pixels around it", "with a 10px border", "with room around it"
_MARGIN = re.compile(
    r"\b(?:with|leav(?:e|ing)|keep(?:ing)?|add(?:ing)?|giv(?:e|ing)(?:\s+it)?)\s+"
    r"(?:(?:some|a|an|more|extra|a\s+(?:little|bit|small|few\s+pixels))(?:\s+(?:bit|little))?(?:\s+of)?\s+)?"
    r"(?:(?P<pixels>\d+)\s*(?:-\s*)?(?:px|pixels?)(?:\s+of)?\s+)?"
    r"(?:margins?|padding|room|space|border)(?:\s+(?:around|round)\s+(?:it|them|the\s+\w+|her|him))?"
    r"|\b(?:leave|leaving)\s+(?P<around>\d+)\s*(?:px|pixels?)\s+(?:around|round)\b",
    re.IGNORECASE,
)


def asks_for_a_margin(request: str) -> bool:
    """Whether ``request`` asks for room around what it crops to."""
    return bool(_MARGIN.search(request))


def with_asked_margin(
    call: ToolCall,
    request: str,
    size: Callable[[str], tuple[int, int] | None],
    found: Collection[tuple[str, ...]],
) -> ToolCall:
    """:data:`~agent.pending_edit.CROPPER`'s ``call`` with its box, one a detector ``found``, grown by the margin
    ``request`` asks for, kept inside its image (``size``: an image's width and height); else ``call`` (a box of
    other numbers may hold its margin already)."""
    asked = _MARGIN.search(request)
    arguments = [argument.strip() for argument in call.arguments]
    cropped = crop_box(call, size)
    if asked is None or cropped is None or tuple(arguments[1:]) not in found:
        return call
    (left, top, right, bottom), dimensions = cropped
    stated = asked.group("pixels") or asked.group("around")
    across = int(stated) if stated else round(MARGIN_SHARE * (right - left))
    down = int(stated) if stated else round(MARGIN_SHARE * (bottom - top))
    box = grown_box((left, top, right, bottom), across, down, *dimensions)
    return replace(call, action_input=", ".join([arguments[0], *map(str, box)]))


def crop_box(
    call: ToolCall, size: Callable[[str], tuple[int, int] | None]
) -> tuple[tuple[int, int, int, int], tuple[int, int]] | None:
    """The box of :data:`~agent.pending_edit.CROPPER`'s ``call`` in whole pixels and its image's size (``size``: an
    image's width and height), when the call is a crop of a box with room inside and the size can be read."""
    arguments = [argument.strip() for argument in call.arguments]
    if call.tool != CROPPER or len(arguments) != 5:
        return None
    dimensions = size(arguments[0])
    try:
        left, top, right, bottom = (round(float(number)) for number in arguments[1:])
    except ValueError:
        return None
    if not dimensions or right <= left or bottom <= top:
        return None
    return (left, top, right, bottom), dimensions


def grown_box(
    box: tuple[int, int, int, int], across: int, down: int, width: int, height: int
) -> tuple[int, int, int, int]:
    """``box`` grown by ``across`` pixels left and right and ``down`` pixels up and down, inside a ``width`` x
    ``height`` picture."""
    left, top, right, bottom = box
    return max(0, left - across), max(0, top - down), min(width, right + across), min(height, bottom + down)
