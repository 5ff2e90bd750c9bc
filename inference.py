"""Batch inference over an annotation file: batched, sharded, resumable.

    python inference.py --lora_model output/lora --ann_path data/test.json --save_name smollm2
    torchrun --nproc_per_node 4 inference.py ...            # each rank takes its share
    python inference.py ... --num_chunks 4 --chunk_idx 2     # one process per GPU (scripts/batch_inference.sh)
    python inference.py --backend openai --openai_model gpt-3.5-turbo ...   # an OpenAI-compatible endpoint

Writes ``{"id", "output"}`` lines (the completion only) to ``save_path/save_name/save_name[_i].jsonl``;
a rerun skips ids already written there. ``--original_format`` also writes the original GPT4Tools'
``save_name_<i>.json`` (prompt included), which its ``evaluate_result.py`` reads. The original's command
lines run unchanged (docs/gpt4tools_compat.md): every option is checked before a model loads.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from modeling.loading import EMBEDDED_MODEL, check_device_map
from modeling.threads import configure_process
from protocol.cli import run_cli
from protocol.errors import InputError
from protocol.plan_prompt import is_plan_prompt

logger = logging.getLogger("inference")
DEFAULT_MAX_NEW_TOKENS = 128

BACKENDS = ("hf", "openai")


def _device(device: str) -> str:
    if device != "auto":
        return device
    import torch

    return f"cuda:{int(os.environ.get('LOCAL_RANK', '0'))}" if torch.cuda.is_available() else "cpu"


def _whole_number(name: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise InputError(f"--{name} {value!r}: give a whole number of at least {minimum}")
    return value


def check_original_flags(
    *,
    device: str,
    llm_device: str | None,
    num_beams: Any,
    local_rank: Any,
    ignored: dict[str, Any],
) -> str:
    """Map the original GPT4Tools' flags onto this script's (or refuse them, naming what to use); returns the
    device. ``ignored`` holds the flags the original parsed but never applied."""
    if llm_device is not None:
        if device not in ("auto", llm_device):
            raise InputError(f"--llm_device {llm_device} and --device {device} disagree; give one of them")
        device = str(llm_device)
    if num_beams is not None and _whole_number("num_beams", num_beams, 1) != 1:
        raise InputError(
            f"--num_beams {num_beams}: beam search is not supported; inference.py decodes greedily, as the "
            "original did with its default --num_beams 1 (drop the flag)"
        )
    if local_rank is not None:
        os.environ.setdefault("LOCAL_RANK", str(_whole_number("local_rank", local_rank, -1)))
    given = sorted(name for name, value in ignored.items() if value not in (None, False))
    if given:
        logger.info(
            "ignoring %s as the original did: its inference decoded greedily (do_sample was never set) and "
            "did not use --keep_last_n_paragraphs or --distributed",
            ", ".join(f"--{name}" for name in given),
        )
    return device


def main(
    ann_path: str,
    save_name: str,
    *,
    base_model: str = EMBEDDED_MODEL,
    lora_model: str | None = None,
    prompt_template: str | None = None,
    save_path: str = "output/eval_result",
    batch_size: int = 32,
    max_new_tokens: int | None = None,
    constrain_tools: bool = True,
    constrain_arguments: bool = True,
    constrain_plans: bool = True,
    num_chunks: int = 1,
    chunk_idx: int = 0,
    backend: str = "hf",
    device: str = "auto",
    device_map: str | None = None,
    max_memory: str | None = None,
    dtype: str = "auto",
    load_in_8bit: bool = False,
    load_in_4bit: bool = False,
    openai_model: str = "gpt-3.5-turbo",
    openai_base_url: str | None = None,
    openai_api_key: str | None = None,
    original_format: bool = False,
    dry_run: bool = False,
    llm_device: str | None = None,
    temperature: float | None = None,
    top_p: float | None = None,
    top_k: int | None = None,
    num_beams: int | None = None,
    keep_last_n_paragraphs: int | None = None,
    distributed: bool = False,
    local_rank: int | None = None,
) -> str:
    """Predict every record of ``ann_path`` (this process's shard); returns the prediction file.

    Args:
        ann_path: annotation file (JSON list or JSONL records, either layout, each with its own ``id``).
        save_name: run name; predictions go to ``save_path/save_name/``.
        base_model: base model (embedded SmolLM2 by default, a local checkpoint dir, or a hub id already in the
            Hugging Face cache; nothing is downloaded).
        lora_model: adapter directory from ``lora_finetune.py`` (merged before generating; its prompt template
            is used); ``none`` for the base model alone.
        prompt_template: the prompt to serve with (``en``, ``zh``, ``gpt4tools`` or a YAML file); default the
            one saved with the adapter, else ``en``. ``gpt4tools`` is the original's Vicuna template, for
            adapters trained by the original.
        batch_size: prompts per generation batch (sorted by length, prefilled in chunks, decoded together; an
            interrupted run loses at most this many predictions).
        max_new_tokens: generation budget per reply (it stops earlier at ``Observation:`` / end of turn); default
            128, or 512 when the file holds plan records (planner prompts), whose replies are whole plans.
        constrain_tools: after ``Action:`` only the names of the tools the record's prompt lists can be written
            (``generation/tool_calls.py``; ``--noconstrain_tools`` leaves the model free, as the original did).
        constrain_arguments: with ``constrain_tools``, ``Action Input:`` holds one value of the declared type per
            input of the tool (``--noconstrain_arguments`` holds the name only).
        constrain_plans: a reply to a planner prompt is a valid plan of the offered tools (``generation/plans.py``;
            ``--noconstrain_plans`` leaves the model free).
        num_chunks, chunk_idx: split the records into ``num_chunks`` parts and do part ``chunk_idx`` (also
            spelled ``--num-chunks`` / ``--chunk-idx``, as the original).
        backend: ``hf`` (local transformers) or ``openai`` (an OpenAI-compatible chat-completions endpoint;
            ``openai_base_url`` / ``OPENAI_BASE_URL``, ``openai_api_key`` / ``OPENAI_API_KEY``).
        device: ``auto`` (the rank's GPU if any, else CPU), ``cpu``, ``cuda:N``.
        device_map: spread the model's layers over every visible GPU (then the CPU) instead of one device: ``auto``
            or ``balanced`` (even), ``balanced_low_0`` (room left on GPU 0), ``sequential`` (GPU 0 first); for a
            model larger than one GPU (13B in fp16 over two 24 GB cards). One process: not with torchrun; with
            ``--num_chunks``, give each chunk its GPUs through ``CUDA_VISIBLE_DEVICES``.
        max_memory: with ``device_map``, the most each device may hold: ``0:20GiB,1:20GiB,cpu:64GiB``.
        dtype: ``auto`` (bf16 where supported), ``bf16``, ``fp16``, ``fp32``.
        original_format: also write ``save_name_<i>.json`` as the original's inference does (a JSON list, each
            output the prompt followed by the completion), so its ``evaluate_result.py`` reads the predictions.
        dry_run: check the options, the annotation file, the adapter and the base model, then stop (what
            ``scripts/batch_inference.sh`` runs once before starting the chunks).
        llm_device: the original's name for ``--device``.
        temperature, top_p, top_k, keep_last_n_paragraphs, distributed: the original's flags, accepted and
            ignored as the original's inference ignored them (it decoded greedily).
        num_beams: the original's flag; only 1 (greedy) is supported.
        local_rank: the original's flag; sets ``LOCAL_RANK`` when it is unset.
    """
    configure_process()  # before torch loads (modeling/threads.py)
    from evaluation.predict import current_shard, original_output_file, output_file, run_inference
    from modeling.adapter_files import adapter_argument, check_adapter_files
    from protocol.prompt import PromptTemplate
    from protocol.records import read_annotations

    device = check_original_flags(
        device=device,
        llm_device=llm_device,
        num_beams=num_beams,
        local_rank=local_rank,
        ignored={
            "temperature": temperature,
            "top_p": top_p,
            "top_k": top_k,
            "keep_last_n_paragraphs": keep_last_n_paragraphs,
            "distributed": distributed,
        },
    )
    check_device_map(device_map, max_memory)
    if device_map is not None and device != "auto":
        raise InputError(f"--device {device} and --device_map {device_map}: give one of them")
    if device_map is not None and int(os.environ.get("WORLD_SIZE", "1")) > 1:
        raise InputError(
            f"--device_map {device_map} spreads one model over every GPU; under torchrun each process would do so. "
            "Run one process, or drop --device_map and give each process its GPU"
        )
    batch_size = _whole_number("batch_size", batch_size, 1)
    if max_new_tokens is not None:
        max_new_tokens = _whole_number("max_new_tokens", max_new_tokens, 1)
    num_chunks = _whole_number("num_chunks", num_chunks, 1)
    chunk_idx = _whole_number("chunk_idx", chunk_idx, 0)
    if backend not in BACKENDS:
        raise InputError(f"--backend {backend!r}: use one of {', '.join(BACKENDS)}")
    shard = current_shard(num_chunks, chunk_idx)
    records = read_annotations(ann_path)  # a bad file fails before the model loads
    if max_new_tokens is None:
        from generation.plans import PLAN_MAX_NEW_TOKENS

        plans = any(is_plan_prompt(record.instruction) for record in records)
        max_new_tokens = PLAN_MAX_NEW_TOKENS if plans else DEFAULT_MAX_NEW_TOKENS
    adapter = adapter_argument(lora_model)
    if backend == "hf":
        from modeling.loading import resolve_base_model

        if adapter is not None:
            check_adapter_files(adapter)
        if prompt_template:
            PromptTemplate.load(prompt_template)
        resolve_base_model(base_model)  # a missing checkpoint fails here, at once
    if dry_run:
        logger.info("options, %s (%d records) and the model paths are fine", ann_path, len(records))
        return "ok"
    if backend == "hf":
        from evaluation.predict import LocalModelBackend
        from generation.generator import HFGenerator
        from modeling.loading import load_for_inference

        model, tokenizer, template = load_for_inference(
            base_model,
            adapter,
            prompt_template=prompt_template,
            device=_device(device),
            dtype=dtype,
            load_in_8bit=load_in_8bit,
            load_in_4bit=load_in_4bit,
            device_map=device_map,
            max_memory=max_memory,
        )
        generator = LocalModelBackend(
            HFGenerator(
                model,
                tokenizer,
                template,
                batch_size=batch_size,
                constrain_tools=constrain_tools,
                constrain_arguments=constrain_arguments,
                constrain_plans=constrain_plans,
            )
        )
    else:
        from evaluation.predict import OpenAIChatBackend
        from generation.openai import OpenAIChat

        generator = OpenAIChatBackend(OpenAIChat(openai_model, openai_base_url, openai_api_key))
    out = output_file(save_path, save_name, shard)
    original = original_output_file(save_path, save_name, shard) if original_format else None
    written = run_inference(
        generator,
        records,
        out,
        shard=shard,
        batch_size=batch_size,
        max_new_tokens=max_new_tokens,
        original_file=original,
    )
    logger.info("wrote %d prediction(s) to %s", written, out)
    return str(Path(out))


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    run_cli(main)
