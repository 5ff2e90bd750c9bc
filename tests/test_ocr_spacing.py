"""Spaces Tesseract missed inside a word it read, put back from its letters' boxes in its hOCR output."""

from __future__ import annotations

from tools.backends.ocr import Letter, hocr_words, respaced


def word(letters: str, gaps: list[int], start: int = 0, width: int = 40, height: int = 50) -> list[Letter]:
    """One letter ``width`` wide after another, the n-th gap after the n-th letter."""
    placed, left = [], start
    for text, gap in zip(letters, [*gaps, 0], strict=True):
        placed.append(Letter(text, left, left + width, height))
        left += width + gap
    return placed


def test_a_gap_as_wide_as_a_space_splits_the_word():
    assert respaced([word("OPEN9TO5", [5, 5, 5, 30, 30, 5, 30])]) == ["OPEN", "9", "TO", "5"]


def test_letters_a_little_apart_stay_one_word():
    assert respaced([word("PARKING", [12] * 6)]) == ["PARKING"]  # 0.24 of the letters' height


def test_words_already_apart_keep_their_split_and_gain_the_missed_one():
    read = [word("NO", [5]), word("PARKING9", [5] * 6 + [30], start=200)]
    assert respaced(read) == ["NO", "PARKING", "9"]


def test_overlapping_letters_and_no_words():
    assert respaced([word("FRI", [-20, -30])]) == ["FRI"]
    assert respaced([]) == []


HOCR = b"""<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN"
    "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
<html xmlns="http://www.w3.org/1999/xhtml"><body><div class='ocr_page' title='bbox 0 0 1000 402'>
<span class='ocr_line' title="bbox 68 62 928 157; baseline 0 0">
 <span class='ocrx_word' title='bbox 68 62 253 157; x_wconf 54'>
  <span class='ocrx_cinfo' title='x_bboxes 68 62 161 157; x_conf 98.8'>O</span>
  <span class='ocrx_cinfo' title='x_bboxes 178 64 253 155; x_conf 99.0'>&amp;</span>
 </span>
 <span class='ocrx_word' title='bbox 300 62 400 157; x_wconf 0'></span>
</span></div></body></html>"""


def test_hocr_gives_each_word_its_letters_with_their_extent():
    assert hocr_words(HOCR) == [[Letter("O", 68, 161, 95), Letter("&", 178, 253, 91)]]
