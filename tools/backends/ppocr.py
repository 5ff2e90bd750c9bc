"""Text reading with PaddleOCR's PP-OCRv4 detector and recogniser, run by onnxruntime (the ONNX weights ship inside
the ``rapidocr-onnxruntime`` wheel, so nothing downloads).

Tesseract reads pages; on a sign in a photo it read "'oe 555-0147" for "FOR RENT CALL 555-0147". PP-OCR finds each
line of text first and then reads it: on the benchmark's 30 sign photos it reads all 30 exactly against 14 for the
best Tesseract mode, at 0.18 s a sign against 0.3 s (benchmarks/competition.md).

The recogniser leaves out the space between two words it reads as one line when their gap is narrow ("WETFLOOR",
"CALL555-0147"), and it says where each character is (a cell around the character's centre, not its ink). So a line
is split into words where the ink leaves a gap between two characters' centres that is a word's gap (:func:`_word_gaps`)
in the line's whole height (a T's bar closes the gaps beside its stem) and in its middle (a serif or an I's foot does
not). The detector's pieces of one row overlap, so a letter one piece re-reads over the piece before it is dropped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from statistics import median
from typing import Any

import numpy as np
from PIL import Image

from tools.outputs import NO_TEXT_FOUND, PlacedWord, Reading

# The detector's input: the longer side at most this many pixels (a small sign is not enlarged: the default, the
# shorter side at least 736 px, took a 610 x 156 sign to 2,880 x 736 and the process's peak memory up by 400 MB)
DETECTION_SIDE = 960
# The picture is read with this many pixels of its own edge added round it: the detector cut the letters off a crop
# to a sign's words ("MAIN STRE ET")
BORDER = 16
EDGE = 0.1  # the share of a line's height its box is widened by on each side to hold its letters' whole ink
WORD_GAP = 0.22  # a gap in the ink this wide, as a share of the line's height, may be a space
WORD_GAP_RATIO = 1.5  # ... when it is also this many times the median of the line's gaps
# A line with fewer gaps than this has too few between letters for their median ("9 TO 5": 31, 4 and 34 px): a gap
# there is a space at SPACE of the ink's height (bold signs: spaces 0.53-0.67 of it, gaps in words at most 0.25)
OWN_GAPS = 5
SPACE = 0.4
MIDDLE = (0.15, 0.85)  # the middle rows of a line, as shares of its height, without ascenders' and feet's serifs
PLACED_SCORE = 0.5  # the recogniser's least score of a word's characters for the word to be placed
# a line of one letter or digit is text only at this score (a cup's rim read "O" at 0.51); one without any is none
# (a clock's face read "®")
SHORT_SCORE = 0.8
UPSIDE_DOWN_SCORE = 0.9  # the direction classifier's least score for a line to count as upside down
SAME_LINE = 0.5  # two read lines whose centres are nearer than this share of their height are one line of text
# A character of one piece of a row centred within this share of the line's height past where the ink of the piece
# before it ends reads that piece's last letter again: a letter's centre stands at least a third of the height
# past the ink before it
REREAD = 0.2


@dataclass(frozen=True)
class _Glyph:
    text: str
    centre: float  # x of the character's centre, in pixels of the image read
    score: float


@dataclass(frozen=True)
class _Line:
    """One line the detector found and the recogniser read: its box (axis-aligned) and its characters."""

    box: tuple[int, int, int, int]
    glyphs: tuple[_Glyph, ...]

    @property
    def centre(self) -> float:
        return (self.box[1] + self.box[3]) / 2

    @property
    def height(self) -> int:
        return self.box[3] - self.box[1]


def _inside_gaps(ink: np.ndarray, left: int) -> list[tuple[int, int]]:
    """The gaps (x from, x to, in pixels of the image read) between the inked columns of ``ink`` (a line's rows,
    starting at x ``left``)."""
    inked = np.flatnonzero(ink.any(axis=0))
    if inked.size < 2:
        return []
    return [(left + int(inked[i]) + 1, left + int(inked[i + 1])) for i in np.flatnonzero(np.diff(inked) > 1)]


def _word_gaps(ink: np.ndarray, left: int, height: int, letters: int) -> list[tuple[int, int]]:
    """The gaps between the inked columns of ``ink`` (a line's rows, at x ``left``, ``height`` high, its letters
    ``letters`` high) wide enough for a space: :data:`WORD_GAP` of the height and :data:`WORD_GAP_RATIO` times their
    median, or :data:`SPACE` of the letters' height on a line of few gaps."""
    gaps = _inside_gaps(ink, left)
    widths = [end - start for start, end in gaps]
    wide = max(WORD_GAP * height, WORD_GAP_RATIO * median(widths)) if len(widths) >= OWN_GAPS else SPACE * letters
    return [(start, end) for start, end in gaps if end - start >= wide]


