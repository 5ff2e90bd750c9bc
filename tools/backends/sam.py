"""Segment Anything (transformers ``SamModel``, the facebook/sam-vit-* checkpoints): whole-image and box prompts.

Whole-image segmentation prompts a grid of points, keeps confident masks and drops near-duplicates,
then paints each region in its own colour.
"""

from __future__ import annotations

import numpy as np
import torch
from PIL import Image

from tools.backends.hf import PretrainedFamily, to_device
from tools.outputs import InputImage
from tools.runtime import ToolContext

GRID_POINTS = 12  # points per side of the prompt grid
POINTS_PER_BATCH = 48
MIN_SCORE = 0.75
MAX_OVERLAP = 0.7
MIN_AREA = 0.001  # share of the image


class SamFamily(PretrainedFamily):
    default_checkpoint = "facebook/sam-vit-huge"
    model_class = "SamModel"
    processor_class = "SamProcessor"
    gpu_memory_gb = 2.6


def _predict(ctx: ToolContext, image: Image.Image, **prompts: list) -> tuple[np.ndarray, np.ndarray]:
    """Masks (prompts, height, width) and their predicted IoU for point or box ``prompts`` (one mask each)."""
    processor, model = ctx.model("Segmenting")
    inputs = processor(images=image, return_tensors="pt", **prompts)
    original_sizes, reshaped_sizes = inputs.pop("original_sizes"), inputs.pop("reshaped_input_sizes")
    with torch.inference_mode():
        outputs = model(**to_device(inputs, model.device, model.dtype), multimask_output=False)
    masks = processor.image_processor.post_process_masks(
        outputs.pred_masks.float().cpu(), original_sizes, reshaped_sizes
    )[0]
    return masks[:, 0].numpy().astype(bool), outputs.iou_scores[0, :, 0].float().cpu().numpy()


def masks_for_boxes(ctx: ToolContext, image: Image.Image, boxes: list[tuple[int, int, int, int]]) -> np.ndarray:
    """One boolean mask per box, shape (boxes, height, width)."""
    masks, _ = _predict(ctx, image, input_boxes=[[list(map(float, box)) for box in boxes]])
    return masks


def segment_regions(ctx: ToolContext, image: Image.Image) -> list[np.ndarray]:
    """Non-overlapping confident masks from a grid of point prompts, best first."""
    width, height = image.size
    steps = (np.arange(GRID_POINTS) + 0.5) / GRID_POINTS
    points = [[float(x * width), float(y * height)] for y in steps for x in steps]
    candidates: list[tuple[float, np.ndarray]] = []
    for start in range(0, len(points), POINTS_PER_BATCH):
        batch = points[start : start + POINTS_PER_BATCH]
        masks, scores = _predict(ctx, image, input_points=[[[p] for p in batch]])
        candidates += [(float(s), m) for s, m in zip(scores, masks, strict=True) if s >= MIN_SCORE]
    kept: list[np.ndarray] = []
    covered = np.zeros((height, width), dtype=bool)
    for _, mask in sorted(candidates, key=lambda c: -c[0]):
        area = mask.sum()
        if area >= MIN_AREA * mask.size and (mask & covered).sum() <= MAX_OVERLAP * area:
            kept.append(mask & ~covered)
            covered |= mask
    return kept


def colour_regions(image: Image.Image, masks: list[np.ndarray]) -> Image.Image:
    """Each mask painted over ``image`` in its own colour (half transparent)."""
    canvas = np.asarray(image, dtype=np.float32).copy()
    rng = np.random.default_rng(0)
    for mask in masks:
        canvas[mask] = 0.5 * canvas[mask] + 0.5 * rng.integers(0, 256, size=3)
    return Image.fromarray(canvas.astype(np.uint8))


def segment_everything(ctx: ToolContext, image: InputImage) -> Image.Image:
    return colour_regions(image.image, segment_regions(ctx, image.image))
