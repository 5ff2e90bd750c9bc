"""``--data_path`` sources beyond JSON (save_to_disk, parquet, a cached hub id) and the tokenized-data cache."""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

import pytest

import lora_finetune
from protocol.prompt import PromptTemplate
from protocol.records import ORIGINAL_LAYOUT, write_records
from tests.sample_records import make_records, make_trajectories
from training import token_cache
from training.data import tokenize_records
from training.sources import SourceError, SourceKind, locate_source

ROOT = Path(__file__).resolve().parent.parent
RECORDS = make_records(12, max_tools=2)
HUB_ID = "someone/tiny_tools"


def columns(layout: str = "split", extra: dict | None = None) -> dict[str, list]:
    rows = [record.to_dict(layout) for record in RECORDS]
    table = {name: [row[name] for row in rows] for name in ("instruction", "input", "output", "id")}
    return {**table, **(extra or {})}


def cached_hub_dataset(cache: Path, table: dict[str, list]) -> None:
    """What ``load_dataset("someone/tiny_tools")`` leaves in the datasets cache (``owner___name/config/version/hash``)."""
    import datasets
    from datasets.packaged_modules.parquet.parquet import Parquet

    source = cache.parent / "hub-source.parquet"
    datasets.Dataset.from_dict(table).to_parquet(str(source))
    builder = Parquet(
        cache_dir=str(cache), dataset_name="tiny_tools", data_files={"train": str(source)}, hash="0123abcd"
    )
    builder.download_and_prepare()
    (config,) = (cache / "tiny_tools").iterdir()
    config.rename(config.parent / "default")
    (cache / "tiny_tools").rename(cache / "someone___tiny_tools")


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path | str]:
    """The same records as every kind of source (the saved and hub ones in the original GPT4Tools layout)."""
    import datasets

    root = tmp_path_factory.mktemp("sources")
    write_records(root / "train.json", RECORDS)
    datasets.Dataset.from_dict(columns(ORIGINAL_LAYOUT)).save_to_disk(str(root / "saved"))
    split = datasets.Dataset.from_dict(columns())
    datasets.DatasetDict({"train": split, "test": split.select(range(2))}).save_to_disk(str(root / "saved_dict"))
    split.to_parquet(str(root / "train.parquet"))
    (root / "shards" / "data").mkdir(parents=True)
    split.select(range(6)).to_parquet(str(root / "shards" / "data" / "train-00000.parquet"))
    split.select(range(6, 12)).to_parquet(str(root / "shards" / "data" / "train-00001.parquet"))
    cached_hub_dataset(root / "hf-datasets", columns(ORIGINAL_LAYOUT))
    return {
        "json": root / "train.json",
        "saved": root / "saved",
        "saved_dict": root / "saved_dict",
        "parquet": root / "train.parquet",
        "parquet_dir": root / "shards",
        "hub": HUB_ID,
        "hub_cache": root / "hf-datasets",
    }


@pytest.fixture
def project_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sources) -> Path:
    monkeypatch.setenv("GPT4TOOLS_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("HF_DATASETS_CACHE", str(sources["hub_cache"]))
    return tmp_path / "cache"


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("json", SourceKind.RECORDS),
        ("saved", SourceKind.SAVED),
        ("saved_dict", SourceKind.SAVED),
        ("parquet", SourceKind.PARQUET),
        ("parquet_dir", SourceKind.PARQUET),
        ("hub", SourceKind.HUB),
    ],
)
def test_every_source_reads_the_same_records(sources, project_cache, name: str, kind: SourceKind) -> None:
    source = locate_source(str(sources[name]))
    assert source.kind is kind
    assert source.read_records() == RECORDS  # the original layout's scratchpads are split off on reading
    assert source.content_files()


