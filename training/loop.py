"""The LoRA / QLoRA training loop over validated options (``lora_finetune.py`` checks them, then calls :func:`run`).

Distributed set-up from torchrun's variables, the tokenized data, the base model with LoRA layers, the loop
with gradient accumulation, evaluation and checkpoints (resumable bit for bit), and the final adapter; side
effects happen on rank 0 only.
"""

from __future__ import annotations

import contextlib
import gc
import json
import logging
import math
import os
import time
from pathlib import Path
from typing import Any

import torch
import torch.distributed as dist
from peft import LoraConfig, get_peft_model
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from tqdm import tqdm

from modeling.adapters import load_adapter_weights, merge_adapter, verify_adapter
from modeling.loading import cpu_supports_bf16, load_model, load_tokenizer
from protocol.plan_prompt import PlanTemplate
from protocol.prompt import PromptTemplate
from protocol.records import atomic_write_text, iter_jsonl
from training.checkpointing import load_checkpoint, rng_state, save_checkpoint
from training.compilation import compile_decoder_layers
from training.config import CONFIG_FILE_NAME, ConfigError, TrainConfig
from training.data import DataError, Example, collate, plan_epoch, split_validation
from training.loss import CompletionLoss
from training.token_cache import load_examples

logger = logging.getLogger(__name__)


def check_target_modules(model: nn.Module, targets: list[str]) -> None:
    """Fail early, listing the model's linear layers, when a LoRA target names none of them."""
    linear = {name.rsplit(".", 1)[-1] for name, module in model.named_modules() if isinstance(module, nn.Linear)}
    unknown = [target for target in targets if target not in linear]
    if unknown:
        raise ConfigError(
            f"--lora_target_modules {unknown} match no linear layer of this model; choose from {sorted(linear)}"
        )


def keep_adapter_inputs_in_compute_dtype(model: nn.Module) -> None:
    """Stop PEFT copying every LoRA layer's input to the adapter's fp32: under bf16 autocast the adapter's
    matmuls run in bf16 anyway, so the copy (and its backward) changes no number and cost ~5% of a CPU step."""
    for module in model.modules():
        if hasattr(module, "cast_input_dtype_enabled"):
            module.cast_input_dtype_enabled = False


def lr_lambda(warmup_steps: int, total_steps: int):
    """Linear warm-up, then cosine decay to zero."""

    def factor(step: int) -> float:
        if step < warmup_steps:
            return (step + 1) / (warmup_steps + 1)
        progress = (step - warmup_steps) / max(1, total_steps - warmup_steps)
        return 0.5 * (1.0 + math.cos(math.pi * min(1.0, progress)))

    return factor


def to_device(batch: dict[str, torch.Tensor | None], device: str) -> dict[str, torch.Tensor | None]:
    return {key: None if value is None else value.to(device) for key, value in batch.items()}


@torch.no_grad()
def evaluate(
    loss_module: nn.Module, *, examples: list[Example], micro_batch_size: int, pad_id: int, device: str, autocast
) -> float:
    """Token-weighted loss over ``examples``, shared among the ranks and summed over them."""
    rank, world_size = (dist.get_rank(), dist.get_world_size()) if dist.is_initialized() else (0, 1)
    mine = sorted(examples[rank::world_size], key=len)
    totals = torch.zeros(2, dtype=torch.float64)
    loss_module.eval()
    for start in range(0, len(mine), micro_batch_size):
        batch = collate(mine[start : start + micro_batch_size], pad_id)
        with autocast():
            loss_sum, count = loss_module(**to_device(batch, device))
        totals += torch.tensor([loss_sum.item(), count.item()], dtype=torch.float64)
    loss_module.train()
    if dist.is_initialized():
        dist.all_reduce(totals)
    return (totals[0] / totals[1].clamp(min=1)).item()


