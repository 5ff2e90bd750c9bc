"""The plan view's diagram and table: layout by dependency depth, states, candidates and the one kept."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

from agent.executor import Executor
from agent.step_runner import StepOutcome
from protocol.plan import decode_plan
from tests.plan_fakes import ScriptedRunner
from tools.workspace import Workspace
from ui.plan_view import PLAN_HEADERS, candidates_cell, depths, plan_rows, plan_svg

SVG = "{http://www.w3.org/2000/svg}"
PLAN = decode_plan(
    json.dumps(
        [
            {"task": "Text Detection On Image", "id": 0, "args": {"image_path": "image/a.png"}},
            {"task": "Edge Detection On Image", "id": 1, "args": {"image_path": "image/a.png"}},
            {"task": "Generate Image From User Input Text", "id": 2, "args": {"text": "<GENERATED>-0"}},
            {"task": "Pose Detection On Image", "id": 3, "args": {"image_path": "<GENERATED>-2"}},
        ]
    )
)
COMPETITION = {
    "candidates": [
        {"id": "tesseract-auto", "ok": True, "mean_similarity": 0.8123, "error": None},
        {"id": "tesseract-sparse", "ok": True, "mean_similarity": 0.9012, "error": None},
        {"id": "tesseract-line", "ok": False, "mean_similarity": None, "error": "timed out after 120 s"},
    ],
    "choose model result": {"id": "tesseract-sparse", "reason": "highest mean similarity"},
}


def executed(tmp_path):
    runner = ScriptedRunner(
        {
            "Text Detection On Image": lambda a, ws: StepOutcome(
                True, "OPEN", model="tesseract-sparse", reason="highest mean similarity", competition=COMPETITION
            ),
            "Generate Image From User Input Text": lambda a, ws: StepOutcome(False, "no diffusion weights here"),
        }
    )
    return Executor(runner).run(PLAN, Workspace(tmp_path / "ws"))


def test_depths_put_each_step_after_the_steps_it_uses():
    assert depths(PLAN) == {0: 0, 1: 0, 2: 1, 3: 2}


def test_the_diagram_has_a_box_per_step_coloured_by_state_and_an_arrow_per_reference(tmp_path):
    execution = executed(tmp_path)
    root = ET.fromstring(plan_svg(PLAN, execution.by_id()))
    steps = root.findall(f"{SVG}g")
    assert [(g.get("data-step"), g.get("data-status")) for g in steps] == [
        ("0", "done"),
        ("1", "done"),
        ("2", "failed"),
        ("3", "skipped"),
    ]
    assert len(root.findall(f"{SVG}line")) == 2
    x = [float(g.find(f"{SVG}rect").get("x")) for g in steps]
    assert x[0] == x[1] < x[2] < x[3]  # columns by depth
    assert steps[2].find(f"{SVG}text").text == "3. Generate Image From User…"
    pending = ET.fromstring(plan_svg(PLAN))  # before it runs
    assert {g.get("data-status") for g in pending.findall(f"{SVG}g")} == {"pending"}
    assert plan_svg(decode_plan("[]")) == ""


def test_the_table_lists_uses_state_model_candidates_and_result(tmp_path):
    rows = plan_rows(PLAN, executed(tmp_path).by_id())
    assert all(len(row) == len(PLAN_HEADERS) for row in rows)
    ocr, edges, generate, pose = rows
    assert ocr[:3] == ["1", "Text Detection On Image", ""]
    assert ocr[4:8] == [
        "done",
        "tesseract-sparse (highest mean similarity)",
        "tesseract-auto 0.81; ✔ tesseract-sparse 0.90; ✗ tesseract-line: timed out after 120 s",
        "OPEN",
    ]
    assert edges[6] == ""  # ran alone: no candidates
    assert generate[2:5] == ["1", "text=output of step 1", "failed"] and generate[7] == "no diffusion weights here"
    assert pose[4] == "skipped" and pose[7].startswith("step 3 (Generate Image From User Input Text) failed")
    assert [row[4] for row in plan_rows(PLAN)] == ["pending"] * 4
    assert candidates_cell(None) == ""
