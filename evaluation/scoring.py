"""GPT4Tools' success rates, computed per sample and aggregated by group.

A sample is one annotation record: its gold ``output`` (the reply to score) against the predicted completion;
the scratchpad (the record's earlier steps) is context, not scored. Every reply is read into the lists of
thoughts, tool names and Action Inputs it contains, in one of two ways:

*Exact reading* (the columns ``SR_t``, ``SR_act``, ``SR_args``, ``SR``, ``IoU``): GPT4Tools'
``evaluate_result.py``, reproduced exactly. Every match of ``Thought: Do I need to use a tool? (.*)``,
``Action: (.*)``, ``Action Input: (.*)`` anywhere in the text, stripped, is one entry (so a repeated
``Action:`` line counts twice; "Yes." or "yes" is not "Yes"); an answer is a match of ``AI: (.*)``; a gold
reply calls a tool when it contains both ``Action:`` and ``Action Input:``; an image argument is one that
contains ``.png``. The mean of an empty vector is NaN, as numpy's.

*Tolerant reading* (``*_tolerant`` and the strict variants): :func:`protocol.steps.parse_trajectory`, the
parser the agent runs on: one step per ``Thought:`` block, decisions read as yes/no whatever the case or
punctuation, ``AI:`` without a space, any common image extension (``.jpg``, ``.PNG``, ...) as a file name.

The rules, the same for both readings:

*Aligned step scores.* For two lists (gold, predicted) the steps are aligned up to the longer of the two:
a vector of length ``max(len(gold), len(pred))`` holds 1 where both have a step at that position and
they agree, 0 elsewhere (a missing or surplus step scores 0). The score is the vector's mean; the gold
mask is 1 on the gold's positions.

*Thought* compares the decisions after ``Thought: Do I need to use a tool?``. Gold thoughts are cut to the
number of gold tool calls (the closing "No" before a final answer is not scored); a prediction's trailing
"No" is dropped likewise when it has exactly one thought more than tool calls.

*Action* compares the tool names after ``Action:``.

*Arguments* compares the Action Inputs step by step. Each side is split on commas; a different number of
arguments scores the step 0. Argument by argument: a gold image argument scores 1 when the prediction's is
an image argument too (the path itself is not compared), and sinks the whole step to 0 when it is not; any
other gold argument scores BLEU-1 of the prediction against it (:func:`bleu1`). The step's score is the
mean over its arguments.

*Tool samples*: ``SR_t``, ``SR_act`` and ``SR_args`` are the aligned thought, action and argument scores;
``SR`` is 0 when thought < 1, action < 1 or arguments < 0.5, else 1; ``IoU`` is the intersection over union
of the concatenated [thought, action, argument] vectors with the concatenated gold masks (union at least 1).

*No-tool samples*: ``SR_t`` is the aligned thought score, set to 0 when the prediction's first thought is
not "No" or it has no answer; ``SR_act``, ``SR_args`` and ``SR`` are 1 when ``SR_t`` is 1, else 0; ``IoU``
is over the thought vector alone (before that override).

*Population*: every metric is the mean over the samples that have a prediction, as the original's (which
loops over the predictions); ``predicted`` counts them and ``coverage`` is their share of the ``n``
records. ``SR_all`` counts a missing prediction as a failure: exact ``SR`` summed over ``n``.

*Strict variants* (tolerant reading): ``SR_args_strict`` counts an argument only when it equals the gold
exactly (file names included, whitespace around it ignored); a step scores the mean of those matches (0 on a
count mismatch). ``SR_strict`` needs thought = 1, action = 1 and strict arguments = 1. For no-tool samples
they equal ``SR_args_tolerant`` and ``SR_tolerant``.

*Groups*: ``all`` (every sample, the original's population), ``kind/tool``, ``kind/no-tool``,
``kind/context`` (records with earlier steps), ``split/seen`` and ``split/unseen`` (tool samples; unseen
when a gold tool is held out, ``spec.held_out``), and ``tool/<name>`` for every gold tool.

*Observation quoted* (a report field, not a per-sample metric): among the records whose gold answer repeats
the scratchpad's last observation verbatim (a file made, boxes found, a tool's error), the share whose
prediction is an answer that repeats it too. An answer that drops it after a failed call claims a result
that does not exist.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from functools import partial

from protocol.steps import FinalAnswer, ParseError, ToolCall, parse_reply, parse_trajectory, thought_decision

EXACT_METRICS = ("SR_t", "SR_act", "SR_args", "SR", "IoU")
TOLERANT_METRICS = tuple(f"{name}_tolerant" for name in EXACT_METRICS)
STRICT_METRICS = ("SR_args_strict", "SR_strict")
METRICS = EXACT_METRICS + TOLERANT_METRICS + STRICT_METRICS
_THOUGHT_LINE_RE = re.compile(r"(?:^|\n)[ \t]*Thought:[ \t]*([^\n]*)")
_TOOL_QUESTION_RE = re.compile(r"^Do I need to use a tool\?\s*", re.IGNORECASE)
_FILE_NAME_RE = re.compile(r"\.(?:png|jpe?g|bmp|gif|webp|tiff?)\b", re.IGNORECASE)
# the original's patterns, verbatim
_EXACT_THOUGHT_RE = re.compile(r"Thought: Do I need to use a tool\? (.*)")
_EXACT_ACTION_RE = re.compile(r"Action: (.*)")
_EXACT_INPUT_RE = re.compile(r"Action Input: (.*)")
_EXACT_AI_RE = re.compile(r"AI: (.*)")
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
    """Whether an argument names an image file (any common image extension, any case)."""
    return bool(_FILE_NAME_RE.search(argument))


def is_png_argument(argument: str) -> bool:
    """The original's image test: the argument contains ``.png``."""
    return ".png" in argument


