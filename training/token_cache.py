"""Tokenized training data kept across runs, so a rerun on the same data does not tokenize it again.

An entry is keyed by everything the examples depend on: the data's bytes, the tokenizer (its saved files), the
prompt template, ``cutoff_len``, ``train_on_inputs``, ``merge_trajectories``, the versions of transformers and
tokenizers, and :data:`CACHE_FORMAT`; a change to any of them is another key. Entries live under the project cache directory
(``modeling.loading.cache_dir()/tokenized``), are written through a temporary file and a rename (a reader never
sees half an entry), and one that cannot be read back whole is rebuilt with a warning. The newest
:data:`KEPT_ENTRIES` are kept.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import logging
import os
import tempfile
import time
import zipfile
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from modeling.loading import cache_dir
from protocol.plan_prompt import is_plan_prompt
from protocol.prompt import PromptTemplate
from protocol.records import atomic_writer
from training.data import Example, tokenize_records
from training.sources import DataSource, locate_source

logger = logging.getLogger(__name__)

# Bumped whenever tokenize_records or the entry layout changes, so older entries are not read. 2: loss spans and
# relabeled positions (merged trajectories) instead of one masked-prefix length per example.
CACHE_FORMAT = 2
KEPT_ENTRIES = 8
_CHUNK = 1 << 20


def entries_dir() -> Path:
    return cache_dir() / "tokenized"


def _hash_file(digest: Any, path: Path) -> None:
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)


def data_digest(source: DataSource) -> str:
    """sha256 of the data's files: their names within the data and their bytes."""
    digest = hashlib.sha256()
    for name, path in sorted(source.content_files().items()):
        digest.update(f"{name}\0{path.stat().st_size}\0".encode())
        _hash_file(digest, path)
    return digest.hexdigest()


def tokenizer_digest(tokenizer: Any) -> str:
    """sha256 of the files ``tokenizer.save_pretrained`` writes (vocabulary, merges, special tokens, chat template)."""
    digest = hashlib.sha256(type(tokenizer).__name__.encode())
    with tempfile.TemporaryDirectory(prefix="gpt4tools-tokenizer-") as folder:
        tokenizer.save_pretrained(folder)
        for path in sorted(Path(folder).rglob("*")):
            if path.is_file():
                digest.update(f"\0{path.relative_to(folder)}\0".encode())
                _hash_file(digest, path)
    return digest.hexdigest()


def cache_key(
    data: str,
    tokenizer: str,
    template: PromptTemplate,
    cutoff_len: int,
    *,
    train_on_inputs: bool,
    merge_trajectories: bool,
) -> str:
    """The entry name for data and tokenizer digests and the options that shape the examples."""
    import tokenizers
    import transformers

    parts = {
        "format": CACHE_FORMAT,
        "data": data,
        "tokenizer": tokenizer,
        "template": asdict(template),
        "cutoff_len": cutoff_len,
        "train_on_inputs": train_on_inputs,
        "merge_trajectories": merge_trajectories,
        "libraries": [transformers.__version__, tokenizers.__version__],
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:40]


class TokenizedData(NamedTuple):
    """The examples of a data source; how many records they hold (more than examples with merged trajectories),
    how many of those are plan records (planner prompts) and how many were truncated to ``cutoff_len``."""

    examples: list[Example]
    records: int
    plan_records: int
    truncated: int


def _offsets(lengths: Sequence[int]) -> np.ndarray:
    """``[0, l0, l0 + l1, ...]``: where each example's run of a flat array starts and ends."""
    offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    return offsets


def _pairs(runs: Sequence[tuple[tuple[int, int], ...]]) -> np.ndarray:
    """Every example's pairs (spans or relabeled positions) in one ``(n, 2)`` array."""
    return np.array([pair for run in runs for pair in run], dtype=np.int64).reshape(-1, 2)


def write_entry(path: Path, key: str, data: TokenizedData) -> None:
    """Store ``data`` at ``path`` atomically: flat token ids (uint16 when every id fits), loss spans and relabeled
    positions, each with per-example offsets, and the counts."""
    examples = data.examples
    ids = np.fromiter((token for example in examples for token in example.input_ids), dtype=np.int64)
    small = ids.size == 0 or int(ids.max()) <= np.iinfo(np.uint16).max
    arrays = {
        "key": np.array(key),
        "ids": ids.astype(np.uint16 if small else np.int32),
        "offsets": _offsets([len(example) for example in examples]),
        "spans": _pairs([example.spans for example in examples]),
        "span_offsets": _offsets([len(example.spans) for example in examples]),
        "relabeled": _pairs([example.relabeled for example in examples]),
        "relabeled_offsets": _offsets([len(example.relabeled) for example in examples]),
        "records": np.array(data.records),
        "plan_records": np.array(data.plan_records),
        "truncated": np.array(data.truncated),
    }
    with atomic_writer(path) as handle:
        np.savez(handle, **arrays)


