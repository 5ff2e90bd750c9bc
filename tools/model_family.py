"""The base of every model family: lazy loading, offline checkpoint resolution, memory accounting."""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any, ClassVar

from tools.errors import CheckpointUnavailableError

log = logging.getLogger(__name__)

# One build at a time in the whole process: transformers' from_pretrained switches torch's default device
# to "meta" while it builds a model, so two models built at once (competing candidates) corrupt each other.
_BUILDING = threading.Lock()


def resolve_checkpoint(reference: str) -> str:
    """A local directory for ``reference`` (a local path or a hub id already in the Hugging Face cache).

    Never downloads. Raises :class:`CheckpointUnavailableError` saying how to make it available.
    """
    path = Path(reference).expanduser()
    if path.exists():
        return str(path)
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import LocalEntryNotFoundError

    try:
        return snapshot_download(reference, local_files_only=True)
    except (LocalEntryNotFoundError, FileNotFoundError, ValueError, OSError) as error:
        raise CheckpointUnavailableError(
            f"checkpoint {reference!r} is neither a local path nor in the Hugging Face cache ({type(error).__name__}); "
            f"run `huggingface-cli download {reference}` on a machine with access or set a local path in "
            "configs/tools.yaml"
        ) from None


class ModelFamily:
    """One ``--load`` family on one device: resolves its checkpoint, builds its model on first use.

    Subclasses set ``default_checkpoint`` (``None`` when the weights ship with a package or no model is
    needed), ``gpu_memory_gb`` (an estimate used before the first load) and implement :meth:`build`.
    ``options`` come from ``configs/tools.yaml`` (``checkpoint`` and family-specific keys).
    """

    default_checkpoint: ClassVar[str | None] = None
    gpu_memory_gb: ClassVar[float] = 0.0
    # Families that build the same weights with the same method (HED's boundaries and sketches; depth and
    # normals) set this, so that a runtime holds one copy of the model between them.
    shares_model: ClassVar[bool] = False

    def __init__(self, name: str, device: str, options: dict[str, Any] | None = None) -> None:
        self.name = name
        self.device = device
        self.options = dict(options or {})
        self.checkpoint: str | None = self.options.pop("checkpoint", self.default_checkpoint)
        self._model: Any = None

    def check(self) -> None:
        """Raise :class:`~tools.errors.ToolError` if the family cannot load here (cheap; at start-up)."""
        if self.checkpoint:
            resolve_checkpoint(self.checkpoint)

    def build(self) -> Any:
        """Load and return the model object(s) on ``self.device``."""
        raise NotImplementedError

    def sharing_key(self) -> tuple[Any, ...] | None:
        """Equal for families that would build the same model (``None``: this family never shares)."""
        if not self.shares_model:
            return None
        return (type(self).build, self.checkpoint, self.device, repr(sorted(self.options.items())))

    def adopt(self, model: Any) -> None:
        """Hold ``model``, built by a family with the same :meth:`sharing_key`, instead of building a copy."""
        log.info("%s on %s shares the model already loaded", self.name, self.device)
        self._model = model

    @property
    def loaded(self) -> bool:
        return self._model is not None

    def get(self) -> Any:
        """The model, built on first use."""
        if self._model is None:
            with _BUILDING:
                if self._model is None:
                    log.info("loading %s on %s (%s)", self.name, self.device, self.checkpoint or "bundled")
                    self._model = self.build()
        return self._model

    def unload(self) -> None:
        if self._model is None:
            return
        log.info("unloading %s from %s", self.name, self.device)
        self._model = None
        if self.device.startswith("cuda"):
            import torch

            torch.cuda.empty_cache()

    def memory_bytes(self) -> int:
        """Bytes of weights held (measured once loaded, else the ``gpu_memory_gb`` estimate)."""
        if self._model is not None:
            measured = torch_bytes(self._model)
            if measured:
                return measured
        return int(self.gpu_memory_gb * 2**30)


def torch_bytes(obj: Any, _depth: int = 0) -> int:
    """Bytes of parameters and buffers of the torch modules in ``obj`` (a module, a pipeline or a container)."""
    import sys

    if "torch" not in sys.modules or _depth > 2:
        return 0
    import torch

    if isinstance(obj, torch.nn.Module):
        tensors = [*obj.parameters(), *obj.buffers()]
        return sum(t.numel() * t.element_size() for t in tensors)
    if isinstance(obj, dict):
        return sum(torch_bytes(v, _depth + 1) for v in obj.values())
    if isinstance(obj, list | tuple):
        return sum(torch_bytes(v, _depth + 1) for v in obj)
    components = getattr(obj, "components", None)
    if isinstance(components, dict):
        return torch_bytes(components, _depth + 1)
    return torch_bytes(vars(obj), _depth + 1) if hasattr(obj, "__dict__") else 0
