"""Pose skeletons, person segmentation and face boxes with the models bundled in the ``mediapipe`` wheel
(legacy solutions API)."""

from __future__ import annotations

import contextlib
import io
import logging
from typing import Any

import numpy as np
from PIL import Image, ImageDraw

from tools.errors import CheckpointUnavailableError, LoadSpecError, NothingFoundError
from tools.failures import NO_PERSON_FOR_BACKGROUND, NO_PERSON_FOR_POSE
from tools.model_family import ModelFamily
from tools.outputs import Box, InputImage
from tools.runtime import ToolContext

logger = logging.getLogger(__name__)

MASK_THRESHOLD = 0.5
# A person mask under this share of the picture is slivers the selfie segmenter takes for a person on a photo with
# none (a 1.3% streak of the scikit-image motorcycle, 2.2% of the clock), which the removal had kept as its result
MIN_PERSON_SHARE = 0.025


# mediapipe 0.10.21's C++ bindings print this when imported next to protobuf 6 (which tensorboard needs) and
# then work; every other line printed during the import is passed on to the log.
_HARMLESS_IMPORT_NOISE = "AttributeError: 'MessageFactory' object has no attribute 'GetPrototype'"


def _import_mediapipe() -> Any:
    """``import mediapipe`` without the known harmless line on stderr (the first import prints it)."""
    printed = io.StringIO()
    with contextlib.redirect_stderr(printed):
        import mediapipe
    for line in printed.getvalue().splitlines():
        if line.strip() and line.strip() != _HARMLESS_IMPORT_NOISE:
            logger.warning("mediapipe: %s", line)
    return mediapipe


def solutions() -> Any:
    try:
        return _import_mediapipe().solutions
    except (ImportError, AttributeError) as error:
        raise CheckpointUnavailableError(
            f"mediapipe with its bundled models is not usable ({error}); pip install --no-deps mediapipe==0.10.21"
        ) from None


class PoseFamily(ModelFamily):
    """MediaPipe BlazePose (33 landmarks), static-image mode, the full model shipped in the wheel."""

    gpu_memory_gb = 0.0

    def check(self) -> None:
        solutions()

    def build(self) -> Any:
        return solutions().pose.Pose(static_image_mode=True, model_complexity=1)

    def unload(self) -> None:
        if self.loaded:
            self.get().close()
        super().unload()


# The ``model`` option of background removal: MediaPipe's selfie segmenters (general: 256x256 input,
# landscape: 144x256, faster) or BlazePose's segmentation output (the person whose pose it finds).
SEGMENTERS = ("general", "landscape", "pose")


class SelfieSegmentationFamily(ModelFamily):
    """MediaPipe person segmentation with a model shipped in the wheel; option ``model`` (default ``general``)."""

    def check(self) -> None:
        solutions()
        self._model_name()

    def _model_name(self) -> str:
        model = self.options.get("model", "general")
        if model not in SEGMENTERS:
            raise LoadSpecError(f"{self.name}: model {model!r} is not one of {', '.join(SEGMENTERS)}")
        return model

    def build(self) -> Any:
        model = self._model_name()
        if model == "pose":
            return solutions().pose.Pose(static_image_mode=True, model_complexity=1, enable_segmentation=True)
        return solutions().selfie_segmentation.SelfieSegmentation(model_selection=SEGMENTERS.index(model))

    def unload(self) -> None:
        if self.loaded:
            self.get().close()
        super().unload()


def pose_landmarks(ctx: ToolContext, image: Image.Image) -> list[tuple[float, float, float]]:
    """(x, y, visibility) in pixels for the 33 landmarks of the most prominent person; empty if none."""
    result = ctx.model().process(np.asarray(image))
    if result.pose_landmarks is None:
        return []
    return [(p.x * image.width, p.y * image.height, p.visibility) for p in result.pose_landmarks.landmark]


def pose(ctx: ToolContext, image: InputImage) -> Image.Image:
    """The pose skeleton drawn on black (the kind of image pose-conditioned generators take)."""
    landmarks = pose_landmarks(ctx, image.image)
    if not landmarks:
        raise NothingFoundError(NO_PERSON_FOR_POSE)
    canvas = Image.new("RGB", image.image.size)
    draw = ImageDraw.Draw(canvas)
    width = max(2, round(max(canvas.size) / 150))
    connections = solutions().pose.POSE_CONNECTIONS
    for index, (a, b) in enumerate(sorted(connections)):
        if landmarks[a][2] > MASK_THRESHOLD and landmarks[b][2] > MASK_THRESHOLD:
            hue = index * 255 // len(connections)
            colour = Image.new("HSV", (1, 1), (hue, 255, 255)).convert("RGB").getpixel((0, 0))
            draw.line((landmarks[a][:2], landmarks[b][:2]), fill=colour, width=width)
    for x, y, visibility in landmarks:
        if visibility > MASK_THRESHOLD:
            draw.ellipse((x - width, y - width, x + width, y + width), fill=(255, 255, 255))
    return canvas


def person_mask(ctx: ToolContext, image: Image.Image) -> np.ndarray:
    """Boolean (height, width) mask of the people in ``image``."""
    mask = ctx.model().process(np.asarray(image)).segmentation_mask
    if mask is None:  # BlazePose segments only the person whose pose it found
        return np.zeros((image.height, image.width), dtype=bool)
    return mask > MASK_THRESHOLD


class MediapipeFaces:
    """MediaPipe's face detector (BlazeFace) as a Detection backend: ``selection`` 0 short range, 1 full."""

    def __init__(self, selection: int, min_confidence: float = 0.5) -> None:
        self.detector = solutions().face_detection.FaceDetection(
            model_selection=selection, min_detection_confidence=min_confidence
        )
        self.min_confidence = min_confidence  # the solution passes weaker faces on (0.53 asked for 0.9)

    def __call__(self, gray: np.ndarray, rgb: np.ndarray) -> list[Box]:
        height, width = rgb.shape[:2]
        boxes = []
        for detection in self.detector.process(np.ascontiguousarray(rgb)).detections or ():
            if detection.score[0] < self.min_confidence:
                continue
            relative = detection.location_data.relative_bounding_box
            x0, y0 = relative.xmin * width, relative.ymin * height
            x1, y1 = x0 + relative.width * width, y0 + relative.height * height
            clipped = (max(0, round(x0)), max(0, round(y0)), min(width, round(x1)), min(height, round(y1)))
            if clipped[2] > clipped[0] and clipped[3] > clipped[1]:
                boxes.append(Box("face", round(float(detection.score[0]), 3), clipped))
        return boxes


def remove_background(ctx: ToolContext, image: InputImage) -> Image.Image:
    """The image with everything but the people made transparent (RGBA)."""
    mask = person_mask(ctx, image.image)
    if mask.mean() < MIN_PERSON_SHARE:
        raise NothingFoundError(NO_PERSON_FOR_BACKGROUND)
    rgba = image.image.convert("RGBA")
    rgba.putalpha(Image.fromarray(mask.astype(np.uint8) * 255))
    return rgba