@dataclass(frozen=True)
class Trace:
    """What a reply says, as the scorer reads it."""

    thoughts: tuple[str, ...]
    tools: tuple[str, ...]
    action_inputs: tuple[str, ...]
    answered: bool
    calls_tool: bool


def _thought_value(thought: str) -> str:
    decision = thought_decision(thought)
    if decision is None:
        return _TOOL_QUESTION_RE.sub("", thought).strip()
    return "Yes" if decision else "No"


def read_trace(text: str) -> Trace:
    """The tolerant reading: one step per ``Thought:`` block of :func:`protocol.steps.parse_trajectory`."""
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
    return Trace(tuple(thoughts), tuple(tools), tuple(inputs), answered, bool(tools))


def read_exact_trace(text: str) -> Trace:
    """The original's reading: every match of its patterns anywhere in the text (module docstring)."""

    def found(pattern: re.Pattern[str]) -> tuple[str, ...]:
        return tuple(match.strip() for match in pattern.findall(text))

    calls_tool = "Action:" in text and "Action Input:" in text
    return Trace(
        found(_EXACT_THOUGHT_RE),
        found(_EXACT_ACTION_RE),
        found(_EXACT_INPUT_RE),
        bool(_EXACT_AI_RE.findall(text)),
        calls_tool,
    )


@dataclass(frozen=True)
class Reading:
    """How replies are read: the parser, what counts as an image argument, the mean of no steps."""

    read: Callable[[str], Trace]
    is_image: Callable[[str], bool]
    empty_mean: float


EXACT = Reading(read_exact_trace, is_png_argument, math.nan)
TOLERANT = Reading(read_trace, is_file_name, 1.0)


def _aligned(gold: Sequence[object], pred: Sequence[object]) -> tuple[list[float], list[float]]:
    """Agreement vector over ``max(len)`` positions and the gold mask."""
    size = max(len(gold), len(pred))
    flags = [float(g == p) for g, p in zip(gold, pred, strict=False)] + [0.0] * (size - min(len(gold), len(pred)))
    return flags, [1.0] * len(gold) + [0.0] * (size - len(gold))


