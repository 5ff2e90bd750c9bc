"""The agent loop: prompt, generate to the stop sequence, parse, run the tool, observe, repeat.

:meth:`Agent.run` is a generator of events, so a UI can show the model's text while it is written
(:class:`TextChunk`), each finished tool step (:class:`StepTaken`) and the answer (:class:`Reply`).
Everything that goes wrong inside a turn (a reply that does not parse, an unknown tool, bad arguments,
a failing tool) becomes an observation the model reads on its next step; the turn always ends with a
reply, an honest one when the step limit or the context length is reached.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from agent.memory import ConversationMemory
from generation.generator import TextGenerator
from generation.tool_calls import image_names
from protocol.prompt import PromptTemplate, Turn, remembered_answer, size_description
from protocol.steps import OBSERVATION, FinalAnswer, ObservedStep, ParseError, ToolCall, parse_reply
from tools.errors import ToolError
from tools.registry import ToolRegistry

if TYPE_CHECKING:
    from tools.runtime import Observation
    from tools.workspace import Workspace

logger = logging.getLogger(__name__)

CAPTION_TOOL = "Get Photo Description"


class ToolRunner(Protocol):
    """What the loop needs of ``tools.runtime.ToolRuntime`` (whose ``run`` never raises)."""

    available: ToolRegistry

    def run(self, tool_name: str, action_input: str, workspace: Workspace) -> Observation: ...


@dataclass
class ChatSession:
    """One conversation: its files (a workspace of its own) and its memory."""

    workspace: Workspace
    memory: ConversationMemory = field(default_factory=ConversationMemory)
    turns: int = 0


@dataclass(frozen=True)
class TraceStep:
    """One step of a turn as the trace shows it; ``action`` is empty for a reply that did not parse."""

    index: int
    thought: str
    action: str
    action_input: str
    observation: str
    ok: bool
    files: tuple[str, ...] = ()
    llm_seconds: float = 0.0
    tool_seconds: float = 0.0


@dataclass(frozen=True)
class TextChunk:
    """A piece of the model's text for step ``step`` (1-based), as it is generated."""

    step: int
    text: str


@dataclass(frozen=True)
class StepTaken:
    """A step that did not end the turn: a tool call and its observation, or a rejected reply."""

    step: TraceStep


@dataclass(frozen=True)
class Reply:
    """The end of a turn: the answer, the images to show and whether the model finished on its own.

    ``note`` is what the agent added to the model's answer (already part of ``text``), e.g. the error of a
    failed last tool call.
    """

    text: str
    files: tuple[str, ...]
    steps: tuple[TraceStep, ...]
    finished: bool
    note: str = ""


AgentEvent = TextChunk | StepTaken | Reply


@dataclass(frozen=True)
class RejectedReply:
    """A reply that did not follow the protocol, with the observation that says why."""

    text: str
    observation: str

    def render(self) -> str:
        return f"{self.text.rstrip()}\n{OBSERVATION} {self.observation}\n"


def token_counter(tokenizer: Any) -> Callable[[str], int]:
    """Count tokens as ``tokenizer`` does (no special tokens)."""
    return lambda text: len(tokenizer(text, add_special_tokens=False)["input_ids"])


