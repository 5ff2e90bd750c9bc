"""Constrained decoding of plans: every reply to a plan prompt is a plan that parses and fits the offered tools.

:class:`PlanConstraint` replaces the greedy token, only when it would break the plan, with the most likely token
that keeps the reply a prefix of a valid plan (:mod:`protocol.plan`), written the way plans are rendered::

    [{"task": "<offered tool>", "id": <0, 1, 2...>, "dep": [<earlier ids>] or [-1], "args": {"<input>": <value>, ...}}, ...]

- ``task``: an offered tool whose inputs can be given at that step (an image input needs an image of the session
  or an earlier step that makes one);
- ``id``: the step's position; ``dep``: distinct earlier ids, or ``[-1]`` (it is not trusted: the parser derives
  it from the references);
- ``args``: the tool's inputs in its order, each a well-typed value: an image of the prompt or
  ``"<GENERATED>-k"`` of an earlier step that makes an image (for a box-taking tool also one that finds boxes,
  whose corners are then left out); a text in quotes, or ``"<GENERATED>-k"`` of an earlier step that makes text;
  a number (at most 5 digits and 2 decimals) or ``"WIDTHxHEIGHT"``;
- after the closing ``]`` only the end of the turn.

Which tools, which order, how many steps and every value stay the model's choice, until the token budget runs
low: then a token must also leave room to close the plan (:meth:`PlanConstraint.choose`), so every reply parses. The offered tools and the
images are read from the prompt (:func:`plan_space`). A token is checked by feeding its characters to a small
state machine; when neither the greedy token nor one of the :data:`TOP_CANDIDATES` most likely tokens fits, the
whole vocabulary is walked in sorted order, skipping every token that starts with a prefix already rejected.
Plans are decoded a token at a time, without the fast-forward of forced text that ReAct steps get
(:mod:`generation.forcing`): fed in one pass, forced JSON runs (``"}}, {"task": "``) split the merged tokens the
model was trained on, and the embedded model's plans stopped after their first step.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import regex

from generation.tool_calls import TOP_CANDIDATES, image_names, token_pieces
from protocol.plan import (
    GENERATED,
    LOOSE_REFERENCE,
    NO_DEPENDENCY,
    Signature,
    accepted_outputs,
    parse_value,
    required_inputs,
)
from protocol.plan_prompt import offered_tools
from protocol.steps import OBSERVATION
from tools.spec import InputKind, OutputKind

MAX_STEPS = 8  # a plan holds at most this many steps
MAX_TEXT = 200  # characters of a text value
PLAN_MAX_NEW_TOKENS = 512  # a reply budget that holds a plan of several steps with room to spare
# Once fewer tokens than this (plus what closing takes) are left, every token must leave room to close the plan. One
# token can lengthen the shortest closing by less than this (a new step: a short tool name, ids, inputs, values).
CLOSING_MARGIN = 256
_NUMBER = regex.compile(r"-?(?:0|[1-9]\d{0,4})(?:\.\d{1,2})?")
_SIZE = regex.compile(r"[1-9]\d{0,4}[xX*][1-9]\d{0,4}")
_CACHE_LIMIT = 256


@dataclass(frozen=True)
class PlanSpace:
    """What a reply to one plan prompt may use: the offered tools and the image files the prompt names."""

    tools: dict[str, Signature]
    images: tuple[str, ...] = ()


def plan_space(prompt: str) -> PlanSpace | None:
    """The offered tools and images of a plan prompt, or ``None`` when ``prompt`` does not ask for a plan."""
    tools = offered_tools(prompt)
    return PlanSpace(tools, image_names(prompt)) if tools else None


class _State(NamedTuple):
    """Where a reply stands: ``lit`` must be written next, then ``phase`` reads characters into ``buf``."""

    phase: str
    buf: str = ""
    lit: str = ""
    outputs: tuple[OutputKind, ...] = ()  # each step's output kind, the current step's included
    tool: str = ""
    pending: tuple[str, ...] = ()  # the current step's inputs still to write, the one being written first
    deps: tuple[int, ...] = ()


START = _State("start")


class PlanGrammar:
    """The state machine of valid plans for one :class:`PlanSpace`: ``feed(state, char)`` is the state after
    ``char``, or ``None`` when no valid plan continues that way."""

    def __init__(self, space: PlanSpace) -> None:
        self.space = space
        self._available: dict[tuple[OutputKind, ...], tuple[str, ...]] = {}
        self._options: dict[tuple[str, str, tuple[OutputKind, ...]], tuple[str, ...] | None] = {}
        self.valid_tokens: dict[_State, list[int]] = {}  # filled by PlanConstraint (states recur across rows)

    # ----------------------------------------------------------------- what a step may use
    def available(self, outputs: tuple[OutputKind, ...]) -> tuple[str, ...]:
        """The offered tools a step can call after steps making ``outputs``: each input can be given a value."""
        if outputs not in self._available:
            self._available[outputs] = tuple(
                name
                for name, tool in self.space.tools.items()
                if all(self._choices(tool, i.name, outputs) is not None for i in tool.inputs)
            )
        return self._available[outputs]

    def _choices(self, tool: Signature, name: str, outputs: tuple[OutputKind, ...]) -> tuple[str, ...] | None:
        """The quoted values an image input may take (``None``: none at all); ``()`` for other inputs."""
        key = (tool.name, name, outputs)
        if key not in self._options:
            kind = next(i.kind for i in tool.inputs if i.name == name)
            if kind is not InputKind.IMAGE:
                self._options[key] = ()
            else:
                accepted = accepted_outputs(tool, name)
                references = tuple(f"{GENERATED}-{k}" for k, output in enumerate(outputs) if output in accepted)
                self._options[key] = (*self.space.images, *references) or None
        return self._options[key]

    def _references(self, outputs: tuple[OutputKind, ...], kind: OutputKind) -> tuple[str, ...]:
        return tuple(f"{GENERATED}-{k}" for k, output in enumerate(outputs) if output is kind)

    # ----------------------------------------------------------------- transitions
    def feed(self, state: _State, char: str) -> _State | None:
        if state.lit:
            if char != state.lit[0]:
                return None
            return state._replace(lit=state.lit[1:])
        return getattr(self, f"_{state.phase}")(state, char)

    # ----------------------------------------------------------------- closing
    def finish(self, state: _State) -> str:
        """A short text that completes a valid plan from ``state`` (written when the token budget runs out): it
        closes the current value with the fewest characters, fills the step's other inputs with the shortest
        values that fit, and ends the plan. The same state always gives the same text."""
        written = []
        while not (state.phase == "done" and not state.lit):
            for char in self._closing_chars(state):
                after = self.feed(state, char)
                if after is not None:
                    break
            else:
                raise RuntimeError(f"the plan grammar cannot close from {state}")
            written.append(char)
            state = after
        return "".join(written)

    def _closing_chars(self, state: _State) -> tuple[str, ...]:
        """Characters to try, in order, on the way to closing the plan from ``state``."""
        if state.lit:
            return (state.lit[0],)
        phase = state.phase
        if phase == "start":
            return ("[",)
        if phase in ("open", "next"):
            return ("]",)
        if phase == "name":
            return _towards(state.buf, self.available(state.outputs))
        if phase == "dep_first":
            return ("-",)
        if phase in ("dep_next", "dep_number"):
            unused = [str(k) for k in range(self._step_index(state)) if k not in state.deps]
            return ("]", *_towards(state.buf, unused)[1:]) if phase == "dep_number" else (unused[0][0],)
        if phase == "value":
            return ("0",) if self._kind(state) is InputKind.NUMBER else ('"',)
        if phase == "choice":
            tool = self.space.tools[state.tool]
            return _towards(state.buf, self._choices(tool, state.pending[0], state.outputs[:-1]) or ())
        if phase == "text":
            references = self._references(state.outputs[:-1], OutputKind.TEXT)
            return ('"', "x", *_towards(state.buf, references)[1:])
        if phase == "size":
            return ('"', "x", "1")
        return (",", "}", "0")  # a number

    def _start(self, state: _State, char: str) -> _State | None:
        return state._replace(phase="open") if char == "[" else None

    def _open(self, state: _State, char: str) -> _State | None:
        if char == "]":
            return state._replace(phase="done")
        if char == "{" and self.available(()):
            return state._replace(phase="name", lit='"task": "', buf="")
        return None

    def _next(self, state: _State, char: str) -> _State | None:
        """After a step: ``]`` ends the plan, ``,`` starts another step."""
        if char == "]":
            return state._replace(phase="done")
        if char == "," and len(state.outputs) < MAX_STEPS and self.available(state.outputs):
            return state._replace(phase="name", lit=' {"task": "', buf="", tool="", pending=(), deps=())
        return None

    def _done(self, state: _State, char: str) -> _State | None:
        return None

    def _name(self, state: _State, char: str) -> _State | None:
        names = self.available(state.outputs)
        if char == '"':
            if state.buf not in names:
                return None
            tool = self.space.tools[state.buf]
            step = len(state.outputs)
            return state._replace(
                phase="dep_first",
                lit=f', "id": {step}, "dep": [',
                buf="",
                tool=state.buf,
                outputs=(*state.outputs, tool.output),
                pending=tuple(i.name for i in tool.inputs),
            )
        written = state.buf + char
        return state._replace(buf=written) if any(name.startswith(written) for name in names) else None

    def _step_index(self, state: _State) -> int:
        return len(state.outputs) - 1

    def _dep_fits(self, state: _State, digits: str, complete: bool) -> bool:
        ids = (k for k in range(self._step_index(state)) if k not in state.deps)
        return any(str(k) == digits if complete else str(k).startswith(digits) for k in ids)

    def _dep_first(self, state: _State, char: str) -> _State | None:
        if char == "-":
            return self._args(state._replace(lit=f"{-NO_DEPENDENCY}]"))
        return self._dep_next(state, char)

    def _dep_next(self, state: _State, char: str) -> _State | None:
        if char.isdigit() and self._dep_fits(state, char, complete=False):
            return state._replace(phase="dep_number", buf=char)
        return None

    def _dep_number(self, state: _State, char: str) -> _State | None:
        if char.isdigit():
            written = state.buf + char
            return state._replace(buf=written) if self._dep_fits(state, written, complete=False) else None
        if char not in ",]" or not self._dep_fits(state, state.buf, complete=True):
            return None
        deps = (*state.deps, int(state.buf))
        if char == "]":
            return self._args(state._replace(deps=deps, buf=""))
        if len(deps) >= self._step_index(state):
            return None  # no earlier id left to list
        return state._replace(phase="dep_next", lit=" ", deps=deps, buf="")

    def _args(self, state: _State) -> _State:
        """The state that writes ``, "args": {"<first input>": `` (after whatever ``lit`` still holds)."""
        return state._replace(phase="value", lit=f'{state.lit}, "args": {{"{state.pending[0]}": ', buf="")

    def _kind(self, state: _State) -> InputKind:
        return next(i.kind for i in self.space.tools[state.tool].inputs if i.name == state.pending[0])

    def _value(self, state: _State, char: str) -> _State | None:
        kind = self._kind(state)
        if kind is InputKind.NUMBER:
            return state._replace(phase="number", buf=char) if _partial(_NUMBER, char) else None
        if char != '"':
            return None
        phase = {InputKind.IMAGE: "choice", InputKind.TEXT: "text", InputKind.SIZE: "size"}[kind]
        return state._replace(phase=phase, buf="")

    def _after_value(self, state: _State, value: str) -> _State:
        """The state after the current input's value: the next input's name, or the end of the step."""
        tool = self.space.tools[state.tool]
        rest = state.pending[1:]
        if state.pending[0] == tool.inputs[0].name:  # a box-taking tool given a detection needs no corners
            rest = required_inputs(tool, parse_value(value), dict(enumerate(state.outputs)))[1:]
        if rest:
            return state._replace(phase="value", lit=f', "{rest[0]}": ', buf="", pending=rest)
        return state._replace(phase="next", lit="}}", buf="", pending=())

    def _choice(self, state: _State, char: str) -> _State | None:
        options = self._choices(self.space.tools[state.tool], state.pending[0], state.outputs[:-1]) or ()
        if char == '"':
            return self._after_value(state, state.buf) if state.buf in options else None
        written = state.buf + char
        return state._replace(buf=written) if any(option.startswith(written) for option in options) else None

    def _text(self, state: _State, char: str) -> _State | None:
        references = self._references(state.outputs[:-1], OutputKind.TEXT)
        if char == '"':
            if not state.buf.strip():
                return None
            if LOOSE_REFERENCE.search(state.buf) and state.buf not in references:
                return None
            return self._after_value(state, state.buf)
        written = state.buf + char
        if char == "\\" or ord(char) < 0x20 or (not state.buf and char.isspace()) or len(written) > MAX_TEXT:
            return None
        if LOOSE_REFERENCE.search(written):  # only on the way to a reference: "<GENERATED >-1" would run as text
            return state._replace(buf=written) if any(r.startswith(written) for r in references) else None
        # the stop marker would end generation inside the plan
        return state._replace(buf=written) if OBSERVATION not in written else None

    def _size(self, state: _State, char: str) -> _State | None:
        if char == '"':
            return self._after_value(state, state.buf) if _SIZE.fullmatch(state.buf) else None
        written = state.buf + char
        return state._replace(buf=written) if _partial(_SIZE, written) else None

    def _number(self, state: _State, char: str) -> _State | None:
        written = state.buf + char
        if _partial(_NUMBER, written):
            return state._replace(buf=written)
        if char not in ",}" or not _NUMBER.fullmatch(state.buf):
            return None
        after = self._after_value(state, state.buf)
        return after._replace(lit=after.lit[1:]) if after.lit[0] == char else None


def _partial(pattern: Any, text: str) -> bool:
    return pattern.fullmatch(text, partial=True) is not None


def _towards(written: str, options: Sequence[str]) -> tuple[str, ...]:
    """``'"'`` then the next character of the shortest option that ``written`` begins (closing a quoted choice)."""
    fitting = [option for option in options if option.startswith(written)]
    if not fitting:
        return ('"',)
    shortest = min(fitting, key=len)
    return ('"', shortest[len(written)]) if len(shortest) > len(written) else ('"',)


class _SortedPieces:
    """Token texts in sorted order, walked like a trie: a rejected prefix skips every token that starts with it."""

    def __init__(self, pieces: Sequence[str]) -> None:
        order = sorted((piece, token) for token, piece in enumerate(pieces) if piece)
        self.texts = [piece for piece, _ in order]
        self.ids = [token for _, token in order]

    def valid(self, state: _State, feed: Callable[[_State, str], _State | None]) -> list[int]:
        """Ids of the tokens whose whole text ``feed`` accepts from ``state``."""
        found: list[int] = []
        states = [state]  # states[j]: after the first j characters of `path`
        path = ""
        index, count = 0, len(self.texts)
        while index < count:
            text = self.texts[index]
            common = 0
            limit = min(len(path), len(text))
            while common < limit and path[common] == text[common]:
                common += 1
            del states[common + 1 :]
            path = text[:common]
            for j in range(common, len(text)):
                after = feed(states[-1], text[j])
                if after is None:
                    index = bisect.bisect_left(self.texts, text[: j + 1] + "\U0010ffff", index + 1)
                    break
                states.append(after)
                path = text[: j + 1]
            else:
                found.append(self.ids[index])
                index += 1
        return found


class PlanConstraint:
    """Picks, for a reply to a plan prompt, the best token that keeps it a prefix of a valid plan."""

    def __init__(self, tokenizer: Any, end_ids: Sequence[int]) -> None:
        """``end_ids``: the tokens that end the turn (one is written once the plan is closed)."""
        self.tokenizer = tokenizer
        self.end_ids = sorted(set(end_ids))
        self._pieces: list[str] | None = None
        self._sorted: _SortedPieces | None = None
        self._by_piece: dict[str, list[int]] | None = None
        self._grammars: dict[int, tuple[PlanSpace, PlanGrammar]] = {}
        self._states: dict[int, tuple[PlanSpace, str, _State | None]] = {}

    @property
    def pieces(self) -> list[str]:
        """Each token's text as it reads after other text; special tokens read as nothing (never chosen as text)."""
        if self._pieces is None:
            pieces = token_pieces(self.tokenizer)
            for special in self.tokenizer.all_special_ids:
                if special < len(pieces):
                    pieces[special] = ""
            self._pieces = pieces
        return self._pieces

    def piece(self, token: int) -> str:
        return self.pieces[token] if token < len(self.pieces) else ""

    def grammar(self, space: PlanSpace) -> PlanGrammar:
        cached = self._grammars.get(id(space))
        if cached is None or cached[0] is not space:
            if len(self._grammars) > _CACHE_LIMIT:
                self._grammars.clear()
            cached = (space, PlanGrammar(space))
            self._grammars[id(space)] = cached
        return cached[1]

    def state(self, written: str, space: PlanSpace) -> _State | None:
        """The grammar's state after ``written`` (``None``: it already broke the plan), fed from where the last
        call for ``space`` left off when ``written`` continues it."""
        grammar = self.grammar(space)
        cached = self._states.get(id(space))
        if cached is not None and cached[0] is space and written.startswith(cached[1]):
            state, start = cached[2], len(cached[1])
        else:
            state, start = START, 0
        for char in written[start:]:
            if state is None:
                break
            state = grammar.feed(state, char)
        if len(self._states) > _CACHE_LIMIT:
            self._states.clear()
        self._states[id(space)] = (space, written, state)
        return state

    def accepts(self, written: str, space: PlanSpace) -> bool:
        """Whether ``written`` is a prefix of a valid plan."""
        return self.state(written, space) is not None

    def choose(self, written: str, logits: Any, greedy: int, space: PlanSpace, remaining: int | None = None) -> int:
        """The token to emit after ``written``: ``greedy`` unless it would break the plan, then the most likely
        token that keeps it valid; an end-of-turn token once the plan is closed.

        ``remaining``: tokens left in the budget, this one included. When few are left, a token must also leave
        room to close the plan (and end the turn); failing that, the most likely token along :meth:`PlanGrammar.finish`
        is taken, so a plan always closes within the budget (given room for ``[]`` and the end of the turn).
        """
        state = self.state(written, space)
        if state is None:
            return greedy  # already off the rails (nothing left to save)
        if state.phase == "done" and not state.lit:
            if greedy in self.end_ids or not self.end_ids:
                return greedy
            return max(self.end_ids, key=lambda token: float(logits[token]))
        grammar = self.grammar(space)
        closing = grammar.finish(state) if remaining is not None else ""
        tight = remaining is not None and remaining - 1 < len(closing) + 1 + CLOSING_MARGIN

        def fits(token: int) -> bool:
            text = self.piece(token)
            current: _State | None = state
            for char in text:
                current = grammar.feed(current, char)
                if current is None:
                    return False
            # with few tokens left: room for the shortest closing and the end of the turn after this token
            return bool(text) and (not tight or remaining - 1 >= len(grammar.finish(current)) + 1)

        if fits(greedy):
            return greedy
        top = logits.topk(min(TOP_CANDIDATES, logits.shape[-1])).indices.tolist()
        for token in top:
            if fits(token):
                return int(token)
        if tight:
            return self._along(closing, logits, greedy)
        if self._sorted is None:
            self._sorted = _SortedPieces(self.pieces)
        valid = grammar.valid_tokens.get(state)
        if valid is None:
            valid = self._sorted.valid(state, grammar.feed)
            if len(grammar.valid_tokens) > _CACHE_LIMIT:
                grammar.valid_tokens.clear()
            grammar.valid_tokens[state] = valid
        if not valid:
            return greedy
        return max(valid, key=lambda token: float(logits[token]))

    def _along(self, closing: str, logits: Any, greedy: int) -> int:
        """The most likely token whose text begins ``closing`` (a step on the shortest way to close the plan)."""
        if self._by_piece is None:
            self._by_piece = {}
            for token, piece in enumerate(self.pieces):
                if piece:
                    self._by_piece.setdefault(piece, []).append(token)
        longest = max(map(len, self._by_piece))
        tokens = [
            t for size in range(1, min(len(closing), longest) + 1) for t in self._by_piece.get(closing[:size], ())
        ]
        return max(tokens, key=lambda token: float(logits[token])) if tokens else greedy
