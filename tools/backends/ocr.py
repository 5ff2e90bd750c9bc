"""Text reading with the Tesseract OCR engine (Debian ``tesseract-ocr``) through pytesseract."""

from __future__ import annotations

import shutil
from typing import Any

from PIL import ImageOps

from tools.errors import CheckpointUnavailableError
from tools.model_family import ModelFamily
from tools.outputs import NO_TEXT_FOUND, InputImage
from tools.runtime import ToolContext


class TesseractFamily(ModelFamily):
    """The ``tesseract`` binary; option ``lang`` (default ``eng``) picks the trained data."""

    def check(self) -> None:
        if shutil.which("tesseract") is None:
            raise CheckpointUnavailableError(
                "the tesseract binary is missing; apt-get install tesseract-ocr (make install)"
            )

    def build(self) -> Any:
        import pytesseract

        return pytesseract


def read_text(ctx: ToolContext, image: InputImage) -> str:
    """The text found in the image, lines joined by spaces, or :data:`~tools.outputs.NO_TEXT_FOUND`."""
    pytesseract = ctx.model()
    gray = ImageOps.grayscale(image.image)
    if max(gray.size) < 1000:
        factor = 1000 / max(gray.size)
        gray = gray.resize((round(gray.width * factor), round(gray.height * factor)))
    text = pytesseract.image_to_string(gray, lang=ctx.runtime.families[ctx.spec.family].options.get("lang", "eng"))
    words = " ".join(text.split())
    return words or NO_TEXT_FOUND
