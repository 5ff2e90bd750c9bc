"""The CPU training attention: same outputs and gradients as SDPA, and SDPA itself wherever it does not apply."""

from __future__ import annotations

import shutil

import pytest
import torch
from torch import nn

from agent import cpu_attention
from agent.cpu_attention import attention_forward
from tests.tiny_model import build_tiny_model

pytestmark = pytest.mark.skipif(not shutil.which("g++"), reason="the backward is compiled (inductor needs g++)")


def _reference(query, key, value, groups):
    output = nn.functional.scaled_dot_product_attention(
        query, key.repeat_interleave(groups, 1), value.repeat_interleave(groups, 1), is_causal=True
    )
    return output.transpose(1, 2)


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
def test_outputs_and_gradients_match_sdpa_with_grouped_key_value_heads(dtype):
    torch.manual_seed(0)
    batch, heads, kv_heads, length, dim = 2, 6, 2, 37, 16
    tensors = [torch.randn(batch, h, length, dim, dtype=dtype) for h in (heads, kv_heads, kv_heads)]
    grad_output = torch.randn(batch, length, heads, dim, dtype=dtype)
    module = nn.Module()
    results = []
    for run in ("ours", "sdpa"):
        leaves = [t.clone().requires_grad_() for t in tensors]
        if run == "ours":
            output, weights = attention_forward(module, *leaves, None)
            assert weights is None
        else:
            output = _reference(*leaves, heads // kv_heads)
        output.backward(grad_output)
        results.append([output.detach().float(), *(leaf.grad.float() for leaf in leaves)])
    tolerance = 1e-4 if dtype == torch.float32 else 3e-2
    for ours, sdpa in zip(*results, strict=True):
        assert ((ours - sdpa).norm() / sdpa.norm()).item() < tolerance


def test_masked_inference_and_frozen_inputs_take_the_sdpa_path(monkeypatch):
    calls = []
    monkeypatch.setattr(cpu_attention, "sdpa_attention_forward", lambda *args, **kwargs: calls.append(kwargs) or 0)
    module = nn.Module()
    query = torch.randn(1, 2, 5, 8, requires_grad=True)
    mask = torch.ones(1, 1, 5, 5, dtype=torch.bool)
    attention_forward(module, query, query, query, mask)
    with torch.no_grad():
        attention_forward(module, query, query, query, None)
    attention_forward(module, query.detach(), query.detach(), query.detach(), None)
    attention_forward(module, query[:, :, :1], query, query, None)  # one new token against a longer cache
    assert len(calls) == 4


def test_a_model_switched_to_it_trains_like_sdpa(tmp_path, monkeypatch):
    path = build_tiny_model(tmp_path / "tiny")
    applied = []
    apply = cpu_attention.CausalAttention.apply
    monkeypatch.setattr(cpu_attention.CausalAttention, "apply", lambda *args: applied.append(1) or apply(*args))
    from transformers import AutoModelForCausalLM

    ids = torch.randint(0, 100, (2, 12))
    grads = []
    for switch in (False, True):
        model = AutoModelForCausalLM.from_pretrained(path, attn_implementation="sdpa")
        if switch:
            cpu_attention.use_for_training(model)
            assert model.config._attn_implementation == cpu_attention.IMPLEMENTATION
        model(input_ids=ids, labels=ids).loss.backward()
        grads.append(torch.cat([p.grad.flatten() for p in model.parameters() if p.grad is not None]))
    assert len(applied) == 2, "one call per decoder layer of the tiny model"
    assert torch.allclose(grads[0], grads[1], rtol=1e-3, atol=1e-5)
