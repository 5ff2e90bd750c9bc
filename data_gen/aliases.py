"""Tool-name aliases for training prompts, so the model learns to read the tool list instead of memorising it.

A model fine-tuned only on the real tool names learns them by heart: shown an unseen tool, it writes the
closest name it knows ("Detect" for ``Detection``). Renaming the listed tools in part of the training
prompts (the tool list, the ``Action:`` choices, the scratchpad and the gold reply alike) takes that
shortcut away: the right name is whichever one the list gives to the tool whose description fits.

Three styles, drawn per prompt:
- ``reworded``: words swapped for synonyms and filler dropped ("Predict Depth On Image" -> "Estimate Depth");
- ``cased``: the same words in another case (``PredictDepthOnImage``, "predict depth on image");
- ``opaque``: a name that says nothing ("Tool 7", "Kilo Tool"), so only the description can decide.
Aliases are words of letters and digits, as every tool name (``tools.spec``); an alias never equals
(case-insensitively) another tool's name in the catalogue, and aliases in one prompt are distinct.
"""

from __future__ import annotations

import random
import re
from collections.abc import Collection, Sequence

STYLES = ("reworded", "cased", "opaque")
STYLE_WEIGHTS = (0.5, 0.25, 0.25)
FILLER = frozenset({"on", "the", "from", "about", "using"})

SYNONYMS: dict[str, tuple[str, ...]] = {
    "image": ("Picture", "Photo", "Img"),
    "photo": ("Image", "Picture", "Pic"),
    "detection": ("Detector", "Finder", "Extraction", "Extractor"),
    "detect": ("Find", "Locate", "Spot"),
    "generate": ("Create", "Make", "Render", "Draw"),
    "condition": ("Guided", "Conditioned", "Controlled"),
    "predict": ("Estimate", "Compute", "Infer"),
    "segment": ("Split", "Mask", "Partition"),
    "segmentations": ("Segments", "Masks", "Regions"),
    "remove": ("Erase", "Delete", "Drop"),
    "replace": ("Swap", "Substitute", "Exchange"),
    "answer": ("Respond", "Reply"),
    "question": ("Query", "Questions"),
    "instruct": ("Edit", "Modify", "Change"),
    "extend": ("Expand", "Outpaint", "Enlarge"),
    "get": ("Fetch", "Make", "Write"),
    "description": ("Caption", "Summary"),
    "object": ("Item", "Thing", "Target"),
    "something": ("Object", "Item"),
    "background": ("Backdrop", "Surroundings"),
    "pose": ("Posture", "Keypoint", "Skeleton"),
    "depth": ("Distance", "Depthmap"),
    "normal": ("Surface", "Normals"),
    "sketch": ("Scribble", "Doodle"),
    "line": ("Straight Line", "Lines"),
    "edge": ("Outline", "Contour", "Canny"),
    "boundary": ("Border", "Contour"),
    "text": ("Words", "Prompt", "Text"),
    "user": ("Human", "Client"),
    "input": ("Given", "Provided"),
    "give": ("Given", "Named"),
    "given": ("Named", "Chosen"),
    "rotate": ("Turn", "Spin", "Rotation"),
    "resize": ("Scale", "Rescale", "Resizer"),
    "blur": ("Obscure", "Smudge", "Soften"),
    "region": ("Area", "Box", "Zone"),
}
OPAQUE_WORDS = (
    "Alpha", "Bravo", "Delta", "Echo", "Kilo", "Lima", "Nova", "Orion", "Pixel", "Quartz", "Sigma", "Vega",
)  # fmt: skip
OPAQUE_FORMS = ("Tool {n}", "tool {n}", "VFM {n}", "Op {n}", "{w} Tool", "vfm {w_lower}", "{w}{n}", "Skill {w}")


def _words(name: str) -> list[str]:
    return re.findall(r"[A-Za-z0-9]+", name)


def reworded(name: str, rng: random.Random) -> str:
    """Synonyms for about half the words, filler words mostly dropped, Title Case."""
    words = []
    for word in _words(name):
        lower = word.lower()
        if lower in FILLER and rng.random() < 0.7:
            continue
        options = SYNONYMS.get(lower)
        words.append(rng.choice(options) if options and rng.random() < 0.6 else word.capitalize())
    return " ".join(words) or name


def cased(name: str, rng: random.Random) -> str:
    """The name's own words in another case: CamelCase, camelCase, lower case or upper case."""
    words = _words(name)
    style = rng.randrange(4)
    if style == 0:
        return "".join(w.capitalize() for w in words)
    if style == 1:
        return words[0].lower() + "".join(w.capitalize() for w in words[1:])
    if style == 2:
        return " ".join(w.lower() for w in words)
    return " ".join(w.upper() for w in words)


def opaque(_name: str, rng: random.Random) -> str:
    """A name that tells nothing about the tool."""
    word = rng.choice(OPAQUE_WORDS)
    return rng.choice(OPAQUE_FORMS).format(n=rng.randint(1, 99), w=word, w_lower=word.lower())


RENAMERS = {"reworded": reworded, "cased": cased, "opaque": opaque}


def draw_aliases(names: Sequence[str], reserved: Collection[str], rng: random.Random) -> dict[str, str]:
    """A distinct alias for every name (one style per prompt), none equal to another ``reserved`` name."""
    style = rng.choices(STYLES, STYLE_WEIGHTS)[0]
    reserved_lower = {name.lower() for name in reserved}
    aliases: dict[str, str] = {}
    for name in names:
        taken = (reserved_lower - {name.lower()}) | {alias.lower() for alias in aliases.values()}
        for _attempt in range(20):
            alias = RENAMERS[style](name, rng)
            if alias.lower() not in taken and alias != name:
                break
        else:  # the style keeps colliding (a one-word name): fall back to a numbered opaque name
            alias = f"Tool {len(aliases) + 100}"
        aliases[name] = alias
    return aliases
