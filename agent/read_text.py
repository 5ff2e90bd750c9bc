"""Questions about the writing in a picture go to the reading tool, and the words it found reach the answer as read.

Asked "what street is this sign for?", a small model sometimes answers without reading the sign: the answer is
made up. A question about a sign, label, menu or other writing in the picture, answered with no reading step while
the reading tool is loaded, does not end the turn: the agent opens the reading step (the model names the image).

After Text Detection On Image a small model often rewrites the words it was given: "MAIN STREET" came back as
"MAYNAMENT", "OPEN 24 HOURS" as "24 Hours", and a sign that was read as "There is no reading material". The
person asked what the sign says, so an answer that does not hold the words the tool read is set right: its first
quoted span becomes those words, or, with nothing quoted, the answer says them.

Once the reading tool has read, a small model sometimes goes on to a detector nobody asked for: "read the text on
this page" was read, then Detection ran and the answer was "There is no object". A reading request whose reading
is done, and that asks to find nothing, is answered instead of running the detector (:func:`read_already`); so is a
later question about the words read, by reading again (:func:`asks_of_the_reading`); and a reading nobody asked for
after the turn's edit is answered instead of run (:func:`reads_unasked`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from agent.image_reference import asks_to_read
from agent.pending_edit import Step, observations_on
from agent.picture_questions import DETECTORS
from tools.outputs import NO_TEXT_FOUND

READER = "Text Detection On Image"
READING_TOOLS = frozenset({READER})
_WRITING_ON = r"(?:this|that|the)\s+(?:\w+\s+)?(?:sign|label|menu|poster|plate|banner)s?"
# A question of the words read themselves ("what's the first word?", "how many words are on this page?"), not of a
# word it names ("how many letters are in the word 'lantern'?", "the first word of the Gettysburg Address")
_OF_THE_WRITING = (
    r"(?:\s+(?:are\s+(?:there\s*)?|is\s+|does\s+it\s+have\s*)?"
    r"(?:(?:on|in|of)\s+(?:it|this|that|there|here|(?:this|that|the)\s+\w+))?"
    r"|\s+(?:is|are|was|were)\s+(?:it|that|this|those|these))?"  # "how many words is that?" (answered "1100 words")
    r"(?:\s+(?:in\s+total|altogether))?\s*[?.!]*$"
)
# a word's index by its name ("what's the 3rd word" had been answered 'The 3rd word is "word".')
WORD_PLACES = {
    **{name: index for index, name in enumerate(("first", "second", "third", "fourth", "fifth"))},
    **{name: index for index, name in enumerate(("1st", "2nd", "3rd", "4th", "5th"))},
    "last": -1,
}
_WORD_QUESTION = (
    rf"\b(?:how\s+many\s+(?P<unit>words|letters|lines)(?:\s+of\s+(?:text|writing))?"
    rf"|(?P<ordinal>{'|'.join(WORD_PLACES)})\s+word){_OF_THE_WRITING}"
)
WORD_QUESTION = re.compile(_WORD_QUESTION, re.IGNORECASE)
# What a sign's opening hours are of ("is the library open on sundays?"; not "is the door open?")
_PLACE = (
    r"(?:it|this|that|they|the\s+(?:shop|store|cafe|café|restaurant|bakery|library|office|bank|museum|pharmacy|place"
    r"|bar|pub|market|gym|pool|park|clinic))"
)
# What a sign names
_NAMED = (
    r"(?:shop|store|cafe|café|restaurant|bakery|library|office|bank|museum|pharmacy|bar|pub|market|gym|hotel|street"
    r"|road|avenue|business|company|brand|place|station)"
)
# What signs allow or forbid
_RULED = (
    r"(?:park|parking|smoke|smoking|stop|stopping|enter|entering|camp|camping|swim|swimming|fish|fishing|cycle"
    r"|cycling|skate|skating|drive|driving|walk|walking|dive|diving|eat|eating|drink|drinking|wait|waiting)"
)
# The animals a sign allows or forbids
_ANIMALS = r"(?:pets?|dogs?|cats?|animals?|puppy|puppies|kittens?)"
# What the writing in the picture means: "summarize the text", "translate the sign", "what is this page about?"; not
# a text the request itself holds ("summarize this text: ...")
_WHAT_IT_MEANS = (
    r"(?:\b(?:summari[sz]e|translate|explain|paraphrase)\s+(?:the|this|that|its|what)\s+(?:\w+\s+)?(?:text|writing"
    r"|words|page|document|sign|label|menu|letter|note|says?)"
    r"|\bwhat\s+(?:is|'s)\s+(?:the|this|that)\s+(?:text|page|document|letter|note)\s+about)"
    r"(?:\s+(?:in|on|of)\s+(?:it|(?:the|this|that)\s+(?:image|photo|picture|pic|page|sign)))?(?:\s+(?:for\s+me|please))?"
    r"\s*[?.!]*\s*$"
)
WHAT_IT_MEANS = re.compile(_WHAT_IT_MEANS, re.IGNORECASE)
# "translate it to german" with a picture in the conversation: its writing (taken as words alone, the model made up a
# translation)
_IT_MEANT = re.compile(
    r"^(?P<asked>\W*(?:(?:please|can\s+you|could\s+you)\s+)*(?:translate|summari[sz]e|paraphrase)\s+)(?:it|this|that)\b",
    re.IGNORECASE,
)


def as_the_writing(request: str) -> str:
    """``request`` with the "it" it translates or sums up spelled as the writing ("translate it to german": "translate
    the writing to german"), for a conversation whose "it" is a picture."""
    return _IT_MEANT.sub(r"\g<asked>the writing", request, count=1)


_ABOUT_WRITING = re.compile(
    rf"\bwhat\s+\w+\s+(?:is|are)\s+{_WRITING_ON}\s+(?:for|about|from)\b"
    rf"|\bwhat(?:'s|\s+is)\s+(?:written\s+)?(?:on|in)\s+{_WRITING_ON}\b"
    r"|\bwhat(?:'s|\s+is)\s+written\b|\bwhat\s+does\s+it\s+say\b"
    # "whats it say" (the model answered 'It says "What I'm looking at is image/....png"')
    r"|^\W*what(?:'s|\s+is)\s+(?:it|this|that)\s+(?:say|saying)\b"
    # "what does the first one say?" (the model answered 'The first one says "What does the first one say?"'); typed
    # "whats the sign say" (the model answered that there was no image)
    r"|\bwhat(?:'s|\s+(?:does|do))\s+(?:this|that|the|these|those)\s+(?:(?:first|second|third|last|other|new|\w+)\s+)?"
    r"(?:one|ones|signs?|labels?|pages?|posters?|notes?|cards?|menus?|plates?|text|writing|lines?|words?)\s+"
    r"(?:say|saying)\b"
    # "how many words are on this page?", "what's the last word on the sign?"
    rf"|{_WORD_QUESTION}"
    # where the writing is: "where is the text in the picture?" (the answer gave the words alone)
    r"|^\W*where(?:'s|\s+is|\s+are)\s+(?:the\s+)?(?:text|writing|words|sign|lettering|letters|caption)\b"
    # "is this sign in english?", "what language is the menu in?"
    rf"|\bis\s+{_WRITING_ON}\s+(?:written\s+)?in\s+\w+|\bwhat\s+language\s+is\s+{_WRITING_ON}"
    # opening hours, which a sign tells: "when is it open?", "is it open on saturday?", "what time does it close?"
    rf"|\b(?:when|what\s+time|what\s+days?)\s+(?:is|are|does|do)\s+{_PLACE}\s+(?:open|close)"
    rf"|^\W*(?:is|are)\s+{_PLACE}\s+(?:open|closed)\b"
    # "do they open on sundays?" (the model answered "I could not answer that"), "how many hours a day are they open?"
    rf"|^\W*(?:do|does|will)\s+{_PLACE}\s+(?:open|close)\b"
    rf"|\bhow\s+(?:many\s+hours|long)\s+(?:(?:a|per|each)\s+day\s+)?(?:is|are|do|does)\s+{_PLACE}\s+(?:stay\s+)?open\b"
    # "what are the weekend hours?", "what are saturday's hours?" (the model said it cannot see images)
    r"|\bwhat\s+are\s+(?:(?:the|its|their)\s+)?(?:(?:weekend|weekday|mon|tues|wednes|thurs|fri|satur|sun)(?:day)?"
    r"(?:'s|s)?\s+)?(?:opening\s+)?hours\b"
    # writing too hard to read: "make the text easier to read", "I can't read the sign" (the model answered "The
    # text is readable"): the reading gives its words
    r"|\beasier\s+to\s+read\b|\bcan'?t\s+read\s+(?:it|this|that|the\s+(?:text|sign|words|writing|label|menu))\b"
    r"|\b(?:text|writing|words|letters)\s+(?:is|are)\s+(?:too\s+(?:small|blurry|tiny)|hard\s+to\s+read)\b"
    # what a sign offers or says: "what's on sale?" (answered "I could not answer that"), "does it say everything
    # must go?" (answered 'Yes, it says "Do I need to use a tool?"')
    r"|\bwhat(?:'s|\s+is|\s+are)\s+on\s+(?:sale|offer|special)\b"
    # a price a sign gives: "how much is the discount?" (the model answered that no tool answers questions about
    # an image), "what's the price?"
    r"|\bhow\s+much\s+(?:is|are|does|do|for)\b[^?.!]*\b(?:discount|cost|price|fee|fare|off|ticket|entry|admission)s?\b"
    r"|\bwhat(?:'s|\s+is|\s+are)\s+the\s+(?:price|discount|cost|fee|fare)s?\b|\b(?:does|do)\s+(?:it|this|that|they|the\s+\w+)\s+say\b"
    # "how much is the bread?" (the model answered "There is 1000 grams of bread in the bread basket."), "how much
    # do they cost?"; not "how much of it is sky?" nor "how much bigger is it?"
    r"|\bhow\s+much\s+(?:is|are)\s+(?:the|a|an|this|that|these|those|it|they|one)\b(?!\s+(?:of|image|photo|picture)\b)"
    r"[^?.!]{0,30}[?.!]*$|\bhow\s+much\s+(?:does|do)\b[^?.!]*\bcost\b"
    # what a sign gives to get in touch: "what's the phone number on this sign?" (the model answered that no tool
    # answers questions about an image), "what number do I call?", "what's their website?"
    r"|\bwhat(?:'s|\s+is|\s+are)\s+(?:the|their|its|his|her)\s+(?:(?:tele)?phone(?:\s+number)?|number|e-?mail(?:\s+address)?"
    r"|website|web\s+address|url|address)\b|\bwhat\s+number\s+(?:do|should|can|shall)\s+(?:i|we)\s+(?:call|ring|text)\b"
    # "which sign has a phone number?" (the model ran Detection on each sign)
    r"|\bwhich\s+(?:one|sign|label|page|poster|of\s+(?:them|these|those|the\s+\w+))\s+(?:has|have|shows?|gives?|lists?)\s+"
    r"(?:a|an|the|any|their|its)\s+(?:(?:tele)?phone(?:\s+number)?|number|e-?mail(?:\s+address)?|website|price|hours"
    r"|opening\s+hours|address)\b"
    # what the writing means: "summarize the text" (answered "I could not answer that"), "what is this page about?"
    rf"|{_WHAT_IT_MEANS}"
    # the name a sign gives: "what's the name of the cafe?" (the model answered "The cafe is called El Tres.")
    rf"|\bwhat(?:'s|\s+is)\s+the\s+name\s+of\s+(?:the|this|that)\s+{_NAMED}\b"
    rf"|\bwhat(?:'s|\s+is)\s+(?:the|this|that)\s+{_NAMED}(?:\s+called|'s\s+name)\b"
    # the place a sign names: "what street is this?" (the model answered that it cannot see images)
    r"|\b(?:what|which)\s+(?:street|road|avenue|shop|store|cafe|café|restaurant|station|town|city)\s+is\s+"
    r"(?:this|it|that)\b"
    # what a sign allows: "can I park here?", "am I allowed to smoke here?", "is parking allowed?"
    rf"|\b(?:can|may)\s+(?:i|we|one)\s+{_RULED}\b[^?.!]*\b(?:here|there)\b"
    rf"|\bif\s+(?:i|we)\s+(?:can|may)\s+{_RULED}\b|\bif\s+{_PLACE}(?:'s|\s+is|\s+are)\s+(?:open|closed)\b"
    rf"|\b(?:am\s+i|are\s+we)\s+allowed\s+to\s+{_RULED}\b|\b(?:is|are)\s+{_RULED}\s+(?:allowed|permitted)\b"
    # the animals a sign allows: "can i have pets?" (the model answered "Yes, I don't have pets (Puppy)"), "are dogs
    # allowed?"
    rf"|\b(?:can|may)\s+(?:i|we|one)\s+(?:have|bring|keep|take)\s+(?:a\s+|my\s+|our\s+)?{_ANIMALS}\b"
    rf"|\b(?:is|are)\s+{_ANIMALS}\s+(?:allowed|permitted|ok|okay|welcome)\b"
    # "what's the earliest they open?" (the model made up a time)
    r"|\b(?:earliest|latest)\b[^?.!]*\b(?:open|close|shut)|\b(?:open|close|shut)\w*\s+(?:the\s+)?(?:earliest|latest)\b"
    # "what's the area code?" of the number on a sign
    r"|\barea\s+code\b"
    # what a sign offers: "is it for sale?"
    r"|\b(?:is|are)\s+(?:it|this|that|they|these|the\s+\w+)\s+(?:up\s+)?for\s+(?:sale|rent|lease|hire)\b",
    re.IGNORECASE,
)
# Requests that ask to find something besides the writing ("read the sign and box the dog").
_FINDING = re.compile(
    r"\b(?:find|detect|locate|box|boxes|where|count|how\s+many|objects?|faces?|people|persons?)\b", re.IGNORECASE
)
# An answer that says nothing was read ("There is no readable text", "I couldn't find any text", "... is not found")
_SAYS_NO_TEXT = re.compile(
    r"\bno\s+(?:readable\s+|visible\s+)?(?:text|writing|words)\b|\b(?:find|see|read)\s+any\s+(?:text|writing|words)\b"
    r"|\bnot\s+(?:found|readable|legible)\b",  # 'The letter "NO PARKING" is not found in text.'
    re.IGNORECASE,
)
_IMAGE_NAME = re.compile(r"\S*image/\S+")
_QUOTED = re.compile(r"\"[^\"\n]+\"|“[^”\n]+”")
# An answer that presents a made image, after a reading that made none: "The sign is ready: CAFE OPEN DAILY"
# An answer that gives the words as a detector's finding: "The detector found: REGION-BASED SEGMENTATION ..."
# "Detection found ...", "I found it here: OPEN 9 TO 5" (the detector's answer, as trained, of a reading)
_AS_DETECTED = re.compile(
    r"\b(?:detector|detection)\s+found\b|^\W*detected\b|\bI\s+found\s+(?:it|them)\s+here\b", re.IGNORECASE
)
_AS_MADE = re.compile(r"\b(?:is|are)\s+ready\b|\bI\s+(?:have\s+)?(?:saved|made)\b|^\W*done\b", re.IGNORECASE)


def normal_words(text: str) -> str:
    """``text``'s words, lower-cased and single-spaced (punctuation and line breaks dropped)."""
    return " ".join(re.findall(r"\w+", text.casefold()))


NOT_RELIABLY = 'The text reads "{words}". I can read the writing in a picture, but I cannot {task} reliably.'
# What the small model cannot do with the words read (asked to summarise a page, it wrote "This page says <file>";
# asked "is this sign in english?", it declined to look)
_BEYOND_READING = {
    "translate it": re.compile(r"\btranslat", re.I),
    "summarize it": re.compile(r"\bsummari[sz]", re.I),
    "tell its language": re.compile(
        r"\blanguage\b|\bin\s+(?:english|french|german|spanish|italian|portuguese|dutch|chinese|japanese|korean)\b",
        re.I,
    ),
}


def beyond_reading(request: str, words: str) -> str | None:
    """:data:`NOT_RELIABLY` with ``words`` when ``request`` asks to translate or summarise the words read, or what
    language they are in; else ``None``."""
    task = next((task for task, asks in _BEYOND_READING.items() if asks.search(request)), None)
    return NOT_RELIABLY.format(words=words, task=task) if task else None


def with_read_text(answer: str, tool: str, observation: str, request: str = "") -> str:
    """``answer`` holding the words ``observation`` read when ``tool`` is a reading tool that found text (the last
    step of the turn); those words and :data:`NOT_RELIABLY` when ``request`` asks for a translation, a summary or the
    language (asked to translate a sign, the small model wrote "Le sign negé est le sign negé."); those words alone when the answer says
    there is no text, presents a made image ("The sign is ready: ...") or adds a number the reading did not give;
    otherwise ``answer`` unchanged."""
    words = " ".join(observation.split())
    if tool not in READING_TOOLS or not normal_words(words) or words == NO_TEXT_FOUND:
        return answer
    beyond = beyond_reading(request, words)
    if beyond:
        return beyond
    if (
        _SAYS_NO_TEXT.search(answer)
        or _AS_MADE.search(answer)
        or _AS_DETECTED.search(answer)
        or (_IMAGE_NAME.search(answer) and not _QUOTED.search(answer))
    ):
        # 'There is no readable text on the sign: "NO PARKING".', 'The main street is image/21636369.png.',
        # "The sign is ready: CAFE OPEN DAILY"
        return f'The text reads "{words}".'
    quoted = _QUOTED.search(answer)
    if quoted and normal_words(quoted.group(0)) == normal_words(words) and quoted.group(0)[1:-1] != words:
        # 'The sign says "For Rent CALL".' of "FOR RENT CALL": quoted as read, in the sign's own letters
        return f'{answer[: quoted.start()]}"{words}"{answer[quoted.end() :]}'
    if quoted and normal_words(words) not in normal_words(quoted.group(0)):
        if 2 * len(normal_words(quoted.group(0))) < len(normal_words(words)):
            # 'The letter "F" is at position 9 and 5.': a piece of the words, with words around it made for the piece
            return f'The text reads "{words}".'
        # 'The main street is "MANA STREET".': the words outside the quotes do not make the quoted ones right
        return f'{answer[: quoted.start()]}"{words}"{answer[quoted.end() :]}'
    if normal_words(words) in normal_words(answer):
        # 'The letter "OPEN DAILY" is at position 156.': a number the reading did not give is made up
        invented = set(re.findall(r"\d+", _IMAGE_NAME.sub("", answer))) - set(re.findall(r"\d+", words))
        return f'The text reads "{words}".' if invented else answer
    return f'The text reads "{words}".'


WORDS_READ = 'The text reads "{words}".'


def words_untold(answer: str, request: str, steps: Sequence[Step]) -> str:
    """:data:`WORDS_READ` of the turn's last reading when ``request`` asks to read and ``answer`` leaves the words out
    ("can you read the sign and blur the phone number?" was answered with the blurred image alone) or about the
    writing ("what's on the sign? and blur it"); else ``""``."""
    readings = [step for step in steps if step.ok and step.action in READING_TOOLS]
    if not readings or not (asks_to_read(request) or asks_about_writing(request)):
        return ""
    words = " ".join(readings[-1].observation.split())
    if words == NO_TEXT_FOUND or not normal_words(words) or normal_words(words) in normal_words(answer):
        return ""
    return WORDS_READ.format(words=words)


def unread_writing(request: str, called: Sequence[str], available: Sequence[str]) -> str | None:
    """The reading tool, when ``request`` asks about the writing in the picture ("what street is this sign for?",
    "read the label"), it is among ``available`` and none of the turn's ``called`` tools read anything; else
    ``None``."""
    if READER not in available or READING_TOOLS.intersection(called):
        return None
    return READER if asks_about_writing(request) else None


def read_already(request: str, tool: str, steps: Sequence[Step]) -> bool:
    """Whether a call of ``tool`` would wander from a reading request already served: ``request`` asks to read and
    to find nothing else, a reading tool ran in ``steps`` and ``tool`` is a detector."""
    if tool not in DETECTORS or _FINDING.search(request) or not asks_about_writing(request):
        return False
    return any(step.ok and step.action in READING_TOOLS for step in steps)


# Words by which a request speaks of writing or reading at all ("read it", "the text", "the sign")
_SPEAKS_OF_WRITING = re.compile(
    r"\bread|\btext|\bwrit|\bwords?\b|\bletters?\b|\bsigns?\b|\blabels?\b|\bmenus?\b|\bocr\b", re.IGNORECASE
)


def reads_unasked(request: str, tool: str, steps: Sequence[Step]) -> bool:
    """Whether a call of reading ``tool`` follows another tool's successful step this turn (``steps``) while
    ``request`` says nothing of writing: asked to "remove the background and tell me when done", the small model
    removed it, then read the cut-out and answered "There is no readable text"."""
    if tool not in READING_TOOLS or _SPEAKS_OF_WRITING.search(request):
        return False
    return any(step.ok and step.action and step.action not in READING_TOOLS for step in steps)


def called_instead_of_reading(request: str, tool: str, asked: bool | None = None) -> bool:
    """Whether a call of ``tool`` stands where a reading was meant: ``request`` asks to read a piece of writing or
    about it (:func:`asks_about_writing`: "can I park here on sunday?", answered with a background removal) and to
    find nothing, and ``tool`` is a detector (asked "which of these signs says stop?", the small model ran Detection
    on each sign) or another tool the request does not ask for (``asked`` false: asked to "read the smaller one", it
    resized a sign)."""
    if tool in READING_TOOLS or not asks_about_writing(request) or _FINDING.search(request):
        return False
    return tool in DETECTORS or asked is False


# A question, by its first word ("what time does it open?", "is it open on Sundays?")
_QUESTION = re.compile(r"^\W*(?:what|when|where|which|who|whose|how|is|are|does|do|can|will)\b", re.IGNORECASE)


def asks_of_the_reading(request: str, tool: str, earlier: Sequence[Step], latest: str | None) -> bool:
    """Whether a call of detector ``tool`` is for a question about writing read before: the latest turn that
    reported on a picture (``earlier``) read words in ``latest``, the image still worked on, and ``request`` is a
    question that asks to find nothing. Asked "what time does it open?" after a sign was read, the small model ran
    Detection and answered "There is no object"; the words read answer it."""
    if tool not in DETECTORS or _FINDING.search(request) or not _QUESTION.search(request):
        return False
    return words_read(earlier, latest) is not None


def words_read(earlier: Sequence[Step], latest: str | None) -> str | None:
    """The words the last reading among ``earlier`` steps found in ``latest`` (the image still worked on), on one
    line; ``None`` when none of them read it or the reading found nothing."""
    readings = [" ".join(observed.split()) for observed in observations_on(earlier, READING_TOOLS, latest)]
    return readings[-1] if readings and readings[-1] != NO_TEXT_FOUND else None


def asks_about_writing(request: str) -> bool:
    """Whether ``request`` asks about the writing in the picture ("what street is this sign for?", "read the label")."""
    return bool(_ABOUT_WRITING.search(request)) or asks_to_read(request)