class Agent:
    """Drives one model over the loaded tools; holds no per-session state (see :class:`ChatSession`)."""

    def __init__(
        self,
        llm: TextGenerator,
        runtime: ToolRunner,
        template: PromptTemplate,
        tokenizer: Any,
        *,
        context_length: int,
        max_steps: int = 5,
        max_new_tokens: int = 128,
    ) -> None:
        if max_steps < 1:
            raise ValueError(f"max_steps must be at least 1, got {max_steps}")
        if context_length <= max_new_tokens:
            raise ValueError(f"context_length ({context_length}) must exceed max_new_tokens ({max_new_tokens})")
        self.llm = llm
        self.runtime = runtime
        self.template = template
        self.tokenizer = tokenizer
        self.count_tokens = token_counter(tokenizer)
        self.context_length = context_length
        self.max_steps = max_steps
        self.max_new_tokens = max_new_tokens

    # ----------------------------------------------------------------- images
    def introduce_image(self, session: ChatSession, image: Any) -> tuple[str, str]:
        """Save an uploaded image into the session's workspace, describe it and remember it.

        Returns ``(name, description)``. Invalid images raise the workspace's error unchanged.
        """
        name = session.workspace.add_image(image)
        description = self._describe(name, session.workspace)
        session.memory.add_image(self.template.introduce_image(name, description), name)
        self._trim_memory(session)
        return name, description

    def _describe(self, name: str, workspace: Workspace) -> str:
        if CAPTION_TOOL in self.runtime.available:
            observation = self._run_tool(ToolCall("", CAPTION_TOOL, name), workspace)
            if observation.ok:
                return observation.text.strip()
            logger.warning("could not caption %s: %s", name, observation.text)
        from PIL import Image

        with Image.open(workspace.resolve(name)) as image:
            return size_description(image.width, image.height)

    # ----------------------------------------------------------------- the loop
    def run(self, session: ChatSession, user_input: str) -> Iterator[AgentEvent]:
        """Answer ``user_input``, yielding the model's text as it comes, each step, then the reply."""
        session.turns += 1
        specs = list(self.runtime.available)
        scratch: list[ObservedStep | RejectedReply] = []
        trace: list[TraceStep] = []
        if not specs:
            yield self._finish(session, user_input, "No tools are loaded, so I cannot work on images.", trace, False)
            return
        for index in range(1, self.max_steps + 1):
            prompt = self._prompt(session, specs, user_input, self.template.render_scratchpad(scratch))
            if prompt is None:
                message = (
                    f"I stopped after {index - 1} step(s): the conversation no longer fits the model's context "
                    f"of {self.context_length} tokens. Start a new session or ask for one thing at a time."
                )
                yield self._finish(session, user_input, message, trace, False)
                return
            started = time.perf_counter()
            text = ""
            for piece in self.llm.stream(prompt, self.max_new_tokens):
                text += piece
                yield TextChunk(index, piece)
                if OBSERVATION in text:
                    break
            llm_seconds = time.perf_counter() - started
            step = parse_reply(text)
            if isinstance(step, FinalAnswer):
                answer = self._clean_answer(step.answer)
                yield self._finish(session, user_input, answer, trace, True, note=self._failure_note(answer, trace))
                return
            if isinstance(step, ToolCall):
                observation = self._run_tool(step, session.workspace)
                scratch.append(ObservedStep(step, observation.text))
                taken = TraceStep(
                    index,
                    step.thought,
                    step.tool,
                    step.action_input,
                    observation.text,
                    observation.ok,
                    tuple(observation.files) if observation.ok else (),
                    llm_seconds,
                    observation.seconds,
                )
            else:
                message = self._parse_error_observation(step, specs)
                scratch.append(RejectedReply(text.split(OBSERVATION, 1)[0], message))
                taken = TraceStep(index, "", "", "", message, False, (), llm_seconds)
            trace.append(taken)
            yield StepTaken(taken)
        done = [step for step in trace if step.ok]
        message = f"I could not finish this within {self.max_steps} steps"
        if done:
            message += " (done so far: " + "; ".join(f"{s.action} -> {s.observation}" for s in done) + ")"
        yield self._finish(
            session, user_input, message + ". Please rephrase or ask for one step at a time.", trace, False
        )

    def chat(self, session: ChatSession, user_input: str) -> Reply:
        """Run a turn to the end and return only the reply (terminal chat, tests)."""
        reply = None
        for event in self.run(session, user_input):
            if isinstance(event, Reply):
                reply = event
        assert reply is not None, "Agent.run always ends with a Reply"
        return reply

    # ----------------------------------------------------------------- helpers
    def _run_tool(self, call: ToolCall, workspace: Workspace) -> Observation:
        return self.runtime.run(call.tool, call.action_input, workspace)

    @staticmethod
    def _parse_error_observation(step: ParseError, specs: Sequence[Any]) -> str:
        names = ", ".join(spec.name for spec in specs)
        return f"Your reply did not follow the format: {step.message}. Valid tools: {names}."

    def _clean_answer(self, answer: str) -> str:
        """Cut a reply where the model starts writing the human's next turn."""
        return answer.split(f"\n{self.template.human_prefix}:", 1)[0].strip()

    @staticmethod
    def _failure_note(answer: str, trace: Sequence[TraceStep]) -> str:
        """A note with the error of the tool call just before the answer when that call failed and the answer
        does not quote it (models trained on successful calls only tend to announce a result never made)."""
        last = trace[-1] if trace else None
        if last is None or last.ok or not last.action or last.observation in answer:
            return ""
        error = last.observation if last.action in last.observation else f"{last.action} failed: {last.observation}"
        return f"(Note: {error})"

    def _history_cost(self, turns: Sequence[Turn]) -> int:
        return self.count_tokens(self.template.render_history(turns)) + 1

    def _prompt(self, session: ChatSession, specs: list[Any], user_input: str, scratchpad: str) -> str | None:
        """The wrapped prompt with as much history as fits, or ``None`` when not even the turn fits."""
        budget = self._history_budget(specs, user_input, scratchpad)
        while budget >= 0:
            history = session.memory.window(budget, self._history_cost, user_input + "\n" + scratchpad)
            instruction = self.template.render_instruction(specs, history, user_input)
            prompt = self.template.wrap(instruction, scratchpad, self.tokenizer)
            excess = self.count_tokens(prompt) + self.max_new_tokens - self.context_length
            if excess <= 0:
                return prompt
            if not history:
                return None
            budget -= excess
        return None

    def _history_budget(self, specs: list[Any], user_input: str, scratchpad: str) -> int:
        bare = self.template.wrap(self.template.render_instruction(specs, [], user_input), scratchpad, self.tokenizer)
        return self.context_length - self.max_new_tokens - self.count_tokens(bare)

    def _trim_memory(self, session: ChatSession) -> None:
        specs = list(self.runtime.available)
        if specs:
            session.memory.trim(self._history_budget(specs, "", ""), self._history_cost)

    def _finish(
        self,
        session: ChatSession,
        user_input: str,
        answer: str,
        trace: list[TraceStep],
        finished: bool,
        *,
        note: str = "",
    ) -> Reply:
        answer = f"{answer}\n\n{note}" if note else answer
        files = [name for step in trace for name in step.files]
        files += [name for name in image_names(answer) if self._exists(session.workspace, name)]
        files = list(dict.fromkeys(files))
        # files the model met in an observation stay nameable in later turns; a copy made for the human only
        # (a detector's drawn boxes) is not remembered, or the model takes it for the photo
        seen = [name for name in files if any(name in step.observation for step in trace)]
        session.memory.add_exchange(user_input, remembered_answer(answer, seen))
        self._trim_memory(session)
        return Reply(answer, tuple(files), tuple(trace), finished, note)

    @staticmethod
    def _exists(workspace: Workspace, name: str) -> bool:
        try:
            workspace.resolve(name)
        except ToolError:
            return False
        return True
