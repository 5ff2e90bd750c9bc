"""Finished LoRA adapters: checks that one actually holds trained weights, and merging into the base model."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from peft import get_peft_model_state_dict, set_peft_model_state_dict
from safetensors import SafetensorError, safe_open
from safetensors.torch import load_file

from modeling.loading import load_model
from protocol.errors import InputError
from protocol.prompt import PromptTemplate

logger = logging.getLogger(__name__)

ADAPTER_FILE = "adapter_model.safetensors"
ADAPTER_CONFIG_FILE = "adapter_config.json"
_NO_ADAPTER = {"", "none", "false", "no"}


def adapter_argument(value: str | None) -> str | None:
    """A ``--lora_model`` value, ``None`` for no adapter (``none``, the original GPT4Tools' default, or empty)."""
    if value is None or str(value).strip().lower() in _NO_ADAPTER:
        return None
    return str(value)


class AdapterFileError(ValueError, InputError):
    """An adapter directory is missing, incomplete or corrupt; the message names the file and the fix."""


def check_adapter_files(adapter_dir: str | Path) -> Path:
    """Fail with one clear message unless ``adapter_dir`` holds a readable PEFT config and non-empty weights
    (checked before any model is loaded)."""
    path = Path(adapter_dir)
    redo = "copy the adapter again, or rerun lora_finetune.py into that directory (it resumes)"
    if not path.is_dir():
        raise AdapterFileError(
            f"--lora_model {path}: no such directory; pass the output dir of lora_finetune.py, or 'none' for the "
            "base model alone"
        )
    config = path / ADAPTER_CONFIG_FILE
    if not config.is_file():
        raise AdapterFileError(
            f"{path} is not a LoRA adapter directory (no {ADAPTER_CONFIG_FILE}); pass the trainer's output dir"
        )
    try:
        data = json.loads(config.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise AdapterFileError(f"{config} is not valid JSON ({exc}); {redo}") from None
    if not isinstance(data, dict) or "peft_type" not in data:
        raise AdapterFileError(f"{config} is not a PEFT adapter config (no peft_type); {redo}")
    weights = path / ADAPTER_FILE
    if not weights.is_file():
        if (path / "adapter_model.bin").is_file():  # the format of older PEFT versions
            return path
        raise AdapterFileError(f"{path} has no {ADAPTER_FILE}: the adapter is incomplete; {redo}")
    try:
        with safe_open(str(weights), framework="pt") as handle:
            count = len(list(handle.keys()))
    except (SafetensorError, OSError, ValueError) as exc:
        raise AdapterFileError(f"{weights} is not a readable safetensors file ({exc}); {redo}") from None
    if not count:
        raise AdapterFileError(f"{weights} holds no tensors; {redo}")
    return path


class EmptyAdapterError(RuntimeError):
    """A saved adapter has no LoRA weights, or its LoRA B matrices are all zero (nothing was learned)."""


def verify_adapter(adapter_dir: str | Path) -> int:
    """Raise :class:`EmptyAdapterError` unless the saved adapter has non-zero ``lora_B`` weights; returns
    the number of tensors. (GPT4Tools' originals shipped empty adapters with newer peft versions.)"""
    path = Path(adapter_dir) / ADAPTER_FILE
    with safe_open(str(path), framework="pt") as handle:
        keys = list(handle.keys())
        lora_b = [key for key in keys if "lora_B" in key]
        if not lora_b:
            raise EmptyAdapterError(f"{path} holds no lora_B weights ({len(keys)} tensors); the adapter is empty")
        if not any(handle.get_tensor(key).count_nonzero() for key in lora_b):
            raise EmptyAdapterError(f"{path}: every lora_B matrix is zero; training did not update the adapter")
    return len(keys)


class AdapterMismatchError(ValueError, InputError):
    """An adapter to start from does not fit the LoRA layers of the run (rank, targets or layers differ)."""


def load_adapter_weights(model: Any, adapter_dir: str | Path) -> int:
    """Copy a saved PEFT adapter's LoRA weights into ``model``'s freshly built adapter of the same shape (to go
    on training a finished adapter on new data); returns the number of tensors loaded."""
    path = Path(adapter_dir) / ADAPTER_FILE
    if not path.is_file():
        raise FileNotFoundError(f"--init_adapter {adapter_dir}: no {ADAPTER_FILE}; pass a finished adapter directory")
    weights = load_file(str(path))
    expected = get_peft_model_state_dict(model)
    missing, unexpected = sorted(set(expected) - set(weights)), sorted(set(weights) - set(expected))
    if missing or unexpected:
        raise AdapterMismatchError(
            f"--init_adapter {adapter_dir} has other LoRA layers than this run ({len(missing)} missing, e.g. "
            f"{missing[:1]}; {len(unexpected)} extra, e.g. {unexpected[:1]}); use the --lora_target_modules and "
            "--lora_top_layers of its adapter_config.json / train_config.yaml"
        )
    shapes = [key for key, tensor in weights.items() if tensor.shape != expected[key].shape]
    if shapes:
        raise AdapterMismatchError(
            f"--init_adapter {adapter_dir}: {shapes[0]} is {tuple(weights[shapes[0]].shape)}, this run's is "
            f"{tuple(expected[shapes[0]].shape)}; use the adapter's --lora_r"
        )
    set_peft_model_state_dict(model, weights)
    logger.info("started the LoRA weights from %s (%d tensors)", adapter_dir, len(weights))
    return len(weights)


def merge_adapter(base_model: str, adapter_dir: str | Path, out_dir: str | Path, dtype: Any = "auto") -> Path:
    """Load the base model unquantized, fold the adapter in and save a full model (with tokenizer and
    prompt template) to ``out_dir``."""
    from peft import PeftModel

    model, tokenizer = load_model(base_model, dtype=dtype)
    merged = PeftModel.from_pretrained(model, str(adapter_dir)).merge_and_unload()
    out_dir = Path(out_dir)
    merged.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)
    PromptTemplate.load(adapter_dir).save(out_dir)
    logger.info("merged model written to %s", out_dir)
    return out_dir
