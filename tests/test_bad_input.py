"""Bad input on every command line ends with exit status 2 and one ``error: ...`` line naming the fix, and
leaves nothing behind that a rerun would trust (no adapter, no overwritten train_config.yaml, no splits).

The table runs each entry point's ``main`` in this process (the checks run before torch or a model loads,
so a case takes milliseconds); ``test_real_entry_points_print_one_line`` runs one case of each as a
subprocess, where stray warnings or log lines would show.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from pathlib import Path
from struct import pack

import pytest
import yaml
from PIL import Image

import lora_finetune
from data_gen.__main__ import main as data_gen_main
from protocol.cli import run_cli
from protocol.records import write_records
from tests.sample_records import make_records
from tools.__main__ import main as tools_main
from tools.runtime import ToolRuntime
from tools.workspace import Workspace
from training.checkpointing import CHECKPOINTS_DIR, CheckpointError, checkpoint_name
from training.config import CONFIG_FILE_NAME, TrainConfig
from training.lock import output_dir_lock

ROOT = Path(__file__).resolve().parent.parent
FAST = [
    "--batch_size",
    "4",
    "--micro_batch_size",
    "2",
    "--num_threads",
    "1",
    "--val_set_size",
    "4",
    "--compile",
    "false",
]


@dataclass(frozen=True)
class Case:
    """One bad command line: its entry point, arguments (``{name}`` filled from the paths of the ``places``
    fixture), the text the error line must hold, the directory that must be left as it was, and set-up."""

    id: str
    entry: str  # train, data_gen or tools
    argv: list[str]
    message: str
    untouched: str = "{tmp}/out"
    prepare: Callable[[dict[str, Path]], None] | None = field(default=None, compare=False)


# ---------------------------------------------------------------- set-up helpers


def _file(places: dict[str, Path]) -> None:
    (places["tmp"] / "out").write_text("not a directory")


def _adapter_copy(change: Callable[[Path], None]) -> Callable[[dict[str, Path]], None]:
    """A copy of the finished run's adapter at {tmp}/adapter, then ``change`` applied to it."""

    def prepare(places: dict[str, Path]) -> None:
        adapter = places["tmp"] / "adapter"
        adapter.mkdir()
        for name in ("adapter_config.json", "adapter_model.safetensors"):
            shutil.copy(places["run"] / name, adapter / name)
        change(adapter)

    return prepare


def _run_copy(change: Callable[[Path], None]) -> Callable[[dict[str, Path]], None]:
    """A copy of the finished run at {tmp}/out, then ``change`` applied to its latest checkpoint."""

    def prepare(places: dict[str, Path]) -> None:
        shutil.copytree(places["run"], places["tmp"] / "out")
        change(places["tmp"] / "out" / CHECKPOINTS_DIR / checkpoint_name(2))

    return prepare


def _truncate(name: str, size: int = 0) -> Callable[[Path], None]:
    def change(directory: Path) -> None:
        with (directory / name).open("r+b") as handle:
            handle.truncate(size)

    return change


def _code_running_pickle(checkpoint: Path) -> None:
    """An rng_state.pt whose unpickling would create a marker file beside the checkpoint."""

    class Payload:
        def __reduce__(self):
            return (Path.touch, (checkpoint / "code-ran",))

    import pickle

    (checkpoint / "rng_state.pt").write_bytes(pickle.dumps([Payload()]))


def _recipe(places: dict[str, Path], **values) -> None:
    recipe = yaml.safe_load((ROOT / "configs" / "data_gen" / "quick.yaml").read_text())
    (places["tmp"] / "recipe.yaml").write_text(yaml.safe_dump({**recipe, "report_tokenizer": None, **values}))


def _train_recipe(**values) -> Callable[[dict[str, Path]], None]:
    """The default training recipe with ``values`` changed, at {tmp}/train.yaml."""

    def prepare(places: dict[str, Path]) -> None:
        recipe = yaml.safe_load((ROOT / "configs" / "train" / "smollm2_cpu.yaml").read_text())
        (places["tmp"] / "train.yaml").write_text(yaml.safe_dump({**recipe, **values}))

    return prepare


