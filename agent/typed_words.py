"""Contractions typed without their apostrophe ("whats on sale", "i cant read it"), written out as the agent's rules
and the model expect them.

People type fast: "whats on sale?" of a sale sign missed the rule that reads a sign for "what's on sale?" and the
model answered "I could not answer that". Only words that are not English words of their own without the apostrophe
are restored ("its", "lets", "were", "ill", "well", "wed", "hell", "shell" are left as typed).
"""

from __future__ import annotations

import re

_RESTORED = {
    "whats": "what's",
    "thats": "that's",
    "wheres": "where's",
    "whos": "who's",
    "hows": "how's",
    "theres": "there's",
    "heres": "here's",
    "shes": "she's",
    "dont": "don't",
    "doesnt": "doesn't",
    "didnt": "didn't",
    "cant": "can't",
    "couldnt": "couldn't",
    "wont": "won't",
    "wouldnt": "wouldn't",
    "shouldnt": "shouldn't",
    "isnt": "isn't",
    "arent": "aren't",
    "wasnt": "wasn't",
    "werent": "weren't",
    "havent": "haven't",
    "hasnt": "hasn't",
    "im": "I'm",
    "ive": "I've",
    "youre": "you're",
    "theyre": "they're",
}
_TYPED = re.compile(r"\b(" + "|".join(_RESTORED) + r")\b", re.IGNORECASE)


def _restored(match: re.Match[str]) -> str:
    word = match.group(1)
    spelled = _RESTORED[word.lower()]
    return spelled[0].upper() + spelled[1:] if word[0].isupper() else spelled


def as_spelled(request: str) -> str:
    """``request`` with each contraction typed without its apostrophe written with it ("whats" -> "what's")."""
    return _TYPED.sub(_restored, request)
