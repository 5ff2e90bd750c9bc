"""The generator end to end on a few captions: splits, determinism, parsing, scoring, report and CLI."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace

import numpy as np
import pytest

from data_gen import eval_subset
from data_gen.__main__ import main
from data_gen.captions import load_captions
from data_gen.config import CONFIG_DIR, ConfigError, GenConfig
from data_gen.failure_samples import ends_in_failure
from data_gen.pipeline import generate
from data_gen.splits import plan_splits, plan_tasks
from data_gen.tasks import EDIT_THEN_ANALYSE_CHAINS, PICK_ONE, PICK_ONE_CHAIN
from evaluation.scoring import score_records
from protocol.records import read_records, write_records
from protocol.steps import FinalAnswer, ToolCall, parse_reply, parse_trajectory
from tools.catalog import TOOL_SPECS, default_registry
from tools.embeddings import minilm_dir

HELD_OUT = {spec.name for spec in TOOL_SPECS if spec.held_out}


def hash_embedder(texts: list[str]) -> np.ndarray:
    """Deterministic unit vectors: equal texts collide, different texts are (nearly) orthogonal."""
    rows = [np.random.default_rng(int(hashlib.sha256(t.encode()).hexdigest()[:8], 16)).normal(size=64) for t in texts]
    vectors = np.array(rows, dtype=np.float32).reshape(len(texts), 64)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True).clip(1e-9)


@pytest.fixture(scope="module")
def small_config() -> GenConfig:
    return replace(
        GenConfig.load("quick"),
        max_captions=30,
        single=5,
        chain=2,
        negative=2,
        rename_share=0.5,
        failure_share=0.2,
        plain_image_share=0.2,
        condition_of_share=0.5,
    )


@pytest.fixture(scope="module")
def generated(tmp_path_factory, small_config):
    from transformers import AutoTokenizer

    out = tmp_path_factory.mktemp("gen")
    tokenizer = AutoTokenizer.from_pretrained(minilm_dir())  # any fast tokenizer measures lengths
    result = generate(small_config, out, embedder=hash_embedder, tokenizer=tokenizer)
    return out, result


def tool_of(output: str) -> str | None:
    step = parse_reply(output)
    return step.tool if isinstance(step, ToolCall) else None


def test_every_record_parses_and_val_test_carry_ids(generated):
    out, result = generated
    for split in ("train", "val", "test"):
        records = read_records(out / f"{split}.json")
        assert len(records) == result.counts[split] > 0
        if split == "train":
            assert all(r.id is None for r in records)
        else:
            assert len({r.id for r in records}) == len(records) and all(r.id for r in records)
        for record in records:
            assert isinstance(parse_reply(record.output), ToolCall | FinalAnswer)
            for step, observation in parse_trajectory(record.input):
                assert isinstance(step, ToolCall) and observation
            tools_listed = [line[2:].split(":")[0] for line in record.instruction.splitlines() if line.startswith("> ")]
            assert 2 <= len(tools_listed) <= 5
            tool = tool_of(record.output)
            assert tool is None or tool in tools_listed


def test_splits_are_disjoint_and_respect_held_out_tools(generated):
    out, _ = generated
    splits = {name: read_records(out / f"{name}.json") for name in ("train", "val", "test")}
    instructions = {name: {r.instruction for r in records} for name, records in splits.items()}
    assert not instructions["train"] & instructions["val"]
    assert not instructions["train"] & instructions["test"]
    assert not instructions["val"] & instructions["test"]

    def images(records):
        return {
            line.split("named ", 1)[1].split(".", 1)[0]
            for r in records
            for line in r.instruction.splitlines()
            if "Provide an image named" in line
        }

    assert not images(splits["train"]) & images(splits["test"])
    for name in ("train", "val"):
        for record in splits[name]:
            assert not any(f"> {tool}:" in record.instruction for tool in HELD_OUT)
    test_tools = {tool_of(r.output) for r in splits["test"]} - {None}
    assert test_tools & HELD_OUT and test_tools <= set(default_registry().names)
    first_steps = [r for r in splits["test"] if not r.input and tool_of(r.output)]
    assert all(tool_of(r.output) in HELD_OUT for r in first_steps)


def test_generation_is_deterministic_for_a_seed(tmp_path, small_config, generated):
    out, _ = generated
    generate(small_config, tmp_path / "again", embedder=hash_embedder)
    for split in ("train", "val", "test"):
        assert (tmp_path / "again" / f"{split}.json").read_bytes() == (out / f"{split}.json").read_bytes()
    generate(replace(small_config, seed=1), tmp_path / "other", embedder=hash_embedder)
    assert (tmp_path / "other" / "train.json").read_bytes() != (out / "train.json").read_bytes()


def test_tool_renaming_touches_train_only(tmp_path, small_config, generated):
    out, _ = generated
    real_names = set(default_registry().names)

    def renamed(split: str) -> int:
        return sum(
            not set(line[2:].split(":")[0] for line in r.instruction.splitlines() if line.startswith("> "))
            <= real_names
            for r in read_records(out / f"{split}.json")
        )

    train_size = len(read_records(out / "train.json"))
    assert 0.3 * train_size < renamed("train") < 0.7 * train_size
    assert renamed("val") == renamed("test") == 0
    generate(replace(small_config, rename_share=0.0), tmp_path, embedder=hash_embedder)
    for split in ("val", "test"):  # renaming draws no random numbers outside train: val and test stay put
        assert (tmp_path / f"{split}.json").read_bytes() == (out / f"{split}.json").read_bytes()


def test_gold_scored_against_itself_gives_full_success(generated):
    out, _ = generated
    for split in ("val", "test"):
        records = read_records(out / f"{split}.json")
        _, report = score_records(records, {r.id: r.output for r in records}, held_out=HELD_OUT)
        assert report["SR"] == pytest.approx(1.0) and report["SR_strict"] == pytest.approx(1.0)
        assert not report["missing"]


def test_report_counts_kinds_tools_languages_and_tokens(generated):
    out, result = generated
    report = json.loads((out / "report.json").read_text())
    assert report == json.loads(json.dumps(result.report))
    train = report["splits"]["train"]
    assert set(train["per_kind"]) == {"single", "chain", "context", "negative", "failure"}
    assert set(train["per_language"]) == {"en", "zh"}
    assert sum(train["per_kind"].values()) == train["records"]
    assert train["tokens"]["prompt_tokens"]["mean"] > train["tokens"]["reply_tokens"]["mean"] > 0
    assert "| train |" in (out / "report.md").read_text()


def test_max_samples_caps_splits(tmp_path, small_config):
    result = generate(replace(small_config, max_samples=20), tmp_path, embedder=hash_embedder)
    assert result.counts["train"] == 20
    assert 1 <= result.counts["val"] <= 20 and 1 <= result.counts["test"] <= 20


def test_cli_with_real_minilm_dedup(tmp_path):
    counts = main(config="quick", out_dir=str(tmp_path), max_samples=40, seed=3)
    assert counts["train"] == 40
    assert (tmp_path / "report.md").is_file()
    assert json.loads((tmp_path / "report.json").read_text())["config"]["seed"] == 3


def test_bad_configs_are_reported(tmp_path):
    with pytest.raises(ConfigError, match=r"shipped configs: .*default"):
        GenConfig.load("nope")
    bad = tmp_path / "bad.yaml"
    bad.write_text("teacher: gpt\n")
    with pytest.raises(ConfigError, match="template, hf, openai"):
        GenConfig.load(bad)
    bad.write_text("singles: 3\n")
    with pytest.raises(ConfigError, match="unknown option"):
        GenConfig.load(bad)
    bad.write_text("extended_chain: sometimes\n")
    with pytest.raises(ConfigError, match="extended_chain must be a non-negative integer"):
        GenConfig.load(bad)
    bad.write_text("failure_share: 1.5\n")
    with pytest.raises(ConfigError, match="failure_share must be a number between 0 and 1"):
        GenConfig.load(bad)
    bad.write_text("face_turn_weight: -1\n")
    with pytest.raises(ConfigError, match="face_turn_weight must be a number, 0 or more"):
        GenConfig.load(bad)
    with pytest.raises(ConfigError, match="held_out names unknown tools"):
        generate(replace(GenConfig.load("quick"), held_out=["Teleport"]), tmp_path, embedder=hash_embedder)


def test_extended_chains_are_added_on_top_to_train_and_val_only():
    config = replace(GenConfig.load("quick"), chain=4)
    catalogue = default_registry()
    captions = load_captions(config.captions)[: config.max_captions]

    def chains(split, extended: int) -> dict[str, list[tuple[str, ...]]]:
        per_caption: dict[str, list[tuple[str, ...]]] = {}
        for task in plan_tasks(split, replace(config, extended_chain=extended)):
            if task.kind == "chain":
                per_caption.setdefault(task.caption.id, []).append(task.tools)
        return per_caption

    for split in plan_splits(captions, catalogue, config):
        base, extended = chains(split, 0), chains(split, 1)
        assert not {pair for pairs in base.values() for pair in pairs} & set(EDIT_THEN_ANALYSE_CHAINS)
        if split.name == "test":  # held-out tools only: the seen-tool pairs never reach the test split
            assert extended == base
            continue
        added = set()
        for caption_id, pairs in extended.items():  # each caption keeps its chains and gets one more
            assert pairs[:-1] == base[caption_id] and pairs[-1] in EDIT_THEN_ANALYSE_CHAINS
            added.add(pairs[-1])
        assert len(added) > 1


def test_pick_one_chains_go_to_captions_with_two_objects_in_train_and_val_only():
    config = GenConfig.load("quick")
    captions = load_captions(config.captions)[: config.max_captions]
    for split in plan_splits(captions, default_registry(), config):
        base = plan_tasks(split, config)
        tasks = plan_tasks(split, replace(config, pick_one_chain=1))
        picked = [task for task in tasks if task.variant == PICK_ONE]
        assert not [task for task in base if task.variant]
        assert all(task.tools == PICK_ONE_CHAIN and len(set(task.caption.objects)) >= 2 for task in picked)
        assert len({task.key for task in tasks}) == len(tasks)
        assert bool(picked) == (split.name != "test")


@pytest.mark.parametrize(
    "name",
    [
        "default",
        "quick",
        "smollm2_adapter",
        "smollm2_adapter_stage3",
        "smollm2_product",
        "smollm2_product_stage2",
        "smollm2_product_stage3",
        "smollm2_product_stage4",
        "quick_product",
    ],
)
def test_shipped_configs_load(name):
    config = GenConfig.load(name)
    assert config.teacher == "template"


def test_product_stages_split_the_captions_alike():
    """Later stages train on other data than stage 1 (from stage 3 on other seeds), but the product adapter is scored
    on stage 1's splits: no caption may move into a later stage's train split."""
    later_stages = sorted(CONFIG_DIR.glob("smollm2_product_stage*.yaml"))
    stages = [GenConfig.load("smollm2_product"), *(GenConfig.load(path) for path in later_stages)]
    assert len(stages) >= 3 and len({stage.seed for stage in stages}) > 1
    captions = load_captions(stages[0].captions)
    partitions = [
        {
            split.name: {caption.id for caption in split.captions}
            for split in plan_splits(captions, default_registry(), c)
        }
        for c in stages
    ]
    for later in partitions[1:]:
        assert later == partitions[0]
        assert not later["train"] & (partitions[0]["test"] | partitions[0]["demo"] | partitions[0]["val"])


def test_failure_samples_are_found_again_and_scored_apart(tmp_path, generated):
    out, result = generated
    for split in ("train", "val"):
        records = read_records(out / f"{split}.json")
        failures = [record for record in records if ends_in_failure(record)]
        assert len(failures) == result.report["splits"][split]["per_kind"]["failure"] > 0
    subset = tmp_path / "failures_eval.json"
    assert eval_subset.main(str(out / "val.json"), str(subset), 3, failures_only=True) == 3
    assert all(ends_in_failure(record) for record in read_records(subset))
    spaced = eval_subset.evenly_spaced(read_records(out / "val.json"), 4)
    assert len(spaced) == 4 and spaced[0] == read_records(out / "val.json")[0]
    no_failures = tmp_path / "plain.json"
    write_records(no_failures, [record for record in read_records(out / "val.json") if not ends_in_failure(record)])
    assert eval_subset.main(str(no_failures), str(subset), 3, failures_only=True) == 0 and not subset.exists()
