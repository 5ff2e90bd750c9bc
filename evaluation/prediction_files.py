"""Prediction files: the append-only JSONL ``inference.py`` writes, and the original GPT4Tools' JSON lists.

Our shape: JSONL lines ``{"id", "output"}`` where ``output`` is the completion only, one file per shard
(``NAME.jsonl`` or ``NAME_<i>.jsonl``). Each line is written whole, flushed and fsynced; a line cut short by
a kill is dropped before the next append (a complete object that only lacks its newline is kept), so a file
is never corrupted in the middle and an id counts as done exactly when its line is whole.

The original's shape: a JSON list in ``NAME_<i>.json`` whose ``output`` is the prompt followed by the
completion (sometimes a one-element list), ids as the annotation file spells them. ``inference.py
--original_format`` writes it too, so GPT4Tools' own ``evaluate_result.py`` reads this project's predictions.
Its scorer strips the prompt by length (``output[len(instruction):]``); :func:`read_predictions` keeps that
cut for the exact columns and finds the prompt by search for the tolerant ones.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evaluation.scoring import Prediction
from protocol.errors import InputError
from protocol.records import (
    Record,
    RecordError,
    atomic_write_text,
    iter_jsonl,
    json_list,
    read_text,
    repeated_ids,
)

logger = logging.getLogger(__name__)

_CHUNK_FILE = re.compile(r"^(?P<name>.+)_(?P<index>\d+)$")


class PredictionError(FileNotFoundError, InputError):
    """No prediction file where one was expected; the message says what to pass."""


class PredictionWriter:
    """Appends ``{"id", "output"}`` lines to a JSONL file, each durable before the next is written."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._repair_tail()
        self._handle = self.path.open("a", encoding="utf-8")

    def _repair_tail(self) -> None:
        """A last line without its newline: kept (newline added) when it is a whole object, else dropped."""
        if not self.path.is_file():
            return
        data = self.path.read_bytes()
        if not data or data.endswith(b"\n"):
            return
        keep = data.rfind(b"\n") + 1
        try:
            whole = isinstance(json.loads(data[keep:]), dict)
        except (json.JSONDecodeError, UnicodeDecodeError):
            whole = False
        if whole:
            with self.path.open("ab") as handle:
                handle.write(b"\n")
            return
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


def _is_gathered_copy(path: Path, names: set[str]) -> bool:
    """The original scorer's ``NAME/NAME.json``, the union of the ``NAME_<i>.json`` chunks beside it."""
    return path.stem == path.parent.name and any(
        (m := _CHUNK_FILE.match(n)) and m.group("name") == path.stem for n in names
    )


def prediction_files(pred_path: str | Path) -> list[Path]:
    """A prediction file, or the prediction files of a directory: its ``*.jsonl`` files (this project's), else
    its ``*.json`` files (the original's; its gathered ``NAME.json`` and our ``metrics*.json`` left out)."""
    path = Path(pred_path)
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise PredictionError(
            f"no predictions at {path}: pass the prediction file or the directory inference.py wrote "
            "(--save_path/--save_name, default output/eval_result/NAME)"
        )
    jsonl = sorted(p for p in path.glob("*.jsonl") if p.is_file())
    if jsonl:
        return jsonl
    candidates = sorted(p for p in path.glob("*.json") if p.is_file() and not p.name.startswith("metrics"))
    stems = {p.stem for p in candidates}
    files = [p for p in candidates if not _is_gathered_copy(p, stems)]
    if not files:
        raise PredictionError(
            f"{path} holds no prediction files (inference.py's *.jsonl or the original's NAME_<i>.json); "
            "run inference.py first or pass the right --pred_path / --save_name"
        )
    return files


def _items(path: Path) -> Iterable[tuple[int, Any]]:
    text = read_text(path)
    if text.lstrip().startswith("["):
        return enumerate(json_list(path, text, "{id, output} objects"))
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
    return set(read_written(directory))


def read_written(directory: str | Path) -> dict[str, str]:
    """``{id: completion}`` of every JSONL file of ``directory`` (a torn last line left out)."""
    directory = Path(directory)
    written: dict[str, str] = {}
    if not directory.is_dir():
        return written
    for path in sorted(directory.glob("*.jsonl")):
        for index, item in _items(path):
            record_id, output = _output_text(item, path, index)
            written[record_id] = output
    return written


def completion_of(output: str, record: Record) -> str:
    """The completion inside an output that may start with the prompt, found by search (tolerant)."""
    start = output.find(record.instruction)
    if start < 0:
        return output
    rest = output[start + len(record.instruction) :]
    if record.input and rest.lstrip().startswith(record.input.strip()):
        rest = rest.lstrip()[len(record.input.strip()) :]
    return rest


def write_original_predictions(path: str | Path, records: Sequence[Record], completions: Mapping[str, str]) -> int:
    """Write the predictions of ``records`` found in ``completions`` as the original's inference does: a JSON
    list of ``{"output": instruction (earlier steps included) + completion, "id": the annotation's id}``."""
    items = [
        {"output": record.original_instruction + completions[str(record.id)], "id": record.id_as_read}
        for record in records
        if str(record.id) in completions
    ]
    atomic_write_text(path, json.dumps(items, ensure_ascii=False) + "\n")
    return len(items)


@dataclass
class PredictionSet:
    """What a prediction file or directory holds, matched against the annotation records."""

    predictions: dict[str, Prediction] = field(default_factory=dict)
    unknown: list[str] = field(default_factory=list)  # ids not in the annotations (skipped, as the original)
    repeated: dict[str, list[str]] = field(default_factory=dict)  # id -> where it occurs (the last one counts)
    files: list[Path] = field(default_factory=list)


def read_predictions(pred_path: str | Path, records: Sequence[Record]) -> PredictionSet:
    """The predictions of a file or directory, either shape, keyed by annotation id."""
    by_id: Mapping[str, Record] = {str(r.id): r for r in records}
    found = PredictionSet(files=prediction_files(pred_path))
    seen: list[str] = []
    places: list[str] = []
    prompt_missing = 0
    for path in found.files:
        with_prompt = path.suffix != ".jsonl"
        for index, item in _items(path):
            record_id, output = _output_text(item, path, index)
            seen.append(record_id)
            places.append(f"{path.name}:{index}")
            record = by_id.get(record_id)
            if record is None:
                found.unknown.append(record_id)
                continue
            if with_prompt:
                prompt_missing += record.instruction not in output
                exact = output[len(record.original_instruction) :]
                found.predictions[record_id] = Prediction(exact, completion_of(output, record))
            else:
                found.predictions[record_id] = Prediction(output, output)
    repeats = repeated_ids(seen)
    found.repeated = {key: [places[i] for i in where] for key, where in repeats.items()}
    if found.repeated:
        shown = {key: where for key, where in list(found.repeated.items())[:5]}
        logger.warning(
            "%d prediction id(s) occur more than once (the last one is scored, as the original's gathering does): %s",
            len(found.repeated),
            "; ".join(f"{key!r} at {', '.join(where)}" for key, where in shown.items()),
        )
    if found.unknown:
        logger.warning(
            "%d prediction(s) have ids not in the annotations (skipped): %s", len(found.unknown), found.unknown[:10]
        )
    if prompt_missing:
        logger.warning(
            "%d output(s) in the JSON prediction files do not contain their prompt; the exact columns cut "
            "len(instruction) characters off each output as the original's scorer does, the *_tolerant ones "
            "do not",
            prompt_missing,
        )
    return found
