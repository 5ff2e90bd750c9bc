"""Caption sources: the shipped corpus, COCO-style caption JSON and plain JSONL.

Every reader returns :class:`Caption` objects and raises :class:`CaptionError` naming the file, the
line or entry and what to fix when the data is malformed.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from protocol.errors import InputError

SHIPPED_CORPUS = Path(__file__).resolve().parent / "corpus" / "captions.jsonl"
# Words that never make a useful object argument when objects are guessed from free text.
_NOT_OBJECTS = frozenset(
    [
        "a",
        "an",
        "the",
        "this",
        "that",
        "these",
        "those",
        "some",
        "of",
        "in",
        "on",
        "at",
        "with",
        "and",
        "or",
        "to",
        "from",
        "by",
        "for",
        "near",
        "under",
        "over",
        "its",
        "his",
        "her",
        "their",
        "two",
        "three",
        "four",
        "five",
        "several",
        "many",
        "few",
        "one",
        "view",
        "close-up",
        "up",
        "day",
        "night",
        "is",
        "are",
        "while",
        "as",
        "image",
        "photo",
        "picture",
        "front",
        "back",
        "side",
        "top",
        "middle",
        "left",
        "right",
        "other",
    ]
)


_ARTICLES = frozenset(("a", "an", "the", "two", "three", "some", "several"))


class CaptionError(ValueError, InputError):
    """A caption file is missing, unreadable or malformed; the message says where and how to fix it."""


@dataclass(frozen=True)
class CaptionBox:
    label: str
    box: tuple[int, int, int, int]  # left, top, right, bottom in pixels


@dataclass(frozen=True)
class Caption:
    """One described scene: the caption text, the objects one can ask about, optional boxes and sign text."""

    id: str
    text: str
    objects: tuple[str, ...] = ()
    boxes: tuple[CaptionBox, ...] = ()
    sign_text: str | None = None
    size: tuple[int, int] = (640, 480)


def guess_objects(text: str) -> tuple[str, ...]:
    """Objects mentioned in a free caption: after each article, the last word before a verb or preposition."""
    words = re.findall(r"[a-z][a-z-]*", text.lower())
    objects: list[str] = []
    for index, word in enumerate(words):
        if word not in _ARTICLES:
            continue
        phrase = []
        for following in words[index + 1 : index + 4]:
            if following in _NOT_OBJECTS or following.endswith("ing"):
                break
            phrase.append(following)
        if phrase:
            objects.append(phrase[-1])
    return tuple(dict.fromkeys(objects))


def _fail(path: Path, where: str, message: str) -> CaptionError:
    return CaptionError(f"{path}: {where}: {message}")


def _box(path: Path, where: str, item: Any) -> CaptionBox:
    if not isinstance(item, dict) or "label" not in item or "box" not in item:
        raise _fail(path, where, 'each box must be an object {"label": str, "box": [left, top, right, bottom]}')
    coords = item["box"]
    if not (isinstance(coords, list) and len(coords) == 4 and all(isinstance(c, int | float) for c in coords)):
        raise _fail(path, where, f"box {coords!r} must be four numbers [left, top, right, bottom]")
    left, top, right, bottom = (int(c) for c in coords)
    if right <= left or bottom <= top:
        raise _fail(path, where, f"box {coords!r} has right <= left or bottom <= top")
    return CaptionBox(str(item["label"]), (left, top, right, bottom))


def caption_from_dict(item: Any, path: Path, where: str, default_id: str) -> Caption:
    """Validate one JSONL caption object (``caption`` required; ``id``, ``objects``, ``boxes``, ``text`` optional)."""
    if not isinstance(item, dict):
        raise _fail(path, where, f"expected a JSON object, got {type(item).__name__}")
    text = item.get("caption")
    if not isinstance(text, str) or not text.strip():
        raise _fail(path, where, 'needs a non-empty string field "caption"')
    objects = item.get("objects")
    if objects is None:
        objects = guess_objects(text)
    elif not (isinstance(objects, list) and all(isinstance(o, str) and o.strip() for o in objects)):
        raise _fail(path, where, '"objects" must be a list of non-empty strings')
    boxes = item.get("boxes") or []
    if not isinstance(boxes, list):
        raise _fail(path, where, '"boxes" must be a list')
    size = item.get("size") or [640, 480]
    if not (isinstance(size, list) and len(size) == 2 and all(isinstance(s, int) and s > 0 for s in size)):
        raise _fail(path, where, f'"size" {size!r} must be [width, height] in pixels')
    sign_text = item.get("text")
    if sign_text is not None and not isinstance(sign_text, str):
        raise _fail(path, where, '"text" (the words written in the scene) must be a string')
    return Caption(
        id=str(item.get("id", default_id)),
        text=text.strip(),
        objects=tuple(o.strip() for o in objects),
        boxes=tuple(_box(path, where, b) for b in boxes),
        sign_text=sign_text or None,
        size=(size[0], size[1]),
    )


def _same_text(text: str) -> str:
    """A caption's words, compared without case, spacing or a final period."""
    return " ".join(text.lower().split()).rstrip(".")


