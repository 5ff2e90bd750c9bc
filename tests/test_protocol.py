"""The prompt protocol: rendering, wrapping for a base model, and parsing replies back."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from protocol.prompt import PromptTemplate, TemplateError, Turn
from protocol.steps import (
    THOUGHT_NO,
    THOUGHT_YES,
    FinalAnswer,
    ObservedStep,
    ParseError,
    ToolCall,
    parse_reply,
    parse_trajectory,
    thought_decision,
    without_loop,
    without_protocol,
)
from tools.catalog import TOOL_SPECS, default_registry
from tools.spec import InputKind

LANGUAGES = ["en", "zh"]


def example_arguments(spec) -> str:
    values = {
        InputKind.IMAGE: "image/4b3f_edge_1a2c.png",
        InputKind.TEXT: "a red bicycle, leaning on a wall",
        InputKind.NUMBER: "128",
        InputKind.SIZE: "1024x768",
    }
    parts = [values[i.kind] for i in spec.inputs]
    if spec.inputs[-1].kind is not InputKind.TEXT:
        parts = [p.replace(",", "") for p in parts]
    return ", ".join(parts)


@pytest.mark.parametrize("spec", TOOL_SPECS, ids=lambda s: s.name)
def test_tool_call_round_trip_for_every_spec(spec):
    call = ToolCall(THOUGHT_YES, spec.name, example_arguments(spec))
    parsed = parse_reply(call.render())
    assert parsed == call
    assert (
        spec.split_arguments(parsed.action_input)[0] == "image/4b3f_edge_1a2c.png"
        or spec.inputs[0].kind is not InputKind.IMAGE
    )
    assert len(spec.split_arguments(parsed.action_input)) == len(spec.inputs)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_tool_is_listed_with_its_inputs(language):
    template = PromptTemplate.load(language)
    instruction = template.render_instruction(TOOL_SPECS, [], "make an edge map")
    for spec in TOOL_SPECS:
        line = next(line for line in instruction.splitlines() if line.startswith(f"> {spec.name}:"))
        for tool_input in spec.inputs:
            assert tool_input.name in line


@pytest.mark.parametrize("language", LANGUAGES)
def test_instruction_holds_every_part_in_order(language):
    template = PromptTemplate.load(language)
    history = [*template.introduce_image("image/abc.png", "a cat on a sofa"), Turn("human", "thanks")]
    instruction = template.render_instruction(list(default_registry())[:3], history, "what is in it?")
    persona = template.persona.strip().splitlines()[0]
    positions = [
        instruction.index(persona),
        instruction.index("> Get Photo Description"),
        instruction.index("Action Input:"),
        instruction.index("image/abc.png"),
        instruction.index("what is in it?"),
    ]
    assert positions == sorted(positions)
    assert "Human: thanks" in instruction
    assert "AI: " + template.image_acknowledgement in instruction


def test_final_answer_round_trip():
    answer = FinalAnswer(THOUGHT_NO, "The edge map is image/1a_edge_2b.png, with many edges.")
    assert parse_reply(answer.render()) == answer


def test_reply_stops_at_observation():
    reply = "Thought: Do I need to use a tool? Yes\nAction: Detection\nAction Input: a.png\nObservation: junk\nAI: x"
    assert parse_reply(reply) == ToolCall(THOUGHT_YES, "Detection", "a.png")


def test_arguments_are_split_on_commas():
    call = parse_reply("Thought: Do I need to use a tool? Yes\nAction: X\nAction Input: a.png, a dog , sky\n")
    assert call.arguments == ("a.png", "a dog", "sky")


@pytest.mark.parametrize(
    ("reply", "fragment"),
    [
        ("", "empty"),
        ("I think the answer is blue.", "neither 'Action:'"),
        ("Thought: Do I need to use a tool? Yes\nAction: Detection\n", "no 'Action Input:'"),
        ("Thought: Do I need to use a tool? Yes\nAction:   \nAction Input: a.png", "'Action:' is empty"),
        ("Thought: Do I need to use a tool? No\nAI:   ", "followed by nothing"),
    ],
)
def test_malformed_replies_explain_what_is_wrong(reply, fragment):
    step = parse_reply(reply)
    assert isinstance(step, ParseError)
    assert fragment in step.message


def test_thought_decision():
    assert thought_decision(THOUGHT_YES) is True
    assert thought_decision(THOUGHT_NO) is False
    assert thought_decision("hmm") is None


def test_trajectory_of_scratchpad_and_reply():
    steps = [
        ObservedStep(ToolCall(THOUGHT_YES, "Edge Detection On Image", "a.png"), "image/a_edge.png"),
        ObservedStep(
            ToolCall(THOUGHT_YES, "Generate Image Condition On Canny Image", "image/a_edge.png, a cat"),
            "b.png",
        ),
    ]
    text = PromptTemplate.render_scratchpad(steps) + FinalAnswer(THOUGHT_NO, "Done: b.png").render()
    parsed = parse_trajectory(text)
    assert [p[0] for p in parsed] == [s.call for s in steps] + [FinalAnswer(THOUGHT_NO, "Done: b.png")]
    assert [p[1] for p in parsed] == ["image/a_edge.png", "b.png", None]


@settings(max_examples=1500, deadline=None)
@given(st.text())
def test_parser_never_raises_on_arbitrary_text(text):
    assert isinstance(parse_reply(text), ToolCall | FinalAnswer | ParseError)
    assert isinstance(parse_trajectory(text), list)


KEYWORD_SOUP = st.lists(
    st.sampled_from(["Thought:", "Action:", "Action Input:", "Observation:", "AI:", "\n", " ", ",", "Yes", "No", "x"]),
    max_size=40,
).map("".join)


@settings(max_examples=1500, deadline=None)
@given(KEYWORD_SOUP)
def test_parser_never_raises_on_protocol_keyword_soup(text):
    step = parse_reply(text)
    if isinstance(step, ToolCall):
        assert step.tool and "\n" not in step.tool
    if isinstance(step, FinalAnswer):
        assert step.answer


@pytest.mark.parametrize("language", LANGUAGES)
def test_chat_wrap_is_identical_for_training_and_serving(language, tiny_tokenizer):
    template = PromptTemplate.load(language)
    instruction = template.render_instruction(TOOL_SPECS[:2], [], "describe image/a.png")
    scratchpad = ObservedStep(ToolCall(THOUGHT_YES, "Get Photo Description", "image/a.png"), "a cat").render()
    prompt, completion = template.training_pair(
        instruction, scratchpad, "Thought: Do I need to use a tool? No\nAI: a cat", tiny_tokenizer
    )
    assert prompt == template.wrap(instruction, scratchpad, tiny_tokenizer)
    assert prompt.startswith("<|im_start|>user\n") and prompt.endswith(scratchpad)
    assert "<|im_start|>assistant\n" in prompt
    assert completion.endswith("<|im_end|>")
    assert template.stop_strings(tiny_tokenizer) == ["Observation:", "<|im_end|>"]


def test_plain_wrap_without_chat_template(plain_tokenizer):
    template = PromptTemplate.load("en")
    prompt = template.wrap("INSTRUCTION", "", plain_tokenizer)
    assert prompt == "### Human: INSTRUCTION\n### Assistant: "
    ids, prompt_len = template.encode(plain_tokenizer, prompt, "AI: hi" + template.end_of_turn(plain_tokenizer))
    assert ids[0] == plain_tokenizer.bos_token_id
    assert ids[-1] == plain_tokenizer.eos_token_id
    assert 0 < prompt_len < len(ids)


def test_encode_keeps_the_exact_prompt_boundary(tiny_tokenizer):
    template = PromptTemplate.load("en")
    prompt = template.wrap("hello", "", tiny_tokenizer)
    ids, prompt_len = template.encode(tiny_tokenizer, prompt, "Thought: x<|im_end|>")
    assert ids[:prompt_len] == tiny_tokenizer(prompt, add_special_tokens=False)["input_ids"]
    assert tiny_tokenizer.decode(ids[prompt_len:]) == "Thought: x<|im_end|>"


def test_template_saved_with_an_adapter_loads_back(tmp_path):
    template = PromptTemplate.load("zh")
    template.save(tmp_path)
    assert PromptTemplate.load(tmp_path) == template


def test_template_errors_are_actionable(tmp_path):
    with pytest.raises(TemplateError, match="shipped templates: en, en_product, gpt4tools, zh"):
        PromptTemplate.load("klingon")
    broken = tmp_path / "broken.yaml"
    broken.write_text("name: x\n")
    with pytest.raises(TemplateError, match="missing fields"):
        PromptTemplate.load(broken)
    data = PromptTemplate.load("en").__dict__ | {"format_instructions": "just answer"}
    with pytest.raises(TemplateError, match="protocol keyword"):
        PromptTemplate.from_dict(data)


def test_fast_token_ids_match_the_tokenizer_call(tiny_tokenizer):
    from protocol.prompt import token_ids

    text = PromptTemplate.load("zh").wrap("多语言 text with <|im_end|> special tokens", "Thought:", tiny_tokenizer)
    assert token_ids(tiny_tokenizer, text) == tiny_tokenizer(text, add_special_tokens=False)["input_ids"]


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        # a model that writes the opening twice
        ("Thought: Do I need to use a tool? No\nAI: Done! I saved image/a.png.", "Done! I saved image/a.png."),
        ("Done! I saved image/a.png.", "Done! I saved image/a.png."),
        ("The poster says AI: the future", "The poster says AI: the future"),  # not at a line's start
    ],
)
def test_a_reply_is_shown_without_the_protocol(text, shown):
    assert without_protocol(text) == shown


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        # seen in a drive: the answer to "extract the text" went on to the token limit
        ('The text reads "the coins"' + 'The text reads "' * 12 + "The te", 'The text reads "the coins"'),
        ("It is done now. " * 4, "It is done now."),  # a loop from the start keeps one copy
        ("Done. Done. Done.", "Done. Done. Done."),  # too short to be a lost place
        ("1234567890" * 3, "1234567890" * 3),  # no words
        ("I rotated image/a.png and image/b.png.", "I rotated image/a.png and image/b.png."),
    ],
)
def test_an_answer_that_repeats_itself_is_cut_where_the_repetition_starts(text, kept):
    assert without_loop(text) == kept
