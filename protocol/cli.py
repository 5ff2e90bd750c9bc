"""Command-line entry points: bad input reported in one line (``error: ...``, exit status 2), never a traceback."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from typing import Any

import fire

from protocol.errors import InputError


@contextlib.contextmanager
def report_input_errors() -> Iterator[None]:
    """End the process on bad input (an :class:`~protocol.errors.InputError`) with its message on one line of
    stderr and exit status 2, without a traceback; any other error keeps its traceback."""
    try:
        yield
    except InputError as error:
        sys.stderr.write(f"error: {' '.join(str(error).split())}\n")
        raise SystemExit(2) from None


def run_cli(component: Any) -> None:
    """``fire.Fire(component)`` under :func:`report_input_errors`."""
    with report_input_errors():
        fire.Fire(component)
