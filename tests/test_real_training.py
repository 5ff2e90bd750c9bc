"""Slow: a few LoRA steps on the real embedded SmolLM2 lower the loss and change what it generates."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import lora_finetune
from generation.generator import HFGenerator
from modeling.loading import EMBEDDED_MODEL, load_for_inference
from protocol.records import write_records
from tests.sample_records import make_records

pytestmark = pytest.mark.slow


def test_a_few_steps_on_smollm2_lower_the_loss_and_change_generations(tmp_path: Path):
    records = make_records(8, seed=1, max_tools=3)  # a few epochs over 8 records: the loss must fall
    data = tmp_path / "train.json"
    write_records(data, records)
    out = tmp_path / "adapter"
    lora_finetune.train(
        base_model=EMBEDDED_MODEL, data_path=str(data), output_dir=str(out), batch_size=4, micro_batch_size=4,
        max_steps=10, learning_rate=2e-3, warmup_steps=1, val_set_size=0, lora_top_layers=15, lora_dropout=0.0,
        save_steps=100, compile=False,
    )  # fmt: skip
    losses = [row["loss"] for row in map(json.loads, (out / "metrics.jsonl").read_text().splitlines()) if "loss" in row]
    assert len(losses) == 10
    assert sum(losses[-2:]) / 2 < 0.5 * sum(losses[:2]) / 2

    prompt_record = records[0]
    replies = []
    for lora in (None, str(out)):
        model, tokenizer, template = load_for_inference(EMBEDDED_MODEL, lora, dtype="bf16")
        prompt = template.wrap(prompt_record.instruction, prompt_record.input, tokenizer)
        replies.append(HFGenerator(model, tokenizer, template).generate([prompt], max_new_tokens=40)[0])
    base_reply, tuned_reply = replies
    assert tuned_reply != base_reply
    assert tuned_reply.startswith("Thought:")  # the protocol, which the base model does not follow
