"""Training throughput: lora_finetune.py against the original recipe's configuration, on the same samples.

    .venv/bin/python benchmarks/bench_train.py [--data_path train.json] [--samples 200] [--steps 6] [--attention_bound]

Reference (GPT4Tools / alpaca-lora): HF Trainer, fp32, LoRA r16 on q,k,v,o, micro batch 4, no length grouping,
padding to the longest with pad_to_multiple_of 8, loss on the whole prompt. Ours: lora_finetune.py with its
CPU recipe (``configs/train/smollm2_cpu.yaml``), in one process and, as ``ours-ddp``, under ``torchrun`` with one
single-threaded process per core; with ``--attention_bound``, ``free-attn``: ``ours-ddp`` with a free stand-in for
attention, an upper bound. All run the same number of optimizer steps of the same
global batch, each in its own process (so peak memory is its own). Throughput is the steady state: the
first step (warm-up, and for ours the compilation) is timed apart and left out. Printed: tokens/s (real
tokens and loss tokens), peak RSS, the speed ratio, and the achieved FLOP/s as a fraction of a bf16 matmul
measured in this run, with the rate of the model's own projection matmuls (hidden size 576) beside it.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from modeling.threads import openmp_environment  # noqa: E402  (the repository root is on the path only now)

os.environ.update(openmp_environment(os.environ))  # before torch loads (modeling/threads.py)
REFERENCE_MICRO_BATCH = 4  # alpaca-lora / GPT4Tools' micro batch
DDP_PROCESSES = os.cpu_count() or 1  # ours-ddp: one single-threaded process per core


def matmul_peak(dtype_name: str, size: int = 2048, repeats: int = 5) -> float:
    """FLOP/s of a dense ``size``^3 matmul in ``dtype_name`` (best of ``repeats``)."""
    import torch

    dtype = getattr(torch, dtype_name)
    a, b = torch.randn(size, size, dtype=dtype), torch.randn(size, size, dtype=dtype)
    a @ b
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - start)
    return 2 * size**3 / best


def layer_matmul_rate(model_config: dict, tokens: int, repeats: int = 5) -> float:
    """bf16 FLOP/s of one decoder layer's projections (q, k, v, o, gate, up, down) on ``tokens`` rows: how
    fast this model's own matmul shapes run, to tell shape-bound from overhead-bound."""
    import torch

    d, inter = model_config["hidden_size"], model_config["intermediate_size"]
    kv = d * model_config["num_key_value_heads"] // model_config["num_attention_heads"]
    shapes = [(d, d), (d, kv), (d, kv), (d, d), (d, inter), (d, inter), (inter, d)]
    inputs = {k: torch.randn(tokens, k, dtype=torch.bfloat16) for k in (d, inter)}
    weights = [torch.randn(k, n, dtype=torch.bfloat16) for k, n in shapes]
    flops = sum(2 * tokens * k * n for k, n in shapes)
    best = float("inf")
    for _ in range(repeats + 1):
        start = time.perf_counter()
        for (k, _n), weight in zip(shapes, weights, strict=True):
            inputs[k] @ weight
        best = min(best, time.perf_counter() - start)
    return flops / best


def make_data(samples: int, out_dir: Path) -> Path:
    """``samples`` generated records: the data generator's quick recipe, or PromptTemplate + catalogue."""
    try:
        subprocess.run(
            [sys.executable, "-m", "data_gen", "--config", "quick", "--out_dir", str(out_dir / "gen"),
             "--max_samples", str(samples), "--teacher", "template"],
            cwd=ROOT, check=True, capture_output=True, timeout=600,
        )  # fmt: skip
        return out_dir / "gen" / "train.json"
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        print(f"data_gen unavailable ({type(exc).__name__}); rendering {samples} records from the catalogue")
        from protocol.records import write_records
        from tests.sample_records import make_records

        write_records(out_dir / "train.json", make_records(samples))
        return out_dir / "train.json"


