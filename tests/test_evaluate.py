"""Scoring: GPT4Tools' metric definitions on hand-computed cases, prediction formats and error handling."""

from __future__ import annotations

import json
import math

import pytest

import evaluate_result
from evaluation.prediction_files import read_predictions
from evaluation.scoring import METRICS, bleu1, score_prediction, score_records
from protocol.records import Record, RecordError, write_records

YES = "Thought: Do I need to use a tool? Yes"
NO = "Thought: Do I need to use a tool? No"


def call(tool: str, action_input: str, observation: str | None = None) -> str:
    text = f"{YES}\nAction: {tool}\nAction Input: {action_input}\nObservation:"
    return text + (f" {observation}\n" if observation is not None else "")


def answer(text: str = "Here it is.") -> str:
    return f"{NO}\nAI: {text}"


EDGE = "Edge Detection On Image"
GENERATE = "Generate Image Condition On Canny Image"


# ----------------------------------------------------------------- BLEU-1 (pycocoevalcap's definition)
def test_bleu1_hand_computed_values():
    assert bleu1("a red car", "a red car") == pytest.approx(1.0, abs=1e-8)
    assert bleu1("a red car", "a car") == pytest.approx(math.exp(1 - 3 / 2))  # precision 1, brevity penalty
    assert bleu1("a red car", "red red red red") == pytest.approx(0.25)  # clipped counts, no penalty (longer)
    assert bleu1("a b", "a b c d") == pytest.approx(0.5)
    assert bleu1("a red car", "") == pytest.approx(0.0, abs=1e-9)
    assert bleu1("cat", "dog") == pytest.approx(0.0, abs=1e-9)
    # identical text is a hair under 1 (the smoothing constants), exactly as pycocoevalcap reports it
    assert bleu1("a red car", "a red car") < 1.0


# ----------------------------------------------------------------- tool samples
def test_exact_tool_call_scores_one():
    scores = score_prediction(call(EDGE, "image/a.png"), call(EDGE, "image/b.png"))
    assert scores == {
        **dict.fromkeys(["SR_t", "SR_act", "SR_args", "SR", "IoU"], 1.0),
        **dict.fromkeys(["SR_t_tolerant", "SR_act_tolerant", "SR_args_tolerant", "SR_tolerant", "IoU_tolerant"], 1.0),
        "SR_args_strict": 0.0,
        "SR_strict": 0.0,
    }  # any file name counts for the original; the strict variant wants the same


def test_wrong_tool_keeps_thought_and_arguments():
    scores = score_prediction(call(EDGE, "image/a.png"), call("Pose Detection On Image", "image/a.png"))
    assert (scores["SR_t"], scores["SR_act"], scores["SR_args"], scores["SR"]) == (1.0, 0.0, 1.0, 0.0)
    assert scores["IoU"] == pytest.approx(2 / 3)


def test_text_argument_scores_bleu1_and_the_strict_variant_wants_it_exact():
    gold = call(GENERATE, "image/a.png, a red car")
    scores = score_prediction(gold, call(GENERATE, "image/x.png, a car"))
    assert scores["SR_args"] == pytest.approx((1 + math.exp(-0.5)) / 2)
    assert scores["SR"] == 1.0  # arguments >= 0.5
    assert scores["SR_args_strict"] == 0.0 and scores["SR_strict"] == 0.0
    exact = score_prediction(gold, call(GENERATE, "image/a.png,a red car"))
    assert exact["SR_args_strict"] == 1.0 and exact["SR_strict"] == 1.0
    assert exact["SR_args"] == pytest.approx(1.0, abs=1e-8)


def test_argument_count_mismatch_or_missing_file_name_scores_zero():
    gold = call(GENERATE, "image/a.png, a red car")
    assert score_prediction(gold, call(GENERATE, "image/a.png"))["SR_args"] == 0.0
    assert score_prediction(gold, call(GENERATE, "a red car, image/a.png"))["SR_args"] == 0.0  # image slot gets text
    low = score_prediction(gold, call(GENERATE, "image/a.png, blue"))
    # the text argument scores ~0, the image 1: the mean is 0.5 (plus BLEU's epsilon), which passes SR
    assert low["SR_args"] == pytest.approx(0.5) and low["SR"] == 1.0 and low["SR_strict"] == 0.0


def test_steps_are_aligned_up_to_the_longer_sequence():
    gold = call(EDGE, "image/a.png", "image/b.png") + call(GENERATE, "image/b.png, a dog")
    short = score_prediction(gold, call(EDGE, "image/a.png"))
    assert (short["SR_t"], short["SR_act"], short["SR_args"]) == (0.5, 0.5, 0.5)
    assert short["IoU"] == pytest.approx(0.5) and short["SR"] == 0.0

    one_step = call(EDGE, "image/a.png")
    surplus = score_prediction(one_step, call(EDGE, "image/a.png", "image/b.png") + call(EDGE, "image/b.png"))
    assert (surplus["SR_t"], surplus["SR_act"], surplus["SR_args"]) == (0.5, 0.5, 0.5)
    assert surplus["IoU"] == 1.0  # surplus steps are outside the gold mask: they lower the rates, not the IoU


