"""Tokens per epoch with ``--merge_trajectories`` off (the reference) and on, on the same data and batch plan.

    .venv/bin/python benchmarks/bench_trajectory_merge.py [--data_path train.json] [--config smollm2_product]

The data is tokenized twice as the trainer does (``training.data.tokenize_records``, the base model's tokenizer:
the embedded SmolLM2 by default; the recipe's prompt template and ``cutoff_len``), once with each setting. Then, as
``training.loop`` does, the validation examples are split off (the recipe's ``val_set_size`` and seed) and the
first epoch is planned (``plan_epoch``: the recipe's global and micro batch, one process, its length grouping).
Printed side by side: examples, their tokens, the tokens that carry loss, steps per epoch, the tokens the epoch's
micro batches hold once padded to their longest member (what the model computes), and the CPU seconds of
tokenizing. Supervised tokens must come out equal: merging changes what is recomputed, not what is trained.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def padded_tokens(lengths: list[int], plan: list[list[list[list[int]]]]) -> int:
    """Tokens of every micro batch of ``plan`` padded to its longest member."""
    return sum(
        len(micro) * max(lengths[i] for i in micro) for step in plan for micros in step for micro in micros if micro
    )


def measure(records, template, tokenizer, config, merge: bool) -> tuple[dict[str, float], int]:
    """The figures of one setting, and how many of its examples are merged trajectories."""
    from training.data import plan_epoch, split_validation, tokenize_records

    cpu = time.process_time()
    examples, _ = tokenize_records(
        records, template, tokenizer, config.cutoff_len, train_on_inputs=False, merge_trajectories=merge
    )
    seconds = time.process_time() - cpu
    merged = [example for example in examples if len(example.spans) > 1 or example.relabeled]
    train = split_validation(examples, config.val_set_size, config.seed)[0] if config.val_set_size else examples
    lengths = [len(example) for example in train]
    plan = plan_epoch(
        lengths,
        batch_size=config.batch_size,
        micro_batch_size=config.micro_batch_size,
        world_size=1,
        seed=config.seed,
        epoch=0,
        group_by_length=config.group_by_length,
    )
    return {
        "examples": len(examples),
        "tokens": sum(len(example) for example in examples),
        "supervised tokens": sum(example.loss_tokens for example in examples),
        "steps per epoch": len(plan),
        "padded tokens per epoch": padded_tokens(lengths, plan),
        "tokenize CPU s": seconds,
    }, len(merged)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", default="smollm2_product", help="training recipe (template, cutoff_len, batches)")
    parser.add_argument("--data_path", help="GPT4Tools records (default: the recipe's data_path)")
    parser.add_argument("--base_model", help="whose tokenizer (default: the recipe's base model)")
    args = parser.parse_args()

    from modeling.loading import load_tokenizer
    from protocol.prompt import PromptTemplate
    from protocol.records import read_records
    from training.config import build_config

    config = build_config(args.config)
    data_path = args.data_path or config.data_path
    records = read_records(data_path)
    template = PromptTemplate.load(config.prompt_template)
    tokenizer = load_tokenizer(args.base_model or config.base_model)
    off, _ = measure(records, template, tokenizer, config, merge=False)
    on, trajectories = measure(records, template, tokenizer, config, merge=True)
    print(
        f"{data_path}: {len(records)} records; recipe {args.config}: template {config.prompt_template}, cutoff_len "
        f"{config.cutoff_len}, global batch {config.batch_size} (micro {config.micro_batch_size}, one process), "
        f"val_set_size {config.val_set_size}, group_by_length {config.group_by_length}"
    )
    print(f"{'':<26} {'off (reference)':>16} {'merged':>12} {'merged / off':>13}")
    for name in off:
        shown = "{:16.1f} {:12.1f}" if isinstance(off[name], float) else "{:16,d} {:12,d}"
        print(f"{name:<26} {shown.format(off[name], on[name])} {on[name] / off[name]:13.3f}")
    absorbed = len(records) - on["examples"]
    print(
        f"merged: {trajectories:,} trajectories of {trajectories + absorbed:,} records into {trajectories:,} examples; "
        f"{len(records) - trajectories - absorbed:,} records as they were"
    )
    if on["supervised tokens"] != off["supervised tokens"]:
        sys.exit("merging changed the number of supervised tokens")


if __name__ == "__main__":
    main()
