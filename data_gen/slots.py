"""Argument values drawn from a caption: objects, questions, prompts, edit instructions, sizes, boxes, angles."""

from __future__ import annotations

import hashlib
import random

from data_gen.captions import Caption, CaptionBox

STYLES = (
    "a watercolour painting",
    "an oil painting",
    "a pencil drawing",
    "a 3D render",
    "a pixel-art picture",
    "a cartoon",
    "a vintage photograph",
    "a comic book panel",
    "a charcoal sketch",
    "an anime still",
)
SETTINGS = (
    "on the moon",
    "in a snowy forest",
    "on a sunny beach",
    "in a futuristic city",
    "inside a cosy cabin",
    "under the sea",
    "in a field of flowers",
    "on a rainy street at night",
    "in a medieval castle",
    "on top of a mountain",
    "in a busy market",
    "floating in space",
)
FREE_SUBJECTS = (
    "a red fox",
    "a lighthouse",
    "a teapot",
    "a robot",
    "a hot air balloon",
    "a castle",
    "a sailing ship",
    "a penguin",
    "a bowl of ramen",
    "a vintage car",
    "a treehouse",
    "a dragon",
    "an astronaut",
    "a cup of cocoa",
    "a koala",
    "a windmill",
)
REPLACEMENTS = (
    "a sleeping cat",
    "a bunch of red roses",
    "a small robot",
    "a golden retriever",
    "a stack of books",
    "a potted cactus",
    "a blue bicycle",
    "a snowman",
    "a teddy bear",
    "a wooden chair",
    "a pumpkin",
    "a parrot",
    "a vintage lamp",
    "a basket of apples",
)
COLOURS = ("red", "blue", "green", "yellow", "purple", "pink", "orange", "black", "white", "golden")
EDITS = (
    "make it look like a watercolour painting",
    "turn it into a winter scene with snow",
    "make it night time",
    "make it look like an old photograph",
    "turn the sky pink",
    "make it look like a Van Gogh painting",
    "make it look like it is raining",
    "turn it into a pencil sketch",
    "make it look like sunset",
    "add fireworks to the sky",
    "make it autumn",
    "make it look like a cartoon",
    "turn it into a pixel-art picture",
    "make everything look foggy",
)
QUESTIONS = (
    "What color is the {obj}?",
    "What is the {obj} doing?",
    "Where is the {obj}?",
    "Is there a {obj} in the picture?",
    "How many {obj} can you see?",
    "What is next to the {obj}?",
    "Is the {obj} in the foreground or the background?",
    "What is the weather like?",
    "What time of day is it?",
    "Is this indoors or outdoors?",
    "What is the main subject of the photo?",
    "Are there any people in the image?",
    "What material is the {obj} made of?",
    "Does the {obj} look new or old?",
)
SIGN_QUESTIONS = ("What does the sign say?", "What is written on the {obj}?", "What words are on the sign?")


def pick_object(caption: Caption, rng: random.Random) -> str:
    """One object of the caption (a generic subject when the caption names none)."""
    return rng.choice(caption.objects) if caption.objects else "main subject"


def pick_two_objects(caption: Caption, rng: random.Random) -> tuple[str, str]:
    objects = list(caption.objects) or ["main subject"]
    first = rng.choice(objects)
    others = [o for o in objects if o != first]
    return first, (rng.choice(others) if others else first)


def question(caption: Caption, rng: random.Random, signs: bool = True) -> str:
    """A question about the caption's scene; with ``signs``, half those about a sign ask what it says (which the
    product data sends to Text Detection On Image instead, so it asks none)."""
    pool = SIGN_QUESTIONS if signs and caption.sign_text and rng.random() < 0.5 else QUESTIONS
    return rng.choice(pool).format(obj=pick_object(caption, rng))


def scene_prompt(caption: Caption, rng: random.Random) -> str:
    """A text-to-image prompt: a restyled caption, a caption object somewhere new, or a free subject."""
    choice = rng.random()
    if choice < 0.35:
        return f"{rng.choice(STYLES)} of {caption.text[0].lower()}{caption.text[1:].rstrip('.')}"
    subject = f"a {pick_object(caption, rng)}" if choice < 0.7 and caption.objects else rng.choice(FREE_SUBJECTS)
    if rng.random() < 0.5:
        return f"{subject} {rng.choice(SETTINGS)}"
    return f"{rng.choice(STYLES)} of {subject} {rng.choice(SETTINGS)}"


def edit_instruction(caption: Caption, rng: random.Random) -> str:
    if caption.objects and rng.random() < 0.3:
        return f"make the {pick_object(caption, rng)} {rng.choice(COLOURS)}"
    return rng.choice(EDITS)


def replacement(rng: random.Random) -> str:
    return rng.choice(REPLACEMENTS)


def target_size(caption: Caption, rng: random.Random) -> str:
    width, height = caption.size
    scale = rng.choice((1.25, 1.5, 2.0))
    if rng.random() < 0.5:
        return f"{int(width * scale)}x{height}" if rng.random() < 0.5 else f"{width}x{int(height * scale)}"
    return f"{int(width * scale)}x{int(height * scale)}"


ANGLES = ("90", "-90", "180", "270", "45", "-45", "30", "-30", "15", "-15", "10", "-5", "60", "120")
RESIZE_TARGETS = ((512, 512), (256, 256), (1024, 768), (800, 600), (640, 480), (1920, 1080), (300, 200))


def rotation_angle(rng: random.Random) -> str:
    return rng.choice(ANGLES)


def resize_target(caption: Caption, rng: random.Random) -> tuple[int, int]:
    """A new size: a common one, or the caption's own size scaled (so both are kept or both change)."""
    if rng.random() < 0.5:
        return rng.choice(RESIZE_TARGETS)
    width, height = caption.size
    scale = rng.choice((0.25, 0.5, 0.75, 1.5, 2.0))
    return max(1, round(width * scale)), max(1, round(height * scale))


def caption_boxes(caption: Caption) -> tuple[CaptionBox, ...]:
    """The caption's boxes, plus stable made-up boxes for objects without one (a detector's answer)."""
    known = {box.label for box in caption.boxes}
    width, height = caption.size
    boxes = list(caption.boxes)
    for name in caption.objects:
        if name in known:
            continue
        rng = random.Random(int(hashlib.sha256(f"{caption.id}|{name}".encode()).hexdigest()[:12], 16))
        w, h = rng.randint(width // 8, width // 2), rng.randint(height // 8, height // 2)
        left, top = rng.randint(0, width - w), rng.randint(0, height - h)
        boxes.append(CaptionBox(name, (left, top, left + w, top + h)))
    return tuple(boxes) or (CaptionBox("object", (0, 0, width, height)),)


def crop_box(caption: Caption, rng: random.Random) -> tuple[int, int, int, int]:
    return rng.choice(caption_boxes(caption)).box
