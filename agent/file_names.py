"""File names in an answer, set right where the model miscopied one the turn made.

A small model copying a generated name such as ``image/e86f_pose_cc997f65.png`` into its answer sometimes drops or
doubles a character (``cc97f65``). The answer then points at no file, and the person is told of a result they
cannot open although the tool made it. A name that exists nowhere and is at most :data:`MAX_TYPOS` edits from
exactly one file the turn made is taken to mean that file.

It also sometimes presents the wrong file as the result: "image/ad5b7430.png is the edge map you asked for", the
upload, when the edge map was ``image/e13b_edge_ad5b.png``. An answer that names one file, not the one the turn
made, is taken to mean the one it made; one that names the file the turn made and, beside it, another the request
did not name ("I found these straight lines: image/7c59_line_99af7172.png and image/c841_line_9612ae06.png", the
second an earlier photo's) names the made one alone. One that names no file and says there is none to work on ("I
don't have an image to work on yet. Please upload one first.", after Remove the background had made one) presents
the file made instead.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from generation.tool_calls import image_names

MAX_TYPOS = 2  # a dropped, doubled or swapped character or two; two outputs of one turn differ in 4+ hex digits


def edit_distance(a: str, b: str, limit: int) -> int:
    """Levenshtein distance of ``a`` and ``b``, or ``limit + 1`` once it is sure to exceed ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous = list(range(len(b) + 1))
    for i, char in enumerate(a, start=1):
        current = [i]
        for j, other in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char != other)))
        if min(current) > limit:
            return limit + 1
        previous = current
    return previous[-1]


def with_made_names(answer: str, made: Sequence[str], exists: Callable[[str], bool]) -> str:
    """``answer`` with each name that ``exists`` denies replaced by the one file of ``made`` it nearly spells."""
    for name in dict.fromkeys(image_names(answer)):
        if name in made or exists(name):
            continue
        near = [file for file in dict.fromkeys(made) if edit_distance(name, file, MAX_TYPOS) <= MAX_TYPOS]
        if len(near) == 1:
            answer = answer.replace(name, near[0])
    return answer


def with_result_named(answer: str, result: str) -> str:
    """``answer`` naming ``result`` (the one file the turn made and the model saw) where it names a single other
    file and not ``result``."""
    named = list(dict.fromkeys(image_names(answer)))
    if len(named) != 1 or named[0] == result:
        return answer
    return answer.replace(named[0], result)


# An answer that says there is no image, or asks for one, where a tool has just made one.
_DENIAL = re.compile(
    r"\b(?:don't|do\s+not|doesn't|does\s+not)\s+(?:have|see)\s+(?:an?|any|the)\s+(?:image|photo|picture)"
    r"|\bno\s+(?:image|photo|picture)\b|\bupload\b",
    re.IGNORECASE,
)
PRESENTED = "Here is the result: {result}."


# An answer that tells what the made image shows or that nothing was found, which the model cannot see: "I found no
# straight lines in the image; it found a fence." after Line Detection had drawn its map
_TELLS_CONTENT = re.compile(
    r"\b(?:found|finds|shows?|showing|contains?|there\s+(?:is|are)|no\s+\w+\s+(?:was|were)\s+(?:found|detected))\b",
    re.IGNORECASE,
)


def as_presented(answer: str, result: str, *, words_observed: bool = True) -> str:
    """``answer``, or :data:`PRESENTED` with ``result`` (the one file the turn made and the model saw) when the
    answer names no file and says there is no image to work on, or, when no step of the turn told anything in words
    (``words_observed``: a caption, an answer, a reading, boxes), tells what the picture shows or that nothing was
    found (the model cannot see the image the tool made)."""
    invented = not words_observed and _TELLS_CONTENT.search(answer)
    if image_names(answer) or not (_DENIAL.search(answer) or invented):
        return answer
    return PRESENTED.format(result=result)


def without_other_results(answer: str, result: str, request: str) -> str:
    """``answer`` without the files it lists beside ``result`` (the one file the turn made and the model saw) that
    ``request`` does not name: "A and B" / "A, B" become "A"; an answer that names them otherwise is left as it is.
    A comma left after ``result`` at the end of a sentence goes too."""
    if result not in answer:
        return answer
    kept = answer
    for name in dict.fromkeys(image_names(answer)):
        if name == result or name in request:
            continue
        listed = re.escape(name)
        kept = re.sub(rf"(?:,\s*|\s+and\s+){listed}|{listed}(?:,\s*|\s+and\s+)(?=\S*{re.escape(result)})", "", kept)
    # a list ended with a comma ("A, B,.", or "A,." as the model wrote it) reads "A."
    return re.sub(rf"(?<={re.escape(result)}),\s*(?=[.!?]|$)", "", kept)
