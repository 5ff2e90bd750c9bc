"""Questions about what a picture shows ("what colour is her suit?", "describe this photo"), and the tool that
answers them.

The language model cannot see: when it answers such a question without calling a tool, its answer is made up. With
the answering tool loaded the model is trained to call it; without it (the demo serves no offline question
answering), a small model still tends to answer from the caption-free prompt ("The suit is white."). The agent
uses this rule after the model, on an answer that came with no tool call, to say which tool is missing instead.

The rule is narrow on purpose: a false match replaces a good answer (a poem, advice, an answer about the
conversation's files) with "that tool is not loaded". It needs an image in the conversation and one of:
* a description request naming a picture or its file: "describe this photo", "what's going on in this pic?", "what's
  in this picture?", "what does the image show?", "what can you see in the picture?", "the content of e.jpg", or that is "describe it" and
  nothing more;
* a question on what things in the picture look like or do: "what colour is ...", "how many ... are there / in
  ...", "is the woman smiling?", "what is the dog holding?", "what's the weather like in this picture?", "what time
  is it on the clock?".
Questions about files, tools or the conversation ("which file was my original?", "how did you do that?") match
none of them.
"""

from __future__ import annotations

import re

from agent.request_parts import OPENING

DESCRIBER = "Get Photo Description"
ANSWERER = "Answer Question About The Image"

_PICTURE = r"(?:image|photo|picture|pic|photograph|shot)"
_FILE = r"\S+\.(?:png|jpe?g|webp|bmp|gif)\b"  # HuggingGPT's requests name pictures by file: "content of e.jpg"
_DESCRIBE = re.compile(
    rf"\b(?:describe|caption)\s+(?:(?:this|that|the|my)\s+(?:\w+\s+)?{_PICTURE}\b|{_FILE})"
    # "remove the background and describe what is left", "rotate it and describe it"
    r"|\bdescribe\s+(?:it|them|what(?:'s|\s+is)\s+(?:left|there|in\s+it|on\s+it))"
    r"(?=\s*(?:[.!?,;]|$|(?:and|then|please|for\s+me)\b))"  # "describe it in a poem" is writing
    rf"|\bcontents?\s+of\s+(?:(?:this|that|the|my)\s+(?:\w+\s+)?{_PICTURE}\b|{_FILE})"
    # "what's in the first one?" (the model answered "It shows the image named image/....png.")
    rf"|\bwhat(?:'s|s| is)\s+(?:going on\s+|happening\s+)?in\s+(?:(?:this|that|the|my)\s+(?:\w+\s+)?(?:{_PICTURE}|one)|it)\b"
    # "what is this a picture of?" (the model answered "It is image/....png.")
    rf"|\bwhat(?:'s|s| is)\s+(?:this|that|it)\s+an?\s+{_PICTURE}\s+of\b"
    # "what is this photo of?" (the model answered "It is image/....png.")
    rf"|\bwhat(?:'s|s| is)\s+(?:this|that|the|my)\s+{_PICTURE}\s+of\b"
    rf"|\bwhat\s+does\s+(?:this|that|the|my)\s+{_PICTURE}\s+show\b"
    r"|\bwhat\s+(?:can|do)\s+you\s+see\b"
    # words about the picture that need it seen: "write a caption for instagram" (the model answered that Text
    # Detection On Image was not loaded); not when the request itself tells what it shows ("... of a dog on a beach")
    r"|^(?!.*\b(?:of|about|showing|featuring|with|says?|saying)\b).*\b(?:write|give\s+me|suggest|come\s+up\s+with"
    r"|make|create)\s+"
    r"(?:me\s+)?(?:an?\s+|some\s+)?(?:\w+\s+)?(?:caption|captions|alt\s+text|description|hashtags)\b"
    # a poem or a story about the picture: "write a short poem about this picture" (the model read the picture's
    # text and answered that there was none)
    r"|\b(?:write|compose|make)\s+(?:me\s+)?(?:an?\s+|some\s+)?(?:[\w-]+\s+){0,2}(?:poem|haiku|limerick|story|song"
    rf"|rhyme|verse)s?\s+(?:about|of|on|for|describing)\s+(?:(?:this|that|the|my)\s+(?:\w+\s+)?{_PICTURE}|it)\b"
    # the whole request: "what's this?", "what am I looking at?" (the model answered "I could not answer that")
    r"|" + OPENING + r"(?:what(?:'s|\s+is)\s+(?:this|that|it)(?:\s+(?:one|photo|picture|image|pic))?"
    r"|what\s+am\s+i\s+looking\s+at"
    # "whats left" after a background removal (the model read the cut-out's text)
    r"|what(?:'s|\s+is)\s+(?:left|remaining|still\s+there)(?:\s+(?:in\s+it|now|over))?|what\s+remains)\s*[?.!]*\s*$"
    # "can you tell me what this is?", "do you know what that is?" (the model answered "It shows an image named ...")
    r"|^\W*(?:(?:can|could)\s+you\s+(?:tell\s+me|say)|do\s+you\s+know|tell\s+me|any\s+idea)\s+what\s+"
    r"(?:this|that|it)(?:\s+(?:one|photo|picture|image|pic))?\s+(?:is|shows)(?:\s+please)?\s*[?.!]*\s*$"
    # the whole request: "describe it" with an image in the conversation is that image
    r"|^\s*(?:(?:please|can you|could you)\s+)?describe\s+(?:it|this|that)(?:\s+one)?(?:\s+(?:for me|please))?\W*$",
    re.IGNORECASE,
)
# writing about the picture (a poem, a story, a caption), which the model can't write without seeing it
_WRITES_ABOUT = re.compile(r"\b(?:write|compose|make|create|give\s+me|suggest|come\s+up\s+with)\b", re.IGNORECASE)


