"""The wire protocol and shared formats: prompt templates, reply steps, records, recipes, the project's errors."""
