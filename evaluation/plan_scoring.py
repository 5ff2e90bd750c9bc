"""TaskBench's plan metrics (microsoft/JARVIS ``taskbench/evaluate.py``) for plan records and TaskBench files.

Each plan is read as four sets (duplicates collapse, order is ignored):

- nodes: tool names;
- links: ``(source tool, target tool)`` for every use of an earlier step's output;
- tool-argname: ``"<tool>-<input name>"``;
- tool-argname-value: ``"<tool>-<input name>-<value>"``, where the value of a reference is the referenced
  step's tool name (TaskBench's rule for ``<node-j>``) and numbers are written as JSON writes them (90, 2.5).

Per metric, true positives, false positives and false negatives are summed over samples and
``F1 = 2TP / (2TP + FP + FN)`` (micro-averaged as TaskBench pools samples): n-F1 (nodes), e-F1 (links), t-F1 and
v-F1. As in TaskBench, a predicted node whose name is not a tool at all (not in the catalogue, or in TaskBench's
``tool_desc``) is ignored by n-F1 rather than counted false; links and arguments count it. A metric with nothing
to count (no-tool samples only) is ``null``.

Beyond TaskBench: ``exact`` (the prediction does the same work as the gold, whatever the order of independent
steps; :func:`protocol.plan.same_plan`), ``parse_rate`` (the reply holds a plan: a JSON list of
``{"task", "id", "dep", "args"}`` steps), ``valid_rate`` (it also fits the prompt's tools and images) and
``unoffered_tool_rate`` (it names a tool the prompt does not offer).

Deliberate difference: a missing or unparseable prediction counts here as an empty plan (all its gold nodes,
links and arguments are missed; it is never exact), where TaskBench leaves such samples out of every metric.
The report also carries TaskBench's figures (``taskbench``: parsed predictions only) beside ours.

TaskBench files (``data.json`` lines with ``task_nodes``, predictions with ``result.task_nodes``) are scored
with its normalisation: resource-type arguments (lists of strings) become ``<content type>-<value>`` pairs,
``<node-j>`` arguments become links from node j and take the output type of node j's tool (``tool_desc``) as
their name; temporal-type arguments are ``{"name", "value"}`` objects and links come from ``task_links``. An
out-of-range ``<node-j>`` is dropped here (upstream reuses an earlier argument by accident).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from generation.tool_calls import image_names
from protocol.plan import PlanError, Reference, decode_plan, plan_problems, plan_shape, same_plan
from protocol.plan_prompt import is_plan_prompt, offered_tools
from protocol.records import Record, RecordError, atomic_write_text, iter_jsonl
from tools.catalog import TOOL_SPECS

logger = logging.getLogger(__name__)

F1_METRICS = ("n_F1", "e_F1", "t_F1", "v_F1")
RATE_METRICS = ("exact", "parse_rate", "valid_rate", "unoffered_tool_rate")
_SETS = {"n_F1": "nodes", "e_F1": "links", "t_F1": "argnames", "v_F1": "argvalues"}
_IMAGE_EXTENSIONS = (".jpg", ".png", ".jpeg", ".gif", ".bmp", ".tiff", ".svg", ".ico")
_AUDIO_EXTENSIONS = (".mp3", ".wav", ".wma", ".ogg", ".aac", ".flac", ".aiff", ".au")
_VIDEO_EXTENSIONS = (".mp4", ".avi", ".mov", ".flv", ".wmv", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg")


@dataclass(frozen=True)
class PlanView:
    """What the metrics read of one plan."""

    nodes: frozenset[str] = frozenset()
    links: frozenset[tuple[str, str]] = frozenset()
    argnames: frozenset[str] = frozenset()
    argvalues: frozenset[str] = frozenset()


def _value_text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False) if isinstance(value, int | float) else str(value)


def view_of_plan(plan: Any) -> PlanView:
    """The sets of a :class:`protocol.plan.Plan`."""
    tasks = plan.by_id()
    names, values, links = set(), set(), set()
    for step in plan.steps:
        for name, value in step.args:
            shown = _value_text(value)
            if isinstance(value, Reference):
                shown = tasks[value.step].task if value.step in tasks else f"<missing step {value.step}>"
                links.add((shown, step.task))
            names.add(f"{step.task}-{name}")
            values.add(f"{step.task}-{name}-{shown}")
    return PlanView(frozenset(plan.tasks), frozenset(links), frozenset(names), frozenset(values))


# --------------------------------------------------------------------------------------------- TaskBench form
def content_type(argument: str) -> str:
    """TaskBench's ``get_content_type``: image, audio or video by a file extension anywhere in it, else text."""
    text = argument.replace("'", "").lower()
    for kind, extensions in (("image", _IMAGE_EXTENSIONS), ("audio", _AUDIO_EXTENSIONS), ("video", _VIDEO_EXTENSIONS)):
        if any(extension in text for extension in extensions):
            return kind
    return "text"


