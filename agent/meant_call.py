"""The first call of a turn held to what the request says plainly: the tool it names and the image it points at.

A small model picks well among similar options most of the time, but not always: asked to "Use Text Detection On
Image on this" it called Detection; asked to "crop the original" after a crop, it cropped the crop; asked to "make
it 128 by 128" after a rotation, it resized the upload. When the request leaves no doubt, the agent corrects the
call before it runs (the arguments the model wrote stay); the model's own call is kept in the trace.

Only the turn's first call is held so: later calls of a chain work on the results before them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import replace

from agent.image_reference import meant_image
from generation.tool_calls import image_names
from protocol.steps import ToolCall
from tools.registry import ToolRegistry


def named_tool(request: str, tools: ToolRegistry) -> str | None:
    """The one listed tool whose full name the request holds ("use Text Detection On Image on this"), or ``None``.

    Names of one word ("Detection") are too common in ordinary requests ("edge detection") to count; a name inside
    a longer one named too is not counted.
    """
    found = [
        name
        for name in tools.names
        if " " in name and re.search(rf"(?<!\w){re.escape(name)}(?!\w)", request, re.IGNORECASE)
    ]
    found = [name for name in found if not any(name != other and name.lower() in other.lower() for other in found)]
    return found[0] if len(found) == 1 else None


def as_meant(
    call: ToolCall,
    request: str,
    tools: ToolRegistry,
    *,
    uploads: Sequence[str],
    latest: str | None,
    exists: Callable[[str], bool],
) -> ToolCall:
    """``call`` with the tool the request names (when it takes the same inputs) and the image it points at
    (:func:`agent.image_reference.meant_image`) in place of the model's choices; ``call`` itself when the request
    says neither or the model chose them. ``exists`` tells whether a name is one of the session's files."""
    meant = call
    tool = named_tool(request, tools)
    if tool and tool != call.tool and call.tool in tools and _kinds(tools, tool) == _kinds(tools, call.tool):
        meant = replace(meant, tool=tool)
    written = image_names(call.action_input)
    image = meant_image(request, uploads, latest, image_names(request))
    if written and image and written[0] != image and exists(written[0]) and exists(image):
        meant = replace(meant, action_input=call.action_input.replace(written[0], image, 1))
    return meant


def _kinds(tools: ToolRegistry, name: str) -> list[object]:
    return [spec_input.kind for spec_input in tools.get(name).inputs]
