"""File names like a workspace gives them: uploads in varied folders or as the demo names them, tool outputs chained
from their source."""

from __future__ import annotations

import hashlib
import random
import re
from pathlib import PurePosixPath

from data_gen.captions import Caption
from tools.workspace import chained_image_name, output_id, upload_image_name

_SLUG_RE = re.compile(r"[^a-z0-9]+")


def _slug(caption: Caption, rng: random.Random) -> str:
    word = rng.choice(caption.objects) if caption.objects else "photo"
    return _SLUG_RE.sub("_", word.lower()).strip("_") or "photo"


def _hex(rng: random.Random, digits: int) -> str:
    return f"{rng.getrandbits(4 * digits):0{digits}x}"


def upload_name(caption: Caption, rng: random.Random) -> str:
    """A name for an image the human provided, e.g. ``image/3fa2c1b0.png`` or ``examples/kitchen_04.jpg``."""
    style = rng.randrange(7)
    slug = _slug(caption, rng)
    if style == 0:
        return f"image/{_hex(rng, 8)}.png"
    if style == 1:
        return f"examples/{slug}_{rng.randint(1, 99):02d}.jpg"
    if style == 2:
        return f"uploads/IMG_{rng.randint(1000, 9999)}.JPG"
    if style == 3:
        return f"photos/{rng.randint(2015, 2025)}/{slug}-{rng.choice(('trip', 'home', 'walk', 'day', 'shot'))}.jpeg"
    if style == 4:
        return f"data/{slug}{rng.randint(1, 500)}.png"
    if style == 5:
        return f"inputs/{_hex(rng, 6)}_{slug}.webp"
    return f"image/{_hex(rng, 4)}_{slug}.png"


def derived_name(operation: str, source: str | None, rng: random.Random) -> str:
    """A tool output name chained from its source, e.g. ``image/7f3a_edge_2c1b.png``."""
    origin = hashlib.sha256(PurePosixPath(source).stem.encode()).hexdigest()[:4] if source else _hex(rng, 4)
    return chained_image_name(_hex(rng, 4), operation, origin)


def demo_upload_name(rng: random.Random) -> str:
    """An upload named as the demo's workspace names it, ``image/<8 hex digits>.png``."""
    return upload_image_name(_hex(rng, 8))


def runtime_output_name(operation: str, source: str | None, rng: random.Random) -> str:
    """A tool output named exactly as the runtime names it: the source's id in full (``image/2c1b_edge_ab12cd34.png``
    from the upload ``image/ab12cd34.png``), where :func:`derived_name` hashes it (the protocol recipes' form)."""
    return chained_image_name(_hex(rng, 4), *output_id(operation, source))
