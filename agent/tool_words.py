"""Whether a request asks for a tool by its words: its full name, the name of the map it draws ("the edges"), the
telling words of its name ("background", "rotate"), an edit in other words ("turn it upside down"), or, for a
reading tool, any word of writing."""

from __future__ import annotations

import re
from collections.abc import Sequence

from agent.kept_size import keeps_the_size
from agent.meant_call import says
from agent.pending_edit import BLURRER, CROPPER, asks_for
from agent.picture_questions import DETECTORS
from agent.read_text import READING_TOOLS, asks_about_writing
from agent.several_edits import EDITS, asked_edits
from tools.registry import ToolRegistry
from tools.spec import OutputKind

# Words of tool names that tell nothing of what a request asks for ("image", "on"; "remove" is said of objects too).
_GENERIC = frozenset(
    [
        "image",
        "on",
        "the",
        "of",
        "from",
        "a",
        "an",
        "remove",
        "something",
        "photo",
        "give",
        "object",
        "user",
        "input",
        "text",
        "generate",
        "detection",
        "condition",
        "using",
        "region",
        "instruct",
    ]
)


# Words that speak of writing; a request with none of them never asks to read ("the content of e.jpg" is no text).
_WRITING = re.compile(
    r"\b(?:read|text|writ|words?\b|says?\b|letter|sign|label|ocr\b|menu|poster|banner)", re.IGNORECASE
)


# Words that ask to find things in a picture
_SEARCH = re.compile(r"\b(?:detect|find|locate|count|how\s+many|objects?)\b", re.IGNORECASE)


def named_by(request: str, tool: str, loaded: ToolRegistry) -> bool | None:
    """Whether ``request`` asks for ``tool`` (one of ``loaded``, or a reading tool) by its words; ``None`` when the
    tool has no telling words to look for (a detector where nothing is searched for, blurred or cropped)."""
    if says(request, tool) or tool in asked_edits(request, loaded):
        return True
    if tool == CROPPER and keeps_the_size(request, loaded):  # the cut back to the size a rotation keeps
        return True
    if tool in DETECTORS:  # a search, or the boxes a crop or blur of something found needs
        searched = _SEARCH.search(request) or asks_for(BLURRER, request) or asks_for(CROPPER, request)
        return True if searched else None
    if tool in READING_TOOLS:  # "what's the name of the cafe?": a sign's words, said without "sign"
        return bool(_WRITING.search(request)) or asks_about_writing(request)
    if tool not in loaded:
        return None
    spec = loaded.get(tool)
    if spec.makes_map:
        return any(says(request, word) for word in spec.makes_map)
    words = [word for word in tool.lower().split() if word not in _GENERIC]
    if not words:
        return None
    return any(re.search(rf"\b{re.escape(word)}", request, re.IGNORECASE) for word in words)


def edit_beyond_the_asked(request: str, tool: str, called: Sequence[str], loaded: ToolRegistry) -> bool:
    """Whether a call of edit ``tool`` comes after every edit ``request`` asks for ran this turn (``called``) while
    the request does not ask for ``tool`` (:func:`named_by`): asked to "crop the bigger one to a square", the model
    cropped it, then resized the crop to 500 x 0."""
    asked = asked_edits(request, loaded)
    return tool in EDITS and bool(asked) and set(asked) <= set(called) and not named_by(request, tool, loaded)


def image_beyond_the_search(request: str, tool: str, called: Sequence[str], loaded: ToolRegistry) -> bool:
    """Whether a call of ``tool``, which makes an image and is neither a map nor a box edit (those have rules of their
    own), follows a search this turn (``called``) while ``request`` asks for no edit and does not name ``tool``:
    asked to "find the cat and put a box around it", the model ran Detection, then removed the background."""
    if tool not in loaded or tool in EDITS or not any(done in DETECTORS for done in called):
        return False
    spec = loaded.get(tool)
    if spec.makes_map or spec.output is not OutputKind.IMAGE:
        return False
    return not asked_edits(request, loaded) and not named_by(request, tool, loaded)


# "show me that on this photo", "try it on my picture", "can you do that to this image?": the tool the message before
# spoke of (asked "what is edge detection?", then "show me that on this photo", the model ran Detection)
_ON_THE_PICTURE = re.compile(
    r"^\W*(?:(?:ok(?:ay)?|now|then|great|cool|nice|so|and)[,!.]?\s+)*(?:(?:can|could|would)\s+you\s+)?"
    r"(?:show\s+me|do|try|use|apply|run)\s+(?:that|it|this)\s+(?:on|with|to|for|in)\s+(?:this|the|my|that)\s+"
    r"(?:\w+\s+)?(?:photo|image|picture|pic)(?:\s+please)?\W*$",
    re.IGNORECASE,
)


def tool_spoken_of(request: str, earlier: str, loaded: ToolRegistry) -> str | None:
    """The one map tool of ``loaded`` that ``earlier`` (the message before) spoke of, by its name less "On Image"
    ("edge detection") or its map's words, when ``request`` only asks to show "that" on the picture; else ``None``."""
    if not _ON_THE_PICTURE.match(request):
        return None
    spoken = [
        spec.name
        for spec in loaded
        if spec.makes_map
        and (says(earlier, spec.name.removesuffix(" On Image")) or any(says(earlier, word) for word in spec.makes_map))
    ]
    return spoken[0] if len(spoken) == 1 else None
