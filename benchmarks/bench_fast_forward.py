"""Fast-forward on the demo: a step's model passes and time with forced text fed in one pass, and a pass a token.

    .venv/bin/python benchmarks/bench_fast_forward.py [--requests 5] [--reps 1] [--pass_cost]

First the demo's prompts are recorded: the embedded SmolLM2 with the shipped adapter and the offline tools
(``ui.launch.build_agent``, as ``gpt4tools.py`` builds them) answers one-tool requests on the astronaut photo
(``skimage.data.astronaut``), each turn a tool-call step and, after the tool ran, an answer step. Then each
repetition decodes every recorded prompt, in the demo's order, with two generators over the same model, alternating:

* ``on``: fast-forward (the default): text the constraints force goes through the model in one pass;
* ``off``: ``HFGenerator(fast_forward=False)``: every token is a pass of its own (the reference).

Each generator has its own prompt-prefix cache, so each prefills what the demo would (a turn's second step only what
its first added). Printed per step kind: medians of the model's passes (prefill included), the tokens written and
the wall seconds, and how many replies were the same text with and without; then a turn's two steps together. With
``--pass_cost``: the time of one pass of k tokens (with PyTorch's own matmul choices beside it) against k passes of one
token (k = 1..16) after a demo prompt, and of a one-token pass with transformers' SDPA attention, the packed decoding
heads (``modeling/attention.py``) and those with ``modeling/cpu_matmul.py``'s choices: the demo's configuration.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from bench_demo_latency import REQUESTS  # noqa: E402

from modeling.threads import configure_process  # noqa: E402

MAX_CHUNK = 16


@dataclass
class Steps:
    """What one configuration measured on the steps of one kind."""

    passes: list[int] = field(default_factory=list)
    tokens: list[int] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)


def record_prompts(agent, requests: int) -> list[str]:
    """The prompts of the demo's model steps for ``requests`` one-tool turns on the astronaut photo."""
    from PIL import Image
    from skimage import data

    from agent.loop import ChatSession
    from tools.workspace import Workspace

    prompts: list[str] = []
    stream = agent.llm.stream

    def recording(prompt: str, max_new_tokens: int = 128):
        prompts.append(prompt)
        yield from stream(prompt, max_new_tokens)

    agent.llm.stream = recording
    with tempfile.TemporaryDirectory(prefix="bench-fast-forward-") as folder:
        session = ChatSession(Workspace(Path(folder) / "session"))
        agent.introduce_image(session, Image.fromarray(data.astronaut()))
        for index in range(requests):
            reply = agent.chat(session, REQUESTS[index % len(REQUESTS)])
            print(f"recorded turn {index + 1}: {len(reply.steps)} tool step(s)", file=sys.stderr, flush=True)
    agent.llm.stream = stream
    return prompts


class PassCounter:
    """Counts the model's forward passes (a forward pre-hook)."""

    def __init__(self, model) -> None:
        self.passes = 0
        model.register_forward_pre_hook(self._count)

    def _count(self, module, args) -> None:
        self.passes += 1


def decode(agent, generator, prompt: str, max_new_tokens: int, counter: PassCounter) -> tuple[str, int, int, float]:
    """``(text, passes, tokens, seconds)`` of one demo step, read until the agent would stop reading it."""
    from protocol.prompt import token_ids
    from protocol.steps import OBSERVATION

    counter.passes = 0
    text = ""
    start = time.perf_counter()
    with closing(generator.stream(prompt, max_new_tokens)) as pieces:
        for piece in pieces:
            text += piece
            if OBSERVATION in text or agent._answered(text):
                break
    seconds = time.perf_counter() - start
    return text, counter.passes, len(token_ids(generator.tokenizer, text)), seconds


