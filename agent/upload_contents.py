"""Uploads called by what they show: "detect the edges of the cat photo" after a cat and an astronaut were uploaded.

Without a captioner the agent knows an upload by its size and its file's name (agent/upload_names.py); "the cat
photo" names neither when the files are called ``chelsea.png`` or ``IMG_2041.jpg``, and the model, like the agent,
took the newest upload: the edges of the astronaut were drawn. When a request with several uploads in the session
names something the detector finds (a cat, a face, a person by any word or pronoun for one) and no file's name or
place names an upload, the detector looks at each upload once (what it found is kept for the session:
:func:`labels_found`), and the one upload where it found that thing is the one meant (:func:`upload_showing`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Set

from agent.pending_edit import CAT_LABELS, CAT_WORDS, PERSON_LABELS, PERSON_WORDS, labelled_boxes

# A person is also said by a pronoun, or as a selfie or portrait, when telling uploads apart ("show me her pose")
_PERSON = re.compile(rf"\b(?:{PERSON_WORDS}|selfies?|portraits?|she|her|hers|he|him|his)\b", re.IGNORECASE)
_CAT = re.compile(rf"\b(?:{CAT_WORDS})\b", re.IGNORECASE)


def labels_named(request: str) -> frozenset[str]:
    """The detector labels that would show what ``request`` names: ``{"cat"}`` for "the cat photo", the person
    labels for "her pose" or "the astronaut"; empty when it names nothing the detector finds, or both a cat and a
    person (no one upload is then meant by them)."""
    person, cat = bool(_PERSON.search(request)), bool(_CAT.search(request))
    if person == cat:
        return frozenset()
    return frozenset(PERSON_LABELS if person else CAT_LABELS)


def labels_found(observation: str) -> frozenset[str]:
    """The labels of the boxes a detector's ``observation`` lists (none for "No object found." or a failure)."""
    return frozenset(label for label, _ in labelled_boxes(observation))


def upload_showing(labels: Set[str], found: Mapping[str, Set[str]]) -> str | None:
    """The one upload (of ``found``: upload -> the labels the detector found on it) where the detector found one of
    ``labels``; ``None`` when none or several did."""
    showing = [upload for upload, seen in found.items() if seen & labels]
    return showing[0] if len(showing) == 1 else None
