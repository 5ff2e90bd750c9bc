"""The trainer's configuration: documented defaults, YAML recipes under ``configs/train/``, CLI overrides."""

from __future__ import annotations

import dataclasses
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import yaml

from modeling.loading import EMBEDDED_MODEL
from protocol.errors import InputError
from protocol.recipes import read_recipe, reject_unknown

TRAIN_CONFIGS_DIR = Path(__file__).resolve().parent.parent / "configs" / "train"
DEFAULT_CONFIG = TRAIN_CONFIGS_DIR / "smollm2_cpu.yaml"
CONFIG_FILE_NAME = "train_config.yaml"
# options the original GPT4Tools' lora_finetune.py (alpaca-lora's) spells differently
ORIGINAL_NAMES = {"prompt_template_name": "prompt_template"}


class ConfigError(ValueError, InputError):
    """A training option is unknown or out of range; the message names the fix."""


@dataclass
class TrainConfig:
    """Every option of ``lora_finetune.py``; the field defaults are the fallback for keys a recipe omits."""

    base_model: str = EMBEDDED_MODEL
    data_path: str = ""
    output_dir: str = "output/lora"
    prompt_template: str = "en"
    # optimisation
    batch_size: int = 32  # global: micro_batch_size x gradient accumulation x world size
    micro_batch_size: int = 4
    num_epochs: float = 3.0
    max_steps: int | None = None  # overrides num_epochs when set
    learning_rate: float = 3e-4
    warmup_steps: int = 10
    weight_decay: float = 0.0
    max_grad_norm: float = 1.0
    seed: int = 42
    # data
    cutoff_len: int = 1024
    val_set_size: float = 0.05  # a fraction (< 1) or a number of records
    train_on_inputs: bool = False
    group_by_length: bool = True
    # LoRA
    lora_r: int = 16
    lora_alpha: int = 16
    lora_dropout: float = 0.05
    lora_target_modules: list[str] = field(default_factory=lambda: ["q_proj", "k_proj", "v_proj", "o_proj"])
    # LoRA only in the top N decoder layers (None: all). Backward then stops below them, which cuts a step's
    # compute by about a third when N is half the layers.
    lora_top_layers: int | None = None
    # model loading and compute
    dtype: str = "auto"  # bf16 where the hardware runs it natively, else fp32
    load_in_8bit: bool = False
    load_in_4bit: bool = False
    gradient_checkpointing: bool = False
    compile: bool = False  # torch.compile the decoder layers (fuses element-wise kernels; needs g++ on CPU)
    num_threads: int | None = None  # torch CPU threads per process; default: cores / processes
    # bookkeeping
    logging_steps: int = 1
    eval_steps: int = 50
    save_steps: int = 50
    save_total_limit: int = 2
    resume_from_checkpoint: str | None = None  # a checkpoint dir; default: the latest in output_dir
    # a finished adapter directory whose LoRA weights start a new run (same rank, targets and layers; a fresh
    # optimizer and schedule): goes on training an adapter on other data. A resume takes precedence.
    init_adapter: str | None = None
    merge: bool = False

    def validate(self, world_size: int = 1) -> None:
        """Fail early on inconsistent options, naming the fix."""
        if not self.data_path:
            raise ConfigError("no training data: pass --data_path FILE.json (GPT4Tools JSON or JSONL records)")
        if self.micro_batch_size < 1 or self.batch_size < 1:
            raise ConfigError("--batch_size and --micro_batch_size must be positive")
        per_step = self.micro_batch_size * world_size
        if self.batch_size % per_step:
            lower = max(per_step, self.batch_size // per_step * per_step)
            raise ConfigError(
                f"global batch {self.batch_size} is not divisible by micro_batch_size x world_size = "
                f"{self.micro_batch_size} x {world_size}; use --batch_size {lower} (or {lower + per_step}) "
                "or change --micro_batch_size"
            )
        if self.load_in_8bit and self.load_in_4bit:
            raise ConfigError("choose one of --load_in_8bit and --load_in_4bit")
        if self.cutoff_len < 8:
            raise ConfigError(f"--cutoff_len {self.cutoff_len} is too small; use at least the prompt length")
        if not self.lora_target_modules:
            raise ConfigError("--lora_target_modules is empty; e.g. --lora_target_modules q_proj,k_proj,v_proj,o_proj")
        if self.lora_top_layers is not None and self.lora_top_layers < 1:
            raise ConfigError("--lora_top_layers must be a positive number of layers (or unset for all layers)")
        if self.max_steps is None and self.num_epochs <= 0:
            raise ConfigError("--num_epochs must be positive (or set --max_steps)")
        if self.val_set_size < 0:
            raise ConfigError("--val_set_size must be >= 0 (a fraction below 1 or a number of records)")

    def to_yaml(self) -> str:
        return yaml.safe_dump(asdict(self), sort_keys=False, allow_unicode=True)


def _coerce(name: str, value: Any) -> Any:
    """Accept the shapes fire and YAML produce (``"q_proj,v_proj"``, tuples) for list options."""
    if name == "lora_target_modules":
        if isinstance(value, str):
            value = value.split(",")
        return [str(item).strip() for item in value if str(item).strip()]
    if name in {"base_model", "data_path", "output_dir", "prompt_template", "resume_from_checkpoint", "init_adapter"}:
        return None if value is None else str(value)
    return value


def read_config_file(path: str | Path) -> dict[str, Any]:
    """The mapping in a recipe YAML; a bare name (``smollm2_cpu``) means ``configs/train/<name>.yaml``."""
    return read_recipe(path, TRAIN_CONFIGS_DIR, "training", ConfigError)


def build_config(config_file: str | Path | None = DEFAULT_CONFIG, **overrides: Any) -> TrainConfig:
    """Field defaults, then the recipe file, then ``overrides`` whose value is not ``None``."""
    values = read_config_file(config_file) if config_file else {}
    for original, ours in ORIGINAL_NAMES.items():
        value = overrides.pop(original, None)
        if value is not None and overrides.get(ours) not in (None, value):
            raise ConfigError(f"--{original} {value} and --{ours} {overrides[ours]} disagree; give one of them")
        if value is not None:
            overrides[ours] = value
    values.update({key: value for key, value in overrides.items() if value is not None})
    reject_unknown(values, (f.name for f in fields(TrainConfig)), "training config", ConfigError)
    return dataclasses.replace(TrainConfig(), **{key: _coerce(key, value) for key, value in values.items()})
