"""The shared core: prompt protocol, record I/O, base-model loading (and the agent loop)."""
