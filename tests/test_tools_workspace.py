"""Workspace path safety, image checks, chained names; --load parsing; runtime error observations."""

from __future__ import annotations

import io
import os
import random
import re

import numpy as np
import pytest
from PIL import Image

from data_gen.files import derived_name
from tools.errors import DeviceError, ImageFileError, LoadSpecError, UnsafePathError
from tools.loading import DEFAULT_LOAD, ToolsConfig, check_device, parse_load
from tools.runtime import ToolRuntime
from tools.workspace import Workspace


@pytest.fixture
def workspace(tmp_path) -> Workspace:
    return Workspace(tmp_path / "ws")


@pytest.fixture
def photo(workspace: Workspace) -> str:
    return workspace.add_image(Image.fromarray(np.full((40, 60, 3), 120, dtype=np.uint8)))


def test_resolve_refuses_paths_outside_the_workspace(workspace, photo, tmp_path):
    outside = tmp_path / "secret.png"
    Image.new("RGB", (4, 4)).save(outside)
    (workspace.root / "link.png").symlink_to(outside)
    for name in (str(outside), "../secret.png", "image/../../secret.png", "link.png", "~/secret.png"):
        with pytest.raises(UnsafePathError):
            workspace.resolve(name)
    assert workspace.resolve(photo) == workspace.root / photo
    assert workspace.resolve(f" '{photo}' ") == workspace.root / photo


def test_missing_file_error_lists_existing_images(workspace, photo):
    with pytest.raises(ImageFileError, match=photo):
        workspace.resolve("image/nope.png")


def test_broken_and_oversized_images_are_refused(tmp_path):
    workspace = Workspace(tmp_path / "ws", max_pixels=10_000)
    (workspace.root / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), "red").save(buffer, format="PNG")
    (workspace.root / "truncated.png").write_bytes(buffer.getvalue()[:60])
    Image.new("RGB", (200, 200)).save(workspace.root / "big.png")
    with pytest.raises(ImageFileError, match="not a readable image"):
        workspace.open_image("broken.png")
    with pytest.raises(ImageFileError, match="truncated or corrupt"):
        workspace.open_image("truncated.png")
    with pytest.raises(ImageFileError, match="over the limit"):
        workspace.open_image("big.png")
    with pytest.raises(ImageFileError, match="over the limit"):
        workspace.add_image(Image.new("RGB", (200, 200)))


def test_add_image_resizes_and_chained_names_record_operation_and_source(workspace):
    name = workspace.add_image(Image.new("RGBA", (2000, 1000), (0, 0, 0, 0)), max_side=500)
    assert workspace.open_image(name).size == (500, 250)
    assert workspace.open_image(name).getpixel((0, 0)) == (255, 255, 255)  # transparent -> white
    original = name.removeprefix("image/").removesuffix(".png")
    first = workspace.new_image_name("edge", name)
    assert re.fullmatch(rf"image/[0-9a-f]{{4}}_edge_{original}\.png", first)  # the training data's form
    Image.new("RGB", (4, 4)).save(workspace.root / first)
    second = workspace.new_image_name("pose", first)
    previous = first.removeprefix("image/").split("_")[0]
    assert re.fullmatch(rf"image/[0-9a-f]{{4}}_pose_{previous}\.png", second)
    generated = derived_name("pose", first, random.Random(0))  # what data_gen writes for the same step
    assert generated.count("_") == second.count("_") == 2


def test_a_phone_photos_exif_turn_is_applied(workspace, tmp_path):
    """A phone stores a portrait photo sideways with an EXIF turn that every viewer applies; the workspace (and so
    every tool) had kept it lying on its side."""
    from agent.loop import _original_size

    stored = Image.new("RGB", (40, 20), "red")
    stored.paste((0, 0, 255), (20, 0, 40, 20))  # the right half blue, as stored
    exif = Image.Exif()
    exif[0x0112] = 6  # turn 90 degrees clockwise to view
    buffer = io.BytesIO()
    stored.save(buffer, "JPEG", exif=exif, quality=95)
    for source in (buffer.getvalue(), _saved(tmp_path / "phone.jpg", buffer.getvalue())):
        upright = workspace.open_image(workspace.add_image(source))
        assert upright.size == (20, 40)
        assert upright.getpixel((10, 35))[2] > 200  # the stored right half is at the bottom once turned
        assert _original_size(source) == (20, 40)


def _saved(path, data: bytes):
    path.write_bytes(data)
    return path


def test_parse_load_and_device_errors():
    assert parse_load("ImageCaptioning_cpu, Image2Canny_cpu") == {"ImageCaptioning": "cpu", "Image2Canny": "cpu"}
    assert set(parse_load(None)) == set(parse_load(DEFAULT_LOAD))
    with pytest.raises(LoadSpecError, match=r"valid families: .*Image2Canny"):
        parse_load("Canny_cpu")
    with pytest.raises(LoadSpecError, match="Family_device"):
        parse_load("Image2Canny")
    with pytest.raises(LoadSpecError, match="twice"):
        parse_load("Image2Canny_cpu,Image2Canny_cpu")
    with pytest.raises(DeviceError, match="unknown device"):
        check_device("tpu")
    import torch

    if not torch.cuda.is_available():
        with pytest.raises(DeviceError, match="needs CUDA"):
            parse_load("Text2Image_cuda:0")
    else:
        with pytest.raises(DeviceError, match="does not exist"):
            check_device(f"cuda:{torch.cuda.device_count()}")


