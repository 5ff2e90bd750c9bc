"""Teachers (template, hf on the tiny model, openai against a loopback fake), the cache, retries and resume."""

from __future__ import annotations

import json
import re
import threading
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

from data_gen.captions import load_captions
from data_gen.config import GenConfig
from data_gen.phrasings import NOUNS
from data_gen.pipeline import generate
from data_gen.tasks import CHAIN, CHAINS, EDIT_THEN_ANALYSE_CHAINS, IMAGE_PLACEHOLDER, NEGATIVE, SINGLE, Task
from data_gen.teachers.base import TeacherCallError
from data_gen.teachers.llm import LLMTeacher, parse_drafts
from data_gen.teachers.template import TemplateTeacher, add_typo
from data_gen.validate import DraftValidator
from tools.catalog import default_registry

CATALOGUE = default_registry()
CAPTIONS = load_captions("shipped")
SIGN = next(c for c in CAPTIONS if c.sign_text and c.boxes)
GOOD_REPLY = (
    "Instruction: Please find the edges in IMAGE.\nTool: edge detection on image\nInput: IMAGE\n\n"
    "Instruction: Show me the Canny edges of <image>\nTool: Edge Detection On Image\nInput: image.png\n"
)


def test_template_teacher_phrases_every_tool_and_chain():
    teacher = TemplateTeacher(CATALOGUE, seed=0)
    validator = DraftValidator(CATALOGUE, CATALOGUE, CATALOGUE)
    tasks = [
        Task(SINGLE, SIGN, (name,), lang, True, i)
        for name in CATALOGUE.names
        for lang in ("en", "zh")
        for i in range(3)
    ]
    tasks += [Task(CHAIN, SIGN, pair, lang, True, i) for pair in CHAINS for lang in ("en", "zh") for i in range(2)]
    tasks += [Task(CHAIN, SIGN, pair, "en", True, i) for pair in EDIT_THEN_ANALYSE_CHAINS for i in range(2)]
    tasks += [Task(NEGATIVE, SIGN, (), lang, bool(i % 2), i) for lang in ("en", "zh") for i in range(6)]
    drafts = teacher.propose(tasks)
    for task in tasks:
        (draft,) = drafts[task.key]
        assert validator(task, [draft]), (task.key, draft)
        assert [tool for tool, _ in draft.calls] == list(task.tools)
        if task.kind == NEGATIVE:
            assert draft.answer.strip()
    assert validator.report.kept == len(tasks)
    requests = {drafts[t.key][0].request for t in tasks if t.tools == ("Edge Detection On Image",)}
    assert len(requests) >= 4  # varied phrasings


def test_edit_then_analyse_requests_name_the_analysis_they_ask_for():
    teacher = TemplateTeacher(CATALOGUE, seed=0)
    for edit, analysis in EDIT_THEN_ANALYSE_CHAINS:
        tasks = [Task(CHAIN, SIGN, (edit, analysis), lang, True, i) for lang in ("en", "zh") for i in range(4)]
        for task in tasks:
            (draft,) = teacher.propose([task])[task.key]
            named = NOUNS.get(analysis, {}).get(task.language, ())
            if analysis in NOUNS:  # the request names what the second tool makes, not what the first does
                assert any(noun in draft.request for noun in named), draft.request
            else:
                assert draft.calls[1][1].split(", ", 1)[1] in draft.request  # its object or question
        assert len({teacher.propose([t])[t.key][0].request for t in tasks}) >= 4


def test_template_teacher_draws_arguments_from_the_caption_and_is_deterministic():
    caption = CAPTIONS[0]
    tasks = [Task(SINGLE, caption, ("Remove Something From The Photo",), "en", True, i) for i in range(2)]
    first = TemplateTeacher(CATALOGUE, seed=5).propose(tasks)
    assert first == TemplateTeacher(CATALOGUE, seed=5).propose(tasks)
    for (draft,) in first.values():
        ((_tool, action_input),) = draft.calls
        image, obj = action_input.split(", ")
        assert image == IMAGE_PLACEHOLDER and obj in caption.objects and obj in draft.request


