"""``python -m session_eval.rescore --out DIR``: score a finished run again from its recorded replies and the files
in its workspaces, without the model (after the set's expectations or the checks changed); rewrites
DIR/sessions.json and DIR/sessions.md."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from protocol.cli import run_cli
from protocol.errors import InputError
from session_eval.checks import SessionState
from session_eval.report import RESULTS_JSON, write_results
from session_eval.runner import WORKSPACES, PlayedTurn, score_session, tool_detector
from session_eval.spec import DEFAULT_SESSIONS, SessionSet
from tools.workspace import Workspace

logger = logging.getLogger("session_eval.rescore")


class RescoreError(InputError):
    """The run cannot be scored again: its results or files are missing, or the set no longer matches it."""


def main(*, out: str, sessions: str = str(DEFAULT_SESSIONS)) -> dict[str, Any]:
    """Score the run in ``out`` again with the session set ``sessions``; returns the overall figures."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    out_dir = Path(out)
    try:
        data = json.loads((out_dir / RESULTS_JSON).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise RescoreError(f"no session run in {out} ({error}); run python -m session_eval --out {out}") from None
    specs = {spec.id: spec for spec in SessionSet.load(sessions).sessions}
    detect = tool_detector(out_dir / "truth")
    records = []
    for item in data["sessions"]:
        spec = specs.get(item["id"])
        played = [PlayedTurn.from_dict(turn) for turn in item["turns"]]
        if spec is None or [turn.say for turn in spec.turns] != [turn.say for turn in played]:
            raise RescoreError(
                f"session {item['id']!r} of the run is not in {sessions} with the same turns; run it again"
            )
        folder = out_dir / WORKSPACES / spec.id
        if not folder.is_dir():
            raise RescoreError(f"the files of session {spec.id!r} are gone ({folder}); run it again")
        records.append(score_session(spec, played, SessionState(Workspace(folder), dict(item["uploads"])), detect))
    overall = write_results(out_dir, {**data["run"], "session_set": sessions}, records)["overall"]
    logger.info("rescored %d sessions: %s", len(records), overall)
    return overall


if __name__ == "__main__":
    run_cli(main)
