"""Decoding steps on the CPU attend with the grouped heads packed, and compute what transformers' SDPA computes."""

from __future__ import annotations

from pathlib import Path
from unittest import mock

import torch

from generation.kv_cache import BatchKV, cache_keyword
from modeling.attention import PACKED_DECODING, pack_decoding_heads
from modeling.loading import load_for_inference, load_model

PROMPT_TOKENS = 12


def _decoding_logits(model, steps: int = 4) -> torch.Tensor:
    """Logits of ``steps`` single-token passes after a prompt, no padding (the mask transformers drops)."""
    torch.manual_seed(0)
    prompt = torch.randint(5, 100, (1, PROMPT_TOKENS))
    keyword = cache_keyword()
    store = BatchKV(1, PROMPT_TOKENS + steps, model.config.num_hidden_layers, PROMPT_TOKENS)
    logits = []
    with torch.inference_mode():
        model(
            input_ids=prompt, attention_mask=torch.ones_like(prompt), use_cache=True, **{keyword: store.rows(0, 1, 0)}
        )
        for step in range(steps):
            length = PROMPT_TOKENS + step
            out = model(
                input_ids=torch.tensor([[7 + step]]),
                attention_mask=torch.ones(1, length + 1, dtype=torch.long),
                position_ids=torch.tensor([[length]]),
                use_cache=True,
                **{keyword: store.rows(0, 1, length)},
            )
            logits.append(out.logits[0, -1])
    return torch.stack(logits)


def test_inference_models_on_the_cpu_pack_the_decoding_heads(tiny_model_dir: Path) -> None:
    model, _, _ = load_for_inference(str(tiny_model_dir), dtype="fp32")
    assert model.config._attn_implementation == PACKED_DECODING


def test_packed_decoding_gives_sdpas_logits_without_asking_it_for_grouped_heads(tiny_model_dir: Path) -> None:
    model, _ = load_model(str(tiny_model_dir), dtype="fp32")
    assert model.config.num_key_value_heads < model.config.num_attention_heads
    expected = _decoding_logits(model)
    pack_decoding_heads(model)
    sdpa = torch.nn.functional.scaled_dot_product_attention
    with mock.patch("torch.nn.functional.scaled_dot_product_attention", side_effect=sdpa) as calls:
        packed = _decoding_logits(model)
    torch.testing.assert_close(packed, expected, rtol=1e-5, atol=1e-5)
    decoding = [call for call in calls.call_args_list if call.args[1].shape[2] > PROMPT_TOKENS]  # keys past the prompt
    assert len(decoding) == 4 * model.config.num_hidden_layers
    assert not any(call.kwargs.get("enable_gqa") for call in decoding)
    assert all(call.kwargs["attn_mask"] is not None for call in decoding)


def test_other_attention_implementations_are_left_alone(tiny_model_dir: Path) -> None:
    model, _ = load_model(str(tiny_model_dir), dtype="fp32")
    model.set_attn_implementation("eager")
    pack_decoding_heads(model)
    assert model.config._attn_implementation == "eager"


def test_a_pass_over_several_tokens_skips_the_keys_no_query_sees(tiny_model_dir: Path) -> None:
    """Two rows that share a 6-token prefix, then a masked gap of 10, then their own 8 tokens (a prefix group's
    prefill): the same logits, with the gap's keys never given to SDPA."""
    model, _ = load_model(str(tiny_model_dir), dtype="fp32")
    torch.manual_seed(0)
    ids = torch.randint(5, 100, (2, 24))
    mask = torch.ones(2, 24, dtype=torch.long)
    mask[:, 6:16] = 0
    positions = (mask.cumsum(-1) - 1).clamp(min=0)
    with torch.inference_mode():
        expected = model(input_ids=ids, attention_mask=mask, position_ids=positions).logits[:, 16:]
        pack_decoding_heads(model)
        sdpa = torch.nn.functional.scaled_dot_product_attention
        with mock.patch("torch.nn.functional.scaled_dot_product_attention", side_effect=sdpa) as calls:
            skipping = model(input_ids=ids, attention_mask=mask, position_ids=positions).logits[:, 16:]
    torch.testing.assert_close(skipping, expected, rtol=1e-5, atol=1e-5)
    assert {call.args[1].shape[2] for call in calls.call_args_list} == {14}
