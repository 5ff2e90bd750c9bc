"""Box edits of the writing in a picture: "crop to the sign", "zoom in on the text", "blur the writing".

No detector here finds a sign, and asked to "crop to the sign" the agent asked for a box in pixels. The reading tool
knows where the words it read are (``tools.outputs.Reading``: the box travels in the observation's data, while the
model reads the words alone, as it was trained to). So when a crop or a blur is asked for the writing, with no box,
place or person of its own, and the reading tool is loaded, the agent reads the picture first and then runs the
edit itself on the text's box with a margin (the model never sees that box, so it could not copy it); after a
reading that placed no text the answer says that the edit did not run and asks for the box. A request that names a
part of the writing ("blur the phone number", "crop to the first line") takes that part's words (agent/text_parts.py).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from agent.image_reference import asks_to_read
from agent.margin import grown_box
from agent.pending_edit import BLURRER, CROPPER, Step, asks_for, box_of_its_own, leaves_out, names_people
from agent.read_text import READER
from agent.request_parts import request_parts
from agent.text_parts import around, asked_part, part_text, part_words
from tools.outputs import TEXT_LABEL, Box, PlacedWord

# The writing a box edit may be asked for: "the sign", "the words", "the price label"
WRITING = re.compile(
    r"\b(?:signs?|signboard|text|words?|writing|letters|lettering|labels?|captions?|title|heading|headline|banner"
    r"|notice|menu|page)\b",
    re.IGNORECASE,
)
# Right after a reading, the writing is also "it": "whats the sign say", then "crop to it" (asked for a box)
_WRITING_OR_IT = re.compile(rf"{WRITING.pattern}|\b(?:to|on|around)\s+(?:it|that)\b", re.IGNORECASE)
_IT = re.compile(r"\b(?:it|that|them)\b", re.IGNORECASE)
MARGIN = 0.25  # of the text's height, around the words: a crop to the letters' very edges reads as cut off


# What stays as it is beside the edit: "blur the sign but keep the cat" (the cat is no person to blur)
_KEPT = re.compile(
    r"[,\s]*\b(?:but|and)\s+(?:keep|leave|not|don'?t\s+(?:blur|touch|crop))\s+(?:the\s+|her\s+|his\s+)?\w+(?:\s+\w+)?",
    re.IGNORECASE,
)
NO_WRITING = "I found no writing in {image}."
NO_PART = 'I read "{text}" in {image} and found no {part} in it.'
# the reading holds the part's words, but none of them among the words it is sure enough of to place
UNPLACED_PART = 'I read "{text}" in {image} but could not tell where the {part} ("{words}") is in the picture.'


def writing_box_tool(request: str, available: Sequence[str], after_reading: bool = False) -> str | None:
    """The box tool, crop or blur, that ``request`` asks for on the writing in the picture ("crop to the sign",
    "blur the text"; right ``after_reading``, "crop to it" too), with the reading tool loaded (``available``) and no
    box or place of the request's own nor person of the edit's part ("crop the top half of the sign", "blur the face
    and the sign" go as before); else ``None``."""
    request = _KEPT.sub("", request)
    if READER not in available or leaves_out(request):
        return None
    writing = _WRITING_OR_IT if after_reading else WRITING
    named = False  # whether an earlier part named the writing: "what's on the sign? and blur it" (not blurred)
    for part in request_parts(request):
        said_before, named = named, named or bool(WRITING.search(part))
        refers_back = said_before and _IT.search(part)  # "blur it" of the sign, not of the whole picture
        if names_people(part) or (box_of_its_own(part) and not refers_back):
            continue  # a part of its own names them ("read the sign, blur the number and crop the face"), or a box
        of_writing = writing.search(part) or asked_part(part) or refers_back
        for tool in (CROPPER, BLURRER):
            if tool in available and asks_for(tool, part) and of_writing:
                return tool
    return None


# "blur it", "crop to that", "hide it please": an edit of what the last turn was about
_EDITS_IT = re.compile(
    r"^\W*(?:(?:ok(?:ay)?|now|then|so|and|please|can\s+you|could\s+you)[,!.]?\s+)*"
    r"(?P<verb>blur|crop|hide|cover|censor|obscure|pixelate|zoom\s+in)\s+(?:out\s+)?(?P<to>(?:to|on|in\s+on|around)\s+)?"
    r"(?P<it>it|that|this)(?:\s+out)?"
    # "blur it on that one" after "which one has a phone number?" (the whole sign was blurred)
    r"(?:\s+(?:on|in)\s+(?:that|this|the)\s+(?:one|sign|photo|image|picture|pic))?"
    r"(?:\s+(?:please|too|as\s+well))?\W*$",
    re.IGNORECASE,
)


def the_part_read(request: str, last_request: str, last_tool: str) -> str:
    """``request`` with "it" spelled as the part of the writing the last turn read ("blur it" after "what's the phone
    number on the sign?" is "blur the phone number"; it had blurred the whole photo), when it only edits "it" and
    the last turn's reading was asked for that part; else ``request``."""
    edit = _EDITS_IT.match(request)
    part = asked_part(last_request) if last_tool == READER else None
    if edit is None or part is None or part.startswith('"'):
        return request
    return request[: edit.start("it")] + f"the {part}" + request[edit.end("it") :]


# "and her face too", "the phone number as well": another thing for the last turn's blur
_ALSO_THING = re.compile(
    # not "and the other one too": the same again on another image (agent/redo.py)
    r"^(?!.*\b(?:other|first|second|third|last)\b)\W*(?:and|also|plus|now)?\s*"
    r"(?P<thing>(?:her|his|their|the|its|my)\s+[\w-]+(?:\s+[\w-]+)?)\s+"
    r"(?:too|as\s+well|also)\W*$",
    re.IGNORECASE,
)


def blur_of_another_thing(request: str, blurred: bool) -> str:
    """``request`` as a blur of the thing it names ("and her face too" after a blur is "blur her face"; the
    detector ran and nothing was blurred), when it only names another thing after a turn that ``blurred``; else
    ``request``."""
    also = _ALSO_THING.match(request)
    return f"blur {also.group('thing')}" if also and blurred else request


def edits_a_part_of_the_writing(request: str, available: Sequence[str]) -> bool:
    """Whether ``request`` asks for a crop or blur of a part of the writing it names ("blur the phone number, then
    read the sign"), with the reading tool loaded: plan mode leaves it to the chat, whose edit takes the part's
    words (a plan's box step takes the whole text's box: the planned blur of "FOR RENT CALL 555-0147" hid it all)."""
    if READER not in available or not asked_part(request):
        return False
    return any(tool in available and asks_for(tool, request) for tool in (CROPPER, BLURRER))


def read_after_the_edit(request: str, called: Sequence[str]) -> str | None:
    """The reading tool when ``request`` asks to read after its crop or blur ("blur the phone number, then read the
    sign": the edit's own reading ran before it, and the answer came with no reading of the result) and none of the
    turn's ``called`` tools read after the last such edit; else ``None``."""
    parts = request_parts(request)
    edit_at = next((i for i, part in enumerate(parts) if asks_for(BLURRER, part) or asks_for(CROPPER, part)), None)
    if edit_at is None or not any(asks_to_read(part) for part in parts[edit_at + 1 :]):
        return None
    edits = [index for index, tool in enumerate(called) if tool in (BLURRER, CROPPER)]
    if not edits or READER in called[edits[-1] + 1 :]:
        return None
    return READER


def read_before_the_edit(request: str, tool: str, steps: Sequence[Step]) -> str | None:
    """The image the turn's first crop or blur worked on, for a later reading (``tool``) asked before that edit ("read
    the sign then crop her face": the model cropped first and the reading, opened after, read the crop and found
    nothing); ``None`` for another tool or request, or when no such edit ran (``steps``: the turn's, in order)."""
    if tool != READER:
        return None
    parts = request_parts(request)
    read_at = next((i for i, part in enumerate(parts) if asks_to_read(part)), None)
    edit_at = next((i for i, part in enumerate(parts) if asks_for(BLURRER, part) or asks_for(CROPPER, part)), None)
    if read_at is None or edit_at is None or read_at > edit_at:
        return None
    edit = next((step for step in steps if step.ok and step.action in (BLURRER, CROPPER)), None)
    return edit.action_input.split(",", 1)[0].strip() if edit else None


def text_box(request: str, data: object) -> tuple[int, int, int, int] | None:
    """The box of the writing ``request`` edits, from a reading's data: around the words of the part it names
    (agent/text_parts.py), else the whole text's; ``None`` when the reading placed neither."""
    if asked_part(request):
        return around(part_words(request, [item for item in data or () if isinstance(item, PlacedWord)]))
    return whole_text_box(data)


def whole_text_box(data: object) -> tuple[int, int, int, int] | None:
    """The box around all the text a reading placed (the observation's data), or ``None``."""
    boxes = [item.box for item in data or () if isinstance(item, Box) and item.label == TEXT_LABEL]
    return boxes[0] if boxes else None


def every_word_placed(text: str, data: object) -> tuple[PlacedWord, ...]:
    """The words a reading placed (the observation's data), when they are every word of its ``text``; else none (a
    line counted from part of the words would be wrong)."""
    placed = tuple(item for item in data or () if isinstance(item, PlacedWord))
    return placed if " ".join(word.text for word in placed).split() == text.split() else ()


def not_placed(request: str, image: str, reading: str, placed_any: bool) -> str:
    """Why the edit did not run: the part ``request`` names is in the ``reading`` of ``image`` but not among the words
    it placed, or not in it at all, when the reading placed words (``placed_any``); else no writing at all."""
    part = asked_part(request)
    if part and placed_any:
        words = part_text(request, reading)
        if words:
            return UNPLACED_PART.format(text=reading, image=image, part=part, words=words)
        return NO_PART.format(text=reading, image=image, part=part)
    return NO_WRITING.format(image=image)


def with_margin(box: tuple[int, int, int, int], width: int, height: int) -> tuple[int, int, int, int]:
    """``box`` grown by :data:`MARGIN` of its height on every side, inside a ``width`` x ``height`` picture."""
    margin = round(MARGIN * (box[3] - box[1]))
    return grown_box(box, margin, margin, width, height)


def writing_edit_input(image: str, box: tuple[int, int, int, int], size: tuple[int, int] | None) -> str:
    """The action input of a box tool's call on ``image`` (of ``size``, when it can be read) for the text's ``box``."""
    placed = with_margin(box, *size) if size else box
    return ", ".join([image, *map(str, placed)])
