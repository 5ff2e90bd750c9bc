"""Drop-in for GPT4Tools users: the original's record layout, prompt, scorer and command lines.

The original's side comes from ``tests/gpt4tools_original.py`` (its format strings and an independent
transcription of its ``evaluate_result.py``).
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

import evaluate_result
import inference
from evaluation.scoring import EXACT, TOLERANT, score_reply
from protocol.cli import run_cli
from protocol.prompt import PromptTemplate
from protocol.records import ORIGINAL_LAYOUT, Record, convert_records, read_records, split_scratchpad, write_records
from tests import gpt4tools_original as original
from tools.catalog import TOOL_SPECS

ROOT = Path(__file__).resolve().parent.parent
EDGE = "Edge Detection On Image"
CANNY = "Generate Image Condition On Canny Image"
SPECS = [spec for spec in TOOL_SPECS if spec.name in (EDGE, CANNY, "Get Photo Description")]
TEMPLATE = PromptTemplate.load("gpt4tools")


def prompt_text(request: str, image: str | None = "image/abcdefgh.png") -> str:
    """The original generator's instruction for ``request`` over ``SPECS`` (tool lines in our wording)."""
    history = original.LLM_IMAGE_FORMAT.format(image_path=image, image_caption="A dog on a red car.") if image else ""
    return original.PROMPT_FORMAT.format(
        tool_descriptions=TEMPLATE.render_tools(SPECS),
        tool_names=", ".join(spec.name for spec in SPECS),
        chat_history=history,
        input=request,
    )


def tool_reply(tool: str, args: str) -> str:
    return original.LLM_RESPONSE_TOOL_FORMAT.format(tool_name=tool, args=args)


def answer_reply(text: str) -> str:
    return original.LLM_RESPONSE_HUMAN_FORMAT.format(response=text)


CONTEXT_STEPS = [(EDGE, "image/abcdefgh.png", "Result saved as image/edgesxyz.png")]


def original_records() -> list[dict]:
    """Records as the original's data files hold them: int ids, steps at the end of the instruction."""
    first = prompt_text("Find the edges of image/abcdefgh.png")
    chained = prompt_text("Draw a red car from the edges of image/abcdefgh.png")
    return [
        {"instruction": first, "input": "", "output": tool_reply(EDGE, "image/abcdefgh.png"), "id": 0},
        {
            "instruction": original.context_instruction(first, CONTEXT_STEPS),
            "input": "",
            "output": answer_reply("image/edgesxyz.png") + "\n",
            "id": 1,
        },
        {
            "instruction": original.context_instruction(chained, CONTEXT_STEPS),
            "input": "",
            "output": tool_reply(CANNY, "image/edgesxyz.png, a red car"),
            "id": 2,
        },
        {
            "instruction": prompt_text("Tell me a joke.", image=None),
            "input": "",
            "output": answer_reply("Why did the car stop? It was tired."),
            "id": 3,
        },
    ]


# ---------------------------------------------------------------- layouts
def test_both_layouts_are_read_and_the_original_is_written_back_unchanged(tmp_path):
    path = tmp_path / "gpt4tools_val_seen.json"
    path.write_text(json.dumps(original_records()))
    records = read_records(path)
    assert [r.input for r in records] == ["", "", "", ""][:0] or records[0].input == ""
    steps = original.context_instruction("", CONTEXT_STEPS)
    assert records[1].input == steps and records[2].input == steps  # the earlier steps, split out
    assert records[1].instruction == prompt_text("Find the edges of image/abcdefgh.png")
    assert records[3].input == "" and records[0].instruction == original_records()[0]["instruction"]
    assert [r.id for r in records] == ["0", "1", "2", "3"]

    back = tmp_path / "back.json"
    assert "4 record(s)" in convert_records(str(path), str(back), ORIGINAL_LAYOUT)
    assert json.loads(back.read_text()) == original_records()  # ids stay integers, steps back in instruction
    ours = tmp_path / "ours.jsonl"
    write_records(ours, records)
    assert read_records(ours) == records and json.loads(ours.read_text().splitlines()[1])["input"] == steps


