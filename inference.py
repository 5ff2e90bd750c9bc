"""Batch inference over an annotation file: batched, sharded, resumable.

    python inference.py --lora_model output/lora --ann_path data/test.json --save_name smollm2
    torchrun --nproc_per_node 4 inference.py ...            # each rank takes its share
    python inference.py ... --num_chunks 4 --chunk_idx 2     # one process per GPU (scripts/batch_inference.sh)
    python inference.py --backend openai --openai_model gpt-3.5-turbo ...   # an OpenAI-compatible endpoint

Writes ``{"id", "output"}`` lines (the completion only) to ``save_path/save_name/save_name[_i].jsonl``;
a rerun skips ids already written there.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from evaluation.batch_inference import HFBackend, current_shard, output_file, read_annotations, run_inference
from modeling.loading import EMBEDDED_MODEL
from modeling.threads import configure_process
from protocol.cli import run_cli
from protocol.errors import InputError

logger = logging.getLogger("inference")


def _device(device: str) -> str:
    if device != "auto":
        return device
    import torch

    return f"cuda:{int(os.environ.get('LOCAL_RANK', '0'))}" if torch.cuda.is_available() else "cpu"


def main(
    ann_path: str,
    save_name: str,
    *,
    base_model: str = EMBEDDED_MODEL,
    lora_model: str | None = None,
    save_path: str = "output/eval_result",
    batch_size: int = 32,
    max_new_tokens: int = 128,
    constrain_tools: bool = True,
    constrain_arguments: bool = True,
    num_chunks: int = 1,
    chunk_idx: int = 0,
    backend: str = "hf",
    device: str = "auto",
    dtype: str = "auto",
    load_in_8bit: bool = False,
    load_in_4bit: bool = False,
    openai_model: str = "gpt-3.5-turbo",
    openai_base_url: str | None = None,
    openai_api_key: str | None = None,
) -> str:
    """Predict every record of ``ann_path`` (this process's shard); returns the prediction file.

    Args:
        ann_path: annotation file (JSON list or JSONL records with ``id``).
        save_name: run name; predictions go to ``save_path/save_name/``.
        base_model: base model (embedded SmolLM2 by default, a hub id or a local path).
        lora_model: adapter directory from ``lora_finetune.py`` (merged before generating; its prompt template
            is used).
        batch_size: prompts per generation batch (sorted by length, prefilled in chunks, decoded together; an
            interrupted run loses at most this many predictions).
        max_new_tokens: generation budget per reply (it stops earlier at ``Observation:`` / end of turn).
        constrain_tools: after ``Action:`` only the names of the tools the record's prompt lists can be written
            (``generation/tool_calls.py``; ``--noconstrain_tools`` leaves the model free, as the original did).
        constrain_arguments: with ``constrain_tools``, ``Action Input:`` holds one value of the declared type per
            input of the tool (``--noconstrain_arguments`` holds the name only).
        num_chunks, chunk_idx: split the records into ``num_chunks`` parts and do part ``chunk_idx``.
        backend: ``hf`` (local transformers) or ``openai`` (an OpenAI-compatible chat-completions endpoint;
            ``openai_base_url`` / ``OPENAI_BASE_URL``, ``openai_api_key`` / ``OPENAI_API_KEY``).
        device: ``auto`` (the rank's GPU if any, else CPU), ``cpu``, ``cuda:N``.
        dtype: ``auto`` (bf16 where supported), ``bf16``, ``fp16``, ``fp32``.
    """
    configure_process()  # before torch loads (modeling/threads.py)
    shard = current_shard(num_chunks, chunk_idx)
    records = read_annotations(ann_path)  # a bad file fails before the model loads
    if backend == "hf":
        from generation.generator import HFGenerator
        from modeling.loading import load_for_inference

        model, tokenizer, template = load_for_inference(
            base_model,
            lora_model,
            device=_device(device),
            dtype=dtype,
            load_in_8bit=load_in_8bit,
            load_in_4bit=load_in_4bit,
        )
        generator = HFBackend(
            HFGenerator(
                model,
                tokenizer,
                template,
                batch_size=batch_size,
                constrain_tools=constrain_tools,
                constrain_arguments=constrain_arguments,
            )
        )
    elif backend == "openai":
        from generation.openai import OpenAIBackend

        generator = OpenAIBackend(openai_model, openai_base_url, openai_api_key)
    else:
        raise InputError(f"unknown backend {backend!r}; use 'hf' or 'openai'")
    out = output_file(save_path, save_name, shard)
    written = run_inference(generator, records, out, shard=shard, batch_size=batch_size, max_new_tokens=max_new_tokens)
    logger.info("wrote %d prediction(s) to %s", written, out)
    return str(Path(out))


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    run_cli(main)
