"""The plan format: HuggingGPT's task list over this project's tools.

A plan is a JSON list of steps::

    [{"task": "Edge Detection On Image", "id": 0, "dep": [-1], "args": {"image_path": "image/a.png"}},
     {"task": "Generate Image Condition On Canny Image", "id": 1, "dep": [0],
      "args": {"image_path": "<GENERATED>-0", "text": "a red fox"}}]

- ``task`` is the exact name of a tool; ``args`` maps the names of the tool's typed inputs to values;
- a value ``"<GENERATED>-k"`` is the output of step ``k``: an image for an image input, a text for a text input.
  A box-taking tool (Crop Image, Blur Region) given a detection step's output as its image takes that detection's
  boxes on the image the detection looked at, and leaves out ``left``, ``top``, ``right`` and ``bottom``;
- ``dep`` lists the steps whose outputs a step uses, ``[-1]`` when none. It is derived from the references
  (as HuggingGPT's ``fix_dep`` does); what a model writes there is not trusted;
- ``[]`` is the plan that needs no tool.

This module renders, decodes and validates plans (errors say what to change), compares them (exact-plan
equality that ignores the order of independent steps), describes them for people, and converts them to and
from TaskBench's ``task_nodes`` / ``task_links`` form, where ``"<node-j>"`` is the output of the j-th node.
"""

from __future__ import annotations

import difflib
import json
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from protocol.errors import InputError
from tools.spec import InputKind, OutputKind, ToolInput, parse_size

GENERATED = "<GENERATED>"
NO_DEPENDENCY = -1
STEP_KEYS = ("task", "id", "dep", "args")
BOX_CORNERS = ("left", "top", "right", "bottom")
NODE_REFERENCE = "<node-{}>"
IMAGE_FILE = re.compile(r"^[^\s\"',]+\.(?:png|jpe?g|webp|bmp|gif|tiff?)$", re.IGNORECASE)
_REFERENCE = re.compile(r"^<GENERATED>-(\d+)$")
# A reference written loosely ("<GENERATED >-1", "<generated>-1") or inside other words: never a literal text.
LOOSE_REFERENCE = re.compile(r"<\s*generated", re.IGNORECASE)
_NODE_REFERENCE = re.compile(r"^<node-(\d+)>$")


class PlanError(ValueError, InputError):
    """A plan that does not decode or does not fit the tools; the message names the step and the fix."""


class Tool(Protocol):
    """What a plan needs of a tool: a :class:`~tools.spec.ToolSpec`, or a :class:`Signature` read from a prompt."""

    @property
    def name(self) -> str: ...

    @property
    def inputs(self) -> tuple[ToolInput, ...]: ...

    @property
    def output(self) -> OutputKind: ...


@dataclass(frozen=True)
class Signature:
    """A tool as a plan prompt lists it: name, typed inputs, output kind (no description, no backend)."""

    name: str
    inputs: tuple[ToolInput, ...]
    output: OutputKind


def takes_a_box(tool: Tool) -> bool:
    """Whether the tool's inputs after the first are a box's corners (Crop Image, Blur Region)."""
    rest = tool.inputs[1:]
    return tuple(i.name for i in rest) == BOX_CORNERS and all(i.kind is InputKind.NUMBER for i in rest)


@dataclass(frozen=True)
class Reference:
    """The output of the step with id ``step``."""

    step: int

    def __str__(self) -> str:
        return f"{GENERATED}-{self.step}"


Value = str | int | float | Reference


def parse_value(value: Any) -> Value:
    """A JSON argument value as a plan holds it: ``"<GENERATED>-k"`` becomes a :class:`Reference`."""
    if isinstance(value, str):
        match = _REFERENCE.match(value.strip())
        return Reference(int(match.group(1))) if match else value
    return value


