"""Causal attention for training on a CPU: PyTorch's flash kernel forward, a compiled matmul backward.

PyTorch's CPU flash-attention backward is the slowest part of a LoRA step on SmolLM2: a profiled step
(one thread, 4 sequences of ~270 tokens, LoRA in the top 15 layers) spent 26% of its time in it, 24 ms per
layer, against 4 ms for the forward kernel. This backward recomputes the attention probabilities from the
forward's log-sum-exp with bf16 matmuls (fast on AVX512-BF16 / AMX) and inductor-fused element-wise kernels,
which halves the attention's forward + backward time on those shapes. Its scores go through the matmul's
output dtype, as in eager bf16 attention, and it holds the batch's ``heads x length^2`` probabilities in fp32
while it runs (300 MB for 8 x 1,024 tokens with 9 heads).

Only unmasked causal self-attention that needs gradients takes this path (the trainer's batches: right-padded,
no mask); everything else, evaluation and generation included, goes to transformers' SDPA function.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn
from transformers import AttentionInterface
from transformers.integrations.sdpa_attention import repeat_kv, sdpa_attention_forward
from transformers.masking_utils import AttentionMaskInterface, sdpa_mask

IMPLEMENTATION = "sdpa_cpu_training"


def _attention_gradients(
    saved: tuple[torch.Tensor, ...], grad_output: torch.Tensor, scale: float
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Gradients of causal softmax attention (``[batch, heads, length, head_dim]`` tensors) from its saved
    output and per-row log-sum-exp: ``saved`` is ``(query, key, value, output, logsumexp)``."""
    query, key, value, output, logsumexp = saved
    length = query.shape[-2]
    positions = torch.arange(length, device=query.device)
    future = positions[:, None] < positions[None, :]
    scores = torch.matmul(query, key.transpose(-1, -2)).float() * scale
    probs = torch.exp(scores - logsumexp.unsqueeze(-1)).masked_fill(future, 0.0)
    grad_value = torch.matmul(probs.to(value.dtype).transpose(-1, -2), grad_output)
    grad_probs = torch.matmul(grad_output, value.transpose(-1, -2)).float()
    row_dot = (grad_output.float() * output.float()).sum(-1, keepdim=True)
    grad_scores = (probs * (grad_probs - row_dot)).to(query.dtype)
    grad_query = torch.matmul(grad_scores, key) * scale
    grad_key = torch.matmul(grad_scores.transpose(-1, -2), query) * scale
    return grad_query, grad_key, grad_value


_compiled_gradients = torch.compile(_attention_gradients, dynamic=True)


class CausalAttention(torch.autograd.Function):
    """Causal attention: the flash kernel's forward (which also gives the log-sum-exp), the backward above."""

    @staticmethod
    def forward(ctx: Any, query: torch.Tensor, key: torch.Tensor, value: torch.Tensor, scale: float) -> torch.Tensor:
        output, logsumexp = torch.ops.aten._scaled_dot_product_flash_attention_for_cpu(
            query, key, value, 0.0, is_causal=True, scale=scale
        )[:2]
        ctx.save_for_backward(query, key, value, output, logsumexp)
        ctx.scale = scale
        return output

    @staticmethod
    def backward(ctx: Any, grad_output: torch.Tensor) -> tuple[torch.Tensor | None, ...]:
        gradients = _compiled_gradients(tuple(ctx.saved_tensors), grad_output.contiguous(), ctx.scale)
        return (*gradients, None)


def attention_forward(
    module: nn.Module,
    query: torch.Tensor,
    key: torch.Tensor,
    value: torch.Tensor,
    attention_mask: torch.Tensor | None,
    *,
    dropout: float = 0.0,
    scaling: float | None = None,
    is_causal: bool | None = None,
    **kwargs: Any,
) -> tuple[torch.Tensor, None]:
    """A transformers attention function: :class:`CausalAttention` where it applies, else SDPA's."""
    causal = is_causal if is_causal is not None else getattr(module, "is_causal", True)
    applies = (
        attention_mask is None
        and causal
        and not dropout
        and query.device.type == "cpu"
        and query.shape[2] == key.shape[2] > 1
        and torch.is_grad_enabled()
        and (query.requires_grad or key.requires_grad or value.requires_grad)
    )
    if not applies:
        return sdpa_attention_forward(
            module, query, key, value, attention_mask, dropout=dropout, scaling=scaling, is_causal=is_causal, **kwargs
        )
    groups = query.shape[1] // key.shape[1]
    scale = scaling if scaling is not None else query.shape[-1] ** -0.5
    output = CausalAttention.apply(query, repeat_kv(key, groups), repeat_kv(value, groups), scale)
    return output.transpose(1, 2).contiguous(), None


def use_for_training(model: nn.Module) -> None:
    """Switch ``model`` (a transformers model using SDPA) to this attention; masks are built as for SDPA."""
    AttentionInterface.register(IMPLEMENTATION, attention_forward)
    AttentionMaskInterface.register(IMPLEMENTATION, sdpa_mask)
    model.set_attn_implementation(IMPLEMENTATION)
