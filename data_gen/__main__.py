"""``python -m data_gen --config configs/data_gen/default.yaml --out_dir DIR [--max_samples N] [--seed S]
[--teacher template|hf|openai] [--extended_chain N] [--pick_one_chain N] [--failure_share F]``: write DIR/train.json, DIR/val.json, DIR/test.json (and, with the recipe's ``demo_share``, DIR/demo.json) and
DIR/report.{json,md}."""

from __future__ import annotations

import logging

from data_gen.config import GenConfig
from data_gen.pipeline import generate
from modeling.threads import configure_process
from protocol.cli import run_cli


def main(
    *,
    config: str = "configs/data_gen/default.yaml",
    out_dir: str = "output/data",
    max_samples: int | None = None,
    seed: int | None = None,
    teacher: str | None = None,
    captions: str | None = None,
    extended_chain: int | None = None,
    pick_one_chain: int | None = None,
    failure_share: float | None = None,
) -> dict[str, int]:
    """Generate GPT4Tools-format train/val/test data from captions.

    Args:
        config: a YAML recipe path, or the name of a shipped one (default, quick, smollm2_adapter, smollm2_product...).
        out_dir: where the splits, the report and the teacher cache go.
        max_samples: cap on the records of each split (val/test in proportion).
        seed: overrides the config's seed; the output is deterministic for a seed.
        teacher: overrides the config's teacher: template, hf or openai.
        captions: overrides the caption source: shipped, a .jsonl file or a COCO captions .json.
        extended_chain: overrides the edit-then-analyse chained tasks per caption.
        pick_one_chain: overrides the detect-two-objects-then-blur-one chained tasks per caption.
        failure_share: overrides the share of tool tasks that also give a failure sample.
    """
    configure_process()  # before torch loads (the near-duplicate filter embeds with MiniLM; modeling/threads.py)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    recipe = GenConfig.load(
        config,
        max_samples=max_samples,
        seed=seed,
        teacher=teacher,
        captions=captions,
        extended_chain=extended_chain,
        pick_one_chain=pick_one_chain,
        failure_share=failure_share,
    )
    return generate(recipe, out_dir).counts


if __name__ == "__main__":
    run_cli(main)
