"""The generator end to end: captions -> tasks -> teacher drafts -> validation -> de-duplication -> records.

``generate(config, out_dir)`` writes ``train.json``, ``val.json``, ``test.json`` (val and test records carry
``id``), with ``demo_share`` also ``demo.json`` (the demo-shaped split), ``report.json`` and ``report.md``.
Everything random is seeded per task (and per session), so the output depends only on the config and the seed,
and a rerun after an interruption reuses the teacher cache. With ``sessions``, every split also holds the
records of demo-shaped multi-turn sessions (``data_gen/sessions.py``).
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from data_gen.builders import Sample, SampleBuilder
from data_gen.captions import load_captions
from data_gen.config import ConfigError, GenConfig
from data_gen.dedup import deduplicate
from data_gen.plans import NO_TOOL_SAMPLE, draw_plan_tasks, plan_problem, plan_samples, teacher_tasks
from data_gen.report import build_report, render_markdown, token_lengths
from data_gen.sessions import SessionBuilder
from data_gen.splits import DEMO, SplitPlan, held_out_tools, plan_splits, plan_tasks
from data_gen.tasks import NEGATIVE, Draft, Task
from data_gen.teachers import Teacher, make_teacher
from data_gen.validate import DraftValidator
from modeling.loading import default_dtype
from protocol.plan_prompt import is_plan_prompt
from protocol.prompt import PromptTemplate
from protocol.records import Record, atomic_write_text, write_records
from protocol.steps import FinalAnswer, ToolCall, parse_reply, parse_trajectory
from tools.catalog import default_registry
from tools.embeddings import Embedder, EmbeddingModelError, MiniLMEmbedder
from tools.registry import ToolRegistry
from tools.spec import ArgumentCountError

logger = logging.getLogger(__name__)
LANGUAGES = ("en", "zh")
DEMO_SESSIONS = 3  # sessions per caption of the demo split (a split to score, so its size costs no training)


@dataclass(frozen=True)
class GenerationResult:
    out_dir: Path
    counts: dict[str, int]
    report: dict[str, Any]


def record_problem(record: Record, catalogue: ToolRegistry, aliases: Mapping[str, str] | None = None) -> str | None:
    """Why a record does not read back with the project's parser (``None`` when it does).

    ``aliases`` maps the tool names a renamed prompt shows back to the catalogue's names.
    """
    if is_plan_prompt(record.instruction):
        return plan_problem(record)
    step = parse_reply(record.output)
    if not isinstance(step, ToolCall | FinalAnswer):
        return f"output does not parse: {step.message}"
    if isinstance(step, ToolCall):
        tool = (aliases or {}).get(step.tool, step.tool)
        if tool not in catalogue:
            return f"unknown tool {step.tool!r}"
        try:
            catalogue.get(tool).split_arguments(step.action_input)
        except ArgumentCountError as exc:
            return str(exc)
    for earlier, observation in parse_trajectory(record.input):
        if not isinstance(earlier, ToolCall) or observation is None:
            return "scratchpad step is not a tool call with an observation"
    return None


def _near_duplicate_embedder(batch_size: int) -> Embedder:
    """MiniLM for the near-duplicate filter, in the machine's fast dtype, with a progress bar."""
    try:
        return MiniLMEmbedder(batch_size=batch_size, dtype=default_dtype("cpu"), progress=True)
    except EmbeddingModelError as error:
        raise EmbeddingModelError(f"{error}, or set near_duplicate_threshold: null") from None


def _dedup_group(task: Task) -> tuple:
    """Tool requests compete within their caption; no-tool requests across the split (per caption with an image)."""
    if task.kind == NEGATIVE:
        return (NEGATIVE, task.language, task.caption.id if task.with_image else "")
    return (task.caption.id, task.kind, task.tools)


