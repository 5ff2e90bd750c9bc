"""Requests for several edits at once ("make it bigger and rotate it by 90 degrees"): each one is done.

A small model trained mostly on one tool a turn does one of the edits and answers ("image/....png is the rotated image
you asked for"): the rest of the request is dropped, and the answer reads as if it were done. When a request asks
for two or more edits or maps by their words, a tool ran this turn and an asked one did not, the agent opens a step
with that tool and lets the model write its input. Questions and thanks ("thanks for the resize, now show me the
edges") are not read so.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from agent.meant_call import ABOUT_OR_THANKS, RESIZER, asks_for_another_size, named_maps, same_number
from agent.pending_edit import BLURRER, CROPPER, asks_for
from agent.stated_numbers import stated_angle
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
    two or more and one of them ran; else ``None``."""
    if not any(called) or ABOUT_OR_THANKS.search(request):
        return None
    asked = asked_edits(request, tools)
    if len(asked) < 2 or not set(asked) & set(called):
        return None
    return next((tool for tool in asked if tool not in called), None)


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
    return asked + [tool for tool in named_maps(request, tools) if tool not in asked]


def with_stated_angle(call: ToolCall, request: str) -> ToolCall:
    """``call``, a later rotation of the turn, by the one angle ``request`` states (``call`` itself for another tool,
    no angle or several): asked to "crop her face and rotate it 180", the model rotated by 18000.05."""
    angle = stated_angle(request)
    arguments = call.arguments
    if call.tool != ROTATOR or angle is None or len(arguments) != 2 or same_number(arguments[1], angle):
        return call
    return replace(call, action_input=f"{arguments[0]}, {angle}")


# Words that may ask for a map, by a loaded tool's name of it or another ("a drawing", "the outlines"); drawing a box
# is a detector's
_MAP_WORDS = re.compile(
    r"\b(?:draw(?:ing|n)?s?(?!\s+(?:an?\s+)?(?:box|boxes|rectangle|rectangles|square|circle|border)\b)|outlines?|"
    r"contours?|maps?|lines?|edges?|sketch\w*|pose|skeleton|boundar\w*|scribble\w*|depth|normal)\b",
    re.IGNORECASE,
)


def map_unasked(request: str, tool: str, called: Sequence[str], tools: ToolRegistry) -> bool:
    """Whether a call of map ``tool`` follows another tool's call this turn (``called``) while ``request`` says nothing
    of any map: asked to "detect her face and draw a box around it", the model detected the face, then sketched the
    photo and presented the sketch."""
    if tool not in tools or not tools.get(tool).makes_map or not any(called):
        return False
    return not _MAP_WORDS.search(request)
