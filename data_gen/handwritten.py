"""The hand-written generalisation set: everyday requests the template teacher never phrases.

``python -m data_gen.handwritten --out_path output/data/handwritten.json`` renders
``data_gen/corpus/handwritten_requests.yaml`` into GPT4Tools records (with ``id``), each prompt listing the
gold tool among 2 to 5 tools, so ``inference.py`` and ``evaluate_result.py`` score it like val and test.
``--template en_product`` renders it in the product adapter's template (the one its training data uses).
"""

from __future__ import annotations

import logging
import random
from pathlib import Path
from typing import Any

import yaml

from protocol.cli import run_cli
from protocol.prompt import PromptTemplate
from protocol.records import Record, RecordError, write_records
from protocol.steps import THOUGHT_NO, THOUGHT_YES, FinalAnswer, ToolCall
from tools.catalog import default_registry

logger = logging.getLogger(__name__)

REQUESTS_FILE = Path(__file__).resolve().parent / "corpus" / "handwritten_requests.yaml"


def _gold_output(item: dict[str, Any], path: Path, index: int) -> str:
    registry = default_registry()
    if item.get("tool") is None:
        if not item.get("answer"):
            raise RecordError(path, "a no-tool request needs an 'answer'", index)
        return FinalAnswer(THOUGHT_NO, item["answer"]).render()
    spec = registry.get(item["tool"])
    action_input = ", ".join(item["args"])
    spec.split_arguments(action_input)  # raises ArgumentCountError on a malformed gold call
    return ToolCall(THOUGHT_YES, spec.name, action_input).render()


def build_records(
    path: Path = REQUESTS_FILE, language: str = "en", seed: int = 0, template: str | None = None
) -> list[Record]:
    """One record per hand-written request; distractor tools are drawn with ``seed``; ``template`` (a shipped name
    or a YAML path) replaces the ``language`` one."""
    items = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(items, list):
        raise RecordError(path, "expected a list of requests")
    prompt = PromptTemplate.load(template or language)
    specs = list(default_registry())
    rng = random.Random(seed)
    records = []
    for index, item in enumerate(items):
        for field in ("image", "description", "request"):
            if not item.get(field):
                raise RecordError(path, f"missing field {field!r}", index)
        output = _gold_output(item, path, index)
        gold = [s for s in specs if s.name == item.get("tool")]
        others = [s for s in specs if s.name != item.get("tool")]
        tools = gold + rng.sample(others, rng.randint(2, 5) - len(gold))
        rng.shuffle(tools)
        history = prompt.introduce_image(item["image"], item["description"])
        instruction = prompt.render_instruction(tools, history, item["request"])
        records.append(Record(instruction, "", output, f"hand-{index:03d}"))
    return records


def main(
    out_path: str = "output/data/handwritten.json", language: str = "en", seed: int = 0, template: str | None = None
) -> int:
    """Write the hand-written set as records (in the ``template`` prompt template, default the ``language`` one);
    returns how many."""
    records = build_records(REQUESTS_FILE, language, seed, template)
    write_records(out_path, records)
    logging.getLogger(__name__).info("wrote %d hand-written requests to %s", len(records), out_path)
    return len(records)


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    run_cli(main)
