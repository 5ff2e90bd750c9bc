"""Plan mode end to end: plan the request, show the plan, run it as a dataflow graph, answer from the results.

:meth:`PlanAgent.run` is a generator of events, like :meth:`agent.loop.Agent.run`: :class:`PlanMade` (the plan,
before anything runs), :class:`PlanStarted` (its run handle), :class:`StepUpdate` (a step started or ended), then
:class:`PlanReply`. A plan that does not validate (against the tools the executor runs and the session's images)
goes back to the planner once with the error (:attr:`ResponseTemplate.replan`); a second invalid plan ends the turn
with the reason. A step that repeats an earlier one is left out (the plan shown and run has it once). An empty
plan (no tool needed) is answered by the ReAct loop. Closing the generator (a Stop button) cancels the running plan.

"""

from __future__ import annotations

import logging
import queue
from collections.abc import Iterator
from dataclasses import dataclass, replace
from functools import partial

from agent.answer import Answer, AnswerWriter, step_call, traced
from agent.capabilities import load_hint, without_parts_beyond_the_tools
from agent.detector_scope import labels_asked
from agent.executor import Execution, Executor, PlanRun, StepResult
from agent.image_reference import image_by_size
from agent.loop import Agent, AgentEvent, ChatSession, Reply, image_size
from agent.marking import marked, marks_it
from agent.pending_edit import squares_a_named_part
from agent.picture_questions import DETECTORS
from agent.plan_angles import angles_from_the_request
from agent.plan_asked import asked_but_unplanned, with_the_edits_asked
from agent.plan_boxes import boxes_from_the_detection
from agent.plan_images import (
    for_every_upload,
    maps_on_photos,
    on_the_maps_named,
    on_the_named_uploads,
    on_the_newest_edits,
    on_the_newest_upload,
    on_the_result_named,
)
from agent.plan_parts import with_the_reading_asked, without_chained_twins, without_detections_for_reading
from agent.plan_sizes import same_sizes, sizes_from_the_request, without_unstated_sizes
from agent.plan_stand_ins import asked_but_not_loaded, without_stand_ins, without_unasked, without_unasked_links
from agent.planner import Planner, PlanResult
from agent.privacy import hides_what_is_personal
from agent.request_parts import asks_for_several, reads_then_asks
from agent.show_again import asks_to_see_again
from agent.text_region import edits_a_part_of_the_writing
from agent.undo import asks_to_undo, lineage
from agent.upload_names import upload_named
from protocol.plan import Plan, PlanError, without_repeats
from protocol.plan_response import ResponseTemplate
from tools.catalog import default_registry, map_operations
from tools.spec import ToolSpec

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PlanMade:
    """A plan (or why the reply is none) before anything runs; ``attempt`` 2 is the re-plan after an error."""

    result: PlanResult
    attempt: int
    header: str

    @property
    def text(self) -> str:
        return f"{self.header}\n{self.result.describe()}"


@dataclass(frozen=True)
class PlanStarted:
    """The plan is running: ``run`` can cancel it or one step, and :meth:`~agent.executor.PlanRun.settle` says when
    nothing of it still writes to the workspace."""

    run: PlanRun


@dataclass(frozen=True)
class StepUpdate:
    """A step started (``running``) or ended."""

    result: StepResult


@dataclass(frozen=True)
class PlanReply:
    """The end of a planned turn: the answer, the files the steps made and everything that led there."""

    text: str
    files: tuple[str, ...]
    plans: tuple[PlanResult, ...]
    execution: Execution | None
    answer: Answer | None = None

    @property
    def plan(self) -> PlanResult:
        return self.plans[-1]


PlanEvent = PlanMade | PlanStarted | StepUpdate | PlanReply


