"""Every model family ``--load`` accepts, mapped to the class that loads it (imported lazily).

Names are the TaskMatrix/GPT4Tools class names, plus ours for new families. The ControlNet families are
one parametrised class; the condition comes from the family name.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tools.model_family import ModelFamily

_CONTROLNET = "tools.backends.diffusion:ControlNetFamily"

FAMILY_CLASSES: dict[str, str] = {
    "ImageCaptioning": "tools.backends.blip:CaptioningFamily",
    "VisualQuestionAnswering": "tools.backends.blip:VQAFamily",
    "Text2Image": "tools.backends.diffusion:Text2ImageFamily",
    "InstructPix2Pix": "tools.backends.diffusion:InstructPix2PixFamily",
    "Inpainting": "tools.backends.diffusion:InpaintingFamily",
    "CannyText2Image": _CONTROLNET,
    "LineText2Image": _CONTROLNET,
    "HedText2Image": _CONTROLNET,
    "ScribbleText2Image": _CONTROLNET,
    "PoseText2Image": _CONTROLNET,
    "DepthText2Image": _CONTROLNET,
    "NormalText2Image": _CONTROLNET,
    "SegText2Image": _CONTROLNET,
    "Image2Canny": "tools.backends.opencv:NoModelFamily",
    "Image2Line": "tools.backends.opencv:NoModelFamily",
    "ImageCropping": "tools.backends.opencv:NoModelFamily",
    "ImageEditing": "tools.backends.opencv:NoModelFamily",
    "ObjectDetection": "tools.backends.opencv:HaarCascadeFamily",
    "Image2Hed": "tools.backends.hed:HedFamily",
    "Image2Scribble": "tools.backends.hed:HedFamily",
    "Image2Pose": "tools.backends.mediapipe:PoseFamily",
    "BackgroundRemoving": "tools.backends.mediapipe:SelfieSegmentationFamily",
    "TextDetection": "tools.backends.ocr:TextReadingFamily",
    "Image2Depth": "tools.backends.depth:DepthFamily",
    "Image2Normal": "tools.backends.depth:NormalFamily",
    "Segmenting": "tools.backends.sam:SamFamily",
    "Text2Box": "tools.backends.grounding:GroundingFamily",
}


def import_target(target: str) -> Any:
    """``"package.module:attribute"`` -> the attribute (imports the module)."""
    module, _, attribute = target.partition(":")
    return getattr(importlib.import_module(module), attribute)


def create_family(name: str, device: str, options: dict[str, Any] | None = None) -> ModelFamily:
    """An (unloaded) instance of family ``name`` on ``device``."""
    return import_target(FAMILY_CLASSES[name])(name, device, options)