@dataclass(frozen=True)
class PlanStep:
    """One step: a tool call whose arguments may reference earlier steps' outputs."""

    task: str
    id: int
    args: tuple[tuple[str, Value], ...]

    @classmethod
    def of(cls, task: str, id: int, args: Mapping[str, Any]) -> PlanStep:
        """A step from plain values (``"<GENERATED>-k"`` strings become references)."""
        return cls(task, id, tuple((name, parse_value(value)) for name, value in args.items()))

    @property
    def arguments(self) -> dict[str, Value]:
        return dict(self.args)

    @property
    def references(self) -> tuple[int, ...]:
        """Ids of the steps this one uses, in argument order, without repeats."""
        return tuple(dict.fromkeys(v.step for _, v in self.args if isinstance(v, Reference)))

    @property
    def deps(self) -> list[int]:
        """HuggingGPT's ``dep``: the referenced ids in ascending order, ``[-1]`` when there are none."""
        return sorted(self.references) or [NO_DEPENDENCY]

    def as_dict(self) -> dict[str, Any]:
        args = {name: str(v) if isinstance(v, Reference) else v for name, v in self.args}
        return {"task": self.task, "id": self.id, "dep": self.deps, "args": args}


@dataclass(frozen=True)
class Plan:
    """A task list; ``Plan()`` needs no tool."""

    steps: tuple[PlanStep, ...] = ()

    def render(self) -> str:
        """The plan as the model writes it (one line of JSON, ``dep`` derived from the references)."""
        return json.dumps([step.as_dict() for step in self.steps], ensure_ascii=False)

    def __len__(self) -> int:
        return len(self.steps)

    @property
    def tasks(self) -> list[str]:
        return [step.task for step in self.steps]

    def by_id(self) -> dict[int, PlanStep]:
        return {step.id: step for step in self.steps}

    @property
    def links(self) -> list[tuple[int, int]]:
        """``(source id, target id)`` for every reference."""
        return [(source, step.id) for step in self.steps for source in step.references]


def without_repeats(plan: Plan) -> tuple[Plan, dict[int, int]]:
    """``plan`` without the steps that repeat an earlier one (the same tool on the same arguments, references read
    through the repeats), and the kept id each left-out id stands for; later steps use the kept step's output.

    A small planner sometimes writes a step twice ("edges, edges, rotate"): run twice, it makes the same file twice.
    """
    kept: list[PlanStep] = []
    same: dict[int, int] = {}
    first: dict[tuple[str, tuple[tuple[str, Value], ...]], int] = {}
    for step in plan.steps:
        args = tuple(
            (name, Reference(same.get(value.step, value.step)) if isinstance(value, Reference) else value)
            for name, value in step.args
        )
        key = (step.task, args)
        if key in first:
            same[step.id] = first[key]
            continue
        first[key] = step.id
        kept.append(PlanStep(step.task, step.id, args))
    return (plan, {}) if not same else (Plan(tuple(kept)), same)


# --------------------------------------------------------------------------------------------- decoding
def extract_json(text: str) -> Any:
    """The plan in ``text``: the first JSON list of objects (or ``[]``) in it; text around it, such as a code
    fence, is ignored. A list nested in a broken plan (its ``dep``, say) is only taken when nothing better is found."""
    decoder = json.JSONDecoder()
    start = text.find("[")
    first: tuple[Any] | None = None
    error: json.JSONDecodeError | None = None
    while start >= 0:
        try:
            value = decoder.raw_decode(text, start)[0]
        except json.JSONDecodeError as exc:
            error = error or exc
        else:
            if not value or isinstance(value[0], dict):
                return value
            first = first or (value,)
        start = text.find("[", start + 1)
    if error is not None:
        raise PlanError(f"the plan is not valid JSON ({error.msg}: character {error.pos}); write a JSON list of steps")
    if first is not None:
        return first[0]
    raise PlanError("no JSON list found; a plan is a JSON list of steps, or [] when no tool is needed")


