"""Spaces Tesseract missed inside a word it read, put back from its letters' boxes in its hOCR output; and the box
of the text a reading found."""

from __future__ import annotations

from tools.backends.ocr import Letter, Word, hocr_words, placed_words, respaced, text_box


def word(
    letters: str, gaps: list[int], start: int = 0, width: int = 40, height: int = 50, *, top: int = 0, sure: int = 96
) -> Word:
    """One letter ``width`` wide after another, the n-th gap after the n-th letter."""
    placed, left = [], start
    for text, gap in zip(letters, [*gaps, 0], strict=True):
        placed.append(Letter(text, left, top, left + width, top + height))
        left += width + gap
    return Word(tuple(placed), sure)


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


def test_hocr_gives_each_word_its_letters_with_their_boxes_and_its_confidence():
    assert hocr_words(HOCR) == [Word((Letter("O", 68, 62, 161, 157), Letter("&", 178, 64, 253, 155)), 54)]


def test_the_text_box_holds_every_line_of_a_sign():
    lines = [word("NO", [5], start=90, sure=96), word("PARKING", [5] * 6, start=200, sure=96)]
    lines.append(word("ZONE", [5] * 3, start=30, top=60, sure=95))
    assert text_box(lines) == (30, 0, 510, 110)


def test_the_specks_read_in_a_photo_do_not_place_the_text():
    sign = word("STREET", [5] * 5, start=300, top=70, sure=95)
    specks = [word("74", [2], start=600, top=360, sure=73), word("lt", [2], top=600, sure=54)]
    unsure = word("MAIN", [5] * 3, top=70, sure=0)
    assert text_box([sign, *specks, unsure]) == (300, 70, 565, 120)
    assert text_box([*specks, unsure]) is None
    assert text_box([word("—", [], sure=89)]) is None  # no letter nor digit


TWO_LINES = b"""<?xml version="1.0" encoding="UTF-8"?>
<html xmlns="http://www.w3.org/1999/xhtml"><body><div class='ocr_page' title='bbox 0 0 1000 402'>
<span class='ocr_line' title="bbox 68 62 253 157">
 <span class='ocrx_word' title='bbox 68 62 161 157; x_wconf 96'>
  <span class='ocrx_cinfo' title='x_bboxes 68 62 161 157; x_conf 98.8'>A</span></span></span>
<span class='ocr_caption' title="bbox 68 200 253 290">
 <span class='ocrx_word' title='bbox 68 200 161 290; x_wconf 95'>
  <span class='ocrx_cinfo' title='x_bboxes 68 200 161 290; x_conf 98.8'>B</span></span></span>
</div></body></html>"""


def test_hocr_words_know_their_line():
    assert [(word.text, word.line) for word in hocr_words(TWO_LINES)] == [("A", 0), ("B", 1)]


def test_the_placed_words_are_the_pieces_of_the_sure_words():
    """ "9" of a sure "OPEN9TO5" is placed (a lone "9" needs 90); a speck's pieces are not."""
    sure = word("OPEN9TO5", [5, 5, 5, 30, 30, 5, 30], sure=54)
    speck = word("ee", [5], start=600, sure=30)
    assert [piece.text for piece in placed_words([sure, speck])] == ["OPEN", "9", "TO", "5"]
