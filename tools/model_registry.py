"""``configs/models.yaml``: the candidate backends that may compete for a tool family, and how k are picked.

Each family lists its candidates best first (the list order is the prior rank that breaks ties), each with
a description, how it loads (a ``--load`` family class and its options), the handler that runs it and
metadata (source, licence, downloads, likes, whether its weights ship offline). The family also declares
the shipped default: ``compete: false`` runs the tool as the runtime does; ``compete: true`` lets ``k``
candidates, picked ``select``-wise, run side by side and keeps the consensus (:mod:`tools.competition`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from tools.catalog import default_registry
from tools.embeddings import Embedder
from tools.errors import LoadSpecError
from tools.family_registry import FAMILY_CLASSES
from tools.registry import ToolRegistry
from tools.spec import OutputKind, ToolSpec

DEFAULT_MODELS_CONFIG = Path(__file__).resolve().parent.parent / "configs" / "models.yaml"
DEFAULT_K = 3
DEFAULT_TIMEOUT_S = 120.0
_CANDIDATE_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9.-]*$")
_HANDLER_RE = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$")


class ModelRegistryError(LoadSpecError):
    """``configs/models.yaml`` (or a registry built in code) is malformed; the message names the entry."""


class Selection(StrEnum):
    """How k candidates are picked for a subtask."""

    RANK = "rank"  # the first k of the list (its order is the prior rank)
    DOWNLOADS = "downloads"  # most downloads first (unknown counts last), ties by rank
    LIKES = "likes"  # most likes first (unknown counts last), ties by rank
    SIMILARITY = "similarity"  # MiniLM similarity of each description to the subtask's text, ties by rank


class Agreement(StrEnum):
    """How two candidates' results are compared (see :mod:`tools.consensus`)."""

    TEXT = "text"  # MiniLM cosine of the texts
    BOXES = "boxes"  # matched-set IoU of the boxes (a soft F1)
    MASK = "mask"  # IoU of the kept (alpha) pixels
    EDGES = "edges"  # F-measure of the white pixels within a small distance of each other
    IMAGE = "image"  # correlation of downscaled pixels


DEFAULT_AGREEMENT = {
    OutputKind.TEXT: Agreement.TEXT,
    OutputKind.BOXES: Agreement.BOXES,
    OutputKind.IMAGE: Agreement.IMAGE,
}


@dataclass(frozen=True)
class Candidate:
    """One backend able to run a family's tool.

    Attributes:
        name: unique within the family (lowercase, digits, ``.`` and ``-``), shown as the chosen model.
        description: what it is good at, in words MiniLM compares with a subtask's text.
        rank: 1 for the first listed (the prior: best first).
        loader: the ``--load`` family whose class loads it (default: the family it competes in).
        options: what that class takes (``checkpoint`` and family-specific keys).
        handler: ``"package.module:function"`` that runs it (default: the tool's own handler).
        source, licence: where it comes from and under which licence.
        offline: its weights ship inside a pip/apt package (no download needed).
        downloads, likes: hub popularity (``None`` when unknown; the hub's counts change monthly).
    """

    name: str
    description: str
    rank: int
    loader: str
    options: Mapping[str, Any] = field(default_factory=dict)
    handler: str = ""
    source: str = ""
    licence: str = ""
    offline: bool = False
    downloads: int | None = None
    likes: int | None = None


