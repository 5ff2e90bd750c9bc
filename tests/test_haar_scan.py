"""A Haar cascade searched a group of scales at a time: OpenCV's boxes and weights, in a fraction of its memory."""

from __future__ import annotations

import itertools
import os
from pathlib import Path

import cv2
import numpy as np
import pytest
from skimage import data

from tools.backends import haar_scan

CASCADES = Path(cv2.data.haarcascades)
# (cascade, scale step, neighbours): the detector's face pass and its close-up cat-face pass
PASSES = [("haarcascade_frontalface_default.xml", 1.1, 5), ("haarcascade_frontalcatface_extended.xml", 1.03, 2)]


def _padded_grey(photo: np.ndarray, side: int) -> np.ndarray:
    grey = cv2.cvtColor(photo, cv2.COLOR_RGB2GRAY)
    small = cv2.resize(grey, (side, side * grey.shape[0] // grey.shape[1]), interpolation=cv2.INTER_AREA)
    border = side // 2
    return cv2.copyMakeBorder(small, border, border, border, border, cv2.BORDER_REPLICATE)


def _opencv(cascade, image: np.ndarray, step: float, neighbours: int) -> list[tuple]:
    rects, _, weights = cascade.detectMultiScale3(
        image, scaleFactor=step, minNeighbors=neighbours, minSize=(20, 20), outputRejectLevels=True
    )
    return sorted((tuple(int(v) for v in r), round(float(w), 5)) for r, w in zip(rects, np.ravel(weights), strict=True))


@pytest.mark.parametrize("photo", ["astronaut", "chelsea", "coffee"])
@pytest.mark.parametrize(("file", "step", "neighbours"), PASSES)
@pytest.mark.parametrize("group_pixels", [1, 300_000, haar_scan.GROUP_PIXELS])
def test_groups_of_scales_find_what_one_call_finds(photo, file, step, neighbours, group_pixels):
    image = _padded_grey(getattr(data, photo)(), 240)
    cascade = cv2.CascadeClassifier(str(CASCADES / file))
    for wanted in (0, neighbours):  # the raw windows, then the grouped objects
        rects, weights = haar_scan.detect(
            cascade, image, step=step, neighbours=wanted, min_size=(20, 20), group_pixels=group_pixels
        )
        assert sorted((r, round(w, 5)) for r, w in zip(rects, weights, strict=True)) == _opencv(
            cascade, image, step, wanted
        )


def test_the_astronauts_face_is_found():
    image = cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2GRAY)
    cascade = cv2.CascadeClassifier(str(CASCADES / PASSES[0][0]))
    rects, weights = haar_scan.detect(cascade, image, step=1.1, neighbours=5, min_size=(20, 20))
    assert rects == [(177, 66, 95, 95)] and weights[0] > 2


def test_window_ranges_cut_only_where_the_window_grows():
    scales = haar_scan.pyramid_windows((640, 640), (24, 24), 1.03, (20, 20))
    ranges = haar_scan.window_ranges(scales, 1)
    assert ranges[0] == ((24, 24), (24, 24)) and ranges[1] == ((25, 25), (25, 25))  # 24 * 1.03 and 24 * 1.03^2
    assert sum(1 for s, _ in scales if s == (25, 25)) == 2
    assert all(a[1][0] < b[0][0] for a, b in itertools.pairwise(ranges))
    assert haar_scan.window_ranges(scales, 10**12) == [((24, 24), scales[-1][0])]


def _status_mb(field: str) -> float:
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) / 1024 for line in status if line.startswith(field))


@pytest.mark.skipif(not os.path.exists("/proc/self/clear_refs"), reason="resets the peak through /proc")
def test_a_fine_pyramid_is_searched_in_a_fraction_of_the_memory():
    from modeling.memory import release_free_memory

    image = _padded_grey(data.astronaut(), 320)  # the cat pass's largest image: 640 x 640 at step 1.03
    cascade = cv2.CascadeClassifier(str(CASCADES / PASSES[1][0]))
    release_free_memory()
    try:
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")
    except OSError:
        pytest.skip("cannot reset the peak here")
    before = _status_mb("VmRSS")
    haar_scan.detect(cascade, image, step=1.03, neighbours=2, min_size=(20, 20))
    # One call builds every scale's integral images at once: ~110 MB over the resident memory
    assert _status_mb("VmHWM") - before < 50