def _ink(grey: np.ndarray) -> np.ndarray:
    """Which pixels of a line's crop are ink: the side of Otsu's threshold its border is not on (dark letters on a
    light plate or light on dark)."""
    import cv2

    _, binary = cv2.threshold(grey, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    dark = binary < 128
    border = np.concatenate([dark[0], dark[-1], dark[:, 0], dark[:, -1]])
    return ~dark if border.mean() > 0.5 else dark


def words_of(line: _Line, grey: np.ndarray, after: float = 0) -> list[tuple[str, tuple[int, int, int, int], float]]:
    """The words of ``line`` (text, box, least character score), split at the recogniser's spaces and at word
    gaps in the ink of ``grey`` (the picture in grey) between two characters' centres; each word's box is its ink's.
    Characters centred left of ``after`` (where the ink of a line read before it on its row ends) are left out: the
    detector's box of the next piece of a row reaches back over the last letter of the one before ("S SALE")."""
    left, top, right, bottom = line.box
    edge = round(EDGE * line.height)  # the detector's box may cut the first or last letter's edge
    left, right = max(0, left - edge), min(grey.shape[1], right + edge)
    left = min(right, max(left, round(after)))  # nor the ink of that letter in the gaps between words
    line = replace(line, box=(left, top, right, bottom), glyphs=tuple(g for g in line.glyphs if g.centre >= after))
    crop = grey[top:bottom, left:right]
    if not crop.size or line.height < 2:
        return []
    ink = _ink(crop)
    first, last = int(MIDDLE[0] * line.height), int(MIDDLE[1] * line.height)
    inked_rows = np.flatnonzero(ink.any(axis=1))
    letters = int(inked_rows[-1] - inked_rows[0] + 1) if inked_rows.size else line.height
    breaks = [_word_gaps(rows, left, line.height, letters) for rows in (ink, ink[first : max(last, first + 1)])]
    words: list[list[_Glyph]] = [[]]
    previous: _Glyph | None = None
    for glyph in line.glyphs:
        if glyph.text.isspace():
            words.append([])
            continue
        if previous is not None and all(
            any(previous.centre < (start + end) / 2 < glyph.centre for start, end in gaps) for gaps in breaks
        ):
            words.append([])
        words[-1].append(glyph)
        previous = glyph
    words = [word for word in words if word]
    centres = [glyph.centre for glyph in line.glyphs]
    # the last character's reach from its centre: the line's usual step (a detected line's box runs past its ink, at
    # times over the next piece read on the same row)
    reach = median(np.diff(centres)) if len(centres) > 1 else line.height
    found = []
    for index, word in enumerate(words):
        low = (words[index - 1][-1].centre + word[0].centre) / 2 if index else left
        high = (
            (word[-1].centre + words[index + 1][0].centre) / 2
            if index + 1 < len(words)
            else min(right, word[-1].centre + reach)
        )
        box = _ink_box(ink, left, top, round(low), round(high)) or (round(low), top, round(high), bottom)
        found.append((_as_read("".join(glyph.text for glyph in word)), box, min(glyph.score for glyph in word)))
    return found


def _ink_box(ink: np.ndarray, left: int, top: int, low: int, high: int) -> tuple[int, int, int, int] | None:
    """The box around the ink of a line's crop (at ``left``, ``top``) between x ``low`` and ``high``, in pixels of
    the image read, with the one-pixel anti-aliased edge Otsu's threshold leaves out; ``None`` with no ink there."""
    start = max(0, low - left)
    part = ink[:, start : max(start, high - left)]
    columns, rows = np.flatnonzero(part.any(axis=0)), np.flatnonzero(part.any(axis=1))
    if not columns.size:
        return None
    height, width = ink.shape
    return (
        left + max(0, start + int(columns[0]) - 1),
        top + max(0, int(rows[0]) - 1),
        left + min(width, start + int(columns[-1]) + 2),
        top + min(height, int(rows[-1]) + 2),
    )


def _line(result: Sequence[Any], width: int, height: int) -> _Line:
    """A line from one of RapidOCR's results with character boxes: ``[quad, text, score, cell quads, characters,
    character scores]``."""
    quad, _, _, cells, characters, scores = result[:6]
    xs, ys = [point[0] for point in quad], [point[1] for point in quad]
    box = (
        max(0, int(min(xs))),
        max(0, int(min(ys))),
        min(width, int(np.ceil(max(xs)))),
        min(height, int(np.ceil(max(ys)))),
    )
    glyphs = tuple(
        _Glyph(str(character), (min(p[0] for p in cell) + max(p[0] for p in cell)) / 2, float(score))
        for cell, character, score in zip(cells, characters, scores, strict=True)
    )
    return _Line(box, glyphs)


def _as_read(word: str) -> str:
    """``word`` with a zero among letters read as the letter O ("T0" of "9 TO 5"), and an O among digits as zero."""
    if len(word) < 2:
        return word
    others = word.replace("0", "")
    if others and others.isalpha():
        return word.replace("0", "O" if others.isupper() else "o")
    others = word.replace("O", "").replace("o", "")
    return word.replace("O", "0").replace("o", "0") if others and others.isdigit() else word


def _unbordered(box: tuple[int, int, int, int], size: tuple[int, int]) -> tuple[int, int, int, int]:
    """``box`` in the bordered picture read as a box in the picture of ``size`` itself."""
    left, top, right, bottom = (value - BORDER for value in box)
    return max(0, left), max(0, top), min(size[0], right), min(size[1], bottom)


def _is_text(line: _Line) -> bool:
    """Whether ``line`` reads as text: two letters or digits, or one at :data:`SHORT_SCORE`."""
    letters = [glyph for glyph in line.glyphs if glyph.text.isalnum()]
    return len(letters) > 1 or bool(letters and letters[0].score >= SHORT_SCORE)


def _line_numbers(lines: Sequence[_Line]) -> list[int]:
    """The line of text each read line is on (0 for the first): read lines at one height (a turned plate's words,
    read as two) are one line of text."""
    numbers, current, last = [], -1, None
    for line in lines:
        if last is None or abs(line.centre - last.centre) > SAME_LINE * max(line.height, last.height):
            current += 1
        numbers.append(current)
        last = line
    return numbers


class PaddleReader:
    """PP-OCRv4 through RapidOCR: reads an image into a :class:`~tools.outputs.Reading`."""

    def __init__(self, engine: Any) -> None:
        self.engine = engine

    def read(self, image: Image.Image) -> Reading:
        """The lines read top to bottom (words left to right on a line), joined by spaces, or
        :data:`~tools.outputs.NO_TEXT_FOUND`; where the text and each word it is sure of are in ``image``. An
        upside-down picture is read turned back (:func:`_upside_down`), its boxes given in ``image``'s pixels."""
        rgb, lines = self._lines(image)
        if self._upside_down(rgb, lines):
            turned = image.rotate(180)
            return _turned_back(self._reading(turned, *self._lines(turned)), image.size)
        return self._reading(image, rgb, lines)

    def _lines(self, image: Image.Image) -> tuple[np.ndarray, list[_Line]]:
        """``image`` with its border added, and the lines of text the detector found and the recogniser read there."""
        import cv2

        rgb = cv2.copyMakeBorder(np.asarray(image.convert("RGB")), *(4 * [BORDER]), cv2.BORDER_REPLICATE)
        results, _ = self.engine(rgb[:, :, ::-1], return_word_box=True)
        lines = [_line(result, rgb.shape[1], rgb.shape[0]) for result in results or ()]
        return rgb, [line for line in lines if _is_text(line)]

    def _upside_down(self, rgb: np.ndarray, lines: Sequence[_Line]) -> bool:
        """Whether most of ``lines`` are upside down, as PP-OCR's direction classifier sees each one: the recogniser
        reads each turned line the right way, but the lines come bottom first and the words of a line split where
        the turned letters' gaps are ("CALL 555- 0147 FOR R ENT" of an upside-down "FOR RENT CALL 555-0147")."""
        turned = 0
        for line in lines:
            left, top, right, bottom = line.box
            crop = np.ascontiguousarray(rgb[top:bottom, left:right, ::-1])
            if crop.size == 0:
                continue
            (label, score), *_ = self.engine(crop, use_det=False, use_cls=True, use_rec=False)[0]
            turned += label == "180" and score >= UPSIDE_DOWN_SCORE
        return 2 * turned > len(lines)

    def _reading(self, image: Image.Image, rgb: np.ndarray, lines: Sequence[_Line]) -> Reading:
        """The :class:`~tools.outputs.Reading` of ``lines``, read on ``image`` bordered as ``rgb``."""
        import cv2

        grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
        order = sorted(range(len(lines)), key=lambda i: (lines[i].centre, lines[i].box[0]))
        numbers = _line_numbers([lines[i] for i in order])
        rows = sorted(zip(numbers, order, strict=True), key=lambda pair: (pair[0], lines[pair[1]].box[0]))
        words: list[tuple[int, tuple[str, tuple[int, int, int, int], float]]] = []
        for number, index in rows:
            line = lines[index]
            reach = REREAD * line.height
            if words and words[-1][0] == number:
                text, box, _ = words[-1][1]
                if len(text) == 1 and min(glyph.centre for glyph in line.glyphs) < box[2] + reach:
                    words.pop()  # the next piece's first letter, read at the end of this one too ("201 3 3344")
            row_before = [box[2] + reach for line_number, (_, box, _) in words if line_number == number]
            words += [(number, word) for word in words_of(line, grey, max(row_before, default=0))]
        if not words:
            return Reading(NO_TEXT_FOUND)
        placed = tuple(
            PlacedWord(text, _unbordered(box, image.size), number)
            for number, (text, box, score) in words
            if score >= PLACED_SCORE
        )
        boxes = [word.box for word in placed]
        box = (
            (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))
            if boxes
            else None
        )
        return Reading(" ".join(text for _, (text, _, _) in words), box, placed)


def _turned_back(reading: Reading, size: tuple[int, int]) -> Reading:
    """``reading`` of a picture of ``size`` turned by 180 degrees, its boxes given in the unturned picture's pixels."""

    def back(box: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
        left, top, right, bottom = box
        return size[0] - right, size[1] - bottom, size[0] - left, size[1] - top

    words = tuple(replace(word, box=back(word.box)) for word in reading.words)
    return replace(reading, box=back(reading.box) if reading.box else None, words=words)


def paddle_reader(threads: int | None = None) -> PaddleReader:
    """A reader over the PP-OCRv4 models inside the ``rapidocr-onnxruntime`` package (``threads``: onnxruntime's
    threads per operator; ``None`` for its default)."""
    from rapidocr_onnxruntime import RapidOCR

    options: dict[str, Any] = {"det_limit_type": "max", "det_limit_side_len": DETECTION_SIDE}
    if threads:
        options["intra_op_num_threads"] = threads
    return PaddleReader(RapidOCR(**options))