@dataclass(frozen=True)
class FamilyCandidates:
    """A family's candidates (best first) and its shipped competition policy."""

    family: str
    candidates: tuple[Candidate, ...]
    compete: bool = False
    k: int = DEFAULT_K
    select: Selection = Selection.RANK
    agreement: Agreement | None = None  # None: by the tool's output kind
    timeout_s: float = DEFAULT_TIMEOUT_S

    def get(self, name: str) -> Candidate:
        for candidate in self.candidates:
            if candidate.name == name:
                return candidate
        raise ModelRegistryError(
            f"{self.family} has no candidate {name!r}; candidates: {', '.join(c.name for c in self.candidates)}"
        )

    def agreement_for(self, spec: ToolSpec) -> Agreement:
        return self.agreement or DEFAULT_AGREEMENT[spec.output]

    def select_candidates(
        self,
        k: int | None = None,
        by: Selection | str | None = None,
        query: str | None = None,
        embed: Embedder | None = None,
        among: Iterable[Candidate] | None = None,
    ) -> list[Candidate]:
        """The ``k`` candidates to run (default: the family's ``k`` and ``select``), in the order picked.

        ``among`` narrows the pool (e.g. to the candidates available here). Similarity needs ``query`` (the
        subtask's text) and ``embed`` (MiniLM); without a query it falls back to the prior rank.
        """
        k = self.k if k is None else k
        if k < 1:
            raise ModelRegistryError(f"k must be at least 1, got {k}")
        by = Selection(by or self.select)
        pool = list(self.candidates if among is None else among)
        if by is Selection.DOWNLOADS:
            pool.sort(key=lambda c: (c.downloads is None, -(c.downloads or 0), c.rank))
        elif by is Selection.LIKES:
            pool.sort(key=lambda c: (c.likes is None, -(c.likes or 0), c.rank))
        elif by is Selection.SIMILARITY and query and query.strip():
            if embed is None:
                raise ModelRegistryError("selection by similarity needs a sentence embedder (MiniLM)")
            vectors = embed([query, *(c.description for c in pool)])
            scores = vectors[1:] @ vectors[0]
            order = sorted(range(len(pool)), key=lambda i: (-round(float(scores[i]), 6), pool[i].rank))
            pool = [pool[i] for i in order]
        else:
            pool.sort(key=lambda c: c.rank)
        return pool[:k]


class ModelRegistry:
    """Every family's candidates, read from ``configs/models.yaml`` (or a dict of the same shape)."""

    def __init__(self, families: Mapping[str, FamilyCandidates], source: str = "<code>") -> None:
        self.families = dict(families)
        self.source = source

    @classmethod
    def load(cls, path: str | Path | None = None, catalog: ToolRegistry | None = None) -> ModelRegistry:
        """Read and validate a registry file (default: ``configs/models.yaml``)."""
        import yaml

        path = Path(path) if path is not None else DEFAULT_MODELS_CONFIG
        if not path.is_file():
            raise ModelRegistryError(f"model registry {str(path)!r} does not exist; pass a YAML file of candidates")
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as error:
            raise ModelRegistryError(f"{path} is not valid YAML: {error}") from None
        return cls.from_dict(raw, str(path), catalog)

    @classmethod
    def from_dict(cls, raw: Any, source: str = "<code>", catalog: ToolRegistry | None = None) -> ModelRegistry:
        """Validate ``raw`` (``{"families": {Family: {...}}}``); every error names the entry and the fix."""
        catalog = catalog or default_registry()
        _expect_keys(raw, source, {"families", "k", "timeout_s"}, required={"families"})
        k = _whole(raw.get("k", DEFAULT_K), f"{source}: k", minimum=1)
        timeout = _seconds(raw.get("timeout_s", DEFAULT_TIMEOUT_S), f"{source}: timeout_s")
        families = raw["families"]
        if not isinstance(families, dict) or not families:
            raise ModelRegistryError(f"{source}: families must map family names to their candidates")
        parsed = {
            str(name): _family(str(name), entry, f"{source}: families.{name}", catalog, k=k, timeout=timeout)
            for name, entry in families.items()
        }
        return cls(parsed, source)

    def __contains__(self, family: object) -> bool:
        return family in self.families

    def get(self, family: str) -> FamilyCandidates:
        try:
            return self.families[family]
        except KeyError:
            raise ModelRegistryError(
                f"{self.source} lists no candidates for {family!r}; families with candidates: "
                f"{', '.join(self.families)}"
            ) from None


_FAMILY_KEYS = {"candidates", "compete", "k", "select", "agreement", "timeout_s"}
_CANDIDATE_KEYS = {
    "name",
    "description",
    "loader",
    "options",
    "handler",
    "source",
    "licence",
    "offline",
    "downloads",
    "likes",
}


