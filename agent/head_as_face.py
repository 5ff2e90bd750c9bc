"""A person's head asked for in a crop or blur: "crop her head", "blur his head".

The detector here finds faces, people and cats; asked to "crop her head", the agent said it could not find a head
and asked for a box. A head is the face with some room around it: the request is read as one of the face, a crop
with some margin (agent/margin.py).
"""

from __future__ import annotations

import re

_HEAD = re.compile(r"\b(?P<whose>her|his|their|the|its)\s+head(?P<plural>s?)\b", re.IGNORECASE)
_BOX_EDIT = re.compile(r"\b(?:crop|blur|pixelate|hide|zoom\s+in)\b", re.IGNORECASE)
_CROP = re.compile(r"\b(?:crop|zoom\s+in)\b", re.IGNORECASE)
_ROOM = re.compile(r"\b(?:margin|padding|room|space|border)\b", re.IGNORECASE)


def as_the_face(request: str) -> str:
    """``request`` with a person's head said as the face, and a crop of it given some margin; ``request`` itself
    when it edits no box or names no head."""
    head = _HEAD.search(request)
    if head is None or not _BOX_EDIT.search(request):
        return request
    face = f"{head.group('whose')} face{head.group('plural')}"
    room = " with some margin" if _CROP.search(request) and not _ROOM.search(request) else ""
    return f"{request[: head.start()]}{face}{room}{request[head.end() :]}"
