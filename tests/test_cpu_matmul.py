"""CPU inference models: the output head multiplies a dense input, and one-row passes of a half-precision model run
without oneDNN, which comes back after them."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
import torch

from modeling.cpu_matmul import default_cpu_matmuls, tune_cpu_matmuls, without_onednn
from modeling.loading import load_for_inference, load_model


def _onednn_seen_by_layers(model) -> list[bool]:
    """Record oneDNN's setting each time the first decoder layer runs."""
    seen: list[bool] = []
    model.model.layers[0].register_forward_hook(lambda *_: seen.append(torch.backends.mkldnn.enabled))
    return seen


@pytest.fixture
def bf16_model(tiny_model_dir: Path):
    model, _ = load_model(str(tiny_model_dir), dtype="bf16")
    assert tune_cpu_matmuls(model)
    return model


def test_one_row_passes_run_without_onednn_and_longer_ones_with_it(bf16_model) -> None:
    seen = _onednn_seen_by_layers(bf16_model)
    with torch.inference_mode():
        bf16_model(input_ids=torch.tensor([[5, 6, 7]]))
        bf16_model(input_ids=torch.tensor([[8]]))
        bf16_model(input_ids=torch.tensor([[8], [9]]))  # a batch of two rows is two rows
    assert seen == [True, False, True]
    assert torch.backends.mkldnn.enabled


def test_the_head_multiplies_a_dense_input_and_computes_the_same_logits(tiny_model_dir: Path) -> None:
    model, _ = load_model(str(tiny_model_dir), dtype="fp32")
    model.requires_grad_(False)
    ids = torch.tensor([[5, 6, 7], [8, 9, 10]])
    with torch.inference_mode():
        expected = model(input_ids=ids, logits_to_keep=1).logits
        assert tune_cpu_matmuls(model)
        seen = []
        model.get_output_embeddings().register_forward_pre_hook(lambda _m, args: seen.append(args[0]))
        tuned = model(input_ids=ids, logits_to_keep=1).logits
    assert seen[0].stride() == (seen[0].shape[1] * seen[0].shape[2], seen[0].shape[2], 1)  # foldable into a matrix
    torch.testing.assert_close(tuned, expected)


def test_tuning_twice_hooks_once_and_the_defaults_undo_it(bf16_model) -> None:
    seen = _onednn_seen_by_layers(bf16_model)
    assert tune_cpu_matmuls(bf16_model)
    pre_hooks = len(bf16_model._forward_pre_hooks)
    assert tune_cpu_matmuls(bf16_model)
    assert len(bf16_model._forward_pre_hooks) == pre_hooks
    default_cpu_matmuls(bf16_model)
    with torch.inference_mode():
        bf16_model(input_ids=torch.tensor([[8]]))
    assert seen == [True]


def test_a_one_row_pass_computes_what_it_computes_with_onednn(bf16_model) -> None:
    ids = torch.tensor([[11]])
    with torch.inference_mode():
        routed = bf16_model(input_ids=ids).logits
        hidden = bf16_model.model(input_ids=ids).last_hidden_state  # the inner model: no routing, oneDNN on
        reference = torch.nn.functional.linear(hidden.float(), bf16_model.lm_head.weight.float())
    torch.testing.assert_close(routed.float(), reference, rtol=0, atol=0.01)


def test_onednn_comes_back_when_a_one_row_pass_fails(bf16_model) -> None:
    with pytest.raises(IndexError), torch.inference_mode():
        bf16_model(input_ids=torch.tensor([[10**6]]))  # past the vocabulary
    assert torch.backends.mkldnn.enabled


def test_onednn_stays_off_until_the_last_overlapping_pass_ends() -> None:
    first_in, second_done = threading.Event(), threading.Event()
    during: list[bool] = []

    def first() -> None:
        with without_onednn():
            first_in.set()
            second_done.wait(5)
            during.append(torch.backends.mkldnn.enabled)

    thread = threading.Thread(target=first)
    thread.start()
    first_in.wait(5)
    with without_onednn():
        pass
    second_done.set()
    thread.join(5)
    assert during == [False]  # the second block's end did not turn it back on under the first
    assert torch.backends.mkldnn.enabled


def test_an_earlier_choice_to_turn_onednn_off_is_kept() -> None:
    torch.backends.mkldnn.enabled = False
    try:
        with without_onednn():
            pass
        assert not torch.backends.mkldnn.enabled
    finally:
        torch.backends.mkldnn.enabled = True


def test_only_half_precision_models_route_one_row_passes(tiny_model_dir: Path) -> None:
    fp32, _ = load_model(str(tiny_model_dir), dtype="fp32")
    assert tune_cpu_matmuls(fp32)
    seen = _onednn_seen_by_layers(fp32)
    with torch.inference_mode():
        fp32(input_ids=torch.tensor([[8]]))
    assert seen == [True]


def test_inference_models_tune_cpu_matmuls(tiny_model_dir: Path) -> None:
    model, _, _ = load_for_inference(str(tiny_model_dir), dtype="bf16")
    seen = _onednn_seen_by_layers(model)
    with torch.inference_mode():
        model(input_ids=torch.tensor([[8]]))
    assert seen == [False]
