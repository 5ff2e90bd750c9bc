"""What a closed-set detector could not have found, said in the answer.

The offline Detection is a set of Haar cascades that find faces, cats, people and upper bodies only. Asked "what
objects are in it?" of a cup of coffee, it finds nothing, and the model answers as it was trained to: "There is no
object in image/....png", which reads as "the picture is empty". The runtime hands the person's note beside the
observation (``Observation.note``: the model reads only "No object found.", the words it was trained on), and the
answer carries it when the model left it out.
"""

from __future__ import annotations


def with_scope_note(answer: str, note: str) -> str:
    """``answer`` followed by the tool's ``note`` for the person, unless it is empty or the answer holds it."""
    if not note or note in answer:
        return answer
    return f"{answer.rstrip()} {note}"
