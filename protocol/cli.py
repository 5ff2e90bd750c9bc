"""Command-line entry points: ``fire`` over a function, with bad input reported in one line."""

from __future__ import annotations

import inspect
import sys
from collections.abc import Sequence
from typing import Any

import fire

from protocol.errors import InputError


def unknown_flags(function: Any, argv: Sequence[str]) -> list[str]:
    """The ``--flags`` of ``argv`` that name no parameter of ``function`` (fire's ``--noflag`` and hyphenated
    spellings included). Fire itself reports them only after the function has run to the end."""
    try:
        parameters = inspect.signature(function).parameters
    except (TypeError, ValueError):
        return []
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()):
        return []
    names = set(parameters)
    unknown = []
    for arg in argv:
        if arg == "--":
            break
        if not arg.startswith("--") or arg in ("--help",):
            continue
        name = arg[2:].split("=", 1)[0].replace("-", "_")
        if name not in names and not (name.startswith("no") and name[2:] in names):
            unknown.append(arg.split("=", 1)[0])
    return unknown


def run_cli(component: Any) -> None:
    """``fire.Fire(component)``; bad input (an :class:`~protocol.errors.InputError`) ends the process with its
    message on stderr and exit status 2, without a traceback; any other error keeps its traceback. Unknown
    ``--flags`` are refused before the function starts."""
    try:
        unknown = unknown_flags(component, sys.argv[1:]) if inspect.isfunction(component) else []
        if unknown:
            options = ", ".join(f"--{name}" for name in inspect.signature(component).parameters)
            raise InputError(f"unknown option(s) {', '.join(unknown)}; the options are: {options}")
        fire.Fire(component)
    except InputError as error:
        sys.stderr.write(f"error: {error}\n")
        raise SystemExit(2) from None
