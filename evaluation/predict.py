"""Predicting every record of an annotation file (what ``inference.py`` runs): shards, resume, backends.

``run_inference`` keeps this process's shard of the records, skips ids already written in the output
directory, generates the rest in length-sorted batches and appends each prediction as soon as its batch
is done (see :class:`evaluation.prediction_files.PredictionWriter`). Two backends turn records into
completions: :class:`LocalModelBackend` (a transformers model through ``HFGenerator``) and
:class:`OpenAIChatBackend` (an OpenAI-compatible endpoint).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from evaluation.prediction_files import PredictionWriter, read_written, write_original_predictions
from generation.openai import OpenAIChat
from protocol.errors import InputError
from protocol.records import Record
from protocol.steps import OBSERVATION, ToolCall, parse_reply

logger = logging.getLogger(__name__)


class Backend(Protocol):
    """Turns records (instruction + scratchpad) into completions."""

    def complete(self, records: Sequence[Record], max_new_tokens: int) -> list[str]: ...


class ShardError(ValueError, InputError):
    """``--num_chunks`` / ``--chunk_idx`` do not name a chunk."""


@dataclass(frozen=True)
class Shard:
    """This process's share: chunk ``index`` of ``count`` (contiguous, sizes differ by at most one)."""

    index: int = 0
    count: int = 1

    def __post_init__(self) -> None:
        if self.count < 1 or not 0 <= self.index < self.count:
            raise ShardError(
                f"chunk index {self.index} is not in [0, {self.count}); check --num_chunks/--chunk_idx "
                f"(--chunk_idx goes from 0 to --num_chunks - 1)"
            )

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


def original_output_file(save_path: str | Path, save_name: str, shard: Shard) -> Path:
    """Where the original's inference writes a chunk: ``save_path/save_name/save_name_<i>.json`` (``_0`` when
    unsharded), the files its ``evaluate_result.py`` gathers."""
    return Path(save_path) / save_name / f"{save_name}_{shard.index}.json"


class LocalModelBackend:
    """A local transformers model through :class:`generation.generator.HFGenerator` (greedy, batched)."""

    def __init__(self, generator: Any) -> None:
        self.generator = generator

    def complete(self, records: Sequence[Record], max_new_tokens: int) -> list[str]:
        template, tokenizer = self.generator.template, self.generator.tokenizer
        prompts = [template.wrap(r.instruction, r.input, tokenizer) for r in records]
        return self.generator.generate(prompts, max_new_tokens=max_new_tokens)


class OpenAIChatBackend:
    """Greedy (temperature 0) chat completions, one request per record; the instruction and scratchpad go as one
    user message and generation stops at ``Observation:``. APIs drop the stop sequence from the reply, so it is
    put back after a tool call, giving the same completion shape as the local backend."""

    def __init__(self, chat: OpenAIChat) -> None:
        self.chat = chat

    def complete_one(self, record: Record, max_new_tokens: int) -> str:
        reply = self.chat.chat(record.original_instruction, max_tokens=max_new_tokens, stop=[OBSERVATION])
        text = reply.text
        if reply.finish_reason == "stop" and isinstance(parse_reply(text), ToolCall):
            text = text.rstrip() + "\n" + OBSERVATION
        return text

    def complete(self, records: Sequence[Record], max_new_tokens: int) -> list[str]:
        return [self.complete_one(record, max_new_tokens) for record in records]


def _prompt_length(record: Record) -> int:
    return len(record.instruction) + len(record.input)


def run_inference(
    backend: Backend,
    records: Sequence[Record],
    out_file: str | Path,
    *,
    shard: Shard = Shard(),
    batch_size: int = 8,
    max_new_tokens: int = 128,
    done_dir: str | Path | None = None,
    original_file: str | Path | None = None,
) -> int:
    """Predict every record (each with its own ``id``: :func:`protocol.records.read_annotations`) of this shard
    not yet written under ``done_dir``; returns how many were written. With ``original_file`` the shard's
    predictions are also written there in the original's shape once all are done."""
    from tqdm import tqdm

    mine = shard.select(records)
    done_dir = Path(done_dir if done_dir is not None else Path(out_file).parent)
    done = set(read_written(done_dir))
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
    if original_file is not None:
        count = write_original_predictions(original_file, mine, read_written(done_dir))
        logger.info("wrote %d prediction(s) in the original's shape (prompt included) to %s", count, original_file)
    return written
