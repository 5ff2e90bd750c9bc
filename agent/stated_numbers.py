"""The numbers a request states for a tool's number inputs, the direction a rotation is asked in, the box of a
part of a picture it names by its place ("the top half"), and a size it asks for relative to the picture's ("twice as
big", "half the size", "50%").

A small model copying "0,0 to 300,200" into a box sometimes writes ``0, 0, 0, 300``; asked to "turn it 90 degrees
clockwise" it writes ``90`` (the tool turns counter-clockwise for positive angles). When a request states exactly as
many numbers as the called tool takes, in order, those are the numbers meant: this module reads them.

Read conservatively: numbers inside file names, ordinals ("the 2nd photo") and requests stating more or fewer
numbers than the tool takes leave the model's numbers as written.
"""

from __future__ import annotations

import re
from fractions import Fraction

from agent.image_reference import BY_SIZE
from generation.tool_calls import image_names
from protocol.plan import BOX_CORNERS
from tools.outputs import MAX_RESIZE_SIDE

# A number not inside a longer one; "-" counts as a sign only where it does not join two words or numbers
# ("-45", not "top-left" or "0-300"). "300x200" holds two numbers; "2nd" none.
_NUMBER = re.compile(r"(?:(?<![\w-])-)?(?<![\d.])\d+(?:\.\d+)?(?![\d.]*\d)(?!st\b|nd\b|rd\b|th\b)")
# "rotate right", "turn it left" too (the model turned "rotate right" by 90, counter-clockwise)
_CLOCKWISE = re.compile(
    r"(?<!counter)(?<!counter[- ])(?<!anti)(?<!anti[- ])\bclockwise\b|\bto\s+the\s+right\b"
    r"|\b(?:rotate|turn|spin)\s+(?:(?:it|this|that|them|the\s+\w+)\s+)?right\b(?!\s+(?:away|now|here|there)\b)",
    re.I,
)
_COUNTER_CLOCKWISE = re.compile(
    r"\b(?:counter|anti)-?\s?clockwise\b|\bto\s+the\s+left\b|\b(?:rotate|turn|spin)\s+(?:(?:it|this|that|them|the\s+\w+)\s+)?left\b",
    re.I,
)


def stated_numbers(request: str) -> list[str]:
    """The numbers ``request`` states, in order, in digits or in words from ten up ("ninety", "forty-five", "a
    hundred and eighty"), leaving out those in image file names."""
    for name in image_names(request):
        request = request.replace(name, " ")
    return [match.group() for match in _NUMBER.finditer(_in_digits(request))]


# Number words as people write angles and sizes; "one" to "nine" alone are left as words ("this one", "one photo").
_UNITS = ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
_TEENS = ["ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"]
_TENS = ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
_VALUES = {
    **{word: index + 1 for index, word in enumerate(_UNITS)},
    **{word: index + 10 for index, word in enumerate(_TEENS)},
    **{word: (index + 2) * 10 for index, word in enumerate(_TENS)},
}
_UNIT = rf"(?:{'|'.join(_UNITS)})"
_BELOW_HUNDRED = rf"(?:(?:{'|'.join(_TENS)})(?:[- ]{_UNIT})?|{'|'.join(_TEENS)})"
_NUMBER_WORDS = re.compile(
    rf"\b(?:(?:a|{_UNIT})\s+hundred(?:\s+(?:and\s+)?{_BELOW_HUNDRED}|\s+(?:and\s+)?{_UNIT})?|{_BELOW_HUNDRED})\b",
    re.IGNORECASE,
)


def is_number_word(word: str) -> bool:
    """Whether ``word`` is a number in words ("ninety", "seven", "hundred")."""
    return word.lower() in _VALUES or word.lower() == "hundred"


def _in_digits(text: str) -> str:
    """``text`` with its number words from ten up written in digits."""

    def value(match: re.Match[str]) -> str:
        words = re.findall(r"[a-z]+", match.group().lower())
        total = 0
        for word in words:
            if word == "hundred":
                total = max(total, 1) * 100
            elif word == "a":
                total = 1
            elif word != "and":
                total += _VALUES[word]
        return str(total)

    return _NUMBER_WORDS.sub(value, text)


