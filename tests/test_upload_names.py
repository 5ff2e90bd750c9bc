"""Uploads called by the words of their files' names (agent/upload_names.py)."""

from __future__ import annotations

import pytest

from agent.upload_names import name_words, upload_named

FILES = {"image/a1.png": "astronaut.png", "image/b2.png": "IMG_2041.jpg", "image/c3.png": "red_car-2.jpg"}


def test_the_telling_words_of_a_file_name():
    assert name_words("red_car-2.jpg") == {"red", "car"}
    assert name_words("IMG_2041.JPG") == frozenset()  # a camera's name says nothing
    assert name_words("/tmp/uploads/Chelsea the Cat.png") == {"chelsea", "cat"}


@pytest.mark.parametrize(
    ("request_text", "upload"),
    [
        ("resize the astronaut to 256x256", "image/a1.png"),
        ("show me the edges of the cars", "image/c3.png"),  # plural
        ("rotate the image by 90 degrees", None),  # no file's word
        ("make the red astronaut smaller", None),  # two files' words: which is unclear
    ],
)
def test_which_upload_a_request_calls_by_its_files_name(request_text, upload):
    assert upload_named(request_text, FILES) == upload
