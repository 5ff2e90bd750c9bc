"""Giving freed memory back to the system between demo turns, and bounding what the kernels cache.

A turn allocates and frees many differently sized buffers (prompt KV, activations, images, tool outputs) from
whichever worker thread the web app runs it on. glibc keeps freed blocks in per-thread arenas for reuse instead of
returning them, so a long-running server's resident memory creeps up by what its busiest turns once needed: on the
real agent and tools, ``malloc_trim`` after a turn gave back 70-140 MB of ~1.3-1.6 GB (turns run on fresh threads,
as the web app does); ``benchmarks/bench_demo_memory.py`` follows the server's memory over many turns.

oneDNN, which runs the prompt's matrix products, keeps a compiled kernel for each shape it has met, up to 1,024.
A chat meets a new prompt length at almost every step, so in a server that cache only grows: over 90 turns of the
real agent it held ~75 MB more than a cache of 8, and raised the peak by ~80 MB.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import os
from collections.abc import Callable

KERNEL_CACHE_VARIABLE = "ONEDNN_PRIMITIVE_CACHE_CAPACITY"
SERVER_KERNEL_CACHE = 8  # kernels a long-running chat keeps; training and batch inference repeat shapes, keep 1,024


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's ``malloc_trim``, or ``None`` where the C library has none (macOS, musl, Windows)."""
    name = ctypes.util.find_library("c")
    try:
        return ctypes.CDLL(name).malloc_trim if name else None
    except (OSError, AttributeError):
        return None


def release_free_memory() -> bool:
    """Return the C heap's free pages to the system; whether the platform could."""
    trim = _malloc_trim()
    if trim is None:
        return False
    trim(0)
    return True


def bound_kernel_cache(capacity: int = SERVER_KERNEL_CACHE) -> None:
    """Keep at most ``capacity`` compiled oneDNN kernels, unless the environment says otherwise; call before the
    first matrix product (oneDNN reads the setting once)."""
    os.environ.setdefault(KERNEL_CACHE_VARIABLE, str(capacity))
