"""How competing candidates' results agree, and which one the consensus keeps.

Every pair of results gets a similarity in [-1, 1] (1: the same result), by a measure that suits the
result's kind:

- text (OCR readings, captions, answers): cosine of MiniLM sentence embeddings, so that readings that say
  the same thing in other words agree; identical texts (ignoring case and spacing) agree exactly.
- boxes: the boxes of two results are matched one to one (same label, the assignment of highest total
  IoU) and the matched IoUs are summed and divided by the mean count, a soft F1: 1 for the same boxes, 0
  when none overlap, and a missed or extra box costs as much as a wrong one.
- masks (a removed background, a segmentation): IoU of the kept pixels (alpha > 127, or white), because
  the pixels kept are copies of the input and only where they are kept differs between candidates.
- edge and line maps: F-measure of the white pixels when each may be matched within a small distance
  (0.75% of the image diagonal, the BSDS boundary benchmark's tolerance), because two detectors that find
  the same edge put it a pixel or two apart, which exact overlap would count as no agreement.
- other images (depth maps, drawings): correlation of 32x32 downscaled pixels, which ignores the
  brightness and contrast in which models differ (relative depth has no fixed scale) and keeps the layout.

A candidate that found nothing (:class:`Nothing`, e.g. no person to cut out) takes part as the empty
result of its kind: no text, no boxes, an empty mask or edge map, a flat image.

The consensus keeps the result with the highest mean similarity to the others; ties (within 1e-6) go to
the better prior rank. With two candidates the means are always equal, so the prior rank decides.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from tools.embeddings import Embedder
from tools.model_registry import Agreement
from tools.outputs import Box, Detections, Reading, box_iou

EDGE_TOLERANCE = 0.0075  # of the image diagonal (Martin et al.'s BSDS boundary benchmark)
IMAGE_SIDE = 32
TIE = 1e-6


@dataclass(frozen=True)
class Nothing:
    """A candidate's answer that there is nothing to return (``message`` says so, as the tool would)."""

    message: str


@dataclass(frozen=True)
class Choice:
    """The consensus: the index kept, each result's mean similarity to the others, and why."""

    index: int
    means: tuple[float, ...]
    reason: str


def choose(matrix: np.ndarray, names: Sequence[str], ranks: Sequence[int]) -> Choice:
    """The row with the highest mean similarity to the others (diagonal excluded); ties by lowest rank."""
    n = len(names)
    if n == 0:
        raise ValueError("no results to choose from")
    if n == 1:
        return Choice(0, (1.0,), "the only candidate that gave a result")
    means = tuple(float((matrix[i].sum() - matrix[i, i]) / (n - 1)) for i in range(n))
    best = max(means)
    tied = [i for i in range(n) if best - means[i] <= TIE]
    index = min(tied, key=lambda i: ranks[i])
    others = ", ".join(f"{names[i]} {means[i]:.2f}" for i in range(n) if i != index)
    if len(tied) > 1:
        rivals = ", ".join(names[i] for i in tied if i != index)
        return Choice(
            index,
            means,
            f"tied with {rivals} on mean similarity to the others ({best:.2f}); kept for its prior rank "
            f"({ranks[index]})",
        )
    return Choice(index, means, f"highest mean similarity to the other {n - 1} results ({best:.2f}; {others})")


def similarity_matrix(values: Sequence[Any], agreement: Agreement, embed: Embedder | None = None) -> np.ndarray:
    """The symmetric (n, n) similarity of handler results ``values`` under ``agreement``; diagonal 1."""
    n = len(values)
    matrix = np.ones((n, n), dtype=np.float64)
    if agreement is Agreement.TEXT:
        matrix = _text_matrix(["" if isinstance(v, Nothing) else as_text(v) for v in values], embed)
    else:
        prepare, pair = {
            Agreement.BOXES: (as_boxes, box_set_agreement),
            Agreement.MASK: (as_mask, mask_iou),
            Agreement.EDGES: (as_mask, edge_f_measure),
            Agreement.IMAGE: (as_array, image_correlation),
        }[agreement]
        prepared = [None if isinstance(v, Nothing) else prepare(v) for v in values]
        shape = next((p.shape for p in prepared if isinstance(p, np.ndarray)), (1, 1))
        empty = (
            () if agreement is Agreement.BOXES else np.zeros(shape, bool if agreement is not Agreement.IMAGE else float)
        )
        prepared = [empty if p is None else p for p in prepared]
        for i in range(n):
            for j in range(i + 1, n):
                matrix[i, j] = matrix[j, i] = pair(prepared[i], prepared[j])
    np.fill_diagonal(matrix, 1.0)
    return matrix