def _runs(pairs: np.ndarray, offsets: np.ndarray, count: int, what: str) -> list[tuple[tuple[int, int], ...]]:
    """Per example, its pairs out of the flat ``(n, 2)`` array; ``ValueError`` when the offsets do not fit it."""
    if (
        pairs.ndim != 2
        or pairs.shape[1] != 2
        or len(offsets) != count + 1
        or offsets[0] != 0
        or offsets[-1] != len(pairs)
        or np.any(np.diff(offsets) < 0)
    ):
        raise ValueError(f"its {what} do not match its examples")
    flat = [(a, b) for a, b in pairs.tolist()]
    return [tuple(flat[start:end]) for start, end in itertools.pairwise(offsets.tolist())]


def read_entry(path: Path, key: str) -> TokenizedData | None:
    """The data stored at ``path``; ``None`` when there is no entry or it is damaged or of an older layout (removed,
    with a warning; zip's CRC check catches changed bytes)."""
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as stored:
            if str(stored["key"]) != key:
                raise ValueError("it belongs to another key")
            ids, offsets = stored["ids"].tolist(), stored["offsets"]
            if offsets[0] != 0 or offsets[-1] != len(ids) or np.any(np.diff(offsets) < 0):
                raise ValueError("its offsets do not match its token ids")
            spans = _runs(stored["spans"], stored["span_offsets"], len(offsets) - 1, "loss spans")
            relabeled = _runs(stored["relabeled"], stored["relabeled_offsets"], len(offsets) - 1, "relabeled labels")
            counts = [int(stored[name]) for name in ("records", "plan_records", "truncated")]
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as error:
        logger.warning("tokenized data cache entry %s is damaged (%s); tokenizing again", path, error)
        path.unlink(missing_ok=True)
        return None
    examples = [
        Example(tuple(ids[start:end]), own_spans, own_relabeled)
        for (start, end), own_spans, own_relabeled in zip(
            itertools.pairwise(offsets.tolist()), spans, relabeled, strict=True
        )
    ]
    return TokenizedData(examples, *counts)


def prune_entries(keep: int = KEPT_ENTRIES) -> None:
    """Remove all but the ``keep`` most recently used entries."""
    entries = sorted(entries_dir().glob("*.npz"), key=lambda entry: entry.stat().st_mtime, reverse=True)
    for entry in entries[keep:]:
        entry.unlink(missing_ok=True)


def load_examples(
    data_path: str,
    template: PromptTemplate,
    tokenizer: Any,
    cutoff_len: int,
    *,
    train_on_inputs: bool = False,
    merge_trajectories: bool = False,
) -> TokenizedData:
    """The tokenized records of ``data_path`` (any source :func:`~training.sources.locate_source` accepts), from
    the cache when an entry for the same data, tokenizer and options exists, else tokenized and stored."""
    source = locate_source(data_path)
    started = time.perf_counter()
    options = {"train_on_inputs": train_on_inputs, "merge_trajectories": merge_trajectories}
    key = cache_key(data_digest(source), tokenizer_digest(tokenizer), template, cutoff_len, **options)
    path = entries_dir() / f"{key}.npz"
    data = read_entry(path, key)
    if data is not None:
        os.utime(path)
        logger.info(
            "%d tokenized records of %s from the cache (%s) in %.1f s",
            data.records, data_path, path, time.perf_counter() - started,
        )  # fmt: skip
    else:
        records = source.read_records()
        examples, truncated = tokenize_records(records, template, tokenizer, cutoff_len, **options)
        plan_records = sum(is_plan_prompt(record.instruction) for record in records)
        data = TokenizedData(examples, len(records), plan_records, truncated)
        write_entry(path, key, data)
        prune_entries()
        logger.info(
            "tokenized %d records of %s in %.1f s; kept for the next run in %s",
            data.records, data_path, time.perf_counter() - started, path,
        )  # fmt: skip
    if merge_trajectories:
        logger.info("merged trajectories: %d records in %d examples", data.records, len(data.examples))
    if data.truncated:
        logger.warning("%d record(s) were truncated to cutoff_len=%d tokens", data.truncated, cutoff_len)
    return data
