"""A planned resize takes the size the request asks for relative to the picture (agent.plan_sizes)."""

from __future__ import annotations

from agent.plan_sizes import sizes_from_the_request
from protocol.plan import Plan, PlanStep
from tools.catalog import default_registry

TOOLS = default_registry().subset(("Resize Image", "Edge Detection On Image", "Crop Image"))
PHOTO = "image/9d347fe4.png"


def plan(*steps):
    return Plan(tuple(PlanStep.of(task, index, args) for index, (task, args) in enumerate(steps)))


def known(image):
    return (512, 384) if image == PHOTO else None


def resize(image, width=512, height=384):
    return ("Resize Image", {"image_path": image, "width": width, "height": height})


EDGES_OF_0 = ("Edge Detection On Image", {"image_path": "<GENERATED>-0"})


def test_twice_as_big_is_twice_the_uploads_size():
    """The embedded planner wrote the photo's own size for "make it twice as big, then show me the edges"."""
    request = "make it twice as big, then show me the edges"
    sized, changed = sizes_from_the_request(plan(resize(PHOTO), EDGES_OF_0), request, TOOLS, known)
    assert sized == plan(resize(PHOTO, 1024, 768), EDGES_OF_0) and changed == {0: (1024, 768)}


def test_a_size_in_numbers_or_on_an_unknown_image_is_the_planners():
    stated = plan(resize(PHOTO, 128, 128))
    assert sizes_from_the_request(stated, "make it 128 by 128", TOOLS, known) == (stated, {})
    crop = ("Crop Image", {"image_path": PHOTO, "left": 0, "top": 0, "right": 256, "bottom": 192})
    chained = plan(crop, resize("<GENERATED>-0", 10, 10))  # the crop's size is known only once it ran
    assert sizes_from_the_request(chained, "crop it, then make it half the size", TOOLS, known) == (chained, {})
    already = plan(resize(PHOTO, 256, 192))
    assert sizes_from_the_request(already, "half the size please", TOOLS, known) == (already, {})
