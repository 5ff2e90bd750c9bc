"""The teacher interface: turn tasks (caption, gold tools, language) into drafts, and report failures."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from data_gen.tasks import Draft, Task


class TeacherCallError(RuntimeError):
    """A backend call failed (network, HTTP status, malformed response); the task is reported as failed."""


@dataclass
class TeacherReport:
    """What happened while teaching: calls made, answers taken from the cache, tasks that failed."""

    calls: int = 0
    cached: int = 0
    retries: int = 0
    failures: dict[str, str] = field(default_factory=dict)  # task key -> last error

    def as_dict(self) -> dict:
        return {
            "calls": self.calls,
            "cached": self.cached,
            "retries": self.retries,
            "failed_tasks": len(self.failures),
            "failure_examples": dict(list(self.failures.items())[:10]),
        }


class Teacher(Protocol):
    """Proposes drafts for tasks; a task it cannot serve maps to an empty list (and is reported)."""

    name: str
    report: TeacherReport

    def propose(self, tasks: Sequence[Task]) -> dict[str, list[Draft]]: ...
