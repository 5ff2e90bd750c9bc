"""The first call of a turn held to what the request says plainly: the tool it names, the image it points at and
the numbers it states.

A small model picks well among similar options most of the time, but not always: asked to "Use Text Detection On
Image on this" it called Detection; asked to "draw the outlines as an edge map" it drew a HED boundary map; asked
to "crop the original" after a crop, it cropped the crop; asked to "make it 128 by 128" after a rotation, it
resized the upload; asked for "0,0 to 300,200" it wrote ``0, 0, 0, 300``; asked to turn "90 degrees clockwise" it
wrote 90 (positive turns counter-clockwise); asked to "make it smaller, 100x100" after a crop, it cropped again
(``100, 10000, 100, 10000``); asked to "crop the top half" of a 300x200 image, it wrote ``300, 200, -180, 0``. When
the request leaves no doubt, the
agent corrects the call before it runs (the rest of what the model wrote stays); the model's own call is kept in
the trace.

Only the turn's first call is held so: later calls of a chain work on the results before them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import replace

from agent.image_reference import (
    BY_SIZE,
    from_before_the_newest_upload,
    meant_image,
    photo_behind,
    photo_behind_for_a_map,
    photo_behind_for_an_edit,
)
from agent.margin import crop_box
from agent.pending_edit import (
    BLURRER,
    CROPPER,
    NOT_A_NOUN,
    Step,
    asks_for,
    blurs_the_whole,
    edits_people,
    is_shown,
    named_box,
    squares_a_named_part,
    the_one_box_found,
)
from agent.picture_questions import DETECTORS
from agent.request_parts import OPENING, request_parts
from agent.stated_numbers import (
    ENLARGED_PART,
    NAMED_RESOLUTION,
    angle_in_words,
    asks_for_a_relative_size,
    asks_for_square,
    centred_shape,
    scaled_size,
    signed_angle,
    square_around,
    stated_numbers,
    zoom_factor,
)
from generation.tool_calls import image_names
from protocol.plan import takes_a_box
from protocol.steps import ToolCall
from tools.catalog import map_operations
from tools.registry import ToolRegistry
from tools.spec import InputKind, OutputKind

ANGLE = "angle"  # Rotate Image's input, counter-clockwise degrees
RESIZER = "Resize Image"
# A request for another size: a word for it, or a width by a height ("make it 128 by 128", "100x100")
SIZE_REQUEST = re.compile(
    r"\b(?:smaller|bigger|larger|shrink|enlarge|resize|rescale|scale|downscale|upscale)\b|\d\s*(?:x|by|×)\s*\d|"
    + NAMED_RESOLUTION.pattern,
    re.IGNORECASE,
)
# Another edit asked for; not one named as the image it made ("make the crop 2x bigger")
_OTHER_EDIT = re.compile(NOT_A_NOUN + r"\b(?:crop|cut|rotate|turn|blur|flip|extend|outpaint|canvas)\b", re.IGNORECASE)


def named_tool(request: str, tools: ToolRegistry) -> str | None:
    """The one listed tool whose full name the request holds ("use Text Detection On Image on this"), or ``None``.

    Names of one word ("Detection") are too common in ordinary requests ("edge detection") to count; a name inside
    a longer one named too is not counted.
    """
    found = [name for name in tools.names if " " in name and says(request, name)]
    found = [name for name in found if not any(name != other and name.lower() in other.lower() for other in found)]
    return found[0] if len(found) == 1 else None


# The tool an answer says is missing, in the forms the model was trained on for tools the runtime does not serve
# ("that needs Rotate Image, which is not loaded", "(Rotate Image is not loaded)").
_NOT_LOADED = re.compile(r"needs ([A-Z][\w ]+?), which is not loaded|\(([A-Z][\w ]+?) is not loaded\)")


# A refusal's claim of the tool it would need: "; that needs Image Archive, which is not loaded", " (X is not loaded)"
_NEEDS_CLAUSE = re.compile(
    r";\s*that\s+needs\s+([A-Z][\w ]+?)(?:,\s*which\s+is\s+not\s+loaded)?(?=[.!]|$)"
    r"|\s*\(([A-Za-z][\w ]+?)\s+is\s+not\s+loaded\)"  # "(text is not loaded)" too: no tool has that name
)


def without_made_up_tools(answer: str, known: ToolRegistry) -> str:
    """``answer`` less each claim that it needs a tool ``known`` (every tool there is, loaded or not) has never
    heard of: asked to "save this", the model answered "no loaded tool can save an image; that needs Image Archive"."""

    def kept(claim: re.Match[str]) -> str:
        return claim.group(0) if (claim.group(1) or claim.group(2)).strip() in known else ""

    return _NEEDS_CLAUSE.sub(kept, answer)


def refused_but_loaded(answer: str, called: Sequence[str], tools: ToolRegistry) -> str | None:
    """The loaded tool an answer calls missing ("Sorry, no loaded tool can rotate an image; that needs Rotate
    Image, which is not loaded") when no tool ran yet this turn, else ``None``.

    Trained to refuse requests for tools the runtime does not serve, a small model sometimes refuses one it does
    serve (10 of 210 turns of a 200-turn server run: rotating, straight lines, faces); the person asked for a
    tool that is there.
    """
    if any(called):
        return None
    for match in _NOT_LOADED.finditer(answer):
        name = (match.group(1) or match.group(2)).strip()
        loaded = next((tool for tool in tools.names if tool.lower() == name.lower()), None)
        if loaded:
            return loaded
    return None


# A request for more than one thing ("edges and pose"): a map it names may be for a later call.
_SEVERAL = re.compile(r"\b(?:and|then|also|plus|after that)\b|[,;&]", re.IGNORECASE)


def named_map_tool(request: str, tools: ToolRegistry) -> str | None:
    """The one listed map-making tool whose map ``request`` names ("draw the outlines as an edge map": Edge Detection
    On Image; ``ToolSpec.makes_map``), or ``None`` when it names none or several, or asks for more than one thing."""
    if _SEVERAL.search(request):
        return None
    found = named_maps(request, tools)
    return found[0] if len(found) == 1 else None


# "Outlines" are an edge map, a soft boundary map or a sketch, as the person's words go on ("soft outlines", "trace
# the outlines for a colouring book"); a map of another kind drawn for them is the edge map meant
OUTLINE_MAPS = ("Edge Detection On Image", "Hed Detection On Image", "Sketch Detection On Image")
_OUTLINES = re.compile(r"\b(?:outlines?|contours?)\b", re.IGNORECASE)


def outline_map(request: str, drawn: str, tools: ToolRegistry) -> str | None:
    """The edge map (the first of :data:`OUTLINE_MAPS`), when ``request`` asks for outlines and names no map, and
    the model drew a map that is none of them (straight lines for "show me the outlines"); else ``None``."""
    if not _OUTLINES.search(request) or drawn in OUTLINE_MAPS or OUTLINE_MAPS[0] not in tools:
        return None
    return None if _SEVERAL.search(request) or named_maps(request, tools) else OUTLINE_MAPS[0]


# A map asked for as the object of its verb: "detect the pose of the person", "show me the depth map" (not "find the
# faces in the edge map", a search of a map)
_ASKED_MAP = (
    r"\b(?:detect|find|show|get|give|draw|make|estimate|extract|compute)\s+(?:me\s+)?"
    r"(?:the\s+|a\s+|an\s+|its\s+|their\s+)?(?:human\s+|person's\s+)?"
)


def asked_map(request: str, tools: ToolRegistry) -> str | None:
    """The one listed map-making tool whose map ``request`` asks for as its verb's object (the small model ran
    Detection for "detect the pose of the person"), when it asks for one thing; else ``None``."""
    found = named_maps(request, tools)
    if len(found) != 1 or _SEVERAL.search(request):
        return None
    words = tools.get(found[0]).makes_map
    return found[0] if any(re.search(_ASKED_MAP + re.escape(word) + r"\b", request, re.I) for word in words) else None


def named_maps(request: str, tools: ToolRegistry) -> list[str]:
    """The listed map-making tools whose maps ``request`` names, a name inside another's named too ("edges" in "soft
    edges") not counted."""
    said = {spec.name: [word for word in spec.makes_map if says(request, word)] for spec in tools}
    said = {name: words for name, words in said.items() if words}
    return [name for name, words in said.items() if not all(_inside_anothers(word, name, said) for word in words)]


