"""Copy a finished training run into the shipped adapter directory, with its recipe, log summary and metrics.

    .venv/bin/python scripts/ship_adapter.py --run_dir output/lora-smollm2-long \
        --metrics_dir output/pipeline/metrics --dest adapters/smollm2-gpt4tools

Writes the PEFT adapter (its ``base_model_name_or_path`` set to the name the run was given, e.g. the
embedded ``smollm2-135m-instruct``, not this machine's cache path), ``prompt_template.yaml``,
``train_config.yaml``, ``plan_template.yaml`` when the run has one, ``data_recipe.yaml``, the
``metrics_*.json`` files and ``TRAINING.md`` (a summary of ``metrics.jsonl``). A run that started from another adapter (``--init_adapter``, e.g. the third stage of
``pipeline.sh``) ships with ``--base_run DIR``, that adapter's run, summarised in ``TRAINING_base.md`` beside
its ``train_config_base.yaml``. The directory's hand-written ``README.md`` is left alone.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import yaml

from modeling.adapters import verify_adapter
from protocol.cli import run_cli
from protocol.records import atomic_write_text, iter_jsonl

COPIED = ("adapter_model.safetensors", "prompt_template.yaml", "train_config.yaml")
COPIED_WHEN_PRESENT = ("plan_template.yaml",)  # written when the data held plan records


def log_summary(rows: list[dict], config: dict) -> str:
    """Markdown: train loss at doubling steps and every tenth of the run, eval losses, throughput."""
    train = {row["step"]: row for row in rows if "loss" in row}
    evals = [(row["step"], row["eval_loss"]) for row in rows if "eval_loss" in row]
    last = max(train)
    shown = {1, last} | {2**k for k in range(last.bit_length())} | {last * k // 10 for k in range(1, 10)}
    lines = [
        "# Training log summary (from metrics.jsonl)",
        "",
        "| step | epoch | train loss | lr | tokens/s (since the run or its last resume) |",
        "| ---: | ---: | ---: | ---: | ---: |",
    ]
    for step in sorted(s for s in shown if s in train):
        row = train[step]
        lines.append(
            f"| {step} | {row['epoch']:.3f} | {row['loss']:.4f} | {row['lr']:.2e} | {row['tokens_per_s']:.0f} |"
        )
    samples = last * config["batch_size"]
    lines += [
        "",
        f"Eval loss ({config['val_set_size']} held-out training records): "
        + ", ".join(f"step {step}: {loss:.4f}" for step, loss in evals),
        "",
        f"{last} steps x {config['batch_size']} samples = {samples:,} samples (epoch {train[last]['epoch']:.2f}); "
        f"LoRA r{config['lora_r']} alpha {config['lora_alpha']} on {', '.join(config['lora_target_modules'])} "
        f"of the top {config.get('lora_top_layers') or 'all'} layers; learning rate {config['learning_rate']} "
        f"(warm-up {config['warmup_steps']}, cosine); compile {config.get('compile', False)}.",
        "",
    ]
    return "\n".join(lines)


def read_config(run: Path) -> dict:
    """A run's resolved ``train_config.yaml``."""
    return yaml.safe_load((run / "train_config.yaml").read_text(encoding="utf-8"))


def run_summary(run: Path) -> str:
    """The log summary of a lora_finetune.py output dir."""
    return log_summary(list(iter_jsonl(run / "metrics.jsonl")), read_config(run))


def main(
    run_dir: str,
    metrics_dir: str,
    dest: str,
    data_recipe: str = "configs/data_gen/smollm2_adapter.yaml",
    base_run: str | None = None,
) -> None:
    """Ship ``run_dir`` (a lora_finetune.py output dir) to ``dest`` with the metrics in ``metrics_dir``;
    ``base_run``: the run whose adapter ``run_dir`` started from, if any."""
    run, out = Path(run_dir), Path(dest)
    verify_adapter(run)
    config = read_config(run)
    out.mkdir(parents=True, exist_ok=True)
    for name in COPIED:
        shutil.copyfile(run / name, out / name)
    for name in COPIED_WHEN_PRESENT:
        if (run / name).is_file():
            shutil.copyfile(run / name, out / name)
    adapter_config = json.loads((run / "adapter_config.json").read_text(encoding="utf-8"))
    adapter_config["base_model_name_or_path"] = config["base_model"]
    atomic_write_text(out / "adapter_config.json", json.dumps(adapter_config, indent=2) + "\n")
    shutil.copyfile(data_recipe, out / "data_recipe.yaml")
    metrics = sorted(Path(metrics_dir).glob("metrics_*.json"))
    for path in metrics:
        shutil.copyfile(path, out / path.name)
    atomic_write_text(out / "TRAINING.md", run_summary(run))
    if base_run:
        atomic_write_text(out / "TRAINING_base.md", run_summary(Path(base_run)))
        shutil.copyfile(Path(base_run) / "train_config.yaml", out / "train_config_base.yaml")
    print(f"shipped {run} -> {out} ({len(metrics)} metrics files)")


if __name__ == "__main__":
    run_cli(main)
