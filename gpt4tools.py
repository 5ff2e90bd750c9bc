"""The GPT4Tools demo: a Gradio chat, a terminal chat or a web API where a local LLM drives visual tools.

    python gpt4tools.py                                   # embedded SmolLM2 + offline tools on 127.0.0.1:7860
    python gpt4tools.py --mode cli                         # the same agent in the terminal (--cli works too)
    python gpt4tools.py --mode server                      # HuggingGPT's /tasks, /results, /hugginggpt and
                                                           # OpenAI's /v1/chat/completions on 127.0.0.1:8004
    python gpt4tools.py --base_model PATH_OR_HUB_ID --lora_model ADAPTER_DIR --llm_device cuda:0 \\
        --load "Image2Canny_cpu,ImageCaptioning_cuda:0" --server_port 7861 --lang zh

``--lora_model`` defaults to the shipped adapter (``adapters/smollm2-gpt4tools/``) when it is present and
the base model is the embedded one; ``--lora_model none`` uses the base model alone. ``--plan`` says when a
message is planned first (HuggingGPT style: plan, run the steps as a dataflow graph, answer from the results).
The flags and what the demo guarantees: docs/demo.md.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time

from agent.loop import DEFAULT_MAX_HISTORY_TOKENS, DEFAULT_MAX_INPUT_CHARS, DEFAULT_MAX_STEPS
from generation.prefix_cache import DEFAULT_PREFIX_CACHE_MB
from modeling.loading import EMBEDDED_MODEL
from modeling.memory import bound_kernel_cache
from modeling.threads import SHORT_SPIN_WAITS, configure_process
from protocol.cli import run_cli
from protocol.errors import InputError
from ui.launch import (
    DEFAULT_IDLE_MINUTES,
    build_agent,
    build_plan_agent,
    check_demo_options,
    resolve_adapter,
    resolve_plan_adapter,
)
from ui.sessions import interrupt_on_sigterm, owned_temp_dir

logger = logging.getLogger("gpt4tools")

MODES = ("gradio", "cli", "server")
DEFAULT_PORTS = {"gradio": 7860, "server": 8004}


class ModeError(ValueError, InputError):
    """An unknown ``--mode`` or ``--plan`` value."""


def main(
    *,
    mode: str = "gradio",
    cli: bool = False,
    base_model: str = EMBEDDED_MODEL,
    lora_model: str | None = None,
    plan_lora_model: str | None = None,
    llm_device: str = "cpu",
    device_map: str | None = None,
    max_memory: str | None = None,
    load: str | None = None,
    server_name: str = "127.0.0.1",
    server_port: int | None = None,
    share: bool = False,
    lang: str = "en",
    max_steps: int = DEFAULT_MAX_STEPS,
    max_new_tokens: int = 128,
    max_upload_mb: int = 50,
    plan: str | None = None,
    compete: bool = False,
    step_timeout_s: float = 300.0,
    max_workers: int = 4,
    token: str | None = None,
    max_concurrent: int = 2,
    max_images: int = 8,
    image_root: str | None = None,
    prefix_cache_mb: float = DEFAULT_PREFIX_CACHE_MB,
    max_input_chars: int = DEFAULT_MAX_INPUT_CHARS,
    max_history_tokens: int = DEFAULT_MAX_HISTORY_TOKENS,
    session_idle_minutes: float = DEFAULT_IDLE_MINUTES,
) -> None:
    """Start the demo.

    Args:
        mode: ``gradio`` (the web app), ``cli`` (a terminal chat) or ``server`` (the web API, docs/web_api.md).
        cli: the same as ``--mode cli``.
        base_model: hub id, local checkpoint or ``smollm2-135m-instruct`` (the embedded default).
        lora_model: LoRA adapter directory; default the shipped adapter when present; ``none`` for none.
        plan_lora_model: the adapter plans are written with, switched in over ``lora_model`` while planning;
            default its ``plans/`` folder when present; ``none``: ``lora_model`` plans too.
        llm_device: ``cpu``, ``cuda`` or ``cuda:N`` for the language model.
        device_map: instead of ``llm_device``, spread the language model's layers over every visible GPU (for a
            model larger than one, e.g. 13B): ``auto`` / ``balanced``, ``balanced_low_0`` or ``sequential``.
        max_memory: with ``device_map``, the most each device may hold: ``0:20GiB,1:20GiB,cpu:64GiB``.
        load: tool families and devices, ``"Image2Canny_cpu,ImageCaptioning_cuda:0"``; default the
            families whose weights are available offline.
        server_name: interface to listen on (127.0.0.1: this machine only; 0.0.0.0: the network).
        server_port: port of the web app (default 7860) or the web API (default 8004, HuggingGPT's).
        share: ask Gradio for a public share link (off by default; needs internet).
        lang: prompt language, ``en`` or ``zh``, or ``gpt4tools`` (the original GPT4Tools' Vicuna prompt, for an
            adapter it trained); an adapter's own template takes precedence.
        max_steps: tool calls allowed per turn before the agent gives up honestly.
        max_new_tokens: tokens the model may write per step.
        max_upload_mb: largest upload the web app accepts, and the largest request body of the web API, in MB.
        max_input_chars: longest message accepted, in characters (a longer one is refused with this limit).
        max_history_tokens: most conversation history a prompt holds, in tokens (older exchanges are left out; the
            image introductions still referred to stay): about what the adapter was trained with.
        session_idle_minutes: a web session untouched this long is closed and its files removed.
        prefix_cache_mb: memory for the KV of recent prompts, so that each step prefills only what its prompt
            adds to an earlier one (0: prefill every prompt whole).
        plan: plan first ``on`` (always), ``off`` (never: the ReAct loop answers) or ``auto`` (when a message
            asks for several things); default ``off`` in the chats, ``on`` for the API's chat completions
            (HuggingGPT's endpoints always plan).
        compete: planned steps run through competing backends (``configs/models.yaml``: k candidates side by side
            where a family competes, the consensus kept; the others alone), as CompeGPT does.
        step_timeout_s: how long one planned step may run.
        max_workers: planned steps running at once.
        token: (server) a bearer token every request must carry.
        max_concurrent: (server) requests served at once; more are answered 429.
        max_images: (server) images per request.
        image_root: (server) a directory requests may name images from by path, e.g. ``/examples/d.jpg``.
    """
    mode = "cli" if cli else mode
    if mode not in MODES:
        raise ModeError(f"--mode must be one of {', '.join(MODES)}; got {mode!r}")
    plan = plan or ("on" if mode == "server" else "off")
    if plan not in ("on", "off", "auto"):
        raise ModeError(f"--plan must be on, off or auto; got {plan!r}")
    configure_process(SHORT_SPIN_WAITS)  # before torch loads; token-by-token decoding (modeling/threads.py)
    bound_kernel_cache()  # a server meets new matrix shapes at every step (modeling/memory.py)
    check_demo_options(
        max_steps=max_steps,
        max_new_tokens=max_new_tokens,
        max_upload_mb=max_upload_mb,
        max_input_chars=max_input_chars,
        max_history_tokens=max_history_tokens,
        session_idle_minutes=session_idle_minutes,
    )
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    interrupt_on_sigterm()  # so that `kill` removes the session folders too
    server_config = None
    if mode == "server":  # checked before the model loads
        from ui.server import ServerConfig

        server_config = ServerConfig(
            host=server_name,
            port=server_port or DEFAULT_PORTS["server"],
            token=token,
            max_body_mb=max_upload_mb,
            max_images=max_images,
            max_concurrent=max_concurrent,
            image_root=image_root,
            plan=plan,
        )
    agent = build_agent(
        base_model,
        lora_model,
        llm_device=llm_device,
        device_map=device_map,
        max_memory=max_memory,
        load=load,
        lang=lang,
        max_steps=max_steps,
        max_new_tokens=max_new_tokens,
        prefix_cache_mb=prefix_cache_mb,
        max_input_chars=max_input_chars,
        max_history_tokens=max_history_tokens,
    )
    started = time.perf_counter()
    opening = agent.warm_up()
    logger.info("prompt opening (%d tokens) prefilled in %.1f s", opening, time.perf_counter() - started)
    plan_agent = None
    if agent.runtime.available.names:
        adapter = resolve_adapter(lora_model, base_model)
        plan_agent = build_plan_agent(
            agent,
            adapter,
            plan_adapter=resolve_plan_adapter(plan_lora_model, adapter),
            compete=compete,
            step_timeout_s=step_timeout_s,
            max_workers=max_workers,
        )
    if mode == "server":
        from generation.serial import SerialGenerator
        from ui.server import serve

        if plan_agent is None:
            raise ModeError("the web API plans over the tools, and none are loaded; check --load")
        one_at_a_time = threading.Lock()  # one model, several requests: one generation at a time
        agent.llm = SerialGenerator(agent.llm, one_at_a_time)
        plan_agent.planner.generator = SerialGenerator(plan_agent.planner.generator, one_at_a_time)
        serve(plan_agent, server_config)
        return
    if mode == "cli":
        from ui.terminal import chat_in_terminal

        workspace_root = owned_temp_dir("gpt4tools-cli-")  # removed at exit
        with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C at the prompt ends the chat
            chat_in_terminal(agent, workspace_root, plan_agent=plan_agent, plan=plan)
        return
    from ui.app import build_app, serve
    from ui.sessions import SHOWN_FILES_GRACE_SECONDS, SessionFactory

    sessions = SessionFactory(grace_seconds=SHOWN_FILES_GRACE_SECONDS)
    serve(
        build_app(agent, sessions, idle_minutes=session_idle_minutes, plan_agent=plan_agent, plan=plan),
        sessions,
        server_name=server_name,
        server_port=server_port or DEFAULT_PORTS["gradio"],
        share=share,
        max_file_size=f"{max_upload_mb}mb",
    )


if __name__ == "__main__":
    run_cli(main)
