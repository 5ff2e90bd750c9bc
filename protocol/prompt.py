"""The prompt template: one object renders the agent prompt, wraps it for a base model and parses replies.

Training (``lora_finetune.py``), serving (``gpt4tools.py``), batch inference (``inference.py``) and the
data generator all go through :class:`PromptTemplate`, and the template's YAML is saved beside every
adapter, so the prompt a model was trained with is the prompt it is served with.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import MISSING, asdict, dataclass, fields
from pathlib import Path
from typing import Any, ClassVar, Self

import yaml

from protocol.errors import InputError
from protocol.steps import ACTION, ACTION_INPUT, AI, OBSERVATION, THOUGHT, ObservedStep, Step, parse_reply
from tools.spec import InputKind, ToolSpec

logger = logging.getLogger(__name__)

PROMPTS_DIR = Path(__file__).resolve().parent.parent / "configs" / "prompts"
TEMPLATE_FILE_NAME = "prompt_template.yaml"
_SENTINEL = "\x00GPT4TOOLS-SENTINEL\x00"
_PROTOCOL_KEYWORDS = (THOUGHT, ACTION, ACTION_INPUT, OBSERVATION, AI)
_LAYOUT_PARTS = ("{persona}", "{tools_header}", "{tools}", "{format_instructions}", "{suffix}")


def token_ids(tokenizer: Any, text: str) -> list[int]:
    """Token ids of ``text`` without special tokens added.

    Fast tokenizers are called through their Rust backend: same ids, without the per-call overhead of
    ``tokenizer.__call__`` (tens of milliseconds on a 600-token prompt, which dominated data loading).
    """
    backend = getattr(tokenizer, "backend_tokenizer", None)
    if backend is not None:
        return backend.encode(text, add_special_tokens=False).ids
    return list(tokenizer(text, add_special_tokens=False)["input_ids"])


def size_description(width: int, height: int) -> str:
    """How an image is described when no captioner says what it shows (the demo without BLIP; data_gen's
    ``plain_image_share``): the same words in both, so the adapter meets the form it was trained on."""
    return f"a {width}x{height} image."


def remembered_answer(answer: str, files: Sequence[str]) -> str:
    """What a session's memory keeps of an answer: the answer, then in brackets the ``files`` the turn's tools
    made (named in an observation) that it does not name, so a later turn can still refer to them. The agent
    (``agent.loop``) and the demo-shaped training data (``data_gen.sessions``) write history with it."""
    unnamed = [name for name in dict.fromkeys(files) if name not in answer]
    return answer + (f" ({', '.join(unnamed)})" if unnamed else "")


class TemplateError(ValueError, InputError):
    """A prompt template file is missing a field or breaks the protocol."""


class TemplateFile:
    """Loading and saving of a template dataclass kept as YAML: shipped ones are ``DIRECTORY/<name>.yaml``, the one
    a model was trained with is ``FILE_NAME`` in its adapter directory."""

    DIRECTORY: ClassVar[Path]
    FILE_NAME: ClassVar[str]

    @classmethod
    def load(cls, name_or_path: str | Path = "en") -> Self:
        """Load a shipped template by name (``en``, ``zh``, ``gpt4tools``), a YAML file, or an adapter directory."""
        path = Path(name_or_path)
        if path.is_dir():
            path = path / cls.FILE_NAME
        elif not path.suffix:
            path = cls.DIRECTORY / f"{name_or_path}.yaml"
        if not path.is_file():
            shipped = sorted(p.stem for p in cls.DIRECTORY.glob("*.yaml"))
            raise TemplateError(f"no prompt template at {path}; shipped templates: {', '.join(shipped)}")
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise TemplateError(f"{path}: not valid YAML: {exc}") from exc
        return cls.from_dict(data, source=str(path))

    @classmethod
    def from_dict(cls, data: Any, source: str = "<dict>") -> Self:
        if not isinstance(data, dict):
            raise TemplateError(f"{source}: a prompt template must be a mapping")
        names = {f.name for f in fields(cls)}
        required = {f.name for f in fields(cls) if f.default is MISSING}
        missing = sorted(required - set(data))
        unknown = sorted(set(data) - names)
        if missing or unknown:
            raise TemplateError(f"{source}: missing fields {missing}, unknown fields {unknown}")
        return cls(**data)

    @classmethod
    def shipped(cls) -> list[Self]:
        """Every template shipped in ``DIRECTORY`` (one per language)."""
        return [cls.load(path) for path in sorted(cls.DIRECTORY.glob("*.yaml"))]

    def require(self, placeholders: dict[str, tuple[str, ...]]) -> None:
        """Raise :class:`TemplateError` unless each field named holds each of its ``{placeholders}``."""
        for field_name, wanted in placeholders.items():
            for placeholder in wanted:
                if placeholder not in getattr(self, field_name):
                    raise TemplateError(f"template {self.name!r}: {field_name} must contain {placeholder}")

    def save(self, directory: str | Path) -> Path:
        """Write this template as ``FILE_NAME`` into ``directory`` (e.g. an adapter dir)."""
        path = Path(directory) / self.FILE_NAME
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(asdict(self), allow_unicode=True, sort_keys=False), encoding="utf-8")
        return path


@dataclass(frozen=True)
class Turn:
    """One line of previous conversation: ``role`` is ``"human"`` or ``"ai"``."""

    role: str
    text: str


@dataclass(frozen=True)
class PromptTemplate(TemplateFile):
    """Wording around the protocol, loaded from ``configs/prompts/<name>.yaml``.

    Fields with ``{placeholders}``:
        persona: who the assistant is and its rules.
        tools_header: the line introducing the tool list.
        tool_line: one tool, ``{name}``, ``{description}`` and ``{inputs}``.
        input_line: ``{inputs}``, the rendered typed arguments of one tool.
        format_instructions: how to call a tool and how to answer; ``{tool_names}``.
        suffix: ``{chat_history}`` and ``{input}``; ends the instruction.
        plain_wrapper: ``{prompt}``; used for base models without a chat template (or with
            ``chat_template: false``).
        image_introduction / image_acknowledgement: how an uploaded image enters the history.

    Optional fields (older template files omit them):
        instruction_layout: how the five parts (each stripped) join into the instruction.
        chat_template: wrap the instruction in the tokenizer's chat template when it has one; ``false``
            always uses ``plain_wrapper`` (GPT4Tools' Vicuna template, ``gpt4tools.yaml``).
        scratchpad_in_instruction: put the earlier steps inside the wrapper, at the end of the instruction
            (GPT4Tools' layout), instead of after it, where the reply continues them.
    """

    name: str
    language: str
    persona: str
    tools_header: str
    tool_line: str
    input_line: str
    input_kinds: dict[str, str]
    format_instructions: str
    suffix: str
    human_prefix: str
    plain_wrapper: str
    plain_end_of_turn: str
    image_introduction: str
    image_acknowledgement: str
    instruction_layout: str = "{persona}\n\n{tools_header}\n\n{tools}\n\n{format_instructions}\n\n{suffix}\n"
    chat_template: bool = True
    scratchpad_in_instruction: bool = False

    DIRECTORY: ClassVar[Path] = PROMPTS_DIR
    FILE_NAME: ClassVar[str] = TEMPLATE_FILE_NAME

    def __post_init__(self) -> None:
        for keyword in _PROTOCOL_KEYWORDS:
            if keyword not in self.format_instructions:
                raise TemplateError(
                    f"template {self.name!r}: format_instructions must show the protocol keyword {keyword!r}"
                )
        self.require(
            {
                "tool_line": ("{name}", "{description}", "{inputs}"),
                "suffix": ("{chat_history}", "{input}"),
                "plain_wrapper": ("{prompt}",),
                "instruction_layout": _LAYOUT_PARTS,
            }
        )
        missing_kinds = {kind.value for kind in InputKind} - set(self.input_kinds)
        if missing_kinds:
            raise TemplateError(f"template {self.name!r}: input_kinds lacks {sorted(missing_kinds)}")

    # ----------------------------------------------------------------- rendering
    def render_tool(self, spec: ToolSpec) -> str:
        inputs = ", ".join(f"{i.name} ({self.input_kinds[i.kind.value]})" for i in spec.inputs)
        return self.tool_line.format(
            name=spec.name, description=spec.description.strip(), inputs=self.input_line.format(inputs=inputs)
        )

    def render_tools(self, tools: Sequence[ToolSpec]) -> str:
        return "\n".join(self.render_tool(spec) for spec in tools)

    def render_history(self, history: str | Sequence[Turn]) -> str:
        if isinstance(history, str):
            return history
        prefixes = {"human": self.human_prefix, "ai": AI[:-1]}
        lines = []
        for turn in history:
            if turn.role not in prefixes:
                raise TemplateError(f"unknown conversation role {turn.role!r}; use 'human' or 'ai'")
            lines.append(f"{prefixes[turn.role]}: {turn.text}")
        return "\n".join(lines)

    def introduce_image(self, image_name: str, description: str) -> list[Turn]:
        """The two history turns that hand the model an uploaded image."""
        return [
            Turn("human", self.image_introduction.format(image=image_name, description=description).strip()),
            Turn("ai", self.image_acknowledgement.strip()),
        ]

    def render_instruction(self, tools: Sequence[ToolSpec], history: str | Sequence[Turn], user_input: str) -> str:
        """The record's ``instruction``: persona, tools, format, previous conversation and new input."""
        if not tools:
            raise TemplateError("render_instruction needs at least one tool spec")
        return self.instruction_layout.format(
            persona=self.persona.strip(),
            tools_header=self.tools_header.strip(),
            tools=self.render_tools(tools),
            format_instructions=self.format_instructions.format(tool_names=", ".join(s.name for s in tools)).strip(),
            suffix=self.suffix.format(chat_history=self.render_history(history), input=user_input).strip(),
        )

    @staticmethod
    def render_scratchpad(steps: Sequence[ObservedStep]) -> str:
        """The record's ``input``: the steps already taken with their observations."""
        return "".join(step.render() for step in steps)

    # ----------------------------------------------------------------- wrapping for a base model
    @staticmethod
    def has_chat_template(tokenizer: Any) -> bool:
        return bool(getattr(tokenizer, "chat_template", None))

    def uses_chat_template(self, tokenizer: Any) -> bool:
        """Whether prompts are wrapped in ``tokenizer``'s chat template (else in ``plain_wrapper``)."""
        return self.chat_template and tokenizer is not None and self.has_chat_template(tokenizer)

    def wrap(self, instruction: str, scratchpad: str = "", tokenizer: Any = None) -> str:
        """The text a model sees: the instruction as a user turn, then the scratchpad the reply continues
        (inside the user turn, at the end of the instruction, with ``scratchpad_in_instruction``)."""
        if self.scratchpad_in_instruction:
            instruction, scratchpad = instruction + scratchpad, ""
        if self.uses_chat_template(tokenizer):
            head = tokenizer.apply_chat_template(
                [{"role": "user", "content": instruction}], tokenize=False, add_generation_prompt=True
            )
        else:
            head = self.plain_wrapper.format(prompt=instruction)
        return head + scratchpad

    def end_of_turn(self, tokenizer: Any = None) -> str:
        """What follows a finished reply: the chat template's turn terminator, or the plain one."""
        if self.uses_chat_template(tokenizer):
            rendered = tokenizer.apply_chat_template(
                [{"role": "user", "content": "x"}, {"role": "assistant", "content": _SENTINEL}],
                tokenize=False,
            )
            terminator = rendered.split(_SENTINEL, 1)[1].strip() if _SENTINEL in rendered else ""
            return terminator or (tokenizer.eos_token or "")
        eos = getattr(tokenizer, "eos_token", None) if tokenizer is not None else None
        return self.plain_end_of_turn.format(eos=eos or "")

    def stop_strings(self, tokenizer: Any = None) -> list[str]:
        """Strings at which generation stops: the protocol's ``Observation:`` and the end of turn."""
        stops = [OBSERVATION]
        end = self.end_of_turn(tokenizer)
        if end:
            stops.append(end)
        return stops

    def needs_bos(self, tokenizer: Any, prompt: str) -> bool:
        """Whether the tokenizer should add its BOS token in front of ``prompt``."""
        bos = getattr(tokenizer, "bos_token", None)
        return bool(bos) and not prompt.startswith(bos) and not self.uses_chat_template(tokenizer)

    def encode(self, tokenizer: Any, prompt: str, completion: str | None = None) -> tuple[list[int], int]:
        """Token ids of ``prompt`` (+ ``completion``) and the number of prompt tokens.

        Prompt and completion are tokenized separately and concatenated, so the boundary between the
        part the model reads and the part it learns is exact (never found by re-tokenizing substrings).
        """
        prompt_ids = token_ids(tokenizer, prompt)
        if self.needs_bos(tokenizer, prompt):
            prompt_ids.insert(0, tokenizer.bos_token_id)
        if completion is None:
            return prompt_ids, len(prompt_ids)
        return prompt_ids + token_ids(tokenizer, completion), len(prompt_ids)

    def training_pair(self, instruction: str, scratchpad: str, output: str, tokenizer: Any = None) -> tuple[str, str]:
        """``(prompt, completion)`` texts for one record; the completion ends the model's turn."""
        return self.wrap(instruction, scratchpad, tokenizer), output + self.end_of_turn(tokenizer)

    # ----------------------------------------------------------------- parsing
    @staticmethod
    def parse(reply: str) -> Step:
        """Parse a model reply into a :class:`~protocol.steps.ToolCall`, ``FinalAnswer`` or ``ParseError``."""
        return parse_reply(reply)


def serving_template(adapter_dir: str | Path | None, requested: str | Path | None = None) -> PromptTemplate:
    """The template to serve a model with: ``requested`` when given (warning when the adapter was trained with
    another), else the one saved with the adapter, else the English one."""
    saved = adapter_dir is not None and (Path(adapter_dir) / TEMPLATE_FILE_NAME).is_file()
    if requested:
        template = PromptTemplate.load(requested)
        trained = PromptTemplate.load(adapter_dir).name if saved else None
        if trained is not None and trained != template.name:
            logger.warning(
                "the adapter was trained with the %r prompt; serving it with %r as asked", trained, template.name
            )
        return template
    if saved:
        return PromptTemplate.load(adapter_dir)
    if adapter_dir is not None:
        logger.warning(
            "%s has no %s: serving it with the 'en' prompt (an adapter trained by the original GPT4Tools needs "
            "the 'gpt4tools' prompt)",
            adapter_dir,
            TEMPLATE_FILE_NAME,
        )
    return PromptTemplate.load("en")
