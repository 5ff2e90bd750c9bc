"""Failure samples: a tool call that fails the way the runtime reports it, and an honest answer to it.

Without them every observation in the training data is a success, and the adapter announces results that
were never made ("The human pose is ready") after a failed call. The answers quote the error verbatim, which
is also what keeps the agent from adding its own failure note (``agent.loop``).
"""

from __future__ import annotations

import random
import re

from protocol.records import Record
from protocol.steps import FinalAnswer, ToolCall, parse_reply, parse_trajectory
from tools.failures import NO_PERSON_FOR_BACKGROUND, NO_PERSON_FOR_POSE, object_not_found, tool_failed
from tools.spec import ToolSpec

# Tools that look for a named object first (Grounding DINO) and fail when it is not in the image.
OBJECT_TOOLS = frozenset(
    {"Segment the given object", "Remove Something From The Photo", "Replace Something From The Photo"}
)
PERSON_TOOLS = {"Pose Detection On Image": NO_PERSON_FOR_POSE, "Remove the background": NO_PERSON_FOR_BACKGROUND}
# What a model-backed tool raises when the machine runs out of memory (torch's CPU and CUDA wording).
OUT_OF_MEMORY = (
    "RuntimeError: DefaultCPUAllocator: not enough memory: you tried to allocate 1073741824 bytes.",
    "OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB",
)
FAILURE_ANSWERS = {
    "en": (
        "Sorry, that did not work: {error}",
        "I could not do that: {error}",
        "The tool failed: {error}",
        "That went wrong: {error} Could you try another image or request?",
    ),
    "zh": ("抱歉，没有成功：{error}", "工具出错了：{error}"),
}


# Every failure observation this module writes, as one pattern (the messages' own functions fill the slots).
_FAILURE_RE = re.compile(
    "|".join(
        (
            *(re.escape(message) for message in PERSON_TOOLS.values()),
            re.escape(object_not_found("NAME", "IMAGE")).replace("NAME", ".+").replace("IMAGE", r"\S+"),
            re.escape(tool_failed("TOOL", "ERROR")).replace("TOOL", ".+").replace("ERROR", ".+"),
        )
    )
)


def ends_in_failure(record: Record) -> bool:
    """Whether ``record`` is a failure sample: an answer right after a call whose observation is one of the
    failures above (``pipeline.sh`` scores the adapter on these)."""
    steps = parse_trajectory(record.input)
    return (
        bool(steps)
        and isinstance(parse_reply(record.output), FinalAnswer)
        and bool(_FAILURE_RE.fullmatch(steps[-1][1] or ""))
    )


def failure_observations(spec: ToolSpec, call: ToolCall) -> list[str]:
    """The errors the runtime can report for ``call``: the tool's own failure, if it has one, or running out
    of memory (``call.tool`` is the name the prompt shows, which the runtime quotes)."""
    arguments = spec.split_arguments(call.action_input)
    if spec.name in PERSON_TOOLS:
        return [PERSON_TOOLS[spec.name]]
    if spec.name in OBJECT_TOOLS:
        return [object_not_found(arguments[1], arguments[0])]
    return [tool_failed(call.tool, error) for error in OUT_OF_MEMORY]


def failure_answer(error: str, language: str, rng: random.Random) -> str:
    """An answer that says the call failed and quotes the error."""
    frames = FAILURE_ANSWERS.get(language) or FAILURE_ANSWERS["en"]
    return rng.choice(frames).format(error=error if error.endswith(".") else error + ".")
