"""The GPT4Tools demo: a Gradio chat (or a terminal chat) where a local LLM drives visual tools.

    python gpt4tools.py                                   # embedded SmolLM2 + offline tools on 127.0.0.1:7860
    python gpt4tools.py --cli                              # the same agent in the terminal
    python gpt4tools.py --base_model PATH_OR_HUB_ID --lora_model ADAPTER_DIR --llm_device cuda:0 \\
        --load "Image2Canny_cpu,ImageCaptioning_cuda:0" --server_port 7861 --lang zh

``--lora_model`` defaults to the shipped adapter (``adapters/smollm2-gpt4tools/``) when it is present and
the base model is the embedded one; ``--lora_model none`` uses the base model alone. The flags and what
the demo guarantees: docs/demo.md.
"""

from __future__ import annotations

import contextlib
import logging
import os

from agent.loop import DEFAULT_MAX_INPUT_CHARS
from generation.prefix_cache import DEFAULT_PREFIX_CACHE_MB
from modeling.loading import EMBEDDED_MODEL
from modeling.threads import configure_process
from protocol.cli import run_cli
from ui.launch import DEFAULT_IDLE_MINUTES, build_agent, check_demo_options
from ui.sessions import interrupt_on_sigterm, owned_temp_dir

logger = logging.getLogger("gpt4tools")


def main(
    *,
    base_model: str = EMBEDDED_MODEL,
    lora_model: str | None = None,
    llm_device: str = "cpu",
    device_map: str | None = None,
    max_memory: str | None = None,
    load: str | None = None,
    server_name: str = "127.0.0.1",
    server_port: int = 7860,
    share: bool = False,
    lang: str = "en",
    cli: bool = False,
    max_steps: int = 5,
    max_new_tokens: int = 128,
    max_upload_mb: int = 50,
    prefix_cache_mb: float = DEFAULT_PREFIX_CACHE_MB,
    max_input_chars: int = DEFAULT_MAX_INPUT_CHARS,
    session_idle_minutes: float = DEFAULT_IDLE_MINUTES,
) -> None:
    """Start the demo.

    Args:
        base_model: hub id, local checkpoint or ``smollm2-135m-instruct`` (the embedded default).
        lora_model: LoRA adapter directory; default the shipped adapter when present; ``none`` for none.
        llm_device: ``cpu``, ``cuda`` or ``cuda:N`` for the language model.
        device_map: instead of ``llm_device``, spread the language model's layers over every visible GPU (for a
            model larger than one, e.g. 13B): ``auto`` / ``balanced``, ``balanced_low_0`` or ``sequential``.
        max_memory: with ``device_map``, the most each device may hold: ``0:20GiB,1:20GiB,cpu:64GiB``.
        load: tool families and devices, ``"Image2Canny_cpu,ImageCaptioning_cuda:0"``; default the
            families whose weights are available offline.
        server_name: interface to listen on (127.0.0.1: this machine only; 0.0.0.0: the network).
        server_port: port of the web app.
        share: ask Gradio for a public share link (off by default; needs internet).
        lang: prompt language, ``en`` or ``zh``, or ``gpt4tools`` (the original GPT4Tools' Vicuna prompt, for an
            adapter it trained); an adapter's own template takes precedence.
        cli: chat in the terminal instead of starting the web app.
        max_steps: tool calls allowed per turn before the agent gives up honestly.
        max_new_tokens: tokens the model may write per step.
        max_upload_mb: largest upload the web app accepts, in MB.
        max_input_chars: longest message accepted, in characters (a longer one is refused with this limit).
        session_idle_minutes: a web session untouched this long is closed and its files removed.
        prefix_cache_mb: memory for the KV of recent prompts, so that each step prefills only what its prompt
            adds to an earlier one (0: prefill every prompt whole).
    """
    configure_process()  # before torch loads (modeling/threads.py)
    check_demo_options(
        max_steps=max_steps,
        max_new_tokens=max_new_tokens,
        max_upload_mb=max_upload_mb,
        max_input_chars=max_input_chars,
        session_idle_minutes=session_idle_minutes,
    )
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    interrupt_on_sigterm()  # so that `kill` removes the session folders too
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
    )
    if cli:
        from ui.terminal import chat_in_terminal

        with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C at the prompt ends the chat
            chat_in_terminal(agent, owned_temp_dir("gpt4tools-cli-"))  # removed at exit
        return
    from ui.app import build_app, serve
    from ui.sessions import SessionFactory

    sessions = SessionFactory()
    serve(
        build_app(agent, sessions, idle_minutes=session_idle_minutes),
        sessions,
        server_name=server_name,
        server_port=server_port,
        share=share,
        max_file_size=f"{max_upload_mb}mb",
    )


if __name__ == "__main__":
    run_cli(main)
