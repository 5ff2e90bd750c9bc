"""Words a reading tool found, copied into the answer as the tool read them.

After Text Detection On Image a small model often rewrites the words it was given: "MAIN STREET" came back as
"MAYNAMENT", "OPEN 24 HOURS" as "24 Hours", and a sign that was read as "There is no reading material". The
person asked what the sign says, so an answer that does not hold the words the tool read is set right: its first
quoted span becomes those words, or, with nothing quoted, the answer says them.
"""

from __future__ import annotations

import re

from tools.outputs import NO_TEXT_FOUND

READING_TOOLS = frozenset({"Text Detection On Image"})
_QUOTED = re.compile(r"\"[^\"\n]+\"|“[^”\n]+”")


def _normal(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.casefold()))


def with_read_text(answer: str, tool: str, observation: str) -> str:
    """``answer`` holding the words ``observation`` read when ``tool`` is a reading tool that found text (the last
    step of the turn); otherwise ``answer`` unchanged."""
    words = " ".join(observation.split())
    if tool not in READING_TOOLS or not _normal(words) or words == NO_TEXT_FOUND:
        return answer
    if _normal(words) in _normal(answer):
        return answer
    quoted = _QUOTED.search(answer)
    if quoted:
        return f'{answer[: quoted.start()]}"{words}"{answer[quoted.end() :]}'
    return f'The text reads "{words}".'
