"""Causal self-attention for CPU training: SDPA's flash forward with a matmul-based backward.

On this CPU, SDPA's flash kernel runs its backward at a fifth of its forward speed (88 ms vs 17 ms for one
SmolLM2 layer at 8 x 470 tokens, one thread): it works in small tiles that never reach the AMX matmul
units. The backward here recomputes each (sequence, key/value head) block's probabilities from the
forward's log-sum-exp and gets the gradients from five plain matmuls, with the element-wise work fused by
``torch.compile``: 56 ms for the same layer, same gradients to bf16 rounding. The query heads that share a
key/value head are stacked into one block, so grouped-query attention needs no repeated keys.

Both passes are custom ops, opaque to ``torch.compile`` (compiled decoder layers call them as they are).
``enable_fast_cpu_attention(model)`` registers the implementation with transformers' ``AttentionInterface``
and switches the model to it; calls it cannot serve (a padding mask, dropout, a KV cache, GPU tensors) go
to SDPA unchanged.
"""

from __future__ import annotations

import functools
import logging
from typing import Any

import torch
from torch import nn
from transformers import AttentionInterface
from transformers.integrations.sdpa_attention import sdpa_attention_forward
from transformers.masking_utils import ALL_MASK_ATTENTION_FUNCTIONS, sdpa_mask

logger = logging.getLogger(__name__)

IMPLEMENTATION = "cpu_causal_matmul_backward"  # no "flash": transformers reads that as a hub kernel