def _step_from_json(item: Any, index: int) -> PlanStep:
    where = f"step {index + 1}"
    if not isinstance(item, dict):
        raise PlanError(f'{where} is {type(item).__name__}; each step is an object {{"task", "id", "dep", "args"}}')
    unknown = sorted(set(item) - set(STEP_KEYS))
    missing = [key for key in ("task", "id", "args") if key not in item]
    if unknown or missing:
        problems = ([f"lacks {', '.join(map(repr, missing))}"] if missing else []) + (
            [f"has unknown key(s) {', '.join(map(repr, unknown))}"] if unknown else []
        )
        raise PlanError(f"{where} {' and '.join(problems)}; a step has exactly task, id, dep and args")
    task, step_id, args = item["task"], item["id"], item["args"]
    if not isinstance(task, str) or not task.strip():
        raise PlanError(f'{where}: "task" must be a tool name (a string), got {task!r}')
    if isinstance(step_id, bool) or not isinstance(step_id, int) or step_id < 0:
        raise PlanError(f'{where}: "id" must be a whole number 0 or above, got {step_id!r}')
    dep = item.get("dep", [NO_DEPENDENCY])
    if not isinstance(dep, list) or any(isinstance(d, bool) or not isinstance(d, int) for d in dep):
        raise PlanError(f'{where}: "dep" must be a list of step ids, or [-1] for none; got {dep!r}')
    if not isinstance(args, dict):
        raise PlanError(f'{where}: "args" must be an object mapping input names to values, got {args!r}')
    values = []
    for name, value in args.items():
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise PlanError(f"{where}: argument {name!r} must be a string or a number, got {value!r}")
        parsed = parse_value(value)
        if isinstance(parsed, str) and LOOSE_REFERENCE.search(parsed):
            raise PlanError(
                f'{where}: argument {name!r} is {value!r}; write a step\'s output alone, as "{GENERATED}-k"'
            )
        values.append((name, parsed))
    return PlanStep(task.strip(), step_id, tuple(values))


def decode_plan(text: str) -> Plan:
    """The plan in a model reply, checked for shape only (see :func:`validate_plan` for the tools).

    Raises:
        PlanError: no JSON list, invalid JSON, or a step that is not ``{"task", "id", "dep", "args"}``.
    """
    data = extract_json(text) if isinstance(text, str) else text
    if not isinstance(data, list):
        raise PlanError(f"a plan is a JSON list of steps ([] for no tool), got {type(data).__name__}")
    return Plan(tuple(_step_from_json(item, index) for index, item in enumerate(data)))


# --------------------------------------------------------------------------------------------- validation
def _tools_by_name(tools: Iterable[Tool] | Mapping[str, Tool]) -> dict[str, Tool]:
    if isinstance(tools, Mapping):
        return dict(tools)
    return {tool.name: tool for tool in tools}


def _cycle(plan: Plan) -> list[int] | None:
    """The ids of a reference cycle (first id repeated at the end), or ``None``."""
    edges = {step.id: [r for r in step.references] for step in plan.steps}
    state: dict[int, int] = {}  # 1: on the current path, 2: done
    path: list[int] = []

    def visit(node: int) -> list[int] | None:
        state[node] = 1
        path.append(node)
        for nxt in edges.get(node, []):
            if nxt not in edges:
                continue
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        path.pop()
        state[node] = 2
        return None

    for step in plan.steps:
        if step.id not in state and (found := visit(step.id)):
            return found
    return None


def accepted_outputs(tool: Tool, name: str) -> tuple[OutputKind, ...]:
    """What earlier steps' outputs input ``name`` of ``tool`` may take: an image input takes an image (and, on a
    box-taking tool, a detection's boxes), a text input a text; numbers and sizes are written out."""
    kind = next(i.kind for i in tool.inputs if i.name == name)
    if kind is InputKind.IMAGE:
        first = tool.inputs[0].name == name
        return (OutputKind.IMAGE, OutputKind.BOXES) if first and takes_a_box(tool) else (OutputKind.IMAGE,)
    return (OutputKind.TEXT,) if kind is InputKind.TEXT else ()


def required_inputs(tool: Tool, first_value: Value, outputs: Mapping[int, OutputKind]) -> tuple[str, ...]:
    """The inputs a step must give: all of them, except a box-taking tool's corners when its image input is a
    detection step's output (``outputs``: each step id's output kind)."""
    names = tuple(i.name for i in tool.inputs)
    if takes_a_box(tool) and isinstance(first_value, Reference) and outputs.get(first_value.step) is OutputKind.BOXES:
        return names[:1]
    return names


