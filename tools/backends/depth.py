"""Monocular depth (DPT / MiDaS through transformers) and a normal map derived from it."""

from __future__ import annotations

import numpy as np
import torch
from PIL import Image
from torch.nn import functional as F

from tools.backends.hf import PretrainedFamily, to_device
from tools.outputs import InputImage
from tools.runtime import ToolContext

NORMAL_BACKGROUND = 0.4  # relative depth under which surfaces count as flat background (as ControlNet's annotator)


class DepthFamily(PretrainedFamily):
    default_checkpoint = "Intel/dpt-hybrid-midas"
    model_class = "AutoModelForDepthEstimation"
    processor_class = "AutoImageProcessor"
    gpu_memory_gb = 0.5
    shares_model = True


class NormalFamily(DepthFamily):
    """Normals are computed from the depth model's relative inverse depth."""


def relative_depth(ctx: ToolContext, image: Image.Image) -> np.ndarray:
    """Relative inverse depth (near = 1, far = 0), shape (height, width)."""
    processor, model = ctx.model()
    inputs = to_device(processor(images=image, return_tensors="pt"), model.device, model.dtype)
    with torch.inference_mode():
        predicted = model(**inputs).predicted_depth
    depth = F.interpolate(predicted[:, None].float(), size=image.size[::-1], mode="bicubic", align_corners=False)
    depth = depth[0, 0].cpu().numpy()
    low, high = depth.min(), depth.max()
    return (depth - low) / (high - low) if high > low else np.zeros_like(depth)


def depth(ctx: ToolContext, image: InputImage) -> Image.Image:
    """A grey depth map (white = near)."""
    return Image.fromarray((relative_depth(ctx, image.image) * 255).astype(np.uint8))


def normal(ctx: ToolContext, image: InputImage) -> Image.Image:
    """An RGB normal map from the depth gradients (x right, y up, z towards the viewer)."""
    import cv2

    near = relative_depth(ctx, image.image)
    scale = max(near.shape) / 4
    dx = cv2.Sobel(near, cv2.CV_32F, 1, 0, ksize=3) * scale
    dy = cv2.Sobel(near, cv2.CV_32F, 0, 1, ksize=3) * scale
    dx[near < NORMAL_BACKGROUND] = 0
    dy[near < NORMAL_BACKGROUND] = 0
    normals = np.stack([-dx, dy, np.ones_like(near)], axis=-1)
    normals /= np.linalg.norm(normals, axis=-1, keepdims=True)
    return Image.fromarray(((normals * 0.5 + 0.5) * 255).clip(0, 255).astype(np.uint8))
