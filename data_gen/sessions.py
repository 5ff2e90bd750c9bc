"""Demo-shaped multi-turn sessions: what a person does in the demo, played out turn by turn into records.

A session opens with an upload of the caption's photo (introduced by its caption or, in ``plain_image_share`` of
sessions, by its size alone, as the demo does without a captioner), with a condition map the human supplies
(a pose, sketch, depth map... to generate from), or with no image at all. Each turn is a request, the tool
calls that answer it with their observations, and the answer. A later turn's prompt holds, as the demo's memory
renders them, the image introductions (``PromptTemplate.introduce_image``) and every earlier exchange (the
answer plus the files it does not name, ``protocol.prompt.remembered_answer``); tool outputs are named as the
runtime names them (``data_gen.files.runtime_output_name``). The tools are listed as the demo serves them
(``data_gen.served``) in ``served_listing_share`` of sessions, else the session's tools among a few others.

What a turn asks (:data:`SCENARIOS`): a tool on the latest image ("it", "the result", "that", or nothing: "rotate
by 90 degrees"), on the original upload or on one of two uploads; the same call again with one argument changed
("make it 45 degrees instead": same tool, same input image); two tools in a row; a question about what the image
shows (Answer Question About The Image: the model cannot see); reading the text (Text Detection On Image);
every object with its box (Detection), or one named object; cropping or blurring a box a detector reported
earlier, a face (Detection, then one Blur Region or Crop Image per face) or corners given as numbers ("crop it
to 0,0,200,200"); thanks and small talk after tool work, writing, advice and knowledge, all answered without a
tool; a new picture from text; a request that needs an image when none was given (the answer asks for one).
In ``unserved_share`` of sessions the last tool request needs a tool the prompt does not list, and the answer
says that no loaded tool can do it.

Every turn gives a record for its first step (kind ``session``), one for each later step and the answer after the
last call (kind ``context``; single-call turns in ``answer_share`` of cases, as in the other samples). A turn
whose tool returns something the caption cannot tell (a question's answer, the description of an edited image)
ends its session.
"""

from __future__ import annotations

import hashlib
import math
import random
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import TypeVar

from data_gen import files, phrasings, slots
from data_gen import session_phrasings as say
from data_gen.builders import Sample, answer_for, format_boxes, takes_a_box
from data_gen.captions import Caption, CaptionBox
from data_gen.config import FACE_TURN_WEIGHT, SECOND_UPLOAD_SHARE
from data_gen.negatives import negative_request
from data_gen.served import served_listing
from data_gen.tasks import (
    CHAIN,
    CHAINS,
    CONTEXT,
    EDIT_THEN_ANALYSE_CHAINS,
    IMAGE_PLACEHOLDER,
    SESSION,
    SINGLE,
    TEXT_ONLY_TOOLS,
    Task,
)
from data_gen.teachers.template import TemplateTeacher
from protocol.prompt import PromptTemplate, Turn, remembered_answer, size_description
from protocol.records import Record
from protocol.steps import THOUGHT_NO, THOUGHT_YES, FinalAnswer, ObservedStep, ToolCall
from protocol.typos import without_typos
from tools.catalog import default_registry
from tools.loading import OFFLINE_FAMILIES
from tools.outputs import NO_TEXT_FOUND
from tools.registry import ToolRegistry
from tools.spec import InputKind, OutputKind, ToolSpec

Paired = TypeVar("Paired")
LANGUAGE = "en"  # sessions are English; their records are rendered with the English (or the one) template
TYPO_RATE = 0.08
TURNS = (2, 3, 3, 4)  # turns per session, drawn uniformly
NO_UPLOAD_SHARE = 0.12  # sessions that open without an image
MAP_UPLOAD_SHARE = 0.12  # sessions that open with a condition map the human supplies
FILE_NAME_SHARE = 0.25  # requests that name the file instead of saying "it", "the result"...
IMPLICIT_SHARE = 0.2  # requests about the latest image that do not point at it ("rotate by 90 degrees")
CONTINUATION_SHARE = 0.4  # requests on a result that open with "Now", "Then"...
DEMO_NAME_SHARE = 0.7  # uploads named as the demo names them (image/<8 hex>.png); the rest vary
GENERATED_SIZE = (512, 512)
GEOMETRIC_EDITS = frozenset({"Rotate Image", "Resize Image", "Crop Image", "Blur Region"})  # the scene stays
# The last words of caption objects that are people (the faces to blur or crop).
_PEOPLE_WORDS = (
    "boy boys girl girls man men woman women father mother family children child kids kid couple nurse "
    "chef officer surfer runner runners climber skateboarder swimmer skier rowers player players student "
    "musician baby sisters brothers grandmother grandfather toddler teenager cyclist friends people "
    "person golfer"
)
PEOPLE = frozenset(_PEOPLE_WORDS.split())
# The conditioned generator that follows the map each image tool makes (from the map -> generator chains).
MAP_OF = {first: second for first, second in CHAINS if second in phrasings.CONDITIONS}
DETECTORS = frozenset({"Detection", "Detect the Give Object"})  # their boxes are in the photo's pixels
BOX_TOOLS = frozenset(spec.name for spec in default_registry() if takes_a_box(spec))  # Crop Image, Blur Region
# Two-tool turns: the chains of the protocol data whose first tool works on an image.
CHAIN_PAIRS = tuple(pair for pair in (*CHAINS, *EDIT_THEN_ANALYSE_CHAINS) if pair[0] not in TEXT_ONLY_TOOLS)
_PREPOSITION_REF = re.compile(r" (?:of|in|from|for|on) " + re.escape(IMAGE_PLACEHOLDER))
_BARE_REF = re.compile(" " + re.escape(IMAGE_PLACEHOLDER) + r"(?= (?:by|to) )")


