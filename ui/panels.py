"""What the demo shows beside the chat: the tools panel, the trace table and the example prompts."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agent.loop import ImageReceived, TraceStep
from agent.tool_usage import EXAMPLE_REQUESTS
from tools.catalog import TOOL_SPECS

TRACE_HEADERS = ["turn", "step", "tool", "input", "result", "ok", "model s", "tool s"]
EMPTY_TRACE = [[""] * len(TRACE_HEADERS)]


@dataclass(frozen=True)
class Example:
    """A photo that ships with scikit-image (``skimage.data.<photo>``) and a tool to try on it."""

    photo: str
    tool: str  # offered only when this tool is loaded

    @property
    def prompt(self) -> str:
        """The request that runs the tool, as the agent tells a person who asks how to use it."""
        return EXAMPLE_REQUESTS[self.tool]


EXAMPLES = (
    Example("astronaut", "Edge Detection On Image"),
    Example("astronaut", "Pose Detection On Image"),
    Example("coffee", "Remove the background"),
    Example("chelsea", "Sketch Detection On Image"),
    Example("rocket", "Rotate Image"),
    Example("astronaut", "Detection"),
    Example("text", "Text Detection On Image"),
)


def example_messages(runtime: Any, folder: Path) -> list[list[dict[str, Any]]]:
    """The examples whose tool is loaded, as message-box values (text and a photo saved into ``folder``)."""
    from PIL import Image
    from skimage import data

    rows = []
    for example in EXAMPLES:
        if example.tool not in runtime.available:
            continue
        path = folder / f"{example.photo}.png"
        if not path.is_file():
            Image.fromarray(getattr(data, example.photo)()).save(path)
        rows.append([{"text": example.prompt, "files": [str(path)]}])
    return rows


def tools_panel(runtime: Any) -> tuple[str, str]:
    """The tools panel in user words: what works now, and (folded away) what does not and how to enable it,
    one line per way to enable (the families to add to ``--load``, or why a family that was asked for failed)."""
    available = list(runtime.available)
    now = [f"**What I can do now ({len(available)})**", ""]
    now += [f"- **{spec.name}**: {spec.description}" for spec in available] or ["- nothing: no tools are loaded"]
    ways: dict[str, list[str]] = {}
    for spec in TOOL_SPECS:
        if spec.name in runtime.available:
            continue
        absent = [family for family in spec.families if family not in getattr(runtime, "families", {})]
        failed = [f"{family} could not load: {runtime.unavailable[family]}" for family in absent
                  if family in runtime.unavailable]  # fmt: skip
        unloaded = [family for family in absent if family not in runtime.unavailable]
        if unloaded:
            failed.append("add `" + ",".join(f"{family}_cpu" for family in unloaded) + "` to `--load`")
        ways.setdefault("; ".join(failed), []).append(spec.name)
    if not ways:
        return "\n".join(now), ""
    later = [
        "`--load` lists the model families to start with (by default those whose weights ship with the installed "
        "packages). Add a family as `Family_cpu`, or `Family_cuda:0` for a GPU; its weights must be on this "
        "machine (see configs/tools.yaml).",
        "",
    ]
    later += [f"- {', '.join(names)}: {how}" for how, names in ways.items()]
    return "\n".join(now), "\n".join(later)


def trace_row(turn: int, step: TraceStep) -> list[Any]:
    """One step as a row of the trace table."""
    tool = step.action or "(reply not in the format)"
    ok = "yes" if step.ok else "no"
    return [turn, step.index, tool, step.action_input, step.observation, ok, round(step.llm_seconds, 1),
            round(step.tool_seconds, 1)]  # fmt: skip


def received_text(received: ImageReceived) -> str:
    """What the chat says about an image it took in, including that it was downscaled."""
    text = f"Received {received.name}: {received.description}"
    if received.downscaled:
        (width, height), (new_width, new_height) = received.original_size, received.size
        text += f" (downscaled from {width}x{height} to {new_width}x{new_height})"
    return text
