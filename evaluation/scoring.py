"""GPT4Tools' success rates, computed per sample and aggregated by group.

A sample is one annotation record: its gold ``output`` (the reply to score) against the predicted
completion. Both are read with :func:`protocol.steps.parse_trajectory` into the lists of thoughts, tool names
and Action Inputs they contain; the scratchpad (the record's ``input``) is context, not scored.

Definitions (GPT4Tools' ``eval/evaluate_result.py``, reproduced exactly):

*Aligned step scores.* For two lists (gold, predicted) the steps are aligned up to the longer of the two:
a vector of length ``max(len(gold), len(pred))`` holds 1 where both have a step at that position and
they agree, 0 elsewhere (a missing or surplus step scores 0). The score is the vector's mean; the gold
mask is 1 on the gold's positions.

*Thought* compares the decisions after ``Thought: Do I need to use a tool?`` ("Yes"/"No"; any other
wording compares as written). Gold thoughts are cut to the number of gold tool calls (the closing
"No" before a final answer is not scored); a prediction's trailing "No" is dropped likewise when it has
exactly one thought more than tool calls. A step without a ``Thought:`` line contributes no thought.

*Action* compares the tool names after ``Action:``.

*Arguments* compares the Action Inputs step by step. Each side is split on commas; a different number of
arguments scores the step 0. Argument by argument: a gold image argument (a file name such as
``image/1a2b.png``) scores 1 when the prediction's is a file name too, and sinks the whole step to 0
when it is not; any other gold argument scores BLEU-1 of the prediction against it (:func:`bleu1`). The
step's score is the mean over its arguments.

*Tool samples* (the gold reply calls a tool): ``SR_t``, ``SR_act`` and ``SR_args`` are the aligned
thought, action and argument scores; ``SR`` is 1 when thought = 1, action = 1 and arguments >= 0.5;
``IoU`` is the intersection over union of the concatenated [thought, action, argument] vectors with the
concatenated gold masks (union at least 1).

*No-tool samples* (the gold reply answers directly): ``SR_t`` is the aligned thought score, set to 0
when the prediction's first thought is not "No" or it has no ``AI:`` answer; ``SR_act``, ``SR_args`` and
``SR`` are 1 when ``SR_t`` is 1, else 0; ``IoU`` is over the thought vector alone.

*Missing predictions* score 0 everywhere.

Beyond the original:

*Strict variants*: ``SR_args_strict`` counts an argument only when it equals the gold exactly (file
names included, whitespace around it ignored); a step scores the mean of those matches (0 on a count
mismatch). ``SR_strict`` needs thought = 1, action = 1 and strict arguments = 1. For no-tool samples they
equal ``SR_args`` and ``SR``.

*Groups*: ``all`` (every sample, the original's population), ``kind/tool``, ``kind/no-tool``,
``kind/context`` (records with a non-empty scratchpad), ``split/seen`` and ``split/unseen`` (tool samples;
unseen when a gold tool is held out, ``spec.held_out``), and ``tool/<name>`` for every gold tool.

*Observation quoted* (a report field, not a per-sample metric): among the records whose gold answer repeats
the scratchpad's last observation verbatim (a file made, boxes found, a tool's error), the share whose
prediction is an answer that repeats it too. An answer that drops it after a failed call claims a result
that does not exist.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass

from protocol.steps import FinalAnswer, ParseError, ToolCall, parse_reply, parse_trajectory, thought_decision

METRICS = ("SR_t", "SR_act", "SR_args", "SR", "IoU", "SR_args_strict", "SR_strict")
_THOUGHT_LINE_RE = re.compile(r"(?:^|\n)[ \t]*Thought:[ \t]*([^\n]*)")
_TOOL_QUESTION_RE = re.compile(r"^Do I need to use a tool\?\s*", re.IGNORECASE)
_FILE_NAME_RE = re.compile(r"\.(?:png|jpe?g|bmp|gif|webp|tiff?)\b", re.IGNORECASE)
_BLEU_SMALL = 1e-9  # pycocoevalcap's smoothing constants
_BLEU_TINY = 1e-15


def bleu1(reference: str, hypothesis: str) -> float:
    """BLEU-1 as pycocoevalcap computes it for one hypothesis and one reference.

    Whitespace tokens; clipped unigram precision ``(correct + 1e-15) / (len(hyp) + 1e-9)``; brevity
    penalty ``exp(1 - 1/r)`` when ``r = (len(hyp) + 1e-15) / (len(ref) + 1e-9) < 1`` (the closest
    reference length, here the only one).
    """
    ref_words, hyp_words = reference.split(), hypothesis.split()
    ref_counts = Counter(ref_words)
    correct = sum(min(count, ref_counts[word]) for word, count in Counter(hyp_words).items())
    score = (correct + _BLEU_TINY) / (len(hyp_words) + _BLEU_SMALL)
    ratio = (len(hyp_words) + _BLEU_TINY) / (len(ref_words) + _BLEU_SMALL)
    if ratio < 1:
        score *= math.exp(1 - 1 / ratio)
    return score


def is_file_name(argument: str) -> bool:
    """Whether an argument names an image file (the original tested for ``.png``)."""
    return bool(_FILE_NAME_RE.search(argument))


@dataclass(frozen=True)
class Trace:
    """What a reply says, as the scorer reads it."""

    thoughts: tuple[str, ...]
    tools: tuple[str, ...]
    action_inputs: tuple[str, ...]
    answered: bool


def _thought_value(thought: str) -> str:
    decision = thought_decision(thought)
    if decision is None:
        return _TOOL_QUESTION_RE.sub("", thought).strip()
    return "Yes" if decision else "No"


def read_trace(text: str) -> Trace:
    """Thoughts, tool names, Action Inputs and whether an ``AI:`` answer is present."""
    thoughts: list[str] = []
    tools: list[str] = []
    inputs: list[str] = []
    answered = False
    for step, _observation in parse_trajectory(text):
        if isinstance(step, ParseError):
            match = _THOUGHT_LINE_RE.search(step.text)
            thought = match.group(1).strip() if match else ""
        else:
            thought = step.thought
        if thought:
            thoughts.append(_thought_value(thought))
        if isinstance(step, ToolCall):
            tools.append(step.tool)
            inputs.append(step.action_input)
        elif isinstance(step, FinalAnswer):
            answered = True
    return Trace(tuple(thoughts), tuple(tools), tuple(inputs), answered)


def _aligned(gold: Sequence[object], pred: Sequence[object]) -> tuple[list[float], list[float]]:
    """Agreement vector over ``max(len)`` positions and the gold mask."""
    size = max(len(gold), len(pred))
    flags = [float(g == p) for g, p in zip(gold, pred, strict=False)] + [0.0] * (size - min(len(gold), len(pred)))
    return flags, [1.0] * len(gold) + [0.0] * (size - len(gold))


def argument_score(gold_input: str, pred_input: str) -> float:
    """The original's score of one step's Action Input (file names, BLEU-1 for text)."""
    gold_args, pred_args = gold_input.split(","), pred_input.split(",")
    if len(gold_args) != len(pred_args):
        return 0.0
    scores = []
    for gold, pred in zip(gold_args, pred_args, strict=True):
        if is_file_name(gold):
            if not is_file_name(pred):
                return 0.0
            scores.append(1.0)
        else:
            scores.append(bleu1(gold, pred))
    return sum(scores) / len(scores)


def strict_argument_score(gold_input: str, pred_input: str) -> float:
    """Exact matches (whitespace around each argument ignored), 0 on a count mismatch."""
    gold_args, pred_args = gold_input.split(","), pred_input.split(",")
    if len(gold_args) != len(pred_args):
        return 0.0
    return sum(g.strip() == p.strip() for g, p in zip(gold_args, pred_args, strict=True)) / len(gold_args)


def _argument_vectors(gold: Sequence[str], pred: Sequence[str], score) -> tuple[list[float], list[float]]:
    size = max(len(gold), len(pred))
    flags = [score(g, p) for g, p in zip(gold, pred, strict=False)] + [0.0] * (size - min(len(gold), len(pred)))
    return flags, [1.0] * len(gold) + [0.0] * (size - len(gold))


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else 1.0


def _iou(flags: Sequence[float], mask: Sequence[float]) -> float:
    intersection = sum(f * m for f, m in zip(flags, mask, strict=True))
    union = max(sum(max(f, m) for f, m in zip(flags, mask, strict=True)), 1.0)
    return intersection / union


@dataclass(frozen=True)
class SampleScore:
    """The metrics of one sample plus what it is grouped by."""

    id: str
    tools: tuple[str, ...]  # gold tool names; empty for a no-tool sample
    context: bool
    unseen: bool
    missing: bool
    SR_t: float
    SR_act: float
    SR_args: float
    SR: float
    IoU: float
    SR_args_strict: float
    SR_strict: float

    @property
    def kind(self) -> str:
        return "tool" if self.tools else "no-tool"


def score_reply(gold: str, pred: str) -> dict[str, float]:
    """The seven metrics of one predicted reply against its gold reply (see the module docstring)."""
    gold_trace, pred_trace = read_trace(gold), read_trace(pred)
    if gold_trace.tools:
        gold_thoughts = gold_trace.thoughts[: len(gold_trace.tools)]
        pred_thoughts = list(pred_trace.thoughts)
        if len(pred_thoughts) == len(pred_trace.tools) + 1 and pred_thoughts[-1] == "No":
            pred_thoughts.pop()
        thought, thought_mask = _aligned(gold_thoughts, pred_thoughts)
        action, action_mask = _aligned(gold_trace.tools, pred_trace.tools)
        args, args_mask = _argument_vectors(gold_trace.action_inputs, pred_trace.action_inputs, argument_score)
        strict, _ = _argument_vectors(gold_trace.action_inputs, pred_trace.action_inputs, strict_argument_score)
        sr_t, sr_act, sr_args, sr_args_strict = _mean(thought), _mean(action), _mean(args), _mean(strict)
        right_call = sr_t >= 1.0 and sr_act >= 1.0
        return {
            "SR_t": sr_t,
            "SR_act": sr_act,
            "SR_args": sr_args,
            "SR": float(right_call and sr_args >= 0.5),
            "IoU": _iou(thought + action + args, thought_mask + action_mask + args_mask),
            "SR_args_strict": sr_args_strict,
            "SR_strict": float(right_call and sr_args_strict >= 1.0),
        }
    thought, thought_mask = _aligned(gold_trace.thoughts, pred_trace.thoughts)
    sr_t = _mean(thought)
    if not pred_trace.thoughts or pred_trace.thoughts[0] != "No" or not pred_trace.answered:
        sr_t = 0.0
    rest = float(sr_t >= 1.0)
    return {
        "SR_t": sr_t,
        "SR_act": rest,
        "SR_args": rest,
        "SR": rest,
        "IoU": _iou(thought, thought_mask),
        "SR_args_strict": rest,
        "SR_strict": rest,
    }


def score_sample(
    sample_id: str, gold: str, pred: str | None, *, context: bool = False, held_out: Iterable[str] = ()
) -> SampleScore:
    """Score one record; ``pred=None`` (no prediction) scores 0 everywhere."""
    tools = read_trace(gold).tools
    unseen = bool(set(tools) & set(held_out))
    metrics = dict.fromkeys(METRICS, 0.0) if pred is None else score_reply(gold, pred.strip())
    return SampleScore(sample_id, tools, context, unseen, pred is None, **metrics)


def aggregate(scores: Sequence[SampleScore]) -> dict[str, float | int]:
    """Mean of each metric over ``scores`` (fractions in [0, 1]) and the sample count ``n``."""
    result: dict[str, float | int] = {"n": len(scores)}
    for name in METRICS:
        result[name] = sum(getattr(s, name) for s in scores) / len(scores) if scores else 0.0
    return result


def group_scores(scores: Sequence[SampleScore]) -> dict[str, dict[str, float | int]]:
    """Metrics for every group named in the module docstring (empty groups left out)."""
    tool_samples = [s for s in scores if s.tools]
    groups: dict[str, list[SampleScore]] = {
        "all": list(scores),
        "kind/tool": tool_samples,
        "kind/no-tool": [s for s in scores if not s.tools],
        "kind/context": [s for s in scores if s.context],
        "split/seen": [s for s in tool_samples if not s.unseen],
        "split/unseen": [s for s in tool_samples if s.unseen],
    }
    for name in sorted({tool for s in tool_samples for tool in s.tools}):
        groups[f"tool/{name}"] = [s for s in tool_samples if name in s.tools]
    return {name: aggregate(members) for name, members in groups.items() if members}


def observation_quoted(records: Sequence, predictions: Mapping[str, str]) -> dict[str, float | int]:
    """``n``: records whose gold answer repeats the last observation; ``rate``: the share of their
    predictions that answer and repeat it (see the module docstring)."""
    quoting = 0
    hits = 0
    for record in records:
        steps = parse_trajectory(record.input)
        gold = parse_reply(record.output)
        observation = steps[-1][1] if steps else None
        if not observation or not isinstance(gold, FinalAnswer) or observation not in gold.answer:
            continue
        quoting += 1
        pred = parse_reply(predictions.get(str(record.id)) or "")
        hits += isinstance(pred, FinalAnswer) and observation in pred.answer
    return {"n": quoting, "rate": hits / quoting if quoting else 0.0}


def score_records(
    records: Sequence, predictions: Mapping[str, str], held_out: Iterable[str] = ()
) -> tuple[list[SampleScore], dict]:
    """Score annotation records (``protocol.records.Record``) against ``{id: completion}``.

    Returns the per-sample scores and the metrics report: top-level ``SR_t``, ``SR_act``, ``SR_args``,
    ``SR``, ``IoU`` (all samples, as the original), the strict variants, ``groups``, ``observation_quoted``
    and ``missing`` ids.
    """
    held_out = set(held_out)
    scores = [
        score_sample(
            str(record.id),
            record.output,
            predictions.get(str(record.id)),
            context=bool(record.input.strip()),
            held_out=held_out,
        )
        for record in records
    ]
    groups = group_scores(scores)
    report = {
        **groups["all"],
        "groups": groups,
        "observation_quoted": observation_quoted(records, predictions),
        "missing": [s.id for s in scores if s.missing],
    }
    return scores, report


def sample_rows(scores: Sequence[SampleScore]) -> list[dict]:
    """Per-sample scores as plain dicts (for a JSONL dump)."""
    return [{**asdict(s), "kind": s.kind} for s in scores]