def flops_per_token(model_config: dict, context: float, head_fraction: float, backward_layers: int) -> float:
    """FLOPs per token: the forward of every layer (2 x params), the input-gradient backward of the top
    ``backward_layers`` (2 x params each; frozen weights need no weight gradient), attention (forward over
    ``context`` earlier positions on average, backward twice that), the vocabulary head on ``head_fraction``
    of the tokens; LoRA's own FLOPs are negligible and left out."""
    d, layers = model_config["hidden_size"], model_config["num_hidden_layers"]
    kv = d * model_config["num_key_value_heads"] // model_config["num_attention_heads"]
    per_layer = 2 * d * d + 2 * d * kv + 3 * d * model_config["intermediate_size"]
    attention = 4 * d * context  # QK^T and AV, 2 FLOPs per multiply-add, over the causal half
    forward = layers * (2 * per_layer + attention)
    backward = backward_layers * (2 * per_layer + 2 * attention)
    return forward + backward + 4 * d * model_config["vocab_size"] * head_fraction


def run_ours(data_path: str, steps: int, batch_size: int, out: str) -> dict:
    import lora_finetune

    lora_finetune.train(
        data_path=data_path, output_dir=out, max_steps=steps, batch_size=batch_size, val_set_size=0,
        save_steps=10**9, warmup_steps=0,
    )  # fmt: skip
    return steady_throughput(out)


def run_ours_ddp(
    data_path: str, steps: int, batch_size: int, out: str, trainer: Path = ROOT / "lora_finetune.py"
) -> dict:
    """The same recipe under ``torchrun``: one single-threaded process per core, the global batch split
    between them (DDP over gloo)."""
    subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", str(DDP_PROCESSES),
         str(trainer), "--data_path", data_path, "--output_dir", out, "--max_steps", str(steps),
         "--batch_size", str(batch_size), "--micro_batch_size", str(batch_size // DDP_PROCESSES), "--val_set_size", "0",
         "--save_steps", str(10**9), "--warmup_steps", "0"],
        cwd=ROOT, check=True, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    return steady_throughput(out)


def run_free_attention(data_path: str, steps: int, batch_size: int, out: str) -> dict:
    """``ours-ddp`` with attention replaced by a free stand-in (``free_attention_trainer.py``): an upper bound."""
    return run_ours_ddp(data_path, steps, batch_size, out, Path(__file__).with_name("free_attention_trainer.py"))


def steady_throughput(out: str) -> dict:
    """Tokens/s over steps 2..N of a run's ``metrics.jsonl`` (step 1, with any compilation, timed apart)."""
    rows = [json.loads(line) for line in (Path(out) / "metrics.jsonl").read_text().splitlines()]
    timed = [row for row in rows if "elapsed_s" in row]
    first, last = timed[0], timed[-1]
    seconds = last["elapsed_s"] - first["elapsed_s"]
    return {"tokens_per_s": (last["tokens"] - first["tokens"]) / seconds,
            "loss_tokens_per_s": (last["loss_tokens"] - first["loss_tokens"]) / seconds,
            "first_step_s": first["elapsed_s"]}  # fmt: skip


