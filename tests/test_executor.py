"""The plan executor: dataflow order, overlap of independent steps, bindings, failures, timeouts, cancellation."""

from __future__ import annotations

import threading

import pytest

from agent.executor import Executor, StepStatus
from agent.step_runner import RuntimeStepRunner, StepOutcome, action_input
from protocol.plan import PlanError, decode_plan
from tests.plan_fakes import WAIT, Held, ScriptedRunner, made
from tools.catalog import default_registry
from tools.outputs import Box
from tools.runtime import ToolRuntime
from tools.workspace import Workspace


@pytest.fixture
def workspace(tmp_path):
    return Workspace(tmp_path / "ws")


@pytest.fixture
def photo(workspace):
    from PIL import Image

    return workspace.add_image(Image.new("RGB", (64, 48), "white"))


def plan_of(*steps):
    import json

    return decode_plan(json.dumps([{"task": t, "id": i, "args": a} for i, (t, a) in enumerate(steps)]))


def test_independent_steps_run_at_once(workspace, photo):
    barrier = threading.Barrier(3, timeout=WAIT)  # broken (an exception) unless all three wait together

    def meet(name):
        def behaviour(arguments, ws):
            barrier.wait()
            return made(name)

        return behaviour

    runner = ScriptedRunner(
        {
            "Edge Detection On Image": meet("image/e.png"),
            "Pose Detection On Image": meet("image/p.png"),
            "Hed Detection On Image": meet("image/h.png"),
        }
    )
    plan = plan_of(
        ("Edge Detection On Image", {"image_path": photo}),
        ("Pose Detection On Image", {"image_path": photo}),
        ("Hed Detection On Image", {"image_path": photo}),
    )
    execution = Executor(runner, max_workers=3).run(plan, workspace)
    assert [r.status for r in execution.results] == [StepStatus.DONE] * 3
    assert execution.files == ("image/e.png", "image/p.png", "image/h.png")


def test_a_step_starts_when_its_own_inputs_exist_not_when_a_level_finishes(workspace, photo):
    """Step 3 uses step 1 only; it must run while the unrelated step 2 is still busy (step 2 waits for it)."""
    third_ran = threading.Event()

    def slow(arguments, ws):
        assert third_ran.wait(WAIT), "step 3 did not start while step 2 ran"
        return made("image/p.png")

    def third(arguments, ws):
        third_ran.set()
        return StepOutcome(True, "a caption", model="fake")

    runner = ScriptedRunner({"Pose Detection On Image": slow, "Get Photo Description": third})
    plan = plan_of(
        ("Edge Detection On Image", {"image_path": photo}),
        ("Pose Detection On Image", {"image_path": photo}),
        ("Get Photo Description", {"image_path": "<GENERATED>-0"}),
    )
    execution = Executor(runner).run(plan, workspace)
    assert execution.ok
    assert runner.arguments_of("Get Photo Description") == [{"image_path": "image/edge.png"}]


def test_text_and_image_references_are_bound(workspace, photo):
    runner = ScriptedRunner({"Get Photo Description": lambda a, ws: StepOutcome(True, "a red fox", model="fake")})
    plan = plan_of(
        ("Edge Detection On Image", {"image_path": photo}),
        ("Get Photo Description", {"image_path": "<GENERATED>-0"}),
        ("Generate Image From User Input Text", {"text": "<GENERATED>-1"}),
    )
    execution = Executor(runner).run(plan, workspace)
    assert execution.ok
    assert runner.calls == [
        ("Edge Detection On Image", {"image_path": photo}),
        ("Get Photo Description", {"image_path": "image/edge.png"}),
        ("Generate Image From User Input Text", {"text": "a red fox"}),
    ]
    assert execution.by_id()[2].arguments == {"text": "a red fox"}


