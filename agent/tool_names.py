"""Constrained decoding of the tool name: after ``Action:`` the model can only write a tool the prompt lists.

A small model sometimes writes a name that is close to a listed tool but not one ("Detect" for
``Detection``): the call then fails however right the arguments are. While a reply is on its ``Action:``
line, :class:`ToolNameConstraint` replaces the greedy token with the most likely token that keeps the
line a prefix of ``<listed name>\\n``. Everything else (whether to call a tool, which one, the
arguments) stays the model's own choice. The listed names are read from the prompt's tool block (the
``> Name: description`` lines every GPT4Tools / Visual ChatGPT prompt carries).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

ACTION = "Action:"
_TOOL_LINE = re.compile(r"^> ([A-Za-z][A-Za-z0-9 ]*[A-Za-z0-9]): ", re.MULTILINE)
TOP_CANDIDATES = 64  # tokens tried in logit order before scanning the whole vocabulary


def listed_tool_names(prompt: str) -> list[str]:
    """The names of the first block of consecutive ``> Name: description`` lines of ``prompt``."""
    names: list[str] = []
    end = -1
    for match in _TOOL_LINE.finditer(prompt):
        if names and prompt.count("\n", end, match.start()) > 1:
            break  # a later block (a quoted line in the conversation, say) is not the tool list
        names.append(match.group(1))
        end = match.end()
    return names


def action_name_prefix(text: str) -> str | None:
    """What the reply has written of a tool name so far, or ``None`` when it is not on an ``Action:`` line."""
    line = text.rsplit("\n", 1)[-1]
    return line[len(ACTION) :] if line.startswith(ACTION) else None


class ToolNameConstraint:
    """Picks, for a reply on its ``Action:`` line, the best token that still spells a listed tool name."""

    def __init__(self, tokenizer: Any) -> None:
        self.tokenizer = tokenizer
        self._pieces: list[str] | None = None

    @property
    def pieces(self) -> list[str]:
        """Each token's text as it reads after other text (so leading spaces survive SentencePiece)."""
        if self._pieces is None:
            anchor = self.tokenizer("A", add_special_tokens=False)["input_ids"][-1:]
            base = len(self.tokenizer.decode(anchor))
            decoded = self.tokenizer.batch_decode([[*anchor, i] for i in range(len(self.tokenizer))])
            self._pieces = [text[base:] for text in decoded]
        return self._pieces

    @staticmethod
    def fits(written: str, names: Sequence[str]) -> bool:
        """Whether ``written`` (the text after ``Action:``) can still become ``<name>\\n`` for a listed name."""
        name = written.lstrip(" ")
        return any(f"{n}\n".startswith(name) or name.startswith(f"{n}\n") for n in names)

    def choose(self, text: str, logits: Any, greedy: int, names: Sequence[str]) -> int:
        """The token to emit after ``text``: ``greedy`` unless it would spell an unlisted name on the
        ``Action:`` line, then the most likely token that keeps the name a listed one."""
        written = action_name_prefix(text)
        if written is None or not names or not self.fits(written, names):
            return greedy  # not writing a name, or already off the list (nothing left to save)
        pieces = self.pieces
        if greedy < len(pieces) and self.fits(written + pieces[greedy], names):
            return greedy
        top = logits.topk(min(TOP_CANDIDATES, logits.shape[-1])).indices.tolist()
        for order in (top, logits.argsort(descending=True).tolist()):
            for token in order:
                if token < len(pieces) and pieces[token] and self.fits(written + pieces[token], names):
                    return int(token)
        return greedy
