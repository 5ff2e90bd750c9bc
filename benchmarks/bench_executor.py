"""Plan execution: three independent steps run one after another vs as a dataflow graph, same run, same tools.

    .venv/bin/python benchmarks/bench_executor.py [--repeats 5] [--torch_threads 1 2]

The plan: HED edges (torch) of one photo, the pose (MediaPipe) of another and the text (tesseract) of a page, all
real offline tools through :class:`~tools.runtime.ToolRuntime`. "Serial" runs the plan with one worker (each step
waits for the one before), "parallel" with three; both go through the same :class:`~agent.executor.Executor`,
after one warm-up run that loads the models. Each repeat runs both, in alternating order, so load from other
processes on the machine falls on both; the figures are the min / median / max over the repeats, the cores the run
kept busy (CPU seconds of the process and its tesseract children over wall seconds) and the ratio of the medians
(the target: parallel <= 0.6x serial on 2 cores). ``--torch_threads`` sets torch's intra-op threads (HED's
convolutions); tesseract and MediaPipe keep their own defaults.

On a shared machine the kernel's autogroup scheduling (``/proc/sys/kernel/sched_autogroup_enabled``) gives each
session an equal share of the CPUs however many threads it runs, so while other sessions keep the cores busy the
parallel run cannot take more than its share: compare "cores used" with the load average printed.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # idle OpenMP threads must not spin against the other steps

import numpy as np
import torch
from PIL import Image

from agent.executor import Executor
from agent.step_runner import RuntimeStepRunner
from protocol.plan import Plan, PlanStep
from tools.runtime import ToolRuntime
from tools.workspace import Workspace

LOAD = "Image2Hed_cpu,Image2Pose_cpu,TextDetection_cpu"


def images(workspace: Workspace) -> dict[str, str]:
    """Three inputs from scikit-image's test data: a cat (shrunk, so that HED takes about as long as the others), an
    astronaut and a printed page (upscaled for OCR)."""
    from skimage import data

    page = Image.fromarray(data.page()).convert("RGB")
    page = page.resize((page.width * 3, page.height * 3), Image.Resampling.LANCZOS)
    return {
        "cat": workspace.add_image(Image.fromarray(data.chelsea()), max_side=320),
        "astronaut": workspace.add_image(Image.fromarray(data.astronaut())),
        "page": workspace.add_image(page, max_side=1200),
    }


def plan_for(files: dict[str, str]) -> Plan:
    return Plan(
        (
            PlanStep.of("Hed Detection On Image", 0, {"image_path": files["cat"]}),
            PlanStep.of("Pose Detection On Image", 1, {"image_path": files["astronaut"]}),
            PlanStep.of("Text Detection On Image", 2, {"image_path": files["page"]}),
        )
    )


def cpu_seconds() -> float:
    """CPU time of this process's threads and of the children it waited for (tesseract runs as one)."""
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


def timed(executor: Executor, plan: Plan, workspace: Workspace) -> tuple[float, float, list[float]]:
    """Wall seconds, CPU seconds and each step's seconds of one run."""
    start, cpu = time.perf_counter(), cpu_seconds()
    execution = executor.run(plan, workspace)
    wall, cpu = time.perf_counter() - start, cpu_seconds() - cpu
    failed = [f"{r.step.task}: {r.reason}" for r in execution.results if not r.ok]
    if failed:
        raise SystemExit("a step failed: " + "; ".join(failed))
    return wall, cpu, [r.seconds for r in execution.results]


def spread(values: list[float]) -> str:
    return f"{min(values):6.2f} {statistics.median(values):6.2f} {max(values):6.2f}"


def measure(threads: int, repeats: int, runtime: ToolRuntime, workspace: Workspace, plan: Plan) -> None:
    torch.set_num_threads(threads)
    runner = RuntimeStepRunner(runtime)
    serial, parallel = Executor(runner, max_workers=1), Executor(runner, max_workers=3)
    timed(parallel, plan, workspace)  # warm-up: models loaded, first-call costs paid
    walls: dict[str, list[float]] = {"serial": [], "parallel": []}
    cores: dict[str, list[float]] = {"serial": [], "parallel": []}
    steps: dict[str, list[list[float]]] = {"serial": [], "parallel": []}
    for repeat in range(repeats):
        order = [("serial", serial), ("parallel", parallel)]
        for name, executor in order if repeat % 2 == 0 else order[::-1]:
            wall, cpu, seconds = timed(executor, plan, workspace)
            walls[name].append(wall)
            cores[name].append(cpu / wall)
            steps[name].append(seconds)
    ratio = statistics.median(walls["parallel"]) / statistics.median(walls["serial"])
    ratios = [p / s for p, s in zip(walls["parallel"], walls["serial"], strict=True)]
    print(f"\ntorch threads {threads}, {repeats} repeats (seconds: min median max)")
    print(
        f"  {'':9} {'wall':>20}   {'cores used':>20}   "
        + "   ".join(f"{step.task.split(maxsplit=1)[0]:>20}" for step in plan.steps)
    )
    for name in ("serial", "parallel"):
        per_step = np.array(steps[name]).T.tolist()
        print(f"  {name:9} {spread(walls[name])}   {spread(cores[name])}   " + "   ".join(spread(s) for s in per_step))
    print(f"  parallel / serial: {ratio:.2f} (medians); per repeat {min(ratios):.2f}-{max(ratios):.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--torch_threads", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    print(f"cores: {os.cpu_count()}, load average at start: {' '.join(f'{v:.1f}' for v in os.getloadavg())}")
    runtime = ToolRuntime.from_load(LOAD)
    if runtime.unavailable:
        raise SystemExit(f"tools unavailable: {runtime.unavailable}")
    with tempfile.TemporaryDirectory(prefix="bench-executor-") as folder:
        workspace = Workspace(folder)
        plan = plan_for(images(workspace))
        for threads in args.torch_threads:
            measure(threads, args.repeats, runtime, workspace, plan)
    print(f"load average at end: {' '.join(f'{v:.1f}' for v in os.getloadavg())}")


if __name__ == "__main__":
    main()
