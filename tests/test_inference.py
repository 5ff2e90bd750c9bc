"""Generation (HFGenerator, load_for_inference) and batch inference (sharding, resuming, backends)."""

from __future__ import annotations

import itertools
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import ClassVar

import pytest
import torch

import inference
from evaluation.predict import LocalModelBackend, Shard, current_shard, run_inference
from evaluation.prediction_files import PredictionWriter, read_written_ids
from generation.generator import HFGenerator, cut_at_stop
from modeling.adapter_files import AdapterFileError
from modeling.loading import load_for_inference
from protocol.prompt import PromptTemplate
from protocol.records import Record, iter_jsonl, read_annotations, write_records
from protocol.steps import OBSERVATION
from tools.catalog import TOOL_SPECS

torch.set_num_threads(1)
MAX_NEW = 40


@pytest.fixture(scope="module")
def tiny(tiny_model_dir):
    return load_for_inference(str(tiny_model_dir), dtype="fp32")


def _prompts(template, tokenizer, tool_counts=(1, 5, 9)) -> list[str]:
    return [
        template.wrap(template.render_instruction(TOOL_SPECS[:k], "", f"task {k}"), "", tokenizer) for k in tool_counts
    ]


def _annotations(path: Path, count: int = 7) -> Path:
    template = PromptTemplate.load("en")
    records = [
        Record(template.render_instruction(TOOL_SPECS[:2], "", f"draw {i}"), "", "Thought: x", f"r{i}")
        for i in range(count)
    ]
    write_records(path, records)
    return path


class ScriptedLM(torch.nn.Module):
    """The tiny LLaMA (real KV cache and masks) whose next token follows a script picked by prompt length."""

    def __init__(self, model, scripts: dict[int, list[int]], filler: int) -> None:
        super().__init__()
        self.model = model
        self.generation_config = model.generation_config
        self.config = model.config
        self.scripts = scripts
        self.filler = filler
        self.decoding_passes = 0

    def get_input_embeddings(self):
        return self.model.get_input_embeddings()

    def forward(self, input_ids, attention_mask, position_ids, **kwargs):
        self.decoding_passes += input_ids.shape[1] == 1
        out = self.model(input_ids=input_ids, attention_mask=attention_mask, position_ids=position_ids, **kwargs)
        logits = torch.full_like(out.logits[:, -1:, :], -1e4)
        for row, last in enumerate(position_ids[:, -1].tolist()):
            length = max((n for n in self.scripts if n <= last + 1), default=None)  # None: a shared prefix
            script = self.scripts[length] if length is not None else []
            step = last + 1 - (length or 0)
            logits[row, -1, script[step] if step < len(script) else self.filler] = 0.0
        out.logits = logits
        return out


@pytest.fixture(scope="module")
def scripted(tiny):
    model, tokenizer, template = tiny
    prompts = _prompts(template, tokenizer)
    lengths = [len(template.encode(tokenizer, p)[0]) for p in prompts]
    assert all(b - a > MAX_NEW + 2 for a, b in itertools.pairwise(lengths))
    tool_call = "Thought: Do I need to use a tool? Yes\nAction: Get Photo Description\nAction Input: image/a.png\n"
    texts = [
        tool_call + "Observation: image/b.png\nThought:",  # stops at Observation:, keeps it
        "Thought: Do I need to use a tool? No\nAI: It is a cat.",  # ends its turn with <|im_end|>
        "Thought: Do I need to use a tool? No\nAI: " + " cat" * 80,  # runs into max_new_tokens
    ]
    scripts = {n: tokenizer(t, add_special_tokens=False)["input_ids"] for n, t in zip(lengths, texts, strict=True)}
    scripts[lengths[1]].append(tokenizer.convert_tokens_to_ids("<|im_end|>"))
    scripts[lengths[1]] += tokenizer("AI: never shown", add_special_tokens=False)["input_ids"]
    lm = ScriptedLM(model, scripts, filler=tokenizer("x", add_special_tokens=False)["input_ids"][0])
    return HFGenerator(lm, tokenizer, template, batch_size=3), prompts, tool_call


