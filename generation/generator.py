"""Greedy text generation for the protocol: batched, KV-cached, stopping at ``Observation:`` or end of turn.

:class:`HFGenerator` drives a Hugging Face causal LM with its own small decoding loop:

* prompts are tokenized with :meth:`PromptTemplate.encode` (the same ids training used), sorted by length into
  batches, and within a batch by their tokens, so prompts that open alike sit together; the batch is cut into
  groups of neighbours (:func:`prefix_groups`) whose common opening is computed once (or taken from the
  :class:`~generation.prefix_cache.PrefixCache`, which also holds recent single prompts, so a demo step
  prefills only what its prompt added to the last one) and the rest of each prompt is prefilled in chunks
  of about :data:`PREFILL_TOKENS` tokens, each left padded to its own longest prompt;
* each step feeds one token per row through a KV cache allocated once for the batch
  (:mod:`generation.kv_cache`); positions follow the attention mask, so left padding never shifts a row's
  positions;
* text the constraints force (:mod:`generation.forcing`) is fed in one pass ("fast-forward"): a reply's opening
  with the prompt, later runs with the token chosen before them;
* a row finishes on an end-of-sequence token, on a stop string (``Observation:`` is kept in the returned
  text, the end-of-turn marker is not) or at ``max_new_tokens``; finished rows leave the batch (their
  cache rows are dropped) once a quarter of it has finished, so one long reply does not make the others
  pay for every step and the cache is not copied every time a row ends.

:meth:`HFGenerator.stream` runs the same loop for one prompt and yields text as it is produced, holding
back only what could still turn out to be the start of a stop string.

Each forward pass holds the generator's lock (sessions served from several threads take turns on the model
rather than oversubscribing the cores) and runs with the threads :class:`~modeling.threads.ThreadPolicy`
gives it: the cores other processes leave free.
"""

from __future__ import annotations

import contextlib
import copy
import itertools
import logging
import threading
from collections.abc import Iterator, Sequence
from typing import Any, Protocol

from generation.forcing import MIN_FORCED_TOKENS, continuation_ids
from generation.plans import PlanConstraint, PlanSpace, plan_space
from generation.prefix_cache import DEFAULT_PREFIX_CACHE_MB, PrefixCache, common_prefix_length
from generation.tool_calls import CallSpace, ToolCallConstraint, call_space
from modeling.adapter_switch import AdapterSwitch
from modeling.threads import ThreadPolicy
from protocol.prompt import PromptTemplate
from protocol.steps import OBSERVATION

logger = logging.getLogger(__name__)

DEFAULT_BATCH_SIZE = 8
# Tokens per prefill forward pass: a CPU slows down when a pass's activations outgrow its caches.
PREFILL_TOKENS = 4096
# A group's shared prefix is prefilled apart only when it is this long: a pass of its own costs about a decoding
# step, more than a few tokens per row save.
MIN_SHARED_PREFIX = 16
# What a forward pass costs beyond its tokens, counted in prefill tokens (a one-token pass of the embedded model on
# two cores takes about as long as ~50 tokens of a long prefill): the price of one more group.
PASS_COST_TOKENS = 48
# Finished rows are dropped from the batch (a copy of the whole cache) once they are 1/COMPACT_FRACTION of it.
COMPACT_FRACTION = 4


class TextGenerator(Protocol):
    """What the agent loop needs from a language model."""

    def stream(self, prompt: str, max_new_tokens: int = 128) -> Iterator[str]: ...


def cut_at_stop(text: str, stop_strings: Sequence[str]) -> tuple[str, bool]:
    """``text`` up to the earliest stop string and whether one was found.

    ``Observation:`` is kept (the runtime appends the tool's result after it); any other stop string
    (the end-of-turn marker) is dropped.
    """
    best: tuple[int, str] | None = None
    for stop in stop_strings:
        index = text.find(stop)
        if index >= 0 and (best is None or index < best[0]):
            best = (index, stop)
    if best is None:
        return text, False
    index, stop = best
    return text[: index + len(stop)] if stop == OBSERVATION else text[:index], True


