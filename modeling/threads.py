"""CPU threads for the model: how idle OpenMP threads wait, and how many a forward pass uses.

Measured on a shared 2-core CPU with other processes running (``benchmarks/README.md``, Serving on a shared CPU):

* OpenMP's default lets a thread that reaches the end of a parallel region spin before it sleeps. With the
  cores oversubscribed the spinning threads burn the time slices the working ones need: a 512-token prefill
  took 42 s spinning and 14 s with ``OMP_WAIT_POLICY=PASSIVE``, a decoded token 1.5 s against 0.56 s.
  OpenMP reads the policy once, when torch loads, so every entry point calls :func:`configure_process` first.
* A parallel region ends when its slowest thread does; a thread the scheduler has parked for another process
  holds up the rest. With the cores busy elsewhere, one thread beats two (the same prefill: 10 s against 14 s).
  :class:`ThreadPolicy` therefore gives each forward pass the cores other processes leave free, at least one.

``GPT4TOOLS_THREADS`` chooses: ``auto`` (the default: passive waits, threads adapted to the load), a number
(passive waits, that many threads), or ``torch`` (leave OpenMP's and torch's own defaults alone).
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from protocol.errors import InputError

logger = logging.getLogger(__name__)

THREADS_ENV = "GPT4TOOLS_THREADS"
AUTO, TORCH_DEFAULTS = "auto", "torch"
# What OpenMP needs before it starts: threads that wait sleep instead of spinning (the user's own setting wins).
OPENMP_ENVIRONMENT = {"OMP_WAIT_POLICY": "PASSIVE"}
_LOADAVG = Path("/proc/loadavg")


class ThreadSettingError(ValueError, InputError):
    """``GPT4TOOLS_THREADS`` holds something other than ``auto``, ``torch`` or a positive number."""


def thread_setting() -> str | int:
    """``GPT4TOOLS_THREADS`` read and checked: ``"auto"``, ``"torch"`` or a positive thread count."""
    value = os.environ.get(THREADS_ENV, AUTO).strip().lower() or AUTO
    if value in (AUTO, TORCH_DEFAULTS):
        return value
    if value.isdigit() and int(value) > 0:
        return int(value)
    raise ThreadSettingError(f"{THREADS_ENV}={value!r}: use auto, torch or a positive number of threads")


def openmp_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """The OpenMP variables to add to ``environ`` (those it does not set already), unless ``torch`` is chosen.

    Scripts that import torch at the top apply it first: ``os.environ.update(openmp_environment(os.environ))``.
    """
    if environ.get(THREADS_ENV, "").strip().lower() == TORCH_DEFAULTS:
        return {}
    return {name: value for name, value in OPENMP_ENVIRONMENT.items() if name not in environ}


def configure_process() -> None:
    """Check ``GPT4TOOLS_THREADS`` and prepare OpenMP for a shared CPU; entry points call it before torch loads."""
    thread_setting()
    missing = openmp_environment(os.environ)
    if missing and "torch" in sys.modules:
        logger.warning("torch was imported before the thread settings; %s has no effect in this process", missing)
    os.environ.update(missing)


def cpu_count() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def busy_elsewhere() -> float:
    """Roughly how many cores other processes keep busy right now.

    Linux: the kernel's count of runnable threads at this instant (``/proc/loadavg``), less this one thread,
    which is running while it reads (its OpenMP workers sleep between passes). Elsewhere the one-minute load
    average less one, or nothing when the platform has neither.
    """
    try:
        running = int(_LOADAVG.read_text().split()[3].split("/")[0])
        return float(max(0, running - 1))
    except (OSError, IndexError, ValueError):
        pass
    try:
        return max(0.0, os.getloadavg()[0] - 1.0)
    except (AttributeError, OSError):
        return 0.0


@dataclass
class ThreadPolicy:
    """The thread count for each forward pass: ``fixed`` when set, else the free cores (1 to ``max_threads``)."""

    max_threads: int
    fixed: int | None = None
    enabled: bool = True

    @classmethod
    def from_env(cls) -> ThreadPolicy:
        """The policy ``GPT4TOOLS_THREADS`` chooses; ``max_threads`` is torch's count (``OMP_NUM_THREADS``)."""
        import torch

        setting = thread_setting()
        if setting == TORCH_DEFAULTS:
            return cls(torch.get_num_threads(), enabled=False)
        return cls(torch.get_num_threads(), fixed=setting if isinstance(setting, int) else None)

    def threads(self) -> int:
        """Threads for the next pass."""
        if self.fixed is not None:
            return self.fixed
        free = cpu_count() - busy_elsewhere()
        return max(1, min(self.max_threads, int(free)))

    @contextlib.contextmanager
    def applied(self) -> Iterator[int]:
        """Run the enclosed passes with :meth:`threads` threads on this thread; the previous count is restored.

        torch's (OpenMP's) thread count belongs to the calling thread, and a streaming generator may be resumed
        on another thread, so the count is set around each computation, never across a yield.
        """
        import torch

        if not self.enabled:
            yield torch.get_num_threads()
            return
        previous, count = torch.get_num_threads(), self.threads()
        if count != previous:
            torch.set_num_threads(count)
        try:
            yield count
        finally:
            if count != previous:
                torch.set_num_threads(previous)
