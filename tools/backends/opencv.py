"""OpenCV tools that need no downloaded weights: Canny edges, line segments, cropping, rotating, resizing,
blurring a region, Haar-cascade detection."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from PIL import Image

from tools.errors import CheckpointUnavailableError, ToolArgumentError
from tools.failures import empty_box
from tools.model_family import ModelFamily
from tools.outputs import Box, Detections, InputImage
from tools.runtime import ToolContext

CANNY_THRESHOLDS = (100, 200)


class NoModelFamily(ModelFamily):
    """A family whose tools are plain image processing (nothing to load)."""

    def build(self) -> Any:
        return True


def canny(ctx: ToolContext, image: InputImage) -> Image.Image:
    """White Canny edges on black."""
    gray = cv2.cvtColor(np.asarray(image.image), cv2.COLOR_RGB2GRAY)
    return Image.fromarray(cv2.Canny(gray, *CANNY_THRESHOLDS))


def line_segments(ctx: ToolContext, image: InputImage) -> Image.Image:
    """White straight line segments (OpenCV's line segment detector) on black."""
    gray = cv2.cvtColor(np.asarray(image.image), cv2.COLOR_RGB2GRAY)
    lines = cv2.createLineSegmentDetector().detect(gray)[0]
    canvas = np.zeros_like(gray)
    min_length = max(gray.shape) / 40
    for x0, y0, x1, y1 in lines.reshape(-1, 4) if lines is not None else ():
        if math.hypot(x1 - x0, y1 - y0) >= min_length:
            cv2.line(canvas, (round(x0), round(y0)), (round(x1), round(y1)), 255, 1, cv2.LINE_AA)
    return Image.fromarray(canvas)


MAX_SIDE = 8192  # the largest width or height Resize Image makes


def _pixel_box(image: Image.Image, corners: tuple[float, float, float, float], tool: str) -> tuple[int, int, int, int]:
    """The rectangle (left, top, right, bottom) in whole pixels, clipped to the image; empty is an argument error."""
    left, top, right, bottom = corners
    width, height = image.size
    box = (max(0, round(left)), max(0, round(top)), min(width, round(right)), min(height, round(bottom)))
    if box[2] <= box[0] or box[3] <= box[1]:
        raise ToolArgumentError(empty_box(tool, corners, image.size))
    return box


def crop(  # noqa: PLR0917 (the arguments of the tool, in the order the model writes them)
    ctx: ToolContext, image: InputImage, left: float, top: float, right: float, bottom: float
) -> Image.Image:
    """The rectangle (left, top, right, bottom) in pixels, clipped to the image."""
    return image.image.crop(_pixel_box(image.image, (left, top, right, bottom), "crop"))


def rotate(ctx: ToolContext, image: InputImage, angle: float) -> Image.Image:
    """The image turned counter-clockwise by ``angle`` degrees; the canvas grows to hold all of it."""
    if not math.isfinite(angle):
        raise ToolArgumentError(f"rotation angle must be a finite number of degrees, got {angle!r}")
    fill = (0, 0, 0, 0) if image.image.mode == "RGBA" else "black"
    return image.image.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=fill)


def resize(ctx: ToolContext, image: InputImage, width: float, height: float) -> Image.Image:
    """The image scaled to ``width`` x ``height`` pixels (area averaging when shrinking)."""
    size = (round(width), round(height))
    if not all(1 <= side <= MAX_SIDE for side in size):
        raise ToolArgumentError(
            f"resize to {width:g}x{height:g} is out of range; give a width and height from 1 to {MAX_SIDE} pixels"
        )
    shrinking = size[0] * size[1] < image.image.size[0] * image.image.size[1]
    array = cv2.resize(np.asarray(image.image), size, interpolation=cv2.INTER_AREA if shrinking else cv2.INTER_CUBIC)
    return Image.fromarray(array)


