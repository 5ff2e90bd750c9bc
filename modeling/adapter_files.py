"""An adapter directory's files, checked before any model loads (light: no torch, no peft)."""

from __future__ import annotations

import json
from pathlib import Path

from safetensors import SafetensorError, safe_open

from protocol.errors import InputError

ADAPTER_FILE = "adapter_model.safetensors"
ADAPTER_CONFIG_FILE = "adapter_config.json"
_NO_ADAPTER = {"", "none", "false", "no"}
_REDO = "copy the adapter again, or rerun lora_finetune.py into that directory (it resumes)"


def adapter_argument(value: str | None) -> str | None:
    """A ``--lora_model`` value, ``None`` for no adapter (``none``, the original GPT4Tools' default, or empty)."""
    if value is None or str(value).strip().lower() in _NO_ADAPTER:
        return None
    return str(value)


class AdapterFileError(ValueError, InputError):
    """An adapter directory is missing, incomplete or corrupt; the message names the file and the fix."""


def check_adapter_files(adapter_dir: str | Path, flag: str = "--lora_model", redo: str = _REDO) -> Path:
    """Fail with one clear message unless ``adapter_dir`` holds a readable PEFT config and non-empty weights
    (checked before any model is loaded, reading no tensor). ``flag`` names the directory's role in messages
    (``--lora_model``, ``--init_adapter``, ``checkpoint``), ``redo`` what to do about a damaged one."""
    path = Path(adapter_dir)
    if not path.is_dir():
        raise AdapterFileError(
            f"{flag} {path}: no such directory; pass the output dir of lora_finetune.py, or 'none' for no adapter"
        )
    config = path / ADAPTER_CONFIG_FILE
    if not config.is_file():
        raise AdapterFileError(
            f"{flag} {path} is not a LoRA adapter directory (no {ADAPTER_CONFIG_FILE}); pass the trainer's output dir"
        )
    try:
        data = json.loads(config.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise AdapterFileError(f"{flag}: {config} is not valid JSON ({exc}); {redo}") from None
    if not isinstance(data, dict) or "peft_type" not in data:
        raise AdapterFileError(f"{flag}: {config} is not a PEFT adapter config (no peft_type); {redo}")
    weights = path / ADAPTER_FILE
    if not weights.is_file():
        if (path / "adapter_model.bin").is_file():  # the format of older PEFT versions
            return path
        raise AdapterFileError(f"{flag} {path} has no {ADAPTER_FILE}: the adapter is incomplete; {redo}")
    try:
        with safe_open(str(weights), framework="numpy") as handle:  # reads the header only, without torch
            count = len(list(handle.keys()))
    except (SafetensorError, OSError, ValueError) as exc:
        raise AdapterFileError(f"{flag}: {weights} is not a readable safetensors file ({exc}); {redo}") from None
    if not count:
        raise AdapterFileError(f"{flag}: {weights} holds no tensors; {redo}")
    return path
