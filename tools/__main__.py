"""Command line: ``python -m tools list [--load SPEC]`` and ``python -m tools run "TOOL" "INPUT" --workspace DIR``."""

from __future__ import annotations

import argparse
import logging
import sys

from tools.errors import ToolError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m tools", description="List or run the visual tools.")
    commands = parser.add_subparsers(dest="command", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--load", default=None, help='families and devices, e.g. "Image2Canny_cpu,Text2Image_cuda:0"')
    common.add_argument("--config", default=None, help="tools YAML (default configs/tools.yaml)")
    common.add_argument("-v", "--verbose", action="store_true", help="log model loading")
    commands.add_parser("list", parents=[common], help="every tool with its family and whether it is available here")
    run = commands.add_parser("run", parents=[common], help="run one tool; its observation is the last line")
    run.add_argument("tool", help='the exact tool name, e.g. "Edge Detection On Image"')
    run.add_argument("action_input", help='comma-separated arguments, e.g. "image/1a2b.png"')
    run.add_argument("--workspace", required=True, help="directory the image names are relative to")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, stream=sys.stderr)
    from modeling.threads import ThreadSettingError, configure_process

    try:
        configure_process()  # before a model-backed tool loads torch (modeling/threads.py)
    except ThreadSettingError as error:
        sys.stderr.write(f"error: {error}\n")
        return 2
    from tools.runtime import ToolRuntime
    from tools.workspace import Workspace

    try:
        runtime = ToolRuntime.from_load(args.load, args.config)
    except ToolError as error:
        sys.stderr.write(f"error: {error}\n")
        return 2
    if args.command == "list":
        for spec in runtime.catalog:
            missing = [f for f in spec.families if f not in runtime.families]
            status = "available" if not missing else "not loaded: " + ", ".join(missing)
            reasons = [runtime.unavailable[f] for f in missing if f in runtime.unavailable]
            if reasons:
                status = "unavailable: " + "; ".join(reasons)
            held_out = " [held out]" if spec.held_out else ""
            sys.stdout.write(f"{spec.name}\t{spec.family}{held_out}\t{status}\n")
        return 0
    try:
        workspace = Workspace(args.workspace)
    except OSError as error:
        sys.stderr.write(f"error: --workspace {args.workspace}: {error.strerror or error}; pass a directory\n")
        return 2
    observation = runtime.run(args.tool, args.action_input, workspace)
    if not observation.ok:
        sys.stderr.write(f"error: {' '.join(observation.text.split())}\n")
        return 2 if observation.bad_input else 1
    sys.stdout.write(observation.text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
