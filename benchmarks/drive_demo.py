"""A scripted run of the real demo: turns with idle gaps from two sessions at once, counting crashes.

    .venv/bin/python benchmarks/drive_demo.py [--turns 100] [--sessions 2] [--max_gap 6] [--tiny]

Starts ``python gpt4tools.py`` (the embedded SmolLM2 with the shipped adapter and the offline tools, or with
``--tiny`` a tiny random model for a quick run), uploads scikit-image photos and sends requests through
gradio_client from ``--sessions`` sessions at once, with random idle gaps and every fifth action after 15 s
of idleness (the issue's "upload, wait 15 s, ask" crashed 5 times in 5). Every sixth turn is one of the
cases the issue found broken: a refused path (/etc/passwd), "rotate it" with no image, an over-long message,
Stop 1.5 s into a turn, New session 2.5 s into a turn, and New session in the other session. Prints each
kind's count, crashes, broken guarantees and timings, then stops the server with SIGTERM and checks its
session folders are gone. Exit status 1 when anything crashed or broke.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from demo_driver import (
    Script,
    add_server_options,
    answer_kinds,
    photo_files,
    run_script,
    start_demo,
    summary,
    turn_line,
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--turns", type=int, default=100)
    parser.add_argument("--sessions", type=int, default=2)
    parser.add_argument("--max_gap", type=float, default=6.0, help="idle seconds between actions, up to")
    parser.add_argument("--long_gap_every", type=int, default=5, help="every Nth action waits 15 s first")
    parser.add_argument("--odd_every", type=int, default=6, help="every Nth turn is one of the odd cases")
    add_server_options(parser)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="drive-demo-") as scratch:
        folder = Path(scratch)
        photos = photo_files(folder)
        server = start_demo(folder, args)
        script = Script(args.turns, args.sessions, args.max_gap, args.long_gap_every, args.odd_every, args.seed)
        started = time.monotonic()
        try:
            run_script(
                server, script, photos, on_turn=lambda count, record: print(turn_line(count, record), flush=True)
            )
            rss, peak = server.memory_mb()
            tracebacks = server.tracebacks()
            folders_before = len(server.session_folders())
        finally:
            status = server.stop()
        elapsed = time.monotonic() - started
        left = server.session_folders()
        turns = [record for record in script.records if record.kind != "upload"]
        print(summary(script.records))
        print(f"ordinary turns ended with: {answer_kinds(script.records)}")
        crashes = sum(bool(record.crash) for record in script.records)
        broken = sum(bool(record.violation) for record in script.records)
        print(f"{len(turns)} turns ({len(script.records) - len(turns)} uploads) in {elapsed / 60:.1f} min, "
              f"{args.sessions} sessions at once: {crashes} crashes, {broken} broken guarantees, "
              f"{tracebacks} tracebacks in the server log")  # fmt: skip
        print(f"server memory: {rss:.0f} MB now, {peak:.0f} MB peak; session folders: {folders_before} while "
              f"running, {len(left)} after SIGTERM (exit status {status})")  # fmt: skip
        if tracebacks:
            print(server.log_tail(60))
        return 1 if crashes or broken or tracebacks or left else 0


if __name__ == "__main__":
    sys.exit(main())