def test_a_trailing_no_thought_after_the_tool_call_is_not_counted():
    pred = call(EDGE, "image/a.png", "image/b.png") + answer()
    assert score_prediction(call(EDGE, "image/a.png"), pred)["SR"] == 1.0


def test_unparseable_prediction_scores_zero_on_a_tool_sample():
    scores = score_prediction(call(EDGE, "image/a.png"), "I would detect the edges.")
    assert scores == dict.fromkeys(scores, 0.0)


# ----------------------------------------------------------------- no-tool samples
def test_no_tool_sample_scores_on_thought_and_answer():
    assert score_prediction(answer("A cat."), answer("Something else.")) == dict.fromkeys(METRICS, 1.0)
    without_answer = score_prediction(answer(), NO + "\n")
    assert without_answer["SR_t"] == 0.0 and without_answer["SR"] == 0.0 and without_answer["SR_act"] == 0.0
    assert without_answer["IoU"] == 1.0  # the original's IoU looks at the thought vector only
    tool_instead = score_prediction(answer(), call(EDGE, "image/a.png"))
    assert tool_instead["SR_t"] == 0.0 and tool_instead["IoU"] == 0.0


# ----------------------------------------------------------------- aggregation and groups
def _records() -> list[Record]:
    return [
        Record("i0", "", call(EDGE, "image/a.png"), "0"),
        Record("i1", call(EDGE, "image/a.png", "image/b.png"), call(GENERATE, "image/b.png, a dog"), "1"),
        Record("i2", "", answer(), "2"),
        Record("i3", "", call("Segment The Given Object", "image/a.png, dog"), "3"),
    ]


def test_groups_missing_predictions_and_seen_unseen():
    predictions = {"0": call(EDGE, "image/z.png"), "1": call(GENERATE, "image/b.png, a dog"), "2": answer()}
    scores, report = score_records(_records(), predictions, held_out={GENERATE})
    assert report["missing"] == ["3"] and scores[3].missing and scores[3].metrics is None
    # the original's population: the predictions present; SR_all counts the missing one as a failure
    assert report["SR"] == 1.0 and report["n"] == 4 and report["predicted"] == 3
    assert report["coverage"] == pytest.approx(3 / 4) and report["SR_all"] == pytest.approx(3 / 4)
    groups = report["groups"]
    assert groups["kind/tool"]["n"] == 3 and groups["kind/tool"]["SR"] == 1.0
    assert groups["kind/tool"]["SR_all"] == pytest.approx(2 / 3)
    assert groups["kind/no-tool"] == {"n": 1, "predicted": 1, **dict.fromkeys(["coverage", *METRICS, "SR_all"], 1.0)}
    assert groups["kind/context"]["n"] == 1
    assert groups["split/unseen"]["n"] == 1 and groups["split/seen"]["n"] == 2
    assert groups[f"tool/{EDGE}"]["SR_strict"] == 0.0 and groups[f"tool/{GENERATE}"]["SR_strict"] == 1.0
    for key in ("SR_t", "SR_act", "SR_args", "SR", "IoU"):
        assert 0.0 <= report[key] <= 1.0


def test_answers_that_should_repeat_the_observation_are_counted_apart():
    error = "no person found in the image, so there is no pose to draw"
    records = [
        Record("i0", call("Pose Detection On Image", "image/a.png", error), answer(f"I could not: {error}."), "0"),
        Record("i1", call(EDGE, "image/a.png", "image/b.png"), answer("Done: image/b.png."), "1"),
        Record("i2", call(EDGE, "image/a.png", "image/b.png"), answer("Done."), "2"),  # gold does not repeat it
        Record("i3", "", answer(), "3"),
    ]
    predictions = {
        "0": answer("The human pose is ready."),  # the answer both runs score SR 1 on, hiding the failure
        "1": answer("Here: image/b.png"),
        "2": answer("Done."),
        "3": answer(),
    }
    _, report = score_records(records, predictions)
    assert report["SR"] == 1.0 and report["observation_quoted"] == {"n": 2, "rate": 0.5}
    _, honest = score_records(records, {**predictions, "0": answer(f"Sorry: {error}.")})
    assert honest["observation_quoted"] == {"n": 2, "rate": 1.0}
    _, calls_again = score_records(records, {**predictions, "0": call(EDGE, "image/a.png")})
    assert calls_again["observation_quoted"]["rate"] == 0.5


def test_gold_against_gold_scores_one():
    records = _records()
    _, report = score_records(records, {r.id: r.output for r in records})
    assert report["SR"] == 1.0 and report["SR_strict"] == 1.0 and report["IoU"] == pytest.approx(1.0)


