"""Text reading: the family that picks the engine, and the Tesseract OCR engine (Debian ``tesseract-ocr``) through
pytesseract; the default engine, PP-OCR, is tools/backends/ppocr.py.

Options (``configs/tools.yaml`` or a competing candidate in ``configs/models.yaml``): ``engine`` (``ppocr``, the
default, or ``tesseract``); for Tesseract ``lang`` (trained data, default ``eng``), ``psm`` (Tesseract's page
segmentation mode: 3 automatic, 6 one block of text, 7 one line, 11 sparse text in any order) and ``preprocess``
(``grey``: grey, upscaled to 1000 px; ``otsu``: that, then black text on white by Otsu's threshold).

Tesseract joins short words of bold signs ("OPEN 9 TO 5" reads "OPEN9TO5"), so a word it read is split again
where the gap between two of its letters is as wide as a space of that lettering (:func:`respaced`).

A reading also says where its text is (:func:`text_box`), so "crop to the sign" and "blur the writing" have a box: the
words Tesseract is sure of, without the specks it reads in a photo's texture. It places each of those words too
(:func:`placed_words`), so "blur the phone number" and "crop to the hours" have theirs.
"""

from __future__ import annotations

import importlib.util
import math
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
from tools.outputs import NO_TEXT_FOUND, InputImage, PlacedWord, Reading
from tools.runtime import ToolContext

PAGE_SEGMENTATION_MODES = (3, 4, 6, 7, 11, 12)
PREPROCESSING = ("grey", "otsu")
MIN_SIDE = 1000  # Tesseract reads best with capital letters some 30 px tall; small photos are upscaled
FALLBACK_SCALE = 2  # a small picture read as nothing at MIN_SIDE is read again at this scale
# A gap between two letters of one read word this wide, as a share of the letters' median height, is a space:
# measured on bold rendered signs, spaces are 0.53-0.67 of the height and gaps inside words at most 0.25
SPACE_GAP = 0.45
# The words that place the text: those Tesseract is this sure of (x_wconf, 0-100: the specks it reads in a photo's
# texture mostly score under 50, a sign's words 54-96) with this many letters or digits, or short and surer still
# (the specks it is sure of are one or two marks: "74" at 73, "lt" at 54 on the coffee photo; a sign's "NO" 96)
PLACED_CONFIDENCE = 50
PLACED_LENGTH = 3
PLACED_SHORT_CONFIDENCE = 90
XHTML = "{http://www.w3.org/1999/xhtml}"
LINE_CLASSES = ("ocr_line", "ocr_header", "ocr_caption", "ocr_textfloat")  # hOCR's kinds of line


@dataclass(frozen=True)
class Letter:
    """One letter of a word Tesseract read, with its box (pixels of the image it read)."""

    text: str
    left: int
    top: int
    right: int
    bottom: int

    @property
    def height(self) -> int:
        return self.bottom - self.top


@dataclass(frozen=True)
class Word:
    """One word Tesseract read: its letters, how sure it is of the word (``x_wconf``, 0-100) and the line it is on
    (0 for the first line read)."""

    letters: tuple[Letter, ...]
    confidence: int
    line: int = 0

    @property
    def text(self) -> str:
        return "".join(letter.text for letter in self.letters)

    @property
    def box(self) -> tuple[int, int, int, int]:
        return (
            min(letter.left for letter in self.letters),
            min(letter.top for letter in self.letters),
            max(letter.right for letter in self.letters),
            max(letter.bottom for letter in self.letters),
        )


def _title_field(title: str, field: str) -> list[int]:
    """The numbers of one field of an hOCR ``title`` (``"x_bboxes 68 62 161 157; x_conf 98.8"``)."""
    for part in title.split(";"):
        name, *values = part.split()
        if name == field:
            return [round(float(value)) for value in values]
    return []


def hocr_words(hocr: bytes) -> list[Word]:
    """The words of Tesseract's hOCR output (with ``hocr_char_boxes``), in reading order, with their letters."""
    words = []
    spans = ElementTree.fromstring(hocr).iter(f"{XHTML}span")
    lines = [span for span in spans if span.get("class") in LINE_CLASSES]
    for line, line_span in enumerate(lines):
        for span in line_span.iter(f"{XHTML}span"):
            if span.get("class") != "ocrx_word":
                continue
            letters = [
                Letter(letter.text, *_title_field(letter.get("title", ""), "x_bboxes")[:4])
                for letter in span.iter(f"{XHTML}span")
                if letter.get("class") == "ocrx_cinfo" and letter.text
            ]
            if letters:
                words.append(Word(tuple(letters), (_title_field(span.get("title", ""), "x_wconf") or [0])[0], line))
    return words


def places_the_text(word: Word) -> bool:
    """Whether ``word`` is one Tesseract is sure enough of to say where the text is (:data:`PLACED_CONFIDENCE`)."""
    length = sum(c.isalnum() for c in word.text)
    if length >= PLACED_LENGTH:
        return word.confidence >= PLACED_CONFIDENCE
    return length > 0 and word.confidence >= PLACED_SHORT_CONFIDENCE


def text_box(words: list[Word]) -> tuple[int, int, int, int] | None:
    """The box around the words that place the text (:func:`places_the_text`), in the pixels of the image read;
    ``None`` when there are none."""
    placed = [word.box for word in words if places_the_text(word)]
    if not placed:
        return None
    return min(b[0] for b in placed), min(b[1] for b in placed), max(b[2] for b in placed), max(b[3] for b in placed)


