"""The PP-OCR reader (tools/backends/ppocr.py) on rendered signs and photos, with the weights its package ships."""

from __future__ import annotations

import numpy as np
import pytest

from session_eval.images import render_sign, sample_photo
from tools.backends.ocr import TextReadingFamily
from tools.backends.ppocr import _word_gaps
from tools.errors import LoadSpecError
from tools.outputs import NO_TEXT_FOUND

pytest.importorskip("rapidocr_onnxruntime")


@pytest.fixture(scope="module")
def reader():
    return TextReadingFamily("TextDetection", "cpu").build()


@pytest.mark.parametrize(
    ("words", "size"),
    [
        ("OPEN 9 TO 5\nMON TO FRI", 72),  # a piece of the row read the N before it as "1", and "9TO" as one word
        ("SUMMER SALE\nEVERYTHING MUST GO", 96),  # the S of SALE read again at the end of SUMMER
        ("LOST CAT\nCALL (555) 201 3344", 72),
        ("FOR RENT\nCALL 555-0147", 48),
    ],
)
def test_a_sign_is_read_word_for_word(reader, words, size):
    assert reader.read(render_sign(words, font_size=size)).text == " ".join(words.split())


def test_each_word_is_placed_on_its_own_ink_and_line(reader):
    sign = render_sign("FOR RENT\nCALL 555-0147")
    reading = reader.read(sign)
    assert [(word.text, word.line) for word in reading.words] == [("FOR", 0), ("RENT", 0), ("CALL", 1), ("555-0147", 1)]
    ink = np.asarray(sign.convert("L")) < 128
    for word in reading.words:
        left, top, right, bottom = word.box
        inside = ink[top:bottom, left:right].sum()
        assert inside > 0.97 * ink[max(0, top - 20) : bottom + 20, max(0, left - 8) : right + 8].sum() - 1, word
    assert reading.box == (
        min(w.box[0] for w in reading.words),
        min(w.box[1] for w in reading.words),
        max(w.box[2] for w in reading.words),
        max(w.box[3] for w in reading.words),
    )


@pytest.mark.parametrize("words", ["FOR RENT\nCALL 555-0147", "OPEN 9 TO 5\nMON TO FRI"])
def test_an_upside_down_sign_is_read_turned_back(reader, words):
    """Seen in a --cli drive: the sign turned upside down read "CALL 555- 0147 FOR R ENT" (its lines bottom first, its
    words split where the turned letters' gaps are)."""
    sign = render_sign(words)
    upright, turned = reader.read(sign), reader.read(sign.rotate(180))
    assert turned.text == upright.text == " ".join(words.split())
    width, height = sign.size
    for word, seen in zip(upright.words, turned.words, strict=True):  # each box where the turned picture has it
        left, top, right, bottom = word.box
        assert (seen.text, seen.box) == (word.text, (width - right, height - bottom, width - left, height - top))


def test_a_sign_in_a_photo_is_read(reader):
    """Tesseract read "'oe 555-0147" for this sign on the astronaut photo."""
    photo = sample_photo("astronaut").convert("RGB")
    photo.paste(render_sign("FOR RENT\nCALL 555-0147"), (58, 352))
    assert reader.read(photo).text == "FOR RENT CALL 555-0147"


@pytest.mark.parametrize("sample", ["astronaut", "clock", "coffee"])
def test_photos_without_writing_read_no_text(reader, sample):
    """The clock's face had read "®", the cup's rim "O"."""
    assert reader.read(sample_photo(sample)).text == NO_TEXT_FOUND


def test_a_gap_is_a_space_by_the_lines_own_gaps_or_the_letters_height():
    def ink(runs: list[int]) -> np.ndarray:  # alternating ink, gap, ink... widths
        columns = np.concatenate([np.full(width, index % 2 == 0) for index, width in enumerate(runs)])
        return np.repeat(columns[None, :], 10, axis=0)

    letters = ink([10, 3, 10, 3, 10, 9, 10, 3, 10, 3, 10])  # five gaps: 3 px between letters, 9 between words
    assert _word_gaps(letters, 0, 20, 10) == [(36, 45)]
    short = ink([10, 3, 10, 6, 10])  # two gaps, too few for a median: 0.4 of the 10 px letters
    assert _word_gaps(short, 100, 20, 10) == [(123, 129)]
    assert _word_gaps(ink([10]), 0, 20, 10) == []


def test_the_family_says_which_engines_and_options_there_are():
    with pytest.raises(LoadSpecError, match="engine 'easyocr' is not one of ppocr, tesseract"):
        TextReadingFamily("TextDetection", "cpu", {"engine": "easyocr"}).check()
    with pytest.raises(LoadSpecError, match="unknown options \\['psm'\\]; ppocr takes engine, threads"):
        TextReadingFamily("TextDetection", "cpu", {"psm": 6}).check()


@pytest.mark.parametrize(
    ("read", "meant"),
    [("T0", "TO"), ("2O1", "201"), ("50%", "50%"), ("A10", "A10"), ("0", "0"), ("c0ffee", "coffee"), ("OPEN", "OPEN")],
)
def test_a_zero_among_letters_is_the_letter_o(read, meant):
    from tools.backends.ppocr import _as_read

    assert _as_read(read) == meant
