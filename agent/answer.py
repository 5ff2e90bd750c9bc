"""The answer to a planned request: a summary line, then each subtask with the model chosen and why.

The subtask lines are templated from the results (:class:`~protocol.plan_response.ResponseTemplate`), so they are
exactly what ran. The summary line is the model's own when every step finished: the steps go into its ReAct
scratchpad as tool calls with their observations and it answers after ``AI:``, the form it was trained on
(:meth:`agent.loop.Agent.stream_answer`); a line that names an image no step made and no one handed in, or none of
the images the steps made, is replaced by the templated ``summary_done``. When a step did not finish, the summary is templated
(``summary_partial`` / ``summary_nothing``): a small model shown a failure may still announce the result, so it
is not asked, and no sentence of the answer claims a step that failed. Nor is it asked when the request also needs a
tool that is not loaded (``summary_short_of_tools``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from agent.every_upload import asks_for_every
from agent.executor import Detected, Execution, StepResult
from agent.findings import held_to_findings, told_on
from agent.loop import TraceStep, with_every_result, with_notes
from agent.picture_questions import asks_to_count
from agent.request_parts import asked_parts
from agent.step_runner import StepOutcome, action_input
from generation.tool_calls import image_names
from protocol.plan import BOX_CORNERS
from protocol.plan_response import ResponseTemplate
from protocol.steps import THOUGHT_YES, ObservedStep, ToolCall, without_loop

if TYPE_CHECKING:
    from agent.loop import Agent, ChatSession


@dataclass(frozen=True)
class Answer:
    """``summary`` (written by the model when ``by_model``) and the templated ``steps`` lines."""

    summary: str
    by_model: bool
    steps: str

    @property
    def text(self) -> str:
        return f"{self.summary}\n\n{self.steps}" if self.steps else self.summary


def step_lines(execution: Execution, response: ResponseTemplate) -> str:
    """One line per subtask: the model that produced the result and why (with what the tool tells the person: "No
    object found. This detector only finds: ..."), or why the subtask did not finish."""
    lines = [response.steps_header.strip()]
    for number, result in enumerate(execution.results, 1):
        if result.ok and result.outcome is not None:
            outcome = result.outcome
            line = response.step_done.format(
                number=number,
                task=result.step.task,
                model=outcome.model or result.tool.family,
                reason=outcome.reason or "-",
                result=f"{outcome.text} {outcome.note}" if outcome.note else outcome.text,
            )
        else:
            status = response.statuses.get(result.status.value, result.status.value)
            line = response.step_not_done.format(
                number=number, task=result.step.task, status=status, reason=result.reason
            )
        lines.append(line)
    return "\n".join(lines)


def observed_steps(execution: Execution) -> list[ObservedStep]:
    """The finished steps as ReAct tool calls with their observations (a box step shows its first box)."""
    return [
        ObservedStep(step_call(result), result.outcome.text)
        for result in execution.results
        if result.ok and result.outcome
    ]


def traced(execution: Execution, *, with_failures: bool = False) -> list[TraceStep]:
    """The finished steps as the ReAct loop's trace shows its calls (asked to "rotate both by 90 degrees", the line
    named one of the two rotations: :func:`agent.loop.with_every_result` tells the other); ``with_failures``: the
    steps that started and failed too, with why (what "why did you do that?" tells: agent/feedback.py)."""
    steps = []
    for index, result in enumerate(execution.results, 1):
        if result.ok and result.outcome:
            made = tuple(filter(None, [result.outcome.image]))
            steps.append(
                TraceStep(index, "", result.step.task, step_call(result).action_input, result.outcome.text, True, made)
            )
        elif with_failures and result.arguments:
            why = (result.outcome.text if result.outcome else "") or result.reason
            steps.append(TraceStep(index, "", result.step.task, step_call(result).action_input, why, False))
    return steps


def step_call(result: StepResult) -> ToolCall:
    """A finished plan step as the ReAct tool call that does the same (a box step's call has its first box)."""
    arguments = {}
    for name, value in result.arguments.items():
        if isinstance(value, Detected):
            arguments[name] = value.image
            arguments.update(zip(BOX_CORNERS, value.boxes[0].box, strict=True))
        else:
            arguments[name] = value
    try:
        line = action_input(result.tool, arguments)
    except ValueError:  # cannot happen for a step that ran; shown plainly rather than failing the answer
        line = ", ".join(str(v) for v in arguments.values())
    return ToolCall(THOUGHT_YES, result.step.task, line)


class AnswerWriter:
    """Writes answers with ``agent``'s model and the wording of ``response``."""

    def __init__(self, agent: Agent, response: ResponseTemplate) -> None:
        self.agent = agent
        self.response = response

    def write(self, session: ChatSession, request: str, execution: Execution, short_of_tools: bool = False) -> Answer:
        """The answer to ``request`` after ``execution``; ``short_of_tools`` when the request also asks for a tool
        that is not loaded (the model, answering the whole request, called "the new image you asked for" a pose map
        when the generator it needed was missing, so its line is not asked for)."""
        results: tuple[StepResult, ...] = execution.results
        total, done = len(results), sum(r.ok for r in results)
        steps = step_lines(execution, self.response)
        if done < total:
            template = self.response.summary_partial if done else self.response.summary_nothing
            return Answer(template.format(done=done, total=total), False, steps)
        if short_of_tools:
            return Answer(self.response.summary_short_of_tools.format(total=total), False, steps)
        written = "".join(self.agent.stream_answer(session, request, observed_steps(execution)))
        summary = _first_line(without_loop(written))
        answer, last = None, results[-1].outcome
        if summary and _names_what_was_made(summary, execution, session):
            if last is None or not _tells(last):
                answer = Answer(summary, True, steps)
            elif set(image_names(summary)) <= _made_answers(execution):
                searched = next(iter(image_names(step_call(results[-1]).action_input)), "")
                held = held_to_findings(summary, request, results[-1].step.task, last.text, last.note, image=searched)
                answer = Answer(held, True, steps)
        if answer is None and last is not None and _tells(last):
            # the model's line is not kept ("I have made the text reading image OPEN DAILY; it is <the upload>",
            # "Done" for a reading that found nothing): what was found
            found = held_to_findings("", request, results[-1].step.task, last.text, last.note)
            answer = Answer(found, False, steps) if found else None
        answer = answer or Answer(self.response.summary_done.format(done=done, total=total), False, steps)
        summary = _with_earlier_findings(answer.summary, request, results)
        if asks_for_every(request, list(session.images)) or asked_parts(request) > 1:
            summary = with_every_result(summary, traced(execution))
        return replace(answer, summary=summary)


def _with_earlier_findings(text: str, request: str, results: Sequence[StepResult]) -> str:
    """``text`` followed by what each step before the last found (a reading, a search) that no later step took and it
    does not hold: asked
    to "read both signs and make the stop sign 400 wide", the line told of the resize alone; asked to "detect the cat
    and count them, then blur it", of the blur alone (a count asked for is given as counted)."""
    notes = []
    used = {source for result in results for source in result.step.references}
    for result in results[:-1]:
        outcome = result.outcome
        if not result.ok or outcome is None or not _tells(outcome) or not outcome.text.strip():
            continue
        counted = held_to_findings("", request, result.step.task, outcome.text) if asks_to_count(request) else ""
        if result.step.id in used and not counted:  # a finding a later step took (a caption, the boxes a blur took)
            continue
        said = " ".join(outcome.text.split()).rstrip(".")
        if said in text:
            continue
        images = image_names(step_call(result).action_input)
        notes.append(counted or told_on(result.step.task, images[0] if images else "its image", said))
    return with_notes(text, notes)


def _names_what_was_made(summary: str, execution: Execution, session: ChatSession) -> bool:
    """Whether ``summary`` names no image that nobody made or handed in, and one the plan made as a step's answer
    when it made any, unless the last step told something (a reading, a search: the line may answer that): the model
    learned to repeat the files it made, and a line that names none of them is not about them. A detector's drawing
    of its boxes is beside its answer, the boxes."""
    named = set(image_names(summary))
    results = [r.outcome for r in execution.results if r.ok and r.outcome]
    answers = _made_answers(execution)
    if not named <= set(execution.files) | set(session.images):
        return False
    return not answers or bool(answers & named) or (bool(results) and _tells(results[-1]))


def _made_answers(execution: Execution) -> set[str]:
    """The images the plan's steps made as their answers."""
    return {r.outcome.text for r in execution.results if r.ok and r.outcome and not _tells(r.outcome)}


def _tells(outcome: StepOutcome) -> bool:
    """Whether a step's answer is what it found (words, boxes) rather than the image it made."""
    return outcome.image != outcome.text


def _first_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[0] if lines else ""
