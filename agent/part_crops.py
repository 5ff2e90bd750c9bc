"""A crop called by the part it kept: "rotate the left half 180" after "crop the left half" and "now the right half".

Asked so, the model rotated the newest crop, the right half. The call that made each image is recorded
(``ChatSession.made_by``): the newest crop whose box is the part of its source that the request names by its place
("the left half", "the top-right quarter": :func:`agent.stated_numbers.named_region`) is the one meant, unless the
request asks for a crop itself (then the words name the part to cut).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from agent.pending_edit import CROPPER
from agent.stated_numbers import named_region
from agent.undo import made_call


def crop_of_the_part(
    request: str, made_by: Mapping[str, str], size: Callable[[str], tuple[int, int] | None]
) -> str | None:
    """The newest image a crop of the part ``request`` names by its place made (``made_by``: each made image's call;
    ``size``: an image's width and height); ``None`` when none did."""
    for image in reversed(list(made_by)):
        made = made_call(made_by, image)
        if made.tool != CROPPER or len(made.arguments) != 5:
            continue
        dimensions = size(made.arguments[0].strip())
        region = named_region(request, *dimensions) if dimensions else None
        try:
            box = tuple(round(float(corner)) for corner in made.arguments[1:])
        except ValueError:
            continue
        if region is not None and box == region:
            return image
    return None
