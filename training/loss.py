"""Summed next-token loss that runs the output head only on the positions that carry loss."""

from __future__ import annotations

import torch
from torch import nn

IGNORE_INDEX = -100


def base_causal_lm(model: nn.Module) -> nn.Module:
    """The causal LM inside a PEFT wrapper, or ``model`` itself when it is not wrapped."""
    return model.get_base_model() if hasattr(model, "get_base_model") else model


class CompletionLoss(nn.Module):
    """Wraps a causal LM (plain or PEFT); ``forward`` returns ``(summed loss, number of loss tokens)``.

    The decoder runs on the whole sequence, but the vocabulary projection (for SmolLM2 a fifth of the
    model's FLOPs and the largest activation) and the cross-entropy only on the positions whose next
    token is labelled, so masked prompt tokens cost no head compute. Summing (not averaging) lets the
    caller normalise by the token count of the whole global batch across micro batches and ranks. With
    ``compile`` the head and the cross-entropy run as one compiled graph: on a CPU the fp32 pass over the
    logits (tokens x 49,152 for SmolLM2) otherwise costs more than the head's matmul (223 -> 114 ms for 352
    loss tokens, forward and backward, one thread on a busy machine).
    """

    def __init__(self, model: nn.Module, *, compile: bool = False) -> None:
        super().__init__()
        self.model = model
        self.head_loss = torch.compile(head_loss, dynamic=True) if compile else head_loss

    def forward(
        self, input_ids: torch.Tensor, labels: torch.Tensor, attention_mask: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        causal_lm = base_causal_lm(self.model)
        hidden = causal_lm.get_decoder()(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        targets = labels[:, 1:]
        keep = targets != IGNORE_INDEX
        loss = self.head_loss(causal_lm.get_output_embeddings(), hidden[:, :-1][keep], targets[keep])
        return loss, keep.sum()


def head_loss(head: nn.Module, hidden: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Summed cross-entropy of ``head(hidden)`` (computed in fp32) against ``targets``."""
    return nn.functional.cross_entropy(head(hidden).float(), targets, reduction="sum")
