"""A request to hide what is personal in a photo: "can you hide anything personal?", "anonymize this", "make it
safe to post online".

Asked "i want to post this online, can you hide anything personal?" of a photo of a person beside a sign with a phone
number, the model removed the background: the face and the number were still there. What can tell who someone is
that the tools here find is a face (the detector) and a phone number in the writing (the reading tool). Such a
request runs as the blurs of those, one after the other (as agent/person_and_writing.py runs "blur her face and the
phone number"), and is answered with what was blurred, what was not found, and what the tools cannot find
(:func:`privacy_answer`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Protocol

from agent.pending_edit import BLURRER, FINDER, PERSON_LABELS, labelled_boxes
from agent.read_text import READER
from agent.request_parts import TOOL_VERBS

# The faces of the image worked on, called by its file's name (another upload the detector found a face on is not
# meant); the phone number then on the face's blur, the image the first part made
PRIVATE_PARTS = ("blur the faces in {image}", "blur the phone number")

_PRIVATE = re.compile(
    r"\b(?:hide|blur|remove|cover(?:\s+up)?|censor|obscure|mask|get\s+rid\s+of|take\s+out)\s+"
    r"(?:(?:any(?:thing)?|everything|all(?:\s+the)?|the|my|any\s+of\s+the)\s+)?"
    r"(?:personal|private|identifying|sensitive|identifiable)"
    r"(?:\s+(?:info(?:rmation)?|details?|data|stuff|things|bits|parts))?"
    r"|\banonymi[sz]e\s+(?:it|this|that|me|us|them|(?:the|this|my)\s+(?:photo|image|picture|pic))"
    r"|\bmake\s+(?:it|this|the\s+\w+)\s+(?:safe|ok(?:ay)?)\s+to\s+(?:post|share|upload|put\s+online)"
    r"|\bprotect\s+(?:my|our|their|his|her)\s+privacy"
    # "I don't want people to recognize her" (the model removed the background)
    r"|\b(?:don'?t|do\s+not|wouldn'?t|would\s+not)\s+want\s+(?:people|anyone|anybody|others|strangers|them)\s+to\s+"
    r"(?:recogni[sz]e|identify)\b"
    r"|\bso\s+(?:that\s+)?(?:no\s*one|nobody|people|strangers)\s+(?:can(?:'?t|not)?\s+|won'?t\s+)?(?:recogni[sz]e|identify)\b"
    r"|\b(?:make\s+(?:her|him|me|us|them|it|people|everyone)\s+)?(?:unrecogni[sz]able|not\s+recogni[sz]able)\b",
    re.IGNORECASE,
)
_OTHER_WORK = re.compile(rf"\b(?:{TOOL_VERBS})\b", re.IGNORECASE)


def hides_what_is_personal(request: str) -> bool:
    """Whether ``request`` asks to hide what is personal and nothing else a tool does."""
    asked = _PRIVATE.search(request)
    return asked is not None and not _OTHER_WORK.search(request[: asked.start()] + " " + request[asked.end() :])


def private_parts(image: str) -> list[str]:
    """The blurs that hide what is personal in ``image`` (:data:`PRIVATE_PARTS`)."""
    return [part.format(image=image) for part in PRIVATE_PARTS]


class Step(Protocol):
    """What the answer reads of a step taken (agent.loop.TraceStep)."""

    action: str
    observation: str
    ok: bool
    files: tuple[str, ...]


NOT_FOUND_BY_TOOLS = (
    "The tools here find faces and phone numbers only; anything else personal (a name, an address, a car's plate) "
    'needs its own blur by its box, for example "blur 0, 0, 100, 50".'
)


def privacy_answer(steps: Sequence[Step]) -> str:
    """What the blurs of :data:`PRIVATE_PARTS` (their ``steps``) did: what was blurred in which image, a face or a
    phone number not found, and what no tool here finds."""
    reading = next((index for index, step in enumerate(steps) if step.action == READER), len(steps))
    blurs = [(index, step) for index, step in enumerate(steps) if step.action == BLURRER and step.ok and step.files]
    found = [
        label
        for step in steps[:reading]
        if step.action == FINDER and step.ok
        for label, _ in labelled_boxes(step.observation)
    ]
    faces = sum(index < reading for index, _ in blurs)
    numbers = len(blurs) - faces
    blurred = ["the face" if faces == 1 else f"{faces} faces"] if faces else []
    if faces and numbers:  # each image by its name: the faces' blur, then the one with the number blurred too
        blurred = [f"{blurred[0]} ({blurs[faces - 1][1].files[-1]}), then the phone number"]
    elif numbers:
        blurred = ["the phone number"]
    said = [f"I blurred {blurred[0]}: {blurs[-1][1].files[-1]}." if blurred else "Nothing was blurred."]
    if not faces:
        others = ", ".join(label for label in found if label not in PERSON_LABELS)
        said.append(f"No face was found (the detector found: {others})." if others else "No face was found.")
    if not numbers:
        words = steps[reading].observation if reading < len(steps) and steps[reading].ok else ""
        readable = words and not words.lower().startswith("no text")
        said.append(f'The writing ("{words}") holds no phone number.' if readable else "No writing was found.")
    return " ".join([*said, NOT_FOUND_BY_TOOLS])
