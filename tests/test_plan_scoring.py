"""Plan scoring: TaskBench's worked examples, our records (missing and unparseable predictions), the CLI."""

from __future__ import annotations

import json

import pytest

import evaluate_result
from evaluation.plan_scoring import (
    PlanScore,
    PlanView,
    aggregate,
    content_type,
    score_plan_records,
    view_of_plan,
    view_of_taskbench,
)
from protocol.plan import Plan, PlanStep
from protocol.plan_prompt import PlanTemplate
from protocol.records import Record, write_records
from tests.sample_records import make_records
from tools.catalog import TOOL_SPECS, default_registry

CATALOGUE = default_registry()
OUTPUT_TYPES = {"Image-to-Text": "text", "Translation": "text", "Text-to-Speech": "audio"}
LABEL_A = {
    "id": "1",
    "type": "chain",
    "task_nodes": [
        {"task": "Image-to-Text", "arguments": ["example.jpg"]},
        {"task": "Text-to-Speech", "arguments": ["<node-0>"]},
    ],
    "task_links": [{"source": "Image-to-Text", "target": "Text-to-Speech"}],
}
PREDICTION_A = {
    "task_nodes": [
        {"task": "Image-to-Text", "arguments": ["example.jpg"]},
        {"task": "Translation", "arguments": ["<node-0>"]},
        {"task": "Text-to-Speech", "arguments": ["<node-1>"]},
    ]
}


def sample(gold: PlanView, pred: PlanView, sample_id: str = "x") -> PlanScore:
    return PlanScore(sample_id, gold, pred, "dag", len(gold.nodes))


def f1s(report: dict) -> tuple:
    return tuple(None if report[m] is None else round(report[m], 3) for m in ("n_F1", "e_F1", "t_F1", "v_F1"))


def test_worked_example_a_resource_mode():
    gold = view_of_taskbench(LABEL_A, output_types=OUTPUT_TYPES)
    pred = view_of_taskbench(PREDICTION_A, output_types=OUTPUT_TYPES)
    assert gold.argvalues == {"Image-to-Text-image-example.jpg", "Text-to-Speech-text-Image-to-Text"}
    assert f1s(aggregate([sample(gold, pred)])) == (0.8, 0.0, 0.8, 0.4)


def test_worked_example_b_pools_counts_over_samples():
    one = sample(PlanView(nodes=frozenset("AB")), PlanView(nodes=frozenset("A")))
    two = sample(PlanView(nodes=frozenset("C")), PlanView(nodes=frozenset("D")))
    report = aggregate([one, two])
    assert report["n_F1"] == pytest.approx(0.4)  # not the mean of per-sample F1s (0.333)
    assert report["n_F1_counts"] == {"tp": 1, "fp": 1, "fn": 2}


def test_worked_example_c_duplicates_collapse_and_names_that_are_no_tool_are_ignored_by_node_f1():
    nodes = {"task_nodes": [{"task": "Audio Effects", "arguments": []}] * 2}
    once = {"task_nodes": [{"task": "Audio Effects", "arguments": []}]}
    assert aggregate([sample(view_of_taskbench(nodes), view_of_taskbench(once))])["n_F1"] == 1.0
    made_up = sample(PlanView(nodes=frozenset("AB")), PlanView(nodes=frozenset({"A", "Foo"})))
    assert aggregate([made_up], frozenset("AB"))["n_F1"] == pytest.approx(2 / 3)  # Foo is not a false positive
    assert aggregate([made_up])["n_F1"] == pytest.approx(0.5)


def test_taskbench_normalisation_details():
    assert [content_type(x) for x in ("a.JPG", "'clip.mp4'", "song.wav", "hello")] == [
        "image",
        "video",
        "audio",
        "text",
    ]
    nodes = {
        "task_nodes": [{"task": "Image_to_Text", "arguments": [{"url": "x.png"}, ["a", "b"], "<node-0>", "<node-7>"]}]
    }
    view = view_of_taskbench(nodes)
    assert view.nodes == {"Image to Text"} and not view.links  # self and out-of-range references are dropped
    assert view.argvalues == {"Image to Text-image-x.png", "Image to Text-text-a b"}
    temporal = {
        "task_nodes": [{"task": "get_weather", "arguments": [{"name": "location", "value": "Paris"}]}],
        "task_links": [{"source": "get_weather", "target": "send_sms"}],
    }
    view = view_of_taskbench(temporal, temporal=True)
    assert view.argvalues == {"get weather-location-Paris"} and view.links == {("get_weather", "send_sms")}


def test_our_plans_reference_values_are_the_source_tool():
    plan = Plan(
        (
            PlanStep.of("Rotate Image", 0, {"image_path": "a.png", "angle": 90}),
            PlanStep.of("Get Photo Description", 1, {"image_path": "<GENERATED>-0"}),
        )
    )
    view = view_of_plan(plan)
    assert view.links == {("Rotate Image", "Get Photo Description")}
    assert view.argvalues == {
        "Rotate Image-image_path-a.png",
        "Rotate Image-angle-90",
        "Get Photo Description-image_path-Rotate Image",
    }


