"""Why the demo collapsed under load: OpenMP wait policy and thread count, idle and beside a competing process.

    .venv/bin/python benchmarks/bench_threads.py [--reps 3] [--new_tokens 24]

One demo step as ``HFGenerator.stream`` runs it (embedded SmolLM2 + the shipped adapter, a ~500-token tool prompt
prefilled whole, then greedy decoding) in a process of its own per configuration, since OpenMP reads its wait
policy once, when torch loads:

* ``spin, 2 threads``: OpenMP's and torch's defaults (``GPT4TOOLS_THREADS=torch``), as every entry point but
  the trainer ran before;
* ``passive, 2 threads`` / ``passive, 1 thread``: ``OMP_WAIT_POLICY=PASSIVE`` with a fixed count;
* ``passive, auto``: the shipped default (``modeling/threads.py``): each pass gets the cores other processes
  left free at normal priority since the previous pass.

Each repetition runs the step idle and then with a competing two-thread matmul loop (``competing_load.py``)
resumed. Printed per configuration and phase: the prefill (time to the first token) and the decoding time per
token (medians and ranges), the CPU time the process burnt per wall second (spinning threads burn CPU time
while they wait), and the threads the prefill and the decoding passes got on average (``-`` for torch's
defaults, which the policy leaves alone). At the end it prints how many cores work at normal priority (this
benchmark's included) and niced work kept busy on average over the run.
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
sys.path.insert(0, str(ROOT))
from modeling.threads import NORMAL_BUSY_COLUMNS, cpu_seconds  # noqa: E402  (torch loads only in the children)

CONFIGURATIONS = {
    "spin, 2 threads": {"GPT4TOOLS_THREADS": "torch"},
    "passive, 2 threads": {"GPT4TOOLS_THREADS": "2"},
    "passive, 1 thread": {"GPT4TOOLS_THREADS": "1"},
    "passive, auto": {"GPT4TOOLS_THREADS": "auto"},
}


def child(reps: int, new_tokens: int, competitor_pid: int) -> None:
    """Runs in the measured process: prints one JSON line of timings per phase and repetition."""
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
    counts: list[int] = []
    choose = generator.threads.threads
    generator.threads.threads = lambda: counts.append(choose()) or counts[-1]  # record each pass's count
    for _ in range(reps):
        for phase in ("idle", "loaded"):
            os.kill(competitor_pid, signal.SIGCONT if phase == "loaded" else signal.SIGSTOP)
            time.sleep(1)
            start, cpu = time.perf_counter(), time.process_time()
            first, tokens = None, 0
            counts.clear()
            for _ in generator._decode([ids], new_tokens, [space]):  # the demo's step, token by token
                tokens += 1
                first = first if first is not None else time.perf_counter() - start
            wall = time.perf_counter() - start
            record = {
                "phase": phase,
                "prefill_s": first,
                "decode_ms": (wall - first) / max(1, tokens - 1) * 1000,
                "cpu_per_wall": (time.process_time() - cpu) / wall,
                # the threads of the prefill and, on average, of the decoding passes; None: torch's defaults
                "threads": [counts[0], statistics.mean(counts[1:] or counts)] if counts else None,
            }
            print(json.dumps(record), flush=True)
    os.kill(competitor_pid, signal.SIGSTOP)


def cpu_spent() -> dict[str, float]:
    """``/proc/stat``'s CPU seconds since boot per column; empty where it is missing."""
    try:
        return cpu_seconds(Path("/proc/stat").read_text())
    except OSError:
        return {}


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
    started, spent_before = time.monotonic(), cpu_spent()
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
    if spent_before:
        wall, spent_after = time.monotonic() - started, cpu_spent()
        cores = {column: (spent_after[column] - spent_before[column]) / wall for column in spent_before}
        normal = sum(cores[column] for column in NORMAL_BUSY_COLUMNS)
        print(f"cores busy on average over the run: {normal:.2f} at normal priority, {cores['nice']:.2f} niced")
    print(
        f"{'configuration':20} {'phase':7} {'prefill (first token)':>26} {'decoding':>27} {'CPU s per s':>12} "
        f"{'threads prefill/decode':>23}"
    )
    for name, records in results.items():
        for phase in ("idle", "loaded"):
            rows = [r for r in records if r["phase"] == phase]
            cpu = statistics.median(r["cpu_per_wall"] for r in rows)
            used = [r["threads"] for r in rows if r["threads"] is not None]
            threads = "/".join(f"{statistics.mean(u[i] for u in used):.1f}" for i in range(2)) if used else "-"
            print(
                f"{name:20} {phase:7} {summary([r['prefill_s'] for r in rows], 's'):>26} "
                f"{summary([r['decode_ms'] for r in rows], 'ms/token'):>27} {cpu:>12.2f} {threads:>23}"
            )


if __name__ == "__main__":
    main()
