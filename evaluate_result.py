"""Score predictions against annotations with GPT4Tools' success rates (definitions in evaluation/scoring.py).

    python evaluate_result.py --ann_path data/test.json --pred_path output/eval_result/NAME [--output m.json]
    python evaluate_result.py --ann_path data/test.json --save_name NAME [--num-chunks 8]   # the original's form

``SR_t``, ``SR_act``, ``SR_args``, ``SR`` and ``IoU`` are the original's numbers exactly (its parse, averaged
over the predictions present); ``*_tolerant`` read replies as the agent does, ``SR_strict`` wants exact
arguments, ``coverage`` / ``SR_all`` count missing predictions. Writes the metrics JSON (top-level metrics as
fractions, per-group results, missing, unknown and repeated ids), a markdown table (``.md``), a bar chart
(``.png``) and per-sample scores (``.samples.jsonl``) beside it, and, at the default place, the original's
``eval.txt``. Reads our JSONL predictions and the original's JSON chunk files.

Plan records (planner prompts) are scored with TaskBench's metrics instead (evaluation/plan_scoring.py) into
``<metrics stem>_plans.json`` (+ ``.md``, ``.samples.jsonl``); a TaskBench label file (``task_nodes`` lines) is
scored against TaskBench predictions (``--tool_desc``, ``--dependency_type`` as TaskBench's evaluate.py).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from evaluation.plan_scoring import evaluate_plans_among, evaluate_taskbench, is_taskbench_file
from evaluation.prediction_files import prediction_files, read_predictions
from evaluation.report import HEADLINE_METRICS, markdown_table, original_summary
from evaluation.scoring import sample_rows, score_records
from protocol.cli import run_cli
from protocol.errors import InputError
from protocol.records import read_annotations
from tools.catalog import TOOL_SPECS

logger = logging.getLogger("evaluate_result")


def _prediction_path(pred_path: str | None, save_name: str | None, save_path: str) -> Path:
    if pred_path is not None and save_name is not None:
        raise InputError("give --pred_path or --save_name (with --save_path), not both")
    if pred_path is None and save_name is None:
        raise InputError(
            "pass --pred_path (a prediction file or directory) or --save_name NAME as given to inference.py "
            "(predictions under --save_path, default output/eval_result)"
        )
    return Path(pred_path) if pred_path is not None else Path(save_path) / str(save_name)


def _check_chunks(pred: Path, num_chunks: object) -> None:
    """Warn about the chunk files ``--num-chunks`` promises that are not there (their records go unscored)."""
    if isinstance(num_chunks, bool) or not isinstance(num_chunks, int) or num_chunks < 1:
        raise InputError(f"--num_chunks {num_chunks!r}: give the number of chunks inference.py ran (at least 1)")
    if not pred.is_dir():
        return
    stems = {path.stem for path in prediction_files(pred)}
    missing = [i for i in range(num_chunks) if f"{pred.name}_{i}" not in stems]
    if num_chunks == 1 and pred.name in stems:
        missing = []
    if missing:
        logger.warning("--num_chunks %d: no prediction file for chunk(s) %s in %s", num_chunks, missing, pred)


def evaluate(
    ann_path: str,
    pred_path: str | None = None,
    output: str | None = None,
    *,
    save_name: str | None = None,
    save_path: str = "output/eval_result",
    num_chunks: int | None = None,
    tool_desc: str | None = None,
    dependency_type: str | None = None,
) -> dict:
    """Score the predictions against ``ann_path``; returns the headline metrics.

    Args:
        ann_path: the annotation file (either record layout; every record with its own ``id``).
        pred_path: a prediction file or the directory inference.py wrote.
        output: the metrics JSON to write (default ``metrics.json`` beside the predictions).
        save_name, save_path: the original's way to name the prediction directory (``save_path/save_name``).
        num_chunks: the original's ``--num-chunks``: how many chunk files to expect (a warning names the
            missing ones).
        tool_desc, dependency_type: for a TaskBench label file, as TaskBench's evaluate.py.
    """
    pred = _prediction_path(pred_path, save_name, save_path)
    if is_taskbench_file(ann_path):
        return evaluate_taskbench(ann_path, str(pred), output, tool_desc=tool_desc, dependency_type=dependency_type)
    if num_chunks is not None:
        _check_chunks(pred, num_chunks)
    records = read_annotations(ann_path)
    found = read_predictions(pred, records)
    if not found.predictions:
        raise InputError(
            f"none of the predictions in {pred} has an id of {ann_path} ({len(found.unknown)} prediction(s) read); "
            "check that --ann_path is the file inference.py was given"
        )
    held_out = {spec.name for spec in TOOL_SPECS if spec.held_out}
    default_place = pred if pred.is_dir() else pred.parent
    out = Path(output) if output else default_place / "metrics.json"
    plan_predictions = {key: prediction.tolerant for key, prediction in found.predictions.items()}
    records, plan_metrics = evaluate_plans_among(records, plan_predictions, out, held_out)
    if not records:
        return plan_metrics
    scores, report = score_records(records, found.predictions, held_out)
    report["unknown_ids"] = found.unknown
    report["repeated_ids"] = found.repeated
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    table = markdown_table(report["groups"])
    quoted = report["observation_quoted"]
    if quoted["n"]:
        table += f"\nAnswers that repeat the last observation as the gold does: {100 * quoted['rate']:.1f}% of {quoted['n']}.\n"
    out.with_suffix(".md").write_text(table, encoding="utf-8")
    from evaluation.report import bar_chart

    bar_chart(report["groups"], out.with_suffix(".png"))
    out.with_suffix(".samples.jsonl").write_text(
        "".join(json.dumps(row) + "\n" for row in sample_rows(scores)), encoding="utf-8"
    )
    if not output:
        (default_place / "eval.txt").write_text(original_summary(report), encoding="utf-8")
    logger.info("scored %d of %d samples\n%s", report["predicted"], report["n"], table)
    if report["missing"]:
        logger.warning(
            "no prediction for %d id(s) (left out of the means, as the original; SR_all counts them as 0): %s",
            len(report["missing"]),
            report["missing"][:20],
        )
    logger.info("metrics written to %s (+ .md, .png, .samples.jsonl)", out)
    return {**{name: report[name] for name in HEADLINE_METRICS}, **plan_metrics}


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    run_cli(evaluate)
