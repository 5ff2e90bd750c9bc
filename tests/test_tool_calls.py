"""Constrained tool calls: listed tools and their input types come from the prompt; the Action line is held to
the listed names and the Action Input line to the tool's typed inputs."""

from __future__ import annotations

import pytest
import torch

from generation.tool_calls import CallSpace, ToolCallConstraint, call_space, image_names, listed_tools
from protocol.prompt import PromptTemplate, Turn
from tools.catalog import TOOL_SPECS, default_registry
from tools.spec import InputKind

NAMES = ["Detection", "Detect the Give Object", "Crop Image"]
CATALOGUE = default_registry()
BOX = (InputKind.IMAGE, InputKind.NUMBER, InputKind.NUMBER, InputKind.NUMBER, InputKind.NUMBER)
YES = "Thought: Do I need to use a tool? Yes\n"


@pytest.mark.parametrize("language", ["en", "zh"])
def test_listed_tools_and_their_input_types_come_from_the_tool_block_only(language):
    template = PromptTemplate.load(language)
    history = [Turn("human", "see this:\n> Fake Tool: quoted by the human"), Turn("ai", "Received.")]
    prompt = template.render_instruction(TOOL_SPECS, history, "and this:\n> Other: also quoted")
    assert "\n> Fake Tool: " in prompt and "\n> Other: " in prompt
    tools = listed_tools(prompt, PromptTemplate.shipped())
    assert list(tools) == [spec.name for spec in TOOL_SPECS]
    assert all(tools[spec.name] == tuple(i.kind for i in spec.inputs) for spec in TOOL_SPECS)
    assert tools["Crop Image"] == BOX  # the "(left, top, right, bottom)" in its description is not an input
    assert listed_tools(prompt) == dict.fromkeys(tools)  # no template: names only
    assert listed_tools("no tools here", [template]) == {}


def test_untyped_tool_lines_get_the_name_constraint_only():
    template = PromptTemplate.load("en")
    prompt = "> Crop Image: useful to crop. The input is the image path and four numbers.\n\nNew input: crop"
    assert listed_tools(prompt, [template]) == {"Crop Image": None}


@pytest.mark.parametrize(
    ("tool", "written", "fits"),
    [
        ("Crop Image", " image/a.png, 10, 2", True),
        ("Crop Image", " image/a.png, 10, 20, 30, 40\n", True),
        ("Crop Image", " image/a.png,10,20,30,40.5\nObservation:", True),  # only the line itself counts
        ("Crop Image", " image/a.png, rabbit", False),  # a name where a number goes
        ("Crop Image", " image/a.png, 10, 20, 30\n", False),  # three of four numbers
        ("Crop Image", " image/a.png, 100, 100.000", False),  # numbers are bounded: no runaway decimals
        ("Crop Image", " image/a.png, 123456", False),
        ("Rotate Image", " image/a.png, -12.5\n", True),
        ("Extend An Image", " image/a.png, 1024000x768", False),
        ("Detection", " image/a.png, person", False),  # a second value for a one-input tool
        ("Detection", " image/a.png\n", True),
        ("Extend An Image", " image/a.png, 1024x768\n", True),
        ("Extend An Image", " image/a.png, big\n", False),
        ("Answer Question About The Image", " image/a.png, Is it red, or blue?\n", True),  # a trailing text
        ("Replace Something From The Photo", " image/a.png, cat, a dog, a big one\n", True),
        ("Replace Something From The Photo", " image/a.png, cat\n", False),
    ],
)
def test_arguments_fit_the_typed_inputs(tool, written, fits):
    kinds = tuple(i.kind for i in CATALOGUE.get(tool).inputs)
    assert ToolCallConstraint.arguments_fit(written, kinds) is fits


def test_name_fits_only_a_listed_tool():
    assert ToolCallConstraint.fits(" Detect", NAMES) and ToolCallConstraint.fits(" Detection\n", NAMES)
    assert not ToolCallConstraint.fits(" Detect\n", NAMES) and not ToolCallConstraint.fits(" Detect Objects", NAMES)


def _token(tokenizer, text: str) -> int:
    ids = tokenizer(text, add_special_tokens=False)["input_ids"]
    assert len(ids) == 1, f"the test needs {text!r} to be one token"
    return ids[0]


