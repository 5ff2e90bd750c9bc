"""The session workspace: the only directory tools read from and write to.

Input names are resolved strictly inside ``root`` (absolute paths, ``..``, symlinks that leave the root,
control characters and over-long names are refused); outputs are written only to new files whose folder
lies inside the root (a folder symlinked elsewhere is refused); images are checked before decoding (pixel
limit against decompression bombs) and while decoding; outputs get fresh chained names ``image/<new>_<operation>_<source>.png`` that record the
operation and the source image, in the form the generated training data shows (``data_gen/files.py``), so
the model copies them whole into its answers.
"""

from __future__ import annotations

import io
import os
import random
import re
import uuid
import warnings
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from tools.errors import ImageFileError, UnsafePathError

if TYPE_CHECKING:
    from PIL import Image

IMAGE_DIR = "image"
DEFAULT_MAX_PIXELS = 40_000_000
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".bmp", ".gif", ".tif", ".tiff")
MAX_NAME_CHARS = 1024  # a workspace file name is short (image/1a2b_edge_7f3a.png)
_MAX_PART_BYTES = 255  # the longest file or folder name file systems take
_OPERATION_RE = re.compile(r"[^a-z0-9]+")


def upload_image_name(fresh: str) -> str:
    """``image/<8 hex digits>.png``: the name of an uploaded image (``fresh`` gives the digits)."""
    return f"{IMAGE_DIR}/{fresh[:8]}.png"


def image_id(name: str) -> str:
    """The id an output name records for its source ``name``: the first part of its stem (``image/2c1b_edge_7f3a.png``
    -> ``2c1b``; an upload's whole stem)."""
    return PurePosixPath(name).stem.split("_")[0]


def output_id(operation: str, source: str | None) -> tuple[str, str]:
    """``(operation, source id)`` as an output name records them: ``"Edge map"`` -> ``edgemap``, and
    :func:`image_id` of the source."""
    return _OPERATION_RE.sub("", operation.lower()) or "out", image_id(source) if source else ""


def made_from(name: str) -> tuple[str, str] | None:
    """``(operation, source id)`` that the output name ``name`` records (``image/9d0e_pose_2c1b.png`` -> ``("pose",
    "2c1b")``); ``None`` for a name of another form (an upload)."""
    parts = PurePosixPath(name).stem.split("_")
    return (parts[1], parts[2]) if len(parts) == 3 else None


def chained_image_name(fresh: str, operation: str, source_id: str = "") -> str:
    """``image/<fresh>_<operation>_<source_id>.png``: the name of a tool's output, as the runtime writes it and
    the generated training data shows it (``data_gen.files.derived_name``)."""
    return f"{IMAGE_DIR}/" + "_".join(part for part in (fresh, operation, source_id) if part) + ".png"


