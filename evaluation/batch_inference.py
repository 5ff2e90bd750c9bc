"""Batch inference over an annotation file: sharding, resuming and the generation backends.

``run_inference`` reads the records, keeps this process's shard, skips ids already written in the output
directory, generates the rest in length-sorted batches and appends each prediction as soon as its batch
is done (see :class:`evaluation.predictions.PredictionWriter`).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from evaluation.predictions import PredictionWriter, read_written_ids
from protocol.records import Record, RecordError, read_records

logger = logging.getLogger(__name__)


class Backend(Protocol):
    """Turns records (instruction + scratchpad) into completions."""

    def complete(self, records: Sequence[Record], max_new_tokens: int) -> list[str]: ...


@dataclass(frozen=True)
class Shard:
    """This process's share: chunk ``index`` of ``count`` (contiguous, sizes differ by at most one)."""

    index: int = 0
    count: int = 1

    def __post_init__(self) -> None:
        if self.count < 1 or not 0 <= self.index < self.count:
            raise ValueError(f"chunk index {self.index} is not in [0, {self.count}); check --num_chunks/--chunk_idx")

    def select(self, items: Sequence[Any]) -> list[Any]:
        start = self.index * len(items) // self.count
        stop = (self.index + 1) * len(items) // self.count
        return list(items[start:stop])


def current_shard(num_chunks: int = 1, chunk_idx: int = 0) -> Shard:
    """The shard of this process: ``--num_chunks/--chunk_idx``, subdivided among torchrun ranks."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    Shard(chunk_idx, num_chunks)  # validates the CLI values on their own
    return Shard(chunk_idx * world + rank, num_chunks * world)


def output_file(save_path: str | Path, save_name: str, shard: Shard) -> Path:
    """``save_path/save_name/save_name.jsonl``, or ``save_name_<i>.jsonl`` when sharded."""
    suffix = f"_{shard.index}" if shard.count > 1 else ""
    return Path(save_path) / save_name / f"{save_name}{suffix}.jsonl"


class HFBackend:
    """Local transformers model through :class:`generation.generator.HFGenerator`."""

    def __init__(self, generator: Any) -> None:
        self.generator = generator

    def complete(self, records: Sequence[Record], max_new_tokens: int) -> list[str]:
        template, tokenizer = self.generator.template, self.generator.tokenizer
        prompts = [template.wrap(r.instruction, r.input, tokenizer) for r in records]
        return self.generator.generate(prompts, max_new_tokens=max_new_tokens)


def _prompt_length(record: Record) -> int:
    return len(record.instruction) + len(record.input)


def read_annotations(ann_path: str | Path) -> list[Record]:
    """The records of an annotation file, each with the ``id`` its prediction is keyed by."""
    records = read_records(ann_path)
    for index, record in enumerate(records):
        if record.id is None:
            raise RecordError(ann_path, "inference needs an 'id' on every record (val/test files carry one)", index)
    return records


def run_inference(
    backend: Backend,
    records: Sequence[Record],
    out_file: str | Path,
    *,
    shard: Shard = Shard(),
    batch_size: int = 8,
    max_new_tokens: int = 128,
    done_dir: str | Path | None = None,
) -> int:
    """Predict every record (each with an ``id``: :func:`read_annotations`) of this shard not yet written under
    ``done_dir``; returns how many were written."""
    from tqdm import tqdm

    mine = shard.select(records)
    done = read_written_ids(done_dir if done_dir is not None else Path(out_file).parent)
    todo = sorted((r for r in mine if r.id not in done), key=_prompt_length)
    logger.info(
        "shard %d/%d: %d records, %d already written, %d to do",
        shard.index,
        shard.count,
        len(mine),
        len(mine) - len(todo),
        len(todo),
    )
    written = 0
    with PredictionWriter(out_file) as writer, tqdm(total=len(todo), desc="inference", unit="sample") as bar:
        for start in range(0, len(todo), batch_size):
            batch = todo[start : start + batch_size]
            for record, output in zip(batch, backend.complete(batch, max_new_tokens), strict=True):
                writer.write(str(record.id), output)
                written += 1
            bar.update(len(batch))
    return written
