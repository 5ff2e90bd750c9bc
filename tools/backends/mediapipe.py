"""Pose skeletons and person segmentation with the models bundled in the ``mediapipe`` wheel (legacy solutions API)."""

from __future__ import annotations

import contextlib
import io
import logging
from typing import Any

import numpy as np
from PIL import Image, ImageDraw

from tools.errors import CheckpointUnavailableError, ToolExecutionError
from tools.failures import NO_PERSON_FOR_BACKGROUND, NO_PERSON_FOR_POSE
from tools.model_family import ModelFamily
from tools.outputs import InputImage
from tools.runtime import ToolContext

logger = logging.getLogger(__name__)

MASK_THRESHOLD = 0.5


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


def _solutions() -> Any:
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
        _solutions()

    def build(self) -> Any:
        return _solutions().pose.Pose(static_image_mode=True, model_complexity=1)

    def unload(self) -> None:
        if self.loaded:
            self.get().close()
        super().unload()


class SelfieSegmentationFamily(ModelFamily):
    """MediaPipe selfie (person) segmentation, general model shipped in the wheel."""

    def check(self) -> None:
        _solutions()

    def build(self) -> Any:
        return _solutions().selfie_segmentation.SelfieSegmentation(model_selection=0)

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
        raise ToolExecutionError(NO_PERSON_FOR_POSE)
    canvas = Image.new("RGB", image.image.size)
    draw = ImageDraw.Draw(canvas)
    width = max(2, round(max(canvas.size) / 150))
    connections = _solutions().pose.POSE_CONNECTIONS
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
    return ctx.model().process(np.asarray(image)).segmentation_mask > MASK_THRESHOLD


def remove_background(ctx: ToolContext, image: InputImage) -> Image.Image:
    """The image with everything but the people made transparent (RGBA)."""
    mask = person_mask(ctx, image.image)
    if not mask.any():
        raise ToolExecutionError(NO_PERSON_FOR_BACKGROUND)
    rgba = image.image.convert("RGBA")
    rgba.putalpha(Image.fromarray(mask.astype(np.uint8) * 255))
    return rgba
