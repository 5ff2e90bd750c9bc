"""Fast-forward: the text a constraint forces (and only that) goes through the model in one pass, with the same result.

Forced text must be the only way a reply can go on (every token the constraint accepts begins it, or it begins the
token), and feeding it at once must give the text token-by-token decoding gives wherever the model would have
written those tokens itself.
"""

from __future__ import annotations

import random

import pytest
import torch

from generation.forcing import PROBE, common_rest, continuation_ids, unique_run
from generation.generator import HFGenerator
from generation.tool_calls import OPENING, CallSpace, ToolCallConstraint, call_space
from modeling.loading import load_for_inference
from protocol.plan_prompt import PlanTemplate
from protocol.steps import THOUGHT_NO
from tools.catalog import TOOL_SPECS
from tools.spec import InputKind

torch.set_num_threads(1)
IMAGE = (InputKind.IMAGE,)
TOOLS = {
    "Detection": IMAGE,
    "Detect the Give Object": (InputKind.IMAGE, InputKind.TEXT),
    "Rotate Image": (InputKind.IMAGE, InputKind.NUMBER),
    "Resize Image": (InputKind.IMAGE, InputKind.SIZE),
    "Answer": None,  # untyped inputs: the Action Input line is free
}
IMAGES = ("image/ab12.png", "image/ab34.png", "image/c5.png")
SPACE = CallSpace(TOOLS, IMAGES)
YES = OPENING + " Yes\n"


@pytest.fixture(scope="module")
def tiny(tiny_model_dir):
    model, tokenizer, template = load_for_inference(str(tiny_model_dir), dtype="fp32")
    torch.manual_seed(1)
    with torch.no_grad():
        for parameter in model.parameters():  # a random model that does not just repeat one token
            parameter.add_(torch.randn_like(parameter) * 0.3)
    return model, tokenizer, template


@pytest.mark.parametrize(
    ("written", "forced"),
    [
        ("", OPENING),
        ("Thou", OPENING[4:]),
        (OPENING, ""),  # Yes or No: the model's choice (the space goes with the word's token)
        (OPENING + " Y", "es\nAction:"),
        (OPENING + " N", "o\nAI:"),
        (YES + "Action:", ""),  # a space or not, then which tool
        (YES + "Action: R", ""),  # Rotate or Resize
        (YES + "Action: Ro", "tate Image\nAction Input:"),
        (YES + "Action: Detect", ""),  # Detection or Detect the Give Object
        (YES + "Action: Detect ", "the Give Object\nAction Input:"),
        (YES + "Action: Detection\nAction Input:", ""),  # a space or not
        (YES + "Action: Detection\nAction Input: image/", ""),  # which image
        (YES + "Action: Detection\nAction Input: image/a", "b"),  # one character: fed as it is decoded
        (YES + "Action: Detection\nAction Input: image/ab3", "4.png\nObservation:"),
        (YES + "Action: Rotate Image\nAction Input: image/c", "5.png"),  # a comma, with a space or not, comes next
        (YES + "Action: Rotate Image\nAction Input: image/c5.png, 9", ""),  # the number is the model's
        (YES + "Action: Rotate Image\nAction Input: image/c5.png, 90\n", "Observation:"),
        (YES + "Action: Resize Image\nAction Input: image/c5.png, 51", ""),
        (YES + "Action: Detect the Give Object\nAction Input: image/c5.png, a", ""),  # free text
        (YES + "Action: Answer\nAction Input: image/zz", ""),  # untyped: free up to the newline
        (YES + "Action: Answer\nAction Input: anything\n", "Observation:"),
        (OPENING + " No\nAI:", ""),
        (OPENING + " No\nAI: use Action: Ro", ""),  # the answer is free text, whatever it holds
        (OPENING + " No\nAI: It is here: image/", ""),  # which image is the model's choice
        (OPENING + " No\nAI: It is here: image/ab3", "4.png"),  # then the rest of the only one that fits
        (OPENING + " No\nAI: It is here: image/ab34.png", ""),  # a whole name: a full stop, a space...
        (OPENING + " No\nAI: see https://example.org/a", ""),  # no image lives there: free
        (OPENING + " Maybe", ""),  # off the protocol: nothing left to force
    ],
)
def test_forced_text_of_a_react_step(tiny_tokenizer, written, forced):
    assert ToolCallConstraint(tiny_tokenizer).forced(written, SPACE) == forced


