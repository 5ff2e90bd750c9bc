"""The generation report: counts per split, kind, tool, language and session scenario; prompt and reply lengths in
tokens."""

from __future__ import annotations

import random
import statistics
from collections import Counter
from collections.abc import Sequence
from typing import Any

from tqdm.auto import tqdm

from data_gen.builders import Sample
from data_gen.tasks import SAMPLE_KINDS
from protocol.prompt import PromptTemplate


def _stats(values: Sequence[int]) -> dict[str, float]:
    if not values:
        return {}
    ordered = sorted(values)
    return {
        "mean": round(statistics.fmean(ordered), 1),
        "median": ordered[len(ordered) // 2],
        "p95": ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))],
        "max": ordered[-1],
    }


def token_lengths(
    samples: Sequence[Sample], templates: dict[str, PromptTemplate], tokenizer: Any, limit: int | None, seed: int
) -> dict[str, Any]:
    """Prompt (wrapped instruction + scratchpad) and reply (output + end of turn) lengths of a sample of records."""
    chosen = list(samples)
    if limit is not None and len(chosen) > limit:
        chosen = random.Random(seed).sample(chosen, limit)
    prompts, replies = [], []
    for sample in chosen:
        prompt, completion = templates[sample.language].training_pair(
            sample.record.instruction, sample.record.input, sample.record.output, tokenizer
        )
        prompts.append(prompt)
        replies.append(completion)
    lengths: dict[str, list[int]] = {"prompt": [], "reply": []}
    for name, texts in (("prompt", prompts), ("reply", replies)):
        for start in tqdm(range(0, len(texts), 512), desc=f"{name} token lengths", unit="batch", mininterval=1.0):
            encoded = tokenizer(texts[start : start + 512], add_special_tokens=False)["input_ids"]
            lengths[name].extend(len(ids) for ids in encoded)
    return {
        "measured_records": len(chosen),
        "prompt_tokens": _stats(lengths["prompt"]),
        "reply_tokens": _stats(lengths["reply"]),
    }


def build_report(
    splits: dict[str, list[Sample]],
    *,
    config: dict[str, Any],
    held_out: Sequence[str],
    teacher: dict[str, Any],
    validation: dict[str, Any],
    dropped: dict[str, int],
    seconds: float,
    lengths: dict[str, Any] | None,
) -> dict[str, Any]:
    report: dict[str, Any] = {
        "seconds": round(seconds, 1),
        "held_out_tools": list(held_out),
        "splits": {},
        "teacher": teacher,
        "validation": validation,
        "dropped_after_build": dropped,
        "config": config,
    }
    for name, samples in splits.items():
        tool_counts = Counter(tool for sample in samples for tool in sample.tools)
        report["splits"][name] = {
            "records": len(samples),
            "captions": len({sample.caption_id for sample in samples}),
            "per_kind": dict(sorted(Counter(sample.kind for sample in samples).items())),
            "per_language": dict(sorted(Counter(sample.language for sample in samples).items())),
            "per_tool": dict(tool_counts.most_common()),
            "per_scenario": dict(Counter(sample.scenario for sample in samples if sample.scenario).most_common()),
            "tokens": (lengths or {}).get(name),
        }
    return report


def render_markdown(report: dict[str, Any]) -> str:
    """The report as a short Markdown document."""
    splits = report["splits"]
    extra = sorted({kind for info in splits.values() for kind in info["per_kind"]} - set(SAMPLE_KINDS))
    columns = [*SAMPLE_KINDS, *extra]  # plan records (plan_single, plan_dag...) when the recipe asks for them
    lines = [
        "# Data generation report",
        "",
        f"Teacher `{report['config']['teacher']}`, seed {report['config']['seed']}, {report['seconds']} s. "
        f"Held-out tools (test only): {', '.join(report['held_out_tools']) or 'none'}.",
        "",
        "| split | records | captions | " + " | ".join(columns) + " | en | zh |",
        "| --- " + "| ---: " * (len(columns) + 4) + "|",
    ]
    for name, info in splits.items():
        kinds = [str(info["per_kind"].get(kind, 0)) for kind in columns]
        langs = [str(info["per_language"].get(lang, 0)) for lang in ("en", "zh")]
        lines.append(f"| {name} | {info['records']} | {info['captions']} | " + " | ".join(kinds + langs) + " |")
    lines += ["", "## Token lengths (embedded tokenizer)", ""]
    lines += ["| split | measured | prompt mean | prompt p95 | prompt max | reply mean | reply p95 | reply max |"]
    lines += ["| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for name, info in splits.items():
        tokens = info.get("tokens")
        if tokens:
            p, r = tokens["prompt_tokens"], tokens["reply_tokens"]
            lines.append(
                f"| {name} | {tokens['measured_records']} | {p.get('mean')} | {p.get('p95')} | {p.get('max')} | "
                f"{r.get('mean')} | {r.get('p95')} | {r.get('max')} |"
            )
    tools = sorted({tool for info in splits.values() for tool in info["per_tool"]})
    lines += ["", "## Samples per gold tool", "", "| tool | " + " | ".join(splits) + " |"]
    lines += ["| --- | " + " | ".join("---:" for _ in splits) + " |"]
    for tool in tools:
        lines.append(f"| {tool} | " + " | ".join(str(info["per_tool"].get(tool, 0)) for info in splits.values()) + " |")
    scenarios = sorted({scenario for info in splits.values() for scenario in info.get("per_scenario", {})})
    if scenarios:
        lines += ["", "## Session records per scenario", "", "| scenario | " + " | ".join(splits) + " |"]
        lines += ["| --- | " + " | ".join("---:" for _ in splits) + " |"]
        for scenario in scenarios:
            counts = [str(info.get("per_scenario", {}).get(scenario, 0)) for info in splits.values()]
            lines.append(f"| {scenario} | " + " | ".join(counts) + " |")
    teacher, validation = report["teacher"], report["validation"]
    lines += [
        "",
        "## Teacher and validation",
        "",
        f"- teacher calls {teacher.get('calls', 0)}, from cache {teacher.get('cached', 0)}, "
        f"retries {teacher.get('retries', 0)}, failed tasks {teacher.get('failed_tasks', 0)}",
        f"- drafts kept {validation.get('kept', 0)}; dropped: {validation.get('dropped') or 'none'}",
        f"- tool names mapped: {validation.get('mapped_tools') or 'none'}",
        f"- removed after building: {report['dropped_after_build'] or 'none'}",
        "",
    ]
    return "\n".join(lines)
