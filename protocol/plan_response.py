"""Wording of plan mode around the planner: the re-plan request, the plan's header and the answer's templated parts.

Loaded from ``configs/prompts/response/<language>.yaml`` (:class:`ResponseTemplate`). The answer to a planned
request is a summary line and then one line per subtask, with the model that produced it and why, or why the
subtask did not finish (see :mod:`agent.answer`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from protocol.prompt import PROMPTS_DIR, TemplateError, TemplateFile

RESPONSE_PROMPTS_DIR = PROMPTS_DIR / "response"
# the executor's step states other than "done" (agent.executor.StepStatus), each worded in every template
NOT_DONE_STATUSES = ("failed", "timed out", "cancelled", "skipped")


@dataclass(frozen=True)
class ResponseTemplate(TemplateFile):
    """Fields: ``plan_header``; ``replan`` (``{error}``: why the last plan cannot run; appended to the planner
    prompt); ``no_plan`` (``{error}``); ``steps_header``; ``step_done`` (``{number}``, ``{task}``, ``{model}``,
    ``{reason}``, ``{result}``); ``step_not_done`` (``{number}``, ``{task}``, ``{status}``, ``{reason}``);
    ``statuses`` (each of :data:`NOT_DONE_STATUSES` in words); ``summary_done``, ``summary_partial`` and
    ``summary_nothing`` (``{done}``, ``{total}``); ``summary_short_of_tools`` (``{total}``: every step finished, but
    the request also asks for a tool that is not loaded); ``not_loaded`` (``{tool}``, ``{load}``: a tool the request
    asks for that is not loaded, and the ``--load`` value that loads it)."""

    name: str
    language: str
    plan_header: str
    replan: str
    no_plan: str
    steps_header: str
    step_done: str
    step_not_done: str
    statuses: dict[str, str]
    summary_done: str
    summary_partial: str
    summary_nothing: str
    summary_short_of_tools: str
    not_loaded: str

    DIRECTORY: ClassVar[Path] = RESPONSE_PROMPTS_DIR
    FILE_NAME: ClassVar[str] = "response_template.yaml"

    def __post_init__(self) -> None:
        self.require(
            {
                "replan": ("{error}",),
                "no_plan": ("{error}",),
                "step_done": ("{number}", "{task}", "{model}", "{reason}", "{result}"),
                "step_not_done": ("{number}", "{task}", "{status}", "{reason}"),
                "summary_partial": ("{done}", "{total}"),
                "summary_short_of_tools": ("{total}",),
                "not_loaded": ("{tool}", "{load}"),
            }
        )
        missing = [status for status in NOT_DONE_STATUSES if status not in self.statuses]
        if missing:
            raise TemplateError(f"template {self.name!r}: statuses lacks {', '.join(missing)}")

    @classmethod
    def for_language(cls, language: str) -> ResponseTemplate:
        """The shipped template in ``language``, English when there is none."""
        return cls.load(language if (cls.DIRECTORY / f"{language}.yaml").is_file() else "en")