def _samples_for_split(
    *,
    plan: SplitPlan,
    tasks: list[Task],
    drafts: dict[str, list[Draft]],
    validator: DraftValidator,
    builder: SampleBuilder,
    config: GenConfig,
    embed: Embedder | None,
) -> list[Sample]:
    pairs = [(task, draft) for task in tasks for draft in validator(task, drafts.get(task.key, []))]
    keep = deduplicate(
        [draft.request for _, draft in pairs],
        [_dedup_group(task) for task, _ in pairs],
        config.near_duplicate_threshold,
        embed,
    )
    samples = [sample for index in keep for sample in builder.build(*pairs[index])]
    logger.info("%s: %d drafts, %d after de-duplication, %d samples", plan.name, len(pairs), len(keep), len(samples))
    return samples


def _session_samples(plan: SplitPlan, config: GenConfig, template: PromptTemplate) -> list[Sample]:
    """The records of ``config.sessions`` demo-shaped sessions per caption of ``plan`` (:data:`DEMO_SESSIONS` in the
    demo split, where every upload is described by its size and the tools are listed as the demo serves them)."""
    demo = plan.name == DEMO
    count = DEMO_SESSIONS if demo else config.sessions
    if not count:
        return []
    builder = SessionBuilder(
        template,
        plan.listed,
        seed=config.seed,
        phrasing=plan.phrasing(config),
        held_out_phrasing=config.held_out_phrasing,
        plain_image_share=1.0 if demo else config.plain_image_share,
        served_listing_share=1.0 if demo else config.served_listing_share,
        unserved_share=config.unserved_share,
        direction_turn_weight=config.direction_turn_weight,
        face_turn_weight=config.face_turn_weight,
        offline_detection_share=config.offline_detection_share,
        second_upload_share=config.second_upload_share,
        new_photo_plain_share=config.new_photo_plain_share,
        answer_share=config.answer_share,
        tools_per_prompt=config.tools_per_prompt,
    )
    samples = [
        sample
        for caption in plan.captions
        for index in range(count)
        for sample in builder.build(caption, index, plan.captions)
    ]
    logger.info("%s: %d sessions, %d samples", plan.name, count * len(plan.captions), len(samples))
    return samples


def _finalise(
    by_split: dict[str, list[Sample]], plans: list[SplitPlan], catalogue: ToolRegistry, seed: int
) -> tuple[dict[str, list[Sample]], Counter]:
    """Drop unparsable records, exact duplicates, and anything in val/test that an earlier split holds."""
    dropped: Counter = Counter()
    seen_records: set[tuple[str, str, str]] = set()
    seen_instructions: set[str] = set()
    seen_negative_requests: set[tuple[str, str]] = set()
    final: dict[str, list[Sample]] = {}
    for plan in plans:
        name = plan.name
        kept: list[Sample] = []
        split_instructions, split_negatives = set(), set()
        for sample in by_split[name]:
            record = sample.record
            key = (record.instruction, record.input, record.output)
            no_tool = sample.kind in (NEGATIVE, NO_TOOL_SAMPLE)  # plan and ReAct requests are compared apart
            negative_key = (sample.kind, " ".join(sample.request.lower().split())) if no_tool else None
            if record_problem(record, catalogue, sample.aliases):
                dropped["does not parse"] += 1
            elif key in seen_records:
                dropped["exact duplicate"] += 1
            elif record.instruction in seen_instructions or negative_key in seen_negative_requests:
                dropped["shared with an earlier split"] += 1
            else:
                seen_records.add(key)
                split_instructions.add(record.instruction)
                if negative_key:
                    split_negatives.add(negative_key)
                kept.append(sample)
        seen_instructions |= split_instructions
        seen_negative_requests |= split_negatives
        random.Random(f"{seed}|shuffle|{name}").shuffle(kept)
        final[name] = kept if plan.cap is None else kept[: plan.cap]
    return final, dropped


