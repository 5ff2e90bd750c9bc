"""A local instruct model as a teacher (any checkpoint ``modeling.loading.load_model`` loads; SmolLM2 by default)."""

from __future__ import annotations

import logging
from typing import Any

from modeling.loading import EMBEDDED_MODEL, load_model

logger = logging.getLogger(__name__)


class HFTeacherBackend:
    """A teacher's completions: batched sampling from a causal LM, prompts wrapped in its chat template when it
    has one."""

    def __init__(
        self,
        model: str = EMBEDDED_MODEL,
        *,
        seed: int = 0,
        device: str = "cpu",
        dtype: str = "auto",
        max_new_tokens: int = 256,
        temperature: float = 0.8,
        top_p: float = 0.95,
    ) -> None:
        self.model, self.tokenizer = load_model(model, device=device, dtype=dtype)
        self.tokenizer.padding_side = "left"
        self.seed = seed
        self.device = device
        self.max_new_tokens = max_new_tokens
        self.temperature = temperature
        self.top_p = top_p
        self.identity = f"hf|{model}|{max_new_tokens}|{temperature}|{top_p}|{seed}"

    def _wrap(self, prompt: str) -> str:
        if getattr(self.tokenizer, "chat_template", None):
            return self.tokenizer.apply_chat_template(
                [{"role": "user", "content": prompt}], tokenize=False, add_generation_prompt=True
            )
        return f"{prompt}\n"

    def complete(self, prompts: list[str], attempt: int) -> list[str]:
        import torch

        torch.manual_seed(self.seed * 1000 + attempt)
        encoded = self.tokenizer(
            [self._wrap(p) for p in prompts], return_tensors="pt", padding=True, add_special_tokens=False
        ).to(self.device)
        kwargs: dict[str, Any] = {
            "max_new_tokens": self.max_new_tokens,
            "do_sample": True,
            "temperature": self.temperature,
            "top_p": self.top_p,
            "pad_token_id": self.tokenizer.pad_token_id,
        }
        with torch.inference_mode():
            output = self.model.generate(**encoded, **kwargs)
        new_tokens = output[:, encoded["input_ids"].shape[1] :]
        return self.tokenizer.batch_decode(new_tokens, skip_special_tokens=True)
