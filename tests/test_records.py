"""GPT4Tools record I/O: JSON and JSONL, validation errors that name file and index."""

from __future__ import annotations

import json

import pytest

from protocol.records import Record, RecordError, iter_jsonl, read_records, write_records

RECORDS = [Record("prompt one", "", "Thought: x", "7"), Record("prompt two", "step", "AI: y")]


@pytest.mark.parametrize("suffix", [".json", ".jsonl"])
def test_round_trip(tmp_path, suffix):
    path = tmp_path / f"data{suffix}"
    write_records(path, RECORDS)
    assert read_records(path) == RECORDS


def test_reads_the_original_gpt4tools_shape(tmp_path):
    path = tmp_path / "gpt4tools_71k.json"
    path.write_text(json.dumps([{"instruction": "i", "input": "", "output": "o", "id": 3}]))
    assert read_records(path) == [Record("i", "", "o", "3")]


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        ("", "file is empty"),
        ('[{"instruction": "a", "input": ""}]', "record 0: missing field(s) ['output']"),
        ('[{"instruction": "a", "input": "", "output": 3}]', "record 0: field 'output' must be a string"),
        ('{"instruction": "a", "input": "", "output": "o"}\n{"bad json', "invalid JSON on line 2 (record 1)"),
        ("[1, 2", "invalid JSON at line 1"),
        ('{"a": 1}', "record 0: missing field(s)"),
        ('[{"instruction": "a", "input": "", "output": "o", "id": true}]', "field 'id'"),
        ('["x"]', "record 0: expected an object"),
    ],
)
def test_malformed_files_name_file_and_record(tmp_path, content, fragment):
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(RecordError) as info:
        read_records(path)
    assert str(path) in str(info.value)
    assert fragment in str(info.value)


def test_missing_and_binary_files(tmp_path):
    with pytest.raises(RecordError, match="file not found"):
        read_records(tmp_path / "nope.json")
    binary = tmp_path / "bin.json"
    binary.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(RecordError, match="not UTF-8"):
        read_records(binary)


def test_iter_jsonl_skips_only_a_torn_last_line(tmp_path):
    path = tmp_path / "pred.jsonl"
    path.write_text('{"id": "1"}\n{"id": "2"}\n{"id": "3", "out')
    assert [item["id"] for item in iter_jsonl(path)] == ["1", "2"]
    path.write_text('{"id": "1"}\n{"id": \n{"id": "3"}\n')
    with pytest.raises(RecordError, match="line 2"):
        list(iter_jsonl(path))


def test_this_projects_records_round_trip_through_the_original_layout(tmp_path):
    """Written in the original's layout (steps at the end of instruction) and read back: the same records."""
    from tests.sample_records import make_records

    records = make_records(30, max_tools=3)
    assert any(r.input for r in records)
    write_records(tmp_path / "original.json", records, layout="original")
    assert all(item["input"] == "" for item in json.loads((tmp_path / "original.json").read_text()))
    assert read_records(tmp_path / "original.json") == records