@dataclass
class _Checker:
    """The context one plan's steps are checked in."""

    plan: Plan
    tools: Mapping[str, Tool]
    images: Sequence[str] | None

    def __post_init__(self) -> None:
        self.position = {step.id: index for index, step in reversed(list(enumerate(self.plan.steps)))}
        self.steps = self.plan.by_id()
        self.outputs = {step.id: self.tools[step.task].output for step in self.plan.steps if step.task in self.tools}

    def problems(self) -> list[str]:
        repeated = [
            f"step {index + 1} repeats id {step.id} (step {self.position[step.id] + 1} has it); give every step "
            "its own id: 0, 1, 2 ... in order"
            for index, step in enumerate(self.plan.steps)
            if self.position[step.id] != index
        ]
        if repeated:
            return repeated
        problems = []
        cycle = _cycle(self.plan)
        if cycle and len(cycle) == 2:
            problems.append(f"step id {cycle[0]} uses its own output; a step can only use outputs of earlier steps")
        elif cycle:
            loop = " -> ".join(str(i) for i in cycle)
            problems.append(f"steps {loop} use each other's outputs in a cycle; each step may use earlier steps only")
        for index, step in enumerate(self.plan.steps):
            problems += self.step_problems(index, step)
        return problems

    def step_problems(self, index: int, step: PlanStep) -> list[str]:
        where = f"step {index + 1} (id {step.id})"
        tool = self.tools.get(step.task)
        if tool is None:
            close = difflib.get_close_matches(step.task, list(self.tools), n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            return [f"{where}: unknown tool {step.task!r}; {hint}use one of: {', '.join(self.tools)}"]
        kinds = {i.name: i.kind for i in tool.inputs}
        given = step.arguments
        first = given.get(tool.inputs[0].name, "")
        outputs = self.outputs
        if isinstance(first, Reference) and first.step in outputs:
            outputs = {**outputs, first.step: self.output_for(tool, tool.inputs[0].name, first)}
        required = required_inputs(tool, first, outputs)
        problems = []
        for name in given:
            if name not in kinds:
                problems.append(f"{where}: {tool.name!r} has no input {name!r}; its inputs are {', '.join(kinds)}")
            elif name not in required:
                problems.append(
                    f"{where}: {name!r} comes from the detection in {tool.inputs[0].name!r}; leave out "
                    f"{', '.join(BOX_CORNERS)}, or give an image file and four numbers"
                )
        missing = [name for name in required if name not in given]
        if missing:
            problems.append(
                f"{where}: {tool.name!r} needs {', '.join(map(repr, missing))} too; its inputs are {', '.join(required)}"
            )
        for name, value in step.args:
            if name in required:
                problem = self.value_problem(tool, name, kinds[name], value, index, step.id)
                if problem:
                    problems.append(f"{where}, {name!r}: {problem}")
        return problems

    def value_problem(  # noqa: PLR0917 (one argument's context)
        self, tool: Tool, name: str, kind: InputKind, value: Value, index: int, step_id: int
    ) -> str | None:
        """What is wrong with one argument value, or ``None``."""
        if isinstance(value, Reference):
            return self.reference_problem(tool, name, value, index, step_id)
        if kind is InputKind.IMAGE:
            if not isinstance(value, str) or not IMAGE_FILE.match(value):
                return f'{value!r} is not an image file name; give a file name or "{GENERATED}-k"'
            if self.images is not None and value not in self.images:
                known = ", ".join(self.images) or "none"
                return f'{value!r} is not an image of this session (images: {known}); use one, or "{GENERATED}-k"'
        elif kind is InputKind.TEXT:
            if not isinstance(value, str) or not value.strip():
                return f"give a non-empty text in quotes, got {value!r}"
        elif kind is InputKind.NUMBER:
            if not isinstance(value, int | float):
                return f"give a number without quotes (e.g. 90), got {value!r}"
        elif not isinstance(value, str):
            return f'give a size in quotes as "WIDTHxHEIGHT" (e.g. "1024x768"), got {value!r}'
        else:
            try:
                parse_size(value)
            except ValueError as exc:
                return str(exc)
        return None

    def output_for(self, tool: Tool, name: str, value: Reference) -> OutputKind:
        """What the step ``value`` refers to gives input ``name`` of ``tool``: its output, or boxes where it reads text
        and says where (``ToolSpec.places_text``) and the input takes a detection's boxes ("crop to the sign")."""
        output = self.outputs[value.step]
        source = self.tools[self.steps[value.step].task]
        if output is OutputKind.TEXT and getattr(source, "places_text", False):
            return OutputKind.BOXES if OutputKind.BOXES in accepted_outputs(tool, name) else output
        return output

    def reference_problem(self, tool: Tool, name: str, value: Reference, index: int, step_id: int) -> str | None:
        if value.step not in self.position:
            return f"there is no step with id {value.step}; refer to an earlier step's id"
        if value.step == step_id:
            return None  # reported as a cycle
        if self.position[value.step] > index:
            return f"step id {value.step} comes later; put the step whose output is used first"
        if value.step not in self.outputs:
            return None  # its unknown tool is reported on its own step
        accepted = accepted_outputs(tool, name)
        output = self.output_for(tool, name, value)
        if output in accepted:
            return None
        source = self.steps[value.step].task
        if not accepted:
            return f"write the value out; step id {value.step} ({source}) cannot give it"
        wanted = " or ".join(kind.value for kind in accepted)
        return f"step id {value.step} ({source}) gives {output.value}, but this input takes {wanted}"


def plan_problems(
    plan: Plan, tools: Iterable[Tool] | Mapping[str, Tool], images: Sequence[str] | None = None
) -> list[str]:
    """Everything wrong with ``plan`` for ``tools`` (and, when given, the session's ``images``), each problem
    with its fix; empty when the plan can run."""
    return _Checker(plan, _tools_by_name(tools), images).problems()


def validate_plan(plan: Plan, tools: Iterable[Tool] | Mapping[str, Tool], images: Sequence[str] | None = None) -> Plan:
    """``plan`` when it can run with ``tools`` (and ``images``); raises :class:`PlanError` naming every problem."""
    problems = plan_problems(plan, tools, images)
    if problems:
        raise PlanError("; ".join(problems))
    return plan


def parse_plan(text: str, tools: Iterable[Tool] | Mapping[str, Tool], images: Sequence[str] | None = None) -> Plan:
    """Decode and validate a plan in one go (see :func:`decode_plan`, :func:`validate_plan`)."""
    return validate_plan(decode_plan(text), tools, images)


# --------------------------------------------------------------------------------------------- comparing
def _number(value: Value) -> Value:
    return float(value) if isinstance(value, int | float) else value


def step_signatures(plan: Plan) -> Counter:
    """Each step as what it computes (tool, arguments, the referenced steps' signatures, recursively), counted;
    two plans with equal signatures do the same work whatever their ids and the order of independent steps."""
    steps = plan.by_id()
    memo: dict[int, Any] = {}

    def signature(step_id: int, seen: frozenset[int]) -> Any:
        if step_id in memo:
            return memo[step_id]
        step = steps.get(step_id)
        if step is None or step_id in seen:
            return ("missing", step_id)
        args = tuple(
            sorted(
                (
                    (name, ("ref", signature(v.step, seen | {step_id})))
                    if isinstance(v, Reference)
                    else (name, ("value", _number(v)))
                    for name, v in step.args
                ),
                key=repr,
            )
        )
        memo[step_id] = (step.task, args)
        return memo[step_id]

    return Counter(signature(step.id, frozenset()) for step in plan.steps)


def same_plan(a: Plan, b: Plan) -> bool:
    """Whether two plans do the same work (see :func:`step_signatures`)."""
    return len(a) == len(b) and step_signatures(a) == step_signatures(b)


def plan_shape(plan: Plan) -> str:
    """``none`` (no tool), ``single``, ``chain`` (each step uses exactly the one before it) or ``dag``."""
    if not plan.steps:
        return "none"
    if len(plan.steps) == 1:
        return "single"
    first, *rest = plan.steps
    chained = not first.references and all(
        step.references == (previous.id,) for previous, step in zip(plan.steps, rest, strict=False)
    )
    return "chain" if chained else "dag"


# --------------------------------------------------------------------------------------------- for people
_WORDS = {
    "en": {"none": "No tool is needed.", "output": "the output of step {n}", "after": "uses step {steps}"},
    "zh": {"none": "不需要工具。", "output": "第 {n} 步的结果", "after": "用到第 {steps} 步"},
}


def describe_plan(plan: Plan, language: str = "en") -> str:
    """The plan as numbered lines a person can read, e.g.
    ``2. Generate Image Condition On Canny Image (uses step 1): image_path = the output of step 1, text = "a fox"``."""
    words = _WORDS.get(language, _WORDS["en"])
    if not plan.steps:
        return words["none"]
    number = {step.id: index + 1 for index, step in enumerate(plan.steps)}

    def show(value: Value) -> str:
        if isinstance(value, Reference):
            return words["output"].format(n=number.get(value.step, f"id {value.step}"))
        return json.dumps(value, ensure_ascii=False)

    lines = []
    for index, step in enumerate(plan.steps):
        used = [str(number.get(r, f"id {r}")) for r in step.references]
        after = f" ({words['after'].format(steps=', '.join(used))})" if used else ""
        args = ", ".join(f"{name} = {show(value)}" for name, value in step.args)
        lines.append(f"{index + 1}. {step.task}{after}: {args}")
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------- TaskBench
def to_taskbench(plan: Plan) -> dict[str, list[dict[str, Any]]]:
    """TaskBench's form: ``task_nodes`` with named arguments (``"<node-j>"`` for the j-th node's output) and
    ``task_links`` between tool names."""
    position = {step.id: index for index, step in enumerate(plan.steps)}
    names = plan.tasks
    nodes = []
    for step in plan.steps:
        arguments = [
            {
                "name": name,
                "value": NODE_REFERENCE.format(position.get(v.step, v.step)) if isinstance(v, Reference) else v,
            }
            for name, v in step.args
        ]
        nodes.append({"task": step.task, "arguments": arguments})
    links = [
        {"source": names[position[source]], "target": plan.steps[position[target]].task}
        for source, target in plan.links
        if source in position
    ]
    return {"task_nodes": nodes, "task_links": links}


def from_taskbench(result: Mapping[str, Any], tools: Iterable[Tool] | Mapping[str, Tool] | None = None) -> Plan:
    """A plan from TaskBench's ``task_nodes`` (ids are node positions; ``"<node-j>"`` becomes a reference).

    Arguments may be ``{"name", "value"}`` objects or, as in TaskBench's resource-type data, bare values, which
    are given the tool's input names in order (``tools`` must then know the tool). With ``tools``, a numeric
    string given to a number input becomes a number.
    """
    nodes = result.get("task_nodes") if isinstance(result, Mapping) else None
    if not isinstance(nodes, list):
        raise PlanError('a TaskBench plan needs "task_nodes": a list of {"task", "arguments"} objects')
    by_name = _tools_by_name(tools) if tools is not None else {}
    steps = []
    for index, node in enumerate(nodes):
        if not isinstance(node, Mapping) or not isinstance(node.get("task"), str):
            raise PlanError(f'task node {index} must be an object with a "task" name, got {node!r}')
        task = node["task"]
        tool = by_name.get(task)
        arguments = node.get("arguments", [])
        if not isinstance(arguments, list):
            raise PlanError(f"task node {index} ({task}): arguments must be a list, got {arguments!r}")
        pairs = []
        for position, argument in enumerate(arguments):
            if isinstance(argument, Mapping) and "name" in argument and "value" in argument:
                name, value = str(argument["name"]), argument["value"]
            elif tool is not None and position < len(tool.inputs):
                name, value = tool.inputs[position].name, argument
            else:
                raise PlanError(
                    f"task node {index} ({task}): argument {argument!r} has no name; give "
                    '{"name", "value"} objects, or pass the tools so bare values take the input names in order'
                )
            match = _NODE_REFERENCE.match(value) if isinstance(value, str) else None
            if match:
                value = Reference(int(match.group(1)))
            elif tool is not None and isinstance(value, str):
                value = _coerce(tool, name, value)
            pairs.append((name, value))
        steps.append(PlanStep(task, index, tuple(pairs)))
    return Plan(tuple(steps))


def _coerce(tool: Tool, name: str, value: str) -> Value:
    kind = next((i.kind for i in tool.inputs if i.name == name), None)
    if kind is InputKind.NUMBER:
        try:
            number = float(value)
        except ValueError:
            return value
        return int(number) if number.is_integer() and "." not in value else number
    return value