# ----------------------------------------------------------------- files
def test_cli_reads_the_original_prediction_shape(tmp_path):
    records = _records()
    ann = tmp_path / "test.json"
    write_records(ann, records)
    ours = tmp_path / "ours"
    ours.mkdir()
    (ours / "run.jsonl").write_text("".join(json.dumps({"id": r.id, "output": r.output}) + "\n" for r in records))
    original = tmp_path / "original"
    original.mkdir()
    # the original wrote prompt + completion, integer-like ids, sometimes a one-element list, any chunk count
    chunk0 = [{"id": records[0].id, "output": records[0].instruction + records[0].output}]
    chunk1 = [{"id": r.id, "output": [r.instruction + r.input + r.output]} for r in records[1:]]
    (original / "run_0.json").write_text(json.dumps(chunk0))
    (original / "run_1.json").write_text(json.dumps(chunk1))

    top = evaluate_result.evaluate(str(ann), str(original), str(tmp_path / "m" / "metrics.json"))
    assert top == evaluate_result.evaluate(str(ann), str(ours)) == dict.fromkeys(top, pytest.approx(1.0))
    report = json.loads((tmp_path / "m" / "metrics.json").read_text())
    assert report["missing"] == [] and "| all | 4 |" in (tmp_path / "m" / "metrics.md").read_text()
    assert (tmp_path / "m" / "metrics.png").read_bytes().startswith(b"\x89PNG")
    assert len((tmp_path / "m" / "metrics.samples.jsonl").read_text().splitlines()) == 4


def test_cli_lists_missing_predictions(tmp_path):
    ann = tmp_path / "test.json"
    write_records(ann, _records())
    pred = tmp_path / "p.jsonl"
    pred.write_text(json.dumps({"id": "0", "output": call(EDGE, "image/a.png")}) + "\n")
    evaluate_result.evaluate(str(ann), str(pred))
    report = json.loads((tmp_path / "metrics.json").read_text())
    assert report["missing"] == ["1", "2", "3"] and report["SR"] == 1.0
    assert report["coverage"] == pytest.approx(0.25) and report["SR_all"] == pytest.approx(0.25)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"id": "0", "output": "x"}\nnot json\n{"id": "1", "output": "y"}\n', r"p\.jsonl: invalid JSON on line 2"),
        ('{"id": "0"}\n', r"p\.jsonl: record 0: a prediction needs 'id' and 'output'"),
        ('{"id": "0", "output": 3}\n', r"p\.jsonl: record 0: 'output' must be a string"),
        ('[{"id": "0", "output": "x"}', r"p\.jsonl: invalid JSON at line 1"),
    ],
)
def test_malformed_prediction_files_name_file_and_record(tmp_path, content, message):
    pred = tmp_path / "p.jsonl"
    pred.write_text(content)
    with pytest.raises(RecordError, match=message):
        read_predictions(pred, _records())


def test_torn_last_line_is_ignored_and_annotations_need_ids(tmp_path):
    pred = tmp_path / "p.jsonl"
    pred.write_text('{"id": "0", "output": "x"}\n{"id": "1", "out')
    assert list(read_predictions(pred, _records()).predictions) == ["0"]
    ann = tmp_path / "ann.json"
    write_records(ann, [Record("i", "", "o")])
    with pytest.raises(RecordError, match="record 0: an annotation record needs an 'id'"):
        evaluate_result.evaluate(str(ann), str(pred))


def test_eval_report_compares_runs_and_tools(tmp_path) -> None:
    from evaluation import report as eval_report

    def report(sr_all: float, tools: dict[str, tuple[int, float]]) -> dict:
        groups = {"all": {"n": 10, **dict.fromkeys(("SR_t", "SR_act", "SR_args", "IoU"), 0.5)}}
        groups["all"].update(SR=sr_all, SR_args_strict=sr_all, SR_strict=sr_all)
        groups.update({f"tool/{name}": {"n": n, "SR": sr} for name, (n, sr) in tools.items()})
        return {"groups": groups}

    tuned, base = tmp_path / "tuned.json", tmp_path / "base.json"
    tuned.write_text(json.dumps(report(0.9, {"Crop Image": (4, 0.75), "Detection": (6, 0.5)})))
    base.write_text(json.dumps(report(0.1, {"Crop Image": (4, 0.0)})))

    runs = eval_report.main(f"tuned={tuned}", f"base={base}").splitlines()
    assert runs[0].startswith("| run | n | SR_t") and runs[2].startswith("| tuned | 10 |") and "| 90.0 |" in runs[2]
    tools = eval_report.main(f"tuned={tuned}", f"base={base}", per_tool=True).splitlines()
    assert tools[0] == "| tool | n | tuned SR | base SR |"
    assert tools[2:] == ["| Crop Image | 4 | 75 | 0 |", "| Detection | 6 | 50 | - |"]