def _plan_records() -> list[Record]:
    template = PlanTemplate.load("en")
    specs = [CATALOGUE.get(n) for n in ("Rotate Image", "Get Photo Description", "Detection", "Crop Image")]
    image = "image/a1b2.png"
    golds = [
        Plan(
            (
                PlanStep.of("Rotate Image", 0, {"image_path": image, "angle": 90}),
                PlanStep.of("Get Photo Description", 1, {"image_path": "<GENERATED>-0"}),
            )
        ),
        Plan(
            (
                PlanStep.of("Detection", 0, {"image_path": image}),
                PlanStep.of("Crop Image", 1, {"image_path": "<GENERATED>-0"}),
            )
        ),
        Plan(),
        Plan((PlanStep.of("Get Photo Description", 0, {"image_path": image}),)),
    ]
    return [
        Record(template.render_instruction(specs, [(image, "A dog.")], f"request {i}"), "", gold.render(), f"p{i}")
        for i, gold in enumerate(golds)
    ]


def test_gold_against_itself_is_perfect():
    records = _plan_records()
    _, report = score_plan_records(records, {r.id: r.output for r in records}, held_out={"Detection", "Crop Image"})
    assert f1s(report) == (1.0, 1.0, 1.0, 1.0)
    assert report["exact"] == report["parse_rate"] == report["valid_rate"] == 1.0 and report["unoffered_tool_rate"] == 0
    groups = report["groups"]
    assert groups["shape/none"]["n_F1"] is None and groups["shape/none"]["exact"] == 1.0  # nothing to count
    assert groups["split/unseen"]["n"] == 1 and groups["split/seen"]["n"] == 2
    assert groups["steps/2"]["n"] == 2


def test_missing_and_unparseable_predictions_count_as_empty_plans():
    records = _plan_records()
    predictions = {
        "p0": records[0].output,
        "p1": '[{"task": "Detection", "id": 0',  # cut off: does not parse
        "p2": "[]",
        # p3 missing
    }
    scores, report = score_plan_records(records, predictions)
    assert report["missing"] == ["p3"]
    assert report["parse_rate"] == 0.5 and report["exact"] == 0.5
    counts = report["n_F1_counts"]
    assert counts == {"tp": 2, "fp": 0, "fn": 3}  # Detection, Crop Image and the description are missed
    assert report["n_F1"] == pytest.approx(4 / 7)
    assert report["taskbench"]["n"] == 2 and report["taskbench"]["n_F1"] == 1.0  # TaskBench drops them
    assert not scores[1].parsed and "not valid JSON" in scores[1].problem


def test_unoffered_tools_and_invalid_plans_are_counted():
    records = _plan_records()
    wrong = Plan((PlanStep.of("Predict Depth On Image", 0, {"image_path": "image/a1b2.png"}),)).render()
    bad_type = Plan((PlanStep.of("Rotate Image", 0, {"image_path": "image/a1b2.png", "angle": "90"}),)).render()
    _, report = score_plan_records(records[:2], {"p0": wrong, "p1": bad_type}, node_types=[s.name for s in TOOL_SPECS])
    assert report["parse_rate"] == 1.0 and report["valid_rate"] == 0.0
    assert report["unoffered_tool_rate"] == 0.5 and report["exact"] == 0.0


def test_evaluate_result_scores_plan_and_react_records_side_by_side(tmp_path):
    plans = _plan_records()
    react = make_records(3)
    ann = tmp_path / "test.json"
    write_records(ann, [*plans, *react])
    preds = tmp_path / "preds"
    preds.mkdir()
    lines = [{"id": r.id, "output": r.output} for r in [*plans[:3], *react]]
    (preds / "run.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines))
    result = evaluate_result.evaluate(str(ann), str(preds))
    assert result["SR"] == pytest.approx(1.0)
    assert result["plans"]["n"] == 4 and result["plans"]["exact"] == 0.75
    saved = json.loads((preds / "metrics_plans.json").read_text())
    assert saved["missing"] == ["p3"] and (preds / "metrics_plans.md").read_text().startswith("| group |")
    assert json.loads((preds / "metrics.json").read_text())["groups"]["all"]["n"] == 3


def test_evaluate_result_scores_taskbench_files(tmp_path):
    labels = tmp_path / "data.json"
    second = {**LABEL_A, "id": "2", "type": "single", "task_nodes": LABEL_A["task_nodes"][:1], "task_links": []}
    labels.write_text(json.dumps(LABEL_A) + "\n" + json.dumps(second) + "\n")
    desc = tmp_path / "tool_desc.json"
    nodes = [{"id": name, "output-type": [kind]} for name, kind in OUTPUT_TYPES.items()]
    desc.write_text(json.dumps({"nodes": nodes}))
    preds = tmp_path / "run.json"
    preds.write_text(json.dumps({"id": "1", "result": PREDICTION_A}) + "\n")
    result = evaluate_result.evaluate(str(labels), str(preds), tool_desc=str(desc))
    saved = json.loads((tmp_path / "metrics_plans.json").read_text())
    assert saved["taskbench"]["n"] == 1 and f1s(saved["taskbench"]) == (0.8, 0.0, 0.8, 0.4)
    assert saved["missing"] == ["2"] and result["parse_rate"] == 0.5
    assert saved["dependency_type"] == "resource"