def _held_back(text: str, stop_strings: Sequence[str]) -> int:
    """How many trailing characters of ``text`` may still grow into a stop string (or a split character)."""
    hold = 0
    for stop in stop_strings:
        for size in range(min(len(stop) - 1, len(text)), hold, -1):
            if text.endswith(stop[:size]):
                hold = size
                break
    if text.endswith("\ufffd"):  # an incomplete multi-byte character: wait for its other bytes
        hold = max(hold, len(text) - len(text.rstrip("\ufffd")))
    return hold


def prefix_groups(rows: Sequence[Sequence[int]], sharing: bool = True) -> list[tuple[int, int]]:
    """Cut ``rows`` (token ids, sorted so that rows which open alike are neighbours) into consecutive groups
    ``(start, stop)`` whose prefill costs least in all: each group of two or more rows computes their common prefix
    once (when ``sharing`` and it is at least :data:`MIN_SHARED_PREFIX` tokens) and the rest of every row padded to
    the group's longest rest, in passes of :data:`PREFILL_TOKENS` tokens that cost :data:`PASS_COST_TOKENS` more
    each. Without ``sharing``, one group."""
    import torch

    count = len(rows)
    if not sharing or count < 2:
        return [(0, count)] if count else []
    tensors = [torch.as_tensor(list(row), dtype=torch.long) for row in rows]
    neighbours = [common_prefix_length(a, b) for a, b in itertools.pairwise(tensors)]

    def cost(start: int, stop: int) -> int:
        group = rows[start:stop]
        shared = min([min(len(row) for row in group) - 1, *neighbours[start : stop - 1]]) if len(group) > 1 else 0
        shared = shared if shared >= MIN_SHARED_PREFIX else 0
        rest = len(group) * (max(len(row) for row in group) - shared)
        passes = -(-rest // PREFILL_TOKENS) + (shared > 0)
        return rest + shared + passes * PASS_COST_TOKENS

    # best[i]: the cost of the cheapest grouping of rows[:i]; cut[i]: where its last group starts
    best, cut = [0] * (count + 1), [0] * (count + 1)
    for stop in range(1, count + 1):
        best[stop], cut[stop] = min((best[start] + cost(start, stop), start) for start in range(stop))
    groups, stop = [], count
    while stop:
        groups.append((cut[stop], stop))
        stop = cut[stop]
    return groups[::-1]


class HFGenerator:
    """Greedy generation with a Hugging Face causal LM under a :class:`PromptTemplate`'s stopping rule."""

    def __init__(
        self,
        model: Any,
        tokenizer: Any,
        template: PromptTemplate,
        batch_size: int = DEFAULT_BATCH_SIZE,
        *,
        constrain_tools: bool = True,
        constrain_arguments: bool = True,
        constrain_plans: bool = True,
        prefix_cache_mb: float = DEFAULT_PREFIX_CACHE_MB,
        threads: ThreadPolicy | None = None,
        fast_forward: bool = True,
    ) -> None:
        """``constrain_tools``: after ``Action:``, only names of the tools the prompt lists can be written;
        ``constrain_arguments`` (with it): ``Action Input:`` holds one value of the right type per input of
        the tool (:mod:`generation.tool_calls`); ``constrain_plans``: a reply to a plan prompt is a valid plan
        (:mod:`generation.plans`). ``prefix_cache_mb``: memory for the KV of recent prompt prefixes (0: every
        prompt is prefilled whole). ``threads``: default from ``GPT4TOOLS_THREADS``. ``fast_forward``: feed text the
        constraints force in one pass (:mod:`generation.forcing`); off, it is decoded a token a pass (a benchmark's
        reference)."""
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        if prefix_cache_mb < 0:
            raise ValueError(f"prefix_cache_mb must be at least 0, got {prefix_cache_mb}")
        self.model = model
        self.tokenizer = tokenizer
        self.template = template
        self.batch_size = batch_size
        self.stop_strings = template.stop_strings(tokenizer)
        from generation.kv_cache import cache_keyword

        self._cache_keyword = cache_keyword()
        self.eos_ids = self._eos_ids()
        self.pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else min(self.eos_ids, default=0)
        # A stop string ends within the last few tokens; decoding only those keeps the check cheap.
        self._tail_tokens = max(len(stop) for stop in self.stop_strings) + 2
        self.tool_calls = ToolCallConstraint(tokenizer, constrain_arguments) if constrain_tools else None
        self.plans = PlanConstraint(tokenizer, sorted(self.eos_ids)) if constrain_plans else None
        # prompts may be in any shipped language, whichever template the model was trained with
        self.prompt_formats = (template, *(shipped for shipped in PromptTemplate.shipped() if shipped != template))
        self.prefixes = PrefixCache(int(prefix_cache_mb * 2**20)) if prefix_cache_mb > 0 else None
        self.threads = threads or ThreadPolicy.from_env()
        self.fast_forward = fast_forward
        self.switch: AdapterSwitch | None = None
        self._lock = threading.Lock()

    def _eos_ids(self) -> set[int]:
        ids: set[int] = set()
        config_eos = getattr(getattr(self.model, "generation_config", None), "eos_token_id", None)
        for value in (config_eos, self.tokenizer.eos_token_id):
            if isinstance(value, int):
                ids.add(value)
            elif value is not None:
                ids.update(int(v) for v in value)
        end = self.template.end_of_turn(self.tokenizer)
        end_ids = self.tokenizer(end, add_special_tokens=False)["input_ids"] if end else []
        if len(end_ids) == 1:
            ids.add(int(end_ids[0]))
        return ids

    def with_adapter(self, switch: AdapterSwitch) -> HFGenerator:
        """A generator over the same model, lock and threads that generates as the model with another adapter
        would (:mod:`modeling.adapter_switch`), with a prefix cache of its own: the adapters' keys and values
        differ."""
        other = copy.copy(self)
        other.switch = switch
        other.prefixes = PrefixCache(self.prefixes.max_bytes) if self.prefixes is not None else None
        return other

    @property
    def input_device(self) -> Any:
        """Where the model takes its input ids: its embedding's device (with a ``device_map`` the layers may
        spread over several devices; the outputs come back to this one)."""
        return self.model.get_input_embeddings().weight.device

    # ----------------------------------------------------------------- public API
    def generate(self, prompts: Sequence[str], max_new_tokens: int = 128) -> list[str]:
        """Completions of already wrapped prompts (``template.wrap``), in the order given."""
        encoded = [self.template.encode(self.tokenizer, prompt)[0] for prompt in prompts]
        order = sorted(range(len(prompts)), key=lambda i: len(encoded[i]))
        results: list[str] = [""] * len(prompts)
        for start in range(0, len(order), self.batch_size):
            rows = sorted(order[start : start + self.batch_size], key=lambda i: encoded[i])  # alike openings together
            generated: dict[int, list[int]] = {}
            spaces = [self._space(prompts[i]) for i in rows]
            for row, token, _finished in self._decode([encoded[i] for i in rows], max_new_tokens, spaces):
                generated.setdefault(row, []).append(token)
            for local, index in enumerate(rows):
                results[index] = self._finish(generated.get(local, []))
        return results

    def stream(self, prompt: str, max_new_tokens: int = 128) -> Iterator[str]:
        """Yield pieces of the completion of one wrapped prompt as they are generated."""
        ids = self.template.encode(self.tokenizer, prompt)[0]
        tokens: list[int] = []
        emitted = 0
        for _row, token, finished in self._decode([ids], max_new_tokens, [self._space(prompt)]):
            tokens.append(token)
            if finished:
                break
            text = self._text(tokens)
            visible, stopped = cut_at_stop(text, self.stop_strings)
            if stopped:
                break
            safe = len(visible) - _held_back(visible, self.stop_strings)
            if safe > emitted:
                yield visible[emitted:safe]
                emitted = safe
        final = self._finish(tokens)
        if len(final) > emitted:
            yield final[emitted:]

    # ----------------------------------------------------------------- constraints
    def _space(self, prompt: str) -> CallSpace | PlanSpace:
        """What a reply to ``prompt`` may call: a plan prompt's tools and images, else the ReAct tool block's."""
        if self.plans is not None and (plans := plan_space(prompt)) is not None:
            return plans
        return call_space(prompt, self.prompt_formats)

    def _constraint(self, space: CallSpace | PlanSpace) -> ToolCallConstraint | PlanConstraint | None:
        if isinstance(space, PlanSpace):
            return self.plans
        return self.tool_calls if space.tools else None

    # ----------------------------------------------------------------- decoding
    def _text(self, tokens: Sequence[int]) -> str:
        if tokens and tokens[-1] in self.eos_ids:
            tokens = tokens[:-1]
        return self.tokenizer.decode(list(tokens), skip_special_tokens=False)

    def _finish(self, tokens: Sequence[int]) -> str:
        return cut_at_stop(self._text(tokens), self.stop_strings)[0]

    def _row_done(self, tokens: list[int], max_new_tokens: int) -> bool:
        if tokens[-1] in self.eos_ids or len(tokens) >= max_new_tokens:
            return True
        tail = self.tokenizer.decode(tokens[-self._tail_tokens :], skip_special_tokens=False)
        return any(stop in tail for stop in self.stop_strings)

    def _left_padded(self, rows: Sequence[Sequence[int]], device: Any) -> tuple[Any, Any]:
        """``rows`` left padded to the longest: token ids and the attention mask (0 on padding)."""
        import torch

        width = max(len(row) for row in rows)
        ids = torch.tensor([[self.pad_id] * (width - len(row)) + list(row) for row in rows], device=device)
        mask = torch.tensor([[0] * (width - len(row)) + [1] * len(row) for row in rows], device=device)
        return ids, mask

    @contextlib.contextmanager
    def _computing(self) -> Iterator[None]:
        """One computation on the model: under the lock, in inference mode, with the policy's threads.

        Grad and inference modes and the thread count are per thread, and Gradio resumes a streaming generator on
        whichever worker thread is free: enter this around each computation, never across a yield.
        """
        import torch

        switched = self.switch.applied(self.model) if self.switch is not None else contextlib.nullcontext()
        with self._lock, torch.inference_mode(), self.threads.applied(), switched:
            yield

    def _layer_count(self) -> int:
        return self.model.config.get_text_config(decoder=True).num_hidden_layers

    def _shared_prefix(self, prompt_ids: Sequence[Sequence[int]]) -> tuple[int, Any]:
        """How many leading tokens of a group of prompts come from the prefix cache, and that cache entry.

        A single prompt takes the longest prefix any cached prompt shares with it. A group takes the prefix all
        its prompts share, computed now (and cached) when the cache does not hold it whole. Each prompt keeps
        at least one token to prefill: its logits start the decoding.
        """
        import torch

        if self.prefixes is None:
            return 0, None
        rows = [torch.as_tensor(list(row), dtype=torch.long) for row in prompt_ids]
        shared = min(len(row) for row in rows) - 1
        for row in rows[1:]:
            shared = min(shared, common_prefix_length(rows[0], row))
        length, entry = self.prefixes.longest(prompt_ids[0][:shared])
        if len(rows) > 1 and length < shared and shared >= MIN_SHARED_PREFIX:
            self._prefill([prompt_ids[0][:shared]], shared)  # caches that prefix whole
            length, entry = self.prefixes.longest(prompt_ids[0][:shared])
        return length, entry

    def _prefill(self, prompt_ids: Sequence[Sequence[int]], capacity: int) -> tuple[Any, Any, Any]:
        """Prefill the prompts into one cache with room for ``capacity`` positions (see :mod:`generation.kv_cache`).

        The rows are cut into :func:`prefix_groups`; a group's shared prefix comes from :meth:`_shared_prefix` and
        the rest of its rows is run through the model in chunks of at most :data:`PREFILL_TOKENS` tokens (a row
        longer than that is a chunk of its own). Every row ends at the same position: a row holds its group's
        prefix, a gap, then its own tokens. A single prompt's KV is cached for the prompts that continue it.
        Returns the cache, each row's last logits and the attention mask (0 on gaps and padding).
        """
        import torch

        from generation.kv_cache import BatchKV

        device = self.input_device
        width = max(len(row) for row in prompt_ids)
        mask = torch.zeros(len(prompt_ids), width, dtype=torch.long, device=device)
        store = BatchKV(len(prompt_ids), capacity, self._layer_count(), width)
        logits = []
        for first, end in prefix_groups(prompt_ids, sharing=self.prefixes is not None):
            shared, prefix = self._shared_prefix(prompt_ids[first:end])
            if prefix is not None:
                store.fill_prefix(prefix.keys, prefix.values, shared, slice(first, end))
            mask[first:end, :shared] = 1
            rests = [row[shared:] for row in prompt_ids[first:end]]
            for row, rest in enumerate(rests, first):
                mask[row, width - len(rest) :] = 1
            start = 0
            while start < len(rests):
                stop, longest = start + 1, len(rests[start])
                while stop < len(rests) and (stop + 1 - start) * max(longest, len(rests[stop])) <= PREFILL_TOKENS:
                    longest = max(longest, len(rests[stop]))
                    stop += 1
                ids, _ = self._left_padded(rests[start:stop], device)
                filled = width - ids.shape[1]  # the group's prefix and this chunk's gap
                chunk_mask = mask[first + start : first + stop]
                out = self.model(
                    input_ids=ids,
                    attention_mask=chunk_mask,
                    position_ids=(chunk_mask.cumsum(-1) - 1).clamp(min=0)[:, filled:],
                    use_cache=True,
                    logits_to_keep=1,
                    **{self._cache_keyword: store.rows(first + start, first + stop, filled)},
                )
                logits.append(out.logits[:, -1, :])
                start = stop
        if len(prompt_ids) == 1 and self.prefixes is not None:
            self.prefixes.add(
                prompt_ids[0], [k[0, :, :width] for k in store.keys], [v[0, :, :width] for v in store.values]
            )
        return store.cache(width), torch.cat(logits), mask

    def _forced_ids(
        self,
        constraint: ToolCallConstraint | PlanConstraint | None,
        written: str,
        space: CallSpace | PlanSpace,
        budget: int,
    ) -> list[int]:
        """The tokens of the text ``constraint`` forces after ``written`` (at most ``budget``), when fast-forward is on
        and they are at least :data:`~generation.forcing.MIN_FORCED_TOKENS`."""
        # Plans are left out: fed this way, the embedded model's plans stopped after their first step (edge F1 0
        # on 64 test plans, against 28 decoded a token at a time); JSON's forced runs ('"}}, {"task": "') split
        # the merged tokens the model was trained on, where a ReAct step's forced runs are whole lines and names.
        if not self.fast_forward or not isinstance(constraint, ToolCallConstraint) or budget < MIN_FORCED_TOKENS:
            return []
        text = constraint.forced(written, space)
        ids = continuation_ids(self.tokenizer, text, constraint.pieces) if text else []
        return ids[:budget] if len(ids) >= MIN_FORCED_TOKENS else []

    def _decode(
        self, prompt_ids: Sequence[Sequence[int]], max_new_tokens: int, spaces: Sequence[CallSpace | PlanSpace]
    ) -> Iterator[tuple[int, int, bool]]:
        """Greedy decoding of a batch; yields ``(row, token, row_finished)`` for every token produced.

        ``spaces[row]``: the tools and image names row's prompt lists (its tool calls or plan are held to them).
        With fast-forward, text the constraint forces goes through the model in one pass: a reply's opening with
        the prompt, later runs with the token chosen before them. A pass feeds every row of a batch as many tokens
        as the row with the fewest queued has; the others keep the rest queued for the next passes, which take
        no choice from the model for them."""
        import torch

        if max_new_tokens < 1 or not prompt_ids:
            return
        device = self.input_device
        rows: list[int | None] = list(range(len(prompt_ids)))  # original row of each batch row, None when done
        generated: list[list[int]] = [[] for _ in prompt_ids]
        # the reply so far as the constraint reads it, grown a token piece at a time (decoding it whole at
        # every step cost a sixth of the decode time)
        written = [""] * len(prompt_ids)
        constraints = [self._constraint(space) for space in spaces]
        finished: set[int] = set()

        def emit(row: int, tokens: Sequence[int]) -> Iterator[tuple[int, int, bool]]:
            """Yield ``row``'s ``tokens`` until the row finishes; returns those taken."""
            taken: list[int] = []
            for token in tokens:
                generated[row].append(token)
                if constraints[row] is not None:
                    written[row] += constraints[row].piece(token)
                done = self._row_done(generated[row], max_new_tokens)
                taken.append(token)
                yield row, token, done
                if done:
                    finished.add(row)
                    break
            return taken

        openings = [
            self._forced_ids(c, "", space, max_new_tokens) for c, space in zip(constraints, spaces, strict=True)
        ]
        capacity = max(len(ids) + len(opening) for ids, opening in zip(prompt_ids, openings, strict=True))
        with self._computing():
            cache, logits, mask = self._prefill(
                [[*ids, *opening] for ids, opening in zip(prompt_ids, openings, strict=True)],
                capacity + max_new_tokens,
            )
        for row, opening in enumerate(openings):
            yield from emit(row, opening)
        positions = mask.sum(-1, keepdim=True) - 1
        queued: list[list[int]] = [[] for _ in rows]  # per batch row: tokens produced and not fed yet
        while True:
            choosing = [live for live, row in enumerate(rows) if row not in (None, *finished) and not queued[live]]
            greedy = logits.argmax(dim=-1).tolist() if choosing else []
            for live in choosing:
                row = rows[live]
                token, constraint = greedy[live], constraints[row]
                if constraint is not None:
                    left = max_new_tokens - len(generated[row])
                    token = constraint.choose(written[row], logits[live], token, spaces[row], left)
                queued[live] = yield from emit(row, [token])
                if row not in finished:
                    budget = max_new_tokens - len(generated[row])
                    queued[live] += yield from emit(
                        row, self._forced_ids(constraint, written[row], spaces[row], budget)
                    )
            rows = [None if row in finished else row for row in rows]
            keep = [live for live, row in enumerate(rows) if row is not None]
            if not keep:
                return
            with self._computing():
                if len(rows) - len(keep) >= max(1, len(rows) // COMPACT_FRACTION):
                    index = torch.tensor(keep, device=device)
                    cache.batch_select_indices(index)
                    mask, positions = mask[index], positions[index]
                    rows, queued = [rows[i] for i in keep], [queued[i] for i in keep]
                width = min(len(queued[live]) for live, row in enumerate(rows) if row is not None)
                ids = [
                    tokens[:width] if row is not None else [self.pad_id] * width
                    for row, tokens in zip(rows, queued, strict=True)
                ]
                queued = [tokens[width:] for tokens in queued]
                mask = torch.cat([mask, mask.new_ones(len(rows), width)], dim=-1)
                fed_positions = positions + torch.arange(1, width + 1, device=device)
                positions = fed_positions[:, -1:]
                out = self.model(
                    input_ids=torch.tensor(ids, device=device),
                    attention_mask=mask,
                    position_ids=fed_positions,
                    use_cache=True,
                    logits_to_keep=1,
                    **{self._cache_keyword: cache},
                )
                logits = out.logits[:, -1, :]
