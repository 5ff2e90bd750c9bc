"""The KV of prompt prefixes the model has already read, kept so that the next prompt prefills only what is new.

The demo's prompts grow by small steps: the next step of a turn is the previous prompt plus the reply and the
tool's observation, and the next turn keeps the persona, the tool list and the older conversation. Batch
inference prompts share their opening (system prompt and persona). :class:`PrefixCache` keeps the keys and
values of recent prompts in a least-recently-used store bounded in bytes; :meth:`PrefixCache.longest` finds
the cached prompt that shares the longest token prefix with a new one and hands back that prefix's KV.

A prompt's KV is stored in blocks of :data:`BLOCK_TOKENS` positions, each keyed by every token up to its end, so
prompts that open alike hold one copy of their common blocks: the demo's prompts all begin with the same ~470
tokens of persona and tool list, and a session's prompts share its history. The store's bound counts each block
once. Blocks are copies that are never written after they are stored, and the store is guarded by a lock, so
sessions served from several threads may look up and add at any time.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # torch loads only once the entry point has set the thread environment (modeling/threads.py)
    import torch

# Default bound on the cached KV: with blocks shared, the latest prompts (~800 tokens, ~470 of them the common
# opening) of 7 demo sessions with SmolLM2-135M in bf16 (23 KB a token), a small part of the demo's ~1.5 GB.
DEFAULT_PREFIX_CACHE_MB = 64
BLOCK_TOKENS = 64  # positions a stored block holds: prompts share whole blocks only

BlockKey = tuple[Any, tuple[int, ...]]  # (the previous block's key or None, this block's token ids)


@dataclass(frozen=True)
class KVBlock:
    """Consecutive positions of a prompt's KV: for each layer, keys and values ``[kv_heads, tokens, head_dim]``."""

    keys: tuple[torch.Tensor, ...]
    values: tuple[torch.Tensor, ...]

    @property
    def nbytes(self) -> int:
        return sum(t.numel() * t.element_size() for t in (*self.keys, *self.values))


class _Layers(Sequence):
    """One side (keys or values) of a cached prompt, layer by layer; a layer's blocks are joined when read."""

    def __init__(self, parts: list[tuple[torch.Tensor, ...]]) -> None:
        self._parts = parts

    def __len__(self) -> int:
        return len(self._parts[0])

    def __getitem__(self, layer: int) -> torch.Tensor:  # type: ignore[override]
        import torch

        pieces = [part[layer] for part in self._parts]
        return pieces[0] if len(pieces) == 1 else torch.cat(pieces, dim=1)


@dataclass(frozen=True)
class CachedPrefix:
    """A prompt's token ids and its KV blocks; ``keys`` / ``values`` give each layer's ``[kv_heads, tokens,
    head_dim]``."""

    ids: torch.Tensor
    blocks: tuple[KVBlock, ...]

    @property
    def keys(self) -> Sequence[torch.Tensor]:
        return _Layers([block.keys for block in self.blocks])

    @property
    def values(self) -> Sequence[torch.Tensor]:
        return _Layers([block.values for block in self.blocks])


def common_prefix_length(a: torch.Tensor, b: torch.Tensor) -> int:
    """How many leading token ids ``a`` and ``b`` (1-D) share."""
    import torch

    n = min(len(a), len(b))
    differ = torch.nonzero(a[:n] != b[:n])
    return int(differ[0, 0]) if len(differ) else n


class PrefixCache:
    """A thread-safe LRU store of :class:`CachedPrefix`, at most ``max_bytes`` of distinct keys and values in all."""

    def __init__(self, max_bytes: int) -> None:
        if max_bytes < 0:
            raise ValueError(f"max_bytes must be at least 0, got {max_bytes}")
        self.max_bytes = max_bytes
        self._entries: OrderedDict[int, tuple[CachedPrefix, tuple[BlockKey, ...]]] = OrderedDict()
        self._blocks: dict[BlockKey, tuple[KVBlock, int]] = {}  # key -> (block, entries holding it)
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
            for key, (entry, _) in self._entries.items():
                shared = common_prefix_length(query, entry.ids)
                if shared > best:
                    best, best_key = shared, key
            if best_key is None:
                return 0, None
            self._entries.move_to_end(best_key)
            return best, self._entries[best_key][0]

    def add(self, ids: Sequence[int], keys: Sequence[torch.Tensor], values: Sequence[torch.Tensor]) -> None:
        """Keep a prompt's KV (``[kv_heads, len(ids), head_dim]`` per layer), copying the blocks not stored yet.

        Cached prompts that are prefixes of ``ids`` go (the new one answers for them), then the least recently
        used ones until the store fits; a prompt larger than the whole store is not kept.
        """
        import torch

        tokens = [int(t) for t in ids]
        if not tokens:
            return
        spans = [(start, min(start + BLOCK_TOKENS, len(tokens))) for start in range(0, len(tokens), BLOCK_TOKENS)]
        block_keys: list[BlockKey] = []
        for start, end in spans:
            block_keys.append((block_keys[-1] if block_keys else None, tuple(tokens[start:end])))
        per_token = sum(k[:, :1].numel() * k.element_size() for k in (*keys, *values))
        if per_token * len(tokens) > self.max_bytes:
            return
        with self._lock:
            blocks = []
            for (start, end), key in zip(spans, block_keys, strict=True):
                held = self._blocks.get(key)
                if held is None:
                    block = KVBlock(
                        tuple(k[:, start:end].detach().clone(memory_format=torch.contiguous_format) for k in keys),
                        tuple(v[:, start:end].detach().clone(memory_format=torch.contiguous_format) for v in values),
                    )
                    self.nbytes += block.nbytes
                    held = (block, 0)
                self._blocks[key] = (held[0], held[1] + 1)
                blocks.append(held[0])
            entry = CachedPrefix(torch.as_tensor(tokens, dtype=torch.long), tuple(blocks))
            for key in [
                k for k, (e, _) in self._entries.items() if common_prefix_length(entry.ids, e.ids) == len(e.ids)
            ]:
                self._release(key)
            self._entries[self._next_key] = (entry, tuple(block_keys))
            self._next_key += 1
            while len(self._entries) > 1 and self.nbytes > self.max_bytes:
                self._release(next(iter(self._entries)))

    def _release(self, entry_key: int) -> None:
        """Drop an entry, and the blocks no other entry holds."""
        _, block_keys = self._entries.pop(entry_key)
        for key in block_keys:
            block, holders = self._blocks[key]
            if holders > 1:
                self._blocks[key] = (block, holders - 1)
            else:
                del self._blocks[key]
                self.nbytes -= block.nbytes
