"""Undo: "undo that" brings back the image the last step started from.

The model has no notion of undo: asked "undo that" after a pose map, the embedded model removed the pose map's
background. Every image a tool makes is recorded with the image it was made from (``ChatSession.made_from``), so the
agent answers such a request itself, without the model: the image before the last step is shown again and becomes the
one "it" means next. Undoing again goes one more step back; nothing is deleted, so a result undone stays nameable. An
edit named ("undo the rotation") is undone when it made the image "it" means; an earlier one is not undone alone (the
steps after it would be lost), and the answer says how to go back.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, MutableMapping, Sequence

from tools.workspace import made_from as made_from_name

UNDONE = "Undone: back to {image}, the image before that step ({undone} is still here if you want it)."
NOTHING_TO_UNDO = "There is nothing to undo: no tool has changed {image} in this conversation."
NOTHING_YET = "There is nothing to undo yet: no tool has made an image in this conversation."

# Words before the request proper ("oops, undo that", "now undo the rotation")
_OPENING = r"^\s*(?:(?:please|ok(?:ay)?|hmm+|no|oops|actually|now|then|can you|could you)[,!.]?\s+)*"
# The whole request asks to undo, and nothing else ("undo that", "go back to the previous image", "revert it").
_UNDO = re.compile(
    _OPENING + r"(?:undo|revert|take\s+(?:that|it)\s+back|go\s+back|back\s+to)"
    r"(?:\s+(?:that|it|this|the\s+last\s+(?:step|edit|change|one)|(?:that|the\s+last)\s+change|one\s+step"
    r"|to\s+the\s+(?:previous|last|earlier)\s+(?:one|image|picture|photo|version)"
    r"|the\s+(?:previous|last|earlier)\s+(?:one|image|picture|photo|version)))?"
    r"(?:\s+please)?\s*[.!?]*\s*$",
    re.IGNORECASE,
)


# The whole request asks to undo an edit it names ("undo the rotation", "revert the crop"): the edit's word start,
# and the operation its outputs' names record (tools.workspace.made_from)
_NAMED_UNDO = re.compile(
    _OPENING + r"(?:undo|revert|take\s+back)\s+(?:the\s+(?:last\s+)?)?(rotat|crop|blur|resiz|background\s+removal)\w*"
    r"(?:\s+please)?\s*[.!?]*\s*$",
    re.IGNORECASE,
)
EDITS = {
    "rotat": ("rotation", "rotate"),
    "crop": ("crop", "crop"),
    "blur": ("blur", "blur"),
    "resiz": ("resize", "resize"),
    "background removal": ("background removal", "remove"),
}
NOT_THE_LAST = (
    'The {edit} was not the last step, so I can\'t undo it alone: {latest} was made by another step. "Undo that" '
    "goes back one step at a time (to {before} first)."
)
NO_SUCH_EDIT = "There is no {edit} to undo: no {edit} made {latest}."


def asks_to_undo(request: str) -> bool:
    """Whether ``request`` asks only to undo the last step ("undo that", "go back to the previous image") or an edit
    it names ("undo the rotation")."""
    return bool(_UNDO.match(request) or _NAMED_UNDO.match(request))


def undo(latest: str | None, made_from: Mapping[str, str], request: str = "") -> tuple[str, str | None]:
    """The answer to an undo ``request`` and the image it brings back (``None``: nothing to undo), given the image
    "it" means now (``latest``) and what each tool output was made from: a named edit ("undo the rotation") is
    undone only when it made ``latest``."""
    if latest is None:
        return NOTHING_YET, None
    before = made_from.get(latest)
    named = _NAMED_UNDO.match(request)
    if named:
        edit, operation = EDITS[" ".join(named.group(1).lower().split())]
        chain = lineage(latest, made_from)
        if _operation(latest) == operation:
            return UNDONE.format(image=before, undone=latest), before
        if before is not None and any(_operation(image) == operation for image in chain):
            return NOT_THE_LAST.format(edit=edit, latest=latest, before=before), None
        return NO_SUCH_EDIT.format(edit=edit, latest=latest), None
    if before is None:
        return NOTHING_TO_UNDO.format(image=latest), None
    return UNDONE.format(image=before, undone=latest), before


def _operation(image: str) -> str:
    """The operation whose output ``image`` is, as its name records it (``""`` for an upload)."""
    recorded = made_from_name(image)
    return recorded[0] if recorded else ""


def lineage(image: str, made_from: Mapping[str, str]) -> list[str]:
    """``image`` and the images it was made from, newest first."""
    chain = [image]
    while chain[-1] in made_from and made_from[chain[-1]] not in chain:
        chain.append(made_from[chain[-1]])
    return chain


def record_sources(made_from: MutableMapping[str, str], made: Sequence[str], inputs: Sequence[str]) -> None:
    """Record that the images ``made`` came from the first of a call's input images (``inputs``; none for a
    picture drawn from text alone, which nothing comes before)."""
    if inputs:
        made_from.update({name: inputs[0] for name in made if name != inputs[0]})
