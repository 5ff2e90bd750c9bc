"""The product data options: off by default, and on, every tool trained, one template, a demo split to score."""

from __future__ import annotations

import json
import random
import re
from dataclasses import fields, replace

import pytest

from data_gen import negatives, phrasings, slots
from data_gen.captions import Caption
from data_gen.config import GenConfig
from data_gen.handwritten import build_records
from data_gen.pipeline import generate, record_problem
from data_gen.served import served_listing
from data_gen.tasks import IMAGE_PLACEHOLDER, SINGLE, Task
from data_gen.teachers.template import TemplateTeacher
from evaluation.scoring import score_records
from generation.tool_calls import listed_tools
from protocol.prompt import PromptTemplate
from protocol.records import read_records
from tests.test_data_gen_pipeline import hash_embedder, tool_of
from tools.catalog import TOOL_SPECS, default_registry
from tools.loading import OFFLINE_FAMILIES

CATALOGUE = default_registry()
HELD_OUT_BY_PROTOCOL = {spec.name for spec in TOOL_SPECS if spec.held_out}
PRODUCT_OPTIONS = {
    "held_out_phrasing": 0.0,
    "prompt_template": None,
    "served_listing_share": 0.0,
    "sessions": 0,
    "unserved_share": 0.0,
    "product_requests": False,
    "demo_share": 0.0,
}


def test_product_options_default_off():
    defaults = {f.name: f.default for f in fields(GenConfig)}
    assert {name: defaults[name] for name in PRODUCT_OPTIONS} == PRODUCT_OPTIONS
    assert defaults["held_out"] is None  # the tools the catalogue marks, as GPT4Tools holds them out
    for name in ("default", "quick", "smollm2_adapter", "smollm2_adapter_stage3"):
        config = GenConfig.load(name)
        assert {option: getattr(config, option) for option in PRODUCT_OPTIONS} == PRODUCT_OPTIONS


@pytest.fixture(scope="module")
def product(tmp_path_factory):
    out = tmp_path_factory.mktemp("product")
    result = generate(replace(GenConfig.load("quick_product"), max_captions=100), out, embedder=hash_embedder)
    return out, result


def test_product_data_trains_every_tool_and_writes_a_demo_split(product):
    out, result = product
    assert set(result.counts) == {"train", "val", "test", "demo"} and all(result.counts.values())
    assert result.report["held_out_tools"] == []
    persona = PromptTemplate.load("en_product").persona.strip()
    splits = {name: read_records(out / f"{name}.json") for name in result.counts}
    for name, records in splits.items():
        assert all(record.instruction.startswith(persona) for record in records)  # one template, whatever the language
        assert all(record_problem(record, CATALOGUE) is None or name == "train" for record in records)
        if name != "train":
            assert all(record.id and record.id.startswith(f"{name}-") for record in records)
    for name in ("train", "test"):
        assert {tool_of(r.output) for r in splits[name]} >= HELD_OUT_BY_PROTOCOL
    assert result.report["splits"]["train"]["per_scenario"]  # sessions are in the training data


def test_the_demo_split_is_shaped_like_the_demo(product):
    out, _ = product
    demo = read_records(out / "demo.json")
    offline = [spec.name for spec in CATALOGUE.available(OFFLINE_FAMILIES)]
    multi_turn = 0
    for record in demo:
        uploads = [line for line in record.instruction.splitlines() if line.startswith("Human: Provide an image named")]
        assert all(re.search(r"Description: a \d+x\d+ image\.", line) for line in uploads)
        listed = [line[2:].split(":")[0] for line in record.instruction.splitlines() if line.startswith("> ")]
        assert listed == [name for name in CATALOGUE.names if name in listed]  # catalogue order, as the runtime
        assert set(offline) <= set(listed)  # a runtime always serves the offline tools
        multi_turn += record.instruction.count("\nHuman: ") > 1
    assert multi_turn > len(demo) / 3
    _, report = score_records(demo, {r.id: r.output for r in demo})
    assert report["SR"] == pytest.approx(1.0) and report["SR_strict"] == pytest.approx(1.0)