def test_unusable_data_paths_fail_in_one_line_naming_the_fix(sources, project_cache, tmp_path: Path) -> None:
    import datasets

    (tmp_path / "empty").mkdir()
    datasets.Dataset.from_dict({"prompt": ["a"], "response": ["b"]}).save_to_disk(str(tmp_path / "other_columns"))
    two = datasets.Dataset.from_dict(columns())
    datasets.DatasetDict({"a": two, "b": two}).save_to_disk(str(tmp_path / "two_splits"))
    cases = {
        str(tmp_path / "none.json"): "no such file or directory; pass GPT4Tools .json/.jsonl records",
        str(tmp_path / "empty"): "a directory with no parquet file and no saved dataset",
        "nobody/not_cached": "no dataset 'nobody/not_cached' in the Hugging Face datasets cache",
    }
    for data_path, expected in cases.items():
        with pytest.raises(SourceError, match=expected) as raised:
            locate_source(data_path)
        assert "\n" not in str(raised.value)
    with pytest.raises(SourceError, match=r"no column\(s\) \['instruction', 'input', 'output'\]"):
        locate_source(str(tmp_path / "other_columns")).read_records()
    with pytest.raises(SourceError, match="splits \\['a', 'b'\\] and none is named 'train'"):
        locate_source(str(tmp_path / "two_splits")).read_records()


