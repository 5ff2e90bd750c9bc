"""A key/value cache allocated once per batch, filled by prefills of a few rows at a time.

transformers' ``DynamicCache`` appends each new token with ``torch.cat``, which copies every layer's whole
cache at every decoding step: on a CPU with long tool prompts (~500 tokens) that copy was 38% of batched
decoding time (profiled on SmolLM2-135M, batch 16). :class:`PreallocatedLayer` holds a buffer with room
for the prompt and every token still to come, writes new keys and values in place and hands attention a
view of the filled part.

Prefilling a large batch in one forward pass is slow on a CPU (activations of tens of thousands of tokens
fall out of cache), so prompts are prefilled in chunks, each padded only to its own longest prompt, and
:func:`assemble_cache` copies every chunk's cache into the shared buffers, right-aligned to the batch's
longest prompt. The slots left of a shorter chunk stay zero: the attention mask hides them, and zeros
(never uninitialised memory, which may hold NaN) keep masked scores finite.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields

import torch
from transformers.cache_utils import DynamicCache, DynamicLayer


def cache_keyword() -> str:
    """The keyword models take their key/value cache by in the installed transformers: ``cache`` from 5.24 on
    (where the old name warns on every call), ``past_key_values`` before."""
    from transformers.modeling_outputs import CausalLMOutputWithPast

    return "cache" if "cache" in {field.name for field in fields(CausalLMOutputWithPast)} else "past_key_values"


class PreallocatedLayer(DynamicLayer):
    """One layer's cache: ``[batch, heads, capacity, head_dim]`` buffers of which ``length`` are filled."""

    def __init__(self, key_buffer: torch.Tensor, value_buffer: torch.Tensor, length: int) -> None:
        super().__init__()
        self._key_buffer, self._value_buffer, self.length = key_buffer, value_buffer, length
        self.dtype, self.device = key_buffer.dtype, key_buffer.device
        self.is_initialized = True
        self._refresh_views()

    def _refresh_views(self) -> None:
        self.keys = self._key_buffer[:, :, : self.length]
        self.values = self._value_buffer[:, :, : self.length]

    def update(
        self, key_states: torch.Tensor, value_states: torch.Tensor, *args, **kwargs
    ) -> tuple[torch.Tensor, torch.Tensor]:
        end = self.length + key_states.shape[-2]
        if end > self._key_buffer.shape[-2]:
            raise RuntimeError(f"KV cache capacity {self._key_buffer.shape[-2]} exceeded ({end} positions)")
        self._key_buffer[:, :, self.length : end] = key_states
        self._value_buffer[:, :, self.length : end] = value_states
        self.length = end
        self._refresh_views()
        return self.keys, self.values

    def get_seq_length(self) -> int:
        return self.length

    def batch_select_indices(self, indices: torch.Tensor) -> None:
        """Keep only the rows in ``indices`` (finished rows leave the batch); under a ``device_map`` this layer may
        live on another device than the indices."""
        indices = indices.to(self._key_buffer.device)
        self._key_buffer = self._key_buffer[indices]
        self._value_buffer = self._value_buffer[indices]
        self._refresh_views()


def assemble_cache(chunks: Sequence[DynamicCache], capacity: int) -> DynamicCache:
    """One cache for the rows of all ``chunks`` (in order), right-aligned, with room for ``capacity`` positions.

    Each chunk is the cache of a prefill of consecutive rows, left padded to that chunk's longest prompt.
    """
    widths = [chunk.get_seq_length() for chunk in chunks]
    width = max(widths)
    if capacity < width:
        raise ValueError(f"capacity {capacity} is shorter than the longest prompt ({width} positions)")
    layers = []
    for index in range(len(chunks[0].layers)):
        parts = [chunk.layers[index] for chunk in chunks]
        batch = sum(part.keys.shape[0] for part in parts)
        key_buffer = parts[0].keys.new_zeros(batch, parts[0].keys.shape[1], capacity, parts[0].keys.shape[-1])
        value_buffer = parts[0].values.new_zeros(batch, parts[0].values.shape[1], capacity, parts[0].values.shape[-1])
        row = 0
        for part, chunk_width in zip(parts, widths, strict=True):
            rows = slice(row, row + part.keys.shape[0])
            key_buffer[rows, :, width - chunk_width : width] = part.keys
            value_buffer[rows, :, width - chunk_width : width] = part.values
            row = rows.stop
        layers.append(PreallocatedLayer(key_buffer, value_buffer, width))
    cache = DynamicCache()
    cache.layers = layers
    return cache