def pass_cost(generator, prompt: str) -> None:
    """One pass of k tokens against k passes of one, on the KV cache of a demo prompt (k = 1..MAX_CHUNK)."""
    import torch

    from modeling.cpu_matmul import default_cpu_matmuls, tune_cpu_matmuls

    ids = generator.template.encode(generator.tokenizer, prompt)[0]
    with generator._computing():
        cache, _, _ = generator._prefill([ids], len(ids) + 2 * MAX_CHUNK)

    def run(tokens: list[int]) -> None:
        length = cache.get_seq_length()
        generator.model(
            input_ids=torch.tensor([tokens]),
            attention_mask=torch.ones(1, length + len(tokens), dtype=torch.long),
            position_ids=torch.arange(length, length + len(tokens)).unsqueeze(0),
            use_cache=True,
            logits_to_keep=1,
            **{generator._cache_keyword: cache},
        )

    def timed(chunks: list[list[int]]) -> float:
        for layer in cache.layers:  # back to the prompt alone
            layer.length = len(ids)
            layer._refresh_views()
        with generator._computing():
            start = time.perf_counter()
            for chunk in chunks:
                run(chunk)
            return time.perf_counter() - start

    model, packed = generator.model, generator.model.config._attn_implementation

    def with_matmuls(tuned: bool, chunks: list[list[int]]) -> float:
        (tune_cpu_matmuls if tuned else default_cpu_matmuls)(model)
        return statistics.median(timed(chunks) for _ in range(3)) * 1000

    sample = ids[-MAX_CHUNK:]
    print(f"\none pass of k tokens against k passes of one, after a {len(ids)}-token demo prompt (median of 3 ms)")
    print(f"{'k':>3} {'one pass':>9} {'PyTorch matmuls':>16} {'k passes':>9} {'ratio':>6}")
    for k in range(1, MAX_CHUNK + 1):
        untuned = with_matmuls(False, [sample[:k]])
        chunk = with_matmuls(True, [sample[:k]])
        single = with_matmuls(True, [[t] for t in sample[:k]])
        print(f"{k:>3} {chunk:>9.1f} {untuned:>16.1f} {single:>9.1f} {chunk / single:>6.2f}")
    configurations = {  # label: (attention implementation, modeling/cpu_matmul.py's choices)
        "transformers' SDPA, oneDNN": ("sdpa", False),
        "packed heads, oneDNN": (packed, False),
        "packed heads, ATen gemv": (packed, True),
    }
    per_pass: dict[str, list[float]] = {label: [] for label in configurations}
    for _ in range(2):  # alternating, so drift weighs on all
        for label, (implementation, tuned) in configurations.items():
            model.set_attn_implementation(implementation)
            per_pass[label].append(with_matmuls(tuned, [[t] for t in sample]) / len(sample))
    print("one-token pass by attention (modeling/attention.py) and matmul kernel (modeling/cpu_matmul.py), median ms:")
    for label, milliseconds in per_pass.items():
        print(f"  {label:28} {statistics.median(milliseconds):6.1f}")
    tune_cpu_matmuls(model)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=5, help="one-tool turns recorded (two model steps each)")
    parser.add_argument("--reps", type=int, default=1, help="times every recorded step is decoded per configuration")
    parser.add_argument("--pass_cost", action="store_true", help="also time one k-token pass against k passes")
    args = parser.parse_args()
    configure_process()
    from generation.generator import HFGenerator
    from ui.launch import build_agent

    agent = build_agent()
    prompts = record_prompts(agent, args.requests)
    model, tokenizer, template = agent.llm.model, agent.llm.tokenizer, agent.template
    counter = PassCounter(model)
    steps = {(kind, name): Steps() for kind in ("tool call", "answer") for name in ("off", "on")}
    same = {"tool call": 0, "answer": 0}
    turns = {"off": [], "on": []}
    for _ in range(args.reps):
        generators = {
            name: HFGenerator(model, tokenizer, template, fast_forward=name == "on") for name in ("off", "on")
        }
        for generator in generators.values():  # warm-up: the prompts' shared opening enters each prefix cache
            decode(agent, generator, prompts[0], 1, counter)
        turn = dict.fromkeys(generators, 0.0)
        for prompt in prompts:
            texts = {}
            for name, generator in generators.items():
                texts[name], passes, tokens, seconds = decode(agent, generator, prompt, agent.max_new_tokens, counter)
                kind = "tool call" if "\nAction:" in texts[name] else "answer"
                measured = steps[kind, name]
                measured.passes.append(passes)
                measured.tokens.append(tokens)
                measured.seconds.append(seconds)
                turn[name] += seconds
                if kind == "answer":  # a turn ends with its answer
                    turns[name].append(turn[name])
                    turn[name] = 0.0
            same[kind] += texts["off"] == texts["on"]
    report(steps, same, turns, args)
    if args.pass_cost:
        pass_cost(HFGenerator(model, tokenizer, template, prefix_cache_mb=0), prompts[-1])


def report(steps: dict[tuple[str, str], Steps], same: dict[str, int], turns: dict[str, list[float]], args) -> None:
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(
        f"{len(os.sched_getaffinity(0))} cores; load average at the end {load}; {args.requests} turns, {args.reps} rep(s)"
    )
    print(f"{'step':10} {'fast-forward':>12} {'steps':>6} {'passes':>7} {'tokens':>7} {'seconds':>8} {'same text':>10}")
    for (kind, name), measured in steps.items():
        if not measured.passes:
            continue
        print(
            f"{kind:10} {name:>12} {len(measured.passes):>6} {statistics.median(measured.passes):>7.0f} "
            f"{statistics.median(measured.tokens):>7.0f} {statistics.median(measured.seconds):>8.2f} "
            f"{same[kind] if name == 'on' else '':>10}"
        )
    for kind in same:
        off, on = steps[kind, "off"].seconds, steps[kind, "on"].seconds
        if off and on:
            print(f"{kind}: on / off median seconds {statistics.median(on) / statistics.median(off):.2f}")
    if turns["off"] and turns["on"]:
        off, on = statistics.median(turns["off"]), statistics.median(turns["on"])
        print(f"a turn's model steps (tool call + answer), median: off {off:.2f} s, on {on:.2f} s ({on / off:.2f})")


if __name__ == "__main__":
    main()
