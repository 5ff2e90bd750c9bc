"""The original SAM checkpoints (``sam_vit_*.pth``) through segment-anything's network, on a tiny random one."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from skimage import data

from tests import tiny_vision
from tests.tiny_vision import TINY_SAM_ARCHITECTURE, runtime_over
from tools.backends.sam_checkpoint import (
    MODEL_TYPES,
    SamArchitecture,
    SamCheckpointPrompter,
    architecture_for,
    build_network,
    load_sam_checkpoint,
)
from tools.backends.segment_anything_import import import_submodule
from tools.errors import CheckpointUnavailableError
from tools.workspace import Workspace

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory) -> dict[str, str]:
    root = tmp_path_factory.mktemp("tiny-original-sam")
    return {
        "sam": str(tiny_vision.build_original_sam(root / "tiny_sam.pth")),
        "Text2Box": str(tiny_vision.build_grounding_dino(root / "grounding-dino")),
    }


@pytest.fixture
def astronaut(tmp_path) -> tuple[Workspace, str]:
    workspace = Workspace(tmp_path / "ws")
    return workspace, workspace.add_image(Image.fromarray(data.astronaut()), max_side=96)


def segmenting(checkpoints, **options) -> dict:
    return {"checkpoint": checkpoints["sam"], "architecture": TINY_SAM_ARCHITECTURE, **options}


def test_both_segmenting_tools_run_on_a_photo_from_a_pth(tmp_path, checkpoints, astronaut) -> None:
    runtime = runtime_over(tmp_path, {"Text2Box": checkpoints["Text2Box"], "Segmenting": segmenting(checkpoints)})
    workspace, photo = astronaut
    everything = runtime.run("Segment the Image", photo, workspace)
    assert everything.ok, everything.text
    assert Image.open(workspace.root / everything.text).size == (96, 96)
    named = runtime.run("Segment the given object", f"{photo}, person", workspace)
    assert named.ok, named.text
    mask = np.asarray(Image.open(workspace.root / named.text))
    assert mask.shape == (96, 96) and set(np.unique(mask)) <= {0, 255} and mask.any()
    prompter = runtime.model("Segmenting")
    assert isinstance(prompter, SamCheckpointPrompter)
    saved = torch.load(checkpoints["sam"], weights_only=True)
    assert all(torch.equal(value, saved[name]) for name, value in prompter.network.state_dict().items())
    assert runtime.families["Segmenting"].memory_bytes() > 0


def test_prompts_give_what_segment_anythings_own_predictor_gives(tmp_path, checkpoints) -> None:
    """SamPredictor (with torchvision's two image functions stood in by PIL, in a child process) and ours agree."""
    photo = tmp_path / "cat.png"
    Image.fromarray(data.chelsea()).resize((90, 60)).save(photo)
    script = f"""
import importlib.machinery, json, sys, types
import numpy as np, torch
from PIL import Image

def stub(name, **attributes):
    module = types.ModuleType(name)
    module.__spec__ = importlib.machinery.ModuleSpec(name, None)
    module.__dict__.update(attributes)
    sys.modules[name] = module

stub("torchvision"), stub("torchvision.transforms"), stub("torchvision.ops")
resize = lambda image, size: image.resize((size[1], size[0]), Image.Resampling.BILINEAR)
stub("torchvision.transforms.functional", to_pil_image=Image.fromarray, resize=resize)
stub("torchvision.ops.boxes", batched_nms=None, box_area=None)
from segment_anything import SamPredictor
from tools.backends.sam_checkpoint import SamArchitecture, build_network
sam = build_network(SamArchitecture(**{json.dumps(TINY_SAM_ARCHITECTURE)}))
sam.load_state_dict(torch.load({checkpoints["sam"]!r}, weights_only=True))
predictor = SamPredictor(sam.eval())
predictor.set_image(np.asarray(Image.open({str(photo)!r}).convert("RGB")))
out = {{}}
masks, scores, _ = predictor.predict(box=np.array([10, 5, 70, 50]), multimask_output=False)
out["box"] = [masks.tolist(), scores.tolist()]
masks, scores, _ = predictor.predict(point_coords=np.array([[30.0, 20.0]]), point_labels=np.array([1]), multimask_output=False)
out["point"] = [masks.tolist(), scores.tolist()]
print(json.dumps(out))
"""
    done = subprocess.run([sys.executable, "-c", script], check=False, cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    official = json.loads(done.stdout.splitlines()[-1])
    prompter = load_sam_checkpoint(checkpoints["sam"], {"architecture": TINY_SAM_ARCHITECTURE}, "cpu")
    embedded = prompter.embed(Image.open(photo))
    for kind, prompt in (("box", {"boxes": [[10, 5, 70, 50]]}), ("point", {"points": [[30.0, 20.0]]})):
        masks, scores = prompter.predict(embedded, **prompt)
        assert masks.shape == (1, 60, 90)
        assert np.array_equal(masks, np.array(official[kind][0])), kind
        assert np.allclose(scores, official[kind][1], atol=1e-5), kind


@pytest.mark.parametrize("model_type", sorted(MODEL_TYPES))
def test_model_types_have_the_sizes_of_segment_anythings_registry(model_type: str) -> None:
    registry = import_submodule("build_sam").sam_model_registry
    with torch.device("meta"):
        ours, official = build_network(MODEL_TYPES[model_type]), registry[model_type]()
    shapes = {name: tuple(value.shape) for name, value in official.state_dict().items()}
    assert {name: tuple(value.shape) for name, value in ours.state_dict().items()} == shapes


def test_the_architecture_comes_from_the_option_or_the_file_name() -> None:
    assert architecture_for("/w/sam_vit_h_4b8939.pth", {}) == MODEL_TYPES["vit_h"]
    assert architecture_for("/w/sam_vit_l_0b3195.pth", {}) == MODEL_TYPES["vit_l"]
    assert architecture_for("/w/sam_vit_h_4b8939.pth", {"model_type": "vit_b"}) == MODEL_TYPES["vit_b"]
    tiny = architecture_for("/w/any.pth", {"architecture": TINY_SAM_ARCHITECTURE})
    assert tiny == SamArchitecture(**{**TINY_SAM_ARCHITECTURE, "encoder_global_attn_indexes": (1,)})
    with pytest.raises(CheckpointUnavailableError, match="set model_type \\(vit_h, vit_l, vit_b\\)"):
        architecture_for("/w/sam.pth", {})
    with pytest.raises(CheckpointUnavailableError, match="architecture must map"):
        architecture_for("/w/sam.pth", {"architecture": {"encoder_depth": 2}})


def test_unusable_pth_checkpoints_are_reported_with_the_fix(tmp_path, checkpoints) -> None:
    missing = {"Segmenting": {"checkpoint": str(tmp_path / "sam_vit_h_4b8939.pth")}}
    config = tmp_path / "tools.yaml"
    import yaml

    from tools.runtime import ToolRuntime

    config.write_text(yaml.safe_dump({"families": missing}))
    runtime = ToolRuntime.from_load("Segmenting_cpu", config)
    assert "does not exist; set the path of sam_vit_h_4b8939.pth" in runtime.unavailable["Segmenting"]
    config.write_text(yaml.safe_dump({"families": {"Segmenting": segmenting(checkpoints, modeltype="vit_b")}}))
    assert "['modeltype'] are unknown" in ToolRuntime.from_load("Segmenting_cpu", config).unavailable["Segmenting"]
    other = {**TINY_SAM_ARCHITECTURE, "encoder_embed_dim": 16}
    with pytest.raises(CheckpointUnavailableError, match=r"does not fit the configured network .*set model_type"):
        load_sam_checkpoint(checkpoints["sam"], {"architecture": other}, "cpu")


@pytest.mark.gpu
def test_a_pth_checkpoint_runs_on_the_gpu(tmp_path, checkpoints, astronaut) -> None:
    import yaml

    from tools.runtime import ToolRuntime

    config = tmp_path / "tools.yaml"
    config.write_text(yaml.safe_dump({"families": {"Segmenting": segmenting(checkpoints)}}))
    runtime = ToolRuntime.from_load("Segmenting_cuda:0", config)
    workspace, photo = astronaut
    observation = runtime.run("Segment the Image", photo, workspace)
    assert observation.ok, observation.text
    assert runtime.model("Segmenting").device.type == "cuda"
