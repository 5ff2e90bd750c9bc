"""Conversation memory of one chat session, trimmed to a token budget.

The memory holds exchanges (a human turn and the AI's answer) and image introductions (the two turns
that hand the model an uploaded image). When the history does not fit the budget, the oldest exchanges go
first, but the introductions of images that are still referred to (by the new input, by the exchanges
kept, or the most recent upload) stay, so the model keeps the file names it needs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath

from protocol.prompt import Turn

CostFn = Callable[[Sequence[Turn]], int]


@dataclass(frozen=True)
class Exchange:
    """Consecutive turns kept or dropped together; ``image`` is set for an image introduction."""

    turns: tuple[Turn, ...]
    image: str | None = None

    @property
    def text(self) -> str:
        return "\n".join(turn.text for turn in self.turns)


def refers_to(text: str, image: str) -> bool:
    """Whether ``text`` names ``image`` (its file name, or its stem inside a chained name)."""
    return image in text or PurePosixPath(image).stem in text


class ConversationMemory:
    """The history of one session, rendered into the prompt within a token budget."""

    def __init__(self) -> None:
        self._exchanges: list[Exchange] = []

    def add_exchange(self, human: str, ai: str) -> None:
        self._exchanges.append(Exchange((Turn("human", human), Turn("ai", ai))))

    def add_image(self, turns: Sequence[Turn], image: str) -> None:
        """Record the introduction of an uploaded ``image`` (e.g. ``PromptTemplate.introduce_image``)."""
        self._exchanges.append(Exchange(tuple(turns), image))

    def forget_last_exchange(self, human: str) -> bool:
        """Drop the newest exchange if it answered ``human`` (a retried message replaces its first attempt)."""
        if self._exchanges and self._exchanges[-1].image is None and self._exchanges[-1].turns[0].text == human:
            self._exchanges.pop()
            return True
        return False

    def clear(self) -> None:
        self._exchanges.clear()

    @property
    def turns(self) -> list[Turn]:
        return [turn for exchange in self._exchanges for turn in exchange.turns]

    @property
    def said(self) -> list[str]:
        """What the person said in each remembered exchange that is no image's introduction, oldest first."""
        return [exchange.turns[0].text for exchange in self._exchanges if exchange.image is None]

    @property
    def last_said(self) -> str:
        """What the person said in the newest exchange that is no image's introduction (``""``: none yet)."""
        said = self.said
        return said[-1] if said else ""

    @property
    def images(self) -> list[str]:
        """The names of the images introduced and still remembered, oldest first."""
        return [exchange.image for exchange in self._exchanges if exchange.image]

    def __len__(self) -> int:
        return len(self._exchanges)

    def window(self, budget: int, cost: CostFn, context: str = "") -> list[Turn]:
        """The turns to render within ``budget`` tokens; ``context`` is the new input (and steps so far)."""
        return [turn for index in self._select(budget, cost, context) for turn in self._exchanges[index].turns]

    def trim(self, budget: int, cost: CostFn) -> None:
        """Forget the exchanges that no longer fit ``budget`` (the most history any prompt can hold).

        Image introductions are kept, so a later input can still name any image, unless they alone
        exceed the budget; then the oldest go.
        """
        kept = set(self._select(budget, cost, ""))
        intros = [i for i, exchange in enumerate(self._exchanges) if exchange.image]
        used = sum(cost(self._exchanges[i].turns) for i in intros)
        for i in intros:
            if used <= budget:
                kept.add(i)
            else:
                used -= cost(self._exchanges[i].turns)
        self._exchanges = [self._exchanges[index] for index in sorted(kept)]

    def _select(self, budget: int, cost: CostFn, context: str) -> list[int]:
        chosen: set[int] = set()
        used = 0

        def take(index: int) -> bool:
            nonlocal used
            if index in chosen:
                return True
            tokens = cost(self._exchanges[index].turns)
            if used + tokens > budget:
                return False
            chosen.add(index)
            used += tokens
            return True

        intros = [i for i, exchange in enumerate(self._exchanges) if exchange.image]
        for i in reversed(intros):  # the images the new input names come first, then the latest upload
            if refers_to(context, self._exchanges[i].image or ""):
                take(i)
        if intros:
            take(intros[-1])
        for i in reversed(range(len(self._exchanges))):  # then the most recent history, newest first
            if i in chosen:
                continue
            if not take(i):
                break
            for j in intros:
                if j < i and refers_to(self._exchanges[i].text, self._exchanges[j].image or ""):
                    take(j)
        return sorted(chosen)
