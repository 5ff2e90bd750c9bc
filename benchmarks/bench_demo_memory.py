"""The demo server's memory over many turns: resident memory after warming up, after N turns, and the peak.

    .venv/bin/python benchmarks/bench_demo_memory.py [--turns 200] [--sessions 2] [--tiny]

Starts ``python gpt4tools.py`` (the embedded SmolLM2 with the shipped adapter and the real offline tools;
``--tiny``: a tiny random model, a quick run) and drives ordinary turns (an upload of a scikit-image photo,
then requests for edges, a pose, a sketch...) through gradio_client, without idle gaps, from ``--sessions``
sessions at once, each starting a New session every ``--reset_every`` turns (as people do; closed sessions
must give their memory back). The reference is the same server after its first ``--warmup`` turns (the
model's and the tools' weights are loaded by then): printed side by side with the memory after all turns,
the growth per turn, and the peak (VmHWM).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from pathlib import Path

from demo_driver import Script, TurnRecord, add_server_options, photo_files, run_script, start_demo, summary, turn_line


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--turns", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--sessions", type=int, default=2)
    parser.add_argument("--reset_every", type=int, default=25)
    add_server_options(parser)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-demo-memory-") as scratch:
        folder = Path(scratch)
        photos = photo_files(folder)
        server = start_demo(folder, args)
        idle_rss, _ = server.memory_mb()
        samples: list[tuple[int, float]] = []
        lock = threading.Lock()

        def sample(count: int, record: TurnRecord, keep: bool = True) -> None:
            rss = server.memory_mb()[0]
            if keep:
                with lock:
                    samples.append((count, rss))
            print(f"{turn_line(count, record)}  RSS {rss:.0f} MB{'' if keep else ' (warm-up)'}", flush=True)

        try:
            warm = Script(args.warmup, args.sessions, odd_every=0, seed=1)
            run_script(server, warm, photos, on_turn=lambda count, record: sample(count, record, keep=False))
            warm_rss = server.memory_mb()[0]
            started = time.monotonic()
            script = Script(args.turns, args.sessions, odd_every=args.reset_every, seed=2)
            run_script(server, script, photos, on_turn=sample, odd_kinds=("fresh",))
            elapsed = time.monotonic() - started
            end_rss, peak = server.memory_mb()
        finally:
            server.stop()
        print(summary(warm.records + script.records))
        growth = (end_rss - warm_rss) / max(args.turns, 1)
        print(f"{'server RSS':<34} {'MB':>8}")
        print(f"{'idle, model loaded':<34} {idle_rss:>8.0f}")
        print(f"{f'after {args.warmup} warm-up turns (reference)':<34} {warm_rss:>8.0f}")
        print(f"{f'after {args.turns} more turns':<34} {end_rss:>8.0f}")
        print(f"{'peak (VmHWM)':<34} {peak:>8.0f}")
        print(f"growth: {end_rss - warm_rss:+.0f} MB over {args.turns} turns ({growth * 1024:+.0f} KB per turn); "
              f"{args.turns} turns took {elapsed / 60:.1f} min")  # fmt: skip
        quarter = max(1, len(samples) // 4)
        print("RSS along the run (turn: MB): " + ", ".join(f"{t}: {mb:.0f}" for t, mb in samples[::quarter]))
        crashes = sum(bool(record.crash) for record in warm.records + script.records)
        return 1 if crashes else 0


if __name__ == "__main__":
    sys.exit(main())