def argument_score(gold_input: str, pred_input: str, is_image: Callable[[str], bool] = is_png_argument) -> float:
    """The original's score of one step's Action Input (image arguments by ``is_image``, BLEU-1 for text)."""
    gold_args, pred_args = gold_input.split(","), pred_input.split(",")
    if len(gold_args) != len(pred_args):
        return 0.0
    scores = []
    for gold, pred in zip(gold_args, pred_args, strict=True):
        if is_image(gold):
            if not is_image(pred):
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


def _argument_vectors(
    gold: Sequence[str], pred: Sequence[str], score: Callable[[str, str], float]
) -> tuple[list[float], list[float]]:
    size = max(len(gold), len(pred))
    flags = [score(g, p) for g, p in zip(gold, pred, strict=False)] + [0.0] * (size - min(len(gold), len(pred)))
    return flags, [1.0] * len(gold) + [0.0] * (size - len(gold))


def _mean(values: Sequence[float], empty: float) -> float:
    return sum(values) / len(values) if values else empty


def _iou(flags: Sequence[float], mask: Sequence[float]) -> float:
    intersection = sum(f * m for f, m in zip(flags, mask, strict=True))
    union = max(sum(max(f, m) for f, m in zip(flags, mask, strict=True)), 1.0)
    return intersection / union


def _passes(thought: float, action: float, arguments: float, needed: float) -> float:
    # written as the original's test (a NaN compares False, so it does not fail a sample)
    return 0.0 if thought < 1.0 or action < 1.0 or arguments < needed else 1.0


def score_reply(gold: str, pred: str, reading: Reading = EXACT) -> dict[str, float]:
    """``SR_t``, ``SR_act``, ``SR_args``, ``SR``, ``IoU`` of one predicted reply against its gold reply, read
    by ``reading``; the tolerant reading adds ``SR_args_strict`` and ``SR_strict`` (module docstring)."""
    gold_trace, pred_trace = reading.read(gold), reading.read(pred)
    strict = reading is TOLERANT
    if gold_trace.calls_tool:
        gold_thoughts = gold_trace.thoughts[: len(gold_trace.tools)]
        pred_thoughts = list(pred_trace.thoughts)
        if len(pred_thoughts) == len(pred_trace.tools) + 1 and pred_thoughts[-1] == "No":
            pred_thoughts.pop()
        thought, thought_mask = _aligned(gold_thoughts, pred_thoughts)
        action, action_mask = _aligned(gold_trace.tools, pred_trace.tools)
        args, args_mask = _argument_vectors(
            gold_trace.action_inputs, pred_trace.action_inputs, partial(argument_score, is_image=reading.is_image)
        )
        sr_t, sr_act, sr_args = (_mean(v, reading.empty_mean) for v in (thought, action, args))
        scores = {
            "SR_t": sr_t,
            "SR_act": sr_act,
            "SR_args": sr_args,
            "SR": _passes(sr_t, sr_act, sr_args, 0.5),
            "IoU": _iou(thought + action + args, thought_mask + action_mask + args_mask),
        }
        if strict:
            exact_args, _ = _argument_vectors(gold_trace.action_inputs, pred_trace.action_inputs, strict_argument_score)
            sr_args_strict = _mean(exact_args, reading.empty_mean)
            scores["SR_args_strict"] = sr_args_strict
            scores["SR_strict"] = _passes(sr_t, sr_act, sr_args_strict, 1.0)
        return scores
    thought, thought_mask = _aligned(gold_trace.thoughts, pred_trace.thoughts)
    sr_t = _mean(thought, reading.empty_mean)
    if not pred_trace.thoughts or pred_trace.thoughts[0] != "No" or not pred_trace.answered:
        sr_t = 0.0
    rest = 0.0 if sr_t < 1.0 else 1.0
    scores = {"SR_t": sr_t, "SR_act": rest, "SR_args": rest, "SR": rest, "IoU": _iou(thought, thought_mask)}
    if strict:
        scores.update(SR_args_strict=rest, SR_strict=rest)
    return scores


