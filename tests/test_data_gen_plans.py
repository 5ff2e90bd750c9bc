"""Plan records from the generator: valid plans of every kind, the split rules, and ReAct data left as it was."""

from __future__ import annotations

import hashlib
import json
import random
import re
from dataclasses import replace

import pytest

from data_gen import plan_phrasings
from data_gen.captions import load_captions
from data_gen.config import ConfigError, GenConfig
from data_gen.pipeline import generate
from data_gen.plans import PlanComposer, PlanTask, SkeletonDrawer, plan_count, plan_problem
from data_gen.splits import plan_splits
from data_gen.teachers.template import TemplateTeacher
from evaluation.plan_scoring import score_plan_records
from generation.tool_calls import image_names
from protocol.plan import decode_plan, plan_shape
from protocol.plan_prompt import is_plan_prompt, offered_tools
from protocol.records import read_records
from tests.test_data_gen_pipeline import HELD_OUT, hash_embedder
from tools.catalog import default_registry

CATALOGUE = default_registry()
PLANS = {"single": 1, "chain": 1, "dag": 1, "repeated": 1, "none": 0.5}
# sha256 (first 16 hex digits) of train/val/test of two shipped recipes on 40 captions, written before plan records
# existed: a recipe without `plans` must keep producing exactly these bytes.
GOLDEN = {
    "quick": ("32968d823cfae7d5", "b2203af1acb54c92", "34f30f25f94fa377"),
    "smollm2_adapter_stage3": ("6e0cc89e66d3f2c7", "271667d6cd3077cd", "92e907fac833a752"),
}


@pytest.fixture(scope="module")
def config() -> GenConfig:
    return replace(GenConfig.load("quick"), max_captions=40, plans=PLANS, report_tokenizer=None)


@pytest.fixture(scope="module")
def generated(tmp_path_factory, config):
    out = tmp_path_factory.mktemp("plans")
    generate(config, out, embedder=hash_embedder)
    return {split: read_records(out / f"{split}.json") for split in ("train", "val", "test")}, out


def plan_records(records):
    return [r for r in records if is_plan_prompt(r.instruction)]


def test_plan_records_are_valid_plans_of_every_kind(generated):
    splits, _ = generated
    shapes, lengths, repeated, two_images = set(), set(), 0, 0
    for records in splits.values():
        plans = plan_records(records)
        assert plans and len(plans) < len(records)  # ReAct records are still there
        for record in plans:
            assert plan_problem(record) is None and record.input == ""
            plan = decode_plan(record.output)
            assert record.output == plan.render()  # the canonical form: dep derived, one line
            shapes.add(plan_shape(plan))
            lengths.add(len(plan))
            repeated += len(set(plan.tasks)) < len(plan)
            two_images += record.instruction.split("Images:", 1)[-1].count("\n") >= 3
            assert set(plan.tasks) <= set(offered_tools(record.instruction))
            assert 2 <= len(offered_tools(record.instruction)) <= 5
    assert shapes == {"none", "single", "chain", "dag"}
    assert lengths >= {0, 1, 2, 3, 4}
    assert repeated and two_images


def test_plan_records_follow_the_split_rules(generated):
    splits, _ = generated
    for name in ("train", "val"):
        for record in plan_records(splits[name]):
            assert not set(offered_tools(record.instruction)) & HELD_OUT
    test_plans = [decode_plan(r.output) for r in plan_records(splits["test"])]
    assert all(set(plan.tasks) & HELD_OUT for plan in test_plans if plan.steps)
    assert {task for plan in test_plans for task in plan.tasks} >= HELD_OUT
    images = {
        split: {name for r in plan_records(records) for name in image_names(r.instruction)}
        for split, records in splits.items()
    }
    assert not images["train"] & images["test"] and not images["train"] & images["val"]
    instructions = {split: {r.instruction for r in records} for split, records in splits.items()}
    assert not instructions["train"] & instructions["test"]