def _inside_anothers(word: str, tool: str, said: dict[str, list[str]]) -> bool:
    """Whether ``word`` is part of a longer map name of another tool the request says ("edges" in "soft edges")."""
    return any(
        word != longer and says(longer, word) for other, longers in said.items() if other != tool for longer in longers
    )


def named_but_not_run(request: str, called: Sequence[str], tools: ToolRegistry) -> str | None:
    """The tool ``request`` names in full (:func:`named_tool`) when none of the turn's ``called`` tools ran yet and
    the request asks for it to be used rather than about it ("what does Remove the background do?"); else ``None``.

    A small model sometimes refuses a tool it was asked for by name ("Remove the background" answered "no loaded
    tool can remove objects") with the tool loaded; a person who names a tool wants it run.
    """
    if any(called):
        return None
    tool = named_tool(request, tools)
    if tool is None or re.search(rf"\b(?:what|how|why|which|when)\b.*{re.escape(tool)}", request, re.I | re.S):
        return None
    return tool


# An answer that presents a file or a result, or says it cannot: what a small model writes in place of a call.
_PRESENTS_OR_REFUSES = re.compile(
    r"\b(?:ready|saved|here is|here's|done|you asked for|can't|cannot|not loaded|upload|don't have)\b", re.IGNORECASE
)
# Asking about a map or thanking for one rather than asking for it ("how is a depth map made?", "thanks for the
# sketch!").
ABOUT_OR_THANKS = re.compile(
    r"\b(?:what|how|why|which|when|who)\b|^\W*(?:thanks|thank\s+you|thx|cheers)\b", re.IGNORECASE
)


