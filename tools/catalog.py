"""The tool catalogue: every tool the model can call, declared once.

Names are exactly those GPT4Tools / Visual ChatGPT use, so their data and metrics apply. Descriptions
are ours. The model family (``family``) is the TaskMatrix/GPT4Tools class name that ``--load`` takes;
composite (template) tools list the extra families they need in ``requires``.
"""

from __future__ import annotations

from functools import cache

from tools.registry import ToolRegistry
from tools.spec import InputKind, OutputKind, ToolInput, ToolSpec

IMAGE = ToolInput("image_path", InputKind.IMAGE, "the image to work on")
PROMPT = ToolInput("text", InputKind.TEXT, "what the new image should show")
# a rectangle in pixels, as the tools that take one (Crop Image, Blur Region) read it after the image
BOX_CORNERS = tuple(ToolInput(corner, InputKind.NUMBER) for corner in ("left", "top", "right", "bottom"))


def _image_tool(
    name: str, family: str, operation: str, description: str, handler: str, *, makes_map: tuple[str, ...] = ()
) -> ToolSpec:
    """A tool that takes one image and returns an image (``makes_map``: the names of the map it draws, ``ToolSpec``)."""
    return ToolSpec(
        name, description, (IMAGE,), OutputKind.IMAGE, family, operation=operation, handler=handler, makes_map=makes_map
    )


def _conditioned_generator(condition: str, name: str, family: str, follows_map: tuple[str, ...]) -> ToolSpec:
    """A ControlNet generator: a condition image plus a prompt -> a new image (``follows_map``: ``ToolSpec``'s)."""
    return ToolSpec(
        name,
        f"Draws a new image that follows the {condition} of a given image and a text description. "
        f"Use it when the human wants a new picture shaped by the {condition} of an existing image.",
        (ToolInput("image_path", InputKind.IMAGE, f"the {condition} image"), PROMPT),
        OutputKind.IMAGE,
        family,
        operation=family.removesuffix("Text2Image").lower() + "2image",
        handler="tools.backends.diffusion:controlnet_generate",
        follows_map=follows_map,
    )


_CONTROLNET_CONDITIONS = (
    ("edge map", "Generate Image Condition On Canny Image", "CannyText2Image", ("edge map", "edges", "canny")),
    ("line drawing", "Generate Image Condition On Line Image", "LineText2Image", ("line drawing", "lines")),
    (
        "soft HED boundary",
        "Generate Image Condition On Soft Hed Boundary Image",
        "HedText2Image",
        ("soft boundary map", "hed", "soft edges"),
    ),
    ("sketch", "Generate Image Condition On Sketch Image", "ScribbleText2Image", ("sketch", "scribble", "doodle")),
    ("human pose", "Generate Image Condition On Pose Image", "PoseText2Image", ("pose skeleton", "pose", "skeleton")),
    ("depth map", "Generate Image Condition On Depth", "DepthText2Image", ("depth map", "depth")),
    ("normal map", "Generate Image Condition On Normal Map", "NormalText2Image", ("normal map",)),
    (
        "segmentation map",
        "Generate Image Condition On Segmentations",
        "SegText2Image",
        ("segmentation map", "segmentation"),
    ),
)

