"""Which picture is brighter: a fact of the pixels, answered by the agent.

Asked "which one is brighter?" of two uploads, the agent answered "I could not answer that": the model cannot see
the pictures, and no tool compares them. Their pixels' mean brightness (0-255, the luma of each pixel) is a fact
the agent reads from the files, as it reads their sizes (agent/image_facts.py), so it answers the comparison itself
and says what it measured; whether the photo *looks* bright (a dark subject on a white wall) it does not claim.
"""

from __future__ import annotations

import re

import numpy as np
from PIL import Image

from agent.request_parts import OPENING

_WHICH = (
    r"which(?:\s+(?:one|image|photo|picture|pic|of\s+(?:them|the\s+(?:two|images|photos|pictures))))?\s+is\s+"
    r"(?:the\s+)?(?:a\s+bit\s+)?(?P<word>brighter|brightest|lighter|lightest|darker|darkest)"
    r"(?:\s+(?:one|image|photo|picture))?(?:\s+now)?"
)
_BRIGHTER_QUESTION = re.compile(OPENING + _WHICH + r"(?:\s+please)?\s*[.?!]*\s*$", re.IGNORECASE)
MEASURED = "by the mean brightness of their pixels, 0-255"


def asks_which_is_brighter(request: str) -> bool:
    """Whether ``request`` only asks which of the images is the brighter or the darker."""
    return bool(_BRIGHTER_QUESTION.match(request))


def mean_brightness(image: Image.Image) -> float:
    """The mean luma of ``image``'s pixels, 0 (black) to 255 (white)."""
    return float(np.asarray(image.convert("L"), dtype=np.float32).mean())


def brightness_answer(request: str, brightness: dict[str, float]) -> str:
    """The images of ``brightness`` (name -> mean brightness; two or more) from the one ``request`` asks for (the
    brighter or the darker) to the other end, each with its figure."""
    asked = _BRIGHTER_QUESTION.match(request)
    darker = bool(asked and asked.group("word").lower().startswith("dark"))
    ordered = sorted(brightness, key=brightness.__getitem__, reverse=not darker)
    listed = [f"{name} ({brightness[name]:.0f})" for name in ordered]
    if len({round(value) for value in brightness.values()}) == 1:
        return f"They are as bright as each other, {MEASURED}: {', '.join(listed)}."
    comparative = "darker" if darker else "brighter"
    if len(listed) == 2:
        return f"{listed[0]} is {comparative} than {listed[1]}, {MEASURED}."
    return f"{listed[0]} is the {comparative[:-2]}est, then {', then '.join(listed[1:])}, {MEASURED}."


# "is this photo black and white?", "is it in colour?", "is the picture grayscale?" (the model answered that a tool
# named "Detection On Image" is not loaded)
_GREY_QUESTION = re.compile(
    OPENING + r"(?:is|are)\s+(?:it|this|that|they|(?:the|this|that|my)\s+(?:\w+\s+)?(?:image|photo|picture|pic|one))\s+"
    r"(?:already\s+|still\s+)?(?:in\s+)?(?P<look>black[- ]and[- ]white|b\s*&\s*w|gr[ae]y\s*scale|monochrome|colou?r|colou?red)"
    r"(?:\s+now)?(?:\s+please)?\s*[.?!]*\s*$",
    re.IGNORECASE,
)
GREY_TOLERANCE = 3  # levels of difference between a pixel's red, green and blue that still count as grey (JPEG noise)
GREY_SHARE = 0.99  # of the pixels grey, for a picture to be black and white
IS_GREY = "{image} is black and white: {share:.0%} of its pixels are grey (their red, green and blue equal)."
HAS_COLOUR = "{image} is in colour: {share:.0%} of its pixels have a colour (their red, green and blue differ)."


def asks_if_grey(request: str) -> bool:
    """Whether ``request`` only asks whether the picture is black and white (or in colour)."""
    return bool(_GREY_QUESTION.match(request))


def grey_share(image: Image.Image) -> float:
    """The share of ``image``'s pixels whose red, green and blue differ by at most :data:`GREY_TOLERANCE`."""
    pixels = np.asarray(image.convert("RGB"), dtype=np.int16)
    spread = pixels.max(axis=-1) - pixels.min(axis=-1)
    return float((spread <= GREY_TOLERANCE).mean())


def grey_answer(request: str, image: str, share: float) -> str:
    """Yes or no to ``request`` (whether ``image`` is black and white, or in colour) from the ``share`` of its pixels
    that are grey."""
    look = _GREY_QUESTION.match(request).group("look").lower()
    grey = share >= GREY_SHARE
    asked_grey = not look.startswith("colo")
    told = IS_GREY.format(image=image, share=share) if grey else HAS_COLOUR.format(image=image, share=1 - share)
    return f"{'Yes' if grey == asked_grey else 'No'}: {told}"
