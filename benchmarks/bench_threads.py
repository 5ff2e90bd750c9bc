"""Why the demo collapsed under load: OpenMP wait policy and thread count, idle and beside a competing process.

    .venv/bin/python benchmarks/bench_threads.py [--reps 3] [--new_tokens 24]

One demo step as ``HFGenerator.stream`` runs it (embedded SmolLM2 + the shipped adapter, a ~500-token tool prompt
prefilled whole, then greedy decoding) in a process of its own per configuration, since OpenMP reads its wait
policy once, when torch loads:

* ``spin, 2 threads``: OpenMP's and torch's defaults (``GPT4TOOLS_THREADS=torch``), as every entry point but
  the trainer ran before;
* ``passive, 2 threads`` / ``passive, 1 thread``: ``OMP_WAIT_POLICY=PASSIVE`` with a fixed count;
* ``passive, auto``: the shipped default (``modeling/threads.py``): each pass gets the cores other processes
  leave free.

Each repetition runs the step idle and then with a competing two-thread matmul loop (``competing_load.py``)
resumed. Printed per configuration and phase: the prefill (time to the first token) and the decoding time per
token (medians and ranges), and the CPU time the process burnt per wall second (spinning threads burn CPU time
while they wait).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

from competing_load import Competitor

ROOT = Path(__file__).resolve().parent.parent
CONFIGURATIONS = {
    "spin, 2 threads": {"GPT4TOOLS_THREADS": "torch"},
    "passive, 2 threads": {"GPT4TOOLS_THREADS": "2"},
    "passive, 1 thread": {"GPT4TOOLS_THREADS": "1"},
    "passive, auto": {"GPT4TOOLS_THREADS": "auto"},
}


def child(reps: int, new_tokens: int, competitor_pid: int) -> None:
    """Runs in the measured process: prints one JSON line of timings per phase and repetition."""
    sys.path.insert(0, str(ROOT))
    from modeling.threads import configure_process

    configure_process()
    from generation.generator import HFGenerator
    from generation.tool_calls import call_space
    from modeling.loading import EMBEDDED_MODEL, load_for_inference
    from tools.catalog import TOOL_SPECS

    model, tokenizer, template = load_for_inference(EMBEDDED_MODEL, str(ROOT / "adapters" / "smollm2-gpt4tools"))
    generator = HFGenerator(model, tokenizer, template, prefix_cache_mb=0, fast_forward=False)  # a pass a token
    history = template.introduce_image("image/5c2d1a7e.png", "an astronaut in a white suit in front of a flag")
    prompt = template.wrap(
        template.render_instruction(TOOL_SPECS, history, "Show me the edges of the image"), "", tokenizer
    )
    ids, space = template.encode(tokenizer, prompt)[0], call_space(prompt, generator.prompt_formats)
    list(generator.stream(prompt, 2))  # warm-up
    for _ in range(reps):
        for phase in ("idle", "loaded"):
            os.kill(competitor_pid, signal.SIGCONT if phase == "loaded" else signal.SIGSTOP)
            time.sleep(1)
            start, cpu = time.perf_counter(), time.process_time()
            first, tokens = None, 0
            for _ in generator._decode([ids], new_tokens, [space]):  # the demo's step, token by token
                tokens += 1
                first = first if first is not None else time.perf_counter() - start
            wall = time.perf_counter() - start
            record = {
                "phase": phase,
                "prefill_s": first,
                "decode_ms": (wall - first) / max(1, tokens - 1) * 1000,
                "cpu_per_wall": (time.process_time() - cpu) / wall,
            }
            print(json.dumps(record), flush=True)
    os.kill(competitor_pid, signal.SIGSTOP)


def summary(values: list[float], unit: str, scale: float = 1.0) -> str:
    scaled = sorted(v * scale for v in values)
    return f"{statistics.median(scaled):7.2f} ({scaled[0]:.2f}-{scaled[-1]:.2f}) {unit}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--new_tokens", type=int, default=24, help="most tokens decoded per step")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)  # the competitor's pid, in a measured process
    args = parser.parse_args()
    if args.child:
        child(args.reps, args.new_tokens, args.child)
        return
    competitor = Competitor()
    results: dict[str, list[dict]] = {}
    try:
        for name, env in CONFIGURATIONS.items():
            clean = {k: v for k, v in os.environ.items() if k not in ("OMP_WAIT_POLICY", "OMP_NUM_THREADS")}
            command = [sys.executable, __file__, "--reps", str(args.reps), "--new_tokens", str(args.new_tokens)]
            done = subprocess.run(
                [*command, "--child", str(competitor.pid)],
                env={**clean, "HF_HUB_OFFLINE": "1", **env},
                capture_output=True,
                text=True,
                check=True,
            )
            results[name] = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
            print(f"{name}: done", file=sys.stderr, flush=True)
    finally:
        competitor.close()
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(f"{len(os.sched_getaffinity(0))} cores; load average at the end {load}; {args.reps} repetitions")
    print(f"{'configuration':20} {'phase':7} {'prefill (first token)':>26} {'decoding':>27} {'CPU s per s':>12}")
    for name, records in results.items():
        for phase in ("idle", "loaded"):
            rows = [r for r in records if r["phase"] == phase]
            cpu = statistics.median(r["cpu_per_wall"] for r in rows)
            print(
                f"{name:20} {phase:7} {summary([r['prefill_s'] for r in rows], 's'):>26} "
                f"{summary([r['decode_ms'] for r in rows], 'ms/token'):>27} {cpu:>12.2f}"
            )


if __name__ == "__main__":
    main()