@dataclass(frozen=True)
class Prediction:
    """A predicted reply as each reading scores it: ``exact`` as the original cut it out of its file (the
    prompt stripped by length), ``tolerant`` as this project finds it (the prompt stripped by search)."""

    exact: str
    tolerant: str

    @classmethod
    def of(cls, value: str | Prediction) -> Prediction:
        """A completion given as plain text reads the same both ways."""
        return value if isinstance(value, Prediction) else cls(value, value)


@dataclass(frozen=True)
class SampleScore:
    """The metrics of one sample (``None`` without a prediction) plus what it is grouped by."""

    id: str
    tools: tuple[str, ...]  # gold tool names; empty for a no-tool sample
    context: bool
    unseen: bool
    metrics: Mapping[str, float] | None

    @property
    def kind(self) -> str:
        return "tool" if self.tools else "no-tool"

    @property
    def missing(self) -> bool:
        return self.metrics is None


def score_prediction(gold: str, prediction: str | Prediction) -> dict[str, float]:
    """Every metric of :data:`METRICS` for one prediction."""
    prediction = Prediction.of(prediction)
    tolerant = score_reply(gold, prediction.tolerant.strip(), TOLERANT)
    return {
        **score_reply(gold, prediction.exact.strip(), EXACT),
        **{f"{name}_tolerant": tolerant[name] for name in EXACT_METRICS},
        **{name: tolerant[name] for name in STRICT_METRICS},
    }


def score_sample(
    sample_id: str,
    gold: str,
    prediction: str | Prediction | None,
    *,
    context: bool = False,
    held_out: Iterable[str] = (),
) -> SampleScore:
    """Score one record; ``prediction=None`` (no prediction) leaves it out of the means."""
    tools = read_trace(gold).tools
    unseen = bool(set(tools) & set(held_out))
    metrics = None if prediction is None else score_prediction(gold, prediction)
    return SampleScore(sample_id, tools, context, unseen, metrics)


def aggregate(scores: Sequence[SampleScore]) -> dict[str, float | int | None]:
    """``n`` samples, how many have a prediction (``predicted``, ``coverage``), the mean of each metric over
    those (``None`` when there are none) and ``SR_all`` (a missing prediction counted as 0)."""
    present = [s.metrics for s in scores if s.metrics is not None]
    result: dict[str, float | int | None] = {
        "n": len(scores),
        "predicted": len(present),
        "coverage": len(present) / len(scores) if scores else 0.0,
    }
    for name in METRICS:
        result[name] = sum(m[name] for m in present) / len(present) if present else None
    result["SR_all"] = sum(m["SR"] for m in present) / len(scores) if scores else None
    return result


def group_scores(scores: Sequence[SampleScore]) -> dict[str, dict[str, float | int | None]]:
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


def observation_quoted(records: Sequence, predictions: Mapping[str, str | Prediction]) -> dict[str, float | int]:
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
        found = predictions.get(str(record.id))
        pred = parse_reply(Prediction.of(found).tolerant if found is not None else "")
        hits += isinstance(pred, FinalAnswer) and observation in pred.answer
    return {"n": quoting, "rate": hits / quoting if quoting else 0.0}


def score_records(
    records: Sequence, predictions: Mapping[str, str | Prediction], held_out: Iterable[str] = ()
) -> tuple[list[SampleScore], dict]:
    """Score annotation records (``protocol.records.Record``) against ``{id: completion or Prediction}``.

    Returns the per-sample scores and the metrics report: the top-level metrics of group ``all``,
    ``groups``, ``observation_quoted`` and the ``missing`` ids.
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
    rows = []
    for score in scores:
        row = {key: value for key, value in asdict(score).items() if key != "metrics"}
        rows.append({**row, "kind": score.kind, "missing": score.missing, **(score.metrics or {})})
    return rows
