"""A Haar cascade's multi-scale search in bounded memory, with the boxes OpenCV's single call gives.

``detectMultiScale`` builds the integral images of every scale of the pyramid before it searches any: a 960 px
padded image at scale step 1.03 needs ~110 MB for them, all alive at once. Here the scales are searched in
groups of about :data:`GROUP_PIXELS` pixels, each group one call with the window sizes that select exactly its
scales (OpenCV computes the same scale factors in every call), and the raw windows of all the groups are
grouped as OpenCV groups them (:func:`group_windows`). Each scale's search reads only the image resized to
that scale, so a window found in a group is one the single call finds.
"""

from __future__ import annotations

from typing import Any

import numpy as np

GROUP_PIXELS = 500_000  # pyramid pixels a call searches at once (OpenCV holds ~30-45 bytes for each)
GROUP_EPS = 0.2  # OpenCV's detectMultiScale: how far apart two windows may be and still be one object


def pyramid_windows(
    image_size: tuple[int, int], window: tuple[int, int], step: float, min_size: tuple[int, int]
) -> list[tuple[tuple[int, int], int]]:
    """``((window width, height), pixels of the scaled image)`` for each scale ``detectMultiScale`` searches."""
    width, height = image_size
    scales = []
    factor = 1.0
    while True:
        size = (_round(window[0] * factor), _round(window[1] * factor))
        scaled = (_round(width / factor), _round(height / factor))
        if scaled[0] - window[0] <= 0 or scaled[1] - window[1] <= 0 or size[0] > width or size[1] > height:
            break
        if size[0] >= min_size[0] and size[1] >= min_size[1]:
            scales.append((size, scaled[0] * scaled[1]))
        factor *= step
    return scales


def window_ranges(
    scales: list[tuple[tuple[int, int], int]], budget: int = GROUP_PIXELS
) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """``(min size, max size)`` per call: consecutive scales of about ``budget`` pixels, cut only where the
    window size changes (two scales with one window size would both fall in the calls on either side)."""
    ranges = []
    start, pixels = 0, 0
    for index, (size, area) in enumerate(scales):
        pixels += area
        last = index + 1 == len(scales)
        if last or (pixels >= budget and scales[index + 1][0] != size):
            ranges.append((scales[start][0], size))
            start, pixels = index + 1, 0
    return ranges


def detect(
    cascade: Any,
    image: np.ndarray,
    *,
    step: float,
    neighbours: int,
    min_size: tuple[int, int],
    group_pixels: int = GROUP_PIXELS,
) -> tuple[list[tuple[int, int, int, int]], list[float]]:
    """``cascade.detectMultiScale3(image, step, neighbours, min_size, outputRejectLevels=True)``'s boxes and
    stage weights, searched ``group_pixels`` of the pyramid at a time."""
    height, width = image.shape[:2]
    scales = pyramid_windows((width, height), tuple(cascade.getOriginalWindowSize()), step, min_size)
    windows: list[tuple[int, int, int, int]] = []
    levels: list[int] = []
    weights: list[float] = []
    for smallest, largest in window_ranges(scales, group_pixels):
        rects, rect_levels, rect_weights = cascade.detectMultiScale3(
            image, scaleFactor=step, minNeighbors=0, minSize=smallest, maxSize=largest, outputRejectLevels=True
        )
        windows += [tuple(int(v) for v in rect) for rect in rects]
        levels += np.ravel(rect_levels).astype(int).tolist()
        weights += np.ravel(rect_weights).astype(float).tolist()
    return group_windows(windows, levels, weights, neighbours)


def group_windows(
    windows: list[tuple[int, int, int, int]],
    levels: list[int],
    weights: list[float],
    neighbours: int,
    eps: float = GROUP_EPS,
) -> tuple[list[tuple[int, int, int, int]], list[float]]:
    """OpenCV's ``groupRectangles`` with reject levels: windows that overlap within ``eps`` form one object, the
    average of its windows, kept when more than ``neighbours`` windows found it and it is not a small object
    inside a better supported one; its weight is the highest of its windows at the deepest stage."""
    if neighbours <= 0 or not windows:
        return windows, weights
    labels = _clusters(windows, eps)
    count = max(labels) + 1
    sums = np.zeros((count, 4))
    support = np.zeros(count, dtype=int)
    best_level = np.zeros(count, dtype=int)
    best_weight = np.full(count, np.finfo(float).tiny)
    for window, label, level, weight in zip(windows, labels, levels, weights, strict=True):
        sums[label] += window
        support[label] += 1
        if level > best_level[label]:
            best_level[label], best_weight[label] = level, weight
        elif level == best_level[label] and weight > best_weight[label]:
            best_weight[label] = weight
    # OpenCV averages in single precision: sum * (1.f / count), rounded to nearest, halves to even
    objects = [
        tuple(_round(np.float32(v) * (np.float32(1) / np.float32(n))) for v in total)
        for total, n in zip(sums, support, strict=True)
    ]
    kept, kept_weights = [], []
    for i, (box, n) in enumerate(zip(objects, support, strict=True)):
        if n <= neighbours:
            continue
        if not any(
            j != i and m > neighbours and _inside(box, other, n, m, eps)
            for j, (other, m) in enumerate(zip(objects, support, strict=True))
        ):
            kept.append(box)
            kept_weights.append(float(best_weight[i]))
    return kept, kept_weights


def _clusters(windows: list[tuple[int, int, int, int]], eps: float) -> list[int]:
    """A label per window: the connected groups of pairwise similar windows (OpenCV's ``partition`` with
    ``SimilarRects``: every edge within ``eps`` of the smaller sides' mean)."""
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import connected_components

    boxes = np.asarray(windows, dtype=float)
    x0, y0, w, h = boxes.T
    delta = eps * (np.minimum.outer(w, w) + np.minimum.outer(h, h)) * 0.5
    similar = np.ones(delta.shape, dtype=bool)
    for edge in (x0, y0, x0 + w, y0 + h):
        similar &= np.abs(np.subtract.outer(edge, edge)) <= delta
    return connected_components(csr_matrix(similar), directed=False)[1].tolist()


def _inside(box: tuple[int, ...], other: tuple[int, ...], n: int, m: int, eps: float) -> bool:
    """Whether ``box`` (found by ``n`` windows) is a small object inside ``other`` (``m``) that OpenCV drops."""
    dx, dy = _round(other[2] * eps), _round(other[3] * eps)
    return (
        box[0] >= other[0] - dx
        and box[1] >= other[1] - dy
        and box[0] + box[2] <= other[0] + other[2] + dx
        and box[1] + box[3] <= other[1] + other[3] + dy
        and (m > max(3, n) or n < 3)
    )


def _round(value: float) -> int:
    """OpenCV's ``cvRound``: to the nearest integer, halves to even."""
    return round(float(value))
