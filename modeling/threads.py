"""CPU threads for the model: how idle OpenMP threads wait, and how many a forward pass uses.

Measured on a shared 2-core CPU with other processes running (``benchmarks/README.md``, Serving on a shared CPU):

* OpenMP's default lets a thread that reaches the end of a parallel region spin before it sleeps. With the
  cores oversubscribed the spinning threads burn the time slices the working ones need: a 512-token prefill
  took 42 s spinning and 14 s with ``OMP_WAIT_POLICY=PASSIVE``, a decoded token 1.5 s against 0.56 s.
  OpenMP reads the policy once, when torch loads, so every entry point calls :func:`configure_process` first.
* A parallel region ends when its slowest thread does; a thread the scheduler has parked for another process
  holds up the rest. With the cores busy elsewhere, one thread beat two on the AMX machine (the same prefill:
  10 s against 14 s). :class:`ThreadPolicy` therefore gives each forward pass the cores other processes leave
  free, at least one.

What counts as busy elsewhere (:class:`LoadMeter`): the cores that processes other than this one kept busy at
normal priority over the interval since the previous pass, from ``/proc/stat``'s counters less this process's
own CPU time. An average over an interval, because one instant's count of runnable threads (``/proc/loadavg``)
swings with every short-lived process. Normal priority only, because a niced job in this process's scheduling
group runs only on the cores our threads leave idle (weight 15 against 1024): beside two busy threads of ours,
two nice-19 ones got no CPU at all. Linux's autogroups (on by default in many distributions) weigh sessions
against each other whatever their nice value, though, so a niced job started from another terminal, or one
that starts sessions of its own as torchrun does for its workers, takes a full share of the cores while this
meter counts it as free; on the 2-core machine two threads did at least as well as one beside such a job. Where
``/proc/stat`` is missing, the runnable threads or the load average stand in.

Waiting differs by job. Training and batch inference run few, long parallel regions: threads that wait sleep at
once (:data:`PASSIVE_WAITS`). The chat decodes one token at a time, hundreds of short regions a second, where waking
a sleeping thread costs a share of each; its threads spin briefly (about 0.2 ms) before they sleep
(:data:`SHORT_SPIN_WAITS`), which kept the spin's gain without its collapse under load: a demo turn through the
server took 8.3 s against 9.2 s with passive waits beside a 2-thread competing process, and the same idle (5.5
against 5.3 s, 25 turns each; ``benchmarks/README.md``).

``GPT4TOOLS_THREADS`` chooses: ``auto`` (the default: the waits above, threads adapted to the load), a number
(the waits above, that many threads), or ``torch`` (leave OpenMP's and torch's own defaults alone).
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from protocol.errors import InputError

logger = logging.getLogger(__name__)

THREADS_ENV = "GPT4TOOLS_THREADS"
AUTO, TORCH_DEFAULTS = "auto", "torch"
# How OpenMP's idle threads wait, set before it starts. The two variables describe one policy, so a user who set
# either keeps their own. GOMP_SPINCOUNT counts spins of about 10 ns each (libgomp).
PASSIVE_WAITS = {"OMP_WAIT_POLICY": "PASSIVE"}
SHORT_SPIN_WAITS = {"OMP_WAIT_POLICY": "ACTIVE", "GOMP_SPINCOUNT": "20000"}
WAIT_VARIABLES = ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT")
_LOADAVG = Path("/proc/loadavg")
_PROC_STAT = Path("/proc/stat")
_USER_HZ = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100  # /proc/stat's unit: ticks per second
# The first columns of /proc/stat's aggregate "cpu" line, in its order.
CPU_COLUMNS = ("user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal")
# Busy at normal priority: steal is the hypervisor's other guests. Left out: nice (threads with a positive nice
# value, which yield to ours when they share our scheduling group), idle and iowait.
NORMAL_BUSY_COLUMNS = ("user", "system", "irq", "softirq", "steal")
# Shorter windows hold too few ticks (10 ms each at the usual 100 per second) for an average: a steady one-core
# load read 0-1.9 cores over 0.05 s windows and 0.5-1.1 over 0.1 s ones.
MIN_INTERVAL_S = 0.1
# How far past the half-way point between two counts the free cores must be before the count changes. Short
# windows and bursts (a ``git status``) move the estimate by a few tenths of a core; without a margin a load
# near the half-way point would change the count from pass to pass, each change resizing OpenMP's thread team
# and leaving the timing to the noise. A real change clears it: a competing busy thread reads as 0.7-1 core.
SWITCH_MARGIN = 0.25


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


def openmp_environment(environ: Mapping[str, str], waits: Mapping[str, str] = PASSIVE_WAITS) -> dict[str, str]:
    """The OpenMP variables to add to ``environ`` for ``waits``: none when ``environ`` sets either wait variable
    already or ``torch`` is chosen.

    Scripts that import torch at the top apply it first: ``os.environ.update(openmp_environment(os.environ))``.
    """
    if environ.get(THREADS_ENV, "").strip().lower() == TORCH_DEFAULTS:
        return {}
    if any(name in environ for name in WAIT_VARIABLES):
        return {}
    return dict(waits)


def configure_process(waits: Mapping[str, str] = PASSIVE_WAITS) -> None:
    """Check ``GPT4TOOLS_THREADS`` and prepare OpenMP for a shared CPU (``waits``: :data:`PASSIVE_WAITS` for batch
    work, :data:`SHORT_SPIN_WAITS` for the chat); entry points call it before torch loads."""
    thread_setting()
    missing = openmp_environment(os.environ, waits)
    if missing and "torch" in sys.modules:
        logger.warning("torch was imported before the thread settings; %s has no effect in this process", missing)
    os.environ.update(missing)


def cpu_count() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def runnable_elsewhere() -> float:
    """Where ``/proc/stat`` is missing: roughly how many cores other processes keep busy right now.

    The kernel's count of runnable threads at this instant (``/proc/loadavg``), less this one thread, which is
    running while it reads; elsewhere the one-minute load average less one, or nothing when the platform has
    neither.
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