def test_dependents_of_a_failed_step_are_skipped_with_the_reason(workspace, photo):
    runner = ScriptedRunner({"Edge Detection On Image": lambda a, ws: StepOutcome(False, "the edge model broke")})
    plan = plan_of(
        ("Edge Detection On Image", {"image_path": photo}),
        ("Get Photo Description", {"image_path": "<GENERATED>-0"}),
        ("Generate Image From User Input Text", {"text": "<GENERATED>-1"}),
        ("Pose Detection On Image", {"image_path": photo}),
    )
    seen = []
    run = Executor(runner).start(plan, workspace, listener=seen.append)
    execution = run.result(WAIT)
    statuses = [r.status for r in execution.results]
    assert statuses == [StepStatus.FAILED, StepStatus.SKIPPED, StepStatus.SKIPPED, StepStatus.DONE]
    first, second, third, _ = execution.results
    assert first.reason == "the edge model broke"
    assert second.reason == "step 1 (Edge Detection On Image) failed: the edge model broke"
    assert third.reason.startswith("step 2 (Get Photo Description) skipped: step 1")
    assert sorted(tool for tool, _ in runner.calls) == ["Edge Detection On Image", "Pose Detection On Image"]
    assert not execution.ok
    # every step is reported once when it ends; steps that ran also when they started
    ended = [r.step.id for r in seen if r.status.finished]
    assert sorted(ended) == [0, 1, 2, 3]
    assert sorted(r.step.id for r in seen if r.status is StepStatus.RUNNING) == [0, 3]


def test_a_step_past_its_timeout_ends_the_plan_without_waiting_for_it(workspace, photo):
    stuck = Held()
    runner = ScriptedRunner({"Edge Detection On Image": stuck})
    plan = plan_of(
        ("Edge Detection On Image", {"image_path": photo}),
        ("Get Photo Description", {"image_path": "<GENERATED>-0"}),
        ("Pose Detection On Image", {"image_path": photo}),
    )
    run = Executor(runner, step_timeout_s=0.2).start(plan, workspace)
    execution = run.result(WAIT)
    stuck.release.set()
    assert [r.status for r in execution.results] == [StepStatus.TIMED_OUT, StepStatus.SKIPPED, StepStatus.DONE]
    assert execution.results[0].reason == "took longer than 0.2 s"
    assert execution.results[1].reason == "step 1 (Edge Detection On Image) timed out: took longer than 0.2 s"


def test_a_timed_out_steps_late_result_is_dropped(workspace, photo):
    stuck = Held()
    runner = ScriptedRunner({"Edge Detection On Image": stuck})
    plan = plan_of(
        ("Edge Detection On Image", {"image_path": photo}),
        ("Crop Image", {"image_path": "<GENERATED>-0", "left": 0, "top": 0, "right": 5, "bottom": 5}),
    )
    run = Executor(runner, step_timeout_s=0.1).start(plan, workspace)
    run.result(WAIT)
    assert not run.settle(0)  # ended, but its dropped call still runs (and may write to the workspace)
    stuck.release.set()
    assert stuck.returned.wait(WAIT) and run.settle(WAIT)
    execution = run.snapshot()
    assert execution.results[0].status is StepStatus.TIMED_OUT and execution.results[0].outcome is None
    assert [tool for tool, _ in runner.calls] == ["Edge Detection On Image"]  # the dependent never ran


def test_cancel_stops_the_plan_at_once(workspace, photo):
    busy = Held()
    runner = ScriptedRunner({"Edge Detection On Image": busy})
    plan = plan_of(
        ("Edge Detection On Image", {"image_path": photo}),
        ("Get Photo Description", {"image_path": "<GENERATED>-0"}),
    )
    run = Executor(runner).start(plan, workspace)
    assert busy.started.wait(WAIT)
    run.cancel("the user pressed Stop")
    assert run.finished
    busy.release.set()
    execution = run.result(WAIT)
    assert [r.status for r in execution.results] == [StepStatus.CANCELLED, StepStatus.CANCELLED]
    assert {r.reason for r in execution.results} == {"the user pressed Stop"}
    assert [tool for tool, _ in runner.calls] == ["Edge Detection On Image"]


def test_cancel_one_step_skips_its_dependents_only(workspace, photo):
    busy = Held()
    runner = ScriptedRunner({"Edge Detection On Image": busy})
    plan = plan_of(
        ("Edge Detection On Image", {"image_path": photo}),
        ("Get Photo Description", {"image_path": "<GENERATED>-0"}),
        ("Pose Detection On Image", {"image_path": photo}),
    )
    run = Executor(runner).start(plan, workspace)
    assert busy.started.wait(WAIT)
    run.cancel_step(0)
    execution = run.result(WAIT)
    busy.release.set()
    assert [r.status for r in execution.results] == [StepStatus.CANCELLED, StepStatus.SKIPPED, StepStatus.DONE]
    assert execution.results[1].reason == "step 1 (Edge Detection On Image) cancelled: cancelled"


