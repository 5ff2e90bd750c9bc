"""Competing backends: the registry, the agreement measures, the consensus and the concurrent runs.

Backends here are fakes (tests/competition_fakes.py) so that what each returns, when and how it fails is
set by the test; the real backends are in test_competition_backends.py.
"""

from __future__ import annotations

import json
import threading

import numpy as np
import pytest
import yaml
from PIL import Image

from protocol.errors import InputError
from tests.competition_fakes import bag_of_words, candidate
from tools.competition import Competition
from tools.consensus import (
    Nothing,
    box_set_agreement,
    choose,
    edge_f_measure,
    image_correlation,
    mask_iou,
    similarity_matrix,
)
from tools.model_registry import (
    DEFAULT_MODELS_CONFIG,
    Agreement,
    ModelRegistry,
    ModelRegistryError,
    Selection,
)
from tools.outputs import Box, Detections
from tools.runtime import ToolRuntime
from tools.spec import InputKind, OutputKind, ToolInput, ToolSpec
from tools.workspace import Workspace

OCR = "Text Detection On Image"


def registry_of(*candidates: dict, family: str = "TextDetection", **settings) -> ModelRegistry:
    return ModelRegistry.from_dict({"families": {family: {"candidates": list(candidates), **settings}}})


@pytest.fixture
def workspace(tmp_path) -> Workspace:
    return Workspace(tmp_path / "ws")


@pytest.fixture
def photo(workspace) -> str:
    return workspace.add_image(Image.new("RGB", (32, 24), "white"))


def compete(registry: ModelRegistry, workspace: Workspace, photo: str, **kwargs):
    competition = Competition(ToolRuntime({}), registry, embedder=bag_of_words)
    return competition.compete(OCR, photo, workspace, **kwargs)


# -- the registry -------------------------------------------------------------------------------------------


def test_the_shipped_registry_loads_and_offers_five_offline_families_of_several_backends():
    registry = ModelRegistry.load()
    offline = {name for name, entry in registry.families.items() if sum(c.offline for c in entry.candidates) >= 2}
    assert offline >= {"TextDetection", "ObjectDetection", "BackgroundRemoving", "Image2Canny", "Image2Line"}
    for entry in registry.families.values():
        assert [c.rank for c in entry.candidates] == list(range(1, len(entry.candidates) + 1))
        assert all(c.description and c.source and c.licence for c in entry.candidates)
    assert {"ImageCaptioning", "Image2Depth"} <= set(registry.families)


BAD_REGISTRIES = [
    ({"families": {"TextReader": {"candidates": [candidate("a", "answer")]}}}, "unknown family 'TextReader'"),
    ({"families": {"Text2Image": {"candidates": [candidate("a", "answer")]}}}, None),  # valid: one tool
    ({"families": {"TextDetection": {"candidates": []}}}, "at least one candidate"),
    ({"families": {"TextDetection": {"candidats": []}}}, "unknown keys \\['candidats'\\]"),
    ({"families": {"TextDetection": {"candidates": [candidate("a", "answer")] * 2}}}, "repeated: a"),
    ({"families": {"TextDetection": {"candidates": [{**candidate("a", "answer"), "downloads": -3}]}}}, "downloads"),
    ({"families": {"TextDetection": {"candidates": [{**candidate("a", "answer"), "likes": "many"}]}}}, "likes"),
    ({"families": {"TextDetection": {"candidates": [{**candidate("a", "answer"), "handler": "ocr"}]}}}, "handler"),
    ({"families": {"TextDetection": {"candidates": [{**candidate("a", "answer"), "loader": "Ocr"}]}}}, "loader"),
    ({"families": {"TextDetection": {"candidates": [{**candidate("A b", "answer")}]}}}, "lowercase"),
    (
        {"families": {"TextDetection": {"candidates": [{**candidate("a", "answer"), "description": " "}]}}},
        "description",
    ),
    ({"families": {"TextDetection": {"candidates": [candidate("a", "answer")], "k": 0}}}, "k must be"),
    ({"families": {"TextDetection": {"candidates": [candidate("a", "answer")], "select": "best"}}}, "select"),
    ({"families": {"TextDetection": {"candidates": [candidate("a", "answer")], "compete": "yes"}}}, "true or false"),
    ({"families": {"TextDetection": {"candidates": [candidate("a", "answer")], "timeout_s": 0}}}, "timeout_s"),
    ({"families": {"ImageEditing": {"candidates": [candidate("a", "answer")]}}}, "3 tools run on 'ImageEditing'"),
    ({"families": []}, "families must map"),
    ([], "must be a mapping"),
]


