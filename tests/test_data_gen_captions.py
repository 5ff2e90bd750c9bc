"""Caption sources: the shipped corpus, the JSONL and COCO readers, and clear errors for corrupt files."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from data_gen.captions import CaptionError, guess_objects, load_captions, read_coco_captions, read_jsonl_captions


def test_shipped_corpus_is_large_varied_and_annotated():
    captions = load_captions("shipped")
    assert len(captions) >= 500
    assert len({c.id for c in captions}) == len(captions)
    assert len({c.text for c in captions}) == len(captions)
    categories = Counter(c.id.split("-")[0] for c in captions)
    for category in ("people", "animals", "vehicles", "food", "rooms", "landscapes", "signs", "sports"):
        assert categories[category] >= 20, category
    assert all(c.objects for c in captions)
    assert sum(bool(c.boxes) for c in captions) >= 100
    assert sum(bool(c.sign_text) for c in captions) >= 100
    for caption in captions:
        assert "[" not in caption.text and caption.text[0].isupper() and caption.text.endswith(".")
        for box in caption.boxes:
            left, top, right, bottom = box.box
            assert 0 <= left < right <= caption.size[0] and 0 <= top < bottom <= caption.size[1]


def test_jsonl_reader_fills_defaults_and_guesses_objects(tmp_path):
    path = tmp_path / "mine.jsonl"
    lines = [
        {"caption": "A brown dog sleeping on a red sofa."},
        {},
    ]
    path.write_text(
        json.dumps(lines[0]) + "\n\n" + json.dumps({"id": "x", "caption": "A cat.", "objects": ["cat"]}) + "\n"
    )
    first, second = read_jsonl_captions(path)
    assert first.id == "mine-1" and "dog" in first.objects and "sofa" in first.objects
    assert second.id == "x" and second.objects == ("cat",)
    assert guess_objects("Two children building a sandcastle on the beach.") == ("children", "sandcastle", "beach")


def test_coco_reader_keeps_one_caption_per_image(tmp_path):
    path = tmp_path / "captions_val.json"
    data = {
        "images": [{"id": 7, "width": 800, "height": 600}],
        "annotations": [
            {"image_id": 7, "id": 1, "caption": "A man riding a horse on a beach."},
            {"image_id": 7, "id": 2, "caption": "A person on a horse by the sea."},
            {"image_id": 9, "id": 3, "caption": "A plate of food on a table."},
        ],
    }
    path.write_text(json.dumps(data))
    captions = read_coco_captions(path)
    assert [c.id for c in captions] == ["coco-7", "coco-9"]
    assert captions[0].size == (800, 600) and "horse" in captions[0].objects
    assert load_captions(path) == captions


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("bad.jsonl", '{"caption": "ok"}\n{"caption": broken\n', "line 2: invalid JSON"),
        ("bad.jsonl", '{"text": "no caption"}\n', 'line 1: needs a non-empty string field "caption"'),
        ("bad.jsonl", '["a list"]\n', "line 1: expected a JSON object"),
        ("bad.jsonl", '{"caption": "x", "boxes": [{"label": "a", "box": [5, 5, 1, 1]}]}\n', "right <= left"),
        ("bad.jsonl", '{"caption": "x", "objects": "dog"}\n', '"objects" must be a list'),
        ("bad.jsonl", "\n\n", "holds no captions"),
        ("bad.json", '{"images": []}', '"annotations" list'),
        ("bad.json", '{"annotations": [{"caption": "x"}]}', "annotations[0]"),
        ("bad.json", "{not json", "invalid JSON at line 1"),
        ("bad.txt", "a caption", "use 'shipped', a .jsonl file"),
    ],
)
def test_corrupt_caption_files_give_clear_errors(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(CaptionError, match=message.replace("[", r"\[").replace("(", r"\(")) as info:
        load_captions(path)
    assert str(path) in str(info.value) or name.endswith(".txt")


def test_missing_and_non_utf8_files(tmp_path):
    with pytest.raises(CaptionError, match="not found"):
        load_captions(tmp_path / "missing.jsonl")
    path = tmp_path / "latin.jsonl"
    path.write_bytes(b'{"caption": "caf\xe9"}\n')
    with pytest.raises(CaptionError, match="not UTF-8"):
        load_captions(path)
