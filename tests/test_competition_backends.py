"""The real competing backends: every offline candidate on real photos, the shipped competitions end to end,
and the hub candidates through their real loaders on tiny random checkpoints."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont
from skimage import data

from tests import tiny_vision
from tests.competition_fakes import bag_of_words
from tools.backends.ocr import TextReadingFamily
from tools.backends.opencv import HaarCascadeFamily
from tools.competition import Competition
from tools.consensus import as_mask, edge_f_measure
from tools.errors import LoadSpecError
from tools.model_registry import ModelRegistry
from tools.runtime import ToolRuntime
from tools.workspace import Workspace

FACE_CENTRE = (220, 115)  # the astronaut's face in the 512x512 photo
OFFLINE_TOOLS = {
    "TextDetection": "Text Detection On Image",
    "ObjectDetection": "Detection",
    "BackgroundRemoving": "Remove the background",
    "Image2Canny": "Edge Detection On Image",
    "Image2Line": "Line Detection On Image",
}


@pytest.fixture(scope="module")
def runtime() -> ToolRuntime:
    import torch

    torch.set_num_threads(2)
    return ToolRuntime.from_load()


@pytest.fixture(scope="module")
def competition(runtime) -> Competition:
    return Competition(runtime, embedder=bag_of_words)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Workspace:
    return Workspace(tmp_path_factory.mktemp("ws"))


SIGN_AT = (20, 35)
SIGN_FONT = ImageFont.load_default(size=40)


@pytest.fixture(scope="module")
def photos(workspace) -> dict[str, str]:
    sign = Image.new("RGB", (480, 120), "white")
    ImageDraw.Draw(sign).text(SIGN_AT, "OPEN 24 HOURS", fill="black", font=SIGN_FONT)
    return {
        "astronaut": workspace.add_image(Image.fromarray(data.astronaut())),
        "small": workspace.add_image(Image.fromarray(data.astronaut()), max_side=256),
        "sign": workspace.add_image(sign),
    }


def each_candidate(competition: Competition, family: str, image: str, workspace: Workspace) -> dict:
    """Every candidate of ``family`` run alone on ``image``: name -> its outcome."""
    entry = competition.registry.get(family)
    outcomes = {}
    for candidate in entry.candidates:
        result = competition.compete(OFFLINE_TOOLS[family], image, workspace, candidates=[candidate.name])
        outcomes[candidate.name] = result.candidates[0]
        assert result.candidates[0].ok, (candidate.name, result.candidates[0].error)
    return outcomes


def test_every_ocr_candidate_reads_a_clear_sign(competition, workspace, photos):
    readings = each_candidate(competition, "TextDetection", photos["sign"], workspace)
    assert len(readings) >= 4
    assert all(o.value.text == "OPEN 24 HOURS" for o in readings.values()), {n: o.value for n, o in readings.items()}
    # each says where the words are: within two pixels of the ink
    ink = ImageDraw.Draw(Image.new("RGB", (1, 1))).textbbox(SIGN_AT, "OPEN 24 HOURS", font=SIGN_FONT)
    draw = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    for name, outcome in readings.items():
        assert max(abs(a - b) for a, b in zip(outcome.value.box, ink, strict=True)) <= 2, (name, outcome.value, ink)
        # and each word, within three pixels of its own ink ("blur the hours")
        assert [word.text for word in outcome.value.words] == ["OPEN", "24", "HOURS"], name
        for word in outcome.value.words:
            start = SIGN_AT[0] + draw.textlength("OPEN 24 HOURS"[: "OPEN 24 HOURS".index(word.text)], font=SIGN_FONT)
            own = draw.textbbox((start, SIGN_AT[1]), word.text, font=SIGN_FONT)
            assert max(abs(a - b) for a, b in zip(word.box, own, strict=True)) <= 3, (name, word, own)
    with pytest.raises(LoadSpecError, match="psm 5"):
        TextReadingFamily("TextDetection", "cpu", {"engine": "tesseract", "psm": 5}).check()
    with pytest.raises(LoadSpecError, match="unknown options"):
        TextReadingFamily("TextDetection", "cpu", {"engine": "tesseract", "mode": 6}).check()


def test_every_face_detector_finds_the_astronaut(competition, workspace, photos):
    found = each_candidate(competition, "ObjectDetection", photos["astronaut"], workspace)
    assert {"haar-default", "mediapipe-short", "mediapipe-full", "haar-alt2"} <= set(found)
    for name, outcome in found.items():
        faces = [b for b in outcome.value.boxes if b.label == "face"]
        assert len(faces) == 1, name
        x0, y0, x1, y1 = faces[0].box
        assert x0 < FACE_CENTRE[0] < x1 and y0 < FACE_CENTRE[1] < y1, (name, faces[0])
    faces_only = HaarCascadeFamily("ObjectDetection", "cpu", {"faces": "mediapipe-full", "labels": ["face"]})
    assert list(faces_only.get()) == ["face"]
    with pytest.raises(LoadSpecError, match="faces 'dlib'"):
        HaarCascadeFamily("ObjectDetection", "cpu", {"faces": "dlib"}).check()
    with pytest.raises(LoadSpecError, match="labels"):
        HaarCascadeFamily("ObjectDetection", "cpu", {"labels": ["dog"]}).check()


def test_every_person_segmenter_keeps_the_astronaut(competition, workspace, photos):
    masks = each_candidate(competition, "BackgroundRemoving", photos["astronaut"], workspace)
    assert set(masks) == {"selfie-general", "selfie-landscape", "pose-mask"}
    for name, outcome in masks.items():
        alpha = as_mask(outcome.value)
        assert alpha[FACE_CENTRE[1], FACE_CENTRE[0]], name
        assert 0.1 < (~alpha).mean() < 0.9, name


def test_edge_and_line_candidates_find_the_same_structure(competition, workspace, photos):
    edges = each_candidate(competition, "Image2Canny", photos["small"], workspace)
    canny = as_mask(edges["canny"].value)
    for name, outcome in edges.items():
        edge_map = np.asarray(outcome.value)
        assert set(np.unique(edge_map)) <= {0, 255} and 0.01 < (edge_map > 0).mean() < 0.4, name
        assert edge_f_measure(as_mask(outcome.value), canny) > 0.4, name
    lines = each_candidate(competition, "Image2Line", photos["small"], workspace)
    assert set(lines) == {"lsd", "hough", "lsd-coarse"}
    for name, outcome in lines.items():
        assert 0.003 < (np.asarray(outcome.value) > 0).mean() < 0.3, name
    assert (np.asarray(lines["lsd-coarse"].value) > 0).sum() != (np.asarray(lines["lsd"].value) > 0).sum()


@pytest.mark.parametrize("family", sorted(OFFLINE_TOOLS))
def test_the_first_candidate_is_the_tool_as_it_runs_alone(runtime, competition, workspace, photos, family):
    image = photos["sign" if family == "TextDetection" else "small"]
    tool = OFFLINE_TOOLS[family]
    alone = runtime.run(tool, image, workspace)
    first = competition.registry.get(family).candidates[0].name
    competing = competition.compete(tool, image, workspace, candidates=[first]).observation
    assert alone.ok and competing.ok
    if family in ("TextDetection", "ObjectDetection"):
        assert competing.text == alone.text
    else:
        same = np.asarray(Image.open(workspace.root / competing.text))
        assert np.array_equal(same, np.asarray(Image.open(workspace.root / alone.text)))


@pytest.mark.parametrize("family", sorted(OFFLINE_TOOLS))
def test_each_offline_family_competes_on_a_photo(competition, workspace, photos, family):
    image = photos["sign" if family == "TextDetection" else "small"]
    result = competition.compete(OFFLINE_TOOLS[family], image, workspace)
    entry = competition.registry.get(family)
    assert [c.name for c in result.candidates] == [c.name for c in entry.candidates[: entry.k]]
    assert result.observation.ok and result.chosen in result.compared and not result.unavailable
    matrix = np.array(result.matrix)
    assert matrix.shape == (len(result.compared),) * 2 and np.allclose(matrix, matrix.T)
    kept = result.outcome(result.chosen)
    assert kept.mean_similarity == max(c.mean_similarity for c in result.candidates)
    assert result.observation.files == kept.files  # the kept image saved, the others not
    assert all(not c.files for c in result.candidates if c.name != result.chosen)


def hub_registry(checkpoints: dict[str, str]) -> ModelRegistry:
    """The shipped hub candidates with their checkpoints replaced by tiny random ones of the same classes."""
    shipped = ModelRegistry.load()
    raw = {"families": {}}
    for family in ("ImageCaptioning", "VisualQuestionAnswering", "Image2Depth"):
        entry = shipped.get(family)
        raw["families"][family] = {
            "candidates": [
                {
                    "name": c.name,
                    "description": c.description,
                    "source": c.source,
                    "licence": c.licence,
                    "options": {**c.options, "checkpoint": checkpoints[c.name]},
                }
                for c in entry.candidates
            ]
        }
    return ModelRegistry.from_dict(raw)


@pytest.mark.parametrize("device", ["cpu", pytest.param("cuda", marks=pytest.mark.gpu)])
def test_hub_candidates_load_and_compete_on_tiny_checkpoints(tmp_path, device):
    root = tmp_path / "tiny"
    blip = str(tiny_vision.build_blip(root / "blip", "BlipForConditionalGeneration"))
    vqa = str(tiny_vision.build_blip(root / "vqa", "BlipForQuestionAnswering"))
    dpt = str(tiny_vision.build_dpt(root / "dpt"))
    checkpoints = {
        "blip-base": blip,
        "blip-large": blip,
        "blip-vqa-base": vqa,
        "blip-vqa-capfilt-large": vqa,
        "git-base-coco": str(tiny_vision.build_git(root / "git")),
        "dpt-hybrid-midas": dpt,
        "dpt-large": dpt,
        "depth-anything-small": str(tiny_vision.build_depth_anything(root / "depth-anything")),
    }
    competition = Competition(ToolRuntime({}), hub_registry(checkpoints), embedder=bag_of_words, device=device)
    workspace = Workspace(tmp_path / "ws")
    cat = workspace.add_image(Image.fromarray(data.chelsea()), max_side=96)
    captions = competition.compete("Get Photo Description", cat, workspace)
    assert not captions.unavailable and all(c.ok for c in captions.candidates), [c.error for c in captions.candidates]
    assert all(isinstance(c.value, str) for c in captions.candidates)
    assert captions.observation.ok and len(captions.matrix) == 3
    answers = competition.compete("Answer Question About The Image", f"{cat}, what animal is this?", workspace)
    assert [c.ok for c in answers.candidates] == [True, True] and "prior rank" in answers.reason  # two: a tie
    depth = competition.compete("Predict Depth On Image", cat, workspace)
    assert all(c.ok for c in depth.candidates), [c.error for c in depth.candidates]
    assert depth.agreement == "image" and len(depth.matrix) == 3
    assert Image.open(workspace.root / depth.observation.text).size == Image.open(workspace.root / cat).size
