"""Base-model resolution and loading (the embedded SmolLM2, hub ids, local paths) and LoRA adapters."""