def run(cfg: TrainConfig, resume: Path | None = None) -> dict[str, Any] | None:
    """Fine-tune ``cfg.base_model`` with LoRA on ``cfg.data_path``, going on from the checkpoint ``resume`` if
    given; returns the final metrics on rank 0. ``cfg`` and ``resume`` come from :func:`training.preflight.preflight`.
    """
    # ---- distributed set-up: one process per device (torchrun sets these variables)
    rank, local_rank = int(os.environ.get("RANK", "0")), int(os.environ.get("LOCAL_RANK", "0"))
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    ddp = world_size > 1
    device = f"cuda:{local_rank}" if torch.cuda.is_available() else "cpu"
    if ddp and not dist.is_initialized():
        dist.init_process_group(backend="nccl" if device.startswith("cuda") else "gloo")
    if device.startswith("cuda"):
        torch.cuda.set_device(device)
    master = rank == 0
    local_world = int(os.environ.get("LOCAL_WORLD_SIZE", world_size))
    torch.set_num_threads(cfg.num_threads or max(1, (os.cpu_count() or 1) // local_world))

    # ---- data: validated records -> token ids with their loss spans, cached across runs (fails before the model loads)
    template = PromptTemplate.load(cfg.prompt_template)
    tokenizer = load_tokenizer(cfg.base_model)
    data = load_examples(
        cfg.data_path,
        template,
        tokenizer,
        cfg.cutoff_len,
        train_on_inputs=cfg.train_on_inputs,
        merge_trajectories=cfg.merge_trajectories,
    )
    examples = data.examples
    train_set, val_set = split_validation(examples, cfg.val_set_size, cfg.seed) if cfg.val_set_size else (examples, [])
    if len(train_set) < cfg.batch_size:
        raise DataError(
            f"{len(train_set)} training examples are fewer than one global batch of {cfg.batch_size}; "
            f"use --batch_size {max(cfg.micro_batch_size * world_size, len(train_set) // (cfg.micro_batch_size * world_size) * cfg.micro_batch_size * world_size)} or more data"
        )
    steps_per_epoch = len(train_set) // cfg.batch_size
    total_steps = cfg.max_steps or math.ceil(cfg.num_epochs * steps_per_epoch)
    lengths = [len(example) for example in train_set]

    # ---- model: base (bf16 / 8-bit / 4-bit), LoRA adapters in fp32, loss that skips masked positions
    model, _ = load_model(
        cfg.base_model, dtype=cfg.dtype, device=device, load_in_8bit=cfg.load_in_8bit, load_in_4bit=cfg.load_in_4bit
    )
    check_target_modules(model, cfg.lora_target_modules)
    if cfg.gradient_checkpointing:
        model.activation_checkpointing_enable(activation_checkpointing_kwargs={"use_reentrant": False})
    model.config.use_cache = False
    torch.manual_seed(cfg.seed)  # the same LoRA initialisation on every rank
    num_layers = model.config.num_hidden_layers
    top = min(cfg.lora_top_layers or num_layers, num_layers)
    lora = LoraConfig(
        r=cfg.lora_r,
        lora_alpha=cfg.lora_alpha,
        lora_dropout=cfg.lora_dropout,
        target_modules=cfg.lora_target_modules,
        layers_to_transform=list(range(num_layers - top, num_layers)),
        task_type="CAUSAL_LM",
    )
    model = get_peft_model(model, lora)
    model.train()
    compute_dtype = model.get_base_model().dtype if not (cfg.load_in_4bit or cfg.load_in_8bit) else torch.bfloat16
    use_autocast = compute_dtype == torch.bfloat16 and (device.startswith("cuda") or cpu_supports_bf16())
    if use_autocast:
        keep_adapter_inputs_in_compute_dtype(model)
    compiled = cfg.compile and compile_decoder_layers(model, device)
    params = [p for p in model.parameters() if p.requires_grad]

    def autocast():
        return torch.autocast(torch.device(device).type, dtype=torch.bfloat16, enabled=use_autocast)

    optimizer = torch.optim.AdamW(params, lr=cfg.learning_rate, weight_decay=cfg.weight_decay, fused=True)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lr_lambda(cfg.warmup_steps, total_steps))
    loss_module = CompletionLoss(model, compile=compiled)
    runner = (
        DistributedDataParallel(
            loss_module, device_ids=[local_rank] if device != "cpu" else None, forward_sync_buffers=False
        )
        if ddp
        else loss_module
    )

    # ---- resume: the latest complete checkpoint in output_dir, or the one named
    output = Path(cfg.output_dir)
    step = 0
    if resume:
        step = load_checkpoint(resume, model, optimizer, scheduler, rank=rank, world_size=world_size)["step"]
    else:
        if cfg.init_adapter:
            load_adapter_weights(model, cfg.init_adapter)
        torch.manual_seed(cfg.seed + rank)  # a different dropout stream per rank
    metrics_path = output / "metrics.jsonl"
    writer = None
    if master:
        output.mkdir(parents=True, exist_ok=True)
        atomic_write_text(output / CONFIG_FILE_NAME, cfg.to_yaml())
        template.save(output)
        if data.plan_records:  # the planner prompt goes with the adapter too
            PlanTemplate.load(template.language).save(output)
        if metrics_path.exists():  # drop rows past the resume point, which the resumed run rewrites
            kept = [row for row in iter_jsonl(metrics_path) if row.get("step", 0) <= step]
            atomic_write_text(metrics_path, "".join(json.dumps(row) + "\n" for row in kept))
        from torch.utils.tensorboard import SummaryWriter

        writer = SummaryWriter(str(output / "tensorboard"))
        logger.info(
            "%d train / %d val examples, %d steps (%d per epoch), global batch %d = %d micro x %d accumulation x %d "
            "ranks, trainable parameters %d, compute %s",
            len(train_set), len(val_set), total_steps, steps_per_epoch, cfg.batch_size, cfg.micro_batch_size,
            cfg.batch_size // (cfg.micro_batch_size * world_size), world_size, sum(p.numel() for p in params),
            "bf16 autocast" if use_autocast else compute_dtype,
        )  # fmt: skip

    def log(row: dict[str, Any]) -> None:
        with metrics_path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(row) + "\n")
        for key, value in row.items():
            if key != "step":
                writer.add_scalar(key, value, row["step"])

    # ---- the training loop
    progress = tqdm(total=total_steps, initial=step, disable=not master, desc="train", unit="step")
    last: dict[str, Any] = {}
    started, tokens_seen, loss_tokens_seen = time.perf_counter(), 0, 0
    while step < total_steps:
        epoch, offset = divmod(step, steps_per_epoch)
        plan = plan_epoch(
            lengths,
            batch_size=cfg.batch_size,
            micro_batch_size=cfg.micro_batch_size,
            world_size=world_size,
            seed=cfg.seed,
            epoch=epoch,
            group_by_length=cfg.group_by_length,
        )
        for step_plan in plan[offset:]:
            if step >= total_steps:
                break
            batch_members = [train_set[i] for micros in step_plan for micro in micros for i in micro]
            global_loss_tokens = sum(example.loss_tokens for example in batch_members)
            step_loss = torch.zeros((), dtype=torch.float64)
            for index, micro in enumerate(step_plan[rank]):
                batch = to_device(collate([train_set[i] for i in micro], tokenizer.pad_token_id), device)
                last_micro = index == len(step_plan[rank]) - 1
                with runner.no_sync() if ddp and not last_micro else contextlib.nullcontext(), autocast():
                    loss_sum, _ = runner(**batch)
                    # DDP averages gradients over ranks, hence x world_size: the step's gradient is that of
                    # the mean loss over every loss token of the global batch, however it is split.
                    (loss_sum * (world_size / max(1, global_loss_tokens))).backward()
                step_loss += loss_sum.detach().double()
            grad_norm = nn.utils.clip_grad_norm_(params, cfg.max_grad_norm)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad(set_to_none=True)
            step += 1
            tokens_seen += sum(len(example) for example in batch_members)
            loss_tokens_seen += global_loss_tokens

            if step % cfg.logging_steps == 0 or step == total_steps:
                if ddp:
                    dist.all_reduce(step_loss)
                elapsed = time.perf_counter() - started
                last = {
                    "step": step,
                    "epoch": round(step / steps_per_epoch, 3),
                    "loss": step_loss.item() / max(1, global_loss_tokens),
                    "lr": scheduler.get_last_lr()[0],
                    "grad_norm": float(grad_norm),
                    "tokens_per_s": tokens_seen / elapsed,
                    "loss_tokens_per_s": loss_tokens_seen / elapsed,
                    "tokens": tokens_seen,  # of this process's run (not counting steps before a resume)
                    "loss_tokens": loss_tokens_seen,
                    "elapsed_s": elapsed,
                }
                if master:
                    log(last)
                    progress.set_postfix(loss=f"{last['loss']:.4f}", tok_s=f"{last['tokens_per_s']:.0f}")
            if val_set and (step % cfg.eval_steps == 0 or step == total_steps):
                last["eval_loss"] = evaluate(
                    loss_module,
                    examples=val_set,
                    micro_batch_size=cfg.micro_batch_size,
                    pad_id=tokenizer.pad_token_id,
                    device=device,
                    autocast=autocast,
                )
                if master:
                    log({"step": step, "eval_loss": last["eval_loss"]})
                    logger.info("step %d: eval loss %.4f", step, last["eval_loss"])
            if step % cfg.save_steps == 0 or step == total_steps:
                states = [None] * world_size
                if ddp:
                    dist.all_gather_object(states, rng_state())
                else:
                    states = [rng_state()]
                if master:
                    position = {"epoch": epoch, "step_in_epoch": step - epoch * steps_per_epoch, "last": last}
                    save_checkpoint(
                        output,
                        step,
                        model=model,
                        optimizer=optimizer,
                        scheduler=scheduler,
                        rng_states=states,
                        state=position,
                        keep=cfg.save_total_limit,
                    )
                if ddp:
                    dist.barrier()
            progress.update(1)
    progress.close()

    # ---- the final adapter (standard PEFT), verified non-empty; optionally a merged model
    result = None
    if master:
        writer.close()
        model.save_pretrained(output)
        tensors = verify_adapter(output)
        logger.info("adapter with %d tensors written to %s", tensors, output)
        if cfg.merge:
            merge_adapter(cfg.base_model, output, output / "merged", dtype=cfg.dtype)
        result = {"output_dir": str(output), "steps": step, **{k: v for k, v in last.items() if k != "step"}}
    if ddp:
        dist.barrier()
        # Free DDP's reducer while the default group still holds the process group. A reducer that drops
        # the group's last reference destroys it with the GIL held; gloo's worker threads, which may still
        # need the GIL to free a finished collective's tensors, then never finish (a hang or an abort at
        # exit: 3 in 24 launches of a 2-rank script). destroy_process_group releases the GIL meanwhile.
        del runner
        gc.collect()
        dist.destroy_process_group()
    return result