def test_the_protocol_example_in_the_prompt_is_never_taken_for_steps():
    prompt = prompt_text("Find the edges")
    assert split_scratchpad(prompt) == (prompt, "")
    two = original.context_instruction(prompt, CONTEXT_STEPS * 2)
    assert split_scratchpad(two) == (prompt, original.context_instruction("", CONTEXT_STEPS * 2))
    unfinished = prompt + "Thought: Do I need to use a tool? Yes\nAction: X\nAction Input: y\n"  # no observation
    assert split_scratchpad(unfinished) == (unfinished, "")


# ---------------------------------------------------------------- the prompt
def test_the_gpt4tools_template_renders_the_originals_prompt_and_training_text(tiny_tokenizer):
    history = TEMPLATE.introduce_image("image/abcdefgh.png", "A dog on a red car.")
    request = "Find the edges of image/abcdefgh.png"
    assert TEMPLATE.render_instruction(SPECS, history, request) == prompt_text(request)
    assert TEMPLATE.render_instruction(SPECS, [], "Tell me a joke.") == prompt_text("Tell me a joke.", image=None)

    record = read_records_from(original_records())[2]
    prompt, completion = TEMPLATE.training_pair(record.instruction, record.input, record.output, tiny_tokenizer)
    raw = original_records()[2]
    # alpaca-lora's Prompter with input == "": prompt_no_input, then the reply and EOS (the tokenizer's
    # chat template is not used)
    assert prompt == original.VICUNA_PROMPT_NO_INPUT.format(instruction=raw["instruction"])
    assert completion == raw["output"] + tiny_tokenizer.eos_token
    assert TEMPLATE.wrap(record.instruction, record.input, tiny_tokenizer) == prompt
    ids, masked = TEMPLATE.encode(tiny_tokenizer, prompt, completion)
    assert tiny_tokenizer.decode(ids[masked:]) == completion


def read_records_from(items: list[dict]) -> list[Record]:
    from protocol.records import record_from_dict

    return [record_from_dict(item) for item in items]


def test_older_template_files_load_with_the_new_fields_defaulted(tmp_path):
    data = {k: v for k, v in PromptTemplate.load("en").__dict__.items()}
    for name in ("instruction_layout", "chat_template", "scratchpad_in_instruction"):
        data.pop(name)
    (tmp_path / "prompt_template.yaml").write_text(json.dumps(data))
    assert PromptTemplate.load(tmp_path) == PromptTemplate.load("en")


