"""``python -m session_eval --lora_model ADAPTER|none --out DIR``: play the scripted sessions through the demo's
agent (built as ``gpt4tools.py`` builds it) with the offline tools; write DIR/sessions.json and DIR/sessions.md.

    python -m session_eval --lora_model none --out output/sessions/zero-shot
    python -m session_eval --lora_model adapters/smollm2-gpt4tools-research --out output/sessions/research
    python -m session_eval --only edges-astronaut,ocr-open-sign --out output/sessions/quick
    python -m session_eval.compare zero-shot=output/sessions/zero-shot/sessions.json research=...
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

from agent.loop import DEFAULT_MAX_STEPS
from modeling.loading import EMBEDDED_MODEL
from protocol.cli import run_cli
from protocol.errors import InputError
from session_eval.report import RESULTS_MD, write_results
from session_eval.runner import SessionRecord, run_sessions
from session_eval.spec import DEFAULT_SESSIONS, SessionSet
from ui.launch import build_agent, resolve_adapter

logger = logging.getLogger("session_eval")


class OutputDirError(InputError):
    """``--out`` exists and is not a directory."""


def main(
    *,
    lora_model: str | None = None,
    base_model: str = EMBEDDED_MODEL,
    out: str = "output/sessions/run",
    sessions: str = str(DEFAULT_SESSIONS),
    only: str | None = None,
    limit: int | None = None,
    label: str | None = None,
    load: str | None = None,
    llm_device: str = "cpu",
    max_steps: int = DEFAULT_MAX_STEPS,
    max_new_tokens: int = 128,
) -> dict[str, Any]:
    """Run the session set and write the scored results; returns the overall figures.

    Args:
        lora_model: the adapter to judge: a directory, ``none`` for the base model alone (zero-shot); by
            default the demo's (the shipped adapter for the embedded model).
        base_model: hub id, local checkpoint or ``smollm2-135m-instruct`` (the embedded default).
        out: directory for sessions.json, sessions.md and the sessions' files (workspaces/, uploads/).
        sessions: the session set (YAML; session_eval/sessions.yaml by default).
        only: comma-separated session ids to run instead of all.
        limit: run at most this many sessions.
        label: the run's name in the report (default: the adapter's folder name, or zero-shot).
        load: tool families and devices as ``gpt4tools.py --load`` takes them; default the offline ones.
        llm_device: ``cpu``, ``cuda`` or ``cuda:N`` for the language model.
        max_steps: tool calls allowed per turn (the demo's default).
        max_new_tokens: tokens the model may write per step (the demo's default).
    """
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    out_dir = Path(out)
    if out_dir.exists() and not out_dir.is_dir():
        raise OutputDirError(f"--out {out} is a file; give a directory for the results")
    session_set = SessionSet.load(sessions)
    chosen = session_set.select(only, limit)
    adapter = resolve_adapter(lora_model, base_model)
    agent = build_agent(
        base_model, lora_model, llm_device=llm_device, load=load, max_steps=max_steps, max_new_tokens=max_new_tokens
    )
    started = time.perf_counter()

    def progress(record: SessionRecord) -> None:
        marks = "".join("+" if turn.score.success else "-" for turn in record.turns)
        logger.info("%s %s (%.0f s)", marks, record.id, sum(turn.seconds for turn in record.turns))

    records = run_sessions(agent, session_set, chosen, out_dir, progress=progress)
    run = {
        "label": label or (Path(adapter).name if adapter else "zero-shot"),
        "base_model": base_model,
        "adapter": adapter,
        "session_set": str(sessions),
        "tools": list(agent.runtime.available.names),
        "max_steps": max_steps,
        "max_new_tokens": max_new_tokens,
        "seconds": round(time.perf_counter() - started, 1),
    }
    overall = write_results(out_dir, run, records)["overall"]
    logger.info(
        "%s: sessions %d/%d (%.1f%%), turns %d/%d (%.1f%%), false success claims %d; wrote %s",
        run["label"],
        overall["session_success"],
        overall["sessions"],
        overall["session_success_rate"],
        overall["turn_success"],
        overall["turns"],
        overall["turn_success_rate"],
        overall["false_claims"],
        out_dir / RESULTS_MD,
    )
    return overall


if __name__ == "__main__":
    run_cli(main)