def _resource_argument(given: Any) -> str:
    """A resource-type argument as text: an object's first value, a list joined by spaces."""
    if isinstance(given, Mapping):
        given = next(iter(given.values()), "")
    elif isinstance(given, list):
        given = " ".join(str(a) for a in given)
    return str(given)


def view_of_taskbench(
    result: Mapping[str, Any], *, temporal: bool = False, output_types: Mapping[str, str] | None = None
) -> PlanView:
    """The sets of TaskBench's ``{"task_nodes", "task_links"}`` (label or prediction ``result``).

    Raises:
        PlanError: no ``task_nodes`` list, a node without a task name, or (temporal) an argument that is not
            ``{"name", "value"}``; TaskBench drops such a sample.
    """
    nodes = result.get("task_nodes") if isinstance(result, Mapping) else None
    if not isinstance(nodes, list):
        raise PlanError('no "task_nodes" list')
    if any(not isinstance(node, Mapping) or not isinstance(node.get("task"), str) for node in nodes):
        raise PlanError('every task node needs a "task" name')
    names = [node["task"].replace("_", " ") for node in nodes]
    links: set[tuple[str, str]] = set()
    pairs: list[tuple[str, str, str]] = []
    for index, node in enumerate(nodes):
        for given in node.get("arguments", []) or []:
            if temporal:
                if not isinstance(given, Mapping) or "name" not in given or "value" not in given:
                    raise PlanError(f'temporal arguments are {{"name", "value"}} objects, got {given!r}')
                pairs.append((names[index], str(given["name"]), _value_text(given["value"])))
                continue
            argument = _resource_argument(given)
            if "<node-" in argument:
                try:
                    source = int(argument[argument.index("<node-") + 6 : argument.index(">")])
                except ValueError:
                    continue
                if source == index or not 0 <= source < len(names):
                    continue
                links.add((names[source], node["task"]))
                kind = (output_types or {}).get(names[source]) or (output_types or {}).get(nodes[source]["task"])
                pairs.append((names[index], kind or "other", names[source]))
            else:
                pairs.append((names[index], content_type(argument), argument))
    if temporal:
        for link in result.get("task_links", []) or []:
            if isinstance(link, Mapping) and "source" in link and "target" in link:
                links.add((str(link["source"]), str(link["target"])))
    return PlanView(
        frozenset(names),
        frozenset(links),
        frozenset(f"{task}-{name}" for task, name, _ in pairs),
        frozenset(f"{task}-{name}-{value}" for task, name, value in pairs),
    )


# --------------------------------------------------------------------------------------------- scoring
@dataclass(frozen=True)
class PlanScore:
    """One sample: the gold and predicted sets and what is known about the prediction."""

    id: str
    gold: PlanView
    pred: PlanView
    shape: str  # of the gold plan: none, single, chain or dag
    steps: int
    unseen: bool = False  # the gold plan uses a held-out tool
    missing: bool = False
    parsed: bool = True
    valid: bool = True
    exact: bool = False
    unoffered: bool = False  # the prediction names a tool the prompt does not offer
    problem: str = ""


@dataclass
class _Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def f1(self) -> float | None:
        total = 2 * self.tp + self.fp + self.fn
        return 2 * self.tp / total if total else None