@pytest.mark.parametrize("prefill_tokens", [4096, 1], ids=["one-prefill", "prefill-per-row"])
def test_generate_matches_transformers_greedy_with_left_padding(tiny_model_dir, monkeypatch, prefill_tokens):
    """Batched decoding equals one-prompt generate, also when rows are prefilled in chunks of other widths."""
    monkeypatch.setattr("generation.generator.PREFILL_TOKENS", prefill_tokens)
    model, tokenizer, template = load_for_inference(str(tiny_model_dir), dtype="fp32")
    torch.manual_seed(1)
    with torch.no_grad():
        for parameter in model.parameters():  # a random model that does not just repeat one token
            parameter.add_(torch.randn_like(parameter) * 0.3)
    generator = HFGenerator(model, tokenizer, template, batch_size=3, constrain_tools=False)  # transformers' own greedy
    prompts = _prompts(template, tokenizer, (3, 1, 6, 2))
    outputs = generator.generate(prompts, max_new_tokens=12)
    for prompt, output in zip(prompts, outputs, strict=True):
        ids = torch.tensor([template.encode(tokenizer, prompt)[0]])
        reference = model.generate(ids, max_new_tokens=12, do_sample=False, eos_token_id=sorted(generator.eos_ids))
        expected = cut_at_stop(tokenizer.decode(reference[0, ids.shape[1] :]), generator.stop_strings)[0]
        assert output == expected
    assert len(set(outputs)) > 1


def test_each_row_stops_at_observation_or_end_of_turn(scripted):
    generator, prompts, tool_call = scripted
    one_by_one = HFGenerator(generator.model, generator.tokenizer, generator.template, batch_size=3, fast_forward=False)
    for decoder in (generator, one_by_one):
        first, second, third = decoder.generate(list(reversed(prompts)), max_new_tokens=MAX_NEW)[::-1]
        assert first == tool_call + OBSERVATION  # kept, and nothing the model wrote after it
        assert second == "Thought: Do I need to use a tool? No\nAI: It is a cat."  # end of turn not returned
        assert third.startswith("Thought: Do I need to use a tool? No\nAI:") and "cat" in third
    one_by_one.model.decoding_passes = 0
    one_by_one.generate(list(reversed(prompts)), max_new_tokens=MAX_NEW)
    assert one_by_one.model.decoding_passes == MAX_NEW - 1  # the long row alone decides the number of steps


def test_stream_yields_pieces_that_join_to_the_same_text(scripted):
    generator, prompts, _ = scripted
    expected = generator.generate(prompts, max_new_tokens=MAX_NEW)
    for prompt, text in zip(prompts, expected, strict=True):
        pieces = list(generator.stream(prompt, max_new_tokens=MAX_NEW))
        assert "".join(pieces) == text
        assert len(pieces) > 3
        assert all("<|im_end|>" not in piece for piece in pieces)


def test_tool_name_is_held_to_the_listed_tools(tiny):
    """A name the prompt does not list ("Edge Detect") is completed into a listed one; off by option."""
    model, tokenizer, template = tiny
    prompt = _prompts(template, tokenizer, (5,))[0]  # lists Edge Detection On Image among five tools
    length = len(template.encode(tokenizer, prompt)[0])
    script = "Thought: Do I need to use a tool? Yes\nAction: Edge Detect\nAction Input: image/a.png\nObservation:"
    lm = ScriptedLM(model, {length: tokenizer(script, add_special_tokens=False)["input_ids"]}, filler=0)
    free = HFGenerator(lm, tokenizer, template, constrain_tools=False).generate([prompt], MAX_NEW)[0]
    held = HFGenerator(lm, tokenizer, template).generate([prompt], MAX_NEW)[0]
    assert "\nAction: Edge Detect\n" in free
    assert "\nAction: Edge Detection On Image\n" in held


def test_cut_at_stop_keeps_observation_and_drops_end_of_turn():
    stops = [OBSERVATION, "<|im_end|>"]
    assert cut_at_stop("a\nObservation: x<|im_end|>", stops) == ("a\nObservation:", True)
    assert cut_at_stop("AI: hi<|im_end|>Observation:", stops) == ("AI: hi", True)
    assert cut_at_stop("AI: hi", stops) == ("AI: hi", False)


