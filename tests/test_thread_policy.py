"""Thread settings: passive OpenMP waits before torch loads in every entry point, threads adapted to the load."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from modeling import threads
from modeling.threads import ThreadPolicy, ThreadSettingError, openmp_environment, thread_setting

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(("value", "expected"), [(None, "auto"), ("auto", "auto"), (" 3 ", 3), ("TORCH", "torch")])
def test_thread_setting_is_read_from_the_environment(monkeypatch, value, expected):
    if value is None:
        monkeypatch.delenv(threads.THREADS_ENV, raising=False)
    else:
        monkeypatch.setenv(threads.THREADS_ENV, value)
    assert thread_setting() == expected


@pytest.mark.parametrize("value", ["0", "two", "-1"])
def test_a_bad_thread_setting_names_the_choices(monkeypatch, value):
    monkeypatch.setenv(threads.THREADS_ENV, value)
    with pytest.raises(ThreadSettingError, match="auto, torch or a positive number"):
        thread_setting()


def test_openmp_waits_as_the_job_needs_unless_the_user_chose_otherwise():
    assert openmp_environment({}) == {"OMP_WAIT_POLICY": "PASSIVE"}
    assert openmp_environment({}, threads.SHORT_SPIN_WAITS) == {"OMP_WAIT_POLICY": "ACTIVE", "GOMP_SPINCOUNT": "20000"}
    assert openmp_environment({"OMP_WAIT_POLICY": "ACTIVE"}) == {}
    assert openmp_environment({"GOMP_SPINCOUNT": "0"}, threads.SHORT_SPIN_WAITS) == {}  # one policy: theirs
    assert openmp_environment({threads.THREADS_ENV: "torch"}, threads.SHORT_SPIN_WAITS) == {}


class FakeCpu:
    """A 2-core machine's ``/proc/stat``, this process's CPU time and a clock, advanced by hand."""

    CORES = 2

    def __init__(self) -> None:
        self.ticks = dict.fromkeys(threads.CPU_COLUMNS, 1_000_000)  # since boot
        self.own_s, self.now = 50.0, 1_000.0

    def run(self, seconds: float, own: float = 0.0, **cores: float) -> None:
        """``seconds`` pass with this process on ``own`` cores and others on ``cores`` (column: cores)."""
        busy = {"user": own, **{column: cores.get(column, 0.0) for column in threads.CPU_COLUMNS if column != "user"}}
        busy["user"] += cores.get("user", 0.0)
        busy["idle"] = self.CORES - sum(value for column, value in busy.items() if column != "idle")
        for column, value in busy.items():
            self.ticks[column] += round(value * seconds * threads._USER_HZ)
        self.own_s += own * seconds
        self.now += seconds

    def proc_stat(self) -> str:
        line = "cpu  " + " ".join(str(self.ticks[column]) for column in threads.CPU_COLUMNS) + " 0 0"
        return f"{line}\ncpu0 1 2 3 4 5 6 7 8 0 0\nctxt 123\n"

    def meter(self) -> threads.LoadMeter:
        return threads.LoadMeter(read_stat=self.proc_stat, own_cpu_s=lambda: self.own_s, clock=lambda: self.now)


@pytest.fixture
def cpu(monkeypatch) -> FakeCpu:
    monkeypatch.setattr(threads, "cpu_count", lambda: FakeCpu.CORES)
    return FakeCpu()


def _policy(cpu: FakeCpu) -> ThreadPolicy:
    policy = ThreadPolicy(max_threads=2, meter=cpu.meter())
    assert policy.threads() == 2  # the first reading has nothing to compare with: every core counts as free
    return policy


@pytest.mark.parametrize("column", threads.NORMAL_BUSY_COLUMNS)
def test_another_process_on_both_cores_leaves_one_thread(cpu, column):
    policy = _policy(cpu)
    cpu.run(1.0, **{column: 2.0})
    assert policy.meter.busy_elsewhere() == pytest.approx(2.0)
    assert policy.threads() == 1


@pytest.mark.parametrize("column", ["nice", "iowait"])
def test_niced_work_and_waiting_for_the_disk_leave_the_cores_free(cpu, column):
    policy = _policy(cpu)
    cpu.run(1.0, **{column: 2.0})
    assert policy.threads() == 2


def test_this_process_s_own_cpu_time_is_not_competition(cpu):
    policy = _policy(cpu)
    cpu.run(1.0, own=2.0)
    assert policy.threads() == 2
    cpu.run(1.0, own=1.0, user=1.0)  # own time is taken out, others' is kept
    assert policy.meter.busy_elsewhere() == pytest.approx(1.0)


def test_a_short_interval_keeps_the_estimate_and_the_window_grows(cpu):
    meter = cpu.meter()
    meter.busy_elsewhere()
    cpu.run(1.0, user=1.0)
    assert meter.busy_elsewhere() == pytest.approx(1.0)
    cpu.run(threads.MIN_INTERVAL_S * 0.6, user=2.0)
    assert meter.busy_elsewhere() == pytest.approx(1.0)  # too short to measure: the last estimate
    cpu.run(threads.MIN_INTERVAL_S * 0.6, system=2.0)
    assert meter.busy_elsewhere() == pytest.approx(2.0)  # both short runs, since the last kept reading


def test_the_count_holds_until_the_free_cores_clearly_change(cpu):
    policy = _policy(cpu)
    half_way = FakeCpu.CORES - 1.5  # busy at which 1.5 cores are free
    for busy, expected in [(half_way, 2), (half_way + threads.SWITCH_MARGIN + 0.05, 1), (half_way, 1),
                           (half_way - threads.SWITCH_MARGIN - 0.05, 2), (half_way + 0.2, 2)]:  # fmt: skip
        cpu.run(1.0, user=busy)
        assert policy.threads() == expected, busy


def test_more_free_cores_than_threads_and_fixed_counts(cpu, monkeypatch):
    monkeypatch.setattr(threads, "cpu_count", lambda: 8)
    policy = ThreadPolicy(max_threads=4, meter=cpu.meter())
    policy.threads()
    cpu.run(1.0, user=1.0)
    assert policy.threads() == 4
    assert ThreadPolicy(max_threads=2, fixed=3, meter=cpu.meter()).threads() == 3


@pytest.mark.parametrize("proc_stat", [None, "intr 1 2 3\n", "cpu 1 2\n"], ids=["missing", "other", "truncated"])
def test_without_proc_stat_the_runnable_threads_are_counted(monkeypatch, tmp_path, proc_stat):
    loadavg = tmp_path / "loadavg"
    loadavg.write_text("1.50 1.20 0.90 3/210 4242\n")
    monkeypatch.setattr(threads, "_LOADAVG", loadavg)
    stat = tmp_path / "stat"
    if proc_stat is not None:
        stat.write_text(proc_stat)
    meter = threads.LoadMeter(read_stat=stat.read_text)
    assert meter.busy_elsewhere() == 2  # three runnable, one of them the reader
    monkeypatch.setattr(threads, "_LOADAVG", tmp_path / "missing")
    monkeypatch.setattr(os, "getloadavg", lambda: (1.75, 1.0, 1.0))
    assert meter.busy_elsewhere() == pytest.approx(0.75)


def test_a_niced_process_s_own_time_is_in_the_nice_column(monkeypatch):
    monkeypatch.setattr(os, "getpriority", lambda which, who: 10)
    assert threads.own_cpu_seconds() == 0.0
    monkeypatch.setattr(os, "getpriority", lambda which, who: 0)
    assert threads.own_cpu_seconds() == pytest.approx(time.process_time(), abs=0.5)


def test_the_count_applies_inside_and_is_restored_after(monkeypatch):
    monkeypatch.setattr(threads.LoadMeter, "busy_elsewhere", lambda self: 1e6)
    before = torch.get_num_threads()
    with ThreadPolicy(max_threads=before).applied() as count:
        assert count == 1 == torch.get_num_threads()
    assert torch.get_num_threads() == before
    with ThreadPolicy(max_threads=before, enabled=False).applied() as count:
        assert count == before


def _run(code_or_args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *code_or_args],
        check=False,
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_entry_points_load_torch_only_after_their_thread_settings():
    """Each entry point sets OpenMP's environment at the start of ``main``, so importing it must not load torch."""
    code = "import sys, gpt4tools, inference, data_gen.__main__, tools.__main__; print('torch' in sys.modules)"
    assert _run(["-c", code], {}).stdout.strip() == "False"


@pytest.mark.parametrize(
    "args",
    [
        ["gpt4tools.py", "--cli"],
        ["inference.py", "--ann_path", "missing.json", "--save_name", "x"],
        ["-m", "data_gen", "--out_dir", "unused"],
        ["-m", "tools", "list"],
    ],
    ids=["gpt4tools", "inference", "data_gen", "tools"],
)
def test_entry_points_check_the_thread_setting_first(args):
    done = _run(args, {threads.THREADS_ENV: "many"})
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1].startswith("error: GPT4TOOLS_THREADS='many'")