# ---------------------------------------------------------------- the scorer: exact by default
GOLD_TOOL = tool_reply(EDGE, "image/abcdefgh.png")
GOLD_TWO_ARGS = tool_reply(CANNY, "image/edgesxyz.png, a red car")
GOLD_ANSWER = answer_reply("image/edgesxyz.png") + "\n"
YES, NO = "Thought: Do I need to use a tool? Yes", "Thought: Do I need to use a tool? No"
# (gold, completion): the cases where a tolerant reader and the original disagree, and plain ones
CRAFTED = [
    (GOLD_TOOL, f"{YES}\nAction: {EDGE}\nAction Input: image/abcdefgh.png\nObservation:"),
    (GOLD_TOOL, f"{YES}.\nAction: {EDGE}\nAction Input: image/abcdefgh.png\nObservation:"),
    (GOLD_TOOL, f"Thought: Do I need to use a tool? yes\nAction: {EDGE}\nAction Input: image/a.png\nObservation:"),
    (GOLD_ANSWER, f"{NO}.\nAI: image/edgesxyz.png"),
    (GOLD_TOOL, f"{YES}\nAction: {EDGE}\nAction Input: image/abcdefgh.jpg\nObservation:"),
    (GOLD_TOOL, f"{YES}\nAction: {EDGE}\nAction Input: image/abcdefgh.PNG\nObservation:"),
    (GOLD_ANSWER, f"{NO}\nAI:image/edgesxyz.png"),
    (GOLD_ANSWER, f"{NO}, the edges are in image/edgesxyz.png"),
    (GOLD_TOOL, f"{YES}\nAction: {EDGE}\nAction: {EDGE}\nAction Input: image/abcdefgh.png\nObservation:"),
    (GOLD_TOOL, f"{YES}\nAction: {EDGE}\nObservation:"),
    (GOLD_TOOL, f"{YES}\nAction: {EDGE}\nAction Input: image/a.png\nObservation: image/b.png\n{NO}\nAI: done"),
    (GOLD_TWO_ARGS, f"{YES}\nAction: {CANNY}\nAction Input: image/q.png, red car\nObservation:"),
    (GOLD_TWO_ARGS, f"{YES}\nAction: {CANNY}\nAction Input: image/q.png, blue\nObservation:"),
    (GOLD_TWO_ARGS, f"{YES}\nAction: {CANNY}\nAction Input: a red car, image/q.png\nObservation:"),
    (GOLD_TOOL, f"{NO}\nAI: I cannot see images."),
    (GOLD_ANSWER, f"{YES}\nAction: {EDGE}\nAction Input: image/abcdefgh.png\nObservation:"),
    (GOLD_ANSWER, "The edges are in image/edgesxyz.png."),
    ("Action: X\nAction Input: image/a.png\n", "Action: X\nAction Input: image/b.png\n"),  # NaN thought, SR 1
]


def _same(ours: float, theirs: float) -> bool:
    return (math.isnan(ours) and math.isnan(theirs)) or ours == pytest.approx(theirs, abs=1e-12)


@pytest.mark.parametrize(("gold", "pred"), CRAFTED)
def test_exact_columns_equal_the_originals_definitions(gold, pred):
    ours = score_reply(gold, pred.strip(), EXACT)
    theirs = dict(zip(("SR_t", "SR_act", "SR_args", "SR", "IoU"), original.evaluate_item(gold, pred), strict=True))
    assert all(_same(ours[k], theirs[k]) for k in theirs), (ours, theirs)


def test_tolerant_reading_differs_where_the_issue_says():
    tolerant = [score_reply(gold, pred.strip(), TOLERANT)["SR"] for gold, pred in CRAFTED[:11]]
    exact = [score_reply(gold, pred.strip(), EXACT)["SR"] for gold, pred in CRAFTED[:11]]
    assert exact == [1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0]
    assert tolerant == [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.0, 1.0, 0.0, 1.0]


def _write_chunks(directory: Path, name: str, chunks: list[list[dict]]) -> None:
    directory.mkdir(parents=True)
    for index, chunk in enumerate(chunks):
        (directory / f"{name}_{index}.json").write_text(json.dumps(chunk))


def test_evaluate_result_reports_the_originals_numbers_on_its_files(tmp_path):
    """Crafted replies in the original's prediction files (prompt + completion, chunks, a repeated id, an
    unknown id, missing ids, a prompt the tokenizer changed): our exact columns equal the original's."""
    ann = [
        {"instruction": prompt_text(f"request {i}"), "input": "", "output": gold, "id": i}
        for i, (gold, _) in enumerate(CRAFTED)
    ]
    ann_path = tmp_path / "ann.json"
    ann_path.write_text(json.dumps(ann))
    preds = [{"output": a["instruction"] + pred, "id": a["id"]} for a, (_, pred) in zip(ann, CRAFTED, strict=True)]
    preds[0]["output"] = preds[0]["output"].replace("GPT4Tools can", "GPT4Tools  can", 1)  # cut one char late
    preds[1]["output"] = [preds[1]["output"]]  # the original sometimes wrote a one-element list
    missing = preds.pop(5), preds.pop(7)
    chunks = [[*preds[:8], {"output": "x", "id": 999}], [*preds[8:], {"output": preds[2]["output"], "id": 3}]]
    _write_chunks(tmp_path / "out" / "run", "run", chunks)

    top = evaluate_result.evaluate(str(ann_path), save_name="run", save_path=str(tmp_path / "out"), num_chunks=2)
    theirs = original.evaluate(ann, original.gather_prediction(str(tmp_path / "out"), "run", 2))
    report = json.loads((tmp_path / "out" / "run" / "metrics.json").read_text())
    for key, value in theirs.items():
        assert _same(report[key], value) and _same(top[key], value), key
    assert report["predicted"] == len(CRAFTED) - 2 and report["missing"] == [str(m["id"]) for m in missing]
    assert report["unknown_ids"] == ["999"] and list(report["repeated_ids"]) == ["3"]
    assert report["SR_all"] == pytest.approx(report["SR"] * report["predicted"] / report["n"])
    assert (tmp_path / "out" / "run" / "eval.txt").read_text().startswith(f"Thought Acc: {report['SR_t']}\n")