def writes_about_the_picture(request: str) -> bool:
    """Whether ``request``, one about what the picture shows (:func:`only_asks_what_it_shows`), asks for writing
    about it ("write a short poem about this picture", "write a caption for instagram") rather than an answer."""
    return bool(_WRITES_ABOUT.search(request)) and only_asks_what_it_shows(request) is not None


COLOURS = (
    r"red|orange|yellow|green|blue|purple|violet|pink|brown|black|white|gr[ae]y|silver|gold|beige|turquoise|teal"
    r"|magenta|cyan"
)  # colour words, as a regular expression's alternatives
_COLOUR = rf"(?:{COLOURS}|dark|light)"
_THING = r"(?:the|this|that|these|those|her|his|their|its|he|she|they|it)"
# nouns that make "how many ... are there" a question about the conversation, not the picture
_NOT_IN_PICTURES = (
    r"(?!(?:tools?|files?|images?|pictures?|photos?|steps?|turns?|models?|messages?|pixels?|words?|letters?"
    r"|characters?|degrees?|times?|percent)\b)"
)
# "how many cats are there?", "how many faces does it have?", "how many faces it has", "how many animals in total?"
_COUNT = re.compile(
    rf"\bhow\s+many\s+{_NOT_IN_PICTURES}\w+(?:\s+\w+)?\s+(?:(?:are|is)\s+(?:there|in|on)"
    r"|(?:does|do)\s+(?:it|this|that|the\s+\w+)\s+have|(?:it|this|that|the\s+\w+)\s+(?:has|have))\b"
    rf"|\bhow\s+many\s+{_NOT_IN_PICTURES}\w+(?:\s+(?:in\s+total|altogether|all\s+together|total"
    r"|(?:can|do)\s+you\s+(?:see|find|spot|count)))?\s*[?.!]*\s*$",
    re.IGNORECASE,
)
_LOOKS = re.compile(
    rf"\bwhat\s+colou?rs?\s+(?:is|are|was|were)\s+{_THING}\b"
    rf"|{_COUNT.pattern}"
    rf"|\b(?:is|are)\s+{_THING}\s+(?:[\w']+\s+){{0,5}}"
    r"(?:smiling|wearing|holding|sitting|standing|looking|happy|sad|raining|sunny"
    # "is the cat sleeping?" (Detection ran and the model answered "The cat is sleeping.")
    r"|sleeping|asleep|awake|eating|drinking|running|walking|playing|lying|jumping|flying|laughing|crying|angry|scared"
    r"|tired|hungry|cute|pretty|beautiful|dancing|talking|singing)\b"
    rf"|\bwhat(?:'s|\s+is|\s+are)\s+{_THING}\s+(?:\w+\s+)?(?:doing|holding|wearing|eating|reading)\b"
    # a measure of what it shows ("how tall is the horse?": the model answered "The horse is 1500 years tall."), not
    # of the picture (agent/image_facts.py)
    r"|\bhow\s+(?:tall|old|heavy|long|big|large|far|fast|high|young|fat)\s+(?:is|are|was|were)\s+(?:he|she|they\b|"
    r"(?:the|this|that|her|his|its|their)\s+(?!(?:image|photo|picture|pic|file|crop|map|result|original|upload|one"
    r"|edit|version|copy|text|sign|page|box|region|output|resize)s?\b)\w+)"
    # whether it is real ("is that a real rocket?": the model answered "A rocket engine is the fuel it uses ...")
    r"|^\W*(?:is|are)\s+(?:it|this|that|they|these|those|the\s+\w+)\s+(?:an?\s+)?(?:\w+\s+)?"
    r"(?:real|fake|genuine|authentic|photoshopped|ai[- ]generated)\b"
    rf"|\bwhat(?:'s| is)\s+the\s+(?:weather|mood|season)\b.*\b{_PICTURE}\b"
    # "what breed is the cat?" (the model answered "The cat is named Luna.")
    rf"|\bwhat\s+(?:breed|kind|type|species|sort|make|model|brand|age)\s+(?:of\s+\w+\s+)?(?:is|are)\s+{_THING}\b"
    # a judgement of how pictures look ("which one looks better?": the model answered "The straight lines is sharper")
    rf"|\bwhich\s+(?:one|{_PICTURE}|version|map|of\s+(?:them|these|those|the\s+\w+))\s+(?:looks?|is)\s+"
    r"(?:better|best|nicer|nicest|prettier|sharper|clearer|cleaner)\b"
    r"|\b(?:does|do)\s+(?:it|this|that|they|these)\s+look\s+(?:good|ok|okay|nice|better|right|fine)\b"
    # an opinion of the picture ("what do you think of this photo?": answered "I could not answer that")
    rf"|\bwhat\s+do\s+you\s+think\s+(?:of|about)\s+(?:it|this|that|(?:this|that|the|my)\s+(?:\w+\s+)?{_PICTURE})\b"
    rf"|\b(?:do\s+you\s+like|how\s+do\s+you\s+like)\s+(?:it|this|that|(?:this|that|the|my)\s+(?:\w+\s+)?{_PICTURE})\b"
    rf"|\bis\s+(?:it|this|that)\s+a\s+good\s+(?:\w+\s+)?{_PICTURE}\b"
    # a colour of two: "is it red or blue?", "is the car black or white?"
    rf"|(?:^|[.!?]\s)\W*(?:is|are)\s+{_THING}\s+(?:\w+\s+)?(?:more\s+)?{_COLOUR}\s+or\s+(?:more\s+)?{_COLOUR}\b"
    # what a thing in the picture holds ("what's in the cup?": Detection ran and the answer was "There is no object")
    rf"|\bwhat(?:'s|\s+is|\s+are)\s+(?:in|inside|on)\s+(?:the|her|his|its|their)\s+{_NOT_IN_PICTURES}"
    r"(?!(?:sign|page|text|note|menu|label|board|poster|screen|paper|letter|book|list|box(?:e(?=s))?|history|conversation"
    r"|workspace|folder|chat)s?\b)\w+\s*[?.!]*\s*$"
    # which picture shows a thing the detector does not find ("which one is the clock?": the model answered "The
    # clock is the time clock."; a cat, a face or a person: agent/detector_scope.py)
    r"|^\W*which\s+(?:one|photo|image|picture|pic|of\s+(?:them|these|those|the\s+\w+))\s+"
    r"(?:is|shows?|has|have|contains?)\s+(?:the|a|an|any|some)\s+"
    r"(?!(?:cats?|faces?|persons?|people|bigger|biggest|larger|largest|smaller|smallest|wider|widest|narrower"
    r"|taller|tallest|shorter|shortest|original|first|second|last|newest|latest|new|old|older|edited|cropped"
    r"|rotated|resized|blurred|upload|uploaded)\b)\w+(?:\s+(?:one|photo|image|picture|pic))?\s*[?.!]*\s*$"
    # which of two things is nearer ("which one is closer to the camera, her or the flag?": the model answered that
    # a tool it called "text" is not loaded)
    r"|^\W*which\s+(?:one|of\s+(?:them|these|those|the\s+two))\s+(?:is|are|was|looks?)\s+(?:(?:closer|nearer|further"
    r"|farther)(?:\s+(?:to|from)\s+(?:the\s+)?(?:camera|viewer|lens|us|me))?|in\s+front|behind"
    r"|in\s+the\s+(?:front|back|background|foreground))\s*(?:[,:;?.!]|$)"
    # the time a clock shows ("what time is it on the clock?": the model answered "It will be 11:45 tomorrow.")
    rf"|\bwhat\s+time\b[^?.!]*\b(?:clock|watch|{_PICTURE})\b"
    # a name of what is shown ("whats the cats name?": the model answered "The cat's name is Feline.")
    r"|\bwhat(?:'s|s|\s+is)\s+(?:the\s+(?!(?:image|photo|picture|pic|file|crop|map|result|upload|output)"
    r"(?:'s|s|s')?\s)\w+(?:'s|s|s')|her|his|their)\s+name\b"
    # who is shown ("who is this?": answered "I could not answer that")
    r"|^\W*who(?:'s|\s+is|\s+are)\s+(?:this|that|these|those|he|she|they|it|the\s+(?:man|woman|person|people|guy"
    rf"|girl|boy|kid|child|lady)|in\s+(?:it|(?:the|this|that|my)\s+{_PICTURE}))(?:\s+in\s+(?:it|(?:the|this|that|my)\s+"
    rf"{_PICTURE}))?\s*[?.!]*\s*$",
    re.IGNORECASE,
)


