"""Two images a request names for one tool: "show me the edges of the original and of the crop".

Asked so after a crop, the model drew the crop's edges alone and answered done. The two images are read from the
words that name them by their place in the conversation ("the original", "the crop", "the first photo": see
:func:`agent.image_reference.meant_image`), and the tool the turn ran on one of them runs on the other too
(:func:`agent.every_upload.not_done_on`).
"""

from __future__ import annotations

import re
from collections.abc import Callable

# "of the original and of the crop", "both the original and the crop by 90", "resize the original and the crop to
# 100x100"
_REFERENCE = r"(?:the|my)\s+(?:\w+\s+)?\w+"
_PAIR = re.compile(
    rf"(?:\b(?:of|on|for|to|from|in)\s+(?:both\s+)?|\bboth\s+|^\W*\w+\s+)(?P<first>{_REFERENCE})\s+and\s+"
    rf"(?:(?:of|on|for|to|from|in)\s+)?(?P<second>{_REFERENCE})"
    r"(?=\s*(?:[.?!,]|$|\s+(?:too|as\s+well|please|by|to|at|with)\b))",
    re.IGNORECASE,
)


def names_a_pair(request: str) -> bool:
    """Whether ``request`` names two images for one tool in words ("of the original and of the crop")."""
    return _PAIR.search(request) is not None


def images_named(request: str, resolve: Callable[[str], str | None]) -> list[str]:
    """The two images ``request`` names for one tool, each by words ``resolve`` turns into an image, oldest word
    first; none when it names no such pair, a word names no image, or both name the same one."""
    pair = _PAIR.search(request)
    if pair is None:
        return []
    images = [resolve(pair.group("first")), resolve(pair.group("second"))]
    if None in images or images[0] == images[1]:
        return []
    return [image for image in images if image is not None]
