"""Constrained decoding of tool calls: the ``Action:`` line names a listed tool, ``Action Input:`` fits its inputs.

A small model sometimes writes a name that is close to a listed tool but not one ("Detect" for
``Detection``), or arguments the tool cannot take (an object's name where a box's corners go, three of
four numbers): the call then fails however right the rest is. :class:`ToolCallConstraint` replaces the
greedy token, only when it would break the call, with the most likely token that keeps

- the ``Action:`` line a prefix of ``<listed name>\\n``;
- the ``Action Input:`` line a prefix of a valid input list for that tool: one comma-separated value per
  typed input (a number where a number goes, ``WIDTHxHEIGHT`` for a size, an image file the prompt names
  where an image goes, no comma inside a value except in a trailing text), then the end of the line.

Everything else (whether to call a tool, which one, the values themselves) stays the model's choice.
The listed tools and their input types are read from the prompt's tool block: the ``> Name: description
Input: name (type), ...`` lines every prompt of :class:`~protocol.prompt.PromptTemplate` carries, in any
shipped language. A prompt that does not type its inputs (the original GPT4Tools data) gets the name
constraint only.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

import regex

from tools.spec import InputKind

if TYPE_CHECKING:
    from protocol.prompt import PromptTemplate

ACTION = "Action:"
ACTION_INPUT = "Action Input:"
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


def image_names(prompt: str) -> tuple[str, ...]:
    """The image file names a prompt mentions, in order of first mention."""
    return tuple(dict.fromkeys(_IMAGE_NAME.findall(prompt)))


def call_space(prompt: str, templates: Sequence[PromptTemplate] = ()) -> CallSpace:
    """The tools and image names of ``prompt`` (see :func:`listed_tools`, :func:`image_names`)."""
    return CallSpace(listed_tools(prompt, templates), image_names(prompt))


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


def _current_line(text: str) -> tuple[str, str]:
    """(the line being written, the line before it)."""
    lines = text.rsplit("\n", 2)
    return lines[-1], (lines[-2] if len(lines) > 1 else "")


class ToolCallConstraint:
    """Picks, for a reply on its ``Action:`` or ``Action Input:`` line, the best token that keeps the call valid."""

    def __init__(self, tokenizer: Any, arguments: bool = True) -> None:
        """``arguments``: hold ``Action Input:`` to the tool's typed inputs too (names are always held)."""
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

    def choose(self, text: str, logits: Any, greedy: int, space: CallSpace, remaining: int | None = None) -> int:
        """The token to emit after ``text``: ``greedy`` unless it would break the call being written, then
        the most likely token that keeps it valid (``remaining``, the token budget left, is not needed: a call
        that runs out of tokens is cut wherever it is)."""
        tools = space.tools
        if not tools:
            return greedy  # no tool block: nothing to hold to
        line, previous = _current_line(text)
        if line.startswith(ACTION):
            names = list(tools)
            written = line[len(ACTION) :]
            return self._best(written, logits, greedy, lambda candidate: self.fits(candidate, names))
        if self.arguments and line.startswith(ACTION_INPUT) and previous.startswith(ACTION):
            kinds = tools.get(previous[len(ACTION) :].strip())
            if kinds:
                written = line[len(ACTION_INPUT) :]
                return self._best(
                    written, logits, greedy, lambda candidate: self.arguments_fit(candidate, kinds, space.images)
                )
        return greedy

    def _best(self, written: str, logits: Any, greedy: int, valid: Callable[[str], bool]) -> int:
        if not valid(written):
            return greedy  # already off the rails (nothing left to save)
        pieces = self.pieces
        if greedy < len(pieces) and valid(written + pieces[greedy]):
            return greedy
        top = logits.topk(min(TOP_CANDIDATES, logits.shape[-1])).indices.tolist()
        for order in (top, logits.argsort(descending=True).tolist()):
            for token in order:
                if token < len(pieces) and pieces[token] and valid(written + pieces[token]):
                    return int(token)
        return greedy
