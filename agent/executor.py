"""Running a plan as a dataflow graph: a step starts the moment the outputs it uses exist.

:meth:`Executor.start` validates the plan against the runner's tools (nothing runs when it does not fit), submits
the steps that use no other step's output to a thread pool, and from then on each finished step (a future's
callback, no polling) submits the dependents whose inputs are now all there. ``"<GENERATED>-k"`` is bound to what
step ``k`` produced: the image it made, the text it wrote or, for a box-taking tool given a detection, the boxes it
found on the image it looked at (:func:`protocol.plan.takes_a_box`).

Every step ends in one state: ``done``, ``failed``, ``timed out``, ``cancelled`` or ``skipped`` (because a step whose
output it needs did not finish; the reason names that step). A step that runs past ``step_timeout_s`` is timed out
and so is a running step cancelled: Python cannot stop a thread, so its call runs on in the background and its
result is dropped; the plan does not wait for it.

A box-taking step given a detection runs once per box, the most confident first. When its first result keeps the
image's size (an edit in place, such as a blur), each further box is applied to the result before it and the step
gives one image; otherwise (a crop) each box is applied to the detected image and the step gives one image per box,
of which the first (the most confident box) is what later steps take. A run may be given the labels its request asks
to edit ("crop to the cat": the cat's boxes, not the upper body found beside it); a detection that found none of them
skips the box step, saying what it found.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Collection, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from agent.step_runner import ArgumentValue, StepOutcome, StepRunner
from agent.text_region import with_margin
from protocol.plan import BOX_CORNERS, Plan, PlanStep, Reference, takes_a_box, validate_plan
from tools.outputs import TEXT_LABEL, Box
from tools.spec import OutputKind

if TYPE_CHECKING:
    from tools.outputs import Box
    from tools.spec import ToolSpec
    from tools.workspace import Workspace

logger = logging.getLogger(__name__)

DEFAULT_STEP_TIMEOUT_S = 300.0
DEFAULT_MAX_WORKERS = 4


class StepStatus(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    TIMED_OUT = "timed out"
    CANCELLED = "cancelled"
    SKIPPED = "skipped"

    @property
    def finished(self) -> bool:
        return self not in (StepStatus.PENDING, StepStatus.RUNNING)


@dataclass(frozen=True)
class Detected:
    """What a detection step gives a box-taking step: the boxes and the image they were found on."""

    image: str
    boxes: tuple[Box, ...]


@dataclass(frozen=True)
class StepResult:
    """One step's state: its resolved ``arguments`` once it starts, its ``outcome`` once its tool answers, and for
    a step that did not end ``done`` the ``reason``. ``started`` / ``finished`` are seconds since the plan began."""

    step: PlanStep
    tool: ToolSpec
    status: StepStatus = StepStatus.PENDING
    arguments: Mapping[str, ArgumentValue] = field(default_factory=dict)
    outcome: StepOutcome | None = None
    reason: str = ""
    started: float | None = None
    finished: float | None = None

    @property
    def ok(self) -> bool:
        return self.status is StepStatus.DONE

    @property
    def seconds(self) -> float:
        if self.started is None or self.finished is None:
            return 0.0
        return self.finished - self.started

    def value(self, *, for_a_box: bool = False) -> str | Detected | None:
        """What ``"<GENERATED>-k"`` of this step is bound to (``None`` unless the step is done); ``for_a_box``: for a
        box-taking step's image, which takes a reading's text box as a detection's ("crop to the sign")."""
        if not self.ok or self.outcome is None:
            return None
        placed = for_a_box and self.tool.output is OutputKind.TEXT and bool(self.outcome.data)
        if self.tool.output is OutputKind.BOXES or placed:
            image = self.arguments.get(self.tool.inputs[0].name, "")
            boxes = [item for item in self.outcome.data or () if isinstance(item, Box)]  # a reading's words aside
            return Detected(str(image), tuple(sorted(boxes, key=lambda b: -b.score)))
        if self.tool.output is OutputKind.IMAGE:
            return self.outcome.image
        return self.outcome.text


@dataclass(frozen=True)
class Execution:
    """A finished (or cancelled) plan: each step's result in plan order and the wall time."""

    plan: Plan
    results: tuple[StepResult, ...]
    seconds: float

    @property
    def ok(self) -> bool:
        return all(result.ok for result in self.results)

    def by_id(self) -> dict[int, StepResult]:
        return {result.step.id: result for result in self.results}

    @property
    def files(self) -> tuple[str, ...]:
        """Every file the finished steps made, in plan order."""
        names = [f for r in self.results if r.ok and r.outcome for f in r.outcome.files]
        return tuple(dict.fromkeys(names))


Listener = Callable[[StepResult], None]


