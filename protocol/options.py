"""Options declared once: a dataclass field carries its type, default, help text and rule, and the command line,
its ``--help``, recipe (YAML) reading and validation are all derived from the fields.

    @dataclass
    class Config:
        steps: int = option(100, "optimizer steps", rule=POSITIVE)

        def __post_init__(self) -> None:
            check_options(self)  # converts "100" / 100.0 to 100, then applies each rule

A value may come from YAML (typed) or from a command-line string; both go through :func:`convert`, so
``--steps abc`` and ``steps: abc`` in a recipe give the same one-line :class:`ConfigError`.
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import math
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any

from protocol.recipes import ConfigError, close_matches


@dataclass(frozen=True)
class Rule:
    """What a valid value is: ``test`` on the converted value; ``text`` completes the phrase "must be ..."."""

    test: Callable[[Any], bool]
    text: str


POSITIVE = Rule(lambda value: value > 0, "positive")
NOT_NEGATIVE = Rule(lambda value: value >= 0, "0 or more")
NOT_EMPTY = Rule(lambda value: len(value) > 0, "non-empty")
BELOW_ONE = Rule(lambda value: 0 <= value < 1, "at least 0 and below 1")


def at_least(low: int) -> Rule:
    return Rule(lambda value: value >= low, f"at least {low}")


def one_of(choices: Sequence[str]) -> Rule:
    return Rule(lambda value: value in choices, "one of " + ", ".join(choices))


def option(
    default: Any = dataclasses.MISSING,
    help: str = "",
    *,
    rule: Rule | None = None,
    hint: str = "",
    resumable: bool = False,
    aliases: tuple[str, ...] = (),
    default_factory: Callable[[], Any] | Any = dataclasses.MISSING,
) -> Any:
    """A dataclass field with its help text, the ``rule`` a value must follow (``None`` is always allowed for
    an optional field), a ``hint`` appended to a refusal, whether it may change when a run resumes, and other
    names it answers to (another program's spelling)."""
    metadata = {"help": help, "rule": rule, "hint": hint, "resumable": resumable, "aliases": aliases}
    return dataclasses.field(default=default, default_factory=default_factory, metadata=metadata)


@functools.cache
def option_types(cls: type) -> dict[str, Any]:
    """The declared type of each field of the dataclass ``cls``."""
    return typing.get_type_hints(cls)


def _split_optional(hint: Any) -> tuple[Any, bool]:
    """``(T, True)`` for ``T | None``, else ``(hint, False)``."""
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        args = [arg for arg in typing.get_args(hint) if arg is not type(None)]
        return args[0], len(args) < len(typing.get_args(hint))
    return hint, False


_TRUE, _FALSE = {"true", "yes", "on", "1"}, {"false", "no", "off", "0"}
_KINDS = {bool: "true or false", int: "a whole number", float: "a finite number", str: "a text value"}


def _to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise ValueError


def _to_number(value: Any, whole: bool) -> int | float:
    if isinstance(value, bool):
        raise ValueError
    if isinstance(value, str):
        text = value.strip()
        try:
            value = int(text)
        except ValueError:
            value = float(text)
    if not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError
    if whole and not float(value).is_integer():
        raise ValueError
    return int(value) if whole else value


def _to_list(value: Any) -> list[str]:
    items = value.strip().strip("[]").split(",") if isinstance(value, str) else value
    if not isinstance(items, list | tuple):
        raise ValueError
    return [str(item).strip() for item in items if str(item).strip()]


def convert(name: str, hint: Any, value: Any) -> Any:
    """``value`` (YAML-typed or a command-line string) as type ``hint``; :class:`ConfigError` when it is not one."""
    kind, optional = _split_optional(hint)
    if value is None or (optional and isinstance(value, str) and value.strip().lower() in ("none", "null")):
        if optional:
            return None
        raise ConfigError(f"--{name} needs a value ({_KINDS.get(kind, kind)})")
    try:
        if kind is bool:
            return _to_bool(value)
        if kind in (int, float):
            return _to_number(value, whole=kind is int)
        if kind is str:
            if isinstance(value, dict | list | tuple | bool):
                raise ValueError
            return str(value)
        if typing.get_origin(kind) is list:
            return _to_list(value)
    except ValueError:
        expected = _KINDS.get(kind, "a comma-separated list")
        raise ConfigError(f"--{name} {value!r} is not {expected}" + (" (or none)" if optional else "")) from None
    raise TypeError(f"option {name}: unsupported type {hint!r}")


def check_options(instance: Any) -> None:
    """Convert every field of the dataclass ``instance`` to its declared type and apply its rule, in place."""
    hints = option_types(type(instance))
    for spec in fields(instance):
        value = convert(spec.name, hints[spec.name], getattr(instance, spec.name))
        rule: Rule | None = spec.metadata.get("rule")
        if value is not None and rule is not None and not rule.test(value):
            hint = spec.metadata.get("hint")
            shown = (
                repr(",".join(value)) if isinstance(value, list) else repr(value) if isinstance(value, str) else value
            )
            raise ConfigError(f"--{spec.name} {shown} must be {rule.text}" + (f"; {hint}" if hint else ""))
        object.__setattr__(instance, spec.name, value)


def resolve_aliases(cls: type, values: Mapping[str, Any]) -> dict[str, Any]:
    """``values`` with each alias of an option of ``cls`` under the option's own name; an alias given beside
    its option with another value is refused."""
    own_name = {alias: spec.name for spec in fields(cls) for alias in spec.metadata.get("aliases", ())}
    resolved: dict[str, Any] = {key: value for key, value in values.items() if key not in own_name}
    for alias, value in values.items():
        name = own_name.get(alias)
        if name is None:
            continue
        if resolved.get(name, value) != value:
            raise ConfigError(f"--{alias} {value} and --{name} {resolved[name]} disagree; give one of them")
        resolved[name] = value
    return resolved


def resumable_options(cls: type) -> frozenset[str]:
    """The options of ``cls`` declared ``resumable`` (free to change when a run goes on from a checkpoint)."""
    return frozenset(spec.name for spec in fields(cls) if spec.metadata.get("resumable"))


class OptionParser(argparse.ArgumentParser):
    """argparse that raises :class:`ConfigError` (one line) instead of printing usage and exiting, and knows
    its option flags (for close matches of a mistyped one)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.flags: list[str] = []
        super().__init__(*args, **kwargs)

    def add_argument(self, *names: Any, **kwargs: Any) -> argparse.Action:
        self.flags += [name for name in names if isinstance(name, str) and name.startswith("--")]
        return super().add_argument(*names, **kwargs)

    def error(self, message: str) -> typing.NoReturn:
        raise ConfigError(f"{message}; `{self.prog} --help` lists every option")


def _metavar(hint: Any) -> str:
    kind, _ = _split_optional(hint)
    return {int: "N", float: "X", str: "TEXT", bool: "BOOL"}.get(kind, "A,B,...")


def shown_value(value: Any) -> str:
    """``value`` as it would be written on the command line."""
    if isinstance(value, list):
        return ",".join(value)
    return "none" if value is None or value == "" else str(value)


def command_line(
    cls: type,
    defaults: Mapping[str, Any],
    *,
    prog: str,
    description: str,
    epilog: str = "",
    leading: Mapping[str, str] | None = None,
) -> OptionParser:
    """An argument parser with one ``--name`` per field of ``cls``, its help text and the value of
    ``defaults``; every value stays a string for :func:`convert`. Booleans may be given bare (``--merge``).
    ``leading`` maps further flags (not fields, e.g. ``--config``) to their help; they are listed first."""
    parser = OptionParser(
        prog=prog,
        usage=f"{prog} [--option value ...]",
        description=description,
        epilog=epilog,
        allow_abbrev=False,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    for flag, text in (leading or {}).items():
        parser.add_argument(flag, metavar="VALUE", help=text)
    hints = option_types(cls)
    for spec in fields(cls):
        is_bool = _split_optional(hints[spec.name])[0] is bool
        parser.add_argument(
            f"--{spec.name}",
            nargs="?" if is_bool else None,
            const="true" if is_bool else None,
            metavar=_metavar(hints[spec.name]),
            help=f"{spec.metadata.get('help', '')} (default: {shown_value(defaults.get(spec.name))}"
            + ("; may change when a run resumes)" if spec.metadata.get("resumable") else ")"),
        )
        for alias in spec.metadata.get("aliases", ()):
            parser.add_argument(f"--{alias}", metavar=_metavar(hints[spec.name]), help=f"the same as --{spec.name}")
    return parser


def parse_command_line(parser: OptionParser, argv: Sequence[str]) -> dict[str, str]:
    """The options given in ``argv`` (``--name value``, ``--name=value``; ``--a-b`` is ``--a_b``) as strings.

    An unknown option is refused at once, naming the closest known ones.
    """
    known, unknown = parser.parse_known_args(_underscored(argv))
    if unknown:
        first = next((arg for arg in unknown if arg.startswith("-")), unknown[0])
        if not first.startswith("-"):
            raise ConfigError(f"unexpected argument {first!r}: options take the form --name value")
        name = first.split("=", 1)[0]
        raise ConfigError(
            f"unknown option {name}{close_matches(name, parser.flags)}; `{parser.prog} --help` lists every option"
        )
    return {name: value for name, value in vars(known).items() if value is not None}


def _underscored(argv: Sequence[str]) -> list[str]:
    """``--a-b`` as ``--a_b``, and ``--x -1e-4`` as ``--x=-1e-4`` (argparse takes ``-1e-4`` for an option)."""
    normalized: list[str] = []
    for arg in argv:
        if arg.startswith("--"):
            name, sep, value = arg.partition("=")
            normalized.append("--" + name[2:].replace("-", "_") + sep + value)
            continue
        if arg.startswith("-") and normalized and normalized[-1].startswith("--") and "=" not in normalized[-1]:
            try:
                float(arg)
            except ValueError:
                pass
            else:
                normalized[-1] += "=" + arg
                continue
        normalized.append(arg)
    return normalized
