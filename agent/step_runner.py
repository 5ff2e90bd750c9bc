"""How the plan executor runs one subtask: a :class:`StepRunner` takes a tool name, the step's concrete arguments and
the workspace, and returns a :class:`StepOutcome`.

:class:`RuntimeStepRunner` runs the tool through :meth:`tools.runtime.ToolRuntime.run` (never raises, sandboxed to
the workspace); :class:`CompetingStepRunner` runs it through competing backends (``tools.competition``) and returns
the same outcome with the competition's record (every candidate, the similarity matrix, the one kept and why) in
:attr:`StepOutcome.competition`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from tools.registry import ToolRegistry
    from tools.runtime import ToolRuntime
    from tools.spec import ToolSpec
    from tools.workspace import Workspace

ArgumentValue = str | int | float


@dataclass(frozen=True)
class StepOutcome:
    """What one subtask produced, as :class:`tools.runtime.Observation` says it (``text``, ``files``, ``data``: a
    detector's boxes), with the model that produced it and why that one (HuggingGPT's ``"choose model result"``).

    ``competition`` is a JSON-ready record of the candidates that competed for the subtask, ``None`` when one
    backend ran alone.
    """

    ok: bool
    text: str
    files: tuple[str, ...] = ()
    data: Any = None
    seconds: float = 0.0
    model: str = ""
    reason: str = ""
    competition: Mapping[str, Any] | None = None
    note: str = ""  # the tool's sentence for the person (``Observation.note``: what a detector can find)

    @property
    def image(self) -> str | None:
        """The image the subtask made: the file its text names, else the first file it wrote."""
        if self.text in self.files:
            return self.text
        return self.files[0] if self.files else None

    def choose_model_result(self) -> dict[str, str]:
        """HuggingGPT's ``{"id", "reason"}``."""
        return {"id": self.model, "reason": self.reason}


class StepRunner(Protocol):
    """Runs one subtask; never raises for a failing tool (the outcome then has ``ok=False``).

    Several calls may run at once, from different threads.
    """

    @property
    def available(self) -> ToolRegistry: ...

    def __call__(self, tool: str, arguments: Mapping[str, ArgumentValue], workspace: Workspace) -> StepOutcome: ...


def action_input(spec: ToolSpec, arguments: Mapping[str, ArgumentValue]) -> str:
    """The Action Input holding a step's named arguments, in the tool's input order.

    Raises:
        ValueError: an input is missing or unknown, or a text that is not the last input holds a comma (the
            runtime would split it in two).
    """
    names = [i.name for i in spec.inputs]
    missing = [name for name in names if name not in arguments]
    unknown = sorted(set(arguments) - set(names))
    if missing or unknown:
        raise ValueError(f"{spec.name!r} takes {', '.join(names)}; got {', '.join(arguments) or 'nothing'}")
    texts = [str(arguments[name]).strip() for name in names]
    for tool_input, text in zip(spec.inputs[:-1], texts, strict=False):
        if "," in text:
            raise ValueError(
                f"{spec.name!r}: {tool_input.name} {text!r} may not hold a comma (only the last input may)"
            )
    return ", ".join(texts)


class RuntimeStepRunner:
    """Each subtask runs on the one backend the runtime loaded for the tool's family."""

    def __init__(self, runtime: ToolRuntime) -> None:
        self.runtime = runtime

    @property
    def available(self) -> ToolRegistry:
        return self.runtime.available

    def model_of(self, spec: ToolSpec) -> str:
        """The id a result names as its model: the family's checkpoint, else the family (bundled weights)."""
        family = getattr(self.runtime, "families", {}).get(spec.family)
        checkpoint = getattr(family, "checkpoint", None)
        return str(checkpoint) if checkpoint else spec.family

    def __call__(self, tool: str, arguments: Mapping[str, ArgumentValue], workspace: Workspace) -> StepOutcome:
        from tools.errors import ToolArgumentError

        if tool not in self.available:  # the runtime's own observation names the tools that are loaded
            observation = self.runtime.run(tool, "", workspace)
            return StepOutcome(False, observation.text, seconds=observation.seconds)
        spec = self.available.get(tool)
        try:
            line = action_input(spec, arguments)
        except ValueError as error:
            return StepOutcome(False, str(ToolArgumentError(str(error))))
        observation = self.runtime.run(tool, line, workspace)
        return StepOutcome(
            observation.ok,
            observation.text,
            observation.files,
            observation.data,
            observation.seconds,
            model=self.model_of(spec),
            reason=f"the only {spec.family} backend loaded here",
            note=observation.note,
        )


class CompetitionResultLike(Protocol):
    """What :class:`CompetingStepRunner` reads of ``tools.competition.CompetitionResult``."""

    @property
    def observation(self) -> Any: ...

    @property
    def seconds(self) -> float: ...

    @property
    def candidates(self) -> tuple[Any, ...]: ...

    def choose_model_result(self) -> dict[str, str]: ...

    def to_dict(self) -> dict[str, Any]: ...


class Competes(Protocol):
    """What :class:`CompetingStepRunner` needs of ``tools.competition.Competition``."""

    @property
    def runtime(self) -> ToolRuntime: ...

    def run(
        self, tool_name: str, arguments: str | Mapping[str, Any], workspace: Workspace
    ) -> CompetitionResultLike: ...


class CompetingStepRunner:
    """Each subtask through competing backends: ``Competition.run`` keeps the consensus of k candidates where the
    registry (``configs/models.yaml``) says the tool's family competes, else runs the tool alone; the outcome
    carries the competition's record (every candidate, the similarity matrix, the one kept and why)."""

    def __init__(self, competition: Competes) -> None:
        self.competition = competition

    @property
    def available(self) -> ToolRegistry:
        return self.competition.runtime.available

    def __call__(self, tool: str, arguments: Mapping[str, ArgumentValue], workspace: Workspace) -> StepOutcome:
        result = self.competition.run(tool, dict(arguments), workspace)
        observation = result.observation
        choice = result.choose_model_result()
        return StepOutcome(
            observation.ok,
            observation.text,
            tuple(observation.files),
            observation.data,
            result.seconds,
            model=choice["id"],
            reason=choice["reason"],
            competition=result.to_dict() if result.candidates else None,
            note=observation.note,
        )
