"""OpenCV tools that need no downloaded weights: edges (Canny, Sobel), line segments (LSD, Hough), cropping,
rotating, resizing, blurring a region, Haar-cascade detection."""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from PIL import Image

from tools.backends import haar_scan
from tools.errors import CheckpointUnavailableError, LoadSpecError, ToolArgumentError
from tools.failures import empty_box
from tools.model_family import ModelFamily
from tools.outputs import CLIPPED_BOX, MAX_RESIZE_SIDE, Box, Detections, InputImage, NotedImage, box_iou
from tools.runtime import ToolContext

CANNY_THRESHOLDS = (100, 200)
AUTO_CANNY_SPREAD = 0.33  # thresholds at (1 -/+ spread) x the median grey level (the usual "auto Canny")
LSD_SCALE = 0.8  # OpenCV's default: the image is scaled by this before line segment detection
HOUGH_VOTES = 50


class NoModelFamily(ModelFamily):
    """A family whose tools are plain image processing: its "model" is the options its tools read."""

    def build(self) -> Any:
        return dict(self.options)


def canny(ctx: ToolContext, image: InputImage) -> Image.Image:
    """White Canny edges on black."""
    return Image.fromarray(cv2.Canny(_gray(image), *CANNY_THRESHOLDS))


def canny_auto(ctx: ToolContext, image: InputImage) -> Image.Image:
    """Canny edges of a lightly blurred copy with thresholds set from the image's median grey level."""
    gray = cv2.GaussianBlur(_gray(image), (5, 5), 0)
    median = float(np.median(gray))
    low, high = max(0.0, (1 - AUTO_CANNY_SPREAD) * median), min(255.0, (1 + AUTO_CANNY_SPREAD) * median)
    return Image.fromarray(cv2.Canny(gray, low, max(high, low + 1)))


def sobel_edges(ctx: ToolContext, image: InputImage) -> Image.Image:
    """One-pixel white edges where the Sobel gradient is strong (Otsu's threshold, then thinned)."""
    from skimage.morphology import skeletonize

    gray = cv2.GaussianBlur(_gray(image), (3, 3), 0).astype(np.float32)
    magnitude = cv2.magnitude(cv2.Sobel(gray, cv2.CV_32F, 1, 0), cv2.Sobel(gray, cv2.CV_32F, 0, 1))
    scaled = cv2.normalize(magnitude, None, 0, 255, cv2.NORM_MINMAX).astype(np.uint8)
    _, strong = cv2.threshold(scaled, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    return Image.fromarray(skeletonize(strong > 0).astype(np.uint8) * 255)


def line_segments(ctx: ToolContext, image: InputImage) -> Image.Image:
    """White straight line segments (OpenCV's line segment detector) on black.

    Option ``lsd_scale`` (default 0.8): the share of the size LSD looks at; smaller finds fewer, longer lines.
    """
    gray = _gray(image)
    detector = cv2.createLineSegmentDetector(cv2.LSD_REFINE_STD, ctx.model().get("lsd_scale", LSD_SCALE))
    lines = detector.detect(gray)[0]
    return _draw_lines(gray.shape, lines)


def hough_lines(ctx: ToolContext, image: InputImage) -> Image.Image:
    """White straight line segments found by the probabilistic Hough transform over Canny edges."""
    gray = _gray(image)
    min_length = max(gray.shape) / 40
    lines = cv2.HoughLinesP(
        cv2.Canny(gray, *CANNY_THRESHOLDS), 1, np.pi / 180, HOUGH_VOTES, minLineLength=min_length, maxLineGap=3
    )
    return _draw_lines(gray.shape, lines)


def _gray(image: InputImage) -> np.ndarray:
    return cv2.cvtColor(np.asarray(image.image), cv2.COLOR_RGB2GRAY)


def _draw_lines(shape: tuple[int, ...], lines: np.ndarray | None) -> Image.Image:
    """Segments (x0, y0, x1, y1) at least 1/40 of the longest side long, drawn white on black."""
    canvas = np.zeros(shape[:2], dtype=np.uint8)
    min_length = max(shape[:2]) / 40
    for x0, y0, x1, y1 in lines.reshape(-1, 4) if lines is not None else ():
        if math.hypot(x1 - x0, y1 - y0) >= min_length:
            cv2.line(canvas, (round(x0), round(y0)), (round(x1), round(y1)), 255, 1, cv2.LINE_AA)
    return Image.fromarray(canvas)


def _pixel_box(image: Image.Image, corners: tuple[float, float, float, float], tool: str) -> tuple[int, int, int, int]:
    """The rectangle (left, top, right, bottom) in whole pixels, clipped to the image; empty is an argument error."""
    left, top, right, bottom = corners
    width, height = image.size
    box = (max(0, round(left)), max(0, round(top)), min(width, round(right)), min(height, round(bottom)))
    if box[2] <= box[0] or box[3] <= box[1]:
        raise ToolArgumentError(empty_box(tool, corners, image.size))
    return box


def _with_clip_note(
    result: Image.Image, image: Image.Image, asked: tuple[float, ...], used: tuple[int, ...], edit: str
) -> Image.Image | NotedImage:
    """``result``, with a note that says so when the box ``used`` is not the box ``asked`` (clipped to ``image``):
    asked to "crop it to 0,0,5000,5000" of a 512 x 512 photo, the crop was the whole photo, and done was said."""
    if tuple(round(corner) for corner in asked) == used:
        return result
    asked_text, used_text = (", ".join(f"{corner:g}" for corner in box) for box in (asked, used))
    width, height = image.size
    note = CLIPPED_BOX.format(asked=asked_text, width=width, height=height, edit=edit, used=used_text)
    return NotedImage(result, note)


def crop(  # noqa: PLR0917 (the arguments of the tool, in the order the model writes them)
    ctx: ToolContext, image: InputImage, left: float, top: float, right: float, bottom: float
) -> Image.Image | NotedImage:
    """The rectangle (left, top, right, bottom) in pixels, clipped to the image (with a note when it was)."""
    box = _pixel_box(image.image, (left, top, right, bottom), "crop")
    return _with_clip_note(image.image.crop(box), image.image, (left, top, right, bottom), box, "crop")


def rotate(ctx: ToolContext, image: InputImage, angle: float) -> Image.Image:
    """The image turned counter-clockwise by ``angle`` degrees; the canvas grows to hold all of it."""
    if not math.isfinite(angle):
        raise ToolArgumentError(f"rotation angle must be a finite number of degrees, got {angle!r}")
    fill = (0, 0, 0, 0) if image.image.mode == "RGBA" else "black"
    return image.image.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=fill)


