"""A second LoRA adapter over a model that has the first merged in, applied only while it is wanted.

The chat merges its adapter into the base weights (generation through unmerged LoRA layers is slower). Plan mode
can use an adapter trained for plans alone (``plans/`` beside the chat adapter), which writes plans better than the
adapter that does both. A second merged copy of the model would cost its weights again (about 270 MB for the
embedded model); instead, while a plan is generated, each adapted linear layer's output gets the difference of the
two adapters added:

    y = x W_chatᵀ + x (s' B' A' − s B A)ᵀ = x (W + s' B' A')ᵀ

a rank-2r correction (A's and A''s rows stacked, B and B' side by side), so the layer computes what the base weights
with the plan adapter would, up to rounding, for twice the LoRA weights' memory (about 19 MB). The corrections are
hooked on for each computation and taken off after it, under the generator's lock.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from modeling.adapter_files import ADAPTER_FILE, check_adapter_files
from protocol.errors import InputError

logger = logging.getLogger(__name__)

# How a PEFT adapter file names a layer's LoRA matrices: PREFIX + the model's module name + ".lora_A.weight".
PEFT_PREFIX = "base_model.model."
LORA_A, LORA_B = ".lora_A.weight", ".lora_B.weight"


class AdapterSwitchError(ValueError, InputError):
    """The second adapter does not fit the model: a layer it adapts is missing or has another shape."""


def lora_layers(adapter_dir: str | Path) -> dict[str, tuple[Any, Any]]:
    """``{module name: (A, s·B)}`` of a saved PEFT LoRA adapter, ``s`` its ``lora_alpha / r`` scale."""
    from safetensors.torch import load_file

    directory = check_adapter_files(adapter_dir, "the plan adapter")
    config = json.loads((directory / "adapter_config.json").read_text())
    if config.get("use_dora") or config.get("use_rslora"):
        raise AdapterSwitchError(f"{directory}: DoRA and rsLoRA adapters cannot be switched in; merge them instead")
    scale = config["lora_alpha"] / config["r"]
    weights = load_file(str(directory / ADAPTER_FILE))
    layers = {}
    for key, down in weights.items():
        if key.endswith(LORA_A):
            name = key.removeprefix(PEFT_PREFIX).removesuffix(LORA_A)
            layers[name] = (down, scale * weights[key.removesuffix(LORA_A) + LORA_B])
    return layers


@dataclass
class AdapterSwitch:
    """The corrections that turn a model with one adapter merged into the base model with another."""

    corrections: dict[str, tuple[Any, Any]]  # module name -> (down: (2r, in), up: (out, 2r))
    # The modules of the model last applied to, looked up once: applied() runs around every forward pass.
    _model: Any = field(default=None, init=False, repr=False, compare=False)
    _modules: list[Any] = field(default_factory=list, init=False, repr=False, compare=False)

    @classmethod
    def between(cls, model: Any, merged: str | Path | None, wanted: str | Path) -> AdapterSwitch:
        """From ``model`` with ``merged`` folded in (``None``: the base model alone) to the base with ``wanted``."""
        import torch

        modules = dict(model.named_modules())
        added, removed = lora_layers(wanted), lora_layers(merged) if merged else {}
        corrections = {}
        for name in sorted(set(added) | set(removed)):
            layer = modules.get(name)
            weight = getattr(layer, "weight", None)
            pairs = [added[name]] if name in added else []
            if name in removed:
                down, up = removed[name]
                pairs.append((down, -up))
            if weight is None or any(
                down.shape[1] != weight.shape[1] or up.shape[0] != weight.shape[0] for down, up in pairs
            ):
                raise AdapterSwitchError(f"{wanted}: the model has no linear layer {name} of the adapter's shape")
            down = torch.cat([down for down, _ in pairs]).to(weight.device, weight.dtype)
            up = torch.cat([up for _, up in pairs], dim=1).to(weight.device, weight.dtype)
            corrections[name] = (down, up)
        logger.info("plan adapter %s: %d layers corrected while planning", wanted, len(corrections))
        return cls(corrections)

    @contextlib.contextmanager
    def applied(self, model: Any) -> Iterator[None]:
        """Run the enclosed computations with the corrections added to the layers' outputs."""
        if self._model is not model:
            modules = dict(model.named_modules())
            self._model, self._modules = model, [modules[name] for name in self.corrections]
        handles = [
            module.register_forward_hook(_correction(down, up))
            for module, (down, up) in zip(self._modules, self.corrections.values(), strict=True)
        ]
        try:
            yield
        finally:
            for handle in handles:
                handle.remove()


def _correction(down: Any, up: Any) -> Any:
    def hook(_module: Any, inputs: tuple[Any, ...], output: Any) -> Any:
        return output + (inputs[0] @ down.T) @ up.T

    return hook