def block_grads(
    query: torch.Tensor,
    key: torch.Tensor,
    value: torch.Tensor,
    out: torch.Tensor,
    grad_out: torch.Tensor,
    *,
    lse: torch.Tensor,
    scale: float,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Gradients of one causal attention block: ``query``, ``out``, ``grad_out`` are ``[heads x L, D]`` (the query
    heads of one key/value head, stacked), ``key``/``value`` ``[L, D]``, ``lse`` the forward's ``[heads x L]``
    log-sum-exp. Returns (grad query, grad key, grad value)."""
    length = key.shape[0]
    rows = torch.arange(query.shape[0], device=query.device) % length
    visible = torch.arange(length, device=query.device)[None, :] <= rows[:, None]
    scores = torch.mm(query, key.t()).float()
    probs = torch.where(visible, torch.exp(scores * scale - lse[:, None]), 0.0)
    grad_value = torch.mm(probs.to(query.dtype).t(), grad_out)
    grad_probs = torch.mm(grad_out, value.t()).float()
    row_dot = (grad_out.float() * out.float()).sum(-1, keepdim=True)
    grad_scores = (probs * (grad_probs - row_dot) * scale).to(query.dtype)
    return torch.mm(grad_scores, key), torch.mm(grad_scores.t(), query), grad_value


@functools.cache
def _compiled_block_grads() -> Any:
    return torch.compile(block_grads, dynamic=True)


@torch.library.custom_op("gpt4tools::causal_attention", mutates_args=())
def causal_attention(
    query: torch.Tensor, key: torch.Tensor, value: torch.Tensor, scale: float, compiled_backward: bool
) -> tuple[torch.Tensor, torch.Tensor]:
    """Causal attention of ``[B, H, L, D]`` queries over ``[B, KV, L, D]`` keys/values: (output as
    ``[B, L, H, D]``, log-sum-exp ``[B, H, L]``). ``compiled_backward`` picks the backward's kernels."""
    out, lse = torch.ops.aten._scaled_dot_product_flash_attention_for_cpu(query, key, value, 0.0, True, scale=scale)
    return out.transpose(1, 2).contiguous(), lse.contiguous()


@causal_attention.register_fake
def _(
    query: torch.Tensor, key: torch.Tensor, value: torch.Tensor, scale: float, compiled_backward: bool
) -> tuple[torch.Tensor, torch.Tensor]:
    batch, heads, length, _ = query.shape
    out = query.new_empty(batch, length, heads, value.shape[-1])
    return out, query.new_empty(batch, heads, length, dtype=torch.float32)


@torch.library.custom_op("gpt4tools::causal_attention_backward", mutates_args=())
def causal_attention_backward(  # noqa: PLR0917 (compiled graphs call custom ops positionally)
    grad_out: torch.Tensor,
    query: torch.Tensor,
    key: torch.Tensor,
    value: torch.Tensor,
    out: torch.Tensor,
    lse: torch.Tensor,
    scale: float,
    compiled: bool,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Gradients of :func:`causal_attention`, one (sequence, key/value head) block at a time."""
    batch, heads, length, dim = query.shape
    groups = key.shape[1]
    per_group = heads // groups
    grad_query, grad_key, grad_value = _empty_grads(query, key, value)
    block_rows = (batch, groups, per_group * length, dim)  # the query heads of each key/value head, stacked
    query = query.reshape(block_rows)
    out = out.transpose(1, 2).reshape(block_rows)
    grad_out = grad_out.transpose(1, 2).reshape(block_rows)
    lse = lse.reshape(block_rows[:3])
    grads_of = _compiled_block_grads() if compiled else block_grads
    for b in range(batch):
        for g in range(groups):
            dq, grad_key[b, g], grad_value[b, g] = grads_of(
                query[b, g], key[b, g], value[b, g], out[b, g], grad_out[b, g], lse=lse[b, g], scale=scale
            )
            grad_query[b, g * per_group : (g + 1) * per_group] = dq.view(per_group, length, dim)
    return grad_query, grad_key, grad_value


@causal_attention_backward.register_fake
def _(grad_out, query, key, value, out, lse, scale, compiled):  # noqa: PLR0917
    return _empty_grads(query, key, value)


def _empty_grads(*inputs: torch.Tensor) -> tuple[torch.Tensor, ...]:
    return tuple(torch.empty_like(tensor) for tensor in inputs)  # each gradient in its input's layout


def _setup_context(ctx: Any, inputs: tuple, output: tuple) -> None:
    query, key, value, scale, compiled_backward = inputs
    ctx.save_for_backward(query, key, value, *output)
    ctx.scale, ctx.compiled_backward = scale, compiled_backward


def _backward(ctx: Any, grad_out: torch.Tensor, _grad_lse: torch.Tensor) -> tuple:
    query, key, value, out, lse = ctx.saved_tensors
    grads = causal_attention_backward(grad_out, query, key, value, out, lse, ctx.scale, ctx.compiled_backward)
    return (*grads, None, None)


causal_attention.register_autograd(_backward, setup_context=_setup_context)


def attention_forward(
    module: nn.Module,
    query: torch.Tensor,
    key: torch.Tensor,
    value: torch.Tensor,
    attention_mask: torch.Tensor | None,
    *,
    dropout: float = 0.0,
    scaling: float | None = None,
    compiled_backward: bool = True,
    **kwargs: Any,
) -> tuple[torch.Tensor, None]:
    """transformers' attention-function signature; what this module cannot serve goes to SDPA."""
    servable = (
        attention_mask is None
        and dropout == 0.0
        and query.device.type == "cpu"
        and query.shape[2] == key.shape[2] > 1
        and getattr(module, "is_causal", True)
        and kwargs.get("is_causal") in (None, True)
        and not any(kwargs.get(name) is not None for name in ("position_bias", "softcap", "sliding_window", "cache"))
    )
    if not servable:
        return sdpa_attention_forward(
            module, query, key, value, attention_mask, dropout=dropout, scaling=scaling, **kwargs
        )
    scale = scaling if scaling is not None else query.shape[-1] ** -0.5
    out, _ = causal_attention(query, key.contiguous(), value.contiguous(), scale, compiled_backward)
    return out, None


def enable_fast_cpu_attention(model: nn.Module, *, compiled: bool = True) -> None:
    """Switch ``model`` (plain or PEFT-wrapped) to this attention; ``compiled=False`` keeps the backward's
    element-wise work eager (for machines without a C++ compiler, where it is slower than SDPA's)."""
    AttentionInterface.register(IMPLEMENTATION, functools.partial(attention_forward, compiled_backward=compiled))
    ALL_MASK_ATTENTION_FUNCTIONS.register(IMPLEMENTATION, sdpa_mask)  # the masks SDPA would get (usually none)
    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    base.set_attn_implementation(IMPLEMENTATION)
    logger.info("attention: SDPA flash forward, matmul backward (%s)", "compiled" if compiled else "eager")
