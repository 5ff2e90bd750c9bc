"""Does competition help? Consensus of competing backends against each backend alone, a random pick and
the oracle, on a ground-truth set built offline (benchmarks/competition_set.py).

    .venv/bin/python benchmarks/bench_competition.py [--scale 1.0] [--out results.json]

For each offline family of ``configs/models.yaml`` every candidate runs alone on every item (its score
and wall time), then the family competes as shipped to an executor (``Competition.compete``: its ``k``
candidates picked by ``select``, run at once, consensus kept; score and wall time). Derived in the same
run from the single runs' results: the consensus over all candidates, a random pick among the k (its
expected score and time) and the oracle (the best of the k on each item, which needs them all: the
competition's time). OCR also shows the consensus with a character-level similarity in place of MiniLM.
Detection is scored on faces only, and its candidates detect faces only here (``labels: [face]``): the
cat and body cascades are the same in every candidate and would only add the same time to each.

Scores (higher is better; a failed call scores as an empty answer):
- signs: exact reading (case, spacing and punctuation ignored); character accuracy (1 - CER) beside it.
- faces: F1 of the face boxes at IoU >= 0.5 per image (1 when there is no face and none is found).
- people: IoU of the kept pixels with the pasted person (1 when there is no person and none is kept).
- edges, lines: F-measure of the white pixels within 0.75% of the diagonal of the truth (BSDS's tolerance).
"""

from __future__ import annotations

import argparse
import difflib
import json
import logging
import os
import random
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from benchmarks import competition_set  # noqa: E402
from benchmarks.competition_set import Item  # noqa: E402
from tools.competition import Competition  # noqa: E402
from tools.consensus import Nothing, as_mask, choose, edge_f_measure, mask_iou, similarity_matrix  # noqa: E402
from tools.model_registry import Agreement, FamilyCandidates, ModelRegistry  # noqa: E402
from tools.outputs import NO_TEXT_FOUND, Detections, box_iou  # noqa: E402
from tools.runtime import ToolRuntime  # noqa: E402
from tools.workspace import Workspace  # noqa: E402

FACE_IOU = 0.5


def _words(value: Any) -> str:
    """The words of a reading (or of its text), upper case, punctuation as spaces."""
    text = getattr(value, "text", value)
    text = "" if text in (None, NO_TEXT_FOUND) else text
    return " ".join("".join(ch if ch.isalnum() else " " for ch in text.upper()).split())


def exact_reading(value: Any, truth: str) -> float:
    return float(_words(value) == _words(truth))


def character_accuracy(value: Any, truth: str) -> float:
    """1 - character error rate (Levenshtein distance over the truth's length), at least 0."""
    a, b = _words(value), _words(truth)
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return max(0.0, 1 - previous[-1] / max(1, len(b)))


def face_f1(value: Any, truth: tuple) -> float:
    found = [b.box for b in (value.boxes if isinstance(value, Detections) else ()) if b.label == "face"]
    expected = [b.box for b in truth]
    if not found and not expected:
        return 1.0
    matched, free = 0, list(expected)
    for box in found:  # greedy one-to-one matching, best overlap first
        best = max(free, key=lambda t: box_iou(box, t), default=None)
        if best is not None and box_iou(box, best) >= FACE_IOU:
            matched += 1
            free.remove(best)
    return 2 * matched / (len(found) + len(expected))


def person_iou(value: Any, truth: np.ndarray) -> float:
    return mask_iou(truth, as_mask(value) if value is not None else np.zeros_like(truth))


def edge_score(value: Any, truth: np.ndarray) -> float:
    return edge_f_measure(as_mask(value) if value is not None else np.zeros_like(truth), truth)


@dataclass(frozen=True)
class Suite:
    """One family's part of the benchmark."""

    family: str
    tool: str
    build: Callable[[int, int], list[Item]]
    count: int
    score: Callable[[Any, Any], float]
    metric: str
    second: Callable[[Any, Any], float] | None = None  # a second score shown beside the first
    second_metric: str = ""


SUITES = (
    Suite(
        "TextDetection",
        "Text Detection On Image",
        competition_set.signs,
        30,
        exact_reading,
        "exact",
        character_accuracy,
        "char acc",
    ),
    Suite("ObjectDetection", "Detection", competition_set.faces, 30, face_f1, "face F1"),
    Suite("BackgroundRemoving", "Remove the background", competition_set.people, 24, person_iou, "IoU"),
    Suite("Image2Canny", "Edge Detection On Image", competition_set.edges, 16, edge_score, "F"),
    Suite("Image2Line", "Line Detection On Image", competition_set.lines, 16, edge_score, "F"),
)


