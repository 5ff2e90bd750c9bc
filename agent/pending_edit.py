"""Edits of a detected region ("blur the face"): the detection first, and the edit not left undone.

"Blur the face" takes two calls: a detector finds the face, then Blur Region blurs its box. A small model gets
either half wrong:
* it stops after the first and answers with the box ("The image shows: face [176, 65, 273, 162]."), so nothing is
  blurred. When the request asks for a box tool, a detector found boxes this turn and that tool has not run, the
  agent does not take the answer: it writes the next step's opening with the asked tool and lets the model give
  the arguments (the box it copies from the detector's answer) (:func:`pending_box_edit`);
* it skips the detection and blurs a box it made up (``10, 20, 30, 40``). When a request about a face, a person or
  a cat (what :data:`FINDER` finds; "crop the cat" had cropped ``20000, 30000, 1, 2``) gives no numbers and the turn's first call is a box tool whose box the conversation never showed, the agent runs
  Detection first instead (:func:`invented_box`; for other things, Detect the Give Object where it is loaded), and
  the first rule then sees the edit done; so does an answer before such an edit and any detection
  (:func:`people_unfound`);
* asked to "crop the cup" where nothing can find a cup, it cropped ``3, 2, 1, 2``: the agent asks for the box
  instead (:func:`unfound_box`); "blur it" blurs the whole picture (:func:`blurs_the_whole`);
* asked "how many cats are there?", it answers without a detection (a number it cannot know): the detection runs
  first (:func:`uncounted`), and its boxes are the count;
* it copies a shown box's numbers in another order ("65, 273, 162, 176" for the detected ``[176, 65, 273, 162]``),
  which the tool refuses as an empty box: the call takes the shown box (:func:`as_shown_box`); or it writes other
  numbers where the turn's detection found one box of what was asked: the call takes that box
  (:func:`the_found_box`);
* it edits the box on another image than the one it was found in: asked "blur the face" after a pose map, the
  detection ran on the photo (the agent asks detectors about the photo behind a map) and the model blurred the
  face's box on the pose map. The edit runs on the image the box was found in (:func:`detected_in`), and a face
  edit asked for in a later turn on the photo behind the map (:func:`edits_people`, ``agent.meant_call``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Sequence
from dataclasses import replace
from typing import Protocol

from agent.picture_questions import DETECTORS, answered_by, asks_to_count
from agent.request_parts import MADE_SQUARE, OPENING, request_parts
from agent.stated_numbers import (
    ENLARGED_NOUNS,
    ENLARGED_PART,
    centred_shape,
    named_region,
    numbers_besides_size_and_angle,
)
from protocol.steps import ToolCall

BLURRER, CROPPER = "Blur Region", "Crop Image"
BOX_TOOLS = frozenset({CROPPER, BLURRER})  # the tools that take a box
# Box tools by the requests that ask for them.
# Not the noun of an edit's result: "make the crop 2x bigger", "this blur is too weak"
NOT_A_NOUN = r"(?<!\bthe\s)(?<!\bthis\s)(?<!\bthat\s)(?<!\bmy\s)"
_ASKS = {
    BLURRER: re.compile(
        NOT_A_NOUN + r"\b(?:blur|pixelate|pixelise|pixelize|anonymi[sz]e|obscure)\b|\bhide\b.*\bfaces?\b"
        # "that's wrong, I wanted her face blurred" (Detection ran, then the face's box was the answer)
        r"|\b(?:want|wanted|need|needed|like|have)\s+(?:(?:her|his|their|the|my|its|it|them|this|that)\s+)?(?:\w+\s+)?"
        r"(?:blurred|pixelated)\b"
        # "hide the phone number" (the model removed the background)
        r"|\b(?:hide|censor|redact|cover\s+up)\b.*\b(?:phone\s+number|number|address|e-?mail|plate|licen[cs]e|text"
        r"|writing|words|name|sign)\b"
        # "can you make her face anonymous" (Detection ran, and its box was the answer)
        r"|\bmake\s+(?:her|his|their|the|my|its)\s+(?:\w+\s+)?(?:faces?|heads?)\s+(?:\w+\s+)?"
        r"(?:anonymous|unrecogni[sz]able|invisible|hidden)\b",
        re.IGNORECASE,
    ),
    CROPPER: re.compile(NOT_A_NOUN + rf"\b(?:crop|trim)\b|\bzoom\s+in\b|{ENLARGED_PART.pattern}", re.IGNORECASE),
}
# A box edit of the picture that names no part of it: "crop it", "trim the photo a bit"
_NAMES_NOTHING = re.compile(
    OPENING + r"(?:crop|trim)(?:\s+(?:it|this|that|(?:the|this|that|my)\s+(?:image|photo|picture|pic)))?"
    r"(?:\s+(?:a\s+bit|a\s+little|slightly|some|more|please|for\s+me))*\s*[.!?]*\s*$",
    re.IGNORECASE,
)
# "crop her out", "crop out the left side": what to leave out, not what to keep (a crop to her box, the detector's,
# would keep only her)
_LEAVES_OUT = re.compile(
    OPENING + r"(?:crop\s+(?:her|him|them|me|(?:the|that|this)\s+\w+(?:\s+\w+)?)\s+out(?:\s+of\s+(?:it|the\s+\w+))?"
    # "crop out the left side": how much, it does not say
    r"|crop\s+(?:out|off|away)\s+(?:the\s+)?(?:left|right|top|bottom|upper|lower)\s+(?:side|part|edge|bit|area))"
    r"(?:\s+(?:please|for\s+me))*\s*[.!?]*\s*$",
    re.IGNORECASE,
)
# How a person gives each box tool its box, for a box written as "left, top, right, bottom"
BOX_REQUESTS = {BLURRER: "blur {box}", CROPPER: "crop it to {box}"}
_BOX = re.compile(r"\[(\d+), (\d+), (\d+), (\d+)\]")
_LABELLED_BOX = re.compile(r"([a-z][\w ]*?)\s*\[(\d+), (\d+), (\d+), (\d+)\]")  # "face [176, 65, 273, 162]"
# What FINDER finds without being told what to look for (the offline detector: faces, people, cats)
PERSON_WORDS = (
    r"faces?|person|people|man|men|woman|women|child|children|kids?|boys?|girls?|astronauts?|lady|ladies|guys?|baby"
    r"|babies"
)
CAT_WORDS = r"cats?|kittens?|kitty|kitties"
# The detector's labels that answer each: a person shows as a person, an upper body or a face (best first)
CAT_LABELS, FACE_LABELS = ("cat",), ("face",)
PERSON_LABELS = ("person", "upper body", "face")
PEOPLE_WORDS = f"{PERSON_WORDS}|{CAT_WORDS}"
_PEOPLE = re.compile(
    rf"\b(?:{PEOPLE_WORDS})\b"
    # "zoom in on her", "crop it to him": a person by a pronoun, not by "her hat"
    r"|\b(?:on|to|around)\s+(?:her|him)\b(?!\s+(?!(?:and|then|please|more|now|too|a\s+bit|a\s+little)\b)[a-z])"
    # "crop him", "blur them" (told that the detector cannot find him); not "crop her out", what to drop
    # "anonymize him" (asked for a box, told the detector finds people)
    r"|\b(?:crop|blur|pixelate|hide|anonymi[sz]e|obscure|censor)\s+(?:her|him|them)\b"
    r"(?!\s+(?!(?:and|then|please|now|too)\b)[a-z])"
    # "now blur hers too" after "blur the cat's face" (told that the detector cannot find that): her face
    r"|\b(?:crop|blur|pixelate|hide)\s+(?:hers|his|theirs)\b(?!\s+(?!(?:and|then|please|now|too|as\s+well)\b)[a-z])",
    re.IGNORECASE,
)
FINDER = "Detection"
NAMED_FINDER = "Detect the Give Object"  # finds what it is told to
# "blur it", "please blur this photo": nothing in the picture named, the picture itself
_BLUR_THE_WHOLE = re.compile(
    r"(?:(?:and|then|and\s+then|now)[,]?\s+)?(?:please\s+)?(?:blur|pixelate)\s+"
    r"(?:(?:all\s+of\s+)?(?:it|this|that)(?:\s+all)?|everything|the\s+(?:whole|entire)\s+thing|(?:the|this|my)\s+(?:\w+\s+)?"
    r"(?:image|photo|picture|pic|map|result|original|one))(?:\s+please)?[\s.!]*$",
    re.IGNORECASE,
)


class Step(Protocol):
    """What this rule reads of a step taken this turn (agent.loop.TraceStep)."""

    action: str
    action_input: str
    ok: bool
    observation: str


def observations_on(earlier: Sequence[Step], tools: Collection[str], image: str | None) -> list[str]:
    """What the steps among ``earlier`` that ran one of ``tools`` on ``image`` and succeeded observed, oldest first."""
    return [
        step.observation
        for step in earlier
        if step.ok and step.action in tools and step.action_input.split(",", 1)[0].strip() == image
    ]


def asks_for(tool: str, request: str) -> bool:
    """Whether ``request`` asks for box tool ``tool`` by its words ("blur", "hide the faces"; "crop")."""
    return bool(_ASKS[tool].search(request))


_CATS = re.compile(rf"\b(?:{CAT_WORDS})\b", re.IGNORECASE)
_PERSONS = re.compile(rf"\b(?:{PERSON_WORDS})\b", re.IGNORECASE)


def _found_for(request: str, steps: Sequence[Step]) -> bool:
    """Whether the detectors of ``steps`` found a box of what ``request`` names: a cat for a cat, a face or a person
    for a person (asked to "blur the faces" of the cat photo, the cat's box had been blurred); any box when it names
    neither or both."""
    labels = {
        label for step in steps if step.ok and step.action in DETECTORS for label, _ in labelled_boxes(step.observation)
    }
    cat, person = bool(_CATS.search(request)), bool(_PERSONS.search(request))
    if cat == person:
        return bool(labels)
    return bool(labels & set(CAT_LABELS if cat else PERSON_LABELS))


def pending_box_edit(request: str, steps: Sequence[Step], available: Sequence[str]) -> str | None:
    """The box tool ``request`` asks for when a detector found boxes of what it names in ``steps`` and no call of that
    tool was made (``available``: the loaded tools), else ``None``."""
    if not _found_for(request, steps):
        return None
    called = {step.action for step in steps}
    for tool, asks in _ASKS.items():
        if tool in available and tool not in called and asks.search(request):
            return tool
    return None


def box_edit_unfound(request: str, steps: Sequence[Step], available: Sequence[str]) -> str | None:
    """The box tool ``request`` asks for when the detectors of ``steps`` ran and found nothing and no call of that
    tool was made (``available``: the loaded tools), else ``None``: asked to "blur his face" of a man whose face the
    offline detector missed, the answer said only "There is no object found."; a cat's box is no face found."""
    searched = [step for step in steps if step.ok and step.action in DETECTORS]
    if not searched or _found_for(request, searched):
        return None
    called = {step.action for step in steps}
    return next(
        (tool for tool, asks in _ASKS.items() if tool in available and tool not in called and asks.search(request)),
        None,
    )


# An answer that says it cannot answer, as the model was trained to where no listed tool answers picture questions
_DECLINES = re.compile(r"\b(?:can't|cannot|not loaded|unable)\b", re.IGNORECASE)


def uncounted(request: str, said: str, called: Sequence[str], available: Sequence[str]) -> str | None:
    """:data:`FINDER` when ``request`` asks how many faces, people or cats there are (what it finds), it is loaded,
    no tool that answers it was ``called`` this turn (a detector, or the question answerer) and the answer (``said``) gives a count rather than declining (the model
    answered "There are 2 cats." without looking); else ``None``."""
    if FINDER not in available or any(answered_by(request, tool) for tool in called) or not asks_to_count(request):
        return None
    return FINDER if _PEOPLE.search(request) and not _DECLINES.search(said) else None


# The whole request asks only to hide faces: "hide her face", "please blur their faces"
_FACES_ONLY = re.compile(
    r"^\W*(?:(?:please|can\s+you|could\s+you)\s+)?(?:blur|pixelate|pixelise|pixelize|anonymi[sz]e|obscure|hide)\s+"
    r"(?:out\s+)?(?:the|his|her|their|my|our|its|all\s+the)\s+faces?(?:\s+please)?[\s.!]*$",
    re.IGNORECASE,
)


def faces_hidden_otherwise(request: str, tool: str, available: Sequence[str]) -> str | None:
    """:data:`FINDER` when ``request`` asks only to hide the faces, the turn's first call is of another tool than the
    blur or the finder (asked "hide her face", the small model removed the background, then blurred the face on the
    cut-out; the loop leaves a map drawn first to :func:`people_unfound`), and both are loaded; else ``None``."""
    if tool in (BLURRER, FINDER) or BLURRER not in available or FINDER not in available:
        return None
    return FINDER if _FACES_ONLY.match(request) else None


def invented_box(
    request: str,
    tool: str,
    arguments: Sequence[str],
    shown: str,
    available: Sequence[str],
    *,
    found: Sequence[Step] = (),
) -> str | None:
    """The detector to run first when a call of ``tool`` with ``arguments`` is a box tool's made-up box (one
    ``shown``, the conversation's text, never held, or one the detectors of ``found`` gave something else than what
    the request names: the cat's box for "now blur hers too") for something ``request`` names without numbers:
    :data:`FINDER` for a face, a person or a cat, :data:`NAMED_FINDER` for anything else, each when loaded
    (``available``); else ``None``."""
    if tool not in _ASKS or _gives_its_numbers(request, tool):
        return None
    corners = tuple(argument.strip() for argument in arguments[1:])
    labels = [label for step in found if step.ok for label, box in labelled_boxes(step.observation) if box == corners]
    of_another = bool(labels) and not any(_of_what_is_named(request, label) for label in labels)
    if is_shown(arguments[1:], shown) and not of_another:
        return None
    people = (_PEOPLE.search(request) or _PRONOUNS.search(request)) and not names_another_thing(request)
    finder = FINDER if people else NAMED_FINDER  # not for "zoom in on her hat"
    return finder if finder in available else None


def people_unfound(request: str, called: Sequence[str], available: Sequence[str]) -> str | None:
    """:data:`FINDER` when ``request`` asks for a box edit of a face, a person or a cat whose tool did not run this
    turn (``called``) and no detector ran to find them, each loaded (``available``); else ``None``. Asked to "crop the
    left half and blur the face", the model cropped, then answered."""
    if FINDER not in available or any(tool in DETECTORS for tool in called) or not _PEOPLE.search(request):
        return None
    asked = [tool for tool, asks in _ASKS.items() if tool in available and tool not in called and asks.search(request)]
    return FINDER if asked and not _gives_numbers(request) else None


def unfound_box(request: str, available: Sequence[str], shown: str) -> str | None:
    """The box tool ``request`` asks for when nothing gives it a box: the request states no numbers, names no part
    of the picture by its place ("the top half") nor anything :data:`FINDER` finds, :data:`NAMED_FINDER` is not
    loaded (``available``) and the conversation (``shown``) holds no box to take. Asked to "crop the cup", the model
    cropped ``3, 2, 1, 2``: no tool here can say where a cup is."""
    box_to_take = _BOX.search(shown) and not names_another_thing(request)
    if _gives_numbers(request) or NAMED_FINDER in available or box_to_take or _PEOPLE.search(request):
        return None
    if _names_a_part(request):
        return None
    return next((tool for tool, asks in _ASKS.items() if tool in available and asks.search(request)), None)


def names_no_part(request: str) -> bool:
    """Whether ``request`` asks for a crop and names nothing to keep ("crop it", "trim the photo a bit", "crop her
    out")."""
    return bool(_NAMES_NOTHING.match(request) or _LEAVES_OUT.match(request))


def leaves_out(request: str) -> bool:
    """Whether ``request`` asks to crop something out of the picture ("crop her out"), which names what to drop."""
    return bool(_LEAVES_OUT.match(request))


def blurs_the_whole(request: str) -> bool:
    """Whether ``request`` asks to blur the picture itself ("blur it", "blur the edge map"): its box is the whole."""
    return bool(_BLUR_THE_WHOLE.match(request.strip()))


def is_shown(box: Sequence[object], shown: str) -> bool:
    """Whether ``box`` (four corners) is one the conversation (``shown``) holds, as a detector writes it."""
    return f"[{', '.join(str(corner).strip() for corner in box)}]" in shown


def named_box(request: str, tool: str, width: int, height: int) -> tuple[int, int, int, int] | None:
    """The box of the part of a ``width`` x ``height`` picture that ``request`` names for box tool ``tool``: by its
    place ("the top half": :func:`agent.stated_numbers.named_region`), the whole picture for "blur it", the largest
    centred square (or box of a ratio: "crop it to 4:3") for a crop that asks for that shape
    (:func:`agent.stated_numbers.centred_shape`). Of a request of several things, the one part that asks for
    ``tool`` says it: "crop it to a square, then make it 200 pixels wide" (a number stated elsewhere had read as the
    crop's own)."""
    parts = [part for part in request_parts(request) if tool in _ASKS and asks_for(tool, part)]
    said = parts[0] if len(parts) == 1 else request
    region = named_region(said, width, height)
    if region is None and tool == BLURRER and blurs_the_whole(said):
        return 0, 0, width, height
    if region is None and tool == CROPPER:
        return centred_shape(said, width, height)
    return region


def as_shown_box(request: str, tool: str, arguments: Sequence[str], shown: str) -> tuple[str, ...] | None:
    """The box a box tool's call meant when ``request`` gives no numbers and the call's (``arguments`` after the
    image) are those of a box in ``shown`` (the conversation's and the turn's text; the latest box first) in another
    order, else ``None``."""
    if tool not in _ASKS or len(arguments) != 5 or _gives_numbers(request):
        return None
    try:
        written = [int(argument.strip()) for argument in arguments[1:]]
    except ValueError:
        return None
    for match in reversed(list(_BOX.finditer(shown))):
        box = [int(number) for number in match.groups()]
        if sorted(box) == sorted(written):
            return None if box == written else tuple(str(number) for number in box)
    return None


def the_found_box(
    request: str, tool: str, arguments: Sequence[str], steps: Sequence[Step], *, named_only: bool = False
) -> tuple[str, ...] | None:
    """The one box a detector of ``steps`` found of what ``request`` names (or, unless ``named_only``, the one it
    found at all), when a box tool's call (``arguments``: the image, then the box, or the image alone) is not one the
    detectors found and the request gives no box of its own; else ``None``. After Detection found "cat [91, 140, 205,
    254]", asked to "blur the cat face", the model wrote ``256, 256, 91, 205``."""
    if tool not in _ASKS or len(arguments) not in (1, 5) or _gives_its_numbers(request, tool):
        return None
    found = [
        (label, box)
        for step in steps
        if step.ok and step.action in DETECTORS
        for label, box in labelled_boxes(step.observation)
        if _of_what_is_named(request, label)  # not the cat's box for "now blur hers too"
    ]
    if tuple(argument.strip() for argument in arguments[1:]) in [box for _, box in found]:
        return None
    named = [box for label, box in found if re.search(rf"\b{re.escape(label)}s?\b", request, re.IGNORECASE)]
    candidates = named or ([] if named_only else [box for _, box in found])
    unique = {tuple(box) for box in candidates}
    return unique.pop() if len(unique) == 1 else None


def _gives_its_numbers(request: str, tool: str) -> bool:
    """Whether the part of ``request`` that asks for box tool ``tool`` states numbers (the whole request where no one
    part asks for it): "crop it, make it 256 wide" gives the crop none (the model had written 256 into its box)."""
    parts = [part for part in request_parts(request) if asks_for(tool, part)]
    return _gives_numbers(parts[0] if len(parts) == 1 else request)


def labelled_boxes(observation: str) -> list[tuple[str, tuple[str, ...]]]:
    """The boxes a detector's ``observation`` lists, each with its label, lower-cased ("face [1, 2, 3, 4]")."""
    return [(label.strip().lower(), tuple(box)) for label, *box in _LABELLED_BOX.findall(observation)]


def the_one_box_found(steps: Sequence[Step], image: str) -> tuple[str, ...] | None:
    """The one box the detectors of ``steps`` found on ``image``; ``None`` when they found none or several."""
    boxes = {
        box
        for step in steps
        if step.ok and step.action in DETECTORS and step.action_input.split(",", 1)[0].strip() == image
        for _, box in labelled_boxes(step.observation)
    }
    return boxes.pop() if len(boxes) == 1 else None


def edits_people(request: str, tool: str) -> bool:
    """Whether a call of ``tool`` is a box tool's edit of the faces or people ``request`` speaks of ("blur the
    face"): they are in a photo, never in a map drawn from it."""
    return tool in _ASKS and bool(_PEOPLE.search(request))


def detected_in(tool: str, arguments: Sequence[str], steps: Sequence[Step], request: str = "") -> str | None:
    """The image a detector of ``steps`` found the box of a box tool's call in (``arguments``: the image, then the
    box), when the call names another image and the box is of what ``request`` names (a cat's box is no box for
    "now blur hers too": the blur had gone back to the cat's photo); else ``None``."""
    if tool not in _ASKS or len(arguments) != 5:
        return None
    corners = tuple(argument.strip() for argument in arguments[1:])
    for step in reversed(steps):
        labels = [label for label, box in labelled_boxes(step.observation) if box == corners] if step.ok else []
        if step.action in DETECTORS and labels:
            image = step.action_input.split(",", 1)[0].strip()
            return image if image != arguments[0].strip() and _of_what_is_named(request, labels[0]) else None
    return None


# A person said as "her", "hers", "his", "him": "now blur hers too"
_PRONOUNS = re.compile(r"\b(?:she|her|hers|he|him|his)\b", re.IGNORECASE)


def _of_what_is_named(request: str, label: str) -> bool:
    """Whether a box the detector labelled ``label`` is of what ``request`` names: not a cat's for a person (or "her"),
    nor a person's for a cat, nor either for another thing the edit names ("blur the cup"); any box when it names
    neither or both, and a label of neither kind (the open-vocabulary detector's "baby")."""
    known = (*PERSON_LABELS, *CAT_LABELS)
    if names_another_thing(request):
        return label not in known
    cat, person = bool(_CATS.search(request)), bool(_PERSONS.search(request) or _PRONOUNS.search(request))
    return cat == person or label not in (PERSON_LABELS if cat else CAT_LABELS)


# What a box edit is of, said after its verb: "blur the cup", "crop to the red car", "zoom in on her hat"
_EDITED_THING = re.compile(
    r"\b(?:blur|pixelate|crop|trim|hide|obscure|censor|zoom\s+in\s+on|zoom\s+into)\s+"
    r"(?:(?:out|to|into|around|in\s+on)\s+)?(?:the|that|this|a|an|my|his|her|its|their)\s+"
    r"(?P<thing>[a-z'-]+(?:\s+[a-z'-]+){0,2}?)\s*(?:$|[,.;!?]|\b(?:and|then|please|too|as\s+well|in|on|of|from|so|for)\b)",
    re.IGNORECASE,
)
# The things a box edit is given a box of without a detector told what to look for: what FINDER finds, the picture or a
# result, a part by its place or shape, the writing (agent/text_region.py), a map, a box already found
_BOXED_WITHOUT_NAMING = re.compile(
    rf"\b(?:{PEOPLE_WORDS}|cat's|kitty's|(?:wo)?man's|person's|head|heads|selfie|portrait"
    r"|image|photo|picture|pic|one|version|copy|map|result|original|crop|whole|entire|everything|rest|thing|same|other"
    r"|first|second|third|last|background|foreground|subject|box|boxes|region|area|part|bit|section|detected|found"
    r"|top|bottom|left|right|middle|center|centre|upper|lower|half|halves|quarter|corners?|sides?|edges?|borders?"
    r"|margins?|square|circle|black|white"
    r"|text|writing|words?|sign|signs|label|lettering|letters|number|numbers|phone|address|e-?mail|plate|licen[cs]e"
    r"|name|caption|hours|times|days|price|website|url"
    r"|lines|pose|depth|sketch|skeleton|outlines?|segments?)\b",
    re.IGNORECASE,
)


def names_another_thing(request: str) -> str | None:
    """The thing a box edit of ``request`` names that no box already found is of and the offline detector does not
    find ("blur the cup": the cup; "blur the face", "crop the top half", "blur the phone number": ``None``). Asked to
    "blur the cup" after "show me the cat one", the model blurred the cat's box on the cat's photo."""
    edited = _EDITED_THING.search(request)
    if edited is None or _BOXED_WITHOUT_NAMING.search(edited.group("thing")):
        return None
    return edited.group("thing")


def as_found(request: str, call: ToolCall, shown: str, steps: Sequence[Step], earlier: Sequence[Step] = ()) -> ToolCall:
    """A box tool's ``call`` with the shown box where it copied one in another order (:func:`as_shown_box`) or wrote
    another than the one box found (:func:`the_found_box`) this turn (``steps``) or, of what the request names, in
    the latest turn that ran a detector (``earlier``: "find the face", then "crop the face and make it 128x128"),
    on the image a detector found that box in (:func:`detected_in`); ``call`` itself otherwise."""
    arguments = [argument.strip() for argument in call.arguments]
    box = (
        as_shown_box(request, call.tool, arguments, shown)
        or the_found_box(request, call.tool, arguments, steps)
        or (None if _names_a_part(request) else the_found_box(request, call.tool, arguments, earlier, named_only=True))
    )
    if box:
        arguments = [arguments[0], *box]
    image = detected_in(call.tool, arguments, [*earlier, *steps], request)
    if image:
        arguments[0] = image
    return replace(call, action_input=", ".join(arguments)) if box or image else call


def _names_a_part(request: str) -> bool:
    """Whether ``request``, or one of its parts ("zoom in and then show me the edges"), names a part of the picture by
    its place, its shape ("crop it to a square", "zoom in") or the whole (its box is not a detection's)."""
    # any size: whether, not where
    return any(
        blurs_the_whole(said) or named_region(said, 2, 2) is not None or centred_shape(said, 2, 2) is not None
        for said in dict.fromkeys([request, *request_parts(request)])
    )


# The words that make a crop square, taken off to see what the crop is of: "crop to the cat and make it square"
_SQUARED = re.compile(
    rf"(?:\s*,?\s*(?:and\s+)?(?:then\s+)?{MADE_SQUARE}|\s+(?:in)?to\s+a\s+square|\s*,\s*square)\b", re.IGNORECASE
)


# Parts of the writing a reading finds (agent/text_region.py)
_WRITTEN_PARTS = r"(?:number|text|writing|words|letters|price|address|e-?mail|website|hours|sign)"
# "can you make her face bigger": a part of the photo made bigger, as a zoom onto it (the detector ran and nothing
# more); after a crop to it, the same words resize the crop (agent.meant_call.with_relative_size)
_PART_BIGGER = re.compile(
    r"^\W*(?:(?:can|could|would)\s+you\s+)?(?:please\s+)?make\s+(?P<part>(?:the|her|his|its|their|my)\s+(?:\w+\s+)?"
    # "make the phone number bigger" (the model resized the whole sign)
    rf"(?:{ENLARGED_NOUNS}|{_WRITTEN_PARTS}))\s+(?:bigger|larger)"
    r"(?:\s+please)?\W*$",
    re.IGNORECASE,
)


def zoom_onto_the_part(request: str, cropped: bool) -> str:
    """``request`` as a zoom onto the part it asks to make bigger ("make her face bigger": "zoom in on her face")
    when the image worked on was not ``cropped`` (to that part, most likely); else ``request``."""
    bigger = _PART_BIGGER.match(request)
    return f"zoom in on {bigger.group('part')}" if bigger and not cropped else request


# "zoom in more", "zoom in further", "closer": the middle of the picture worked on (after a crop, a box had been asked
# for)
_ZOOM_MORE = re.compile(
    r"^\W*(?:(?:ok(?:ay)?|now|and|please|can\s+you|could\s+you)[,!.]?\s+)*(?:zoom\s+(?:in\s+)?(?:more|further|again"
    r"|closer|some\s+more)|(?:get\s+|go\s+|a\s+bit\s+|even\s+)?closer)(?:\s+(?:please|still))*\W*$",
    re.IGNORECASE,
)


def zoomed_in_more(request: str, image: str | None, size: Callable[[str], tuple[int, int] | None]) -> ToolCall | None:
    """The crop of the middle of ``image`` (``size`` gives its width and height) when ``request`` asks to zoom in
    more: of a crop, a box had been asked for; of a picture never cropped, the model had resized it to 78 x 0.01.
    ``None`` otherwise."""
    dimensions = size(image) if image is not None and _ZOOM_MORE.match(request) else None
    if image is None or dimensions is None:
        return None
    box = named_box("crop the middle", CROPPER, *dimensions)
    return ToolCall("", CROPPER, ", ".join([image, *map(str, box)])) if box else None


def squares_a_named_part(request: str) -> bool:
    """Whether ``request`` asks for a square crop of something it names by its place or by what is in it ("crop to the
    cat and make it square", "crop the left half to a square"), not of the picture's middle."""
    rest = _SQUARED.sub(" ", request)
    if rest == request or not _ASKS[CROPPER].search(rest):
        return False
    rest = re.sub(r"(?:\s+(?:and|then|please))+\s*[.!?]*\s*$", "", rest.strip())
    return not names_no_part(rest) and centred_shape(rest, 2, 2) is None


def box_of_its_own(request: str) -> bool:
    """Whether ``request`` gives its box itself: numbers, or a part named by its place or shape ("the top half")."""
    return _gives_numbers(request) or _names_a_part(request)


def names_people(request: str) -> bool:
    """Whether ``request`` speaks of a face, a person or a cat (what :data:`FINDER` finds), by a word or a pronoun."""
    return bool(_PEOPLE.search(request))


def _gives_numbers(request: str) -> bool:
    """Whether ``request`` states a number other than a size or an angle: its box, then, is the person's own."""
    return bool(numbers_besides_size_and_angle(request))
