"""Playing the scripted sessions through an agent: uploads as the demo makes them, one turn at a time, then scoring.

Every session gets a fresh :class:`~agent.loop.ChatSession` with its own workspace under ``work_dir``; images
are handed to :meth:`Agent.introduce_image` as the bytes of a PNG file with its name, as the Gradio upload does, and
each turn goes through :meth:`Agent.chat`, the loop the demo streams. A session is scored after it is played, from
its replies and the files in its workspace, so a finished run can be scored again (``session_eval.rescore``).
"""

from __future__ import annotations

import logging
import shutil
import time
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from agent.loop import NEEDS_IMAGE, Agent, ChatSession, Reply, TraceStep
from session_eval.checks import WORD_PREFIX, Check, Detector, SessionState, TurnScore, score_turn
from session_eval.images import build_image
from session_eval.spec import SessionSet, SessionSpec
from tools.outputs import Box, PlacedWord
from tools.workspace import Workspace

logger = logging.getLogger(__name__)
WORKSPACES = "workspaces"


@dataclass(frozen=True)
class PlayedTurn:
    """What was said and what the agent did: its reply (with every step), the time it took, any exception."""

    say: str
    reply: Reply
    seconds: float
    error: str = ""

    def to_dict(self) -> dict[str, Any]:
        reply = self.reply
        return {
            "say": self.say,
            "reply": reply.text,
            "model_answer": reply.model_answer,
            "finished": reply.finished,
            "by_agent": reply.by_agent,
            **({"model_call": reply.model_call} if reply.model_call else {}),
            "files": list(reply.files),
            "steps": [
                {
                    "action": s.action,
                    "input": s.action_input,
                    "observation": s.observation,
                    "ok": s.ok,
                    "files": list(s.files),
                    **({"model_call": s.model_call} if s.model_call else {}),
                }
                for s in reply.steps
            ],
            "seconds": round(self.seconds, 2),
            **({"error": self.error} if self.error else {}),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PlayedTurn:
        steps = tuple(
            TraceStep(
                index,
                "",
                s["action"],
                s["input"],
                s["observation"],
                s["ok"],
                tuple(s["files"]),
                model_call=s.get("model_call", ""),
            )
            for index, s in enumerate(data["steps"], start=1)
        )
        said = data.get("model_answer", "")
        # runs written before replies carried by_agent knew the agent's own answer by its text
        by_agent = data.get("by_agent", data["reply"] == NEEDS_IMAGE)
        reply = Reply(
            data["reply"],
            tuple(data["files"]),
            steps,
            data["finished"],
            bool(said),
            model_answer=said,
            by_agent=by_agent,
            model_call=data.get("model_call", ""),
        )
        return cls(data["say"], reply, data["seconds"], data.get("error", ""))


@dataclass(frozen=True)
class TurnRecord:
    """A played turn with its kind and score."""

    played: PlayedTurn
    kind: str
    score: TurnScore

    @property
    def say(self) -> str:
        return self.played.say

    @property
    def reply(self) -> Reply:
        return self.played.reply

    @property
    def seconds(self) -> float:
        return self.played.seconds

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "success": self.score.success,
            "shown_success": self.score.shown_success,
            "false_claim": self.score.false_claim,
            "shown_false_claim": self.score.shown_false_claim,
            "claim": self.score.claim_detail,
            "checks": [{"name": c.name, "ok": c.ok, "detail": c.detail} for c in self.score.checks],
            **self.played.to_dict(),
        }


@dataclass
class SessionRecord:
    id: str
    kind: str
    uploads: dict[str, str]  # alias -> workspace name
    turns: list[TurnRecord] = field(default_factory=list)

    @property
    def success(self) -> bool:
        return all(turn.score.success for turn in self.turns)

    @property
    def shown_success(self) -> bool:
        return all(turn.score.shown_success for turn in self.turns)

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


def truth_label(item: Box | PlacedWord) -> str:
    """A found box's label for cover checks: a detection's own, a word the reader placed as ``word:TEXT``."""
    return f"{WORD_PREFIX}{item.text}" if isinstance(item, PlacedWord) else item.label


def tool_detector(work_dir: Path) -> Detector:
    """The Detection tool of the offline runtime, and the box of the text the reading tool reads (label ``text``) and
    of each word it places (``word:TEXT``), as the truth for cover checks (cached per file)."""
    from tools.runtime import ToolRuntime

    runtime = ToolRuntime.from_load("ObjectDetection_cpu,TextDetection_cpu")
    scratch = Workspace(work_dir)
    cache: dict[Path, list[tuple[str, tuple[int, int, int, int]]]] = {}

    def detect(path: Path) -> list[tuple[str, tuple[int, int, int, int]]]:
        if path not in cache:
            name = scratch.add_image(path)
            found = [runtime.run(tool, name, scratch) for tool in ("Detection", "Text Detection On Image")]
            cache[path] = [(truth_label(item), item.box) for observation in found for item in observation.data or ()]
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
    """Play and score ``sessions`` through ``agent``; files go under ``work_dir`` (replaced per session)."""
    work_dir = Path(work_dir)
    uploads = UploadFiles(session_set, work_dir / "uploads")
    detect = detect or tool_detector(work_dir / "truth")
    records = []
    for spec in sessions:
        # the same file names on every run: the model reads them, and random ones made runs differ
        workspace = Workspace(_fresh(work_dir / WORKSPACES / spec.id), name_seed=zlib.crc32(spec.id.encode()))
        names, played = play_session(agent, spec, uploads, workspace)
        record = score_session(spec, played, SessionState(workspace, names), detect)
        records.append(record)
        if progress:
            progress(record)
    return records


def play_session(
    agent: Agent, spec: SessionSpec, uploads: UploadFiles, workspace: Workspace
) -> tuple[dict[str, str], list[PlayedTurn]]:
    """Upload and say each turn of ``spec`` in a new chat session; returns the upload names and the turns."""
    session = ChatSession(workspace)
    names: dict[str, str] = {}
    played = []
    for turn in spec.turns:
        for alias in turn.upload:
            path = uploads.path(alias)
            names[alias] = agent.introduce_image(session, path.read_bytes(), path.name).name
        started = time.perf_counter()
        try:
            reply, error = agent.chat(session, turn.say), ""
        except Exception as exc:  # an agent bug must not end the run; the turn fails and the error is reported
            logger.exception("the agent raised on %r", turn.say)
            error = f"{type(exc).__name__}: {exc}"
            reply = Reply(f"(the agent raised {error})", (), (), False)
        played.append(PlayedTurn(turn.say, reply, time.perf_counter() - started, error))
    return names, played


def score_session(
    spec: SessionSpec, played: Sequence[PlayedTurn], state: SessionState, detect: Detector
) -> SessionRecord:
    """Score each played turn in order (a turn's result is what a later "@N" names)."""
    record = SessionRecord(spec.id, spec.kind, dict(state.uploads))
    for number, (turn, done) in enumerate(zip(spec.turns, played, strict=True), start=1):
        score = score_turn(turn.expect, done.reply, state, detect)
        if done.error:
            score = replace(
                score, checks=(*score.checks, Check("the agent did not raise", False, done.error)), result=None
            )
        if score.result:
            state.results[number] = score.result
        record.turns.append(TurnRecord(done, turn.expect.kind, score))
    return record


def _fresh(folder: Path) -> Path:
    shutil.rmtree(folder, ignore_errors=True)
    return folder
