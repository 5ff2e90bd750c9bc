"""Validation of teacher drafts: tool names mapped or dropped, arguments checked against the spec."""

from __future__ import annotations

import difflib
import re
from collections import Counter
from dataclasses import dataclass, field

from data_gen.tasks import IMAGE_PLACEHOLDER, NEGATIVE, Draft, Task
from tools.registry import ToolRegistry
from tools.spec import ArgumentCountError, InputKind, ToolSpec, parse_size

# What teachers write for "the image": <image>, IMAGE, [image], {image}, <image_path>, image.png ...
_PLACEHOLDER_RE = re.compile(
    r"<\s*image(?:_path|_file|\s+path)?\s*>|\[\s*image(?:_path)?\s*\]|\{\s*image(?:_path)?\s*\}|\bIMAGE(?:_PATH)?\b"
    r"|\b(?:image|example|input|your_image|photo)\.(?:png|jpe?g)\b",
)
MAX_REQUEST_CHARS = 400


class DraftRejected(ValueError):
    """Why a draft was dropped (counted in the report)."""


@dataclass
class ValidationReport:
    kept: int = 0
    mapped_tools: Counter = field(default_factory=Counter)  # "written -> catalogue name"
    dropped: Counter = field(default_factory=Counter)  # reason -> count

    def as_dict(self) -> dict:
        return {
            "kept": self.kept,
            "dropped": dict(self.dropped.most_common()),
            "mapped_tools": dict(self.mapped_tools.most_common(20)),
        }


def normalise_placeholders(text: str) -> str:
    return _PLACEHOLDER_RE.sub(IMAGE_PLACEHOLDER, text)


class DraftValidator:
    """Checks drafts against a split's tools; repairs what can be repaired, rejects the rest.

    ``allowed`` are the tools a draft may call; at least one call must use a ``gold`` tool (the tools the
    split is about: seen tools for train/val, held-out tools for test).
    """

    def __init__(self, allowed: ToolRegistry, gold: ToolRegistry, catalogue: ToolRegistry) -> None:
        self.allowed = allowed
        self.gold = gold
        self.catalogue = catalogue
        self.report = ValidationReport()
        self._lower = {name.lower(): name for name in catalogue.names}

    def map_tool(self, written: str) -> str:
        """The catalogue name a teacher meant (exact, case-insensitive, then closest spelling)."""
        name = written.strip().strip("`'\".")
        if name in self.catalogue:
            return name
        match = self._lower.get(name.lower()) or next(
            iter(difflib.get_close_matches(name.lower(), list(self._lower), n=1, cutoff=0.8)), None
        )
        if match is None:
            raise DraftRejected("unknown tool")
        canonical = self._lower.get(match, match)
        self.report.mapped_tools[f"{written} -> {canonical}"] += 1
        return canonical

    def check_arguments(self, spec: ToolSpec, action_input: str) -> str:
        """The Action Input with image arguments set to the placeholder; raises when the count or a type is wrong."""
        try:
            parts = spec.split_arguments(normalise_placeholders(action_input))
        except ArgumentCountError:
            raise DraftRejected("wrong argument count") from None
        fixed = []
        for item, value in zip(spec.inputs, parts, strict=True):
            fixed.append(self._check_value(item.kind, value))
        return ", ".join(fixed)

    @staticmethod
    def _check_value(kind: InputKind, value: str) -> str:
        if kind is InputKind.IMAGE:
            return IMAGE_PLACEHOLDER
        if kind is InputKind.NUMBER:
            try:
                float(value)
            except ValueError:
                raise DraftRejected("non-numeric argument") from None
        elif kind is InputKind.SIZE:
            try:
                width, height = parse_size(value)
            except ValueError:
                raise DraftRejected("bad size argument") from None
            return f"{width}x{height}"
        elif IMAGE_PLACEHOLDER in value or "\n" in value:
            raise DraftRejected("text argument holds a file name or a line break")
        return value

    def validate(self, task: Task, draft: Draft) -> Draft:
        """The cleaned draft; raises :class:`DraftRejected` with the reason when it cannot be used."""
        request = normalise_placeholders(" ".join(draft.request.split()))
        if not request:
            raise DraftRejected("empty request")
        if len(request) > MAX_REQUEST_CHARS:
            raise DraftRejected("request too long")
        if task.kind == NEGATIVE:
            answer = normalise_placeholders(draft.answer.strip())
            if draft.calls or not answer:
                raise DraftRejected("negative without an answer")
            if IMAGE_PLACEHOLDER in request + answer and not task.with_image:
                raise DraftRejected("mentions an image that is not in the conversation")
            return Draft(request, (), answer)
        if not draft.calls:
            raise DraftRejected("no tool call")
        calls = []
        for written, action_input in draft.calls:
            tool = self.map_tool(written)
            if tool not in self.allowed:
                raise DraftRejected("tool not allowed in this split")
            calls.append((tool, self.check_arguments(self.catalogue.get(tool), action_input)))
        if not any(tool in self.gold for tool, _ in calls):
            raise DraftRejected("no tool of this split's gold tools")
        first_needs_image = bool(self.catalogue.get(calls[0][0]).image_inputs)
        if not task.with_image and (first_needs_image or IMAGE_PLACEHOLDER in request):
            raise DraftRejected("mentions an image that is not in the conversation")
        return Draft(request, tuple(calls))

    def __call__(self, task: Task, drafts: list[Draft]) -> list[Draft]:
        kept = []
        for draft in drafts:
            try:
                kept.append(self.validate(task, draft))
            except DraftRejected as exc:
                self.report.dropped[str(exc)] += 1
        self.report.kept += len(kept)
        return kept
