"""The session workspace: the only directory tools read from and write to.

Input names are resolved strictly inside ``root`` (absolute paths, ``..`` and symlinks that leave the
root are refused); images are checked before decoding (pixel limit against decompression bombs) and
while decoding; outputs get fresh chained names ``image/<new>_<operation>_<source>.png`` that record the
operation and the source image, in the form the generated training data shows (``data_gen/files.py``), so
the model copies them whole into its answers.
"""

from __future__ import annotations

import io
import re
import uuid
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from tools.errors import ImageFileError, UnsafePathError

if TYPE_CHECKING:
    from PIL import Image

IMAGE_DIR = "image"
DEFAULT_MAX_PIXELS = 40_000_000
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".bmp", ".gif", ".tif", ".tiff")
_OPERATION_RE = re.compile(r"[^a-z0-9]+")


def upload_image_name(fresh: str) -> str:
    """``image/<8 hex digits>.png``: the name of an uploaded image (``fresh`` gives the digits)."""
    return f"{IMAGE_DIR}/{fresh[:8]}.png"


def output_id(operation: str, source: str | None) -> tuple[str, str]:
    """``(operation, source id)`` as an output name records them: ``"Edge map"`` -> ``edgemap``, and the first
    part of the source's stem (``image/2c1b_edge_7f3a.png`` -> ``2c1b``; an upload's whole stem)."""
    return _OPERATION_RE.sub("", operation.lower()) or "out", PurePosixPath(source).stem.split("_")[0] if source else ""


def chained_image_name(fresh: str, operation: str, source_id: str = "") -> str:
    """``image/<fresh>_<operation>_<source_id>.png``: the name of a tool's output, as the runtime writes it and
    the generated training data shows it (``data_gen.files.derived_name``)."""
    return f"{IMAGE_DIR}/" + "_".join(part for part in (fresh, operation, source_id) if part) + ".png"


class Workspace:
    """Files of one chat session or evaluation run, all under ``root``."""

    def __init__(self, root: str | Path, max_pixels: int = DEFAULT_MAX_PIXELS) -> None:
        self.root = Path(root).resolve()
        self.root.mkdir(parents=True, exist_ok=True)
        self.max_pixels = max_pixels

    def resolve(self, name: str) -> Path:
        """The path of an existing input file ``name`` (relative to ``root``).

        Raises:
            UnsafePathError: absolute path, '..' component or a symlink leading outside the workspace.
            ImageFileError: the file does not exist (the message lists some files that do).
        """
        cleaned = name.strip().strip("\"'`").strip()
        if not cleaned:
            raise ImageFileError("no file name given; pass an image file name from the workspace, e.g. image/1a2b.png")
        pure = PurePosixPath(cleaned.replace("\\", "/"))
        if pure.is_absolute() or re.match(r"^[A-Za-z]:", cleaned) or cleaned.startswith("~"):
            raise UnsafePathError(f"{name!r} is an absolute path; use a file name relative to the workspace")
        if ".." in pure.parts:
            raise UnsafePathError(f"{name!r} goes outside the workspace ('..'); use a file name inside it")
        path = (self.root / Path(*pure.parts)).resolve()
        if not path.is_relative_to(self.root):
            raise UnsafePathError(f"{name!r} leads outside the workspace (symlink); use a file inside it")
        if not path.is_file():
            raise ImageFileError(f"file {cleaned!r} does not exist in the workspace; {self._existing_hint()}")
        return path

    def open_image(self, name: str) -> Image.Image:
        """Decode the workspace image ``name`` as RGB, checking the pixel limit before decoding."""
        path = self.resolve(name)
        return _decode(path.read_bytes(), repr(name), self.max_pixels)

    def new_image_name(self, operation: str, source: str | None = None) -> str:
        """A fresh output name (relative to ``root``) recording ``operation`` and the ``source`` image's id.

        ``image/7f3a.png`` + ``edge`` -> ``image/2c1b_edge_7f3a.png``, then ``image/9d0e_pose_2c1b.png``. (Visual
        ChatGPT's ``<new>_<op>_<previous>_<original>`` names, which the runtime wrote until 2026-12-01, made the
        adapter quote a name one part short in its answers: it learned three-part names.)
        """
        op, source_id = output_id(operation, source)
        while True:
            name = chained_image_name(uuid.uuid4().hex[:4], op, source_id)
            if not (self.root / name).exists():
                return name

    def save_image(self, image: Image.Image, operation: str, source: str | None = None) -> str:
        """Save ``image`` under a fresh chained name and return that name."""
        name = self.new_image_name(operation, source)
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        image.save(path)
        return name

    def add_image(self, image: Image.Image | str | Path | bytes, max_side: int = 1024) -> str:
        """Validate an uploaded image, shrink it to ``max_side``, save it as a new original; return its name."""
        from PIL import Image

        if isinstance(image, bytes):
            picture = _decode(image, "the uploaded image", self.max_pixels)
        elif isinstance(image, str | Path):
            path = Path(image)
            if not path.is_file():
                raise ImageFileError(f"image file {str(image)!r} does not exist")
            picture = _decode(path.read_bytes(), repr(str(image)), self.max_pixels)
        else:
            if image.width * image.height > self.max_pixels:
                raise ImageFileError(_too_large("the uploaded image", image.size, self.max_pixels))
            picture = _to_rgb(image)
        scale = max_side / max(picture.size)
        if scale < 1:
            size = (max(1, round(picture.width * scale)), max(1, round(picture.height * scale)))
            picture = picture.resize(size, Image.Resampling.LANCZOS)
        while True:
            name = upload_image_name(uuid.uuid4().hex)
            if not (self.root / name).exists():
                break
        (self.root / IMAGE_DIR).mkdir(parents=True, exist_ok=True)
        picture.save(self.root / name)
        return name

    def _existing_hint(self, limit: int = 5) -> str:
        images = sorted(
            str(p.relative_to(self.root)) for p in self.root.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES
        )
        if not images:
            return "the workspace holds no images yet (upload one first)"
        more = f" (and {len(images) - limit} more)" if len(images) > limit else ""
        return "images here: " + ", ".join(images[:limit]) + more


def _decode(data: bytes, label: str, max_pixels: int) -> Image.Image:
    from PIL import Image, UnidentifiedImageError

    try:
        image = Image.open(io.BytesIO(data))
    except (UnidentifiedImageError, OSError, ValueError) as error:
        raise ImageFileError(f"{label} is not a readable image ({error}); pass a PNG or JPEG file") from None
    if image.width * image.height > max_pixels:
        raise ImageFileError(_too_large(label, image.size, max_pixels))
    try:
        image.load()
    except (OSError, ValueError, SyntaxError) as error:
        raise ImageFileError(f"{label} is truncated or corrupt ({error}); upload the image again") from None
    return _to_rgb(image)


def _to_rgb(image: Image.Image) -> Image.Image:
    """RGB; transparent pixels (e.g. a removed background) become white."""
    from PIL import Image

    if image.mode == "RGB":
        return image
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("RGB")
    return image.convert("RGB")


def _too_large(label: str, size: tuple[int, int], max_pixels: int) -> str:
    return (
        f"{label} is {size[0]}x{size[1]} = {size[0] * size[1]:,} pixels, over the limit of {max_pixels:,}; "
        "use a smaller image"
    )
