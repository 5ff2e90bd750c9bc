"""The tool runtime: runs a tool call from the model against a workspace and returns an observation.

Families named in ``--load`` are checked at start-up (device, checkpoint available offline); their models
load lazily on first use, and a per-device memory budget unloads the least recently used model when a
new one would not fit. Any failure becomes an ``Observation(ok=False)`` whose text says what was wrong.

Calls may come from several threads (a plan's independent steps run at once): calls of different families
run side by side, calls of one family take turns (a model object is not assumed to be thread-safe), models
load one at a time, and a family in use is never unloaded to make room.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import Counter, OrderedDict
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tools.catalog import default_registry
from tools.errors import ImageFileError, ToolArgumentError, ToolError, ToolUnavailableError, UnsafePathError
from tools.failures import tool_failed
from tools.family_registry import create_family, import_target
from tools.loading import DEFAULT_LOAD, ToolsConfig, parse_load
from tools.model_family import ModelFamily
from tools.outputs import EXPECTED_RESULTS, Detections, InputImage, NotedImage, Reading, draw_boxes
from tools.registry import ToolRegistry, UnknownToolError
from tools.spec import ArgumentCountError, InputKind, ToolSpec, parse_size
from tools.workspace import Workspace

__all__ = ["DEFAULT_LOAD", "Observation", "ToolContext", "ToolRuntime"]

log = logging.getLogger(__name__)

# the tool errors that name a mistake in the call itself, rather than a tool that failed or is not loaded
BAD_INPUT = (ImageFileError, ToolArgumentError, UnsafePathError)


@dataclass(frozen=True)
class Observation:
    """The result of one tool call: ``text`` goes after ``Observation:`` in the conversation."""

    text: str
    ok: bool
    files: tuple[str, ...] = ()
    seconds: float = 0.0
    data: Any = None
    bad_input: bool = False  # the call failed on its input (a file name, an argument), which the caller can fix
    note: str = ""  # for the person beside the answer, never for the model (``Detections.note``)


@dataclass
class ToolContext:
    """What a handler may use: its spec, the workspace and the (lazily loaded) models of its families."""

    spec: ToolSpec
    workspace: Workspace
    runtime: ToolRuntime
    files: list[str] = field(default_factory=list)

    def model(self, family: str | None = None) -> Any:
        """The loaded model of ``family`` (default: the tool's own family)."""
        return self.runtime.model(family or self.spec.family, pinned=self.spec.families)

    def device(self, family: str | None = None) -> str:
        return self.runtime.families[family or self.spec.family].device


class ToolRuntime:
    """The loaded families and the tools they make available."""

    def __init__(
        self,
        families: dict[str, ModelFamily],
        unavailable: dict[str, str] | None = None,
        config: ToolsConfig | None = None,
        catalog: ToolRegistry | None = None,
    ) -> None:
        self.families = families
        self.unavailable = dict(unavailable or {})
        self.config = config or ToolsConfig()
        self.catalog = catalog or default_registry()
        self.available = self.catalog.available(families)
        self._recent: OrderedDict[str, None] = OrderedDict()
        self._lock = threading.RLock()  # loading, unloading and the recency order
        self._family_locks: dict[str, threading.Lock] = {}  # one call per family at a time
        self._busy: Counter[str] = Counter()  # families some call is using now

    @classmethod
    def from_load(cls, load: str | None = None, config: str | Path | None = None) -> ToolRuntime:
        """Families from a ``--load`` string (``None``: :data:`DEFAULT_LOAD`), checkpoints from ``config``.

        Raises :class:`~tools.errors.LoadSpecError` for a malformed string or a missing device; a family
        whose checkpoint or package is missing is left out and listed in ``unavailable`` with the reason.
        """
        settings = ToolsConfig.load(config)
        families: dict[str, ModelFamily] = {}
        unavailable: dict[str, str] = {}
        for name, device in parse_load(load).items():
            try:
                family = create_family(name, device, settings.options(name))
                family.check()
            except (ToolError, ImportError) as error:
                unavailable[name] = str(error)
                log.warning("%s unavailable: %s", name, error)
                continue
            families[name] = family
        return cls(families, unavailable, settings)

    def model(self, name: str, pinned: tuple[str, ...] = ()) -> Any:
        """The model of family ``name``, loading it (after making room on its device) if needed."""
        with self._lock:
            family = self.families[name]
            twin = self._loaded_twin(family)
            if twin is not None:
                family.adopt(twin.get())
            elif not family.loaded:
                self._make_room(family, set(pinned) | {name})
                family.get()
            self._recent[name] = None
            self._recent.move_to_end(name)
            return family.get()

    def _loaded_twin(self, family: ModelFamily) -> ModelFamily | None:
        """A loaded family that built the model ``family`` (not loaded yet) would build."""
        if family.loaded or (key := family.sharing_key()) is None:
            return None
        return next((f for f in self.families.values() if f.loaded and f.sharing_key() == key), None)

    def _make_room(self, family: ModelFamily, pinned: set[str]) -> None:
        """Unload the least recently used models on ``family``'s device until its model fits the budget.

        Families sharing one model count it once and are unloaded together (only then is it freed)."""
        budget = self.config.budget_bytes(family.device)
        if budget is None:
            return
        holders: dict[object, list[str]] = {}
        for name in reversed(self._recent):  # most recent first, so a group ranks by its latest use
            if self.families[name].loaded and self.families[name].device == family.device:
                holders.setdefault(self.families[name].sharing_key() or name, []).append(name)
        groups = list(holders.values())[::-1]  # least recently used first
        used = sum(self.families[names[0]].memory_bytes() for names in groups)
        for names in groups:
            if used + family.memory_bytes() <= budget:
                break
            if any(name in pinned or self._busy[name] for name in names):
                continue
            used -= self.families[names[0]].memory_bytes()
            for name in names:
                self.families[name].unload()
                del self._recent[name]

    @contextmanager
    def _using(self, names: tuple[str, ...]) -> Iterator[None]:
        """Hold ``names``' family locks (in sorted order, so two calls can never wait on each other) and mark
        them busy, so that no other call unloads them meanwhile."""
        with ExitStack() as stack:
            for name in sorted(set(names)):
                with self._lock:
                    lock = self._family_locks.setdefault(name, threading.Lock())
                stack.enter_context(lock)
            with self._lock:
                self._busy.update(set(names))
            try:
                yield
            finally:
                with self._lock:
                    self._busy.subtract(set(names))

    def run(self, tool_name: str, action_input: str, workspace: Workspace) -> Observation:
        """Run one tool call. Never raises for bad input or a failing tool: returns ``ok=False`` instead.

        Safe to call from several threads at once (see the module's docstring)."""
        start = time.perf_counter()
        try:
            spec = self._spec(tool_name)
            arguments = self._arguments(spec, action_input, workspace)
            context = ToolContext(spec, workspace, self)
            with self._using(spec.families):
                for family in spec.families:
                    self.model(family, pinned=spec.families)
                result = import_target(spec.handler)(context, *arguments)
            text, files, data, note = self._observe(spec, result, arguments, workspace)
            files = (*context.files, *files)
        except ToolError as error:
            return Observation(
                str(error), ok=False, seconds=time.perf_counter() - start, bad_input=isinstance(error, BAD_INPUT)
            )
        except Exception as error:  # a failing model must not end the conversation
            log.exception("tool %r failed", tool_name)
            message = tool_failed(tool_name.strip(), f"{type(error).__name__}: {error}")
            return Observation(message, ok=False, seconds=time.perf_counter() - start)
        return Observation(text, ok=True, files=files, seconds=time.perf_counter() - start, data=data, note=note)

    def _spec(self, tool_name: str) -> ToolSpec:
        name = tool_name.strip()
        if name in self.available:
            return self.available.get(name)
        if name not in self.catalog:
            raise ToolUnavailableError(str(UnknownToolError(name, self.available.names)))
        spec = self.catalog.get(name)
        missing = [f for f in spec.families if f not in self.families]
        reasons = "; ".join(f"{f}: {self.unavailable[f]}" for f in missing if f in self.unavailable)
        hint = reasons or "start with --load " + ",".join(f"{f}_cpu" for f in missing)
        raise ToolUnavailableError(f"{name!r} needs {', '.join(missing)}, not loaded here ({hint})")

    def _arguments(self, spec: ToolSpec, action_input: str, workspace: Workspace) -> list[Any]:
        try:
            raw = spec.split_arguments(action_input)
        except ArgumentCountError as error:
            raise ToolArgumentError(str(error)) from None
        values: list[Any] = []
        for tool_input, text in zip(spec.inputs, raw, strict=True):
            if tool_input.kind is InputKind.IMAGE:
                name = text.strip().strip("\"'`")
                values.append(InputImage(name, workspace.open_image(name)))
            elif tool_input.kind is InputKind.NUMBER:
                try:
                    number = float(text)
                except ValueError:
                    number = math.nan
                if not math.isfinite(number):
                    raise ToolArgumentError(
                        f"{spec.name!r}: {tool_input.name} should be a number, got {text.strip()[:40]!r}"
                    ) from None
                values.append(number)
            elif tool_input.kind is InputKind.SIZE:
                try:
                    values.append(parse_size(text))
                except ValueError as error:
                    raise ToolArgumentError(f"{spec.name!r}: {error}") from None
            else:
                values.append(text)
        return values

    @staticmethod
    def _observe(
        spec: ToolSpec, result: Any, arguments: list[Any], workspace: Workspace
    ) -> tuple[str, tuple[str, ...], Any, str]:
        """A handler's result as an observation's text, files, data and note (``Observation``)."""
        from PIL import Image

        source = next((a.name for a in arguments if isinstance(a, InputImage)), None)
        if isinstance(result, str):
            return result, (), None, ""
        if isinstance(result, Reading):
            return result.describe(), (), [*result.boxes, *result.words], ""
        if isinstance(result, Detections):
            name = workspace.save_image(draw_boxes(result.image, result.boxes), spec.operation, source)
            # the boxes as the model was trained to read them; the drawn copy goes to the human only (named in
            # the text, the model crops or blurs the copy with the boxes drawn on it instead of the photo)
            return result.describe(), (name,), list(result.boxes), result.note
        if isinstance(result, NotedImage):
            name = workspace.save_image(result.image, spec.operation, source)
            return name, (name,), None, result.note
        if isinstance(result, Image.Image):
            name = workspace.save_image(result, spec.operation, source)
            return name, (name,), None, ""
        raise TypeError(f"handler {spec.handler} returned {type(result).__name__}; expected {EXPECTED_RESULTS}")
