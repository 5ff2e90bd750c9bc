"""``lora_finetune.py`` with the model's attention replaced by a free stand-in: an upper bound on training speed.

    torchrun --nproc_per_node 2 benchmarks/free_attention_trainer.py [lora_finetune.py options]

The stand-in passes each query through as the attention output (no scores, no softmax, no backward of its own),
so a step costs everything but attention: the projections, the LoRA matmuls, the element-wise work and the head.
``bench_train.py --attention_bound`` runs it beside the real recipe to show how much of the matmul peak faster
attention kernels could reach at most. The adapter it trains is meaningless.
"""

from __future__ import annotations

import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def free_attention(module, query: torch.Tensor, key, value, attention_mask, **kwargs) -> tuple[torch.Tensor, None]:
    """The query ``[batch, heads, tokens, head_dim]`` as the output ``[batch, tokens, heads, head_dim]``."""
    return query.transpose(1, 2).contiguous(), None


def main() -> None:
    from transformers import AttentionInterface

    import lora_finetune

    AttentionInterface.register("sdpa", free_attention)  # the trainer's models use SDPA
    lora_finetune.main()


if __name__ == "__main__":
    main()