class Workspace:
    """Files of one chat session or evaluation run, all under ``root``."""

    def __init__(self, root: str | Path, max_pixels: int = DEFAULT_MAX_PIXELS, name_seed: int | None = None) -> None:
        """``name_seed``: draw the ids of new file names from a generator seeded so (the same names on every run,
        for repeatable evaluations: the model reads the names); by default they are random."""
        self.root = Path(root).resolve()
        self.root.mkdir(parents=True, exist_ok=True)
        self.max_pixels = max_pixels
        self._seeded_ids = random.Random(name_seed) if name_seed is not None else None

    def _fresh_id(self) -> str:
        """32 hex digits for a new file name."""
        return f"{self._seeded_ids.getrandbits(128):032x}" if self._seeded_ids else uuid.uuid4().hex

    def resolve(self, name: str) -> Path:
        """The path of an existing input file ``name`` (relative to ``root``).

        Raises:
            UnsafePathError: absolute path, '..' component or a symlink leading outside the workspace.
            ImageFileError: the file does not exist (the message lists some files that do).
        """
        cleaned = name.strip().strip("\"'`").strip()
        if not cleaned:
            raise ImageFileError("no file name given; pass an image file name from the workspace, e.g. image/1a2b.png")
        shown = _shortened(name)
        if any(ord(char) < 32 for char in cleaned):
            raise UnsafePathError(f"{shown} holds a control character; pass the plain file name, e.g. image/1a2b.png")
        pure = PurePosixPath(cleaned.replace("\\", "/"))
        if len(cleaned) > MAX_NAME_CHARS or any(len(part.encode()) > _MAX_PART_BYTES for part in pure.parts):
            raise ImageFileError(
                f"a file name of {len(cleaned):,} characters is too long; pass a workspace file name, e.g. image/1a2b.png"
            )
        if pure.is_absolute() or re.match(r"^[A-Za-z]:", cleaned) or cleaned.startswith("~"):
            raise UnsafePathError(f"{shown} is an absolute path; use a file name relative to the workspace")
        if ".." in pure.parts:
            raise UnsafePathError(f"{shown} goes outside the workspace ('..'); use a file name inside it")
        try:
            path = (self.root / Path(*pure.parts)).resolve()
            exists = path.is_file()
        except (OSError, RuntimeError) as error:  # a symlink loop, an unreadable folder
            raise ImageFileError(f"{shown} cannot be opened ({error}); pass another workspace file") from None
        if not path.is_relative_to(self.root):
            raise UnsafePathError(f"{shown} leads outside the workspace (symlink); use a file inside it")
        if not exists:
            raise ImageFileError(f"file {_shortened(cleaned)} does not exist in the workspace; {self._existing_hint()}")
        return path

    def open_image(self, name: str) -> Image.Image:
        """Decode the workspace image ``name`` as RGB, checking the pixel limit before decoding."""
        path = self.resolve(name)
        return _decode(path.read_bytes(), repr(name), self.max_pixels)

    def new_image_name(self, operation: str, source: str | None = None) -> str:
        """A fresh output name (relative to ``root``) recording ``operation`` and the ``source`` image's id.

        ``image/7f3a.png`` + ``edge`` -> ``image/2c1b_edge_7f3a.png``, then ``image/9d0e_pose_2c1b.png``. (Visual
        ChatGPT's ``<new>_<op>_<previous>_<original>`` names made the
        adapter quote a name one part short in its answers: it learned three-part names.)
        """
        op, source_id = output_id(operation, source)
        while True:
            name = chained_image_name(self._fresh_id()[:4], op, source_id)
            if not os.path.lexists(self.root / name):
                return name

    def save_image(self, image: Image.Image, operation: str, source: str | None = None) -> str:
        """Save ``image`` under a fresh chained name and return that name."""
        name = self.new_image_name(operation, source)
        self._write_new(name, image)
        return name

    def _write_new(self, name: str, image: Image.Image) -> None:
        """Write ``image`` as PNG to the new file ``name``: never through a folder that leads outside the
        workspace (a symlink), never over an existing file or link."""
        path = self.root / name
        if not path.parent.resolve().is_relative_to(self.root):
            raise UnsafePathError(
                f"the workspace folder {path.parent.relative_to(self.root)}/ leads outside the workspace (a symlink); "
                "remove that link"
            )
        path.parent.mkdir(parents=True, exist_ok=True)
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        try:
            handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
        except FileExistsError:
            raise UnsafePathError(f"{name} already exists in the workspace; run the tool again") from None
        with os.fdopen(handle, "wb") as file:
            file.write(buffer.getvalue())

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
            name = upload_image_name(self._fresh_id())
            if not os.path.lexists(self.root / name):
                break
        self._write_new(name, picture)
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
    from PIL import Image, ImageOps, UnidentifiedImageError

    if not data:
        raise ImageFileError(f"{label} is empty (0 bytes); pass a PNG or JPEG file")
    try:
        # Pillow warns (on stderr) above its own limit; the max_pixels check below decides instead. A filter
        # rather than catch_warnings, which is not thread-safe (the demo decodes on several threads).
        warnings.filterwarnings("ignore", category=Image.DecompressionBombWarning)
        image = Image.open(io.BytesIO(data))
    except Image.DecompressionBombError:
        raise ImageFileError(
            f"{label} has over {2 * Image.MAX_IMAGE_PIXELS:,} pixels, over the limit of {max_pixels:,}; use a smaller image"
        ) from None
    except UnidentifiedImageError:  # its message names only an in-memory buffer object
        raise ImageFileError(
            f"{label} is not a readable image (not a format Pillow knows); pass a PNG or JPEG file"
        ) from None
    except (OSError, ValueError) as error:
        raise ImageFileError(f"{label} is not a readable image ({error}); pass a PNG or JPEG file") from None
    if image.width * image.height > max_pixels:
        raise ImageFileError(_too_large(label, image.size, max_pixels))
    try:
        image.load()
    except (OSError, ValueError, SyntaxError) as error:
        raise ImageFileError(f"{label} is truncated or corrupt ({error}); upload the image again") from None
    # a phone stores a portrait photo sideways with an EXIF turn that viewers apply: applied here too, or every
    # result (and the detector's search for faces) would be of the picture lying on its side
    return _to_rgb(ImageOps.exif_transpose(image) if image.getexif().get(EXIF_ORIENTATION, 1) != 1 else image)


EXIF_ORIENTATION = 0x0112  # the EXIF tag of the turn a viewer applies; 5-8 turn by a quarter (width and height swap)


def upright_size(image: Image.Image) -> tuple[int, int]:
    """The width and height of ``image`` (opened, not necessarily loaded) as a viewer shows it: its EXIF turn
    applied."""
    width, height = image.size
    return (height, width) if image.getexif().get(EXIF_ORIENTATION, 1) in (5, 6, 7, 8) else (width, height)


def _shortened(name: str, limit: int = 60) -> str:
    """``repr(name)``, cut to about ``limit`` characters (a name may be thousands long)."""
    return repr(name) if len(name) <= limit else repr(name[:limit]) + f"... ({len(name):,} characters)"


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