def test_gold_plans_score_perfectly(generated):
    splits, _ = generated
    records = plan_records(splits["test"])
    _, report = score_plan_records(records, {r.id: r.output for r in records}, HELD_OUT)
    assert report["exact"] == report["parse_rate"] == report["valid_rate"] == 1.0
    assert report["n_F1"] == report["e_F1"] == report["v_F1"] == 1.0


def test_report_lists_plan_kinds(generated):
    _, out = generated
    report = json.loads((out / "report.json").read_text())
    assert {"plan_single", "plan_chain", "plan_dag", "plan_none"} <= set(report["splits"]["train"]["per_kind"])
    assert "plan_dag" in (out / "report.md").read_text()


def test_plan_records_leave_the_react_records_as_they_were(tmp_path, generated, config):
    splits, _ = generated
    generate(replace(config, plans={}), tmp_path, embedder=hash_embedder)
    for split, records in splits.items():
        without = read_records(tmp_path / f"{split}.json")
        assert not plan_records(without)
        react = sorted((r.instruction, r.input, r.output) for r in records if not is_plan_prompt(r.instruction))
        assert react == sorted((r.instruction, r.input, r.output) for r in without)


@pytest.mark.parametrize("recipe", sorted(GOLDEN))
def test_recipes_without_plans_write_the_same_bytes_as_before(tmp_path, recipe):
    generate(replace(GenConfig.load(recipe), max_captions=40, report_tokenizer=None), tmp_path, embedder=hash_embedder)
    digests = tuple(
        hashlib.sha256((tmp_path / f"{s}.json").read_bytes()).hexdigest()[:16] for s in ("train", "val", "test")
    )
    assert digests == GOLDEN[recipe]


def test_test_requests_use_held_out_joins_and_openers(config):
    captions = load_captions(config.captions)[:40]
    train, _, test = plan_splits(captions, CATALOGUE, config)
    composer = PlanComposer(TemplateTeacher(CATALOGUE, seed=0), CATALOGUE, seed=0)
    held_out = [j for table in (plan_phrasings.SEQUENTIAL, plan_phrasings.PARALLEL) for j in table["en"][1]]
    seen = [j for table in (plan_phrasings.SEQUENTIAL, plan_phrasings.PARALLEL) for j in table["en"][0]]

    def requests(split, test_split):
        drawer = SkeletonDrawer(split.listed)
        out = []
        for number, caption in enumerate(split.captions[:15]):
            for index in range(4):
                rng = random.Random(number * 10 + index)
                skeleton = drawer.chain(rng, 3) or drawer.dag(rng)
                if skeleton:
                    task = PlanTask("chain", caption, "en", index, True, skeleton, partner=split.captions[0])
                    out.append(composer.compose(task, test_split).request)
        return out

    assert not any(join in request for request in requests(train, False) for join in held_out)
    test_requests = requests(test, True)
    assert any(join in request for request in test_requests for join in held_out)
    assert not any(
        re.search(re.escape(join.strip(" ,;.")) + r"\b", r)
        for r in test_requests
        for join in seen
        if len(join.strip(" ,;.")) > 4
    )


def test_plan_counts_spread_fractions_over_captions():
    assert [plan_count(0.5, n) for n in range(6)] == [0, 1, 0, 1, 0, 1]
    assert [plan_count(1.5, n) for n in range(4)] == [1, 2, 1, 2]
    assert sum(plan_count(0.25, n) for n in range(100)) == 25


@pytest.mark.parametrize(
    ("plans", "fix"),
    [({"chains": 1}, "plans maps plan kinds"), ({"dag": -1}, "dag must be a number"), ([1], "plans maps")],
)
def test_bad_plan_options_are_reported(tmp_path, plans, fix):
    path = tmp_path / "recipe.yaml"
    path.write_text(json.dumps({"plans": plans}))
    with pytest.raises(ConfigError, match=fix):
        GenConfig.load(path)


def test_shipped_plan_recipe_loads():
    config = GenConfig.load("plans")
    assert config.single == config.chain == config.negative == 0 and set(config.plans) == set(PLANS)
