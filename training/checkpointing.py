"""Training checkpoints: adapter, optimizer, scheduler, RNG states and data position, saved atomically.

A checkpoint is written into a temporary directory, marked complete, then renamed to ``step-NNNNNNNN``;
a kill during a save leaves only a ``.tmp-*`` directory, which is never loaded and is cleared later.
Loading unpickles plain data only (``weights_only``), so a checkpoint from elsewhere cannot run code.
torch is imported where it is used: finding and checking a checkpoint runs before it loads.
"""

from __future__ import annotations

import json
import logging
import os
import pickle
import random
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from modeling.adapter_files import ADAPTER_CONFIG_FILE, ADAPTER_FILE, check_adapter_files
from protocol.errors import InputError

if TYPE_CHECKING:
    import torch

logger = logging.getLogger(__name__)

CHECKPOINTS_DIR = "checkpoints"
_STATE_FILE = "trainer_state.json"
_COMPLETE = "complete"
_TORCH_FILES = ("optimizer.pt", "scheduler.pt", "rng_state.pt")
_DAMAGED_FIX = "delete this checkpoint to resume from the one before, or pass another --output_dir to start over"


class CheckpointError(RuntimeError, InputError):
    """A checkpoint cannot be resumed from; the message says why and what to do."""


def rng_state() -> dict[str, Any]:
    """Python, NumPy and torch (CPU and CUDA) generator states of this process."""
    import torch

    state = {"python": random.getstate(), "numpy": np.random.get_state(), "torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    import torch

    random.setstate(state["python"])
    np.random.set_state(state["numpy"])
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def checkpoint_name(step: int) -> str:
    return f"step-{step:08d}"


def save_checkpoint(
    output_dir: str | Path,
    step: int,
    *,
    model: Any,
    optimizer: torch.optim.Optimizer,
    scheduler: Any,
    rng_states: list[dict[str, Any]],
    state: dict[str, Any],
    keep: int = 2,
) -> Path:
    """Write ``checkpoints/step-N`` atomically and keep only the newest ``keep`` (call on rank 0).

    ``rng_states`` holds one entry per rank; ``state`` is JSON (step, data position, metrics).
    """
    import torch

    root = Path(output_dir) / CHECKPOINTS_DIR
    root.mkdir(parents=True, exist_ok=True)
    target = root / checkpoint_name(step)
    tmp = Path(tempfile.mkdtemp(prefix=f".tmp-{target.name}-", dir=root))
    try:
        model.save_pretrained(tmp)
        torch.save(optimizer.state_dict(), tmp / "optimizer.pt")
        torch.save(scheduler.state_dict(), tmp / "scheduler.pt")
        torch.save(rng_states, tmp / "rng_state.pt")
        (tmp / _STATE_FILE).write_text(json.dumps({"step": step, **state}, indent=1) + "\n")
        (tmp / _COMPLETE).write_text("ok\n")
        if target.exists():
            shutil.rmtree(target)
        os.replace(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    for old in list_checkpoints(output_dir)[:-keep] if keep > 0 else []:
        shutil.rmtree(old, ignore_errors=True)
    for leftover in root.glob(".tmp-*"):
        shutil.rmtree(leftover, ignore_errors=True)
    logger.info("saved checkpoint %s", target)
    return target


def list_checkpoints(output_dir: str | Path) -> list[Path]:
    """Complete checkpoints in ``output_dir``, oldest first."""
    root = Path(output_dir) / CHECKPOINTS_DIR
    found = [p for p in root.glob("step-*") if (p / _COMPLETE).is_file()] if root.is_dir() else []
    return sorted(found, key=lambda p: p.name)


def latest_checkpoint(output_dir: str | Path) -> Path | None:
    found = list_checkpoints(output_dir)
    return found[-1] if found else None


def check_checkpoint(path: str | Path) -> None:
    """Refuse, before any model loads, a checkpoint that is incomplete, lacks a file or holds a damaged adapter,
    naming the fix."""
    path = Path(path)
    if not (path / _COMPLETE).is_file():
        raise CheckpointError(
            f"{path} is not a complete checkpoint; pass a checkpoints/step-N directory written by lora_finetune.py"
        )
    for name in (ADAPTER_CONFIG_FILE, ADAPTER_FILE, *_TORCH_FILES):
        if not (path / name).is_file() or not (path / name).stat().st_size:
            raise CheckpointError(f"checkpoint {path}: {name} is missing or empty; {_DAMAGED_FIX}")
    try:
        check_adapter_files(path, "checkpoint", _DAMAGED_FIX)
        json.loads((path / _STATE_FILE).read_text(encoding="utf-8"))["step"]
    except InputError as error:
        raise CheckpointError(str(error)) from None
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError):
        raise CheckpointError(f"checkpoint {path}: {_STATE_FILE} is missing or damaged; {_DAMAGED_FIX}") from None


# NumPy's generator state holds a uint32 array; these rebuild such plain arrays and nothing else.
_NUMPY_ARRAY_GLOBALS = (np._core.multiarray._reconstruct, np.ndarray, np.dtype, np.dtypes.UInt32DType)


def _load_plain(path: Path) -> Any:
    """``torch.load`` that unpickles tensors and plain data only, with a damaged file as a :class:`CheckpointError`."""
    import torch

    try:
        with torch.serialization.safe_globals(list(_NUMPY_ARRAY_GLOBALS)):
            return torch.load(path, weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, EOFError, OSError, ValueError) as error:
        reason = " ".join(str(error).split())[:200]
        raise CheckpointError(
            f"checkpoint {path.parent}: {path.name} cannot be loaded as plain data ({reason}); {_DAMAGED_FIX}"
        ) from None


def load_checkpoint(
    path: str | Path,
    model: Any,
    optimizer: torch.optim.Optimizer,
    scheduler: Any,
    *,
    rank: int = 0,
    world_size: int = 1,
) -> dict[str, Any]:
    """Restore adapter weights, optimizer, scheduler and this rank's RNG; return the JSON state.

    A run may resume with another number of processes: the global batches do not depend on it, only the
    random streams (LoRA dropout) do, so rank ``r`` then takes the state of rank ``r`` modulo the writers.
    """
    from peft import set_peft_model_state_dict
    from safetensors.torch import load_file

    path = Path(path)
    check_checkpoint(path)
    weights = load_file(str(path / ADAPTER_FILE))
    result = set_peft_model_state_dict(model, weights)
    unexpected = getattr(result, "unexpected_keys", [])
    if unexpected:
        raise CheckpointError(f"{path}: adapter does not match the model (unexpected keys {unexpected[:3]}...)")
    optimizer.load_state_dict(_load_plain(path / "optimizer.pt"))
    scheduler.load_state_dict(_load_plain(path / "scheduler.pt"))
    rng_states = _load_plain(path / "rng_state.pt")
    if len(rng_states) != world_size and rank == 0:
        logger.warning(
            "%s was written by %d process(es) and is resumed by %d: the same global batches follow, but random "
            "streams (LoRA dropout) differ from an uninterrupted run",
            path, len(rng_states), world_size,
        )  # fmt: skip
    set_rng_state(rng_states[rank % len(rng_states)])
    state = json.loads((path / _STATE_FILE).read_text())
    logger.info("resumed from %s (step %d)", path, state["step"])
    return state
