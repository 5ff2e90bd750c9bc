"""Text reading with the Tesseract OCR engine (Debian ``tesseract-ocr``) through pytesseract.

Options (``configs/tools.yaml`` or a competing candidate in ``configs/models.yaml``): ``lang`` (trained
data, default ``eng``), ``psm`` (Tesseract's page segmentation mode: 3 automatic, 6 one block of text,
7 one line, 11 sparse text in any order) and ``preprocess`` (``grey``: grey, upscaled to 1000 px;
``otsu``: that, then black text on white by Otsu's threshold).

Tesseract joins short words of bold signs ("OPEN 9 TO 5" reads "OPEN9TO5"), so a word it read is split again
where the gap between two of its letters is as wide as a space of that lettering (:func:`respaced`).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from itertools import pairwise
from statistics import median
from typing import Any
from xml.etree import ElementTree

import numpy as np
from PIL import Image, ImageOps

from tools.errors import CheckpointUnavailableError, LoadSpecError
from tools.model_family import ModelFamily
from tools.outputs import NO_TEXT_FOUND, InputImage
from tools.runtime import ToolContext

PAGE_SEGMENTATION_MODES = (3, 4, 6, 7, 11, 12)
PREPROCESSING = ("grey", "otsu")
MIN_SIDE = 1000  # Tesseract reads best with capital letters some 30 px tall; small photos are upscaled
# A gap between two letters of one read word this wide, as a share of the letters' median height, is a space:
# measured on bold rendered signs, spaces are 0.53-0.67 of the height and gaps inside words at most 0.25
SPACE_GAP = 0.45
XHTML = "{http://www.w3.org/1999/xhtml}"


@dataclass(frozen=True)
class Letter:
    """One letter of a word Tesseract read, with its box's extent (pixels of the image it read)."""

    text: str
    left: int
    right: int
    height: int


def hocr_words(hocr: bytes) -> list[list[Letter]]:
    """The words of Tesseract's hOCR output (with ``hocr_char_boxes``), in reading order, as their letters."""
    words = []
    for span in ElementTree.fromstring(hocr).iter(f"{XHTML}span"):
        if span.get("class") != "ocrx_word":
            continue
        letters = []
        for letter in span.iter(f"{XHTML}span"):
            if letter.get("class") == "ocrx_cinfo" and letter.text:
                left, top, right, bottom = (int(v) for v in letter.get("title", "").split(";")[0].split()[1:5])
                letters.append(Letter(letter.text, left, right, bottom - top))
        if letters:
            words.append(letters)
    return words


def respaced(words: list[list[Letter]]) -> list[str]:
    """The words as text, each split where two neighbouring letters stand as far apart as a space."""
    heights = [letter.height for word in words for letter in word]
    if not heights:
        return []
    space = SPACE_GAP * median(heights)
    split = []
    for word in words:
        current = word[0].text
        for previous, letter in pairwise(word):
            if letter.left - previous.right >= space:
                split.append(current)
                current = ""
            current += letter.text
        split.append(current)
    return split


@dataclass(frozen=True)
class TesseractReader:
    """One way of running Tesseract: trained data, page segmentation mode, preprocessing."""

    lang: str = "eng"
    psm: int = 3
    preprocess: str = "grey"

    def __post_init__(self) -> None:
        if self.psm not in PAGE_SEGMENTATION_MODES:
            raise LoadSpecError(f"tesseract psm {self.psm!r} is not one of {PAGE_SEGMENTATION_MODES}")
        if self.preprocess not in PREPROCESSING:
            raise LoadSpecError(f"tesseract preprocess {self.preprocess!r} is not one of {PREPROCESSING}")

    def prepare(self, image: Image.Image) -> Image.Image:
        gray = ImageOps.grayscale(image)
        if max(gray.size) < MIN_SIDE:
            factor = MIN_SIDE / max(gray.size)
            gray = gray.resize((round(gray.width * factor), round(gray.height * factor)), Image.Resampling.BICUBIC)
        if self.preprocess == "otsu":
            import cv2

            _, binary = cv2.threshold(np.asarray(gray), 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
            if binary.mean() < 127:  # light text on a dark sign: Tesseract wants dark text on light
                binary = 255 - binary
            gray = Image.fromarray(binary)
        return gray

    def read(self, image: Image.Image) -> str:
        """The words found, lines joined by spaces, or :data:`~tools.outputs.NO_TEXT_FOUND`."""
        import pytesseract

        hocr = pytesseract.image_to_pdf_or_hocr(
            self.prepare(image), lang=self.lang, extension="hocr", config=f"--psm {self.psm} -c hocr_char_boxes=1"
        )
        return " ".join(" ".join(respaced(hocr_words(hocr))).split()) or NO_TEXT_FOUND


class TesseractFamily(ModelFamily):
    """The ``tesseract`` binary, run as the options say (a :class:`TesseractReader`)."""

    def check(self) -> None:
        if shutil.which("tesseract") is None:
            raise CheckpointUnavailableError(
                "the tesseract binary is missing; apt-get install tesseract-ocr (make install)"
            )
        self.reader()

    def reader(self) -> TesseractReader:
        unknown = sorted(set(self.options) - {"lang", "psm", "preprocess"})
        if unknown:
            raise LoadSpecError(f"{self.name}: unknown options {unknown}; tesseract takes lang, psm, preprocess")
        return TesseractReader(**self.options)

    def build(self) -> Any:
        return self.reader()


def read_text(ctx: ToolContext, image: InputImage) -> str:
    """The text found in the image, lines joined by spaces, or :data:`~tools.outputs.NO_TEXT_FOUND`."""
    return ctx.model().read(image.image)
