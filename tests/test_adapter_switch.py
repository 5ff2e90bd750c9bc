"""A second adapter switched in over a merged one: the outputs of the base model with that adapter, only while on."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from generation.generator import HFGenerator
from modeling.adapter_switch import AdapterSwitch, AdapterSwitchError
from modeling.loading import load_for_inference
from protocol.prompt import PromptTemplate

IDS = torch.tensor([[5, 6, 7, 8, 9, 10]])


def save_adapter(tiny_model_dir: Path, out: Path, seed: int, targets: list[str]) -> Path:
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    torch.manual_seed(seed)
    base = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    config = LoraConfig(r=4, lora_alpha=8, target_modules=targets, init_lora_weights=False)
    model = get_peft_model(base, config)
    with torch.no_grad():  # B starts at random too (init_lora_weights=False); make the change visible
        for name, parameter in model.named_parameters():
            if "lora_B" in name:
                parameter.mul_(20)
    model.save_pretrained(out)
    return out


@pytest.fixture(scope="module")
def adapters(tiny_model_dir, tmp_path_factory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("adapters")
    chat = save_adapter(tiny_model_dir, root / "chat", 1, ["q_proj", "v_proj"])
    plans = save_adapter(tiny_model_dir, root / "plans", 2, ["q_proj", "down_proj"])  # other layers too
    return chat, plans


def logits(model, ids=IDS) -> torch.Tensor:
    with torch.no_grad():
        return model(ids).logits


@pytest.mark.parametrize("merged", ["chat", None])
def test_the_switched_model_computes_the_base_with_the_other_adapter_and_only_while_on(
    tiny_model_dir, adapters, merged
):
    chat, plans = adapters
    model, _, _ = load_for_inference(str(tiny_model_dir), str(chat) if merged else None, dtype="fp32")
    wanted, _, _ = load_for_inference(str(tiny_model_dir), str(plans), dtype="fp32")
    before = logits(model)
    assert not torch.allclose(before, logits(wanted), atol=1e-3)  # the adapters differ visibly
    switch = AdapterSwitch.between(model, chat if merged else None, plans)
    with switch.applied(model):
        assert torch.allclose(logits(model), logits(wanted), atol=1e-4)
    assert torch.equal(logits(model), before)  # off again


def test_an_adapter_for_another_model_is_refused_naming_the_layer(tiny_model_dir, adapters, tmp_path):
    from safetensors.torch import load_file, save_file

    chat, plans = adapters
    odd = tmp_path / "odd"
    odd.mkdir()
    (odd / "adapter_config.json").write_text((plans / "adapter_config.json").read_text())
    weights = load_file(str(plans / "adapter_model.safetensors"))
    save_file(
        {key.replace("layers.0.", "layers.99."): value for key, value in weights.items()},
        str(odd / "adapter_model.safetensors"),
    )
    model, _, _ = load_for_inference(str(tiny_model_dir), str(chat), dtype="fp32")
    with pytest.raises(AdapterSwitchError, match=r"no linear layer model\.layers\.99\."):
        AdapterSwitch.between(model, chat, odd)
    config = json.loads((plans / "adapter_config.json").read_text())
    (odd / "adapter_config.json").write_text(json.dumps({**config, "use_dora": True}))
    with pytest.raises(AdapterSwitchError, match="DoRA"):
        AdapterSwitch.between(model, chat, odd)


def test_a_generator_with_the_other_adapter_writes_what_that_model_writes_beside_the_first(
    tiny_model_dir, adapters, tiny_tokenizer
):
    chat, plans = adapters
    template = PromptTemplate.load("en")
    model, tokenizer, _ = load_for_inference(str(tiny_model_dir), str(chat), dtype="fp32")
    wanted, _, _ = load_for_inference(str(tiny_model_dir), str(plans), dtype="fp32")
    texts = [template.wrap(f"Rotate image/{n}.png by {n} degrees", "", tokenizer) for n in (10, 200)]
    generator = HFGenerator(model, tokenizer, template)
    chatting = generator.generate(texts, max_new_tokens=12)
    planning = generator.with_adapter(AdapterSwitch.between(model, chat, plans))
    expected = HFGenerator(wanted, tokenizer, template).generate(texts, max_new_tokens=12)
    assert planning.generate(texts, max_new_tokens=12) == expected != chatting
    assert "".join(planning.stream(texts[0], 12)) == expected[0]  # a prefix it cached is its own
    assert generator.generate(texts, max_new_tokens=12) == chatting
    assert planning.prefixes is not generator.prefixes and planning._lock is generator._lock


def test_plan_mode_plans_with_the_plan_adapter_inside_the_chat_adapter(tiny_model_dir, adapters, tmp_path):
    import shutil

    from ui.launch import build_agent, build_plan_agent, resolve_plan_adapter

    chat, plans = adapters
    shipped = tmp_path / "chat"
    shutil.copytree(chat, shipped)
    shutil.copytree(plans, shipped / "plans")
    assert resolve_plan_adapter(None, str(shipped)) == str(shipped / "plans")
    assert resolve_plan_adapter("none", str(shipped)) is None  # the chat adapter plans too
    assert resolve_plan_adapter(None, str(chat)) is None and resolve_plan_adapter(str(plans), None) == str(plans)
    agent = build_agent(str(tiny_model_dir), str(shipped), load="Image2Canny_cpu")
    planner = build_plan_agent(agent, str(shipped), plan_adapter=str(shipped / "plans")).planner
    assert planner.generator is not agent.llm and planner.generator.model is agent.llm.model
    assert set(planner.generator.switch.corrections) == {
        name for name, _ in agent.llm.model.named_modules() if name.endswith(("q_proj", "v_proj", "down_proj"))
    }
    assert planner.plan("find the edges of image/a.png", [("image/a.png", "a 64x64 image.")]).reply is not None
    assert build_plan_agent(agent, str(shipped)).planner.generator is agent.llm  # no plan adapter asked for
