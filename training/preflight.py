"""Checks that run before anything heavy loads (torch, the model): options against each other, the training data (without importing datasets),
the prompt template, the base model, the adapter a new run starts from, and the checkpoint a run resumes from,
with the options it was trained with.

Each refusal is one :class:`~protocol.errors.InputError` naming the fix, in well under a second.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from modeling.adapter_files import check_adapter_files
from modeling.loading import check_base_model
from protocol.prompt import PromptTemplate
from protocol.recipes import ConfigError
from training.checkpointing import check_checkpoint, latest_checkpoint
from training.config import CONFIG_FILE_NAME, RESUMABLE, TrainConfig, changed_options
from training.sources import locate_source


def preflight(config: TrainConfig, world_size: int = 1) -> Path | None:
    """Refuse a run that cannot go well; returns the checkpoint it resumes from (``None``: a new run)."""
    config.validate(world_size)
    locate_source(config.data_path)
    PromptTemplate.load(config.prompt_template)
    check_base_model(config.base_model)
    named = config.resume_from_checkpoint
    resume = Path(named) if named else latest_checkpoint(config.output_dir)
    if resume is None:
        if config.init_adapter:
            check_adapter_files(config.init_adapter, "--init_adapter")
        return None
    check_checkpoint(resume)
    check_same_run(config, resume)
    return resume


def check_same_run(config: TrainConfig, checkpoint: Path) -> None:
    """Refuse to resume ``checkpoint`` with options, other than those that may change (:data:`RESUMABLE`), that
    differ from its run's ``train_config.yaml`` (beside ``checkpoints/``): a rerun would silently mix two runs."""
    run_dir = checkpoint.resolve().parent.parent
    saved_file = run_dir / CONFIG_FILE_NAME
    if not saved_file.is_file():
        return
    try:
        saved = yaml.safe_load(saved_file.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError):
        saved = None
    if not isinstance(saved, dict):
        raise ConfigError(f"{saved_file} is damaged; restore it, or pass another --output_dir to start a new run")
    changed = changed_options(config, saved)
    if changed:
        raise ConfigError(
            f"{run_dir} holds a run trained with other options: {'; '.join(changed)}. To resume it, give the run's "
            f"values (only {', '.join(f'--{name}' for name in sorted(RESUMABLE))} may change); to start a new run, pass another --output_dir"
        )
