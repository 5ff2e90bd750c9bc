"""Stable Diffusion tools (diffusers): text to image, InstructPix2Pix, the ControlNet generators, inpainting.

Options from ``configs/tools.yaml`` (per family): ``checkpoint``; ``base`` (ControlNet: the SD 1.5 model it
plugs into); ``steps`` (denoising steps); ``resolution`` (longest side of generated images); ``seed``.
"""

from __future__ import annotations

from typing import Any, ClassVar

import torch
from PIL import Image

from tools.backends.hf import fit_to_multiple, torch_dtype
from tools.model_family import ModelFamily, resolve_checkpoint
from tools.outputs import InputImage
from tools.runtime import ToolContext

QUALITY_PROMPT = "best quality, extremely detailed"
NEGATIVE_PROMPT = "longbody, lowres, bad anatomy, bad hands, missing fingers, extra digit, fewer digits, cropped, worst quality, low quality"
SD15 = "stable-diffusion-v1-5/stable-diffusion-v1-5"


class DiffusionFamily(ModelFamily):
    """A diffusers pipeline loaded from one checkpoint directory."""

    pipeline_class = "StableDiffusionPipeline"
    gpu_memory_gb = 3.5

    def build(self) -> Any:
        import diffusers

        pipeline = getattr(diffusers, self.pipeline_class).from_pretrained(
            resolve_checkpoint(self.checkpoint), dtype=torch_dtype(self.device)
        )
        pipeline.set_progress_bar_config(disable=True)
        return pipeline.to(self.device)

    def settings(self) -> dict[str, Any]:
        """Denoising steps, output resolution and a seeded generator."""
        generator = torch.Generator("cpu").manual_seed(int(self.options.get("seed", 0)))
        return {
            "num_inference_steps": int(self.options.get("steps", 30)),
            "resolution": int(self.options.get("resolution", 512)),
            "generator": generator,
        }


class Text2ImageFamily(DiffusionFamily):
    default_checkpoint = SD15


class InstructPix2PixFamily(DiffusionFamily):
    default_checkpoint = "timbrooks/instruct-pix2pix"
    pipeline_class = "StableDiffusionInstructPix2PixPipeline"


class InpaintingFamily(DiffusionFamily):
    default_checkpoint = "stable-diffusion-v1-5/stable-diffusion-inpainting"
    pipeline_class = "StableDiffusionInpaintPipeline"


class ControlNetFamily(DiffusionFamily):
    """One class for all eight ControlNet generators: ``checkpoint`` is the ControlNet, ``base`` the SD model."""

    pipeline_class = "StableDiffusionControlNetPipeline"
    gpu_memory_gb = 4.2
    CHECKPOINTS: ClassVar[dict[str, str]] = {
        "CannyText2Image": "lllyasviel/sd-controlnet-canny",
        "LineText2Image": "lllyasviel/sd-controlnet-mlsd",
        "HedText2Image": "lllyasviel/sd-controlnet-hed",
        "ScribbleText2Image": "lllyasviel/sd-controlnet-scribble",
        "PoseText2Image": "lllyasviel/sd-controlnet-openpose",
        "DepthText2Image": "lllyasviel/sd-controlnet-depth",
        "NormalText2Image": "lllyasviel/sd-controlnet-normal",
        "SegText2Image": "lllyasviel/sd-controlnet-seg",
    }

    def __init__(self, name: str, device: str, options: dict[str, Any] | None = None) -> None:
        options = {"checkpoint": self.CHECKPOINTS[name], **(options or {})}
        super().__init__(name, device, options)
        self.base = str(self.options.pop("base", SD15))

    def check(self) -> None:
        super().check()
        resolve_checkpoint(self.base)

    def build(self) -> Any:
        import diffusers

        dtype = torch_dtype(self.device)
        controlnet = diffusers.ControlNetModel.from_pretrained(resolve_checkpoint(self.checkpoint), dtype=dtype)
        pipeline = diffusers.StableDiffusionControlNetPipeline.from_pretrained(
            resolve_checkpoint(self.base), controlnet=controlnet, dtype=dtype
        )
        pipeline.set_progress_bar_config(disable=True)
        return pipeline.to(self.device)


def _settings(ctx: ToolContext, family: str | None = None) -> dict[str, Any]:
    return ctx.runtime.families[family or ctx.spec.family].settings()


def text_to_image(ctx: ToolContext, text: str) -> Image.Image:
    settings = _settings(ctx)
    side = settings.pop("resolution")
    return ctx.model()(
        f"{text}, {QUALITY_PROMPT}", negative_prompt=NEGATIVE_PROMPT, height=side, width=side, **settings
    ).images[0]


def instruct(ctx: ToolContext, image: InputImage, instruction: str) -> Image.Image:
    settings = _settings(ctx)
    source = fit_to_multiple(image.image, settings.pop("resolution"))
    return ctx.model()(instruction, image=source, image_guidance_scale=1.5, **settings).images[0]


def controlnet_generate(ctx: ToolContext, image: InputImage, text: str) -> Image.Image:
    """A new image following the condition image (edges, pose, depth...) and the description."""
    settings = _settings(ctx)
    condition = fit_to_multiple(image.image, settings.pop("resolution"))
    return ctx.model()(
        f"{text}, {QUALITY_PROMPT}",
        image=condition,
        negative_prompt=NEGATIVE_PROMPT,
        height=condition.height,
        width=condition.width,
        **settings,
    ).images[0]


def inpaint(ctx: ToolContext, image: Image.Image, mask: Image.Image, prompt: str) -> Image.Image:
    """``image`` with the white area of ``mask`` repainted as ``prompt`` says, at the image's own size."""
    settings = _settings(ctx, "Inpainting")
    source = fit_to_multiple(image, settings.pop("resolution"))
    result = ctx.model("Inpainting")(
        prompt,
        image=source,
        mask_image=mask.convert("L").resize(source.size),
        negative_prompt=NEGATIVE_PROMPT,
        height=source.height,
        width=source.width,
        **settings,
    ).images[0]
    return result.resize(image.size, Image.Resampling.LANCZOS)
