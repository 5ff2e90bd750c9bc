"""The LoRA trainer on the tiny model: masking, batch plans, outputs, resume, DDP, 4-bit, bad input, configs."""

from __future__ import annotations

import json
import logging
import math
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

import lora_finetune
from modeling.adapter_files import AdapterFileError
from modeling.adapters import AdapterMismatchError
from protocol.prompt import PromptTemplate
from protocol.records import RecordError, write_records
from tests.sample_records import make_records
from training.checkpointing import CHECKPOINTS_DIR, checkpoint_name
from training.compilation import is_whole_elf, remove_unfinished_builds
from training.config import TRAIN_CONFIGS_DIR, ConfigError, build_config
from training.data import DataError, collate, plan_epoch, tokenize_records
from training.loop import keep_adapter_inputs_in_compute_dtype
from training.loss import IGNORE_INDEX, CompletionLoss

ROOT = Path(__file__).resolve().parent.parent
FAST = {
    "batch_size": 4,
    "micro_batch_size": 2,
    "num_threads": 1,
    "val_set_size": 4,
    "warmup_steps": 1,
    "compile": False,
}


@pytest.fixture(scope="module")
def data_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sft") / "train.json"
    write_records(path, make_records(16, max_tools=2))
    return path


def run(tiny_model_dir: Path, data_file: Path, out: Path, **options) -> dict:
    return lora_finetune.train(
        base_model=str(tiny_model_dir), data_path=str(data_file), output_dir=str(out), **{**FAST, **options}
    )


def adapter(path: Path) -> dict[str, torch.Tensor]:
    return load_file(str(path / "adapter_model.safetensors"))


# ---------------------------------------------------------------- data


@pytest.mark.parametrize("train_on_inputs", [False, True])
def test_labels_cover_exactly_the_reply(tiny_tokenizer, train_on_inputs: bool) -> None:
    template = PromptTemplate.load("en")
    records = make_records(6, max_tools=2)
    examples, _ = tokenize_records(records, template, tiny_tokenizer, cutoff_len=2048, train_on_inputs=train_on_inputs)
    batch = collate(examples, tiny_tokenizer.pad_token_id)
    for row, (record, example) in enumerate(zip(records, examples, strict=True)):
        prompt, completion = template.training_pair(record.instruction, record.input, record.output, tiny_tokenizer)
        reply_ids = tiny_tokenizer(completion, add_special_tokens=False)["input_ids"]
        labelled = batch["labels"][row][batch["labels"][row] != IGNORE_INDEX].tolist()
        masked = 0 if train_on_inputs else template.encode(tiny_tokenizer, prompt)[1]
        assert example.spans == ((masked, len(example)),) and not example.relabeled
        if train_on_inputs:
            assert labelled == list(example.input_ids)
        else:
            assert labelled == reply_ids
            assert tiny_tokenizer.decode(labelled) == completion
        assert (batch["labels"][row, len(example) :] == IGNORE_INDEX).all()  # pads carry no loss


def test_padded_batch_loss_equals_each_sequence_alone(tiny_model_dir: Path, tiny_tokenizer) -> None:
    """Head-only loss on a right-padded batch without attention mask == HF's loss of each sequence unpadded."""
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir, dtype=torch.float32)
    examples, _ = tokenize_records(make_records(3, max_tools=2), PromptTemplate.load("en"), tiny_tokenizer, 2048)
    assert len({len(example) for example in examples}) > 1  # the batch is padded
    batch = collate(examples, tiny_tokenizer.pad_token_id)
    loss_sum, count = CompletionLoss(model)(**batch)
    assert int(count) == sum(example.loss_tokens for example in examples)
    reference = sum(
        model(**collate([example], tiny_tokenizer.pad_token_id)).loss * example.loss_tokens for example in examples
    )
    torch.testing.assert_close(loss_sum, reference, rtol=1e-4, atol=1e-4)