def test_the_report_counts_session_scenarios(product):
    out, result = product
    report = json.loads((out / "report.json").read_text())
    assert report["splits"]["demo"]["per_scenario"] == result.report["splits"]["demo"]["per_scenario"]
    assert "## Session records per scenario" in (out / "report.md").read_text()
    assert "Held-out tools (test only): none." in (out / "report.md").read_text()


def test_held_out_phrasing_keeps_the_test_wording_out_of_training():
    """With no typos and the file always named, a request is its frame filled in: test frames never reach train."""
    teacher = TemplateTeacher(CATALOGUE, typo_rate=0.0, name_rate=1.0, held_out_phrasing=0.25)
    caption = Caption("c-1", "A dog on a sofa.", ("dog", "sofa"), size=(640, 480))
    frames = phrasings.frames_for("Get Photo Description", "en")

    def frame_of(part: str, index: int) -> str:
        request = teacher.draft(Task(SINGLE, caption, ("Get Photo Description",), "en", True, index, phrasing=part))
        return request.request.replace(IMAGE_PLACEHOLDER, "{image}").lower().rstrip(".?!")

    normalise = {frame.lower().rstrip(".?!"): frame for frame in frames}
    for part in (phrasings.TRAIN_PHRASING, phrasings.TEST_PHRASING):
        used = {normalise[frame_of(part, index)] for index in range(60)}
        assert used and used <= set(phrasings.phrasing_pool(frames, part, 0.25))


def test_product_requests_read_signs_and_answer_writing():
    sign = Caption("s-1", 'A sign saying "OPEN".', ("sign",), sign_text="OPEN")
    rng = random.Random(0)
    asked = {slots.question(sign, rng, signs=False) for _ in range(200)}
    assert not asked & set(slots.SIGN_QUESTIONS)
    assert {slots.question(sign, rng) for _ in range(200)} & set(slots.SIGN_QUESTIONS)
    written = {negatives.negative_request(rng, "en", False, writing=True) for _ in range(400)}
    assert written & set(negatives.WRITING["en"])
    assert not {negatives.negative_request(rng, "en", False) for _ in range(400)} & set(negatives.WRITING["en"])


def test_product_answers_promise_no_ability_the_listing_may_lack():
    """The demo may serve neither captioning nor question answering: product answers must not promise them."""
    rng = random.Random(3)
    answers = {negatives.negative_request(rng, "en", True, writing=True)[1] for _ in range(3000)}
    assert set(negatives.PRODUCT_ANSWERS.values()) & answers
    assert not [answer for answer in answers if "describe" in answer or "answer questions about" in answer]
    research = {negatives.negative_request(rng, "en", True)[1] for _ in range(3000)}
    assert [answer for answer in research if "describe" in answer]  # the protocol data keeps its answers


def test_served_listings_hold_the_offline_tools_and_what_is_needed_in_catalogue_order():
    offline = {spec.name for spec in CATALOGUE.available(OFFLINE_FAMILIES)}
    for seed in range(30):
        rng = random.Random(seed)
        listed = [spec.name for spec in served_listing(CATALOGUE, ["Answer Question About The Image"], rng)]
        assert offline <= set(listed) and "Answer Question About The Image" in listed
        assert listed == [name for name in CATALOGUE.names if name in listed]
        without = served_listing(CATALOGUE, [], rng, without=["Get Photo Description"])
        assert "Get Photo Description" not in {spec.name for spec in without}


def test_the_product_template_is_shorter_and_its_tool_lines_still_typed():
    product, research = PromptTemplate.load("en_product"), PromptTemplate.load("en")
    tools = list(CATALOGUE.available(OFFLINE_FAMILIES))
    history = product.introduce_image("image/ab12cd34.png", "a 640x480 image.")
    short = product.render_instruction(tools, history, "crop it to 0,0,200,200")
    long = research.render_instruction(tools, history, "crop it to 0,0,200,200")
    assert len(short) < len(long) - 400
    assert history == research.introduce_image("image/ab12cd34.png", "a 640x480 image.")  # the demo's form
    typed = listed_tools(short, [product])
    assert list(typed) == [spec.name for spec in tools] and all(kinds for kinds in typed.values())


def test_the_handwritten_set_renders_with_the_product_template():
    records = build_records(template="en_product")
    assert records and all(r.instruction.startswith(PromptTemplate.load("en_product").persona.strip()) for r in records)
    assert [r.output for r in records] == [r.output for r in build_records()]