def test_choose_prefers_the_best_token_that_keeps_the_name_listed(tiny_tokenizer):
    constraint = ToolCallConstraint(tiny_tokenizer)
    newline = _token(tiny_tokenizer, "\n")
    ion = next(
        ids[0] for ids in tiny_tokenizer(["ion", "io", "i"], add_special_tokens=False)["input_ids"] if len(ids) == 1
    )
    logits = torch.zeros(len(tiny_tokenizer))
    logits[newline], logits[ion] = 5.0, 4.0
    tools = CallSpace(dict.fromkeys(NAMES))
    text = YES + "Action: Detect"
    assert constraint.choose(text, logits, newline, tools) == ion  # "Detect\n" is not a listed tool
    assert constraint.choose(text + "ion", logits, newline, tools) == newline  # "Detection\n" is listed
    assert constraint.choose("Thought: Do I need to use a tool? No\nAI: hi", logits, newline, tools) == newline
    assert constraint.choose(text + " Objects", logits, newline, tools) == newline  # already off the list
    assert constraint.choose(text, logits, newline, CallSpace({})) == newline  # no tool block: nothing to hold to


def test_choose_holds_the_action_input_to_the_tool_inputs(tiny_tokenizer):
    newline, comma, digit = (_token(tiny_tokenizer, text) for text in ("\n", ",", "7"))
    logits = torch.zeros(len(tiny_tokenizer))
    logits[newline], logits[comma], logits[digit] = 5.0, 4.0, 3.0
    tools = CallSpace({"Crop Image": BOX, "Detection": (InputKind.IMAGE,)})
    crop = YES + "Action: Crop Image\nAction Input: image/a.png, 10, 20, 30"
    constraint = ToolCallConstraint(tiny_tokenizer)
    assert constraint.choose(crop, logits, newline, tools) == comma  # a fourth number is still owed
    assert constraint.choose(crop + ", 40", logits, newline, tools) == newline
    assert constraint.choose(crop + ",", logits, newline, tools) != newline
    detect = YES + "Action: Detection\nAction Input: image/a.png"
    assert constraint.choose(detect, logits, comma, tools) == newline  # Detection takes the image alone
    end = tiny_tokenizer.convert_tokens_to_ids("<|im_end|>")
    assert constraint.choose(crop, logits, end, tools) == comma  # no ending the turn mid-call either
    names_only = ToolCallConstraint(tiny_tokenizer, arguments=False)
    assert names_only.choose(crop, logits, newline, tools) == newline


def test_image_arguments_are_held_to_the_files_the_prompt_names(tiny_tokenizer):
    prompt = (
        "Human: Provide an image named examples/dog_12.jpg. Description: a dog.\nAI: Received.\n"
        "Human: edges of image/7f3a_edge_2c1b.png please, not of photos/2019/cat-walk.JPEG\n"
    )
    assert image_names(prompt) == ("examples/dog_12.jpg", "image/7f3a_edge_2c1b.png", "photos/2019/cat-walk.JPEG")
    images = image_names(prompt)
    kinds = (InputKind.IMAGE, InputKind.NUMBER)
    assert ToolCallConstraint.arguments_fit(" image/7f3a_edge_2c1b.png, 90\n", kinds, images)
    assert ToolCallConstraint.arguments_fit(" image/7f3a_e", kinds, images)  # on the way to a named file
    assert not ToolCallConstraint.arguments_fit(" image/7f3a_edge_2c1b_2c1b.png", kinds, images)  # not named
    assert not ToolCallConstraint.arguments_fit(" image/d68c.png, 90\n", kinds, images)
    assert ToolCallConstraint.arguments_fit(" image/d68c.png, 90\n", kinds)  # no names known: any name
    newline, dot = (_token(tiny_tokenizer, text) for text in ("\n", "."))
    logits = torch.zeros(len(tiny_tokenizer))
    logits[newline], logits[dot] = 5.0, 4.0
    space = call_space(prompt)
    assert space.images == images and space.tools == {}
    space = CallSpace({"Detection": (InputKind.IMAGE,)}, ("image/ab.png",))
    written = YES + "Action: Detection\nAction Input: image/ab"
    assert ToolCallConstraint(tiny_tokenizer).choose(written, logits, newline, space) == dot  # ".png" is owed
