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