def map_not_made(request: str, answer: str, called: Sequence[str], tools: ToolRegistry) -> str | None:
    """The map-making tool whose map ``request`` asks for (:func:`named_map_tool`) when nothing ran yet this turn and
    the answer presents a file or a result, or says it cannot; else ``None``.

    Asked "show me the straight lines in the image" late in a long session, the small model answered "I saved the
    straight lines as image/6532_line_85c88573.png" (a file from an earlier photo) or "I don't have an image to work
    on yet" with a photo just uploaded; the person asked for a map of a loaded tool.
    """
    if any(called) or ABOUT_OR_THANKS.search(request):
        return None
    if not (image_names(answer) or _PRESENTS_OR_REFUSES.search(answer)):
        return None
    return named_map_tool(request, tools)


def as_meant(
    call: ToolCall,
    request: str,
    tools: ToolRegistry,
    *,
    uploads: Sequence[str],
    latest: str | None,
    exists: Callable[[str], bool],
    shown: Sequence[str] = (),
    named_upload: str | None = None,
    asked_for: Callable[[str], bool | None] | None = None,
) -> ToolCall:
    """``call`` with the tool the request names (when it takes the same inputs; for a map-making call, also the tool
    whose map it names, :func:`named_map_tool`; for a request for another size, :func:`as_resize`; for a cut-out,
    :func:`as_cut_out`), the image it
    points at (:func:`agent.image_reference.meant_image`; ``shown``: the conversation's images, oldest first; else
    ``named_upload``, the upload the request calls by its file's words, agent/upload_names.py; the newest upload
    where the model took an image from before it and the request says nothing of which; for a tool that reports on
    a picture's content, the photo behind a map, :func:`agent.image_reference.photo_behind`; for one that draws
    a map, removes a background, or edits the faces or people a request speaks of, on a map the request does not
    point at (or, for the edits, speak of), the photo behind it) and the numbers it states
    (:func:`with_stated_numbers`) in place of the model's choices; ``call``
    itself when the request says none of them or the model chose them. ``exists`` tells whether a name is one of
    the session's files; ``asked_for``, whether the request asks for a tool by its words."""
    meant = call = as_other_box_tool(
        as_resize(as_cut_out(call, request, tools), request, tools, asked_for), request, tools
    )
    tool = named_tool(request, tools)
    if tool is None and call.tool in tools and tools.get(call.tool).makes_map:  # one map asked for, another drawn
        tool = named_map_tool(request, tools) or outline_map(request, call.tool, tools)
    elif tool is None and call.tool in DETECTORS:  # a map asked for, a search run
        tool = asked_map(request, tools)
    if tool and tool != call.tool and call.tool in tools and _kinds(tools, tool) == _kinds(tools, call.tool):
        meant = replace(meant, tool=tool)
    written = image_names(call.action_input)
    spec = tools.get(meant.tool) if meant.tool in tools else None
    named = [name for name in image_names(request) if exists(name)]  # not the person's own file names
    making = spec.operation if spec else ""
    if spec and not spec.makes_map and meant.tool != RESIZER and RESIZER in tools and asks_for_another_size(request):
        # "make the crop 200 wide", called as a crop: the crop is its image (a map called for is shown again instead)
        making = tools.get(RESIZER).operation
    image = meant_image(request, uploads, latest, named, shown, making=making)
    image = image or (None if named else named_upload)
    # the latest image is the newest upload's or made since it, shown yet or not (a part of a request run one after
    # the other is shown with the whole: agent/person_and_writing.py)
    before = written and written[0] != latest and from_before_the_newest_upload(written[0], request, uploads, shown)
    if not (image or named) and before:
        image = uploads[-1]
    pointed = image is not None or bool(named)
    image = image or (written[0] if written else None)
    if image and spec and spec.output is not OutputKind.IMAGE:
        image = photo_behind(image, request, map_operations(), [*uploads, *shown]) or image
    elif image and spec and not pointed and spec.makes_map:
        image = photo_behind_for_a_map(image, request, map_operations(), [*uploads, *shown]) or image
    elif image and spec and not pointed and (spec.name == CUTTER or edits_people(request, spec.name)):
        image = photo_behind_for_an_edit(image, request, map_operations(), [*uploads, *shown]) or image
    if written and image and written[0] != image and exists(written[0]) and exists(image):
        meant = replace(meant, action_input=call.action_input.replace(written[0], image, 1))
    return with_stated_numbers(meant, request, tools)


