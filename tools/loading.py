"""``--load`` strings and ``configs/tools.yaml``: which families run on which device, from which checkpoint.

``--load "ImageCaptioning_cpu,Text2Image_cuda:0"`` uses the TaskMatrix/GPT4Tools syntax: comma-separated
``<Family>_<device>`` pairs. Devices are ``cpu``, ``cuda`` or ``cuda:N`` (and ``mps``); they are checked
here, so a missing GPU is reported when the runtime starts, not in the middle of a conversation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tools.errors import DeviceError, LoadSpecError
from tools.family_registry import FAMILY_CLASSES

OFFLINE_FAMILIES = (
    "Image2Canny",
    "Image2Line",
    "Image2Hed",
    "Image2Scribble",
    "Image2Pose",
    "BackgroundRemoving",
    "ObjectDetection",
    "ImageCropping",
    "ImageEditing",
    "TextDetection",
)
DEFAULT_LOAD = ",".join(f"{family}_cpu" for family in OFFLINE_FAMILIES)
DEFAULT_CONFIG = Path(__file__).resolve().parent.parent / "configs" / "tools.yaml"
_DEVICE_RE = re.compile(r"^(cpu|mps|cuda)(?::(\d+))?$")


def parse_load(load: str | None) -> dict[str, str]:
    """``"A_cpu,B_cuda:0"`` -> ``{"A": "cpu", "B": "cuda:0"}`` with families and devices checked.

    Raises:
        LoadSpecError: malformed entry, unknown family (the message lists the valid ones), a family twice.
        DeviceError: the device does not exist on this machine.
    """
    load = DEFAULT_LOAD if load is None else load
    families: dict[str, str] = {}
    for entry in (part.strip() for part in load.split(",")):
        if not entry:
            continue
        family, sep, device = entry.rpartition("_")
        if not sep or not family or not device:
            raise LoadSpecError(f"--load entry {entry!r} should look like Family_device, e.g. Image2Canny_cpu")
        if family not in FAMILY_CLASSES:
            raise LoadSpecError(
                f"unknown model family {family!r} in --load; valid families: {', '.join(FAMILY_CLASSES)}"
            )
        if family in families:
            raise LoadSpecError(f"family {family!r} appears twice in --load; give each family one device")
        families[family] = check_device(device)
    return families


def check_device(device: str) -> str:
    """Return the normalised ``device`` if it exists here, else raise :class:`DeviceError` saying why."""
    match = _DEVICE_RE.match(device.strip().lower())
    if not match:
        raise DeviceError(f"unknown device {device!r}; use cpu, cuda or cuda:N (e.g. Image2Canny_cuda:0)")
    kind, ordinal = match.group(1), match.group(2)
    if kind == "cpu":
        return "cpu"
    import torch

    if kind == "mps":
        if not torch.backends.mps.is_available():
            raise DeviceError("device 'mps' is not available on this machine; use cpu")
        return "mps"
    if not torch.cuda.is_available():
        build = (
            "a CPU-only build" if torch.version.cuda is None else f"CUDA {torch.version.cuda}, but no GPU is visible"
        )
        raise DeviceError(f"device {device!r} needs CUDA, and this torch {torch.__version__} is {build}; use _cpu")
    count = torch.cuda.device_count()
    index = int(ordinal) if ordinal is not None else torch.cuda.current_device()
    if index >= count:
        raise DeviceError(
            f"device {device!r} does not exist: this machine has {count} GPU(s), cuda:0..cuda:{count - 1}"
        )
    return f"cuda:{index}"


@dataclass
class ToolsConfig:
    """``configs/tools.yaml``: per-family options (``checkpoint``, ``base``...) and per-device memory budgets."""

    families: dict[str, dict[str, Any]] = field(default_factory=dict)
    memory_budget_gb: dict[str, float] = field(default_factory=dict)

    @classmethod
    def load(cls, path: str | Path | None = None) -> ToolsConfig:
        import yaml

        path = Path(path) if path is not None else DEFAULT_CONFIG
        if not path.is_file():
            if path == DEFAULT_CONFIG:
                return cls()
            raise LoadSpecError(f"tools config {str(path)!r} does not exist")
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        families = raw.get("families") or {}
        unknown = sorted(set(families) - set(FAMILY_CLASSES))
        if unknown:
            raise LoadSpecError(f"{path}: unknown families {unknown}; valid families: {', '.join(FAMILY_CLASSES)}")
        options = {
            name: value if isinstance(value, dict) else {"checkpoint": value} for name, value in families.items()
        }
        return cls(options, {str(k): float(v) for k, v in (raw.get("memory_budget_gb") or {}).items()})

    def options(self, family: str) -> dict[str, Any]:
        return dict(self.families.get(family, {}))

    def budget_bytes(self, device: str) -> int | None:
        """The memory budget for ``device`` (``cuda:0`` falls back to ``cuda``), ``None`` for no limit."""
        for key in (device, device.split(":", maxsplit=1)[0]):
            if key in self.memory_budget_gb:
                return int(self.memory_budget_gb[key] * 2**30)
        if device.startswith("cuda"):
            import torch

            return int(torch.cuda.get_device_properties(device).total_memory * 0.9)
        return None