def test_load_for_inference_merges_the_adapter_and_uses_its_template(tmp_path, tiny_model_dir):
    from peft import LoraConfig, PeftModel, get_peft_model
    from transformers import AutoModelForCausalLM

    base = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    peft_model = get_peft_model(base, LoraConfig(r=4, target_modules=["q_proj", "v_proj"], init_lora_weights=False))
    adapter = tmp_path / "adapter"
    peft_model.save_pretrained(adapter)
    PromptTemplate.load("zh").save(adapter)
    ids = torch.tensor([[5, 6, 7, 8]])
    with torch.no_grad():
        expected = peft_model(ids).logits

    model, _, template = load_for_inference(str(tiny_model_dir), str(adapter), dtype="fp32")
    assert not isinstance(model, PeftModel)
    assert template.language == "zh"
    with torch.no_grad():
        assert torch.allclose(model(ids).logits, expected, atol=1e-4)

    (adapter / "prompt_template.yaml").unlink()
    assert load_for_inference(str(tiny_model_dir), str(adapter), dtype="fp32")[2].name == "en"
    with pytest.raises(AdapterFileError, match=r"adapter_config\.json"):  # checked before the base model loads
        load_for_inference(str(tiny_model_dir), str(tmp_path), dtype="fp32")


@pytest.mark.parametrize("count", [1, 2, 3, 5, 11])
def test_shards_cover_every_item_exactly_once(count):
    for size in (0, 1, 4, 10, 23):
        items = list(range(size))
        chunks = [Shard(i, count).select(items) for i in range(count)]
        assert sorted(x for chunk in chunks for x in chunk) == items
        assert max(map(len, chunks)) - min(map(len, chunks)) <= 1


def test_torchrun_ranks_subdivide_chunks(monkeypatch):
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setenv("RANK", "1")
    assert current_shard(3, 2) == Shard(5, 6)
    with pytest.raises(ValueError, match="chunk_idx"):
        current_shard(2, 2)


def test_sharded_inference_covers_all_ids_once_and_resumes(tmp_path, tiny_model_dir):
    ann = _annotations(tmp_path / "ann.json")
    kwargs = {"base_model": str(tiny_model_dir), "save_path": str(tmp_path / "out"), "max_new_tokens": 3}
    files = [inference.main(str(ann), "run", num_chunks=3, chunk_idx=i, batch_size=2, **kwargs) for i in range(3)]
    assert [Path(f).name for f in files] == ["run_0.jsonl", "run_1.jsonl", "run_2.jsonl"]
    ids = [item["id"] for f in files for item in iter_jsonl(f)]
    assert sorted(ids) == sorted(f"r{i}" for i in range(7))

    before = [Path(f).read_text() for f in files]
    inference.main(str(ann), "run", num_chunks=3, chunk_idx=1, **kwargs)  # nothing left to do
    assert [Path(f).read_text() for f in files] == before
    # An unsharded rerun over the same directory also skips everything the chunks wrote.
    single = inference.main(str(ann), "run", **kwargs)
    assert not Path(single).exists() or Path(single).read_text() == ""


class FakeBackend:
    def __init__(self, fail_after: int | None = None) -> None:
        self.batches: list[list[str]] = []
        self.fail_after = fail_after

    def complete(self, records, max_new_tokens):
        if self.fail_after is not None and len(self.batches) >= self.fail_after:
            raise KeyboardInterrupt("killed")
        self.batches.append([r.id for r in records])
        return [f"Thought: out {r.id}" for r in records]


def test_interrupted_run_keeps_finished_batches_and_a_torn_line_is_repaired(tmp_path):
    ann = _annotations(tmp_path / "ann.json")
    out = tmp_path / "out" / "run.jsonl"
    with pytest.raises(KeyboardInterrupt):
        run_inference(FakeBackend(fail_after=2), read_annotations(ann), out, batch_size=2)
    assert len(list(iter_jsonl(out))) == 4
    with out.open("a") as handle:  # a kill in the middle of a write
        handle.write('{"id": "r6", "outp')
    assert len(read_written_ids(out.parent)) == 4  # the torn line does not count as written

    backend = FakeBackend()
    assert run_inference(backend, read_annotations(ann), out, batch_size=2) == 3
    assert sorted(i for batch in backend.batches for i in batch) == sorted(
        {f"r{i}" for i in range(7)} - {item["id"] for item in list(iter_jsonl(out))[:4]}
    )
    lines = out.read_text().splitlines()
    assert len(lines) == 7 and all(json.loads(line)["output"].startswith("Thought") for line in lines)


