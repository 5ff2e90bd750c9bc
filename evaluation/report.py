"""Presenting scoring results: a markdown table and a bar chart of the success rates per group."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from evaluation.scoring import EXACT_METRICS

CHART_METRICS = EXACT_METRICS
# the original's five, then the tolerant and strict SR and the missing-prediction view
HEADLINE_METRICS = (*EXACT_METRICS, "SR_tolerant", "SR_strict", "coverage", "SR_all")
# the original's eval.txt: its labels for SR_t, SR_act, SR_args, SR, IoU
ORIGINAL_LABELS = dict(zip(EXACT_METRICS, ("Thought Acc", "Action Acc", "Action Args Acc", "Acc", "IoU"), strict=True))


def _percent(value: object) -> str:
    return f"{100 * value:.1f}" if isinstance(value, int | float) else "-"


def markdown_table(groups: Mapping[str, Mapping[str, object]]) -> str:
    """One row per group: sample count and every metric as a percentage (``-`` where there is none)."""
    header = "| group | n | " + " | ".join(HEADLINE_METRICS) + " |"
    rule = "| --- | ---: | " + " | ".join("---:" for _ in HEADLINE_METRICS) + " |"
    rows = [
        f"| {name} | {values['n']} | " + " | ".join(_percent(values.get(m)) for m in HEADLINE_METRICS) + " |"
        for name, values in groups.items()
    ]
    return "\n".join([header, rule, *rows]) + "\n"


def original_summary(report: Mapping[str, object]) -> str:
    """The five headline numbers in the original's ``eval.txt`` wording (fractions, as it printed them)."""
    return "".join(f"{ORIGINAL_LABELS[name]}: {report[name]}\n" for name in EXACT_METRICS)


def bar_chart(groups: Mapping[str, Mapping[str, object]], path: str | Path) -> Path:
    """Grouped bars (one group of bars per sample group, one bar per metric) saved as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [name for name in groups if not name.startswith("tool/")]
    width = 0.8 / len(CHART_METRICS)
    fig, ax = plt.subplots(figsize=(max(6.0, 1.4 * len(names)), 4.0))
    for offset, metric in enumerate(CHART_METRICS):
        xs = [i + (offset - (len(CHART_METRICS) - 1) / 2) * width for i in range(len(names))]
        ax.bar(xs, [100 * (groups[n].get(metric) or 0.0) for n in names], width, label=metric)
    ax.set_xticks(range(len(names)), [f"{n}\n(n={groups[n]['n']})" for n in names], fontsize=8)
    ax.set_ylim(0, 100)
    ax.set_ylabel("%")
    ax.set_title("GPT4Tools success rates")
    ax.legend(fontsize=8, ncols=len(CHART_METRICS))
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def comparison_table(runs: Mapping[str, Mapping[str, object]]) -> str:
    """One row per run (e.g. ``zero-shot val``, ``fine-tuned test``): ``n`` and every metric in percent."""
    return markdown_table(runs).replace("| group |", "| run |", 1)


def tool_table(runs: Mapping[str, Mapping[str, Mapping[str, object]]], metric: str = "SR") -> str:
    """One row per tool (the ``tool/...`` groups of any run): its sample count and ``metric`` of each run."""
    tools = sorted({name for groups in runs.values() for name in groups if name.startswith("tool/")})
    header = "| tool | n | " + " | ".join(f"{run} {metric}" for run in runs) + " |"
    rule = "| --- | ---: | " + " | ".join("---:" for _ in runs) + " |"
    rows = []
    for tool in tools:
        count = next(groups[tool]["n"] for groups in runs.values() if tool in groups)
        cells = [
            f"{100 * value:.0f}"
            if tool in groups and isinstance(value := groups[tool].get(metric), int | float)
            else "-"
            for groups in runs.values()
        ]
        rows.append(f"| {tool.removeprefix('tool/')} | {count} | " + " | ".join(cells) + " |")
    return "\n".join([header, rule, *rows]) + "\n"


def main(*metrics_files: str, per_tool: bool = False) -> str:
    """Compare metrics JSON files given as ``NAME=PATH`` (or a bare path): a row per run, or with
    ``--per_tool`` a row per tool and a column of SR per run."""
    import json

    runs = {}
    for item in metrics_files:
        name, _, path = item.rpartition("=")
        runs[name or Path(path).stem] = json.loads(Path(path).read_text(encoding="utf-8"))["groups"]
    if per_tool:
        return tool_table(runs)
    return comparison_table({name: groups["all"] for name, groups in runs.items()})


if __name__ == "__main__":
    from protocol.cli import run_cli

    run_cli(main)