@pytest.mark.parametrize(
    ("answer", "fits"),
    [
        ("Done: image/ab34.png", True),
        ("Done: image/ab34.png.", True),
        ("Done: image/ab34.png. Anything else?", True),
        ("Done: image/ab5", False),  # no image of the prompt starts so
        ("Done: image/ab34.pngx", False),
        ("Done: examples/dog.png", True),  # no image of the prompt is in that folder
    ],
)
def test_a_file_name_in_the_answer_is_one_of_the_prompts_images(tiny_tokenizer, answer, fits):
    position = ToolCallConstraint(tiny_tokenizer).position(f"{OPENING} No\nAI: {answer}", SPACE)
    assert (position is not None) is fits


def test_a_prompt_that_ends_inside_a_step_is_continued_and_no_tool_block_forces_nothing(tiny_tokenizer):
    constraint = ToolCallConstraint(tiny_tokenizer)
    answer = call_space(f"> Detection: finds objects.\n\nObservation: x\nThought: {THOUGHT_NO}\nAI:")
    assert answer.step == f"Thought: {THOUGHT_NO}\nAI:"
    assert constraint.forced("", answer) == "" == constraint.forced(" It is", answer)
    action = call_space("> Detection: finds objects.\n\nThought: Do I need to use a tool? Yes\nAction: Det")
    assert constraint.forced("", action) == "ection\nAction Input:"
    opened = f"{YES}Action: Detection\nAction Input:"  # the agent opened the step (agent/pending_edit.py)
    assert call_space(f"> Detection: finds objects.\n\nHuman: image/ab12.png\n{opened}").step == opened
    arguments = CallSpace(TOOLS, IMAGES, opened)
    assert constraint.forced(" image/ab3", arguments) == "4.png\nObservation:"
    assert constraint.position(" Thought: Do I", arguments) is None  # the arguments come next, nothing else
    assert constraint.forced("", CallSpace({})) == ""
    assert call_space("> Detection: finds objects.\n\n<|im_start|>assistant\n").step == ""


def _valid_pieces(constraint, text, space):
    line = constraint.position(text, space)
    return [p for p in dict.fromkeys(constraint.pieces) if p and constraint._advance(line, p, space) is not None]


def _random_prefixes(constraint, space, seed, steps=60):
    """Prefixes of valid replies, each grown by a random token the constraint accepts."""
    rng = random.Random(seed)
    text, prefixes = "", [""]
    for _ in range(steps):
        line = constraint.position(text, space)
        if line is None or line.keyword == "":  # free text: nothing is forced there (checked above)
            break
        text += rng.choice(_valid_pieces(constraint, text, space))
        prefixes.append(text)
        if text.endswith("Observation:"):
            break
    return prefixes


@pytest.mark.parametrize("seed", range(6))
def test_forced_text_is_never_where_the_model_has_a_choice(tiny_tokenizer, seed):
    """Every token the constraint accepts after a prefix begins the forced text or is begun by it: forcing it
    takes nothing from the model it could have chosen (random walks through valid steps)."""
    constraint = ToolCallConstraint(tiny_tokenizer)
    for text in _random_prefixes(constraint, SPACE, seed):
        forced = constraint.forced(text, SPACE)
        assert not forced.endswith(" ")
        for piece in _valid_pieces(constraint, text, SPACE):
            assert forced.startswith(piece) or piece.startswith(forced), (text, forced, piece)


def test_helpers():
    assert common_rest("De", ["Detection\n", "Detect it\n", "Rotate\n"]) == "tect"
    assert common_rest("X", ["Detection\n"]) == "" and common_rest("Det", ["Detection\n"]) == "ection\n"
    digits = unique_run("", lambda text, char: text + char if "12.png".startswith(text + char) else None, "0123.gnp")
    assert digits == ("12.png", "12.png")
    assert unique_run("", lambda text, char: text + char, "ab")[0] == ""  # any character fits: the probe says so
    assert PROBE not in "".join(TOOLS) + "".join(IMAGES)


