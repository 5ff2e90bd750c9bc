"""Splits and task planning: captions partitioned across train/val/test (and demo), tasks drawn per caption.

Train and val ask only for seen tools (and list only seen tools in prompts); test asks for the held-out
tools, or for every tool when none is held out (the product data: test then differs by captions and wording).
No caption appears in two splits, so no record instruction (which holds the caption) is shared. The demo split
(``demo_share``) holds demo-shaped sessions only (``data_gen/sessions.py``), on captions of its own.
"""

from __future__ import annotations

import hashlib
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass

from data_gen.captions import Caption
from data_gen.config import ConfigError, GenConfig
from data_gen.phrasings import TEST_PHRASING, TRAIN_PHRASING
from data_gen.tasks import (
    CHAIN,
    CHAINS,
    EDIT_THEN_ANALYSE_CHAINS,
    NEGATIVE,
    PICK_ONE,
    PICK_ONE_CHAIN,
    SINGLE,
    TEXT_ONLY_TOOLS,
    Task,
)
from tools.registry import ToolRegistry

DEMO = "demo"  # the demo-shaped split, written beside the others when ``demo_share`` > 0


@dataclass(frozen=True)
class SplitPlan:
    """The tools a split asks for (``gold``), the tools its prompts may list, and its captions."""

    name: str
    gold: ToolRegistry
    listed: ToolRegistry
    captions: tuple[Caption, ...]
    cap: int | None  # at most this many samples (from max_samples)

    def phrasing(self, config: GenConfig) -> str:
        """The part of the request frames this split draws from ("" for all: no phrasing is held out)."""
        if not config.held_out_phrasing:
            return ""
        return TEST_PHRASING if self.name in ("test", DEMO) else TRAIN_PHRASING


def held_out_tools(catalogue: ToolRegistry, names: Sequence[str] | None) -> list[str]:
    """The held-out tool names: the configured ones (none for ``[]``), or those the catalogue marks ``held_out``."""
    if names is None:
        return [spec.name for spec in catalogue if spec.held_out]
    unknown = [name for name in names if name not in catalogue]
    if unknown:
        raise ConfigError(f"held_out names unknown tools {unknown}; valid tools: {', '.join(catalogue.names)}")
    if len(names) >= len(catalogue):
        raise ConfigError("held_out must leave at least one seen tool")
    return list(names)


def seeded_rng(seed: int, *parts: object) -> random.Random:
    """A random generator that depends only on the seed and ``parts`` (so runs and resumes agree)."""
    digest = hashlib.sha256("|".join(str(p) for p in (seed, *parts)).encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def plan_splits(captions: Sequence[Caption], catalogue: ToolRegistry, config: GenConfig) -> list[SplitPlan]:
    """Partition captions (seeded) and set each split's tools and sample cap."""
    ids = [caption.id for caption in captions]
    if len(set(ids)) != len(ids):
        raise ConfigError("caption ids must be unique; give every caption its own 'id'")
    if len(captions) < 3:
        raise ConfigError(f"need at least 3 captions to make train, val and test splits, got {len(captions)}")
    order = sorted(captions, key=lambda c: c.id)
    split_seed = config.seed if config.split_seed is None else config.split_seed
    seeded_rng(split_seed, "captions").shuffle(order)
    n_test = max(1, round(len(order) * config.test_share))
    n_val = max(1, round(len(order) * config.val_share))
    n_demo = max(1, round(len(order) * config.demo_share)) if config.demo_share else 0
    held = held_out_tools(catalogue, config.held_out)
    seen = catalogue.subset(name for name in catalogue.names if name not in held)
    train_share = 1 - config.val_share - config.test_share - config.demo_share

    def cap(share: float) -> int | None:
        if config.max_samples is None:
            return None
        return (
            config.max_samples if share == train_share else max(1, math.ceil(config.max_samples * share / train_share))
        )

    start_train = n_test + n_val + n_demo
    plans = [
        SplitPlan("train", seen, seen, tuple(order[start_train:]), cap(train_share)),
        SplitPlan("val", seen, seen, tuple(order[n_test : n_test + n_val]), cap(config.val_share)),
        SplitPlan(
            "test",
            catalogue.subset(held) if held else catalogue,
            catalogue,
            tuple(order[:n_test]),
            cap(config.test_share),
        ),
    ]
    if n_demo:
        demo_captions = tuple(order[n_test + n_val : start_train])
        plans.append(SplitPlan(DEMO, catalogue, catalogue, demo_captions, cap(config.demo_share)))
    return plans


def plan_tasks(split: SplitPlan, config: GenConfig) -> list[Task]:
    """Tasks for every caption of a split: single-tool, chained and no-tool, tools balanced across captions (none for
    the demo split, which holds sessions only)."""
    if split.name == DEMO:
        return []
    gold = split.gold.names
    phrasing = split.phrasing(config)

    def eligible(pool: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
        pairs = [pair for pair in pool if all(tool in split.listed for tool in pair) and set(pair) & set(gold)]
        return pairs if split.name == "test" else [pair for pair in pairs if set(pair) <= set(gold)]

    rng = seeded_rng(config.seed, "plan", split.name)
    tool_order = rng.sample(gold, len(gold))
    chains, extended = eligible(CHAINS), eligible(EDIT_THEN_ANALYSE_CHAINS)
    chain_order, extended_order = rng.sample(chains, len(chains)), rng.sample(extended, len(extended))
    singles = min(config.single, len(gold) * config.max_per_tool_per_caption)
    chain_count = min(config.chain, len(chains) * config.max_per_tool_per_caption)
    extended_count = min(config.extended_chain, len(extended) * config.max_per_tool_per_caption)
    tasks: list[Task] = []
    for number, caption in enumerate(split.captions):
        crng = seeded_rng(config.seed, "caption", split.name, caption.id)

        def language() -> str:
            return "zh" if crng.random() < config.zh_share else "en"  # noqa: B023 (called inside the loop)

        for j in range(singles):
            tool = tool_order[(number * singles + j) % len(tool_order)]
            with_image = tool not in TEXT_ONLY_TOOLS or crng.random() < 0.5
            tasks.append(Task(SINGLE, caption, (tool,), language(), with_image, j, phrasing=phrasing))
        drawn = [chain_order[(number * chain_count + j) % len(chain_order)] for j in range(chain_count)]
        drawn += [extended_order[(number * extended_count + j) % len(extended_order)] for j in range(extended_count)]
        for j, pair in enumerate(drawn):
            with_image = pair[0] not in TEXT_ONLY_TOOLS or crng.random() < 0.5
            tasks.append(Task(CHAIN, caption, pair, language(), with_image, j, phrasing=phrasing))
        if PICK_ONE_CHAIN in chains and len(set(caption.objects)) >= 2:
            for j in range(config.pick_one_chain):
                tasks.append(Task(CHAIN, caption, PICK_ONE_CHAIN, language(), True, j, PICK_ONE, phrasing))
        for j in range(config.negative):
            lang = language()  # drawn before the image, as always
            with_image = crng.random() < config.negative_image_share
            tasks.append(Task(NEGATIVE, caption, (), lang, with_image, j, phrasing=phrasing))
        if split.cap is not None and len(tasks) >= split.cap:
            break
    return tasks
