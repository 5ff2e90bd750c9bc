"""Forced text: what a constraint leaves only one way to write, found as text and tokenized to be fed at once.

Much of a constrained reply is fixed once the model has made its choices: every ReAct step opens with
``Thought: Do I need to use a tool?``, ``Yes`` is followed by ``\\nAction:``, a tool name is often settled by its
first word and an image name by its first characters, and the ``Action Input:`` and ``Observation:`` lines come
in their order. The ReAct constraint (:mod:`generation.tool_calls`) says which text is forced with these helpers;
:class:`~generation.generator.HFGenerator` feeds its tokens through the model in one pass instead of one pass each
("fast-forward"). Plans are decoded a token at a time (:mod:`generation.plans` says why).

Forced text never ends in a space: a space before a choice belongs to the chosen word's token (``" Yes"``), so the
model keeps the tokenization it was trained on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

from protocol.prompt import token_ids

logger = logging.getLogger(__name__)

# A character no constraint names: one that any "other character" pattern ([^,\n], free text) accepts and no
# explicit character set does, so when it fits, the characters tried are not the only ones that fit.
PROBE = "\u2603"
MIN_FORCED_TOKENS = 2  # one forced token saves no pass: it would be fed in the pass that follows anyway

State = TypeVar("State")


def common_rest(written: str, options: Iterable[str]) -> str:
    """What every option that begins with ``written`` continues it with (``""`` when none does)."""
    rests = [option[len(written) :] for option in options if option.startswith(written)]
    if not rests:
        return ""
    first, last = min(rests), max(rests)  # what these two share, all share
    size = next((i for i, (a, b) in enumerate(zip(first, last, strict=False)) if a != b), len(first))
    return first[:size]


def unique_run(state: State, feed: Callable[[State, str], State | None], alphabet: Iterable[str]) -> tuple[str, State]:
    """The characters that follow ``state`` while exactly one character fits, and the state after them.

    ``feed(state, char)`` is the state after ``char`` or ``None`` when it does not fit; ``alphabet`` holds every
    character the constraint names (:data:`PROBE` stands for all others).
    """
    characters = (*dict.fromkeys(alphabet), PROBE)
    run = []
    while True:
        fitting = [(char, after) for char in characters if (after := feed(state, char)) is not None]
        if len(fitting) != 1 or fitting[0][0] == PROBE:
            return "".join(run), state
        char, state = fitting[0]
        run.append(char)


def continuation_ids(tokenizer: Any, text: str, pieces: Sequence[str]) -> list[int]:
    """Token ids that write ``text`` after other text, each token reading as ``pieces[token]``; ``[]`` when the
    tokenizer cannot write it that way (a SentencePiece tokenizer adds a space in front of a text on its own: the
    text is then tokenized after a newline, which is dropped)."""
    anchor = token_ids(tokenizer, "\n")
    for ids in (token_ids(tokenizer, text), token_ids(tokenizer, "\n" + text)[len(anchor) :]):
        if all(token < len(pieces) for token in ids) and "".join(pieces[token] for token in ids) == text:
            return list(ids)
    logger.debug("no tokenization writes %r after other text; it is decoded token by token", text)
    return []
