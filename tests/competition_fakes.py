"""Fake competing backends for tests: what each returns (or how it fails) comes from its options.

They run on the ``Image2Canny`` loader, whose "model" is the candidate's options (a dict), so a test
passes objects (a barrier, an event) to a backend through its options.
"""

from __future__ import annotations

import re
import zlib
from typing import Any

import numpy as np

from tools.errors import NothingFoundError
from tools.outputs import InputImage
from tools.runtime import ToolContext


def answer(ctx: ToolContext, image: InputImage) -> Any:
    """The ``answer`` option."""
    return ctx.model()["answer"]


def answer_after_barrier(ctx: ToolContext, image: InputImage) -> Any:
    """The ``answer`` option once every party of the ``barrier`` option has arrived (so, only if they run at once)."""
    ctx.model()["barrier"].wait()
    return ctx.model()["answer"]


def answer_when_released(ctx: ToolContext, image: InputImage) -> Any:
    """The ``answer`` option once the ``release`` event is set (a backend that hangs until then)."""
    ctx.model()["release"].wait()
    return ctx.model()["answer"]


def crash(ctx: ToolContext, image: InputImage) -> Any:
    raise RuntimeError("backend crashed")


def find_nothing(ctx: ToolContext, image: InputImage) -> Any:
    raise NothingFoundError("no person found in the image; background removal keeps people only")


def bag_of_words(texts: list[str]) -> np.ndarray:
    """A deterministic stand-in for MiniLM: L2-normalised hashed word counts (texts sharing words agree)."""
    vectors = np.zeros((len(texts), 64), dtype=np.float32)
    for row, text in enumerate(texts):
        for word in re.findall(r"[a-z0-9]+", text.lower()):
            vectors[row, zlib.crc32(word.encode()) % 64] += 1
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms == 0, 1, norms)


def candidate(name: str, handler: str, **options: Any) -> dict[str, Any]:
    """A registry entry for a fake backend (``handler``: a function of this module)."""
    return {
        "name": name,
        "description": f"fake backend {name}",
        "source": "tests",
        "licence": "MIT",
        "loader": "Image2Canny",
        "handler": f"tests.competition_fakes:{handler}",
        "options": options,
    }
