"""segment-anything's network modules, importable where torchvision is missing or broken.

``import segment_anything`` runs the package's ``__init__``, which imports its ``SamPredictor`` and
``SamAutomaticMaskGenerator``; those import torchvision (image resizing, NMS). The network itself
(``segment_anything.modeling``) and its registry of sizes (``segment_anything.build_sam``) need only torch, and
they are all this project uses. So without torchvision, or when the plain import fails (PyPI's CUDA build
of torchvision beside a CPU torch: ``operator torchvision::nms does not exist``), the package's folder is registered under a
private name whose ``__init__`` never runs, and those two submodules load from it. The real
``segment_anything`` name is left alone.
"""

from __future__ import annotations

import functools
import importlib
import importlib.machinery
import importlib.util
import logging
import sys
from types import ModuleType

from tools.errors import CheckpointUnavailableError

logger = logging.getLogger(__name__)

PACKAGE = "segment_anything"
WITHOUT_INIT = "_segment_anything_without_init"
TORCH_ONLY_SUBMODULES = ("modeling", "build_sam")
MISSING = "SAM .pth checkpoints load through the segment-anything package: pip install segment-anything"


def segment_anything_installed() -> bool:
    return importlib.util.find_spec(PACKAGE) is not None


@functools.cache
def import_submodule(name: str) -> ModuleType:
    """``segment_anything.<name>`` for ``name`` in :data:`TORCH_ONLY_SUBMODULES`, with or without torchvision."""
    if name not in TORCH_ONLY_SUBMODULES:
        raise ValueError(f"segment_anything.{name} needs torchvision; only {TORCH_ONLY_SUBMODULES} load without it")
    if not segment_anything_installed():
        raise CheckpointUnavailableError(MISSING)
    if importlib.util.find_spec("torchvision") is not None:
        try:
            return importlib.import_module(f"{PACKAGE}.{name}")
        except (ImportError, RuntimeError) as error:  # RuntimeError: a torchvision whose compiled ops do not load
            logger.info("segment_anything does not import (%s); loading its torch-only modules alone", error)
    return importlib.import_module(f"{_package_without_init()}.{name}")


def _package_without_init() -> str:
    """Register segment_anything's folder as the package :data:`WITHOUT_INIT`, without running its ``__init__``."""
    if WITHOUT_INIT not in sys.modules:
        found = importlib.util.find_spec(PACKAGE)
        spec = importlib.machinery.ModuleSpec(WITHOUT_INIT, None, is_package=True)
        spec.submodule_search_locations = list(found.submodule_search_locations)
        sys.modules[WITHOUT_INIT] = importlib.util.module_from_spec(spec)
    return WITHOUT_INIT
