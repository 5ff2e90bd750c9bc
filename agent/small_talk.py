"""A goodbye: "bye", "thanks, bye!", "that's all for now".

Asked "bye" in a session with two photos, the embedded model answered "I don't have an image to work on yet. Please
upload one first."; asked "thanks bye", "Glad you're doing well.". A message that only says goodbye (with thanks or
not) is answered by the agent, without the model.
"""

from __future__ import annotations

import re

FAREWELL = "Goodbye! Come back any time you have a picture to work on."
THANKED_FAREWELL = "You're welcome, goodbye! Come back any time you have a picture to work on."

_THANKS = (
    r"(?:(?:and\s+)?(?:thanks?(?:\s+(?:you|a\s+lot|so\s+much|again))*|thx|ty|cheers|great|perfect|cool"
    r"|ok(?:ay)?|awesome)(?:\s+for\s+(?:the|your|all\s+the)\s+help)?)"
)
_GOODBYE = (
    r"(?:(?:good)?\s*bye(?:\s*bye)?|see\s+(?:you|ya)(?:\s+(?:later|soon|around))?|later|ciao"
    r"|that(?:'s|\s+is)\s+all(?:\s+for\s+(?:now|today))?|i(?:'m|\s+am)\s+done(?:\s+for\s+(?:now|today))?"
    r"|have\s+a\s+(?:good|nice|great)\s+(?:day|one|night|evening))"
)
# The whole message: acknowledgements or thanks around one goodbye
_FAREWELL = re.compile(
    rf"^\W*(?:{_THANKS}[\s,.!]+)*{_GOODBYE}(?:[\s,.!]+(?:{_THANKS}|{_GOODBYE}))*[\s.!:)]*$", re.IGNORECASE
)
_THANKED = re.compile(r"\bthank|\bthx\b|\bty\b|\bcheers\b", re.IGNORECASE)


def farewell_answer(request: str) -> str | None:
    """The answer to a message that only says goodbye, thanking or not; ``None`` for any other."""
    if not _FAREWELL.match(request):
        return None
    return THANKED_FAREWELL if _THANKED.search(request) else FAREWELL
