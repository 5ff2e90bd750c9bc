"""The same edit of every upload: "remove the background from both", "show me the edges of each of them".

A small model trained on one image a call runs the tool on one upload and answers: asked to "remove the background
from both" after two uploads, it cut out one photo (which failed: no person in it) and never tried the other. When
a request asks for every upload, the session holds two or more and the turn's first tool ran on one of them, an
answer before that tool was tried on each is set aside and the agent opens the next call with the next upload; the
model writes the rest of the call. The answer then says which uploads the tool failed on, if any.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from agent.pending_edit import Step
from generation.tool_calls import image_names

# Words by which a request means every upload ("both", "each of them", "all the photos")
_EVERY = re.compile(
    r"\b(?:both(?:\s+of\s+them)?|each\s+(?:of\s+them|one|photo|image|picture|pic)"
    r"|all\s+(?:of\s+them|three|four|(?:the|my)\s+(?:photos|images|pictures|pics)))\b",
    re.IGNORECASE,
)


def _asks_for_every(request: str, uploads: Sequence[str]) -> bool:
    return len(uploads) > 1 and bool(_EVERY.search(request))


def upload_not_done(request: str, steps: Sequence[Step], uploads: Sequence[str]) -> tuple[str, str] | None:
    """``(tool, upload)``: the turn's first tool and the first of ``uploads`` it was not tried on this turn (``steps``),
    when ``request`` asks for every upload, there are two or more and that tool was tried on one of them; else
    ``None``."""
    if not _asks_for_every(request, uploads):
        return None
    calls = [(step.action, image_names(step.action_input)) for step in steps if step.action]
    first = next(((tool, images[0]) for tool, images in calls if images), None)
    if first is None or first[1] not in uploads:
        return None
    tried = {images[0] for tool, images in calls if tool == first[0] and images}
    missing = [upload for upload in uploads if upload not in tried]
    return (first[0], missing[0]) if missing else None


def failed_uploads(request: str, steps: Sequence[Step], uploads: Sequence[str]) -> str:
    """What to add to the answer of a request for every upload about the uploads its tool failed on before the turn's
    last call ("Remove the background failed on image/....png: no person found ..."; the last call's failure is the
    loop's to tell), or ``""``."""
    if not _asks_for_every(request, uploads):
        return ""
    calls = [step for step in steps if step.action]
    failed = []
    for step in calls[:-1]:
        images = image_names(step.action_input)
        if not step.ok and images and images[0] in uploads:
            failed.append(f"{step.action} failed on {images[0]}: {step.observation.strip().rstrip('.')}.")
    return " ".join(failed)
