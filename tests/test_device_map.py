"""Spreading a model over several devices for inference (``--device_map`` / ``--max_memory``, through accelerate).

On a machine without GPUs a device map keeps the whole model on the CPU; these tests check that plumbing and
the refusals. The split over several GPUs runs under the ``gpu`` marker.
"""

from __future__ import annotations

import json

import pytest
import torch

import inference
from generation.generator import HFGenerator
from modeling.loading import ModelLoadError, check_device_map, load_for_inference, load_model, parse_max_memory
from protocol.errors import InputError
from protocol.prompt import PromptTemplate
from protocol.records import Record, iter_jsonl, write_records
from tools.catalog import TOOL_SPECS

torch.set_num_threads(1)
GIB = 2**30


def prompts(template: PromptTemplate, tokenizer) -> list[str]:
    return [
        template.wrap(template.render_instruction(TOOL_SPECS[:count], "", f"task {count}"), "", tokenizer)
        for count in (1, 4, 7)
    ]


def test_max_memory_is_read_as_device_size_pairs() -> None:
    assert parse_max_memory("0:20GiB, 1:20GiB,cpu:64GiB") == {0: 20 * GIB, 1: 20 * GIB, "cpu": 64 * GIB}
    assert parse_max_memory({0: "1GB", "cpu": "500MB"}) == {0: 10**9, "cpu": 5 * 10**8}
    assert parse_max_memory(None) is None


@pytest.mark.parametrize(
    ("device_map", "max_memory", "expected"),
    [
        ("everywhere", None, "--device_map 'everywhere': use one of auto, balanced, balanced_low_0, sequential"),
        (None, "0:20GiB", "--max_memory limits a --device_map; add --device_map auto"),
        ("auto", "gpu0:20GiB", "write it as DEVICE:SIZE pairs, e.g. 0:20GiB,1:20GiB,cpu:64GiB"),
        ("auto", "0:lots", "'lots' is not a size"),
    ],
)
def test_bad_device_maps_are_refused_naming_the_fix(device_map, max_memory, expected: str) -> None:
    with pytest.raises(ModelLoadError, match=expected.replace("(", r"\(")):
        check_device_map(device_map, max_memory)


@pytest.mark.skipif(torch.cuda.is_available(), reason="on a GPU machine the device map uses the GPUs")
def test_device_map_auto_without_gpus_keeps_the_model_on_the_cpu_and_generates_the_same(tiny_model_dir) -> None:
    plain, tokenizer, template = load_for_inference(str(tiny_model_dir), dtype="fp32")
    mapped, _, _ = load_for_inference(str(tiny_model_dir), dtype="fp32", device_map="auto", max_memory="cpu:4GiB")
    assert {parameter.device.type for parameter in mapped.parameters()} == {"cpu"}
    texts = prompts(template, tokenizer)
    generated = HFGenerator(mapped, tokenizer, template, batch_size=2).generate(texts, max_new_tokens=12)
    assert generated == HFGenerator(plain, tokenizer, template, batch_size=2).generate(texts, max_new_tokens=12)


def test_a_map_that_would_leave_weights_on_disk_is_refused(tiny_model_dir) -> None:
    with pytest.raises(ModelLoadError, match="does not fit in the memory of this machine's devices within"):
        load_model(str(tiny_model_dir), dtype="fp32", device_map="auto", max_memory="cpu:100KB")


def test_inference_takes_a_device_map(tmp_path, tiny_model_dir) -> None:
    template = PromptTemplate.load("en")
    records = [Record(template.render_instruction(TOOL_SPECS[:2], "", f"draw {i}"), "", "x", f"r{i}") for i in range(3)]
    write_records(tmp_path / "ann.json", records)
    options = {"base_model": str(tiny_model_dir), "max_new_tokens": 4, "dtype": "fp32"}
    mapped = inference.main(str(tmp_path / "ann.json"), "mapped", save_path=str(tmp_path), device_map="auto", **options)
    plain = inference.main(str(tmp_path / "ann.json"), "plain", save_path=str(tmp_path), **options)
    assert [json.dumps(row) for row in iter_jsonl(mapped)] == [json.dumps(row) for row in iter_jsonl(plain)]
    with pytest.raises(InputError, match="--device cpu and --device_map auto: give one of them"):
        inference.main(str(tmp_path / "ann.json"), "x", device="cpu", device_map="auto", **options)


def test_torchrun_processes_may_not_each_take_every_gpu(tmp_path, tiny_model_dir, monkeypatch) -> None:
    monkeypatch.setenv("WORLD_SIZE", "2")
    with pytest.raises(InputError, match="under torchrun each process would do so"):
        inference.main(str(tmp_path / "ann.json"), "x", base_model=str(tiny_model_dir), device_map="auto")


@pytest.mark.gpu
@pytest.mark.skipif(torch.cuda.device_count() < 2, reason="needs two GPUs")
def test_a_model_split_over_two_gpus_generates_what_one_device_does(tiny_model_dir) -> None:
    whole, tokenizer, template = load_for_inference(str(tiny_model_dir), dtype="fp32", device="cuda:0")
    weights = sum(parameter.numel() * parameter.element_size() for parameter in whole.parameters())
    split, _, _ = load_for_inference(
        str(tiny_model_dir), dtype="fp32", device_map="sequential", max_memory=f"0:{weights // 2}B,1:4GiB"
    )
    assert set(split.hf_device_map.values()) == {0, 1}
    texts = prompts(template, tokenizer)
    generated = HFGenerator(split, tokenizer, template, batch_size=3).generate(texts, max_new_tokens=12)
    assert generated == HFGenerator(whole, tokenizer, template, batch_size=3).generate(texts, max_new_tokens=12)
