"""Template tools built from other families: segment a named object, remove or replace it, extend an image."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageFilter

from tools.backends.blip import answer, caption
from tools.backends.diffusion import inpaint
from tools.backends.grounding import find_boxes
from tools.backends.sam import masks_for_boxes
from tools.errors import ToolExecutionError
from tools.failures import object_not_found
from tools.outputs import InputImage
from tools.runtime import ToolContext

MASK_GROW = 15  # pixels the object mask grows by before inpainting, so no outline is left


def object_mask(ctx: ToolContext, image: InputImage, name: str) -> Image.Image:
    """White where ``name`` is (every instance found), black elsewhere."""
    boxes = find_boxes(ctx, image, name)
    if not boxes:
        raise ToolExecutionError(object_not_found(name, image.name))
    masks = masks_for_boxes(ctx, image.image, [box.box for box in boxes])
    return Image.fromarray(np.any(masks, axis=0).astype(np.uint8) * 255)


def segment_object(ctx: ToolContext, image: InputImage, name: str) -> Image.Image:
    return object_mask(ctx, image, name)


def repaint_object(ctx: ToolContext, image: InputImage, name: str, prompt: str) -> Image.Image:
    """``name`` (its mask grown by :data:`MASK_GROW`) painted over as ``prompt`` says; the rest of the photo kept."""
    mask = object_mask(ctx, image, name).filter(ImageFilter.MaxFilter(2 * MASK_GROW + 1))
    return Image.composite(inpaint(ctx, image.image, mask, prompt), image.image, mask)


def remove_object(ctx: ToolContext, image: InputImage, name: str) -> Image.Image:
    return repaint_object(ctx, image, name, "background, empty scene, nothing there")


def replace_object(ctx: ToolContext, image: InputImage, name: str, replacement: str) -> Image.Image:
    return repaint_object(ctx, image, name, replacement)


def extend_image(ctx: ToolContext, image: InputImage, size: tuple[int, int]) -> Image.Image:
    """The image centred on a ``size`` canvas whose new border is painted to match (outpainting)."""
    width, height = size
    source = image.image
    scale = min(1.0, width / source.width, height / source.height)
    inner = source.resize((max(1, round(source.width * scale)), max(1, round(source.height * scale))))
    offset = ((width - inner.width) // 2, (height - inner.height) // 2)
    canvas = Image.new("RGB", size, (127, 127, 127))
    canvas.paste(inner, offset)
    mask = Image.new("L", size, 255)
    mask.paste(0, (*offset, offset[0] + inner.width, offset[1] + inner.height))
    description = caption(ctx, image)
    background = answer(ctx, image, "what is the background?")
    result = inpaint(ctx, canvas, mask, f"{description}, {background}")
    result.paste(inner, offset)
    return result
