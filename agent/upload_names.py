"""Uploads called by the words of their files' names: "resize the astronaut" after astronaut.png and cat.png.

Without a captioner the demo introduces an upload by its size alone ("a 512x512 image"), so neither the model nor the
agent knows which photo is "the astronaut"; after a second upload the agent takes the newest one for a request that
does not say which (agent/image_reference.py), and so had resized the cat. The person often named the file: its words
(``astronaut`` in ``astronaut.png``, ``red`` and ``car`` in ``red_car-2.jpg``) point at that upload when exactly one
upload's name holds a word of the request.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from pathlib import PurePath

from agent.image_reference import meant_image
from agent.pending_edit import names_people, squares_a_named_part
from agent.request_parts import OPENING, request_parts
from agent.text_region import WRITING
from agent.tool_words import named_by
from generation.tool_calls import image_names
from tools.registry import ToolRegistry

MIN_WORD_LETTERS = 3
# Words of file names that say nothing of what the picture shows
_GENERIC = frozenset(
    [
        "img",
        "image",
        "images",
        "photo",
        "photos",
        "pic",
        "pics",
        "picture",
        "pictures",
        "screenshot",
        "screen",
        "shot",
        "dsc",
        "dcim",
        "scan",
        "untitled",
        "download",
        "downloads",
        "file",
        "copy",
        "final",
        "edit",
        "edited",
        "new",
        "old",
        "tmp",
        "temp",
        "upload",
        "uploaded",
        "jpeg",
        "jpg",
        "png",
        "webp",
        "bmp",
        "gif",
        "heic",
        "whatsapp",
        "signal",
        "telegram",
        "camera",
        "the",
        "and",
        "with",
        "from",
    ]
)


def name_words(file_name: str) -> frozenset[str]:
    """The telling words of a file's name (its stem split at anything but letters, at least three letters)."""
    stem = PurePath(file_name).stem.lower()
    words = re.split(r"[^a-z]+", stem)
    return frozenset(word for word in words if len(word) >= MIN_WORD_LETTERS and word not in _GENERIC)


def upload_named(request: str, file_names: Mapping[str, str]) -> str | None:
    """The upload (workspace name) that ``request`` names by its workspace name, or whose original file name
    (``file_names``: workspace name -> the name the person gave) holds a word ``request`` says, when exactly one
    does; else ``None``."""
    written = {name for name in image_names(request) if name in file_names}  # "make image/....png 400 wide"
    if written:
        return written.pop() if len(written) == 1 else None
    said = {word.lower().removesuffix("s") for word in re.findall(r"[A-Za-z]+", request)}
    matching = [
        name
        for name, file_name in file_names.items()
        if any(word.removesuffix("s") in said for word in name_words(file_name))
    ]
    return matching[0] if len(matching) == 1 else None


def upload_named_for(
    request: str,
    tool: str,
    file_names: Mapping[str, str],
    tools: ToolRegistry,
    shows: Callable[[str], str | None] = lambda part: None,
) -> str | None:
    """The upload named in the part of ``request`` that asks for ``tool`` when the request names more than one:
    "resize astronaut.png to 256x256 and read the text in sign.png" means the astronaut for the resize and the sign
    for the reading (the model resized the newest upload, the sign, and read the resized sign); so does a part that
    points at one by its place ("crop the left half of the first one, then rotate both":
    :func:`agent.image_reference.meant_image`) or by what it shows (``shows``: "crop the cat photo to a square and
    then detect the lines of the coffee one", agent/upload_contents.py). ``None`` when the parts that ask for the
    tool name no single upload."""
    uploads = list(file_names)
    named = {
        upload_named(part, file_names) or meant_image(part, uploads, None) or shows(part)
        for part in request_parts(request)
        if named_by(part, tool, tools)
    } - {None}
    return named.pop() if len(named) == 1 else None


SENT_AS = "{upload} is the one you sent as {file_name}."
# The whole request asks which upload is something: "which one is the rocket?" (refused: no tool answers questions
# about an image), "which file is my holiday photo?"
_WHICH_IS = re.compile(
    OPENING + r"(?:which|what)\s+(?:one|photo|image|picture|pic|file|upload)\s+is\s+(?:the|my)\s+(?P<what>[\w\s-]+?)"
    r"(?:\s+(?:one|photo|image|picture|pic))?\s*[?.!]*\s*$",
    re.IGNORECASE,
)


def which_is_answer(request: str, file_names: Mapping[str, str]) -> str | None:
    """:data:`SENT_AS` when ``request`` asks which upload is something its file's name says (``file_names``: each
    upload -> the person's file name); else ``None``."""
    asked = _WHICH_IS.match(request.strip())
    upload = upload_named(asked.group("what"), file_names) if asked else None
    return SENT_AS.format(upload=upload, file_name=file_names[upload]) if upload else None


def the_upload_as_the_picture(request: str, file_name: str | None) -> str:
    """``request`` with the thing it crops to a shape said as the picture when that thing is a word of the name of the
    file the picture came from (``file_name``) and nothing the detector finds: "crop the rocket to a square" of
    rocket.png is "crop it to a square" (a box had been asked for: nothing here finds a rocket); else ``request``."""
    # not the writing a reading finds ("crop the sign to a square" of street-sign.jpg: the sign's box, squared)
    words = (
        frozenset(word for word in name_words(file_name) if not WRITING.fullmatch(word)) if file_name else frozenset()
    )
    if not words or names_people(request) or not squares_a_named_part(request):
        return request
    named = "|".join(map(re.escape, sorted(words)))
    said = re.sub(
        rf"\b(?:the|my|this|that)\s+(?:{named})s?(?:\s+(?:photo|picture|image|pic|shot|one))?\b",
        "it",
        request,
        count=1,
        flags=re.IGNORECASE,
    )
    return request if said == request or squares_a_named_part(said) else said
