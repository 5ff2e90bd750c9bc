"""LoRA fine-tuning pieces: options, data, loss, checkpoints and compilation (the loop is lora_finetune.py)."""
