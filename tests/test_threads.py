"""The real generator and agent resumed on a different thread at every step, as Gradio's worker pool does.

Gradio runs each ``next()`` of a streaming handler on whichever worker thread is free, while torch's
grad and inference modes are per thread: a mode entered around a ``yield`` does not follow the generator
to the next thread.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import torch

from agent.loop import Agent, ChatSession, Reply, TextChunk
from generation.generator import HFGenerator
from modeling.loading import load_for_inference
from tests.agent_fakes import FakeRuntime
from tools.catalog import TOOL_SPECS
from tools.workspace import Workspace

MAX_NEW = 24


@pytest.fixture(scope="module")
def generator(tiny_model_dir) -> HFGenerator:
    model, tokenizer, template = load_for_inference(str(tiny_model_dir), dtype="fp32")
    return HFGenerator(model, tokenizer, template)


def drain_across_threads(events: Iterator[Any]) -> list[Any]:
    """Advance ``events`` one item at a time, alternating between two worker threads."""
    workers = [ThreadPoolExecutor(1, thread_name_prefix=f"worker{i}") for i in range(2)]
    done = object()
    items: list[Any] = []
    try:
        for step in range(10_000):
            item = workers[step % 2].submit(next, events, done).result()
            if item is done:
                return items
            items.append(item)
    finally:
        for worker in workers:
            worker.shutdown()
    raise AssertionError("the generator never ended")


def test_stream_survives_being_resumed_on_other_threads(generator):
    template = generator.template
    prompt = template.wrap(template.render_instruction(TOOL_SPECS[:3], "", "describe it"), "", generator.tokenizer)
    expected = "".join(generator.stream(prompt, MAX_NEW))
    pieces = drain_across_threads(generator.stream(prompt, MAX_NEW))
    assert len(pieces) > 1 and "".join(pieces) == expected  # several resumptions, same greedy text
    assert not torch.is_inference_mode_enabled() and torch.is_grad_enabled()  # nothing leaked into this thread


def test_agent_turn_survives_being_resumed_on_other_threads(generator, tmp_path):
    agent = Agent(generator, FakeRuntime(), generator.template, generator.tokenizer, context_length=4096, max_steps=2,
                  max_new_tokens=MAX_NEW)  # fmt: skip
    events = drain_across_threads(agent.run(ChatSession(Workspace(tmp_path / "ws")), "show me the edges"))
    assert isinstance(events[-1], Reply)
    assert sum(isinstance(event, TextChunk) for event in events) > 1