def blur_region(  # noqa: PLR0917 (the arguments of the tool, in the order the model writes them)
    ctx: ToolContext, image: InputImage, left: float, top: float, right: float, bottom: float
) -> Image.Image:
    """The image with the rectangle (left, top, right, bottom) blurred past recognition; the rest is untouched."""
    x0, y0, x1, y1 = _pixel_box(image.image, (left, top, right, bottom), "blur")
    array = np.array(image.image)
    region = array[y0:y1, x0:x1]
    kernel = max(3, (max(region.shape[:2]) // 4) | 1)  # odd, about a quarter of the region
    array[y0:y1, x0:x1] = cv2.GaussianBlur(region, (kernel, kernel), 0)
    return Image.fromarray(array)


# (label, cascade file, minimum stage weight, passes): a pass is (longest side the image is scaled to,
# padding as a share of that side, scale step, minimum neighbours). Close-up cat faces are only found on
# small, padded copies.
_Pass = tuple[int, float, float, int]
_CASCADES: tuple[tuple[str, str, float, tuple[_Pass, ...]], ...] = (
    ("face", "haarcascade_frontalface_default.xml", 2.0, ((640, 0.25, 1.1, 5),)),
    (
        "cat",
        "haarcascade_frontalcatface_extended.xml",
        1.2,
        ((135, 0.5, 1.03, 2), (180, 0.5, 1.03, 2), (320, 0.5, 1.03, 2)),
    ),
    ("person", "haarcascade_fullbody.xml", 1.0, ((640, 0.25, 1.1, 5),)),
    ("upper body", "haarcascade_upperbody.xml", 1.0, ((640, 0.25, 1.1, 5),)),
)
NMS_IOU = 0.3


class HaarCascadeFamily(ModelFamily):
    """Faces, cat faces and bodies with the Haar cascades that ship inside opencv-python (< 5)."""

    def check(self) -> None:
        missing = [f for _, f, _, _ in _CASCADES if not (Path(cv2.data.haarcascades) / f).is_file()]
        if missing:
            raise CheckpointUnavailableError(
                f"OpenCV {cv2.__version__} ships no Haar cascades {missing}; install opencv<5"
            )

    def build(self) -> Any:
        return {label: cv2.CascadeClassifier(str(Path(cv2.data.haarcascades) / f)) for label, f, _, _ in _CASCADES}


def detect_objects(ctx: ToolContext, image: InputImage) -> Detections:
    """Faces, cats and people found by the cascades, strongest first, overlaps suppressed per label."""
    cascades = ctx.model()
    gray = cv2.cvtColor(np.asarray(image.image), cv2.COLOR_RGB2GRAY)
    found: list[Box] = []
    for label, _, min_weight, passes in _CASCADES:
        candidates = [box for p in passes for box in _cascade_pass(cascades[label], gray, label, min_weight, p)]
        found += _suppress(sorted(candidates, key=lambda b: -b.score))
    return Detections(image.image, tuple(sorted(found, key=lambda b: -b.score)))


def _cascade_pass(cascade: Any, gray: np.ndarray, label: str, min_weight: float, settings: _Pass) -> list[Box]:
    side, pad, step, neighbours = settings
    height, width = gray.shape
    scale = min(1.0, side / max(height, width))
    small = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    border = round(max(small.shape) * pad)
    padded = cv2.copyMakeBorder(small, border, border, border, border, cv2.BORDER_REPLICATE)
    rects, _, weights = cascade.detectMultiScale3(
        padded, scaleFactor=step, minNeighbors=neighbours, minSize=(20, 20), outputRejectLevels=True
    )
    boxes = []
    for (x, y, w, h), weight in zip(rects, np.ravel(weights), strict=True):
        if weight < min_weight:
            continue
        x0, y0 = (x - border) / scale, (y - border) / scale
        x1, y1 = x0 + w / scale, y0 + h / scale
        clipped = (max(0, round(x0)), max(0, round(y0)), min(width, round(x1)), min(height, round(y1)))
        inside = (clipped[2] - clipped[0]) * (clipped[3] - clipped[1]) / ((x1 - x0) * (y1 - y0))
        if inside >= 0.5:
            boxes.append(Box(label, round(1 / (1 + math.exp(-float(weight))), 3), clipped))
    return boxes


def _suppress(boxes: list[Box]) -> list[Box]:
    kept: list[Box] = []
    for box in boxes:
        if all(_iou(box.box, other.box) < NMS_IOU for other in kept):
            kept.append(box)
    return kept


def _iou(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> float:
    inter = max(0, min(a[2], b[2]) - max(a[0], b[0])) * max(0, min(a[3], b[3]) - max(a[1], b[1]))
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union else 0.0
