"""Batch inference speed: inference.py's pipeline against the original GPT4Tools configuration, same run.

    .venv/bin/python benchmarks/bench_inference.py [--ann_path val.json] [--samples 100] [--baseline_samples 10] [--batch_size 50] [--plain]

Ours: the embedded SmolLM2 through ``load_for_inference`` + ``HFGenerator`` (bf16 where supported, batches
sorted by length with left padding, the prefix the batch's prompts share prefilled once, KV cache, stop at
``Observation:`` / end of turn) driven by ``evaluation.predict.run_inference`` exactly as
``inference.py`` does, writing JSONL. With ``--plain`` ours also runs without prefix sharing
(``prefix_cache_mb=0``) on the same records, and the two are compared.
Original: batch 1, fp32, ``model.generate`` with no stop sequence (end-of-sequence only), max_new_tokens 512,
transformers' SDPA attention.
Both are greedy on the same wrapped prompts, with the base model alone or, with ``--lora_model DIR``, merged
with that adapter. The original is slow, so by default it runs on an evenly spaced
subset; samples/s are compared per sample, and the parsed first steps are compared on that subset.
Without ``--ann_path`` it builds samples from the prompt template and the tool catalogue.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # this checkout's packages, not an installed copy
from modeling.threads import openmp_environment

os.environ.update(openmp_environment(os.environ))  # before torch loads (modeling/threads.py)

import torch

from evaluation.predict import LocalModelBackend, run_inference
from evaluation.prediction_files import read_written
from generation.generator import HFGenerator
from modeling.loading import EMBEDDED_MODEL, load_for_inference
from protocol.prompt import PromptTemplate
from protocol.records import Record, read_records
from protocol.steps import FinalAnswer, ObservedStep, ParseError, ToolCall, parse_reply
from tools.catalog import TOOL_SPECS

ORIGINAL_MAX_NEW_TOKENS = 512


def built_samples(count: int) -> list[Record]:
    """Validation-like samples (first steps and continuations) from the template and the catalogue."""
    template = PromptTemplate.load("en")
    records = []
    for i in range(count):
        spec = TOOL_SPECS[i % len(TOOL_SPECS)]
        image = f"image/{i:04x}beef.png"
        history = template.introduce_image(image, "a dog runs on the grass next to a red car.")
        args = ", ".join(image if arg.kind == "image" else "a dog on the grass" for arg in spec.inputs)
        call = ToolCall("Do I need to use a tool? Yes", spec.name, args)
        request = f"Please use '{spec.name.lower()}' on {image}"
        scratchpad = (
            PromptTemplate.render_scratchpad([ObservedStep(call, f"image/{i:04x}_out.png")]) if i % 3 == 2 else ""
        )
        output = FinalAnswer("Do I need to use a tool? No", "Done.").render() if scratchpad else call.render()
        records.append(Record(template.render_instruction(TOOL_SPECS, history, request), scratchpad, output, str(i)))
    return records


def step_key(text: str) -> tuple:
    """What must agree between the two runs: the kind of first step, its tool and arguments or answer."""
    step = parse_reply(text)
    if isinstance(step, ToolCall):
        return ("tool", step.tool, step.action_input)
    if isinstance(step, FinalAnswer):
        return ("answer", step.answer)
    return ("unparsed",)


def run_ours(
    records: list[Record], batch_size: int, max_new_tokens: int, lora: str | None, **generator_options: Any
) -> tuple[float, dict[str, str], str]:
    model, tokenizer, template = load_for_inference(EMBEDDED_MODEL, lora)
    dtype = str(next(model.parameters()).dtype)
    with tempfile.TemporaryDirectory() as tmp:
        backend = LocalModelBackend(HFGenerator(model, tokenizer, template, batch_size=batch_size, **generator_options))
        start = time.perf_counter()
        run_inference(
            backend, records, Path(tmp) / "out" / "bench.jsonl", batch_size=batch_size, max_new_tokens=max_new_tokens
        )
        seconds = time.perf_counter() - start
        predictions = read_written(Path(tmp) / "out")
    return seconds, predictions, dtype


def run_original(records: list[Record], lora: str | None) -> tuple[float, dict[str, str]]:
    model, tokenizer, template = load_for_inference(EMBEDDED_MODEL, lora, dtype="fp32")
    model.set_attn_implementation("sdpa")  # transformers' own attention, as the original ran (modeling/attention.py)
    outputs = {}
    start = time.perf_counter()
    with torch.inference_mode():
        for record in records:
            prompt = template.wrap(record.instruction, record.input, tokenizer)
            ids = torch.tensor([template.encode(tokenizer, prompt)[0]])
            generated = model.generate(ids, max_new_tokens=ORIGINAL_MAX_NEW_TOKENS, do_sample=False)
            outputs[str(record.id)] = tokenizer.decode(generated[0, ids.shape[1] :], skip_special_tokens=True)
    return time.perf_counter() - start, outputs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ann_path", help="validation records (e.g. from python -m data_gen); built if absent")
    parser.add_argument("--samples", type=int, default=100)
    parser.add_argument("--baseline_samples", type=int, default=10, help="subset the original configuration runs")
    parser.add_argument("--batch_size", type=int, default=50)
    parser.add_argument("--max_new_tokens", type=int, default=ORIGINAL_MAX_NEW_TOKENS)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--lora_model", help="an adapter directory: both configurations run the fine-tuned model")
    parser.add_argument("--plain", action="store_true", help="also run ours without prefix sharing, for comparison")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    torch.set_num_threads(args.threads)

    records = read_records(args.ann_path)[: args.samples] if args.ann_path else built_samples(args.samples)
    records = [
        r if r.id is not None else Record(r.instruction, r.input, r.output, str(i)) for i, r in enumerate(records)
    ]
    stride = max(1, len(records) // max(1, args.baseline_samples))
    subset = records[::stride][: args.baseline_samples]

    ours_s, ours, dtype = run_ours(records, args.batch_size, args.max_new_tokens, args.lora_model)
    if args.plain:
        plain_s, plain, _ = run_ours(records, args.batch_size, args.max_new_tokens, args.lora_model, prefix_cache_mb=0)
    base_s, base = run_original(subset, args.lora_model)

    ours_rate, base_rate = len(records) / ours_s, len(subset) / base_s
    same = sum(step_key(ours[r.id]) == step_key(base[r.id]) for r in subset)
    same_tool = sum(step_key(ours[r.id])[:2] == step_key(base[r.id])[:2] for r in subset)
    parsed = sum(not isinstance(parse_reply(ours[r.id]), ParseError) for r in records)
    source = args.ann_path or "built from the template + catalogue"
    model = f"SmolLM2 + {args.lora_model}" if args.lora_model else "zero-shot SmolLM2"
    print(f"samples: {len(records)} ({source}); {model}; threads: {args.threads}; torch {torch.__version__}")
    print(f"{'configuration':58} {'samples':>7} {'seconds':>8} {'samples/s':>9}")
    print(
        f"{'original: batch 1, fp32, no stop, max_new_tokens 512':58} {len(subset):>7} {base_s:>8.1f} {base_rate:>9.3f}"
    )
    print(
        f"{f'inference.py: batch {args.batch_size}, {dtype}, stop at Observation:/end of turn':58} "
        f"{len(records):>7} {ours_s:>8.1f} {ours_rate:>9.3f}"
    )
    if args.plain:
        label = "inference.py without prefix sharing (prefix_cache_mb=0)"
        print(f"{label:58} {len(records):>7} {plain_s:>8.1f} {len(records) / plain_s:>9.3f}")
    print(f"speed-up: {ours_rate / base_rate:.1f}x (target >= 10x)")
    if args.plain:
        agree = sum(step_key(ours[r.id]) == step_key(plain[r.id]) for r in records)
        print(
            f"prefix sharing: {plain_s / ours_s:.2f}x; same parsed first step with and without: {agree}/{len(records)}"
        )
    print(
        f"same parsed first step (kind, tool, arguments/answer): {same}/{len(subset)}; "
        f"same kind and tool: {same_tool}/{len(subset)}; ours parses: {parsed}/{len(records)}"
    )


if __name__ == "__main__":
    main()
