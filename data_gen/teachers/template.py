"""The offline, deterministic teacher: hand-written phrasings filled with objects and attributes of the caption."""

from __future__ import annotations

import random
import re
from collections.abc import Sequence

from tqdm.auto import tqdm

from data_gen import phrasings, slots
from data_gen.negatives import negative_request
from data_gen.tasks import CHAIN, IMAGE_PLACEHOLDER, NEGATIVE, PICK_ONE, Draft, Task
from data_gen.teachers.base import TeacherReport
from tools.registry import ToolRegistry
from tools.spec import OutputKind, ToolSpec

# The slot that fills each tool input (by input name) in an Action Input.
INPUT_SLOTS = {
    "image_path": IMAGE_PLACEHOLDER,
    "question": "{question}",
    "text": "{prompt}",
    "instruction": "{edit}",
    "object": "{obj}",
    "replacement": "{rep}",
    "size": "{size}",
    "left": "{l}",
    "top": "{t}",
    "right": "{r}",
    "bottom": "{b}",
    "angle": "{angle}",
    "width": "{width}",
    "height": "{height}",
}
_WORD_RE = re.compile(r"\{[^}]*\}|[A-Za-z]{4,}")


def action_input_frame(spec: ToolSpec) -> str:
    """The Action Input of ``spec`` with slots, e.g. ``<image>, {obj}``."""
    try:
        return ", ".join(INPUT_SLOTS[item.name] for item in spec.inputs)
    except KeyError as exc:
        raise KeyError(f"tool {spec.name!r}: no slot for input {exc.args[0]!r}; add it to INPUT_SLOTS") from None


def add_typo(frame: str, rng: random.Random) -> str:
    """One realistic typo (swap, drop or double a letter) in a word of the frame, never inside a slot."""
    words = [m for m in _WORD_RE.finditer(frame) if not m.group().startswith("{")]
    if not words:
        return frame
    match = rng.choice(words)
    word, i = match.group(), rng.randrange(1, len(match.group()) - 1)
    kind = rng.randrange(3)
    if kind == 0:
        typo = word[: i - 1] + word[i] + word[i - 1] + word[i + 1 :]
    elif kind == 1:
        typo = word[:i] + word[i + 1 :]
    else:
        typo = word[:i] + word[i] + word[i:]
    return frame[: match.start()] + typo + frame[match.end() :]


class TemplateTeacher:
    """Fills hand-written request frames; deterministic for a seed, no model, no network."""

    name = "template"

    def __init__(
        self,
        registry: ToolRegistry,
        seed: int = 0,
        typo_rate: float = 0.12,
        name_rate: float = 0.7,
        *,
        held_out_phrasing: float = 0.0,
        product_requests: bool = False,
    ) -> None:
        """``held_out_phrasing`` and ``product_requests`` are the config's (:class:`~data_gen.config.GenConfig`)."""
        self.registry = registry
        self.seed = seed
        self.typo_rate = typo_rate
        self.name_rate = name_rate
        self.held_out_phrasing = held_out_phrasing
        self.product_requests = product_requests
        self.report = TeacherReport()

    def propose(self, tasks: Sequence[Task]) -> dict[str, list[Draft]]:
        drafts = {}
        for task in tqdm(tasks, desc="template teacher", unit="task", mininterval=1.0):
            drafts[task.key] = [self.draft(task)]
            self.report.calls += 1
        return drafts

    def draft(self, task: Task) -> Draft:
        rng = task.rng(self.seed, "template")
        if task.kind == NEGATIVE:
            request, answer = negative_request(rng, task.language, task.with_image, writing=self.product_requests)
            return Draft(request, (), answer)
        if task.variant == PICK_ONE:
            frames = phrasings.PICK_ONE_FRAMES[task.language]
        elif task.kind == CHAIN:
            frames = phrasings.chain_frames(*task.tools, task.language)
        else:
            frames = phrasings.frames_for(task.tools[0], task.language)
        frame = rng.choice(phrasings.phrasing_pool(frames, task.phrasing, self.held_out_phrasing))
        values = self.values(task, rng)
        request = self.style(frame, rng).format(**values)
        calls = tuple((tool, action_input_frame(self.registry.get(tool)).format(**values)) for tool in task.tools)
        if task.variant == PICK_ONE:  # the detector is asked for both objects, in either order
            both = [values["obj"], values["other"]]
            task.rng(self.seed, "pick_one").shuffle(both)
            calls = ((calls[0][0], f"{IMAGE_PLACEHOLDER}, {', '.join(both)}"), *calls[1:])
        return Draft(request, calls)

    def style(self, frame: str, rng: random.Random) -> str:
        """A frame as people write: sometimes a typo, no final mark or a lower-case start."""
        if rng.random() < self.typo_rate:
            frame = add_typo(frame, rng)
        if rng.random() < 0.08:
            frame = frame.rstrip(".?!")
        if rng.random() < 0.06 and not frame.startswith("{"):
            frame = frame[0].lower() + frame[1:]
        return frame

    def values(self, task: Task, rng: random.Random) -> dict[str, str]:
        """Slot values for a request about ``task`` (objects, prompts, sizes, boxes... drawn from its caption)."""
        caption, language = task.caption, task.language
        obj, other = slots.pick_two_objects(caption, rng)
        box = slots.crop_box(caption, rng)
        if self.registry.get(task.tools[0]).output is OutputKind.BOXES:  # use the box reported for the object
            box = next((b.box for b in slots.caption_boxes(caption) if b.label == obj), box)
        first = task.tools[0]
        noun_table = phrasings.NOUNS.get(first) or phrasings.CONDITIONS.get(first) or {}
        nouns = noun_table.get(language) or noun_table.get("en") or ("result",)
        last_table = phrasings.NOUNS.get(task.tools[-1], {})
        last_nouns = last_table.get(language) or last_table.get("en") or ("result",)
        cond_table = phrasings.CONDITIONS.get(first, {})
        conds = cond_table.get(language) or cond_table.get("en") or ("condition image",)
        mention = rng.random() < self.name_rate
        image = IMAGE_PLACEHOLDER if mention else rng.choice(phrasings.IMAGE_REFERENCES[language])
        width, height = slots.resize_target(caption, rng)
        return {
            "image": image,
            "angle": slots.rotation_angle(rng),
            "width": str(width),
            "height": str(height),
            "noun": rng.choice(nouns),
            "noun2": task.rng(self.seed, "noun2").choice(last_nouns),  # own stream: other values stay as they were
            "cond": rng.choice(conds),
            "obj": obj,
            "other": other,
            "rep": slots.replacement(rng),
            "question": slots.question(caption, rng, signs=not self.product_requests),
            "prompt": slots.scene_prompt(caption, rng),
            "edit": slots.edit_instruction(caption, rng),
            "size": slots.target_size(caption, rng),
            "l": str(box[0]),
            "t": str(box[1]),
            "r": str(box[2]),
            "b": str(box[3]),
        }
