"""What a request says about images, read before any model call: whether it speaks of an image the person already
has ("rotate it", "what is in this photo?"), and which paths outside the conversation it names ("/etc/passwd").

Read from the request itself, before any model call, so that a session with no image answers "upload one"
whatever the model would have written: a small model asked to "rotate it 90 degrees" with nothing uploaded
tends to answer as if it had (a made-up file name, "the rotated image is ready").

The rule is deliberately narrow (a false "upload an image" blocks a request that needed none):
* a definite reference to a picture: "this / that / the / my / your (uploaded) image, photo, picture, pic"
  (not "an image of a cat");
* or an image-editing verb whose object is "it / this / that / them": "rotate it", "crop this", "blur that";
* or reading a definite piece of writing: "read the sign", "what does this label say?" (the sign can only be in a
  picture; "write a sign for my shop" asks for none);
* and no request to make a picture ("draw a cat, then rotate it" refers to the picture it asks for).
"""

from __future__ import annotations

import re

PICTURE_NOUNS = ("image", "images", "photo", "photos", "picture", "pictures", "pic", "pics")
EDITING_VERBS = (
    "rotate",
    "crop",
    "blur",
    "resize",
    "flip",
    "mirror",
    "sharpen",
    "recolor",
    "recolour",
    "colorize",
    "colourize",
    "segment",
    "restyle",
    "stylize",
    "upscale",
    "downscale",
    "shrink",
    "enlarge",
    "zoom",
    "brighten",
    "darken",
    "invert",
)
WRITTEN_THINGS = ("sign", "signs", "label", "menu", "poster", "plate", "banner", "board", "text", "writing", "words")
MAKING_VERBS = ("generate", "draw", "create", "paint", "render", "produce", "imagine", "design", "sketch")

_DEFINITE_PICTURE = re.compile(
    r"\b(?:this|that|these|those|the|my|your|our)\s+(?:\w+\s+)?(?:" + "|".join(PICTURE_NOUNS) + r")\b",
    re.IGNORECASE,
)
_EDIT_PRONOUN = re.compile(
    r"\b(?:" + "|".join(EDITING_VERBS) + r")\s+(?:it|this|that|them)\b",
    re.IGNORECASE,
)
_WRITTEN_THING = r"(?:this|that|the|my)\s+(?:\w+\s+)?(?:" + "|".join(WRITTEN_THINGS) + r")"
_READING = re.compile(
    rf"\b(?:read|transcribe)\s+(?:out\s+)?(?:me\s+)?{_WRITTEN_THING}\b|\bwhat\s+does\s+{_WRITTEN_THING}\s+say\b",
    re.IGNORECASE,
)
_MAKING = re.compile(r"\b(?:" + "|".join(MAKING_VERBS) + r")\b|\bmake\s+(?:me\s+)?(?:an?|some)\b", re.IGNORECASE)


def refers_to_an_image(request: str) -> bool:
    """Whether ``request`` speaks of an image it expects to exist (see the module docstring)."""
    if _MAKING.search(request):
        return False
    return any(pattern.search(request) for pattern in (_DEFINITE_PICTURE, _EDIT_PRONOUN, _READING))


# A path on the person's computer: absolute (POSIX, home, Windows drive) or climbing out with "..".
_OUTSIDE_PATH = re.compile(r"(?<![\w./:])(?:~?/[\w.-]+(?:/[\w.-]*)*|[A-Za-z]:\\[^\s,;]*|(?:[\w.-]+/)*\.\./[^\s,;]*)")


def outside_paths(request: str) -> list[str]:
    """The paths ``request`` names that lie outside any conversation's folder (``/etc/passwd``, ``~/cat.png``,
    ``C:\\photo.jpg``, ``../x.png``): the tools can only open files of the conversation, so the constrained model
    would otherwise quietly pick one of those instead."""
    return [match.rstrip(".?!") for match in _OUTSIDE_PATH.findall(request)]
