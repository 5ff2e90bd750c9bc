"""Command-line entry points: ``fire`` over a function, with bad input reported in one line."""

from __future__ import annotations

import sys
from typing import Any

import fire

from protocol.errors import InputError


def run_cli(component: Any) -> None:
    """``fire.Fire(component)``; bad input (an :class:`~protocol.errors.InputError`) ends the process with its
    message on stderr and exit status 2, without a traceback; any other error keeps its traceback."""
    try:
        fire.Fire(component)
    except InputError as error:
        sys.stderr.write(f"error: {error}\n")
        raise SystemExit(2) from None
