"""The original Segment Anything checkpoints (``sam_vit_h_4b8939.pth``, ``sam_vit_l_0b3195.pth``,
``sam_vit_b_01ec64.pth``: what Visual ChatGPT users have), loaded into segment-anything's own network.

The architecture comes from ``model_type`` (``vit_h`` / ``vit_l`` / ``vit_b``: the family option, else the
file name) with the sizes of segment-anything's registry, or from an explicit ``architecture`` option. Prompts
are run the way ``SamPredictor`` runs them (longest side resized to the encoder's input with PIL's bilinear
filter, the network's own normalisation, padding and mask post-processing, one mask per prompt), written here
against the network so that no torchvision is needed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image

from tools.backends.segment_anything_import import MISSING, import_submodule, segment_anything_installed
from tools.errors import CheckpointUnavailableError

CHECKPOINT_SUFFIX = ".pth"
_MODEL_TYPE_IN_NAME = re.compile(r"vit_[hlb]")


@dataclass(frozen=True)
class SamArchitecture:
    """The sizes of a SAM network; the defaults are those every model of segment-anything's registry shares."""

    encoder_embed_dim: int
    encoder_depth: int
    encoder_num_heads: int
    encoder_global_attn_indexes: tuple[int, ...]
    image_size: int = 1024
    patch_size: int = 16
    window_size: int = 14
    prompt_embed_dim: int = 256
    decoder_mlp_dim: int = 2048
    decoder_num_heads: int = 8
    iou_head_hidden_dim: int = 256

    @classmethod
    def from_option(cls, option: Any, where: str) -> SamArchitecture:
        """An ``architecture`` option (a mapping of field names to sizes) checked against the fields."""
        names = [spec.name for spec in fields(cls)]
        if not isinstance(option, dict) or not set(option) <= set(names) or not set(names[:4]) <= set(option):
            raise CheckpointUnavailableError(
                f"{where}: architecture must map {names[:4]} (and optionally {names[4:]}) to sizes"
            )
        values = {key: tuple(value) if isinstance(value, list) else value for key, value in option.items()}
        return cls(**values)


# segment-anything's registry (segment_anything/build_sam.py), checked against it by the tests
MODEL_TYPES = {
    "vit_h": SamArchitecture(1280, 32, 16, (7, 15, 23, 31)),
    "vit_l": SamArchitecture(1024, 24, 16, (5, 11, 17, 23)),
    "vit_b": SamArchitecture(768, 12, 12, (2, 5, 8, 11)),
}


def is_sam_checkpoint_file(checkpoint: str | None) -> bool:
    return bool(checkpoint) and Path(checkpoint).suffix == CHECKPOINT_SUFFIX


def architecture_for(checkpoint: str, options: dict[str, Any]) -> SamArchitecture:
    """The network a ``.pth`` file holds: the ``architecture`` option, else ``model_type``, else the file name's."""
    where = f"SAM checkpoint {checkpoint}"
    if "architecture" in options:
        return SamArchitecture.from_option(options["architecture"], where)
    named = options.get("model_type") or next(iter(_MODEL_TYPE_IN_NAME.findall(Path(checkpoint).name)), None)
    if named not in MODEL_TYPES:
        raise CheckpointUnavailableError(
            f"{where}: which SAM is it? set model_type ({', '.join(MODEL_TYPES)}) beside its path in "
            "configs/tools.yaml, e.g. Segmenting: {checkpoint: PATH, model_type: vit_h}"
        )
    return MODEL_TYPES[named]


def check_sam_checkpoint(checkpoint: str, options: dict[str, Any]) -> SamArchitecture:
    """Refuse, before anything loads, a missing file, a missing package or an unknown architecture."""
    unknown = sorted(set(options) - {"model_type", "architecture"})
    if unknown:
        raise CheckpointUnavailableError(f"Segmenting options {unknown} are unknown; use model_type or architecture")
    if not Path(checkpoint).expanduser().is_file():
        raise CheckpointUnavailableError(
            f"SAM checkpoint {checkpoint} does not exist; set the path of sam_vit_h_4b8939.pth (or the vit_l / vit_b "
            "file) in configs/tools.yaml, or a transformers SAM checkpoint (facebook/sam-vit-huge)"
        )
    if not segment_anything_installed():
        raise CheckpointUnavailableError(MISSING)
    return architecture_for(checkpoint, options)


