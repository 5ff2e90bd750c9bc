"""LoRA / QLoRA fine-tuning of a causal LM on GPT4Tools records.

    python lora_finetune.py --data_path data/train.json --output_dir output/lora-smollm2
    torchrun --nproc_per_node=2 lora_finetune.py --config gpt4tools_vicuna --base_model PATH --data_path ...
    python lora_finetune.py --help      # every option, with its meaning and its value in the recipe

Options come from the dataclass defaults in ``training/config.py``, then the recipe (``--config``,
default ``configs/train/smollm2_cpu.yaml``), then the flags given here. Every option is checked, and so are
the base model, the adapter to start from and the checkpoint to resume, before torch and the model load;
bad input ends with one ``error: ...`` line and exit status 2. The output directory receives the adapter
(standard PEFT), ``prompt_template.yaml`` (and ``plan_template.yaml`` when the data holds plan records),
``train_config.yaml``, ``metrics.jsonl``, TensorBoard logs,
``checkpoints/`` and, with ``--merge``, ``merged/``. A rerun resumes from the latest checkpoint in
``output_dir`` (or ``--resume_from_checkpoint DIR``) when its options match the run's; one run at a time
holds an output directory.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from modeling.threads import openmp_environment
from protocol.cli import report_input_errors
from training.config import DEFAULT_CONFIG, TrainConfig, build_config, config_from_command_line
from training.lock import output_dir_lock
from training.preflight import preflight


def train(config: str | Path | None = DEFAULT_CONFIG, **options: Any) -> dict[str, Any] | None:
    """Fine-tune with the recipe ``config`` overridden by ``options`` (the command line's flags as keywords,
    e.g. ``train(data_path="train.json", max_steps=100)``); returns the final metrics on rank 0."""
    return fine_tune(build_config(config, **options))


def fine_tune(config: TrainConfig) -> dict[str, Any] | None:
    """Check ``config`` and what it names, take the output directory (rank 0), then run the training loop."""
    rank, world_size = int(os.environ.get("RANK", "0")), int(os.environ.get("WORLD_SIZE", "1"))
    resume = preflight(config, world_size)
    with output_dir_lock(config.output_dir) if rank == 0 else contextlib.nullcontext():
        # Threads that spin while waiting (OpenMP's default) collapse when the cores are shared, several-fold on a
        # LoRA step (docs/serving.md). Read when torch loads, just below.
        os.environ.update(openmp_environment(os.environ))
        from training.loop import run  # torch, transformers and peft load only once the checks passed

        return run(config, resume)


def main(argv: Sequence[str] | None = None) -> None:
    logging.basicConfig(
        level=logging.INFO if int(os.environ.get("RANK", "0")) == 0 else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    with report_input_errors():
        fine_tune(config_from_command_line(sys.argv[1:] if argv is None else argv))


if __name__ == "__main__":
    main()
