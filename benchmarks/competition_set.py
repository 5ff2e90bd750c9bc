"""The ground-truth set of ``bench_competition.py``, built offline and deterministically from a seed.

- signs: phrases rendered with matplotlib's DejaVu fonts on coloured plates, turned, blurred, noised and
  JPEG-compressed on photo backgrounds (out of focus in 3 of 5); the truth is the phrase.
- faces: scikit-image's astronaut, matplotlib's Grace Hopper and scikit-image's cameraman with their face
  boxes annotated by hand, and composites of their heads and of Labeled Faces in the Wild crops
  (scikit-image's ``lfw_subset``) pasted, scaled, flipped and turned on face-free photos; the truth is the
  pasted face boxes (turned boxes: the bounding box of the turned annotation).
- people: the astronaut and Grace Hopper cut out (hand-drawn outlines refined by GrabCut), pasted scaled
  and flipped on person-free photos; the truth is the pasted mask (exact by construction). A few photos
  without a person, whose truth is an empty mask.
- edges: shapes (ellipses, polygons, rectangles; some grainy) on noisy gradients; the truth is the
  boundary between the painted regions.
- lines: straight segments of 1 to 3 px on textured, noisy backgrounds with round distractors; the truth
  is each segment's centre line.
"""

from __future__ import annotations

import importlib.util
import random
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont
from skimage import data

from tools.outputs import Box


@dataclass(frozen=True)
class Item:
    """One ground-truth example: the image a tool gets and what the right answer is."""

    name: str
    image: Image.Image
    truth: Any


# -- photos -------------------------------------------------------------------------------------------------


def _mpl_data() -> Path:
    spec = importlib.util.find_spec("matplotlib")
    return Path(next(iter(spec.submodule_search_locations))) / "mpl-data"


@cache
def _hopper() -> np.ndarray:
    return np.asarray(Image.open(_mpl_data() / "sample_data" / "grace_hopper.jpg").convert("RGB"))


def _rgb(array: np.ndarray) -> np.ndarray:
    array = np.asarray(array)
    if array.dtype == bool:
        array = array.astype(np.uint8) * 255
    if array.ndim == 2:
        array = np.stack([array] * 3, axis=-1)
    return np.ascontiguousarray(array[..., :3])


BACKGROUNDS = ("brick", "grass", "gravel", "coffee", "rocket", "moon", "page", "hubble_deep_field", "retina", "coins")
UNSTRUCTURED = ("grass", "gravel", "moon", "hubble_deep_field")  # no straight lines of their own


@cache
def _photo(name: str) -> np.ndarray:
    return _rgb(getattr(data, name)())