def run_reference(data_path: str, steps: int, batch_size: int, out: str) -> dict:
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import DataCollatorForSeq2Seq, Trainer, TrainerCallback, TrainingArguments

    from modeling.loading import load_model
    from protocol.prompt import PromptTemplate
    from protocol.records import read_records

    model, tokenizer = load_model(dtype="fp32")
    model = get_peft_model(model, LoraConfig(r=16, lora_alpha=16, lora_dropout=0.05, task_type="CAUSAL_LM",
                                             target_modules=["q_proj", "k_proj", "v_proj", "o_proj"]))  # fmt: skip
    template = PromptTemplate.load("en")
    rows = []
    for record in read_records(data_path):
        ids, _ = template.encode(
            tokenizer, *template.training_pair(record.instruction, record.input, record.output, tokenizer)
        )
        rows.append({"input_ids": ids, "attention_mask": [1] * len(ids), "labels": list(ids)})
    tokenizer.padding_side = "right"
    accumulation = batch_size // REFERENCE_MICRO_BATCH
    collated: list[int] = []  # real tokens of each micro batch, in training order
    step_ends: list[float] = []

    class StepTimes(TrainerCallback):
        def on_step_begin(self, args, state, control, **kwargs):
            if not step_ends:  # the start of step 1
                step_ends.append(time.perf_counter())

        def on_step_end(self, args, state, control, **kwargs):
            step_ends.append(time.perf_counter())

    collator = DataCollatorForSeq2Seq(tokenizer, pad_to_multiple_of=8, padding=True, return_tensors="pt")

    def collate(features):
        collated.append(sum(len(f["input_ids"]) for f in features))
        return collator(features)

    arguments = TrainingArguments(
        output_dir=out, per_device_train_batch_size=REFERENCE_MICRO_BATCH, max_steps=steps, learning_rate=3e-4,
        gradient_accumulation_steps=accumulation, report_to=[], save_strategy="no",
        logging_steps=1, use_cpu=True, bf16=False, dataloader_num_workers=0,
    )  # fmt: skip
    torch.manual_seed(0)
    Trainer(model=model, args=arguments, train_dataset=rows, data_collator=collate, callbacks=[StepTimes()]).train()
    # step_ends[0] is the start of step 1; steps 2..N are timed, on their own micro batches (the loader reads
    # one batch ahead, so the count is taken by position, not by time)
    seconds = step_ends[-1] - step_ends[1]
    tokens = sum(collated[accumulation : accumulation * steps])
    return {"tokens_per_s": tokens / seconds, "loss_tokens_per_s": tokens / seconds,
            "first_step_s": step_ends[1] - step_ends[0]}  # fmt: skip


def data_shape(data_path: str) -> dict:
    """Mean tokens, loss tokens and causal attention pairs per record (for the FLOP estimate)."""
    from modeling.loading import load_tokenizer
    from protocol.prompt import PromptTemplate
    from protocol.records import read_records
    from training.data import tokenize_records

    examples, _ = tokenize_records(
        read_records(data_path), PromptTemplate.load("en"), load_tokenizer(), cutoff_len=4096
    )
    return {
        "tokens": sum(len(e) for e in examples) / len(examples),
        "loss_tokens": sum(e.loss_tokens for e in examples) / len(examples),
        "square_tokens": sum(len(e) ** 2 / 2 for e in examples) / len(examples),
    }


