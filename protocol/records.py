"""GPT4Tools records (``instruction``, ``input``, ``output``, optional ``id``) in JSON and JSONL."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from protocol.errors import InputError

REQUIRED_FIELDS = ("instruction", "input", "output")


class RecordError(ValueError, InputError):
    """A data file or one of its records is malformed; the message names the file and record index."""

    def __init__(self, path: str | Path, message: str, index: int | None = None) -> None:
        where = f"{path}" if index is None else f"{path}: record {index}"
        super().__init__(f"{where}: {message}")
        self.path = str(path)
        self.index = index


@dataclass(frozen=True)
class Record:
    """One training / evaluation sample in the GPT4Tools format.

    ``instruction`` is the rendered agent prompt, ``input`` the scratchpad of earlier steps the reply
    continues (empty for a first step), ``output`` the gold reply.
    """

    instruction: str
    input: str
    output: str
    id: str | None = None

    def to_dict(self) -> dict[str, str]:
        data = {"instruction": self.instruction, "input": self.input, "output": self.output}
        if self.id is not None:
            data["id"] = self.id
        return data


def record_from_dict(data: Any, path: str | Path = "<memory>", index: int | None = None) -> Record:
    """Validate one decoded record; ``id`` may be an int or a string in the file and becomes a string."""
    if not isinstance(data, dict):
        raise RecordError(path, f"expected an object, got {type(data).__name__}", index)
    missing = [name for name in REQUIRED_FIELDS if name not in data]
    if missing:
        raise RecordError(path, f"missing field(s) {missing}; a record needs {list(REQUIRED_FIELDS)}", index)
    for name in REQUIRED_FIELDS:
        if not isinstance(data[name], str):
            raise RecordError(path, f"field {name!r} must be a string, got {type(data[name]).__name__}", index)
    record_id = data.get("id")
    if isinstance(record_id, bool) or (record_id is not None and not isinstance(record_id, str | int)):
        raise RecordError(path, f"field 'id' must be a string or an integer, got {record_id!r}", index)
    return Record(data["instruction"], data["input"], data["output"], None if record_id is None else str(record_id))


def _decode(path: Path) -> list[Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RecordError(path, "file not found") from None
    except UnicodeDecodeError as exc:
        raise RecordError(path, f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    stripped = text.lstrip()
    if not stripped:
        raise RecordError(path, "file is empty")
    if stripped.startswith("["):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise RecordError(path, f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from None
        if not isinstance(data, list):
            raise RecordError(path, "a JSON data file must hold a list of records")
        return data
    items = []
    for line_number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            items.append(json.loads(line))
        except json.JSONDecodeError as exc:
            raise RecordError(path, f"invalid JSON on line {line_number} (record {len(items)}): {exc.msg}") from None
    return items


def read_records(path: str | Path) -> list[Record]:
    """Read a JSON list or a JSONL file of records, validating every one."""
    path = Path(path)
    return [record_from_dict(item, path, index) for index, item in enumerate(_decode(path))]


def iter_jsonl(path: str | Path) -> Iterator[dict[str, Any]]:
    """Yield the objects of a JSONL file, skipping a torn last line (an interrupted append)."""
    path = Path(path)
    lines = path.read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            if number == len(lines):
                continue
            raise RecordError(path, f"invalid JSON on line {number}: {exc.msg}") from None
        if not isinstance(item, dict):
            raise RecordError(path, f"line {number} must hold a JSON object")
        yield item


def atomic_write_text(path: str | Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and a rename, so readers never see half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_records(path: str | Path, records: Iterable[Record]) -> None:
    """Write records atomically: a JSON list for ``*.json``, one object per line for ``*.jsonl``."""
    path = Path(path)
    items = [record.to_dict() for record in records]
    if path.suffix == ".jsonl":
        text = "".join(json.dumps(item, ensure_ascii=False) + "\n" for item in items)
    else:
        text = json.dumps(items, ensure_ascii=False, indent=1) + "\n"
    atomic_write_text(path, text)
