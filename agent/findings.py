"""An answer held to what the turn's last search found: the words a reading tool read, what a detector found and
could have found, the count asked for. Shared by the ReAct loop's answers and plan mode's summary line."""

from __future__ import annotations

from collections.abc import Sequence

from agent.detector_scope import as_empty_result, named_empty_search, with_count, with_found_labels, with_scope_note
from agent.read_text import READING_TOOLS, with_read_text
from agent.request_parts import request_parts
from agent.word_questions import answer_about_lines, answer_about_words
from tools.outputs import NO_TEXT_FOUND, PlacedWord

ANSWERED_ON = '{tool} on {image}: "{said}".'
READ_ON = '{image} reads "{said}".'
NOTHING_READ = "I found no text in {image}."


def held_to_findings(
    answer: str,
    request: str,
    tool: str,
    observation: str,
    note: str = "",
    *,
    image: str = "",
    placed: Sequence[PlacedWord] = (),
) -> str:
    """``answer`` to ``request`` after ``tool`` answered ``observation`` on ``image`` (and the tool's ``note`` for the
    person), corrected where it misquotes the reading, hides an empty search or calls it an empty picture, renames a
    found box, miscounts, or leaves out what the detector can find (agent/read_text.py, agent/detector_scope.py); a
    question of the words read answered from them, or of their lines from the words the reading ``placed``
    (agent/word_questions.py)."""
    answer = with_read_text(answer, tool, observation, request)
    words = " ".join(observation.split())
    read = tool in READING_TOOLS and words != NO_TEXT_FOUND
    # the request, or one of its parts ("read the sign and tell me if I can park here")
    asked = [request, *request_parts(request)] if read else []
    lines = answer_about_lines(request, placed) if read and placed else None
    told = lines or next(filter(None, (answer_about_words(part, words) for part in asked)), None)
    answer = told or answer  # "how many words are on this page?": counted from the words read
    answer = named_empty_search(as_empty_result(answer, observation), request, observation, image)
    answer = with_found_labels(answer, observation)
    answer = with_count(answer, request, tool, observation)
    return with_scope_note(answer, note)


def told_on(tool: str, image: str, said: str) -> str:
    """What ``tool`` found on ``image`` (``said``), as a line of an answer that tells several findings:
    :data:`READ_ON` for a reading, else :data:`ANSWERED_ON`."""
    if tool in READING_TOOLS and said.rstrip(".") == NO_TEXT_FOUND.rstrip("."):  # not 'reads "No text found"'
        return NOTHING_READ.format(image=image)
    return (READ_ON if tool in READING_TOOLS else ANSWERED_ON).format(tool=tool, image=image, said=said)