def test_an_invalid_plan_runs_nothing(workspace, photo):
    runner = ScriptedRunner()
    executor = Executor(runner)
    unknown = plan_of(("Edge Detection On Image", {"image_path": photo}), ("Paint A Moustache", {"image_path": photo}))
    with pytest.raises(PlanError, match="unknown tool 'Paint A Moustache'"):
        executor.start(unknown, workspace)
    with pytest.raises(PlanError, match="not an image of this session"):
        executor.start(
            plan_of(("Edge Detection On Image", {"image_path": "image/other.png"})), workspace, images=[photo]
        )
    assert runner.calls == []


def test_an_empty_plan_is_finished_at_once(workspace):
    execution = Executor(ScriptedRunner()).run(decode_plan("[]"), workspace)
    assert execution.results == () and execution.ok


def test_a_runner_that_raises_fails_its_step_only(workspace, photo):
    def broken(arguments, ws):
        raise RuntimeError("boom")

    runner = ScriptedRunner({"Edge Detection On Image": broken})
    plan = plan_of(
        ("Edge Detection On Image", {"image_path": photo}), ("Pose Detection On Image", {"image_path": photo})
    )
    execution = Executor(runner).run(plan, workspace)
    assert [r.status for r in execution.results] == [StepStatus.FAILED, StepStatus.DONE]
    assert "RuntimeError: boom" in execution.results[0].reason


# ----------------------------------------------------------------- boxes, with the real offline crop and blur
def _detection(boxes):
    return lambda arguments, ws: StepOutcome(
        True, "; ".join(b.describe() for b in boxes), ("image/drawn.png",), list(boxes)
    )


@pytest.fixture(scope="module")
def editing_runtime():
    return RuntimeStepRunner(ToolRuntime.from_load("ImageCropping_cpu,ImageEditing_cpu,Image2Canny_cpu"))


class _Mixed(ScriptedRunner):
    """Detection (or the ``scripted`` tool) scripted, the rest through the real runtime."""

    def __init__(self, detection, real, scripted="Detection"):
        super().__init__({scripted: detection})
        self.real, self.scripted = real, scripted

    def __call__(self, tool, arguments, workspace):
        if tool == self.scripted:
            return super().__call__(tool, arguments, workspace)
        with self._lock:
            self.calls.append((tool, dict(arguments)))
        return self.real(tool, arguments, workspace)


BOXES = (Box("face", 0.6, (0, 0, 10, 10)), Box("face", 0.9, (20, 10, 40, 30)))


def test_crop_after_detection_crops_every_box_most_confident_first(workspace, photo, editing_runtime):
    from PIL import Image

    runner = _Mixed(_detection(BOXES), editing_runtime)
    plan = plan_of(
        ("Detection", {"image_path": photo}),
        ("Crop Image", {"image_path": "<GENERATED>-0"}),
        ("Edge Detection On Image", {"image_path": "<GENERATED>-1"}),
    )
    execution = Executor(runner).run(plan, workspace)
    assert execution.ok, [r.reason for r in execution.results]
    crops = runner.arguments_of("Crop Image")
    assert crops == [
        {"image_path": photo, "left": 20, "top": 10, "right": 40, "bottom": 30},
        {"image_path": photo, "left": 0, "top": 0, "right": 10, "bottom": 10},
    ]
    crop = execution.by_id()[1].outcome
    assert len(crop.files) == 2 and crop.text == ", ".join(crop.files)
    with Image.open(workspace.resolve(crop.image)) as first:
        assert first.size == (20, 20)  # the most confident box
    assert runner.calls[-1] == ("Edge Detection On Image", {"image_path": crop.image})


def test_blur_after_detection_blurs_every_box_into_one_image(workspace, photo, editing_runtime):
    runner = _Mixed(_detection(BOXES), editing_runtime)
    plan = plan_of(("Detection", {"image_path": photo}), ("Blur Region", {"image_path": "<GENERATED>-0"}))
    execution = Executor(runner).run(plan, workspace)
    assert execution.ok, [r.reason for r in execution.results]
    first, second = runner.arguments_of("Blur Region")
    assert first["image_path"] == photo
    blur = execution.by_id()[1].outcome
    assert second["image_path"] == blur.files[1]  # the second box is blurred on the first result
    assert blur.text == blur.image == blur.files[0]


