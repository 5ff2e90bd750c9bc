"""Base-model resolution, the embedded model's atomic conversion, and loading options."""

from __future__ import annotations

import pytest
import torch

from modeling import loading as models
from modeling.loading import (
    EMBEDDED_MODEL,
    ModelLoadError,
    check_device,
    convert_gguf,
    is_complete_checkpoint,
    load_model,
    parse_dtype,
    quantization_config,
    resolve_base_model,
)


def test_other_names_resolve_offline_or_fail_at_once(tmp_path, monkeypatch):
    """A directory passes through, a hub id resolves to its cached snapshot, and anything else fails at once
    with the path to provide (no hub retries)."""
    import time

    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    local = tmp_path / "my-llama"
    local.mkdir()
    (local / "config.json").write_text("{}")
    assert resolve_base_model(str(local)) == str(local)
    snapshot = tmp_path / "hub" / "models--org--cached" / "snapshots" / "abc123"
    snapshot.mkdir(parents=True)
    (snapshot / "config.json").write_text("{}")
    (tmp_path / "hub" / "models--org--cached" / "refs").mkdir()
    (tmp_path / "hub" / "models--org--cached" / "refs" / "main").write_text("abc123")
    assert resolve_base_model("org/cached") == str(snapshot)

    start = time.perf_counter()
    with pytest.raises(ModelLoadError, match=r"'lmsys/vicuna-13b-v1\.5' is not a local directory.*--base_model /path"):
        resolve_base_model("lmsys/vicuna-13b-v1.5")
    assert time.perf_counter() - start < 5
    with pytest.raises(ModelLoadError, match="no such directory"):
        resolve_base_model("/models/missing/llama")
    with pytest.raises(ModelLoadError, match=r"no config\.json"):
        resolve_base_model(str(tmp_path))


def test_embedded_gguf_is_found_in_its_package():
    path = models.find_embedded_gguf()
    assert path.suffix == ".gguf" and path.stat().st_size > 50_000_000


def _fake_gguf_loaders(monkeypatch, tiny_model_dir, fail_on_save: bool):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    real_model = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    real_model.config.quantization_config = {"quant_method": "gguf", "gguf_file": "model.gguf"}  # as GGUF loading sets
    real_tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)

    def save_tokenizer(directory, *args, **kwargs):
        if fail_on_save:
            raise KeyboardInterrupt("killed midway")
        return type(real_tokenizer).save_pretrained(real_tokenizer, directory, *args, **kwargs)

    monkeypatch.setattr(real_tokenizer, "save_pretrained", save_tokenizer)
    monkeypatch.setattr(AutoModelForCausalLM, "from_pretrained", lambda *a, **k: real_model)
    monkeypatch.setattr(AutoTokenizer, "from_pretrained", lambda *a, **k: real_tokenizer)


def test_conversion_is_atomic(tmp_path, tiny_model_dir, monkeypatch):
    target = tmp_path / "models" / "smollm2"
    fake_gguf = tmp_path / "model.gguf"
    with monkeypatch.context() as patch:
        _fake_gguf_loaders(patch, tiny_model_dir, fail_on_save=True)
        with pytest.raises(KeyboardInterrupt):
            convert_gguf(fake_gguf, target)
    assert not target.exists()
    assert list(target.parent.iterdir()) == []  # no half-written temporary left behind

    with monkeypatch.context() as patch:
        _fake_gguf_loaders(patch, tiny_model_dir, fail_on_save=False)
        assert convert_gguf(fake_gguf, target) == target
    assert is_complete_checkpoint(target)
    from transformers import AutoModelForCausalLM

    converted = AutoModelForCausalLM.from_pretrained(target)
    assert converted.config.model_type == "llama"
    assert getattr(converted.config, "quantization_config", None) is None  # a plain, dequantized checkpoint


def test_resolve_converts_once_into_the_cache(tmp_path, tiny_model_dir, monkeypatch):
    monkeypatch.setenv("GPT4TOOLS_CACHE", str(tmp_path))
    calls = []
    monkeypatch.setattr(
        models,
        "convert_gguf",
        lambda gguf, target: (
            calls.append(target) or target.mkdir(parents=True) or (target / "conversion-complete").touch()
        ),
    )
    first = resolve_base_model(EMBEDDED_MODEL)
    second = resolve_base_model("SmolLM2-135M-Instruct")
    assert first == second and first.startswith(str(tmp_path))
    assert len(calls) == 1


def test_dtype_and_device_options():
    assert parse_dtype("bf16") is torch.bfloat16
    assert parse_dtype("fp32") is torch.float32
    assert parse_dtype("auto") in (torch.bfloat16, torch.float32)
    with pytest.raises(ModelLoadError, match="unknown dtype"):
        parse_dtype("int3")
    assert check_device("cpu") == "cpu"
    with pytest.raises(ModelLoadError, match="unknown device"):
        check_device("tpu")
    if not torch.cuda.is_available():
        with pytest.raises(ModelLoadError, match="CUDA is not available"):
            check_device("cuda:0")
    with pytest.raises(ModelLoadError, match="choose one"):
        quantization_config(True, True, torch.bfloat16)
    assert quantization_config(False, True, torch.bfloat16).bnb_4bit_quant_type == "nf4"


def test_load_tiny_model_by_path(tiny_model_dir):
    model, tokenizer = load_model(str(tiny_model_dir), dtype="bf16")
    assert model.dtype is torch.bfloat16
    assert not model.training
    assert tokenizer.pad_token is not None


def test_load_tiny_model_in_4bit(tiny_model_dir):
    model, _ = load_model(str(tiny_model_dir), dtype="bf16", load_in_4bit=True)
    assert any("4bit" in type(module).__name__ for module in model.modules())


def test_missing_model_error_is_actionable(tmp_path):
    with pytest.raises(ModelLoadError, match="nothing is downloaded"):
        load_model(str(tmp_path / "no-such-model"))


@pytest.mark.slow
def test_embedded_model_answers_sensibly():
    model, tokenizer = load_model(EMBEDDED_MODEL)
    prompt = tokenizer.apply_chat_template(
        [{"role": "user", "content": "What is the capital of France? Answer in one word."}],
        tokenize=False,
        add_generation_prompt=True,
    )
    inputs = tokenizer(prompt, return_tensors="pt", add_special_tokens=False)
    output = model.generate(**inputs, max_new_tokens=12, do_sample=False)
    answer = tokenizer.decode(output[0, inputs["input_ids"].shape[1] :], skip_special_tokens=True)
    assert "paris" in answer.lower()
