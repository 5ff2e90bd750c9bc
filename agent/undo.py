"""Undo: "undo that" brings back the image the last step started from.

The model has no notion of undo: asked "undo that" after a pose map, the embedded model removed the pose map's
background. Every image a tool makes is recorded with the image it was made from (``ChatSession.made_from``), so the
agent answers such a request itself, without the model: the image before the last step is shown again and becomes the
one "it" means next. Undoing again goes one more step back; several steps asked at once ("undo the last two
changes", "undo everything", "go back to the original": the embedded model removed the background) go back that many,
at most to the upload; nothing is deleted, so a result undone stays nameable. An
edit named ("undo the rotation") is undone when it made the image "it" means; an earlier one is not undone alone (the
steps after it would be lost), and the answer says how to go back. "Rotate it back" undoes the rotation (the model
rotated the rotated image again by the same angle). A turn that worked on several uploads ("rotate both by 90
degrees") is undone on each of them by "undo that" or "undo both" (only the last rotation was undone). "Undo
everything" / "start over" after edits of several uploads goes back to every upload (only the latest image's edits
had been undone).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, MutableMapping, Sequence

from agent.request_parts import OPENING
from protocol.steps import ToolCall
from tools.workspace import made_from as made_from_name

UNDONE = "Undone: back to {image}, the image before that step ({undone} is still here if you want it)."
UNDONE_SEVERAL = (
    "Undone {count} steps: back to {image}, the image before them ({undone} are still here if you want them)."
)
UNDONE_ALL = "Undone every step: back to {image}, the original ({undone} are still here if you want them)."
UNDONE_EACH = "Undone: back to {images}, the images before that step ({undone} are still here if you want them)."
UNDONE_EVERY = (
    "Undone every step on each image: back to the uploads {images} (the {count} images made are still here if you "
    "want them)."
)
NOTHING_TO_UNDO = "There is nothing to undo: no tool has changed {image} in this conversation."
NOTHING_YET = "There is nothing to undo yet: no tool has made an image in this conversation."

# The whole request asks to undo, and nothing else ("undo that", "go back to the previous image", "revert it").
_UNDO = re.compile(
    OPENING + r"(?:undo|revert|take\s+(?:that|it)\s+back|go\s+back|back\s+to)"
    # "too much, go back one" (the model removed the background)
    r"(?:\s+(?:that|it|this|the\s+last\s+(?:step|edit|change|one)|(?:that|the\s+last)\s+change|(?:one|a)\s+step|one"
    r"|to\s+the\s+(?:previous|last|earlier)\s+(?:one|image|picture|photo|version)"
    r"|the\s+(?:previous|last|earlier)\s+(?:one|image|picture|photo|version)))?"
    r"(?:\s+(?:again|once\s+more|one\s+more\s+time))?(?:\s+please)?\s*[.!?]*\s*$",
    re.IGNORECASE,
)


# The whole request asks to undo several steps ("undo the last two changes", "undo both", "revert everything", "go back
# to the original", "start over", "put it back how it was"): how many, a word or a digit, or every step.
FEWER_STEPS = "Only {count} step{s} had been made from {image}, the upload; there is nothing before it."
_STEP_COUNTS = {"two": 2, "both": 2, "three": 3, "four": 4, "five": 5}
_EVERY_STEP = "every"
_SEVERAL_UNDO = re.compile(
    OPENING + r"(?:(?:undo|revert|take\s+back|go\s+back)\s+(?:the\s+)?(?:last\s+)?"
    r"(?:(?P<count>two|three|four|five|[2-9]|both)(?:\s+(?:of\s+them|steps|changes|edits|things))?"
    r"|(?P<every>all(?:\s+(?:the|my|of\s+the|of\s+my))?\s+(?:changes|edits|steps)|all\s+of\s+(?:it|them)|everything|all))"
    r"|undo\s+(?:that|it)\s+twice(?P<twice>)"
    r"|(?P<original>(?:go\s+|take\s+me\s+)?back\s+to\s+the\s+original(?:\s+(?:image|photo|picture|one|version))?"
    # "go back to the first version" (the model removed the background), "back to the start"
    r"|(?:go\s+|take\s+me\s+)?back\s+to\s+the\s+(?:(?:very\s+)?first\s+version|start|beginning)"
    # "start over" (the model read the photo's text), "reset the image"
    r"|(?P<over>(?:let'?s\s+)?start\s+(?:over|again|from\s+scratch))|reset\s+(?:it|the\s+(?:image|photo|picture))"
    # "put it back how it was" (the model removed the background), "change it back", "restore the original"
    r"|(?:put|change|turn|set)\s+it\s+back(?:\s+(?:to\s+)?(?:how|the\s+way|as)\s+it\s+was(?:\s+before)?"
    r"|\s+to\s+(?:normal|the\s+original))|restore\s+(?:it|the\s+original(?:\s+(?:image|photo|picture))?)"
    r"|(?:back\s+to\s+)?(?:how|the\s+way)\s+it\s+was(?:\s+before)?))"
    r"(?:\s+please)?\s*[.!?]*\s*$",
    re.IGNORECASE,
)


def undoes_every_upload(request: str) -> bool:
    """Whether ``request`` asks to undo everything done in the conversation ("undo everything", "start over"), not
    only the edits of the image worked on ("go back to the original", "reset the image")."""
    several = _SEVERAL_UNDO.match(request)
    return bool(several and (several.group("every") is not None or several.group("over") is not None))


def steps_to_undo(request: str) -> int | str | None:
    """How many steps ``request`` asks to undo when it asks for several ("undo the last two changes": 2), or
    :data:`_EVERY_STEP` ("undo everything", "go back to the original"); ``None`` for any other request."""
    several = _SEVERAL_UNDO.match(request)
    if not several:
        return None
    if several.group("every") is not None or several.group("original") is not None:
        return _EVERY_STEP
    if several.group("twice") is not None:
        return 2
    count = several.group("count").lower()
    return int(count) if count.isdigit() else _STEP_COUNTS[count]


# The whole request asks to undo an edit it names ("undo the rotation", "revert the crop"): the edit's word start,
# and the operation its outputs' names record (tools.workspace.made_from)
_NAMED_UNDO = re.compile(
    OPENING + r"(?:undo|revert|take\s+back)\s+(?:the\s+(?:last\s+)?)?(rotat|crop|blur|resiz|background\s+removal)\w*"
    r"(?:\s+please)?\s*[.!?]*\s*$",
    re.IGNORECASE,
)
# "remove the blur", "unblur it", "make it less blurry": the blur undone (Blur Region has no strength to lower; the
# model blurred the same box of the original again)
_UNBLUR = re.compile(
    OPENING
    + r"(?:(?:remove|take\s+(?:off|away))\s+the\s+blur|un-?blur\s+(?:it|this|that|the\s+(?:image|photo|picture))"
    r"|make\s+it\s+(?:less\s+blurry|sharp(?:er)?\s+again|clear(?:er)?\s+again))(?:\s+please)?\s*[.!?]*\s*$",
    re.IGNORECASE,
)
# "put it back", "put the background back" after the background was removed (the model removed it again)
_BACKGROUND_BACK = re.compile(
    OPENING
    + r"(?:put|bring|add)\s+(?:it|the\s+background|the\s+bg)\s+back(?:\s+(?:in|on))?(?:\s+please)?\s*[.!?]*\s*$",
    re.IGNORECASE,
)
# "rotate it back", "turn it back to normal": the rotation undone (the model rotated the rotated image again, by the
# same angle)
_ROTATE_BACK = re.compile(
    OPENING + r"(?:rotate|turn)\s+(?:it|this|that|the\s+(?:image|photo|picture|pic))\s+back"
    r"(?:\s+(?:to\s+(?:normal|how\s+it\s+was|the\s+original|upright)|again))?(?:\s+please)?\s*[.!?]*\s*$",
    re.IGNORECASE,
)
# "put it back the right way" after rotations (the model turned it a quarter more): every rotation since the last
# other step undone
_RIGHT_WAY_AGAIN = re.compile(
    OPENING + r"(?:(?:put|turn|rotate|get|set)\s+(?:it|this|that|the\s+(?:image|photo|picture|pic))\s+(?:back\s+)?"
    r"(?:(?:the\s+)?right\s+way(?:\s+(?:up|round|around))?|upright|straight)(?:\s+again)?"
    # "make it look like it was never rotated" after a rotation and a crop of its corners (it was rotated again)
    r"|(?:make\s+it\s+)?(?:look\s+)?(?:as\s+if|like)\s+it\s+was\s+never\s+(?:rotated|turned)"
    r"|undo\s+(?:all\s+)?(?:the\s+)?rotations|un-?rotate\s+it)(?:\s+please)?\s*[.!?]*\s*$",
    re.IGNORECASE,
)
# "zoom out" after "zoom in" (the model resized the crop to numbers from its file's name): the crop undone
_ZOOM_OUT = re.compile(
    OPENING
    + r"zoom(?:\s+(?:it|back))?\s+(?:back\s+)?out(?:\s+(?:again|a\s+(?:bit|little)))?(?:\s+please)?\s*[.!?]*\s*$",
    re.IGNORECASE,
)
ROTATIONS = "rotations"
# "go back to the original size" after resizes alone (the small copy had been resized up): the upload again
_ORIGINAL_SIZE = re.compile(
    OPENING + r"(?:(?:go\s+)?back\s+to|(?:make|put|set|resize|turn)\s+it\s+(?:back\s+)?(?:to\s+)?)\s*(?:the\s+|its\s+)?"
    r"original\s+size(?:\s+again)?(?:\s+please)?\s*[.!?]*\s*$",
    re.IGNORECASE,
)
RESIZES = "resizes"
# Edits undone in other words than "undo the ...": "rotate it back", "make it less blurry", "put the background back"
_UNDONE_IN_OTHER_WORDS = (
    (_ROTATE_BACK, "rotat"),
    (_UNBLUR, "blur"),
    (_BACKGROUND_BACK, "background removal"),
    (_RIGHT_WAY_AGAIN, ROTATIONS),
    (_ZOOM_OUT, "crop"),
    (_ORIGINAL_SIZE, RESIZES),
)
EDITS = {
    "rotat": ("rotation", "rotate"),
    "crop": ("crop", "crop"),
    "blur": ("blur", "blur"),
    "resiz": ("resize", "resize"),
    "background removal": ("background removal", "nobg"),  # the name its outputs are saved under
    ROTATIONS: ("rotation", "rotate"),
    RESIZES: ("resize", "resize"),
}
NOT_THE_LAST = (
    'The {edit} was not the last step, so I can\'t undo it alone: {latest} was made by another step. "Undo that" '
    "goes back one step at a time (to {before} first)."
)
NO_SUCH_EDIT = "There is no {edit} to undo: no {edit} made {latest}."


def asks_to_undo(request: str, latest: str | None = None, made_from: Mapping[str, str] | None = None) -> bool:
    """Whether ``request`` asks only to undo the last step ("undo that", "go back to the previous image"), an edit
    it names ("undo the rotation", "rotate it back") or several steps ("undo the last two changes"); "put it back
    the right way" only when rotations (and crops) made ``latest`` in a row, as ``made_from`` tells (of a photo taken
    crooked, it asks to straighten it)."""
    named = _named_edit(request)
    if named == ROTATIONS:  # a crop of a rotation's corners too
        return latest is not None and _rotations_in_a_row(lineage(latest, made_from or {})) > 0
    if named == RESIZES:  # resizes alone since the upload: the upload itself; else a resize to its size
        chain = lineage(latest, made_from or {}) if latest else []
        return len(chain) > 1 and all(_operation(image) == "resize" for image in chain[:-1])
    return bool(_UNDO.match(request) or named or steps_to_undo(request))


def _named_edit(request: str) -> str | None:
    """The edit (a key of :data:`EDITS`) that ``request`` asks to undo by its name, or ``None``."""
    said = next((edit for pattern, edit in _UNDONE_IN_OTHER_WORDS if pattern.match(request)), None)
    if said:
        return said
    named = _NAMED_UNDO.match(request)
    return " ".join(named.group(1).lower().split()) if named else None


def undo(
    latest: str | None, made_from: Mapping[str, str], request: str = "", last_made: Sequence[str] = ()
) -> tuple[str, list[str], list[str]]:
    """The answer to an undo ``request``, the images it brings back (none: nothing to undo), the one "it" means next
    last, and the images it went back from, given the image "it" means now (``latest``), what each tool output was
    made from and the images the last turn that made any made (``last_made``): a named edit ("undo the rotation") is
    undone only when it made ``latest``; several steps ("undo the last two changes") go back that many, at most to
    the upload; the last step of a turn that worked on several uploads is undone on each."""
    if latest is None:
        return NOTHING_YET, [], []
    ends = turn_ends(last_made, made_from)
    if len(ends) > 1 and latest in ends and _one_step_or_both(request):
        ends.remove(latest)
        ends.append(latest)  # the one "it" meant stays the one it means
        before = [made_from[image] for image in ends]
        return UNDONE_EACH.format(images=_listed(before), undone=_listed(ends)), before, ends
    edited = list(dict.fromkeys(lineage(image, made_from)[-1] for image in made_from))  # oldest first
    if len(edited) > 1 and undoes_every_upload(request):
        upload = lineage(latest, made_from)[-1]
        before = [image for image in edited if image != upload] + [upload]  # "it" means the one it meant
        return UNDONE_EVERY.format(images=_listed(before), count=len(made_from)), before, list(made_from)
    chain = lineage(latest, made_from)
    named = _named_edit(request)
    if named == RESIZES and len(chain) > 1:  # "go back to the original size": every resize undone
        return UNDONE_ALL.format(image=chain[-1], undone=_listed(chain[:-1])), [chain[-1]], chain[:-1]
    rotations = _rotations_in_a_row(chain)
    if named == ROTATIONS and rotations > 1:  # "put it back the right way": the rotations (and crops) in a row since
        text = UNDONE_SEVERAL.format(count=rotations, image=chain[rotations], undone=_listed(chain[:rotations]))
        return text, [chain[rotations]], chain[:rotations]
    if named:
        edit, operation = EDITS[named]
        if _operation(latest) == operation:
            return UNDONE.format(image=chain[1], undone=latest), [chain[1]], [latest]
        if len(chain) > 1 and any(_operation(image) == operation for image in chain):
            return NOT_THE_LAST.format(edit=edit, latest=latest, before=chain[1]), [], []
        return NO_SUCH_EDIT.format(edit=edit, latest=latest), [], []
    if len(chain) == 1:
        return NOTHING_TO_UNDO.format(image=latest), [], []
    asked = steps_to_undo(request) or 1
    steps = len(chain) - 1 if asked == _EVERY_STEP else min(int(asked), len(chain) - 1)
    image, undone = chain[steps], chain[:steps]
    if steps == 1:
        text = UNDONE.format(image=image, undone=latest)
    elif steps == len(chain) - 1:
        text = UNDONE_ALL.format(image=image, undone=_listed(undone))
    else:
        text = UNDONE_SEVERAL.format(count=steps, image=image, undone=_listed(undone))
    if asked != _EVERY_STEP and int(asked) > steps:  # "go back two steps" after one: say the upload is reached
        text = f"{text} {FEWER_STEPS.format(count=steps, s='' if steps == 1 else 's', image=image)}"
    return text, [image], undone


def turn_ends(made: Sequence[str], made_from: Mapping[str, str]) -> list[str]:
    """The last image of ``made`` (a turn's results, oldest first) made from each upload, in the order made."""
    ends: dict[str, str] = {}
    for image in made:
        upload = lineage(image, made_from)[-1]
        ends.pop(upload, None)
        ends[upload] = image
    return list(ends.values())


def _one_step_or_both(request: str) -> bool:
    """Whether an undo ``request`` asks for the last step ("undo that") or says "both" ("undo both")."""
    return not _named_edit(request) and (steps_to_undo(request) is None or bool(re.search(r"\bboth\b", request, re.I)))


def _listed(images: Sequence[str]) -> str:
    """``images`` joined as words: "a, b and c"."""
    return ", ".join(images[:-1]) + f" and {images[-1]}" if len(images) > 1 else "".join(images)


def _rotations_in_a_row(chain: Sequence[str]) -> int:
    """How many of the newest images of ``chain`` (newest first) rotations and crops made in a row, when a rotation
    is among them ("put it back the right way" after a rotation and a crop of its corners); else 0."""
    turned = next((index for index, image in enumerate(chain) if _operation(image) not in ("rotate", "crop")), 0)
    return turned if any(_operation(image) == "rotate" for image in chain[:turned]) else 0


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


def made_record(call: ToolCall) -> str:
    """How ``ChatSession.made_by`` records the call that made an image: ``Tool: input``."""
    return f"{call.tool}: {call.action_input}"


def made_call(made_by: Mapping[str, str], image: str | None) -> ToolCall:
    """The call that made ``image``, as ``made_by`` records it (:func:`made_record`); a call of no tool for an upload
    or an image nothing recorded."""
    tool, _, action_input = made_by.get(image or "", "").partition(": ")
    return ToolCall("", tool, action_input)
