"""The records a pipeline run scores: an evenly spaced subset of a split, the same for every run.

``python -m data_gen.eval_subset SPLIT.json OUT.json N [--failures_only]`` writes at most ``N`` records of
``SPLIT.json`` to ``OUT.json``; ``--failures_only`` keeps the failure samples alone (answers right after a
failed call, :func:`data_gen.failure_samples.ends_in_failure`) and writes nothing when there are none.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

from data_gen.failure_samples import ends_in_failure
from protocol.cli import run_cli
from protocol.records import Record, read_records, write_records

logger = logging.getLogger(__name__)


def evenly_spaced(records: Sequence[Record], count: int) -> list[Record]:
    """At most ``count`` records, spread evenly over ``records`` (in their order)."""
    if count < 1:
        raise ValueError(f"count must be at least 1, got {count}")
    return list(records[:: max(1, len(records) // count)][:count])


def main(split_path: str, out_path: str, count: int, failures_only: bool = False) -> int:
    """Write the subset; returns how many records it holds."""
    records = read_records(split_path)
    if failures_only:
        records = [record for record in records if ends_in_failure(record)]
        if not records:
            logger.warning("%s holds no failure samples; nothing written", split_path)
            Path(out_path).unlink(missing_ok=True)
            return 0
    subset = evenly_spaced(records, count)
    write_records(out_path, subset)
    logger.info("wrote %d of %d records to %s", len(subset), len(records), out_path)
    return len(subset)


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    run_cli(main)
