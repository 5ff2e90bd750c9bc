"""A rotation asked to keep the picture's size: the rotated canvas cut back to it.

Rotate Image enlarges the canvas to hold the whole turned picture (512 x 512 turned by 45 degrees is 725 x 725).
Asked to "rotate it 45 degrees but keep the same size", the model rotated and presented the larger picture as
asked. When a request asks for a rotation that keeps the size and the turn's rotation made a larger canvas, the
agent opens Crop Image after it (:func:`size_not_kept`), and the crop takes the middle of the rotated picture at
its source's size (:func:`with_kept_size`), whatever box the model wrote: the picture turned in place, its corners
cut as a rotation that keeps the canvas cuts them. Plan mode adds the same crop after the planned rotation
(agent/plan_asked.py). Where the source's box does not fit in the turned canvas (a wide strip turned by 45 degrees),
the answer says the size was not kept (:func:`size_not_keepable`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import replace

from agent.pending_edit import CROPPER
from agent.several_edits import ROTATOR, MadeStep, asked_edits
from protocol.steps import ToolCall
from tools.registry import ToolRegistry

Size = Callable[[str], tuple[int, int] | None]

_KEEP_SIZE = re.compile(
    r"\b(?:keep|keeping|retain|preserve|maintain)\s+(?:the\s+|its\s+)?(?:same\s+|original\s+)?"
    r"(?:size|dimensions|resolution|canvas)\b"
    r"|\b(?:same|original)\s+(?:size|dimensions|resolution)\b"
    r"|\bwithout\s+(?:changing|enlarging|growing)\s+(?:the\s+|its\s+)?(?:size|dimensions|canvas)\b"
    r"|\b(?:don't|do\s+not)\s+(?:change|enlarge|grow)\s+(?:the\s+|its\s+)?(?:size|dimensions|canvas)\b",
    re.IGNORECASE,
)


def keeps_the_size(request: str, tools: ToolRegistry) -> bool:
    """Whether ``request`` asks for a rotation that keeps the picture's size."""
    return bool(_KEEP_SIZE.search(request)) and ROTATOR in asked_edits(request, tools)


def grows(source: tuple[int, int], turned: tuple[int, int]) -> bool:
    """Whether a rotation of a ``source``-sized picture to a ``turned`` canvas grew it both ways (so a box of the
    source's size fits in its middle)."""
    return turned != source and all(t >= s for t, s in zip(turned, source, strict=True))


def _grown_rotation(steps: Sequence[MadeStep], size: Size) -> tuple[int, str, tuple[int, int], tuple[int, int]] | None:
    """The turn's last rotation, when it made a canvas larger than its source: its index in ``steps``, the image it
    made, its source's size and its result's size; ``None`` when there is none."""
    for index in range(len(steps) - 1, -1, -1):
        step = steps[index]
        made = [name for name in step.files if name in step.observation]
        if step.action != ROTATOR or not step.ok or not made:
            continue
        source, result = size(step.action_input.split(",", 1)[0].strip()), size(made[0])
        return (index, made[0], source, result) if source and result and grows(source, result) else None
    return None


def size_not_kept(request: str, steps: Sequence[MadeStep], tools: ToolRegistry, size: Size) -> str | None:
    """:data:`CROPPER` when ``request`` asks for a rotation that keeps the size, the turn's rotation made a larger
    canvas and no crop followed it; else ``None``."""
    if CROPPER not in tools or not keeps_the_size(request, tools):
        return None
    grown = _grown_rotation(steps, size)
    if grown is None or any(step.action == CROPPER for step in steps[grown[0] + 1 :]):
        return None
    return CROPPER


NOT_KEPT = (
    "The size was not kept: turned, the {width} x {height} picture needs a {turned_width} x {turned_height} canvas, "
    "and a {width} x {height} box does not fit inside it."
)


def size_not_keepable(request: str, steps: Sequence[MadeStep], tools: ToolRegistry, size: Size) -> str | None:
    """:data:`NOT_KEPT` when ``request`` asks for a rotation that keeps the size and the turn's last rotation made a
    canvas its source's box does not fit in (a wide strip turned by 45 degrees is narrower than it; "rotate that 45
    and keep the size" had presented the larger canvas as asked); else ``None``."""
    if not keeps_the_size(request, tools):
        return None
    for step in reversed(steps):
        made = [name for name in step.files if name in step.observation]
        if step.action != ROTATOR or not step.ok or not made:
            continue
        source, turned = size(step.action_input.split(",", 1)[0].strip()), size(made[0])
        if not source or not turned or turned == source or grows(source, turned):
            return None
        return NOT_KEPT.format(width=source[0], height=source[1], turned_width=turned[0], turned_height=turned[1])
    return None


def with_kept_size(
    call: ToolCall, request: str, steps: Sequence[MadeStep], tools: ToolRegistry, size: Size
) -> ToolCall:
    """``call``, a crop, as the middle of the turn's grown rotation at its source's size when ``request`` asks for a
    rotation that keeps the size; else ``call`` unchanged."""
    if call.tool != CROPPER or not keeps_the_size(request, tools):
        return call
    grown = _grown_rotation(steps, size)
    if grown is None:
        return call
    _, rotated, source, turned = grown
    return replace(call, action_input=", ".join([rotated, *map(str, middle_box(source, turned))]))


def middle_box(source: tuple[int, int], turned: tuple[int, int]) -> tuple[int, int, int, int]:
    """The box (left, top, right, bottom) of ``source``'s size in the middle of a ``turned`` canvas that holds it."""
    (width, height), (wide, high) = source, turned
    left, top = (wide - width) // 2, (high - height) // 2
    return left, top, left + width, top + height
