"""The records a pipeline run scores: an evenly spaced subset of a split, the same for every run.

``python -m data_gen.eval_subset SPLIT.json OUT.json N [--kind react|plans] [--failures_only]`` writes at most
``N`` records of ``SPLIT.json`` to ``OUT.json``: the ReAct records (``--kind react``, the default) or the plan
records (``--kind plans``), which are scored apart and with a larger generation budget. ``--failures_only``
keeps the failure samples alone (answers right after a failed call,
:func:`data_gen.failure_samples.ends_in_failure`). Nothing is written when no record qualifies.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

from data_gen.failure_samples import ends_in_failure
from protocol.cli import run_cli
from protocol.errors import InputError
from protocol.plan_prompt import is_plan_prompt
from protocol.records import Record, read_records, write_records

logger = logging.getLogger(__name__)


def evenly_spaced(records: Sequence[Record], count: int) -> list[Record]:
    """At most ``count`` records, spread evenly over ``records`` (in their order)."""
    if count < 1:
        raise ValueError(f"count must be at least 1, got {count}")
    return list(records[:: max(1, len(records) // count)][:count])


KINDS = ("react", "plans")


def main(split_path: str, out_path: str, count: int, kind: str = "react", failures_only: bool = False) -> int:
    """Write the subset; returns how many records it holds."""
    if kind not in KINDS:
        raise InputError(f"--kind {kind!r}: choose one of {', '.join(KINDS)}")
    records = [record for record in read_records(split_path) if is_plan_prompt(record.instruction) == (kind == "plans")]
    if failures_only:
        records = [record for record in records if ends_in_failure(record)]
    if not records:
        logger.warning("%s holds no %s records; nothing written", split_path, "failure" if failures_only else kind)
        Path(out_path).unlink(missing_ok=True)
        return 0
    subset = evenly_spaced(records, count)
    write_records(out_path, subset)
    logger.info("wrote %d of %d records to %s", len(subset), len(records), out_path)
    return len(subset)


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    run_cli(main)
