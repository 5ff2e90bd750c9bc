"""Edits a request asks not to do: "don't blur anything, just show me the edges".

The agent's rules read a tool's words where they stand: "dont blur anything, just show me the edges" was answered
that Blur Region needs a box. A clause that only says not to blur, crop or cut ("don't blur anything", "do not
crop it") asks for nothing, and is left out of what the rules and the model read. Other negations carry what is
wanted ("rotate it without changing the size": agent/kept_size.py) and stay.
"""

from __future__ import annotations

import re

# "don't blur anything,", "do not crop it.", "no need to blur" (after agent/typed_words.py wrote out "dont")
_NOT_THIS_EDIT = re.compile(
    r"\b(?:don't|do\s+not|no\s+need\s+to|never)\s+(?:blur|crop|cut|pixelate)\b[^,.;!?]*[,.;!?]*\s*", re.IGNORECASE
)


def without_negated_edits(request: str) -> str:
    """``request`` less its clauses that only say not to blur, crop or cut; ``request`` itself when nothing else is
    left ("don't crop it" alone is the model's to answer)."""
    kept = _JOIN_LEFT.sub("", _NOT_THIS_EDIT.sub("", request).strip())
    return kept if kept else request


_JOIN_LEFT = re.compile(r"[\s,]*\b(?:but|and|then)\s*$", re.IGNORECASE)  # "rotate it but" once the rest is gone