def test_numeric_arguments_are_the_numbers_the_request_gives():
    caption = CAPTIONS[0]
    tools = ("Rotate Image", "Resize Image", "Blur Region", "Crop Image")
    tasks = [Task(SINGLE, caption, (tool,), lang, True, i) for tool in tools for lang in ("en", "zh") for i in range(8)]
    for (draft,) in TemplateTeacher(CATALOGUE, seed=3).propose(tasks).values():
        ((tool, action_input),) = draft.calls
        image, *numbers = action_input.split(", ")
        assert image == IMAGE_PLACEHOLDER and len(numbers) == len(CATALOGUE.get(tool).inputs) - 1
        given = re.findall(r"-?\d+", draft.request.replace(IMAGE_PLACEHOLDER, ""))
        assert sorted(given) == sorted(numbers), draft.request  # some frames give x before y


def test_typos_never_touch_slots():
    import random

    rng = random.Random(0)
    for _ in range(200):
        typo = add_typo("Please remove the {obj} from {image} quickly.", rng)
        assert "{obj}" in typo and "{image}" in typo and typo != "Please remove the {obj} from {image} quickly."


def test_validator_maps_names_checks_arguments_and_drops_the_rest():
    seen = CATALOGUE.subset(n for n in CATALOGUE.names if not CATALOGUE.get(n).held_out)
    validator = DraftValidator(seen, seen, CATALOGUE)
    task = Task(SINGLE, CAPTIONS[0], ("Edge Detection On Image",), "en", True)
    kept = validator(task, parse_drafts(GOOD_REPLY, task))
    assert [d.calls for d in kept] == [(("Edge Detection On Image", IMAGE_PLACEHOLDER),)] * 2
    assert kept[0].request == f"Please find the edges in {IMAGE_PLACEHOLDER}."
    assert validator.report.mapped_tools["edge detection on image -> Edge Detection On Image"] == 1
    bad = parse_drafts(
        "Instruction: teleport it\nTool: Teleporter\nInput: IMAGE\n"
        "Instruction: replace it\nTool: Replace Something From The Photo\nInput: IMAGE, dog\n"
        "Instruction: crop it\nTool: Crop Image\nInput: IMAGE, 1, 2, 3, 4\n"
        "Instruction: extend it\nTool: Extend An Image\nInput: IMAGE, huge\n",
        task,
    )
    assert validator(task, bad) == []
    assert validator.report.dropped == {
        "unknown tool": 1,
        "wrong argument count": 1,
        "tool not allowed in this split": 1,
        "bad size argument": 1,
    }


class _FakeBackend:
    """Replies from a script; counts calls; can fail or be interrupted."""

    identity = "fake"

    def __init__(self, replies, interrupt_after: int | None = None) -> None:
        self.replies = replies
        self.calls = 0
        self.interrupt_after = interrupt_after

    def complete(self, prompts, attempt):
        out = []
        for _ in prompts:
            if self.interrupt_after is not None and self.calls >= self.interrupt_after:
                raise KeyboardInterrupt
            self.calls += 1
            reply = self.replies(self.calls)
            if isinstance(reply, Exception):
                raise reply
            out.append(reply)
        return out


def _single_tasks(count: int) -> list[Task]:
    return [Task(SINGLE, CAPTIONS[i], ("Edge Detection On Image",), "en", True) for i in range(count)]


def test_retries_are_bounded_and_failures_reported(tmp_path):
    backend = _FakeBackend(lambda n: "junk" if n % 2 else GOOD_REPLY)
    teacher = LLMTeacher(backend, CATALOGUE, tmp_path, name="fake", max_retries=1, batch_size=1)
    drafts = teacher.propose(_single_tasks(3))
    assert all(drafts.values()) and teacher.report.retries == 3 and not teacher.report.failures
    always_bad = LLMTeacher(
        _FakeBackend(lambda n: TeacherCallError("HTTP 500")), CATALOGUE, tmp_path / "b", name="x", max_retries=2
    )
    assert always_bad.propose(_single_tasks(2)) == {t.key: [] for t in _single_tasks(2)}
    # a failed call is not asked again: the backend's client already retried it (generation/openai.py's rule)
    assert always_bad.report.calls == 2 and set(always_bad.report.failures.values()) == {"HTTP 500"}