CUTTER = "Remove the background"
# A person asked to be cut out of the picture ("cut me out of this", "cut the person out"), or the background gone
# ("with a transparent background"); not "cut out the top half", a crop
_CUT_OUT = re.compile(
    r"\bcut\s+(?:me|him|her|them|us|(?:the|this|that)\s+(?:\w+\s+)?(?:person|man|woman|guy|girl|boy|kid|child|"
    r"people|subject))\s+out\b|\b(?:transparent|no)\s+background\b|\bwithout\s+(?:a|the|any)\s+background\b",
    re.IGNORECASE,
)


def as_cut_out(call: ToolCall, request: str, tools: ToolRegistry) -> ToolCall:
    """:data:`CUTTER` on ``call``'s image when ``request`` asks to cut a person out of the picture and states no
    numbers, and the model called another tool (asked to "cut me out of this so I can put it on my CV", the embedded
    model cropped ``1000, 600, -1000, 600``; "cut the person out" ran Detection); else ``call``."""
    written = image_names(call.action_input)
    if call.tool == CUTTER or CUTTER not in tools or not written or not _CUT_OUT.search(request):
        return call
    return call if stated_numbers(request) else replace(call, tool=CUTTER, action_input=written[0])


def as_other_box_tool(call: ToolCall, request: str, tools: ToolRegistry) -> ToolCall:
    """``call`` of one box tool as the other, with the same image and box, when ``request`` asks for the other by its
    words and not for the one called (asked to "pixelate it" after a face was found, the model cropped the face)."""
    other = {CROPPER: BLURRER, BLURRER: CROPPER}.get(call.tool)
    if other is None or other not in tools or not asks_for(other, request) or asks_for(call.tool, request):
        return call
    return replace(call, tool=other)


