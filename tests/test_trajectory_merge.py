"""``--merge_trajectories``: the records of a multi-step trajectory as one sequence with the same supervision."""

from __future__ import annotations

import logging
from collections import Counter
from pathlib import Path

import pytest
import torch

import lora_finetune
from protocol.prompt import PromptTemplate
from protocol.records import Record, write_records
from tests.sample_records import make_records, make_trajectories
from training.config import ConfigError
from training.data import Example, collate, tokenize_records
from training.loss import IGNORE_INDEX, CompletionLoss

TEMPLATE = PromptTemplate.load("en")


def supervised(examples: list[Example], pad_id: int) -> Counter[tuple[tuple[int, ...], int]]:
    """Every trained prediction as ``(context token ids, target)``, counted: the supervision, token by token."""
    pairs: Counter[tuple[tuple[int, ...], int]] = Counter()
    for example in examples:
        labels = collate([example], pad_id)["labels"][0].tolist()
        for position in range(1, len(example)):
            if labels[position] != IGNORE_INDEX:
                pairs[(example.input_ids[:position], labels[position])] += 1
    return pairs


def tokenize(records: list[Record], tokenizer, merge: bool, template=TEMPLATE, cutoff_len=2048) -> list[Example]:
    return tokenize_records(records, template, tokenizer, cutoff_len, merge_trajectories=merge)[0]


def trajectory_steps(records: list[Record]) -> dict[str, list[Record]]:
    """The records of each trajectory (by prompt), first step first."""
    steps: dict[str, list[Record]] = {}
    for record in records:
        steps.setdefault(record.instruction, []).append(record)
    return {prompt: sorted(group, key=lambda r: len(r.input)) for prompt, group in steps.items()}


def test_merged_examples_train_exactly_what_the_separate_records_train(tiny_tokenizer) -> None:
    records = make_trajectories(10, max_steps=3) + make_records(6, max_tools=2)  # and records of no trajectory
    separate, merged = tokenize(records, tiny_tokenizer, False), tokenize(records, tiny_tokenizer, True)
    pad = tiny_tokenizer.pad_token_id
    assert supervised(merged, pad) == supervised(separate, pad)
    assert sum(example.loss_tokens for example in merged) == sum(example.loss_tokens for example in separate)
    assert len(merged) == 10 + 6  # one example per trajectory, the other records as they were
    assert all(example in merged for example in separate[-6:])
    assert sum(map(len, merged)) < 0.6 * sum(map(len, separate))


def test_only_the_replies_carry_loss_never_the_prompt_or_an_observation(tiny_tokenizer) -> None:
    records = make_trajectories(6, max_steps=3)
    end_of_turn = TEMPLATE.end_of_turn(tiny_tokenizer)
    trajectories = trajectory_steps(records)
    for example in tokenize(records, tiny_tokenizer, True):
        labels = collate([example], tiny_tokenizer.pad_token_id)["labels"][0]
        trained = tiny_tokenizer.decode(labels[labels != IGNORE_INDEX].tolist())
        text = tiny_tokenizer.decode(example.input_ids)
        (steps,) = [steps for prompt, steps in trajectories.items() if prompt in text]
        assert trained == "".join(step.output + end_of_turn for step in steps)
        assert len(steps) > 1 and len(example.relabeled) == len(steps) - 1


def test_the_merged_loss_is_the_sum_of_the_records_losses(tiny_model_dir: Path, tiny_tokenizer) -> None:
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir, dtype=torch.float32)
    records = next(steps for steps in trajectory_steps(make_trajectories(8)).values() if len(steps) >= 3)
    (merged,) = tokenize(records, tiny_tokenizer, True)
    separate = tokenize(records, tiny_tokenizer, False)
    loss = CompletionLoss(model)
    with torch.no_grad():
        merged_sum, merged_count = loss(**collate([merged], tiny_tokenizer.pad_token_id))
        separate_sum, separate_count = loss(**collate(separate, tiny_tokenizer.pad_token_id))
    assert int(merged_count) == int(separate_count) == merged.loss_tokens
    torch.testing.assert_close(merged_sum, separate_sum, rtol=1e-4, atol=1e-4)


