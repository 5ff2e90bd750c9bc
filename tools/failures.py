"""The sentences a failed tool call reports, shared by the runtime and data_gen's failure samples.

The runtime raises its errors with these messages; data_gen writes the same messages as observations of
failed calls, so the adapter meets at run time the failures it was trained to report.
"""

from __future__ import annotations

from collections.abc import Sequence

NO_PERSON_FOR_POSE = "no person found in the image, so there is no pose to draw"
NO_PERSON_FOR_BACKGROUND = "no person found in the image; background removal keeps people only"


def object_not_found(name: str, image: str) -> str:
    """A composite tool (segment, remove, replace) found no ``name`` in the image."""
    return f"no {name!r} found in {image}; name an object that is visible in the image"


def empty_box(operation: str, corners: Sequence[float], size: tuple[int, int]) -> str:
    """A crop or blur box that holds no pixel of a ``size`` (width, height) image."""
    left, top, right, bottom = corners
    width, height = size
    return (
        f"{operation} box ({left:g}, {top:g}, {right:g}, {bottom:g}) is empty inside the {width}x{height} image; "
        "give left < right and top < bottom in pixels"
    )


def tool_failed(tool: str, error: str) -> str:
    """A tool's model or library failed on valid input with ``error`` (``Type: message``)."""
    return f"{tool!r} failed: {error}"
