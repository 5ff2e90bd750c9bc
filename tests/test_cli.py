"""Command-line entry points report bad input in one line; other errors keep their traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from protocol.cli import run_cli
from training.config import ConfigError

ROOT = Path(__file__).resolve().parent.parent


def needs_positive(count: int = 1) -> int:
    if count < 1:
        raise ConfigError(f"--count must be at least 1, got {count}")
    if count > 100:
        raise ValueError("a bug, not bad input")
    return count


def test_bad_input_ends_with_its_message_and_status_2(monkeypatch, capsys) -> None:
    monkeypatch.setattr(sys, "argv", ["prog", "--count", "0"])
    with pytest.raises(SystemExit) as exit_info:
        run_cli(needs_positive)
    assert exit_info.value.code == 2
    assert capsys.readouterr().err == "error: --count must be at least 1, got 0\n"


def test_other_errors_keep_their_traceback(monkeypatch) -> None:
    monkeypatch.setattr(sys, "argv", ["prog", "--count", "101"])
    with pytest.raises(ValueError, match="a bug"):
        run_cli(needs_positive)


def test_trainer_without_data_says_what_to_pass(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "lora_finetune.py", "--output_dir", str(tmp_path / "out")],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 2
    assert "error: no training data: pass --data_path" in done.stderr
    assert "Traceback" not in done.stderr