def _read_text(path: Path) -> str:
    if not path.is_file():
        raise CaptionError(f"caption file {path} not found; pass a COCO captions JSON or a JSONL file")
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise CaptionError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None


def read_jsonl_captions(path: str | Path) -> list[Caption]:
    """One JSON object per line with at least ``caption``; blank lines are skipped, a repeated caption is refused."""
    path = Path(path)
    captions = []
    first_line: dict[str, int] = {}
    for number, line in enumerate(_read_text(path).splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            raise _fail(path, f"line {number}", f"invalid JSON ({exc.msg} at column {exc.colno})") from None
        caption = caption_from_dict(item, path, f"line {number}", f"{path.stem}-{number}")
        seen = first_line.setdefault(_same_text(caption.text), number)
        if seen != number:
            raise _fail(
                path,
                f"line {number}",
                f"repeats the caption of line {seen}; remove one, or the two could land in two splits",
            )
        captions.append(caption)
    if not captions:
        raise CaptionError(f"{path}: holds no captions")
    return captions


def read_coco_captions(path: str | Path) -> list[Caption]:
    """COCO ``captions_*.json``: ``annotations`` of ``{image_id, caption}``, sizes from ``images``.

    Only the first caption of each image is kept (COCO has five near-paraphrases per image, which would
    leak near-duplicates across splits), and a caption another image already has is skipped.
    """
    path = Path(path)
    try:
        data = json.loads(_read_text(path))
    except json.JSONDecodeError as exc:
        raise CaptionError(f"{path}: invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from None
    if not isinstance(data, dict) or not isinstance(data.get("annotations"), list):
        raise CaptionError(f'{path}: a COCO captions file is an object with an "annotations" list')
    sizes = {
        image.get("id"): (image.get("width", 640), image.get("height", 480))
        for image in data.get("images", [])
        if isinstance(image, dict)
    }
    captions: dict[Any, Caption] = {}
    texts: set[str] = set()
    for index, annotation in enumerate(data["annotations"]):
        where = f"annotations[{index}]"
        if not isinstance(annotation, dict) or "image_id" not in annotation:
            raise _fail(path, where, 'each annotation needs "image_id" and "caption"')
        image_id = annotation["image_id"]
        if image_id in captions:
            continue
        item = {"id": f"coco-{image_id}", "caption": annotation.get("caption"), "size": list(sizes.get(image_id, ()))}
        caption = caption_from_dict(item, path, where, f"coco-{image_id}")
        if _same_text(caption.text) not in texts:  # the same words for two images would leak across splits too
            texts.add(_same_text(caption.text))
            captions[image_id] = caption
    if not captions:
        raise CaptionError(f"{path}: holds no captions")
    return list(captions.values())


def load_captions(source: str | Path = "shipped") -> list[Caption]:
    """``"shipped"`` (the project's corpus), a ``.jsonl`` file, or a COCO-style ``.json`` captions file."""
    if str(source) == "shipped":
        return read_jsonl_captions(SHIPPED_CORPUS)
    path = Path(source)
    if path.suffix == ".jsonl":
        return read_jsonl_captions(path)
    if path.suffix == ".json":
        return read_coco_captions(path)
    raise CaptionError(f"caption source {source!r}: use 'shipped', a .jsonl file or a COCO captions .json file")
