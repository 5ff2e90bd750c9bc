"""Prefix KV reuse: the same tokens with and without it, fewer tokens prefilled, bounded memory, thread safety."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
import torch

import generation.kv_cache as generation_kv_cache
from generation.generator import MIN_SHARED_PREFIX, HFGenerator, prefix_groups
from generation.prefix_cache import BLOCK_TOKENS, PrefixCache, common_prefix_length
from modeling.loading import load_for_inference
from protocol.prompt import PromptTemplate
from protocol.steps import ObservedStep, ToolCall
from tools.catalog import TOOL_SPECS

torch.set_num_threads(1)
MAX_NEW = 12


class CountingLM(torch.nn.Module):
    """A model that counts the prompt tokens it is given (passes of more than one token per row are prefills, with
    fast-forward off: it would feed forced text in such passes too)."""

    def __init__(self, model) -> None:
        super().__init__()
        self.model = model
        self.config = model.config
        self.generation_config = model.generation_config
        self.prefilled = 0

    def get_input_embeddings(self):
        return self.model.get_input_embeddings()

    def forward(self, input_ids, **kwargs):
        if input_ids.shape[1] > 1:
            self.prefilled += int(kwargs["attention_mask"][:, -input_ids.shape[1] :].sum())
        return self.model(input_ids=input_ids, **kwargs)


@pytest.fixture(scope="module")
def perturbed(tiny_model_dir):
    """The tiny model with weights scaled up, so greedy replies vary with the prompt instead of repeating one token."""
    model, tokenizer, template = load_for_inference(str(tiny_model_dir), dtype="fp32")
    torch.manual_seed(1)
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.add_(torch.randn_like(parameter) * 0.3)
    return model, tokenizer, template


def conversation(template: PromptTemplate, tokenizer) -> list[str]:
    """Prompts as the agent builds them: two steps of one turn (the second continues the first with the reply and
    the observation), then the next turn with the first in the history."""
    tools = TOOL_SPECS[:4]
    history = template.introduce_image("image/a1b2.png", "a cat on a sofa")
    first = template.wrap(template.render_instruction(tools, history, "edges of the image"), "", tokenizer)
    call = ToolCall("Do I need to use a tool? Yes", tools[0].name, "image/a1b2.png")
    second = template.wrap(
        template.render_instruction(tools, history, "edges of the image"),
        template.render_scratchpad([ObservedStep(call, "image/c3d4_edge.png")]),
        tokenizer,
    )
    history = [*history, *template.introduce_image("image/c3d4_edge.png", "the edges")]
    third = template.wrap(template.render_instruction(tools, history, "now rotate it"), "", tokenizer)
    return [first, second, third]


def test_common_prefix_length():
    a = torch.tensor([1, 2, 3, 4])
    assert common_prefix_length(a, torch.tensor([1, 2, 9])) == 2
    assert common_prefix_length(a, torch.tensor([1, 2])) == 2
    assert common_prefix_length(a, torch.tensor([7])) == 0


def kv(tokens: int, value: float = 0.0) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
    """Two layers of one-head KV, 4 floats a position (16 bytes) each: 64 bytes a token."""
    return [torch.full((1, tokens, 4), value) for _ in range(2)], [torch.full((1, tokens, 4), value) for _ in range(2)]


def test_longest_shared_prefix_is_found_and_continued_prompts_replace_theirs():
    cache = PrefixCache(max_bytes=10_000)
    cache.add([1, 2, 3], *kv(3, 1.0))
    cache.add([1, 5, 6, 7], *kv(4, 2.0))
    length, entry = cache.longest([1, 2, 3, 9])
    assert length == 3 and entry.keys[0][0, 0, 0] == 1.0
    assert cache.longest([1, 5, 6, 8])[0] == 3
    assert cache.longest([4])[0] == 0
    cache.add([1, 2, 3, 9, 9], *kv(5))  # continues [1, 2, 3]: that entry is no longer needed
    assert len(cache) == 2 and cache.nbytes == (4 + 5) * 64


def test_store_stays_within_its_bytes_and_drops_least_recently_used():
    cache = PrefixCache(max_bytes=10 * 64)
    cache.add([1, 1, 1, 1], *kv(4))
    cache.add([2, 2, 2, 2], *kv(4))
    cache.longest([1, 1])  # [1, ...] used last
    cache.add([3, 3, 3, 3], *kv(4))
    assert cache.longest([2, 2])[0] == 0 and cache.longest([1, 1])[0] == 2 and cache.nbytes <= 10 * 64
    cache.add(list(range(11)), *kv(11))  # larger than the whole store: not kept
    assert cache.longest(list(range(11)))[0] == 0 and cache.nbytes <= 10 * 64


def test_stored_entries_are_copies():
    cache = PrefixCache(max_bytes=10_000)
    keys, values = kv(2, 1.0)
    cache.add([1, 2], keys, values)
    keys[0].fill_(5.0)
    assert cache.longest([1, 2])[1].keys[0].max() == 1.0


def test_concurrent_lookups_and_additions_stay_consistent():
    cache = PrefixCache(max_bytes=50 * 64)

    def work(seed: int) -> None:
        for i in range(200):
            ids = [seed, *range(i % 7)]
            cache.add(ids, *kv(len(ids)))
            length, entry = cache.longest(ids)
            assert entry is None or common_prefix_length(torch.tensor(ids), entry.ids) == length

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(work, range(4)))
    assert cache.nbytes == sum(block.nbytes for block, _ in cache._blocks.values()) <= 50 * 64
    holders = Counter(key for _, keys in cache._entries.values() for key in keys)
    assert holders == {key: count for key, (_, count) in cache._blocks.items()}


def numbered_kv(tokens: int, layers: int = 2) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
    """KV whose every position holds distinct numbers (the same in every prompt, as the same opening's KV is), to
    check that blocks come back in their places."""
    grid = torch.arange(tokens, dtype=torch.float32)[None, :, None] * 10 + torch.arange(6.0).reshape(2, 1, 3)
    keys = [grid + 10**5 * layer for layer in range(layers)]
    return keys, [-k for k in keys]


def test_prompts_that_open_alike_hold_their_common_blocks_once():
    opening = list(range(1000, 1000 + 2 * BLOCK_TOKENS))  # two whole blocks
    first, second = [*opening, 1, 2, 3], [*opening, 4, 5]
    per_token = 2 * 2 * 2 * 3 * 4  # keys and values, two layers, two heads of three floats
    cache = PrefixCache(max_bytes=10**6)
    first_kv, second_kv = numbered_kv(len(first)), numbered_kv(len(second))
    cache.add(first, *first_kv)
    cache.add(second, *second_kv)
    assert len(cache) == 2 and cache.nbytes == (len(opening) + 3 + 2) * per_token
    for ids, (keys, values) in ((first, first_kv), (second, second_kv)):
        length, entry = cache.longest([*ids, 99])
        assert length == len(ids)
        for layer in range(2):
            torch.testing.assert_close(entry.keys[layer], keys[layer], rtol=0, atol=0)
            torch.testing.assert_close(entry.values[layer], values[layer], rtol=0, atol=0)


def test_a_dropped_prompt_leaves_the_blocks_another_still_holds():
    opening = list(range(1000, 1000 + BLOCK_TOKENS))
    per_token = 2 * 2 * 2 * 3 * 4
    cache = PrefixCache(
        max_bytes=(BLOCK_TOKENS + 8) * per_token
    )  # the opening and 8 more: two tails of 3, or one of 3 and one of 5
    cache.add([*opening, 1, 2, 3], *numbered_kv(BLOCK_TOKENS + 3))
    keys, values = numbered_kv(BLOCK_TOKENS + 3)
    cache.add([*opening, 4, 5, 6], keys, values)
    cache.longest([*opening, 4])  # the second prompt is used last
    cache.add([7] * 5, *numbered_kv(5))  # over the bound: the least recently used goes, not the shared block
    assert cache.longest([*opening, 1])[0] == BLOCK_TOKENS
    length, entry = cache.longest([*opening, 4, 5, 6])
    assert length == BLOCK_TOKENS + 3
    torch.testing.assert_close(entry.keys[1], keys[1], rtol=0, atol=0)
    assert cache.nbytes == (BLOCK_TOKENS + 3 + 5) * per_token


def test_stream_with_prefix_reuse_writes_the_same_tokens_and_prefills_only_what_is_new(perturbed):
    model, tokenizer, template = perturbed
    prompts = conversation(template, tokenizer)
    plain = HFGenerator(CountingLM(model), tokenizer, template, prefix_cache_mb=0, fast_forward=False)
    reusing = HFGenerator(CountingLM(model), tokenizer, template, fast_forward=False)
    expected = ["".join(plain.stream(prompt, MAX_NEW)) for prompt in prompts]
    assert ["".join(reusing.stream(prompt, MAX_NEW)) for prompt in prompts] == expected
    assert len(set(expected)) > 1
    lengths = [len(template.encode(tokenizer, prompt)[0]) for prompt in prompts]
    assert plain.model.prefilled == sum(lengths)
    # the second step prefills only its scratchpad; the next turn only what follows the shared opening
    assert reusing.model.prefilled < lengths[0] + (lengths[1] - lengths[0]) + 2 + lengths[2] // 4


def test_batches_share_their_prefix_and_decode_the_same_tokens(perturbed, monkeypatch):
    """A batch's common prefix is prefilled once, also when its rows are prefilled in chunks with gaps."""
    model, tokenizer, template = perturbed
    prompts = [
        template.wrap(template.render_instruction(TOOL_SPECS[:k], "", f"task {k}"), "", tokenizer) for k in (3, 1, 6, 2)
    ]
    plain = HFGenerator(CountingLM(model), tokenizer, template, batch_size=4, prefix_cache_mb=0, fast_forward=False)
    expected = plain.generate(prompts, MAX_NEW)
    assert len(set(expected)) > 1
    for prefill_tokens in (4096, 1):
        monkeypatch.setattr("generation.generator.PREFILL_TOKENS", prefill_tokens)
        sharing = HFGenerator(CountingLM(model), tokenizer, template, batch_size=4, fast_forward=False)
        assert sharing.generate(prompts, MAX_NEW) == expected
        assert sharing.model.prefilled < plain.model.prefilled * 0.8
        sharing.model.prefilled = 0
        assert sharing.generate(prompts, MAX_NEW) == expected  # the prefix now comes from the cache
        assert sharing.model.prefilled < plain.model.prefilled * 0.8


def test_key_value_memory_left_unzeroed_is_never_read(perturbed, monkeypatch):
    """Only the prompts' positions of the batch's key/value buffers start zeroed: with every other position
    holding NaN, chunked prefills with gaps and rows leaving the batch at different steps decode the same tokens."""
    from generation.kv_cache import BatchKV

    model, tokenizer, template = perturbed
    prompts = [
        template.wrap(template.render_instruction(TOOL_SPECS[:k], "", f"task {k}"), "", tokenizer)
        for k in (3, 1, 6, 2, 5, 4, 2, 1)
    ]
    # rows finish at different steps, so finished rows leave the batch (the buffers are copied) mid-decoding
    monkeypatch.setattr(HFGenerator, "_row_done", lambda self, tokens, most: len(tokens) >= most or tokens[-1] % 3 == 0)
    selections = []
    original_select = generation_kv_cache.PreallocatedLayer.batch_select_indices
    monkeypatch.setattr(
        generation_kv_cache.PreallocatedLayer,
        "batch_select_indices",
        lambda layer, indices: selections.append(len(indices)) or original_select(layer, indices),
    )
    plain = HFGenerator(model, tokenizer, template, batch_size=8, prefix_cache_mb=0, fast_forward=False)
    expected = plain.generate(prompts, MAX_NEW)
    assert selections and len({len(reply) for reply in expected}) > 2
    original_unset = BatchKV._unset
    monkeypatch.setattr(BatchKV, "_unset", lambda store, like: original_unset(store, like).fill_(float("nan")))
    monkeypatch.setattr("generation.generator.PREFILL_TOKENS", 1)  # a chunk a row: gaps between prefix and rows
    for cache_mb in (0, 64):
        poisoned_run = HFGenerator(
            model, tokenizer, template, batch_size=8, prefix_cache_mb=cache_mb, fast_forward=False
        )
        assert poisoned_run.generate(prompts, MAX_NEW) == expected


def test_prefix_groups_keep_prompts_that_open_alike_together():
    family_a, family_b = list(range(100, 160)), list(range(200, 260))  # 60-token openings
    rows = sorted([[*family_a, 1, 2], [*family_a, 3], [*family_a, 4, 5, 6], [*family_b, 7], [*family_b, 8, 9]])
    assert prefix_groups(rows) == [(0, 3), (3, 5)]
    assert prefix_groups(rows, sharing=False) == [(0, 5)]
    # openings shorter than MIN_SHARED_PREFIX are not worth a pass of their own: one group
    short = sorted(
        [[*family_a[: MIN_SHARED_PREFIX - 2], 1], [*family_a[: MIN_SHARED_PREFIX - 2], 2], [*family_b[:3], 3]]
    )
    assert prefix_groups(short) == [(0, 3)]
    assert prefix_groups([[1, 2, 3]]) == [(0, 1)]
    assert prefix_groups([]) == []


def test_batches_of_several_families_prefill_each_familys_opening_once(perturbed, monkeypatch):
    """Prompts with two different tool lists, two requests each: each tool list is prefilled once, and the replies
    are those of prefilling every prompt whole, with the rows in any order and chunked down to one row a pass."""
    model, tokenizer, template = perturbed
    prompts = [
        template.wrap(template.render_instruction(tools, "", request), "", tokenizer)
        for request in ("edges please", "now rotate the picture")
        for tools in (TOOL_SPECS[:6], TOOL_SPECS[6:12])
    ]
    plain = HFGenerator(CountingLM(model), tokenizer, template, batch_size=4, prefix_cache_mb=0, fast_forward=False)
    expected = plain.generate(prompts, MAX_NEW)
    ids = [torch.as_tensor(template.encode(tokenizer, prompt)[0]) for prompt in prompts]
    common = min(common_prefix_length(ids[0], row) for row in ids[1:])
    families = [common_prefix_length(ids[0], ids[2]), common_prefix_length(ids[1], ids[3])]
    assert min(families) > common + 100
    whole_batch_prefix_only = common + sum(len(row) - common for row in ids)
    for prefill_tokens in (4096, 1):
        monkeypatch.setattr("generation.generator.PREFILL_TOKENS", prefill_tokens)
        grouping = HFGenerator(CountingLM(model), tokenizer, template, batch_size=4, fast_forward=False)
        assert grouping.generate(prompts, MAX_NEW) == expected
        assert grouping.model.prefilled <= sum(families) + sum(len(row) for row in ids) - 2 * sum(families) + 8
        assert grouping.model.prefilled < whole_batch_prefix_only - 150


def test_sessions_streamed_on_interleaved_threads_get_their_own_replies(perturbed):
    model, tokenizer, template = perturbed
    prompts = conversation(template, tokenizer)
    expected = [list(HFGenerator(model, tokenizer, template, prefix_cache_mb=0).stream(p, MAX_NEW)) for p in prompts]
    shared = HFGenerator(model, tokenizer, template)
    streams = [shared.stream(prompt, MAX_NEW) for prompt in prompts]
    pieces: list[list[str]] = [[] for _ in prompts]
    lock = threading.Lock()

    def advance(index: int) -> bool:
        piece = next(streams[index], None)
        if piece is not None:
            with lock:
                pieces[index].append(piece)
        return piece is not None

    with ThreadPoolExecutor(3) as pool:
        live = set(range(len(prompts)))
        while live:  # one step of every live stream at a time, each on whichever thread is free
            done = [
                index for index, more in zip(sorted(live), pool.map(advance, sorted(live)), strict=True) if not more
            ]
            live -= set(done)
    assert pieces == expected


def test_a_warmed_up_agent_prefills_little_more_than_the_first_turns_own_words(perturbed, tmp_path):
    from types import SimpleNamespace

    from agent.loop import Agent, ChatSession
    from tools.workspace import Workspace

    model, tokenizer, template = perturbed
    counting = CountingLM(model)
    generator = HFGenerator(counting, tokenizer, template, fast_forward=False)
    agent = Agent(generator, SimpleNamespace(available=TOOL_SPECS[:4]), template, tokenizer, context_length=2048)
    opening = agent.warm_up()
    assert counting.prefilled == opening
    counting.prefilled = 0
    request = "make an edge map of the photo"
    prompt = agent._prompt(ChatSession(Workspace(tmp_path)), list(TOOL_SPECS[:4]), request, "")
    list(generator.stream(prompt, MAX_NEW))
    assert 0 < counting.prefilled <= agent.count_tokens(request) + 16  # the request and the turn's closing lines
    assert counting.prefilled < opening / 10
