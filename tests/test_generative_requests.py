"""Requests for a new picture or an edit only a generative tool makes, read from their wording
(agent.generative_requests; the loop's "not loaded" answer is tested in tests/test_agent_loop.py)."""

from __future__ import annotations

import pytest

from agent.generative_requests import GENERATOR, REMOVER, REPLACER, RESTYLER, asks_only_that, generative_tool
from tools.catalog import default_registry

OFFLINE = default_registry().subset(
    (
        "Edge Detection On Image",
        "Sketch Detection On Image",
        "Remove the background",
        "Rotate Image",
        "Resize Image",
        "Crop Image",
        "Detection",
    )
)


@pytest.mark.parametrize(
    ("request_text", "tool"),
    [
        # what the offline demo answered with another tool, as done
        ("make it black and white", RESTYLER),
        ("invert the colors of the edges", RESTYLER),
        ("and sharper?", RESTYLER),  # seen in a --cli drive: the model resized to 176 x 65616
        ("a bit brighter please", RESTYLER),  # seen in a --cli drive: it rotated the photo by 180 degrees
        ("make it a negative", RESTYLER),
        ("invert the crop box", None),
        ("make it look like a watercolor painting", RESTYLER),
        ("convert it to grayscale", RESTYLER),  # seen in --cli: it ran Text Detection
        ("and now black and white?", RESTYLER),  # seen in a drive: it removed the background of a rocket
        ("grayscale please", RESTYLER),
        ("what is black and white photography?", None),
        ("turn it into a cartoon", RESTYLER),
        ("make it look nicer", RESTYLER),  # the embedded model read the photo's text
        ("make it look warmer", RESTYLER),  # seen in a --cli drive: "I could not answer that"
        ("can you enhance this photo?", RESTYLER),
        ("add a rainbow to the sky", RESTYLER),
        ("add a rainbow", RESTYLER),  # seen in a --cli drive: it blurred a box of 600, 400, 400, 600
        ("add some snow", RESTYLER),
        ("add a white border", None),  # no tool adds one (agent/capabilities.py says so)
        ("add some blur to the face", None),
        ("add a red box around it", None),
        ("make a cartoon of it", RESTYLER),  # seen in a --cli drive: it drew a sketch, answered as asked for
        ("make a black and white version of this photo", RESTYLER),
        ("make a sketch of it", None),
        ("make the sky purple", RESTYLER),  # seen in a drive: it removed the background (no person found)
        ("change her hair to blue", RESTYLER),
        ("make the second one a cartoon", RESTYLER),  # seen in a drive: it sketched the photo, answered as asked for
        ("make the text bigger", None),
        ("can you make it clearer", RESTYLER),  # seen in a drive: it removed the background (no person found)
        ("make her face blurry", None),
        ("remove the spoon from the picture", REMOVER),
        ("remove the black corners", None),  # seen in a --cli drive after a rotation: answered not loaded
        ("replace the cup with a teapot", REPLACER),
        ("replace the cat in image/81017298.png with a dog", REPLACER),
        ("draw a picture of a cat", GENERATOR),
        ("can you paint a sunset over the sea?", GENERATOR),
        ("make image/ea159d93.png black and white", RESTYLER),  # a file name's digits are not numbers stated
        # a new picture that follows a map the person has (the conditioned generators: ToolSpec.follows_map)
        ("Here's a pose I made. Turn it into an astronaut.", "Generate Image Condition On Pose Image"),
        ("draw a castle from this sketch", "Generate Image Condition On Sketch Image"),
        ("use this depth map to make a forest", "Generate Image Condition On Depth"),
        ("here's a line drawing of a room, make it a modern kitchen", "Generate Image Condition On Line Image"),
        (
            "based on pose of /examples/d.jpg and content of /examples/e.jpg, please show me a new image",  # HuggingGPT
            "Generate Image Condition On Pose Image",
        ),
        ("I drew this segmentation map, make it a watercolour painting", "Generate Image Condition On Segmentations"),
        ("show me the edges of this sketch", None),  # a map of it, not a picture that follows it
        ("draw the pose of the person", None),
        # the loaded tools' work, numbers and advice
        ("turn it into a sketch", None),
        ("make it 128 by 128", None),
        ("make it smaller", None),
        ("make the crop bigger", None),
        ("remove the background", None),
        ("get rid of everything except the person", None),
        ("draw a box around the label", None),
        ("how do I remove the background?", None),
        ("write a haiku about rockets", None),
        ("render a snowy village street that follows this depth", "Generate Image Condition On Depth"),
        # a map made earlier in the request (seen in a --cli drive: the pose map's sketch, answered "Here is the sketch")
        ("make a pose map and then generate a new image from it", "Generate Image Condition On Pose Image"),
        ("show me the edges, then make a new picture from that", "Generate Image Condition On Canny Image"),
        ("show me her pose and then crop it", None),
    ],
)
def test_the_generative_tool_a_request_asks_for(request_text, tool):
    assert generative_tool(request_text, OFFLINE) == tool


@pytest.mark.parametrize(
    ("request_text", "only"),
    [
        ("make it black and white", True),
        ("Here is a pose I made. Turn it into an astronaut.", True),  # the first sentence only hands the map over
        ("rotate it and make it black and white", False),
        ("draw a cat, then rotate it", False),
        ("Make it black and white. Then rotate it.", False),
        ("and a normal map", True),  # seen in a --cli drive after a depth map: the model ran Line Detection
        ("ok, and then rotate it", True),
    ],
)
def test_one_request_or_several(request_text, only):
    assert asks_only_that(request_text) is only
