"""Requests for several edits at once ("make it bigger and rotate it by 90 degrees"): each one is done.

A small model trained mostly on one tool a turn does one of the edits and answers ("image/....png is the rotated image
you asked for"): the rest of the request is dropped, and the answer reads as if it were done. When a request asks
for two or more edits or maps by their words, a tool ran this turn and an asked one did not, the agent opens a step
with that tool and lets the model write its input. Questions and thanks ("thanks for the resize, now show me the
edges") are not read so.

The edits are done in the order the request asks for them, each on the image the one before it made. Asked to
"crop her face and rotate it 180", the model detected the face, then rotated the whole photo, and the face was
cropped from the unrotated photo; asked to "crop the top half and show me the edges", it drew the edges of the
photo before the crop. A later call of an edit asked for after one that has not run is set aside for that one
(:func:`edit_out_of_order`), and a later call on an image the turn's last edit was made from works on that edit's
result (:func:`on_the_last_edit`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Protocol

from agent.every_upload import asks_for_every
from agent.image_reference import points_past_the_latest
from agent.meant_call import ABOUT_OR_THANKS, RESIZER, asks_for_another_size, named_maps, same_number, says
from agent.pending_edit import BLURRER, BOX_TOOLS, CROPPER, Step, asks_for, pending_box_edit
from agent.picture_questions import DETECTORS
from agent.read_text import READING_TOOLS, asks_about_writing
from agent.request_parts import asked_parts, request_parts
from agent.stated_numbers import stated_angle, stated_numbers
from agent.undo import lineage
from generation.tool_calls import image_names
from protocol.steps import ToolCall
from tools.registry import ToolRegistry

ROTATOR = "Rotate Image"
# Edits by the words that ask for them (a map tool is asked for by its map's words: agent.meant_call.named_maps)
_ROTATE = re.compile(
    r"\brotate\b|\bturn\s+(?:it|this|that|the\s+\w+)\s+(?:by\s+)?"
    r"(?:\d|upside|sideways|left|right|clockwise|counter|anti|a\s+quarter)",
    re.IGNORECASE,
)


def edit_not_run(request: str, called: Sequence[str], tools: ToolRegistry) -> str | None:
    """The first edit or map ``request`` asks for whose tool is not among the turn's ``called`` ones, when it asks for
    two or more and one of them ran, or the map it edits ran in its place; else ``None``."""
    if not any(called) or ABOUT_OR_THANKS.search(request):
        return None
    asked = edits_in_order(request, tools)
    # "make the sketch bigger": the model called the sketch (shown again, agent/loop.py) and answered
    edited = [tool for tool in named_maps(request, tools) if _edits_the_map(request, tool, tools)]
    if (len(asked) < 2 and not set(called) & set(edited)) or not set(asked + edited) & set(called):
        return None
    return next((tool for tool in asked if tool not in called), None)


# A question, not a request for an edit: "is it bigger now?"
_QUESTION = re.compile(r"\?\s*$|^\W*(?:is|are|was|were|does|do|did|what|how|why|which|can\s+i)\b", re.IGNORECASE)


def lone_edit_not_run(request: str, called: Sequence[str], tools: ToolRegistry) -> str | None:
    """The one edit ``request`` asks for when the turn's ``called`` tools are only lookups (a detector, a reader)
    and it did not run: asked to "upscale it", the model ran Detection and answered with the face's box; else
    ``None``."""
    if not called or _QUESTION.search(request) or ABOUT_OR_THANKS.search(request):
        return None
    asked = asked_edits(request, tools)
    lookups = set(DETECTORS) | READING_TOOLS
    if len(asked) != 1 or asked[0] in called or not all(tool in lookups for tool in called if tool):
        return None
    if any(tool in READING_TOOLS for tool in called) and asks_about_writing(request):
        return None  # a reading asked for beside it ("resize it and read the text"): the loop's two parts
    return None if asked[0] in BOX_TOOLS else asked[0]  # a box edit waits for its box (agent/pending_edit.py)


def edits_in_order(request: str, tools: ToolRegistry) -> list[str]:
    """:func:`asked_edits` in the order the parts of ``request`` ask for them ("crop her face and rotate it 180":
    the crop first)."""
    in_parts = [tool for part in request_parts(request) for tool in asked_edits(part, tools)]
    return list(dict.fromkeys([*in_parts, *asked_edits(request, tools)]))


_SAME_GEOMETRY = frozenset({BLURRER})  # edits whose result keeps every pixel where it was


def edit_out_of_order(request: str, tool: str, steps: Sequence[Step], tools: ToolRegistry) -> str | None:
    """The edit ``request`` asks for before ``tool`` (an edit it asks for too) that none of the turn's ``steps``
    called, when it can run now: a box edit only on a box a detector found this turn; else ``None``."""
    asked = edits_in_order(request, tools)
    if tool not in asked:
        return None
    called = {step.action for step in steps}
    waiting = next((earlier for earlier in asked[: asked.index(tool)] if earlier not in called), None)
    if waiting in BOX_TOOLS and pending_box_edit(request, steps, tools.names) != waiting:
        return None
    return waiting


def asked_first(request: str, tool: str, tools: ToolRegistry) -> str | None:
    """The edit ``request`` asks for before ``tool``'s when the turn's first call is of ``tool``: asked to "crop the
    cat and rotate it 45 degrees", the model rotated first, and the cat was not found on the turned picture; else
    ``None``."""
    asked = edits_in_order(request, tools)
    return asked[0] if tool in asked[1:] else None


def reads_instead_of_editing(request: str, tool: str, tools: ToolRegistry) -> str | None:
    """The first edit ``request`` asks for when the turn's first call, of ``tool``, is a reading the request does not
    ask for: asked to "make the sign bigger so I can read it better", the model read the sign; else ``None``."""
    if tool not in READING_TOOLS or asks_about_writing(request):
        return None
    asked = edits_in_order(request, tools)
    return asked[0] if asked else None


def goes_on_from(tool: str, edit: str) -> bool:
    """Whether a call of ``tool`` may work on what ``edit`` made in its source's place: any tool but a box edit, and
    a box edit after an edit that moved no pixel (a box found before a crop, a rotation or a resize is not a box of
    its result)."""
    return tool not in BOX_TOOLS or edit in _SAME_GEOMETRY


class MadeStep(Step, Protocol):
    """A step taken this turn with the files it made (agent.loop.TraceStep)."""

    files: tuple[str, ...]


def on_the_last_edit(
    request: str,
    call: ToolCall,
    steps: Sequence[MadeStep],
    made_from: Mapping[str, str],
    *,
    uploads: Sequence[str],
    tools: ToolRegistry,
) -> ToolCall:
    """``call``, a later call of a request for several things, on the image the turn's last edit (not a map) made,
    when it works on an image that edit's result was made from and ``request`` points at no other image (by name,
    "the original", every upload); a box edit only when the edits since its image moved no pixel (a blur: "blur her
    face and crop it" had cropped the unblurred photo); else ``call`` unchanged."""
    written = image_names(call.action_input)
    if not written or asked_parts(request) < 2 or image_names(request) or points_past_the_latest(request):
        return call
    if asks_for_every(request, uploads):
        return call
    edited = [
        name
        for step in steps
        if step.ok and step.action in tools and not tools.get(step.action).makes_map
        for name in step.files
        if name in step.observation
    ]
    chain = lineage(edited[-1], made_from) if edited else []
    if written[0] not in chain[1:]:
        return call
    makers = {name: step.action for step in steps for name in step.files}
    if not all(goes_on_from(call.tool, makers.get(name, "")) for name in chain[: chain.index(written[0])]):
        return call
    return replace(call, action_input=call.action_input.replace(written[0], edited[-1], 1))


def asked_edits(request: str, tools: ToolRegistry) -> list[str]:
    """The tools of ``tools`` whose edit or map ``request`` asks for by its words ("turn it upside down", "make it
    smaller", "400 pixels wide", "the top half", "blur the face", "the edges"), in that order."""
    asked = [
        tool
        for tool, asks in (
            (ROTATOR, _ROTATE.search(request)),
            (RESIZER, asks_for_another_size(request)),
            (CROPPER, asks_for(CROPPER, request)),
            (BLURRER, asks_for(BLURRER, request)),
        )
        if asks and tool in tools
    ]
    return asked + [
        tool for tool in named_maps(request, tools) if tool not in asked and not _edits_the_map(request, tool, tools)
    ]


# An edit of a map the conversation has: "make the sketch bigger", "rotate the edge map", "crop the pose" (the map is
# what the edit works on, not a map asked for anew: the sketch had been drawn again)
_EDIT_OF = (
    r"\b(?:make|rotate|turn|resize|scale|shrink|enlarge|crop|trim|blur|pixelate|zoom\s+in\s+on|flip)\s+"
    r"(?:the|this|that|my|your)\s+(?:\w+\s+)?{word}\b"
)


def _edits_the_map(request: str, tool: str, tools: ToolRegistry) -> bool:
    """Whether ``request`` names ``tool``'s map only as the thing an edit works on ("make the sketch bigger")."""
    words = [word for word in tools.get(tool).makes_map if says(request, word)]
    return bool(words) and all(
        re.search(_EDIT_OF.format(word=re.escape(word)), request, re.IGNORECASE) for word in words
    )


def with_stated_angle(call: ToolCall, request: str) -> ToolCall:
    """``call``, a later rotation of the turn, by the one angle ``request`` states (``call`` itself for another tool,
    no angle or several): asked to "crop her face and rotate it 180", the model rotated by 18000.05."""
    angle = stated_angle(request)
    arguments = call.arguments
    if call.tool != ROTATOR or angle is None or len(arguments) != 2 or same_number(arguments[1], angle):
        return call
    return replace(call, action_input=f"{arguments[0]}, {angle}")


def with_the_parts_size(call: ToolCall, request: str) -> ToolCall:
    """``call``, a later resize, with the width and height the part of ``request`` that asks for a size states, when it
    states two numbers ("crop the cat and make it 200x200": the model wrote 200, 0); else ``call`` unchanged."""
    if call.tool != RESIZER or not call.arguments:
        return call
    part = next((part for part in request_parts(request) if asks_for_another_size(part)), "")
    numbers = stated_numbers(part)
    if len(numbers) != 2 or not all(number.isdigit() for number in numbers):
        return call
    return replace(call, action_input=f"{call.arguments[0]}, {numbers[0]}, {numbers[1]}")


# Words that may ask for a map, by a loaded tool's name of it or another ("a drawing", "the outlines"); drawing a box
# is a detector's
_MAP_WORDS = re.compile(
    r"\b(?:draw(?:ing|n)?s?(?!\s+(?:an?\s+)?(?:box|boxes|rectangle|rectangles|square|circle|border)\b)|outlines?|"
    r"contours?|maps?|lines?|edges?|sketch\w*|pose|skeleton|boundar\w*|scribble\w*|depth|normal)\b",
    re.IGNORECASE,
)


# A question about the picture ("what objects are in this image?", "is there a face?"), not a request for work
_QUESTION = re.compile(
    r"^\W*(?:what|which|where|who|how\s+many|is|are|does)\b.*\?\W*$",
    re.IGNORECASE,
)
EDITS = frozenset({ROTATOR, RESIZER, CROPPER, BLURRER})


def edit_unasked(request: str, tool: str, called: Sequence[str], tools: ToolRegistry) -> bool:
    """Whether a call of edit ``tool`` follows a search or a reading this turn (``called``) while ``request`` is a
    question that asks for no edit: asked "what objects are in this image?", the research adapter detected the
    face, then cropped it and presented the crop."""
    if tool not in EDITS or not any(done in (*DETECTORS, *READING_TOOLS) for done in called):
        return False
    return bool(_QUESTION.match(request)) and not asked_edits(request, tools)


def map_unasked(request: str, tool: str, called: Sequence[str], tools: ToolRegistry) -> bool:
    """Whether a call of map ``tool`` follows another tool's call this turn (``called``) while ``request`` says nothing
    of any map: asked to "detect her face and draw a box around it", the model detected the face, then sketched the
    photo and presented the sketch."""
    if tool not in tools or not tools.get(tool).makes_map or not any(called):
        return False
    return not _MAP_WORDS.search(request)
