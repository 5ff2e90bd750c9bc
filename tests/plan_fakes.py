"""A scripted step runner for executor, plan-mode and server tests: each tool's behaviour is a function."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from agent.step_runner import StepOutcome
from tools.catalog import default_registry
from tools.workspace import Workspace

Behaviour = Callable[[Mapping[str, Any], Workspace], StepOutcome]
WAIT = 20  # seconds a test waits for something that should happen at once (only reached when broken)

TOOLS = (
    "Edge Detection On Image",
    "Pose Detection On Image",
    "Hed Detection On Image",
    "Get Photo Description",
    "Generate Image From User Input Text",
    "Detection",
    "Crop Image",
    "Blur Region",
    "Text Detection On Image",
)


def made(name: str, workspace: Workspace | None = None) -> StepOutcome:
    """A step that made the image ``name`` (written into ``workspace`` when given)."""
    if workspace is not None:
        from PIL import Image

        (workspace.root / name).parent.mkdir(parents=True, exist_ok=True)
        Image.new("RGB", (8, 8), "gray").save(workspace.root / name)
    return StepOutcome(True, name, (name,), model="fake", reason="scripted")


class ScriptedRunner:
    """Runs each tool by its behaviour (default: write ``image/<first word of the tool>.png``); records every call,
    thread-safely."""

    def __init__(self, behaviours: Mapping[str, Behaviour] | None = None, tools: Sequence[str] = TOOLS) -> None:
        self.available = default_registry().subset(tools)
        self.behaviours = dict(behaviours or {})
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self._lock = threading.Lock()

    def __call__(self, tool: str, arguments: Mapping[str, Any], workspace: Workspace) -> StepOutcome:
        with self._lock:
            self.calls.append((tool, dict(arguments)))
        behaviour = self.behaviours.get(tool)
        if behaviour is None:
            return made(f"image/{tool.split(maxsplit=1)[0].lower()}.png", workspace)
        return behaviour(arguments, workspace)

    def arguments_of(self, tool: str) -> list[dict[str, Any]]:
        return [arguments for name, arguments in self.calls if name == tool]


class Held:
    """A behaviour that says when it started, waits until ``release`` is set, then makes ``name`` (and says it
    returned): a slow, stuck or cancelled tool call under the test's control."""

    def __init__(self, name: str = "image/held.png") -> None:
        self.name = name
        self.started, self.release, self.returned = threading.Event(), threading.Event(), threading.Event()

    def __call__(self, arguments: Mapping[str, Any], workspace: Workspace) -> StepOutcome:
        self.started.set()
        self.release.wait(WAIT)
        outcome = made(self.name, workspace)
        self.returned.set()
        return outcome
