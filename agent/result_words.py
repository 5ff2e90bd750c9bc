"""A made map called by the name of the tool that made it; an answer that declines.

A small model names a result by the words of the conversation rather than by what ran: after several turns of
"the straight lines", a sketch came back as "The straight lines is ready: image/4108_scribble_886eb541.png" and a
HED map as "The straight lines is image/994a_hed_299c.png". The person is told of a map they did not get. An answer
that names the map the turn made, and names it only by another map tool's words (``ToolSpec.makes_map``), gets
that tool's name for it instead.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from agent.meant_call import says
from generation.tool_calls import image_names
from tools.spec import ToolSpec


def with_result_noun(answer: str, made: str, maker: ToolSpec, tools: Iterable[ToolSpec]) -> str:
    """``answer`` with another map's name replaced by ``maker``'s, when it names ``made`` (the map ``maker`` made
    this turn) and calls it only by the words of other map tools."""
    if not maker.makes_map or made not in image_names(answer) or _names(answer, maker.makes_map):
        return answer
    others = [word for spec in tools if spec.name != maker.name for word in spec.makes_map]
    wrong = _names(answer, others)
    if not wrong:
        return answer
    pattern = "|".join(re.escape(word) for word in sorted(wrong, key=len, reverse=True))
    name = maker.makes_map[0]
    return re.sub(
        rf"(?:\b(these|those)\s+)?(?<!\w)(?:{pattern})(?!\w)(\s+are\b)?",
        lambda match: _singular(match, name),
        answer,
        flags=re.IGNORECASE,
    )


# A plural name ("these straight lines are ready") replaced by the maker's first name (always singular: "edge
# map", "sketch") takes a singular determiner and verb.
_SINGULAR = {"these": "this", "those": "that"}


def _singular(match: re.Match[str], name: str) -> str:
    """The matched name as ``name``, its "these / those" and "are" made singular."""
    determiner, verb = match.group(1), match.group(2)
    before = f"{_same_case(_SINGULAR[determiner.lower()], determiner)} " if determiner else ""
    after = " is" if verb else ""
    return f"{before}{name}{after}"


def _same_case(word: str, like: str) -> str:
    return word.capitalize() if like[:1].isupper() else word


def _names(answer: str, words: Iterable[str]) -> list[str]:
    """The ``words`` that ``answer`` holds as whole words, in any case (file names aside)."""
    text = answer
    for name in image_names(answer):  # a file name's own words ("_line_") are not a name for the map
        text = text.replace(name, " ")
    return [word for word in words if says(text, word)]


# An answer that declines ("I cannot see images myself ... so I can't do that")
_DECLINING = re.compile(r"\b(?:can't|cannot|couldn't|could\s+not|unable|not\s+loaded)\b", re.IGNORECASE)


def declines(answer: str) -> bool:
    """Whether ``answer`` says it cannot do what was asked."""
    return bool(_DECLINING.search(answer))


# An answer that says there is no image to work on ("I don't have an image to work on yet. Please upload one first.")
_NO_IMAGE = re.compile(
    r"\b(?:don't|do\s+not)\s+have\s+(?:an?\s+|any\s+)?(?:image|photo|picture)\b|\bno\s+(?:image|photo|picture)\s+"
    r"(?:yet|to\s+work|uploaded)\b|\bupload\s+(?:one|it|(?:an?|the)\s+(?:image|photo|picture))(?:\s+first)?\b"
    r"|\bneed\s+an?\s+(?:image|photo|picture)\s+for\s+that\b",
    re.IGNORECASE,
)


def says_there_is_no_image(answer: str) -> bool:
    """Whether ``answer`` says there is no image to work on, or asks for one to be uploaded."""
    return bool(_NO_IMAGE.search(answer))


# The inputs line of the prompt's tool listing ("Input: image/x.png,"), repeated as if it were an answer
_LISTING_INPUT = re.compile(r"\bInputs?:\s", re.IGNORECASE)
LISTING_ECHO = 24  # characters of a tool's description that, after a tool's name and a colon, are a listing line


def repeats_an_earlier_answer(answer: str, earlier: Iterable[str], found: Sequence[str]) -> bool:
    """Whether ``answer``, given after this turn's tools found ``found`` (their observations), is one of the
    conversation's ``earlier`` answers word for word and holds none of what they found: the model copied it from the
    prompt instead of answering, from the last turn or from several turns back (the same reading asked for twice is
    answered the same, rightly)."""
    said = " ".join(answer.lower().split())
    if not said or all(said != " ".join(text.lower().split()) for text in earlier):
        return False
    return not any(" ".join(text.lower().split()) in said for text in found if text.strip())


def repeats_the_listing(answer: str, tools: Iterable[ToolSpec]) -> bool:
    """Whether ``answer`` reads the prompt's tool listing back instead of answering: its inputs line, or a line of it
    (a tool's name, a colon, a description). Asked "which one has more edges?", the model answered 'Detection: Finds
    the edges in an image and returns an edge map (Canny). Input: image/....png, What would you like me to do with
    it?'. A description alone is an answer ("what is edge detection?": "It finds the edges in an image ...")."""
    said = " ".join(answer.lower().split())
    names = [spec.name.lower() for spec in tools]
    described = [
        spec.description.strip().lower()[:LISTING_ECHO]
        for spec in tools
        if len(spec.description.strip()) >= LISTING_ECHO
    ]
    listed = any(f"{name}: {start}" in said for name in names for start in described)
    return listed or bool(_LISTING_INPUT.search(answer))


# A map named by a plural ("the straight lines", "the edges") with the verb of a singular, as the training data's
# answers have it: "image/....png is the straight lines you asked for", "The straight lines is ready: ..."
_PLURAL_MAPS = r"straight\s+lines|lines|edges|outlines|soft\s+edges|soft\s+boundaries|segments"
_IS_THE_PLURAL = re.compile(rf"\bis\s+the\s+({_PLURAL_MAPS})\b", re.IGNORECASE)
_THE_PLURAL_IS = re.compile(rf"\b([Tt]he\s+(?:{_PLURAL_MAPS}))\s+is\b")


def with_plural_agreement(answer: str) -> str:
    """``answer`` with a map named by a plural given a plural's verb: "image/....png shows the straight lines you
    asked for", "The straight lines are ready: ..."."""
    return _THE_PLURAL_IS.sub(r"\1 are", _IS_THE_PLURAL.sub(r"shows the \1", answer))