def test_records_whose_tokens_differ_at_a_boundary_stay_separate(tiny_tokenizer) -> None:
    first = Record(
        "Describe image/ab.png.", "", "Thought: Do I need to use a tool? Yes\nAction: Detection\nAction Input: image/a"
    )
    later = Record(
        first.instruction, first.output + "b.png\nObservation: done\n", "Thought: Do I need to use a tool? No\nAI: done"
    )
    first_ids = TEMPLATE.encode(
        tiny_tokenizer, *TEMPLATE.training_pair(first.instruction, first.input, first.output, tiny_tokenizer)
    )[0]
    later_ids = TEMPLATE.encode(
        tiny_tokenizer, *TEMPLATE.training_pair(later.instruction, later.input, later.output, tiny_tokenizer)
    )[0]
    assert later_ids[: len(first_ids) - 1] != first_ids[:-1]  # "image/a" + "b.png" tokenizes otherwise in one piece
    assert tokenize([first, later], tiny_tokenizer, True) == tokenize([first, later], tiny_tokenizer, False)


def test_a_template_with_the_scratchpad_inside_the_instruction_merges_nothing(plain_tokenizer) -> None:
    records = make_trajectories(4)
    template = PromptTemplate.load("gpt4tools")  # earlier steps sit before "ASSISTANT:", not where the reply goes
    assert tokenize(records, plain_tokenizer, True, template) == tokenize(records, plain_tokenizer, False, template)


def test_a_trajectory_longer_than_cutoff_len_falls_back_to_shorter_merges(tiny_tokenizer) -> None:
    steps = next(steps for steps in trajectory_steps(make_trajectories(8)).values() if len(steps) == 3)
    (whole,) = tokenize(steps, tiny_tokenizer, True)
    separate = tokenize(steps, tiny_tokenizer, False)
    assert whole.input_ids == max(separate, key=len).input_ids  # the last step's prompt and reply
    cutoff = len(whole) - 1  # the last step no longer fits whole: it is truncated alone, the first two merge
    shorter = tokenize(steps, tiny_tokenizer, True, cutoff_len=cutoff)
    assert len(shorter) == 2
    assert [len(example) for example in shorter].count(cutoff) == 1
    pad = tiny_tokenizer.pad_token_id
    first_two = [example for example in shorter if len(example) < cutoff]
    assert supervised(first_two, pad) == supervised(tokenize(steps[:2], tiny_tokenizer, False), pad)


def test_a_step_two_branches_share_is_trained_once(tiny_tokenizer) -> None:
    call = "Thought: Do I need to use a tool? Yes\nAction: Detection\nAction Input: image/ab.png\nObservation:"
    first = Record("Describe image/ab.png.", "", call)
    failed = Record(
        first.instruction, call + " error: no model\n", "Thought: Do I need to use a tool? No\nAI: It failed."
    )
    worked = Record(
        first.instruction, call + " a dog at (1, 2, 3, 4)\n", "Thought: Do I need to use a tool? No\nAI: A dog."
    )
    merged = tokenize([first, failed, worked], tiny_tokenizer, True)
    separate = tokenize([first, failed, worked], tiny_tokenizer, False)
    assert len(merged) == 2
    assert supervised(merged, tiny_tokenizer.pad_token_id) == supervised(separate, tiny_tokenizer.pad_token_id)


def test_training_with_merged_trajectories_end_to_end(tiny_model_dir: Path, tmp_path: Path, caplog) -> None:
    data = tmp_path / "train.json"
    records = make_trajectories(24, max_steps=3)
    write_records(data, records)
    with caplog.at_level(logging.INFO, logger="training"):
        result = lora_finetune.train(
            base_model=str(tiny_model_dir),
            data_path=str(data),
            output_dir=str(tmp_path / "out"),
            merge_trajectories=True,
            batch_size=4,
            micro_batch_size=2,
            num_threads=1,
            val_set_size=4,
            max_steps=3,
            eval_steps=3,
            warmup_steps=1,
            compile=False,
        )
    assert result["steps"] == 3 and result["loss"] > 0 and result["eval_loss"] > 0
    assert (tmp_path / "out" / "adapter_model.safetensors").is_file()
    assert f"merged trajectories: {len(records)} records in 24 examples" in caplog.text
    assert "merge_trajectories: true" in (tmp_path / "out" / "train_config.yaml").read_text()


def test_merging_with_loss_on_the_prompt_is_refused_naming_the_fix(tiny_model_dir: Path, tmp_path: Path) -> None:
    data = tmp_path / "train.json"
    write_records(data, make_trajectories(4))
    with pytest.raises(ConfigError, match="needs --train_on_inputs false"):
        lora_finetune.train(
            base_model=str(tiny_model_dir),
            data_path=str(data),
            output_dir=str(tmp_path / "out"),
            merge_trajectories=True,
            train_on_inputs=True,
        )
    assert not (tmp_path / "out").exists()