def as_resize(
    call: ToolCall, request: str, tools: ToolRegistry, asked_for: Callable[[str], bool | None] | None = None
) -> ToolCall:
    """:data:`RESIZER` on ``call``'s image with the width and height ``request`` states, when it asks for another size
    and no other edit, and the model called another tool that takes numbers (a crop or rotation read as the last
    call changed; a tool that takes a size, such as Extend An Image, is left as called) or one that takes an image
    alone and that ``asked_for`` (whether the request asks for a tool by its words) says the request does not ask
    for (asked to "make it 200x200 instead", the model removed the background); else ``call``."""
    written = image_names(call.action_input)
    if call.tool == RESIZER or RESIZER not in tools or call.tool not in tools or not written:
        return call
    takes_numbers = any(spec_input.kind is InputKind.NUMBER for spec_input in tools.get(call.tool).inputs)
    if not takes_numbers and (asked_for is None or asked_for(call.tool) is not False):
        return call
    numbers = stated_numbers(request)
    if len(numbers) != 2 or not SIZE_REQUEST.search(request) or _OTHER_EDIT.search(request):
        return call
    return replace(call, tool=RESIZER, action_input=", ".join([written[0], *numbers]))


def with_named_region(
    call: ToolCall,
    request: str,
    tools: ToolRegistry,
    size: Callable[[str], tuple[int, int] | None],
    shown: str = "",
    *,
    last_found: Sequence[Step] = (),
) -> ToolCall:
    """``call`` of a box tool with the box of the part of its image that ``request`` names ("the top half", or the
    whole picture for "blur it": :func:`agent.pending_edit.named_box`; ``size`` gives an image's width and height,
    ``None`` when it cannot be read); else ``call``, as when it takes a box the conversation (``shown``) holds ("blur
    it" after a detection: the face's box). "Blur it" right after a detection that found one box on the image
    (``last_found``: the last turn's detections) blurs that box, whatever the model wrote (it had blurred the whole
    photo after "Yes: I found 1 face: face [...]")."""
    written = image_names(call.action_input)
    if call.tool not in tools or not takes_a_box(tools.get(call.tool)) or not written:
        return call
    if blurs_the_whole(request) and is_shown(call.arguments[1:], shown):
        return call
    one_found = the_one_box_found(last_found, written[0]) if blurs_the_whole(request) else None
    if one_found:
        return replace(call, action_input=", ".join([written[0], *one_found]))
    dimensions = size(written[0])
    box = named_box(request, call.tool, *dimensions) if dimensions else None
    return replace(call, action_input=", ".join([written[0], *map(str, box)])) if box else call


def as_square_crop(
    call: ToolCall, request: str, tools: ToolRegistry, size: Callable[[str], tuple[int, int] | None]
) -> ToolCall:
    """:data:`~agent.pending_edit.CROPPER` on ``call``'s image with the largest centred square (or box of the ratio
    asked) when ``request`` asks to make the picture square or crop it to a ratio
    (:func:`agent.stated_numbers.centred_shape`) and the model called the cropper or the
    resizer (asked to "make the picture square", the embedded model resized a 600 x 400 photo to 200 x 100); else
    ``call``."""
    written = image_names(call.action_input)
    if call.tool not in (CROPPER, RESIZER) or CROPPER not in tools or not written:
        return call
    if squares_a_named_part(request):  # its box is the thing's or the place's, squared once found
        return call
    dimensions = size(written[0])
    box = centred_shape(request, *dimensions) if dimensions else None
    return replace(call, tool=CROPPER, action_input=", ".join([written[0], *map(str, box)])) if box else call


