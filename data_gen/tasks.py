"""What a teacher is asked for (:class:`Task`) and what it proposes (:class:`Draft`)."""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass

from data_gen.captions import Caption

IMAGE_PLACEHOLDER = "<image>"
SINGLE, CHAIN, NEGATIVE, CONTEXT, FAILURE = "single", "chain", "negative", "context", "failure"
SESSION = "session"  # the first step of a turn of a demo-shaped session (data_gen/sessions.py)
TEACHER_KINDS = (SINGLE, CHAIN, NEGATIVE)
SAMPLE_KINDS = (SINGLE, CHAIN, CONTEXT, NEGATIVE, FAILURE, SESSION)  # FAILURE: a failed call, then the answer
# Kinds of plan task (data_gen/plans.py): one tool, a chain of 2-4, independent branches, a tool used twice, no tool.
PLAN_KINDS = ("single", "chain", "dag", "repeated", "none")

# (prerequisite tool, tool): the first tool's output feeds the second (or, when the first returns boxes or
# text, the second works on the same image with what the first found).
CHAINS: tuple[tuple[str, str], ...] = (
    ("Edge Detection On Image", "Generate Image Condition On Canny Image"),
    ("Line Detection On Image", "Generate Image Condition On Line Image"),
    ("Hed Detection On Image", "Generate Image Condition On Soft Hed Boundary Image"),
    ("Sketch Detection On Image", "Generate Image Condition On Sketch Image"),
    ("Pose Detection On Image", "Generate Image Condition On Pose Image"),
    ("Predict Depth On Image", "Generate Image Condition On Depth"),
    ("Predict Normal Map On Image", "Generate Image Condition On Normal Map"),
    ("Segment the Image", "Generate Image Condition On Segmentations"),
    ("Detect the Give Object", "Segment the given object"),
    ("Generate Image From User Input Text", "Edge Detection On Image"),
    ("Generate Image From User Input Text", "Instruct Image Using Text"),
    ("Replace Something From The Photo", "Instruct Image Using Text"),
    ("Remove Something From The Photo", "Get Photo Description"),
    ("Detect the Give Object", "Blur Region"),
    ("Rotate Image", "Answer Question About The Image"),
    ("Instruct Image Using Text", "Get Photo Description"),
    ("Extend An Image", "Get Photo Description"),
    ("Remove the background", "Get Photo Description"),
    ("Generate Image From User Input Text", "Resize Image"),
    # An edit whose result is then read: the seen-tool counterparts of crop -> describe / read.
    ("Blur Region", "Get Photo Description"),
    ("Blur Region", "Answer Question About The Image"),
    ("Rotate Image", "Get Photo Description"),
    ("Resize Image", "Get Photo Description"),
    ("Remove the background", "Answer Question About The Image"),
    ("Detection", "Crop Image"),
    ("Crop Image", "Text Detection On Image"),
    ("Crop Image", "Get Photo Description"),
)
# Edit-then-analyse chains (drawn only with ``extended_chain``, on top of the chains above): a geometric edit
# that takes numbers (the seen counterparts of a crop), then an image analysis that the request names. Without
# them the model, after such an edit, often calls some image tool that the request did not ask for. Object
# tools (detect, segment the object) and background removal are left out as second steps: with them the model
# re-ran a detector after Detection and over-used background removal.
EDITS = ("Rotate Image", "Resize Image", "Blur Region")
ANALYSES = (
    "Edge Detection On Image",
    "Line Detection On Image",
    "Hed Detection On Image",
    "Sketch Detection On Image",
    "Pose Detection On Image",
    "Predict Depth On Image",
    "Predict Normal Map On Image",
    "Segment the Image",
    "Answer Question About The Image",
)
EDIT_THEN_ANALYSE_CHAINS: tuple[tuple[str, str], ...] = tuple(
    (edit, analysis) for edit in EDITS for analysis in ANALYSES if (edit, analysis) not in CHAINS
)
# The pick-one variant of detect -> blur (drawn only with ``pick_one_chain``): the request names two objects,
# the detector is asked for both and reports a labelled box for each, and the blur takes the box of the one the
# request wants hidden. The seen counterpart of cropping one object after Detection listed several.
PICK_ONE = "pick_one"
PICK_ONE_CHAIN = ("Detect the Give Object", "Blur Region")
# Tools that make an image from text alone: their requests need no image in the history.
TEXT_ONLY_TOOLS = frozenset({"Generate Image From User Input Text"})


@dataclass(frozen=True)
class Task:
    """One request to a teacher: ``tools`` are the gold tools in call order (empty for a negative)."""

    kind: str
    caption: Caption
    tools: tuple[str, ...]
    language: str
    with_image: bool
    index: int = 0
    variant: str = ""  # PICK_ONE, or "" for the plain task
    phrasing: str = ""  # the part of each bank of frames to draw from (phrasings.phrasing_pool); "" for all

    @property
    def key(self) -> str:
        """A stable identity, used for the teacher cache and to seed everything random about the task."""
        image = "img" if self.with_image else "noimg"
        variant = f"|{self.variant}" if self.variant else ""
        return f"{self.caption.id}|{self.kind}|{'+'.join(self.tools)}|{self.language}|{image}|{self.index}{variant}"

    def rng(self, seed: int, salt: str = "") -> random.Random:
        """A random generator that depends only on the seed and this task (so runs and resumes agree)."""
        digest = hashlib.sha256(f"{seed}|{self.key}|{salt}".encode()).digest()
        return random.Random(int.from_bytes(digest[:8], "big"))


@dataclass(frozen=True)
class Draft:
    """A teacher's proposal: the human's words and the gold tool calls, or the answer for a negative.

    ``request`` and the action inputs use :data:`IMAGE_PLACEHOLDER` where the image's file name goes;
    in a chain, the placeholder in a later call stands for the previous call's output image.
    """

    request: str
    calls: tuple[tuple[str, str], ...] = ()
    answer: str = ""