def generate(
    config: GenConfig,
    out_dir: str | Path,
    *,
    teacher: Teacher | None = None,
    embedder: Embedder | None = None,
    tokenizer: Any = None,
) -> GenerationResult:
    """Generate the three splits and the report into ``out_dir``; returns the counts and the report."""
    started = time.perf_counter()
    out_dir = Path(out_dir)
    catalogue = default_registry()
    captions = load_captions(config.captions)
    if config.max_captions is not None:
        captions = captions[: config.max_captions]
    plans = plan_splits(captions, catalogue, config)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ConfigError(
            f"--out_dir {out_dir}: {(error.strerror or str(error)).lower()}; pass a directory to write the splits to"
        ) from None
    tasks = {plan.name: plan_tasks(plan, config) for plan in plans}
    logger.info("planned %s tasks over %d captions", {k: len(v) for k, v in tasks.items()}, len(captions))
    planned = {plan.name: draw_plan_tasks(plan, config) for plan in plans}
    teacher = teacher or make_teacher(config, catalogue, out_dir / "teacher_cache")
    asked = [task for plan in plans for task in (*tasks[plan.name], *teacher_tasks(planned[plan.name]))]
    drafts = teacher.propose(asked)
    if config.near_duplicate_threshold is not None and embedder is None:
        embedder = _near_duplicate_embedder(config.embed_batch_size)
    if config.prompt_template:  # one template for every record, as the demo renders every turn with its adapter's
        one = PromptTemplate.load(config.prompt_template)
        templates = dict.fromkeys(LANGUAGES, one)
    else:
        templates = {language: PromptTemplate.load(language) for language in LANGUAGES}
    by_split: dict[str, list[Sample]] = {}
    validation: Counter = Counter()
    validators = []
    for plan in plans:
        validator = DraftValidator(plan.listed, plan.gold, catalogue)
        builder = SampleBuilder(
            templates,
            catalogue,
            plan.listed,
            seed=config.seed,
            tools_per_prompt=config.tools_per_prompt,
            answer_share=config.answer_share,
            rename_share=config.rename_share if plan.name == "train" else 0.0,
            failure_share=config.failure_share,
            plain_image_share=config.plain_image_share,
            condition_of_share=config.condition_of_share,
            served_listing_share=config.served_listing_share,
        )
        by_split[plan.name] = _samples_for_split(
            plan=plan,
            tasks=tasks[plan.name],
            drafts=drafts,
            validator=validator,
            builder=builder,
            config=config,
            embed=embedder,
        ) + _session_samples(plan, config, templates["en"])
        by_split[plan.name] += plan_samples(
            split=plan,
            tasks=planned[plan.name],
            drafts=drafts,
            validator=validator,
            builder=builder,
            teacher=teacher,
            config=config,
            embed=embedder,
        )
        validators.append(validator)
        validation.update(validator.report.dropped)
    final, dropped = _finalise(by_split, plans, catalogue, config.seed)
    for name in final:
        if not final[name]:
            logger.warning("the %s split is empty: no task of it gave a usable sample (see report.md)", name)
        records = [
            sample.record if name == "train" else replace(sample.record, id=f"{name}-{i:06d}")
            for i, sample in enumerate(final[name])
        ]
        write_records(out_dir / f"{name}.json", records)
    lengths = None
    if config.report_tokenizer is not None or tokenizer is not None:
        if tokenizer is None:
            from modeling.loading import load_tokenizer

            tokenizer = load_tokenizer(config.report_tokenizer)
        lengths = {
            name: token_lengths(final[name], templates, tokenizer, config.report_token_sample, config.seed)
            for name in final
        }
    mapped: Counter = Counter()
    for validator in validators:
        mapped.update(validator.report.mapped_tools)
    report = build_report(
        final,
        config=config.as_dict(),
        held_out=held_out_tools(catalogue, config.held_out),
        teacher=teacher.report.as_dict(),
        validation={
            "kept": sum(v.report.kept for v in validators),
            "dropped": dict(validation.most_common()),
            "mapped_tools": dict(mapped.most_common(20)),
        },
        dropped=dict(dropped),
        seconds=time.perf_counter() - started,
        lengths=lengths,
    )
    atomic_write_text(out_dir / "report.json", json.dumps(report, indent=1, ensure_ascii=False) + "\n")
    atomic_write_text(out_dir / "report.md", render_markdown(report))
    counts = {name: len(samples) for name, samples in final.items()}
    logger.info("wrote %s to %s in %.1f s", counts, out_dir, report["seconds"])
    return GenerationResult(out_dir, counts, report)