def main(
    *,
    data_path: str | None = None,
    samples: int = 200,
    steps: int = 6,
    batch_size: int = 8,
    only: str | None = None,
    out: str | None = None,
    attention_bound: bool = False,
) -> None:
    """Run the configurations (each in a subprocess: ``--only NAME --out DIR``) and print the table;
    ``attention_bound`` adds ``ours-ddp`` with a free stand-in for attention (``free_attention_trainer.py``), its
    fraction of the peak counted with the attention FLOPs it skipped."""
    from modeling.loading import resolve_base_model
    from training.config import DEFAULT_CONFIG, build_config

    if steps < 2:
        raise SystemExit("--steps must be at least 2: the first step is warm-up and is not timed")
    if only:
        runners = {
            "ours": run_ours,
            "ours-ddp": run_ours_ddp,
            "free-attn": run_free_attention,
            "reference": run_reference,
        }
        result = runners[only](data_path, steps, batch_size, out)
        in_process = only in ("ours", "reference")
        usage = resource.RUSAGE_SELF if in_process else resource.RUSAGE_CHILDREN  # DDP: the largest rank
        result["peak_rss_mb"] = resource.getrusage(usage).ru_maxrss / 1024
        print(json.dumps(result))
        return

    workdir = Path(tempfile.mkdtemp(prefix="bench-train-"))
    if data_path:  # the same first ``samples`` records for both
        from protocol.records import read_records, write_records

        data = str(workdir / "train.json")
        write_records(data, read_records(data_path)[:samples])
    else:
        data = str(make_data(samples, workdir))
    results = {}
    names = ["reference", "ours"] + (["ours-ddp"] if DDP_PROCESSES > 1 and batch_size % DDP_PROCESSES == 0 else [])
    names += ["free-attn"] if attention_bound else []
    for name in names:
        done = subprocess.run(
            [sys.executable, __file__, "--only", name, "--data_path", data, "--steps", str(steps),
             "--batch_size", str(batch_size), "--out", str(workdir / name)],
            check=True, stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        results[name] = json.loads(done.stdout.strip().splitlines()[-1])
    peak = {dtype: matmul_peak(dtype) for dtype in ("bfloat16", "float32")}
    shape = data_shape(data)
    config = json.loads((Path(resolve_base_model()) / "config.json").read_text())
    context = shape["square_tokens"] / shape["tokens"]
    recipe = build_config(str(DEFAULT_CONFIG))
    layers = config["num_hidden_layers"]
    per_token = flops_per_token(
        config, context, shape["loss_tokens"] / shape["tokens"], recipe.lora_top_layers or layers
    )
    ref_per_token = flops_per_token(config, context, 1.0, layers)
    print(f"data: {data} ({samples} samples; mean {shape['tokens']:.0f} tokens, {shape['loss_tokens']:.0f} carry loss)")
    print(f"steps {steps} x global batch {batch_size} (micro: reference {REFERENCE_MICRO_BATCH}, ours {recipe.micro_batch_size}; ours: LoRA "
          f"in the top {recipe.lora_top_layers or layers} of {layers} layers, compile {recipe.compile}), "
          f"threads {os.cpu_count()}, load average at end {os.getloadavg()[0]:.1f}")  # fmt: skip
    print(f"matmul 2048^3: bf16 {peak['bfloat16'] / 1e9:.0f} GFLOP/s, fp32 {peak['float32'] / 1e9:.0f} GFLOP/s")
    rows = round(recipe.micro_batch_size * shape["tokens"])
    projections = layer_matmul_rate(config, rows)
    print(f"one layer's projections on {rows} token rows (a micro batch): {projections / 1e9:.0f} GFLOP/s, "
          f"{projections / peak['bfloat16']:.0%} of the 2048^3 rate")  # fmt: skip
    print(f"{'':10} {'tokens/s':>9} {'loss tok/s':>10} {'peak RSS':>9} {'GFLOP/s':>8} {'of bf16 peak':>12} "
          f"{'step 1 (s)':>10}")  # fmt: skip
    for name in names:
        flops = ref_per_token if name == "reference" else per_token
        r = results[name]
        achieved = flops * r["tokens_per_s"]
        print(f"{name:10} {r['tokens_per_s']:9.1f} {r['loss_tokens_per_s']:10.1f} {r['peak_rss_mb']:8.0f}M "
              f"{achieved / 1e9:8.1f} {achieved / peak['bfloat16']:12.1%} {r['first_step_s']:10.1f}")  # fmt: skip
    ratio = results["ours"]["tokens_per_s"] / results["reference"]["tokens_per_s"]
    print(f"speed-up (real tokens/s): {ratio:.2f}x (target >= 3x); "
          f"loss tokens/s: ours {results['ours']['loss_tokens_per_s']:.1f} vs reference "
          f"{results['reference']['loss_tokens_per_s']:.1f} (the reference trains on the prompt too)")  # fmt: skip
    if "free-attn" in results:
        print("free-attn: ours-ddp with attention replaced by a free stand-in (the query passed through), its FLOPs "
              "counted as if it ran: the most faster attention kernels could give")  # fmt: skip
    if "ours-ddp" in results:
        print(f"ours-ddp: torchrun, {DDP_PROCESSES} single-threaded processes, micro batch {batch_size // DDP_PROCESSES} "
              f"each (peak RSS of the largest process; the run holds {DDP_PROCESSES} of them): "
              f"{results['ours-ddp']['tokens_per_s'] / results['reference']['tokens_per_s']:.2f}x the reference")  # fmt: skip


if __name__ == "__main__":
    import fire

    fire.Fire(main)
