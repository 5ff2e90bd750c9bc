"""A blur asked for on a person and on the writing at once ("blur her face in the first image and the phone number
in the second", "blur the face and the sign"), on two parts of the writing ("blur the phone number and the
email"), or on two places ("blur the top half and the bottom half": a box was asked for).

A face is placed by the detector and the writing by the reading tool, each turn with its own shape
(agent/pending_edit.py, agent/text_region.py). Asked for both in one request, the writing edit stepped aside for the
person (a request that names people is the detector's), the face was blurred and the phone number was dropped without
a word; the reading's box is of one part of the writing, so a second part was dropped too. Such a request runs as
two requests, one after the other, each with the verb ("blur her face in the first image", "blur the phone number in
the second image"); on the same image the second blurs the first's result.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from agent.pending_edit import BLURRER, names_people
from agent.privacy import Step
from agent.request_parts import OPENING, TOOL_VERBS
from agent.stated_numbers import named_region
from agent.text_parts import asked_part
from agent.text_region import WRITING

# "blur X and Y", "blur X, and Y": the second thing named from a determiner on, so "blur the face and then read the
# sign" is no such request (the reading is another tool's)
_BLUR_OF_TWO = re.compile(
    OPENING + r"(?P<verb>blur|pixelate|obscure|censor|anonymi[sz]e|hide)\s+(?P<first>.+?)"
    r"(?:\s*,\s*(?:and\s+)?|\s+and\s+)(?:also\s+)?(?P<second>(?:the|her|his|their|its|that|this)\b.+?)"
    r"(?:\s+please)?[\s.!?]*$",
    re.IGNORECASE,
)
_OTHER_VERB = re.compile(rf"\b(?:{TOOL_VERBS}|then)\b", re.IGNORECASE)
# "... and the phone number in the second": the image by its place in the row, its noun said once
_BARE_PLACE = re.compile(r"\b(?:in|on|of)\s+the\s+(?:first|second|third|fourth|last|other|next|previous)\s*$")
_PLACED_NOUN = re.compile(
    r"\b(?:first|second|third|fourth|last|other|next|previous)\s+(image|photo|picture|pic|upload|one)\b",
    re.IGNORECASE,
)


def blurs_one_by_one(request: str) -> list[str] | None:
    """``request`` as two blur requests to run one after the other when it asks to blur a person and a piece of
    writing ("blur her face and the phone number") or two parts of the writing, else ``None``."""
    match = _BLUR_OF_TWO.match(request)
    if not match:
        return None
    verb, first, second = match.group("verb"), match.group("first"), match.group("second")
    verb = "blur" if verb.lower() == "hide" else verb  # "hide the number": a blur, as the box tools read it
    if _OTHER_VERB.search(first) or _OTHER_VERB.search(second):
        return None
    kinds = {_kind(first), _kind(second)}
    if None in kinds or kinds == {"person"}:  # two the detector finds: one search finds both
        return None
    if len(kinds) == 1:  # two parts of the writing, or two places, each its own
        parts = (asked_part(first), asked_part(second)) if kinds == {"writing"} else (first, second)
        if None in parts or _places_the_same(*parts):
            return None
    return [f"{verb} {_with_place_noun(first, second)}", f"{verb} {_with_place_noun(second, first)}"]


def _kind(thing: str) -> str | None:
    """Whether ``thing`` names a person (the detector's), writing (the reading's) or a place in the picture ("the top
    half"), or ``None`` for none or several."""
    person, writing = names_people(thing), bool(WRITING.search(thing) or asked_part(thing))
    place = named_region(thing, *_ANY_SIZE) is not None
    kinds = [kind for kind, named in (("person", person), ("writing", writing), ("place", place)) if named]
    return kinds[0] if len(kinds) == 1 else None


_ANY_SIZE = (120, 120)  # a size to tell places apart by their boxes


def _places_the_same(first: str, second: str) -> bool:
    """Whether two things of one kind are the same: the same words, or the same place ("the top half", "the upper
    half")."""
    boxes = named_region(first, *_ANY_SIZE), named_region(second, *_ANY_SIZE)
    return first.lower() == second.lower() or (None not in boxes and boxes[0] == boxes[1])


def _with_place_noun(thing: str, other: str) -> str:
    """``thing`` with the noun ``other`` gives its image's place ("in the second" -> "in the second image")."""
    noun = _PLACED_NOUN.search(other)
    return f"{thing} {noun.group(1)}" if noun and _BARE_PLACE.search(thing) else thing


BLURRED_ONE_BY_ONE = "I blurred {earlier}, then {last}: {image}."


def blurs_answer(parts: Sequence[str]) -> Callable[[Sequence[Step]], str]:
    """The answer to the blurs ``parts`` (:func:`blurs_one_by_one`: "blur her face", "blur the phone number") from
    their steps, each thing with its image (each part had answered "The blurred image is ready: ..."), or ``""`` when
    one of them did not blur (each part's answer then says why)."""
    things = [part.split(maxsplit=1)[1] for part in parts]

    def told(steps: Sequence[Step]) -> str:
        blurs = [step for step in steps if step.action == BLURRER and step.ok and step.files]
        if len(blurs) != len(things):
            return ""
        earlier = ", then ".join(f"{thing} ({step.files[-1]})" for thing, step in zip(things, blurs[:-1], strict=False))
        return BLURRED_ONE_BY_ONE.format(earlier=earlier, last=things[-1], image=blurs[-1].files[-1])

    return told


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")


def joined_answers(answers: Sequence[str]) -> str:
    """The answers of a turn's parts, each on its line, with the sentences that end all of them said once, at the
    end: "blur her face and the phone number" on a photo with neither had told how to give a box twice."""
    sentences = [_SENTENCE_END.split(answer.strip()) for answer in answers]
    shared = 0
    while (
        all(len(said) > shared + 1 for said in sentences)
        and len({tuple(said[-shared - 1 :]) for said in sentences}) == 1
    ):
        shared += 1
    if len(answers) < 2 or not shared:
        return "\n".join(answer.strip() for answer in answers)
    lines = [" ".join(said[:-shared]) for said in sentences]
    return "\n".join([*lines, " ".join(sentences[0][-shared:])])