def test_continuation_ids_write_the_text_after_other_text(tiny_tokenizer):
    pieces = ToolCallConstraint(tiny_tokenizer).pieces
    for text in ("es\nAction:", "tate Image\nAction Input:", "/ab34.png\nObservation:", OPENING):
        ids = continuation_ids(tiny_tokenizer, text, pieces)
        assert ids and "".join(pieces[token] for token in ids) == text


class Steered(torch.nn.Module):
    """The tiny LLaMA (one row at a time, real KV cache) with a bonus on the token ``prefer(reply so far)`` names;
    counts its forward passes."""

    def __init__(self, model, pieces, prefer) -> None:
        super().__init__()
        self.model, self.pieces, self.prefer = model, pieces, prefer
        self.generation_config, self.config = model.generation_config, model.config
        self.seen: list[int] = []
        self.prompt_length = 0
        self.passes = 0

    def get_input_embeddings(self):
        return self.model.get_input_embeddings()

    def start(self, prompt_length: int) -> None:
        self.seen, self.prompt_length, self.passes = [], prompt_length, 0

    def forward(self, input_ids, **kwargs):
        assert input_ids.shape[0] == 1
        self.passes += 1
        self.seen += input_ids[0].tolist()
        out = self.model(input_ids=input_ids, **kwargs)
        token = self.prefer("".join(self.pieces[t] for t in self.seen[self.prompt_length :]))
        if token is not None:
            out.logits[0, -1, token] += 100.0
        return out


def _steered_generators(tiny, prefer_choice):
    """Generators with and without fast-forward over a model that writes forced text as the encoding of the forced
    text (what fast-forward feeds) and makes its own choices, but for ``prefer_choice(text)`` (a piece or None)."""
    model, tokenizer, template = tiny
    constraint = ToolCallConstraint(tokenizer)
    pieces = constraint.pieces
    spaces: dict[str, CallSpace] = {}

    def prefer(reply: str) -> int | None:
        forced = constraint.forced(reply, spaces["current"])
        if forced:
            return continuation_ids(tokenizer, forced, pieces)[0]
        choice = prefer_choice(reply)
        return None if choice is None else continuation_ids(tokenizer, choice, pieces)[0]

    lm = Steered(model, pieces, prefer)
    make = [HFGenerator(lm, tokenizer, template, prefix_cache_mb=0, fast_forward=on) for on in (True, False)]

    def run(generator, prompt, max_new_tokens=60):
        spaces["current"] = generator._space(prompt)
        lm.start(len(template.encode(tokenizer, prompt)[0]))
        pieces_streamed = list(generator.stream(prompt, max_new_tokens))
        return "".join(pieces_streamed), lm.passes

    return make, run


def _demo_prompt(template, tokenizer, request, images=("image/ab12.png",)):
    history = [turn for image in images for turn in template.introduce_image(image, "a photo")]
    return template.wrap(template.render_instruction(TOOL_SPECS[:12], history, request), "", tokenizer)


@pytest.mark.parametrize("decision", [" Yes", " No"])
def test_fast_forward_gives_the_same_reply_in_fewer_passes(tiny, decision):
    """The model's own choices (which image and how it is spaced, or the whole answer; the decision and the tool
    are steered) come from logits of a cache filled in chunks; they agree with one-token passes."""
    _, tokenizer, template = tiny
    steer = {OPENING: decision, "Action:": " Edge"}
    (fast, slow), run = _steered_generators(
        tiny, lambda reply: next((c for e, c in steer.items() if reply.endswith(e)), None)
    )
    for request in ("edges please", "rotate it", "what is this"):
        prompt = _demo_prompt(template, tokenizer, request, images=("image/ab12.png", "image/ab34.png"))
        fast_text, fast_passes = run(fast, prompt)
        slow_text, slow_passes = run(slow, prompt)
        assert fast_text == slow_text
        assert fast_text.startswith(OPENING + decision)
        assert fast_passes < slow_passes
        if decision == " Yes":
            assert fast_text.endswith("Observation:") and "\nAction Input:" in fast_text
            assert slow_passes - fast_passes >= 10  # at least the opening and the keywords