def _repeated_captions(places: dict[str, Path]) -> None:
    lines = ['{"caption": "A dog on a sofa."}', '{"caption": "A cat on a mat."}', '{"caption": "a dog on a  sofa"}']
    (places["tmp"] / "captions.jsonl").write_text("\n".join(lines * 2) + "\n")
    _recipe(places, captions=str(places["tmp"] / "captions.jsonl"), max_captions=None)


def _symlinked_image_folder(places: dict[str, Path]) -> None:
    (places["ws"] / "image").symlink_to(places["tmp"], target_is_directory=True)


def _bomb(places: dict[str, Path]) -> None:
    """A 30000x30000 PNG header (900 megapixels) with no pixel data behind it."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return pack(">I", len(data)) + kind + data + pack(">I", zlib.crc32(kind + data))

    header = chunk(b"IHDR", pack(">IIBBBBB", 30000, 30000, 8, 2, 0, 0, 0))
    (places["ws"] / "bomb.png").write_bytes(b"\x89PNG\r\n\x1a\n" + header + chunk(b"IDAT", zlib.compress(b"")))


TRAIN = ["--base_model", "{tiny}", "--data_path", "{data}", "--output_dir", "{tmp}/out", *FAST]
RESUME = ["--base_model", "{tiny}", "--data_path", "{data}", "--output_dir", "{run}", *FAST, "--max_steps", "2"]
GENERATE = ["--config", "{tmp}/recipe.yaml", "--out_dir", "{tmp}/data"]
TOOL = ["--workspace", "{ws}", "--load", "ImageEditing_cpu"]
LONG_NAME = "x" * 5000 + ".png"

CASES = [
    # ---- lora_finetune.py: every option is checked before anything loads
    Case("max_steps 0", "train", [*TRAIN, "--max_steps", "0"], "--max_steps 0 must be positive; leave it unset to train --num_epochs"),
    Case("max_steps -1", "train", [*TRAIN, "--max_steps", "-1"], "--max_steps -1 must be positive"),
    Case("max_steps abc", "train", [*TRAIN, "--max_steps", "abc"], "--max_steps 'abc' is not a whole number"),
    Case("lora_r 0", "train", [*TRAIN, "--lora_r", "0"], "--lora_r 0 must be positive"),
    Case("lora_r -1", "train", [*TRAIN, "--lora_r", "-1"], "--lora_r -1 must be positive"),
    Case("lora_alpha 0", "train", [*TRAIN, "--lora_alpha", "0"], "--lora_alpha 0 must be positive; e.g. the --lora_r value"),
    Case("learning_rate -1", "train", [*TRAIN, "--learning_rate", "-1"], "--learning_rate -1 must be positive; e.g. 3e-4"),
    Case("learning_rate 0", "train", [*TRAIN, "--learning_rate", "0"], "--learning_rate 0 must be positive; e.g. 3e-4"),
    Case("learning_rate -1e-4", "train", [*TRAIN, "--learning_rate", "-1e-4"], "--learning_rate -0.0001 must be positive"),
    Case("lora_dropout 1.5", "train", [*TRAIN, "--lora_dropout", "1.5"], "--lora_dropout 1.5 must be at least 0 and below 1"),
    Case("save_steps 0", "train", [*TRAIN, "--save_steps", "0"], "--save_steps 0 must be positive"),
    Case("logging_steps 0", "train", [*TRAIN, "--logging_steps", "0"], "--logging_steps 0 must be positive"),
    Case("eval_steps 0", "train", [*TRAIN, "--eval_steps", "0"], "--eval_steps 0 must be positive"),
    Case("val_set_size 2.5", "train", [*TRAIN, "--val_set_size", "2.5"], "--val_set_size 2.5 is neither a fraction"),
    Case("merge with prompt loss", "train", [*TRAIN, "--merge_trajectories", "--train_on_inputs"], "--merge_trajectories needs --train_on_inputs false"),
    Case("dtype fp8", "train", [*TRAIN, "--dtype", "fp8"], "--dtype 'fp8' must be one of auto, bf16"),
    Case("bool maybe", "train", [*TRAIN, "--merge", "maybe"], "--merge 'maybe' is not true or false"),
    Case("unknown flag", "train", [*TRAIN, "--learning_rat", "1e-4"], "unknown option --learning_rat (did you mean --learning_rate?)"),
    Case("stray value", "train", [*TRAIN, "1e-4"], "unexpected argument '1e-4': options take the form --name value"),
    Case("missing recipe", "train", [*TRAIN, "--config", "nope"], "no training config at"),
    Case("recipe lora_r abc", "train", [*TRAIN, "--config", "{tmp}/train.yaml"], "--lora_r 'abc' is not a whole number",
         prepare=_train_recipe(lora_r="abc")),
    Case("recipe unknown key", "train", [*TRAIN, "--config", "{tmp}/train.yaml"],
         "unknown option(s) ['learning_rat'] (did you mean learning_rate?)", prepare=_train_recipe(learning_rat=0.1)),
    Case("no base model", "train", [*TRAIN, "--base_model", "{tmp}/missing"], "base model '{tmp}/missing': no such directory; nothing is downloaded at run time: pass --base_model"),
    Case("no data file", "train", [*TRAIN, "--data_path", "{tmp}/none.json"], "--data_path {tmp}/none.json: no such file"),
    Case("no prompt template", "train", [*TRAIN, "--prompt_template", "fr"], "no prompt template at"),
    Case("output_dir is a file", "train", TRAIN, "--output_dir {tmp}/out is a file; pass a directory", untouched="{tmp}", prepare=_file),
    # ---- --init_adapter: missing, empty or damaged files
    Case("init_adapter missing", "train", [*TRAIN, "--init_adapter", "{tmp}/nothing"], "--init_adapter {tmp}/nothing: no such directory"),
    Case("init_adapter no weights", "train", [*TRAIN, "--init_adapter", "{tmp}/adapter"], "has no adapter_model.safetensors",
         prepare=_adapter_copy(lambda a: (a / "adapter_model.safetensors").unlink())),
    Case("init_adapter empty weights", "train", [*TRAIN, "--init_adapter", "{tmp}/adapter"], "adapter_model.safetensors is not a readable safetensors file",
         prepare=_adapter_copy(_truncate("adapter_model.safetensors"))),
    Case("init_adapter cut-off weights", "train", [*TRAIN, "--init_adapter", "{tmp}/adapter"], "adapter_model.safetensors is not a readable safetensors file",
         prepare=_adapter_copy(_truncate("adapter_model.safetensors", 300))),
    Case("init_adapter no config", "train", [*TRAIN, "--init_adapter", "{tmp}/adapter"], "is not a LoRA adapter directory (no adapter_config.json)",
         prepare=_adapter_copy(lambda a: (a / "adapter_config.json").unlink())),
    Case("init_adapter empty config", "train", [*TRAIN, "--init_adapter", "{tmp}/adapter"], "adapter_config.json is not valid JSON",
         prepare=_adapter_copy(_truncate("adapter_config.json"))),
    # ---- resuming: only the options that may change on resume may differ; a damaged checkpoint is named
    Case("resume other data", "train", [*RESUME, "--data_path", "{other_data}"], "--data_path {data} (now {other_data})", untouched="{run}"),
    Case("resume other batch", "train", [*RESUME, "--batch_size", "8"], "--batch_size 4 (now 8)", untouched="{run}"),
    Case("resume other seed", "train", [*RESUME, "--seed", "7"], "--seed 42 (now 7). To resume it, give the run's values", untouched="{run}"),
    Case("resume other alpha", "train", [*RESUME, "--lora_alpha", "8"], "--lora_alpha 32 (now 8)", untouched="{run}"),
    Case("resume no checkpoint", "train", [*RESUME, "--resume_from_checkpoint", "{tmp}"], "{tmp} is not a complete checkpoint", untouched="{run}"),
    Case("resume damaged adapter", "train", [*TRAIN, "--max_steps", "3"], "is not a readable safetensors file", untouched="{tmp}",
         prepare=_run_copy(_truncate("adapter_model.safetensors", 100))),
    Case("resume no optimizer", "train", [*TRAIN, "--max_steps", "3"], "optimizer.pt is missing or empty; delete this checkpoint to resume from the one before",
         untouched="{tmp}", prepare=_run_copy(lambda c: (c / "optimizer.pt").unlink())),
    Case("output dir in use", "train", RESUME, "is in use by another training run (PID {holder})", untouched="{run}"),
    # ---- python -m data_gen
    Case("max_captions -5", "data_gen", GENERATE, "max_captions must be a positive whole number", untouched="{tmp}/data",
         prepare=lambda p: _recipe(p, max_captions=-5)),
    Case("max_captions abc", "data_gen", GENERATE, "max_captions must be a positive whole number, or null for no limit; got 'abc'",
         untouched="{tmp}/data", prepare=lambda p: _recipe(p, max_captions="abc")),
    Case("no tasks", "data_gen", GENERATE, "are all 0, so nothing would be generated; set e.g. single: 16", untouched="{tmp}/data",
         prepare=lambda p: _recipe(p, single=0, chain=0, negative=0)),
    Case("repeated caption", "data_gen", GENERATE, "line 3: repeats the caption of line 1", untouched="{tmp}/data", prepare=_repeated_captions),
    Case("out_dir is a file", "data_gen", [*GENERATE[:3], "{tmp}/recipe.yaml"], "--out_dir {tmp}/recipe.yaml: file exists; pass a directory",
         untouched="{tmp}", prepare=_recipe),
    Case("max_samples abc", "data_gen", [*GENERATE, "--max_samples", "abc"], "max_samples must be a positive whole number", untouched="{tmp}/data",
         prepare=_recipe),
    # ---- python -m tools run (and the runtime under it)
    Case("output through a symlink", "tools", ["run", "Resize Image", "photo.png, 10, 10", *TOOL], "the workspace folder image/ leads outside the workspace",
         untouched="{tmp}", prepare=_symlinked_image_folder),
    Case("decompression bomb", "tools", ["run", "Resize Image", "bomb.png, 10, 10", *TOOL], "'bomb.png' has over", untouched="{ws}", prepare=_bomb),
    Case("NaN in Resize", "tools", ["run", "Resize Image", "photo.png, nan, 10", *TOOL], "width should be a number, got 'nan'", untouched="{ws}"),
    Case("NaN in Blur", "tools", ["run", "Blur Region", "photo.png, 1, nan, 9, 9", *TOOL], "top should be a number, got 'nan'", untouched="{ws}"),
    Case("inf in Resize", "tools", ["run", "Resize Image", "photo.png, 10, 1e999", *TOOL], "height should be a number", untouched="{ws}"),
    Case("control character", "tools", ["run", "Resize Image", "pho\x01to.png, 10, 10", *TOOL], "holds a control character", untouched="{ws}"),
    Case("5,000-character name", "tools", ["run", "Resize Image", f"{LONG_NAME}, 10, 10", *TOOL], "a file name of 5,004 characters is too long",
         untouched="{ws}"),
]  # fmt: skip


# ---------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def finished_run(tiny_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A finished 2-step run of the tiny model, and its data."""
    root = tmp_path_factory.mktemp("finished")
    data, other = root / "train.json", root / "other.json"
    write_records(data, make_records(16, max_tools=2))
    write_records(other, make_records(16, seed=1, max_tools=2))
    lora_finetune.main(["--base_model", str(tiny_model_dir), "--data_path", str(data), "--output_dir", str(root / "run"),
                        *FAST, "--max_steps", "2", "--save_steps", "2", "--eval_steps", "2"])  # fmt: skip
    return {"tiny": tiny_model_dir, "data": data, "other_data": other, "run": root / "run"}