def respaced_words(words: list[Word]) -> list[Word]:
    """The words, each split where two neighbouring letters stand as far apart as a space (the pieces keep the
    word's confidence and line)."""
    heights = [letter.height for word in words for letter in word.letters]
    if not heights:
        return []
    space = SPACE_GAP * median(heights)
    split = []
    for word in words:
        current = [word.letters[0]]
        for previous, letter in pairwise(word.letters):
            if letter.left - previous.right >= space:
                split.append(Word(tuple(current), word.confidence, word.line))
                current = []
            current.append(letter)
        split.append(Word(tuple(current), word.confidence, word.line))
    return split


def respaced(words: list[Word]) -> list[str]:
    """The words as text, split as :func:`respaced_words` splits them."""
    return [word.text for word in respaced_words(words)]


def placed_words(words: list[Word]) -> list[Word]:
    """The pieces (:func:`respaced_words`) of the words that place the text (:func:`places_the_text`): a short word
    Tesseract joined to a sure one ("9" of "OPEN9TO5") is placed with it."""
    sure = [word for word in words if places_the_text(word)]
    return [piece for piece in respaced_words(words) if any(piece.letters[0] in word.letters for word in sure)]


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

    def _hocr(self, prepared: Image.Image) -> bytes:
        import pytesseract

        return pytesseract.image_to_pdf_or_hocr(
            prepared, lang=self.lang, extension="hocr", config=f"--psm {self.psm} -c hocr_char_boxes=1"
        )

    def prepare(self, image: Image.Image, factor: float | None = None) -> Image.Image:
        """A grey copy (black on white with ``otsu``), upscaled by ``factor``, or to :data:`MIN_SIDE` when ``None``."""
        gray = ImageOps.grayscale(image)
        factor = factor or (MIN_SIDE / max(gray.size) if max(gray.size) < MIN_SIDE else None)
        if factor:
            gray = gray.resize((round(gray.width * factor), round(gray.height * factor)), Image.Resampling.BICUBIC)
        if self.preprocess == "otsu":
            import cv2

            _, binary = cv2.threshold(np.asarray(gray), 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
            if binary.mean() < 127:  # light text on a dark sign: Tesseract wants dark text on light
                binary = 255 - binary
            gray = Image.fromarray(binary)
        return gray

    def read(self, image: Image.Image) -> Reading:
        """The words found, lines joined by spaces (or :data:`~tools.outputs.NO_TEXT_FOUND`), and where they are in
        ``image``."""
        prepared = self.prepare(image)
        words = hocr_words(self._hocr(prepared))
        if not words and prepared.width > FALLBACK_SCALE * image.width:
            # letters that fill a small picture (a crop to a sign's words) grow past what Tesseract reads
            prepared = self.prepare(image, FALLBACK_SCALE)
            words = hocr_words(self._hocr(prepared))
        text = " ".join(" ".join(respaced(words)).split())
        if not text:
            return Reading(NO_TEXT_FOUND)
        scale_x, scale_y = image.width / prepared.width, image.height / prepared.height  # the copy may be upscaled

        def in_image(box: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
            return (
                math.floor(box[0] * scale_x),
                math.floor(box[1] * scale_y),
                min(image.width, math.ceil(box[2] * scale_x)),
                min(image.height, math.ceil(box[3] * scale_y)),
            )

        box = text_box(words)
        placed = tuple(PlacedWord(word.text, in_image(word.box), word.line) for word in placed_words(words))
        return Reading(text, in_image(box) if box else None, placed)


ENGINES = ("ppocr", "tesseract")  # the first is the default: it reads signs in photos (tools/backends/ppocr.py)
TESSERACT_OPTIONS = frozenset({"lang", "psm", "preprocess"})


class TextReadingFamily(ModelFamily):
    """The text reader the options say: ``engine`` ``ppocr`` (PP-OCRv4 from the rapidocr-onnxruntime package, the
    default; option ``threads``) or ``tesseract`` (the ``tesseract`` binary, run as ``lang``, ``psm`` and
    ``preprocess`` say: a :class:`TesseractReader`)."""

    def check(self) -> None:
        engine = self._engine()
        if engine == "tesseract" and shutil.which("tesseract") is None:
            raise CheckpointUnavailableError(
                "the tesseract binary is missing; apt-get install tesseract-ocr (make install)"
            )
        # found, not imported: onnxruntime loads with the reader, at the first reading, not at start-up
        missing = [name for name in ("rapidocr_onnxruntime", "onnxruntime") if importlib.util.find_spec(name) is None]
        if engine == "ppocr" and missing:
            raise CheckpointUnavailableError(f"the PP-OCR reader needs {' and '.join(missing)}; run make install")
        options = self._options(engine)
        if engine == "tesseract":
            TesseractReader(**options)

    def _engine(self) -> str:
        engine = self.options.get("engine", ENGINES[0])
        if engine not in ENGINES:
            raise LoadSpecError(f"{self.name}: engine {engine!r} is not one of {', '.join(ENGINES)}")
        return engine

    def _options(self, engine: str) -> dict[str, Any]:
        """The options of ``engine``, checked."""
        options = {key: value for key, value in self.options.items() if key != "engine"}
        allowed = TESSERACT_OPTIONS if engine == "tesseract" else {"threads"}
        unknown = sorted(set(options) - allowed)
        if unknown:
            raise LoadSpecError(
                f"{self.name}: unknown options {unknown}; {engine} takes engine, {', '.join(sorted(allowed))}"
            )
        return options

    def build(self) -> Any:
        engine = self._engine()
        if engine == "tesseract":
            return TesseractReader(**self._options(engine))
        from tools.backends.ppocr import paddle_reader

        return paddle_reader(**self._options(engine))


def read_text(ctx: ToolContext, image: InputImage) -> Reading:
    """The text found in the image, lines joined by spaces (or :data:`~tools.outputs.NO_TEXT_FOUND`), and its box."""
    return ctx.model().read(image.image)
