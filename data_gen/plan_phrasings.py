"""Request clauses for multi-step plan requests (English and Chinese), joined into one request per plan.

A clause asks for one step. ``{src}`` is the image the step works on (a file name or "this photo", or "it" /
"the result" for an earlier step's output); the other slots are the template teacher's (``{obj}``, ``{prompt}``, ``{question}``, ``{edit}``,
``{rep}``, ``{size}``, ``{angle}``, ``{width}``, ``{height}``, ``{l} {t} {r} {b}``, ``{noun}``, ``{cond}``).
Connectors join clauses: sequential ones when a step uses the one before, parallel ones otherwise. The test
split draws its connectors and openers from sets the other splits never see (held-out phrasing).
"""

from __future__ import annotations

from data_gen.phrasings import CONDITIONS, NOUNS

# Steps that make a map image (what the conditioned generators follow) are worded from their nouns.
MAP_CLAUSES = {
    "en": ("get the {noun} of {src}", "show me the {noun} of {src}", "extract the {noun} from {src}"),
    "zh": ("提取{src}的{noun}", "生成{src}的{noun}"),
}
GENERATOR_CLAUSES = {
    "en": ("draw {prompt} from {src}", "use {src} to draw {prompt}", "generate {prompt} following {src}"),
    "zh": ("用{src}画出{prompt}", "根据{src}生成{prompt}"),
}
CLAUSES: dict[str, dict[str, tuple[str, ...]]] = {
    "Get Photo Description": {
        "en": ("describe {src}", "tell me what {src} shows", "caption {src}", "say what is in {src}"),
        "zh": ("描述{src}", "说说{src}里有什么"),
    },
    "Answer Question About The Image": {
        "en": ('ask "{question}" about {src}', 'answer "{question}" for {src}', 'check {src}: "{question}"'),
        "zh": ("回答关于{src}的问题“{question}”",),
    },
    "Generate Image From User Input Text": {
        "en": ("draw {prompt}", "generate an image of {prompt}", "make a picture of {prompt}"),
        "zh": ("画一张{prompt}", "生成一张图片：{prompt}"),
    },
    "Instruct Image Using Text": {
        "en": ("edit {src} to {edit}", "change {src}: {edit}", "take {src} and {edit}"),
        "zh": ("修改{src}：{edit}",),
    },
    "Detect the Give Object": {
        "en": ("find the {obj} in {src}", "detect the {obj} in {src}", "locate the {obj} in {src}"),
        "zh": ("找到{src}中的{obj}",),
    },
    "Segment the given object": {
        "en": ("segment the {obj} in {src}", "cut the {obj} out of {src}", "make a mask of the {obj} in {src}"),
        "zh": ("分割出{src}中的{obj}",),
    },
    "Remove Something From The Photo": {
        "en": ("remove the {obj} from {src}", "erase the {obj} in {src}", "take the {obj} out of {src}"),
        "zh": ("去掉{src}里的{obj}",),
    },
    "Replace Something From The Photo": {
        "en": ("replace the {obj} in {src} with {rep}", "swap the {obj} in {src} for {rep}"),
        "zh": ("把{src}里的{obj}换成{rep}",),
    },
    "Extend An Image": {
        "en": ("extend {src} to {size}", "outpaint {src} to {size}", "enlarge the canvas of {src} to {size}"),
        "zh": ("把{src}扩展到{size}",),
    },
    "Rotate Image": {
        "en": ("rotate {src} by {angle} degrees", "turn {src} {angle} degrees"),
        "zh": ("把{src}旋转{angle}度",),
    },
    "Resize Image": {
        "en": ("resize {src} to {width}x{height}", "scale {src} to {width} by {height} pixels"),
        "zh": ("把{src}缩放到{width}x{height}",),
    },
    "Blur Region": {
        "en": ("blur {l}, {t}, {r}, {b} in {src}", "blur the box ({l}, {t}, {r}, {b}) of {src}"),
        "zh": ("模糊{src}的{l}, {t}, {r}, {b}区域",),
    },
    "Crop Image": {
        "en": ("crop {src} to {l}, {t}, {r}, {b}", "cut ({l}, {t}, {r}, {b}) out of {src}"),
        "zh": ("把{src}裁剪到{l}, {t}, {r}, {b}",),
    },
    "Text Detection On Image": {
        "en": ("read the text in {src}", "tell me what is written in {src}", "OCR {src}"),
        "zh": ("识别{src}中的文字",),
    },
    "Detection": {
        "en": ("detect the objects in {src}", "find every object in {src}", "list the objects in {src}"),
        "zh": ("检测{src}中的所有物体",),
    },
}
# A box-taking tool after a detector: the box is what was found (one named object, or everything detected).
BOX_CLAUSES: dict[str, dict[str, dict[str, tuple[str, ...]]]] = {
    "Blur Region": {
        "one": {"en": ("blur it", "blur the {obj}", "blur that area"), "zh": ("把它模糊掉",)},
        "all": {"en": ("blur them", "blur everything it finds"), "zh": ("把它们模糊掉",)},
    },
    "Crop Image": {
        "one": {"en": ("crop it out", "crop the {obj}"), "zh": ("把它裁剪出来",)},
        "all": {"en": ("crop them out", "crop out what it finds"), "zh": ("把它们裁剪出来",)},
    },
}
# Text-to-image whose prompt is an earlier description.
FED_TEXT_CLAUSES = {
    "en": ("draw a new picture of that description", "generate an image from the description", "draw what it says"),
    "zh": ("根据这段描述画一张新图",),
}
# A conditioned generator that takes a map from one step and its prompt from a description (HuggingGPT's
# "based on the pose of a.jpg and the content of b.jpg, show me a new image"); whole requests.
MERGE_FRAMES = {
    "en": (
        "Based on the {cond} of {src0} and the content of {src1}, show me a new image.",
        "Draw a new picture with the {cond} of {src0} and what {src1} shows.",
        "Get the {cond} of {src0}, describe {src1}, and draw a new image from both.",
    ),
    "zh": ("根据{src0}的{cond}和{src1}的内容，给我画一张新图。",),
}
ANAPHORS = {"en": ("it", "the result"), "zh": ("它", "结果")}
# Clause joiners: (seen by train and val, held out for test).
SEQUENTIAL = {
    "en": ((", then ", " and then ", "; after that, ", ". Then "), (", and next ", ". After that, ")),
    "zh": (("，然后", "，再"), ("，接着",)),
}
PARALLEL = {
    "en": ((" and ", "; also, ", ", and also "), (". Besides, ", ", as well as ")),
    "zh": (("，并且", "，另外"), ("，同时",)),
}
# Request openers and the mark that ends the request after them.
OPENERS = {
    "en": ((("", "."), ("Please ", "."), ("Can you ", "?"), ("I want you to ", ".")), (("Would you ", "?"),)),
    "zh": ((("", "。"), ("请", "。"), ("帮我", "。")), (("麻烦你", "。"),)),
}


def held(table: dict[str, tuple], language: str, test: bool) -> tuple:
    """The seen (``test`` false) or held-out entries of a (seen, held-out) table in ``language``."""
    seen, held_out = table.get(language) or table["en"]
    return held_out if test else seen


def clauses(tool: str, language: str) -> tuple[str, ...]:
    """Clauses asking for ``tool`` on ``{src}`` (English where a language has none)."""
    if tool in CLAUSES:
        table = CLAUSES[tool]
    elif tool in CONDITIONS:
        table = GENERATOR_CLAUSES
    elif tool in NOUNS:
        table = MAP_CLAUSES
    else:
        raise KeyError(f"no plan clauses for tool {tool!r}; add them to data_gen/plan_phrasings.py")
    return table.get(language) or table["en"]