DETECTORS = ("Detection", "Detect the Give Object")  # their boxes answer "how many ... are there?"


# Words of the image's file, size or edits: "is it png or jpg?" is a question agent/image_facts.py answers
_OF_THE_FILE = (
    r"bigger|smaller|larger|wider|narrower|taller|shorter|png|jpe?g|webp|gif|bmp|portrait|landscape|square|horizontal"
    r"|vertical|original|new|old|rotated|cropped|blurred|resized|edited|done|ready|finished|saved|ok|okay|right|wrong"
    r"|correct|better|worse|same|different|more|less|transparent|crop|resize|rotation|blur|copy|file|map|version"
    r"|upload|one|image|photo|picture"
)
# "is this tea or coffee?" (the model answered "Tea is not brewed, it is coffee."): which of two things it shows, not
# of the file nor of what the detector finds (``_EITHER`` below)
_WHICH_OF_TWO = re.compile(
    rf"^\W*(?:is|are)\s+(?:it|this|that|they|these|those|the\s+\w+)\s+(?:an?\s+)?(?!(?:{_OF_THE_FILE})\b)\w+\s+or\s+"
    r"(?:an?\s+)?(?:\w+\s+)?\w+\s*[?.!]*\s*$",
    re.IGNORECASE,
)


def answering_tool(request: str) -> str | None:
    """The tool that answers ``request`` when it asks what a picture shows (see the module docstring), or ``None``."""
    if _DESCRIBE.search(request):
        return DESCRIBER
    if _LOOKS.search(request) or (_WHICH_OF_TWO.search(request) and not _either_found(request)):
        return ANSWERER
    return None


