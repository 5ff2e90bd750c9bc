"""Command-line entry points: ``fire`` over a function, with bad input reported in one line."""

from __future__ import annotations

import contextlib
import inspect
import sys
from collections.abc import Iterator, Sequence
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


_BOOLEAN_TYPES = ("bool", "bool|None", "None|bool")
_BOOLEAN_WORDS = {"true": "True", "yes": "True", "1": "True", "false": "False", "no": "False", "0": "False"}


def _boolean_parameters(function: Any) -> set[str]:
    """Parameters annotated ``bool`` or ``bool | None`` (as a type or, postponed, as text)."""
    parameters = inspect.signature(function).parameters.values()
    return {p.name for p in parameters if p.annotation is bool or str(p.annotation).replace(" ", "") in _BOOLEAN_TYPES}


def normalise_booleans(function: Any, argv: Sequence[str]) -> list[str]:
    """``--flag false`` (or ``true``, ``yes``, ``no``, ``0``, ``1``) for a boolean parameter as ``--flag=False``:
    fire would pass the word itself, a string that counts as true."""
    booleans = _boolean_parameters(function)
    out: list[str] = []
    index = 0
    while index < len(argv):
        arg = argv[index]
        name = arg[2:].replace("-", "_") if arg.startswith("--") and "=" not in arg else None
        following = argv[index + 1].lower() if index + 1 < len(argv) else None
        if name in booleans and following in _BOOLEAN_WORDS:
            out.append(f"--{name}={_BOOLEAN_WORDS[following]}")
            index += 2
            continue
        if arg.startswith("--") and "=" in arg:
            key, value = arg.split("=", 1)
            if key[2:].replace("-", "_") in booleans and value.lower() in _BOOLEAN_WORDS:
                arg = f"{key}={_BOOLEAN_WORDS[value.lower()]}"
        out.append(arg)
        index += 1
    return out


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
    """``fire.Fire(component)`` under :func:`report_input_errors`. Unknown ``--flags`` are refused before the
    function starts, and ``--flag false`` means False for a boolean."""
    with report_input_errors():
        argv = sys.argv[1:]
        if inspect.isfunction(component):
            unknown = unknown_flags(component, argv)
            if unknown:
                options = ", ".join(f"--{name}" for name in inspect.signature(component).parameters)
                raise InputError(f"unknown option(s) {', '.join(unknown)}; the options are: {options}")
            argv = normalise_booleans(component, argv)
        fire.Fire(component, command=argv)
