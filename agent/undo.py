"""Undo: "undo that" brings back the image the last step started from.

The model has no notion of undo: asked "undo that" after a pose map, the embedded model removed the pose map's
background. Every image a tool makes is recorded with the image it was made from (``ChatSession.made_from``), so the
agent answers such a request itself, without the model: the image before the last step is shown again and becomes the
one "it" means next. Undoing again goes one more step back; nothing is deleted, so a result undone stays nameable.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, MutableMapping, Sequence

UNDONE = "Undone: back to {image}, the image before that step ({undone} is still here if you want it)."
NOTHING_TO_UNDO = "There is nothing to undo: no tool has changed {image} in this conversation."
NOTHING_YET = "There is nothing to undo yet: no tool has made an image in this conversation."

# The whole request asks to undo, and nothing else ("undo that", "go back to the previous image", "revert it").
_UNDO = re.compile(
    r"^\s*(?:(?:please|ok(?:ay)?|hmm+|no|oops|actually|can you|could you)[,!.]?\s+)*"
    r"(?:undo|revert|take\s+(?:that|it)\s+back|go\s+back|back\s+to)"
    r"(?:\s+(?:that|it|this|the\s+last\s+(?:step|edit|change|one)|(?:that|the\s+last)\s+change|one\s+step"
    r"|to\s+the\s+(?:previous|last|earlier)\s+(?:one|image|picture|photo|version)"
    r"|the\s+(?:previous|last|earlier)\s+(?:one|image|picture|photo|version)))?"
    r"(?:\s+please)?\s*[.!?]*\s*$",
    re.IGNORECASE,
)


def asks_to_undo(request: str) -> bool:
    """Whether ``request`` asks only to undo the last step ("undo that", "go back to the previous image")."""
    return bool(_UNDO.match(request))


def undo(latest: str | None, made_from: Mapping[str, str]) -> tuple[str, str | None]:
    """The answer to an undo request and the image it brings back (``None``: nothing to undo), given the image
    "it" means now (``latest``) and what each tool output was made from."""
    if latest is None:
        return NOTHING_YET, None
    before = made_from.get(latest)
    if before is None:
        return NOTHING_TO_UNDO.format(image=latest), None
    return UNDONE.format(image=before, undone=latest), before


def record_sources(made_from: MutableMapping[str, str], made: Sequence[str], inputs: Sequence[str]) -> None:
    """Record that the images ``made`` came from the first of a call's input images (``inputs``; none for a
    picture drawn from text alone, which nothing comes before)."""
    if inputs:
        made_from.update({name: inputs[0] for name in made if name != inputs[0]})