# ---------------------------------------------------------------- the original's commands, end to end
def _cli(monkeypatch, function, *argv: str):
    monkeypatch.setattr(sys, "argv", ["prog", *argv])
    return run_cli(function)


def test_the_originals_commands_data_and_prompt_run_end_to_end(tmp_path, tiny_model_dir, monkeypatch):
    """Train with the original's command line on its data layout and prompt, predict with its inference flags
    and chunks, score with its evaluate_result.py form; its own scorer reads our prediction files and agrees."""
    import lora_finetune

    train = tmp_path / "gpt4tools_71k.json"
    train.write_text(json.dumps(original_records() * 2))
    test = tmp_path / "gpt4tools_test_unseen.json"
    test.write_text(json.dumps(original_records()))
    adapter = tmp_path / "output" / "gpt4tools"
    lora_finetune.main([
        "--base_model", str(tiny_model_dir), "--data_path", str(train), "--output_dir", str(adapter),
        "--prompt_template_name", "gpt4tools", "--num_epochs", "1", "--batch_size", "4", "--cutoff_len", "2048",
        "--group_by_length", "--lora_target_modules", "[q_proj,k_proj,v_proj,o_proj]", "--lora_r", "16",
        "--micro_batch_size=2", "--compile", "false", "--num_threads", "1",
    ])  # fmt: skip
    assert PromptTemplate.load(adapter).name == "gpt4tools"
    assert (adapter / "adapter_model.safetensors").is_file()

    save_path = tmp_path / "output" / "eval_result"
    for chunk in range(2):
        _cli(
            monkeypatch, inference.main,
            "--base_model", str(tiny_model_dir), "--lora_model", str(adapter), "--ann_path", str(test),
            "--save_name", "vicuna", "--save_path", str(save_path), "--llm_device", "cpu", "--temperature", "0.1",
            "--max_new_tokens", "6", "--top_p", "0.75", "--top_k", "40", "--num_beams", "1",
            "--keep_last_n_paragraphs", "1", "--local_rank", "-1", "--num-chunks", "2", "--chunk-idx", str(chunk),
            "--original_format",
        )  # fmt: skip
    run = save_path / "vicuna"
    assert sorted(p.name for p in run.iterdir()) == [
        "vicuna_0.json",
        "vicuna_0.jsonl",
        "vicuna_1.json",
        "vicuna_1.jsonl",
    ]
    written = [item for i in range(2) for item in json.loads((run / f"vicuna_{i}.json").read_text())]
    assert [item["id"] for item in written] == [0, 1, 2, 3]  # the annotation's integer ids
    assert all(
        item["output"].startswith(raw["instruction"]) for item, raw in zip(written, original_records(), strict=True)
    )

    _cli(
        monkeypatch, evaluate_result.evaluate,
        "--ann_path", str(test), "--save_name", "vicuna", "--save_path", str(save_path), "--num-chunks", "2",
    )  # fmt: skip
    report = json.loads((run / "metrics.json").read_text())
    theirs = original.evaluate(original_records(), original.gather_prediction(str(save_path), "vicuna", 2))
    assert report["predicted"] == 4 and all(_same(report[k], v) for k, v in theirs.items())

    _cli(  # --lora_model none, the original's default: the base model alone, into another run
        monkeypatch, inference.main,
        "--base_model", str(tiny_model_dir), "--lora_model", "none", "--ann_path", str(test),
        "--save_name", "base", "--save_path", str(save_path), "--max_new_tokens", "2",
    )  # fmt: skip
    assert len((save_path / "base" / "base.jsonl").read_text().splitlines()) == 4


