"""Text-prompted detection and the tools built on it, through the real loaders, on tiny random checkpoints."""

from __future__ import annotations

import logging

import numpy as np
import pytest
from PIL import Image, ImageFilter
from skimage import data

from tests import tiny_vision
from tests.tiny_vision import runtime_over
from tools.backends.composites import MASK_GROW
from tools.outputs import NO_OBJECT_FOUND, Box
from tools.workspace import Workspace

FAST = {"steps": 2, "resolution": 32}


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory) -> dict[str, str]:
    root = tmp_path_factory.mktemp("tiny-grounding")
    return {
        "Text2Box": str(tiny_vision.build_grounding_dino(root / "grounding-dino")),
        "Segmenting": str(tiny_vision.build_sam(root / "sam")),
        "Inpainting": str(
            tiny_vision.build_stable_diffusion(root / "inpaint", "StableDiffusionInpaintPipeline", unet_in=9)
        ),
    }


@pytest.fixture
def astronaut(tmp_path) -> tuple[Workspace, str]:
    workspace = Workspace(tmp_path / "ws")
    return workspace, workspace.add_image(Image.fromarray(data.astronaut()), max_side=128)


def test_detect_returns_boxes_as_data_and_draws_them(tmp_path, checkpoints, astronaut):
    runtime = runtime_over(tmp_path, {"Text2Box": checkpoints["Text2Box"]})
    workspace, photo = astronaut
    observation = runtime.run("Detect the Give Object", f"{photo}, person", workspace)
    assert observation.ok, observation.text
    (drawn,) = observation.files
    assert drawn not in observation.text  # shown to the human; the model works on the photo
    assert Image.open(workspace.root / drawn).size == (128, 128)
    boxes = observation.data
    assert boxes, "the random model scores every query above the default threshold"
    assert all(isinstance(box, Box) and box.label == "person" for box in boxes)
    assert all(0 <= x0 < x1 <= 128 and 0 <= y0 < y1 <= 128 for x0, y0, x1, y1 in (box.box for box in boxes))
    assert [box.score for box in boxes] == sorted((box.score for box in boxes), reverse=True)
    listed = "; ".join(f"person [{', '.join(map(str, box.box))}]" for box in boxes)
    assert observation.text == listed  # the training data's form: label [x0, y0, x1, y1]; ...


def test_several_named_objects_are_found_and_labelled_each(tmp_path, checkpoints, astronaut):
    runtime = runtime_over(tmp_path, {"Text2Box": checkpoints["Text2Box"]})
    workspace, photo = astronaut
    observation = runtime.run("Detect the Give Object", f"{photo}, person; rocket, person", workspace)
    assert observation.ok, observation.text
    labels = [box.label for box in observation.data]
    assert set(labels) == {"person", "rocket"}
    assert labels == sorted(labels, key=["person", "rocket"].index), "grouped by name, in the order asked"
    single = runtime.run("Detect the Give Object", f"{photo}, rocket", workspace).data
    assert [box for box in observation.data if box.label == "rocket"] == single


def test_nothing_above_the_threshold_is_said_in_the_training_datas_words(tmp_path, checkpoints, astronaut, caplog):
    families = {
        "Text2Box": {"checkpoint": checkpoints["Text2Box"], "box_threshold": 1.0},
        "Segmenting": checkpoints["Segmenting"],
        "Inpainting": {"checkpoint": checkpoints["Inpainting"], **FAST},
    }
    runtime = runtime_over(tmp_path, families)
    workspace, photo = astronaut
    with caplog.at_level(logging.INFO, logger="tools.backends.grounding"):
        detected = runtime.run("Detect the Give Object", f"{photo}, person", workspace)
        both = runtime.run("Detect the Give Object", f"{photo}, person, rocket", workspace)
    assert detected.ok and detected.data == [] and len(detected.files) == 1
    assert detected.text == both.text == NO_OBJECT_FOUND  # what data_gen writes for a missing object
    assert "no 'person' found with confidence above 1.0" in caplog.text  # the detail goes to the log
    assert "no 'person' or 'rocket' found" in caplog.text
    for tool in ("Segment the given object", "Remove Something From The Photo"):
        observation = runtime.run(tool, f"{photo}, person", workspace)
        assert not observation.ok and "no 'person' found" in observation.text


def test_segment_remove_and_replace_a_named_object(tmp_path, checkpoints, astronaut):
    families = {
        "Text2Box": checkpoints["Text2Box"],
        "Segmenting": checkpoints["Segmenting"],
        "Inpainting": {"checkpoint": checkpoints["Inpainting"], **FAST},
    }
    runtime = runtime_over(tmp_path, families)
    workspace, photo = astronaut
    original = Image.open(workspace.root / photo).convert("RGB")

    segmented = runtime.run("Segment the given object", f"{photo}, person", workspace)
    assert segmented.ok, segmented.text
    mask = Image.open(workspace.root / segmented.text)
    assert mask.size == original.size and set(np.unique(np.asarray(mask))) <= {0, 255}
    assert np.asarray(mask).any(), "the random detector's boxes give SAM something to segment"
    kept = np.asarray(mask.filter(ImageFilter.MaxFilter(2 * MASK_GROW + 1))) == 0

    for tool, action_input in (
        ("Remove Something From The Photo", f"{photo}, person"),
        ("Replace Something From The Photo", f"{photo}, person, a robot"),
    ):
        observation = runtime.run(tool, action_input, workspace)
        assert observation.ok, observation.text
        edited = np.asarray(Image.open(workspace.root / observation.text).convert("RGB"))
        assert edited.shape == (*original.size[::-1], 3)
        assert (edited[kept] == np.asarray(original)[kept]).all()  # only the grown object mask is repainted
        assert (edited[~kept] != np.asarray(original)[~kept]).any()
