"""Batch inference, prediction files, GPT4Tools scoring and the report."""
