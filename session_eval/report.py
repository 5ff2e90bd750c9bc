"""The figures of a session run (overall, per kind of session, per kind of turn, per failed check), as JSON and
markdown, and a side-by-side table of several runs."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from session_eval.runner import SessionRecord, TurnRecord

RESULTS_JSON = "sessions.json"
RESULTS_MD = "sessions.md"


def write_results(out_dir: Path, run: Mapping[str, Any], records: Sequence[SessionRecord]) -> dict[str, Any]:
    """Write ``out_dir``/sessions.json (the run, the summary, every turn) and sessions.md; returns the summary."""
    summary = summarise(records)
    out_dir.mkdir(parents=True, exist_ok=True)
    results = {"run": dict(run), "summary": summary, "sessions": [record.to_dict() for record in records]}
    (out_dir / RESULTS_JSON).write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    (out_dir / RESULTS_MD).write_text(markdown(run, summary, records), encoding="utf-8")
    return summary


def _rate(part: int, whole: int) -> float:
    return round(100 * part / whole, 1) if whole else 0.0


def _turn_figures(turns: Sequence[TurnRecord]) -> dict[str, Any]:
    success = sum(turn.score.success for turn in turns)
    shown = sum(turn.score.shown_success for turn in turns)
    claims = [turn for turn in turns if turn.score.false_claim]
    return {
        "turns": len(turns),
        "turn_success": success,
        "turn_success_rate": _rate(success, len(turns)),
        "false_claims": len(claims),
        "false_claims_corrected": sum(turn.reply.corrected for turn in claims),
        "turn_success_shown": shown,
        "turn_success_shown_rate": _rate(shown, len(turns)),
        "false_claims_shown": sum(turn.score.shown_false_claim for turn in turns),
        "overruled": sum(turn.score.overruled for turn in turns),
    }


def summarise(records: Sequence[SessionRecord]) -> dict[str, Any]:
    """Session success, turn success and false success claims, overall and per kind."""
    turns = [turn for record in records for turn in record.turns]
    success = sum(record.success for record in records)
    shown = sum(record.shown_success for record in records)
    overall = {
        "sessions": len(records),
        "session_success": success,
        "session_success_rate": _rate(success, len(records)),
        "session_success_shown": shown,
        "session_success_shown_rate": _rate(shown, len(records)),
    }
    by_session_kind = {}
    for kind in dict.fromkeys(record.kind for record in records):
        group = [record for record in records if record.kind == kind]
        won = sum(record.success for record in group)
        by_session_kind[kind] = {
            "sessions": len(group),
            "session_success": won,
            "session_success_rate": _rate(won, len(group)),
            **_turn_figures([turn for record in group for turn in record.turns]),
        }
    by_turn_kind = {
        kind: _turn_figures([turn for turn in turns if turn.kind == kind]) for kind in sorted({t.kind for t in turns})
    }
    failed = Counter(turn.score.failed_checks[0] for turn in turns if not turn.score.success)
    return {
        "overall": {**overall, **_turn_figures(turns)},
        "by_session_kind": by_session_kind,
        "by_turn_kind": by_turn_kind,
        "first_failed_check": dict(failed.most_common()),
    }


def markdown(run: Mapping[str, Any], summary: Mapping[str, Any], records: Sequence[SessionRecord]) -> str:
    """A readable report: the run, the headline figures, the tables per kind and every failed turn."""
    overall = summary["overall"]
    lines = [
        f"# Executable sessions: {run['label']}",
        "",
        f"Model `{run['base_model']}`, adapter `{run['adapter'] or 'none (zero-shot)'}`; "
        f"{overall['sessions']} sessions from `{run['session_set']}`; {run['seconds']:.0f} s.",
        "",
        "| measure | count | of | % |",
        "| --- | ---: | ---: | ---: |",
        f"| session success | {overall['session_success']} | {overall['sessions']} | {overall['session_success_rate']} |",
        f"| turn success | {overall['turn_success']} | {overall['turns']} | {overall['turn_success_rate']} |",
        f"| false success claims (turns) | {overall['false_claims']} | {overall['turns']} | "
        f"{_rate(overall['false_claims'], overall['turns'])} |",
        f"| ... of them corrected by the agent | {overall['false_claims_corrected']} | {overall['false_claims']} | "
        f"{_rate(overall['false_claims_corrected'], overall['false_claims'])} |",
        f"| session success as shown (the replies after the agent's corrections) | "
        f"{overall['session_success_shown']} | {overall['sessions']} | {overall['session_success_shown_rate']} |",
        f"| turn success as shown | {overall['turn_success_shown']} | {overall['turns']} | "
        f"{overall['turn_success_shown_rate']} |",
        f"| false success claims shown | {overall['false_claims_shown']} | {overall['turns']} | "
        f"{_rate(overall['false_claims_shown'], overall['turns'])} |",
        f"| turns where the agent ran a call other than the model's | {overall.get('overruled', 0)} | "
        f"{overall['turns']} | {_rate(overall.get('overruled', 0), overall['turns'])} |",
        "",
        "The model's measure (the first three rows) judges the model's own calls and words; the rows \"as "
        'shown" judge what the person met: the calls that ran and the reply they read.',
        "",
        "## By kind of session",
        "",
        "| kind | sessions | session success % | turns | turn success % | false claims |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    lines += [
        f"| {kind} | {f['sessions']} | {f['session_success_rate']} | {f['turns']} | {f['turn_success_rate']} | "
        f"{f['false_claims']} |"
        for kind, f in summary["by_session_kind"].items()
    ]
    lines += [
        "",
        "## By kind of turn",
        "",
        "| turn | turns | success % | false claims |",
        "| --- | ---: | ---: | ---: |",
    ]
    lines += [
        f"| {kind} | {f['turns']} | {f['turn_success_rate']} | {f['false_claims']} |"
        for kind, f in summary["by_turn_kind"].items()
    ]
    lines += ["", "## Where failed turns first fail", "", "| check | turns |", "| --- | ---: |"]
    lines += [f"| {name} | {count} |" for name, count in summary["first_failed_check"].items()]
    lines += ["", "## Failed turns", ""]
    lines += list(_failed_turns(records)) or ["None."]
    return "\n".join(lines) + "\n"


def _failed_turns(records: Iterable[SessionRecord]) -> Iterable[str]:
    for record in records:
        for number, turn in enumerate(record.turns, start=1):
            if turn.score.success:
                continue
            calls = "; ".join(
                f"{s.action or '(unparsed)'}({s.action_input}) -> {'ok' if s.ok else 'failed'}"
                + (f" [the model wrote {s.model_call!r}]" if s.model_call else "")
                for s in turn.reply.steps
            )
            if turn.reply.model_call:
                calls = "; ".join(filter(None, [calls, f"[the model wrote {turn.reply.model_call!r}]"]))
            failed = "; ".join(f"{c.name}: {c.detail}" if c.detail else c.name for c in turn.score.checks if not c.ok)
            if turn.score.false_claim:
                failed = "; ".join(filter(None, [failed, f"FALSE CLAIM: {turn.score.claim_detail}"]))
            if turn.score.overruled:
                failed = "; ".join(filter(None, [failed, "the agent ran another call than the model's"]))
            reply = " ".join(turn.reply.text.split())[:200]
            yield f'- `{record.id}` turn {number} ({turn.kind}) "{turn.say}": {failed}. Calls: {calls or "none"}. Reply: "{reply}"'


def _shown(overall: Mapping[str, Any]) -> str:
    """Session and turn success as shown, or ``-`` for a run scored before they were measured."""
    if "session_success_shown_rate" not in overall:
        return "-"
    return f"{overall['session_success_shown_rate']} / {overall['turn_success_shown_rate']}"


def comparison(runs: Mapping[str, Mapping[str, Any]]) -> str:
    """Runs side by side (name -> a run's JSON): headline figures, then session success per kind of session."""
    names = list(runs)
    header = "| | " + " | ".join(names) + " |"
    rule = "| --- | " + " | ".join("---:" for _ in names) + " |"
    overall = {name: run["summary"]["overall"] for name, run in runs.items()}
    rows = [
        ("sessions", lambda o: f"{o['sessions']}"),
        ("session success %", lambda o: f"{o['session_success_rate']}"),
        ("turn success %", lambda o: f"{o['turn_success_rate']} ({o['turn_success']}/{o['turns']})"),
        ("false success claims", lambda o: f"{o['false_claims']}"),
        ("session / turn success as shown %", _shown),
        ("false success claims shown", lambda o: f"{o.get('false_claims_shown', '-')}"),
        ("turns with a call the agent ran instead", lambda o: f"{o.get('overruled', '-')}"),
    ]
    lines = [
        header,
        rule,
        *(f"| {label} | " + " | ".join(cell(overall[n]) for n in names) + " |" for label, cell in rows),
    ]
    kinds = list(dict.fromkeys(kind for run in runs.values() for kind in run["summary"]["by_session_kind"]))
    lines += ["", "| session kind (sessions) | " + " | ".join(names) + " |", rule]
    for kind in kinds:
        cells = []
        for run in runs.values():
            figures = run["summary"]["by_session_kind"].get(kind)
            cells.append(f"{figures['session_success_rate']}" if figures else "-")
        count = next(
            run["summary"]["by_session_kind"][kind]["sessions"]
            for run in runs.values()
            if kind in run["summary"]["by_session_kind"]
        )
        lines.append(f"| {kind} ({count}) | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
