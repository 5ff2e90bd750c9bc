"""Prediction files: append-only JSONL written by ``inference.py`` and the original GPT4Tools' JSON lists.

Our shape: JSONL lines ``{"id", "output"}`` where ``output`` is the completion only, one file per shard
(``NAME.jsonl`` or ``NAME_<i>.jsonl``). Each line is written whole, flushed and fsynced; a torn last line
left by a kill is cut off before the next append, so a file is never corrupted in the middle.

The original's shape: JSON lists in ``NAME_<i>.json`` whose ``output`` is the prompt followed by the
completion (sometimes a one-element list); the instruction is located in the text and stripped.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from protocol.records import Record, RecordError, iter_jsonl

logger = logging.getLogger(__name__)


class PredictionWriter:
    """Appends ``{"id", "output"}`` lines to a JSONL file, each durable before the next is written."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._drop_torn_tail()
        self._handle = self.path.open("a", encoding="utf-8")

    def _drop_torn_tail(self) -> None:
        if not self.path.is_file():
            return
        data = self.path.read_bytes()
        if data and not data.endswith(b"\n"):
            keep = data.rfind(b"\n") + 1
            logger.warning(
                "%s: dropping a torn last line (%d bytes) left by an interrupted run", self.path, len(data) - keep
            )
            with self.path.open("r+b") as handle:
                handle.truncate(keep)

    def write(self, record_id: str, output: str) -> None:
        self._handle.write(json.dumps({"id": record_id, "output": output}, ensure_ascii=False) + "\n")
        self._handle.flush()
        os.fsync(self._handle.fileno())

    def close(self) -> None:
        self._handle.close()

    def __enter__(self) -> PredictionWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def prediction_files(pred_path: str | Path) -> list[Path]:
    """A prediction file, or every ``*.jsonl`` / ``*.json`` file in a prediction directory."""
    path = Path(pred_path)
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise FileNotFoundError(f"no predictions at {path}: pass a prediction file or the save_path/save_name dir")
    files = sorted(p for p in path.iterdir() if p.suffix in (".jsonl", ".json") and p.is_file())
    files = [p for p in files if not p.name.startswith("metrics")]
    if not files:
        raise FileNotFoundError(f"{path} holds no *.jsonl or *.json prediction files")
    return files


def _items(path: Path) -> Iterable[tuple[int, Any]]:
    text = path.read_text(encoding="utf-8")
    if text.lstrip().startswith("["):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise RecordError(path, f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from None
        if not isinstance(data, list):
            raise RecordError(path, "a JSON prediction file must hold a list of {id, output} objects")
        return enumerate(data)
    return enumerate(iter_jsonl(path))


def _output_text(item: Any, path: Path, index: int) -> tuple[str, str]:
    if not isinstance(item, dict):
        raise RecordError(path, f"expected an object with 'id' and 'output', got {type(item).__name__}", index)
    if "id" not in item or "output" not in item:
        raise RecordError(path, f"a prediction needs 'id' and 'output'; found keys {sorted(item)}", index)
    output = item["output"]
    if isinstance(output, list) and output and isinstance(output[0], str):
        output = output[0]
    if not isinstance(output, str):
        raise RecordError(path, f"'output' must be a string (or a list of strings), got {type(output).__name__}", index)
    return str(item["id"]), output


def read_written_ids(directory: str | Path) -> set[str]:
    """Ids already predicted in any JSONL file of ``directory`` (what a rerun skips)."""
    directory = Path(directory)
    if not directory.is_dir():
        return set()
    ids: set[str] = set()
    for path in sorted(directory.glob("*.jsonl")):
        for index, item in _items(path):
            ids.add(_output_text(item, path, index)[0])
    return ids


def completion_of(output: str, record: Record) -> str:
    """The completion inside an output that may start with the prompt (the original's shape)."""
    start = output.find(record.instruction)
    if start < 0:
        return output
    rest = output[start + len(record.instruction) :]
    if record.input and rest.lstrip().startswith(record.input.strip()):
        rest = rest.lstrip()[len(record.input.strip()) :]
    return rest


def read_predictions(pred_path: str | Path, records: Sequence[Record]) -> tuple[dict[str, str], list[str]]:
    """``({id: completion}, unknown_ids)`` from a prediction file or directory, either shape."""
    by_id: Mapping[str, Record] = {str(r.id): r for r in records}
    predictions: dict[str, str] = {}
    unknown: list[str] = []
    for path in prediction_files(pred_path):
        for index, item in _items(path):
            record_id, output = _output_text(item, path, index)
            if record_id not in by_id:
                unknown.append(record_id)
                continue
            predictions[record_id] = completion_of(output, by_id[record_id])
    if unknown:
        logger.warning("%d prediction(s) have ids not in the annotations (ignored): %s", len(unknown), unknown[:10])
    return predictions, unknown