def resize(ctx: ToolContext, image: InputImage, width: float, height: float) -> Image.Image:
    """The image scaled to ``width`` x ``height`` pixels (area averaging when shrinking)."""
    size = (round(width), round(height))
    if not all(1 <= side <= MAX_RESIZE_SIDE for side in size):
        raise ToolArgumentError(
            f"resize to {width:g}x{height:g} is out of range; give a width and height from 1 to {MAX_RESIZE_SIDE} pixels"
        )
    shrinking = size[0] * size[1] < image.image.size[0] * image.image.size[1]
    array = cv2.resize(np.asarray(image.image), size, interpolation=cv2.INTER_AREA if shrinking else cv2.INTER_CUBIC)
    return Image.fromarray(array)


def blur_region(  # noqa: PLR0917 (the arguments of the tool, in the order the model writes them)
    ctx: ToolContext, image: InputImage, left: float, top: float, right: float, bottom: float
) -> Image.Image | NotedImage:
    """The image with the rectangle (left, top, right, bottom) blurred past recognition; the rest is untouched (a
    note says so when the rectangle was clipped to the image)."""
    box = x0, y0, x1, y1 = _pixel_box(image.image, (left, top, right, bottom), "blur")
    array = np.array(image.image)
    region = array[y0:y1, x0:x1]
    # Odd and about half the region: a quarter of a face's box had left its eyes and smile readable.
    kernel = max(3, (max(region.shape[:2]) // 2) | 1)
    array[y0:y1, x0:x1] = cv2.GaussianBlur(region, (kernel, kernel), 0)
    return _with_clip_note(Image.fromarray(array), image.image, (left, top, right, bottom), box, "blur")


# (label, cascade file, minimum stage weight, passes): a pass is (longest side the image is scaled to,
# padding as a share of that side, scale step, minimum neighbours). Close-up cat faces are only found on
# small, padded copies.
_Pass = tuple[int, float, float, int]
_Cascade = tuple[str, str, float, tuple[_Pass, ...]]
_ONE_PASS: tuple[_Pass, ...] = ((640, 0.25, 1.1, 5),)
_CASCADES: tuple[_Cascade, ...] = (
    ("face", "haarcascade_frontalface_default.xml", 2.0, _ONE_PASS),
    (
        "cat",
        "haarcascade_frontalcatface_extended.xml",
        1.2,
        ((135, 0.5, 1.03, 2), (180, 0.5, 1.03, 2), (320, 0.5, 1.03, 2)),
    ),
    ("person", "haarcascade_fullbody.xml", 1.0, _ONE_PASS),
    ("upper body", "haarcascade_upperbody.xml", 1.0, _ONE_PASS),
)
# The ``faces`` option: which detector finds the faces (the other labels always come from the cascades).
# The alt cascades' stage weights run on another scale (true faces ~56, no false positive above 0 on
# scikit-image's photos), so they keep every detection the neighbour vote keeps.
HAAR_FACES: dict[str, _Cascade] = {
    "haar-default": _CASCADES[0],
    "haar-alt": ("face", "haarcascade_frontalface_alt.xml", 0.0, _ONE_PASS),
    "haar-alt2": ("face", "haarcascade_frontalface_alt2.xml", 0.0, _ONE_PASS),
}
MEDIAPIPE_FACES = {"mediapipe-short": 0, "mediapipe-full": 1}  # the face detectors' model_selection
# The default: Haar's frontal faces, and the faces MediaPipe's short-range model finds that overlap none of them
# (Haar misses the cameraman's turned face; on the competition's 30 face photos F1 0.700 -> 0.778, no photo worse)
HAAR_AND_MEDIAPIPE = "haar-mediapipe"
# BlazeFace's least confidence for a face beside the cascade's: on scikit-image's cat and coffee turned by 30-135
# degrees it saw faces at 0.51-0.62; the cameraman's is 0.77, and the benchmark's F1 is the same from 0.5 to 0.75
BESIDE_CONFIDENCE = 0.7
FACE_CHOICES = (HAAR_AND_MEDIAPIPE, *HAAR_FACES, *MEDIAPIPE_FACES)
NMS_IOU = 0.3
Detector = Callable[[np.ndarray, np.ndarray], list[Box]]  # (grey, RGB) -> boxes


LABELS = tuple(label for label, _, _, _ in _CASCADES)


class HaarCascadeFamily(ModelFamily):
    """Faces, cat faces and bodies with the Haar cascades that ship inside opencv-python (< 5).

    Options: ``faces`` picks the face detector: ``haar-mediapipe`` (the default: the default cascade, and the
    faces BlazeFace's short-range model finds beside its own), ``haar-default``, ``haar-alt``, ``haar-alt2``
    (frontal-face cascades alone), ``mediapipe-short`` or ``mediapipe-full`` (MediaPipe's BlazeFace models alone,
    for faces within about 2 m and up to about 5 m); ``labels`` limits what is detected (default: all of face,
    cat, person, upper body).
    """

    def check(self) -> None:
        faces, labels = self._settings()
        files = [f for label, f, _, _ in _CASCADES[1:] if label in labels]
        files += [HAAR_FACES[faces][1]] if faces in HAAR_FACES and "face" in labels else []
        missing = [f for f in files if not (Path(cv2.data.haarcascades) / f).is_file()]
        if missing:
            raise CheckpointUnavailableError(
                f"OpenCV {cv2.__version__} ships no Haar cascades {missing}; install opencv<5"
            )
        if faces not in HAAR_FACES and "face" in labels:
            from tools.backends.mediapipe import solutions

            solutions()

    def _settings(self) -> tuple[str, tuple[str, ...]]:
        faces = self.options.get("faces", HAAR_AND_MEDIAPIPE)
        if faces not in FACE_CHOICES:
            raise LoadSpecError(f"{self.name}: faces {faces!r} is not one of {', '.join(FACE_CHOICES)}")
        labels = tuple(self.options.get("labels", LABELS))
        if not labels or set(labels) - set(LABELS):
            raise LoadSpecError(f"{self.name}: labels {list(labels)} should be some of {', '.join(LABELS)}")
        return faces, labels

    def build(self) -> Any:
        faces, labels = self._settings()
        detectors: dict[str, Detector] = {}
        for cascade in (HAAR_FACES.get(faces, _CASCADES[0]), *_CASCADES[1:]):
            label, file = cascade[0], cascade[1]
            if label not in labels:
                continue
            if label == "face" and faces in MEDIAPIPE_FACES:
                from tools.backends.mediapipe import MediapipeFaces

                detectors[label] = MediapipeFaces(MEDIAPIPE_FACES[faces])
            else:
                detectors[label] = partial(_cascade_boxes, Path(cv2.data.haarcascades) / file, cascade)
            if label == "face" and faces == HAAR_AND_MEDIAPIPE:
                from tools.backends.mediapipe import MediapipeFaces

                detectors[label] = FacesBeside(detectors[label], MediapipeFaces(0, BESIDE_CONFIDENCE))
        return detectors


class FacesBeside:
    """The faces ``first`` finds, then those ``second`` finds that overlap none of them. A picture turned by a
    quarter is searched by ``first`` alone: BlazeFace found a face in a coffee cup lying on its side."""

    def __init__(self, first: Detector, second: Detector) -> None:
        self.first, self.second = first, second

    def __call__(self, gray: np.ndarray, rgb: np.ndarray) -> list[Box]:
        found = self.first(gray, rgb)
        beside = [box for box in self.second(gray, rgb) if all(box_iou(box.box, kept.box) < NMS_IOU for kept in found)]
        return found + beside


def detect_objects(ctx: ToolContext, image: InputImage) -> Detections:
    """Faces, cats and people found by the detectors, strongest first, overlaps suppressed per label."""
    rgb = np.asarray(image.image)
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    detectors = ctx.model()
    found = [box for detector in detectors.values() for box in detector(gray, rgb)]
    if "face" in detectors and not any(box.label == "face" for box in found):
        faces = detectors["face"]
        found += _sideways_faces(faces.first if isinstance(faces, FacesBeside) else faces, gray, rgb)
    return Detections(image.image, tuple(sorted(found, key=lambda b: -b.score)), finds_only=tuple(detectors))


def _sideways_faces(detector: Detector, gray: np.ndarray, rgb: np.ndarray) -> list[Box]:
    """The faces of a picture lying on its side (a photo turned by a quarter: "rotate it 90 degrees", then "blur her
    face" found none), in the picture's own pixels: those the first quarter turn back that finds any finds. The
    detectors find upright faces only."""
    height, width = gray.shape
    for turns in (1, 3):  # counter-clockwise, then clockwise
        upright = detector(np.ascontiguousarray(np.rot90(gray, turns)), np.ascontiguousarray(np.rot90(rgb, turns)))
        if upright:
            return [Box(box.label, box.score, _turned_back(box.box, turns, width, height)) for box in upright]
    return []


def _turned_back(box: tuple[int, int, int, int], turns: int, width: int, height: int) -> tuple[int, int, int, int]:
    """``box`` of a ``width`` x ``height`` picture turned counter-clockwise by ``turns`` quarters (1 or 3), in the
    picture's own pixels."""
    left, top, right, bottom = box
    if turns == 1:
        return width - bottom, left, width - top, right
    return top, height - right, bottom, height - left


def _cascade_boxes(file: Path, settings: _Cascade, gray: np.ndarray, rgb: np.ndarray) -> list[Box]:
    """One cascade's boxes over all its passes, strongest first, overlaps suppressed.

    The classifier is read from its file for each call and dropped after it: OpenCV keeps a classifier's
    integral images of the last scales it searched, and reading the file again costs ~10 ms of a ~1 s detection.
    Each pass searches its scales a group at a time (:mod:`tools.backends.haar_scan`).
    """
    label, _, min_weight, passes = settings
    cascade = cv2.CascadeClassifier(str(file))
    candidates = [box for p in passes for box in _cascade_pass(cascade, gray, label, min_weight, p)]
    return _suppress(sorted(candidates, key=lambda b: -b.score))


def _cascade_pass(cascade: Any, gray: np.ndarray, label: str, min_weight: float, settings: _Pass) -> list[Box]:
    side, pad, step, neighbours = settings
    height, width = gray.shape
    scale = min(1.0, side / max(height, width))
    small = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    border = round(max(small.shape) * pad)
    padded = cv2.copyMakeBorder(small, border, border, border, border, cv2.BORDER_REPLICATE)
    rects, weights = haar_scan.detect(cascade, padded, step=step, neighbours=neighbours, min_size=(20, 20))
    boxes = []
    for (x, y, w, h), weight in zip(rects, weights, strict=True):
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
        if all(box_iou(box.box, other.box) < NMS_IOU for other in kept):
            kept.append(box)
    return kept
