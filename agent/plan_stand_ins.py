"""Tools a planned request asks for that are not loaded, and the image steps the planner wrote that nobody asked for.

The planner writes only tools that are loaded (constrained decoding reads the listing). Asked offline "rotate it by
90 degrees, then show me the depth", it planned a HED boundary map for the depth, and "describe the photo" became a
HED map too: the person got a map they did not ask for, called done. An image step whose tool the request never
names, in a plan for a request that asks for a tool that is not loaded, is that tool's stand-in: it is left out, and
the answer says which tool is missing and how to load it. For a request of one thing, such a step beside one the
request does name is an extra the planner added ("crop the face" also removed the background). A reading step is
counted the same when the request never speaks of writing: "based on the pose of d.jpg and the content of e.jpg,
show me a new image" had e.jpg read for its content (the describer is not loaded offline), and "No text found."
"""

from __future__ import annotations

import re

from agent.generative_requests import generative_tool
from agent.meant_call import says
from agent.picture_questions import answered_by, answering_tool
from agent.read_text import READING_TOOLS
from protocol.plan import Plan, PlanStep
from tools.registry import ToolRegistry
from tools.spec import OutputKind, ToolSpec


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
    """``plan`` less the steps that stand in for the ``missing`` tools: steps that make an image the request never
    names (a map by its map's words, another tool by the telling words of its name: "background", "rotate") and
    whose output no other step uses, when there are no more of them than tools missing (with more, which one
    stands in for what is unclear, and the plan runs as written)."""
    stand_ins = _unused_and_unnamed(plan, request, loaded)
    if not missing or not stand_ins or len(stand_ins) > len(missing):
        return plan
    return Plan(tuple(step for step in plan.steps if step.id not in stand_ins))


def without_unasked(plan: Plan, request: str, loaded: ToolRegistry) -> Plan:
    """``plan`` for a request that asks for one thing, less the steps that make an image it never names and that no
    other step uses, when another step makes an image it does name: asked to "crop the face in d.png", the planner
    also removed the background. A plan whose image steps are all unnamed ("turn it 90 degrees": a synonym) runs as
    written."""
    unasked = _unused_and_unnamed(plan, request, loaded)
    if not unasked or all(_unnamed(step, request, loaded) for step in plan.steps if _makes_image(step, loaded)):
        return plan
    return Plan(tuple(step for step in plan.steps if step.id not in unasked))


def _unused_and_unnamed(plan: Plan, request: str, loaded: ToolRegistry) -> set[int]:
    """The ids of the steps whose output no other step uses and that ``request`` never asks for (:func:`_unnamed`)."""
    used = {source for step in plan.steps for source in step.references}
    return {step.id for step in plan.steps if step.id not in used and _unnamed(step, request, loaded)}


# Words of tool names that tell nothing of what a request asks for ("image", "on"; "remove" is said of objects too).
_GENERIC = frozenset(
    [
        "image",
        "on",
        "the",
        "of",
        "from",
        "a",
        "an",
        "remove",
        "something",
        "photo",
        "give",
        "object",
        "user",
        "input",
        "text",
        "generate",
        "detection",
        "condition",
        "using",
        "region",
        "instruct",
    ]
)


# Words that speak of writing; a request with none of them never asks to read ("the content of e.jpg" is no text).
_WRITING = re.compile(
    r"\b(?:read|text|writ|words?\b|says?\b|letter|sign|label|ocr\b|menu|poster|banner)", re.IGNORECASE
)


def _unnamed(step: PlanStep, request: str, loaded: ToolRegistry) -> bool:
    """Whether ``step`` makes an image that ``request`` never names (by the map's words for a map tool, else by the
    telling words of the tool's name, as word starts: "rotate" in "rotated"), or reads text when the request never
    speaks of writing (the embedded planner read "the content of e.jpg"). Another tool with no telling words, or one
    that makes neither, is never a stand-in."""
    if says(request, step.task):
        return False
    if step.task in READING_TOOLS:
        return not _WRITING.search(request)
    if not _makes_image(step, loaded):
        return False
    spec = loaded.get(step.task)
    if spec.makes_map:
        return not any(says(request, word) for word in spec.makes_map)
    words = [word for word in step.task.lower().split() if word not in _GENERIC]
    return bool(words) and not any(re.search(rf"\b{re.escape(word)}", request, re.IGNORECASE) for word in words)


def _makes_image(step: PlanStep, loaded: ToolRegistry) -> bool:
    return step.task in loaded and loaded.get(step.task).output is OutputKind.IMAGE


def _a_loaded_tools_word(word: str, loaded: ToolRegistry) -> bool:
    """Whether a loaded tool draws a map of that name too (then the request may mean the loaded one)."""
    return any(word in spec.makes_map for spec in loaded)
