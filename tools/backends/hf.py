"""Shared helpers for families backed by Hugging Face checkpoints (transformers / diffusers)."""

from __future__ import annotations

from typing import Any

import torch
from PIL import Image

from tools.model_family import ModelFamily, resolve_checkpoint


def torch_dtype(device: str) -> torch.dtype:
    """Half precision on GPUs, full precision on CPU (where fp16 kernels are slow or missing)."""
    return torch.float16 if device.startswith("cuda") else torch.float32


class PretrainedFamily(ModelFamily):
    """A family loaded with ``<processor_class>.from_pretrained`` + ``<model_class>.from_pretrained``."""

    library = "transformers"
    model_class = ""
    processor_class = "AutoProcessor"

    def build(self) -> Any:
        import importlib

        library = importlib.import_module(self.library)
        path = resolve_checkpoint(self.checkpoint)
        processor = getattr(library, self.processor_class).from_pretrained(path)
        model = getattr(library, self.model_class).from_pretrained(path, dtype=torch_dtype(self.device))
        return processor, model.to(self.device).eval()


def to_device(inputs: Any, device: str, dtype: torch.dtype) -> Any:
    """Move processor outputs to ``device``; floating tensors (pixel values) take the model's ``dtype``."""
    return {
        key: value.to(device, dtype) if torch.is_floating_point(value) else value.to(device)
        for key, value in inputs.items()
    }


def fit_to_multiple(image: Image.Image, longest: int, multiple: int = 8) -> Image.Image:
    """``image`` resized so its longest side is ``longest`` and both sides are multiples of ``multiple``."""
    scale = longest / max(image.size)
    width = max(multiple, round(image.width * scale / multiple) * multiple)
    height = max(multiple, round(image.height * scale / multiple) * multiple)
    return image.resize((width, height), Image.Resampling.LANCZOS)
