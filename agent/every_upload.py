"""The same edit of every upload: "remove the background from both", "show me the edges of each of them".

A small model trained on one image a call runs the tool on one upload and answers: asked to "remove the background
from both" after two uploads, it cut out one photo (which failed: no person in it) and never tried the other. When
a request asks for every upload, the session holds two or more and the turn's first tool ran on one of them, an
answer before that tool was tried on each is set aside and the agent opens the next call with the next upload; the
model writes the rest of the call. The answer then says which uploads the tool failed on, if any, what it answered
in words on the others (each reading, for "what do these two signs say?"), and names every image it made.

When the tool answers in words (a detector, the reading tool) and ran on every upload, the answer is those words,
one upload after another (:func:`every_finding`): asked to "detect faces in both", the model had answered "The
detected face is ready: cat [80, 0, 421, 300]." of the cat photo and left the astronaut's face to a note; asked
"which of these signs says stop?", it quoted the other sign. The one a "which ... says" question asks for comes
first.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence

from agent.findings import told_on
from agent.pending_edit import Step
from agent.picture_questions import DETECTORS
from agent.read_text import READER, READING_TOOLS, normal_words
from agent.text_parts import asked_part, part_text
from generation.tool_calls import image_names

# Words by which a request means every upload ("both", "each of them", "all the photos", "these two signs", "these
# pictures", "which photo has ...")
_EVERY = re.compile(
    r"\b(?:both(?:\s+of\s+them)?|(?:each|every)\s+(?:of\s+them|one|photo|image|picture|pic|sign|label|page)"
    r"|all\s+(?:of\s+them|three|four|(?:the|my)\s+(?:photos|images|pictures|pics))"
    r"|(?:these|those|the|my)\s+(?:two|three|four)"
    r"|(?:these|those)\s+(?:\w+\s+)?(?:photos|images|pictures|pics|signs|ones|files)"
    # "what do the signs say?" (one was read): the plural of what was uploaded
    r"|(?:the|my)\s+(?:signs|labels|pages|menus|posters)"
    # "which photo has a cat?", "which one says stop?", "which one is about bread?": each upload looked at
    r"|which\s+(?:one|photo|image|picture|pic|sign|file|upload|of\s+(?:them|these|those|the\s+\w+))\s+"
    r"(?:has|have|shows?|contains?|includes?|says|reads|is\s+about|mentions"
    # "which file is the cat?" (answered with the coffee photo): agent/detector_scope.py's which_has answers
    r"|is\s+the\s+(?:cat|person|face)))\b",
    re.IGNORECASE,
)


FAILED_ON = "{tool} failed on {image}: {said}."


def asks_for_every(request: str, uploads: Sequence[str]) -> bool:
    """Whether ``request`` asks for every one of two or more ``uploads``."""
    return len(uploads) > 1 and bool(_EVERY.search(request))


def worked_on(steps: Sequence[Step], uploads: Sequence[str], versions: Sequence[str] = ()) -> list[str]:
    """The images a request for every upload means: ``versions`` (the newest image made from each upload) when the
    turn's first call worked on one of those (after the edges of two photos were drawn, "make both 256 wide" resized
    one edge map; an upload never edited is its own newest: after the cat photo's blur, "make both of them 200 pixels
    wide" had resized the coffee photo and the cat's upload, not its blur), else ``uploads`` when it worked on an
    upload; ``[]`` when it worked on neither."""
    first = next(
        (image_names(step.action_input)[0] for step in steps if step.action and image_names(step.action_input)), None
    )
    if first in versions:
        return list(versions)
    return list(uploads) if first in uploads else []


def upload_not_done(
    request: str, steps: Sequence[Step], uploads: Sequence[str], versions: Sequence[str] = ()
) -> tuple[str, str] | None:
    """``(tool, image)``: the turn's first tool and the first of the images a request for every upload means
    (:func:`worked_on`) it was not tried on this turn (``steps``), when ``request`` asks for every upload, there are
    two or more and that tool was tried on one of them; else ``None``."""
    if not asks_for_every(request, uploads):
        return None
    return not_done_on(steps, worked_on(steps, uploads, versions))


def edit_not_done(
    request: str,
    steps: Sequence[Step],
    uploads: Sequence[str],
    unfound: Callable[[str, Sequence[Step]], str | None],
    versions: Sequence[str] = (),
) -> tuple[str, str] | None:
    """``(tool, image)``: an edit the turn made after a detector (not its first call) and the first image a request for
    every upload means (:func:`worked_on`) where a detector ran and found what the edit needs (``unfound``, as
    ``pending_edit.box_edit_unfound``, tells it did not) but the edit was not tried; else ``None``. Asked to "blur
    the faces in both", the model found both faces, blurred one and answered."""
    if not asks_for_every(request, uploads):
        return None
    images = worked_on(steps, uploads, versions)
    edits = [(step.action, image_names(step.action_input)[:1]) for step in steps if step.action not in DETECTORS]
    for tool in dict.fromkeys(tool for tool, named in edits if tool and named and named[0] in images):
        tried = {named[0] for done, named in edits if done == tool and named}
        for image in images:
            on_it = [step for step in steps if step.action and image_names(step.action_input)[:1] == (image,)]
            searched = any(step.ok and step.action in DETECTORS for step in on_it)
            if image not in tried and searched and unfound(request, on_it) is None:
                return tool, image
    return None