@pytest.fixture
def places(finished_run: dict[str, Path], tmp_path: Path) -> dict[str, Path]:
    workspace = tmp_path / "ws"
    workspace.mkdir()
    Image.new("RGB", (40, 30), "red").save(workspace / "photo.png")
    return {**finished_run, "tmp": tmp_path, "ws": workspace}


def _fill(text: str, places: dict[str, Path]) -> str:
    return text.format(**{name: str(path) for name, path in places.items()}) if "{" in text else text


def _snapshot(directory: Path) -> dict[str, tuple[int, int]] | None:
    """Every file under ``directory`` with its size and modification time (``None``: no such directory)."""
    if not directory.exists():
        return None
    if directory.is_file():
        return {".": (directory.stat().st_size, directory.stat().st_mtime_ns)}
    return {
        str(path.relative_to(directory)): (path.lstat().st_size, path.lstat().st_mtime_ns)
        for path in directory.rglob("*")
        if not path.is_dir() or path.is_symlink()
    }


def _invoke(entry: str, argv: list[str], monkeypatch: pytest.MonkeyPatch) -> int:
    """Run one entry point's ``main`` as its ``__main__`` block does; returns the exit status."""
    try:
        if entry == "train":
            lora_finetune.main(argv)
        elif entry == "data_gen":
            monkeypatch.setattr(sys, "argv", ["python -m data_gen", *argv])
            run_cli(data_gen_main)
        else:
            return tools_main(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    return 0


# ---------------------------------------------------------------- the table


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_bad_input_gives_one_line_status_2_and_writes_nothing(case: Case, places, monkeypatch, capfd, caplog) -> None:
    if case.prepare:
        case.prepare(places)
    holder = None
    if case.id == "output dir in use":  # a live process holds the output directory
        holder = subprocess.Popen(
            [sys.executable, "-c", "import sys, time; from training.lock import output_dir_lock\n"
             "with output_dir_lock(sys.argv[1]):\n print('held', flush=True); time.sleep(120)", str(places["run"])],
            cwd=ROOT, stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        assert holder.stdout.readline().strip() == "held"
        places = {**places, "holder": holder.pid}
    watched = Path(_fill(case.untouched, places))
    before = _snapshot(watched)
    capfd.readouterr()
    try:
        status = _invoke(case.entry, [_fill(arg, places) for arg in case.argv], monkeypatch)
    finally:
        if holder:
            holder.kill()
            holder.wait()
    err = capfd.readouterr().err
    assert status == 2, err
    assert err.count("\n") == 1 and err.startswith("error: "), err
    assert _fill(case.message, places) in err
    assert not [record for record in caplog.records if record.levelname in ("WARNING", "ERROR")]
    assert _snapshot(watched) == before  # nothing written, nothing overwritten


@pytest.mark.parametrize(
    ("tool", "action_input", "message"),
    [
        ("Resize Image", "pho\x00to.png, 10, 10", "holds a control character"),
        ("Resize Image", f"{LONG_NAME}, 10, 10", "is too long"),
        ("Blur Region", "photo.png, nan, 1, 9, 9", "left should be a number"),
        ("Resize Image", "bomb.png, 10, 10", "has over"),
    ],
    ids=["NUL byte", "5,000 characters", "NaN", "bomb"],
)
def test_the_runtime_answers_bad_calls_with_one_line_and_never_raises(places, tool, action_input, message) -> None:
    _bomb(places)
    runtime = ToolRuntime.from_load("ImageEditing_cpu")
    observation = runtime.run(tool, action_input, Workspace(places["ws"]))
    assert not observation.ok and observation.bad_input
    assert message in observation.text and "\n" not in observation.text


def test_a_tool_failure_on_valid_input_is_not_bad_input(places, monkeypatch) -> None:
    runtime = ToolRuntime.from_load("ImageEditing_cpu")
    monkeypatch.setattr("tools.backends.opencv.resize", lambda *args: 1 / 0)
    observation = runtime.run("Resize Image", "photo.png, 10, 10", Workspace(places["ws"]))
    assert not observation.ok and not observation.bad_input and "ZeroDivisionError" in observation.text


# ---------------------------------------------------------------- the real processes


def test_a_checkpoint_is_unpickled_as_plain_data_only(places) -> None:
    """A checkpoint from elsewhere cannot run code on resume (it fails after the model loads, so not in the table)."""
    _run_copy(_code_running_pickle)(places)
    saved = (places["tmp"] / "out" / CONFIG_FILE_NAME).read_bytes()
    options = {
        "base_model": str(places["tiny"]),
        "data_path": str(places["data"]),
        "output_dir": str(places["tmp"] / "out"),
    }
    fast = dict(zip(FAST[::2], FAST[1::2], strict=True))
    with pytest.raises(CheckpointError, match=r"rng_state\.pt cannot be loaded as plain data.*delete this checkpoint"):
        lora_finetune.train(**options, **{key.removeprefix("--"): value for key, value in fast.items()}, max_steps=3)
    assert not list(places["tmp"].rglob("code-ran"))
    assert (places["tmp"] / "out" / CONFIG_FILE_NAME).read_bytes() == saved


@pytest.mark.parametrize(
    ("command", "message"),
    [
        (["lora_finetune.py", "--data_path", "x.json", "--max_steps", "0"], "--max_steps 0 must be positive"),
        (["-m", "data_gen", "--config", "quick", "--out_dir", "{file}"], "file exists"),
        (["-m", "tools", "run", "Resize Image", "photo.png, nan, 1", *TOOL], "should be a number"),
    ],
    ids=["lora_finetune.py", "data_gen", "tools"],
)
def test_real_entry_points_print_one_line(places, command, message) -> None:
    (places["tmp"] / "file").write_text("")
    arguments = [_fill(arg, {**places, "file": places["tmp"] / "file"}) for arg in command]
    done = subprocess.run(
        [sys.executable, *arguments], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )  # fmt: skip
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and done.stderr.startswith("error: "), done.stderr
    assert message in done.stderr


def test_help_lists_every_option_with_its_meaning_and_default() -> None:
    done = subprocess.run(
        [sys.executable, "lora_finetune.py", "--help"], cwd=ROOT, capture_output=True, text=True, timeout=60, check=True
    )
    text = "".join(done.stdout.split())  # compared without the line wrapping
    for spec in fields(TrainConfig):
        assert f"--{spec.name}" in text and "".join(spec.metadata["help"].split()) in text, spec.name
    assert text.count("(default:") == len(fields(TrainConfig)) + 1  # and --config
    assert "scaledbyalpha/r(default:32)" in text  # the default recipe's value, not the dataclass's 16


def test_the_finished_run_is_what_the_resume_cases_refuse_to_change(finished_run) -> None:
    saved = yaml.safe_load((finished_run["run"] / CONFIG_FILE_NAME).read_text())
    assert (saved["seed"], saved["lora_alpha"], saved["batch_size"]) == (42, 32, 4)
    assert (finished_run["run"] / CHECKPOINTS_DIR / checkpoint_name(2)).is_dir()


def test_a_lock_left_by_a_dead_process_is_taken_over(tmp_path: Path) -> None:
    (tmp_path / ".lock").write_text("999999999\n")  # no such PID, and no flock held
    with output_dir_lock(tmp_path):
        assert (tmp_path / ".lock").read_text() == f"{os.getpid()}\n"
    assert not (tmp_path / ".lock").exists()
