"""Segment Anything: whole-image segmentation and box prompts, from either kind of checkpoint.

* a transformers ``SamModel`` checkpoint (``facebook/sam-vit-huge`` and the like: a hub id in the cache or a
  directory), run through ``SamProcessor``;
* an original ``.pth`` checkpoint (``sam_vit_h_4b8939.pth``), run through segment-anything's own network
  (:mod:`tools.backends.sam_checkpoint`).

Both are a :class:`SamPrompter`: the image goes through the encoder once, then prompts are decoded in batches.
Whole-image segmentation prompts a grid of points, keeps confident masks and drops near-duplicates, then paints
each region in its own colour.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import torch
from PIL import Image

from tools.backends.hf import PretrainedFamily, to_device
from tools.backends.sam_checkpoint import check_sam_checkpoint, is_sam_checkpoint_file, load_sam_checkpoint
from tools.outputs import InputImage
from tools.runtime import ToolContext

GRID_POINTS = 12  # points per side of the prompt grid
POINTS_PER_BATCH = 48
MIN_SCORE = 0.75
MAX_OVERLAP = 0.7
MIN_AREA = 0.001  # share of the image


class SamPrompter(Protocol):
    """What the tools need from a SAM: encode an image once, then masks for point or box prompts."""

    def embed(self, image: Image.Image) -> Any: ...

    def predict(
        self, embedded: Any, *, points: list[list[float]] | None = None, boxes: list[list[float]] | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Boolean masks ``(prompts, height, width)`` and their predicted IoU, one per point or box (in pixels)."""
        ...


@dataclass
class TransformersSamPrompter:
    """A transformers ``SamModel`` with its ``SamProcessor``."""

    processor: Any
    model: Any

    def embed(self, image: Image.Image) -> tuple[Image.Image, torch.Tensor]:
        pixels = self.processor(images=image, return_tensors="pt")["pixel_values"]
        with torch.inference_mode():
            return image, self.model.get_image_embeddings(pixels.to(self.model.device, self.model.dtype))

    def predict(
        self,
        embedded: tuple[Image.Image, torch.Tensor],
        *,
        points: list[list[float]] | None = None,
        boxes: list[list[float]] | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        image, embeddings = embedded
        prompts = {"input_points": [[[point] for point in points]]} if points is not None else {"input_boxes": [boxes]}
        inputs = self.processor(images=image, return_tensors="pt", **prompts)
        original_sizes, reshaped_sizes = inputs.pop("original_sizes"), inputs.pop("reshaped_input_sizes")
        del inputs["pixel_values"]
        with torch.inference_mode():
            outputs = self.model(
                image_embeddings=embeddings,
                **to_device(inputs, self.model.device, self.model.dtype),
                multimask_output=False,
            )
        masks = self.processor.image_processor.post_process_masks(
            outputs.pred_masks.float().cpu(), original_sizes, reshaped_sizes
        )[0]
        return masks[:, 0].numpy().astype(bool), outputs.iou_scores[0, :, 0].float().cpu().numpy()


class SamFamily(PretrainedFamily):
    """``Segmenting``: a transformers SAM checkpoint, or an original ``.pth`` file (options ``model_type``:
    ``vit_h`` / ``vit_l`` / ``vit_b``, default from the file name, or an explicit ``architecture``)."""

    default_checkpoint = "facebook/sam-vit-huge"
    model_class = "SamModel"
    processor_class = "SamProcessor"
    gpu_memory_gb = 2.6

    def check(self) -> None:
        if is_sam_checkpoint_file(self.checkpoint):
            check_sam_checkpoint(self.checkpoint, self.options)
        else:
            super().check()

    def build(self) -> SamPrompter:
        if is_sam_checkpoint_file(self.checkpoint):
            return load_sam_checkpoint(self.checkpoint, self.options, self.device)
        return TransformersSamPrompter(*super().build())


def masks_for_boxes(ctx: ToolContext, image: Image.Image, boxes: list[tuple[int, int, int, int]]) -> np.ndarray:
    """One boolean mask per box, shape (boxes, height, width)."""
    prompter: SamPrompter = ctx.model("Segmenting")
    masks, _ = prompter.predict(prompter.embed(image), boxes=[list(map(float, box)) for box in boxes])
    return masks


def segment_regions(ctx: ToolContext, image: Image.Image) -> list[np.ndarray]:
    """Non-overlapping confident masks from a grid of point prompts, best first."""
    prompter: SamPrompter = ctx.model("Segmenting")
    embedded = prompter.embed(image)
    width, height = image.size
    steps = (np.arange(GRID_POINTS) + 0.5) / GRID_POINTS
    points = [[float(x * width), float(y * height)] for y in steps for x in steps]
    candidates: list[tuple[float, np.ndarray]] = []
    for start in range(0, len(points), POINTS_PER_BATCH):
        masks, scores = prompter.predict(embedded, points=points[start : start + POINTS_PER_BATCH])
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
