"""Playing the scripted sessions through an agent: uploads as the demo makes them, one turn at a time, each scored.

Every session gets a fresh :class:`~agent.loop.ChatSession` with its own workspace under ``work_dir``; images
are handed to :meth:`Agent.introduce_image` as the bytes of a PNG file, as the Gradio upload does, and each
turn goes through :meth:`Agent.chat`, the loop the demo streams.
"""

from __future__ import annotations

import logging
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agent.loop import Agent, ChatSession, Reply
from session_eval.checks import Check, Detector, SessionState, TurnScore, score_turn
from session_eval.images import build_image
from session_eval.spec import SessionSet, SessionSpec, TurnSpec
from tools.workspace import Workspace

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TurnRecord:
    """One turn as it ran: what was said, the agent's steps and reply, and its score."""

    say: str
    kind: str
    reply: str
    note: str
    finished: bool
    steps: tuple[dict[str, Any], ...]
    score: TurnScore
    seconds: float
    error: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "say": self.say,
            "kind": self.kind,
            "success": self.score.success,
            "false_claim": self.score.false_claim,
            "claim": self.score.claim_detail,
            "noted": bool(self.note),
            "checks": [{"name": c.name, "ok": c.ok, "detail": c.detail} for c in self.score.checks],
            "reply": self.reply,
            "finished": self.finished,
            "steps": list(self.steps),
            "seconds": round(self.seconds, 2),
            **({"error": self.error} if self.error else {}),
        }


@dataclass
class SessionRecord:
    id: str
    kind: str
    turns: list[TurnRecord] = field(default_factory=list)
    uploads: dict[str, str] = field(default_factory=dict)  # alias -> workspace name

    @property
    def success(self) -> bool:
        return all(turn.score.success for turn in self.turns)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "success": self.success,
            "uploads": self.uploads,
            "turns": [turn.to_dict() for turn in self.turns],
        }


class UploadFiles:
    """The session set's images written once as PNG files (what a person would upload)."""

    def __init__(self, session_set: SessionSet, folder: Path) -> None:
        self.session_set = session_set
        self.folder = folder
        self._paths: dict[str, Path] = {}

    def path(self, alias: str) -> Path:
        if alias not in self._paths:
            self.folder.mkdir(parents=True, exist_ok=True)
            path = self.folder / f"{alias}.png"
            build_image(self.session_set.images[alias], alias).save(path)
            self._paths[alias] = path
        return self._paths[alias]


def tool_detector(work_dir: Path) -> Detector:
    """The Detection tool of the offline runtime as the truth for blur checks (cached per file)."""
    from tools.runtime import ToolRuntime

    runtime = ToolRuntime.from_load("ObjectDetection_cpu")
    scratch = Workspace(work_dir)
    cache: dict[Path, list[tuple[str, tuple[int, int, int, int]]]] = {}

    def detect(path: Path) -> list[tuple[str, tuple[int, int, int, int]]]:
        if path not in cache:
            name = scratch.add_image(path)
            observation = runtime.run("Detection", name, scratch)
            cache[path] = [(box.label, box.box) for box in observation.data or ()]
        return cache[path]

    return detect


def run_sessions(
    agent: Agent,
    session_set: SessionSet,
    sessions: Sequence[SessionSpec],
    work_dir: str | Path,
    *,
    detect: Detector | None = None,
    progress: Callable[[SessionRecord], None] | None = None,
) -> list[SessionRecord]:
    """Play ``sessions`` through ``agent``; files go under ``work_dir`` (replaced per session)."""
    work_dir = Path(work_dir)
    uploads = UploadFiles(session_set, work_dir / "uploads")
    detect = detect or tool_detector(work_dir / "truth")
    records = []
    for spec in sessions:
        record = run_session(agent, spec, uploads, work_dir / "workspaces" / spec.id, detect)
        records.append(record)
        if progress:
            progress(record)
    return records


def run_session(agent: Agent, spec: SessionSpec, uploads: UploadFiles, folder: Path, detect: Detector) -> SessionRecord:
    shutil.rmtree(folder, ignore_errors=True)
    session = ChatSession(Workspace(folder))
    state = SessionState(session.workspace)
    record = SessionRecord(spec.id, spec.kind, uploads=state.uploads)
    for number, turn in enumerate(spec.turns, start=1):
        for alias in turn.upload:
            state.uploads[alias], _ = agent.introduce_image(session, uploads.path(alias).read_bytes())
        record.turns.append(_play(agent, session, state, turn, number=number, detect=detect))
    return record


def _play(
    agent: Agent, session: ChatSession, state: SessionState, turn: TurnSpec, *, number: int, detect: Detector
) -> TurnRecord:
    started = time.perf_counter()
    error = ""
    try:
        reply = agent.chat(session, turn.say)
    except Exception as exc:  # an agent bug must not end the run; the turn fails and the error is reported
        logger.exception("the agent raised on %r", turn.say)
        error = f"{type(exc).__name__}: {exc}"
        reply = Reply(f"(the agent raised {error})", (), (), False)
    seconds = time.perf_counter() - started
    score = score_turn(turn.expect, reply, state, detect)
    if error:
        score = TurnScore(
            (*score.checks, Check("the agent did not raise", False, error)), score.false_claim, score.claim_detail
        )
    if score.result:
        state.results[number] = score.result
    steps = tuple(
        {
            "action": step.action,
            "input": step.action_input,
            "observation": step.observation,
            "ok": step.ok,
            "files": list(step.files),
        }
        for step in reply.steps
    )
    return TurnRecord(turn.say, turn.expect.kind, reply.text, reply.note, reply.finished, steps, score, seconds, error)