def lora_step(model_dir: Path, *, cast_inputs: bool) -> tuple[float, list[torch.Tensor]]:
    """Loss and LoRA gradients of one bf16-autocast step on the tiny model (non-zero B, so A gets gradients)."""
    from peft import LoraConfig, get_peft_model

    from modeling.loading import load_model

    model, _ = load_model(str(model_dir), dtype="bf16")
    torch.manual_seed(0)
    model = get_peft_model(
        model, LoraConfig(r=4, target_modules=["q_proj", "v_proj", "up_proj"], task_type="CAUSAL_LM")
    )
    for name, parameter in model.named_parameters():
        if "lora_B" in name:
            torch.nn.init.normal_(parameter, std=0.1)
    if not cast_inputs:
        keep_adapter_inputs_in_compute_dtype(model)
        flags = [m.cast_input_dtype_enabled for m in model.modules() if hasattr(m, "cast_input_dtype_enabled")]
        assert flags and not any(flags)  # every LoRA layer now feeds its bf16 input straight to the adapter
    ids = torch.randint(5, 200, (3, 24), generator=torch.Generator().manual_seed(1))
    labels = ids.clone()
    labels[:, :10] = IGNORE_INDEX
    with torch.autocast("cpu", dtype=torch.bfloat16):
        loss, count = CompletionLoss(model)(input_ids=ids, labels=labels)
        (loss / count).backward()
    return loss.item(), [p.grad.clone() for p in model.parameters() if p.requires_grad]


def test_skipping_peft_input_casts_changes_no_number_under_autocast(tiny_model_dir: Path) -> None:
    loss, grads = lora_step(tiny_model_dir, cast_inputs=True)
    uncast_loss, uncast_grads = lora_step(tiny_model_dir, cast_inputs=False)
    assert uncast_loss == loss
    assert grads and all(torch.equal(a, b) for a, b in zip(uncast_grads, grads, strict=True))


def test_batch_plan_groups_lengths_and_splits_ranks() -> None:
    lengths = [10 + (i * 37) % 90 for i in range(403)]
    common = {"batch_size": 8, "micro_batch_size": 2, "world_size": 2, "seed": 3, "epoch": 1}
    grouped = plan_epoch(lengths, group_by_length=True, **common)
    plain = plan_epoch(lengths, group_by_length=False, **common)

    def members(step: list[list[list[int]]]) -> list[int]:
        return [i for micros in step for micro in micros for i in micro]

    def padding(plan: list) -> float:
        real = sum(lengths[i] for step in plan for i in members(step))
        return 1 - real / sum(8 * max(lengths[i] for i in members(step)) for step in plan)

    assert len(grouped) == len(plain) == 50
    assert sorted(i for step in grouped for i in members(step)) == sorted(i for step in plain for i in members(step))
    for step in grouped:
        assert len(set(members(step))) == 8 and [len(micros) for micros in step] == [2, 2]
    assert padding(plain) > 0.3 and padding(grouped) < 0.1
    assert max(lengths[i] for i in members(grouped[0])) == max(lengths)  # out of memory shows at step 1
    assert plan_epoch(lengths, group_by_length=True, **common) == grouped
    assert plan_epoch(lengths, group_by_length=True, **{**common, "epoch": 2}) != grouped


# ---------------------------------------------------------------- training runs


