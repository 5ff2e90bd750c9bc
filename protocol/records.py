"""GPT4Tools records (``instruction``, ``input``, ``output``, optional ``id``) in JSON and JSONL, in both layouts.

Two layouts store the steps a reply continues (the scratchpad: earlier ``Thought / Action / Action Input /
Observation`` steps):

* ``split`` (this project's): ``instruction`` is the prompt, ``input`` the scratchpad.
* ``original`` (GPT4Tools' own data, e.g. ``gpt4tools_71k.json``): the scratchpad is appended to the end of
  ``instruction`` and ``input`` is always empty.

Both are read: a record whose ``input`` is empty and whose ``instruction`` ends in observed steps is split
on reading, so every :class:`Record` in memory holds its scratchpad in ``input``. Either layout is written
(:func:`write_records`); the rendered text of a step is the same in both, so the conversion is lossless.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from protocol.errors import InputError
from protocol.steps import OBSERVATION, ToolCall, parse_reply

REQUIRED_FIELDS = ("instruction", "input", "output")
SPLIT_LAYOUT = "split"
ORIGINAL_LAYOUT = "original"
LAYOUTS = (SPLIT_LAYOUT, ORIGINAL_LAYOUT)
_LINE_START_THOUGHT = re.compile(r"(?:^|(?<=\n))Thought:")


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
    continues (empty for a first step), ``output`` the gold reply. ``id`` is the record's key as a string;
    ``raw_id`` the id as the file spelled it (``7`` or ``"7"``), written back unchanged.
    """

    instruction: str
    input: str
    output: str
    id: str | None = None
    raw_id: str | int | None = field(default=None, compare=False, repr=False)

    @property
    def id_as_read(self) -> str | int | None:
        """The id as the file spelled it (``7`` stays an integer), what is written back."""
        return self.raw_id if self.raw_id is not None else self.id

    @property
    def original_instruction(self) -> str:
        """The instruction as GPT4Tools stores it: the prompt with the scratchpad appended."""
        return self.instruction + self.input

    def to_dict(self, layout: str = SPLIT_LAYOUT) -> dict[str, Any]:
        """The record as written in ``layout`` (``split`` or ``original``)."""
        if layout not in LAYOUTS:
            raise InputError(f"unknown record layout {layout!r}; use one of {', '.join(LAYOUTS)}")
        if layout == ORIGINAL_LAYOUT:
            data: dict[str, Any] = {"instruction": self.original_instruction, "input": "", "output": self.output}
        else:
            data = {"instruction": self.instruction, "input": self.input, "output": self.output}
        if self.id is not None:
            data["id"] = self.id_as_read
        return data


def _is_observed_step(chunk: str) -> bool:
    """Whether ``chunk`` is exactly one tool call followed by its observation."""
    return isinstance(parse_reply(chunk), ToolCall) and f"\n{OBSERVATION}" in chunk


def split_scratchpad(instruction: str) -> tuple[str, str]:
    """``(prompt, scratchpad)`` of an instruction in the original layout; the scratchpad is the longest run of
    observed steps (each starting on a ``Thought:`` line) that ends the text, ``""`` when there is none.

    A protocol example inside the prompt (``Thought: ... Yes`` ... ``Thought: ... No / AI: ...``) is never
    taken: its last piece is an answer, not an observed call, so the run stops before it.
    """
    cut = len(instruction)
    for match in reversed(list(_LINE_START_THOUGHT.finditer(instruction))):
        if match.start() == 0 or not _is_observed_step(instruction[match.start() : cut]):
            break
        cut = match.start()
    return instruction[:cut], instruction[cut:]


def record_from_dict(data: Any, path: str | Path = "<memory>", index: int | None = None) -> Record:
    """Validate one decoded record in either layout; ``id`` may be an int or a string and becomes a string."""
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
    instruction, scratchpad = data["instruction"], data["input"]
    if not scratchpad:
        instruction, scratchpad = split_scratchpad(instruction)
    key = None if record_id is None else str(record_id)
    return Record(instruction, scratchpad, data["output"], key, record_id)


