"""The pictures the sessions upload, drawn from their one-line specs in the session set.

A spec is a mapping with exactly one source key:

- ``sample: NAME``: a scikit-image sample photo (``astronaut``, ``chelsea``, ``coffee``, ``rocket``...), as RGB.
- ``sign: TEXT``: a sign with ``TEXT`` (``\\n`` between lines) in large DejaVu Sans Bold (the TrueType font that
  ships inside matplotlib), on a plate of ``plate`` colour in ``ink`` colour.
- ``blank: [W, H]``: a white picture (no person, no text, no object), as the tool tests use.

and optional changes, applied in this order: ``mirror: true`` (left-right flip), ``canvas: [W, H]`` with
``at: [X, Y]`` (the picture placed on a grey canvas of that size), ``paste: SPEC`` with ``at`` (another
picture, e.g. a sign, pasted onto this one at ``at``).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageFont

from protocol.errors import InputError

SOURCES = ("sample", "sign", "blank")
OPTIONS = ("mirror", "canvas", "at", "paste", "plate", "ink", "font_size")
CANVAS_GREY = (128, 128, 128)
SIGN_FONT = "DejaVuSans-Bold.ttf"


class ImageSpecError(ValueError, InputError):
    """An image spec of the session set names no source, an unknown sample or an unknown option."""


@cache
def sign_font_path() -> Path:
    """DejaVu Sans Bold from matplotlib's bundled fonts (a dependency of the project)."""
    import matplotlib

    return Path(matplotlib.get_data_path()) / "fonts" / "ttf" / SIGN_FONT


def build_image(spec: Mapping[str, Any], name: str = "image") -> Image.Image:
    """The RGB picture ``spec`` describes (see the module docstring); ``name`` labels errors."""
    sources = [key for key in SOURCES if key in spec]
    unknown = sorted(set(spec) - set(SOURCES) - set(OPTIONS))
    if len(sources) != 1 or unknown:
        raise ImageSpecError(
            f"image {name!r}: give exactly one of {', '.join(SOURCES)}"
            + (f"; unknown keys {unknown}" if unknown else "")
            + f" (options: {', '.join(OPTIONS)})"
        )
    if "sample" in spec:
        picture = sample_photo(str(spec["sample"]), name)
    elif "sign" in spec:
        picture = render_sign(
            str(spec["sign"]), spec.get("plate", "white"), spec.get("ink", "black"), int(spec.get("font_size", 48))
        )
    else:
        width, height = spec["blank"]
        picture = Image.new("RGB", (int(width), int(height)), "white")
    if spec.get("mirror"):
        picture = picture.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    at = tuple(int(v) for v in spec.get("at", (0, 0)))
    if "canvas" in spec:
        canvas = Image.new("RGB", tuple(int(v) for v in spec["canvas"]), CANVAS_GREY)
        canvas.paste(picture, at)
        picture = canvas
    if "paste" in spec:
        picture = picture.copy()
        picture.paste(build_image(spec["paste"], f"{name}.paste"), at)
    return picture


def sample_photo(sample: str, name: str = "image") -> Image.Image:
    """A scikit-image sample as RGB (grey and RGBA samples converted; stereo pairs give the left view)."""
    from skimage import data

    loader = getattr(data, sample, None)
    if not callable(loader) or sample.startswith("_"):
        raise ImageSpecError(f"image {name!r}: {sample!r} is not a scikit-image sample (see skimage.data)")
    array = loader()
    if isinstance(array, tuple):
        array = array[0]
    if array.dtype == bool:
        array = array.astype("uint8") * 255
    return Image.fromarray(array).convert("RGB")


def render_sign(text: str, plate: str = "white", ink: str = "black", font_size: int = 48) -> Image.Image:
    """``text`` centred on a plate with half a letter of margin, one line per ``\\n``."""
    font = ImageFont.truetype(str(sign_font_path()), font_size)
    lines = text.split("\n")
    measure = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    boxes = [measure.textbbox((0, 0), line, font=font) for line in lines]
    margin, line_height = font_size // 2, round(font_size * 1.25)
    width = max(right - left for left, _, right, _ in boxes) + 2 * margin
    height = line_height * (len(lines) - 1) + font_size + 2 * margin
    sign = Image.new("RGB", (width, height), plate)
    draw = ImageDraw.Draw(sign)
    for index, (line, (left, top, right, _)) in enumerate(zip(lines, boxes, strict=True)):
        draw.text(((width - (right - left)) // 2 - left, margin + index * line_height - top), line, font=font, fill=ink)
    return sign
