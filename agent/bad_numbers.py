"""Numbers no tool can take, said by the person: "resize to -5", "make it 0 x 100", "rotate by abc".

Asked to "resize to -5", the embedded model called Resize Image with -5000 x 5000 and the answer quoted the tool's
refusal of numbers the person never wrote; asked to "rotate by abc", it rotated by 90 and said done. A request whose
own numbers no tool can take is answered, before the model runs, with one line that says which number and what to
give instead.
"""

from __future__ import annotations

import re

from agent.stated_numbers import is_number_word
from tools.outputs import MAX_RESIZE_SIDE

BAD_SIZE = (
    '"{said}" is not a size: a width and height are whole numbers from 1 to {most} pixels, for example "resize it to '
    '640x480" or "make it 300 pixels wide".'
)
BAD_ANGLE = (
    '"{said}" is not an angle: give it in degrees, for example "rotate it by 90" (counter-clockwise) or "rotate it 45 '
    'degrees clockwise".'
)

# "resize to -5", "resize it to 0x100", "make it -200 by 300", "scale it to 640x0"
_SIZE = re.compile(
    r"\b(?:resize|rescale|scale|make|change|set)\b[^0-9-]*?\b(?:to|it|them|image|photo|picture)\s+"
    r"(?P<said>(?P<first>-\s*\d+|0+)(?:\s*(?:x|by|×)\s*-?\s*\d+)?|\d+\s*(?:x|by|×)\s*(?:-\s*\d+|0+))"
    r"(?:\s*(?:px|pixels))?\s*[.!?]*\s*$",
    re.IGNORECASE,
)
# "resize to 100000 wide", "make it 20000x20000": a side above the largest Resize Image makes (it had been made 8192
# wide and called done)
_TOO_BIG = re.compile(
    r"\b(?:resize|rescale|scale|make|change|set|enlarge|upscale)\b[^?.!]*?\b(?P<said>\d+\s*(?:x|by|×)\s*\d+"
    r"|\d+(?=\s*(?:px|pixels)?\s*(?:wide|tall|high|across|in\s+width|in\s+height)\b))",
    re.IGNORECASE,
)
BAD_BOX = (
    '"{said}" is not a box: give four numbers in pixels, left, top, right and bottom, for example "crop it to 0, 0, '
    '200, 200".'
)
# "crop 10,10,100": a box of fewer or more than four numbers (the model made up the rest)
_BOX = re.compile(
    r"^\W*(?:please\s+)?(?:crop|blur|trim)\s+(?:it\s+|this\s+|that\s+)?(?:to\s+)?(?:the\s+box\s+)?"
    r"(?P<said>\d+(?:\s*,\s*\d+){1,2}|\d+(?:\s*,\s*\d+){4,})\s*[.!?]*\s*$",
    re.IGNORECASE,
)
# "rotate by abc", "turn it by lots": a word where the angle goes that is neither a number nor an amount said in words
_ANGLE = re.compile(
    r"^\W*(?:please\s+)?(?:rotate|turn)\s+(?:it\s+|this\s+|that\s+|(?:the|my)\s+\w+\s+)?by\s+(?P<said>[a-z]+)"
    r"(?:\s+degrees?)?\s*[.!?]*\s*$",  # "rotate it by abc degrees" (the model turned it 300 degrees)
    re.IGNORECASE,
)
# Words of an amount other than numbers (those: agent.stated_numbers.is_number_word)
_AMOUNT_WORDS = re.compile(
    r"^(?:half|quarter|degrees?|some|more|less|much|little|bit|lot|slightly|itself|clockwise|counterclockwise"
    r"|anticlockwise)$",
    re.IGNORECASE,
)


def bad_numbers_answer(request: str) -> str | None:
    """:data:`BAD_SIZE` when ``request`` asks for a size with a side below 1 or above the largest Resize Image makes,
    :data:`BAD_BOX` when it gives a box of other than four numbers, :data:`BAD_ANGLE` when it asks to rotate by a word
    that is no angle; else ``None``."""
    size = _SIZE.search(request)
    big = _TOO_BIG.search(request)
    if big and max(map(int, re.findall(r"\d+", big.group("said")))) <= MAX_RESIZE_SIDE:
        big = None
    if size or big:
        said = (size or big).group("said")
        return BAD_SIZE.format(said=" ".join(said.split()), most=MAX_RESIZE_SIDE)
    box = _BOX.match(request)
    if box:
        return BAD_BOX.format(said=" ".join(box.group("said").split()))
    angle = _ANGLE.match(request)
    said = angle.group("said") if angle else ""
    if angle and not (_AMOUNT_WORDS.match(said) or is_number_word(said)):
        return BAD_ANGLE.format(said=said)
    return None
