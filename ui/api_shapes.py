"""Response bodies of the web API: HuggingGPT's task list and results, OpenAI's chat completions and their chunks.

Files a request made are sent back inline (``files``: workspace name -> ``data:image/png;base64,...``), because
the request's workspace is deleted when the response is done.
"""

from __future__ import annotations

import base64
import mimetypes
import time
import uuid
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from agent.executor import Execution, StepResult
from tools.spec import OutputKind

if TYPE_CHECKING:
    from protocol.plan import Plan
    from tools.workspace import Workspace
    from ui.api_requests import Intake


def task_list(plan: Plan, intake: Intake) -> list[dict[str, Any]]:
    """HuggingGPT's ``/tasks`` answer: ``[{"task", "id", "dep", "args"}]``, images by the client's names."""
    tasks = []
    for step in plan.steps:
        task = step.as_dict()
        task["args"] = {name: intake.original(value) for name, value in task["args"].items()}
        tasks.append(task)
    return tasks


def inference_result(result: StepResult) -> dict[str, Any]:
    """HuggingGPT's ``"inference result"`` of one step: ``generated image`` / ``generated text`` / a detector's
    ``predicted`` boxes, or ``error`` with why the step did not finish."""
    outcome = result.outcome
    if not result.ok or outcome is None:
        return {"error": f"{result.status.value}: {result.reason}"}
    output = result.tool.output
    if output is OutputKind.TEXT:
        return {"generated text": outcome.text}
    if output is OutputKind.BOXES:
        boxes = [
            {
                "label": box.label,
                "score": round(box.score, 4),
                "box": dict(zip(("xmin", "ymin", "xmax", "ymax"), box.box, strict=True)),
            }
            for box in outcome.data or ()
        ]
        return {"generated image": outcome.image, "predicted": boxes}
    images = {"generated image": outcome.image}
    if len(outcome.files) > 1:  # a crop of several boxes
        images["generated images"] = list(outcome.files)
    return images


def results(execution: Execution, intake: Intake) -> dict[str, dict[str, Any]]:
    """HuggingGPT's ``/results`` answer: ``{id: {"task", "inference result", "choose model result"}}`` (plus the
    ``"competition"`` record of a subtask that candidates competed for)."""
    answer: dict[str, dict[str, Any]] = {}
    for result in execution.results:
        task = result.step.as_dict()
        task["args"] = {name: intake.original(value) for name, value in _shown(result).items()}
        entry: dict[str, Any] = {
            "task": task,
            "inference result": inference_result(result),
            "choose model result": result.outcome.choose_model_result() if result.outcome else "",
        }
        if result.outcome is not None and result.outcome.competition is not None:
            entry["competition"] = dict(result.outcome.competition)
        answer[str(result.step.id)] = entry
    return answer


def _shown(result: StepResult) -> dict[str, Any]:
    """The step's arguments as they ran (a reference shows what it was bound to); unbound ones as planned."""
    if not result.arguments:
        return result.step.as_dict()["args"]
    shown = {}
    for name, value in result.arguments.items():
        image = getattr(value, "image", None)  # a detection's boxes: the image they were found on
        shown[name] = image if image is not None else value
    return shown


def inline_files(workspace: Workspace, names: Iterable[str]) -> dict[str, str]:
    """``{name: data URL}`` for each file (read before the workspace goes)."""
    files = {}
    for name in names:
        path = workspace.resolve(name)
        kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        files[name] = f"data:{kind};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"
    return files


# --------------------------------------------------------------------------------------------- OpenAI
class Completion:
    """One chat completion's identity, shared by its chunks."""

    def __init__(self, model: str) -> None:
        self.id = f"chatcmpl-{uuid.uuid4().hex[:24]}"
        self.created = int(time.time())
        self.model = model

    def message(self, content: str, files: dict[str, str]) -> dict[str, Any]:
        """The non-streaming ``chat.completion`` object (``files``: an extra key clients may ignore)."""
        return {
            "id": self.id,
            "object": "chat.completion",
            "created": self.created,
            "model": self.model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
            "files": files,
        }

    def chunk(self, delta: dict[str, Any], finish_reason: str | None = None, **extra: Any) -> dict[str, Any]:
        """One ``chat.completion.chunk`` of a stream."""
        return {
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}],
            **extra,
        }


def error_body(message: str, kind: str) -> dict[str, Any]:
    """An error as OpenAI's API gives it (HuggingGPT clients look for the ``"error"`` key too)."""
    return {"error": {"message": message, "type": kind}}
