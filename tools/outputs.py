"""Values handlers receive and return: input images, detection boxes, and their drawing."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PIL import Image

# What an observation says when a tool finds nothing: the same words in the generated training data
# (data_gen) and at run time, so the adapter meets at run time the sentence it was trained on.
NO_OBJECT_FOUND = "No object found."
NO_TEXT_FOUND = "No text found."
# What a handler may return, as the refusal of another result says it
EXPECTED_RESULTS = "an image, text, a Reading or Detections"
TEXT_LABEL = "text"  # the label of a reading's box (:class:`Reading`)
MAX_RESIZE_SIDE = 8192  # the largest width or height Resize Image makes


@dataclass(frozen=True)
class InputImage:
    """An image argument: its workspace name (for chained output names) and the decoded RGB picture."""

    name: str
    image: Image.Image


@dataclass(frozen=True)
class NotedImage:
    """An image handler's result with a ``note`` for the person, never for the model: where the tool did other than
    it was told, as a box clipped to the picture."""

    image: Image.Image
    note: str


CLIPPED_BOX = "The box {asked} went past the {width}x{height} picture, so the {edit} used {used}, the part inside it."


@dataclass(frozen=True)
class Box:
    """One detection: a label, a confidence and pixel corners (left, top, right, bottom)."""

    label: str
    score: float
    box: tuple[int, int, int, int]

    def describe(self) -> str:
        """``dog [x0, y0, x1, y1]``: the form of the training data's observations (scores stay in the data)."""
        return f"{self.label} [{', '.join(map(str, self.box))}]"


def box_iou(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> float:
    """Intersection over union of two (left, top, right, bottom) boxes."""
    inter = max(0, min(a[2], b[2]) - max(a[0], b[0])) * max(0, min(a[3], b[3]) - max(a[1], b[1]))
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union else 0.0


def object_names(text: str) -> list[str]:
    """The objects a detection request names: one (``dog``), or several separated by commas or semicolons
    (``dog, frisbee``); duplicates dropped, order kept."""
    return list(dict.fromkeys(part.strip() for part in re.split(r"[,;]", text) if part.strip())) or [text.strip()]


@dataclass(frozen=True)
class Detections:
    """What a detection handler returns: the boxes found on ``image`` (the runtime draws and saves them);
    ``finds_only``: the labels a closed-set detector can find at all (empty for one that looks for any name)."""

    image: Image.Image
    boxes: tuple[Box, ...]
    finds_only: tuple[str, ...] = ()

    def describe(self) -> str:
        """The observation: every box in the training data's form, or :data:`NO_OBJECT_FOUND`."""
        return "; ".join(b.describe() for b in self.boxes) or NO_OBJECT_FOUND

    @property
    def note(self) -> str:
        """For the person, not the model: what a closed-set detector that found nothing can find at all
        (:func:`scope_note`), since "no object" from a face-and-cat detector is not "nothing in the picture"; else
        ``""``. (Shown that sentence in its observation, the small model answered "It found: person, upper body".)"""
        return scope_note(self.finds_only) if self.finds_only and not self.boxes else ""


@dataclass(frozen=True)
class PlacedWord:
    """One word a reader is sure of, where it is (pixels of the image read) and its line (0 for the first)."""

    text: str
    box: tuple[int, int, int, int]
    line: int = 0


@dataclass(frozen=True)
class Reading:
    """What a text reader returns: the words it read (the observation) and the box that holds them, in the pixels
    of the image read (``None`` when it read nothing it is sure of), which the agent crops or blurs for "crop to the
    sign"; and each word it is sure of, placed, for "blur the phone number". The model reads the words only, as it
    was trained to."""

    text: str
    box: tuple[int, int, int, int] | None = None
    words: tuple[PlacedWord, ...] = ()

    def describe(self) -> str:
        return self.text

    @property
    def boxes(self) -> tuple[Box, ...]:
        """The text's box as a detection (label ``text``), or none."""
        return (Box(TEXT_LABEL, 1.0, self.box),) if self.box else ()


def scope_note(labels: tuple[str, ...]) -> str:
    """The sentence that says what a closed-set detector can find: ``This detector only finds: face, cat.``"""
    return f"This detector only finds: {', '.join(labels)}."


def draw_boxes(image: Image.Image, boxes: tuple[Box, ...], scores: bool = True) -> Image.Image:
    """A copy of ``image`` with each box outlined and labelled (with its score unless ``scores`` is false)."""
    from PIL import ImageDraw

    drawn = image.copy()
    draw = ImageDraw.Draw(drawn)
    width = max(2, round(max(image.size) / 200))
    colours = ("#ff3b30", "#34c759", "#007aff", "#ff9500", "#af52de", "#5ac8fa")
    for index, box in enumerate(boxes):
        colour = colours[index % len(colours)]
        draw.rectangle(box.box, outline=colour, width=width)
        draw.text(
            (box.box[0] + width, box.box[1] + width),
            f"{box.label} {box.score:.2f}" if scores else box.label,
            fill=colour,
        )
    return drawn
