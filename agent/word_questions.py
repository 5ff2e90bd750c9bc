"""Questions about the words a reading found, answered from those words.

After "read it" read a page, "what's the first word?" was answered 'The word "word" is not loaded, and no loaded
tool can answer questions about an image': the small model took the question for one about the picture. The words
are in the conversation already. A question that picks a word out of them, counts them, asks for them again, asks
whether the place is open on a day, or asks what language they are in is answered from the last reading of the image still worked on
(:func:`agent.read_text.words_read`), before the model runs.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from functools import partial
from itertools import pairwise

from agent.opening_days import opening_answer
from agent.read_text import WORD_PLACES, WORD_QUESTION, beyond_reading, normal_words
from agent.sign_words import meaning_answer
from agent.text_parts import LINE, asked_part, part_named_by_words, part_text, part_words
from tools.outputs import PlacedWord

_AGAIN = re.compile(
    r"\bwhat\s+did\s+(?:it|the\s+\w+)\s+say\b|\bsay\s+(?:it|that)\s+again\b|\brepeat\s+(?:it|that|the\s+(?:text|words))\b",
    re.IGNORECASE,
)
_WORD = re.compile(r"[^\W_](?:[\w'’-]*[^\W_])?")

# "does it say everything must go?", 'does the sign say "open"?'
_SAYS = re.compile(
    # not "what does the sign say now" (answered 'No: the text reads ...': it does not say "now")
    r"(?<!what\s)\b(?:does|do)\s+(?:it|this|that|they|the\s+\w+)\s+say\s+(?:that\s+)?[\"“']?(?P<phrase>[^\"”?]+?)[\"”']?\s*[?.!]*\s*$",
    re.IGNORECASE,
)
# "can I park here?", "is parking allowed?", "are dogs allowed here?": what a sign allows, answered "no" where it
# says "NO <that>" (the model answered 'The image shows "NO PARKING TOW AWAY ZONE".')
_ALLOWED = re.compile(
    r"^\W*(?:(?:and|then|so|ok|okay)[,]?\s+)?(?:(?:can|may)\s+(?:i|we|you)\s+(?P<verb>\w+)"
    r"|(?:am\s+i|are\s+we)\s+allowed\s+to\s+(?P<verb_allowed>\w+)"
    r"|(?:is|are)\s+(?P<noun>\w+)\s+(?:allowed|permitted|ok|okay)"
    # "can pets live there?" (answered with the text alone)
    r"|(?:can|may)\s+(?P<noun_can>(?!(?:i|we|you|they|it)\b)\w+)\s+(?:live|stay|come|go|be|sleep|play|park|smoke)"
    # "is it ok to bring my dog?" (the model declined it as a question about the picture)
    r"|is\s+it\s+(?:ok|okay|alright|allowed|fine)\s+to\s+(?P<verb_ok>\w+)"
    r"|(?:tell\s+me\s+|let\s+me\s+know\s+)?(?:if|whether)\s+(?:i|we)\s+(?:can|may)\s+(?P<verb_if>\w+))"
    r"(?:\s+(?:(?:my|our|a|the|your)\s+)?(?P<thing>\w+))??(?:\s+(?:here|there|now|today|in\s+there|inside|in))?"
    r"\s*[?.!]*\s*$",
    re.IGNORECASE,
)
# What a sign's "NO <word>" forbids besides its own word: "NO PETS" forbids bringing a dog
_FORBIDDEN_WITH = {
    "pets": ("dog", "cat", "puppy", "puppies", "kitten", "pet", "animal"),
    "dogs": ("dog", "puppy", "puppies"),
    "animals": ("dog", "cat", "puppy", "puppies", "kitten", "pet", "animal"),
    "smoking": ("smoke", "cigarette", "vape", "vaping"),
    "parking": ("park", "car"),
    "food": ("eat", "food", "snack", "lunch"),
    "drinks": ("drink", "coffee", "beer", "soda"),
    "photos": ("photo", "picture", "camera", "film"),
    "bikes": ("bike", "bicycle", "cycle", "ride"),
    "swimming": ("swim",),
}
_FORBIDDING = re.compile(r"^(?:no|not)$", re.IGNORECASE)
SAYS_YES = 'Yes: the text reads "{words}".'
SAYS_NO = 'No: the text reads "{words}".'
NOT_SAID = 'The sign does not say: it reads "{words}", which forbids nothing of that.'
NTH_WORD = 'The {ordinal} word is "{word}" (the text reads "{words}").'
WORD_LETTERS = 'The {ordinal} word, "{word}", has {count} letter{s} (the text reads "{words}").'
_HOW_MANY_LETTERS = re.compile(r"\bhow\s+many\s+(?:letters|characters)\b", re.IGNORECASE)
TOO_FEW_WORDS = 'The text has {count} word{s}: "{words}".'
COUNTED = 'The text has {count} {unit}: "{words}".'
LINES_COUNTED = "The text has {count} line{s}: {lines}."
LINE_READ = 'The {place} line reads "{line}".'
# "read me just the first line", "what does the last line say?", "what's on the second line?": a question, not an
# edit of a line ("blur the second line")
_LINE_ASKED = re.compile(
    r"^\W*(?:(?:and|so|ok|okay|now)[,]?\s+)?(?:(?:can|could|would)\s+you\s+)?(?:please\s+)?"
    r"(?:what(?:'s|s|\s+is|\s+does|\s+did)|read|tell\s+me|say|give\s+me|just|only)\b[^?.!]*?" + LINE.pattern,
    re.IGNORECASE,
)
LINES_UNKNOWN = (
    'The text reads "{words}" ({count} words). The reading gives the words without their line breaks, so I can\'t '
    "count the lines."
)
READ_AGAIN = 'The text reads "{words}".'
# Where a second question about the words begins: "what's the phone number and what time do they open?"
_SECOND_QUESTION = re.compile(
    r",?\s+and\s+(?=(?:what|when|where|who|how|which|is|are|does|do|can)\b)|\?\s+(?=\w)", re.IGNORECASE
)
# A question for a part of the writing: "what's the phone number?", "how much is the bread?", "what days are they open?"
_PART_QUESTION = re.compile(
    r"^\W*(?:(?:and|so|ok|okay)[,]?\s+)?(?:what(?:'s|s|\s+is|\s+are|\s+number)?|which|how\s+much|is\s+there|are\s+there"
    r"|(?:does|do)\s+(?:it|they|the\s+\w+)\s+(?:have|give|show|list)|tell\s+me|give\s+me"
    r"|(?:who|how)\s+(?:do|should|can|shall)\s+(?:i|we)\s+(?:call|ring|text|contact|reach))\b",
    re.IGNORECASE,
)
PLURAL_PARTS = frozenset({"hours", "days"})
# "what did the sign say before you blurred it?", "what did it say originally?": of a version before the edits
_BEFORE_THE_EDITS = re.compile(
    r"\bbefore\s+(?:you\s+|i\s+|we\s+|the\s+)?(?:\w+ed\b|edit|blur|crop|change)|\boriginally\b"
    r"|\b(?:in|on)\s+the\s+original\b",
    re.IGNORECASE,
)
BEFORE_THE_EDITS = "Before the edits, in {image}: {told}"
PART_READ = 'The {part} {verb} {found} (the text reads "{words}").'
NO_PART_READ = 'The text reads "{words}", with no {part} in it.'


def answer_about_words(request: str, words: str) -> str | None:
    """The answer to ``request`` when it asks for a word of ``words`` (the text a reading found) by its place, how
    many words or letters they hold, the words again, whether they say a phrase, what a short word stands for
    (agent/sign_words.py), whether the place is open on a day (agent/opening_days.py), or their language; else
    ``None``."""
    questions = _SECOND_QUESTION.split(request)
    if len(questions) > 1:  # "what's the phone number and what time do they open?" (the number went unanswered)
        answers = [answer_about_words(question, words) for question in questions]
        if all(answers):
            return " ".join(answer for answer in answers if answer)
    tokens = _WORD.findall(words)
    asked = WORD_QUESTION.search(request)
    if asked and asked.group("ordinal"):
        ordinal = asked.group("ordinal").lower()
        index = WORD_PLACES[ordinal]
        if not -len(tokens) <= index < len(tokens):
            return TOO_FEW_WORDS.format(count=len(tokens), s="" if len(tokens) == 1 else "s", words=words)
        word = tokens[index]
        if _HOW_MANY_LETTERS.search(request):  # "how many letters in the last word?" (the word alone was told)
            count = sum(char.isalpha() for char in word)
            return WORD_LETTERS.format(
                ordinal=ordinal, word=word, count=count, s="" if count == 1 else "s", words=words
            )
        return NTH_WORD.format(ordinal=ordinal, word=word, words=words)
    if asked:
        unit = asked.group("unit").lower()
        if unit == "lines":  # "how many lines of text are there?" (the model answered 11000)
            return LINES_UNKNOWN.format(words=words, count=len(tokens))
        count = len(tokens) if unit == "words" else sum(char.isalpha() for char in words)
        return COUNTED.format(count=count, unit=unit if count != 1 else unit[:-1], words=words)
    if _AGAIN.search(request):
        return READ_AGAIN.format(words=words)
    said = _SAYS.search(request)
    if said:  # every word asked about among those read
        read = set(normal_words(words).split())
        return (SAYS_YES if set(normal_words(said.group("phrase")).split()) <= read else SAYS_NO).format(words=words)
    return (
        _forbidden(request, tokens, words)
        or _offered_for(request, words)
        or _area_code(request, words)
        or meaning_answer(request, words)
        or opening_answer(request, words)
        or _part_answer(request, words)
        or beyond_reading(request, words)
        or _not_said(request, words)
    )


def answer_about_lines(request: str, placed: Sequence[PlacedWord]) -> str | None:
    """How many lines the words a reading ``placed`` fill, or the line ``request`` asks for by its place ("read me
    just the first line" had been answered with every word), when it asks that; else ``None``."""
    numbers = sorted({word.line for word in placed})
    lines = [
        " ".join(word.text for word in sorted(placed, key=lambda word: word.box[0]) if word.line == number)
        for number in numbers
    ]
    quoted = ", ".join(f'"{line}"' for line in lines)
    counted = {"count": len(lines), "s": "" if len(lines) == 1 else "s", "lines": quoted}
    asked = WORD_QUESTION.search(request)
    if asked and (asked.group("unit") or "").lower() == "lines":
        return LINES_COUNTED.format(**counted)
    wanted = _LINE_ASKED.search(request)
    if not wanted or not lines:
        return None
    chosen = part_words(request, placed)
    if not chosen:
        return LINES_COUNTED.format(**counted)
    line = " ".join(word.text for word in sorted(chosen, key=lambda word: word.box[0]))
    return LINE_READ.format(place=wanted.group(1).lower(), line=line)


def answer_about_the_place(request: str, words: str) -> str | None:
    """What the words read on a sign say of the place ``request`` asks about (whether something is allowed, whether
    it is open), which an edit of the picture since (a blur of its phone number) leaves as it was; else ``None``."""
    return (
        _forbidden(request, _WORD.findall(words), words) or opening_answer(request, words) or _not_said(request, words)
    )


def answer_before_the_edits(request: str, readings: Callable[[str], str | None], chain: Sequence[str]) -> str | None:
    """The answer to ``request`` from the words read on an older version of the image (:func:`answer_about_words`)
    when it asks about the writing before the edits ("what did the sign say before you blurred it?" had read the
    blurred copy); ``chain``: the image worked on and those it was made from, newest first; ``readings`` gives the
    words the last reading of an image found. ``None`` otherwise."""
    if not _BEFORE_THE_EDITS.search(request):
        return None
    return _told_before_the_edits(partial(answer_about_words, request), readings, chain)


def part_read_before_the_edits(request: str, readings: Callable[[str], str | None], chain: Sequence[str]) -> str | None:
    """The part of the writing ``request`` asks for ("what's the phone number?") from the words read on an older
    version of the image when the image worked on (``chain[0]``; ``chain``: it and those it was made from, newest
    first) was never read (after "read the sign then crop her face", the question read the face's crop and found no
    text), or its reading holds some of an older one's words alone (after the phone number was blurred, "whats the
    number again" was answered "The numbers are 9 5"). ``None`` otherwise."""
    newest = readings(chain[0]) if chain else None
    if not chain or (newest and not _words_taken_away(newest, [readings(image) for image in chain[1:]])):
        return None
    return _told_before_the_edits(partial(_part_answer, request), readings, chain)


def _words_taken_away(newest: str, older: Sequence[str | None]) -> bool:
    """Whether an edit took words away from an ``older`` reading: the ``newest`` holds some of its words alone."""
    kept = set(newest.split())
    return any(words and kept < set(words.split()) for words in older)


def _told_before_the_edits(
    answer: Callable[[str], str | None], readings: Callable[[str], str | None], chain: Sequence[str]
) -> str | None:
    """:data:`BEFORE_THE_EDITS` with what ``answer`` tells from the words of the older version of the image
    (``chain[1:]``) whose reading holds the most words (the newest of those): an edit only takes words away ("what's
    the number again?" after the phone number was blurred, then the sign cropped: the reading before the blur);
    ``None`` when none tells something."""
    read = [(image, words) for image in chain[1:] if (words := readings(image))]
    for image, words in sorted(read, key=lambda pair: -len(pair[1].split())):
        told = answer(words)
        if told:
            return BEFORE_THE_EDITS.format(image=image, told=told)
    return None


def _part_answer(request: str, words: str) -> str | None:
    """The phone number, price, hours... ``request`` asks for, from the words read (agent/text_parts.py), or that they
    hold none ("how much is the bread?" of "FRESH BREAD DAILY" had been answered "There is 1000 grams of bread");
    ``None`` when it asks for no such part."""
    if not _PART_QUESTION.search(request) or part_named_by_words(request):
        return None
    found, part = part_text(request, words), asked_part(request)
    if found is None or part is None:
        return None
    if not found:
        return NO_PART_READ.format(part=part, words=words)
    several_numbers = part == "number" and len(found.split()) > 1
    verb = "are" if part in PLURAL_PARTS or several_numbers else "is"
    part = "numbers" if several_numbers else part
    return PART_READ.format(part=part, verb=verb, found=found, words=words)


def _forbidden(request: str, tokens: Sequence[str], words: str) -> str | None:
    """:data:`SAYS_NO` when ``request`` asks whether something is allowed and the words read (``tokens`` of
    ``words``) say "NO" right before it ("NO PARKING" for "can I park here?", "NO PETS" for "can I bring my dog?");
    else ``None``."""
    asked = _ALLOWED.match(request)
    if asked is None:
        return None
    verb = next(word for name, word in asked.groupdict().items() if word and name != "thing").lower()
    thing = (asked.group("thing") or "").lower()
    asked_words = [stem for stem in (_stem(verb), _stem(thing)) if len(stem) >= 3]  # "can I go?": too short to find

    def forbids(word: str) -> bool:
        also = _FORBIDDEN_WITH.get(word.lower(), ())
        return any(word.lower().startswith(stem) or any(kind.startswith(stem) for kind in also) for stem in asked_words)

    told = any(_FORBIDDING.match(before) and forbids(word) for before, word in pairwise(tokens))
    return SAYS_NO.format(words=words) if told else None


# "is it for sale?" of a FOR RENT sign (the words alone had been the answer), "is it for sale or for rent?"
OFFERED_FOR = re.compile(
    r"^\W*(?:(?:and|so|ok|okay)[,]?\s+)?(?:is|are)\s+(?:it|this|that|they|these|the\s+\w+)\s+(?:up\s+)?for\s+"
    r"(?P<asked>sale|rent|lease|hire)(?P<either>\s+or\s+(?:for\s+)?(?:sale|rent|lease|hire))?\s*[?.!]*\s*$",
    re.IGNORECASE,
)
_OFFERS = re.compile(r"\bfor\s+(sale|rent|lease|hire)\b", re.IGNORECASE)
IS_FOR = 'It is for {offered}: the text reads "{words}".'
NOT_FOR = 'No: it is for {offered}, the text reads "{words}".'


def _offered_for(request: str, words: str) -> str | None:
    """Yes or no to whether the thing a sign offers is for sale, rent, lease or hire, as ``request`` asks, when the
    words read say which; else ``None``."""
    asked, offers = OFFERED_FOR.match(request), _OFFERS.search(words)
    if asked is None or offers is None:
        return None
    offered = offers.group(1).lower()
    if asked.group("either"):
        return IS_FOR.format(offered=offered, words=words)
    if asked.group("asked").lower() == offered:
        return SAYS_YES.format(words=words)
    return NOT_FOR.format(offered=offered, words=words)


_AREA_CODE = re.compile(r"\barea\s+codes?\b|\bprefix\b", re.IGNORECASE)
AREA_CODE = 'The area code is {code}: the phone number reads "{number}".'
NO_AREA_CODE = "The phone number {number} has no area code: it has {digits} digits, a local number."
LOCAL_DIGITS = 7  # a number of this many digits or fewer is dialled without an area code
AREA_DIGITS = 3  # the area code's digits, before the local number's seven


def _area_code(request: str, words: str) -> str | None:
    """The area code of the phone number the words read hold, when ``request`` asks for it, or that it has none
    (asked "whats the area code" of "CALL 555-0147", the answer had been the words alone); ``None`` when it asks for
    none or the words hold no phone number."""
    number = part_text("phone number", words) if _AREA_CODE.search(request) else None
    if not number:
        return None
    digits = re.sub(r"\D", "", number)
    if len(digits) <= LOCAL_DIGITS:
        return NO_AREA_CODE.format(number=number, digits=len(digits))
    return AREA_CODE.format(code=digits[:-LOCAL_DIGITS][-AREA_DIGITS:], number=number)


def _not_said(request: str, words: str) -> str | None:
    """:data:`NOT_SAID` when ``request`` asks whether something is allowed and the words read forbid other things
    alone (asked "is it allowed to smoke there?" of "FOR RENT ... NO PETS", the answer was the words alone); else
    ``None`` (a sign that forbids nothing may answer otherwise: its days open)."""
    forbids_some = any(_FORBIDDING.match(word) for word in _WORD.findall(words)[:-1])
    return NOT_SAID.format(words=words) if forbids_some and _ALLOWED.match(request) else None


def _stem(word: str) -> str:
    """``word`` less an ending that varies ("parking", "smoke", "dogs": "park", "smok", "dog")."""
    return re.sub(r"(?:ing|e|s)$", "", word)
