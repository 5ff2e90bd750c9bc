"""Demo latency as a browser meets it: gpt4tools.py launched with the embedded model, driven over HTTP, idle and loaded.

    .venv/bin/python benchmarks/bench_demo_latency.py [--turns 50] [--before_turns 10] [--session_turns 5]

Each configuration is a real ``gpt4tools.py`` server (embedded SmolLM2 + the shipped adapter, the offline tool
families) on a free local port, driven through ``gradio_client`` as the web page does (files come as URLs and each
image is fetched once, when it first shows: ``demo_driver.browser_client``): a session uploads
the astronaut photo (``skimage.data.astronaut``), then asks for one tool at a time (edges, rotation, lines, pose,
background removal) for ``--session_turns`` turns. Per turn it times, from the moment the request is sent, the
first streamed model text and the whole turn (model, tool, answer). A competing process that the benchmark starts,
a two-thread torch matmul loop that keeps both cores busy (``competing_load.py``), runs during the loaded sessions and is stopped
(``SIGSTOP``) during the idle ones.

* ``ours``: the demo as shipped (a short OpenMP spin before sleeping, threads adapted to the load, prefix KV reuse).
* ``before``: the same demo with those switched off (``GPT4TOOLS_THREADS=torch``, ``--prefix_cache_mb 0``).
* ``passive`` (on request): ours with OpenMP's idle threads sleeping at once (``OMP_WAIT_POLICY=PASSIVE``), the
  chat's previous waits (``modeling/threads.py``).

All servers run side by side and the sessions alternate (ours idle, ours loaded, before idle, before loaded, then
again), so a machine whose load drifts (other users) weighs on every configuration and phase alike. Printed per
configuration and phase: median and p90 of the first token and of the turn over one-tool turns (those whose trace
holds exactly one tool call), the turn's median per request, the share of one-tool turns, and the server's resident
memory after its warm-up turn, at the end, and its peak, and every ``RSS_EVERY_TURNS`` turns (``--turns 200
--configurations ours --phases idle``: is memory steady over a long session?). Each server's first turn is a warm-up and not counted.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from competing_load import Competitor
from demo_driver import ImageFetcher, browser_client

ROOT = Path(__file__).resolve().parent.parent
REQUESTS = (  # one offline tool each
    "Show me the edges of the image",
    "Rotate the image by 90 degrees",
    "Detect the straight lines in the image",
    "Show me the pose of the person in the image",
    "Remove the background of the image",
)
SERVER_START_S = 900
RSS_EVERY_TURNS = 50  # the report shows the server's memory about this often
CONFIGURATIONS = {
    "ours": ({}, []),
    "before": ({"GPT4TOOLS_THREADS": "torch"}, ["--prefix_cache_mb", "0"]),
    "passive": ({"OMP_WAIT_POLICY": "PASSIVE"}, []),
}


@dataclass
class Phase:
    """What one configuration measured idle or under load."""

    first_token: list[float] = field(default_factory=list)
    turn: list[float] = field(default_factory=list)
    by_request: dict[str, list[float]] = field(default_factory=dict)  # one-tool turn seconds per request
    one_tool: int = 0
    turns: int = 0
    rss_mb: float = 0.0
    peak_rss_mb: float = 0.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def memory_mb(pid: int) -> tuple[float, float]:
    """Resident and peak resident memory of ``pid`` in MB (``VmRSS``, ``VmHWM``)."""
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def start_server(name: str, log_dir: Path) -> tuple[subprocess.Popen, str]:
    """Launch ``gpt4tools.py`` with configuration ``name``; returns the process and its URL once it listens."""
    env_changes, args = CONFIGURATIONS[name]
    port = free_port()
    env = {**os.environ, "GRADIO_ANALYTICS_ENABLED": "False", "HF_HUB_OFFLINE": "1", **env_changes}
    with (log_dir / f"{name}.log").open("w") as log:
        server = subprocess.Popen(
            [sys.executable, "gpt4tools.py", "--server_port", str(port), *args],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + SERVER_START_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the {name} server exited; see {log_dir / f'{name}.log'}")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return server, f"http://127.0.0.1:{port}/"
        time.sleep(1)
    server.kill()
    raise RuntimeError(f"the {name} server did not listen within {SERVER_START_S} s")


def last_text(messages: list[dict]) -> str:
    if not messages:
        return ""
    content = messages[-1]["content"]
    parts = content if isinstance(content, list) else [content]
    return "".join(part.get("text", "") for part in parts if isinstance(part, dict))


def run_turn(client, question: str, images: ImageFetcher) -> tuple[float | None, float, int]:
    """Send one chat turn; returns (seconds to the first model text, seconds to the end, tool steps taken). Each
    image is fetched once, when it first shows, as a page would."""
    start = time.perf_counter()
    first = None
    job = client.submit(question, api_name="/chat")
    for _textbox, messages, _trace in job:
        images(messages)
        if first is None and len(messages) >= 2 and messages[-1]["role"] == "assistant" and last_text(messages):
            first = time.perf_counter() - start
    messages = job.outputs()[-1][1]
    images(messages)
    seconds = time.perf_counter() - start
    titles = [(message.get("metadata") or {}).get("title") or "" for message in messages]
    turn_start = max(i for i, message in enumerate(messages) if message["role"] == "user")
    steps = sum(title.startswith("Step ") for title in titles[turn_start:])
    return first, seconds, steps


def session(url: str, turns: int, image: Path, phase: Phase | None) -> None:
    """One browser session: upload the photo, then ``turns`` one-tool requests; ``phase=None`` records nothing."""
    from gradio_client import handle_file

    client, images = browser_client(url), ImageFetcher()
    images(client.predict(handle_file(str(image)), api_name="/upload")[0])
    for index in range(turns):
        request = REQUESTS[index % len(REQUESTS)]
        first, seconds, steps = run_turn(client, request, images)
        if phase is None:
            continue
        phase.turns += 1
        if steps == 1 and first is not None:
            phase.one_tool += 1
            phase.first_token.append(first)
            phase.turn.append(seconds)
            phase.by_request.setdefault(request, []).append(seconds)


def quantiles(values: list[float]) -> str:
    if not values:
        return f"{'-':>6} {'-':>6}"
    ordered = sorted(values)
    p90 = ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))]
    return f"{statistics.median(ordered):6.2f} {p90:6.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=50, help="measured turns per phase of ours")
    parser.add_argument("--before_turns", type=int, default=10, help="measured turns per phase of the others")
    parser.add_argument("--session_turns", type=int, default=5, help="turns per session")
    parser.add_argument("--phases", default="idle,loaded", help="comma separated: idle, loaded")
    parser.add_argument("--configurations", default="ours,before", help=f"comma separated: {', '.join(CONFIGURATIONS)}")
    args = parser.parse_args()
    from PIL import Image
    from skimage import data

    names = args.configurations.split(",")
    wanted = {name: args.turns if name == "ours" else args.before_turns for name in names}
    phase_names = args.phases.split(",")
    if not set(phase_names) <= {"idle", "loaded"}:
        parser.error(f"--phases takes idle and/or loaded, got {args.phases!r}")
    phases = {(name, phase): Phase() for name in names for phase in phase_names}
    served: dict[str, list[tuple[int, float]]] = {name: [] for name in names}  # (turns served, RSS MB) per session
    servers: dict[str, tuple[subprocess.Popen, str]] = {}
    warm_rss: dict[str, float] = {}
    competitor = None
    with tempfile.TemporaryDirectory() as tmp:
        image = Path(tmp) / "astronaut.png"
        Image.fromarray(data.astronaut()).save(image)
        try:
            for name in names:
                servers[name] = start_server(name, Path(tmp))
                session(servers[name][1], 1, image, None)  # warm-up
                warm_rss[name] = memory_mb(servers[name][0].pid)[0]
            competitor = Competitor()
            while any(phases[name, phase_names[0]].turns < wanted[name] for name in names):
                for name in names:
                    for phase_name in phase_names:
                        phase = phases[name, phase_name]
                        if phase.turns >= wanted[name]:
                            continue
                        if phase_name == "loaded":
                            competitor.run()
                        try:
                            turns = min(args.session_turns, wanted[name] - phase.turns)
                            session(servers[name][1], turns, image, phase)
                        finally:
                            competitor.pause()
                        count = (served[name][-1][0] if served[name] else 1) + turns  # 1: the warm-up
                        served[name].append((count, memory_mb(servers[name][0].pid)[0]))
                        print(f"{name} {phase_name}: {phase.turns} turns", file=sys.stderr, flush=True)
            for name, (server, _) in servers.items():
                for phase_name in phase_names:
                    phases[name, phase_name].rss_mb, phases[name, phase_name].peak_rss_mb = memory_mb(server.pid)
        finally:
            if competitor is not None:
                competitor.close()
            for server, _ in servers.values():
                server.terminate()
                server.wait(60)
    report(phases, warm_rss, args.session_turns, served)


def report(
    phases: dict[tuple[str, str], Phase],
    warm_rss: dict[str, float],
    session_turns: int,
    served: dict[str, list[tuple[int, float]]],
) -> None:
    cores = len(os.sched_getaffinity(0))
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(f"{cores} cores; load average at the end {load}; {session_turns} turns per session, sessions alternating")
    header = f"{'configuration':13} {'phase':7} {'turns':>5} {'1-tool':>6} {'first token med p90':>20} "
    print(header + f"{'turn med p90':>14} {'RSS MB warm/end/peak':>21}")
    for (name, phase_name), phase in phases.items():
        memory = f"{warm_rss[name]:.0f}/{phase.rss_mb:.0f}/{phase.peak_rss_mb:.0f}"
        print(
            f"{name:13} {phase_name:7} {phase.turns:>5} {phase.one_tool:>6} {quantiles(phase.first_token):>20} "
            f"{quantiles(phase.turn):>14} {memory:>21}"
        )
    for name, trace in served.items():
        marks, next_mark = [], 0
        for index, (count, rss) in enumerate(trace):
            if count >= next_mark or index == len(trace) - 1:
                marks.append(f"{count}: {rss:.0f}")
                next_mark = count + RSS_EVERY_TURNS
        print(f"{name}: server RSS MB after N turns (the warm-up included): {', '.join(marks) or '-'}")
    for name in dict.fromkeys(name for name, _ in phases):
        idle, loaded = phases.get((name, "idle")), phases.get((name, "loaded"))
        if idle and loaded and idle.turn and loaded.turn:
            ratio = statistics.median(loaded.turn) / statistics.median(idle.turn)
            print(f"{name}: loaded / idle median one-tool turn {ratio:.2f}x (target <= 2x)")
    for other in dict.fromkeys(name for name, _ in phases if name != "ours"):
        for phase_name in ("idle", "loaded"):
            if ("ours", phase_name) not in phases or (other, phase_name) not in phases:
                continue
            ours, theirs = phases["ours", phase_name], phases[other, phase_name]
            if ours.turn and theirs.turn:
                gain = statistics.median(theirs.turn) / statistics.median(ours.turn)
                print(f"{phase_name}: {other} / ours median one-tool turn {gain:.2f}x")
    for (name, phase_name), phase in phases.items():
        medians = ", ".join(
            f"{request!r} {statistics.median(times):.2f}" for request, times in phase.by_request.items()
        )
        print(f"{name} {phase_name}: median one-tool turn s by request: {medians or '-'}")
    print("targets (ours, idle): first token <= 1 s, one-tool turn <= 3 s")


if __name__ == "__main__":
    main()
