"""A profile picture asked for: "make it a profile picture", "make me an avatar from this", "crop a headshot".

Asked so, the model removed the background. A profile picture is a square around the face with some room around it,
which the crop and the detector make: the request is read as "crop to the face with some margin and make it square"
(the square around the found box: agent/meant_call.py, the margin: agent/margin.py).
"""

from __future__ import annotations

import re

from agent.request_parts import OPENING

AS_A_CROP = "crop to the face with some margin and make it square"

# The whole request asks for a profile picture of the picture's person
_PROFILE_PICTURE = re.compile(
    OPENING
    + r"(?:(?:make|turn|crop|use|cut)\s+(?:it|this|that|the\s+(?:image|photo|picture|pic))\s+(?:(?:in)?to\s+|as\s+)?"
    r"|(?:make|give|crop|cut)\s+(?:me\s+)?(?:a|an|my)\s+(?:new\s+)?|(?:i\s+(?:want|need)\s+)(?:a|an|my)\s+(?:new\s+)?)?"
    r"(?:a\s+|an\s+|my\s+)?(?:profile\s+(?:picture|pic|photo|image)|pfp|avatar|headshot|head\s+shot)"
    r"(?:\s+(?:of\s+(?:her|him|them|me|it|this)|from\s+(?:it|this|that)|for\s+(?:me|linkedin|my\s+\w+)))?"
    r"(?:\s+please)?\s*[.!?]*\s*$",
    re.IGNORECASE,
)


def as_a_profile_picture(request: str) -> str:
    """:data:`AS_A_CROP` when ``request`` only asks for a profile picture; ``request`` otherwise."""
    return AS_A_CROP if _PROFILE_PICTURE.match(request.strip()) else request
