"""Reading the YAML recipes under ``configs/`` (training and data generation share the rules and the error)."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from protocol.errors import InputError


class ConfigError(ValueError, InputError):
    """A recipe or command-line option is unknown, malformed or out of range; the message names the fix."""


def read_recipe(name_or_path: str | Path, directory: Path, what: str) -> dict[str, Any]:
    """The mapping in a recipe YAML; a bare name (``quick``) means ``directory/<name>.yaml``.

    ``what`` names the kind of recipe in messages. Raises :class:`ConfigError` for a missing file, invalid
    YAML or a document that is not a mapping.
    """
    path = Path(name_or_path)
    if not path.suffix:
        path = directory / f"{path}.yaml"
    if not path.is_file():
        shipped = ", ".join(sorted(p.stem for p in directory.glob("*.yaml")))
        raise ConfigError(f"no {what} config at {path}; shipped configs: {shipped}")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid YAML: {' '.join(str(exc).split())}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: a {what} config must be a mapping of option: value")
    return data


def close_matches(name: str, known: Iterable[str]) -> str:
    """`` (did you mean X?)`` for the known names closest to a mistyped ``name``, else ``""``."""
    matches = difflib.get_close_matches(name, list(known), n=3, cutoff=0.6)
    return f" (did you mean {' or '.join(matches)}?)" if matches else ""


def reject_unknown(options: Iterable[str], known: Iterable[str], where: str) -> None:
    """Raise :class:`ConfigError` naming close matches and the valid names when ``options`` holds an unknown name."""
    known = sorted(set(known))
    unknown = sorted(set(options) - set(known))
    if unknown:
        hints = "".join(close_matches(name, known) for name in unknown)
        raise ConfigError(f"{where}: unknown option(s) {unknown}{hints}; valid options: {', '.join(known)}")
