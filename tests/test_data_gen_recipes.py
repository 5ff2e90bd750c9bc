"""The GPT4Tools-protocol recipes regenerate the same data, byte for byte, whatever options are added later.

The research adapter's val/test figures are only comparable across versions while its recipes write the
same records; new generator options must default off and draw no random numbers when off. The digests are
sha256 over train.json, val.json and test.json (in that order) written with the deterministic hash
embedder of ``test_data_gen_pipeline`` (the MiniLM filter is deterministic too, but slower).
"""

from __future__ import annotations

import hashlib
from dataclasses import replace

import pytest

from data_gen.config import GenConfig
from data_gen.pipeline import generate
from tests.test_data_gen_pipeline import hash_embedder

# Recipe -> digest on its first 80 captions (every code path the recipe uses, in seconds).
FIRST_80_CAPTIONS = {
    "default": "97a86c53946679f6fded04a2e3867c6080f4d127d05460b3e854ef2ffe575003",
    "quick": "87f7129a9df4a387fcb8f1bec636352be25d3856a12eeea04ff315627ba4e477",
    "smollm2_adapter": "1b2b7ec4af1b61cfdc8cc0c3e6a8e9941de88016d91d258e712bcbb598e416e3",
    "smollm2_adapter_stage3": "f59dbf6d00cb3be8c0525c306137463f4a69db5f6ee7e971832c03a8e772ff86",
}
# Recipe -> digest on all its captions.
FULL = {
    "default": "0eabb00e1fd0a86ec6369d98137a20943f57072d29c4bbff8498864ed56ed484",
    "quick": "ee833be77194b4f4d56b6d9a6e22c53960955d86e2c5c3d9aeeb64808905481b",
    "smollm2_adapter": "505b7fc8080de77bd9e34e5c0dbf6df9ca14488b9ce91ece3a9d24483fbfdc6d",
    "smollm2_adapter_stage3": "28e380086a8617c6235a677353ca113dc35607bd66e750a7333470e4e681d785",
}


def splits_digest(config: GenConfig, out) -> str:
    generate(replace(config, report_tokenizer=None), out, embedder=hash_embedder)
    digest = hashlib.sha256()
    for split in ("train", "val", "test"):
        digest.update((out / f"{split}.json").read_bytes())
    return digest.hexdigest()


@pytest.mark.parametrize("name", sorted(FIRST_80_CAPTIONS))
def test_protocol_recipes_write_the_same_data_on_80_captions(name, tmp_path):
    assert splits_digest(replace(GenConfig.load(name), max_captions=80), tmp_path) == FIRST_80_CAPTIONS[name]


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(FULL))
def test_protocol_recipes_write_the_same_data(name, tmp_path):
    assert splits_digest(GenConfig.load(name), tmp_path) == FULL[name]
