"""A tiny random LLaMA with a small BPE tokenizer, built offline in seconds.

Every script is tested end to end on it (and ``scripts/pipeline.sh --quick`` uses it), so nothing
needs a hub. ``python -m tests.tiny_model OUT_DIR`` writes one.
"""

from __future__ import annotations

import sys
from pathlib import Path

from protocol.prompt import PromptTemplate
from tools.catalog import TOOL_SPECS

# A ChatML template like SmolLM2's, so the chat-template path is what tests exercise.
CHAT_TEMPLATE = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n{{ message['content'] }}<|im_end|>\n"
    "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
SPECIAL_TOKENS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]


def _training_corpus() -> list[str]:
    """Text covering the prompt wording, protocol keywords and tool names, so tokens stay short."""
    corpus = []
    for language in ("en", "zh"):
        template = PromptTemplate.load(language)
        corpus.append(template.render_instruction(TOOL_SPECS, "Human: hello\nAI: Received.", "draw a cat"))
    corpus += [spec.name for spec in TOOL_SPECS]
    corpus += ["Thought: Do I need to use a tool? Yes\nAction: Get Photo Description\nAction Input: image/a1b2.png"]
    corpus += ["Observation: image/a1b2_edge_a1b2.png\nThought: Do I need to use a tool? No\nAI: Here it is."]
    return corpus * 4


def build_tiny_tokenizer(vocab_size: int = 2048):
    """A byte-level BPE tokenizer trained on the prompt wording, wrapped as a fast HF tokenizer."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    raw = Tokenizer(models.BPE())
    raw.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    raw.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    raw.train_from_iterator(_training_corpus(), trainer=trainer)
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=raw,
        bos_token="<|endoftext|>",
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        unk_token="<|endoftext|>",
    )
    tokenizer.chat_template = CHAT_TEMPLATE
    return tokenizer


def build_tiny_model(out_dir: str | Path, *, seed: int = 0, hidden_size: int = 256, layers: int = 2) -> Path:
    """Write a tiny random ``LlamaForCausalLM`` and its tokenizer to ``out_dir``; returns the path."""
    import torch
    from transformers import GenerationConfig, LlamaConfig, LlamaForCausalLM

    out_dir = Path(out_dir)
    tokenizer = build_tiny_tokenizer()
    torch.manual_seed(seed)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=hidden_size,
        intermediate_size=hidden_size * 2,
        num_hidden_layers=layers,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=4096,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        tie_word_embeddings=True,
    )
    model = LlamaForCausalLM(config)
    model.generation_config = GenerationConfig(
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    model.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)
    return out_dir


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python -m tests.tiny_model OUT_DIR")
    print(build_tiny_model(sys.argv[1]))
