"""Building the demo's agent from command-line choices: base model, adapter, prompt language and tools."""

from __future__ import annotations

import logging
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any

from agent.loop import DEFAULT_MAX_HISTORY_TOKENS, DEFAULT_MAX_INPUT_CHARS, DEFAULT_MAX_STEPS, Agent
from generation.prefix_cache import DEFAULT_PREFIX_CACHE_MB
from modeling.adapter_files import adapter_argument
from modeling.loading import EMBEDDED_MODEL
from protocol.errors import InputError
from protocol.prompt import TEMPLATE_FILE_NAME, PromptTemplate

if TYPE_CHECKING:
    from agent.plan_mode import PlanAgent
    from generation.generator import TextGenerator

logger = logging.getLogger(__name__)

SHIPPED_ADAPTER = Path(__file__).resolve().parent.parent / "adapters" / "smollm2-gpt4tools"
# An adapter's plan adapter lives in this folder inside it: plan mode writes plans with it (modeling/adapter_switch.py).
PLAN_ADAPTER_DIR = "plans"
DEFAULT_CONTEXT_LENGTH = 2048
DEFAULT_IDLE_MINUTES = 60  # a web session untouched this long is closed and its folder removed


class DemoOptionError(ValueError, InputError):
    """A demo option out of range (the message names the option and what it accepts)."""


def check_demo_options(**options: float) -> None:
    """Every option given must be a positive number (``--max_steps 0`` or ``--max_input_chars abc`` is refused)."""
    for name, value in options.items():
        if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
            raise DemoOptionError(f"--{name} must be a positive number, got {value!r}")


def resolve_adapter(lora_model: str | None, base_model: str = EMBEDDED_MODEL) -> str | None:
    """The adapter to apply: the one asked for, ``None`` for "none", else the shipped one for the embedded model.

    The shipped adapter (``adapters/smollm2-gpt4tools/``) was trained on the embedded SmolLM2, so it is
    the default only for that base model and only when it is present.
    """
    if lora_model is not None:
        return adapter_argument(lora_model)
    if base_model.lower() == EMBEDDED_MODEL and (SHIPPED_ADAPTER / "adapter_config.json").is_file():
        return str(SHIPPED_ADAPTER)
    return None


def resolve_plan_adapter(plan_lora_model: str | None, adapter: str | None) -> str | None:
    """The adapter plan mode writes plans with: the one asked for, ``None`` for "none" (the chat's own adapter
    plans), else the chat adapter's ``plans/`` folder when it has one."""
    if plan_lora_model is not None:
        return adapter_argument(plan_lora_model)
    if adapter and (Path(adapter) / PLAN_ADAPTER_DIR / "adapter_config.json").is_file():
        return str(Path(adapter) / PLAN_ADAPTER_DIR)
    return None


def planning_generator(llm: TextGenerator, adapter: str | None, plan_adapter: str | None) -> TextGenerator:
    """The generator plans are written with: ``llm`` (the chat's model with ``adapter`` merged) switched to
    ``plan_adapter`` while it generates; ``llm`` itself without a plan adapter, or when its adapter is not merged
    (a k-bit base model keeps it apart, and the switch assumes merged weights)."""
    from generation.generator import HFGenerator
    from modeling.adapter_switch import AdapterSwitch

    if plan_adapter is None:
        return llm
    if not isinstance(llm, HFGenerator) or hasattr(llm.model, "peft_config"):
        logger.warning("the plan adapter %s needs a merged chat model; plans are written with the chat's", plan_adapter)
        return llm
    return llm.with_adapter(AdapterSwitch.between(llm.model, adapter, plan_adapter))


def context_length(model: Any) -> int:
    """The model's context length in tokens (``max_position_embeddings``), or a safe default."""
    value = getattr(getattr(model, "config", None), "max_position_embeddings", None)
    return int(value) if value else DEFAULT_CONTEXT_LENGTH


def choose_template(lang: str, adapter: str | None) -> PromptTemplate:
    """The adapter's own template when it ships one (train and serve must match), else the ``lang`` one."""
    if adapter and (Path(adapter) / TEMPLATE_FILE_NAME).is_file():
        template = PromptTemplate.load(adapter)
        if lang not in (template.name, template.language):
            logger.warning("the adapter was trained with the %r prompt; using it instead of %r", template.name, lang)
        return template
    return PromptTemplate.load(lang)


