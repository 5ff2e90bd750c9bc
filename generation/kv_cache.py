"""A key/value cache allocated once per batch, which prefills write into in place, a few rows at a time.

transformers' ``DynamicCache`` appends each new token with ``torch.cat``, which copies every layer's whole
cache at every decoding step: on a CPU with long tool prompts (~500 tokens) that copy was 38% of batched
decoding time (profiled on SmolLM2-135M, batch 16). :class:`BatchKV` holds, per layer, one buffer with room
for every row's prompt and every token still to come; :class:`PreallocatedLayer` writes new keys and values
into it in place and hands attention a view of the filled part.

A batch's rows are laid out as ``[shared prefix | gap | row's own tokens]``: the prefix a group of prompts shares
is computed once and copied into the group's rows (:meth:`BatchKV.fill_prefix`), and each row's remaining tokens
end at the same position, left padded. Prefilling a large batch in one forward pass is slow on a CPU (activations of
tens of thousands of tokens fall out of cache), so the rows are prefilled in chunks (:meth:`BatchKV.rows`),
each padded only to its own longest row: a chunk of shorter rows starts writing further right and leaves a
gap. Gaps and padding stay zero (never uninitialised memory, which may hold NaN, so masked scores stay
finite) and the attention mask hides them; positions follow the mask, so they never shift a row.

Only the prompts' positions are zeroed when a buffer is allocated: every later position is written for every row
(a finished row is fed padding until it leaves the batch) before attention reads it. The room left for decoding is
mostly never used (a reply stops long before ``max_new_tokens``), and zeroing it cost more than the attention it
serves: a batch of 50 prompts of ~600 tokens with room for 512 more holds ~3.7 GB of fp32 keys and values, and
writing zeros into all of it took 12 s on two cores, against 0.5 s for the prompts' part. For the same reason a
row leaving the batch copies only the filled positions.
"""

from __future__ import annotations

from dataclasses import fields

import torch
from transformers.cache_utils import DynamicCache, DynamicLayer


def cache_keyword() -> str:
    """The keyword models take their key/value cache by in the installed transformers: ``cache`` from 5.24 on
    (where the old name warns on every call), ``past_key_values`` before."""
    from transformers.modeling_outputs import CausalLMOutputWithPast

    return "cache" if "cache" in {field.name for field in fields(CausalLMOutputWithPast)} else "past_key_values"


class BatchKV:
    """Per layer, key and value buffers ``[rows, kv_heads, capacity, head_dim]`` for a whole batch.

    A layer's buffers are allocated by the first write to that layer, when their shape is known, with their first
    ``prompt_width`` positions zeroed (the rest is written before it is read).
    """

    def __init__(self, rows: int, capacity: int, num_layers: int, prompt_width: int) -> None:
        self.size, self.capacity, self.prompt_width = rows, capacity, prompt_width
        self.keys: list[torch.Tensor | None] = [None] * num_layers
        self.values: list[torch.Tensor | None] = [None] * num_layers

    def buffers(self, layer: int, like: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Layer ``layer``'s buffers, allocated for states shaped like ``like`` ``[*, kv_heads, *, head_dim]``."""
        if self.keys[layer] is None:
            self.keys[layer] = self._allocated(like, self.prompt_width)
            self.values[layer] = self._allocated(like, self.prompt_width)
        return self.keys[layer], self.values[layer]

    def _unset(self, like: torch.Tensor) -> torch.Tensor:
        """A buffer for every row and the whole capacity, whatever the memory held."""
        return like.new_empty((self.size, like.shape[1], self.capacity, like.shape[-1]))

    def _allocated(self, like: torch.Tensor, zeroed: int) -> torch.Tensor:
        """A buffer for every row and the whole capacity, its first ``zeroed`` positions zero."""
        buffer = self._unset(like)
        buffer[:, :, :zeroed].zero_()
        return buffer

    def fill_prefix(
        self, keys: list[torch.Tensor], values: list[torch.Tensor], length: int, rows: slice = slice(None)
    ) -> None:
        """Copy the first ``length`` positions of a prefix's KV (``[kv_heads, tokens, head_dim]`` per layer) into
        ``rows`` (every row by default)."""
        for layer, (key, value) in enumerate(zip(keys, values, strict=True)):
            key_buffer, value_buffer = self.buffers(layer, key.unsqueeze(0))
            key_buffer[rows, :, :length] = key[:, :length]
            value_buffer[rows, :, :length] = value[:, :length]

    def rows(self, start: int, stop: int, length: int) -> DynamicCache:
        """A cache over rows ``start:stop`` whose first ``length`` positions count as filled; a forward pass
        writes its tokens after them."""
        return _cache([PreallocatedLayer(self, layer, slice(start, stop), length) for layer in range(len(self.keys))])

    def cache(self, length: int) -> DynamicCache:
        """The whole batch's cache, ``length`` positions filled, for decoding."""
        return self.rows(0, self.size, length)


class PreallocatedLayer(DynamicLayer):
    """One layer's cache: a view of rows of a :class:`BatchKV` layer, of which ``length`` positions are filled."""

    def __init__(self, store: BatchKV, layer: int, rows: slice, length: int) -> None:
        super().__init__()
        self.store, self.layer, self.row_slice, self.length = store, layer, rows, length
        self.is_initialized = True
        self._refresh_views()

    def _refresh_views(self) -> None:
        key_buffer = self.store.keys[self.layer]
        if key_buffer is not None:
            self.keys = key_buffer[self.row_slice, :, : self.length]
            self.values = self.store.values[self.layer][self.row_slice, :, : self.length]
            self.dtype, self.device = key_buffer.dtype, key_buffer.device

    def update(
        self, key_states: torch.Tensor, value_states: torch.Tensor, *args, **kwargs
    ) -> tuple[torch.Tensor, torch.Tensor]:
        end = self.length + key_states.shape[-2]
        if end > self.store.capacity:
            raise RuntimeError(f"KV cache capacity {self.store.capacity} exceeded ({end} positions)")
        key_buffer, value_buffer = self.store.buffers(self.layer, key_states)
        key_buffer[self.row_slice, :, self.length : end] = key_states
        value_buffer[self.row_slice, :, self.length : end] = value_states
        self.length = end
        self._refresh_views()
        return self.keys, self.values

    def get_seq_length(self) -> int:
        return self.length

    def batch_select_indices(self, indices: torch.Tensor) -> None:
        """Keep only the rows in ``indices`` (finished rows leave the batch); needs the cache of all rows. Under a
        ``device_map`` this layer may live on another device than the indices."""
        store = self.store
        indices = indices.to(store.keys[self.layer].device)
        store.size = len(indices)
        for buffers in (store.keys, store.values):
            kept = store._allocated(buffers[self.layer], 0)
            kept[:, :, : self.length] = buffers[self.layer][indices, :, : self.length]
            buffers[self.layer] = kept
        self._refresh_views()


def _cache(layers: list[PreallocatedLayer]) -> DynamicCache:
    cache = DynamicCache()
    cache.layers = layers
    return cache
