"""Self-instruct data generator: captions and tool specs to GPT4Tools-format tool-call conversations."""
