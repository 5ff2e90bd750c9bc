""" "Rotate it the other way": the last rotation's photo, turned by the opposite angle.

Asked "rotate it 90 degrees clockwise" and then "no, rotate it the other way", a person wants the photo the rotation
started from turned the opposite way; the small model rotated the rotated image by -1. The agent records the call
that made each image (``ChatSession.made_by``), so when the image "it" means is a rotation's result, a rotation asked
for "the other way" runs on that rotation's source with the opposite angle; an answer before any rotation ran ("Done!
I saved the rotated image as ..." naming the last turn's result) gives way to that rotation. "45 more" / "another 30
degrees" after a rotation turns the result further the same way (asked "now 45 more" after "rotate it 45 degrees
clockwise", the model turned it back by +45). A rotation whose angle the request did not state ("rotate it a bit",
"a bit more") is answered with the angle it turned by, and "how much did you rotate it?" with the angle the
rotations since the upload turned it (it had been answered with every step since the upload).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import replace

from agent.pending_edit import Step
from agent.request_parts import OPENING
from agent.several_edits import ROTATOR
from agent.stated_numbers import stated_numbers
from agent.undo import made_call
from protocol.steps import ToolCall

_OTHER_WAY = re.compile(
    r"\b(?:the\s+other\s+way|the\s+opposite\s+(?:way|direction)|the\s+other\s+direction)\b", re.IGNORECASE
)


def the_other_way(call: ToolCall, request: str, latest: str | None, made_by: Mapping[str, str]) -> ToolCall:
    """``call``, a rotation, on the image the rotation that made ``latest`` started from, by its opposite angle, when
    ``request`` asks to rotate "the other way" (``made_by``: each made image's call, ``Tool: input``); else ``call``."""
    if call.tool != ROTATOR or latest is None or not _OTHER_WAY.search(request):
        return call
    made = made_call(made_by, latest)
    source = made.action_input.rpartition(",")[0].strip()
    angle = _angle(made.action_input)
    if made.tool != ROTATOR or not source or angle is None:
        return call
    opposite = -angle
    written = str(int(opposite)) if opposite.is_integer() else str(opposite)
    return replace(call, action_input=f"{source.strip()}, {written}")


# "now 45 more", "another 30 degrees", "rotate it 10 more degrees": further, the way the last rotation turned
_FURTHER = re.compile(
    OPENING + r"(?:(?:rotate|turn)\s+(?:it\s+)?(?:by\s+)?)?"
    r"(?:(?:another|an\s+extra)\s+(?P<another>\d+(?:\.\d+)?)|(?P<more>\d+(?:\.\d+)?)(?:\s*(?:degrees?|°))?\s+more"
    # "a bit more" after "rotate it 10 degrees clockwise" (the model turned it back 10 degrees counter-clockwise)
    r"|(?P<bit>(?:just\s+)?(?:a\s+(?:bit|little|tad)|slightly|a\s+little\s+bit)\s+more|more))"
    r"(?:\s*(?:degrees?|°))?(?:\s+please)?\s*[.!?]*\s*$",
    re.IGNORECASE,
)


def further_the_same_way(call: ToolCall, request: str, latest: str | None, made_by: Mapping[str, str]) -> ToolCall:
    """``call``, a rotation, on ``latest`` by the angle ``request`` asks for more ("45 more"; half the last angle for
    "a bit more"), turned the way the rotation that made ``latest`` turned; else ``call``."""
    further = _FURTHER.match(request)
    made = made_call(made_by, latest)
    last = _angle(made.action_input)
    if call.tool != ROTATOR or latest is None or further is None or made.tool != ROTATOR or last is None:
        return call
    clockwise = last < 0
    angle = further.group("another") or further.group("more") or f"{abs(last) / 2:g}"
    return replace(call, action_input=f"{latest}, {'-' if clockwise else ''}{angle}")


def other_way_not_run(
    request: str, called: Sequence[str], latest: str | None, made_by: Mapping[str, str]
) -> str | None:
    """:data:`ROTATOR` when ``request`` asks to rotate "the other way" or further ("more": the model answered that no
    tool adds more images), ``latest`` was made by a rotation and none of the turn's ``called`` tools is one (the
    model answered with the last turn's result instead); else ``None``."""
    if ROTATOR in called or latest is None or not (_OTHER_WAY.search(request) or _FURTHER.match(request)):
        return None
    return ROTATOR if made_call(made_by, latest).tool == ROTATOR else None


TURNED_BY = "It is turned {angle} degrees{direction}."
_SAYS_ANGLE = re.compile(r"\bdegrees?\b|°", re.IGNORECASE)


def with_angle_told(answer: str, request: str, steps: Sequence[Step]) -> str:
    """``answer`` with the angle the turn's one rotation turned by and its direction when ``request`` states no angle
    and the answer none ("rotate it a bit more" before any rotation turned 15 degrees; the answer said "the rotated
    image you asked for"); else ``answer``."""
    rotations = [step for step in steps if step.ok and step.action == ROTATOR]
    if len(rotations) != 1 or stated_numbers(request) or _SAYS_ANGLE.search(answer):
        return answer
    angle = _angle(rotations[0].action_input)
    if angle is None:
        return answer
    return f"{answer.rstrip()} {TURNED_BY.format(angle=f'{abs(angle):g}', direction=_direction(angle))}"


def _direction(angle: float) -> str:
    """The way ``angle`` (counter-clockwise when positive) turns, as said after "N degrees"; none for half turns."""
    return "" if abs(angle) % 180 == 0 else " clockwise" if angle < 0 else " counter-clockwise"


# "how much did you rotate it?", "by how many degrees did you turn it?", "what angle did you rotate it by?"
_HOW_MUCH_TURNED = re.compile(
    r"\b(?:how\s+(?:much|many\s+degrees|far)|by\s+how\s+(?:much|many\s+degrees)|what\s+angle)\s+"
    r"(?:did|have|was|is|has)\s+(?:you\s+|it\s+|this\s+|that\s+|the\s+\w+\s+)?(?:been\s+)?(?:rotat|turn|spun|spin)\w*\b"
    # "how many degrees is slightly?" after "rotate it slightly to the left" (it was rotated again)
    r"|^\W*how\s+(?:much|many\s+degrees)\s+(?:is|was)\s+(?:slightly|a\s+(?:bit|little)|a\s+touch|somewhat)\s*[?.!]*\s*$",
    re.IGNORECASE,
)
ROTATED_BY = "{image} is {source} turned {angle} degrees{direction}{steps}."
TURNED_BACK = "{image} is {source} turned back the way it was{steps}."
NOT_ROTATED = "{image} is not rotated: none of the steps that made it from {source} turned it."


# "is it back to normal?" after four quarter turns (the model resized the picture to 900 x 1000)
_BACK_TO_NORMAL = re.compile(
    r"^\W*(?:so\s+|and\s+|now\s+)?is\s+it\s+(?:now\s+)?(?:back\s+(?:to\s+(?:normal|the\s+way\s+it\s+was|how\s+it\s+was"
    r"|the\s+original|the\s+start)|the\s+right\s+way(?:\s+up)?)|upright|the\s+right\s+way\s+up|straight)"
    r"(?:\s+(?:again|now))?\s*[?.!]*\s*$",
    re.IGNORECASE,
)


def rotation_answer(request: str, latest: str | None, made_by: Mapping[str, str]) -> str | None:
    """How far the rotations that made ``latest`` from its upload turned it, when ``request`` asks how much it was
    rotated, or whether it is back the way it was (yes or no first; only when rotations alone made it) (``made_by``:
    each made image's call, ``Tool: input``); else ``None``."""
    back = bool(_BACK_TO_NORMAL.match(request))
    if latest is None or latest not in made_by or not (back or _HOW_MUCH_TURNED.search(request)):
        return None
    angles: list[float] = []
    image, other_edits = latest, False
    while image in made_by:
        made = made_call(made_by, image)
        angle = _angle(made.action_input) if made.tool == ROTATOR else None
        if angle is not None:
            angles.insert(0, angle)
        other_edits = other_edits or angle is None
        image = made.action_input.split(",", 1)[0].strip()
    if back and (other_edits or not angles):  # another edit since: not the rotations' to say
        return None
    if not angles:
        return NOT_ROTATED.format(image=latest, source=image)
    total = sum(angles) % 360
    total = total - 360 if total > 180 else total  # 300 counter-clockwise is 60 clockwise
    steps = f" ({', then '.join(f'{abs(angle):g}{_direction(angle)}' for angle in angles)})" if len(angles) > 1 else ""
    told = (
        TURNED_BACK.format(image=latest, source=image, steps=steps)
        if total == 0
        else ROTATED_BY.format(
            image=latest, source=image, angle=f"{abs(total):g}", direction=_direction(total), steps=steps
        )
    )
    return f"{'Yes' if total == 0 else 'No'}: {told}" if back else told


def _angle(rotation_input: str) -> float | None:
    """The angle a rotation's input ends with ("image/a.png, -90": -90.0), or ``None`` when it ends with none."""
    try:
        return float(rotation_input.rpartition(",")[2])
    except ValueError:
        return None
