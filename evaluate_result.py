"""Score predictions against annotations with GPT4Tools' success rates (definitions in evaluation/scoring.py).

    python evaluate_result.py --ann_path data/test.json --pred_path output/eval_result/NAME [--output m.json]

Writes the metrics JSON (top-level SR_t, SR_act, SR_args, SR, IoU as fractions, the strict variants,
per-group results, missing ids), a markdown table (``.md``) and a bar chart (``.png``) beside it, and
per-sample scores (``.samples.jsonl``). Reads our JSONL predictions and the original's JSON chunk files.

Plan records (planner prompts) are scored with TaskBench's metrics instead (evaluation/plan_scoring.py) into
``<metrics stem>_plans.json`` (+ ``.md``, ``.samples.jsonl``); a TaskBench label file (``task_nodes`` lines) is
scored against TaskBench predictions (``--tool_desc``, ``--dependency_type`` as TaskBench's evaluate.py).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from evaluation.plan_scoring import evaluate_plans_among, evaluate_taskbench, is_taskbench_file
from evaluation.predictions import read_predictions
from evaluation.report import bar_chart, markdown_table
from evaluation.scoring import sample_rows, score_records
from protocol.cli import run_cli
from protocol.records import RecordError, read_records
from tools.catalog import TOOL_SPECS

logger = logging.getLogger("evaluate_result")


def evaluate(
    ann_path: str,
    pred_path: str,
    output: str | None = None,
    tool_desc: str | None = None,
    dependency_type: str | None = None,
) -> dict:
    """Score ``pred_path`` (file or directory) against ``ann_path``; returns the metrics report."""
    if is_taskbench_file(ann_path):
        return evaluate_taskbench(ann_path, pred_path, output, tool_desc=tool_desc, dependency_type=dependency_type)
    records = read_records(ann_path)
    for index, record in enumerate(records):
        if record.id is None:
            raise RecordError(ann_path, "an annotation record needs an 'id' to match predictions", index)
    predictions, unknown = read_predictions(pred_path, records)
    held_out = {spec.name for spec in TOOL_SPECS if spec.held_out}
    pred = Path(pred_path)
    out = Path(output) if output else (pred if pred.is_dir() else pred.parent) / "metrics.json"
    records, plan_metrics = evaluate_plans_among(records, predictions, out, held_out)
    if not records:
        return plan_metrics
    scores, report = score_records(records, predictions, held_out)
    report["unknown_ids"] = unknown
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    table = markdown_table(report["groups"])
    quoted = report["observation_quoted"]
    if quoted["n"]:
        table += f"\nAnswers that repeat the last observation as the gold does: {100 * quoted['rate']:.1f}% of {quoted['n']}.\n"
    out.with_suffix(".md").write_text(table, encoding="utf-8")
    bar_chart(report["groups"], out.with_suffix(".png"))
    out.with_suffix(".samples.jsonl").write_text(
        "".join(json.dumps(row) + "\n" for row in sample_rows(scores)), encoding="utf-8"
    )
    logger.info("scored %d samples (%d without a prediction)\n%s", len(scores), len(report["missing"]), table)
    if report["missing"]:
        logger.warning("no prediction for %d id(s): %s", len(report["missing"]), report["missing"][:20])
    logger.info("metrics written to %s (+ .md, .png, .samples.jsonl)", out)
    return {**{k: report[k] for k in ("SR_t", "SR_act", "SR_args", "SR", "IoU")}, **plan_metrics}


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    run_cli(evaluate)
