"""A goodbye ("bye", "thanks, bye!", "that's all for now"), a greeting ("hello"), a reaction ("lol", "nice") and
a request for a joke.

Asked "bye" in a session with two photos, the embedded model answered "I don't have an image to work on yet. Please
upload one first."; asked "thanks bye", "Glad you're doing well."; asked "lol", "I cannot see images myself, and no
loaded tool can find a word or image (lol)."; asked "hello" after an upload, "Goodbye! Have a great day."; asked "tell
me a joke", "No problem at all. Tell me a joke about a joke about a tool.". A message that only says goodbye (with
thanks or not), only greets, only reacts, only asks for a joke or only asks how to upload a picture (answered "Please
upload one first") is answered by the agent, without the model. Thanks alone are the model's: it was trained on them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

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


LIKED = "Glad you like it! What would you like to do next?"
NOTED = "OK. What would you like to do next?"
_LIKING = (
    r"(?:lol|lmao|rofl|ha(?:ha)+|he(?:he)+|nice(?:\s+one)?|cool|wow|great|perfect|awesome|amazing|neat|sweet|excellent"
    r"|beautiful|brilliant|wonderful|lovely|love\s+it|good\s+job|well\s+done|you(?:'re|\s+are)\s+(?:awesome|great|the\s+best)"
    r"|(?:that(?:'s|\s+is)|it(?:'s|\s+is)|looks)\s+(?:really\s+|so\s+|very\s+)?(?:great|cool|nice|awesome|perfect|amazing|good))"
)
_NOTING = r"(?:ok(?:ay)?|k|alright|all\s+right|got\s+it|i\s+see|noted|understood|hmm+)"
_REACTION = re.compile(rf"^\W*(?:(?P<liking>{_LIKING})|{_NOTING})(?:[\s,.!]+(?:{_LIKING}|{_NOTING}))*[\s.!:)D]*$", re.I)


def reaction_answer(request: str) -> str | None:
    """The answer to a message that only reacts ("lol", "nice", "ok"): :data:`LIKED` when it likes what it saw,
    :data:`NOTED` otherwise; ``None`` for any other message, thanks among them."""
    reacted = _REACTION.match(request)
    if reacted is None:
        return None
    return LIKED if re.search(_LIKING, request, re.IGNORECASE) else NOTED


GREETING = (
    "Hello! Upload a picture and tell me what to do with it (its edges, its text, a crop, a blur ...), or ask what I "
    "can do."
)
GREETING_WITH_IMAGE = "Hello! What would you like me to do with {image}? Ask what I can do to see the tools."
# The whole message greets: "hello", "hi there", "hey!", "good morning"
_GREETING = re.compile(
    r"^\W*(?:hello|hi|hey|hiya|howdy|greetings|good\s+(?:morning|afternoon|evening))(?:\s+(?:there|again|you))?"
    r"[\s,.!:)]*$",
    re.IGNORECASE,
)


def greeting_answer(request: str, latest: str | None) -> str | None:
    """The answer to a message that only greets (asked "hello" after an upload, the model said goodbye):
    :data:`GREETING`, or :data:`GREETING_WITH_IMAGE` with the ``latest`` image; ``None`` for any other message."""
    if not _GREETING.match(request):
        return None
    return GREETING_WITH_IMAGE.format(image=latest) if latest else GREETING


HANDED_OVER = "Got {them}: {images}. What would you like me to do with {it}? Ask what I can do to see the tools."
# The whole message says images were handed over, maybe after a greeting: "hi! i uploaded two pics", "here's my
# photo" (the model answered "Glad you like it!")
_HANDED = re.compile(
    r"^\W*(?:(?:hello|hi|hey|hiya|ok|okay|so)\b[\s,.!]*)?(?:i(?:'ve|\s+have)?\s+(?:just\s+)?(?:uploaded|sent|attached"
    r"|added|shared)(?:\s+you)?|here\s+(?:is|are)|here'?s)\s+(?:an?\s+|two\s+|three\s+|\d+\s+|some\s+|my\s+|the\s+|both\s+"
    r"|a\s+couple\s+(?:of\s+)?)?(?:\w+\s+)?(?:pics?|pictures?|photos?|images?|files?|ones?)(?:\s+(?:for\s+you|of\s+mine))?"
    r"[\s,.!:)]*$",
    re.IGNORECASE,
)


def handed_over_answer(request: str, uploads: Sequence[str]) -> str | None:
    """The answer to a message that only says images were handed over, with the ``uploads`` of the conversation;
    ``None`` for any other message or before any upload (agent/handed_over.py answers "here it is" to a request
    that waited for an image)."""
    if not uploads or not _HANDED.match(request):
        return None
    several = len(uploads) > 1
    return HANDED_OVER.format(
        them="them" if several else "it", images=", ".join(uploads), it="them" if several else "it"
    )


# Told in turn, one a request (a 135M model tells no joke that lands)
JOKES = (
    "Why did the photograph go to jail? It was framed.",
    "I tried to take a picture of the fog this morning. Mist.",
    "Why did the edge map break up with the blur? It needed more definition.",
    "Why are pixels never lonely? They always come in a grid of friends.",
    'What did the cropped photo say? "I feel like I\'ve been cut out of the picture."',
)
JOKE_AFTER = "Now, what shall we do with your picture?"
_JOKE = re.compile(
    r"^\W*(?:(?:please|can\s+you|could\s+you|would\s+you|will\s+you)\s+)?(?:tell|give)\s+(?:me|us)\s+"
    r"(?:a|another|one\s+more|some|a\s+(?:funny|good|bad|silly|short))?\s*(?:\w+\s+)?jokes?"
    r"(?:\s+(?:please|again|now))?\W*$"
    r"|^\W*(?:do\s+you\s+)?know\s+any\s+(?:good\s+)?jokes\W*$|^\W*make\s+me\s+laugh\W*$"
    r"|^\W*(?:say|tell\s+me)\s+something\s+funny\W*$|^\W*(?:another|one\s+more)\s+joke\W*$",
    re.IGNORECASE,
)


def joke_answer(request: str, turn: int, latest: str | None) -> str | None:
    """A joke for a message that only asks for one ("tell me a joke", "make me laugh"), by the session's ``turn``
    (so that jokes asked for in turn differ), then back to the picture when there is one (``latest``); ``None`` for
    any other message."""
    if not _JOKE.match(request):
        return None
    joke = JOKES[turn % len(JOKES)]
    return f"{joke} {JOKE_AFTER}" if latest else joke


# The whole message asks how to hand in a picture: "how do I upload a picture?", "how can I send you a photo?"
_HOW_TO_UPLOAD = re.compile(
    r"^\W*(?:(?:ok(?:ay)?|so|and|hi|hello)[,!.]?\s+)*(?:how\s+(?:do|can|should)\s+i|how\s+to|where\s+(?:do|can)\s+i)\s+"
    r"(?:upload|send|add|attach|give|share|show|put\s+in|load)(?:\s+you)?\s+"
    # "how do i upload one" (answered that there is no image yet)
    r"(?:(?:a|an|the|my|some)?\s*(?:image|photo|picture|pic|file)s?|one|it|them)"
    r"(?:\s+(?:here|to\s+you|for\s+you|in\s+here))?\s*[?.!]*\s*$",
    re.IGNORECASE,
)


def asks_how_to_upload(request: str) -> bool:
    """Whether ``request`` only asks how to hand in a picture."""
    return bool(_HOW_TO_UPLOAD.match(request))
