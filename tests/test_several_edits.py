"""Requests for several edits at once: each one is done (agent/several_edits.py)."""

from __future__ import annotations

import pytest

from agent.several_edits import edit_not_run
from tools.catalog import default_registry

TOOLS = default_registry().subset(
    ("Rotate Image", "Resize Image", "Crop Image", "Blur Region", "Edge Detection On Image", "Hed Detection On Image")
)


@pytest.mark.parametrize(
    ("request_text", "called", "missing"),
    [
        ("make it bigger and rotate it by 90 degrees", ["Rotate Image"], "Resize Image"),
        ("rotate it 90 degrees and then show me the edges", ["Rotate Image"], "Edge Detection On Image"),
        ("crop the top half, then turn it upside down", ["Crop Image"], "Rotate Image"),
        ("show me the soft edges and make it 128x128", ["Hed Detection On Image"], "Resize Image"),
        ("make it bigger and rotate it by 90 degrees", ["Rotate Image", "Resize Image"], None),  # both done
        ("make it bigger and rotate it by 90 degrees", [], None),  # nothing ran: the other rules' turn
        ("rotate it by 90 degrees", ["Rotate Image"], None),  # one edit
        ("thanks for the resize, now show me the edges", ["Edge Detection On Image"], None),
        ("turn it into a sketch and show me the edges", ["Edge Detection On Image"], None),  # no rotation
        # seen in a drive: after the resize, a crop was opened for "the crop" and failed
        ("make the crop 2x bigger", ["Resize Image"], None),
        ("this blur is too weak, make it 2x bigger", ["Resize Image"], None),
        ("blur the face and make it bigger", ["Resize Image"], "Blur Region"),
    ],
)
def test_which_edit_of_several_did_not_run(request_text, called, missing):
    assert edit_not_run(request_text, called, TOOLS) == missing