def not_done_on(steps: Sequence[Step], images: Sequence[str]) -> tuple[str, str] | None:
    """``(tool, image)``: the turn's first tool and the first of ``images`` it was not tried on this turn
    (``steps``), when it was tried on one of them; else ``None``."""
    calls = [(step.action, image_names(step.action_input)) for step in steps if step.action]
    first = next(((tool, named[0]) for tool, named in calls if named), None)
    if first is None or first[1] not in images:
        return None
    tried = {named[0] for tool, named in calls if tool == first[0] and named}
    missing = [image for image in images if image not in tried]
    return (first[0], missing[0]) if missing else None


NOT_ON_ONE = "{tool} did not run on {image}: the detector found {found} there, not what was asked."


def edit_not_on_each(
    request: str,
    steps: Sequence[Step],
    uploads: Sequence[str],
    unfound: Callable[[str, Sequence[Step]], str | None],
    versions: Sequence[str] = (),
) -> list[str]:
    """:data:`NOT_ON_ONE` for each image a request for every upload means (:func:`worked_on`) where a detector ran and
    the box edit it asks for did not, as ``unfound`` tells of the steps on that image (``pending_edit.box_edit_unfound``):
    asked to "blur the face in both" of a photo and a cat, the answer told the detections and the one blur."""
    if not asks_for_every(request, uploads):
        return []
    notes = []
    for image in worked_on(steps, uploads, versions):
        on_it = [step for step in steps if step.action and image_names(step.action_input)[:1] == (image,)]
        tool = unfound(request, on_it)
        found = "; ".join(" ".join(step.observation.split()) for step in on_it if step.ok and step.action in DETECTORS)
        if tool:
            notes.append(NOT_ON_ONE.format(tool=tool, image=image, found=found.rstrip(".") or "nothing"))
    return notes


def earlier_uploads(
    request: str, steps: Sequence[Step], uploads: Sequence[str], answer: str = "", versions: Sequence[str] = ()
) -> str:
    """What to add to the ``answer`` of a request for every upload about the uploads its tool ran on before the turn's
    last call (the last call is the loop's to tell): where it failed ("Remove the background failed on
    image/....png: no person found ..."), and what it answered in words that the answer does not hold (asked "what do
    these two signs say?", the model quoted the second reading alone); ``""`` when nothing is to add."""
    if not asks_for_every(request, uploads):
        return ""
    uploads = worked_on(steps, uploads, versions)
    notes = []
    for step in [step for step in steps if step.action][:-1]:
        images = image_names(step.action_input)
        said = " ".join(step.observation.split()).rstrip(".")
        if not images or images[0] not in uploads:
            continue
        if not step.ok:
            notes.append(FAILED_ON.format(tool=step.action, image=images[0], said=said))
        elif said and not image_names(said) and said not in answer:
            notes.append(told_on(step.action, images[0], said))
    return " ".join(notes)


