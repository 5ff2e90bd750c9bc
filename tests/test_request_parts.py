"""Requests of several things read part by part (agent/request_parts.py) and the tools a part asks for by its words
(agent/tool_words.py)."""

from __future__ import annotations

import pytest

from agent.request_parts import asked_parts, asks_for_several, request_parts
from agent.tool_words import named_by
from tools.catalog import default_registry

TOOLS = default_registry()


@pytest.mark.parametrize(
    ("request_text", "parts"),
    [
        ("blur the face", ["blur the face"]),
        ("make it black and white", ["make it black and white"]),  # "and white" is no second thing
        ("detect the person in d.png and blur the face", ["detect the person in d.png", "and blur the face"]),
        ("find the faces, then blur them", ["find the faces", "then blur them"]),
        ("rotate it; then crop it", ["rotate it", "then crop it"]),  # "; then" is one join
        ("crop it, then resize it and finally rotate it", ["crop it", "then resize it and", "finally rotate it"]),
        ("edges then", ["edges"]),  # a part of joining words alone asks for nothing
    ],
)
def test_a_request_is_cut_where_one_thing_asked_ends(request_text, parts):
    assert request_parts(request_text) == parts
    assert asked_parts(request_text) == len(parts)
    assert asks_for_several(request_text) is (len(parts) > 1)


@pytest.mark.parametrize(
    ("request_text", "several"),
    [
        # seen in a --cli drive in plan mode "auto": planned as a detection, a crop of the upper body found in place of
        # the cat, and a resize to 1 x 1; one square crop, as the ReAct loop runs it
        ("crop to the cat and make it square", False),
        ("zoom in on her face, then make it square please", False),
        ("rotate it and make it square", True),  # the square is not the rotation's
        ("crop to the cat and make it 200 wide", True),
    ],
)
def test_a_crop_made_square_is_one_thing(request_text, several):
    assert asks_for_several(request_text) is several


@pytest.mark.parametrize(
    ("request_text", "several"),
    [
        # seen in a --cli drive in plan mode "auto": planned as a detection, a crop and a reading, and the question
        # was never answered; the chat reads and answers from the words
        ("read the sign and tell me when they close on saturday", False),
        ("detect the text, then tell me the phone number", False),
        ("read the sign and blur the phone number", True),
        ("crop the sign and tell me what it says", True),  # a crop, then a reading
    ],
)
def test_a_reading_and_a_question_of_its_words_is_one_thing(request_text, several):
    from agent.request_parts import reads_then_asks

    assert asks_for_several(request_text) is several
    assert reads_then_asks(request_text) is not several


@pytest.mark.parametrize(
    ("request_text", "tool", "named"),
    [
        ("rotate it", "Rotate Image", True),
        ("turn it upside down", "Rotate Image", True),  # an edit in other words
        ("show me the edges", "Edge Detection On Image", True),  # the map's name
        ("remove the background", "Remove the background", True),  # a telling word of the tool's name
        ("make it black and white", "Remove the background", False),
        ("read the sign", "Text Detection On Image", True),  # any word of writing
        ("the content of e.jpg", "Text Detection On Image", False),
        ("find the cat", "Detection", True),  # a search
        ("blur the face", "Detection", True),  # the boxes a blur of something found needs
        ("make it smaller", "Detection", None),  # a detector has no other telling words
    ],
)
def test_whether_a_request_asks_for_a_tool_by_its_words(request_text, tool, named):
    assert named_by(request_text, tool, TOOLS) is named