def faces_only(registry: ModelRegistry) -> ModelRegistry:
    """The registry with every Detection candidate detecting faces only."""
    entry = registry.get("ObjectDetection")
    candidates = tuple(replace(c, options={**c.options, "labels": ["face"]}) for c in entry.candidates)
    return ModelRegistry({**registry.families, "ObjectDetection": replace(entry, candidates=candidates)})


def character_matrix(values: list[Any]) -> np.ndarray:
    """Pairwise difflib ratio of the normalised texts (the alternative to MiniLM shown for OCR)."""
    texts = [_words(v) for v in values]
    return np.array([[difflib.SequenceMatcher(None, a, b).ratio() for b in texts] for a in texts])


@dataclass
class Row:
    """What one method scored on each item, and its wall time per item."""

    scores: list[float]
    seconds: list[float]
    second: list[float]


def run_suite(suite: Suite, competition: Competition, workspace: Workspace, scale: float, seed: int) -> dict:
    entry: FamilyCandidates = competition.registry.get(suite.family)
    names = [c.name for c in entry.candidates]
    shipped = [c.name for c in entry.select_candidates()]
    items = suite.build(max(4, round(suite.count * scale)), seed)
    agreement = entry.agreement_for(competition.runtime.catalog.get(suite.tool))
    embed = competition.embedder if agreement is Agreement.TEXT else None
    rows: dict[str, Row] = {}
    per_item = []

    def add(method: str, value: Any, seconds: float, item: Item) -> float:
        row = rows.setdefault(method, Row([], [], []))
        value = None if isinstance(value, Nothing) else value  # "nothing found" scores as an empty answer
        score = suite.score(value, item.truth)
        row.scores.append(score)
        row.seconds.append(seconds)
        if suite.second:
            row.second.append(suite.second(value, item.truth))
        return score

    warm = workspace.add_image(items[0].image)
    competition.compete(suite.tool, warm, workspace, candidates=names)  # loads every backend once, untimed
    for index, item in enumerate(items):
        image = workspace.add_image(item.image)
        values: dict[str, Any] = {}
        singles: dict[str, float] = {}
        for name in names:
            result = competition.compete(suite.tool, image, workspace, candidates=[name])
            outcome = result.candidates[0]
            values[name] = outcome.value if outcome.ok else None
            singles[name] = add(name, values[name], result.seconds, item)
        result = competition.compete(suite.tool, image, workspace)
        kept = result.outcome(result.chosen).value if result.chosen else None
        consensus = add(f"consensus k={len(shipped)}", kept, result.seconds, item)
        ok = [n for n in names if values[n] is not None]
        if ok:
            everyone = choose(
                similarity_matrix([values[n] for n in ok], agreement, embed), ok, [names.index(n) for n in ok]
            )
            add(f"consensus all {len(names)}", values[ok[everyone.index]], float("nan"), item)
            if agreement is Agreement.TEXT:
                shipped_ok = [n for n in shipped if values[n] is not None]
                by_chars = choose(
                    character_matrix([values[n] for n in shipped_ok]), shipped_ok, list(range(len(shipped_ok)))
                )
                add(
                    f"consensus k={len(shipped)}, char similarity",
                    values[shipped_ok[by_chars.index]],
                    result.seconds,
                    item,
                )
        else:
            add(f"consensus all {len(names)}", None, float("nan"), item)
            if agreement is Agreement.TEXT:
                add(f"consensus k={len(shipped)}, char similarity", None, result.seconds, item)
        best = max(shipped, key=lambda n: singles[n])
        add(f"oracle k={len(shipped)}", values[best], result.seconds, item)
        per_item.append(
            {
                "item": item.name,
                "truth": item.truth if isinstance(item.truth, str) else None,
                "singles": {n: round(s, 4) for n, s in singles.items()},
                "chosen": result.chosen,
                "consensus": round(consensus, 4),
                "reason": result.reason,
                "readings": {n: v for n, v in values.items() if isinstance(v, str)},
            }
        )
        print(f"  {suite.family} {index + 1}/{len(items)} {item.name}: kept {result.chosen}", file=sys.stderr)
    random_row = Row(
        [float(np.mean([rows[n].scores[i] for n in shipped])) for i in range(len(items))],
        [float(np.mean([rows[n].seconds[i] for n in shipped])) for i in range(len(items))],
        [float(np.mean([rows[n].second[i] for n in shipped])) for i in range(len(items))] if suite.second else [],
    )
    rows[f"random of k={len(shipped)} (expected)"] = random_row
    return {"suite": suite, "names": names, "shipped": shipped, "rows": rows, "items": per_item}


