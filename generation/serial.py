"""One generation at a time over a shared model (a server answering several requests at once)."""

from __future__ import annotations

import threading
from collections.abc import Iterator

from generation.generator import TextGenerator


class SerialGenerator:
    """Wraps a :class:`~generation.generator.TextGenerator` so that one stream runs at a time; the others wait.

    The lock is held from a stream's first piece until it is exhausted or closed, so consumers must read streams
    through (or close them), as the agent, the planner and the answer writer do.
    """

    def __init__(self, generator: TextGenerator, lock: threading.Lock | None = None) -> None:
        """``lock``: shared with the generators that take turns with this one (the planner's, over the same
        model); a lock of its own by default."""
        self.generator = generator
        self._lock = lock or threading.Lock()

    def stream(self, prompt: str, max_new_tokens: int = 128) -> Iterator[str]:
        with self._lock:
            yield from self.generator.stream(prompt, max_new_tokens)