def test_train_writes_peft_adapter_and_resume_matches(tiny_model_dir: Path, data_file: Path, tmp_path: Path) -> None:
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    full = tmp_path / "full"
    result = run(tiny_model_dir, data_file, full, max_steps=4, save_steps=2, eval_steps=2, merge=True)
    assert result["steps"] == 4 and result["eval_loss"] > 0
    for name in ("adapter_config.json", "prompt_template.yaml", "train_config.yaml", "metrics.jsonl"):
        assert (full / name).is_file(), name
    assert build_config(full / "train_config.yaml").max_steps == 4
    assert PromptTemplate.load(full) == PromptTemplate.load("en")
    rows = [json.loads(line) for line in (full / "metrics.jsonl").read_text().splitlines()]
    assert [row["step"] for row in rows if "loss" in row] == [1, 2, 3, 4]
    assert any(value.count_nonzero() for key, value in adapter(full).items() if "lora_B" in key)
    base = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    assert PeftModel.from_pretrained(base, str(full)).peft_config["default"].r == 16
    assert (full / "merged" / "config.json").is_file() and (full / "merged" / "prompt_template.yaml").is_file()

    # interrupted after step 2 (only its checkpoint and a half-written one survive), then resumed
    resumed = tmp_path / "resumed"
    (resumed / CHECKPOINTS_DIR).mkdir(parents=True)
    shutil.copytree(full / CHECKPOINTS_DIR / checkpoint_name(2), resumed / CHECKPOINTS_DIR / checkpoint_name(2))
    torn = resumed / CHECKPOINTS_DIR / f".tmp-{checkpoint_name(3)}-x"
    shutil.copytree(full / CHECKPOINTS_DIR / checkpoint_name(4), torn)
    assert run(tiny_model_dir, data_file, resumed, max_steps=4, save_steps=2, eval_steps=2)["steps"] == 4
    expected, got = adapter(full), adapter(resumed)
    assert expected.keys() == got.keys()
    for key in expected:
        torch.testing.assert_close(got[key], expected[key], rtol=0, atol=0)
    assert not torn.exists()


def test_rerun_with_more_steps_extends_a_finished_run(tiny_model_dir: Path, data_file: Path, tmp_path: Path) -> None:
    def lrs(out: Path) -> dict[int, float]:
        rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
        return {row["step"]: row["lr"] for row in rows if "lr" in row}

    extended = tmp_path / "extended"
    run(tiny_model_dir, data_file, extended, max_steps=2, save_steps=1, eval_steps=2)
    finished = adapter(extended)
    assert run(tiny_model_dir, data_file, extended, max_steps=4, save_steps=1, eval_steps=2)["steps"] == 4
    assert sorted(lrs(extended)) == [1, 2, 3, 4]
    fresh = tmp_path / "fresh"
    run(tiny_model_dir, data_file, fresh, max_steps=4, save_steps=1, eval_steps=2)
    # the added steps follow the longer run's schedule from where the first run stopped
    assert [lrs(extended)[step] for step in (3, 4)] == pytest.approx([lrs(fresh)[step] for step in (3, 4)])
    assert any(not torch.equal(adapter(extended)[key], finished[key]) for key in finished)


def test_init_adapter_starts_a_new_run_from_a_finished_adapter(
    tiny_model_dir: Path, data_file: Path, tmp_path: Path
) -> None:
    run(tiny_model_dir, data_file, tmp_path / "first", max_steps=2, val_set_size=0)
    first = adapter(tmp_path / "first")
    # a learning rate of 1e-9: the new run's adapter is the one it started from (a fresh one has zero lora_B)
    run(tiny_model_dir, data_file, tmp_path / "next", max_steps=1, val_set_size=0, learning_rate=1e-9,
        init_adapter=str(tmp_path / "first"))  # fmt: skip
    for key, value in first.items():
        torch.testing.assert_close(adapter(tmp_path / "next")[key], value, rtol=0, atol=1e-6, msg=key)
    rows = [json.loads(line) for line in (tmp_path / "next" / "metrics.jsonl").read_text().splitlines()]
    assert [row["step"] for row in rows if "loss" in row] == [1]  # a new run: its own steps and schedule
    with pytest.raises(AdapterMismatchError, match="--lora_r"):
        run(tiny_model_dir, data_file, tmp_path / "r8", max_steps=1, lora_r=8, init_adapter=str(tmp_path / "first"))
    with pytest.raises(AdapterMismatchError, match="--lora_top_layers"):
        run(tiny_model_dir, data_file, tmp_path / "top", max_steps=1, lora_top_layers=1,
            init_adapter=str(tmp_path / "first"))  # fmt: skip
    with pytest.raises(AdapterFileError, match="no such directory"):
        run(tiny_model_dir, data_file, tmp_path / "none", max_steps=1, init_adapter=str(tmp_path / "missing"))


