"""The competing load the serving benchmarks start: a process that keeps both cores busy, paused until asked.

A two-thread torch matmul loop, as another PyTorch job on the same laptop would be. It is started once and
paused with ``SIGSTOP``; :meth:`Competitor.run` and :meth:`Competitor.pause` switch it on and off between
measurements, so idle and loaded phases can alternate without paying its start-up each time.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time

LOOP = """
import torch
torch.set_num_threads(2)
a = torch.randn(1024, 1024)
while True:
    a = torch.tanh(a @ a)
"""
START_S = 20  # time to load torch before the first pause


class Competitor:
    """A two-thread torch matmul loop in its own process, paused until :meth:`run` resumes it."""

    def __init__(self) -> None:
        self.process = subprocess.Popen([sys.executable, "-c", LOOP])
        time.sleep(START_S)
        self.pause()

    @property
    def pid(self) -> int:
        return self.process.pid

    def run(self) -> None:
        self.process.send_signal(signal.SIGCONT)

    def pause(self) -> None:
        self.process.send_signal(signal.SIGSTOP)

    def close(self) -> None:
        self.process.kill()
        self.process.wait()