class PlanRun:
    """One plan being executed (see :meth:`Executor.start`): watch it, cancel it, wait for it."""

    def __init__(  # noqa: PLR0917 (the run's whole context)
        self,
        plan: Plan,
        runner: StepRunner,
        workspace: Workspace,
        step_timeout_s: float,
        max_workers: int,
        listener: Listener | None,
        labels: Collection[str] = (),
    ) -> None:
        self.plan = plan
        self.labels = frozenset(labels)
        self.runner = runner
        self.workspace = workspace
        self.step_timeout_s = step_timeout_s
        self._listener = listener
        self._lock = threading.RLock()
        self._settled = threading.Condition(self._lock)
        self._calls = 0  # tool calls running now, including dropped ones (timed out, cancelled)
        self._finished = threading.Event()
        self._start = time.perf_counter()
        self._end: float | None = None
        tools = runner.available
        self._results = {step.id: StepResult(step, tools.get(step.task)) for step in plan.steps}
        self._dependents: dict[int, list[int]] = {step.id: [] for step in plan.steps}
        for source, target in plan.links:
            self._dependents[source].append(target)
        self._futures: dict[int, Future] = {}
        self._timers: dict[int, threading.Timer] = {}
        self._pool = ThreadPoolExecutor(max_workers=max(1, min(max_workers, len(plan))), thread_name_prefix="plan")

    # ----------------------------------------------------------------- public
    def start(self) -> PlanRun:
        events: list[StepResult] = []
        with self._lock:
            for step in self.plan.steps:
                if not step.references:
                    events += self._submit(step.id)
            self._check_finished()
        self._emit(events)
        return self

    def wait(self, timeout: float | None = None) -> bool:
        """Block until every step has ended (or ``timeout`` seconds); whether they have."""
        return self._finished.wait(timeout)

    @property
    def finished(self) -> bool:
        return self._finished.is_set()

    def settle(self, timeout: float | None = None) -> bool:
        """Block until the plan has ended and no call of it still runs in the background (a timed-out or cancelled
        step's call runs on until its tool returns); whether that happened within ``timeout`` seconds. Wait for this
        before deleting the workspace the plan writes to."""
        with self._settled:
            return self._settled.wait_for(lambda: self._finished.is_set() and not self._calls, timeout)

    def result(self, timeout: float | None = None) -> Execution:
        """The execution once every step has ended (raises ``TimeoutError`` after ``timeout`` seconds)."""
        if not self.wait(timeout):
            raise TimeoutError(f"the plan is still running after {timeout} s")
        return self.snapshot()

    def snapshot(self) -> Execution:
        """The steps' states now."""
        with self._lock:
            end = self._end if self._end is not None else time.perf_counter()
            results = tuple(self._results[step.id] for step in self.plan.steps)
        return Execution(self.plan, results, end - self._start)

    def cancel(self, reason: str = "cancelled") -> None:
        """Stop the plan: steps not yet ended are cancelled (a running tool call's result is dropped)."""
        events: list[StepResult] = []
        with self._lock:
            for step_id, result in self._results.items():
                if not result.status.finished:
                    events.append(self._end_step(step_id, StepStatus.CANCELLED, reason))
            self._check_finished()
        self._emit(events)

    def cancel_step(self, step_id: int, reason: str = "cancelled") -> None:
        """Stop one step (its dependents are skipped); nothing happens when it has already ended."""
        with self._lock:
            if self._results[step_id].status.finished:
                return
            events = [self._end_step(step_id, StepStatus.CANCELLED, reason)]
            events += self._skip_dependents(step_id)
            self._check_finished()
        self._emit(events)

    # ----------------------------------------------------------------- scheduling (under the lock)
    def _submit(self, step_id: int) -> list[StepResult]:
        """Queue the step on the pool (its callback is set before it can finish: ``_work`` takes the lock first);
        the steps that ended instead (a reference that gave nothing to use skips the step)."""
        step = self._results[step_id].step
        try:
            arguments = self._bind(step)
        except _Unbound as problem:  # e.g. a detection that found nothing to crop
            return [self._end_step(step_id, StepStatus.SKIPPED, str(problem)), *self._skip_dependents(step_id)]
        self._results[step_id] = replace(self._results[step_id], arguments=arguments)
        future = self._pool.submit(self._work, step_id)
        self._futures[step_id] = future
        future.add_done_callback(lambda done, sid=step_id: self._done(sid, done))
        return []

    def _bind(self, step: PlanStep) -> dict[str, Any]:
        """The step's arguments with each reference replaced by what the referenced step gave."""
        arguments: dict[str, Any] = {}
        boxed = takes_a_box(self._results[step.id].tool)
        for name, value in step.args:
            if not isinstance(value, Reference):
                arguments[name] = value
                continue
            source = self._results[value.step]
            bound = source.value(for_a_box=boxed and name == self._results[step.id].tool.inputs[0].name)
            if isinstance(bound, Detected) and not bound.boxes:
                raise _Unbound(f"step {self._number(value.step)} ({source.step.task}) found no object to work on")
            if isinstance(bound, Detected) and self.labels and source.tool.output is OutputKind.BOXES:
                bound = self._of_the_labels(bound, value.step, source.step.task)
            if bound is None or bound == "":
                raise _Unbound(f"step {self._number(value.step)} ({source.step.task}) gave no output to use")
            arguments[name] = bound
        return arguments

    def _of_the_labels(self, detected: Detected, source: int, task: str) -> Detected:
        """``detected`` with the boxes of the run's labels only ("crop to the cat": a crop of the upper body found
        instead would have been a silent wrong result); raises :class:`_Unbound` when it found none of them."""
        kept = tuple(box for box in detected.boxes if box.label in self.labels)
        if not kept:
            found = ", ".join(dict.fromkeys(box.label for box in detected.boxes))
            wanted = " or ".join(sorted(self.labels))
            raise _Unbound(f"step {self._number(source)} ({task}) found no {wanted}, only: {found}")
        return replace(detected, boxes=kept)

    def _done(self, step_id: int, future: Future) -> None:
        if future.cancelled():
            return
        outcome: StepOutcome = future.result()
        with self._lock:
            result = self._results[step_id]
            if result.status is not StepStatus.RUNNING:  # timed out or cancelled meanwhile: dropped
                logger.info("step %s ended after it was %s; its result is dropped", step_id, result.status)
                return
            status = StepStatus.DONE if outcome.ok else StepStatus.FAILED
            self._results[step_id] = replace(result, outcome=outcome)
            events = [self._end_step(step_id, status, "" if outcome.ok else outcome.text)]
            if outcome.ok:
                for target in self._dependents[step_id]:
                    if self._ready(target):
                        events += self._submit(target)
            else:
                events += self._skip_dependents(step_id)
            self._check_finished()
        self._emit(events)

    def _ready(self, step_id: int) -> bool:
        result = self._results[step_id]
        return (
            result.status is StepStatus.PENDING
            and step_id not in self._futures
            and all(self._results[source].ok for source in result.step.references)
        )

    def _time_out(self, step_id: int) -> None:
        with self._lock:
            if self._results[step_id].status is not StepStatus.RUNNING:
                return
            reason = f"took longer than {self.step_timeout_s:g} s"
            events = [self._end_step(step_id, StepStatus.TIMED_OUT, reason)]
            events += self._skip_dependents(step_id)
            self._check_finished()
        self._emit(events)

    def _end_step(self, step_id: int, status: StepStatus, reason: str) -> StepResult:
        timer = self._timers.pop(step_id, None)
        if timer is not None:
            timer.cancel()
        future = self._futures.get(step_id)
        if future is not None and status is StepStatus.CANCELLED:
            future.cancel()  # a queued call never starts; a running one runs on, dropped
        result = self._results[step_id]
        self._results[step_id] = replace(result, status=status, reason=reason, finished=self._now())
        return self._results[step_id]

    def _skip_dependents(self, step_id: int) -> list[StepResult]:
        """Skip every step that needs ``step_id``'s output, directly or not, saying which step did not finish."""
        cause = self._results[step_id]
        why = f"step {self._number(step_id)} ({cause.step.task}) {cause.status.value}"
        events = []
        for target in self._dependents[step_id]:
            if not self._results[target].status.finished:
                events.append(self._end_step(target, StepStatus.SKIPPED, f"{why}: {cause.reason}"))
                events += self._skip_dependents(target)
        return events

    def _check_finished(self) -> None:
        if not self._finished.is_set() and all(r.status.finished for r in self._results.values()):
            self._end = time.perf_counter()
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._finished.set()
            self._settled.notify_all()

    def _number(self, step_id: int) -> int:
        """A step's 1-based position in the plan (how people count steps)."""
        return next(index for index, step in enumerate(self.plan.steps, 1) if step.id == step_id)

    def _now(self) -> float:
        return time.perf_counter() - self._start

    # ----------------------------------------------------------------- events
    def _emit(self, events: list[StepResult]) -> None:
        """Tell the listener (outside the lock, so a slow listener never holds up the steps)."""
        if self._listener is None:
            return
        for event in events:
            try:
                self._listener(event)
            except Exception:  # a broken listener must not stop the plan
                logger.exception("plan listener failed")

    # ----------------------------------------------------------------- a step, on a pool thread
    def _work(self, step_id: int) -> StepOutcome:
        with self._lock:
            result = self._results[step_id]
            if result.status is not StepStatus.PENDING:
                return StepOutcome(False, result.reason)
            self._results[step_id] = result = replace(result, status=StepStatus.RUNNING, started=self._now())
            timer = threading.Timer(self.step_timeout_s, self._time_out, (step_id,))
            timer.daemon = True
            self._timers[step_id] = timer
            timer.start()
            self._calls += 1
        self._emit([result])
        try:
            return self._call(result)
        except Exception as error:  # a runner is not meant to raise; the step fails, the plan goes on
            logger.exception("step %s raised", step_id)
            return StepOutcome(False, f"{result.step.task} failed: {type(error).__name__}: {error}")
        finally:
            with self._settled:
                self._calls -= 1
                self._settled.notify_all()

    def _call(self, result: StepResult) -> StepOutcome:
        tool, arguments = result.tool, dict(result.arguments)
        first = tool.inputs[0].name
        detected = arguments.get(first)
        if not (takes_a_box(tool) and isinstance(detected, Detected)):
            return self.runner(tool.name, arguments, self.workspace)
        return self._per_box(tool, detected)

    def _per_box(self, tool: ToolSpec, detected: Detected) -> StepOutcome:
        """A box-taking tool over every box a detection found (see the module's docstring)."""
        first = tool.inputs[0].name
        outcomes: list[StepOutcome] = []
        image, in_place = detected.image, False
        for index, box in enumerate(detected.boxes):
            corners = self._with_margin(detected.image, box.box) if box.label == TEXT_LABEL else box.box
            arguments = {first: image, **dict(zip(BOX_CORNERS, corners, strict=True))}
            outcome = self.runner(tool.name, arguments, self.workspace)
            outcomes.append(outcome)
            if not outcome.ok or outcome.image is None:
                break
            if index == 0:
                in_place = _same_size(self.workspace, detected.image, outcome.image)
            if in_place:
                image = outcome.image
        last = outcomes[-1]
        files = tuple(f for o in outcomes for f in o.files)
        seconds = sum(o.seconds for o in outcomes)
        if not last.ok:
            return replace(last, files=files, seconds=seconds)
        made = [o.image for o in outcomes if o.image]
        text = made[-1] if in_place else ", ".join(made)
        primary = made[-1] if in_place else made[0]
        # the step's image (what later steps take) is the first file it names
        ordered = (primary, *(f for f in files if f != primary))
        return replace(last, text=text, files=ordered, seconds=seconds)

    def _with_margin(self, image: str, box: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
        """A reading's text ``box`` on ``image`` with the margin the chat's writing edits give it."""
        from PIL import Image

        with Image.open(self.workspace.resolve(image)) as opened:
            return with_margin(box, *opened.size)


class _Unbound(Exception):
    """A reference whose step gave nothing this step can use."""


def _same_size(workspace: Workspace, a: str, b: str) -> bool:
    from PIL import Image

    with Image.open(workspace.resolve(a)) as first, Image.open(workspace.resolve(b)) as second:
        return first.size == second.size


class Executor:
    """Runs plans with a :class:`~agent.step_runner.StepRunner`.

    Args:
        runner: runs one subtask (the tool runtime, or competing backends).
        step_timeout_s: how long one step may run.
        max_workers: steps running at once per plan.
    """

    def __init__(
        self,
        runner: StepRunner,
        *,
        step_timeout_s: float = DEFAULT_STEP_TIMEOUT_S,
        max_workers: int = DEFAULT_MAX_WORKERS,
    ) -> None:
        if step_timeout_s <= 0 or max_workers < 1:
            raise ValueError("step_timeout_s must be positive and max_workers at least 1")
        self.runner = runner
        self.step_timeout_s = step_timeout_s
        self.max_workers = max_workers

    def validate(self, plan: Plan, images: list[str] | None = None) -> Plan:
        """``plan`` when it fits the runner's tools (and ``images``); raises :class:`PlanError` naming each problem."""
        return validate_plan(plan, self.runner.available, images)

    def start(
        self,
        plan: Plan,
        workspace: Workspace,
        *,
        images: list[str] | None = None,
        listener: Listener | None = None,
        labels: Collection[str] = (),
    ) -> PlanRun:
        """Validate ``plan`` and start it; ``listener`` hears each step start and end (from pool threads). A box step
        given a detection takes its boxes of ``labels`` only (all when empty): what the request asks to edit.

        Raises:
            PlanError: the plan does not fit the tools (nothing has run).
        """
        self.validate(plan, images)
        run = PlanRun(plan, self.runner, workspace, self.step_timeout_s, self.max_workers, listener, labels)
        return run.start()

    def run(
        self, plan: Plan, workspace: Workspace, *, images: list[str] | None = None, labels: Collection[str] = ()
    ) -> Execution:
        """Run ``plan`` to the end."""
        return self.start(plan, workspace, images=images, labels=labels).result()