def _text_matrix(texts: list[str], embed: Embedder | None) -> np.ndarray:
    normalised = [" ".join(t.lower().split()) for t in texts]
    if embed is None:
        raise ValueError("text agreement needs a sentence embedder (MiniLM)")
    vectors = embed(texts)
    matrix = np.clip(vectors @ vectors.T, -1.0, 1.0).astype(np.float64)
    same = np.equal.outer(np.array(normalised, dtype=object), np.array(normalised, dtype=object))
    matrix[same] = 1.0
    return matrix


def as_text(value: Any) -> str:
    if isinstance(value, Reading):
        return value.describe()
    return value if isinstance(value, str) else str(value)


def as_boxes(value: Any) -> tuple[Box, ...]:
    return tuple(value.boxes if isinstance(value, Detections) else value)


def as_mask(value: Any) -> np.ndarray:
    """A boolean (height, width) map: the alpha channel of a cut-out, else the white pixels."""
    from PIL import Image

    if isinstance(value, np.ndarray):
        return value.astype(bool) if value.dtype == bool else value > 127
    if isinstance(value, Image.Image):
        if value.mode in ("RGBA", "LA", "PA"):
            return np.asarray(value.getchannel("A")) > 127
        return np.asarray(value.convert("L")) > 127
    raise TypeError(f"expected an image or an array, got {type(value).__name__}")


def as_array(value: Any) -> np.ndarray:
    """Pixels as floats, downscaled to ``IMAGE_SIDE`` x ``IMAGE_SIDE`` (all channels kept)."""
    from PIL import Image

    image = value if isinstance(value, Image.Image) else Image.fromarray(np.asarray(value))
    if image.mode not in ("L", "RGB"):
        image = image.convert("RGB")
    return np.asarray(image.resize((IMAGE_SIDE, IMAGE_SIDE), Image.Resampling.BOX), dtype=np.float64)


def box_set_agreement(a: Sequence[Box], b: Sequence[Box]) -> float:
    """Matched IoU of two box sets (one to one, same label, highest total), divided by the mean count."""
    if not a and not b:
        return 1.0
    if not a or not b:
        return 0.0
    from scipy.optimize import linear_sum_assignment

    ious = np.array([[box_iou(x.box, y.box) if x.label == y.label else 0.0 for y in b] for x in a])
    rows, cols = linear_sum_assignment(ious, maximize=True)
    return float(2 * ious[rows, cols].sum() / (len(a) + len(b)))


def mask_iou(a: np.ndarray, b: np.ndarray) -> float:
    """Intersection over union of two boolean masks (two empty masks agree fully)."""
    b = _same_shape(b, a)
    union = np.logical_or(a, b).sum()
    return float(np.logical_and(a, b).sum() / union) if union else 1.0


def edge_f_measure(a: np.ndarray, b: np.ndarray, tolerance: float = EDGE_TOLERANCE) -> float:
    """F-measure of two boolean edge maps, a pixel matching when the other map has one within the tolerance."""
    import cv2

    b = _same_shape(b, a)
    count_a, count_b = int(a.sum()), int(b.sum())
    if not count_a and not count_b:
        return 1.0
    if not count_a or not count_b:
        return 0.0
    radius = max(1, round(tolerance * float(np.hypot(*a.shape))))
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
    near_a = cv2.dilate(a.astype(np.uint8), kernel).astype(bool)
    near_b = cv2.dilate(b.astype(np.uint8), kernel).astype(bool)
    precision = np.logical_and(a, near_b).sum() / count_a
    recall = np.logical_and(b, near_a).sum() / count_b
    return float(2 * precision * recall / (precision + recall)) if precision + recall else 0.0


def image_correlation(a: np.ndarray, b: np.ndarray) -> float:
    """Pearson correlation of two downscaled images (grey compared with colour as grey); flat images agree
    only with flat images."""
    if a.ndim != b.ndim:
        a, b = (x.mean(axis=-1) if x.ndim == 3 else x for x in (a, b))
    a, b = a.ravel() - a.mean(), b.ravel() - b.mean()
    norm_a, norm_b = float(np.linalg.norm(a)), float(np.linalg.norm(b))
    if norm_a < 1e-9 or norm_b < 1e-9:
        return 1.0 if norm_a < 1e-9 and norm_b < 1e-9 else 0.0
    return float(a @ b / (norm_a * norm_b))


def _same_shape(mask: np.ndarray, like: np.ndarray) -> np.ndarray:
    """``mask`` resized (nearest) to ``like``'s shape when two candidates answered at different sizes."""
    if mask.shape == like.shape:
        return mask
    from PIL import Image

    resized = Image.fromarray(mask.astype(np.uint8) * 255).resize(like.shape[::-1], Image.Resampling.NEAREST)
    return np.asarray(resized) > 127
