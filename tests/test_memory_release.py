"""Freed memory goes back to the system after each agent turn (modeling/memory.py)."""

import ctypes.util
import os
import sys

import pytest

from agent.loop import ChatSession
from modeling import memory
from tests.session_fakes import answer
from tests.test_agent_loop import make_agent
from tools.workspace import Workspace


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc_trim")
def test_free_heap_pages_are_returned_on_glibc():
    assert memory.release_free_memory() is True


def test_without_malloc_trim_nothing_happens(monkeypatch):
    memory._malloc_trim.cache_clear()
    monkeypatch.setattr(ctypes.util, "find_library", lambda name: None)
    try:
        assert memory.release_free_memory() is False
    finally:
        memory._malloc_trim.cache_clear()


def test_every_turn_ends_by_releasing_memory_even_when_stopped_early(tiny_tokenizer, tmp_path, monkeypatch):
    session = ChatSession(Workspace(tmp_path))
    released = []
    monkeypatch.setattr("agent.loop.release_free_memory", lambda: released.append(1))
    agent, _, _ = make_agent(tiny_tokenizer, [answer("Hello!"), answer("Hi again!")])
    assert agent.chat(session, "how are you?").text == "Hello!" and released == [1]
    events = agent.run(session, "how is it going?")
    next(events)  # a consumer that goes away mid-turn (Stop, a closed tab)
    events.close()
    assert released == [1, 1]


def test_a_server_keeps_few_compiled_kernels_unless_told_otherwise(monkeypatch):
    monkeypatch.delenv(memory.KERNEL_CACHE_VARIABLE, raising=False)
    memory.bound_kernel_cache()
    assert os.environ[memory.KERNEL_CACHE_VARIABLE] == str(memory.SERVER_KERNEL_CACHE)
    monkeypatch.setenv(memory.KERNEL_CACHE_VARIABLE, "512")
    memory.bound_kernel_cache()
    assert os.environ[memory.KERNEL_CACHE_VARIABLE] == "512"
