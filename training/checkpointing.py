"""Training checkpoints: adapter, optimizer, scheduler, RNG states and data position, saved atomically.

A checkpoint is written into a temporary directory, marked complete, then renamed to ``step-NNNNNNNN``;
a kill during a save leaves only a ``.tmp-*`` directory, which is never loaded and is cleared later.
"""

from __future__ import annotations

import json
import logging
import os
import random
import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import torch
from peft import set_peft_model_state_dict
from safetensors.torch import load_file

from modeling.adapters import ADAPTER_FILE
from protocol.errors import InputError

logger = logging.getLogger(__name__)

CHECKPOINTS_DIR = "checkpoints"
_STATE_FILE = "trainer_state.json"
_COMPLETE = "complete"


class CheckpointError(RuntimeError, InputError):
    """A checkpoint cannot be resumed from; the message says why and what to do."""


def rng_state() -> dict[str, Any]:
    """Python, NumPy and torch (CPU and CUDA) generator states of this process."""
    state = {"python": random.getstate(), "numpy": np.random.get_state(), "torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, Any]) -> None:
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
    path = Path(path)
    if not (path / _COMPLETE).is_file():
        raise CheckpointError(
            f"{path} is not a complete checkpoint; pass a checkpoints/step-N directory written by lora_finetune.py"
        )
    weights = load_file(str(path / ADAPTER_FILE))
    result = set_peft_model_state_dict(model, weights)
    unexpected = getattr(result, "unexpected_keys", [])
    if unexpected:
        raise CheckpointError(f"{path}: adapter does not match the model (unexpected keys {unexpected[:3]}...)")
    optimizer.load_state_dict(torch.load(path / "optimizer.pt", weights_only=False))
    scheduler.load_state_dict(torch.load(path / "scheduler.pt", weights_only=False))
    rng_states = torch.load(path / "rng_state.pt", weights_only=False)
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
