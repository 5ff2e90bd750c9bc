"""Chat shorthand and slips of the keyboard in the words the tools answer to ("plz rotat it", "mak it smallr").

Typed fast, "mak it smallr" was resized to 90000 x 2, "blurr her face pls" found the face and blurred nothing,
"can u detect the edegs" ran Detection: the agent's rules read words, and the small model reads a misspelt tool word
as another. Before anything reads a message, common shorthand is written out (:data:`SHORTHAND`: "u", "plz",
"thx", "wat") and a word one slip away from a word the tools answer to (:data:`TOOL_WORDS`; a letter missing, added,
changed or two swapped: "rotat", "smallr", "edegs", "bakground") becomes that word. Only words of five letters or
more are matched (and four-letter ones with two letters swapped: "fcae"), each to a word of its own first letter, and never a word of the list itself (its other forms are
listed: "rotated", "crops", "thank") nor an English word that is one slip from one (:data:`REAL_NEIGHBOURS`:
"think", "photo", "cross"), so "bread" stays bread and "pole" stays pole.
"""

from __future__ import annotations

import re

SHORTHAND = {
    "u": "you",
    "ur": "your",
    "plz": "please",
    "pls": "please",
    "plss": "please",
    "thx": "thanks",
    "thnx": "thanks",
    "tnx": "thanks",
    "ty": "thank you",
    "wat": "what",
    "wut": "what",
    "wats": "what's",  # "wats on the sign" (the model said it cannot see images)
    "wuts": "what's",
    "mak": "make",
    "blurr": "blur",
    "cropp": "crop",
    "rotat": "rotate",
    "bg": "background",
    "abt": "about",
}
# The words the tools and the agent's rules answer to, with their other forms (never changed themselves)
TOOL_WORDS = frozenset(
    [
        "rotate",
        "rotated",
        "rotates",
        "rotating",
        "rotation",
        "resize",
        "resized",
        "resizes",
        "resizing",
        "smaller",
        "smallest",
        "bigger",
        "biggest",
        "larger",
        "largest",
        "edges",
        "sketch",
        "sketches",
        "sketchy",
        "background",
        "backgrounds",
        "remove",
        "removed",
        "removes",
        "removing",
        "detect",
        "detected",
        "detects",
        "detection",
        "detections",
        "pixelate",
        "pixelated",
        "anonymize",
        "anonymise",
        "anonymized",
        "anonymised",
        "blurry",
        "blurred",
        "blurring",
        "thanks",
        "thank",
        "please",
        "pleased",
        "picture",
        "pictures",
        "pictured",
        "photos",
        "photograph",
        "straighten",
        "straight",
        "clockwise",
        "counterclockwise",
        "anticlockwise",
        "degrees",
        "square",
        "height",
        "width",
        "twice",
        "double",
        "lines",
        "outlines",
        "boundary",
        "boundaries",
        "segment",
        "segments",
        "skeleton",
        "depth",
        "normal",
        "describe",
        "caption",
        "cropped",
        "cropping",
        "crops",
        "upside",
        "bottom",
        "corner",
        "middle",
        "center",
        "centre",
    ]
)
# English words one slip away from a tool word, kept as typed: those of SmolLM2's vocabulary (its whole-word tokens
# of five letters or more) that are ("think" is not "thank", "photo" not "photos", "cross" not "crops")
REAL_NEIGHBOURS = frozenset(
    [
        "bottoms",
        "captions",
        "caution",
        "centers",
        "centred",
        "centres",
        "chopped",
        "chopping",
        "cornea",
        "corners",
        "corps",
        "cross",
        "crows",
        "death",
        "decrees",
        "defect",
        "defects",
        "degree",
        "delect",
        "depths",
        "described",
        "describes",
        "detention",
        "doubled",
        "doubles",
        "heights",
        "lanes",
        "large",
        "lifes",
        "likes",
        "lined",
        "linen",
        "liner",
        "links",
        "lives",
        "norman",
        "outline",
        "outlined",
        "photo",
        "photographs",
        "photography",
        "photon",
        "photons",
        "pleas",
        "remote",
        "reside",
        "resided",
        "resides",
        "residing",
        "rotations",
        "rotting",
        "skeletons",
        "squared",
        "squares",
        "tanks",
        "think",
        "thinks",
        "widths",
        "describer",
        "normals",
        "sketched",
        "straightens",
    ]
)
_LEAST_LENGTH = 5  # shorter words are too near other words ("pole" and "pose", "bread" and "read")
# Four-letter words the tools answer to, restored only from two neighbouring letters swapped ("fcae", "bulr",
# "txet"): one letter changed is most often another word ("pole", "lace"), a swap of these is not, but for "sing"
SWAPPED_SHORT_WORDS = frozenset(["face", "blur", "crop", "text", "sign", "edge", "pose", "half", "left"])
_SHORT_NEIGHBOURS = frozenset(["sing"])
# a word, not part of a file name or path ("image/pic.png", "u.png")
_WORD = re.compile(r"(?<![\w/.-])[A-Za-z]+(?![\w/-]|\.\w)")
_REPEATED = re.compile(r"(.)\1{2,}")  # "croppp", "blurrrr"


def _one_slip(typed: str, word: str) -> bool:
    """Whether ``typed`` is ``word`` with one letter missing, added or changed, or two neighbours swapped."""
    if abs(len(typed) - len(word)) > 1 or typed == word:
        return False
    if len(typed) == len(word):
        diffs = [i for i, (a, b) in enumerate(zip(typed, word, strict=True)) if a != b]
        swapped = len(diffs) == 2 and diffs[1] == diffs[0] + 1 and typed[diffs[0]] == word[diffs[1]]
        return len(diffs) == 1 or (swapped and typed[diffs[1]] == word[diffs[0]])
    shorter, longer = sorted((typed, word), key=len)
    return any(longer[:i] + longer[i + 1 :] == shorter for i in range(len(longer)))


def _corrected(match: re.Match[str]) -> str:
    typed = match.group(0)
    lower = _REPEATED.sub(r"\1\1", typed.lower())
    if lower in SHORTHAND:
        return _cased(SHORTHAND[lower], typed)
    if len(lower) == _LEAST_LENGTH - 1 and lower not in _SHORT_NEIGHBOURS:
        near = [word for word in SWAPPED_SHORT_WORDS if word[0] == lower[0] and _one_slip(lower, word)]
        swapped = [word for word in near if sorted(word) == sorted(lower)]
        return _cased(swapped[0], typed) if len(swapped) == 1 else typed
    if len(lower) < _LEAST_LENGTH or lower in TOOL_WORDS or lower in REAL_NEIGHBOURS:
        return typed
    near = sorted(word for word in TOOL_WORDS if word[0] == lower[0] and _one_slip(lower, word))
    return _cased(near[0], typed) if len(near) == 1 else typed


def _cased(word: str, typed: str) -> str:
    """``word`` written in the case ``typed`` was: "Detet" -> "Detect", "EDEGS" -> "EDGES"."""
    if len(typed) > 1 and typed.isupper():
        return word.upper()
    return word[0].upper() + word[1:] if typed[0].isupper() else word


def without_typos(request: str) -> str:
    """``request`` with chat shorthand written out and each word one slip away from a tool word made that word."""
    return _WORD.sub(_corrected, request)
