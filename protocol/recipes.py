"""Reading the YAML recipes under ``configs/`` (training and data generation share the rules)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml


def read_recipe(name_or_path: str | Path, directory: Path, what: str, error: type[Exception]) -> dict[str, Any]:
    """The mapping in a recipe YAML; a bare name (``quick``) means ``directory/<name>.yaml``.

    ``what`` names the kind of recipe in messages; ``error`` is the exception raised for a missing file,
    invalid YAML or a document that is not a mapping.
    """
    path = Path(name_or_path)
    if not path.suffix:
        path = directory / f"{path}.yaml"
    if not path.is_file():
        shipped = ", ".join(sorted(p.stem for p in directory.glob("*.yaml")))
        raise error(f"no {what} config at {path}; shipped configs: {shipped}")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise error(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise error(f"{path}: a {what} config must be a mapping of option: value")
    return data


def reject_unknown(options: Iterable[str], known: Iterable[str], where: str, error: type[Exception]) -> None:
    """Raise ``error`` listing the valid names when ``options`` holds a name not in ``known``."""
    known = set(known)
    unknown = sorted(set(options) - known)
    if unknown:
        raise error(f"{where}: unknown option(s) {unknown}; valid options: {', '.join(sorted(known))}")