def _add(counts: _Counts, gold: Iterable[Any], pred: Iterable[Any], types: frozenset[str] | None = None) -> None:
    gold, pred = set(gold), set(pred)
    if types is not None:  # TaskBench's node rule: names that are no tool are ignored
        gold, pred = gold & types, pred & types
    counts.tp += len(gold & pred)
    counts.fp += len(pred - gold)
    counts.fn += len(gold - pred)


def aggregate(scores: Sequence[PlanScore], node_types: frozenset[str] | None = None) -> dict[str, Any]:
    """The metrics of ``scores``: the four F1s (``None`` when there is nothing to count), the rates and ``n``."""
    counts = {metric: _Counts() for metric in F1_METRICS}
    for score in scores:
        for metric, attribute in _SETS.items():
            types = node_types if metric == "n_F1" else None
            _add(counts[metric], getattr(score.gold, attribute), getattr(score.pred, attribute), types)
    n = len(scores)
    result: dict[str, Any] = {"n": n}
    for metric in F1_METRICS:
        result[metric] = counts[metric].f1()
        result[f"{metric}_counts"] = asdict(counts[metric])
    for metric, attribute in zip(RATE_METRICS, ("exact", "parsed", "valid", "unoffered"), strict=True):
        result[metric] = sum(getattr(s, attribute) for s in scores) / n if n else None
    return result


def group_scores(scores: Sequence[PlanScore], node_types: frozenset[str] | None = None) -> dict[str, dict]:
    """``all``, ``shape/<none|single|chain|dag>``, ``steps/<n>`` and ``split/<seen|unseen>`` (tool plans)."""
    groups: dict[str, list[PlanScore]] = {"all": list(scores)}
    for shape in ("none", "single", "chain", "dag"):
        groups[f"shape/{shape}"] = [s for s in scores if s.shape == shape]
    for steps in sorted({s.steps for s in scores}):
        groups[f"steps/{steps}"] = [s for s in scores if s.steps == steps]
    groups["split/seen"] = [s for s in scores if s.steps and not s.unseen]
    groups["split/unseen"] = [s for s in scores if s.unseen]
    return {name: aggregate(members, node_types) for name, members in groups.items() if members}


def score_plan(
    sample_id: str, gold_text: str, pred_text: str | None, prompt: str, held_out: Iterable[str] = ()
) -> PlanScore:
    """One plan record (``prompt`` is its instruction: the offered tools and images)."""
    gold = decode_plan(gold_text)
    tools = offered_tools(prompt)
    info = {
        "gold": view_of_plan(gold),
        "shape": plan_shape(gold),
        "steps": len(gold),
        "unseen": bool(set(gold.tasks) & set(held_out)),
    }
    if pred_text is None:
        return PlanScore(sample_id, pred=PlanView(), missing=True, parsed=False, valid=False, **info)
    try:
        pred = decode_plan(pred_text)
    except PlanError as exc:
        return PlanScore(sample_id, pred=PlanView(), parsed=False, valid=False, problem=str(exc), **info)
    problems = plan_problems(pred, tools, image_names(prompt))
    return PlanScore(
        sample_id,
        pred=view_of_plan(pred),
        valid=not problems,
        exact=same_plan(gold, pred),
        unoffered=any(task not in tools for task in pred.tasks),
        problem="; ".join(problems),
        **info,
    )


def score_plan_records(
    records: Sequence[Record],
    predictions: Mapping[str, str],
    held_out: Iterable[str] = (),
    node_types: Iterable[str] | None = None,
) -> tuple[list[PlanScore], dict[str, Any]]:
    """Score plan records against ``{id: completion}``; returns per-sample scores and the report (top-level
    metrics of all samples, ``groups``, ``taskbench`` (parsed predictions only) and ``missing`` ids)."""
    held_out = set(held_out)
    types = frozenset(node_types) if node_types is not None else None
    scores = [score_plan(str(r.id), r.output, predictions.get(str(r.id)), r.instruction, held_out) for r in records]
    groups = group_scores(scores, types)
    report = {
        **groups["all"],
        "groups": groups,
        "taskbench": aggregate([s for s in scores if s.parsed], types),
        "missing": [s.id for s in scores if s.missing],
    }
    return scores, report


