"""Where training records come from: ``--data_path`` as a GPT4Tools JSON/JSONL file, a Hugging Face dataset
directory written by ``save_to_disk``, a parquet file or a directory of them, or a hub dataset id already in the
local Hugging Face datasets cache.

:func:`locate_source` tells these apart from the path alone, without importing ``datasets`` (its import takes
seconds), so the trainer's checks stay fast. :meth:`DataSource.read_records` reads the records (datasets'
columns ``instruction``, ``input``, ``output`` and an optional ``id`` map onto GPT4Tools records, in either
layout); :meth:`DataSource.content_files` lists the files whose bytes identify the data. Nothing is downloaded:
a hub id is read from the cache in offline mode.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

from modeling.loading import cache_dir
from protocol.errors import InputError
from protocol.records import REQUIRED_FIELDS, Record, read_records, record_from_dict

RECORD_SUFFIXES = (".json", ".jsonl")
PARQUET_SUFFIX = ".parquet"
PREFERRED_SPLIT = "train"
ACCEPTED = (
    "GPT4Tools .json/.jsonl records, a .parquet file or a directory of them, a directory written by "
    "Dataset.save_to_disk, or the id of a dataset in the Hugging Face datasets cache"
)
_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*(/[\w.-]+)?$")
_SAVED_MARKERS = ("state.json", "dataset_dict.json")


class SourceError(ValueError, InputError):
    """``--data_path`` names no data that can be read here; the message says what to pass instead."""


class SourceKind(Enum):
    RECORDS = "GPT4Tools records file"
    SAVED = "dataset saved with save_to_disk"
    PARQUET = "parquet data"
    HUB = "hub dataset in the local cache"


def datasets_cache_dir() -> Path:
    """The Hugging Face datasets cache, as ``datasets`` finds it (``HF_DATASETS_CACHE``, else ``HF_HOME/datasets``)."""
    if os.environ.get("HF_DATASETS_CACHE"):
        return Path(os.environ["HF_DATASETS_CACHE"]).expanduser()
    home = os.environ.get("HF_HOME") or Path(os.environ.get("XDG_CACHE_HOME", "~/.cache")) / "huggingface"
    return Path(home).expanduser() / "datasets"


def _squeezed(name: str) -> str:
    """A cache folder name or hub id with case and underscores dropped: ``datasets`` stores ``Owner/MyData`` as
    ``Owner___my_data``, and this compares the two without importing it."""
    return name.replace("/", "").replace("_", "").lower()


def hub_cache_entry(dataset_id: str) -> Path | None:
    """The folder of ``dataset_id`` in the datasets cache, ``None`` when it was never loaded here."""
    root = datasets_cache_dir()
    if not root.is_dir():
        return None
    wanted = _squeezed(dataset_id)
    return next((entry for entry in root.iterdir() if entry.is_dir() and _squeezed(entry.name) == wanted), None)


def locate_source(data_path: str) -> DataSource:
    """The kind of data ``data_path`` names, from the file system alone; :class:`SourceError` naming what to pass
    when it names nothing readable."""
    path = Path(data_path).expanduser()
    if path.is_file():
        kind = SourceKind.PARQUET if path.suffix == PARQUET_SUFFIX else SourceKind.RECORDS
        return DataSource(kind, str(path))
    if path.is_dir():
        if any((path / marker).is_file() for marker in _SAVED_MARKERS):
            return DataSource(SourceKind.SAVED, str(path))
        if next(path.rglob(f"*{PARQUET_SUFFIX}"), None) is not None:
            return DataSource(SourceKind.PARQUET, str(path))
        raise SourceError(
            f"--data_path {data_path}: a directory with no parquet file and no saved dataset; pass {ACCEPTED}"
        )
    if _HUB_ID.match(data_path) and path.suffix not in (*RECORD_SUFFIXES, PARQUET_SUFFIX):
        if hub_cache_entry(data_path) is not None:
            return DataSource(SourceKind.HUB, data_path)
        raise SourceError(
            f"--data_path {data_path}: no such file or directory, and no dataset {data_path!r} in the Hugging Face "
            f"datasets cache ({datasets_cache_dir()}); nothing is downloaded at run time: load it once where the hub "
            f"is reachable (python -c \"import datasets; datasets.load_dataset('{data_path}')\") or pass {ACCEPTED}"
        )
    raise SourceError(f"--data_path {data_path}: no such file or directory; pass {ACCEPTED}")


@contextlib.contextmanager
def offline_datasets() -> Iterator[Any]:
    """``datasets`` imported, with its hub access switched off for the block (a cached dataset is read from
    the cache, anything else fails at once instead of reaching for the network)."""
    import datasets

    before = datasets.config.HF_HUB_OFFLINE
    datasets.config.HF_HUB_OFFLINE = True
    try:
        yield datasets
    finally:
        datasets.config.HF_HUB_OFFLINE = before


def _one_split(loaded: Any, where: str) -> Any:
    """The ``train`` split of a dataset dictionary (or its only split); a plain dataset as it is."""
    splits = getattr(loaded, "keys", None)
    if splits is None:
        return loaded
    names = list(splits())
    if PREFERRED_SPLIT in names or len(names) == 1:
        return loaded[PREFERRED_SPLIT if PREFERRED_SPLIT in names else names[0]]
    raise SourceError(
        f"--data_path {where}: splits {names} and none is named {PREFERRED_SPLIT!r}; save the split to train on "
        "alone (dataset_dict['NAME'].save_to_disk(DIR)) and pass that directory"
    )


@dataclass
class DataSource:
    """Training data ``location`` (a path, or a hub id for :attr:`SourceKind.HUB`) of a given ``kind``."""

    kind: SourceKind
    location: str
    _dataset: Any = field(default=None, repr=False, compare=False)

    def _parquet_files(self) -> list[Path]:
        path = Path(self.location)
        return [path] if path.is_file() else sorted(path.rglob(f"*{PARQUET_SUFFIX}"))

    def dataset(self) -> Any:
        """The data as a ``datasets.Dataset`` (loaded once; not for a records file)."""
        if self._dataset is None:
            self._dataset = _one_split(self._load(), self.location)
        return self._dataset

    def _load(self) -> Any:
        with offline_datasets() as datasets:
            if self.kind is SourceKind.SAVED:
                return datasets.load_from_disk(self.location)
            if self.kind is SourceKind.PARQUET:
                files = [str(file) for file in self._parquet_files()]
                return datasets.load_dataset("parquet", data_files=files, cache_dir=str(cache_dir() / "datasets"))
            try:
                return datasets.load_dataset(self.location, cache_dir=str(datasets_cache_dir()))
            except (ConnectionError, FileNotFoundError, ValueError) as error:
                reason = " ".join(str(error).split())[:200]
                raise SourceError(
                    f"--data_path {self.location}: the Hugging Face datasets cache holds no usable copy ({reason}); "
                    "nothing is downloaded at run time: load it once where the hub is reachable, or pass a local file"
                ) from None

    def content_files(self) -> dict[str, Path]:
        """The files whose bytes are the data, by a name that does not depend on where the data lies (a file's
        path within a directory; for a hub dataset, its cached arrow files by name)."""
        path = Path(self.location)
        if self.kind is SourceKind.HUB:
            files = [Path(entry["filename"]) for entry in self.dataset().cache_files]
            return {file.name: file for file in files}
        if path.is_file():
            return {"": path}
        return {str(file.relative_to(path)): file for file in path.rglob("*") if file.is_file()}

    def read_records(self) -> list[Record]:
        """Every record, validated (``RecordError`` names the record and what is wrong)."""
        if self.kind is SourceKind.RECORDS:
            return read_records(self.location)
        dataset = self.dataset()
        missing = [name for name in REQUIRED_FIELDS if name not in dataset.column_names]
        if missing:
            raise SourceError(
                f"--data_path {self.location}: no column(s) {missing} (it has {dataset.column_names}); a GPT4Tools "
                f"dataset needs {list(REQUIRED_FIELDS)} and may have 'id' (rename columns with "
                "dataset.rename_column and save it again)"
            )
        columns = [*REQUIRED_FIELDS, *(["id"] if "id" in dataset.column_names else [])]
        rows = dataset.select_columns(columns).to_list()
        return [record_from_dict(row, self.location, index) for index, row in enumerate(rows)]