def _stub_python(tmp_path: Path, exit_code: int = 0) -> Path:
    log = tmp_path / "calls.log"
    stub = tmp_path / "python"
    stub.write_text(
        f'#!/usr/bin/env bash\necho "$*" >> {log}\ncase "$*" in *--chunk_idx\\ 1*) exit {exit_code};; esac\n'
    )
    stub.chmod(0o755)
    return stub


@pytest.mark.parametrize(
    "args",
    [
        ["2", "/models/vicuna", "none", "ann.json", "vicuna"],  # the original's CHUNKS BASE LORA ANN NAME
        ["ann.json", "vicuna", "2", "--base_model", "/models/vicuna", "--lora_model", "none"],
    ],
    ids=["original-form", "our-form"],
)
def test_batch_script_takes_both_argument_forms(tmp_path, args):
    stub = _stub_python(tmp_path)
    env = {**os.environ, "PYTHON": str(stub), "SAVE_PATH": str(tmp_path / "out")}
    done = subprocess.run(
        ["bash", "scripts/batch_inference.sh", *args], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    calls = (tmp_path / "calls.log").read_text().splitlines()
    assert len(calls) == 4 and calls[0].endswith("--chunk_idx 0 --dry_run")
    for index, call in enumerate(sorted(calls[1:3])):  # the chunks run at once
        assert call.startswith("inference.py --ann_path ann.json --save_name vicuna") and "--num_chunks 2" in call
        assert "--base_model /models/vicuna --lora_model none" in call and call.endswith(f"--chunk_idx {index}")
    assert calls[3] == f"evaluate_result.py --ann_path ann.json --pred_path {tmp_path / 'out'}/vicuna"


def test_batch_script_says_when_a_rerun_cannot_help(tmp_path):
    env = {**os.environ, "PYTHON": str(_stub_python(tmp_path, exit_code=2)), "SAVE_PATH": str(tmp_path / "out")}
    done = subprocess.run(
        ["bash", "scripts/batch_inference.sh", "2", "base", "none", "ann.json", "run"],
        cwd=ROOT, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 2 and "fix it and rerun" in done.stderr
    bad = subprocess.run(
        ["bash", "scripts/batch_inference.sh", "ann.json"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode == 2 and "CHUNKS BASE_MODEL LORA_MODEL ANN_PATH SAVE_NAME" in bad.stderr


@pytest.mark.slow
def test_the_model_card_loads_the_shipped_adapter_with_peft(monkeypatch):
    """The code the shipped adapter's model card gives, run as written: the adapter loads with plain PEFT."""
    from peft import PeftModel

    card = (ROOT / "adapters" / "smollm2-gpt4tools" / "README.md").read_text(encoding="utf-8")
    code = card.split("## Loading it with PEFT", 1)[1].split("```python\n", 1)[1].split("```", 1)[0]
    monkeypatch.chdir(ROOT)
    namespace: dict = {}
    exec(code, namespace)
    model = namespace["model"]
    assert isinstance(model, PeftModel) and model.peft_config["default"].r == 16
    ids = namespace["tokenizer"]("Thought:", return_tensors="pt")["input_ids"]
    assert model(ids).logits.shape[-1] == model.config.vocab_size
