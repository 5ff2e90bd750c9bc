"""Protocol-correct training records rendered by PromptTemplate from the tool catalogue (test and benchmark data)."""

from __future__ import annotations

import random

from protocol.prompt import PromptTemplate
from protocol.records import Record
from protocol.steps import THOUGHT_NO, THOUGHT_YES, FinalAnswer, ObservedStep, ToolCall
from tools.catalog import TOOL_SPECS
from tools.spec import InputKind, ToolSpec

_TEXT_ARGUMENTS = ("a red car on a bridge", "how many people are there", "make it look like winter", "a dog")


def _arguments(spec: ToolSpec, image: str) -> str:
    values = [image if item.kind is InputKind.IMAGE else random.choice(_TEXT_ARGUMENTS) for item in spec.inputs]
    return ", ".join(values)


def make_records(count: int, seed: int = 0, language: str = "en", max_tools: int = 8) -> list[Record]:
    """``count`` records: a random tool subset, an uploaded image, zero or one earlier step, a call or an answer."""
    random.seed(seed)
    template = PromptTemplate.load(language)
    records = []
    for index in range(count):
        tools = random.sample(TOOL_SPECS, k=random.randint(2, max_tools))
        image = f"image/{random.getrandbits(32):08x}.png"
        history = template.introduce_image(image, "a photo of a street with cars and people.")
        spec = random.choice(tools)
        request = f"Please use the {spec.name.lower()} on {image}."
        instruction = template.render_instruction(tools, history, request)
        call = ToolCall(THOUGHT_YES, spec.name, _arguments(spec, image))
        if index % 3 == 2:
            result = f"image/{random.getrandbits(32):08x}_{spec.operation}.png"
            scratchpad = template.render_scratchpad([ObservedStep(call, result)])
            output = FinalAnswer(THOUGHT_NO, f"Here is the result: {result}").render()
        else:
            scratchpad, output = "", call.render()
        records.append(Record(instruction, scratchpad, output, id=str(index)))
    return records


def make_trajectories(count: int, seed: int = 0, language: str = "en", max_steps: int = 3) -> list[Record]:
    """The records of ``count`` multi-step trajectories, shuffled: one to ``max_steps`` tool calls on an uploaded
    image, then the answer, each step a record whose scratchpad holds the steps before it (as data_gen writes them)."""
    random.seed(seed)
    template = PromptTemplate.load(language)
    records = []
    for number in range(count):
        tools = random.sample(TOOL_SPECS, k=random.randint(2, 6))
        image = f"image/{random.getrandbits(32):08x}.png"
        history = template.introduce_image(image, "a photo of a street with cars and people.")
        instruction = template.render_instruction(tools, history, f"Please edit {image} in a few steps.")
        observed: list[ObservedStep] = []
        for step in range(random.randint(1, max_steps)):
            spec = random.choice(tools)
            call = ToolCall(THOUGHT_YES, spec.name, _arguments(spec, image))
            records.append(Record(instruction, template.render_scratchpad(observed), call.render(), f"{number}-{step}"))
            image = f"image/{random.getrandbits(32):08x}_{spec.operation}.png"
            observed.append(ObservedStep(call, image))
        answer = FinalAnswer(THOUGHT_NO, f"Here is the result: {image}").render()
        records.append(Record(instruction, template.render_scratchpad(observed), answer, f"{number}-answer"))
    random.shuffle(records)
    return records
