"""How an inference model's matrix products run on the CPU: two kernel choices PyTorch gets wrong for decoding.

**The output head's input, made dense.** The model keeps only the last position's logits (``logits_to_keep=1``), so
the head multiplies a slice ``hidden[:, -1:, :]`` of a pass over several tokens. That slice's strides do not let
``torch.matmul`` fold it into one matrix when the weight needs no gradient, so it takes the batched path, which
broadcasts the transposed 49152x576 weight over the batch and copies it: ~70 ms for one row and ~0.5 s for eight (the
weight read is ~5 ms), on every multi-token pass (a prefill chunk, a fast-forward). A pre-hook hands the head a dense
copy of its input (rows x hidden, nothing to speak of).

**One-row passes on ATen's matrix-vector kernel.** A decoding step of one sequence (every demo step) multiplies
each weight by a single row. For bf16 and fp16 weights PyTorch hands that to oneDNN, which streams a weight about
half as fast as ATen's own kernel (SmolLM2-135M's 1536x576 projection: ~230 against ~120 us; a whole decoding pass
~76 against ~63 ms on the 2-core AVX512-BF16 machine, ``benchmarks/bench_fast_forward.py --pass_cost``). With more
rows oneDNN is several times faster, so only one-row passes change. PyTorch has no per-call choice: oneDNN is on or
off for the whole process (``torch.backends.mkldnn.enabled``). The model's forward pass turns it off for a one-row
pass and back on after it, whatever happens in between; while such a pass runs (tens of milliseconds), other threads
of the process lose oneDNN too: a tool computing a convolution in another session at that moment uses ATen's kernels
(the same result up to rounding, more slowly).
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

logger = logging.getLogger(__name__)

_hooks: weakref.WeakKeyDictionary[Any, list[Any]] = weakref.WeakKeyDictionary()  # model -> its hooks' handles


class _OneDNNSwitch:
    """oneDNN's process-wide setting, off while any thread runs a one-row pass."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._passes = 0  # one-row passes running now, in any thread
        self._enabled_before = True  # the setting when the first of them began

    def enter(self) -> None:
        import torch

        with self._lock:
            if self._passes == 0:
                self._enabled_before = torch.backends.mkldnn.enabled
            self._passes += 1
            torch.backends.mkldnn.enabled = False

    def leave(self) -> None:
        import torch

        with self._lock:
            self._passes -= 1
            if self._passes == 0:
                torch.backends.mkldnn.enabled = self._enabled_before

    @contextmanager
    def off(self) -> Iterator[None]:
        self.enter()
        try:
            yield
        finally:
            self.leave()


_switch = _OneDNNSwitch()


def without_onednn() -> AbstractContextManager[None]:
    """A block with oneDNN off; back to its earlier setting when the last such block running in any thread ends."""
    return _switch.off()


def _rows(args: tuple[Any, ...], kwargs: dict[str, Any]) -> int | None:
    """How many token rows a causal LM's forward call computes (``None`` when it cannot be told)."""
    tokens = kwargs.get("input_ids", args[0] if args else None)
    if tokens is not None:
        return tokens.numel()
    embeds = kwargs.get("inputs_embeds")
    return None if embeds is None else embeds.numel() // embeds.shape[-1]


def _one_row_hooks(model: Any) -> list[Any]:
    """Forward hooks that run the model's one-row passes without oneDNN."""
    local = threading.local()  # whether the pass this thread runs turned oneDNN off

    def before(_module: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        local.one_row = _rows(args, kwargs) == 1
        if local.one_row:
            _switch.enter()

    def after(_module: Any, _args: tuple[Any, ...], _kwargs: dict[str, Any], _output: Any) -> None:
        if getattr(local, "one_row", False):
            local.one_row = False
            _switch.leave()

    return [
        model.register_forward_pre_hook(before, with_kwargs=True),
        model.register_forward_hook(after, with_kwargs=True, always_call=True),
    ]


def _dense(_module: Any, args: tuple[Any, ...]) -> tuple[Any, ...]:
    import torch

    return (args[0].clone(memory_format=torch.contiguous_format), *args[1:])


def tune_cpu_matmuls(model: Any) -> bool:
    """Give a CPU inference model the dense head input and, in bf16/fp16 with oneDNN built in, the one-row routing
    (once; again changes nothing). ``False`` (nothing changed) off the CPU."""
    import torch

    if model.device.type != "cpu":
        return False
    if model in _hooks:
        return True
    hooks = []
    head = model.get_output_embeddings()
    if head is not None:
        hooks.append(head.register_forward_pre_hook(_dense))
    if model.dtype in (torch.bfloat16, torch.float16) and torch.backends.mkldnn.is_available():
        hooks += _one_row_hooks(model)
    _hooks[model] = hooks
    logger.debug("CPU matmuls: dense head input%s", ", one-row passes on ATen's gemv" if len(hooks) > 1 else "")
    return True


def default_cpu_matmuls(model: Any) -> None:
    """Undo :func:`tune_cpu_matmuls` (for benchmarks that compare with PyTorch's own choices)."""
    for handle in _hooks.pop(model, ()):
        handle.remove()