def test_resume_after_an_interrupted_run_reuses_the_cache(tmp_path):
    tasks = _single_tasks(5)
    interrupted = _FakeBackend(lambda n: GOOD_REPLY, interrupt_after=3)
    with pytest.raises(KeyboardInterrupt):
        LLMTeacher(interrupted, CATALOGUE, tmp_path, name="fake", batch_size=1).propose(tasks)
    with (tmp_path / next(p.name for p in tmp_path.iterdir())).open("a") as handle:
        handle.write('{"key": "torn')  # a half-written line from the interruption
    resumed = _FakeBackend(lambda n: GOOD_REPLY)
    teacher = LLMTeacher(resumed, CATALOGUE, tmp_path, name="fake", batch_size=1)
    drafts = teacher.propose(tasks)
    assert resumed.calls == 2 and teacher.report.cached == 3
    assert all(len(found) == 2 for found in drafts.values())


def test_hf_teacher_on_the_tiny_model_survives_junk(tmp_path, tiny_model_dir):
    config = replace(
        GenConfig.load("quick"),
        teacher="hf",
        max_captions=4,
        single=1,
        chain=0,
        negative=1,
        near_duplicate_threshold=None,
        teacher_options={"model": str(tiny_model_dir), "max_new_tokens": 16, "max_retries": 1, "dtype": "fp32"},
    )
    result = generate(config, tmp_path)
    teacher = result.report["teacher"]
    assert teacher["calls"] >= 8 and teacher["failed_tasks"] >= 1  # the random model writes no usable request
    assert (tmp_path / "train.json").is_file() and (tmp_path / "report.md").is_file()
    assert list((tmp_path / "teacher_cache").glob("hf-*.jsonl")) or teacher["failed_tasks"] == 8


class _Handler(BaseHTTPRequestHandler):
    requests: ClassVar[list[dict]] = []

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        _Handler.requests.append({"path": self.path, "auth": self.headers.get("Authorization"), "body": body})
        prompt = body["messages"][0]["content"]
        if len(_Handler.requests) == 1:
            self.send_response(500)
            self.end_headers()
            return
        if "NO tool" in prompt:
            reply = "Instruction: Hi there!\nAnswer: Hello! How can I help?\n"
        else:
            tool = prompt.split("Tools:\n- ", 1)[1].split(":", 1)[0]
            spec = CATALOGUE.get(tool)
            args = ", ".join(
                "IMAGE" if i.kind == "image" else {"number": "10", "size": "900x900"}.get(i.kind, "the dog")
                for i in spec.inputs
            )
            reply = f"Instruction: Use {tool} on IMAGE please.\nTool: {tool.upper()}\nInput: {args}\n"
        data = json.dumps({"choices": [{"message": {"role": "assistant", "content": reply}}]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


def test_openai_teacher_against_a_loopback_server(tmp_path, monkeypatch):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        monkeypatch.setenv("TEST_OPENAI_URL", f"http://127.0.0.1:{server.server_port}/v1")
        monkeypatch.setenv("TEST_OPENAI_KEY", "sk-test")
        options = {
            "model": "fake-gpt",
            "base_url_env": "TEST_OPENAI_URL",
            "api_key_env": "TEST_OPENAI_KEY",
            "backoff_s": 0,
            "batch_size": 1,
        }
        config = replace(
            GenConfig.load("quick"),
            teacher="openai",
            max_captions=6,
            single=2,
            chain=0,
            negative=1,
            near_duplicate_threshold=None,
            teacher_options=options,
        )
        result = generate(config, tmp_path)
    finally:
        server.shutdown()
    assert _Handler.requests[0]["path"] == "/v1/chat/completions"
    assert _Handler.requests[0]["auth"] == "Bearer sk-test" and _Handler.requests[0]["body"]["model"] == "fake-gpt"
    teacher = result.report["teacher"]
    # the HTTP 500 was retried by the client, under the one retry rule, not re-asked by the teacher
    assert teacher["retries"] == 0 and teacher["failed_tasks"] == 0
    assert sum(result.counts.values()) > 0
    assert result.report["validation"]["mapped_tools"]  # upper-cased names were mapped back
    calls = len(_Handler.requests)
    result = generate(config, tmp_path)  # a rerun answers from the cache
    assert len(_Handler.requests) == calls and result.report["teacher"]["cached"] == calls - 1