def test_the_trainer_checks_data_paths_without_importing_datasets(sources, tiny_model_dir: Path, tmp_path) -> None:
    code = (
        "import sys; from training.config import build_config; from training.preflight import preflight; "
        f"preflight(build_config(None, base_model={str(tiny_model_dir)!r}, data_path={str(sources['parquet_dir'])!r}, "
        f"output_dir={str(tmp_path / 'out')!r})); print('datasets' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False", done.stderr


def test_training_on_a_parquet_directory(sources, project_cache, tiny_model_dir: Path, tmp_path: Path) -> None:
    options = {"batch_size": 4, "micro_batch_size": 2, "num_threads": 1, "val_set_size": 0, "compile": False}
    result = lora_finetune.train(
        base_model=str(tiny_model_dir),
        data_path=str(sources["parquet_dir"]),
        output_dir=str(tmp_path / "out"),
        max_steps=1,
        **options,
    )
    assert result["steps"] == 1 and (tmp_path / "out" / "adapter_model.safetensors").is_file()


# ---------------------------------------------------------------- the tokenized-data cache
def load(data_path, tokenizer, template="en", cutoff_len=2048, **options):
    return token_cache.load_examples(
        str(data_path), PromptTemplate.load(template), tokenizer, cutoff_len, **options
    ).examples


@pytest.fixture
def count_tokenizations(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many times the cache had to tokenize (one entry per call, the number of records)."""
    calls: list[int] = []

    def counting(records, *args, **kwargs):
        calls.append(len(records))
        return tokenize_records(records, *args, **kwargs)

    monkeypatch.setattr(token_cache, "tokenize_records", counting)
    return calls


def test_a_rerun_reads_the_tokenized_data_back(sources, project_cache, tiny_tokenizer, count_tokenizations) -> None:
    expected, _ = tokenize_records(RECORDS, PromptTemplate.load("en"), tiny_tokenizer, 2048)
    for name in ("json", "parquet_dir", "hub"):
        assert load(sources[name], tiny_tokenizer) == expected
        assert load(sources[name], tiny_tokenizer) == expected
    assert count_tokenizations == [len(RECORDS)] * 3  # once per source, the second load of each was cached
    assert len(list((project_cache / "tokenized").glob("*.npz"))) == 3


def test_any_change_to_what_the_ids_depend_on_is_another_entry(
    sources, project_cache, tiny_tokenizer, count_tokenizations, tmp_path: Path
) -> None:
    data = tmp_path / "train.json"
    write_records(data, RECORDS)
    load(data, tiny_tokenizer)
    load(data, tiny_tokenizer, cutoff_len=1536)
    load(data, tiny_tokenizer, train_on_inputs=True)
    load(data, tiny_tokenizer, merge_trajectories=True)
    load(data, tiny_tokenizer, template="zh")
    other_tokenizer = type(tiny_tokenizer).from_pretrained(tiny_tokenizer.name_or_path)
    other_tokenizer.chat_template = "{% for m in messages %}{{ m['content'] }}{% endfor %}"
    load(data, other_tokenizer)
    write_records(data, RECORDS[:-1])
    load(data, tiny_tokenizer)
    assert len(count_tokenizations) == 7
    load(data, tiny_tokenizer)  # nothing changed since the last load
    assert len(count_tokenizations) == 7


def test_merged_trajectories_come_back_from_the_cache_whole(
    project_cache, tiny_tokenizer, count_tokenizations, tmp_path: Path
) -> None:
    records = make_trajectories(6)
    data = tmp_path / "train.json"
    write_records(data, records)
    expected, _ = tokenize_records(records, PromptTemplate.load("en"), tiny_tokenizer, 2048, merge_trajectories=True)
    assert any(example.relabeled for example in expected) and len(expected) == 6
    assert load(data, tiny_tokenizer, merge_trajectories=True) == expected
    assert load(data, tiny_tokenizer, merge_trajectories=True) == expected
    assert load(data, tiny_tokenizer) != expected  # the separate records are another entry
    assert count_tokenizations == [len(records)] * 2


def test_a_damaged_entry_is_rebuilt_with_a_warning(
    sources, project_cache, tiny_tokenizer, count_tokenizations, caplog
) -> None:
    expected = load(sources["json"], tiny_tokenizer)
    (entry,) = (project_cache / "tokenized").glob("*.npz")
    damaged = bytearray(entry.read_bytes())
    damaged[len(damaged) // 2] ^= 0xFF
    entry.write_bytes(bytes(damaged))
    with caplog.at_level(logging.WARNING, logger="training.token_cache"):
        assert load(sources["json"], tiny_tokenizer) == expected
    assert "is damaged" in caplog.text and len(count_tokenizations) == 2
    entry.write_bytes(entry.read_bytes()[:100])  # a torn write
    assert load(sources["json"], tiny_tokenizer) == expected
    assert len(count_tokenizations) == 3 and load(sources["json"], tiny_tokenizer) == expected


def test_an_entry_in_the_older_layout_is_not_misread(sources, project_cache, tiny_tokenizer, caplog) -> None:
    import numpy as np

    expected = load(sources["json"], tiny_tokenizer)
    (entry,) = (project_cache / "tokenized").glob("*.npz")
    with np.load(entry) as stored:
        older = {name: stored[name] for name in ("key", "ids", "offsets", "truncated", "plan_records")}
    masked = [spans[0][0] for spans in (example.spans for example in expected)]
    np.savez(entry.with_suffix(""), **older, masked=np.array(masked))  # format 1: a masked prefix per record
    with caplog.at_level(logging.WARNING, logger="training.token_cache"):
        assert load(sources["json"], tiny_tokenizer) == expected
    assert "is damaged" in caplog.text


def test_truncation_is_reported_from_the_cache_too(sources, project_cache, tiny_tokenizer, caplog) -> None:
    longest_prompt = max(
        PromptTemplate.load("en").encode(tiny_tokenizer, *PromptTemplate.load("en").training_pair(
            r.instruction, r.input, r.output, tiny_tokenizer))[1]
        for r in RECORDS
    )  # fmt: skip
    for _ in range(2):
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="training.token_cache"):
            examples = load(sources["json"], tiny_tokenizer, cutoff_len=longest_prompt + 2)
        assert "were truncated to cutoff_len" in caplog.text
        assert max(len(example) for example in examples) == longest_prompt + 2


def test_only_the_newest_entries_are_kept(project_cache, tiny_tokenizer, tmp_path: Path) -> None:
    data = tmp_path / "train.json"
    write_records(data, RECORDS[:4])
    for cutoff_len in range(1024, 1024 + token_cache.KEPT_ENTRIES + 2):
        load(data, tiny_tokenizer, cutoff_len=cutoff_len)
    assert len(list((project_cache / "tokenized").glob("*.npz"))) == token_cache.KEPT_ENTRIES