def _background(rng: random.Random, size: tuple[int, int], names: tuple[str, ...] = BACKGROUNDS) -> Image.Image:
    """A random crop of a photo without a face or a person (scikit-image's data), resized to ``size``."""
    photo = _photo(rng.choice(names))
    height, width = photo.shape[:2]
    crop_w = rng.randint(width // 2, width)
    crop_h = min(height, round(crop_w * size[1] / size[0]))
    x, y = rng.randint(0, width - crop_w), rng.randint(0, height - crop_h)
    return Image.fromarray(photo[y : y + crop_h, x : x + crop_w]).resize(size, Image.Resampling.BICUBIC)


# -- signs --------------------------------------------------------------------------------------------------

PHRASES = (
    "STOP",
    "EXIT",
    "NO PARKING",
    "OPEN 24 HOURS",
    "MAIN STREET",
    "PHARMACY",
    "BUS STOP",
    "CAUTION WET FLOOR",
    "PRIVATE PROPERTY",
    "CITY CENTRE 2 KM",
    "PLATFORM 9",
    "FRESH BREAD",
    "KEEP LEFT",
    "ONE WAY",
    "HOTEL",
    "TAXI",
    "Library",
    "Fire Exit",
    "Station Road",
    "Hospital",
    "Welcome to Oxford",
    "No Entry",
    "Give Way",
    "Car Park Full",
    "Staff Only",
    "Coffee and Tea",
    "Museum Closed Today",
    "Harbour View",
    "Emergency Stop",
    "Ticket Office",
    "POLICE",
    "Market Square",
    "TOILETS",
    "Sale Today",
    "Post Office",
    "PIZZA",
    "Gate 12",
    "DANGER HIGH VOLTAGE",
    "Quiet Please",
    "Visitor Parking",
)
FONTS = ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSerif.ttf", "DejaVuSerif-Bold.ttf", "DejaVuSansMono.ttf")
SIGN_COLOURS = (  # (text, plate)
    ((255, 255, 255), (20, 60, 160)),
    ((255, 255, 255), (0, 110, 60)),
    ((255, 255, 255), (190, 30, 30)),
    ((20, 20, 20), (250, 205, 40)),
    ((20, 20, 20), (235, 235, 235)),
    ((240, 240, 240), (30, 30, 30)),
    ((90, 90, 90), (150, 150, 150)),  # low contrast
)


def signs(count: int, seed: int = 0) -> list[Item]:
    """``count`` sign photos; the truth is the phrase on the sign (its lines joined by a space)."""
    rng = random.Random(seed)
    fonts = _mpl_data() / "fonts" / "ttf"
    items = []
    for index in range(count):
        phrase = PHRASES[index % len(PHRASES)]
        words = phrase.split()
        lines = (
            [" ".join(words[: len(words) // 2]), " ".join(words[len(words) // 2 :])] if len(words) >= 3 else [phrase]
        )
        font = ImageFont.truetype(str(fonts / rng.choice(FONTS)), rng.randint(22, 48))
        text_colour, plate_colour = rng.choice(SIGN_COLOURS)
        gap = font.size // 3
        boxes = [font.getbbox(line) for line in lines]
        text_w = max(b[2] - b[0] for b in boxes)
        text_h = sum(b[3] - b[1] for b in boxes) + gap * (len(lines) - 1)
        pad = font.size // 2
        plate = Image.new("RGBA", (text_w + 2 * pad, text_h + 2 * pad), (*plate_colour, 255))
        draw = ImageDraw.Draw(plate)
        y = pad
        for line, box in zip(lines, boxes, strict=True):
            draw.text(((plate.width - (box[2] - box[0])) // 2 - box[0], y - box[1]), line, font=font, fill=text_colour)
            y += box[3] - box[1] + gap
        plate = plate.rotate(rng.uniform(-6, 6), resample=Image.Resampling.BICUBIC, expand=True)
        margin = rng.uniform(0.05, 0.3)  # a photo of the sign: some surroundings on each side
        size = (round(plate.width * (1 + 2 * margin)), round(plate.height * (1 + 2 * margin)) + 20)
        canvas = _background(rng, size)
        if rng.random() < 0.6:  # the background out of focus, as in most photos of a sign
            canvas = canvas.filter(ImageFilter.GaussianBlur(rng.uniform(3, 8)))
        canvas = canvas.convert("RGBA")
        canvas.alpha_composite(
            plate, (rng.randint(0, canvas.width - plate.width), rng.randint(0, canvas.height - plate.height))
        )
        image = _degrade(canvas.convert("RGB"), rng)
        items.append(Item(f"sign-{index:02d}", image, " ".join(lines)))
    return items


def _degrade(image: Image.Image, rng: random.Random) -> Image.Image:
    """Blur, sensor noise and JPEG compression, each of random strength."""
    import io

    image = image.filter(ImageFilter.GaussianBlur(rng.uniform(0, 1.2)))
    noisy = np.asarray(image, dtype=np.float32) + np.random.default_rng(rng.randrange(2**32)).normal(
        0, rng.uniform(0, 10), (image.height, image.width, 3)
    )
    image = Image.fromarray(noisy.clip(0, 255).astype(np.uint8))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=rng.randint(35, 95))
    return Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")


# -- faces --------------------------------------------------------------------------------------------------

# Hand-annotated face boxes (left, top, right, bottom): hairline or hat brim to chin, cheek to cheek.
ASTRONAUT_FACE = (178, 72, 272, 180)
HOPPER_FACE = (165, 143, 347, 333)
CAMERAMAN_FACE = (185, 115, 256, 200)


@cache
def _heads() -> tuple[tuple[np.ndarray, tuple[int, int, int, int]], ...]:
    """(head crop with some margin, face box inside the crop) for each annotated photo."""
    heads = []
    for photo, (x0, y0, x1, y1) in (
        (_rgb(data.astronaut()), ASTRONAUT_FACE),
        (_hopper(), HOPPER_FACE),
        (_rgb(data.camera()), CAMERAMAN_FACE),
    ):
        margin = round(0.35 * max(x1 - x0, y1 - y0))
        cx0, cy0 = max(0, x0 - margin), max(0, y0 - margin)
        cx1, cy1 = min(photo.shape[1], x1 + margin), min(photo.shape[0], y1 + margin)
        heads.append((photo[cy0:cy1, cx0:cx1], (x0 - cx0, y0 - cy0, x1 - cx0, y1 - cy0)))
    return tuple(heads)


@cache
def _lfw_faces() -> np.ndarray:
    """The 100 face crops (25x25 grey) of scikit-image's Labeled Faces in the Wild subset."""
    return data.lfw_subset()[:100]


def faces(count: int, seed: int = 0) -> list[Item]:
    """The three annotated photos, ``count - 6`` composites and three photos without faces."""
    rng = random.Random(seed)
    items = [
        Item("face-astronaut", Image.fromarray(_rgb(data.astronaut())), (Box("face", 1.0, ASTRONAUT_FACE),)),
        Item("face-hopper", Image.fromarray(_hopper()), (Box("face", 1.0, HOPPER_FACE),)),
        Item("face-cameraman", Image.fromarray(_rgb(data.camera())), (Box("face", 1.0, CAMERAMAN_FACE),)),
    ]
    for index in range(count - 6):
        canvas = _background(rng, (512, 384))
        boxes: list[tuple[int, int, int, int]] = []
        for _ in range(rng.choice((1, 1, 2, 2, 3))):
            patch, face = _face_patch(rng)
            placed = _paste_face(canvas, patch, face, boxes, rng)
            if placed:
                boxes.append(placed)
        items.append(Item(f"face-composite-{index:02d}", canvas, tuple(Box("face", 1.0, b) for b in boxes)))
    for name in ("coins", "chelsea", "brick"):
        items.append(Item(f"face-none-{name}", Image.fromarray(_photo(name)), ()))
    return items


def _face_patch(rng: random.Random) -> tuple[Image.Image, tuple[int, int, int, int]]:
    """A head (annotated photo, 2 in 3) or an LFW face (tight crop: its face is the whole patch)."""
    if rng.random() < 2 / 3:
        crop, face = rng.choice(_heads())
        patch = Image.fromarray(crop)
        scale = rng.uniform(70, 170) / (face[2] - face[0])
    else:
        lfw = rng.choice(_lfw_faces())
        patch = Image.fromarray((lfw * 255).astype(np.uint8)).convert("RGB")
        face = (2, 1, 23, 25)  # the crops reach from the eyebrows' sides to the chin
        scale = rng.uniform(3.0, 5.0)
    size = (round(patch.width * scale), round(patch.height * scale))
    patch = patch.resize(size, Image.Resampling.BICUBIC)
    face = tuple(round(v * scale) for v in face)
    if rng.random() < 0.5:
        patch = patch.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
        face = (patch.width - face[2], face[1], patch.width - face[0], face[3])
    return patch, face


def _paste_face(
    canvas: Image.Image,
    patch: Image.Image,
    face: tuple[int, int, int, int],
    taken: list[tuple[int, int, int, int]],
    rng: random.Random,
) -> tuple[int, int, int, int] | None:
    """Paste ``patch`` turned by up to 12 degrees with feathered edges where it hides no face already placed;
    return the face's box on the canvas (``None`` when there was no room)."""
    angle = rng.uniform(-12, 12)
    alpha = Image.new("L", patch.size, 0)
    border = max(2, min(patch.size) // 10)
    ImageDraw.Draw(alpha).rectangle((border, border, patch.width - border, patch.height - border), fill=255)
    patch = patch.convert("RGBA")
    patch.putalpha(alpha.filter(ImageFilter.GaussianBlur(border / 2)))
    turned = patch.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True)
    corners = np.array([(face[0], face[1]), (face[2], face[1]), (face[2], face[3]), (face[0], face[3])], float)
    centre = np.array(patch.size) / 2
    theta = np.deg2rad(angle)
    rotation = np.array([[np.cos(theta), np.sin(theta)], [-np.sin(theta), np.cos(theta)]])
    moved = (corners - centre) @ rotation.T + np.array(turned.size) / 2
    (fx0, fy0), (fx1, fy1) = moved.min(axis=0), moved.max(axis=0)
    if turned.width >= canvas.width or turned.height >= canvas.height:
        return None
    for _ in range(30):
        x, y = rng.randint(0, canvas.width - turned.width), rng.randint(0, canvas.height - turned.height)
        box = (round(x + fx0), round(y + fy0), round(x + fx1), round(y + fy1))
        whole = (x, y, x + turned.width, y + turned.height)
        if all(_overlap(whole, other) == 0 for other in taken):
            canvas.paste(turned, (x, y), turned)
            return box
    return None


def _overlap(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> int:
    return max(0, min(a[2], b[2]) - max(a[0], b[0])) * max(0, min(a[3], b[3]) - max(a[1], b[1]))


# -- people -------------------------------------------------------------------------------------------------

# Hand-drawn outlines (x, y) of the person, refined by GrabCut; the astronaut is cut above her helmet.
ASTRONAUT_OUTLINE = (
    (200, 15), (253, 18), (287, 38), (300, 78), (300, 95), (285, 120), (268, 135), (260, 155), (256, 178),
    (272, 190), (283, 200), (297, 220), (303, 235), (312, 241), (330, 250), (345, 265), (352, 285), (357, 310),
    (360, 340), (22, 340), (23, 330), (30, 280), (58, 248), (100, 225), (113, 200), (117, 178), (140, 150),
    (178, 125), (163, 107), (153, 73), (165, 35),
)  # fmt: skip
HOPPER_OUTLINE = (
    (233, 27), (293, 27), (350, 67), (370, 113), (373, 160), (367, 220), (347, 280), (333, 313), (373, 333),
    (433, 360), (493, 393), (511, 427), (511, 599), (17, 599), (27, 433), (40, 393), (87, 360), (200, 320),
    (180, 280), (163, 220), (153, 160), (150, 113), (180, 60),
)  # fmt: skip
OUTLINE_SLACK = 10  # pixels either side of a drawn outline that GrabCut decides


@cache
def _people() -> tuple[tuple[np.ndarray, np.ndarray], ...]:
    """(RGB, boolean mask) of each cut-out person, cropped to the mask's bounding box."""
    people = []
    for source, outline, height in ((_photo("astronaut"), ASTRONAUT_OUTLINE, 341), (_hopper(), HOPPER_OUTLINE, 600)):
        photo = np.ascontiguousarray(source[:height])
        drawn = np.zeros(photo.shape[:2], np.uint8)
        cv2.fillPoly(drawn, [np.array(outline, np.int32)], 1)
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * OUTLINE_SLACK + 1,) * 2)
        mask = np.full(photo.shape[:2], cv2.GC_BGD, np.uint8)
        mask[cv2.dilate(drawn, kernel) > 0] = cv2.GC_PR_BGD
        mask[drawn > 0] = cv2.GC_PR_FGD
        mask[cv2.erode(drawn, kernel) > 0] = cv2.GC_FGD
        cv2.grabCut(photo, mask, None, np.zeros((1, 65)), np.zeros((1, 65)), 5, cv2.GC_INIT_WITH_MASK)
        person = np.isin(mask, (cv2.GC_FGD, cv2.GC_PR_FGD))
        ys, xs = np.nonzero(person)
        people.append((photo[: ys.max() + 1, xs.min() : xs.max() + 1], person[: ys.max() + 1, xs.min() : xs.max() + 1]))
    return tuple(people)


def people(count: int, seed: int = 0) -> list[Item]:
    """``count - 3`` composites of a cut-out person standing in the bottom of a photo, and three photos
    without a person; the truth is a boolean mask."""
    rng = random.Random(seed)
    items = []
    for index in range(count - 3):
        canvas = _background(rng, (rng.choice((384, 448, 512)), 384))
        photo, mask = rng.choice(_people())
        scale = rng.uniform(0.45, 0.95) * canvas.height / photo.shape[0]
        size = (max(1, round(photo.shape[1] * scale)), max(1, round(photo.shape[0] * scale)))
        person = Image.fromarray(photo).resize(size, Image.Resampling.BICUBIC)
        cut = Image.fromarray(mask.astype(np.uint8) * 255).resize(size, Image.Resampling.NEAREST)
        if rng.random() < 0.5:
            person, cut = (p.transpose(Image.Transpose.FLIP_LEFT_RIGHT) for p in (person, cut))
        x = rng.randint(min(0, canvas.width - size[0]), max(0, canvas.width - size[0]))
        y = canvas.height - size[1]
        canvas.paste(person, (x, y), cut)
        truth = Image.new("L", canvas.size, 0)
        truth.paste(cut, (x, y), cut)
        items.append(Item(f"person-{index:02d}", _degrade(canvas, rng), np.asarray(truth) > 127))
    for name in ("coffee", "brick", "rocket"):
        photo = Image.fromarray(_photo(name))
        items.append(Item(f"person-none-{name}", photo, np.zeros((photo.height, photo.width), bool)))
    return items


# -- edges and lines ----------------------------------------------------------------------------------------

SYNTHETIC_SIDE = 256


def edges(count: int, seed: int = 0) -> list[Item]:
    """Painted shapes; the truth is the set of pixels where the painted region changes (one side of each
    boundary)."""
    rng = random.Random(seed)
    noise = np.random.default_rng(seed)
    items = []
    for index in range(count):
        side = SYNTHETIC_SIDE
        labels = np.zeros((side, side), np.int32)
        for region in range(1, rng.randint(3, 6) + 1):
            shape = np.zeros((side, side), np.uint8)
            kind = rng.choice(("ellipse", "polygon", "rectangle"))
            cx, cy = rng.randint(30, side - 30), rng.randint(30, side - 30)
            if kind == "ellipse":
                cv2.ellipse(
                    shape, (cx, cy), (rng.randint(15, 70), rng.randint(15, 70)), rng.uniform(0, 180), 0, 360, 1, -1
                )
            elif kind == "rectangle":
                w, h = rng.randint(20, 100), rng.randint(20, 100)
                cv2.rectangle(shape, (cx - w // 2, cy - h // 2), (cx + w // 2, cy + h // 2), 1, -1)
            else:
                points = [
                    (cx + round(r * np.cos(a)), cy + round(r * np.sin(a)))
                    for a, r in sorted(
                        (rng.uniform(0, 2 * np.pi), rng.randint(20, 70)) for _ in range(rng.randint(3, 6))
                    )
                ]
                cv2.fillPoly(shape, [np.array(points, np.int32)], 1)
            labels[shape > 0] = region
        colours = {r: np.array([rng.randint(0, 255) for _ in range(3)], np.float32) for r in range(labels.max() + 1)}
        xx = np.mgrid[0:side, 0:side][1].astype(np.float32)
        image = np.zeros((side, side, 3), np.float32)
        for region, colour in colours.items():
            inside = labels == region
            fill = np.broadcast_to(colour, (side, side, 3)).copy()
            texture = rng.random()
            if region == 0:  # a gentle gradient in the background
                fill += (xx / side * rng.uniform(-60, 60))[..., None]
            elif texture < 0.3:  # grain, which no edge detector should outline
                fill += noise.normal(0, 25, (side, side, 1))
            image[inside] = fill[inside]
        image = cv2.GaussianBlur(image, (0, 0), rng.uniform(0.5, 1.5)) + noise.normal(
            0, rng.uniform(2, 10), image.shape
        )
        boundary = np.zeros((side, side), bool)
        boundary[:, 1:] |= labels[:, 1:] != labels[:, :-1]
        boundary[1:, :] |= labels[1:, :] != labels[:-1, :]
        picture = Image.fromarray(image.clip(0, 255).astype(np.uint8))
        items.append(Item(f"edges-{index:02d}", picture, boundary))
    return items


def lines(count: int, seed: int = 0) -> list[Item]:
    """Straight segments on textured backgrounds with round distractors; the truth is their centre lines."""
    rng = random.Random(seed)
    noise = np.random.default_rng(seed + 1)
    items = []
    for index in range(count):
        side = SYNTHETIC_SIDE
        image = np.asarray(_background(rng, (side, side), UNSTRUCTURED).convert("L"), np.float32) * rng.uniform(
            0.3, 0.7
        )
        image += rng.uniform(20, 80)
        truth = np.zeros((side, side), np.uint8)
        for _ in range(rng.randint(1, 4)):  # distractors first, so that no line is hidden
            centre = (rng.randint(20, side - 20), rng.randint(20, side - 20))
            cv2.circle(image, centre, rng.randint(8, 30), rng.uniform(0, 255), -1, cv2.LINE_AA)
        for _ in range(rng.randint(3, 8)):
            length = rng.uniform(60, 220)
            angle = rng.uniform(0, np.pi)
            cx, cy = rng.uniform(40, side - 40), rng.uniform(40, side - 40)
            dx, dy = np.cos(angle) * length / 2, np.sin(angle) * length / 2
            a, b = (round(cx - dx), round(cy - dy)), (round(cx + dx), round(cy + dy))
            cv2.line(image, a, b, rng.choice((0.0, 255.0)), rng.randint(1, 3), cv2.LINE_AA)
            cv2.line(truth, a, b, 1, 1)
        image = image + noise.normal(0, rng.uniform(2, 12), image.shape)
        picture = Image.fromarray(image.clip(0, 255).astype(np.uint8)).convert("RGB")
        items.append(Item(f"lines-{index:02d}", picture, truth > 0))
    return items
