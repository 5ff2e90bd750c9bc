"""inference.py and evaluate_result.py on bad input: exit status 2, one ``error:`` line that names the fix,
before any model loads, and nothing written that a rerun would trust."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

import pytest

import evaluate_result
import inference
from protocol.cli import run_cli
from protocol.records import Record, write_records

GOOD = [Record("prompt", "", "Thought: Do I need to use a tool? No\nAI: hi", f"r{i}") for i in range(3)]


def _adapter(path: Path, config: str | None = '{"peft_type": "LORA"}', weights: bytes | None = None) -> Path:
    path.mkdir()
    if config is not None:
        (path / "adapter_config.json").write_text(config)
    if weights is not None:
        (path / "adapter_model.safetensors").write_bytes(weights)
    return path


def _expect_refusal(monkeypatch, capsys, function, argv: list[str], fragment: str) -> str:
    def no_model(*args, **kwargs):
        raise AssertionError("a model was loaded before the input was checked")

    monkeypatch.setattr("modeling.loading.load_for_inference", no_model)
    monkeypatch.setattr("modeling.loading.load_model", no_model)
    monkeypatch.setattr(sys, "argv", ["prog", *argv])
    with pytest.raises(SystemExit) as exit_info:
        run_cli(function)
    err = capsys.readouterr().err
    assert exit_info.value.code == 2
    assert err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err, err
    assert fragment in err, err
    return err


# (case id, options after --ann_path/--save_name, annotation content or None for GOOD, adapter kind, expected)
INFERENCE_CASES = [
    ("repeated-ids", [], '[{"instruction": "a", "input": "", "output": "o", "id": 7},'
     ' {"instruction": "b", "input": "", "output": "o", "id": "7"}]', None, "1 id(s) repeat: '7' (records 0, 1); give every record its own id"),
    ("no-records", [], "[]", None, "holds no records"),
    ("missing-ann", [], "missing", None, "file not found"),
    ("non-utf8-ann", [], b"\xff\xfe[", None, "not UTF-8"),
    ("max-new-tokens-0", ["--max_new_tokens", "0"], None, None, "--max_new_tokens 0: give a whole number of at least 1"),
    ("max-new-tokens-neg", ["--max_new_tokens", "-5"], None, None, "--max_new_tokens -5: give a whole number"),
    ("batch-size-0", ["--batch_size", "0"], None, None, "--batch_size 0: give a whole number of at least 1"),
    ("batch-size-neg", ["--batch_size", "-1"], None, None, "--batch_size -1: give a whole number"),
    ("batch-size-word", ["--batch_size", "abc"], None, None, "--batch_size 'abc': give a whole number"),
    ("batch-size-float", ["--batch_size", "2.5"], None, None, "--batch_size 2.5: give a whole number"),
    ("num-chunks-0", ["--num_chunks", "0"], None, None, "--num_chunks 0: give a whole number of at least 1"),
    ("chunk-idx-past", ["--num-chunks", "2", "--chunk-idx", "2"], None, None, "chunk index 2 is not in [0, 2)"),
    ("chunk-idx-neg", ["--chunk_idx", "-1"], None, None, "--chunk_idx -1: give a whole number of at least 0"),
    ("num-beams", ["--num_beams", "4"], None, None, "beam search is not supported; inference.py decodes greedily"),
    ("unknown-flag", ["--wandb_project", "x"], None, None, "unknown option(s) --wandb_project"),
    ("devices-disagree", ["--llm_device", "cuda", "--device", "cpu"], None, None, "disagree; give one of them"),
    ("backend", ["--backend", "vllm"], None, None, "--backend 'vllm': use one of hf, openai"),
    ("prompt", ["--prompt_template", "vicuna"], None, None, "no prompt template at"),
    ("adapter-missing", [], None, "missing", "no such directory; pass the output dir of lora_finetune.py"),
    ("adapter-no-config", [], None, "no-config", "no adapter_config.json"),
    ("adapter-bad-json", [], None, "bad-json", "adapter_config.json is not valid JSON"),
    ("adapter-not-peft", [], None, "not-peft", "not a PEFT adapter config"),
    ("adapter-no-weights", [], None, "no-weights", "has no adapter_model.safetensors: the adapter is incomplete"),
    ("adapter-empty-weights", [], None, "empty-weights", "is not a readable safetensors file"),
    ("adapter-bad-weights", [], None, "bad-weights", "is not a readable safetensors file"),
    ("base-offline", ["--base_model", "lmsys/vicuna-13b-v1.5"], None, None, "not in the Hugging Face cache"),
]  # fmt: skip
ADAPTERS = {
    "no-config": {"config": None, "weights": b"x"},
    "bad-json": {"config": "{"},
    "not-peft": {"config": "{}"},
    "no-weights": {},
    "empty-weights": {"weights": b""},
    "bad-weights": {"weights": b"\x08\x00\x00\x00\x00\x00\x00\x00not json"},
}


@pytest.mark.parametrize("case", INFERENCE_CASES, ids=[c[0] for c in INFERENCE_CASES])
def test_inference_refuses_bad_input_at_once(tmp_path, tiny_model_dir, monkeypatch, capsys, case):
    _, options, ann, adapter, fragment = case
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "empty-hub"))
    ann_path = tmp_path / "ann.json"
    if ann is None:
        write_records(ann_path, GOOD)
    elif isinstance(ann, bytes):
        ann_path.write_bytes(ann)
    elif ann != "missing":
        ann_path.write_text(ann)
    argv = ["--ann_path", str(ann_path), "--save_name", "run", "--save_path", str(tmp_path / "out")]
    argv += ["--base_model", str(tiny_model_dir), *options]
    if adapter is not None:
        path = tmp_path / "adapter"
        if adapter != "missing":
            _adapter(path, **ADAPTERS[adapter])
        argv += ["--lora_model", str(path)]
    _expect_refusal(monkeypatch, capsys, inference.main, argv, fragment)
    assert not (tmp_path / "out").exists()  # no prediction file a rerun would take as done


EVALUATE_CASES = [
    ("repeated-ids", ["--pred_path", "{pred}"], '[{"instruction": "a", "input": "", "output": "o", "id": 7},'
     ' {"instruction": "b", "input": "", "output": "o", "id": "7"}]', "1 id(s) repeat: '7'"),
    ("no-records", ["--pred_path", "{pred}"], "[]", "holds no records; pass a val/test file"),
    ("missing-predictions", ["--pred_path", "{tmp}/nowhere"], None, "no predictions at"),
    ("empty-directory", ["--pred_path", "{tmp}/empty"], None, "holds no prediction files"),
    ("non-utf8-predictions", ["--pred_path", "{tmp}/latin1.jsonl"], None, "latin1.jsonl: not UTF-8"),
    ("no-matching-id", ["--pred_path", "{tmp}/others.jsonl"], None, "none of the predictions in"),
    ("neither", [], None, "pass --pred_path (a prediction file or directory) or --save_name NAME"),
    ("both", ["--pred_path", "{pred}", "--save_name", "run"], None, "not both"),
    ("num-chunks-0", ["--save_name", "run", "--save_path", "{tmp}", "--num-chunks", "0"], None, "--num_chunks 0"),
    ("unknown-flag", ["--pred_path", "{pred}", "--chunk-idx", "0"], None, "unknown option(s) --chunk-idx"),
]  # fmt: skip


@pytest.mark.parametrize("case", EVALUATE_CASES, ids=[c[0] for c in EVALUATE_CASES])
def test_evaluate_refuses_bad_input(tmp_path, monkeypatch, capsys, case):
    _, options, ann, fragment = case
    ann_path = tmp_path / "ann.json"
    if ann is None:
        write_records(ann_path, GOOD)
    else:
        ann_path.write_text(ann)
    run = tmp_path / "run"
    run.mkdir()
    (run / "run.jsonl").write_text("".join(json.dumps({"id": r.id, "output": r.output}) + "\n" for r in GOOD))
    (tmp_path / "empty").mkdir()
    (tmp_path / "latin1.jsonl").write_bytes('{"id": "r0", "output": "caf\u00e9"}\n'.encode("latin-1"))
    (tmp_path / "others.jsonl").write_text('{"id": "x9", "output": "AI: hi"}\n')
    argv = ["--ann_path", str(ann_path), *(o.format(pred=run, tmp=tmp_path) for o in options)]
    _expect_refusal(monkeypatch, capsys, evaluate_result.evaluate, argv, fragment)
    assert not list(tmp_path.rglob("metrics*")) and not list(tmp_path.rglob("eval.txt"))


def test_repeated_prediction_ids_are_named_in_a_warning(tmp_path, caplog):
    ann = tmp_path / "ann.json"
    write_records(ann, GOOD)
    pred = tmp_path / "p.jsonl"
    lines = [{"id": "r0", "output": "x"}, {"id": "r1", "output": "y"}, {"id": "r0", "output": GOOD[0].output}]
    pred.write_text("".join(json.dumps(line) + "\n" for line in lines))
    with caplog.at_level(logging.WARNING):
        top = evaluate_result.evaluate(str(ann), str(pred))
    assert "1 prediction id(s) occur more than once" in caplog.text and "'r0' at p.jsonl:0, p.jsonl:2" in caplog.text
    assert top["coverage"] == pytest.approx(2 / 3) and top["SR"] == 0.5  # the last r0 (right) and r1 (wrong)
