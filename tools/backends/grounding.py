"""Text-prompted object detection with Grounding DINO (transformers)."""

from __future__ import annotations

import logging

import torch

from tools.backends.hf import PretrainedFamily, to_device
from tools.outputs import Box, Detections, InputImage, object_names
from tools.runtime import ToolContext

logger = logging.getLogger(__name__)
BOX_THRESHOLD = 0.3
TEXT_THRESHOLD = 0.25


class GroundingFamily(PretrainedFamily):
    default_checkpoint = "IDEA-Research/grounding-dino-tiny"
    model_class = "AutoModelForZeroShotObjectDetection"
    gpu_memory_gb = 0.8


def box_threshold(ctx: ToolContext) -> float:
    return float(ctx.runtime.families["Text2Box"].options.get("box_threshold", BOX_THRESHOLD))


def find_boxes(ctx: ToolContext, image: InputImage, name: str) -> tuple[Box, ...]:
    """Boxes of ``name`` in the image scoring above the family's ``box_threshold``, most confident first.

    Every box is labelled ``name``: the one phrase asked for (the decoded token span can hold separators).
    """
    processor, model = ctx.model("Text2Box")
    phrase = name.strip().lower().rstrip(".") + "."
    inputs = processor(images=image.image, text=phrase, return_tensors="pt")
    with torch.inference_mode():
        outputs = model(**to_device(inputs, model.device, model.dtype))
    (result,) = processor.post_process_grounded_object_detection(
        outputs,
        inputs["input_ids"],
        threshold=box_threshold(ctx),
        text_threshold=TEXT_THRESHOLD,
        target_sizes=[image.image.size[::-1]],
    )
    width, height = image.image.size
    boxes = []
    for score, box in zip(result["scores"], result["boxes"], strict=True):
        x0, y0, x1, y1 = (round(float(v)) for v in box)
        clipped = (max(0, x0), max(0, y0), min(width, x1), min(height, y1))
        if clipped[2] > clipped[0] and clipped[3] > clipped[1]:
            boxes.append(Box(name, round(float(score), 3), clipped))
    return tuple(sorted(boxes, key=lambda b: -b.score))


def detect(ctx: ToolContext, image: InputImage, name: str) -> Detections:
    """Boxes of every object named, each labelled with its own name: one query per name, so a box never
    carries the label of another object; per name, the most confident first."""
    names = object_names(name)
    boxes = tuple(box for each in names for box in find_boxes(ctx, image, each))
    if not boxes:
        logger.info("no %s found with confidence above %s", " or ".join(map(repr, names)), box_threshold(ctx))
    return Detections(image.image, boxes)