@pytest.mark.parametrize(
    ("choices", "expected"),
    [
        ({OPENING: " Yes", "Action:": " Detect", "Action: Detect": " the"}, "Action: Detect the Give Object\n"),
        ({OPENING: " Yes", "Action:": " Detect", "Action: Detect": "ion"}, "Action: Detection\n"),
        ({OPENING: " Yes", "Action:": " Detect", "Detect": "ion", "Input:": " image", "/ab": "3"}, "image/ab34.png"),
        ({OPENING: " Yes", "Action:": " Detect", "Detect": "ion", "Input:": " image", "/ab": "1"}, "image/ab12.png"),
    ],
)
def test_fast_forward_leaves_every_choice_to_the_model(tiny, choices, expected):
    """Where two tools (or images) share their start, the one the model prefers is written, with or without
    fast-forward."""

    def choice(reply: str) -> str | None:
        return next((piece for end, piece in choices.items() if reply.endswith(end)), None)

    prompt = "> Detection: finds objects. Input: image_path (image).\n"
    prompt += "> Detect the Give Object: finds one. Input: image_path (image), text (text).\n\n"
    prompt += "Provide an image named image/ab12.png. And image/ab34.png.\n<|im_start|>assistant\n"
    (fast, slow), run = _steered_generators(tiny, choice)
    fast_text, _ = run(fast, prompt)
    assert expected in fast_text and fast_text == run(slow, prompt)[0]


def test_forced_tokens_count_against_the_token_budget(tiny):
    _, tokenizer, template = tiny
    (fast, slow), run = _steered_generators(tiny, lambda reply: " Yes" if reply.endswith(OPENING) else None)
    prompt = _demo_prompt(template, tokenizer, "edges")
    for budget in (1, 5, 12, 14):
        text = run(fast, prompt, budget)[0]
        assert text == run(slow, prompt, budget)[0]
        assert len(continuation_ids(tokenizer, text, ToolCallConstraint(tokenizer).pieces)) <= budget


def test_a_batch_fast_forwards_the_common_part_and_equals_each_prompt_alone(tiny):
    model, tokenizer, template = tiny
    prompts = [_demo_prompt(template, tokenizer, f"task {i}") for i in range(4)]
    prompts.append(template.wrap(template.render_instruction(TOOL_SPECS[:3], "", "hi"), f"Thought: {THOUGHT_NO}\nAI:"))
    batched = HFGenerator(model, tokenizer, template, batch_size=5, prefix_cache_mb=0).generate(prompts, 40)
    alone = HFGenerator(model, tokenizer, template, batch_size=1).generate(prompts, 40)  # prefixes reused too
    assert batched == alone
    assert all(text.startswith(OPENING) for text in batched[:4]) and not batched[4].startswith(OPENING)


def test_plans_are_decoded_a_token_at_a_time(tiny):
    """Plans get no fast-forward: fed whole, JSON's forced runs split the merged tokens the model was trained on
    (the embedded model's plans then stopped after one step)."""
    model, tokenizer, template = tiny
    instruction = PlanTemplate.load("en").render_instruction(TOOL_SPECS[:6], [("image/ab12.png", "A dog.")], "x")
    generator = HFGenerator(model, tokenizer, template, prefix_cache_mb=0, fast_forward=True)
    space = generator._space(template.wrap(instruction, "", tokenizer))
    first_step = (
        f'[{{"task": "{TOOL_SPECS[0].name}", "id": 0, "dep": [-1], "args": {{"image_path": "image/ab12.png"}}}}, '
    )
    assert generator.plans.accepts(first_step + '{"task": "', space)  # the next step's opening has no choice in it
    assert generator._forced_ids(generator.plans, first_step, space, 40) == []
    react = _demo_prompt(template, tokenizer, "edges")
    assert generator._forced_ids(generator.tool_calls, "", generator._space(react), 40)  # ReAct steps still are