# "detect faces and count them", "count the cats": a count asked of what is found
_COUNT_THEM = re.compile(
    r"\b(?:detect|find|locate)\s+(?:the\s+|all\s+(?:the\s+)?)?(\w+)\b[^,;]*?(?:\s+and|,)\s+(?:then\s+)?count\s+them\b"
    r"|\bcount\s+(?:the\s+|all\s+(?:the\s+)?)?(\w+)",
    re.IGNORECASE,
)
_HOW_MANY = re.compile(r"\bhow\s+many\s+(\w+)", re.IGNORECASE)


# "is there a person in this photo?", "does it have a cat?": whether the picture shows what the detector finds (the
# model answered "The cat is at cat [80, 0, 421, 300]." of the cat photo, neither yes nor no)
_IS_THERE = re.compile(
    r"^\W*(?:(?:is|are)\s+there|(?:does|do)\s+(?:it|this|that|the\s+\w+)\s+(?:have|show|contain)"
    r"|(?:can|do)\s+you\s+see)\s+(?:an?\s+|any\s+|some\s+)?(cats?|faces?|persons?|people)\b",
    re.IGNORECASE,
)


# "is it a cat or a dog?": which of two, one of them what the detector finds (the model answered "The cat is the cat
# you asked for.")
_EITHER = re.compile(
    r"^\W*(?:is|are)\s+(?:it|this|that|they|these|those|the\s+\w+)\s+(?:an?\s+)?(\w+)\s+or\s+(?:an?\s+)?(\w+)\b",
    re.IGNORECASE,
)
_FOUND_NOUNS = frozenset({"cat", "cats", "face", "faces", "person", "persons", "people"})


