"""Plan mode: the model answers a request with a plan of the available tools over the session's images.

``Planner.plan(request, images)`` renders the planner prompt (:class:`~protocol.plan_prompt.PlanTemplate`, wrapped
by the adapter's :class:`~protocol.prompt.PromptTemplate` exactly as in training), generates the reply (an
:class:`~generation.generator.HFGenerator` holds it to a valid plan) and validates it; the result carries the plan,
or why the reply is not one, and a rendering for people (:func:`protocol.plan.describe_plan`). Running the plan
is the executor's job.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from generation.generator import TextGenerator
from generation.plans import PLAN_MAX_NEW_TOKENS
from protocol.plan import Plan, PlanError, Tool, describe_plan, parse_plan
from protocol.plan_prompt import PlanTemplate
from protocol.prompt import PromptTemplate

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PlanResult:
    """What the model planned for ``request``: ``plan`` (``None`` when the reply is not a valid plan, then
    ``error`` says why) and the model's ``reply`` as written."""

    request: str
    reply: str
    plan: Plan | None
    error: str = ""
    language: str = "en"

    @property
    def ok(self) -> bool:
        return self.plan is not None

    def describe(self) -> str:
        """The plan as numbered lines for people, or what went wrong."""
        if self.plan is None:
            return f"The model's reply is not a valid plan: {self.error}"
        return describe_plan(self.plan, self.language)


class Planner:
    """Asks a model for plans over a fixed set of tools."""

    def __init__(
        self,
        generator: TextGenerator,
        template: PromptTemplate,
        plan_template: PlanTemplate,
        tokenizer: Any,
        tools: Iterable[Tool],
        *,
        max_new_tokens: int = PLAN_MAX_NEW_TOKENS,
    ) -> None:
        """``template``: the adapter's prompt template (its wrapping); ``plan_template``: the planner prompt's
        wording (:meth:`PlanTemplate.beside` the adapter); ``tools``: the tools the plan may use."""
        self.generator = generator
        self.template = template
        self.plan_template = plan_template
        self.tokenizer = tokenizer
        self.tools = list(tools)
        self.max_new_tokens = max_new_tokens
        if not self.tools:
            raise PlanError("plan mode needs at least one available tool; load some with --load")

    def prompt(self, request: str, images: Sequence[tuple[str, str]]) -> str:
        """The wrapped planner prompt for ``request`` with the session's ``images`` as ``(file name, description)``."""
        instruction = self.plan_template.render_instruction(self.tools, images, request)
        return self.template.wrap(instruction, "", self.tokenizer)

    def plan(self, request: str, images: Sequence[tuple[str, str]] = ()) -> PlanResult:
        """Generate and validate a plan for ``request`` (never raises for a bad reply: see ``PlanResult.error``)."""
        reply = "".join(self.generator.stream(self.prompt(request, images), self.max_new_tokens))
        language = self.plan_template.language
        try:
            plan = parse_plan(reply, self.tools, [name for name, _ in images])
        except PlanError as exc:
            logger.info("reply to %r is not a valid plan: %s", request, exc)
            return PlanResult(request, reply, None, str(exc), language)
        return PlanResult(request, reply, plan, "", language)
