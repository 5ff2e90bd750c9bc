"""SDPA attention for models that run on the CPU: decoding steps' grouped heads packed, masked gaps skipped.

transformers passes SDPA no mask when one query token may attend to every position in the cache (a decoding step of
one prompt without padding, as every demo step is) and then leaves the grouped key/value heads to SDPA itself
(``enable_gqa``). PyTorch's CPU flash kernel does that about five times slower than attention with the query heads
packed under their key/value head, which transformers does whenever a mask is given: for SmolLM2-135M (9 query and 3
key/value heads, ~800 cached positions) 0.46 ms against 0.09 ms a layer, a quarter of a 47 ms decoding pass
(``benchmarks/bench_fast_forward.py --pass_cost``). :data:`PACKED_DECODING` gives such a step a mask that hides
nothing, so the packed path runs.

A batch prefill leaves a masked gap between a prefix group's shared opening and each row's own tokens
(``generation/generator.py``, ``prefix_groups``): keys that no query of the pass may see, often half the width, which
the flash kernel still reads and scores. A pass over several tokens drops such positions from its keys, values and
mask when they are at least :data:`MIN_HIDDEN_SHARE` of them (a copy of the rest, small beside the attention). Every
other call is transformers' SDPA attention unchanged.
"""

from __future__ import annotations

import logging
from typing import Any

logger = logging.getLogger(__name__)

PACKED_DECODING = "sdpa_packed_decoding"  # the attention implementation's registered name
MIN_HIDDEN_SHARE = 0.25  # a pass over several tokens drops key positions no query sees when they are this share


def _without_hidden_keys(key: Any, value: Any, attention_mask: Any) -> tuple[Any, Any, Any]:
    """Keys, values and mask without the positions no query of the pass may see, when that is at least
    :data:`MIN_HIDDEN_SHARE` of them (a batch prefill's masked gap); else unchanged."""
    seen = attention_mask.any(dim=2).any(dim=1).any(dim=0)  # [batch, 1, queries, keys] -> [keys]
    kept = int(seen.sum())
    if kept > (1 - MIN_HIDDEN_SHARE) * seen.numel():
        return key, value, attention_mask
    index = seen.nonzero().squeeze(1)
    return key.index_select(2, index), value.index_select(2, index), attention_mask.index_select(3, index)


def _packed_decoding_sdpa(module: Any, query: Any, key: Any, value: Any, attention_mask: Any, **kwargs: Any) -> Any:
    import torch
    from transformers.integrations.sdpa_attention import sdpa_attention_forward

    if attention_mask is None and query.shape[2] == 1 and getattr(module, "num_key_value_groups", 1) > 1:
        attention_mask = torch.ones(query.shape[0], 1, 1, key.shape[2], dtype=torch.bool, device=query.device)
    elif attention_mask is not None and query.shape[2] > 1 and attention_mask.dtype == torch.bool:
        key, value, attention_mask = _without_hidden_keys(key, value, attention_mask)
    return sdpa_attention_forward(module, query, key, value, attention_mask, **kwargs)


def _register() -> None:
    from transformers import AttentionInterface
    from transformers.masking_utils import AttentionMaskInterface, sdpa_mask

    AttentionInterface.register(PACKED_DECODING, _packed_decoding_sdpa)
    AttentionMaskInterface.register(PACKED_DECODING, sdpa_mask)


def pack_decoding_heads(model: Any) -> None:
    """Switch a CPU model that uses transformers' SDPA attention to :data:`PACKED_DECODING`; others are left alone
    (GPU kernels handle grouped heads well, and other implementations have their own paths)."""
    config = getattr(model, "config", None)
    if getattr(config, "_attn_implementation", None) != "sdpa" or model.device.type != "cpu":
        return
    _register()
    model.set_attn_implementation(PACKED_DECODING)
    logger.debug("attention: %s", PACKED_DECODING)
