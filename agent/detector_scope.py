"""What a search that found nothing says in the answer: that it found nothing, and what it could have found.

The offline Detection is a set of Haar cascades that find faces, cats, people and upper bodies only. Asked "what
objects are in it?" of a cup of coffee, it finds nothing, and the model answers as it was trained to: "There is no
object in image/....png", which reads as "the picture is empty". The runtime hands the person's note beside the
observation (``Observation.note``: the model reads only "No object found.", the words it was trained on), and the
answer carries it when the model left it out. The model's own words for the empty search, "There is
no object in ...", say what was looked for instead: "I found no face in ..." (:func:`named_empty_search`).

A model trained on successful calls sometimes announces a result after an empty one: "The image is ready:
image/5f22bcab.png" (the upload) after Detection found no face. An answer to an empty search that does not say
so is replaced by the tool's own words.

Asked "how many cats are there?", the model answered the detection with "The cat is at cat [78, 0, 446, 300].": no
count. An answer to a count of what the detector finds that does not give the count found gives it
(:func:`with_count`). Asked "which photo has a cat?" of two uploads, it answered "The face is ready: face [...]"
for the one without: the answer to which picture shows what the detector finds is each picture's finding
(:func:`which_has`). Asked again after a search of the same picture ("find the faces", then "how many faces does
it have?"), the model declined as for a picture question; the count is the search's (:func:`count_found_before`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from agent.pending_edit import (
    BOX_TOOLS,
    CAT_LABELS,
    FACE_LABELS,
    FINDER,
    PERSON_LABELS,
    Step,
    labelled_boxes,
    observations_on,
)
from agent.picture_questions import DETECTORS, asks_to_count, asks_whether_shown, counted_noun
from agent.result_words import says_there_is_no_image
from tools.outputs import NO_OBJECT_FOUND, NO_TEXT_FOUND

# Words with which an answer says that nothing was found ("There is no object in ...", "I couldn't find ...")
SAYS_NOTHING = re.compile(r"\b(no|not|none|nothing|cannot|without)\b|n't\b|\bunable\b", re.IGNORECASE)
_TEXT = re.compile(r"text|word|writ|letter", re.IGNORECASE)
# An empty search's observation: what an answer must speak of to say that this search found nothing, and what it
# must not (the other search's result: after an empty reading the model answered "There is no object in
# image/....png", after an empty detection that followed a reading, "There is no readable text in image/....png")
EMPTY_RESULTS: dict[str, tuple[re.Pattern[str], re.Pattern[str] | None]] = {
    NO_OBJECT_FOUND: (re.compile(""), _TEXT),
    NO_TEXT_FOUND: (_TEXT, None),
}


def as_empty_result(answer: str, observation: str) -> str:
    """``answer``, or the ``observation`` itself when the tool found nothing and the answer does not say so (or
    quotes the observation as what was found, or says there is no image: after Detection found no face, "I don't have an image to work on yet"; or speaks of the
    other search's empty result)."""
    found = observation.strip()
    if found not in EMPTY_RESULTS:
        return answer
    about, other = EMPTY_RESULTS[found]
    says_so = SAYS_NOTHING.search(answer) and about.search(answer) and not (other and other.search(answer))
    # 'The sign says "No text found.".': the observation quoted as what was found
    quoted = re.search(rf"[\"“']{re.escape(found.rstrip('.'))}", answer)
    return found if says_there_is_no_image(answer) or quoted or not says_so else answer


# "The face is at cat [78, 0, 446, 300]": a box the detector found, called by the name the request used.
_CALLED_AT = re.compile(r"\b[Tt]he\s+(\w+(?:\s+\w+)?)\s+(?:is|are)\s+at\s+([a-z][\w ]*?)\s+\[")


def with_found_labels(answer: str, observation: str) -> str:
    """``answer``, or the detector's findings as found when it calls a found box by another name than the
    detector's: asked for the faces on the cat photo, the offline detector found "cat [78, 0, 446, 300]" (a cat's
    face) and the model answered "The face is at cat [78, 0, 446, 300]."."""
    called = _CALLED_AT.search(answer)
    if called is None or f"{called.group(2)} [" not in observation:
        return answer
    if called.group(1).lower().rstrip("s") == called.group(2).lower().rstrip("s"):
        return answer
    return f"I found these objects: {observation.strip().rstrip('.')}."


def with_scope_note(answer: str, note: str) -> str:
    """``answer`` followed by the tool's ``note`` for the person, unless it is empty or the answer holds it."""
    if not note or note in answer:
        return answer
    return f"{answer.rstrip()} {note}"


# What a count asks for ("how many cats"), and the detector's labels that count as each: one person shows as a face
# and an upper body, so people are counted by the label found most often
_COUNTED_LABELS = {
    "cats": ("cat",),
    "faces": ("face",),
    "people": ("face", "person", "upper body"),
    "persons": ("face", "person", "upper body"),
}
_SINGULAR = {"cats": "cat", "faces": "face", "people": "person", "persons": "person"}
_PLURAL = {"cat": "cats", "face": "faces", "person": "people"}  # "detect the cat and count them"
_LABEL = re.compile(r"([a-z][a-z ]*?)\s*\[\d+, \d+, \d+, \d+\]")
_NUMBER_WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")


# The model's words for an empty detection ("There is no object in image/....png."): read as "the picture is
# empty" of a cup of coffee, and silent on what was looked for
_NO_OBJECT_IN = re.compile(
    r"^(?:There\s+(?:is|are)\s+no\s+objects?(?:\s+found)?|No\s+objects?\s+(?:was\s+|were\s+)?found)"
    # "There is no object found; that is not detected." (a Gradio drive): the clause after it says no more
    r"(?:\s+in\s+(?P<image>\S+?))?\s*(?:[;,]\s*(?:that|it)\s+is\s+not\s+(?:detected|found)\s*)?\.?$",
    re.IGNORECASE,
)
# what a request looks for among the detector's labels ("zoom in on the face", "find the cats")
_LOOKED_FOR = re.compile(r"\b(faces?|cats?|people|persons?)\b", re.IGNORECASE)
FOUND_NONE = "I found no {noun} in {image}."
FOUND_NOTHING = "Detection found nothing in {image}."


def _looked_for(request: str) -> str | None:
    """What ``request`` looks for among the detector's labels, singular ("face" of "find the faces"), or ``None``."""
    found = _LOOKED_FOR.search(request)
    noun = found.group(1).lower() if found else None
    return _SINGULAR.get(noun, noun) if noun else None


def labels_asked(request: str) -> tuple[str, ...]:
    """The detector's labels whose boxes ``request`` asks to edit ("crop to the cat": cat; "blur the faces": face;
    "blur the person": person, upper body or face; "blur the face and the cat": both), or none when it names none of
    them (every box found)."""
    nouns = {_SINGULAR.get(noun.lower(), noun.lower()) for noun in _LOOKED_FOR.findall(request)}
    return tuple(
        label
        for label in (*PERSON_LABELS, *CAT_LABELS)
        if label in nouns or ("person" in nouns and label in PERSON_LABELS)
    )


def named_empty_search(answer: str, request: str, observation: str, image: str) -> str:
    """``answer``, or what an empty detection of ``image`` found when the answer is the model's "There is no object in
    ...": no face (cat, person) when ``request`` looks for one, else nothing the detector knows."""
    said = _NO_OBJECT_IN.match(answer.strip())
    if observation.strip() != NO_OBJECT_FOUND or not said or not image:
        return answer
    noun = _looked_for(request)
    return FOUND_NONE.format(noun=noun, image=image) if noun else FOUND_NOTHING.format(image=image)


FOUND_OTHER = "I found no {noun} in {image}; the detector found: {found}."


def found_other_things(answer: str, request: str, observation: str, image: str) -> str:
    """``answer``, or what the detection of ``image`` found instead of the face (cat, person) ``request`` asked to
    edit, when the edit did not run for want of its box and the answer does not say so: "zoom in on the face" of the
    cat photo was answered "Done! I saved the detected face as cat [229, 180, 302, 253]"."""
    noun = _looked_for(request)
    found = observation.strip().rstrip(".")
    if noun is None or not found or found == NO_OBJECT_FOUND.rstrip(".") or not image:
        return answer
    if SAYS_NOTHING.search(answer) and re.search(rf"\b{noun}", answer, re.IGNORECASE):
        return answer
    return FOUND_OTHER.format(noun=noun, image=image, found=found)


# A part of a cat the detector does not find apart from the cat: "crop the cat's face", "blur the cat's head"
_PART_OF_A_CAT = re.compile(
    r"\bcat'?s\s+(?P<part>face|head|eyes?|nose|ears?|mouth|whiskers|paws?|tail)\b", re.IGNORECASE
)
WHOLE_CAT = "The detector finds whole cats, not a cat's {part}, so this is the whole cat (cat [{box}])."
# A whole person asked for by a box edit: "crop to the man", "zoom in on her" (not "her face")
_WHOLE_PERSON = re.compile(
    r"\b(?:crop|zoom\s+in\s+on|zoom\s+into|blur)\s+(?:(?:to|into|around)\s+)?(?:the\s+)?"
    r"(?:man|woman|person|guy|lady|boy|girl|kid|child|astronaut|cameraman|photographer|him|her)\b"
    r"(?!'s|\s+(?:face|head|hair|eyes?|nose|mouth|ears?|hands?)\b)",
    re.IGNORECASE,
)
FACE_ONLY = "The detector found only a face here, not the whole person, so this is the face (face [{box}])."


def part_taken_note(request: str, steps: Sequence[Step]) -> str | None:
    """What a crop or blur took when the detector's box is of another part than the one asked for: a whole cat's for
    a part of a cat ("crop the cat's face": the answer had been "The cropped image is ready", the whole cat in it), a
    face for a whole person it found no more of ("crop to the man": his face alone); else ``None``."""
    cat_part = _PART_OF_A_CAT.search(request)
    if cat_part is not None:
        note, labels = WHOLE_CAT.replace("{part}", cat_part.group("part").lower()), CAT_LABELS
    elif _WHOLE_PERSON.search(request):
        note, labels = FACE_ONLY, FACE_LABELS
    else:
        return None
    found = [
        (label, box)
        for step in steps
        if step.ok and step.action in DETECTORS
        for label, box in labelled_boxes(step.observation)
    ]
    if labels is FACE_LABELS and any(label in PERSON_LABELS and label not in FACE_LABELS for label, _ in found):
        return None  # a person's box was found too
    taken = {box for label, box in found if label in labels}
    for step in steps:
        box = tuple(value.strip() for value in step.action_input.split(",")[1:])
        if step.ok and step.action in BOX_TOOLS and box in taken:
            return note.format(box=", ".join(box))
    return None


def with_count(answer: str, request: str, tool: str, observation: str) -> str:
    """``answer``, or the count the detector's ``observation`` gives when ``request`` asks how many cats, faces or
    people there are and the answer states another count or none ("The cat is at cat [78, 0, 446, 300]." for "how
    many cats are there?"); asked whether there is one, the count follows a yes or a no."""
    noun = counted_noun(request)
    noun = _PLURAL.get(noun, noun)
    if tool not in DETECTORS or not asks_to_count(request) or noun not in _COUNTED_LABELS:
        return answer
    labels = [label.strip() for label in _LABEL.findall(observation)]
    count = max(labels.count(label) for label in _COUNTED_LABELS[noun])
    said = _NUMBER_WORDS[count] if count < len(_NUMBER_WORDS) else str(count)
    ways = {str(count), said} | ({"a", "an", "single"} if count == 1 else set())
    # a box's numbers are no count, bracketed or not ("The cat has 78, 0, 446, 300 faces.")
    words = re.sub(r"\[[^\]]*\]|\d+(?:\s*,\s*\d+){3}", "", answer)
    whether = asks_whether_shown(request)
    yes_or_no = ("Yes" if count else "No") if whether else ""
    if re.search(rf"\b(?:{'|'.join(sorted(ways))})\b", words, re.IGNORECASE) and (
        not whether or re.search(rf"\b{yes_or_no}\b", words, re.IGNORECASE)
    ):
        return answer
    opening = f"{yes_or_no}: " if whether else ""
    if not labels:
        return f"{opening}I found no {noun}."
    found = f"{count} {_SINGULAR[noun] if count == 1 else noun}" if count else f"no {noun}"
    return f"{opening}I found {found}: {observation.strip().rstrip('.')}."


def count_found_before(request: str, earlier: Sequence[Step], latest: str | None) -> str | None:
    """The count :func:`with_count` gives when ``request`` asks how many cats, faces or people there are and one of
    the ``earlier`` steps searched ``latest``, the image still worked on (the last such search); else ``None``."""
    searched = observations_on(earlier, DETECTORS, latest)
    return (with_count("", request, FINDER, searched[-1]) or None) if searched else None


# "which photo has a cat?", "which one shows a face?": what the detector finds, asked of each picture
_WHICH_HAS = re.compile(
    r"\bwhich\s+(?:one|photo|image|picture|pic|file|upload|of\s+(?:them|these|those|the\s+\w+))\s+"
    r"(?:has|have|shows?|contains?|includes?)\s+(?:an?\s+|any\s+|the\s+|some\s+)?"
    r"(?P<noun>cats?|faces?|persons?|people)\b"
    # "which is the cat one?", "which one is the cat photo?" (the model answered "The cat is the cat.")
    # "which file is the cat?" (answered with the coffee photo)
    r"|\bwhich\s+(?:one\s+|photo\s+|image\s+|picture\s+|file\s+|upload\s+)?is\s+the\s+(?P<the>cat|person|face)"
    r"(?:\s+(?:one|photo|image|picture|pic))?\s*[?.!]*\s*$",
    re.IGNORECASE,
)
HAS = "{image} shows {what}: {boxes}"
HAS_NONE = "{image} shows no {noun}"
WHICH_HAS = "{findings}."


def which_has_unfound(request: str, called: Sequence[str], available: Sequence[str]) -> str | None:
    """The detector when ``request`` asks which picture shows a cat, a face or a person (what it finds), it is
    loaded and no detector ran this turn (``called``; asked "which photo has a cat?", the model answered that it
    cannot see images); else ``None``."""
    if FINDER not in available or any(tool in DETECTORS for tool in called):
        return None
    return FINDER if _WHICH_HAS.search(request) else None


def which_has(request: str, searched: Sequence[tuple[str, str]]) -> str | None:
    """The answer to ``request`` when it asks which picture shows a cat, a face or a person, from what a detector
    found on each picture ``searched`` (image, observation): each image with the boxes of the noun asked for, or
    none ('The face is ready: face [...]' answered "which photo has a cat?"); ``None`` for another request or no
    search."""
    asked = _WHICH_HAS.search(request)
    if not asked or not searched:
        return None
    noun = (asked.group("noun") or asked.group("the")).lower()
    noun = _PLURAL.get(noun, noun)
    lines = []
    for image, observation in dict(searched).items():
        boxes = [
            match.group(0) for match in _LABEL.finditer(observation) if match.group(1).strip() in _COUNTED_LABELS[noun]
        ]
        what = f"a {_SINGULAR[noun]}" if len(boxes) == 1 else f"{len(boxes)} {noun}"
        found = HAS.format(image=image, what=what, boxes=", ".join(boxes))
        lines.append(found if boxes else HAS_NONE.format(image=image, noun=_SINGULAR[noun]))
    return WHICH_HAS.format(findings="; ".join(lines))
