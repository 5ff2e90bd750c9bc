"""Finished LoRA adapters: the check that one learned something, loading its weights into a new run, and merging
into the base model. (An adapter directory's files and their check: ``modeling/adapter_files.py``.)"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from safetensors import safe_open

from modeling.adapter_files import ADAPTER_FILE, check_adapter_files
from modeling.loading import load_model
from protocol.errors import InputError
from protocol.prompt import PromptTemplate

logger = logging.getLogger(__name__)


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
    from peft import get_peft_model_state_dict, set_peft_model_state_dict
    from safetensors.torch import load_file

    check_adapter_files(adapter_dir, "--init_adapter")
    weights = load_file(str(Path(adapter_dir) / ADAPTER_FILE))
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