@pytest.mark.parametrize(("raw", "message"), BAD_REGISTRIES)
def test_registry_errors_name_the_entry_and_the_fix(raw, message):
    if message is None:
        ModelRegistry.from_dict(raw)
        return
    with pytest.raises(ModelRegistryError, match=message) as caught:
        ModelRegistry.from_dict(raw, source="models.yaml")
    assert isinstance(caught.value, InputError)  # entry points print it as one line, no traceback
    assert str(caught.value).startswith("models.yaml")


def test_registry_files_are_checked_for_existence_and_yaml(tmp_path):
    with pytest.raises(ModelRegistryError, match="does not exist"):
        ModelRegistry.load(tmp_path / "missing.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("families: [unclosed\n")
    with pytest.raises(ModelRegistryError, match="not valid YAML"):
        ModelRegistry.load(broken)
    good = tmp_path / "models.yaml"
    good.write_text(yaml.safe_dump({"families": {"TextDetection": {"candidates": [candidate("a", "answer")]}}}))
    assert ModelRegistry.load(good).get("TextDetection").candidates[0].loader == "Image2Canny"
    with pytest.raises(ModelRegistryError, match="no candidates for 'Image2Pose'"):
        ModelRegistry.load(good).get("Image2Pose")


def test_candidates_are_selected_by_rank_downloads_likes_or_similarity():
    entries = [
        {**candidate("dense", "answer"), "downloads": 10, "likes": 9, "description": "a page of printed text"},
        {**candidate("sparse", "answer"), "downloads": 500, "likes": None, "description": "words on a street sign"},
        {**candidate("line", "answer"), "downloads": None, "likes": 40, "description": "one line of a banner"},
        {**candidate("plain", "answer"), "downloads": 500, "likes": 40, "description": "anything"},
    ]
    entry = registry_of(*entries, k=2).get("TextDetection")
    names = lambda picked: [c.name for c in picked]  # noqa: E731
    assert names(entry.select_candidates()) == ["dense", "sparse"]
    assert names(entry.select_candidates(by="downloads")) == ["sparse", "plain"]  # tie by rank
    assert names(entry.select_candidates(k=4, by=Selection.LIKES)) == ["line", "plain", "dense", "sparse"]
    similar = entry.select_candidates(k=1, by="similarity", query="read the street sign", embed=bag_of_words)
    assert names(similar) == ["sparse"]
    assert names(entry.select_candidates(by="similarity", query=None)) == ["dense", "sparse"]  # no text: rank
    with pytest.raises(ModelRegistryError, match="needs a sentence embedder"):
        entry.select_candidates(by="similarity", query="a sign")


# -- agreement and consensus ------------------------------------------------------------------------------


def test_text_agreement_uses_minilm_meaning_not_spelling():
    from tools.embeddings import MiniLMEmbedder

    captions = ["a dog runs across the grass", "a puppy running on a lawn", "a red car parked in the street"]
    matrix = similarity_matrix(captions, Agreement.TEXT, MiniLMEmbedder())
    assert matrix[0, 1] > matrix[0, 2] + 0.2 and matrix[0, 1] > matrix[1, 2] + 0.2
    assert choose(matrix, captions, [1, 2, 3]).index in (0, 1)
    same = similarity_matrix(["OPEN 24 HOURS", "open  24 hours"], Agreement.TEXT, bag_of_words)
    assert same[0, 1] == 1.0  # identical but for case and spacing


def test_boxes_agree_by_matched_iou():
    face = Box("face", 0.9, (10, 10, 50, 50))
    near = Box("face", 0.8, (12, 10, 52, 50))
    far = Box("face", 0.8, (100, 100, 140, 140))
    assert box_set_agreement([face], [face]) == 1.0
    assert box_set_agreement([], []) == 1.0
    assert box_set_agreement([face], []) == 0.0
    assert box_set_agreement([face], [far]) == 0.0
    assert box_set_agreement([face], [Box("cat", 0.9, face.box)]) == 0.0  # labels must agree
    assert box_set_agreement([face, far], [face]) == pytest.approx(2 / 3)  # an extra box costs
    assert 0.85 < box_set_agreement([face, far], [far, near]) < 1.0  # matched one to one, order ignored
    image = Image.new("RGB", (200, 200))
    results = [Detections(image, (face,)), Detections(image, (near,)), Detections(image, (far,))]
    matrix = similarity_matrix(results, Agreement.BOXES)
    assert choose(matrix, ["a", "b", "c"], [1, 2, 3]).index in (0, 1)


def test_masks_agree_by_iou_of_the_kept_pixels():
    def cut_out(x0: int) -> Image.Image:
        alpha = np.zeros((40, 40), np.uint8)
        alpha[5:35, x0 : x0 + 20] = 255
        rgba = Image.new("RGBA", (40, 40), (200, 100, 50, 255))
        rgba.putalpha(Image.fromarray(alpha))
        return rgba

    assert mask_iou(np.zeros((4, 4), bool), np.zeros((4, 4), bool)) == 1.0
    matrix = similarity_matrix([cut_out(5), cut_out(7), cut_out(20)], Agreement.MASK)
    assert matrix[0, 1] == pytest.approx(18 / 22)
    assert matrix[0, 2] == pytest.approx(5 / 35)
    assert choose(matrix, ["a", "b", "c"], [3, 2, 1]).index in (0, 1)


def test_edge_maps_agree_within_a_pixel_or_two_but_not_elsewhere():
    edges = np.zeros((100, 100), bool)
    edges[50, 10:90] = True
    shifted = np.roll(edges, 1, axis=0)
    elsewhere = np.zeros_like(edges)
    elsewhere[10:90, 20] = True
    assert mask_iou(edges, shifted) == 0.0  # exact overlap would call them different
    assert edge_f_measure(edges, shifted) == 1.0
    assert edge_f_measure(edges, elsewhere) < 0.05
    assert edge_f_measure(edges, np.zeros_like(edges)) == 0.0


def test_images_agree_by_correlation_whatever_their_contrast():
    ramp = np.tile(np.linspace(0, 255, 64), (64, 1))
    low_contrast = 100 + ramp * 0.2
    as_images = [Image.fromarray(a.astype(np.uint8)) for a in (ramp, low_contrast, 255 - ramp)]
    matrix = similarity_matrix(as_images, Agreement.IMAGE)
    assert matrix[0, 1] > 0.99 and matrix[0, 2] < -0.99
    assert image_correlation(np.zeros((4, 4)), np.zeros((4, 4))) == 1.0


def test_ties_go_to_the_prior_rank_and_the_reason_says_so():
    matrix = np.array([[1.0, 0.4], [0.4, 1.0]])
    choice = choose(matrix, ["second", "first"], [2, 1])
    assert choice.index == 1 and "prior rank" in choice.reason
    unanimous = choose(np.ones((3, 3)), ["a", "b", "c"], [3, 1, 2])
    assert unanimous.index == 1
    clear = choose(np.array([[1, 0.9, 0.2], [0.9, 1, 0.3], [0.2, 0.3, 1]]), ["a", "b", "c"], [3, 2, 1])
    assert clear.index == 1 and clear.reason.startswith("highest mean similarity") and "0.60" in clear.reason


def test_finding_nothing_is_an_answer_that_can_win():
    mask = np.zeros((20, 20), bool)
    mask[5:10, 5:10] = True
    values = [Nothing("no person"), Image.fromarray(mask.astype(np.uint8) * 255), Nothing("no person")]
    matrix = similarity_matrix(values, Agreement.MASK)
    assert matrix[0, 2] == 1.0 and matrix[0, 1] == 0.0
    assert choose(matrix, ["a", "b", "c"], [2, 1, 3]).index == 0


# -- running competitions ---------------------------------------------------------------------------------


def test_candidates_run_at_the_same_time(workspace, photo):
    barrier = threading.Barrier(3, timeout=20)  # reached only if all three run at once
    entries = [candidate(n, "answer_after_barrier", answer="OPEN", barrier=barrier) for n in ("a", "b", "c")]
    result = compete(registry_of(*entries), workspace, photo)
    assert [c.ok for c in result.candidates] == [True, True, True], [c.error for c in result.candidates]
    assert result.observation.ok and result.observation.text == "OPEN" and result.chosen == "a"


def test_a_failing_or_hanging_candidate_is_left_out(workspace, photo):
    release = threading.Event()
    entries = [
        candidate("crashes", "crash"),
        candidate("hangs", "answer_when_released", answer="late", release=release),
        candidate("returns-a-number", "answer", answer=42),
        candidate("reads", "answer", answer="EXIT HERE"),
        candidate("reads-too", "answer", answer="EXIT"),
    ]
    try:
        result = compete(registry_of(*entries, k=5), workspace, photo, timeout_s=0.5)
    finally:
        release.set()
    outcomes = {c.name: c for c in result.candidates}
    assert "RuntimeError: backend crashed" in outcomes["crashes"].error and not outcomes["crashes"].ok
    assert outcomes["hangs"].error == "timed out after 0.5 s" and not outcomes["hangs"].ok
    assert "returned int; expected an image, text, a Reading or Detections" in outcomes["returns-a-number"].error
    assert result.compared == ("reads", "reads-too") and len(result.matrix) == 2
    assert result.chosen == "reads" and "prior rank" in result.reason  # two results: a tie by construction
    assert result.observation.ok and result.observation.text == "EXIT HERE"


def test_when_every_candidate_fails_the_observation_says_why(workspace, photo):
    result = compete(registry_of(candidate("a", "crash"), candidate("b", "crash")), workspace, photo)
    assert not result.observation.ok and result.chosen is None
    assert result.observation.text.count("backend crashed") == 2
    assert result.choose_model_result() == {"id": "", "reason": "no candidate succeeded"}


def test_the_consensus_keeps_the_majority_reading_and_reports_the_matrix(workspace, photo):
    entries = [
        candidate("odd", "answer", answer="0PEN 2A H0URS"),
        candidate("first", "answer", answer="OPEN 24 HOURS"),
        candidate("second", "answer", answer="OPEN 24 HOURS daily"),
    ]
    result = compete(registry_of(*entries), workspace, photo)
    assert result.chosen == "first" and result.observation.text == "OPEN 24 HOURS"
    matrix = np.array(result.matrix)
    assert matrix.shape == (3, 3) and np.allclose(matrix, matrix.T) and np.allclose(np.diag(matrix), 1)
    assert result.outcome("odd").mean_similarity < result.outcome("first").mean_similarity
    summary = json.loads(json.dumps(result.to_dict()))
    assert summary["choose model result"]["id"] == "first"
    assert summary["similarity"]["candidates"] == ["odd", "first", "second"]
    assert [c["result"] for c in summary["candidates"]][1] == "OPEN 24 HOURS"


def test_named_arguments_k_and_explicit_candidates(workspace, photo):
    entries = [candidate(n, "answer", answer=n) for n in ("a", "b", "c")]
    registry = registry_of(*entries, k=2)
    competition = Competition(ToolRuntime({}), registry, embedder=bag_of_words)
    by_name = competition.compete(OCR, {"image_path": photo}, workspace)
    assert [c.name for c in by_name.candidates] == ["a", "b"] and by_name.action_input == photo
    only = competition.compete(OCR, photo, workspace, candidates=["c"])
    assert only.chosen == "c" and only.reason == "the only candidate that gave a result"
    missing = competition.compete(OCR, {"image": photo}, workspace)
    assert not missing.observation.ok and "missing image_path" in missing.observation.text
    unknown = competition.compete(OCR, photo, workspace, candidates=["zzz"])
    assert not unknown.observation.ok and "no candidate 'zzz'" in unknown.observation.text
    gone = competition.compete(OCR, "image/none.png", workspace)
    assert not gone.observation.ok and "does not exist" in gone.observation.text


def test_tools_without_candidates_or_unknown_are_refused_with_the_alternatives(workspace, photo):
    competition = Competition(ToolRuntime({}), registry_of(candidate("a", "answer", answer="x")))
    assert not competition.competes(OCR)  # compete: false is the default
    unknown = competition.compete("Read Text", photo, workspace)
    assert not unknown.observation.ok and OCR in unknown.observation.text
    refused = competition.compete("Crop Image", f"{photo}, 1, 1, 5, 5", workspace)
    assert not refused.observation.ok and "no competing candidates" in refused.observation.text


def test_a_candidate_that_finds_nothing_can_win_and_reports_the_tool_failure(workspace, photo):
    person = Image.new("L", (8, 8), 255)
    entries = [candidate("x", "find_nothing"), candidate("y", "answer", answer=person), candidate("z", "find_nothing")]
    result = compete(registry_of(*entries, agreement="mask"), workspace, photo)
    assert result.chosen == "x" and "tied with z" in result.reason  # both found nothing
    assert not result.observation.ok and result.observation.text.startswith("no person found")


def test_unavailable_candidates_are_skipped_with_the_reason(workspace, photo):
    entries = [
        {
            **candidate("cached", "answer", answer="x"),
            "loader": "ImageCaptioning",
            "options": {"checkpoint": "nowhere/none"},
        },
        candidate("here", "answer", answer="here"),
    ]
    result = compete(registry_of(*entries), workspace, photo)
    assert result.chosen == "here" and "nowhere/none" in result.unavailable["cached"]


def test_join_arguments_is_the_inverse_of_split_arguments():
    spec = ToolSpec(
        "Replace Thing",
        "replaces",
        (ToolInput("image_path", InputKind.IMAGE), ToolInput("old", InputKind.TEXT), ToolInput("new", InputKind.TEXT)),
        OutputKind.IMAGE,
        "Inpainting",
    )
    joined = spec.join_arguments({"image_path": "image/a.png", "old": "dog", "new": "a cat, sleeping"})
    assert spec.split_arguments(joined) == ["image/a.png", "dog", "a cat, sleeping"]
    with pytest.raises(ValueError, match="may not hold a comma"):
        spec.join_arguments({"image_path": "image/a.png", "old": "dog, cat", "new": "x"})
    with pytest.raises(ValueError, match="missing new; unknown extra"):
        spec.join_arguments({"image_path": "image/a.png", "old": "dog", "extra": 1})


def test_the_default_registry_path_is_the_shipped_file():
    assert DEFAULT_MODELS_CONFIG.name == "models.yaml" and DEFAULT_MODELS_CONFIG.parent.name == "configs"


def test_run_competes_only_where_the_registry_ships_competition(workspace, photo):
    entries = [candidate("x", "answer", answer="one"), candidate("y", "answer", answer="one")]
    runtime = ToolRuntime.from_load("Image2Canny_cpu")
    alone = Competition(runtime, registry_of(*entries, family="Image2Canny"), embedder=bag_of_words)
    result = alone.run("Edge Detection On Image", {"image_path": photo}, workspace)
    assert result.observation.ok and result.chosen == "x" and result.candidates == ()
    assert result.reason == "x runs alone (compete: false)"
    assert Image.open(workspace.root / result.observation.text).size == (32, 24)  # the runtime's Canny ran
    competing = Competition(runtime, registry_of(*entries, family="Image2Canny", compete=True), embedder=bag_of_words)
    assert competing.competes("Edge Detection On Image")
    result = competing.run("Edge Detection On Image", photo, workspace)
    assert [c.name for c in result.candidates] == ["x", "y"] and result.observation.text == "one"
    unknown = alone.run("Edge Detector", {"image_path": photo}, workspace)
    assert not unknown.observation.ok and "Edge Detection On Image" in unknown.observation.text
