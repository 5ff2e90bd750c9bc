"""LoRA fine-tuning: options, pre-run checks, data, loss, the loop, checkpoints, the output-dir lock and compilation
(``lora_finetune.py`` is the command line over them)."""
