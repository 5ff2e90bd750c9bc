"""Declarative tool specs: what the model sees of a tool and how its arguments are read.

A spec is pure data (no heavy imports) so the prompt renderer, the data generator and the
evaluator can read the catalogue without loading any model.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from protocol.errors import InputError


class InputKind(StrEnum):
    """Kinds of argument a tool accepts in its Action Input."""

    IMAGE = "image"  # a file name inside the session workspace
    TEXT = "text"  # free text (may itself contain commas when it is the last input)
    NUMBER = "number"  # an int or float
    SIZE = "size"  # WIDTHxHEIGHT, e.g. 1024x768


class OutputKind(StrEnum):
    """What a tool returns as its observation."""

    IMAGE = "image"
    TEXT = "text"
    BOXES = "boxes"


class SpecError(ValueError, InputError):
    """A tool spec is malformed (raised when the spec is created or registered)."""


_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9 ]*[A-Za-z0-9]$")
_INPUT_NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")
_HANDLER_RE = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$")
_SIZE_RE = re.compile(r"^\s*(\d+)\s*[xX*]\s*(\d+)\s*$")


@dataclass(frozen=True)
class ToolInput:
    """One typed argument of a tool, e.g. ``ToolInput("image_path", InputKind.IMAGE)``."""

    name: str
    kind: InputKind
    description: str = ""

    def __post_init__(self) -> None:
        if not _INPUT_NAME_RE.match(self.name):
            raise SpecError(f"input name {self.name!r} must be snake_case (letters, digits, underscores)")
        object.__setattr__(self, "kind", InputKind(self.kind))


@dataclass(frozen=True)
class ToolSpec:
    """A tool as the model sees it.

    Attributes:
        name: the exact string the model writes after ``Action:``.
        description: when to use the tool, in our own words (the input format is rendered from ``inputs``).
        inputs: typed arguments, comma separated in ``Action Input`` in this order.
        output: what the observation holds.
        family: the model family (TaskMatrix/GPT4Tools class name, e.g. ``Image2Canny``) that runs it.
        requires: further families a composite (template) tool needs besides ``family``.
        operation: short tag used in chained output file names (``edge``, ``pose``...).
        held_out: GPT4Tools kept this tool out of training to measure generalisation to unseen tools.
        makes_map: for a tool whose output is a map drawn from the input photo (edges, pose, depth...), the words a
            person names that map by ("edge map", "canny"), the first being the name an answer gives it; what is
            *in* the map is that photo's content.
        follows_map: for a generator that draws a new picture following a map (ControlNet), the words a person names
            that map by ("pose", "sketch").
        places_text: for a tool that reads text: its result also says where the words are (``tools.outputs.Reading``),
            so a plan may hand it to a box tool as a detection's boxes ("crop to the sign").
        handler: ``"package.module:function"`` that runs the tool, imported only when the tool runs.
    """

    name: str
    description: str
    inputs: tuple[ToolInput, ...]
    output: OutputKind
    family: str
    requires: tuple[str, ...] = ()
    operation: str = ""
    held_out: bool = False
    makes_map: tuple[str, ...] = ()
    follows_map: tuple[str, ...] = ()
    places_text: bool = False
    handler: str = ""
    examples: tuple[str, ...] = field(default=(), compare=False)

    def __post_init__(self) -> None:
        if not _NAME_RE.match(self.name):
            raise SpecError(f"tool name {self.name!r} must be words of letters and digits separated by spaces")
        if "," in self.name or ":" in self.name:
            raise SpecError(f"tool name {self.name!r} may not contain ',' or ':'")
        if not self.description.strip():
            raise SpecError(f"tool {self.name!r} needs a description")
        if not self.inputs:
            raise SpecError(f"tool {self.name!r} needs at least one input")
        names = [i.name for i in self.inputs]
        if len(set(names)) != len(names):
            raise SpecError(f"tool {self.name!r} has duplicate input names: {names}")
        if not self.family:
            raise SpecError(f"tool {self.name!r} needs a model family")
        object.__setattr__(self, "output", OutputKind(self.output))
        object.__setattr__(self, "inputs", tuple(self.inputs))
        object.__setattr__(self, "requires", tuple(self.requires))
        if self.handler and not _HANDLER_RE.match(self.handler):
            raise SpecError(f"tool {self.name!r}: handler {self.handler!r} should look like 'package.module:function'")
        if not self.operation:
            object.__setattr__(self, "operation", self.family.lower())

    @property
    def families(self) -> tuple[str, ...]:
        """Every model family that must be loaded for this tool to be available."""
        return (self.family, *self.requires)

    @property
    def image_inputs(self) -> tuple[ToolInput, ...]:
        return tuple(i for i in self.inputs if i.kind is InputKind.IMAGE)

    def split_arguments(self, action_input: str) -> list[str]:
        """Split an Action Input into exactly ``len(inputs)`` strings.

        Arguments are comma separated. Commas inside the last input are kept when it is text
        (``photo.png, a red car, parked`` -> ``["photo.png", "a red car, parked"]``).

        Raises:
            ArgumentCountError: when the count does not match the spec.
        """
        n = len(self.inputs)
        if n == 1 and self.inputs[0].kind is InputKind.TEXT:
            parts = [action_input.strip()]
        elif self.inputs[-1].kind is InputKind.TEXT:
            parts = [p.strip() for p in action_input.split(",", n - 1)]
        else:
            parts = [p.strip() for p in action_input.split(",")]
        if len(parts) != n or any(not p for p in parts):
            raise ArgumentCountError(self, action_input)
        return parts

    def join_arguments(self, values: Mapping[str, object]) -> str:
        """The Action Input holding named arguments (a plan step's ``args``): the inverse of :meth:`split_arguments`.

        Raises:
            ValueError: an input is missing or unknown, or a text that is not the last input holds a comma
                (it would be split in two).
        """
        names = [i.name for i in self.inputs]
        missing = [name for name in names if name not in values]
        unknown = sorted(set(values) - set(names))
        if missing or unknown:
            raise ValueError(
                f"{self.name!r} takes {', '.join(names)}"
                + (f"; missing {', '.join(missing)}" if missing else "")
                + (f"; unknown {', '.join(unknown)}" if unknown else "")
            )
        texts = [str(values[name]).strip() for name in names]
        for tool_input, text in zip(self.inputs[:-1], texts, strict=False):
            if "," in text:
                raise ValueError(
                    f"{self.name!r}: {tool_input.name} {text!r} may not hold a comma (only the last input may)"
                )
        return ", ".join(texts)


class ArgumentCountError(ValueError):
    """The Action Input does not hold the arguments a tool expects."""

    def __init__(self, spec: ToolSpec, action_input: str) -> None:
        expected = ", ".join(i.name for i in spec.inputs)
        super().__init__(
            f"{spec.name!r} expects {len(spec.inputs)} comma-separated argument(s): {expected}; got {action_input!r}"
        )
        self.spec = spec
        self.action_input = action_input


def parse_size(text: str) -> tuple[int, int]:
    """Parse ``WIDTHxHEIGHT`` (also ``W*H``) into a pair of positive ints."""
    match = _SIZE_RE.match(text)
    if not match:
        raise ValueError(f"size {text!r} should look like 1024x768")
    width, height = int(match.group(1)), int(match.group(2))
    if width <= 0 or height <= 0:
        raise ValueError(f"size {text!r} must be positive")
    return width, height
