"""The CPU training attention (flash forward, matmul backward) against SDPA, alone and inside a model."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from peft import LoraConfig, get_peft_model

import lora_finetune
from agent import cpu_attention
from agent.cpu_attention import causal_attention, enable_fast_cpu_attention
from agent.lm_loss import CompletionLoss
from agent.models import load_model


def attention_inputs(dtype: torch.dtype, heads: int, kv_heads: int, *, length: int = 13, dim: int = 8, seed: int = 0):
    generator = torch.Generator().manual_seed(seed)
    shapes = ((2, heads, length, dim), (2, kv_heads, length, dim), (2, kv_heads, length, dim))
    tensors = [torch.randn(shape, generator=generator).to(dtype).requires_grad_() for shape in shapes]
    grad_out = torch.randn(2, length, heads, dim, generator=generator).to(dtype)
    return (*tensors, grad_out)


def reference(query, key, value, grad_out):
    """SDPA in float64: the output as [B, L, H, D] and the gradients of (output * grad_out).sum()."""
    out = F.scaled_dot_product_attention(
        query.double(), key.double(), value.double(), is_causal=True, enable_gqa=True
    ).transpose(1, 2)
    return out, torch.autograd.grad(out, (query, key, value), grad_out.double())


def relative_errors(grads, expected) -> list[float]:
    return [float((g.double() - e).norm() / e.norm()) for g, e in zip(grads, expected, strict=True)]


@pytest.mark.parametrize(("heads", "kv_heads"), [(4, 2), (3, 3), (6, 1)])
def test_output_and_gradients_match_sdpa_in_float32(heads: int, kv_heads: int) -> None:
    query, key, value, grad_out = attention_inputs(torch.float32, heads, kv_heads)
    expected_out, expected_grads = reference(query, key, value, grad_out)
    out, lse = causal_attention(query, key, value, query.shape[-1] ** -0.5, False)
    grads = torch.autograd.grad(out, (query, key, value), grad_out)
    assert out.shape == (2, 13, heads, 8) and lse.shape == (2, heads, 13)
    torch.testing.assert_close(out.double(), expected_out, rtol=1e-5, atol=1e-5)
    assert max(relative_errors(grads, expected_grads)) < 1e-5


def test_bfloat16_gradients_are_as_accurate_as_sdpas() -> None:
    """bf16 scores and probabilities round; the error stays within twice that of SDPA's own bf16 kernel."""
    query, key, value, grad_out = attention_inputs(torch.bfloat16, 6, 2, length=40, dim=16)
    _, expected = reference(query, key, value, grad_out)
    out, _ = causal_attention(query, key, value, 0.25, False)
    ours = relative_errors(torch.autograd.grad(out, (query, key, value), grad_out), expected)
    sdpa_out = F.scaled_dot_product_attention(query, key, value, is_causal=True, enable_gqa=True).transpose(1, 2)
    sdpa = relative_errors(torch.autograd.grad(sdpa_out, (query, key, value), grad_out), expected)
    assert all(o < max(2 * s, 1e-2) for o, s in zip(ours, sdpa, strict=True)), (ours, sdpa)


def test_a_later_token_never_changes_an_earlier_output() -> None:
    query, key, value, _ = attention_inputs(torch.float32, 4, 2)
    out, _ = causal_attention(query, key, value, 0.3, False)
    key2, value2 = key.detach().clone(), value.detach().clone()
    key2[:, :, -1] += 5.0
    value2[:, :, -1] -= 5.0
    out2, _ = causal_attention(query, key2, value2, 0.3, False)
    torch.testing.assert_close(out2[:, :-1], out[:, :-1])
    assert not torch.allclose(out2[:, -1], out[:, -1])


