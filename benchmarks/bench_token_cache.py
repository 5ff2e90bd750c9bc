"""Preparing training data: tokenizing every run (the reference) against the tokenized-data cache, cold and warm.

    .venv/bin/python benchmarks/bench_token_cache.py [--data_path train.json] [--samples 20000] [--base_model NAME]

Without ``--data_path`` it writes ``--samples`` generated records (tests/sample_records.py: random tool
subsets, one or no earlier step) to a JSON file. The tokenizer is the base model's (the embedded SmolLM2 by
default). Timed, each from the data path to the tokenized examples the training loop uses:

* reference: read the records and tokenize them, what every run did before the cache;
* cold: the same through ``training.token_cache.load_examples`` with an empty cache (adds hashing and writing
  the entry);
* cached: ``load_examples`` again (hashing the data and the tokenizer, reading the entry back).

Each is shown as wall and CPU seconds; the ratio is of CPU time, the steadier figure on a shared machine.

The cache lives in a temporary directory, so the user's cache is neither read nor changed.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def timed(function, *args):
    """``(result, wall seconds, CPU seconds of this process)``: on a shared machine the CPU time is the steadier."""
    started, cpu = time.perf_counter(), time.process_time()
    result = function(*args)
    return result, time.perf_counter() - started, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data_path", help="GPT4Tools records (default: generated ones)")
    parser.add_argument("--samples", type=int, default=20000, help="generated records when no --data_path")
    parser.add_argument("--base_model", default="smollm2-135m-instruct")
    parser.add_argument("--cutoff_len", type=int, default=2048)
    args = parser.parse_args()

    from modeling.loading import load_tokenizer
    from protocol.prompt import PromptTemplate
    from protocol.records import read_records, write_records
    from training import token_cache
    from training.data import tokenize_records

    tokenizer = load_tokenizer(args.base_model)  # before the cache moves: the embedded model converts into it
    template = PromptTemplate.load("en")
    with tempfile.TemporaryDirectory(prefix="bench-token-cache-") as scratch:
        data_path = args.data_path
        if data_path is None:
            from tests.sample_records import make_records

            data_path = str(Path(scratch) / "train.json")
            write_records(data_path, make_records(args.samples, max_tools=8))
        os.environ["GPT4TOOLS_CACHE"] = str(Path(scratch) / "cache")

        def reference():
            return tokenize_records(read_records(data_path), template, tokenizer, args.cutoff_len)[0]

        def through_cache():
            return token_cache.load_examples(data_path, template, tokenizer, args.cutoff_len).examples

        expected, *reference_s = timed(reference)
        cold, *cold_s = timed(through_cache)
        warm, *warm_s = timed(through_cache)
        assert cold == expected and warm == expected, "the cache changed the token ids"
        (entry,) = token_cache.entries_dir().glob("*.npz")
        tokens = sum(len(example) for example in expected)
        data_mb = Path(data_path).stat().st_size / 2**20
        print(
            f"{len(expected)} records, {tokens / len(expected):.0f} tokens each on average, data file {data_mb:.1f} MB"
        )
        print(f"{'run':<34} {'wall s':>8} {'CPU s':>8} {'CPU vs reference':>17}")
        for name, (wall, cpu) in (
            ("reference: read + tokenize", reference_s),
            ("cache, cold: + hash + write entry", cold_s),
            ("cache, warm: hash + read entry", warm_s),
        ):
            print(f"{name:<34} {wall:8.2f} {cpu:8.2f} {reference_s[1] / cpu:16.1f}x")
        print(f"cache entry {entry.stat().st_size / 2**20:.1f} MB ({entry.name})")


if __name__ == "__main__":
    main()