def _either_found(request: str) -> str:
    """Of "is it a cat or a dog?", the one of the two the detector finds ("cat"), lower-cased; ``""``."""
    either = _EITHER.search(request)
    return next((word.lower() for word in either.groups() if word.lower() in _FOUND_NOUNS), "") if either else ""


def asks_to_count(request: str) -> bool:
    """Whether ``request`` asks how many of something the picture holds ("how many cats are there?", "detect the
    faces and count them"), whether it holds a cat, a face or a person (:func:`asks_whether_shown`), or which of two
    it shows, one of them those ("is it a cat or a dog?": the count found answers it)."""
    return bool(
        _COUNT.search(request) or _COUNT_THEM.search(request) or _IS_THERE.search(request) or _either_found(request)
    )


def asks_whether_shown(request: str) -> bool:
    """Whether ``request`` asks whether the picture shows a cat, a face or a person ("is there a person in it?")."""
    return bool(_IS_THERE.search(request))


def counted_noun(request: str) -> str:
    """The word for what ``request`` asks to count ("cats" of "how many cats are there?", "person" of "is there a
    person?"), lower-cased; ``""``."""
    found = _HOW_MANY.search(request) or _COUNT_THEM.search(request) or _IS_THERE.search(request)
    return next((word for word in found.groups() if word), "").lower() if found else _either_found(request)


def answered_by(request: str, tool: str) -> bool:
    """Whether a successful call of ``tool`` can answer ``request``: its answering tool, or for a counting question
    a detector (its boxes count the things)."""
    return tool == answering_tool(request) or (tool in DETECTORS and asks_to_count(request))


# Where a request goes on to ask for something else: a second sentence or clause ("... and show me the edges").
_MORE = re.compile(r"[.?!;]\s*\S|\b(?:and|then|also|plus)\b", re.IGNORECASE)


def only_asks_what_it_shows(request: str) -> str | None:
    """The tool that answers ``request`` when it is one question about what the picture shows and nothing else
    ("describe this picture", "is she smiling?"), never a count (a detector may answer that); else ``None``. Such a
    request needs that tool alone, so without it the agent can say so before the model runs another."""
    tool = answering_tool(request)
    asked = re.sub(OPENING, "", request, flags=re.IGNORECASE)  # "hi! what is this a picture of?"
    if tool is None or asks_to_count(request) or _MORE.search(asked.strip().rstrip(".?!")):
        return None
    return tool