def test_what_it_cannot_serve_goes_to_sdpa(monkeypatch: pytest.MonkeyPatch) -> None:
    """A padding mask, dropout or a single query token: SDPA's own path, not the custom op."""
    calls = []
    monkeypatch.setattr(cpu_attention, "causal_attention", lambda *args: calls.append(args) or (args[0], None))
    module = torch.nn.Module()
    module.num_key_value_groups, module.is_causal = 2, True
    query, key, value, _ = attention_inputs(torch.float32, 4, 2)
    mask = torch.ones(2, 1, 13, 13, dtype=torch.bool).tril()
    for args, kwargs in (
        ((query, key, value, mask), {}),
        ((query, key, value, None), {"dropout": 0.1}),
        ((query[:, :, -1:], key, value, None), {}),
    ):
        out, _ = cpu_attention.attention_forward(module, *args, **kwargs)
        assert out.shape[1] == args[0].shape[2]
    assert calls == []
    cpu_attention.attention_forward(module, query, key, value, None)
    assert len(calls) == 1


def lora_gradients(model_dir: Path, *, fast: bool, cast_inputs: bool = True, dtype: str = "fp32") -> tuple:
    model, _ = load_model(str(model_dir), dtype=dtype)
    torch.manual_seed(0)
    model = get_peft_model(
        model, LoraConfig(r=4, target_modules=["q_proj", "v_proj", "up_proj"], task_type="CAUSAL_LM")
    )
    for name, parameter in model.named_parameters():
        if "lora_B" in name:  # non-zero, so every adapter matrix gets a gradient
            torch.nn.init.normal_(parameter, std=0.1)
    if fast:
        enable_fast_cpu_attention(model, compiled=False)
    if not cast_inputs:
        lora_finetune.keep_adapter_inputs_in_compute_dtype(model)
    ids = torch.randint(5, 200, (3, 24), generator=torch.Generator().manual_seed(1))
    labels = ids.clone()
    labels[:, :10] = -100
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=dtype == "bf16"):
        loss, count = CompletionLoss(model)(input_ids=ids, labels=labels)
        (loss / count).backward()
    return loss.item(), [p.grad.clone() for p in model.parameters() if p.requires_grad]


def test_a_model_trains_with_it_exactly_as_with_sdpa(tiny_model_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sdpa_loss, sdpa_grads = lora_gradients(tiny_model_dir, fast=False)
    calls = []

    def counted(*args):
        calls.append(args)
        return causal_attention(*args)

    monkeypatch.setattr(cpu_attention, "causal_attention", counted)
    loss, grads = lora_gradients(tiny_model_dir, fast=True)
    assert len(calls) == 2  # one per decoder layer of the tiny model
    assert loss == pytest.approx(sdpa_loss, rel=1e-6)
    for grad, expected in zip(grads, sdpa_grads, strict=True):
        torch.testing.assert_close(grad, expected, rtol=1e-4, atol=1e-6)


def test_skipping_peft_input_casts_changes_no_number_under_autocast(tiny_model_dir: Path) -> None:
    loss, grads = lora_gradients(tiny_model_dir, fast=False, dtype="bf16")
    uncast_loss, uncast_grads = lora_gradients(tiny_model_dir, fast=False, cast_inputs=False, dtype="bf16")
    assert uncast_loss == loss
    for grad, expected in zip(uncast_grads, grads, strict=True):
        torch.testing.assert_close(grad, expected, rtol=0, atol=0)


@pytest.mark.slow
def test_compiled_backward_matches_the_eager_one() -> None:
    query, key, value, grad_out = attention_inputs(torch.bfloat16, 6, 2, length=40, dim=16)
    grads = {}
    for compiled in (False, True):
        out, _ = causal_attention(query, key, value, 0.25, compiled)
        grads[compiled] = torch.autograd.grad(out, (query, key, value), grad_out)
    for compiled_grad, eager_grad in zip(grads[True], grads[False], strict=True):
        torch.testing.assert_close(compiled_grad.float(), eager_grad.float(), rtol=2e-2, atol=2e-2)
