"""Self-instruct with a language model: the prompt, the reply parser, the on-disk cache and bounded retries.

A backend (:class:`data_gen.teachers.hf.HFTeacherBackend`, :class:`data_gen.teachers.openai.OpenAITeacherBackend`)
only completes prompts. This
module asks it, per task, for a few requests in a line format::

    Instruction: <what the human says, IMAGE where the image's file name goes>
    Tool: <exact tool name>
    Input: <the tool's comma-separated input>

(``Answer:`` instead of ``Tool``/``Input`` for requests that need no tool). Replies are cached as JSON
lines keyed by the task and the prompt, appended as they come, so an interrupted run resumes where it
stopped; a reply that yields no usable draft is asked again up to ``max_retries`` times and then reported. A
failed call (the endpoint's own retries, in :mod:`generation.openai`, used up) is reported at once.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

from tqdm.auto import tqdm

from data_gen.tasks import CHAIN, NEGATIVE, PICK_ONE, Draft, Task
from data_gen.teachers.base import TeacherCallError, TeacherReport
from protocol.records import iter_jsonl
from tools.registry import ToolRegistry

logger = logging.getLogger(__name__)

_FIELD_RE = re.compile(r"^\s*[-*\d.)]*\s*\**(Instruction|Tool|Input|Answer)\**\s*[:：]\s*(.*)$", re.IGNORECASE)


class CompletionBackend(Protocol):
    """Completes chat prompts; ``identity`` names the model and settings (part of the cache key)."""

    identity: str

    def complete(self, prompts: list[str], attempt: int) -> list[str]: ...


def task_prompt(task: Task, catalogue: ToolRegistry, drafts_per_task: int) -> str:
    """The self-instruct prompt for one task (in English; ``zh`` tasks ask for Chinese requests)."""
    language = "Write the instructions in Chinese (keep tool names in English). " if task.language == "zh" else ""
    scene = f"Image description: {task.caption.text}\n" if task.with_image else "There is no image.\n"
    if task.kind == NEGATIVE:
        return (
            "You write training data for an assistant that can use image tools.\n"
            f"{scene}"
            f"Write {drafts_per_task} different messages a person might send that need NO tool (chit-chat, general "
            "questions, follow-ups), each with a short, helpful answer. "
            f"{language}Use exactly this format:\n"
            "Instruction: <message>\nAnswer: <answer>\n"
        )
    tools = "\n".join(
        f"- {spec.name}: {spec.description} Input: {', '.join(i.name for i in spec.inputs)}."
        for spec in (catalogue.get(name) for name in task.tools)
    )
    order = " Use the tools in this order, one after the other." if task.kind == CHAIN else ""
    if task.variant == PICK_ONE:
        order += (
            " Each request names two objects in the image: the first tool is asked for both (comma separated), "
            "the second blurs only one of them."
        )
    pairs = "".join("Tool: <tool name>\nInput: <tool input>\n" for _ in task.tools)
    return (
        "You write training data for an assistant that can use image tools.\n"
        f"{scene}"
        f"Tools:\n{tools}\n"
        f"Write {drafts_per_task} different requests a person might make that need these tools.{order} "
        "Write IMAGE where the image's file name goes. Vary the wording: commands, questions, polite and short "
        f"requests. {language}Use exactly this format for each request:\n"
        f"Instruction: <request>\n{pairs}"
    )


def parse_drafts(text: str, task: Task) -> list[Draft]:
    """Drafts found in a teacher reply (lines out of the format are ignored)."""
    blocks: list[dict[str, Any]] = []
    for line in text.splitlines():
        match = _FIELD_RE.match(line)
        if not match:
            continue
        field, value = match.group(1).lower(), match.group(2).strip()
        if field == "instruction":
            blocks.append({"request": value, "tools": [], "inputs": [], "answer": ""})
        elif blocks and field == "tool":
            blocks[-1]["tools"].append(value)
        elif blocks and field == "input":
            blocks[-1]["inputs"].append(value)
        elif blocks and field == "answer":
            blocks[-1]["answer"] = value
    drafts = []
    for block in blocks:
        if not block["request"]:
            continue
        if task.kind == NEGATIVE:
            if block["answer"] and not block["tools"]:
                drafts.append(Draft(block["request"], (), block["answer"]))
        elif block["tools"] and len(block["tools"]) == len(block["inputs"]):
            drafts.append(Draft(block["request"], tuple(zip(block["tools"], block["inputs"], strict=True))))
    return drafts


class ReplyCache:
    """Teacher replies as JSON lines (``key``, ``text``); appended and flushed one reply at a time."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.entries: dict[str, str] = {}
        if path.is_file():
            for item in iter_jsonl(path):
                if isinstance(item.get("key"), str) and isinstance(item.get("text"), str):
                    self.entries[item["key"]] = item["text"]
            logger.info("teacher cache %s: %d replies", path, len(self.entries))

    def get(self, key: str) -> str | None:
        return self.entries.get(key)

    def put(self, key: str, text: str) -> None:
        self.entries[key] = text
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps({"key": key, "text": text}, ensure_ascii=False) + "\n")
            handle.flush()