# --------------------------------------------------------------------------------------------- reports
def _cell(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}"


def markdown_table(groups: Mapping[str, Mapping[str, Any]]) -> str:
    """One row per group: ``n``, the four F1s and the rates, in percent (``-``: nothing to count)."""
    columns = (*F1_METRICS, *RATE_METRICS)
    header = "| group | n | " + " | ".join(columns) + " |"
    rule = "| --- | ---: | " + " | ".join("---:" for _ in columns) + " |"
    rows = [
        f"| {name} | {values['n']} | " + " | ".join(_cell(values[c]) for c in columns) + " |"
        for name, values in groups.items()
    ]
    return "\n".join([header, rule, *rows]) + "\n"


def sample_rows(scores: Sequence[PlanScore]) -> list[dict[str, Any]]:
    rows = []
    for score in scores:
        row = asdict(score)
        for side in ("gold", "pred"):
            row[side] = {key: sorted(map(str, values)) for key, values in row[side].items()}
        rows.append(row)
    return rows


def write_report(report: Mapping[str, Any], scores: Sequence[PlanScore], out: Path) -> None:
    """``out`` (JSON), ``out`` with ``.md`` (the table, TaskBench's figures below) and ``.samples.jsonl``."""
    out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out, json.dumps(report, indent=1, ensure_ascii=False) + "\n")
    table = markdown_table(report["groups"])
    taskbench = report["taskbench"]
    table += (
        f"\nTaskBench's way (the {taskbench['n']} parsed predictions only): "
        + ", ".join(f"{m} {_cell(taskbench[m])}" for m in F1_METRICS)
        + "\n"
    )
    atomic_write_text(out.with_suffix(".md"), table)
    atomic_write_text(
        out.with_suffix(".samples.jsonl"),
        "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in sample_rows(scores)),
    )


def summary(report: Mapping[str, Any]) -> dict[str, Any]:
    return {key: report[key] for key in ("n", *F1_METRICS, *RATE_METRICS)}


def evaluate_plans_among(
    records: Sequence[Record], predictions: Mapping[str, str], out: Path, held_out: Iterable[str] = ()
) -> tuple[list[Record], dict[str, Any]]:
    """Score the plan records among ``records`` (n-F1 over the catalogue's tools) into ``<out stem>_plans.json``
    (+ ``.md``, ``.samples.jsonl``); returns the other records and ``{"plans": metrics}`` (``{}`` without plans)."""
    plans = [record for record in records if is_plan_prompt(record.instruction)]
    if not plans:
        return list(records), {}
    scores, report = score_plan_records(plans, predictions, held_out, [spec.name for spec in TOOL_SPECS])
    plan_out = out.with_name(f"{out.stem}_plans.json")
    write_report(report, scores, plan_out)
    logger.info("scored %d plan records\n%s", len(scores), markdown_table(report["groups"]))
    logger.info("plan metrics written to %s (+ .md, .samples.jsonl)", plan_out)
    return [record for record in records if not is_plan_prompt(record.instruction)], {"plans": summary(report)}


# --------------------------------------------------------------------------------------------- TaskBench files
def is_taskbench_file(path: str | Path) -> bool:
    """Whether a file holds TaskBench labels (JSON lines with ``task_nodes``)."""
    try:
        first = next(iter_jsonl(path), None)
    except (RecordError, UnicodeDecodeError, OSError):
        return False
    return isinstance(first, dict) and "task_nodes" in first


def _output_types(tool_desc: str | Path | None) -> tuple[dict[str, str], frozenset[str] | None]:
    if tool_desc is None:
        return {}, None
    try:
        data = json.loads(Path(tool_desc).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise RecordError(tool_desc, f"cannot read TaskBench's tool_desc.json: {exc}") from None
    tools = data.get("nodes", []) if isinstance(data, dict) else []
    types = {str(t["id"]): (t.get("output-type") or ["none"])[0] for t in tools if isinstance(t, dict) and "id" in t}
    return types, frozenset(types)


def _taskbench_prediction(item: Mapping[str, Any]) -> Any:
    """A prediction line's ``result``; an ``output`` string (our inference's lines) is decoded as JSON."""
    if "result" in item:
        return item["result"]
    output = item.get("output")
    if isinstance(output, str):
        try:
            return json.loads(output)
        except json.JSONDecodeError:
            return None
    return output


@dataclass
class TaskBenchScores:
    """Per-sample scores of a TaskBench run and the ids whose predictions TaskBench would drop."""

    scores: list[PlanScore] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)