def test_a_crop_of_a_reading_crops_the_texts_box_with_a_margin(workspace, photo, editing_runtime):
    """ "Crop to the sign" in a plan: the reading's box of the words (``tools.outputs.Reading``) is the crop's box, with
    the margin the chat gives it (a quarter of the text's height, inside the 64 x 48 photo); its words stay text for a
    text input."""
    reading = lambda arguments, ws: StepOutcome(True, "OPEN", (), [Box("text", 1.0, (10, 10, 50, 30))])  # noqa: E731
    runner = _Mixed(reading, editing_runtime, scripted="Text Detection On Image")
    plan = plan_of(("Text Detection On Image", {"image_path": photo}), ("Crop Image", {"image_path": "<GENERATED>-0"}))
    execution = Executor(runner).run(plan, workspace)
    assert execution.ok, [r.reason for r in execution.results]
    assert runner.arguments_of("Crop Image") == [{"image_path": photo, "left": 5, "top": 5, "right": 55, "bottom": 35}]
    assert execution.by_id()[0].value() == "OPEN"


def test_a_detection_that_found_nothing_skips_the_box_step(workspace, photo, editing_runtime):
    runner = _Mixed(_detection(()), editing_runtime)
    plan = plan_of(("Detection", {"image_path": photo}), ("Crop Image", {"image_path": "<GENERATED>-0"}))
    execution = Executor(runner).run(plan, workspace)
    assert [r.status for r in execution.results] == [StepStatus.DONE, StepStatus.SKIPPED]
    assert execution.results[1].reason == "step 1 (Detection) found no object to work on"


def test_a_box_step_takes_the_boxes_of_the_labels_asked(workspace, photo, editing_runtime):
    """Seen in a --cli drive in plan mode: "crop to the cat and make it square" cropped the upper body the detection
    found in place of a cat, and said it was done."""
    found = (Box("upper body", 0.9, (0, 0, 30, 30)), Box("cat", 0.5, (20, 10, 40, 30)))
    plan = plan_of(("Detection", {"image_path": photo}), ("Crop Image", {"image_path": "<GENERATED>-0"}))
    runner = _Mixed(_detection(found), editing_runtime)
    execution = Executor(runner).run(plan, workspace, labels=("cat",))
    assert execution.ok and runner.arguments_of("Crop Image") == [
        {"image_path": photo, "left": 20, "top": 10, "right": 40, "bottom": 30}
    ]
    runner = _Mixed(_detection(found[:1]), editing_runtime)
    execution = Executor(runner).run(plan, workspace, labels=("cat",))
    assert [r.status for r in execution.results] == [StepStatus.DONE, StepStatus.SKIPPED]
    assert execution.results[1].reason == "step 1 (Detection) found no cat, only: upper body"
    assert runner.arguments_of("Crop Image") == []


# ----------------------------------------------------------------- the runtime runner
def test_runtime_runner_runs_real_tools_and_names_the_backend(workspace, photo):
    runner = RuntimeStepRunner(ToolRuntime.from_load("Image2Canny_cpu,ImageEditing_cpu"))
    outcome = runner("Rotate Image", {"image_path": photo, "angle": 90}, workspace)
    assert outcome.ok and outcome.image in outcome.files
    assert outcome.choose_model_result() == {
        "id": "ImageEditing",
        "reason": "the only ImageEditing backend loaded here",
    }
    missing = runner("Rotate Image", {"image_path": photo}, workspace)
    assert not missing.ok and "takes image_path, angle" in missing.text
    unloaded = runner("Get Photo Description", {"image_path": photo}, workspace)
    assert not unloaded.ok and "ImageCaptioning" in unloaded.text


def test_action_input_refuses_a_comma_that_would_split_an_argument():
    spec = default_registry().get("Answer Question About The Image")
    assert action_input(spec, {"question": "what, where?", "image_path": "a.png"}) == "a.png, what, where?"
    spec = default_registry().get("Replace Something From The Photo")
    with pytest.raises(ValueError, match="may not hold a comma"):
        action_input(spec, {"image_path": "a.png", "object": "cat, dog", "replacement": "fox"})


