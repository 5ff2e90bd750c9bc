"""Tools a planned request asks for that are not loaded, and the image steps the planner wrote that nobody asked for.

The planner writes only tools that are loaded (constrained decoding reads the listing). Asked offline "rotate it by
90 degrees, then show me the depth", it planned a HED boundary map for the depth, and "describe the photo" became a
HED map too: the person got a map they did not ask for, called done. An image step whose tool the request never
names, in a plan for a request that asks for a tool that is not loaded, is that tool's stand-in: it is left out, and
the answer says which tool is missing and how to load it. Beyond the things a request asks for, such a step beside one the
request does name is an extra the planner added ("crop the face" also removed the background). A reading step is
counted the same when the request never speaks of writing: "based on the pose of d.jpg and the content of e.jpg,
show me a new image" had e.jpg read for its content (the describer is not loaded offline), and "No text found."
"""

from __future__ import annotations

import re

from agent.generative_requests import generative_tool
from agent.image_reference import asks_to_read
from agent.meant_call import says
from agent.picture_questions import answered_by, answering_tool
from agent.plan_images import bypassed
from agent.read_text import READING_TOOLS, asks_about_writing
from agent.request_parts import asked_parts, request_parts
from agent.tool_words import named_by
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


def stands_in(request: str, tool: str, loaded: ToolRegistry, catalog: ToolRegistry) -> bool:
    """Whether a call of ``tool`` (one of ``loaded``) makes an image ``request`` never asks for while the request
    asks for a tool of ``catalog`` that is not loaded: asked offline to "make it black and white and rotate it 45
    degrees", the model removed the background, then rotated the cut-out."""
    if tool not in loaded or loaded.get(tool).output is not OutputKind.IMAGE:
        return False
    return bool(missing_besides_the_answerer(request, loaded, catalog)) and named_by(request, tool, loaded) is False


def missing_besides_the_answerer(request: str, loaded: ToolRegistry, catalog: ToolRegistry) -> list[ToolSpec]:
    """:func:`asked_but_not_loaded` less the tool that answers a question about the picture (the ReAct loop answers
    those after the model: ``Agent._missing_answerer``)."""
    answerer = answering_tool(request)
    return [spec for spec in asked_but_not_loaded(request, loaded, catalog) if spec.name != answerer]


def without_stand_ins(plan: Plan, request: str, missing: list[ToolSpec], loaded: ToolRegistry) -> Plan:
    """``plan`` less the steps that stand in for the ``missing`` tools: steps that make an image the request never
    names (a map by its map's words, another tool by the telling words of its name: "background", "rotate"), when
    there are no more of them than tools missing, or the other steps are as many as the other things the request
    asks for (otherwise the plan runs as written). A step that used a stand-in's image uses the image the stand-in worked on: asked offline to
    "make it black and white and rotate it 45 degrees", the planner drew the edges and rotated the edge map."""
    stand_ins = _unused_and_unnamed(plan, request, loaded) | {
        step.id for step in plan.steps if _makes_image(step, loaded) and _unnamed(step, request, loaded)
    }
    if not missing or not stand_ins:
        return plan
    # more of them than tools missing: which one stands in for what is unclear, unless the other steps are as many
    # as the other things asked ("make it black and white and rotate it": edges, then a cut-out, then the rotation)
    if len(stand_ins) > len(missing) and len(plan.steps) - len(stand_ins) < asked_parts(request) - len(missing):
        return plan
    return bypassed(plan, stand_ins)


# Words that join two things asked ("detect the person and spin it a little": the second may be a synonym)
_JOINED = re.compile(r"\b(?:and|then|also|plus)\b|[,;]", re.IGNORECASE)


def without_unasked(plan: Plan, request: str, loaded: ToolRegistry) -> Plan:
    """``plan`` less the steps that make an image ``request`` never names and that no other step uses, when another
    step makes an image it does name and the plan has more steps than the request asks for things
    (:func:`agent.request_parts.asked_parts`; no more are left out than that excess): asked to "crop the face in
    d.png", the planner also removed the background; asked to "detect the person and blur the face", it added the
    edges. A plan whose image steps are all unnamed ("turn it 90 degrees": a synonym) runs as written, unless the
    request asks for one thing and names another of its steps (asked to "read both signs", the planner added the
    edges of one and removed their background)."""
    unasked = sorted(_unused_and_unnamed(plan, request, loaded))
    excess = len(plan.steps) - _things_asked(request)
    # one thing said in one part, or in several that one reading answers
    one_thing = not _JOINED.search(request) or (asked_parts(request) > 1 and _things_asked(request) == 1)
    one_thing_named = one_thing and any(named_by(request, step.task, loaded) for step in plan.steps)
    synonyms = not one_thing_named and all(
        _unnamed(step, request, loaded) for step in plan.steps if _makes_image(step, loaded)
    )
    if not unasked or excess <= 0 or synonyms:
        return plan
    left_out = set(unasked[-excess:])
    return Plan(tuple(step for step in plan.steps if step.id not in left_out))


def without_unasked_links(plan: Plan, request: str, loaded: ToolRegistry) -> Plan:
    """``plan`` less the steps in the middle of a chain that make an image ``request`` never asks for, the steps after
    them working on their input instead, when the plan has more steps than the request asks for things (no more are
    left out than that excess) and another step makes an image it does ask for: asked to "crop her face, rotate it
    180 and tell me where the file is saved", the planner removed the crop's background before the rotation."""
    excess = len(plan.steps) - _things_asked(request)
    named_image = any(_makes_image(step, loaded) and not _unnamed(step, request, loaded) for step in plan.steps)
    used = {source for step in plan.steps for source in step.references}
    links = [
        step
        for step in plan.steps
        if step.id in used and _makes_image(step, loaded) and _unnamed(step, request, loaded) and step.args
    ]
    if excess <= 0 or not named_image or not links:
        return plan
    return bypassed(plan, {step.id for step in links[:excess]})


def _things_asked(request: str) -> int:
    """The number of things ``request`` asks for (:func:`agent.request_parts.asked_parts`), its parts about a sign's
    words counted once: one reading answers "read the sign and tell me if I can park here" (the planner added a
    background removal as the second step)."""
    parts = request_parts(request)
    about_words = sum(1 for part in parts if asks_about_writing(part) or asks_to_read(part))
    return len(parts) - max(0, about_words - 1)


def _unused_and_unnamed(plan: Plan, request: str, loaded: ToolRegistry) -> set[int]:
    """The ids of the steps whose output no other step uses and that ``request`` never asks for (:func:`_unnamed`)."""
    used = {source for step in plan.steps for source in step.references}
    return {step.id for step in plan.steps if step.id not in used and _unnamed(step, request, loaded)}


def _unnamed(step: PlanStep, request: str, loaded: ToolRegistry) -> bool:
    """Whether ``step`` makes an image that ``request`` never asks for, or reads text when the request never speaks
    of writing (the embedded planner read "the content of e.jpg"; :func:`agent.tool_words.named_by`). Another tool
    with no telling words, or one that makes neither, is never a stand-in."""
    if step.task not in READING_TOOLS and not _makes_image(step, loaded):
        return False
    return named_by(request, step.task, loaded) is False


def _makes_image(step: PlanStep, loaded: ToolRegistry) -> bool:
    return step.task in loaded and loaded.get(step.task).output is OutputKind.IMAGE


def _a_loaded_tools_word(word: str, loaded: ToolRegistry) -> bool:
    """Whether a loaded tool draws a map of that name too (then the request may mean the loaded one)."""
    return any(word in spec.makes_map for spec in loaded)