def build_agent(
    base_model: str = EMBEDDED_MODEL,
    lora_model: str | None = None,
    *,
    llm_device: str = "cpu",
    device_map: str | None = None,
    max_memory: str | None = None,
    load: str | None = None,
    lang: str = "en",
    max_steps: int = DEFAULT_MAX_STEPS,
    max_new_tokens: int = 128,
    prefix_cache_mb: float = DEFAULT_PREFIX_CACHE_MB,
    max_input_chars: int = DEFAULT_MAX_INPUT_CHARS,
    max_history_tokens: int = DEFAULT_MAX_HISTORY_TOKENS,
) -> Agent:
    """Load the model (merging the adapter) and the tool runtime, and bind them into an :class:`Agent`.

    ``device_map`` (with ``max_memory``) spreads the model over the GPUs instead of ``llm_device``."""
    from generation.generator import HFGenerator
    from modeling.loading import check_device_map, load_for_inference
    from tools.runtime import ToolRuntime

    check_device_map(device_map, max_memory)

    adapter = resolve_adapter(lora_model, base_model)
    template = choose_template(lang, adapter)
    runtime = ToolRuntime.from_load(load)
    logger.info("tools loaded: %s", ", ".join(runtime.available.names) or "none")
    model, tokenizer, _ = load_for_inference(
        base_model, adapter, device=llm_device, device_map=device_map, max_memory=max_memory
    )
    where = f"device map {device_map}" if device_map else llm_device
    logger.info("model %s%s on %s", base_model, f" + adapter {adapter}" if adapter else "", where)
    generator = HFGenerator(model, tokenizer, template, prefix_cache_mb=prefix_cache_mb)
    tuned = f" with the LoRA adapter {PurePath(adapter).name}" if adapter else ""
    return Agent(
        generator,
        runtime,
        template,
        tokenizer,
        context_length=context_length(model),
        max_steps=max_steps,
        max_new_tokens=max_new_tokens,
        max_input_chars=max_input_chars,
        max_history_tokens=max_history_tokens,
        identity=f"{PurePath(base_model).name}{tuned}",
    )


class CompetitionUnavailableError(ValueError, InputError):
    """Competing backends were asked for and this build has none."""


def build_plan_agent(
    agent: Agent,
    adapter: str | None,
    *,
    plan_adapter: str | None = None,
    compete: bool = False,
    step_timeout_s: float | None = None,
    max_workers: int | None = None,
) -> PlanAgent:
    """Plan mode over ``agent``'s model, prompt and tools: plans written with ``plan_adapter`` switched in for the
    merged ``adapter`` (:func:`planning_generator`), the planner prompt saved with the adapter that plans (else the
    shipped one in the agent's language), the executor over the agent's tool runtime, or with ``compete`` over
    competing backends (``tools/competition.py``: k candidates where ``configs/models.yaml`` says a family
    competes)."""
    from agent.executor import DEFAULT_MAX_WORKERS, DEFAULT_STEP_TIMEOUT_S, Executor
    from agent.plan_mode import PlanAgent
    from agent.planner import Planner
    from agent.step_runner import CompetingStepRunner, RuntimeStepRunner, StepRunner
    from protocol.plan_prompt import PlanTemplate
    from protocol.plan_response import ResponseTemplate

    language = agent.template.language
    tools = agent.runtime.available
    planner_llm = planning_generator(agent.llm, adapter, plan_adapter)
    plan_template = PlanTemplate.beside(plan_adapter if planner_llm is not agent.llm else adapter, language)
    planner = Planner(planner_llm, agent.template, plan_template, agent.tokenizer, tools)
    runner: StepRunner = RuntimeStepRunner(agent.runtime)
    if compete:
        try:
            from tools.competition import Competition
        except ImportError as error:
            raise CompetitionUnavailableError(
                f"--compete needs the competing backends (tools/competition.py), which this build lacks ({error})"
            ) from None
        competition = Competition(agent.runtime)
        if not any(entry.compete for entry in competition.registry.families.values()):
            logger.warning(
                "--compete: no family in %s is set to compete (compete: true), so every step runs its default "
                "backend alone; set it for a family to run several backends per step",
                competition.registry.source,
            )
        runner = CompetingStepRunner(competition)
    executor = Executor(
        runner,
        step_timeout_s=step_timeout_s or DEFAULT_STEP_TIMEOUT_S,
        max_workers=max_workers or DEFAULT_MAX_WORKERS,
    )
    return PlanAgent(agent, planner, executor, ResponseTemplate.for_language(language))