def _family(name: str, entry: Any, where: str, catalog: ToolRegistry, *, k: int, timeout: float) -> FamilyCandidates:
    if name not in FAMILY_CLASSES:
        raise ModelRegistryError(f"{where}: unknown family {name!r}; valid families: {', '.join(FAMILY_CLASSES)}")
    tools = [spec for spec in catalog if spec.family == name]
    if not tools:
        raise ModelRegistryError(f"{where}: no tool runs on {name!r}, so nothing could compete")
    _expect_keys(entry, where, _FAMILY_KEYS, required={"candidates"})
    raw_candidates = entry["candidates"]
    if not isinstance(raw_candidates, list) or not raw_candidates:
        raise ModelRegistryError(f"{where}.candidates must be a list of at least one candidate")
    candidates = tuple(
        _candidate(raw, rank, name, f"{where}.candidates[{rank - 1}]") for rank, raw in enumerate(raw_candidates, 1)
    )
    names = [c.name for c in candidates]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ModelRegistryError(f"{where}: candidate names must be unique; repeated: {', '.join(duplicates)}")
    own_handlers = [c.name for c in candidates if c.handler]
    if own_handlers and len(tools) > 1:
        raise ModelRegistryError(
            f"{where}: candidates {own_handlers} name a handler, but {len(tools)} tools run on {name!r} "
            f"({', '.join(s.name for s in tools)}); give the candidates options instead"
        )
    return FamilyCandidates(
        family=name,
        candidates=candidates,
        compete=_flag(entry.get("compete", False), f"{where}.compete"),
        k=_whole(entry.get("k", k), f"{where}.k", minimum=1),
        select=_choice(entry.get("select", Selection.RANK), Selection, f"{where}.select"),
        agreement=_choice(entry["agreement"], Agreement, f"{where}.agreement") if "agreement" in entry else None,
        timeout_s=_seconds(entry.get("timeout_s", timeout), f"{where}.timeout_s"),
    )


def _candidate(raw: Any, rank: int, family: str, where: str) -> Candidate:
    _expect_keys(raw, where, _CANDIDATE_KEYS, required={"name", "description", "source", "licence"})
    name = raw["name"]
    if not isinstance(name, str) or not _CANDIDATE_NAME_RE.match(name):
        raise ModelRegistryError(f"{where}: name {name!r} should be lowercase letters, digits, '.' and '-'")
    where = f"{where} ({name})"
    for key in ("description", "source", "licence"):
        if not isinstance(raw[key], str) or not raw[key].strip():
            raise ModelRegistryError(f"{where}: {key} must be a non-empty text")
    loader = raw.get("loader", family)
    if loader not in FAMILY_CLASSES:
        raise ModelRegistryError(f"{where}: unknown loader family {loader!r}; valid: {', '.join(FAMILY_CLASSES)}")
    handler = raw.get("handler", "")
    if handler and (not isinstance(handler, str) or not _HANDLER_RE.match(handler)):
        raise ModelRegistryError(f"{where}: handler {handler!r} should look like 'package.module:function'")
    options = raw.get("options") or {}
    if not isinstance(options, dict):
        raise ModelRegistryError(f"{where}: options must be a mapping of option names to values")
    return Candidate(
        name=name,
        description=" ".join(raw["description"].split()),
        rank=rank,
        loader=loader,
        options=dict(options),
        handler=handler,
        source=raw["source"].strip(),
        licence=raw["licence"].strip(),
        offline=_flag(raw.get("offline", False), f"{where}.offline"),
        downloads=_count(raw.get("downloads"), f"{where}.downloads"),
        likes=_count(raw.get("likes"), f"{where}.likes"),
    )


def _expect_keys(raw: Any, where: str, allowed: set[str], required: set[str]) -> None:
    if not isinstance(raw, dict):
        raise ModelRegistryError(f"{where} must be a mapping with keys {', '.join(sorted(allowed))}")
    unknown = sorted(set(map(str, raw)) - allowed)
    if unknown:
        raise ModelRegistryError(f"{where}: unknown keys {unknown}; allowed keys: {', '.join(sorted(allowed))}")
    missing = sorted(required - set(raw))
    if missing:
        raise ModelRegistryError(f"{where}: missing {', '.join(missing)}")


def _flag(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise ModelRegistryError(f"{where} must be true or false, got {value!r}")
    return value


def _whole(value: Any, where: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ModelRegistryError(f"{where} must be a whole number >= {minimum}, got {value!r}")
    return value


def _count(value: Any, where: str) -> int | None:
    return None if value is None else _whole(value, f"{where} (or null when unknown)", minimum=0)


def _seconds(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value <= 0:
        raise ModelRegistryError(f"{where} must be a positive number of seconds, got {value!r}")
    return float(value)


def _choice(value: Any, kind: type[StrEnum], where: str) -> Any:
    try:
        return kind(value)
    except ValueError:
        raise ModelRegistryError(f"{where}: {value!r} is not one of {', '.join(kind)}") from None