def test_runtime_calls_of_different_families_overlap(workspace, photo, monkeypatch):
    """The runtime no longer serialises every call: two families' handlers meet at a barrier."""
    import tools.runtime as runtime_module

    barrier = threading.Barrier(2, timeout=WAIT)
    real_import = runtime_module.import_target

    def meeting(target):
        handler = real_import(target)

        def wrapped(context, *arguments):
            barrier.wait()
            return handler(context, *arguments)

        return wrapped

    monkeypatch.setattr(runtime_module, "import_target", meeting)
    runner = RuntimeStepRunner(ToolRuntime.from_load("Image2Canny_cpu,ImageEditing_cpu"))
    plan = plan_of(
        ("Edge Detection On Image", {"image_path": photo}), ("Rotate Image", {"image_path": photo, "angle": 90})
    )
    execution = Executor(runner).run(plan, workspace)
    assert execution.ok, [r.reason for r in execution.results]


# ----------------------------------------------------------------- competing backends
class _FakeCompetition:
    """Stands for tools.competition.Competition: records calls, answers like its CompetitionResult."""

    def __init__(self, runtime, candidates):
        from types import SimpleNamespace

        from tools.runtime import Observation

        self.runtime = runtime
        self.calls = []
        self.result = SimpleNamespace(
            observation=Observation("STOP", True, (), 0.2),
            seconds=0.3,
            candidates=candidates,
            choose_model_result=lambda: {"id": "tesseract-sparse", "reason": "highest mean similarity (0.91)"},
            to_dict=lambda: {"candidates": [{"id": "tesseract-sparse"}], "similarity": {"matrix": [[1.0]]}},
        )

    def run(self, tool_name, arguments, workspace):
        self.calls.append((tool_name, arguments))
        return self.result


def test_competing_runner_reports_the_candidate_kept_and_the_record(workspace, photo):
    from agent.step_runner import CompetingStepRunner

    runtime = ToolRuntime.from_load("TextDetection_cpu")
    competition = _FakeCompetition(runtime, candidates=("a", "b", "c"))
    runner = CompetingStepRunner(competition)
    assert "Text Detection On Image" in runner.available
    outcome = runner("Text Detection On Image", {"image_path": photo}, workspace)
    assert competition.calls == [("Text Detection On Image", {"image_path": photo})]
    assert outcome.ok and outcome.text == "STOP" and outcome.seconds == 0.3
    assert outcome.choose_model_result() == {"id": "tesseract-sparse", "reason": "highest mean similarity (0.91)"}
    assert outcome.competition["similarity"] == {"matrix": [[1.0]]}
    competition.result.candidates = ()  # the tool ran alone: no competition to record
    assert runner("Text Detection On Image", {"image_path": photo}, workspace).competition is None


def test_a_plan_step_competes_through_the_real_competition(workspace):
    """With tools/competition.py present and OCR set to compete (its shipped candidates, configs/models.yaml), the
    kept reading and the matrix come back with the step."""
    competition_module = pytest.importorskip("tools.competition", exc_type=ImportError)
    from dataclasses import replace

    from PIL import Image, ImageDraw, ImageFont

    from agent.step_runner import CompetingStepRunner
    from tools.model_registry import ModelRegistry

    sign = Image.new("RGB", (420, 140), "white")
    ImageDraw.Draw(sign).text((20, 30), "OPEN", fill="black", font=ImageFont.load_default(size=72))
    name = workspace.add_image(sign)
    runtime = ToolRuntime.from_load("TextDetection_cpu,Image2Canny_cpu")
    shipped = ModelRegistry.load(catalog=runtime.catalog)
    ocr_competes = replace(shipped.families["TextDetection"], compete=True)
    registry = ModelRegistry({**shipped.families, "TextDetection": ocr_competes})
    runner = CompetingStepRunner(competition_module.Competition(runtime, registry))
    plan = plan_of(("Text Detection On Image", {"image_path": name}), ("Edge Detection On Image", {"image_path": name}))
    execution = Executor(runner).run(plan, workspace)
    assert execution.ok, [r.reason for r in execution.results]
    ocr, edges = (r.outcome for r in execution.results)
    assert "OPEN" in ocr.text.upper()
    assert ocr.competition is not None and len(ocr.competition["candidates"]) >= 2
    assert ocr.model == ocr.competition["choose model result"]["id"]
    assert edges.competition is None and "compete: false" in edges.reason  # Image2Canny runs alone as shipped