def squared_around_its_box(call: ToolCall, request: str, size: Callable[[str], tuple[int, int] | None]) -> ToolCall:
    """:data:`~agent.pending_edit.CROPPER`'s ``call`` with the square around its box when ``request`` asks for a
    square crop of something it names ("crop to the cat and make it square": the cat's box, found or copied, made
    square around the cat); else ``call``."""
    cropped = crop_box(call, size)
    if cropped is None or not squares_a_named_part(request):
        return call
    box = square_around(cropped[0], *cropped[1])
    return replace(call, action_input=", ".join([call.arguments[0].strip(), *map(str, box)]))


def asks_for_another_size(request: str) -> bool:
    """Whether ``request`` asks for another size: in words or numbers (:data:`SIZE_REQUEST`), or relative to the
    picture's ("twice as big", "400 pixels wide"); "enlarge the face" asks for a crop."""
    request = BY_SIZE.sub(" ", ENLARGED_PART.sub(" ", request))  # "crop the bigger one" names an image, not a size
    return bool(SIZE_REQUEST.search(request)) or asks_for_a_relative_size(request)


def states_a_size(request: str) -> bool:
    """Whether ``request`` says what size a resize makes: in numbers, in words for another size
    (:func:`asks_for_another_size`) or as another picture's ("the same size as the original")."""
    return (
        bool(stated_numbers(request))
        or asks_for_another_size(request)
        or bool(_SAME_SIZE.search(request) or _SAME_SIZE_AS.search(request))
    )


# The whole request asks for another size and gives none: "resize it", "can you change the size of this photo?"
_UNSIZED_RESIZE = re.compile(
    OPENING + r"(?:resize|rescale|scale|change\s+the\s+size\s+of|change\s+(?:its|the)\s+size|make\s+it\s+a\s+"
    r"different\s+size)(?:\s+(?:it|this|that|(?:the|this|that|my)\s+(?:image|photo|picture|pic|crop|result|one)))?"
    r"(?:\s+(?:please|for\s+me))?\s*[.!?]*\s*$",
    re.IGNORECASE,
)
NEEDS_SIZE = (
    'Resize Image needs a size{size}: give the width and height in pixels ("make it {example}"), one side ("make '
    'it {side} pixels wide") or a scale ("half the size", "twice as big").'
)


def asks_for_an_unstated_size(request: str) -> bool:
    """Whether ``request`` only asks for another size and says none ("resize it": the model wrote 1 x 2 and the
    answer was "Done!")."""
    return bool(_UNSIZED_RESIZE.match(request))