class PlanAgent:
    """Plans with ``planner``, runs with ``executor``, answers with ``agent``'s model (and memory)."""

    def __init__(self, agent: Agent, planner: Planner, executor: Executor, response: ResponseTemplate) -> None:
        self.agent = agent
        self.planner = planner
        self.executor = executor
        self.response = response
        self.writer = AnswerWriter(agent, response)

    def plan(self, session: ChatSession, request: str) -> Iterator[PlanMade]:
        """The plan for ``request``, and the re-plan when the first cannot run (the last one made is the plan)."""
        images = list(session.images.items())
        first = self._checked(self.planner.plan(request, images), session, request)
        yield PlanMade(first, 1, self.response.plan_header)
        if not first.ok:
            feedback = self.response.replan.format(error=first.error)
            yield PlanMade(
                self._checked(self.planner.plan(request, images, feedback=feedback), session, request),
                2,
                self.response.plan_header,
            )

    def _checked(self, result: PlanResult, session: ChatSession, request: str) -> PlanResult:
        """``result`` if its plan also fits the tools the executor runs and the session's images, less the steps
        that repeat an earlier one (:func:`protocol.plan.without_repeats`), held to what the request says
        (:meth:`_held_to_request`)."""
        if result.plan is None:
            return result
        images = _known_images(session)
        try:
            self.executor.validate(result.plan, images)
        except PlanError as error:
            return PlanResult(result.request, result.reply, None, str(error), result.language)
        plan = _each_once(result.plan)
        # re-pointing a step at the newest upload can make it the twin of another
        held = _each_once(self._held_to_request(plan, request, session))
        try:  # the rules only re-point and drop steps; should one still break the plan, the model's plan runs
            self.executor.validate(held, images)
        except PlanError as error:
            logger.warning("the plan held to the request does not run (%s); the planner's plan runs instead", error)
            held = plan
        return replace(result, plan=held)

    def _held_to_request(self, plan: Plan, request: str, session: ChatSession) -> Plan:
        """``plan`` less the steps that stand in for a tool the request asks for that is not loaded and the image
        steps beyond the things it asks for (agent/plan_stand_ins.py), each thing asked done once, a reading asked
        for added (agent/plan_parts.py), an edit or map asked for added (agent/plan_asked.py), on the images the request means (the newest
        upload, the upload each part names: agent/plan_images.py), a size relative to the picture's computed
        (agent/plan_sizes.py), the angle asked for (agent/plan_angles.py), a made-up box replaced by a detection
        (agent/plan_boxes.py)."""
        tools = self.executor.runner.available
        plan = without_stand_ins(plan, request, self._not_loaded(request), tools)
        plan = without_unasked(plan, request, tools)
        plan, twins = without_chained_twins(plan, request, tools)
        for step_id in twins:
            logger.info("step %s repeats the tool of the step it works on; the request asks for it once", step_id)
        plan, readings = with_the_reading_asked(plan, request, tools, list(session.images), session.file_names)
        for step_id in readings:
            logger.info("step %s reads, as the request asks", step_id)
        plan, detections = without_detections_for_reading(plan, request)
        for step_id in detections:
            logger.info("step %s detected what the request asks to read; the reading answers it", step_id)
        plan, asked = with_the_edits_asked(plan, request, tools, session.file_names, partial(_image_size, session))
        for step_id in asked:
            logger.info("step %s does what the request asks and no step did", step_id)
        while (trimmed := without_unasked(plan, request, tools)) != plan:  # a step left unused by one left out
            plan = trimmed
        plan = without_unasked_links(plan, request, tools)
        versions = [image for _, image in self.agent.latest_of_each(session)]
        uploads = list(session.images)
        named = (
            upload_named(request, session.file_names)
            or image_by_size(request, versions, partial(_image_size, session))
            or self.agent.upload_by_what_it_shows(session, request)
        )
        plan, moved = on_the_newest_upload(plan, request, uploads, self.agent.shown_images(session), named)
        for step_id, image in moved.items():
            logger.info("step %s works on the newest upload %s", step_id, image)
        shows = partial(self.agent.upload_by_what_it_shows, session)
        plan, moved = on_the_named_uploads(plan, request, session.file_names, tools, shows)
        for step_id, image in moved.items():
            logger.info("step %s works on %s, the upload its part of the request names", step_id, image)
        latest = session.latest_image
        plan, moved = on_the_newest_edits(
            plan, request, latest, lineage(latest or "", session.made_from), map_operations()
        )
        for step_id, image in moved.items():
            logger.info("step %s works on %s, the newest edit", step_id, image)
        plan, moved = on_the_result_named(plan, request, self.agent.shown_images(session), tools)
        for step_id, image in moved.items():
            logger.info("step %s works on %s, the result the request names", step_id, image)
        plan, copies = for_every_upload(plan, request, uploads, tools, versions)
        if copies:
            logger.info("steps %s repeat the plan on every upload, as the request asks", copies)
        plan, redrawn = maps_on_photos(plan, request, tools)
        for step_id, image in redrawn.items():
            logger.info("step %s draws its map on %s, not on another map", step_id, image)
        plan, on_maps = on_the_maps_named(plan, request, tools)
        for step_id, image in on_maps.items():
            logger.info("step %s works on %s, the map its part of the request names", step_id, image)
        size = partial(_image_size, session)
        # boxes before sizes: a resize of a crop ("crop it to a square, then make it 200 pixels wide") is sized from
        # the crop's box
        plan, boxed = boxes_from_the_detection(plan, request, tools, size, self.agent.shown_text(session))
        for step_id, detection in boxed.items():
            logger.info(
                "step %s takes the boxes of %s, not a box the request never gave",
                step_id,
                "the part named" if detection is None else f"step {detection}",
            )
        plan, sized = sizes_from_the_request(plan, request, tools, size)
        for step_id, (width, height) in sized.items():
            logger.info("step %s makes %sx%s, as the request asks", step_id, width, height)
        plan, resized = same_sizes(plan, request, tools, versions, size)
        for step_id, action_input in resized.items():
            logger.info("step %s resizes %s, to make the two the same size", step_id, action_input)
        plan, unstated = without_unstated_sizes(plan, request, tools, {*sized, *resized})
        for step_id in sorted(unstated):
            logger.info("step %s resizes to a size the request never gives; it is left out", step_id)
        plan, turned = angles_from_the_request(plan, request, tools)
        for step_id, angle in turned.items():
            logger.info("step %s turns by %s degrees, as the request asks", step_id, angle)
        return plan

    def _not_loaded(self, request: str) -> list[ToolSpec]:
        """The tools ``request`` asks for that the executor does not run."""
        return asked_but_not_loaded(request, self.executor.runner.available, default_registry())

    def not_loaded_text(self, request: str) -> str:
        """A line for each tool ``request`` asks for that is not loaded (``""``: none)."""
        return "\n".join(
            self.response.not_loaded.format(tool=spec.name, load=load_hint(spec)) for spec in self._not_loaded(request)
        )

    def run(self, session: ChatSession, request: str) -> Iterator[PlanEvent | AgentEvent]:
        """Answer ``request`` by planning first (events as described in the module's docstring)."""
        request = self.agent.taken_up(session, request)
        if (
            asks_to_undo(request, session.latest_image, session.made_from)
            or asks_to_see_again(request)
            or reads_then_asks(request)  # "read the sign and tell me when they close": the chat answers from the words
            or edits_a_part_of_the_writing(request, self.executor.runner.available.names)
            # one square crop around what the detector finds: the loop's crop (agent.meant_call.squared_around_its_box)
            or (squares_a_named_part(request) and not asks_for_several(request))
            # "draw a box around it": the loop's marking, told where it is (the planned line said "I have made the hat")
            or ((marks_it(request) or marked(request) is not None) and not asks_for_several(request))
            or (session.latest_image is not None and hides_what_is_personal(request))
            or self.agent.answer_before_the_model(session, request)
        ):  # the loop answers (a request to hide what is personal: its blurs one after the other, agent/privacy.py)
            yield from self.agent.run(session, request)
            return
        said = request  # what is remembered; the plan and its answer are of the parts a tool here does
        request, beyond = without_parts_beyond_the_tools(
            request, has_image=bool(session.images), loaded=self.executor.runner.available.names
        )
        session.turns += 1
        made_plans = list(self.plan(session, request))
        plans = [made.result for made in made_plans]
        result = plans[-1]
        unplanned = asked_but_unplanned(result.plan, request, self.executor.runner.available) if result.plan else []
        if unplanned:  # a step's numbers are another step's result: the loop does it a step at a time
            logger.info("the plan leaves out %s, which the request asks for; the ReAct loop does it", unplanned)
            session.turns -= 1  # Agent.run counts the turn
            yield from self.agent.run(session, said)
            return
        yield from made_plans
        if result.plan is None:
            text = self.response.no_plan.format(error=result.error)
            self.agent.remember(session, said, text, steps=())
            yield PlanReply(text, (), tuple(plans), None)
            return
        not_loaded = self.not_loaded_text(request)
        missing = "\n\n".join(filter(None, [not_loaded, *beyond]))  # said after the answer
        if not result.plan.steps and missing:  # its only steps stood in for tools not loaded
            self.agent.remember(session, said, missing, steps=())
            yield PlanReply(missing, (), tuple(plans), None)
            return
        if not result.plan.steps:  # no tool needed: the ReAct loop answers (it may still use a tool)
            session.turns -= 1  # Agent.run counts the turn
            yield from self.agent.run(session, said)
            return
        updates: queue.Queue[StepResult] = queue.Queue()
        run = self.executor.start(
            result.plan,
            session.workspace,
            images=_known_images(session),
            listener=updates.put,
            labels=labels_asked(request),  # "crop to the cat": not the upper body found beside it
        )
        try:
            yield PlanStarted(run)
            yield from _updates(run, updates)
        finally:
            run.cancel("stopped")  # the consumer went away (Stop); no-op when the plan has ended
        execution = run.result()
        answer = self.writer.write(session, request, execution, short_of_tools=bool(not_loaded))
        text = f"{answer.text}\n\n{missing}" if missing else answer.text
        # a detector's copy with its boxes drawn is for the person: "it" stays the photo, as in the chat ("rotate
        # right" after "put a box around the cat" had rotated the drawn copy)
        made = [
            result
            for result in execution.results
            if result.ok and result.outcome and result.outcome.image and result.step.task not in DETECTORS
        ]
        images = [image for result in made if result.outcome and (image := result.outcome.image)]
        for result, image in zip(made, images, strict=True):
            session.record_made([image], step_call(result))
        session.last_made = tuple(images) or session.last_made
        self.agent.remember(session, said, text, images, traced(execution, with_failures=True))
        yield PlanReply(text, execution.files, tuple(plans), execution, answer)

    def chat(self, session: ChatSession, request: str) -> PlanReply | Reply:
        """Run a planned turn to the end and return only its reply."""
        reply: PlanReply | Reply | None = None
        for event in self.run(session, request):
            if isinstance(event, PlanReply | Reply):
                reply = event
        assert reply is not None, "PlanAgent.run always ends with a reply"
        return reply


def _each_once(plan: Plan) -> Plan:
    """``plan`` less the steps that repeat an earlier one (:func:`protocol.plan.without_repeats`)."""
    plan, repeats = without_repeats(plan)
    if repeats:
        logger.info("steps %s repeat steps %s; each runs once", list(repeats), list(repeats.values()))
    return plan


def _image_size(session: ChatSession, image: object) -> tuple[int, int] | None:
    """The width and height of one of the session's images (its uploads and what its tools made), ``None`` for a
    step's output (not made yet)."""
    known = isinstance(image, str) and (image in session.images or image in session.made_from)
    return image_size(session.workspace, image) if known else None


def _updates(run: PlanRun, updates: queue.Queue[StepResult]) -> Iterator[StepUpdate]:
    """Each step update as the executor reports it, until every step has ended (each ends exactly once)."""
    remaining = len(run.plan)
    while remaining:
        result = updates.get()
        remaining -= result.status.finished
        yield StepUpdate(result)


def _known_images(session: ChatSession) -> list[str]:
    """The images a plan may work on: the session's uploads and the images its tools made (a later request goes on
    from an edit: agent.plan_images.on_the_newest_edits)."""
    return [*session.images, *session.made_from]
