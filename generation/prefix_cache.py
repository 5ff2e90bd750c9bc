"""The KV of prompt prefixes the model has already read, kept so that the next prompt prefills only what is new.

The demo's prompts grow by small steps: the next step of a turn is the previous prompt plus the reply and the
tool's observation, and the next turn keeps the persona, the tool list and the older conversation. Batch
inference prompts share their opening (system prompt and persona). :class:`PrefixCache` keeps the keys and
values of recent prompts in a least-recently-used store bounded in bytes; :meth:`PrefixCache.longest` finds
the cached prompt that shares the longest token prefix with a new one and hands back that prefix's KV.

Entries are copies that are never written after they are stored, and the store is guarded by a lock, so
sessions served from several threads may look up and add at any time.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # torch loads only once the entry point has set the thread environment (modeling/threads.py)
    import torch

# Default bound on the cached KV: the latest prompts (~800 tokens) of 7 demo sessions with SmolLM2-135M in bf16
# (23 KB a token; 3 in fp32), and a small part of the demo's ~1.5 GB memory budget.
DEFAULT_PREFIX_CACHE_MB = 128


@dataclass(frozen=True)
class CachedPrefix:
    """A prompt's token ids and, for each layer, its keys and values ``[kv_heads, tokens, head_dim]``."""

    ids: torch.Tensor
    keys: tuple[torch.Tensor, ...]
    values: tuple[torch.Tensor, ...]

    @property
    def nbytes(self) -> int:
        return sum(t.numel() * t.element_size() for t in (*self.keys, *self.values))


def common_prefix_length(a: torch.Tensor, b: torch.Tensor) -> int:
    """How many leading token ids ``a`` and ``b`` (1-D) share."""
    import torch

    n = min(len(a), len(b))
    differ = torch.nonzero(a[:n] != b[:n])
    return int(differ[0, 0]) if len(differ) else n


class PrefixCache:
    """A thread-safe LRU store of :class:`CachedPrefix`, at most ``max_bytes`` of keys and values in all."""

    def __init__(self, max_bytes: int) -> None:
        if max_bytes < 0:
            raise ValueError(f"max_bytes must be at least 0, got {max_bytes}")
        self.max_bytes = max_bytes
        self._entries: OrderedDict[int, CachedPrefix] = OrderedDict()
        self._lock = threading.Lock()
        self._next_key = 0
        self.nbytes = 0

    def __len__(self) -> int:
        return len(self._entries)

    def longest(self, ids: Sequence[int]) -> tuple[int, CachedPrefix | None]:
        """The longest token prefix ``ids`` shares with a cached prompt: ``(length, entry)``; ``(0, None)`` if none.

        Only the first ``length`` positions of the entry's keys and values belong to ``ids``.
        """
        import torch

        query = torch.as_tensor(list(ids), dtype=torch.long)
        with self._lock:
            best, best_key = 0, None
            for key, entry in self._entries.items():
                shared = common_prefix_length(query, entry.ids)
                if shared > best:
                    best, best_key = shared, key
            if best_key is None:
                return 0, None
            self._entries.move_to_end(best_key)
            return best, self._entries[best_key]

    def add(self, ids: Sequence[int], keys: Sequence[torch.Tensor], values: Sequence[torch.Tensor]) -> None:
        """Keep a copy of a prompt's KV (``[kv_heads, len(ids), head_dim]`` per layer).

        Cached prompts that are prefixes of ``ids`` go (the new one answers for them), then the least recently
        used ones until the store fits; a prompt larger than the whole store is not kept.
        """
        import torch

        entry = CachedPrefix(
            torch.as_tensor(list(ids), dtype=torch.long),
            tuple(k.detach().clone() for k in keys),
            tuple(v.detach().clone() for v in values),
        )
        size = entry.nbytes
        if not len(entry.ids) or size > self.max_bytes:
            return
        with self._lock:
            for key in [k for k, e in self._entries.items() if common_prefix_length(entry.ids, e.ids) == len(e.ids)]:
                self.nbytes -= self._entries.pop(key).nbytes
            while self._entries and self.nbytes + size > self.max_bytes:
                self.nbytes -= self._entries.popitem(last=False)[1].nbytes
            self._entries[self._next_key] = entry
            self._next_key += 1
            self.nbytes += size
