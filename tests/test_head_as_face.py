"""A person's head in a crop or blur read as the face, a crop of it with some margin (agent/head_as_face.py)."""

from __future__ import annotations

import pytest

from agent.head_as_face import as_the_face


@pytest.mark.parametrize(
    ("request_text", "read"),
    [
        ("crop her head", "crop her face with some margin"),  # seen in a --cli drive: asked for a box
        ("zoom in on his head", "zoom in on his face with some margin"),
        ("crop to the head and rotate it 90", "crop to the face with some margin and rotate it 90"),
        ("blur his head", "blur his face"),
        ("crop their heads with 10 px padding", "crop their faces with 10 px padding"),  # its own margin
        ("crop the cat's head", "crop the cat's head"),  # a cat's part: agent/detector_scope.py
        ("what is on her head?", "what is on her head?"),  # no edit
    ],
)
def test_a_head_is_the_face(request_text, read):
    assert as_the_face(request_text) == read