# A part of a picture named by its place: "the top half", "the bottom-left quarter" / "corner", "the left third", "the
# middle", "the whole image".
_WHOLE = re.compile(
    r"\b(?:whole|entire|full)\s+(?:image|photo|picture|frame)\b|\ball\s+of\s+(?:it|the\s+(?:image|photo|picture))\b",
    re.IGNORECASE,
)
# "make it square", "crop the photo to a square", "a square crop": the largest centred square
_SQUARE = re.compile(
    r"\b(?:make|crop|cut|turn)\s+(?:it|this|that|(?:the|this|my)\s+(?:\w+\s+)?(?:image|photo|picture|pic|one))\s+"
    r"(?:to\s+|into\s+)?(?:a\s+)?square\b|\bsquare\s+crop\b"
    # "crop both to squares" (asked for a box)
    r"|\b(?:make|crop|cut|turn)\s+(?:them|both(?:\s+of\s+them)?|each(?:\s+of\s+them)?|all\s+of\s+them|the\s+(?:two|images"
    r"|photos|pictures))\s+(?:to\s+|into\s+)?(?:a\s+)?squares?\b",
    re.IGNORECASE,
)
_QUARTER = re.compile(r"\b(top|upper|bottom|lower)[- ]?(left|right)\s+(?:quarter|corner)\b", re.IGNORECASE)
# A strip along one side: "the top half", "the left third", "the bottom quarter"
_STRIP = re.compile(r"\b(top|upper|bottom|lower|left|right)\s+(half|third|quarter)\b", re.IGNORECASE)
_PARTS = {"half": 2, "third": 3, "quarter": 4}
# A strip across the middle, along the longer side: "crop the middle third" (asked for a box)
_MIDDLE_STRIP = re.compile(r"\b(?:middle|cent(?:er|re)|central)\s+(third|quarter)\b", re.IGNORECASE)
# A strip by its share in percent: "the left 40%", "the top 25 percent"
_PERCENT_STRIP = re.compile(
    r"\b(top|upper|bottom|lower|left|right)\s+(\d{1,2}(?:\.\d+)?)\s*(?:%|percent\b|per\s*cent\b)", re.IGNORECASE
)
# "crop the middle", "the centre of the photo": the centred box of half the width and height ("the person in the
# middle" is someone to find, not a part)
_MIDDLE = re.compile(
    r"(?<!\bin\s)\bthe\s+(?:middle|cent(?:er|re)|central\s+(?:part|area|region))\b(?!\s+(?:third|half))",
    re.IGNORECASE,
)
# A strip in pixels, cut away by a crop: "crop out the top 100 pixels", "cut 50 px off the bottom" (the model cropped
# 100, 10000, 0, 10000); kept where the request says so ("keep only the left 200 pixels") or asks for no cut ("blur
# the bottom 20 pixels")
_PIXEL_STRIP = re.compile(
    r"\b(top|upper|bottom|lower|left|right)\s+(\d+)\s*(?:px|pixels?)\b"
    r"|(?<![\d.])(\d+)\s*(?:px|pixels?)\s+(?:off|from)\s+(?:the\s+)?(top|bottom|left|right)\b",
    re.IGNORECASE,
)
_CUT_AWAY = re.compile(r"^(?!.*\b(?:keep|only|just)\b).*\b(?:crop|cut|trim|chop|remove|shave|take)\b", re.IGNORECASE)
_UPPER = ("top", "upper")
# A margin taken off every side: "crop 100 pixels off each side", "trim 20px from all the edges"
_INSET = re.compile(
    r"(?<![\d.])(\d+)\s*(?:px|pixels?)?\s+(?:off|from|in\s+from)\s+(?:each|every|all(?:\s+the)?|both|the)\s+"
    r"(?:four\s+)?(?:sides?|edges?)\b",
    re.IGNORECASE,
)


