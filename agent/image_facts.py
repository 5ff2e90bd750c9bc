"""What the agent knows of an image without seeing it: its size.

Asked "what is the size of the image?", the model answered "I cannot see images myself, ... so I can't do that",
though the upload had been introduced as "a 512x512 image". The size is read from the file and given by the agent,
for the latest image or the one the question names.
"""

from __future__ import annotations

import re

from agent.generative_requests import THE_PICTURE

SIZE_ANSWER = "{image} is {width} x {height} pixels (width x height)."

# The whole request asks for the picture's size: "what is the size of the image?", "how big is this photo?",
# "what are its dimensions?", "what resolution is it?"
_SIZE_QUESTION = re.compile(
    r"^\s*(?:(?:and|so|ok(?:ay)?|please|hey)[,!]?\s+)*"
    r"(?:(?:what(?:'s|\s+is|\s+are)|tell\s+me|give\s+me)\s+(?:the\s+|its\s+)?"
    r"(?:size|dimensions?|resolution|width\s+and\s+height)(?:\s+of\s+" + THE_PICTURE + r")?"
    r"|how\s+(?:big|large)\s+is\s+" + THE_PICTURE + r"(?:\s+in\s+pixels)?"
    r"|what\s+(?:size|resolution)\s+is\s+" + THE_PICTURE + r")"
    r"(?:\s+now)?(?:\s+please)?\s*[.?!]*\s*$",
    re.IGNORECASE,
)


def asks_for_the_size(request: str) -> bool:
    """Whether ``request`` only asks how big the picture is (in pixels), not anything it shows."""
    return bool(_SIZE_QUESTION.match(request))
