"""Showing an image the conversation already holds: "show me the original again", "let me see the result".

The model has no call that shows an image: asked "now show me the original again" after a blur, the embedded model
removed the original's background. Every image of the conversation is a file the agent knows, so it answers such a
request itself, without the model: the image is shown and becomes the one "it" means next ("show me the original
again", then "resize it to 200x200" resizes the original). "Show me the before and after" shows the upload and the
latest image made from it (the model had removed the background).

The rule is narrow: the whole request asks to see an image it points at by its place in the conversation ("the
original", "the first photo", "the result", "the cropped one", "the edge map") or by its file name; "show me the
edges" asks for a new map and is left to the model.
"""

from __future__ import annotations

import re

from agent.pending_edit import PEOPLE_WORDS
from agent.request_parts import OPENING

SHOWN = "Here it is again: {image}."

# Words before the request proper ("ok, show me the original", "now let me see the result")
_PICTURE = r"(?:image|photo|picture|pic|one|version)"
_SHOW = re.compile(
    OPENING
    + r"(?:(?:can|could|would)\s+you\s+)?(?:(?:show|display|give)(?:\s+me)?|(?:let\s+me|(?:can|could|may)\s+i)\s+see|bring\s+back)\s+"
    # "the original cat" (the model ran Detection): the upload showing it (agent/upload_contents.py)
    r"(?:the\s+original(?:\s+(?:" + PEOPLE_WORDS + r"|selfie|portrait))?(?:\s+" + _PICTURE + r")?"
    r"|the\s+(?:first|new|other)\s+" + _PICTURE + r"|the\s+(?:photo|image|picture)\s+I\s+(?:uploaded|sent)"
    # an upload by what it shows: "the cat one", "the one with the cat" (the model ran Detection)
    r"|the\s+(?:"
    + PEOPLE_WORDS
    + r")\s+"
    + _PICTURE
    + r"|the\s+(?:one|photo|image|picture|pic)\s+(?:with|of)\s+(?:the\s+|a\s+|an\s+)?(?:"
    + PEOPLE_WORDS
    + r"|her|him)"
    r"|the\s+(?:result|output)|the\s+(?:cropped|rotated|resized|blurred)\s+"
    + _PICTURE
    + r"|the\s+(?:edge|depth|normal)\s+map"
    r"|image/[\w.-]+\.(?:png|jpe?g|webp))"
    r"(?:\s+again)?(?:\s+please)?\s*[.!?]*\s*$",
    re.IGNORECASE,
)


# The latest image by "it": "what does it look like now?" after a blur (the model ran Detection and answered with
# the face's box), "let me see it", "can I see that?"
_SHOW_IT = re.compile(
    OPENING + r"(?:(?:what\s+does|how\s+does)\s+(?:it|that)\s+look(?:\s+like)?\s+now"
    r"|(?:let\s+me|can\s+i|could\s+i)\s+see\s+(?:it|that)|show\s+(?:it|that)\s+to\s+me|show\s+me\s+(?:it|that))"
    r"(?:\s+again)?(?:\s+please)?\s*[.!?]*\s*$",
    re.IGNORECASE,
)


def asks_to_see(request: str) -> bool:
    """Whether ``request`` only asks to see an image of the conversation again (see the module docstring)."""
    return bool(_SHOW.match(request) or _SHOW_IT.match(request))


# An image the tools made, by its place among them: "show me the first result", "go back to the second image you
# made" (the model ran Detection, and removed the background)
_MADE_PLACES = {"first": 0, "second": 1, "third": 2, "fourth": 3, "fifth": 4, "last": -1, "latest": -1}
_MADE_BY_PLACE = re.compile(
    OPENING + r"(?:(?:can|could|would)\s+you\s+)?(?:(?:show|display|give)(?:\s+me)?|(?:let\s+me|(?:can|could|may)\s+i)"
    r"\s+see|bring\s+back|go\s+back\s+to|take\s+me\s+back\s+to)\s+the\s+(?P<place>first|second|third|fourth|fifth"
    r"|last|latest)\s+(?:(?:image|picture|photo|result|one|version|edit|output)\s+(?:that\s+)?(?:you|we|the\s+tools?)"
    r"\s+(?:made|created|generated|produced)|result|output)(?:\s+again)?(?:\s+please)?\s*[.!?]*\s*$",
    re.IGNORECASE,
)