def _mean_seconds(row: Row) -> float | None:
    """Mean wall time per item, ``None`` for a method derived from other runs (it has no time of its own)."""
    return None if all(np.isnan(row.seconds)) else float(np.nanmean(row.seconds))


def report(result: dict) -> str:
    suite: Suite = result["suite"]
    rows: dict[str, Row] = result["rows"]
    names, shipped = result["names"], result["shipped"]
    best_single = max(names, key=lambda n: np.mean(rows[n].scores))
    consensus = f"consensus k={len(shipped)}"
    order = [*names, f"random of k={len(shipped)} (expected)", consensus]
    order += [m for m in rows if m not in order and "oracle" not in m] + [m for m in rows if "oracle" in m]
    second = f" {suite.second_metric:>9}" if suite.second else ""
    lines = [
        f"{suite.family} ({suite.tool}), {len(rows[names[0]].scores)} items; competing as shipped: "
        f"{', '.join(shipped)}",
        f"  {'method':<40} {suite.metric:>9}{second} {'s/item':>8}",
    ]
    for method in order:
        row = rows[method]
        seconds = _mean_seconds(row)
        extra = f" {np.mean(row.second):>9.3f}" if suite.second else ""
        mark = "  (best single)" if method == best_single else ""
        time_text = "      --" if seconds is None else f"{seconds:>8.3f}"
        lines.append(f"  {method:<40} {np.mean(row.scores):>9.3f}{extra} {time_text}{mark}")
    ours, theirs = np.array(rows[consensus].scores), np.array(rows[best_single].scores)
    lines.append(
        f"  consensus vs best single ({best_single}) per item: better {int((ours > theirs + 1e-9).sum())}, "
        f"worse {int((ours < theirs - 1e-9).sum())}, equal {int((np.abs(ours - theirs) <= 1e-9).sum())}"
    )
    oracle = np.array(rows[f"oracle k={len(shipped)}"].scores)
    missed = [item for item, o, c in zip(result["items"], oracle, ours, strict=True) if o > c + 1e-9]
    lines.append(f"  items where consensus kept a worse result than one of its candidates: {len(missed)}")
    for item in missed[:6]:
        readings = f" readings {item['readings']}" if item["readings"] else ""
        lines.append(f"    {item['item']}: kept {item['chosen']}, scores {item['singles']}{readings}")
    return "\n".join(lines)


def _cpu_seconds() -> float:
    import resource

    return sum(
        usage.ru_utime + usage.ru_stime
        for usage in (resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN))
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="share of the full set (116 items) to run")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--families", default="", help="comma-separated families (default: all five)")
    parser.add_argument("--out", default="", help="write every item's scores and choices to this JSON file")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    import torch

    torch.set_num_threads(2)
    random.seed(args.seed)
    wanted = set(filter(None, args.families.split(",")))
    runtime = ToolRuntime.from_load()
    competition = Competition(runtime, faces_only(ModelRegistry.load()))
    load = os.getloadavg()[0]
    started, cpu = time.perf_counter(), _cpu_seconds()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        workspace = Workspace(tmp)
        for suite in SUITES:
            if wanted and suite.family not in wanted:
                continue
            results.append(run_suite(suite, competition, workspace, args.scale, args.seed))
            print(report(results[-1]), flush=True)
            print(flush=True)
    print(
        f"{sum(len(r['items']) for r in results)} items in {time.perf_counter() - started:.0f} s wall, "
        f"{_cpu_seconds() - cpu:.0f} s CPU (this process and its tesseract runs); load average {load:.1f} at the "
        f"start, {os.getloadavg()[0]:.1f} at the end, on {os.cpu_count()} cores"
    )
    if args.out:
        dump = [
            {
                "family": r["suite"].family,
                "shipped": r["shipped"],
                "means": {m: float(np.mean(row.scores)) for m, row in r["rows"].items()},
                "seconds": {m: _mean_seconds(row) for m, row in r["rows"].items()},
                "items": r["items"],
            }
            for r in results
        ]
        Path(args.out).write_text(json.dumps(dump, indent=1, default=str), encoding="utf-8")


if __name__ == "__main__":
    main()
