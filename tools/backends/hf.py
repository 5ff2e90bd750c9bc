"""Shared helpers for families backed by Hugging Face checkpoints (transformers / diffusers)."""

from __future__ import annotations

from typing import Any

import torch
from PIL import Image

from tools.errors import CheckpointUnavailableError, LoadSpecError
from tools.model_family import ModelFamily, resolve_checkpoint


def torch_dtype(device: str) -> torch.dtype:
    """Half precision on GPUs, full precision on CPU (where fp16 kernels are slow or missing)."""
    return torch.float16 if device.startswith("cuda") else torch.float32


class PretrainedFamily(ModelFamily):
    """A family loaded with ``<processor_class>.from_pretrained`` + ``<model_class>.from_pretrained``.

    Options ``model_class`` and ``processor_class`` name other transformers classes for a checkpoint of
    another architecture (e.g. ``GitForCausalLM`` for a GIT captioner competing with BLIP).
    """

    library = "transformers"
    model_class = ""
    processor_class = "AutoProcessor"

    def check(self) -> None:
        super().check()
        self._classes()

    def _classes(self) -> tuple[Any, Any]:
        """The processor and model classes (options may name others), checked to exist."""
        import importlib

        library = importlib.import_module(self.library)
        names = (
            self.options.get("processor_class", self.processor_class),
            self.options.get("model_class", self.model_class),
        )
        try:  # a class whose module fails to import surfaces here, where it can be reported
            missing = [name for name in names if not hasattr(library, name)]
        except (ImportError, RuntimeError) as error:
            raise CheckpointUnavailableError(f"{self.name}: {self.library} cannot import {names}: {error}") from None
        if missing:
            raise LoadSpecError(f"{self.name}: {self.library} has no class {', '.join(missing)}")
        return getattr(library, names[0]), getattr(library, names[1])

    def build(self) -> Any:
        path = resolve_checkpoint(self.checkpoint)
        processor_class, model_class = self._classes()
        processor = processor_class.from_pretrained(path)
        model = model_class.from_pretrained(path, dtype=torch_dtype(self.device))
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
