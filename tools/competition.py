"""Competing backends for one subtask: k candidates run side by side, the consensus result is kept.

What CompeGPT's README promises, done as it says: candidates picked from the registry by downloads, likes,
prior rank or similarity of their description to the subtask (``configs/models.yaml``); all of them run
at once (a thread pool: the backends spend their time in C libraries, subprocesses or torch kernels that
release the GIL), each within a timeout; their results are compared pairwise (:mod:`tools.consensus`)
and the one with the highest mean similarity to the others is kept. A candidate that fails or times out
is left out of the comparison and never fails the subtask while another succeeds.

A plan executor calls :meth:`Competition.compete` once per subtask::

    competition = Competition(runtime)
    result = competition.compete("Text Detection On Image", {"image_path": "image/1a2b.png"}, workspace)
    result.observation.text         # what the step produced, as ToolRuntime.run would say it
    result.choose_model_result()    # HuggingGPT's {"id": ..., "reason": ...}

A timed-out candidate's thread cannot be stopped (Python has no thread kill); its result is dropped
when it ends, and its backend stays busy until then.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from PIL import Image

from tools.consensus import Choice, Nothing, choose, similarity_matrix
from tools.embeddings import Embedder, MiniLMEmbedder
from tools.errors import NothingFoundError, ToolArgumentError, ToolError
from tools.failures import tool_failed
from tools.family_registry import create_family, import_target
from tools.model_family import ModelFamily
from tools.model_registry import Agreement, Candidate, FamilyCandidates, ModelRegistry, Selection
from tools.outputs import EXPECTED_RESULTS, Detections, Reading
from tools.registry import UnknownToolError
from tools.runtime import Observation, ToolContext, ToolRuntime
from tools.spec import InputKind, ToolSpec
from tools.workspace import Workspace

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CandidateOutcome:
    """What one candidate did: its result (``value``, the handler's return) or why it failed, and its time.

    ``text`` is the result as an observation would say it (the file name when its image was saved).
    """

    name: str
    rank: int
    description: str
    ok: bool
    seconds: float
    text: str = ""
    error: str = ""
    value: Any = field(default=None, repr=False, compare=False)
    files: tuple[str, ...] = ()
    mean_similarity: float | None = None


@dataclass(frozen=True)
class CompetitionResult:
    """One subtask's competition: every candidate's outcome, the similarity matrix, the choice and why.

    ``matrix[i][j]`` compares the results of ``compared[i]`` and ``compared[j]`` (the candidates that gave
    one; empty when their results could not be compared, and the best prior rank was kept). ``observation`` is the kept result as :meth:`ToolRuntime.run` gives it (``ok=False`` with every
    candidate's error when none succeeded); ``seconds`` is the wall time of the whole competition.
    """

    tool: str
    family: str
    action_input: str
    agreement: Agreement | None
    candidates: tuple[CandidateOutcome, ...]
    compared: tuple[str, ...]
    matrix: tuple[tuple[float, ...], ...]
    chosen: str | None
    reason: str
    observation: Observation
    seconds: float
    unavailable: Mapping[str, str] = field(default_factory=dict)

    def outcome(self, name: str) -> CandidateOutcome:
        return next(c for c in self.candidates if c.name == name)

    def choose_model_result(self) -> dict[str, str]:
        """HuggingGPT's ``"choose model result"``: the model kept and why."""
        return {"id": self.chosen or "", "reason": self.reason}

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary (results as their observation texts, no raw values)."""
        return {
            "tool": self.tool,
            "family": self.family,
            "arguments": self.action_input,
            "agreement": str(self.agreement) if self.agreement else None,
            "candidates": [
                {
                    "id": c.name,
                    "rank": c.rank,
                    "ok": c.ok,
                    "result": c.text if c.ok else None,
                    "error": c.error or None,
                    "seconds": round(c.seconds, 3),
                    "mean_similarity": None if c.mean_similarity is None else round(c.mean_similarity, 4),
                    "files": list(c.files),
                }
                for c in self.candidates
            ],
            "similarity": {"candidates": list(self.compared), "matrix": [list(row) for row in self.matrix]},
            "choose model result": self.choose_model_result(),
            "inference result": self.observation.text,
            "ok": self.observation.ok,
            "seconds": round(self.seconds, 3),
            "unavailable": dict(self.unavailable),
        }


@dataclass
class CandidateContext(ToolContext):
    """A handler's context when it runs as a candidate: its own backend answers ``model()`` and ``device()``."""

    backend: ModelFamily | None = None

    def _own(self, family: str | None) -> bool:
        return self.backend is not None and (family is None or family in (self.spec.family, self.backend.name))

    def model(self, family: str | None = None) -> Any:
        return self.backend.get() if self._own(family) else super().model(family)

    def device(self, family: str | None = None) -> str:
        return self.backend.device if self._own(family) else super().device(family)


_Raw = tuple[bool, float, Any, list[str]]  # ok, seconds, the result (or the error's text), files written


@dataclass(frozen=True)
class _Call:
    """One tool call being competed for: the tool, its candidates' family entry and the parsed arguments."""

    spec: ToolSpec
    entry: FamilyCandidates
    action_input: str
    values: list[Any]
    workspace: Workspace
    start: float


class _Slot:
    """One candidate's backend, built on first use; the lock lets one subtask at a time use it."""

    def __init__(self, backend: ModelFamily) -> None:
        self.backend = backend
        self.lock = threading.Lock()
        self.problem: str | None = None
        self.checked = False


class Competition:
    """Runs a family's candidates for a tool side by side and keeps the consensus.

    Args:
        runtime: the tool runtime (its catalogue, its parsing of arguments, the devices of its families).
        registry: the candidates (default: ``configs/models.yaml``).
        embedder: sentence embeddings for text agreement and selection by similarity (default: MiniLM,
            loaded on first need).
        device: where candidates load when the runtime has not loaded their family (else on its device).
    """

    def __init__(
        self,
        runtime: ToolRuntime | None = None,
        registry: ModelRegistry | None = None,
        embedder: Embedder | None = None,
        device: str = "cpu",
    ) -> None:
        self.runtime = runtime or ToolRuntime({})
        self.registry = registry or ModelRegistry.load(catalog=self.runtime.catalog)
        self.device = device
        self._embedder = embedder
        self._slots: dict[tuple[str, str], _Slot] = {}
        self._lock = threading.Lock()

    def competes(self, tool_name: str) -> bool:
        """Whether the shipped default for ``tool_name``'s family is to compete (``compete: true``)."""
        spec = self._spec(tool_name.strip())
        return spec is not None and spec.family in self.registry and self.registry.get(spec.family).compete

    def available(self, family: str) -> tuple[list[Candidate], dict[str, str]]:
        """The family's candidates that can load here, and the reason for each that cannot."""
        entry = self.registry.get(family)
        ready: list[Candidate] = []
        problems: dict[str, str] = {}
        for candidate in entry.candidates:
            problem = self._check(family, candidate)
            if problem is None:
                ready.append(candidate)
            else:
                problems[candidate.name] = problem
        return ready, problems

    def compete(
        self,
        tool_name: str,
        arguments: str | Mapping[str, Any],
        workspace: Workspace,
        *,
        k: int | None = None,
        select: Selection | str | None = None,
        query: str | None = None,
        candidates: Sequence[str] | None = None,
        timeout_s: float | None = None,
        keep_all_files: bool = False,
    ) -> CompetitionResult:
        """Run ``k`` candidates for one call of ``tool_name`` at once and keep the consensus result.

        Args:
            arguments: the Action Input, or the named arguments of a plan step (``{"image_path": ...}``).
            k, select: how many candidates and how they are picked (default: the family's settings).
            query: the subtask's text, for selection by similarity (default: the call's text arguments).
            candidates: run exactly these (by name) instead of selecting.
            timeout_s: per candidate (default: the family's ``timeout_s``).
            keep_all_files: save every candidate's image result, not only the kept one's.

        Never raises for a bad call or failing backends: the observation then has ``ok=False``.
        """
        start = time.perf_counter()
        name = tool_name.strip()
        spec = self._spec(name)
        with_candidates = [s.name for s in self.runtime.catalog if s.family in self.registry]
        if spec is None:
            return _refused(name, "", str(UnknownToolError(name, with_candidates)), start)
        if spec.family not in self.registry:
            return _refused(
                name,
                spec.family,
                f"{name!r} has no competing candidates in {self.registry.source}; tools that do: "
                + ", ".join(with_candidates),
                start,
            )
        entry = self.registry.get(spec.family)
        try:
            action_input = arguments if isinstance(arguments, str) else spec.join_arguments(arguments)
            values = self.runtime._arguments(spec, action_input, workspace)  # the runtime's own parsing
            picked, unavailable = self._pick(entry, k, select, query or _text_arguments(spec, values), candidates)
        except ToolError as error:
            return _refused(name, spec.family, str(error), start)
        except ValueError as error:
            return _refused(name, spec.family, str(ToolArgumentError(str(error))), start)
        if not picked:
            reasons = "; ".join(f"{n}: {why}" for n, why in unavailable.items())
            return _refused(name, spec.family, f"no candidate for {name!r} can run here ({reasons})", start)
        timeout = entry.timeout_s if timeout_s is None else timeout_s
        call = _Call(spec, entry, action_input, values, workspace, start)
        return self._decide(call, picked, self._run_all(call, picked, timeout), keep_all_files, unavailable)

    def run(
        self, tool_name: str, arguments: str | Mapping[str, Any], workspace: Workspace, *, query: str | None = None
    ) -> CompetitionResult:
        """One subtask as shipped: a competition when the tool's family says ``compete: true``, else the tool
        alone through the runtime (reported as a result of one candidate, the family's first)."""
        if self.competes(tool_name):
            return self.compete(tool_name, arguments, workspace, query=query)
        start = time.perf_counter()
        spec = self._spec(tool_name.strip())
        try:
            action_input = arguments if isinstance(arguments, str) or spec is None else spec.join_arguments(arguments)
        except ValueError as error:
            return _refused(spec.name, spec.family, str(ToolArgumentError(str(error))), start)
        if not isinstance(action_input, str):  # an unknown tool: the runtime's observation names the valid ones
            action_input = ""
        observation = self.runtime.run(tool_name, action_input, workspace)
        family = spec.family if spec is not None else ""
        default = self.registry.get(family).candidates[0].name if family in self.registry else family
        return CompetitionResult(
            tool=tool_name.strip(),
            family=family,
            action_input=action_input,
            agreement=None,
            candidates=(),
            compared=(),
            matrix=(),
            chosen=default if observation.ok else None,
            reason=f"{default or 'the tool'} runs alone (compete: false)",
            observation=observation,
            seconds=time.perf_counter() - start,
        )

    def unload(self) -> None:
        """Free every candidate's backend (they load again on next use)."""
        with self._lock:
            slots = list(self._slots.values())
        for slot in slots:
            with slot.lock:
                slot.backend.unload()

    # selection -----------------------------------------------------------------------------------------

    def _spec(self, name: str) -> ToolSpec | None:
        return self.runtime.catalog.get(name) if name in self.runtime.catalog else None

    def _pick(
        self,
        entry: FamilyCandidates,
        k: int | None,
        select: Selection | str | None,
        query: str,
        names: Sequence[str] | None,
    ) -> tuple[list[Candidate], dict[str, str]]:
        ready, unavailable = self.available(entry.family)
        if names is not None:
            wanted = [entry.get(n) for n in names]
            missing = {c.name: unavailable[c.name] for c in wanted if c.name in unavailable}
            return [c for c in wanted if c.name not in unavailable], missing
        try:
            by = Selection(select or entry.select)
        except ValueError:
            raise ToolArgumentError(f"select {select!r} is not one of {', '.join(Selection)}") from None
        embed = None
        if by is Selection.SIMILARITY and query:
            try:
                embed = self.embedder
            except ToolError as error:
                log.warning("selecting by prior rank instead of similarity: %s", error)
                by = Selection.RANK
        return entry.select_candidates(k, by, query, embed, among=ready), unavailable

    @property
    def embedder(self) -> Embedder:
        """MiniLM, loaded on first need (or the embedder given)."""
        with self._lock:
            if self._embedder is None:
                self._embedder = MiniLMEmbedder(batch_size=32, max_length=128)
            return self._embedder

    # running -------------------------------------------------------------------------------------------

    def _slot(self, family: str, candidate: Candidate) -> _Slot:
        with self._lock:
            key = (family, candidate.name)
            if key not in self._slots:
                loaded = self.runtime.families.get(candidate.loader)
                device = loaded.device if loaded is not None else self.device
                self._slots[key] = _Slot(create_family(candidate.loader, device, dict(candidate.options)))
            return self._slots[key]

    def _check(self, family: str, candidate: Candidate) -> str | None:
        """``None`` when the candidate can load here, else why not (checked once; cheap, no model built)."""
        try:
            slot = self._slot(family, candidate)
        except (ToolError, ImportError, TypeError, ValueError) as error:
            return f"{type(error).__name__}: {error}"
        with slot.lock:
            if not slot.checked:
                try:
                    slot.backend.check()
                except (ToolError, ImportError) as error:
                    slot.problem = str(error)
                slot.checked = True
            return slot.problem

    def _run_all(self, call: _Call, picked: list[Candidate], timeout: float) -> list[_Raw]:
        """Each candidate's (ok, seconds, result or error text, files it wrote), all run at once."""
        spec = call.spec
        pool = ThreadPoolExecutor(max_workers=len(picked), thread_name_prefix=f"compete-{spec.family}")
        futures: list[Future] = [pool.submit(self._run_one, call, self._slot(spec.family, c), c) for c in picked]
        # every candidate starts at once, so one wait is each candidate's timeout
        done, _ = wait(futures, timeout=timeout)
        pool.shutdown(wait=False, cancel_futures=True)
        outcomes = []
        for candidate, future in zip(picked, futures, strict=True):
            if future in done:
                outcomes.append(future.result())
            else:
                log.warning("candidate %s of %r timed out after %.0f s", candidate.name, spec.name, timeout)
                outcomes.append((False, timeout, f"timed out after {timeout:g} s", []))
        return outcomes

    def _run_one(self, call: _Call, slot: _Slot, candidate: Candidate) -> _Raw:
        start = time.perf_counter()
        spec = call.spec
        context = CandidateContext(spec, call.workspace, self.runtime, backend=slot.backend)
        try:
            with slot.lock:
                result = import_target(candidate.handler or spec.handler)(context, *call.values)
        except NothingFoundError as error:  # an answer (e.g. no person here) that takes part in the consensus
            return True, time.perf_counter() - start, Nothing(str(error)), context.files
        except ToolError as error:
            return False, time.perf_counter() - start, str(error), context.files
        except Exception as error:  # one failing backend must not fail the subtask
            log.warning("candidate %s of %r failed", candidate.name, spec.name, exc_info=True)
            message = tool_failed(spec.name, f"{type(error).__name__}: {error}")
            return False, time.perf_counter() - start, message, context.files
        if not isinstance(result, str | Reading | Detections | Image.Image):
            message = (
                f"{candidate.handler or spec.handler} returned {type(result).__name__}; expected {EXPECTED_RESULTS}"
            )
            return False, time.perf_counter() - start, message, context.files
        return True, time.perf_counter() - start, result, context.files

    # deciding ------------------------------------------------------------------------------------------

    def _decide(
        self, call: _Call, picked: list[Candidate], raw: list[_Raw], keep_all_files: bool, unavailable: dict[str, str]
    ) -> CompetitionResult:
        spec = call.spec
        agreement = call.entry.agreement_for(spec)
        winners = [i for i, (ok, *_) in enumerate(raw) if ok]
        compared = tuple(picked[i].name for i in winners)
        matrix = np.zeros((0, 0))
        choice: Choice | None = None
        if winners:
            try:
                matrix = similarity_matrix([raw[i][2] for i in winners], agreement, self._text_embedder(agreement))
                choice = choose(matrix, compared, [picked[i].rank for i in winners])
            except (ToolError, ValueError, TypeError) as error:  # e.g. MiniLM missing, a result of another kind
                log.warning("results of %r could not be compared: %s", spec.name, error)
                best = min(range(len(winners)), key=lambda i: picked[winners[i]].rank)
                matrix = np.zeros((0, 0))
                choice = Choice(best, (), f"results could not be compared ({error}); kept the best prior rank")
        outcomes = []
        observation: Observation | None = None
        for i, candidate in enumerate(picked):
            ok, seconds, result, files = raw[i]
            kept = choice is not None and winners[choice.index] == i
            if not ok:
                outcomes.append(
                    CandidateOutcome(
                        candidate.name, candidate.rank, candidate.description, False, seconds, error=result
                    )
                )
                continue
            if isinstance(result, Nothing):
                text, saved, data, note = result.message, (), None, ""
            elif kept or keep_all_files:
                text, saved, data, note = self.runtime._observe(spec, result, call.values, call.workspace)
            else:
                text, saved, data, note = _unsaved_text(result), (), None, ""
            mean = choice.means[winners.index(i)] if choice and choice.means else None
            outcomes.append(
                CandidateOutcome(
                    candidate.name,
                    candidate.rank,
                    candidate.description,
                    True,
                    seconds,
                    text=text,
                    value=result,
                    files=(*files, *saved),
                    mean_similarity=mean,
                )
            )
            if kept:  # a kept "nothing found" is the tool's own failure sentence, as the runtime gives it
                found = not isinstance(result, Nothing)
                observation = Observation(text, ok=found, files=(*files, *saved), data=data, note=note)
        seconds = time.perf_counter() - call.start
        if observation is None:
            errors = "; ".join(f"{o.name}: {o.error}" for o in outcomes)
            observation = Observation(f"every candidate for {spec.name!r} failed ({errors})", ok=False)
            reason = "no candidate succeeded"
        else:
            reason = choice.reason
        observation = replace(observation, seconds=seconds)
        chosen = picked[winners[choice.index]].name if choice is not None else None
        log.info("%s: kept %s of %s (%s) in %.2f s", spec.name, chosen, [c.name for c in picked], reason, seconds)
        return CompetitionResult(
            tool=spec.name,
            family=spec.family,
            action_input=call.action_input,
            agreement=agreement,
            candidates=tuple(outcomes),
            compared=compared,
            matrix=tuple(tuple(round(float(v), 6) for v in row) for row in matrix),
            chosen=chosen,
            reason=reason,
            observation=observation,
            seconds=seconds,
            unavailable=unavailable,
        )

    def _text_embedder(self, agreement: Agreement) -> Embedder | None:
        return self.embedder if agreement is Agreement.TEXT else None


def _unsaved_text(result: Any) -> str:
    """A result not kept, as an observation would say it, without saving its image."""
    if isinstance(result, str):
        return result
    if isinstance(result, Detections | Reading):
        return result.describe()
    return "(image not kept)"


def _text_arguments(spec: ToolSpec, values: list[Any]) -> str:
    return " ".join(v for i, v in zip(spec.inputs, values, strict=True) if i.kind is InputKind.TEXT)


def _refused(tool: str, family: str, message: str, start: float) -> CompetitionResult:
    """The result of a call no candidate could run (unknown tool, bad arguments, nothing available)."""
    seconds = time.perf_counter() - start
    return CompetitionResult(
        tool=tool,
        family=family,
        action_input="",
        agreement=None,
        candidates=(),
        compared=(),
        matrix=(),
        chosen=None,
        reason=message,
        observation=Observation(message, ok=False, seconds=seconds),
        seconds=seconds,
    )
