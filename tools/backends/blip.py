"""Photo captioning and visual question answering with BLIP (transformers)."""

from __future__ import annotations

import torch

from tools.backends.hf import PretrainedFamily, to_device
from tools.outputs import InputImage
from tools.runtime import ToolContext

MAX_NEW_TOKENS = 40


class CaptioningFamily(PretrainedFamily):
    default_checkpoint = "Salesforce/blip-image-captioning-base"
    model_class = "BlipForConditionalGeneration"
    gpu_memory_gb = 1.0


class VQAFamily(PretrainedFamily):
    default_checkpoint = "Salesforce/blip-vqa-base"
    model_class = "BlipForQuestionAnswering"
    gpu_memory_gb = 1.5


def _generate(ctx: ToolContext, image: InputImage, text: str | None, family: str | None = None) -> str:
    processor, model = ctx.model(family)
    inputs = processor(images=image.image, text=text, return_tensors="pt")
    with torch.inference_mode():
        output = model.generate(**to_device(inputs, model.device, model.dtype), max_new_tokens=MAX_NEW_TOKENS)
    return processor.decode(output[0], skip_special_tokens=True).strip()


def caption(ctx: ToolContext, image: InputImage) -> str:
    return _generate(ctx, image, None, "ImageCaptioning") or "The captioning model gave no description."


def answer(ctx: ToolContext, image: InputImage, question: str) -> str:
    return _generate(ctx, image, question, "VisualQuestionAnswering") or "The model gave no answer."
