"""Tokenized training data kept across runs, so a rerun on the same data does not tokenize it again.

An entry is keyed by everything the token ids depend on: the data's bytes, the tokenizer (its saved files), the
prompt template, ``cutoff_len``, ``train_on_inputs``, the versions of transformers and tokenizers, and
:data:`CACHE_FORMAT`; a change to any of them is another key. Entries live under the project cache directory
(``modeling.loading.cache_dir()/tokenized``), are written through a temporary file and a rename (a reader never
sees half an entry), and one that cannot be read back whole is rebuilt with a warning. The newest
:data:`KEPT_ENTRIES` are kept.
"""

from __future__ import annotations

import hashlib
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

# Bumped whenever tokenize_records or the entry layout changes, so older entries are not read.
CACHE_FORMAT = 1
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


def cache_key(data: str, tokenizer: str, template: PromptTemplate, cutoff_len: int, train_on_inputs: bool) -> str:
    """The entry name for data and tokenizer digests and the options that shape the token ids."""
    import tokenizers
    import transformers

    parts = {
        "format": CACHE_FORMAT,
        "data": data,
        "tokenizer": tokenizer,
        "template": asdict(template),
        "cutoff_len": cutoff_len,
        "train_on_inputs": train_on_inputs,
        "libraries": [transformers.__version__, tokenizers.__version__],
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:40]


def write_entry(path: Path, key: str, examples: Sequence[Example], truncated: int, plan_records: int = 0) -> None:
    """Store ``examples`` at ``path`` atomically: flat token ids (uint16 when every id fits), offsets, masks."""
    ids = np.fromiter((token for example in examples for token in example.input_ids), dtype=np.int64)
    small = ids.size == 0 or int(ids.max()) <= np.iinfo(np.uint16).max
    offsets = np.zeros(len(examples) + 1, dtype=np.int64)
    np.cumsum([len(example) for example in examples], out=offsets[1:])
    arrays = {
        "key": np.array(key),
        "ids": ids.astype(np.uint16 if small else np.int32),
        "offsets": offsets,
        "masked": np.array([example.masked for example in examples], dtype=np.int64),
        "truncated": np.array(truncated),
        "plan_records": np.array(plan_records),
    }
    with atomic_writer(path) as handle:
        np.savez(handle, **arrays)


def read_entry(path: Path, key: str) -> tuple[list[Example], int, int] | None:
    """``(examples, truncated, plan_records)`` stored at ``path``; ``None`` when there is no entry or it is damaged (removed,
    with a warning; zip's CRC check catches changed bytes)."""
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as stored:
            if str(stored["key"]) != key:
                raise ValueError("it belongs to another key")
            ids, offsets, masked = stored["ids"].tolist(), stored["offsets"], stored["masked"]
            truncated, plan_records = int(stored["truncated"]), int(stored["plan_records"])
        if (
            offsets[0] != 0
            or offsets[-1] != len(ids)
            or len(masked) != len(offsets) - 1
            or np.any(np.diff(offsets) < 0)
        ):
            raise ValueError("its offsets do not match its token ids")
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as error:
        logger.warning("tokenized data cache entry %s is damaged (%s); tokenizing again", path, error)
        path.unlink(missing_ok=True)
        return None
    bounds = offsets.tolist()
    examples = [
        Example(tuple(ids[start:end]), mask)
        for start, end, mask in zip(bounds[:-1], bounds[1:], masked.tolist(), strict=True)
    ]
    return examples, truncated, plan_records


def prune_entries(keep: int = KEPT_ENTRIES) -> None:
    """Remove all but the ``keep`` most recently used entries."""
    entries = sorted(entries_dir().glob("*.npz"), key=lambda entry: entry.stat().st_mtime, reverse=True)
    for entry in entries[keep:]:
        entry.unlink(missing_ok=True)


class TokenizedData(NamedTuple):
    """The tokenized records of a data source, and how many of them are plan records (planner prompts)."""

    examples: list[Example]
    plan_records: int


def load_examples(
    data_path: str, template: PromptTemplate, tokenizer: Any, cutoff_len: int, train_on_inputs: bool = False
) -> TokenizedData:
    """The tokenized records of ``data_path`` (any source :func:`~training.sources.locate_source` accepts), from
    the cache when an entry for the same data, tokenizer and options exists, else tokenized and stored."""
    source = locate_source(data_path)
    started = time.perf_counter()
    key = cache_key(data_digest(source), tokenizer_digest(tokenizer), template, cutoff_len, train_on_inputs)
    path = entries_dir() / f"{key}.npz"
    cached = read_entry(path, key)
    if cached is not None:
        examples, truncated, plan_records = cached
        os.utime(path)
        logger.info(
            "%d tokenized records of %s from the cache (%s) in %.1f s",
            len(examples), data_path, path, time.perf_counter() - started,
        )  # fmt: skip
    else:
        records = source.read_records()
        examples, truncated = tokenize_records(records, template, tokenizer, cutoff_len, train_on_inputs)
        plan_records = sum(is_plan_prompt(record.instruction) for record in records)
        write_entry(path, key, examples, truncated, plan_records)
        prune_entries()
        logger.info(
            "tokenized %d records of %s in %.1f s; kept for the next run in %s",
            len(examples), data_path, time.perf_counter() - started, path,
        )  # fmt: skip
    if truncated:
        logger.warning("%d record(s) were truncated to cutoff_len=%d tokens", truncated, cutoff_len)
    return TokenizedData(examples, plan_records)