def build_network(architecture: SamArchitecture) -> torch.nn.Module:
    """segment-anything's ``Sam`` with ``architecture``'s sizes, as its registry builds it (random weights)."""
    modeling = import_submodule("modeling")
    size, embed = architecture.image_size, architecture.prompt_embed_dim
    grid = size // architecture.patch_size
    return modeling.Sam(
        image_encoder=modeling.ImageEncoderViT(
            depth=architecture.encoder_depth,
            embed_dim=architecture.encoder_embed_dim,
            img_size=size,
            mlp_ratio=4,
            norm_layer=partial(torch.nn.LayerNorm, eps=1e-6),
            num_heads=architecture.encoder_num_heads,
            patch_size=architecture.patch_size,
            qkv_bias=True,
            use_rel_pos=True,
            global_attn_indexes=architecture.encoder_global_attn_indexes,
            window_size=architecture.window_size,
            out_chans=embed,
        ),
        prompt_encoder=modeling.PromptEncoder(
            embed_dim=embed, image_embedding_size=(grid, grid), input_image_size=(size, size), mask_in_chans=16
        ),
        mask_decoder=modeling.MaskDecoder(
            num_multimask_outputs=3,
            transformer=modeling.TwoWayTransformer(
                depth=2,
                embedding_dim=embed,
                mlp_dim=architecture.decoder_mlp_dim,
                num_heads=architecture.decoder_num_heads,
            ),
            transformer_dim=embed,
            iou_head_depth=3,
            iou_head_hidden_dim=architecture.iou_head_hidden_dim,
        ),
        pixel_mean=[123.675, 116.28, 103.53],
        pixel_std=[58.395, 57.12, 57.375],
    )


def load_sam_checkpoint(checkpoint: str, options: dict[str, Any], device: str) -> SamCheckpointPrompter:
    """The network of ``checkpoint`` on ``device`` (fp32, as segment-anything runs it), ready for prompts."""
    architecture = check_sam_checkpoint(checkpoint, options)
    state = torch.load(Path(checkpoint).expanduser(), map_location="cpu", weights_only=True)
    network = build_network(architecture)
    try:
        network.load_state_dict(state)
    except RuntimeError as error:
        mismatch = " ".join(str(error).split())[:300]
        raise CheckpointUnavailableError(
            f"SAM checkpoint {checkpoint} does not fit the {architecture_name(architecture)} network ({mismatch}); "
            f"set model_type ({', '.join(MODEL_TYPES)}) beside its path in configs/tools.yaml"
        ) from None
    return SamCheckpointPrompter(network.to(device).eval())


def architecture_name(architecture: SamArchitecture) -> str:
    return next((name for name, sizes in MODEL_TYPES.items() if sizes == architecture), "configured")


@dataclass(frozen=True)
class EmbeddedImage:
    """An image through the encoder: its features and the sizes prompts and masks are mapped between."""

    features: torch.Tensor
    input_size: tuple[int, int]  # (height, width) after the longest side was resized to the encoder's input
    original_size: tuple[int, int]


@dataclass
class SamCheckpointPrompter:
    """Point and box prompts on segment-anything's network, as ``SamPredictor.predict_torch`` runs them."""

    network: torch.nn.Module

    @property
    def device(self) -> torch.device:
        return self.network.device

    def embed(self, image: Image.Image) -> EmbeddedImage:
        longest = self.network.image_encoder.img_size
        scale = longest / max(image.size)
        width, height = int(image.width * scale + 0.5), int(image.height * scale + 0.5)
        resized = np.array(image.convert("RGB").resize((width, height), Image.Resampling.BILINEAR))
        pixels = torch.as_tensor(resized, device=self.device).permute(2, 0, 1).contiguous()[None]
        with torch.inference_mode():
            features = self.network.image_encoder(self.network.preprocess(pixels))
        return EmbeddedImage(features, (height, width), (image.height, image.width))

    def predict(
        self,
        embedded: EmbeddedImage,
        *,
        points: list[list[float]] | None = None,
        boxes: list[list[float]] | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Masks ``(prompts, height, width)`` and their predicted IoU: one point or one box per prompt, in pixels
        of the original image."""
        (height, width), (original_height, original_width) = embedded.input_size, embedded.original_size
        scale = torch.tensor([width / original_width, height / original_height], device=self.device)
        prompt_points = prompt_boxes = None
        if points is not None:
            coords = torch.tensor(points, dtype=torch.float32, device=self.device)[:, None, :] * scale
            prompt_points = (coords, torch.ones(coords.shape[:2], dtype=torch.int, device=self.device))
        if boxes is not None:
            corners = torch.tensor(boxes, dtype=torch.float32, device=self.device).reshape(-1, 2, 2) * scale
            prompt_boxes = corners.reshape(-1, 4)
        with torch.inference_mode():
            sparse, dense = self.network.prompt_encoder(points=prompt_points, boxes=prompt_boxes, masks=None)
            low_res, iou = self.network.mask_decoder(
                image_embeddings=embedded.features,
                image_pe=self.network.prompt_encoder.get_dense_pe(),
                sparse_prompt_embeddings=sparse,
                dense_prompt_embeddings=dense,
                multimask_output=False,
            )
            masks = self.network.postprocess_masks(low_res, embedded.input_size, embedded.original_size)
        return (masks[:, 0] > self.network.mask_threshold).cpu().numpy(), iou[:, 0].float().cpu().numpy()