@dataclass(frozen=True)
class Picture:
    """An image of the session: ``role`` is ``upload`` (a photo), ``map`` (a condition map, uploaded or made),
    ``edit`` (a photo after a geometric edit: its text can still be read) or ``other``; ``scene`` is the caption of
    what it shows (an upload's, kept by geometric edits; ``None`` for anything else)."""

    name: str
    size: tuple[int, int]
    role: str
    condition: str = ""  # for a map: the conditioned generator that follows it
    scene: Caption | None = None


@dataclass(frozen=True)
class Step:
    """A planned tool call, what it returns (``None``: unknown, the session ends after this turn) and, for a
    detector, the boxes it reported."""

    spec: ToolSpec
    arguments: tuple[str, ...]
    observation: str | None
    boxes: tuple[CaptionBox, ...] = ()

    @property
    def call(self) -> ToolCall:
        return ToolCall(THOUGHT_YES, self.spec.name, ", ".join(self.arguments))


@dataclass(frozen=True)
class PlannedTurn:
    """A request with its calls and answer (``None``: unknown); ``upload`` is introduced just before it."""

    scenario: str
    request: str
    steps: tuple[Step, ...] = ()
    answer: str | None = None
    upload: Picture | None = None
    description: str = ""


@dataclass(frozen=True)
class Session:
    """A planned session: its caption and number, the tools its prompts list, its turns."""

    caption: Caption
    index: int
    listed: tuple[ToolSpec, ...]
    turns: tuple[PlannedTurn, ...]


@dataclass
class SessionState:
    """What the conversation holds so far."""

    caption: Caption
    pictures: dict[str, Picture] = field(default_factory=dict)
    uploads: list[str] = field(default_factory=list)
    current: str | None = None  # what "it" means: the latest result, else the latest upload
    last: Step | None = None  # the last call of the last turn with tools
    detected: tuple[str, tuple[CaptionBox, ...]] | None = None  # a detector's last answer: the image and the boxes
    turns: list[PlannedTurn] = field(default_factory=list)

    def scene(self, name: str | None = None) -> Caption | None:
        """The caption of what image ``name`` (default: the latest) shows, when the conversation knows it."""
        name = name or self.current
        return self.pictures[name].scene if name else None

    def upload_photo(self) -> str | None:
        """The latest image when it is an uploaded photo (detectors and questions about the scene need one)."""
        return self.current if self.current in self.uploads and self.pictures[self.current].role == "upload" else None

    @property
    def moved_on(self) -> bool:
        """Whether the latest image is a tool's result rather than an upload."""
        return self.current is not None and self.current not in self.uploads

    @property
    def after_tools(self) -> bool:
        """Whether the last turn called tools."""
        return bool(self.turns and self.turns[-1].steps)