def score_taskbench(
    labels: Sequence[Mapping[str, Any]],
    predictions: Mapping[str, Any],
    *,
    temporal: bool | None = None,
    tool_desc: str | Path | None = None,
) -> tuple[TaskBenchScores, dict[str, Any]]:
    """Score TaskBench labels against ``{id: result}``; ``temporal`` ``None``: decided by the labels' arguments."""
    output_types, node_types = _output_types(tool_desc)
    if temporal is None:
        temporal = any(
            isinstance(argument, Mapping)
            for label in labels
            for node in label.get("task_nodes", [])
            for argument in node.get("arguments", [])
        )
    run = TaskBenchScores()
    for label in labels:
        sample_id = str(label.get("id"))
        gold = view_of_taskbench(label, temporal=temporal, output_types=output_types)
        steps = len(label.get("task_nodes", []))
        shape = {"single": "single", "chain": "chain", "dag": "dag"}.get(
            label.get("type"), "dag" if steps > 1 else "single"
        )
        common = {"gold": gold, "shape": shape if steps else "none", "steps": steps}
        result = predictions.get(sample_id)
        if sample_id not in predictions:
            run.scores.append(PlanScore(sample_id, pred=PlanView(), missing=True, parsed=False, valid=False, **common))
            run.dropped.append(sample_id)
            continue
        try:
            pred = view_of_taskbench(result, temporal=temporal, output_types=output_types)
        except PlanError as exc:
            run.scores.append(
                PlanScore(sample_id, pred=PlanView(), parsed=False, valid=False, problem=str(exc), **common)
            )
            run.dropped.append(sample_id)
            continue
        run.scores.append(
            PlanScore(
                sample_id,
                pred=pred,
                exact=pred.nodes == gold.nodes and pred.links == gold.links and pred.argvalues == gold.argvalues,
                unoffered=node_types is not None and bool(pred.nodes - node_types),
                **common,
            )
        )
    groups = group_scores(run.scores, node_types)
    report = {
        **groups["all"],
        "groups": groups,
        "taskbench": aggregate([s for s in run.scores if s.parsed], node_types),
        "missing": [s.id for s in run.scores if s.missing],
        "dependency_type": "temporal" if temporal else "resource",
    }
    return run, report


def evaluate_taskbench(
    ann_path: str | Path,
    pred_path: str | Path,
    output: str | Path | None = None,
    *,
    tool_desc: str | Path | None = None,
    dependency_type: str | None = None,
) -> dict[str, Any]:
    """Score a TaskBench label file against a TaskBench predictions file (``{"id", "result"}`` lines)."""
    if dependency_type not in (None, "resource", "temporal"):
        raise RecordError(ann_path, f"dependency_type must be resource or temporal, got {dependency_type!r}")
    labels = list(iter_jsonl(ann_path))
    pred = Path(pred_path)
    if not pred.is_file():
        raise RecordError(pred, "no TaskBench predictions file here; pass the predictions JSONL of the run")
    predictions = {}
    for index, item in enumerate(iter_jsonl(pred)):
        if "id" not in item:
            raise RecordError(pred, "a prediction line needs an 'id'", index)
        predictions[str(item["id"])] = _taskbench_prediction(item)
    temporal = None if dependency_type is None else dependency_type == "temporal"
    run, report = score_taskbench(labels, predictions, temporal=temporal, tool_desc=tool_desc)
    out = Path(output) if output else pred.parent / "metrics_plans.json"
    write_report(report, run.scores, out)
    logger.info("scored %d TaskBench samples\n%s", len(run.scores), markdown_table(report["groups"]))
    return summary(report)