TOOL_SPECS: tuple[ToolSpec, ...] = (
    ToolSpec(
        "Get Photo Description",
        "Tells what is in a photo. Use it when the human asks what an image shows or wants it described.",
        (IMAGE,),
        OutputKind.TEXT,
        "ImageCaptioning",
        operation="caption",
        handler="tools.backends.blip:caption",
    ),
    ToolSpec(
        "Answer Question About The Image",
        "Answers a question about a photo. Use it when the human asks something specific about an image.",
        (IMAGE, ToolInput("question", InputKind.TEXT, "the question to answer")),
        OutputKind.TEXT,
        "VisualQuestionAnswering",
        operation="vqa",
        handler="tools.backends.blip:answer",
    ),
    ToolSpec(
        "Generate Image From User Input Text",
        "Draws a new image from a text description. Use it when the human wants a picture of something "
        "and gives no image to start from.",
        (PROMPT,),
        OutputKind.IMAGE,
        "Text2Image",
        operation="text2image",
        handler="tools.backends.diffusion:text_to_image",
    ),
    ToolSpec(
        "Instruct Image Using Text",
        "Changes the style or content of an image as a text instruction says, e.g. make it look like a "
        "watercolour or turn day into night.",
        (IMAGE, ToolInput("instruction", InputKind.TEXT, "how to change the image")),
        OutputKind.IMAGE,
        "InstructPix2Pix",
        operation="pix2pix",
        handler="tools.backends.diffusion:instruct",
    ),
    _image_tool(
        "Edge Detection On Image",
        "Image2Canny",
        "edge",
        "Finds the edges in an image and returns an edge map (Canny).",
        "tools.backends.opencv:canny",
        makes_map=("edge map", "canny", "edges"),
    ),
    _image_tool(
        "Line Detection On Image",
        "Image2Line",
        "line",
        "Finds the straight lines in an image and returns a line drawing.",
        "tools.backends.opencv:line_segments",
        makes_map=("line drawing", "straight lines", "lines"),
    ),
    _image_tool(
        "Hed Detection On Image",
        "Image2Hed",
        "hed",
        "Finds soft object boundaries in an image and returns a HED boundary map.",
        "tools.backends.hed:hed_boundary",
        makes_map=("soft boundary map", "hed", "soft boundary", "soft boundaries", "soft edges"),
    ),
    _image_tool(
        "Sketch Detection On Image",
        "Image2Scribble",
        "scribble",
        "Turns an image into a simple black-and-white sketch of its outlines.",
        "tools.backends.hed:sketch",
        makes_map=("sketch", "scribble"),
    ),
    _image_tool(
        "Pose Detection On Image",
        "Image2Pose",
        "pose",
        "Finds the body pose of the people in an image and returns a skeleton drawing.",
        "tools.backends.mediapipe:pose",
        makes_map=("pose skeleton", "pose", "skeleton"),
    ),
    _image_tool(
        "Predict Depth On Image",
        "Image2Depth",
        "depth",
        "Estimates how far each part of an image is and returns a depth map.",
        "tools.backends.depth:depth",
        makes_map=("depth map", "depth"),
    ),
    _image_tool(
        "Predict Normal Map On Image",
        "Image2Normal",
        "normal",
        "Estimates the surface orientation in an image and returns a normal map.",
        "tools.backends.depth:normal",
        makes_map=("normal map",),
    ),
    *(_conditioned_generator(*condition) for condition in _CONTROLNET_CONDITIONS),
    _image_tool(
        "Segment the Image",
        "Segmenting",
        "segment",
        "Splits an image into its separate regions and returns them coloured.",
        "tools.backends.sam:segment_everything",
        makes_map=("segmentation", "segments"),
    ),
    ToolSpec(
        "Detect the Give Object",
        "Finds a named object in an image and draws a box around every place it appears.",
        (IMAGE, ToolInput("object", InputKind.TEXT, "the object to find")),
        OutputKind.BOXES,
        "Text2Box",
        operation="detect",
        handler="tools.backends.grounding:detect",
    ),
    ToolSpec(
        "Segment the given object",
        "Cuts out a named object in an image and returns its mask.",
        (IMAGE, ToolInput("object", InputKind.TEXT, "the object to segment")),
        OutputKind.IMAGE,
        "Segmenting",
        requires=("Text2Box",),
        operation="segobj",
        handler="tools.backends.composites:segment_object",
    ),
    ToolSpec(
        "Remove Something From The Photo",
        "Erases a named object from a photo and fills the hole with matching background.",
        (IMAGE, ToolInput("object", InputKind.TEXT, "the object to remove")),
        OutputKind.IMAGE,
        "Inpainting",
        requires=("Text2Box", "Segmenting"),
        operation="remove",
        handler="tools.backends.composites:remove_object",
    ),
    ToolSpec(
        "Replace Something From The Photo",
        "Replaces a named object in a photo with something else described in text.",
        (
            IMAGE,
            ToolInput("object", InputKind.TEXT, "the object to replace"),
            ToolInput("replacement", InputKind.TEXT, "what to put in its place"),
        ),
        OutputKind.IMAGE,
        "Inpainting",
        requires=("Text2Box", "Segmenting"),
        operation="replace",
        handler="tools.backends.composites:replace_object",
    ),
    ToolSpec(
        "Extend An Image",
        "Enlarges the canvas of an image to a target size and paints the new border to match.",
        (IMAGE, ToolInput("size", InputKind.SIZE, "the target size")),
        OutputKind.IMAGE,
        "Inpainting",
        requires=("ImageCaptioning", "VisualQuestionAnswering"),
        operation="extend",
        handler="tools.backends.composites:extend_image",
    ),
    _image_tool(
        "Remove the background",
        "BackgroundRemoving",
        "nobg",
        "Keeps the main subject of an image and makes the background transparent.",
        "tools.backends.mediapipe:remove_background",
    ),
    ToolSpec(
        "Rotate Image",
        "Turns an image counter-clockwise by an angle in degrees (negative turns it clockwise).",
        (IMAGE, ToolInput("angle", InputKind.NUMBER, "degrees, counter-clockwise")),
        OutputKind.IMAGE,
        "ImageEditing",
        operation="rotate",
        handler="tools.backends.opencv:rotate",
    ),
    ToolSpec(
        "Resize Image",
        "Scales an image to a new width and height in pixels (the picture is stretched, nothing is painted).",
        (IMAGE, ToolInput("width", InputKind.NUMBER), ToolInput("height", InputKind.NUMBER)),
        OutputKind.IMAGE,
        "ImageEditing",
        operation="resize",
        handler="tools.backends.opencv:resize",
    ),
    ToolSpec(
        "Blur Region",
        "Blurs a rectangle of an image, given its pixel corners (left, top, right, bottom), to hide a face, "
        "a licence plate or other private detail.",
        (IMAGE, *BOX_CORNERS),
        OutputKind.IMAGE,
        "ImageEditing",
        operation="blur",
        handler="tools.backends.opencv:blur_region",
    ),
    ToolSpec(
        "Crop Image",
        "Cuts out a rectangle of an image given its pixel corners (left, top, right, bottom).",
        (IMAGE, *BOX_CORNERS),
        OutputKind.IMAGE,
        "ImageCropping",
        operation="crop",
        handler="tools.backends.opencv:crop",
        held_out=True,
    ),
    ToolSpec(
        "Text Detection On Image",
        "Reads the text written in an image (signs, labels, documents) and returns it.",
        (IMAGE,),
        OutputKind.TEXT,
        "TextDetection",
        operation="ocr",
        handler="tools.backends.ocr:read_text",
        held_out=True,
        places_text=True,
    ),
    ToolSpec(
        "Detection",
        "Finds the objects in an image (people, faces, animals...) and returns their names and boxes.",
        (IMAGE,),
        OutputKind.BOXES,
        "ObjectDetection",
        operation="det",
        handler="tools.backends.opencv:detect_objects",
        held_out=True,
    ),
)


def default_registry() -> ToolRegistry:
    """A fresh registry holding every tool of the catalogue."""
    return ToolRegistry(TOOL_SPECS)


@cache
def map_operations() -> frozenset[str]:
    """The operation tags of the tools whose output is a map drawn from a photo (``ToolSpec.makes_map``)."""
    return frozenset(spec.operation for spec in TOOL_SPECS if spec.makes_map)