def test_config_rejects_unknown_families(tmp_path):
    bad = tmp_path / "tools.yaml"
    bad.write_text("families:\n  Nope: some/model\n")
    with pytest.raises(LoadSpecError, match="unknown families"):
        ToolsConfig.load(bad)
    assert ToolsConfig.load().options("ImageCaptioning")["checkpoint"].startswith("Salesforce/")


def test_unavailable_checkpoint_is_reported_at_load_time(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    runtime = ToolRuntime.from_load("ImageCaptioning_cpu,Image2Canny_cpu")
    assert "ImageCaptioning" in runtime.unavailable
    assert "huggingface-cli download" in runtime.unavailable["ImageCaptioning"]
    assert runtime.available.names == ["Edge Detection On Image"]
    observation = runtime.run("Get Photo Description", "image/a.png", Workspace(tmp_path / "ws"))
    assert not observation.ok and "ImageCaptioning" in observation.text


def test_run_turns_bad_calls_into_error_observations(workspace, photo, tmp_path):
    runtime = ToolRuntime.from_load("Image2Canny_cpu,ImageCropping_cpu")
    cases = {
        ("Edge Detection", photo): "unknown tool 'Edge Detection'; valid tools: Crop Image, Edge Detection On Image",
        ("Edge Detection On Image", "../x.png"): "outside the workspace",
        ("Edge Detection On Image", "/etc/passwd"): "absolute path",
        ("Crop Image", f"{photo}, 1, 2"): "expects 5 comma-separated argument(s)",
        ("Crop Image", f"{photo}, a, 2, 3, 4"): "left should be a number",
        ("Crop Image", f"{photo}, 50, 2, 10, 4"): "is empty",
        ("Edge Detection On Image", "image/missing.png"): "does not exist",
    }
    for (tool, action_input), message in cases.items():
        observation = runtime.run(tool, action_input, workspace)
        assert not observation.ok
        assert message in observation.text
    (workspace.root / "image" / "broken.png").write_bytes(b"garbage")
    assert "not a readable image" in runtime.run("Edge Detection On Image", "image/broken.png", workspace).text
    assert sorted(os.listdir(workspace.root / "image")) == sorted([photo.split("/")[1], "broken.png"])


def test_lru_budget_unloads_least_recently_used(workspace, photo):
    runtime = ToolRuntime.from_load("Image2Canny_cpu,Image2Line_cpu,ImageCropping_cpu")
    for family in runtime.families.values():
        family.gpu_memory_gb = 1.0  # each "model" counts as 1 GiB
    runtime.config.memory_budget_gb["cpu"] = 2.5
    for tool in ("Edge Detection On Image", "Line Detection On Image", "Edge Detection On Image"):
        assert runtime.run(tool, photo, workspace).ok
    assert runtime.run("Crop Image", f"{photo}, 0, 0, 10, 10", workspace).ok
    loaded = {name for name, family in runtime.families.items() if family.loaded}
    assert loaded == {"Image2Canny", "ImageCropping"}  # Image2Line was the least recently used


def test_a_seeded_workspace_names_its_files_the_same_on_every_run(tmp_path):
    from PIL import Image

    def names(root, seed):
        workspace = Workspace(root, name_seed=seed)
        upload = workspace.add_image(Image.new("RGB", (8, 8)))
        return upload, workspace.new_image_name("edge", upload)

    assert names(tmp_path / "a", 7) == names(tmp_path / "b", 7)
    assert names(tmp_path / "c", 8) != names(tmp_path / "d", 7)
    assert names(tmp_path / "e", None) != names(tmp_path / "f", None)  # random by default


def test_families_that_build_the_same_model_hold_one_copy_and_unload_it_together(workspace, photo):
    runtime = ToolRuntime.from_load("Image2Hed_cpu,Image2Scribble_cpu,Image2Canny_cpu")
    for tool in ("Hed Detection On Image", "Sketch Detection On Image"):
        assert runtime.run(tool, photo, workspace).ok
    hed, scribble = runtime.families["Image2Hed"], runtime.families["Image2Scribble"]
    assert scribble.get() is hed.get()  # one HED network, not two

    for family in runtime.families.values():
        family.gpu_memory_gb = 1.0  # the weights count once: 1 GiB with Canny's to come
    for family in (hed, scribble):
        family.memory_bytes = lambda: 2**30
    runtime.config.memory_budget_gb["cpu"] = 2.5
    assert runtime.run("Edge Detection On Image", photo, workspace).ok
    assert hed.loaded and scribble.loaded  # 1 GiB shared + 1 GiB fits 2.5 GiB
    runtime.families["Image2Canny"].unload()
    runtime.config.memory_budget_gb["cpu"] = 1.5
    assert runtime.run("Edge Detection On Image", photo, workspace).ok
    assert not hed.loaded and not scribble.loaded  # freed only by unloading both


def _resident_mb() -> float:
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) / 1024 for line in status if line.startswith("VmRSS"))


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="reads VmRSS")
def test_detection_holds_no_memory_between_calls(workspace):
    from modeling.memory import release_free_memory

    rng = np.random.default_rng(0)
    photo = workspace.add_image(Image.fromarray(rng.integers(0, 255, (480, 640, 3), dtype=np.uint8)))
    runtime = ToolRuntime.from_load("ObjectDetection_cpu")
    runtime.model("ObjectDetection")
    release_free_memory()
    before = _resident_mb()
    first = runtime.run("Detection", photo, workspace)
    assert first.ok and runtime.run("Detection", photo, workspace).text == first.text
    release_free_memory()
    # OpenCV keeps a classifier's integral images of every scale it last ran (~200 MB for the four cascades)
    assert _resident_mb() - before < 60
