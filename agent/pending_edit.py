"""An edit the request asks for on a detected region ("blur the face"), still undone when the model answers.

"Blur the face" takes two calls: a detector finds the face, then Blur Region blurs its box. A small model often
stops after the first and answers with the box ("The image shows: face [176, 65, 273, 162]."), so nothing is
blurred. When the request asks for a box tool, a detector found boxes this turn and that tool has not run, the
agent does not take the answer: it writes the next step's opening with the asked tool and lets the model give the
arguments (the box it copies from the detector's answer).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Protocol

from agent.picture_questions import DETECTORS

# Box tools by the requests that ask for them.
_ASKS = {
    "Blur Region": re.compile(
        r"\b(?:blur|pixelate|pixelise|pixelize|anonymi[sz]e|obscure)\b|\bhide\b.*\bfaces?\b", re.IGNORECASE
    ),
    "Crop Image": re.compile(r"\bcrop\b", re.IGNORECASE),
}
_BOX = re.compile(r"\[\d+, \d+, \d+, \d+\]")


class Step(Protocol):
    """What this rule reads of a step taken this turn (agent.loop.TraceStep)."""

    action: str
    ok: bool
    observation: str


def pending_box_edit(request: str, steps: Sequence[Step], available: Sequence[str]) -> str | None:
    """The box tool ``request`` asks for when a detector found boxes in ``steps`` and no call of that tool was made
    (``available``: the loaded tools), else ``None``."""
    if not any(step.ok and step.action in DETECTORS and _BOX.search(step.observation) for step in steps):
        return None
    called = {step.action for step in steps}
    for tool, asks in _ASKS.items():
        if tool in available and tool not in called and asks.search(request):
            return tool
    return None