def test_two_processes_under_torchrun_match_one_and_resume_in_one(
    tiny_model_dir: Path, data_file: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    options = ["--max_steps", "2", "--dtype", "fp32", "--lora_dropout", "0", "--save_steps", "2", "--eval_steps", "2"]
    options += [f"--{key}={value}" for key, value in FAST.items()]
    command = ["--base_model", str(tiny_model_dir), "--data_path", str(data_file), *options]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    torchrun = Path(sys.executable).with_name("torchrun")
    subprocess.run(
        [str(torchrun), "--nproc_per_node=2", "lora_finetune.py", "--output_dir", str(tmp_path / "ddp"), *command],
        cwd=ROOT, env=env, check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    same = {"dtype": "fp32", "lora_dropout": 0.0, "eval_steps": 2}
    run(tiny_model_dir, data_file, tmp_path / "single", max_steps=2, **same)
    ddp, single = adapter(tmp_path / "ddp"), adapter(tmp_path / "single")
    for key in single:
        torch.testing.assert_close(ddp[key], single[key], rtol=1e-3, atol=1e-5)
    rows = (tmp_path / "ddp" / "metrics.jsonl").read_text().splitlines()
    assert len([row for row in rows if '"loss"' in row]) == 2  # rank 0 alone writes

    # the two-process run goes on in one process: the same global batch follows as in the one-process run
    with caplog.at_level(logging.WARNING, logger="training.checkpointing"):
        assert run(tiny_model_dir, data_file, tmp_path / "ddp", max_steps=3, **same)["steps"] == 3
    assert "written by 2 process(es) and is resumed by 1" in caplog.text
    run(tiny_model_dir, data_file, tmp_path / "single", max_steps=3, **same)
    ddp, single = adapter(tmp_path / "ddp"), adapter(tmp_path / "single")
    for key in single:
        torch.testing.assert_close(ddp[key], single[key], rtol=1e-3, atol=1e-5)


def test_4bit_qlora_trains(tiny_model_dir: Path, data_file: Path, tmp_path: Path) -> None:
    run(tiny_model_dir, data_file, tmp_path / "q", max_steps=1, load_in_4bit=True, val_set_size=0)
    assert any(value.count_nonzero() for key, value in adapter(tmp_path / "q").items() if "lora_B" in key)


def test_8bit_base_trains(tiny_model_dir: Path, data_file: Path, tmp_path: Path) -> None:
    run(tiny_model_dir, data_file, tmp_path / "q8", max_steps=1, load_in_8bit=True, val_set_size=0)
    assert any(value.count_nonzero() for key, value in adapter(tmp_path / "q8").items() if "lora_B" in key)


def test_gradient_checkpointing_gives_the_same_adapter(tiny_model_dir: Path, data_file: Path, tmp_path: Path) -> None:
    options = {"max_steps": 2, "val_set_size": 0, "dtype": "fp32"}
    plain = run(tiny_model_dir, data_file, tmp_path / "plain", **options)
    checkpointed = run(tiny_model_dir, data_file, tmp_path / "ckpt", gradient_checkpointing=True, **options)
    assert checkpointed["loss"] == pytest.approx(plain["loss"], rel=1e-5)
    for key, value in adapter(tmp_path / "plain").items():
        torch.testing.assert_close(adapter(tmp_path / "ckpt")[key], value)


def test_lora_top_layers_adapts_only_the_top_layers(tiny_model_dir: Path, data_file: Path, tmp_path: Path) -> None:
    run(tiny_model_dir, data_file, tmp_path / "top", max_steps=1, lora_top_layers=1, val_set_size=0)
    layers = {int(key.split(".layers.")[1].split(".")[0]) for key in adapter(tmp_path / "top") if ".layers." in key}
    assert layers == {1}  # the tiny model has 2 decoder layers; only the last one is adapted


@pytest.mark.slow
def test_compiled_layers_train_like_eager_ones(tiny_model_dir: Path, data_file: Path, tmp_path: Path) -> None:
    """--compile (torch.compile of each decoder layer) changes speed, not the numbers."""
    options = {"max_steps": 3, "val_set_size": 4, "eval_steps": 3, "dtype": "fp32"}
    eager = run(tiny_model_dir, data_file, tmp_path / "eager", **options)
    compiled = run(tiny_model_dir, data_file, tmp_path / "compiled", compile=True, **options)
    assert compiled["loss"] == pytest.approx(eager["loss"], rel=1e-3)
    assert compiled["eval_loss"] == pytest.approx(eager["eval_loss"], rel=1e-3)
    for key, value in adapter(tmp_path / "eager").items():
        torch.testing.assert_close(adapter(tmp_path / "compiled")[key], value, rtol=1e-3, atol=1e-5)


def _cache_with_builds(root: Path) -> dict[str, Path]:
    """An inductor-like cache: whole, empty and cut-off shared libraries and objects (copies of a real one)."""
    import numpy

    real = Path(numpy.__file__).parent / "_core" / f"_operand_flag_tests{sysconfig.get_config_var('EXT_SUFFIX')}"
    files = {}
    for key, size in {"whole": None, "empty": 0, "cut": real.stat().st_size // 2, "busy": 0}.items():
        for suffix in (".so", ".o"):
            path = root / key[:2] / f"c{key}{suffix}"
            path.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(real, path)
            if size is not None:
                os.truncate(path, size)
            files[f"{key}{suffix}"] = path
    return files


def test_builds_a_killed_compile_left_unfinished_are_removed_unless_being_built(tmp_path: Path) -> None:
    import fcntl

    files = _cache_with_builds(tmp_path)
    assert is_whole_elf(files["whole.so"]) and not is_whole_elf(files["cut.so"]) and not is_whole_elf(files["empty.o"])
    (tmp_path / "locks").mkdir()
    with (tmp_path / "locks" / "cbusy.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another process is building cbusy right now
        removed = remove_unfinished_builds(tmp_path)
    assert sorted(path.name for path in removed) == ["ccut.o", "ccut.so", "cempty.o", "cempty.so"]
    assert files["whole.so"].is_file() and files["busy.so"].is_file()


@pytest.mark.slow
def test_a_compile_killed_midway_does_not_poison_the_next_run(tmp_path: Path) -> None:
    """Inductor reuses any file at a kernel's path: with its .so files emptied (a kill mid-build), a plain rerun
    fails ("file too short", or a broken vector-ISA probe); after remove_unfinished_builds it rebuilds them."""
    script = (
        "import torch, sys\n"
        "from training.compilation import compile_cache_dir, remove_unfinished_builds\n"
        "if sys.argv[1] == 'clean': remove_unfinished_builds(compile_cache_dir())\n"
        "print(torch.compile(lambda x: torch.sin(x) * 2 + 1)(torch.ones(4)).sum().item())\n"
    )
    env = {**os.environ, "OMP_NUM_THREADS": "1", "TORCHINDUCTOR_CACHE_DIR": str(tmp_path / "inductor")}

    def compile_once(mode: str) -> subprocess.CompletedProcess:
        command = [sys.executable, "-c", script, mode]
        return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False)

    assert compile_once("plain").returncode == 0
    libraries = list((tmp_path / "inductor").rglob("*.so"))
    assert libraries
    for library in libraries:
        os.truncate(library, 0)
    rerun = compile_once("clean")
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    assert float(rerun.stdout.split()[-1]) == pytest.approx(4 * (2 * math.sin(1) + 1))


# ---------------------------------------------------------------- bad input


def test_bad_inputs_fail_early_naming_the_fix(tiny_model_dir: Path, data_file: Path, tmp_path: Path) -> None:
    malformed = tmp_path / "bad.json"
    malformed.write_text('[{"instruction": "x", "output": "y"}]')
    with pytest.raises(RecordError, match="missing field"):
        run(tiny_model_dir, malformed, tmp_path / "o")
    empty = tmp_path / "empty.json"
    empty.write_text("[]")
    with pytest.raises(DataError, match="no records"):
        run(tiny_model_dir, empty, tmp_path / "o")
    with pytest.raises(DataError, match="raise --cutoff_len"):
        run(tiny_model_dir, data_file, tmp_path / "o", cutoff_len=32)
    with pytest.raises(ConfigError, match="use --batch_size 4"):
        run(tiny_model_dir, data_file, tmp_path / "o", batch_size=6, micro_batch_size=4)
    with pytest.raises(ConfigError, match=r"match no linear layer.*q_proj"):
        run(tiny_model_dir, data_file, tmp_path / "o", lora_target_modules="query,value")
    with pytest.raises(ConfigError, match="unknown option"):
        build_config(None, learning_rat=1e-4)
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("path", sorted(TRAIN_CONFIGS_DIR.glob("*.yaml")), ids=lambda p: p.stem)
def test_every_shipped_config_loads(path: Path) -> None:
    config = build_config(path, data_path="train.json")
    config.validate(world_size=1)
    assert config.lora_target_modules and config.batch_size % config.micro_batch_size == 0


def test_published_recipe_matches_gpt4tools() -> None:
    config = build_config("gpt4tools_vicuna")
    assert (config.lora_r, config.lora_alpha, config.lora_dropout) == (16, 16, 0.05)
    assert config.lora_target_modules == ["q_proj", "k_proj", "v_proj", "o_proj"]
    assert (config.learning_rate, config.num_epochs, config.batch_size, config.cutoff_len) == (3e-4, 6, 512, 2048)


# ---------------------------------------------------------------- shipping an adapter


def test_ship_adapter_copies_the_run_with_a_portable_base_name(
    tiny_model_dir: Path, data_file: Path, tmp_path: Path
) -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("ship_adapter", ROOT / "scripts" / "ship_adapter.py")
    ship = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(ship)
    run(tiny_model_dir, data_file, tmp_path / "run", max_steps=2, eval_steps=2)
    metrics = tmp_path / "metrics"
    metrics.mkdir()
    (metrics / "metrics_val.json").write_text('{"SR": 0.5}')
    (metrics / "metrics_val.md").write_text("not shipped")
    ship.main(str(tmp_path / "run"), str(metrics), str(tmp_path / "shipped"))

    shipped = tmp_path / "shipped"
    config = json.loads((shipped / "adapter_config.json").read_text())
    assert config["base_model_name_or_path"] == str(tiny_model_dir)  # the name given, not a resolved cache path
    assert adapter(shipped).keys() == adapter(tmp_path / "run").keys()
    assert sorted(p.name for p in shipped.glob("metrics_*")) == ["metrics_val.json"]
    summary = (shipped / "TRAINING.md").read_text()
    assert "| 2 |" in summary and "step 2:" in summary  # the last step and its eval loss
    assert (shipped / "data_recipe.yaml").is_file() and (shipped / "prompt_template.yaml").is_file()
    assert not (shipped / "TRAINING_base.md").exists()
    assert not (shipped / "plan_template.yaml").exists()  # the data held no plan records
    # a run that started from the first one's adapter ships with the first run's log beside its own
    run(tiny_model_dir, data_file, tmp_path / "next", max_steps=1, eval_steps=1, init_adapter=str(tmp_path / "run"))
    ship.main(str(tmp_path / "next"), str(metrics), str(shipped), base_run=str(tmp_path / "run"))
    assert "| 1 |" in (shipped / "TRAINING.md").read_text() and "| 2 |" not in (shipped / "TRAINING.md").read_text()
    assert (shipped / "TRAINING_base.md").read_text() == summary
    base_config = (tmp_path / "run" / "train_config.yaml").read_text()
    assert (shipped / "train_config_base.yaml").read_text() == base_config
