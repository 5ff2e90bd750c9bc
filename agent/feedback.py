"""What a person says of the last turn: "why did you do that?", "that's wrong", "are you sure?".

Asked each of these after a resize, the embedded model answered that it cannot see images and no loaded tool can
answer questions about an image. Such a message is about the conversation, which the agent knows: it is answered
from the last turn's request and calls, with what the person can do next (undo, say what they wanted).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Protocol

WHY_ANSWER = 'Because you asked "{request}": {steps}.'
WRONG_ANSWER = (
    'Sorry about that. For "{request}" {steps}. Say "undo" to go back, or tell me what you wanted, with numbers where '
    'they help ("resize it to 640x480", "crop it to 0, 0, 200, 200").'
)
DOUBT_ANSWER = (
    "For \"{request}\" {steps}, and the tool reported no error. I can't see pictures, so I can't check the result by "
    'looking: the image is shown above, and "undo" goes back if it is not what you wanted.'
)
STEPS_ANSWER = 'For "{request}" I took {count}: {steps}.'
NO_TOOL_YET = (
    "I haven't run any tool in this conversation yet, so there is nothing of mine to explain or undo; tell me what "
    "you would like done."
)
NO_TOOL_LAST = (
    'I ran no tool for "{request}", I answered: "{said}" Tell me what you would like done and I will use the tools '
    "for it."
)

ASKED_BEFORE = 'You asked: "{request}".'
NOTHING_ASKED = "You have not asked me anything else in this conversation yet."

_OPEN = r"^\W*(?:(?:no|nope|hmm+|wait|but|so|um+|uh+|huh)[,.!?]*\s+)*"
_CLOSE = r"\s*[?!.]*\s*$"
# "why did you do that?", "why?", "why did you rotate it?", "why that size?"
_WHY = re.compile(
    _OPEN + r"why(?:\s+(?:did|would)\s+you\s+(?:do\s+(?:that|this|it)|\w+\s+(?:it|that|this|them)(?:\s+\w+)?)"
    r"|\s+(?:that|this)(?:\s+\w+)?|'d\s+you\s+do\s+that)?" + _CLOSE,
    re.IGNORECASE,
)
# "that's wrong", "you got it wrong", "that's not what I asked for", "incorrect"
_WRONG = re.compile(
    _OPEN
    + r"(?:that(?:'s|\s+is|\s+was)\s+(?:(?:all\s+)?wrong|not\s+(?:right|correct|it|what\s+i\s+(?:asked|wanted|meant)"
    r"(?:\s+for)?))|(?:you\s+)?(?:got\s+it|did\s+(?:it|that))\s+wrong|wrong(?:\s+(?:one|image|picture))?|incorrect"
    r"|not\s+what\s+i\s+(?:asked|wanted|meant)(?:\s+for)?|that\s+didn'?t\s+work)" + _CLOSE,
    re.IGNORECASE,
)
# "are you sure?", "is that right?", "did it work?", "how sure are you?"
_DOUBT = re.compile(
    _OPEN + r"(?:are\s+you\s+sure|really|is\s+(?:that|it)\s+(?:right|correct)|did\s+(?:it|that)\s+(?:really\s+)?work"
    r"|did\s+you\s+(?:really\s+)?do\s+it"
    # "how sure are you?" after a detection (the model: "I could not answer that")
    r"|how\s+(?:sure|confident|certain)\s+are\s+you(?:\s+(?:about|of)\s+(?:that|it|this))?"
    r"|how\s+(?:accurate|reliable)\s+is\s+(?:that|it|this))" + _CLOSE,
    re.IGNORECASE,
)
# "how many steps did you take?" (the model: "I used 1 step." after two calls)
_HOW_MANY_STEPS = re.compile(
    _OPEN + r"how\s+many\s+(?:steps|tools|calls|actions|tool\s+calls)\s+(?:did|have)\s+you\s+"
    r"(?:take|taken|use|used|run|ran|make|made|do|done|call|called)(?:\s+(?:for\s+)?(?:that|this|it))?" + _CLOSE,
    re.IGNORECASE,
)
_ANSWERS = ((_WHY, WHY_ANSWER), (_WRONG, WRONG_ANSWER), (_DOUBT, DOUBT_ANSWER), (_HOW_MANY_STEPS, STEPS_ANSWER))


class Step(Protocol):
    """What this rule reads of a step the last turn took (agent.loop.TraceStep)."""

    action: str
    action_input: str
    ok: bool
    observation: str
    files: tuple[str, ...]


def asks_about_the_last_turn(request: str) -> bool:
    """Whether ``request`` only asks why, says it is wrong or doubts the last turn."""
    return any(pattern.match(request) for pattern, _ in _ANSWERS)


def steps_told(steps: Sequence[Step], made: Sequence[str]) -> str:
    """The ``steps`` as "I ran Tool on input (it made image/...)", or "..., which failed: why", joined; ``made``: the
    images tools made."""
    told = []
    for step in steps:
        results = [name for name in step.files if name in made]
        if not step.ok:
            result = f", which failed: {step.observation.strip().rstrip('.')}"
        else:
            result = f" (it made {', '.join(results)})" if results else ""
        told.append(f"{step.action} on {step.action_input}{result}")
    return "I ran " + ", then ".join(told)


def feedback_answer(
    request: str, *, last_request: str, steps: Sequence[Step], made: Sequence[str], said: str
) -> str | None:
    """The answer to ``request`` when it only asks why, says it is wrong or doubts the last turn; else ``None``.
    ``last_request``, ``steps`` and ``said``: the request of the last turn (``""``: none yet), its calls, failed ones
    too, and its answer; ``made``: the images tools made."""
    answer = next((answer for pattern, answer in _ANSWERS if pattern.match(request)), None)
    if answer is None:
        return None
    if not last_request:
        return NO_TOOL_YET
    if not steps:
        return NO_TOOL_LAST.format(request=last_request, said=said)
    count = f"{len(steps)} step{'s' if len(steps) > 1 else ''}"
    return answer.format(request=last_request, steps=steps_told(steps, made), count=count)


# "what did I ask you before?", "what was my last question?", "what did I say first?" (the model answered 'You asked
# me, "What would you like to do?"')
_ASKED = re.compile(
    _OPEN + r"(?:what\s+(?:did|was\s+it)\s+i\s+(?:just\s+)?(?:ask|say|request|want|tell\s+you)(?:\s+(?:you|for))?"
    r"(?:\s+(?P<when>before|earlier|last|just\s+now|a\s+moment\s+ago|first|at\s+first))?"
    r"|what\s+(?:was|is)\s+my\s+(?P<which>last|previous|first)\s+(?:question|request|message)"
    # "what was the first thing I asked?" (answered 'The tool called "Detection" found "face"')
    r"|what\s+(?:was|is)\s+the\s+(?P<thing>last|previous|first)\s+thing\s+i\s+(?:asked(?:\s+(?:you|for))?|said|wanted))"
    + _CLOSE,
    re.IGNORECASE,
)


def asked_before_answer(request: str, said: Sequence[str]) -> str | None:
    """The answer to ``request`` when it asks what the person asked before: :data:`ASKED_BEFORE` with the first or
    the last of the requests ``said`` before it (oldest first), :data:`NOTHING_ASKED` when there is none; else
    ``None``."""
    asked = _ASKED.match(request)
    if not asked:
        return None
    if not said:
        return NOTHING_ASKED
    first = "first" in (asked.group("when") or asked.group("which") or asked.group("thing") or "").lower()
    return ASKED_BEFORE.format(request=said[0] if first else said[-1])