def test_a_whole_last_line_without_its_newline_counts_as_done_and_is_kept(tmp_path):
    ann = _annotations(tmp_path / "ann.json", count=3)
    out = tmp_path / "out" / "run.jsonl"
    out.parent.mkdir()
    out.write_text('{"id": "r0", "output": "a"}\n{"id": "r1", "output": "b"}')  # killed before the newline
    backend = FakeBackend()
    assert run_inference(backend, read_annotations(ann), out, batch_size=2) == 1
    assert backend.batches == [["r2"]]
    assert [item["id"] for item in iter_jsonl(out)] == ["r0", "r1", "r2"]
    assert out.read_text().endswith("\n") and len(out.read_text().splitlines()) == 3


def test_writer_appends_whole_lines(tmp_path):
    path = tmp_path / "p.jsonl"
    with PredictionWriter(path) as writer:
        writer.write("a", 'line with "quotes"\nand a newline')
    with PredictionWriter(path) as writer:
        writer.write("b", "x")
    assert [item["id"] for item in iter_jsonl(path)] == ["a", "b"]


def test_local_model_backend_wraps_instruction_and_scratchpad(tiny):
    model, tokenizer, template = tiny
    seen = []

    class Recorder(HFGenerator):
        def generate(self, prompts, max_new_tokens=128):
            seen.extend(prompts)
            return ["" for _ in prompts]

    LocalModelBackend(Recorder(model, tokenizer, template)).complete([Record("do it", "Thought: step\n", "", "1")], 5)
    assert seen == [template.wrap("do it", "Thought: step\n", tokenizer)]


class _FakeOpenAI(BaseHTTPRequestHandler):
    requests: ClassVar[list[dict]] = []
    failures_left = 0

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).requests.append({"path": self.path, "auth": self.headers.get("Authorization"), "body": body})
        if type(self).failures_left:
            type(self).failures_left -= 1
            self.send_response(503)
            self.end_headers()
            return
        content = "Thought: Do I need to use a tool? Yes\nAction: Edge Detection On Image\nAction Input: image/a.png\n"
        answer = {"choices": [{"message": {"role": "assistant", "content": content}, "finish_reason": "stop"}]}
        data = json.dumps(answer).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def fake_openai():
    server = HTTPServer(("127.0.0.1", 0), _FakeOpenAI)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _FakeOpenAI.requests = []
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
    server.server_close()


def test_openai_backend_against_a_local_fake_server(tmp_path, fake_openai, monkeypatch):
    monkeypatch.setattr("generation.openai.time.sleep", lambda seconds: None)
    _FakeOpenAI.failures_left = 1  # one 503 is retried
    ann = _annotations(tmp_path / "ann.json", count=2)
    out = inference.main(
        str(ann),
        "gpt",
        backend="openai",
        openai_model="gpt-3.5-turbo",
        openai_base_url=fake_openai,
        openai_api_key="sk-test",
        save_path=str(tmp_path / "out"),
        max_new_tokens=64,
    )
    predictions = list(iter_jsonl(out))
    assert [p["id"] for p in predictions] == ["r0", "r1"]
    assert all(p["output"].endswith("Action Input: image/a.png\nObservation:") for p in predictions)
    request = _FakeOpenAI.requests[-1]
    assert request["path"] == "/v1/chat/completions" and request["auth"] == "Bearer sk-test"
    assert request["body"]["stop"] == ["Observation:"] and request["body"]["max_tokens"] == 64
    assert request["body"]["model"] == "gpt-3.5-turbo" and request["body"]["temperature"] == 0
    assert len(_FakeOpenAI.requests) == 3