class LLMTeacher:
    """Asks a backend for drafts, batch by batch, with a cache and bounded retries."""

    def __init__(
        self,
        backend: CompletionBackend,
        catalogue: ToolRegistry,
        cache_dir: Path,
        *,
        name: str,
        drafts_per_task: int = 2,
        max_retries: int = 2,
        batch_size: int = 8,
    ) -> None:
        self.name = name
        self.backend = backend
        self.catalogue = catalogue
        self.drafts_per_task = drafts_per_task
        self.max_retries = max_retries
        self.batch_size = batch_size
        digest = hashlib.sha256(backend.identity.encode()).hexdigest()[:12]
        self.cache = ReplyCache(Path(cache_dir) / f"{name}-{digest}.jsonl")
        self.report = TeacherReport()

    def _key(self, task: Task, prompt: str) -> str:
        return f"{task.key}|{hashlib.sha256(prompt.encode()).hexdigest()[:16]}"

    def propose(self, tasks: Sequence[Task]) -> dict[str, list[Draft]]:
        drafts: dict[str, list[Draft]] = {}
        pending: list[tuple[Task, str]] = []
        for task in tasks:
            prompt = task_prompt(task, self.catalogue, self.drafts_per_task)
            cached = self.cache.get(self._key(task, prompt))
            if cached is not None:
                self.report.cached += 1
                drafts[task.key] = parse_drafts(cached, task)
            else:
                pending.append((task, prompt))
        with tqdm(total=len(pending), desc=f"{self.name} teacher", unit="task") as progress:
            for start in range(0, len(pending), self.batch_size):
                batch = pending[start : start + self.batch_size]
                for (task, _), found in zip(batch, self._ask(batch), strict=True):
                    drafts[task.key] = found
                progress.update(len(batch))
        if self.report.failures:
            logger.warning("%s teacher: %d task(s) gave no usable reply", self.name, len(self.report.failures))
        return drafts

    def _ask(self, batch: list[tuple[Task, str]]) -> list[list[Draft]]:
        """Drafts for every task of the batch; tasks without a usable reply are retried, then reported."""
        results: list[list[Draft]] = [[] for _ in batch]
        todo = list(range(len(batch)))
        for attempt in range(self.max_retries + 1):
            if not todo:
                break
            if attempt:
                self.report.retries += len(todo)
            try:
                texts = self.backend.complete([batch[i][1] for i in todo], attempt)
                self.report.calls += len(todo)
            except TeacherCallError as exc:  # already retried by the backend's transport
                self.report.calls += len(todo)
                for i in todo:
                    self.report.failures[batch[i][0].key] = str(exc)
                break
            still = []
            for i, text in zip(todo, texts, strict=True):
                task, prompt = batch[i]
                found = parse_drafts(text, task)
                if found:
                    results[i] = found
                    self.report.failures.pop(task.key, None)
                    self.cache.put(self._key(task, prompt), text)
                else:
                    self.report.failures[task.key] = f"no request in the reply format: {text[:120]!r}"
                    still.append(i)
            todo = still
        return results


def make_llm_teacher(
    kind: str, catalogue: ToolRegistry, cache_dir: Path, seed: int, options: dict[str, Any]
) -> LLMTeacher:
    """An ``hf`` or ``openai`` teacher; ``options`` holds the teacher settings and the backend's."""
    settings = {key: options.pop(key) for key in ("drafts_per_task", "max_retries", "batch_size") if key in options}
    if kind == "hf":
        from data_gen.teachers.hf import HFTeacherBackend

        backend: CompletionBackend = HFTeacherBackend(seed=seed, **options)
    elif kind == "openai":
        from data_gen.teachers.openai import OpenAITeacherBackend

        backend = OpenAITeacherBackend(seed=seed, **options)
    else:
        raise ValueError(f"unknown model teacher {kind!r}; use hf or openai")
    return LLMTeacher(backend, catalogue, cache_dir, name=kind, **settings)
