"""'What can you do?' answered from the tools that are loaded, and what no tool does.

The model learned a fixed answer to it ("I can describe images, answer questions about them ..."), which the
offline demo cannot do: it serves neither captioning nor question answering. The agent knows what is loaded, so it
answers such a question itself, before the model runs.

No tool of the catalogue flips or mirrors an image; asked to "flip it horizontally", the model rotated it by 20000
degrees and presented the result. A request only for that is answered with what can be done instead.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from tools.spec import ToolSpec

_ASKS = re.compile(
    r"\bwhat\s+(?:else\s+)?(?:can|could)\s+you\s+do\b"
    r"|\bwhat\s+are\s+you\s+able\s+to\s+do\b"
    r"|\bwhat\s+(?:tools|abilities|features|skills)\s+(?:do\s+you\s+have|have\s+you\s+got|are\s+(?:there|loaded|available))\b"
    r"|\bwhich\s+tools\s+(?:do\s+you\s+have|are\s+(?:there|loaded|available))\b"
    # "hi! what is this app?" (the model: "It is an AI assistant, not an app."), "who are you?"
    r"|\bwhat\s+(?:is|'s)\s+this\s+(?:app|tool|thing|demo|program|site|place)\b|\b(?:who|what)\s+are\s+you\W*$"
    r"|\bhow\s+(?:do|does)\s+(?:i\s+use\s+)?(?:this|it)\s+work\W*$|\bhow\s+do\s+i\s+use\s+(?:this|you)\b",
    re.IGNORECASE,
)


def asks_what_it_can_do(request: str) -> bool:
    """Whether ``request`` asks what the assistant can do or which tools it has."""
    return bool(_ASKS.search(request))


def load_hint(spec: ToolSpec) -> str:
    """The ``--load`` value that loads ``spec``'s model families on the CPU."""
    return ",".join(f"{family}_cpu" for family in spec.families)


def capabilities_answer(tools: Sequence[str], takes_image: set[str]) -> str:
    """The loaded ``tools`` in a sentence, with how to use them (``takes_image``: those that work on an upload)."""
    if not tools:
        return "No tools are loaded, so I can only chat; I cannot work on images."
    answer = f"With the tools loaded here I can use: {', '.join(tools)}."
    if takes_image:
        answer += " Upload an image and tell me what to do with it."
    return answer


_FLIP = re.compile(r"\b(?:flip|mirror)(?:ped|ping|s)?\b", re.IGNORECASE)
NO_FLIP = (
    "None of the tools here can flip or mirror an image. Rotate Image can turn it instead: by 180 degrees it is "
    "upside down."
)


def asks_to_flip(request: str) -> bool:
    """Whether ``request`` asks to flip or mirror an image ("flip it horizontally", "mirror the photo")."""
    return bool(_FLIP.search(request))


# A blur of all but a part: "blur everything except her face", "blur the rest but keep the cat sharp"
_BLUR_ALL_BUT = re.compile(
    r"\bblur\b.*\b(?:everything|all\s+of\s+it|it\s+all|the\s+rest|the\s+whole\s+(?:image|photo|picture))\b.*"
    r"\b(?:except|but|other\s+than|apart\s+from|besides|save|keep)\b",
    re.IGNORECASE,
)
NO_BLUR_ALL_BUT = (
    "Blur Region blurs the inside of one box, so it can't keep one part sharp and blur the rest. I can blur a part "
    'itself instead: "blur her face", a part by its place ("the top half"), or a box you give as left, top, right, '
    "bottom."
)


def asks_to_blur_all_but(request: str) -> bool:
    """Whether ``request`` asks to blur the picture except a part of it, which Blur Region (one box) cannot do."""
    return bool(_BLUR_ALL_BUT.search(request))


# A request to change the file's format: "convert it to jpg", "save it as a webp"
_FORMAT = re.compile(
    r"\b(?:convert|save|export|change|turn)\b.*\b(?:to|as|into)\s+(?:an?\s+)?(?:jpe?g|png|webp|gif|bmp|tiff?|pdf)\b"
    r"(?:\s+(?:file|format|image))?",
    re.IGNORECASE,
)
NO_FORMAT = (
    "Every image here is saved as PNG, and none of the tools changes a file's format: download the image and convert "
    "it with any image editor."
)


def asks_for_another_format(request: str) -> bool:
    """Whether ``request`` asks to convert the image to another file format, which no tool does."""
    return bool(_FORMAT.search(request))