# "which of these signs says stop?", "which one reads 'OPEN'?", "which one is about bread?": the words asked for
_WHICH_SAYS = re.compile(
    r"\bwhich\s+(?:one|photo|image|picture|pic|sign|label|page|of\s+(?:them|these|those|the\s+\w+)(?:\s+\w+)?)\s+"
    r"(?:says|reads|is\s+about|mentions|is\s+for)\s+[\"“']?(.+?)[\"”']?\s*[?.!]*$",
    re.IGNORECASE,
)
SAYS = '{image} says "{words}".'
NONE_SAYS = 'None of them says "{wanted}".'
# "which sign has a phone number?", "which one gives the hours?": a part of the writing asked for
_WHICH_HAS = re.compile(
    r"\bwhich\s+(?:one|sign|label|page|poster|of\s+\S+(?:\s+\w+)?)\s+(?:has|have|shows?|gives?|lists?)\b", re.I
)
HAS_PART = "{image} has the {part}: {found}."
NONE_HAS = "None of them has a {part}."


def every_finding(
    request: str, steps: Sequence[Step], uploads: Sequence[str], versions: Sequence[str] = ()
) -> str | None:
    """The answer to ``request`` of every upload when the turn's first tool is a detector or the reading tool and it
    answered on each of ``uploads`` (or their newest ``versions``, :func:`worked_on`): what it found on each, in the uploads' order, the uploads whose words hold what
    a "which one says ..." question asks for first (or that none does); else ``None``."""
    if not asks_for_every(request, uploads):
        return None
    calls = [step for step in steps if step.action]
    if not calls or calls[0].action not in {*DETECTORS, *READING_TOOLS}:
        return None
    tool = calls[0].action
    uploads = worked_on(steps, uploads, versions)
    found: dict[str, str] = {}
    for step in calls:
        images = image_names(step.action_input)
        if step.action == tool and images and images[0] in uploads:
            found[images[0]] = " ".join(step.observation.split()).rstrip(".") if step.ok else ""
    if not uploads or set(found) != set(uploads) or not all(found.values()):
        return None
    lines, saying = _which_says(request, found) if tool in READING_TOOLS else ([], [])
    lines += [told_on(tool, image, found[image]) for image in uploads if image not in saying]
    return " ".join(lines)


def _which_says(request: str, found: Mapping[str, str]) -> tuple[list[str], list[str]]:
    """What "which one says ...", "which sign has a phone number?" ``request`` asks of the words ``found`` on each
    upload: the lines that answer it and the uploads they name (none of either when it asks neither)."""
    asked = _WHICH_SAYS.search(request)
    wanted = normal_words(asked.group(1)) if asked else ""
    saying = [image for image in found if wanted and wanted in normal_words(found[image])]
    lines = [SAYS.format(image=image, words=found[image]) for image in saying]
    if wanted and not saying:
        lines.append(NONE_SAYS.format(wanted=asked.group(1)))
    part = asked_part(request) if _WHICH_HAS.search(request) else None
    if part and not part.startswith('"'):  # "which sign has a phone number?": the signs whose words hold one
        having = {image: held for image in found if (held := part_text(request, found[image]))}
        saying = list(having)
        lines = [HAS_PART.format(image=image, part=part, found=held) for image, held in having.items()]
        lines += [] if having else [NONE_HAS.format(part=part)]
    return lines, saying


def asks_which_says(request: str) -> bool:
    """Whether ``request`` asks which upload's words say something or hold a part of the writing."""
    return bool(_WHICH_SAYS.search(request) or _WHICH_HAS.search(request))


def which_was_read(request: str, found: Mapping[str, str | None]) -> str | None:
    """The answer to "which one is for rent?" after each of two uploads or more was read (``found``: each upload's
    words, ``None`` where it was never read) from those words, and the words of the others; ``None`` when it asks no
    such thing or an upload was not read (the model had answered "image/... is the rentier")."""
    if len(found) < 2 or not all(found.values()):
        return None
    read = {image: words for image, words in found.items() if words}
    lines, saying = _which_says(request, read)
    if not lines:
        return None
    return " ".join([*lines, *(told_on(READER, image, read[image]) for image in read if image not in saying)])