def needs_size(image: str, size: tuple[int, int] | None) -> str:
    """:data:`NEEDS_SIZE`, its examples half of ``image``'s ``size`` when it is known."""
    width, height = size or (512, 512)
    known = f" ({image} is {width} x {height})" if size else ""
    return NEEDS_SIZE.format(size=known, example=f"{max(1, width // 2)}x{max(1, height // 2)}", side=max(1, width // 2))


def size_not_made(request: str, called: Sequence[str], tools: ToolRegistry) -> str | None:
    """:data:`RESIZER` when ``request`` asks for another size (or the original size back) and no other edit and
    nothing ran yet this turn (asked to "make it 4k" right after an upload, the model answered "I don't have an image
    to work on yet"); else ``None``."""
    if any(called) or RESIZER not in tools or ABOUT_OR_THANKS.search(request) or _OTHER_EDIT.search(request):
        return None
    return RESIZER if asks_for_another_size(request) or _ORIGINAL_SIZE.search(request) else None


def square_not_made(request: str, called: Sequence[str], tools: ToolRegistry) -> str | None:
    """:data:`~agent.pending_edit.CROPPER` when ``request`` asks to make the picture square or to zoom in and nothing
    ran yet this turn (the model answered "I cannot see images myself ..."); else ``None``."""
    shaped = asks_for_square(request) or zoom_factor(request)
    return CROPPER if not any(called) and CROPPER in tools and shaped else None


def with_relative_size(
    call: ToolCall,
    request: str,
    tools: ToolRegistry,
    size: Callable[[str], tuple[int, int] | None],
    asked_for: Callable[[str], bool | None] | None = None,
) -> ToolCall:
    """:data:`RESIZER` on ``call``'s image with the width and height ``request`` asks for relative to the image's
    ("twice as big", "half the size", "50%", "smaller": :func:`agent.stated_numbers.scale_factor`; "400 pixels wide",
    the other side in proportion; ``size`` gives an image's width and height), when the model called the resizer,
    or, where the request asks for no other edit, another tool that takes numbers (the embedded model wrote 20000 x
    30000 for "twice as big", 1 x 2 for "smaller") or one that takes an image alone that ``asked_for`` (whether the
    request asks for a tool by its words) says the request does not ask for ("make her face bigger" removed the
    background); else ``call``."""
    written = image_names(call.action_input)
    said = the_size_part(request)
    if not asks_for_a_relative_size(said) or RESIZER not in tools or call.tool not in tools or not written:
        return call
    takes_numbers = any(spec_input.kind is InputKind.NUMBER for spec_input in tools.get(call.tool).inputs)
    unasked = takes_numbers or (asked_for is not None and asked_for(call.tool) is False)
    if call.tool != RESIZER and (not unasked or _OTHER_EDIT.search(request)):
        return call
    dimensions = size(written[0])
    scaled = scaled_size(said, *dimensions) if dimensions else None
    return replace(call, tool=RESIZER, action_input=f"{written[0]}, {scaled[0]}, {scaled[1]}") if scaled else call


# "go back to the original size", "make it the original dimensions again", "as big as the original"
_ORIGINAL_SIZE = re.compile(
    r"\boriginal\s+(?:size|dimensions|resolution)\b|\b(?:as\s+big\s+as|same\s+size\s+as)\s+(?:the\s+)?original\b",
    re.IGNORECASE,
)


def with_the_original_size(
    call: ToolCall,
    request: str,
    tools: ToolRegistry,
    latest: str | None,
    original: Callable[[str], tuple[int, int] | None],
) -> ToolCall:
    """:data:`RESIZER` on ``latest`` (the image worked on) with the size of the upload it was made from (``original``
    gives it) when ``request`` asks for the original size back and the model called the resizer or another tool
    that takes numbers ("actually go back to the original size" after a thumbnail was resized to 64 x 1); else
    ``call``."""
    if not _ORIGINAL_SIZE.search(request) or RESIZER not in tools or call.tool not in tools or latest is None:
        return call
    takes_numbers = any(spec_input.kind is InputKind.NUMBER for spec_input in tools.get(call.tool).inputs)
    size = original(latest) if takes_numbers and not _OTHER_EDIT.search(request) else None
    return replace(call, tool=RESIZER, action_input=f"{latest}, {size[0]}, {size[1]}") if size else call


def the_size_part(request: str) -> str:
    """The one part of ``request`` that asks for another size, else ``request``: of "make it 300 pixels wide and rotate
    it by 90 degrees", the angle had read as the height (300 x 90)."""
    parts = [part for part in request_parts(request) if asks_for_another_size(part)]
    return parts[0] if len(parts) == 1 else request


# "make them the same size", "the same dimensions as the other one"
_SAME_SIZE = re.compile(
    r"\b(?:make|give|resize|rescale|scale|set|change|bring)\b.*\bsame\s+(?:size|dimensions|resolution)\b", re.IGNORECASE
)
_SAME_SIZE_AS = re.compile(r"\bsame\s+(?:size|dimensions|resolution)\s+as\b", re.IGNORECASE)
# What "make X the same size as Y" resizes: X ("the cat picture"), not a pronoun
_RESIZED_SUBJECT = re.compile(
    r"\b(?:make|resize|rescale|scale|change|bring)\s+(?!(?:it|this|that|them|these|those)\s)(?P<subject>[\w' -]{2,40}?)\s+"
    r"(?:to\s+)?(?:the\s+)?same\s+(?:size|dimensions|resolution)\s+as\b",
    re.IGNORECASE,
)


def resized_subject(request: str) -> str:
    """The words for the image "make X the same size as Y" resizes ("the cat picture"); ``""`` when ``request``
    says it by a pronoun or asks no such thing."""
    said = _RESIZED_SUBJECT.search(request)
    return said.group("subject") if said else ""


def as_same_size(
    call: ToolCall,
    request: str,
    tools: ToolRegistry,
    images: Sequence[str],
    size: Callable[[str], tuple[int, int] | None],
    *,
    subject: str | None = None,
) -> ToolCall:
    """:data:`RESIZER` giving one of two ``images`` the other's width and height when ``request`` asks to make them
    the same size and names no other edit: the bigger one (by area) made the smaller's size, or, for "the same size
    as ...", ``subject`` (the image the request says first: :func:`resized_subject`) or else the image ``call``
    worked on made the other's; else ``call``. Asked to "make them the same size" after two uploads, the model
    resized one of them to 1 x 2; asked to "make the cat picture the same size as the coffee one", it resized the
    coffee."""
    if not _SAME_SIZE.search(request) or _OTHER_EDIT.search(request) or RESIZER not in tools or len(images) != 2:
        return call
    dimensions = {image: size(image) for image in images}
    if None in dimensions.values() or len(set(dimensions.values())) < 2:
        return call
    written = image_names(call.action_input)
    if _SAME_SIZE_AS.search(request) and subject in images:
        resized = subject
    elif _SAME_SIZE_AS.search(request) and written and written[0] in images:
        resized = written[0]
    else:
        resized = max(images, key=lambda image: dimensions[image][0] * dimensions[image][1])
    width, height = dimensions[next(image for image in images if image != resized)]
    return replace(call, tool=RESIZER, action_input=f"{resized}, {width}, {height}")


def with_stated_numbers(call: ToolCall, request: str, tools: ToolRegistry) -> ToolCall:
    """``call`` with its number arguments set to the numbers ``request`` states, when it states exactly as many as
    the tool takes (in their order; an angle turned the way the request asks); ``call`` itself otherwise, when the
    model wrote another count of arguments, or when it wrote those numbers already."""
    if call.tool not in tools:
        return call
    inputs = tools.get(call.tool).inputs
    arguments = list(call.arguments)
    numbers = stated_numbers(request)
    wanted = [spec_input for spec_input in inputs if spec_input.kind is InputKind.NUMBER]
    if [spec_input.name for spec_input in wanted] == [ANGLE] and not numbers and len(arguments) == len(inputs):
        written = arguments[[spec_input.name for spec_input in inputs].index(ANGLE)]
        numbers = [angle] if (angle := angle_in_words(written, request)) else []
    if not wanted or len(numbers) != len(wanted) or len(arguments) != len(inputs):
        return call
    stated = iter(signed_angle(n, request) if i.name == ANGLE else n for n, i in zip(numbers, wanted, strict=True))
    meant = [next(stated) if i.kind is InputKind.NUMBER else a for a, i in zip(arguments, inputs, strict=True)]
    if all(same_number(a, m) for a, m in zip(arguments, meant, strict=True)):
        return call
    return replace(call, action_input=", ".join(meant))


def same_number(written: str, meant: str) -> bool:
    """Whether two arguments are equal, as numbers where both are ("90" and "90.0")."""
    try:
        return float(written) == float(meant)
    except ValueError:
        return written == meant


def says(request: str, phrase: str) -> bool:
    """Whether ``request`` holds ``phrase`` as whole words, in any case."""
    return re.search(rf"(?<!\w){re.escape(phrase)}(?!\w)", request, re.IGNORECASE) is not None


def _kinds(tools: ToolRegistry, name: str) -> list[object]:
    return [spec_input.kind for spec_input in tools.get(name).inputs]