FEWER_MADE = "The tools have made {count} image{s} in this conversation, so there is none in that place."


def made_place(request: str) -> int | None:
    """The place (0 first, -1 last) among the images the tools made of the one ``request`` only asks to see again
    ("show me the first result"); ``None`` for any other request."""
    asked = _MADE_BY_PLACE.match(request)
    return _MADE_PLACES[asked.group("place").lower()] if asked else None


BEFORE_AND_AFTER = "Before: {before}. After: {after}."
# The whole request asks to see the upload beside the latest image: "show me the before and after", "before/after"
_BEFORE_AND_AFTER = re.compile(
    OPENING + r"(?:(?:can|could|would)\s+you\s+)?(?:(?:show|display|give)(?:\s+me)?\s+|let\s+me\s+see\s+)?"
    r"(?:(?:the\s+|a\s+)?before\s*(?:and|&|/|-)\s*after(?:\s+(?:images|pictures|photos|versions|comparison))?"
    # "show me the original and the latest" (the model removed the original's background)
    r"|(?:the\s+)?original(?:\s+(?:one|image|photo|picture))?\s+(?:and|&|next\s+to|beside)\s+(?:the\s+)?"
    r"(?:latest|newest|last|current|result|edited)(?:\s+(?:one|image|photo|picture|version))?"
    # "show me the result next to the original" (the model cropped the original to 300, 300, 10000, 10000)
    r"|(?:the\s+)?(?:latest|newest|last|current|result|edited)(?:\s+(?:one|image|photo|picture|version))?\s+"
    r"(?:and|&|next\s+to|beside)\s+(?:the\s+)?original(?:\s+(?:one|image|photo|picture))?)"
    r"(?:\s+please)?\s*[.!?]*\s*$",
    re.IGNORECASE,
)


def asks_for_before_and_after(request: str) -> bool:
    """Whether ``request`` only asks to see the original beside the latest image."""
    return bool(_BEFORE_AND_AFTER.match(request))


SHOWN_EACH = "Here they are: {images}."
# The whole request asks to see every image again: "show me both" (the model removed the background of both), "show
# me them all", "let me see all my photos", "show me all the images we made" (the model ran the sketch again)
_SHOW_EACH = re.compile(
    OPENING + r"(?:(?:can|could|would)\s+you\s+)?(?:(?:show|display|give)(?:\s+me)?|let\s+me\s+see)\s+"
    r"(?:both(?:\s+of\s+them)?|them(?:\s+(?:both|all))?|all\s+of\s+them|(?:both|all)\s+(?:the\s+|my\s+)?"
    r"(?:images|photos|pictures|pics|results)|the\s+(?:two|three)\s+(?:images|photos|pictures|pics)"
    r"|everything|(?P<crops>(?:both|the\s+two|the|all(?:\s+the)?)\s+(?:halves|crops|cropped\s+(?:ones|images)|quarters|parts)))"
    r"(?P<made>\s+(?:that\s+|which\s+)?(?:we|you)(?:'ve|\s+have)?\s+(?:made|created|done|generated)"
    r"(?:\s+(?:so\s+far|today|here))?)?"
    r"(?:\s+(?:again|now|together|side\s+by\s+side))?(?:\s+please)?\s*[.!?]*\s*$",
    re.IGNORECASE,
)


def asks_to_see_each(request: str) -> bool:
    """Whether ``request`` only asks to see every image (each upload as it is now) again."""
    return bool(_SHOW_EACH.match(request))


def asks_for_the_crops(request: str) -> bool:
    """Whether ``request`` asks to see the crops made ("show me both halves": a crop had been made again)."""
    each = _SHOW_EACH.match(request)
    return bool(each and each.group("crops"))


def asks_for_what_was_made(request: str) -> bool:
    """Whether ``request`` asks to see every image the tools made ("show me all the images we made")."""
    each = _SHOW_EACH.match(request)
    return bool(each and each.group("made"))


def asks_to_see_again(request: str) -> bool:
    """Whether ``request`` only asks to see images of the conversation again, in any of the ways above (plan mode
    leaves these to the chat's answers: "show me both" had been planned as the edges of both)."""
    return (
        asks_to_see(request)
        or asks_to_see_each(request)
        or asks_for_before_and_after(request)
        or made_place(request) is not None
    )
