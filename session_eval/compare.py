"""``python -m session_eval.compare NAME=DIR/sessions.json ...``: runs side by side as a markdown table."""

from __future__ import annotations

import json
from pathlib import Path

from protocol.cli import run_cli
from protocol.errors import InputError
from session_eval.report import comparison


class ResultsFileError(InputError):
    """A results file given to compare is missing or is not a session run's JSON."""


def main(*results: str) -> str:
    """Compare session runs given as ``NAME=PATH`` (or a bare path, named by its folder)."""
    if not results:
        raise ResultsFileError("give one or more NAME=DIR/sessions.json files, written by python -m session_eval")
    runs = {}
    for item in results:
        name, _, path = item.rpartition("=")
        file = Path(path)
        try:
            data = json.loads(file.read_text(encoding="utf-8"))
            data["summary"]["overall"]
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise ResultsFileError(
                f"{path}: not a session run's results ({error}); run python -m session_eval"
            ) from None
        runs[name or file.parent.name] = data
    return comparison(runs)


if __name__ == "__main__":
    run_cli(main)
