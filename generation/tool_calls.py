"""Constrained decoding of ReAct steps: the protocol's lines in order, a listed tool, arguments that fit its inputs.

A small model sometimes writes a name that is close to a listed tool but not one ("Detect" for
``Detection``), or arguments the tool cannot take (an object's name where a box's corners go, three of
four numbers): the call then fails however right the rest is. :class:`ToolCallConstraint` replaces the
greedy token, only when it would break the step, with the most likely token that keeps the step a prefix of

    Thought: Do I need to use a tool? Yes          Thought: Do I need to use a tool? No
    Action: <listed name>                    or    AI: <anything>
    Action Input: <arguments>
    Observation:

where the arguments are a valid input list for that tool: one comma-separated value per typed input (a number
where a number goes, ``WIDTHxHEIGHT`` for a size, an image file the prompt names where an image goes, no comma
inside a value except in a trailing text), then the end of the line. A prompt that ends inside a step (an answer
written after a plan's steps ends with ``...No\\nAI:``) is continued from there (:attr:`CallSpace.step`).

In the answer, a file name begun in a folder the prompt's images live in (``image/``) is held to one of those
images, so an answer shows the file the tool made, not a miscopied name, and the rest of the name is forced once
its first characters settle which.

Everything else (whether to call a tool, which one, the values themselves, the answer's words) stays the model's choice;
:meth:`ToolCallConstraint.forced` names the text that is not (:mod:`generation.forcing`). The listed tools and
their input types are read from the prompt's tool block: the ``> Name: description Input: name (type), ...``
lines every prompt of :class:`~protocol.prompt.PromptTemplate` carries, in any shipped language. A prompt that
does not type its inputs (the original GPT4Tools data) gets no argument constraint.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

import regex

from generation.forcing import common_rest, unique_run
from protocol.steps import ACTION, ACTION_INPUT, AI, OBSERVATION, THOUGHT, THOUGHT_NO, THOUGHT_QUESTION, THOUGHT_YES
from tools.spec import InputKind

if TYPE_CHECKING:
    from protocol.prompt import PromptTemplate

_TOOL_LINE = re.compile(r"^> ([A-Za-z][A-Za-z0-9 ]*[A-Za-z0-9]): (.*)$", re.MULTILINE)
_TYPED_INPUT = re.compile(r"^[a-z][a-z0-9_]* \((.+)\)$")
TOP_CANDIDATES = 64  # tokens tried in logit order before scanning the whole vocabulary
# Numbers are bounded (pixels, sizes and angles need at most 5 digits and 2 decimals): unbounded, a model held
# away from ending the line too early ran one number on for the whole token budget ("100.00000000...").
VALUE_PATTERNS = {
    InputKind.IMAGE: r"[^,\n]+",
    InputKind.TEXT: r"[^,\n]+",  # a trailing text may hold commas (see argument_pattern)
    InputKind.NUMBER: r"-?\d{1,5}(?:\.\d{1,2})?",
    InputKind.SIZE: r"\d{1,5} ?[xX×*] ?\d{1,5}",
}
# Every character the patterns above and the separators name (others are only "any character but , and newline").
PATTERN_CHARACTERS = " ,\n-.0123456789xX×*"
OPENING = f"{THOUGHT} {THOUGHT_QUESTION}"  # how every step starts
# How the opening line may end, and the line each ending calls for.
DECISIONS = {THOUGHT_YES[len(THOUGHT_QUESTION) :] + "\n": ACTION, THOUGHT_NO[len(THOUGHT_QUESTION) :] + "\n": AI}
FREE = ""  # a line after the answer's or the observation's keyword: anything goes
_PATH_END = re.compile(r"[\w.-]+/[\w./-]*$")  # a file path being written at the end of an answer

ListedTools = Mapping[str, tuple[InputKind, ...] | None]
# An image file name as prompts write them: uploads (``image/1a2b3c4d.png``, ``examples/dog_12.jpg``) and tool
# outputs (``image/7f3a_edge_2c1b.png``).
_IMAGE_NAME = re.compile(r"(?<![\w./-])[\w./-]+\.(?:png|jpe?g|webp|bmp|gif|tiff?)\b", re.IGNORECASE)


@dataclass(frozen=True)
class CallSpace:
    """What a reply to one prompt may call: the listed tools (with their input types, where typed) and the
    image files the prompt names (an image argument is held to one of them; any name when there are none)."""

    tools: ListedTools
    images: tuple[str, ...] = ()
    step: str = ""  # the step the prompt leaves unfinished, which the reply goes on with (see open_step)


def image_names(prompt: str) -> tuple[str, ...]:
    """The image file names a prompt mentions, in order of first mention."""
    return tuple(dict.fromkeys(_IMAGE_NAME.findall(prompt)))


def call_space(prompt: str, templates: Sequence[PromptTemplate] = ()) -> CallSpace:
    """The tools, image names and unfinished step of ``prompt`` (:func:`listed_tools`, :func:`image_names`,
    :func:`open_step`)."""
    return CallSpace(listed_tools(prompt, templates), image_names(prompt), open_step(prompt))


def open_step(prompt: str) -> str:
    """The lines of the step ``prompt`` ends inside (back to its ``Thought:`` line), or ``""`` when the prompt ends
    where a step starts (after the chat template's assistant header, the plain wrapper or an observation)."""
    lines: list[str] = []
    for line in reversed(prompt.split("\n")):
        if not line.startswith((THOUGHT, ACTION, ACTION_INPUT, AI)):
            break
        lines.insert(0, line)
        if line.startswith(THOUGHT):
            break
    return "\n".join(lines)


def listed_tools(prompt: str, templates: Sequence[PromptTemplate] = ()) -> dict[str, tuple[InputKind, ...] | None]:
    """The tools of the prompt's first block of consecutive ``> Name: description`` lines, with their input
    types where the input line of one of ``templates`` types them (else ``None``)."""
    tools: dict[str, tuple[InputKind, ...] | None] = {}
    end = -1
    for match in _TOOL_LINE.finditer(prompt):
        if tools and prompt.count("\n", end, match.start()) > 1:
            break  # a later block (a quoted line in the conversation, say) is not the tool list
        kinds = (input_kinds(match.group(2), template) for template in templates)
        tools[match.group(1)] = next((k for k in kinds if k is not None), None)
        end = match.end()
    return tools


def input_kinds(tool_text: str, template: PromptTemplate) -> tuple[InputKind, ...] | None:
    """The input types a tool line rendered by ``template`` declares (``Input: image_path (image file name), ...``)."""
    prefix, suffix = template.input_line.split("{inputs}")
    start = tool_text.rfind(prefix)
    if start < 0 or not tool_text.endswith(suffix):
        return None
    body = tool_text[start + len(prefix) : len(tool_text) - len(suffix)]
    kinds_by_label = {label: InputKind(kind) for kind, label in template.input_kinds.items()}
    kinds = []
    for item in body.split(", "):
        typed = _TYPED_INPUT.match(item)
        if not typed or typed.group(1) not in kinds_by_label:
            return None
        kinds.append(kinds_by_label[typed.group(1)])
    return tuple(kinds)


@cache
def argument_pattern(kinds: tuple[InputKind, ...], images: tuple[str, ...] = ()) -> Any:
    """A pattern of what may follow ``Action Input:`` for a tool with these input types, newline included;
    an image input is one of ``images`` when any are given."""
    image = "(?:" + "|".join(map(regex.escape, images)) + ")" if images else VALUE_PATTERNS[InputKind.IMAGE]
    values = [image if kind is InputKind.IMAGE else VALUE_PATTERNS[kind] for kind in kinds]
    if kinds[-1] is InputKind.TEXT:
        values[-1] = r"[^\n]+"
    return regex.compile(r" ?" + r" ?, ?".join(values) + r"\n")


def token_pieces(tokenizer: Any) -> list[str]:
    """Each token's text as it reads after other text (so leading spaces survive SentencePiece)."""
    anchor = tokenizer("A", add_special_tokens=False)["input_ids"][-1:]
    base = len(tokenizer.decode(anchor))
    decoded = tokenizer.batch_decode([[*anchor, i] for i in range(len(tokenizer))])
    return [text[base:] for text in decoded]


@dataclass(frozen=True)
class StepLine:
    """Where a step stands: the line being written (``text``), the keyword it must start with (``FREE``: none)
    and, on an ``Action Input:`` line, the tool the ``Action:`` line named."""

    keyword: str
    text: str = ""
    tool: str = ""


def _first_keyword(step: str) -> str:
    """The keyword of a step's first line: the one a prompt's unfinished step starts with, else the opening."""
    return next((keyword for keyword in (ACTION_INPUT, ACTION, AI) if step.startswith(keyword)), OPENING)


def _next_keyword(line: StepLine) -> StepLine:
    """The line after ``line`` (a whole line that fits) starts."""
    body = line.text[len(line.keyword) :]
    if line.keyword == OPENING:
        return StepLine(DECISIONS[body + "\n"])
    if line.keyword == ACTION:
        return StepLine(ACTION_INPUT, tool=body.strip())
    if line.keyword == ACTION_INPUT:
        return StepLine(OBSERVATION)
    return StepLine(FREE)  # after the answer's or the observation's line


def _answer_paths(answer: str, images: Sequence[str]) -> tuple[str, list[str]] | None:
    """The file path ``answer`` ends inside and the images it can still become (``("", [])`` when it ends in no
    path, or in one whose folder no image is in); ``None`` when that path can become none of them (a name already
    whole may be followed by a full stop)."""
    match = _PATH_END.search(answer)
    if match is None:
        return "", []
    path = match.group()
    folder = path[: path.index("/") + 1]
    if not any(image.startswith(folder) for image in images):
        return "", []
    if any(path.startswith(image) and not path[len(image) :].strip(".") for image in images):
        return "", []
    fitting = [image for image in images if image.startswith(path)]
    return (path, fitting) if fitting else None


class ToolCallConstraint:
    """Picks, for a ReAct reply, the best token that keeps the step valid, and names the text the step forces."""

    def __init__(self, tokenizer: Any, arguments: bool = True) -> None:
        """``arguments``: hold ``Action Input:`` to the tool's typed inputs too (the lines and names are always
        held)."""
        self.tokenizer = tokenizer
        self.arguments = arguments
        self._pieces: list[str] | None = None

    @property
    def pieces(self) -> list[str]:
        """Each token's text as it reads after other text (:func:`token_pieces`); special tokens (end of turn,
        end of text) read as the end of the line."""
        if self._pieces is None:
            self._pieces = token_pieces(self.tokenizer)
            for special in self.tokenizer.all_special_ids:
                if special < len(self._pieces):
                    self._pieces[special] = "\n"
        return self._pieces

    def piece(self, token: int) -> str:
        """The text ``token`` adds to a reply as the constraint reads it."""
        return self.pieces[token] if token < len(self.pieces) else ""

    @staticmethod
    def fits(written: str, names: Sequence[str]) -> bool:
        """Whether ``written`` (the text after ``Action:``) can still become ``<name>\\n`` for a listed name."""
        name = written.lstrip(" ")
        return any(f"{n}\n".startswith(name) or name.startswith(f"{n}\n") for n in names)

    @staticmethod
    def arguments_fit(written: str, kinds: tuple[InputKind, ...], images: tuple[str, ...] = ()) -> bool:
        """Whether ``written`` (the text after ``Action Input:``, up to its first newline) can still become
        a valid input list (with an image input among ``images``, when given)."""
        cut = written.find("\n")
        line = written if cut < 0 else written[: cut + 1]
        return argument_pattern(kinds, images).fullmatch(line, partial=True) is not None

    # ----------------------------------------------------------------- the step's lines
    def position(self, written: str, space: CallSpace) -> StepLine | None:
        """Where the reply ``written`` (after the prompt's unfinished step) stands, or ``None`` when it has left
        the protocol."""
        return self._advance(StepLine(_first_keyword(space.step)), space.step + written, space)

    def _advance(self, line: StepLine, added: str, space: CallSpace) -> StepLine | None:
        """The position after ``added`` is written at ``line`` (``None``: it leaves the protocol)."""
        *whole, last = (line.text + added).split("\n")
        for text in whole:
            done = StepLine(line.keyword, text, line.tool)
            if not self._line_fits(done, space, whole=True):
                return None
            line = _next_keyword(done)
        line = StepLine(line.keyword, last, line.tool)
        return line if self._line_fits(line, space, whole=False) else None

    def _line_fits(self, line: StepLine, space: CallSpace, whole: bool) -> bool:
        """Whether ``line`` starts with its keyword (or a prefix of it while being written) and its body fits;
        a ``whole`` line is one its newline ended."""
        keyword, text = line.keyword, line.text
        if keyword == FREE:
            return True
        if len(text) < len(keyword):
            return not whole and keyword.startswith(text)
        if not text.startswith(keyword):
            return False
        body = text[len(keyword) :] + ("\n" if whole else "")
        if keyword == OPENING:
            return any(decision.startswith(body) for decision in DECISIONS)
        if keyword == ACTION:
            return self.fits(body, list(space.tools))
        if keyword == AI:
            return _answer_paths(body, space.images) is not None
        kinds = self._kinds(line, space)
        if kinds:
            return self.arguments_fit(body, kinds, space.images)
        return True  # untyped arguments, the observation

    def _kinds(self, line: StepLine, space: CallSpace) -> tuple[InputKind, ...] | None:
        """The input types an ``Action Input:`` line is held to (``None``: it is not held)."""
        if line.keyword != ACTION_INPUT or not self.arguments:
            return None
        return space.tools.get(line.tool)

    # ----------------------------------------------------------------- choosing and forcing
    def choose(self, text: str, logits: Any, greedy: int, space: CallSpace, remaining: int | None = None) -> int:
        """The token to emit after ``text``: ``greedy`` unless it would break the step being written, then the
        most likely token that keeps it valid (``remaining``, the token budget left, is not needed: a step that
        runs out of tokens is cut wherever it is)."""
        if not space.tools:
            return greedy  # no tool block: nothing to hold to
        line = self.position(text, space)
        if line is None or line.keyword == FREE:
            return greedy  # already off the rails (nothing left to save), or free text

        pieces = self.pieces

        def valid(token: int) -> bool:
            return token < len(pieces) and bool(pieces[token]) and self._advance(line, pieces[token], space) is not None

        if valid(greedy):
            return greedy
        top = logits.topk(min(TOP_CANDIDATES, logits.shape[-1])).indices.tolist()
        for order in (top, logits.argsort(descending=True).tolist()):
            for token in order:
                if valid(token):
                    return int(token)
        return greedy

    def forced(self, text: str, space: CallSpace) -> str:
        """The text that must follow ``text`` whatever the model prefers (``""`` where it has a choice): the rest
        of a keyword or of the opening, ``es\\nAction:`` after ``Y``, the rest of the only listed name (or of
        the names' common start) and the lines' keywords after it, the rest of the only image that fits."""
        if not space.tools:
            return ""
        line = self.position(text, space)
        run = ""
        while line is not None:
            step = self._fixed(line, space)
            if not step:
                break
            run += step
            line = self._advance(line, step, space)
        return run.rstrip(" ")

    def _fixed(self, line: StepLine, space: CallSpace) -> str:
        """What must come next at ``line`` (``""``: the model chooses, or the line is free)."""
        keyword, text = line.keyword, line.text
        if keyword == FREE:
            return ""
        if len(text) < len(keyword):
            return keyword[len(text) :]
        body = text[len(keyword) :]
        if keyword == OPENING:
            return common_rest(body, DECISIONS)
        if keyword == ACTION:  # whether a space comes first is the model's to say, then the name
            return common_rest(body.lstrip(" "), [f"{name}\n" for name in space.tools]) if body else ""
        if keyword == AI:
            path, images = _answer_paths(body, space.images) or ("", [])
            return common_rest(path, images) if images else ""
        kinds = self._kinds(line, space)
        if not kinds:
            return ""
        pattern = argument_pattern(kinds, space.images)
        run, _ = unique_run(  # ends at the newline at the latest: nothing fits after it
            body,
            lambda written, char: written + char if pattern.fullmatch(written + char, partial=True) else None,
            (*PATTERN_CHARACTERS, *"".join(space.images)),
        )
        return run
