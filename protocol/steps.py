"""Structured steps of the protocol and the tolerant parser that reads them out of model text.

The protocol (DESIGN.md)::

    Thought: Do I need to use a tool? Yes
    Action: <exact tool name>
    Action Input: <arguments, comma separated>
    Observation: <tool result>
    ...
    Thought: Do I need to use a tool? No
    AI: <answer to the human>

The parser never raises: text that does not follow the protocol becomes a :class:`ParseError`
whose message says what was wrong, so the agent can hand it back to the model as an observation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

THOUGHT = "Thought:"
ACTION = "Action:"
ACTION_INPUT = "Action Input:"
OBSERVATION = "Observation:"
AI = "AI:"
THOUGHT_QUESTION = "Do I need to use a tool?"  # every step's thought asks it, then answers Yes or No
THOUGHT_YES = f"{THOUGHT_QUESTION} Yes"
THOUGHT_NO = f"{THOUGHT_QUESTION} No"

_LINE_START = r"(?:^|\n)[ \t]*"
_THOUGHT_RE = re.compile(_LINE_START + r"Thought:[ \t]*([^\n]*)")
_ACTION_RE = re.compile(_LINE_START + r"Action:[ \t]*([^\n]*)")
_ACTION_INPUT_RE = re.compile(_LINE_START + r"Action Input:[ \t]*([^\n]*)")
_AI_RE = re.compile(_LINE_START + r"AI:[ \t]*(.*)", re.DOTALL)
_OBSERVATION_RE = re.compile(_LINE_START + r"Observation:")
_STEP_START_RE = re.compile(r"\n(?=[ \t]*Thought:)")
_DECISION_RE = re.compile(r"\b(yes|no)\b", re.IGNORECASE)
# A phrase written three times or more running; phrases of up to 120 characters keep the search linear in practice
_LOOP_RE = re.compile(r"(.{8,120}?)\1{2,}", re.DOTALL)


def split_arguments(action_input: str) -> tuple[str, ...]:
    """Split an Action Input on commas, stripping each part (the evaluator's view of arguments)."""
    return tuple(part.strip() for part in action_input.split(","))


def thought_decision(thought: str) -> bool | None:
    """``True`` when the thought says a tool is needed, ``False`` when not, ``None`` if it says neither."""
    decisions = _DECISION_RE.findall(thought)
    return decisions[-1].lower() == "yes" if decisions else None


@dataclass(frozen=True)
class ToolCall:
    """The model asks the runtime to run ``tool`` on ``action_input``."""

    thought: str
    tool: str
    action_input: str

    @property
    def arguments(self) -> tuple[str, ...]:
        return split_arguments(self.action_input)

    def render(self) -> str:
        """The step as the model writes it, ending with the stop marker ``Observation:``."""
        return f"{THOUGHT} {self.thought}\n{ACTION} {self.tool}\n{ACTION_INPUT} {self.action_input}\n{OBSERVATION}"


@dataclass(frozen=True)
class FinalAnswer:
    """The model answers the human (no further tool use)."""

    thought: str
    answer: str

    def render(self) -> str:
        return f"{THOUGHT} {self.thought}\n{AI} {self.answer}"


@dataclass(frozen=True)
class ParseError:
    """The reply did not follow the protocol; ``message`` says what was wrong."""

    message: str
    text: str


Step = ToolCall | FinalAnswer | ParseError


@dataclass(frozen=True)
class ObservedStep:
    """A tool call with the observation the runtime gave back (one scratchpad entry)."""

    call: ToolCall
    observation: str

    def render(self) -> str:
        return f"{self.call.render()} {self.observation}\n"


def without_protocol(text: str) -> str:
    """``text`` shown to a person without the protocol's markers: what follows the last ``AI:`` of a text that
    holds a ``Thought:`` or ``AI:`` line ("Thought: Do I need to use a tool? No\nAI: Done!" is "Done!")."""
    if not (_THOUGHT_RE.search(text) or _AI_RE.search(text)):
        return text
    answers = list(re.finditer(_LINE_START + r"AI:[ \t]*", text))
    return text[answers[-1].end() :].strip() if answers else text


def without_loop(text: str) -> str:
    """``text`` up to where it starts repeating itself, or its first copy when it opens with the repetition: a small
    model that loses its place writes 'The text reads "..."The text reads "The text reads "' to its token limit."""
    loop = _LOOP_RE.search(text)
    if loop is None or not re.search(r"[^\W\d_]", loop.group(1)):
        return text
    start, period = loop.start(), len(loop.group(1))
    # the repeated phrase may be met mid-way ('"The text reads ' after a closing quote): cut where a word starts
    cut = next(
        (at for at in range(start, start + period) if text[at].isalpha() and (at == 0 or not text[at - 1].isalnum())),
        start,
    )
    return text[:cut].rstrip() or text[cut : cut + period].strip()


def parse_reply(text: str) -> Step:
    """Parse one model reply (everything up to the first ``Observation:``) into a step."""
    if not isinstance(text, str):
        return ParseError(f"expected text, got {type(text).__name__}", repr(text))
    observation = _OBSERVATION_RE.search(text)
    body = text[: observation.start()] if observation else text
    thought_match = _THOUGHT_RE.search(body)
    thought = thought_match.group(1).strip() if thought_match else ""
    action = _ACTION_RE.search(body)
    answer = _AI_RE.search(body)
    if action and (answer is None or action.start() < answer.start()):
        tool = action.group(1).strip()
        action_input = _ACTION_INPUT_RE.search(body, action.end())
        if not tool:
            return ParseError("'Action:' is empty; write the exact name of one tool after it", text)
        if action_input is None:
            return ParseError(
                f"found 'Action: {tool}' but no 'Action Input:' line; put the tool's arguments on a line "
                "starting with 'Action Input:'",
                text,
            )
        return ToolCall(thought, tool, action_input.group(1).strip())
    if answer:
        reply = answer.group(1).strip()
        if not reply:
            return ParseError("'AI:' is followed by nothing; write the answer to the human after it", text)
        return FinalAnswer(thought, reply)
    if not text.strip():
        return ParseError("the reply is empty; start with 'Thought: Do I need to use a tool? Yes' or '... No'", text)
    return ParseError(
        "the reply has neither 'Action:' with 'Action Input:' nor 'AI:'; to use a tool write "
        f"'{THOUGHT} {THOUGHT_YES}' then 'Action:' and 'Action Input:' lines, otherwise write "
        f"'{THOUGHT} {THOUGHT_NO}' then 'AI:' and your answer",
        text,
    )


def written_action(text: str) -> str | None:
    """The tool a reply still being written names on a finished ``Action:`` line (``None`` before there is one),
    so a caller can act on the choice of tool before the arguments are written."""
    action = _ACTION_RE.search(text)
    if action is None or not text.startswith("\n", action.end()):
        return None
    answer = _AI_RE.search(text)
    if answer is not None and answer.start() < action.start():
        return None
    return action.group(1).strip() or None


def parse_trajectory(text: str) -> list[tuple[Step, str | None]]:
    """Parse a multi-step text (scratchpad plus reply) into ``(step, observation)`` pairs.

    The observation is the text after a step's ``Observation:`` marker, or ``None`` when the step
    has none (a final answer, or a tool call the runtime has not answered yet).
    """
    if not isinstance(text, str) or not text.strip():
        return []
    chunks = [chunk for chunk in _STEP_START_RE.split(text.strip()) if chunk.strip()]
    steps: list[tuple[Step, str | None]] = []
    for chunk in chunks:
        step = parse_reply(chunk)
        observation = _OBSERVATION_RE.search(chunk)
        steps.append((step, chunk[observation.end() :].strip() if observation else None))
    return steps