def _pixel_strip_box(strip: re.Match[str], width: int, height: int, *, kept: bool) -> tuple[int, int, int, int] | None:
    """The box left when the strip of pixels ``strip`` names is cut away from a ``width`` x ``height`` picture (the
    strip itself when ``kept``); ``None`` when the strip is not narrower than the picture."""
    side = (strip.group(1) or strip.group(4)).lower()
    pixels = int(strip.group(2) or strip.group(3))
    across = side in ("left", "right")
    if pixels <= 0 or pixels >= (width if across else height):
        return None
    cut = {
        "left": (pixels, 0, width, height),
        "right": (0, 0, width - pixels, height),
        "bottom": (0, 0, width, height - pixels),
        "lower": (0, 0, width, height - pixels),
    }.get(side, (0, pixels, width, height))
    if not kept:
        return cut
    return {
        "left": (0, 0, pixels, height),
        "right": (width - pixels, 0, width, height),
        "bottom": (0, height - pixels, width, height),
        "lower": (0, height - pixels, width, height),
    }.get(side, (0, 0, width, pixels))


def named_region(request: str, width: int, height: int) -> tuple[int, int, int, int] | None:
    """The box (left, top, right, bottom) of the part of a ``width`` x ``height`` picture that ``request`` names by
    its place ("the top half", "the bottom-left quarter", "the left third", "the bottom quarter", "the left 40%", "the middle", "the
    middle third" (across the longer side), "the
    whole image", "100 pixels off each side", "crop out the top 100 pixels": the rest), or ``None``: it states a box's worth of numbers (those are the box; fewer are another edit's: "...
    then rotate it by 90 degrees"), names no such part, or several."""
    corners = {(row.lower(), side.lower()) for row, side in _QUARTER.findall(request)}
    strips = {
        (side.lower(), Fraction(1, _PARTS[part.lower()])) for side, part in _STRIP.findall(_QUARTER.sub(" ", request))
    }
    strips |= {(side.lower(), Fraction(share) / 100) for side, share in _PERCENT_STRIP.findall(request) if float(share)}
    strips |= {("middle", Fraction(1, _PARTS[part.lower()])) for part in _MIDDLE_STRIP.findall(request)}
    whole = bool(_WHOLE.search(request))
    middle = bool(_MIDDLE.search(request))
    inset = _INSET.search(request)
    pixels = _PIXEL_STRIP.search(request)
    named = len(corners) + len(strips) + whole + middle + bool(inset) + bool(pixels)
    if len(stated_numbers(request)) >= len(BOX_CORNERS) or named != 1:
        return None
    if whole:
        return 0, 0, width, height
    if pixels:
        return _pixel_strip_box(pixels, width, height, kept=not _CUT_AWAY.search(request))
    if inset:
        margin = int(inset.group(1))
        return (margin, margin, width - margin, height - margin) if 2 * margin < min(width, height) else None
    if middle:
        return width // 4, height // 4, width - width // 4, height - height // 4
    if corners:
        (row, side), middle_x, middle_y = corners.pop(), width // 2, height // 2
        left, top = (0 if side == "left" else middle_x), (0 if row in _UPPER else middle_y)
        return left, top, (middle_x if side == "left" else width), (middle_y if row in _UPPER else height)
    side, share = strips.pop()
    part_x, part_y = max(1, int(width * share)), max(1, int(height * share))
    boxes = {
        "left": (0, 0, part_x, height),
        "right": (width - part_x, 0, width, height),
        "bottom": (0, height - part_y, width, height),
        "lower": (0, height - part_y, width, height),
        "middle": (
            ((width - part_x) // 2, 0, (width - part_x) // 2 + part_x, height)
            if width >= height
            else (0, (height - part_y) // 2, width, (height - part_y) // 2 + part_y)
        ),
    }
    return boxes.get(side, (0, 0, width, part_y))


def asks_for_square(request: str) -> bool:
    """Whether ``request`` asks to make the picture square, stating no numbers (:func:`centred_shape`)."""
    return bool(_SQUARE.search(request)) and not stated_numbers(request)


# A crop to an aspect ratio: "crop it to 4:3", "make it 16:9" (the model cropped 4, 3, -10000, -10000)
_RATIO = re.compile(r"\b(?:crop|cut|make|turn)\b.*?(?<![\d.])(\d{1,2})\s*:\s*(\d{1,2})(?![\d.])", re.IGNORECASE)


# A zoom into the middle: "zoom in", "zoom in 2x", "zoom in by 3 times", "zoom in a bit" (the model resized the
# picture to its own size, then cropped 200, 20000, 200, 20000)
_ZOOM = re.compile(
    r"\bzoom\s+in(?:\s+on\s+(?:it|this|that|the\s+(?:image|photo|picture|pic|middle|cent(?:er|re))))?"
    r"(?:\s+(?:by\s+)?(?P<factor>\d+(?:\.\d+)?)\s*(?:x|times)|\s+(?P<slight>a\s+(?:bit|little)|slightly))?"
    r"(?:\s+please)?\s*[.!?,]*(?:\s+(?:and|then|and\s+then))?\s*$",  # a part of a request: "zoom in and"
    re.IGNORECASE,
)
DEFAULT_ZOOM, SLIGHT_ZOOM, MAX_ZOOM = 2.0, 1.5, 16.0


def zoom_factor(request: str) -> float | None:
    """How many times ``request`` asks to zoom into the middle of the picture ("zoom in 3x": 3; "zoom in":
    :data:`DEFAULT_ZOOM`; "zoom in a bit": :data:`SLIGHT_ZOOM`), or ``None``: it asks no zoom, one of at most 1x or
    over :data:`MAX_ZOOM`, or a zoom on something ("zoom in on her face": a detection's box)."""
    zoom = _ZOOM.search(request)
    if zoom is None:
        return None
    factor = (
        float(zoom.group("factor")) if zoom.group("factor") else SLIGHT_ZOOM if zoom.group("slight") else DEFAULT_ZOOM
    )
    return factor if 1 < factor <= MAX_ZOOM else None


def centred_shape(request: str, width: int, height: int) -> tuple[int, int, int, int] | None:
    """The box of the largest square (or box of the aspect ratio asked: "crop it to 4:3") centred in a ``width`` x
    ``height`` picture when ``request`` asks to make it square ("make the picture square", "a square crop") and
    states no numbers, or asks for a ratio and states no other; the middle of the picture, a zoom's share of each side,
    for a zoom ("zoom in 2x": :func:`zoom_factor`); else ``None``."""
    zoom = zoom_factor(request)
    if zoom:
        box_width, box_height = max(1, round(width / zoom)), max(1, round(height / zoom))
        left, top = (width - box_width) // 2, (height - box_height) // 2
        return left, top, left + box_width, top + box_height
    ratio = _RATIO.search(request)
    if asks_for_square(request):
        across, down = 1, 1
    elif ratio and len(stated_numbers(request)) == 2 and int(ratio.group(1)) and int(ratio.group(2)):
        across, down = int(ratio.group(1)), int(ratio.group(2))
    else:
        return None
    if width * down >= height * across:  # wider than the shape: its height is the picture's
        box_width, box_height = round(height * across / down), height
    else:
        box_width, box_height = width, round(width * down / across)
    left, top = (width - box_width) // 2, (height - box_height) // 2
    return left, top, left + box_width, top + box_height


def square_around(box: tuple[int, int, int, int], width: int, height: int) -> tuple[int, int, int, int]:
    """The smallest square holding ``box`` (left, top, right, bottom), centred on it and moved inside a ``width`` x
    ``height`` picture; as large as the picture allows when the box is larger ("crop to the cat and make it square":
    the square had been the picture's middle, not the cat's)."""
    left, top, right, bottom = box
    side = max(1, min(max(right - left, bottom - top), width, height))
    x = min(max(round((left + right - side) / 2), 0), width - side)
    y = min(max(round((top + bottom - side) / 2), 0), height - side)
    return x, y, x + side, y + side


def rotation_sign(request: str) -> int:
    """-1 when ``request`` asks to turn clockwise (or to the right), 1 counter-clockwise (or to the left), 0 when
    it says no direction or both."""
    clockwise = bool(_CLOCKWISE.search(request))
    counter = bool(_COUNTER_CLOCKWISE.search(request))
    return 0 if clockwise == counter else (-1 if clockwise else 1)


def signed_angle(number: str, request: str) -> str:
    """``number`` as a counter-clockwise angle: negated when the request asks for a clockwise turn of it."""
    sign = rotation_sign(request)
    magnitude = number.removeprefix("-")
    if sign == 0:
        return number
    return magnitude if sign > 0 else f"-{magnitude}"


# "make it bigger and rotate it by 90 degrees": the number of an angle
# An angle: a number in degrees ("90 degrees", "45°"), or a bare number a rotation verb takes ("rotate it 180": the
# model wrote 18000)
_ANGLE = re.compile(
    r"(?P<verb>\b(?:rotate|turn|spin)\s+(?:(?:it|this|that|them|the\s+\w+)\s+)?(?:by\s+)?)?"
    r"(?P<angle>-?\d+(?:\.\d+)?)"
    r"(?(verb)\s*(?:degrees?\b|deg\b|°)?(?![\d.]|,\s*\d|\s*(?:x|by|px|pixels?|%|times)\b)|\s*(?:degrees?\b|deg\b|°))",
    re.IGNORECASE,
)
# A turn asked for in words: "upside down", "a bit", "sideways"; the rotation verbs it goes with.
_UPSIDE_DOWN = re.compile(r"\bupside[- ]down\b|\bhalf\s+(?:a\s+)?turn\b", re.IGNORECASE)
_SLIGHTLY = re.compile(r"\b(?:a\s+(?:little\s+)?bit|a\s+little|slightly|a\s+touch|tilt(?:ed)?)\b", re.IGNORECASE)
_SIDEWAYS = re.compile(r"\bsideways\b|\bon\s+(?:its|her|his|their)\s+side\b", re.IGNORECASE)  # a quarter turn only
_ROTATION = re.compile(rf"\b(?:rotate|turn|tilt|spin|upside)|{_SIDEWAYS.pattern}", re.IGNORECASE)
SLIGHT_TURN, QUARTER_TURN = 15, 90  # "rotate it a bit"; "rotate it", "turn it sideways", "to the right"
ROUND_ANGLE = 15  # the model's own angle for "rotate it" stands when a multiple of this (45, 30, 180)


def unstated_angle(request: str) -> str | None:
    """The counter-clockwise angle a rotation ``request`` that states no number asks for: 180 for "upside down",
    :data:`SLIGHT_TURN` for "a bit" / "slightly", :data:`QUARTER_TURN` otherwise, turned the way it says
    (:func:`rotation_sign`); ``None`` when it states a number or asks for no rotation."""
    if stated_numbers(request) or not _ROTATION.search(request):
        return None
    if _UPSIDE_DOWN.search(request):
        return "180"
    return signed_angle(str(SLIGHT_TURN if _SLIGHTLY.search(request) else QUARTER_TURN), request)


def angle_in_words(written: str, request: str) -> str | None:
    """The angle a rotation asked for in words means (:func:`unstated_angle`), where the model wrote a turn of
    nothing (0, 360; asked to "rotate it a bit", it rotated by 0), an angle no one picks (176, a number of a box
    shown before: not a multiple of :data:`ROUND_ANGLE`) or the words ask for a kind of turn ("upside down", "a bit",
    a direction, "sideways": the model had turned it by 180) the model's angle ``written`` is not; else ``None`` (the
    model's angle stands: "rotate it" turned by 45 is a turn asked for)."""
    meant = unstated_angle(request)
    try:
        turns = float(written) % 360
    except ValueError:
        return meant
    plain = turns and turns % ROUND_ANGLE == 0 and (turns in (90, 270) or not _SIDEWAYS.search(request))
    return None if plain and meant == str(QUARTER_TURN) and not rotation_sign(request) else meant


# A size written as two numbers: "128x128", "300 by 200"
_SIZE = re.compile(r"\d+\s*(?:x|×|by)\s*\d+", re.IGNORECASE)


def numbers_besides_size_and_angle(request: str) -> list[str]:
    """The numbers ``request`` states (:func:`stated_numbers`) besides a size ("make it 128x128"), a scale ("2x
    bigger": "crop to the sign and make it 2x bigger" had kept the planner's crop 2, 2, 2, 2 as the person's) and an
    angle ("90 degrees"): where there are any, a box it asks for is the person's own."""
    return stated_numbers(_ANGLE.sub(" ", _TIMES.sub(" ", _SIZE.sub(" ", request))))


def stated_angle(request: str) -> str | None:
    """The one angle ``request`` states in degrees ("90 degrees", "ninety degrees", "45°"), turned the way it
    says, or ``None`` when it states none or several ("resize it to 300x200 and rotate it 90 degrees": 90)."""
    angles = [angle.group("angle") for angle in _ANGLE.finditer(_in_digits(request))]
    return signed_angle(angles[0], request) if len(angles) == 1 else None


# A size relative to the picture's: "twice as big", "double the size", "3 times larger", "half the size", "50%".
_WORD_TIMES = {"twice": 2.0, "double": 2.0, "triple": 3.0, "three times": 3.0, "four times": 4.0}
_TIMES = re.compile(
    r"\b(twice|double|triple|three\s+times|four\s+times|(\d+(?:\.\d+)?)\s*(?:x|times))\s*"
    r"(as\s+(?:big|large|wide|tall|high)|the\s+(?:size|width|height)|bigger|larger|its\s+(?:size|width|height)|(smaller)"
    r"|(?=[.!?]?\s*$))",
    re.IGNORECASE,
)
_FRACTION = re.compile(
    r"\b(?:(half|a\s+third|a\s+quarter)\s+(?:the\s+|its\s+)?(?:size|width|height|as\s+(?:big|large|wide|tall|high))"
    # "and then half of that" after a resize (the model cropped to a box of its own)
    r"|^\W*(?:(?:and|then|now|ok|okay)[,]?\s+)*(half|a\s+third|a\s+quarter)\s+of\s+(?:that|it|this)(?=\s*[.!?]*\s*$)"
    r"|halve)\b",
    re.IGNORECASE,
)
# One side scaled, the other kept: "half as wide", "twice as tall", "double the width", "halve its height"
_SCALED_SIDE = re.compile(
    r"\b(?:as\s+(?:(?P<width>wide)|tall|high)|(?:the|its)\s+(?:(?P<w>width)|height)|(?P<wider>wider|narrower)|taller"
    r"|shorter)\b",
    re.IGNORECASE,
)
_PERCENT = re.compile(r"(?<![\d.])(\d+(?:\.\d+)?)\s*(?:%|percent\b)", re.IGNORECASE)
# A percentage of growth or shrinkage: "50% bigger", "20 percent smaller" (the words after it), "enlarge it by 20%",
# "reduce its size by 30%" (a change "by" it, the way the request's verb says)
_PERCENT_AFTER = re.compile(
    r"\s*(?:percent\s+|per\s*cent\s+)?(?:(?P<more>bigger|larger|more|wider|taller)|smaller|less|narrower|shorter)\b",
    re.I,
)
_BY = re.compile(r"\bby\s+$", re.IGNORECASE)
_GROW = re.compile(r"\b(?:increase|enlarge|grow|upscale|scale\s+(?:it\s+)?up|bigger|larger)\b", re.IGNORECASE)
_SHRINK = re.compile(r"\b(?:decrease|reduce|shrink|downscale|scale\s+(?:it\s+)?down|smaller)\b", re.IGNORECASE)


def _percent_factor(request: str, percent: re.Match[str]) -> float | None:
    """The factor a percentage ``percent`` of ``request`` asks for: the share itself ("to 50%"), or a change by it
    ("50% bigger": 1.5; "reduce it by 30%": 0.7)."""
    share = float(percent.group(1)) / 100
    after = _PERCENT_AFTER.match(request, percent.end())
    by = _BY.search(request[: percent.start()])
    if after:
        grows = bool(after.group("more"))
    elif by and (_GROW.search(request) or _SHRINK.search(request)):
        grows = bool(_GROW.search(request))
    else:
        return share or None
    factor = 1 + share if grows else 1 - share
    return factor if factor > 0 else None


# A part of the picture made bigger ("enlarge the face", "blow up her face"): a crop of it, not a resize of the whole
# A part of a photo the detector finds, named to be made bigger ("her face", "the cat")
ENLARGED_NOUNS = r"(?:faces?|heads?|cats?|kittens?|person|people|man|woman|child|kid|boy|girl)"
ENLARGED_PART = re.compile(
    rf"\b(?:enlarge|magnify|blow\s+up)\s+(?:the|her|his|its|their|my)\s+(?:\w+\s+)?{ENLARGED_NOUNS}\b",
    re.IGNORECASE,
)
_SMALLER = re.compile(r"\b(?:smaller|shrink|downscale|reduce\s+(?:the\s+|its\s+)?size)\b", re.IGNORECASE)
_BIGGER = re.compile(r"\b(?:bigger|larger|enlarge|upscale)\b", re.IGNORECASE)
_FRACTIONS = {"half": 0.5, "halve": 0.5, "a third": 1 / 3, "a quarter": 0.25}
PLAIN_SHRINK, PLAIN_GROWTH = 0.5, 2.0  # "make it smaller" / "bigger" with no amount: half, twice
SLIGHT_SHRINK, SLIGHT_GROWTH = 0.75, 1.25  # "a bit smaller" / "slightly bigger"
MAX_BARE_FACTOR = 10  # "3x" alone is a factor; "200x" alone is not


# One side of a size, the other kept in proportion: "400 pixels wide", "300px tall", "a width of 400"
_ONE_SIDE = re.compile(
    r"(?<![\d.])(\d+)\s*(?:px|pixels?)?\s+(wide|across|tall|high)\b"
    r"|\b(width|height)\s+(?:of\s+|to\s+|=\s*|:\s*)?(\d+)\b",
    re.IGNORECASE,
)
_WIDTH_WORDS = ("wide", "across", "width")
# A size in pixels with no side named: the longer side ("can you make it 64 pixels": the model wrote 64000 x -1)
_PIXELS_ALONE = re.compile(
    r"\b(?:make|resize|scale|shrink|set|change)\s+(?:it|this|that|the\s+\w+)\s+(?:(?:down\s+|up\s+)?to\s+)?"
    r"(\d+)\s*(?:px|pixels?)\b(?!\s+(?:wide|across|tall|high|off|from|on|each))"
    # "resize it to 128", a number with no unit after a verb of size (the model resized to 1280 x 1280)
    r"|\b(?:resize|scale|shrink)\s+(?:(?:it|this|that|the\s+\w+)\s+)?(?:down\s+|up\s+)?to\s+(\d+)\s*[.!?]*\s*$",
    re.IGNORECASE,
)


# A resolution by its name: the picture's longer side ("make it 4k": 3840 pixels, the other side in proportion; "I
# want a thumbnail": 128, the model had cropped a box of 1000s), or its shorter for a number of lines ("1080p": 1080
# lines, 1620 x 1080 of a 3:2 photo; it had been 1920 x 1280)
_NAMED_RESOLUTIONS_PX = {
    "8k": ("longer", 7680),
    "4k": ("longer", 3840),
    "uhd": ("longer", 3840),
    "2k": ("longer", 2048),
    "full hd": ("longer", 1920),
    "fhd": ("longer", 1920),
    "2160p": ("shorter", 2160),
    "1440p": ("shorter", 1440),
    "1080p": ("shorter", 1080),
    "720p": ("shorter", 720),
    "hd": ("shorter", 720),  # "make it HD" (the model removed the background)
    "480p": ("shorter", 480),
    "thumbnail": ("longer", 128),
    "instagram": ("width", 1080),  # the width Instagram shows a post at
}
_FRAME = 16 / 9  # the width of the frame a number of lines ("720p") names, to its height
NAMED_RESOLUTION = re.compile(
    r"\b(" + "|".join(name.replace(" ", r"\s+") for name in _NAMED_RESOLUTIONS_PX) + r")\b", re.IGNORECASE
)


def one_side(request: str) -> tuple[str, int] | None:
    """``("width" | "height" | "longer" | "shorter", pixels)`` when ``request`` states one side of a size and no
    other number ("make it 400 pixels wide"; "make it 64 pixels", "resize it to 128": the longer side), or names a
    resolution ("make it 4k": the longer side; "720p": the shorter); else ``None``."""
    named = NAMED_RESOLUTION.search(request)
    if named and not stated_numbers(NAMED_RESOLUTION.sub(" ", request)):
        return _NAMED_RESOLUTIONS_PX[" ".join(named.group(1).lower().split())]
    side = _ONE_SIDE.search(request)
    alone = _PIXELS_ALONE.search(request) if side is None else None
    if len(stated_numbers(request)) != 1 or not (side or alone):
        return None
    if alone:
        return "longer", int(alone.group(1) or alone.group(2))
    pixels, word = (side.group(1), side.group(2)) if side.group(1) else (side.group(4), side.group(3))
    return ("width" if word.lower() in _WIDTH_WORDS else "height"), int(pixels)


def asks_for_a_relative_size(request: str) -> bool:
    """Whether ``request`` asks for a size that depends on the picture's: scaled (:func:`scale_factor`) or one side
    stated (:func:`one_side`)."""
    return scale_factor(request) is not None or one_side(request) is not None


def scaled_by(factor: float, width: int, height: int) -> tuple[int, int]:
    """A ``width`` x ``height`` picture's size scaled by ``factor``, in proportion and at most
    :data:`~tools.outputs.MAX_RESIZE_SIDE` a side."""
    factor = min(factor, MAX_RESIZE_SIDE / max(width, height))
    return max(1, round(width * factor)), max(1, round(height * factor))


def scaled_size(request: str, width: int, height: int) -> tuple[int, int] | None:
    """The size a ``width`` x ``height`` picture takes when scaled as ``request`` asks (:func:`scale_factor`, or the
    side it states: :func:`one_side`), in proportion and at most :data:`~tools.outputs.MAX_RESIZE_SIDE` a side;
    ``None`` when it asks for no such size."""
    side = one_side(request)
    sides = {"width": width, "height": height, "longer": max(width, height), "shorter": min(width, height)}
    factor = side[1] / sides[side[0]] if side else scale_factor(request)
    if not factor:
        return None
    if side and side[0] == "shorter":  # lines of a 16:9 frame: a wide strip fits its width ("make it HD" of a crop
        factor = min(factor, side[1] * _FRAME / max(width, height))  # of a phone number had been 3283 x 720)
    alone = None if side else scaled_side(request)
    if alone is None:
        return scaled_by(factor, width, height)
    factor = min(factor, MAX_RESIZE_SIDE / sides[alone])
    new_width = width if alone == "height" else max(1, round(width * factor))
    return new_width, height if alone == "width" else max(1, round(height * factor))


def scaled_side(request: str) -> str | None:
    """``"width"`` or ``"height"`` when ``request`` scales that side alone ("half as wide", "double the height");
    else ``None`` (both sides in proportion)."""
    match = _SCALED_SIDE.search(request)
    if match is None or scale_factor(request) is None:
        return None
    return "width" if match.group("width") or match.group("w") or match.group("wider") else "height"


def scale_factor(request: str) -> float | None:
    """The factor by which ``request`` asks to scale a picture ("twice as big": 2, "half the size" and "2 times
    smaller": 0.5, "25%": 0.25, "50% bigger": 1.5; "smaller" / "bigger" alone: :data:`PLAIN_SHRINK` / :data:`PLAIN_GROWTH`; "a bit smaller" / "slightly
    bigger": :data:`SLIGHT_SHRINK` / :data:`SLIGHT_GROWTH`), or ``None``: it states a size in
    numbers ("128 by 128"), or no size relative to the picture's."""
    if ENLARGED_PART.search(request) or _ZOOM.search(request):  # a part made bigger, a zoom: a crop
        return None
    request = BY_SIZE.sub(" ", request)  # "crop the bigger one": which image, not a size
    request = _PERCENT_STRIP.sub(" ", request)  # "the left 40%" is a part to crop, not a size
    percent = _PERCENT.search(request)
    if percent:
        return _percent_factor(request, percent)
    times = _TIMES.search(request)
    if stated_numbers(_ANGLE.sub("", request)) and not times:  # a size in numbers; an angle is another edit's
        return None
    if times:
        number = times.group(2)
        if number and float(number) > MAX_BARE_FACTOR and not times.group(3):
            return None  # "make it 200x": a size cut short ("200x200") more likely than 200 times
        factor = float(number) if number else _WORD_TIMES[" ".join(times.group(1).lower().split())]
        return 1 / factor if times.group(4) and factor else factor  # "3 times smaller": a third
    fraction = _FRACTION.search(request)
    if fraction:
        return _FRACTIONS[" ".join((fraction.group(1) or fraction.group(2) or "halve").lower().split())]
    slightly = bool(_SLIGHTLY.search(request))  # "a bit smaller", as "rotate it a bit"
    if _SMALLER.search(request):
        return SLIGHT_SHRINK if slightly else PLAIN_SHRINK
    if _BIGGER.search(request):
        return SLIGHT_GROWTH if slightly else PLAIN_GROWTH
    return None
