"""A plan for people: its task graph as a small SVG diagram and its steps as table rows, with each step's state,
the candidates that competed for it and the one kept. The demo's plan view shows these while the plan runs."""

from __future__ import annotations

from collections.abc import Mapping
from html import escape

from agent.executor import StepResult, StepStatus
from protocol.plan import Plan, PlanStep, Reference

PLAN_HEADERS = ("step", "tool", "uses", "arguments", "state", "model kept", "candidates", "result", "seconds")
STATUS_COLOURS = {
    StepStatus.PENDING: "#d1d5db",
    StepStatus.RUNNING: "#93c5fd",
    StepStatus.DONE: "#86efac",
    StepStatus.FAILED: "#fca5a5",
    StepStatus.TIMED_OUT: "#fdba74",
    StepStatus.CANCELLED: "#e5e7eb",
    StepStatus.SKIPPED: "#f3f4f6",
}
_BOX_WIDTH, _BOX_HEIGHT, _GAP_X, _GAP_Y, _MARGIN = 190, 46, 50, 16, 8
_MAX_LABEL = 26


def depths(plan: Plan) -> dict[int, int]:
    """Each step's column: 0 for a step that uses no other, else one more than the deepest step it uses."""
    depth: dict[int, int] = {}
    by_id = plan.by_id()
    for step in plan.steps:  # a valid plan refers only to earlier steps
        depth[step.id] = 1 + max((depth.get(r, 0) for r in step.references if r in by_id), default=-1)
    return depth


def plan_svg(plan: Plan, results: Mapping[int, StepResult] | None = None) -> str:
    """The task graph: a box per step in columns by depth, coloured by its state, an arrow per reference."""
    if not plan.steps:
        return ""
    results = results or {}
    depth = depths(plan)
    rows: dict[int, int] = {}
    position: dict[int, tuple[int, int]] = {}
    for step in plan.steps:
        column = depth[step.id]
        row = rows.get(column, 0)
        rows[column] = row + 1
        x = _MARGIN + column * (_BOX_WIDTH + _GAP_X)
        y = _MARGIN + row * (_BOX_HEIGHT + _GAP_Y)
        position[step.id] = (x, y)
    width = _MARGIN * 2 + (max(depth.values()) + 1) * (_BOX_WIDTH + _GAP_X) - _GAP_X
    height = _MARGIN * 2 + max(rows.values()) * (_BOX_HEIGHT + _GAP_Y) - _GAP_Y
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        'font-family="sans-serif" font-size="12" role="img" aria-label="plan">',
        '<defs><marker id="arrow" markerWidth="8" markerHeight="8" refX="7" refY="4" orient="auto">'
        '<path d="M0,0 L8,4 L0,8 z" fill="#6b7280"/></marker></defs>',
    ]
    for source, target in plan.links:
        (x1, y1), (x2, y2) = position[source], position[target]
        parts.append(
            f'<line x1="{x1 + _BOX_WIDTH}" y1="{y1 + _BOX_HEIGHT // 2}" x2="{x2 - 2}" y2="{y2 + _BOX_HEIGHT // 2}" '
            'stroke="#6b7280" stroke-width="1.5" marker-end="url(#arrow)"/>'
        )
    for number, step in enumerate(plan.steps, 1):
        x, y = position[step.id]
        status = results[step.id].status if step.id in results else StepStatus.PENDING
        label = step.task if len(step.task) <= _MAX_LABEL else step.task[: _MAX_LABEL - 1].rstrip() + "…"
        parts.append(
            f'<g class="step" data-step="{step.id}" data-status="{status.value}">'
            f"<title>{escape(step.task)}: {escape(status.value)}</title>"
            f'<rect x="{x}" y="{y}" width="{_BOX_WIDTH}" height="{_BOX_HEIGHT}" rx="6" '
            f'fill="{STATUS_COLOURS[status]}" stroke="#374151"/>'
            f'<text x="{x + 8}" y="{y + 18}">{number}. {escape(label)}</text>'
            f'<text x="{x + 8}" y="{y + 36}" fill="#374151">{escape(status.value)}</text></g>'
        )
    parts.append("</svg>")
    return "".join(parts)


def candidates_cell(result: StepResult | None) -> str:
    """The candidates that competed for the step: each with its mean similarity (the kept one marked), or why it
    failed; empty when one backend ran alone."""
    record = result.outcome.competition if result is not None and result.outcome is not None else None
    if not record:
        return ""
    kept = (record.get("choose model result") or {}).get("id")
    cells = []
    for candidate in record.get("candidates", []):
        name = candidate.get("id", "?")
        if candidate.get("ok"):
            mean = candidate.get("mean_similarity")
            score = f" {mean:.2f}" if isinstance(mean, int | float) else ""
            cells.append(f"{'✔ ' if name == kept else ''}{name}{score}")
        else:
            cells.append(f"✗ {name}: {candidate.get('error') or 'failed'}")
    return "; ".join(cells)


def _arguments(step: PlanStep, number_of: Mapping[int, int]) -> str:
    shown = []
    for name, value in step.args:
        text = f"output of step {number_of.get(value.step, value.step)}" if isinstance(value, Reference) else value
        shown.append(f"{name}={text}")
    return ", ".join(shown)


def plan_rows(plan: Plan, results: Mapping[int, StepResult] | None = None) -> list[list[str]]:
    """One row per step, in :data:`PLAN_HEADERS` order."""
    results = results or {}
    number_of = {step.id: number for number, step in enumerate(plan.steps, 1)}
    rows = []
    for number, step in enumerate(plan.steps, 1):
        result = results.get(step.id)
        status = result.status if result is not None else StepStatus.PENDING
        outcome = result.outcome if result is not None else None
        done = result is not None and result.ok and outcome is not None
        rows.append(
            [
                str(number),
                step.task,
                ", ".join(str(number_of.get(r, r)) for r in step.references),
                _arguments(step, number_of),
                status.value,
                f"{outcome.model} ({outcome.reason})" if done and outcome.model else "",
                candidates_cell(result),
                outcome.text if done else (result.reason if result is not None else ""),
                f"{result.seconds:.1f}" if result is not None and result.status.finished and result.started else "",
            ]
        )
    return rows
