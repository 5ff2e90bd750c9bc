"""Plan records end to end on the tiny model: generate, train an adapter, batch inference, score."""

from __future__ import annotations

from dataclasses import replace

import evaluate_result
import inference
import lora_finetune
from data_gen.config import GenConfig
from data_gen.pipeline import generate
from protocol.plan_prompt import PlanTemplate
from protocol.records import iter_jsonl, read_records, write_records
from tests.test_data_gen_pipeline import hash_embedder
from tests.test_lora_finetune import FAST


def test_generate_train_infer_and_score_plan_records(tmp_path, tiny_model_dir):
    plans = {"single": 1, "chain": 1, "dag": 0.5, "none": 0.5}
    config = replace(GenConfig.load("plans"), max_captions=30, plans=plans, report_tokenizer=None)
    generate(config, tmp_path / "data", embedder=hash_embedder)
    test = read_records(tmp_path / "data" / "test.json")[:6]
    write_records(tmp_path / "test.json", test)

    adapter = tmp_path / "adapter"
    lora_finetune.train(
        base_model=str(tiny_model_dir),
        data_path=str(tmp_path / "data" / "train.json"),
        output_dir=str(adapter),
        **{**FAST, "max_steps": 2, "val_set_size": 0},
    )
    assert PlanTemplate.load(adapter) == PlanTemplate.load("en")  # the planner prompt is saved with the adapter

    predictions = inference.main(
        str(tmp_path / "test.json"),
        "smoke",
        base_model=str(tiny_model_dir),
        lora_model=str(adapter),
        save_path=str(tmp_path / "eval"),
        batch_size=3,
        dtype="fp32",
        max_new_tokens=160,
    )
    assert sorted(line["id"] for line in iter_jsonl(predictions)) == sorted(record.id for record in test)

    metrics = evaluate_result.evaluate(str(tmp_path / "test.json"), str(tmp_path / "eval" / "smoke"))
    assert set(metrics) == {"plans"}
    assert metrics["plans"]["n"] == len(test) and metrics["plans"]["parse_rate"] == 1.0  # constrained decoding
    assert (tmp_path / "eval" / "smoke" / "metrics_plans.md").is_file()
