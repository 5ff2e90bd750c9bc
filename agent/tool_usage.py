"""How to use a tool, and how many are loaded, answered from the tools themselves.

Asked "how do I use the edge detection?" with no image yet, the model called the tool and the person was told to
upload an image and ask again, which never said what to ask; asked "how many tools do you have?", it answered "I
have 10 tools loaded, and one tool is Edge Detection On Image, which is not loaded" with twelve loaded, that one
among them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from agent.capabilities import NO_TOOLS
from tools.spec import ToolSpec

# A request in words that runs each tool, for a person who asks how to use it (and the demo's example prompts)
EXAMPLE_REQUESTS = {
    "Edge Detection On Image": "Show me the edges of the image",
    "Line Detection On Image": "Find the straight lines in the picture",
    "Hed Detection On Image": "Show me the soft boundaries (HED) of the image",
    "Sketch Detection On Image": "Turn it into a sketch",
    "Pose Detection On Image": "Detect the pose of the person",
    "Predict Depth On Image": "Show me the depth map",
    "Predict Normal Map On Image": "Show me the normal map",
    "Segment the Image": "Segment the image",
    "Remove the background": "Remove the background",
    "Rotate Image": "Rotate it 90 degrees",
    "Resize Image": "Resize it to 256 by 256",
    "Blur Region": "Blur her face",
    "Crop Image": "Crop the left half",
    "Text Detection On Image": "Read the text in this image",
    "Detection": "Find the faces in this photo",
    "Get Photo Description": "Describe the photo",
    "Answer Question About The Image": "What colour is the car?",
    "Generate Image From User Input Text": "Draw a picture of a lighthouse at sunset",
    "Instruct Image Using Text": "Make it look like a watercolour",
    "Remove Something From The Photo": "Remove the cup from the photo",
    "Replace Something From The Photo": "Replace the cup with a teapot",
}
_FILLER = r"(?:the\s+|your\s+|this\s+|that\s+|a\s+)?"
_NAMED = r"(?P<tool>[\w\s-]{3,40}?)(?:\s+(?:tool|feature|function|option|one))?"
_OPENING = r"^\W*(?:(?:ok(?:ay)?|so|and|hi|hey|please)[,!.]?\s+)*"
_ASKS_HOW = (
    re.compile(rf"{_OPENING}how\s+(?:do|can|should|would)\s+(?:i|we|you)\s+use\s+{_FILLER}{_NAMED}\W*$", re.I),
    re.compile(rf"{_OPENING}what\s+(?:does|is)\s+{_FILLER}{_NAMED}\s+(?:do|for)\W*$", re.I),
)
_ASKS_HOW_MANY = re.compile(r"\bhow\s+many\s+(?:tools|models|abilities|skills|features)\b", re.IGNORECASE)
_NAME_ENDS = re.compile(r"\s+(?:on\s+image|image)$")


def _names(spec: ToolSpec) -> set[str]:
    """The words a person may name ``spec`` by: its name (with or without "on image"), its map's names."""
    name = spec.name.lower()
    return {name, _NAME_ENDS.sub("", name), *(word.lower() for word in spec.makes_map)}


def _named_tool(named: str, loaded: Sequence[ToolSpec]) -> ToolSpec | None:
    """The loaded tool ``named`` names: by one of its names, or the first words of one ("the blur" of "Blur
    Region")."""
    named = " ".join(named.lower().split())
    for spec in loaded:
        if any(name == named or name.startswith(f"{named} ") for name in _names(spec)):
            return spec
    return None


def usage_answer(request: str, loaded: Sequence[ToolSpec], *, has_image: bool) -> str | None:
    """What the loaded tool ``request`` asks how to use does, and a request that runs it, or ``None``."""
    asked = next((match for match in (pattern.search(request) for pattern in _ASKS_HOW) if match), None)
    spec = _named_tool(asked.group("tool"), loaded) if asked else None
    if spec is None:
        return None
    does = spec.description.split(". Use it when")[0].rstrip(".")
    example = EXAMPLE_REQUESTS.get(spec.name, f"Use {spec.name} on it")
    how = "Ask for it in words" if has_image else "Upload an image, then ask for it in words"
    return f'{spec.name}: {does[0].lower()}{does[1:]}. {how}, for example "{example}".'


def asks_how_many_tools(request: str) -> bool:
    """Whether ``request`` asks how many tools there are."""
    return bool(_ASKS_HOW_MANY.search(request))


def count_answer(tools: Sequence[str]) -> str:
    """How many ``tools`` are loaded, and which."""
    if not tools:
        return NO_TOOLS
    return f"{len(tools)} tool{'s are' if len(tools) > 1 else ' is'} loaded here: {', '.join(tools)}."
