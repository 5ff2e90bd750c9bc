"""Model-backed tools through their real loaders, on tiny random checkpoints built from configs."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from skimage import data

from tests import tiny_vision
from tests.tiny_vision import runtime_over
from tools.workspace import Workspace

CONTROLNET_FAMILIES = [
    "CannyText2Image",
    "LineText2Image",
    "HedText2Image",
    "ScribbleText2Image",
    "PoseText2Image",
    "DepthText2Image",
    "NormalText2Image",
    "SegText2Image",
]
FAST = {"steps": 2, "resolution": 32}


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("tiny-vision")
    dpt = str(tiny_vision.build_dpt(root / "dpt"))
    return {
        "ImageCaptioning": str(tiny_vision.build_blip(root / "caption", "BlipForConditionalGeneration")),
        "VisualQuestionAnswering": str(tiny_vision.build_blip(root / "vqa", "BlipForQuestionAnswering")),
        "Image2Depth": dpt,
        "Image2Normal": dpt,
        "Segmenting": str(tiny_vision.build_sam(root / "sam")),
    }


@pytest.fixture
def workspace(tmp_path) -> tuple[Workspace, str]:
    workspace = Workspace(tmp_path / "ws")
    return workspace, workspace.add_image(Image.fromarray(data.chelsea()), max_side=96)


def test_blip_depth_normal_and_sam_run_on_a_photo(tmp_path, checkpoints, workspace):
    runtime = runtime_over(tmp_path, checkpoints)
    workspace, cat = workspace
    for tool in ("Get Photo Description", "Answer Question About The Image"):
        action_input = cat if tool.startswith("Get") else f"{cat}, what animal is this?"
        observation = runtime.run(tool, action_input, workspace)
        assert observation.ok and observation.text and observation.files == ()
    for tool in ("Predict Depth On Image", "Predict Normal Map On Image", "Segment the Image"):
        observation = runtime.run(tool, cat, workspace)
        assert observation.ok, observation.text
        output = Image.open(workspace.root / observation.text)
        assert output.size == Image.open(workspace.root / cat).size
    normals = np.asarray(Image.open(workspace.root / runtime.run("Predict Normal Map On Image", cat, workspace).text))
    assert normals.shape[-1] == 3 and normals[..., 2].min() >= 127  # every normal faces the viewer
    assert runtime.families["Segmenting"].memory_bytes() > 0


@pytest.mark.slow
def test_diffusion_tools_and_every_controlnet_condition(tmp_path, checkpoints, workspace):
    root = tmp_path / "sd"
    base = str(tiny_vision.build_stable_diffusion(root / "base"))
    controlnet = str(tiny_vision.build_controlnet(root / "controlnet"))
    families = {
        "Text2Image": {"checkpoint": base, **FAST},
        "InstructPix2Pix": {
            "checkpoint": str(
                tiny_vision.build_stable_diffusion(root / "pix", "StableDiffusionInstructPix2PixPipeline", 8)
            ),
            **FAST,
        },
        "Inpainting": {
            "checkpoint": str(
                tiny_vision.build_stable_diffusion(root / "inpaint", "StableDiffusionInpaintPipeline", 9)
            ),
            **FAST,
        },
        **{name: {"checkpoint": controlnet, "base": base, **FAST} for name in CONTROLNET_FAMILIES},
        "ImageCaptioning": checkpoints["ImageCaptioning"],
        "VisualQuestionAnswering": checkpoints["VisualQuestionAnswering"],
    }
    runtime = runtime_over(tmp_path, families)
    workspace, cat = workspace
    assert runtime.run("Generate Image From User Input Text", "a red bicycle", workspace).ok
    assert runtime.run("Instruct Image Using Text", f"{cat}, make it look like winter", workspace).ok
    controlnet_tools = [spec for spec in runtime.available if spec.family in CONTROLNET_FAMILIES]
    assert len(controlnet_tools) == 8
    for spec in controlnet_tools:
        observation = runtime.run(spec.name, f"{cat}, a dog on a sofa", workspace)
        assert observation.ok, observation.text
    extended = runtime.run("Extend An Image", f"{cat}, 128x96", workspace)
    assert extended.ok, extended.text
    assert Image.open(workspace.root / extended.text).size == (128, 96)
