"""A made map is called by the name of the tool that made it."""

from __future__ import annotations

import pytest

from agent.result_words import with_plural_agreement, with_result_noun
from tools.catalog import default_registry

TOOLS = default_registry()
SKETCH = "image/4108_scribble_886eb541.png"
HED = "image/994a_hed_299c.png"


@pytest.mark.parametrize(
    ("answer", "made", "maker", "expected"),
    [
        (
            f"The straight lines is ready: {SKETCH}",
            SKETCH,
            "Sketch Detection On Image",
            f"The sketch is ready: {SKETCH}",
        ),
        (f"The Straight Lines is {HED}.", HED, "Hed Detection On Image", f"The soft boundary map is {HED}."),
        (
            f"I found these straight lines: {SKETCH}",
            SKETCH,
            "Sketch Detection On Image",
            f"I found this sketch: {SKETCH}",
        ),
        (f"Those straight lines are in {HED}.", HED, "Pose Detection On Image", f"That pose skeleton is in {HED}."),
        (f"{SKETCH} is the sketch you asked for.", SKETCH, "Sketch Detection On Image", None),  # its own name
        (f"Done! I saved it as {SKETCH}.", SKETCH, "Sketch Detection On Image", None),  # no map named
        (f"The straight lines of {HED} are below.", SKETCH, "Sketch Detection On Image", None),  # not the file made
        ("The depth map is ready.", SKETCH, "Sketch Detection On Image", None),  # names no file
        (f"Rotated: {SKETCH} (the sketch turned)", SKETCH, "Rotate Image", None),  # the maker draws no map
    ],
)
def test_an_answer_calls_the_made_map_by_its_makers_name(answer, made, maker, expected):
    assert with_result_noun(answer, made, TOOLS.get(maker), TOOLS) == (expected or answer)


def test_a_file_names_own_words_are_not_a_name_for_the_map():
    line_file = "image/aa11_line_bb22.png"  # "line" inside the name, "straight lines" nowhere
    answer = f"Here it is: {line_file}"
    assert with_result_noun(answer, line_file, TOOLS.get("Line Detection On Image"), TOOLS) == answer


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        # seen in a Gradio drive
        (
            "image/4a67_line_58bc.png is the straight lines you asked for.",
            "image/4a67_line_58bc.png shows the straight lines you asked for.",
        ),
        (
            "The straight lines is ready: image/4a67_line_58bc.png",
            "The straight lines are ready: image/4a67_line_58bc.png",
        ),
        ("The edge map is ready: image/4c70_edge_58bc.png", None),
        ("Done! I saved the straight lines as image/4a67_line_58bc.png.", None),
    ],
)
def test_a_map_named_by_a_plural_takes_a_plurals_verb(answer, expected):
    assert with_plural_agreement(answer) == (expected or answer)
