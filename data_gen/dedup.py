"""Exact and near-duplicate removal of drafts, with MiniLM sentence embeddings (:mod:`tools.embeddings`).

Drafts are grouped (tool drafts by caption, kind and tools; no-tool drafts by language across the whole
split, since their caption hardly matters); inside a group a draft is dropped when its request is an
exact duplicate, or when its embedding is within ``threshold`` cosine similarity of one already kept.
Only the distinct texts of groups of two or more are embedded, in length-sorted batches.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Hashable, Sequence

import numpy as np

from tools.embeddings import Embedder

logger = logging.getLogger(__name__)


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
