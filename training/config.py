"""The trainer's options, each declared once (type, default, help, rule, whether it may change on resume).

Values come from the field defaults, then a YAML recipe under ``configs/train/`` (``--config``), then the
command line or keyword arguments; the ``--help`` text and ``train_config.yaml`` are derived from the fields.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

import yaml

from modeling.loading import DTYPE_NAMES, EMBEDDED_MODEL
from protocol.options import (
    BELOW_ONE,
    NOT_EMPTY,
    NOT_NEGATIVE,
    POSITIVE,
    at_least,
    check_options,
    command_line,
    convert,
    one_of,
    option,
    option_types,
    parse_command_line,
    resolve_aliases,
    resumable_options,
    shown_value,
)
from protocol.recipes import ConfigError, read_recipe, reject_unknown

TRAIN_CONFIGS_DIR = Path(__file__).resolve().parent.parent / "configs" / "train"
DEFAULT_CONFIG = TRAIN_CONFIGS_DIR / "smollm2_cpu.yaml"
CONFIG_FILE_NAME = "train_config.yaml"


@dataclass
class TrainConfig:
    """Every option of ``lora_finetune.py``; the field defaults are the fallback for keys a recipe omits."""

    base_model: str = option(
        EMBEDDED_MODEL, f"a local checkpoint directory, a cached hub id, or {EMBEDDED_MODEL} (embedded)", rule=NOT_EMPTY
    )
    data_path: str = option(
        "",
        "training records (instruction, input, output): a GPT4Tools JSON or JSONL file, a parquet file or directory, "
        "a Dataset.save_to_disk directory, or a dataset id already in the Hugging Face datasets cache; tokenized "
        "once, then read back from the project cache on later runs",
    )
    output_dir: str = option(
        "output/lora",
        "where the adapter, train_config.yaml, metrics.jsonl and checkpoints/ go; a rerun resumes there",
        rule=NOT_EMPTY,
        resumable=True,
    )
    prompt_template: str = option(
        "en",
        "prompt template: en, zh, gpt4tools (the original's) or a template YAML file",
        rule=NOT_EMPTY,
        aliases=("prompt_template_name",),  # the original GPT4Tools' (alpaca-lora's) name
    )
    # optimisation
    batch_size: int = option(32, "global batch: micro_batch_size x gradient accumulation x processes", rule=POSITIVE)
    micro_batch_size: int = option(
        4, "samples per forward pass and process (only memory and speed depend on it)", rule=POSITIVE, resumable=True
    )
    num_epochs: float = option(
        3.0, "passes over the training records (unless --max_steps is set)", rule=POSITIVE, resumable=True
    )
    max_steps: int | None = option(
        None,
        "optimizer steps in all, overriding --num_epochs; raise it on a rerun to go on training a finished run",
        rule=POSITIVE,
        hint="leave it unset to train --num_epochs",
        resumable=True,
    )
    learning_rate: float = option(
        3e-4,
        "peak learning rate (linear warm-up, then cosine decay)",
        rule=POSITIVE,
        hint="e.g. 3e-4 (0 learns nothing)",
    )
    warmup_steps: int = option(10, "steps of linear learning-rate warm-up", rule=NOT_NEGATIVE)
    weight_decay: float = option(0.0, "AdamW weight decay", rule=NOT_NEGATIVE)
    max_grad_norm: float = option(1.0, "gradients are clipped to this norm", rule=POSITIVE)
    seed: int = option(42, "seed of the LoRA initialisation, data order and validation split")
    # data
    cutoff_len: int = option(1024, "longest sample in tokens (a longer reply is truncated)", rule=at_least(8))
    val_set_size: float = option(
        0.05,
        "validation records: a fraction below 1, or a whole number of records (0: none)",
        rule=NOT_NEGATIVE,
    )
    train_on_inputs: bool = option(False, "put loss on the prompt too, not only on the reply")
    group_by_length: bool = option(True, "batch records of similar length together (less padding)")
    merge_trajectories: bool = option(
        False,
        "train the records of one multi-step trajectory (same prompt, each step's scratchpad continuing the last) as "
        "one sequence with loss on every step's reply: the same supervision in 0.72x the tokens per epoch on the "
        "product data (benchmarks/README.md); the product adapter's stages 2-4 train with it. Needs "
        "--train_on_inputs false",
    )
    # LoRA
    lora_r: int = option(16, "LoRA rank", rule=POSITIVE, hint="e.g. 8 or 16")
    lora_alpha: int = option(
        16,
        "LoRA scale numerator: the update is scaled by alpha / r",
        rule=POSITIVE,
        hint="e.g. the --lora_r value or twice it (0 would scale every update to nothing)",
    )
    lora_dropout: float = option(0.05, "dropout on the LoRA input", rule=BELOW_ONE)
    lora_target_modules: list[str] = option(
        default_factory=lambda: ["q_proj", "k_proj", "v_proj", "o_proj"],
        help="linear layers that get LoRA, comma-separated",
        rule=NOT_EMPTY,
        hint="e.g. --lora_target_modules q_proj,k_proj,v_proj,o_proj",
    )
    lora_top_layers: int | None = option(
        None,
        "LoRA only in the top N decoder layers (none: all); backward then stops below them, about a third less "
        "compute per step when N is half the layers",
        rule=POSITIVE,
        hint="or none for all layers",
    )
    # model loading and compute
    dtype: str = option(
        "auto", "base weights: auto (bf16 where the hardware runs it natively, else fp32), bf16, fp16 or fp32",
        rule=one_of(DTYPE_NAMES),
    )  # fmt: skip
    load_in_8bit: bool = option(False, "load the base model in 8 bits (bitsandbytes)")
    load_in_4bit: bool = option(False, "load the base model in 4 bits, nf4 (QLoRA)")
    gradient_checkpointing: bool = option(False, "recompute activations in backward (less memory)", resumable=True)
    compile: bool = option(
        False, "torch.compile the decoder layers (fused kernels; needs g++ on a CPU)", resumable=True
    )
    num_threads: int | None = option(
        None, "torch CPU threads per process (none: cores / processes)", rule=POSITIVE, resumable=True
    )
    # bookkeeping
    logging_steps: int = option(1, "log loss, learning rate and speed every N steps", rule=POSITIVE, resumable=True)
    eval_steps: int = option(50, "validation loss every N steps", rule=POSITIVE, resumable=True)
    save_steps: int = option(50, "checkpoint every N steps", rule=POSITIVE, resumable=True)
    save_total_limit: int = option(2, "checkpoints kept (the newest; 0: all)", rule=NOT_NEGATIVE, resumable=True)
    resume_from_checkpoint: str | None = option(
        None, "a checkpoints/step-N directory to go on from (none: the latest in --output_dir)", resumable=True
    )
    init_adapter: str | None = option(
        None,
        "a finished adapter directory whose LoRA weights start a new run (same rank, targets and layers; a fresh "
        "optimizer and schedule): goes on training an adapter on other data. A resume takes precedence",
    )
    merge: bool = option(
        False, "also write the base model with the adapter merged in, to output_dir/merged", resumable=True
    )

    def __post_init__(self) -> None:
        check_options(self)

    def validate(self, world_size: int = 1) -> None:
        """Fail early on options that contradict each other, naming the fix."""
        if not self.data_path:
            raise ConfigError(
                "no training data: pass --data_path FILE.json (GPT4Tools JSON or JSONL records; parquet and Hugging "
                "Face datasets work too)"
            )
        per_step = self.micro_batch_size * world_size
        if self.batch_size % per_step:
            lower = max(per_step, self.batch_size // per_step * per_step)
            raise ConfigError(
                f"global batch {self.batch_size} is not divisible by micro_batch_size x world_size = "
                f"{self.micro_batch_size} x {world_size}; use --batch_size {lower} (or {lower + per_step}) "
                "or change --micro_batch_size"
            )
        if self.merge_trajectories and self.train_on_inputs:
            raise ConfigError(
                "--merge_trajectories needs --train_on_inputs false (with loss on the prompt, an earlier step's end of "
                "turn and the observation after it would be two labels for one position); drop one of them"
            )
        if self.load_in_8bit and self.load_in_4bit:
            raise ConfigError("choose one of --load_in_8bit and --load_in_4bit")
        if self.val_set_size >= 1 and not float(self.val_set_size).is_integer():
            raise ConfigError(
                f"--val_set_size {self.val_set_size} is neither a fraction below 1 nor a whole number of records"
            )
        if Path(self.output_dir).exists() and not Path(self.output_dir).is_dir():
            raise ConfigError(f"--output_dir {self.output_dir} is a file; pass a directory")

    def to_yaml(self) -> str:
        return yaml.safe_dump(asdict(self), sort_keys=False, allow_unicode=True)


RESUMABLE = resumable_options(TrainConfig)


def changed_options(config: TrainConfig, saved: dict[str, Any]) -> list[str]:
    """The options outside :data:`RESUMABLE` whose value in ``config`` differs from ``saved`` (a run's
    ``train_config.yaml``), each as ``--name SAVED (now NEW)``; keys ``saved`` lacks are not compared."""
    hints = option_types(TrainConfig)
    changed = []
    for spec in fields(TrainConfig):
        if spec.name in RESUMABLE or spec.name not in saved:
            continue
        try:
            before = convert(spec.name, hints[spec.name], saved[spec.name])
        except ConfigError:
            before = saved[spec.name]
        now = getattr(config, spec.name)
        if before != now:
            changed.append(f"--{spec.name} {shown_value(before)} (now {shown_value(now)})")
    return changed


def read_config_file(path: str | Path) -> dict[str, Any]:
    """The mapping in a recipe YAML; a bare name (``smollm2_cpu``) means ``configs/train/<name>.yaml``."""
    return read_recipe(path, TRAIN_CONFIGS_DIR, "training")


def build_config(config_file: str | Path | None = DEFAULT_CONFIG, **overrides: Any) -> TrainConfig:
    """Field defaults, then the recipe file, then ``overrides`` whose value is not ``None``."""
    values = resolve_aliases(TrainConfig, read_config_file(config_file) if config_file else {})
    values.update(resolve_aliases(TrainConfig, {key: value for key, value in overrides.items() if value is not None}))
    reject_unknown(values, (f.name for f in fields(TrainConfig)), "training config")
    return dataclasses.replace(TrainConfig(), **values)


def config_from_command_line(argv: Sequence[str], prog: str = "python lora_finetune.py") -> TrainConfig:
    """The options of a ``lora_finetune.py`` command line; ``--help`` shows the values of ``--config``'s recipe."""
    recipe = _recipe_named_in(argv)
    parser = command_line(
        TrainConfig,
        asdict(build_config(recipe)),
        prog=prog,
        description="Fine-tune a causal LM with LoRA / QLoRA on GPT4Tools records (torchrun for several processes).",
        epilog="Options given here override the recipe's; the defaults shown are the recipe's values. A rerun into an "
        "output directory resumes its run, and refuses options that differ from the run's unless they may change "
        "when a run resumes.",
        leading={
            "--config": f"a training recipe: a YAML path or a name in configs/train/ (default: {DEFAULT_CONFIG.stem})"
        },
    )
    given = parse_command_line(parser, argv)
    given.pop("config", None)
    return build_config(recipe, **given)


def _recipe_named_in(argv: Sequence[str]) -> str:
    """The ``--config`` value of a command line (read before the parser, whose help shows that recipe)."""
    for index, arg in enumerate(argv):
        if arg == "--config" and index + 1 < len(argv):
            return argv[index + 1]
        if arg.startswith("--config="):
            return arg.split("=", 1)[1]
    return str(DEFAULT_CONFIG)
