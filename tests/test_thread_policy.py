"""Thread settings: passive OpenMP waits before torch loads in every entry point, threads adapted to the load."""

from __future__ import annotations

import os
import subprocess
import sys
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


def test_openmp_waits_passively_unless_the_user_chose_otherwise():
    assert openmp_environment({}) == {"OMP_WAIT_POLICY": "PASSIVE"}
    assert openmp_environment({"OMP_WAIT_POLICY": "ACTIVE"}) == {}
    assert openmp_environment({threads.THREADS_ENV: "torch"}) == {}


def test_runnable_threads_of_other_processes_are_read_from_the_kernel(monkeypatch, tmp_path):
    loadavg = tmp_path / "loadavg"
    loadavg.write_text("1.50 1.20 0.90 3/210 4242\n")
    monkeypatch.setattr(threads, "_LOADAVG", loadavg)
    assert threads.busy_elsewhere() == 2  # three runnable, one of them the reader


def test_passes_get_the_free_cores_and_at_least_one(monkeypatch):
    monkeypatch.setattr(threads, "cpu_count", lambda: 4)
    policy = ThreadPolicy(max_threads=2)
    for busy, expected in [(0, 2), (2.0, 2), (3.0, 1), (9.0, 1)]:
        monkeypatch.setattr(threads, "busy_elsewhere", lambda busy=busy: busy)
        assert policy.threads() == expected
    assert ThreadPolicy(max_threads=2, fixed=3).threads() == 3


def test_the_count_applies_inside_and_is_restored_after(monkeypatch):
    monkeypatch.setattr(threads, "busy_elsewhere", lambda: 1e6)
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
