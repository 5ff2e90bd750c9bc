"""Text generation: the batched KV-cached generator, its cache, tool-call constraints and remote backends."""
