"""Tools a planned request asks for that are not loaded, and the map steps the planner wrote in their place.

The planner writes only tools that are loaded (constrained decoding reads the listing). Asked offline "rotate it by
90 degrees, then show me the depth", it planned a HED boundary map for the depth, and "describe the photo" became a
HED map too: the person got a map they did not ask for, called done. A map step whose tool the request never names,
in a plan for a request that asks for a tool that is not loaded, is that tool's stand-in: it is left out, and the
answer says which tool is missing and how to load it.
"""

from __future__ import annotations

from agent.generative_requests import generative_tool
from agent.meant_call import says
from agent.picture_questions import answered_by, answering_tool
from protocol.plan import Plan, PlanStep
from tools.registry import ToolRegistry
from tools.spec import ToolSpec


def asked_but_not_loaded(request: str, loaded: ToolRegistry, catalog: ToolRegistry) -> list[ToolSpec]:
    """The tools of ``catalog`` that are not ``loaded`` and that ``request`` asks for: by their full name, by the
    name of the map they draw ("the depth", ``ToolSpec.makes_map``), for the tools that tell what a picture shows by
    the question (:func:`agent.picture_questions.answering_tool`) when no loaded tool answers it, and for the
    generative ones by the wording (:func:`agent.generative_requests.generative_tool`)."""
    answerer = answering_tool(request)
    if any(answered_by(request, name) for name in loaded.names):  # "how many people?" with a detector loaded
        answerer = None
    generative = generative_tool(request, loaded)
    return [
        spec
        for spec in catalog
        if spec.name not in loaded
        and (
            spec.name in (answerer, generative)
            or says(request, spec.name)
            or any(says(request, word) and not _a_loaded_tools_word(word, loaded) for word in spec.makes_map)
        )
    ]


def without_stand_ins(plan: Plan, request: str, missing: list[ToolSpec], loaded: ToolRegistry) -> Plan:
    """``plan`` less the map steps that stand in for the ``missing`` tools: those whose own map the request never
    names and whose output no other step uses, when there are no more of them than tools missing (with more, which
    one stands in for what is unclear, and the plan runs as written)."""
    used = {source for step in plan.steps for source in step.references}
    stand_ins = [step.id for step in plan.steps if step.id not in used and _unnamed_map(step, request, loaded)]
    if not missing or not stand_ins or len(stand_ins) > len(missing):
        return plan
    return Plan(tuple(step for step in plan.steps if step.id not in stand_ins))


def _unnamed_map(step: PlanStep, request: str, loaded: ToolRegistry) -> bool:
    """Whether ``step`` draws a map whose name ``request`` never says."""
    if step.task not in loaded:
        return False
    words = loaded.get(step.task).makes_map
    return bool(words) and not any(says(request, word) for word in words) and not says(request, step.task)


def _a_loaded_tools_word(word: str, loaded: ToolRegistry) -> bool:
    """Whether a loaded tool draws a map of that name too (then the request may mean the loaded one)."""
    return any(word in spec.makes_map for spec in loaded)