def cpu_seconds(proc_stat: str) -> dict[str, float]:
    """Seconds all cores together have spent in each of :data:`CPU_COLUMNS` since boot, from ``/proc/stat``'s text."""
    fields = proc_stat.split("\n", 1)[0].split()
    if fields[:1] != ["cpu"] or len(fields) <= len(CPU_COLUMNS):
        raise ValueError(f"not /proc/stat's aggregate cpu line: {' '.join(fields)!r}")
    return {column: int(ticks) / _USER_HZ for column, ticks in zip(CPU_COLUMNS, fields[1:], strict=False)}


def own_cpu_seconds() -> float:
    """This process's CPU time (all its threads) that ``/proc/stat`` counts as normal priority: none when niced."""
    if hasattr(os, "getpriority") and os.getpriority(os.PRIO_PROCESS, 0) > 0:
        return 0.0
    return time.process_time()


@dataclass
class LoadMeter:
    """How many cores processes other than this one kept busy at normal priority since the previous reading.

    Each reading takes ``/proc/stat``'s busy time less this process's CPU time; the estimate is the growth of
    that since the previous kept reading over the wall time between them. Readings less than
    :data:`MIN_INTERVAL_S` after the kept one return the previous estimate (and keep the older reading, so the
    next window is long enough). The first reading has nothing to compare with: every core counts as free.
    Without ``/proc/stat`` (not Linux) it falls back to :func:`runnable_elsewhere`. Callers take turns
    (``HFGenerator`` reads it under its model lock).
    """

    read_stat: Callable[[], str] = _PROC_STAT.read_text
    own_cpu_s: Callable[[], float] = own_cpu_seconds
    clock: Callable[[], float] = time.monotonic
    _kept: tuple[float, float] | None = field(default=None, init=False, repr=False)  # (wall s, others' busy s)
    _estimate: float = field(default=0.0, init=False, repr=False)

    def busy_elsewhere(self) -> float:
        """Cores other processes kept busy at normal priority, averaged since the kept reading."""
        try:
            spent = cpu_seconds(self.read_stat())
        except (OSError, ValueError):
            return runnable_elsewhere()
        others, now = sum(spent[column] for column in NORMAL_BUSY_COLUMNS) - self.own_cpu_s(), self.clock()
        if self._kept is None:
            self._kept = (now, others)
            return self._estimate
        wall = now - self._kept[0]
        if wall < MIN_INTERVAL_S:
            return self._estimate
        self._estimate = max(0.0, (others - self._kept[1]) / wall)
        self._kept = (now, others)
        return self._estimate


@dataclass
class ThreadPolicy:
    """The thread count for each forward pass: ``fixed`` when set, else the free cores (1 to ``max_threads``).

    The free cores come from :attr:`meter`, rounded; the count moves only when they are more than
    :data:`SWITCH_MARGIN` past the half-way point to another count.
    """

    max_threads: int
    fixed: int | None = None
    enabled: bool = True
    meter: LoadMeter = field(default_factory=LoadMeter, repr=False, compare=False)
    _count: int | None = field(default=None, init=False, repr=False, compare=False)

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
        free = cpu_count() - self.meter.busy_elsewhere()
        if self._count is None or abs(free - self._count) >= 0.5 + SWITCH_MARGIN:
            self._count = max(1, min(self.max_threads, math.floor(free + 0.5)))
        return self._count

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