def session_rng(seed: int, *parts: object) -> random.Random:
    digest = hashlib.sha256("|".join(str(part) for part in (seed, "session", *parts)).encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def refer(request: str, ref: str) -> str:
    """``request`` with the image placeholder replaced by ``ref``; an empty ``ref`` drops it where the request still
    reads (after "of", "in", "from", "for", "on", or before "by" / "to"), else says "it"."""
    if not ref:
        request = _BARE_REF.sub("", _PREPOSITION_REF.sub("", request))
        ref = "it"
    text = request.replace(IMAGE_PLACEHOLDER, ref)
    return text[0].upper() + text[1:] if text else text


def bind(arguments: Sequence[str], image: str) -> list[str]:
    """A draft's arguments with the image placeholder replaced by ``image``."""
    return [image if value == IMAGE_PLACEHOLDER else value for value in arguments]


def face_boxes(caption: Caption) -> tuple[CaptionBox, ...]:
    """Faces of the people in the caption (at most two): the top middle of each person's box."""
    faces = []
    for box in slots.caption_boxes(caption):
        if box.label.split()[-1] not in PEOPLE:
            continue
        left, top, right, bottom = box.box
        width = max(8, (right - left) // 3)
        height = max(8, min(bottom - top, round(width * 1.2)))
        x = left + (right - left - width) // 2
        faces.append(CaptionBox("face", (x, top, x + width, top + height)))
    return tuple(faces[:2])


def plural(noun: str) -> str:
    return noun if noun.endswith("s") else noun + "s"


def rotated_size(size: tuple[int, int], angle: float) -> tuple[int, int]:
    """The canvas after a rotation that keeps all of the image (as the runtime's Rotate Image does)."""
    radians = math.radians(angle)
    width, height = size
    cos, sin = abs(math.cos(radians)), abs(math.sin(radians))
    return round(width * cos + height * sin), round(width * sin + height * cos)


def round_box(size: tuple[int, int], rng: random.Random) -> tuple[int, int, int, int]:
    """A box inside ``size`` with the round corners people type (from the top-left corner, or in tens)."""
    width, height = size
    step = rng.choice((10, 50, 100)) if min(width, height) >= 200 else 10
    right = rng.randrange(max(step, width // 4 // step * step), width + 1, step)
    bottom = rng.randrange(max(step, height // 4 // step * step), height + 1, step)
    if rng.random() < 0.4:
        return 0, 0, right, bottom
    return rng.randrange(0, right - step + 1, step), rng.randrange(0, bottom - step + 1, step), right, bottom


class SessionBuilder:
    """Plans sessions on captions and renders every turn into records with one prompt template."""

    def __init__(
        self,
        template: PromptTemplate,
        pool: ToolRegistry,
        *,
        seed: int,
        phrasing: str = "",
        held_out_phrasing: float = 0.0,
        plain_image_share: float = 0.0,
        served_listing_share: float = 0.0,
        unserved_share: float = 0.0,
        direction_turn_weight: float = 0.0,
        face_turn_weight: float = FACE_TURN_WEIGHT,
        offline_detection_share: float = 0.0,
        second_upload_share: float = SECOND_UPLOAD_SHARE,
        new_photo_plain_share: float = 0.0,
        answer_share: float = 0.35,
        tools_per_prompt: tuple[int, int] = (2, 5),
    ) -> None:
        """``pool``: the tools sessions may call and list; the shares are the config's (:class:`GenConfig`)."""
        self.template = template
        self.pool = pool
        self.seed = seed
        self.phrasing = phrasing
        self.held_out_phrasing = held_out_phrasing
        self.offline_detection_share = offline_detection_share
        self.second_upload_share = second_upload_share
        self.new_photo_plain_share = new_photo_plain_share
        self.plain_image_share = plain_image_share
        self.served_listing_share = served_listing_share
        self.unserved_share = unserved_share
        self.answer_share = answer_share
        self.tools_per_prompt = tools_per_prompt
        self.teacher = TemplateTeacher(
            pool, seed, TYPO_RATE, name_rate=1.0, held_out_phrasing=held_out_phrasing, product_requests=True
        )
        # each turn with the weight of drawing it in a state (0: it does not fit the conversation)
        self.turns: tuple[
            tuple[Callable[[SessionState, random.Random], PlannedTurn | None], Callable[[SessionState], float]], ...
        ] = (
            (self.tool_turn, lambda s: 3.0),
            (self.original_turn, lambda s: 1.0 if s.moved_on else 0.0),
            (self.redo_turn, lambda s: 2.5 if s.after_tools and s.last and self._can_redo(s.last) else 0.0),
            (self.chain_turn, lambda s: 1.0),
            (self.question_turn, lambda s: 1.2),
            (self.read_turn, lambda s: 2.0 if s.scene() and s.scene().sign_text else 0.4),
            (self.list_turn, lambda s: 0.8),
            (self.find_turn, lambda s: 0.6),
            (self.use_box_turn, lambda s: 8.0 if s.detected and s.after_tools else 0.0),  # most answers with boxes
            (self.face_turn, lambda s: face_turn_weight if s.upload_photo() and face_boxes(s.scene()) else 0.0),
            (self.numbers_turn, lambda s: 1.0),
            (self.thanks_turn, lambda s: 2.0 if s.after_tools else 0.0),
            (self.writing_turn, lambda s: 0.6),
            (self.text_to_image_turn, lambda s: 0.4),
            (self.direction_turn, lambda s: direction_turn_weight),  # last: a weight of 0 changes no draw
        )

    # ----------------------------------------------------------------- phrasing
    def pick(self, bank: Sequence[str], rng: random.Random) -> str:
        return rng.choice(phrasings.phrasing_pool(bank, self.phrasing, self.held_out_phrasing))

    def pick_pair(self, bank: Sequence[tuple[str, Paired]], rng: random.Random) -> tuple[str, Paired]:
        allowed = set(phrasings.phrasing_pool([request for request, _ in bank], self.phrasing, self.held_out_phrasing))
        return rng.choice([pair for pair in bank if pair[0] in allowed])

    def draft(
        self, state: SessionState, tools: tuple[str, ...], rng: random.Random, target: str | None = None
    ) -> tuple[str, list[list[str]]]:
        """The teacher's request for ``tools`` on ``target`` (its objects; image placeholder kept) and each call's
        arguments."""
        kind = CHAIN if len(tools) > 1 else SINGLE
        variant = f"session-{rng.getrandbits(32):08x}"  # its own random stream
        draft = self.teacher.draft(
            Task(
                kind,
                state.scene(target) or state.caption,
                tools,
                LANGUAGE,
                True,
                variant=variant,
                phrasing=self.phrasing,
            )
        )
        return draft.request, [list(self.pool.get(tool).split_arguments(text)) for tool, text in draft.calls]

    def reference(self, state: SessionState, target: str, rng: random.Random, implicit: bool = True) -> str:
        """How a request points at ``target``: its file name, a word for what it is to the conversation ("it", "the
        result", "the original", "the first photo"), or, with ``implicit``, nothing at all for the latest image."""
        if rng.random() < FILE_NAME_SHARE:
            return target
        if implicit and target == state.current and rng.random() < IMPLICIT_SHARE:
            return ""
        if target not in state.uploads:
            kind = "result"
        elif len(state.uploads) > 1 and target == state.uploads[-1]:
            plain = target == state.current and self.new_photo_plain_share > 0
            kind = "upload" if plain and rng.random() < self.new_photo_plain_share else "second"
        elif len(state.uploads) > 1:
            kind = "first"
        else:
            kind = "upload" if target == state.current else "original"
        return rng.choice(say.REFERENCES[kind])

    # ----------------------------------------------------------------- playing calls out
    def output(self, spec: ToolSpec, arguments: Sequence[str], source: Picture | None, rng: random.Random) -> Picture:
        """The picture an image tool makes from ``source`` with ``arguments``, named as the runtime names it."""
        name = files.runtime_output_name(spec.operation, source.name if source else None, rng)
        size = source.size if source else GENERATED_SIZE
        if spec.name == "Resize Image":
            size = (int(arguments[1]), int(arguments[2]))
        elif spec.name == "Crop Image":
            size = (int(arguments[3]) - int(arguments[1]), int(arguments[4]) - int(arguments[2]))
        elif spec.name == "Rotate Image":
            size = rotated_size(size, float(arguments[1]))
        elif spec.name == "Extend An Image":
            width, height = arguments[1].lower().split("x")
            size = (int(width), int(height))
        elif spec.name in phrasings.CONDITIONS:
            size = GENERATED_SIZE
        if spec.name in MAP_OF:
            return Picture(name, size, "map", MAP_OF[spec.name])
        if source is not None and source.role in ("upload", "edit") and spec.name in GEOMETRIC_EDITS:
            return Picture(name, size, "edit", scene=source.scene)
        return Picture(name, size, "other")

    def call(self, state: SessionState, tool: str, arguments: Sequence[str], rng: random.Random) -> Step:
        """One call on the state's pictures; a picture it makes joins them (a later call may work on it)."""
        spec = self.pool.get(tool)
        images = [value for item, value in zip(spec.inputs, arguments, strict=True) if item.kind is InputKind.IMAGE]
        source = state.pictures.get(images[0]) if images else None
        scene = source.scene if source else None
        photo = scene is not None and source.role == "upload"
        boxes: tuple[CaptionBox, ...] = ()
        observation = None
        if spec.output is OutputKind.IMAGE:
            picture = self.output(spec, arguments, source, rng)
            state.pictures[picture.name] = picture
            observation = picture.name
        elif spec.name == "Get Photo Description" and scene is not None:  # the photo, or a geometric edit of it
            observation = scene.text
        elif spec.name == "Text Detection On Image":
            observation = scene.sign_text if scene and scene.sign_text else NO_TEXT_FOUND
        elif spec.name == "Detection" and photo:
            faces = face_boxes(scene)
            offline = bool(faces) and self.offline_detection_share > 0 and rng.random() < self.offline_detection_share
            boxes = faces if offline else faces + slots.caption_boxes(scene)
        elif spec.name == "Detect the Give Object" and photo:
            boxes = tuple(box for box in slots.caption_boxes(scene) if box.label == arguments[1])
        if boxes:
            observation = format_boxes(boxes)
        return Step(spec, tuple(arguments), observation, boxes)

    def answer(self, step: Step, rng: random.Random) -> str | None:
        """The answer after the turn's last call (``None`` when what it returned is unknown)."""
        if step.spec.name == "Text Detection On Image" and step.observation is not None:
            if step.observation == NO_TEXT_FOUND:
                return self.pick(say.NO_TEXT_ANSWERS, rng).format(file=step.arguments[0])
            return self.pick(say.READ_ANSWERS, rng).format(text=step.observation)
        return answer_for(step.spec, step.observation, LANGUAGE, rng)

    def play(
        self,
        state: SessionState,
        scenario: str,
        request: str,
        tool: str,
        arguments: Sequence[str],
        *,
        rng: random.Random,
    ) -> PlannedTurn | None:
        """A turn of one call (``None`` when the pool lacks the tool)."""
        if tool not in self.pool:
            return None
        step = self.call(state, tool, arguments, rng)
        return PlannedTurn(scenario, request, (step,), self.answer(step, rng))

    # ----------------------------------------------------------------- turns
    def _can_redo(self, step: Step) -> bool:
        return step.spec.name in say.REDO_FRAMES or step.spec.name in phrasings.CONDITIONS

    def _image_tools(self, picture: Picture) -> list[str]:
        """Single-image tools that make sense on ``picture`` (a map's own generator among them, weighted up)."""
        photo_only = DETECTORS | BOX_TOOLS  # a detector's boxes and the teacher's boxes are in the photo's pixels
        tools = [
            spec.name
            for spec in self.pool
            if spec.image_inputs
            and spec.name not in phrasings.CONDITIONS
            and (picture.role == "upload" or spec.name not in photo_only)
        ]
        if picture.condition in self.pool:
            tools += [picture.condition] * max(1, len(tools) // 2)
        return tools

    def tool_turn(self, state: SessionState, rng: random.Random, target: str | None = None) -> PlannedTurn | None:
        """One tool on the latest image (or ``target``), in the teacher's words."""
        target = target or state.current
        if target is None:
            return None
        picture = state.pictures[target]
        tools = self._image_tools(picture)
        if not tools:
            return None
        tool = rng.choice(tools)
        if tool in phrasings.CONDITIONS:
            return self.conditioned_turn(state, picture, rng)
        request, (arguments,) = self.draft(state, (tool,), rng, target)
        request = refer(request, self.reference(state, target, rng))
        if target == state.current and state.moved_on and rng.random() < CONTINUATION_SHARE:
            request = f"{rng.choice(say.CONTINUATIONS)} {request[0].lower()}{request[1:]}"
        return self.play(state, "tool", request, tool, bind(arguments, target), rng=rng)

    def original_turn(self, state: SessionState, rng: random.Random) -> PlannedTurn | None:
        """A tool on an upload after the conversation moved on to a result."""
        turn = self.tool_turn(state, rng, target=rng.choice(state.uploads)) if state.uploads else None
        return replace(turn, scenario="original") if turn else None

    def conditioned_turn(self, state: SessionState, picture: Picture, rng: random.Random) -> PlannedTurn | None:
        """A new picture shaped by a map: one the human supplied, or one a tool made earlier."""
        tool = picture.condition
        cond = rng.choice(phrasings.CONDITIONS[tool]["en"])
        prompt = slots.scene_prompt(state.caption, rng)
        supplied = picture.name in state.uploads
        frame = self.pick(say.MAP_FRAMES if supplied else say.MAP_FOLLOW_UP_FRAMES, rng)
        ref = self.reference(state, picture.name, rng, implicit=False)
        request = frame.format(cond=cond, prompt=prompt, ref=ref)
        return self.play(state, "map" if supplied else "map_follow_up", request, tool, [picture.name, prompt], rng=rng)

    def redo_turn(self, state: SessionState, rng: random.Random) -> PlannedTurn | None:
        """The last call again with one argument changed: the same tool on the same input image."""
        last = state.last
        if last is None:
            return None
        name, arguments = last.spec.name, list(last.arguments)
        source = state.pictures.get(arguments[0])
        size = source.size if source else GENERATED_SIZE
        values: dict[str, str] = {}
        if name in phrasings.CONDITIONS:
            frame = self.pick(say.REDO_CONDITIONED_FRAMES, rng)
            values = {"prompt": slots.scene_prompt(state.caption, rng), "cond": phrasings.CONDITIONS[name]["en"][0]}
            arguments[1] = values["prompt"]
        else:
            frame = self.pick(say.REDO_FRAMES[name], rng)
            if name == "Rotate Image":
                arguments[1] = values["angle"] = rng.choice([a for a in slots.ANGLES if a != arguments[1]])
            elif name == "Resize Image":
                width, height = slots.resize_target(replace(state.caption, size=size), rng)
                values = {"width": str(width), "height": str(height)}
                arguments[1:3] = [values["width"], values["height"]]
            elif name in ("Crop Image", "Blur Region"):
                box = [str(v) for v in round_box(size, rng)]
                values, arguments[1:5] = dict(zip("ltrb", box, strict=True)), box
            elif name == "Extend An Image":
                arguments[1] = values["size"] = slots.target_size(replace(state.caption, size=size), rng)
            elif name == "Instruct Image Using Text":
                arguments[1] = values["edit"] = slots.edit_instruction(state.caption, rng)
            elif name == "Generate Image From User Input Text":
                arguments[0] = values["prompt"] = slots.scene_prompt(state.caption, rng)
            elif name == "Replace Something From The Photo":
                arguments[2] = values["rep"] = rng.choice([r for r in slots.REPLACEMENTS if r != arguments[2]])
            else:  # a tool on a named object: another object of the scene
                scene = state.scene(arguments[0]) or state.caption
                others = [o for o in scene.objects if o != arguments[1]]
                if not others:
                    return None
                arguments[1] = values["obj"] = rng.choice(others)
        if arguments == list(last.arguments):
            return None
        return self.play(state, "redo", frame.format(**values), name, arguments, rng=rng)

    def chain_turn(self, state: SessionState, rng: random.Random) -> PlannedTurn | None:
        """Two tools in a row on the latest image: a map then its generator, an edit then an analysis, a detector
        then a crop or blur of what it found..."""
        target = state.current
        if target is None or state.pictures[target].role not in ("upload", "edit"):
            return None
        photo = state.pictures[target].role == "upload"
        pairs = [  # detectors need the photo, and the teacher's boxes are in the photo's pixels
            pair
            for pair in CHAIN_PAIRS
            if all(tool in self.pool for tool in pair)
            and (photo or (self.pool.get(pair[0]).output is OutputKind.IMAGE and pair[0] not in BOX_TOOLS))
        ]
        if not pairs:
            return None
        pair = rng.choice(pairs)
        request, (first, second) = self.draft(state, pair, rng, target)
        request = refer(request, self.reference(state, target, rng))
        step = self.call(state, pair[0], bind(first, target), rng)
        if step.observation is None:
            return None
        made = step.observation if step.spec.output is OutputKind.IMAGE else target
        following = self.call(state, pair[1], bind(second, made), rng)
        return PlannedTurn("chain", request, (step, following), self.answer(following, rng))

    def question_turn(self, state: SessionState, rng: random.Random) -> PlannedTurn | None:
        """A question about what an image shows: only Answer Question About The Image can answer it."""
        tool = "Answer Question About The Image"
        target = state.current
        if target is None or tool not in self.pool or state.pictures[target].role == "map":
            return None
        scene = state.scene(target)
        obj = slots.pick_object(scene, rng) if scene else ""
        question, known = rng.choice([item for item in say.CONTENT_QUESTIONS if scene or "{obj}" not in item[0]])
        question = question.replace("{obj}s", plural(obj)).format(obj=obj)
        ref = self.reference(state, target, rng, implicit=False)
        frame = self.pick(say.QUESTION_FRAMES, rng)
        request = frame.format(question=question, question_lc=question[0].lower() + question[1:], ref=ref)
        arguments = (target, question)
        if not (known and scene and target in state.uploads):  # BLIP's answer is unknown: the session ends here
            return PlannedTurn("question", request, (Step(self.pool.get(tool), arguments, None),))
        observation = known.format(first=scene.objects[0] if scene.objects else "the scene")
        answer = rng.choice(say.ANSWERED_QUESTION).format(answer=observation, answer_cap=observation.capitalize())
        return PlannedTurn("question", request, (Step(self.pool.get(tool), arguments, observation),), answer)

    def read_turn(self, state: SessionState, rng: random.Random) -> PlannedTurn | None:
        """Reading the text in the latest image (Text Detection On Image)."""
        if state.current is None:
            return None
        ref = self.reference(state, state.current, rng, implicit=False)
        request = self.pick(say.READ_FRAMES, rng).format(ref=ref)
        return self.play(state, "read", request, "Text Detection On Image", [state.current], rng=rng)

    def list_turn(self, state: SessionState, rng: random.Random) -> PlannedTurn | None:
        """Every object with its box (Detection), never one made-up object name."""
        target = state.upload_photo()
        if target is None or "Detection" not in self.pool:
            return None
        request = self.pick(say.LIST_FRAMES, rng).format(ref=self.reference(state, target, rng, implicit=False))
        step = self.call(state, "Detection", [target], rng)
        return PlannedTurn("list", request, (step,), self.pick(say.LIST_ANSWERS, rng).format(boxes=step.observation))

    def find_turn(self, state: SessionState, rng: random.Random) -> PlannedTurn | None:
        """One named object of the caption, boxed (Detect the Give Object)."""
        tool = "Detect the Give Object"
        target = state.upload_photo()
        if target is None or tool not in self.pool:
            return None
        obj = slots.pick_object(state.scene(target), rng)
        ref = self.reference(state, target, rng, implicit=False)
        request = self.pick(say.FIND_FRAMES, rng).format(obj=obj, ref=ref)
        step = self.call(state, tool, [target, obj], rng)
        answer = self.pick(say.FIND_ANSWERS, rng).format(boxes=step.observation, obj=obj)
        return PlannedTurn("find", request, (step,), answer) if step.observation else None

    def use_box_turn(self, state: SessionState, rng: random.Random) -> PlannedTurn | None:
        """Crop or blur a box a detector reported in the last answer, on the image it ran on."""
        if state.detected is None:
            return None
        image, boxes = state.detected
        labels = [box.label for box in boxes]
        unique = [box for box in boxes if labels.count(box.label) == 1]  # "the dog" names one box
        tools = [tool for tool in say.USE_BOX_FRAMES if tool in self.pool]
        if not unique or not tools:
            return None
        tool, box = rng.choice(tools), rng.choice(unique)
        request = self.pick(say.USE_BOX_FRAMES[tool], rng).format(label=box.label)
        return self.play(state, "use_box", request, tool, [image, *(str(v) for v in box.box)], rng=rng)

    def face_turn(self, state: SessionState, rng: random.Random) -> PlannedTurn | None:
        """Blur (or crop) the faces: Detection finds them, then one call per face (blurs chained on the result)."""
        target = state.upload_photo()
        tool = rng.choice(("Blur Region", "Blur Region", "Crop Image"))
        if target is None or "Detection" not in self.pool or tool not in self.pool:
            return None
        ref = self.reference(state, target, rng, implicit=False)
        request = self.pick(say.FACE_FRAMES[tool], rng).format(ref=ref)
        detection = self.call(state, "Detection", [target], rng)
        faces = [box for box in detection.boxes if box.label == "face"]
        steps, image = [detection], target
        for face in faces[:1] if tool == "Crop Image" else faces:
            steps.append(self.call(state, tool, [image, *(str(v) for v in face.box)], rng))
            image = steps[-1].observation or image
        return PlannedTurn("face", request, tuple(steps), self.answer(steps[-1], rng)) if faces else None

    def numbers_turn(self, state: SessionState, rng: random.Random) -> PlannedTurn | None:
        """Crop or blur corners given as numbers ("crop it to 0,0,200,200")."""
        target = state.current
        tool = rng.choice(tuple(say.NUMBERS_FRAMES))
        if target is None:
            return None
        box = [str(v) for v in round_box(state.pictures[target].size, rng)]
        ref = self.reference(state, target, rng, implicit=False)
        request = self.pick(say.NUMBERS_FRAMES[tool], rng).format(ref=ref, **dict(zip("ltrb", box, strict=True)))
        return self.play(state, "numbers", request, tool, [target, *box], rng=rng)

    def direction_turn(self, state: SessionState, rng: random.Random) -> PlannedTurn | None:
        """A rotation asked by direction: clockwise or to the right is a negative angle, upside down is 180."""
        target = state.current
        if target is None:
            return None
        frame, sign = self.pick_pair(say.DIRECTION_FRAMES, rng)
        angle = rng.choice(say.DIRECTION_ANGLES)
        request = frame.format(ref=self.reference(state, target, rng, implicit=False), angle=angle)
        argument = "180" if sign == 0 else str(sign * int(angle))
        return self.play(state, "direction", request, "Rotate Image", [target, argument], rng=rng)

    def thanks_turn(self, state: SessionState, rng: random.Random) -> PlannedTurn | None:
        """Thanks or small talk after tool work, answered without a tool."""
        last = state.turns[-1].steps[-1] if state.after_tools else None
        made = last.observation if last and last.spec.output is OutputKind.IMAGE else None
        if last and made and state.uploads and rng.random() < 0.35:
            request, answer = self.pick_pair(say.SMALL_TALK, rng)
            answer = answer.format(tool=last.spec.name, file=made, upload=state.uploads[0])
            return PlannedTurn("small_talk", request, answer=answer)
        request, answer = self.pick_pair(say.THANKS, rng)
        return PlannedTurn("thanks", request, answer=answer)

    def writing_turn(self, state: SessionState, rng: random.Random) -> PlannedTurn | None:
        """Writing, advice, knowledge or chit-chat: answered without a tool, whether or not an image is there."""
        request, answer = negative_request(rng, LANGUAGE, bool(state.uploads), writing=True)
        image = state.uploads[-1] if state.uploads else ""
        return PlannedTurn(
            "writing", request.replace(IMAGE_PLACEHOLDER, image), answer=answer.replace(IMAGE_PLACEHOLDER, image)
        )

    def text_to_image_turn(self, state: SessionState, rng: random.Random) -> PlannedTurn | None:
        """A new picture from text alone."""
        tool = "Generate Image From User Input Text"
        if tool not in self.pool:
            return None
        request, (arguments,) = self.draft(state, (tool,), rng)
        return self.play(state, "text_to_image", request, tool, arguments, rng=rng)

    def ask_for_image_turn(self, state: SessionState, rng: random.Random) -> PlannedTurn | None:
        """A request that needs an image when none was given: the answer asks for one."""
        tools = [spec.name for spec in self.pool if spec.image_inputs and spec.name not in phrasings.CONDITIONS]
        if not tools:
            return None
        request, _ = self.draft(state, (rng.choice(tools),), rng)
        request = refer(request, rng.choice(say.NO_IMAGE_REFERENCES))
        return PlannedTurn("ask_for_image", request, answer=self.pick(say.ASK_FOR_IMAGE, rng))

    # ----------------------------------------------------------------- sessions
    def upload(self, state: SessionState, caption: Caption, rng: random.Random, as_map: bool = False) -> PlannedTurn:
        """An upload of ``caption``'s photo (or, ``as_map``, of a condition map of it): a turn that only introduces
        it, to be merged into the turn that follows."""
        name = files.demo_upload_name(rng) if rng.random() < DEMO_NAME_SHARE else files.upload_name(caption, rng)
        conditions = [tool for tool in phrasings.CONDITIONS if tool in self.pool]
        condition = rng.choice(conditions) if as_map and conditions else ""
        picture = Picture(
            name, caption.size, "map" if condition else "upload", condition, None if condition else caption
        )
        if rng.random() < self.plain_image_share:
            description = size_description(*caption.size)
        elif condition:
            noun = rng.choice(phrasings.CONDITION_IMAGES[condition])
            description = f"{'An' if noun[0] in 'aeiou' else 'A'} {noun} of {caption.text[0].lower()}{caption.text[1:]}"
        else:
            description = caption.text
        state.pictures[name] = picture
        state.uploads.append(name)
        state.current = name
        state.detected = None  # "crop the dog" now means the new image
        return PlannedTurn("upload", "", upload=picture, description=description)

    @staticmethod
    def apply(state: SessionState, turn: PlannedTurn) -> None:
        """The conversation after ``turn``: the latest image, the last call, what a detector found."""
        state.turns.append(turn)
        for step in turn.steps:
            if step.spec.output is OutputKind.IMAGE and step.observation:
                state.current = step.observation
        if turn.steps:
            state.last = turn.steps[-1]
            if state.last.boxes and state.last.observation in (turn.answer or ""):  # the history shows the boxes
                state.detected = (state.last.arguments[0], state.last.boxes)
                return
        if turn.scenario != "use_box":  # "crop the dog" refers to the detector's answer just before
            state.detected = None

    def plan(self, caption: Caption, index: int, companions: Sequence[Caption] = ()) -> list[PlannedTurn]:
        """The turns of session ``index`` on ``caption`` (``companions``: captions a second upload may show)."""
        rng = session_rng(self.seed, caption.id, index)
        state = SessionState(caption)
        wanted = rng.choice(TURNS)
        opening = rng.random()
        pending: PlannedTurn | None = None
        if opening < NO_UPLOAD_SHARE:
            first = rng.choice(
                (self.ask_for_image_turn, self.ask_for_image_turn, self.text_to_image_turn, self.writing_turn)
            )
            turn = first(state, rng)
            if turn is not None:
                self.apply(state, turn)
                if turn.scenario == "ask_for_image":
                    pending = self.upload(state, caption, rng)
        elif opening < NO_UPLOAD_SHARE + MAP_UPLOAD_SHARE:
            pending = self.upload(state, caption, rng, as_map=True)
            if pending.upload and pending.upload.condition:
                turn = self.conditioned_turn(state, pending.upload, rng)
                if turn is not None:
                    self.apply(state, replace(turn, upload=pending.upload, description=pending.description))
                    pending = None
        else:
            pending = self.upload(state, caption, rng)
        for _ in range(4 * wanted):  # turns that do not fit the state are drawn again
            if len(state.turns) >= wanted or (state.turns and state.turns[-1].answer is None):
                break
            if (
                pending is None
                and len(state.uploads) == 1
                and state.turns
                and companions
                and rng.random() < self.second_upload_share
            ):
                pending = self.upload(state, rng.choice(companions), rng)
            weights = [weight(state) for _, weight in self.turns]
            maker = rng.choices([maker for maker, _ in self.turns], weights)[0]
            turn = maker(state, rng)
            if turn is None:
                continue
            if pending:
                turn = replace(turn, upload=pending.upload, description=pending.description)
                pending = None
            self.apply(state, turn)
        return state.turns

    def listing(self, turns: list[PlannedTurn], rng: random.Random) -> tuple[list[ToolSpec], list[PlannedTurn]]:
        """The tools the session's prompts list, and its turns: in ``unserved_share`` of sessions the last tool
        request finds its tool missing from the list (the answer says so; later turns are dropped)."""
        served = rng.random() < self.served_listing_share
        if self.unserved_share and rng.random() < self.unserved_share:
            unserved = self._unserved(turns, served, rng)
            if unserved is not None:
                return unserved
        needed = list(dict.fromkeys(step.spec.name for turn in turns for step in turn.steps))
        if served:
            listed = served_listing(self.pool, needed, rng)
            if {spec.name for spec in listed}.issuperset(needed):
                return listed, turns
        return self._drawn(needed, rng), turns

    def _unserved(
        self, turns: list[PlannedTurn], served: bool, rng: random.Random
    ) -> tuple[list[ToolSpec], list[PlannedTurn]] | None:
        """The listing without the tool of the last tool request, and the turns up to that request, now answered
        without a tool; ``None`` when that cannot be (a runtime always serves the offline tools, so those go
        missing only from drawn listings; an earlier turn may need the same family)."""
        at = max((i for i, turn in enumerate(turns) if turn.steps), default=None)
        if at is None:
            return None
        spec = turns[at].steps[0].spec
        if served and set(spec.families) <= set(OFFLINE_FAMILIES):
            return None
        kept = list(dict.fromkeys(step.spec.name for turn in turns[:at] for step in turn.steps))
        listed = (
            served_listing(self.pool, kept, rng, without=[spec.name]) if served else self._drawn(kept, rng, spec.name)
        )
        names = {listed_spec.name for listed_spec in listed}
        if spec.name in names or not names.issuperset(kept):
            return None
        cond = phrasings.CONDITIONS.get(spec.name, {}).get("en", ("map",))[0]
        ability = say.ABILITIES.get(spec.name) or say.CONDITIONED_ABILITY.format(cond=cond)
        answer = self.pick(say.UNSERVED_ANSWERS, rng).format(ability=ability, tool=spec.name)
        return listed, [*turns[:at], replace(turns[at], scenario="unserved", steps=(), answer=answer)]

    def _drawn(self, needed: Sequence[str], rng: random.Random, without: str = "") -> list[ToolSpec]:
        """The ``needed`` tools among others drawn from the pool (``tools_per_prompt`` in all, at least one more than
        needed), shuffled."""
        low, high = self.tools_per_prompt
        count = max(rng.randint(low, high), len(needed) + 1)
        chosen = [self.pool.get(name) for name in needed]
        others = [spec for spec in self.pool if spec.name not in needed and spec.name != without]
        chosen += rng.sample(others, min(count - len(chosen), len(others)))
        rng.shuffle(chosen)
        return chosen

    def session(self, caption: Caption, index: int, companions: Sequence[Caption] = ()) -> Session:
        """Session ``index`` on ``caption``: its turns and the tools its prompts list."""
        rng = session_rng(self.seed, caption.id, index, "listing")
        listed, turns = self.listing(self.plan(caption, index, companions), rng)
        return Session(caption, index, tuple(listed), tuple(turns))

    def render(self, session: Session) -> list[Sample]:
        """The records of ``session``: every turn's prompt holds the history of the turns before it."""
        rng = session_rng(self.seed, session.caption.id, session.index, "render")
        samples: list[Sample] = []
        history: list[Turn] = []
        for turn in session.turns:
            if turn.upload:
                history += self.template.introduce_image(turn.upload.name, turn.description)
            request = without_typos(turn.request)  # as the demo reads it: its slips in tool words set right
            instruction = self.template.render_instruction(session.listed, history, request)
            samples += self._turn_samples(instruction, turn, session.caption, rng)
            if turn.answer is None:
                break
            made = [
                step.observation for step in turn.steps if step.spec.output is OutputKind.IMAGE and step.observation
            ]
            history += [Turn("human", request), Turn("ai", remembered_answer(turn.answer, made))]
        return samples

    def build(self, caption: Caption, index: int, companions: Sequence[Caption] = ()) -> list[Sample]:
        """The records of session ``index`` on ``caption``."""
        return self.render(self.session(caption, index, companions))

    def _turn_samples(self, instruction: str, turn: PlannedTurn, caption: Caption, rng: random.Random) -> list[Sample]:
        """A record for every step of ``turn`` and for its answer (after a single call in ``answer_share`` of turns)."""

        def sample(kind: str, observed: Sequence[ObservedStep], reply: str, tools: tuple[str, ...] = ()) -> Sample:
            record = Record(instruction, self.template.render_scratchpad(observed), reply)
            return Sample(record, kind, tools, LANGUAGE, caption.id, turn.request, scenario=turn.scenario)

        samples: list[Sample] = []
        observed: list[ObservedStep] = []
        for number, step in enumerate(turn.steps):
            samples.append(sample(CONTEXT if number else SESSION, observed, step.call.render(), (step.spec.name,)))
            if step.observation is None:
                return samples
            observed.append(ObservedStep(step.call, step.observation))
        if turn.answer is not None:
            reply = FinalAnswer(THOUGHT_NO, turn.answer).render()
            if not turn.steps:
                samples.append(sample(SESSION, observed, reply))
            elif len(turn.steps) > 1 or rng.random() < self.answer_share:
                samples.append(sample(CONTEXT, observed, reply))
        return samples
