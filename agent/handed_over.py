"""A request that waited for an image, taken up when the image comes: "can you rotate my photo?" (answered "That
needs an image ... Upload one"), an upload, then "here it is".

Asked so, the embedded model read "here it is" as a request of its own and ran Detection on the photo: the rotation
asked for was lost. A message that only hands the image over ("here it is", "here you go", "done", "uploaded",
"here's the photo") right after an answer that asked for an image (the agent's, or the model's own "Please upload the image first") stands for the request that waited.
"""

from __future__ import annotations

import re

_HANDED_OVER = re.compile(
    r"^\W*(?:(?:ok(?:ay)?|so|there|alright|sure)[,!.]?\s+)*"
    r"(?:here(?:'s|\s+is)?(?:\s+(?:it|you\s+go|it\s+is|they\s+are|the\s+(?:photo|image|picture|pic|file)|mine))?"
    r"|there\s+you\s+go|done|uploaded|sent|i(?:'ve|\s+have)?\s+(?:just\s+)?(?:uploaded|sent|added|attached)\s+"
    r"(?:it|one|the\s+(?:photo|image|picture|pic|file))"
    r"|(?:(?:use|try|take)\s+)?(?:this|that)\s+(?:one|photo|image|picture|pic))"
    r"(?:[\s,.!]+(?:please|thanks?(?:\s+you)?))*[\s.!:)]*$",
    re.IGNORECASE,
)


def hands_over(message: str) -> bool:
    """Whether ``message`` only hands an image over ("here it is", "done", "I uploaded it")."""
    return bool(_HANDED_OVER.match(message))


def request_taken_up(message: str, waiting: str, has_image: bool) -> str:
    """The request to answer for ``message``: ``waiting`` (the request that was answered with a request for an
    image) when ``message`` only hands an image over and the conversation now has one; else ``message``."""
    return waiting if waiting and has_image and hands_over(message) else message