def read_text(path: str | Path) -> str:
    """A data file's text; a missing or non-UTF-8 file is a :class:`RecordError` naming it."""
    path = Path(path)
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RecordError(path, "file not found") from None
    except IsADirectoryError:
        raise RecordError(path, "is a directory; pass a .json or .jsonl file") from None
    except UnicodeDecodeError as exc:
        raise RecordError(path, f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None


def json_list(path: str | Path, text: str, holds: str) -> list[Any]:
    """The list a JSON file's ``text`` holds; invalid JSON or another value is a :class:`RecordError` saying
    what the file must hold (``holds``)."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RecordError(path, f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from None
    if not isinstance(data, list):
        raise RecordError(path, f"a JSON file here must hold a list of {holds}")
    return data


def _decode(path: Path) -> list[Any]:
    text = read_text(path)
    stripped = text.lstrip()
    if not stripped:
        raise RecordError(path, "file is empty")
    if stripped.startswith("["):
        return json_list(path, text, "records")
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
    """Read a JSON list or a JSONL file of records (either layout), validating every one."""
    path = Path(path)
    return [record_from_dict(item, path, index) for index, item in enumerate(_decode(path))]


def repeated_ids(ids: Iterable[str | None]) -> dict[str, list[int]]:
    """``{id: [positions]}`` of every id that occurs more than once (``None`` ids ignored)."""
    positions: dict[str, list[int]] = defaultdict(list)
    for index, key in enumerate(ids):
        if key is not None:
            positions[key].append(index)
    return {key: where for key, where in positions.items() if len(where) > 1}


def describe_repeats(repeats: dict[str, list[int]], what: str = "records", limit: int = 5) -> str:
    """``'7' (records 3, 9), ...``: the first ``limit`` repeated ids with where they occur."""
    shown = [f"{key!r} ({what} {', '.join(map(str, where))})" for key, where in list(repeats.items())[:limit]]
    more = f" and {len(repeats) - limit} more" if len(repeats) > limit else ""
    return ", ".join(shown) + more


def read_annotations(path: str | Path) -> list[Record]:
    """The records of an annotation file (val / test): at least one, each with its own ``id``, the key its
    prediction is matched by (``7`` and ``"7"`` are the same id)."""
    records = read_records(path)
    if not records:
        raise RecordError(path, "holds no records; pass a val/test file with at least one record")
    for index, record in enumerate(records):
        if record.id is None:
            raise RecordError(path, "an annotation record needs an 'id' to match its prediction", index)
    repeats = repeated_ids(record.id for record in records)
    if repeats:
        raise RecordError(
            path,
            f"{len(repeats)} id(s) repeat: {describe_repeats(repeats)}; give every record its own id "
            "(an integer and the same digits as a string are one id)",
        )
    return records


def iter_jsonl(path: str | Path) -> Iterator[dict[str, Any]]:
    """Yield the objects of a JSONL file, skipping a torn last line (an interrupted append)."""
    path = Path(path)
    lines = read_text(path).splitlines()
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


@contextlib.contextmanager
def atomic_writer(path: str | Path) -> Iterator[BinaryIO]:
    """A binary handle on a temporary file beside ``path`` that replaces ``path`` when the block ends (fsynced), so
    readers never see half a file; nothing is left behind when the block fails."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_text(path: str | Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` through a temporary file and a rename (:func:`atomic_writer`)."""
    with atomic_writer(path) as handle:
        handle.write(text.encode("utf-8"))


def write_records(path: str | Path, records: Iterable[Record], layout: str = SPLIT_LAYOUT) -> None:
    """Write records atomically in ``layout``: a JSON list for ``*.json``, one object per line for ``*.jsonl``."""
    path = Path(path)
    items = [record.to_dict(layout) for record in records]
    if path.suffix == ".jsonl":
        text = "".join(json.dumps(item, ensure_ascii=False) + "\n" for item in items)
    else:
        text = json.dumps(items, ensure_ascii=False, indent=1) + "\n"
    atomic_write_text(path, text)


def convert_records(in_path: str, out_path: str, layout: str = ORIGINAL_LAYOUT) -> str:
    """Rewrite a data file (either layout, JSON or JSONL) in ``layout``: ``original`` for GPT4Tools' own scripts
    (earlier steps at the end of ``instruction``, ``input`` empty), ``split`` for this project's."""
    if layout not in LAYOUTS:
        raise InputError(f"--layout {layout!r}: use one of {', '.join(LAYOUTS)}")
    records: Sequence[Record] = read_records(in_path)
    write_records(out_path, records, layout)
    return f"wrote {len(records)} record(s) to {out_path} in the {layout} layout"


if __name__ == "__main__":
    from protocol.cli import run_cli

    run_cli(convert_records)
