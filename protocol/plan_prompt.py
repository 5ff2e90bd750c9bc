"""The planner prompt: a record's ``instruction`` in plan mode, rendered from the tool specs.

The wording lives in ``configs/prompts/plan/<language>.yaml`` (:class:`PlanTemplate`); the tool lines are part of
the format, so that the constrained decoder and the scorer can read the offered tools back out of any plan
prompt::

    > Crop Image(image_path: image, left: number, top: number, right: number, bottom: number) -> image

A plan prompt is wrapped for the model (chat template or plain wrapper) by the adapter's
:class:`~protocol.prompt.PromptTemplate`, exactly as a ReAct prompt is, and the plan template is saved beside the
adapter (``plan_template.yaml``) like the ReAct one.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from protocol.plan import Signature, Tool
from protocol.prompt import PROMPTS_DIR, TemplateError, TemplateFile
from tools.spec import InputKind, OutputKind, ToolInput

PLAN_PROMPTS_DIR = PROMPTS_DIR / "plan"
PLAN_TEMPLATE_FILE_NAME = "plan_template.yaml"
_TOOL_LINE = re.compile(r"^> ([A-Za-z][A-Za-z0-9 ]*[A-Za-z0-9])\(([^()\n]*)\) -> (\w+)$", re.MULTILINE)
_TYPED_INPUT = re.compile(r"^([a-z][a-z0-9_]*): (\w+)$")


def render_tool_line(tool: Tool) -> str:
    """``> Name(input: kind, ...) -> output``."""
    inputs = ", ".join(f"{i.name}: {i.kind.value}" for i in tool.inputs)
    return f"> {tool.name}({inputs}) -> {tool.output.value}"


def _signature(match: re.Match[str]) -> Signature | None:
    inputs = []
    for item in match.group(2).split(", "):
        typed = _TYPED_INPUT.match(item)
        if not typed or typed.group(2) not in InputKind.__members__.values():
            return None
        inputs.append(ToolInput(typed.group(1), InputKind(typed.group(2))))
    if match.group(3) not in OutputKind.__members__.values() or not inputs:
        return None
    return Signature(match.group(1), tuple(inputs), OutputKind(match.group(3)))


def offered_tools(prompt: str) -> dict[str, Signature]:
    """The tools of the first block of consecutive plan tool lines in ``prompt`` (empty: not a plan prompt)."""
    tools: dict[str, Signature] = {}
    end = -1
    for match in _TOOL_LINE.finditer(prompt):
        if tools and prompt.count("\n", end, match.start()) > 1:
            break  # a later block (quoted in the request, say) is not the tool list
        signature = _signature(match)
        if signature is not None:
            tools[signature.name] = signature
            end = match.end()
    return tools


def is_plan_prompt(prompt: str) -> bool:
    """Whether ``prompt`` (an instruction, or a wrapped prompt) asks for a plan."""
    return bool(offered_tools(prompt))


@dataclass(frozen=True)
class PlanTemplate(TemplateFile):
    """Wording of the planner prompt, loaded from ``configs/prompts/plan/<name>.yaml``.

    Fields: ``instructions`` (the task and the JSON format), ``tools_header``, ``images_header`` and ``image_line``
    (``{image}``, ``{description}``: one of the session's images), ``no_images`` (when there are none) and
    ``request`` (``{input}``: the human's words).
    """

    name: str
    language: str
    instructions: str
    tools_header: str
    images_header: str
    image_line: str
    no_images: str
    request: str

    DIRECTORY: ClassVar[Path] = PLAN_PROMPTS_DIR
    FILE_NAME: ClassVar[str] = PLAN_TEMPLATE_FILE_NAME

    def __post_init__(self) -> None:
        self.require({"image_line": ("{image}", "{description}"), "request": ("{input}",)})
        if offered_tools(self.instructions):
            raise TemplateError(f"plan template {self.name!r}: instructions may not contain tool lines ('> Name(...)')")

    @classmethod
    def beside(cls, adapter: str | Path | None, language: str = "en") -> PlanTemplate:
        """The plan template saved with an adapter, else the shipped one in ``language``."""
        if adapter is not None and (Path(adapter) / cls.FILE_NAME).is_file():
            return cls.load(adapter)
        return cls.load(language)

    def render_images(self, images: Sequence[tuple[str, str]]) -> str:
        if not images:
            return self.no_images.strip()
        lines = (self.image_line.format(image=name, description=description).strip() for name, description in images)
        return "\n".join([self.images_header.strip(), *lines])

    def render_instruction(self, tools: Sequence[Tool], images: Sequence[tuple[str, str]], request: str) -> str:
        """The record's ``instruction``: the task, the offered tools, the session's images ``(file name,
        description)`` and the request."""
        if not tools:
            raise TemplateError("a plan prompt needs at least one tool")
        return (
            "\n\n".join(
                [
                    self.instructions.strip(),
                    "\n".join([self.tools_header.strip(), *(render_tool_line(tool) for tool in tools)]),
                    self.render_images(images),
                    self.request.format(input=request).strip(),
                ]
            )
            + "\n"
        )
