"""A correction of the image: "no, I meant the first photo" runs the last turn's call again on the image meant.

After "edges" ran on the newest of two uploads, "no, I meant the first photo" had the small model run Detection on
the first photo: it does not read a correction as the last request again. When a message only corrects which image
the last turn worked on (an opening that says so, then an image by its place, "the other one", or a word of an
upload's file name), the agent opens the last turn's first call with that image and the model writes the rest of
the step; a box of a part named by its place ("the top half") is taken again from the new image's size. "Do the same
to the original" (the model removed the background of the original after a crop), "and in the second one?" are the
same again on the image they name, every call of the last turn in turn (:func:`replayed`): a box a detector found is
found again there.

Blur Region has no strength: asked to "make the blur stronger", the small model blurred a box of 48450s. A message
that only asks for more blur, right after a blur, blurs the same box of the blurred image again.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Protocol

from agent.image_reference import UPLOAD_PLACES, meant_image
from agent.meant_call import RESIZER, with_relative_size
from agent.pending_edit import BLURRER, FINDER, Step, blurs_the_whole, labelled_boxes, named_box
from agent.picture_questions import DETECTORS
from agent.request_parts import OPENING
from agent.several_edits import ROTATOR
from agent.stated_numbers import SLIGHT_GROWTH, SLIGHT_SHRINK, scaled_by
from agent.undo import made_call
from generation.tool_calls import image_names
from protocol.plan import BOX_CORNERS, takes_a_box
from protocol.steps import ToolCall
from tools.catalog import default_registry
from tools.registry import ToolRegistry

# A message that only corrects the image: an opening that says the last one was wrong, then what was meant
_CORRECTION = re.compile(
    r"^\s*(?:(?:no+\b|nope|oops|sorry|wrong\s+(?:one|photo|image|picture|pic)|not\s+(?:that|this)(?:\s+(?:one|photo|"
    r"image|picture|pic))?)\s*[,.!;-]*\s*)+(?:(?:i\s+)?(?:meant|said|wanted|want|asked\s+for)\s+|use\s+|do\s+(?:it|that|"
    r"the\s+same)\s+(?:on|for|with|to)\s+|on\s+|with\s+)?(?P<meant>[\w .'-]{2,40}?)\s*[.!?]*\s*$"
    r"|^\s*i\s+meant\s+(?P<meant_alone>[\w .'-]{2,40}?)\s*[.!?]*\s*$"
    # no correction: the same again on another image ("do the same to the original", "now do that for the cat too")
    r"|^\s*(?:(?:ok(?:ay)?|now|great|thanks|thank\s+you|cool|nice|please|and|then|can\s+you|could\s+you)[,!.]?\s+)*"
    r"(?:do|apply|repeat)\s+(?:it|that|this|the\s+same(?:\s+thing)?)(?:\s+again)?\s+(?:on|for|with|to)\s+"
    r"(?P<same>[\w .'-]{2,40}?)(?:\s+(?:too|as\s+well))?(?:\s+please)?\s*[.!?]*\s*$"
    # the same again, said short: "and in the second one?", "what about the other photo?", "same for the cat photo"
    r"|^\s*(?:(?:and|now|then)\s+(?:(?:what|how)\s+about\s+)?|(?:what|how)\s+about\s+"
    r"|(?:the\s+)?same\s+(?:thing\s+)?(?:for|on|to|with)\s+)"
    r"(?:(?:in|on|for|with|to)\s+)?(?P<also>(?:the|this|that|my)\s+[\w .'-]{2,40}?)(?:\s+(?:too|as\s+well))?"
    r"(?:\s+please)?\s*[.!?]*\s*$",
    re.IGNORECASE,
)
_OTHER = re.compile(r"\bother\s+(?:one|photo|image|picture|pic|upload)\b", re.IGNORECASE)
# An image's place said without its noun: "and the first", "now the second"
_BARE_PLACE = re.compile(r"^the\s+(?:first|second|third|fourth|last)$", re.IGNORECASE)
# What the meant image is said as: its place, "the other one", or one word of a file name (no verbs of an edit)
_POINTER = re.compile(r"^(?:the|my|that|this)\s+[\w .'-]+$|^[\w.-]+$", re.IGNORECASE)
# A map named beside the image ("and the edges of the original too" after the lines: the edges, not the lines again)
_MAP_NAMED = re.compile(
    r"\b(?:"
    + "|".join(
        sorted({re.escape(word) for spec in default_registry() for word in spec.makes_map}, key=len, reverse=True)
    )
    + r")\b",
    re.IGNORECASE,
)


def corrected_image(
    request: str,
    last_image: str,
    uploads: Sequence[str],
    named: Callable[[str], str | None],
    lineage: Callable[[str], Sequence[str]],
) -> str | None:
    """The image ``request`` says the last turn should have worked on (``last_image``), when it only corrects that;
    else ``None``. ``named`` gives the upload that words call by its file's name or what it shows
    (agent/upload_names.py, agent/upload_contents.py); ``lineage`` an image and the images it was made from, newest
    first."""
    match = _CORRECTION.match(request)
    meant = (
        match
        and (
            match.group("meant") or match.group("meant_alone") or match.group("same") or match.group("also") or ""
        ).strip()
    )
    if not meant or not _POINTER.match(meant) or _MAP_NAMED.search(meant):
        return None
    meant = _BARE_PLACE.sub(r"\g<0> one", meant)  # "and the first": the first one
    behind = [image for image in lineage(last_image) if image in uploads]
    if _OTHER.search(meant):
        others = [upload for upload in uploads if upload not in behind]
        image = others[0] if len(others) == 1 else None
    else:
        image = meant_image(meant, uploads, last_image) or named(meant)
    # the same again: on any image but the one it ran on
    again = match.group("same") is not None or match.group("also") is not None
    return image if image and image != last_image and (again or image not in behind[:1]) else None


def redone(
    last_call: ToolCall,
    last_request: str,
    image: str,
    tools: ToolRegistry,
    size: Callable[[str], tuple[int, int] | None],
    *,
    request: str = "",
) -> ToolCall:
    """``last_call`` again on ``image``; a box of a part ``request`` (the message that asks for it again) or else
    ``last_request`` names by its place, or a size ``last_request`` gives relative to the picture ("256 pixels wide",
    "half the size"), from ``image``'s size ("and the coffee one too" had resized the 600 x 400 photo to the 256 x 256
    of the square one; after "crop the top third", "now the bottom third of the original" had cropped its top third)."""
    written = image_names(last_call.action_input)
    action_input = last_call.action_input.replace(written[0], image, 1) if written else image
    dimensions = size(image)
    if last_call.tool in tools and takes_a_box(tools.get(last_call.tool)) and dimensions:
        box = named_box(request, last_call.tool, *dimensions) or named_box(last_request, last_call.tool, *dimensions)
        if box and _found_before(last_call, last_request, size) and FINDER in tools:
            # "blur it" had blurred what a detection found (the cat), not the whole picture: it is looked for here
            return ToolCall(last_call.thought, FINDER, image)
        if box:
            action_input = ", ".join([image, *map(str, box)])
    call = ToolCall(last_call.thought, last_call.tool, action_input)
    return with_relative_size(call, last_request, tools, size) if call.tool == RESIZER else call


def _found_before(last_call: ToolCall, last_request: str, size: Callable[[str], tuple[int, int] | None]) -> bool:
    """Whether ``last_call``, a box edit asked for as the whole picture ("blur it"), took a smaller box: one a
    detection had found before (agent.meant_call.with_named_region)."""
    arguments = [argument.strip() for argument in last_call.action_input.split(",")]
    dimensions = size(arguments[0]) if arguments else None
    if not dimensions or len(arguments) != 1 + len(BOX_CORNERS) or not blurs_the_whole(last_request):
        return False
    return arguments[1:] != ["0", "0", *map(str, dimensions)]


OTHER_UPLOAD = (
    'It ran on {image}, the {place} of your {count} uploads; to use another, say "no, I meant the {other} photo".'
)


def other_upload_hint(failed: str, uploads: Sequence[str], lineage: Callable[[str], Sequence[str]]) -> str:
    """:data:`OTHER_UPLOAD` when a call failed on ``failed``, an image made from one of several ``uploads`` (oldest
    first), so the person can say which one they meant (asked "show me her pose" of the astronaut and the cat, the
    pose ran on the cat, the newest, and failed); ``""`` otherwise. ``lineage`` gives an image and the images it was
    made from, newest first."""
    behind = [image for image in lineage(failed) if image in uploads]
    if len(uploads) < 2 or len(uploads) > len(UPLOAD_PLACES) or not behind:
        return ""
    used = uploads.index(behind[0])
    place = "newest" if used == len(uploads) - 1 else UPLOAD_PLACES[used]
    other = UPLOAD_PLACES[1 if used == 0 else 0]
    return OTHER_UPLOAD.format(image=failed, place=place, count=len(uploads), other=other)


# The whole message asks for more of the last blur: "make the blur stronger", "blur it more", "more blur please"
_MORE_BLUR = re.compile(
    OPENING + r"(?:"
    r"make\s+(?:the\s+|that\s+|it\s+)?blur(?:ry)?\s+(?:stronger|heavier|more(?:\s+blurry)?|thicker)"
    r"|make\s+it\s+(?:more\s+blurry|blurrier)|blur\s+(?:it|that|them|the\s+face)\s+"
    r"(?:(?:a\s+(?:lot|bit|little)|much|even|way|some)\s+)?(?:more|again|harder|stronger)"
    r"|(?:a\s+)?(?:more|stronger|heavier)\s+blur|(?:it'?s\s+)?not\s+blurry\s+enough|more\s+blurry"
    # "the blur is too weak", "it's not blurred enough", "i can still see her face"
    r"|(?:the\s+|that\s+|this\s+)?blur(?:'s|\s+is|\s+was)\s+(?:(?:way|much|a\s+bit|a\s+little)\s+)?too\s+"
    r"(?:weak|light|soft|faint|subtle|little)|(?:the\s+|that\s+|this\s+)?blur\s+(?:isn'?t|is\s+not|wasn'?t)\s+"
    r"(?:strong|heavy|enough)(?:\s+enough)?|(?:it'?s\s+|it\s+is\s+)?not\s+blurred\s+enough"
    r"|i\s+can\s+still\s+(?:see|read|recogni[sz]e)\s+(?:it|her|him|them|(?:the|her|his|their)\s+\w+)"
    r")(?:\s+please)?\s*[.!?]*\s*$",
    re.IGNORECASE,
)


# The whole message only asks for more, said right after a blur: "stronger", "a bit more", "even more please"
_BARE_MORE = re.compile(
    OPENING + r"(?:(?:a\s+(?:lot|bit|little)|much|even|way|some)\s+)?"
    r"(?:more|stronger|harder|heavier)(?:\s+please)?\s*[.!?]*\s*$",
    re.IGNORECASE,
)


NO_BLUR_TO_STRENGTHEN = (
    "There is no blur to make stronger: {latest} was not made by Blur Region. Blur Region blurs one box, and blurring "
    'the same box again makes it stronger; ask for a blur first: "blur her face", "blur the top half", or a box as '
    "left, top, right, bottom."
)


# The whole message asks for less of the last blur: "the blur is too strong", "too blurry", "less blur please"
_LESS_BLUR = re.compile(
    r"^\s*(?:(?:ok(?:ay)?|hmm+|no+|oops|whoa|now|please|can\s+you|could\s+you)[,!.]?\s+)*(?:"
    r"(?:the\s+|that\s+|this\s+)?blur(?:'s|\s+is|\s+was)\s+(?:(?:way|much|a\s+bit|a\s+little)\s+)?too\s+"
    r"(?:strong|heavy|much|thick|intense|hard)"
    r"|(?:(?:it|that)(?:'s|\s+is)\s+)?(?:(?:way|much|a\s+bit|a\s+little)\s+)?too\s+blurry"
    # ("make it less blurry" undoes the blur: agent/undo.py)
    r"|(?:(?:a\s+(?:bit|little)|slightly)\s+)?less\s+blur|make\s+(?:the\s+blur|it)\s+(?:lighter|weaker|softer)"
    r"|blur\s+it\s+less"
    r")(?:\s+please)?\s*[.!?]*\s*$",
    re.IGNORECASE,
)
# Blur Region has one strength: less blur is one pass fewer, or none
ONE_STRENGTH = "Blur Region blurs at one strength, so a lighter blur is one pass fewer."
ONE_PASS_LEFT = (
    ONE_STRENGTH + ' {latest} has the one pass; "undo" takes it away and goes back to {before}, or I can blur a '
    "smaller box."
)


def lighter_blur(request: str, latest: str | None, made_by: Mapping[str, str]) -> tuple[str, bool] | None:
    """What to do when ``request`` only asks for less of the last blur and Blur Region made ``latest``: ``(note,
    True)`` to undo the last pass (``latest`` is a blur of a blur: "blur it more" then "too blurry"), ``(answer,
    False)`` when it has a single pass (undoing would show the face again; the person decides); else ``None``. The
    model had blurred a box of made-up numbers, which failed. "That's too much" after a blur says so too (it had run
    Detection)."""
    too_far = _LESS.match(request)
    said_too_far = too_far is not None and not (too_far.group("shrunk") or too_far.group("grown"))
    if latest is None or not (_LESS_BLUR.match(request) or said_too_far):
        return None
    made = made_call(made_by, latest)
    if made.tool != BLURRER or not made.arguments:
        return None
    before = made.arguments[0]
    if made_call(made_by, before).tool == BLURRER:
        return ONE_STRENGTH, True
    return ONE_PASS_LEFT.format(latest=latest, before=before), False


def no_blur_to_strengthen(request: str, latest: str | None, made_by: Mapping[str, str]) -> str | None:
    """:data:`NO_BLUR_TO_STRENGTHEN` when ``request`` only asks for more blur and ``latest`` was not made by Blur
    Region (the model had blurred a box of made-up numbers, which failed); else ``None``."""
    if latest is None or not _MORE_BLUR.match(request) or made_call(made_by, latest).tool == BLURRER:
        return None
    return NO_BLUR_TO_STRENGTHEN.format(latest=latest)


def blurred_again(request: str, latest: str | None, made_by: Mapping[str, str]) -> ToolCall | None:
    """The last blur's box again, on its result ``latest``, when ``request`` only asks for more blur and ``latest``
    was made by Blur Region (``made_by``: each made image's call, ``Tool: input``), or only asks for more
    ("stronger": the model answered that sharpening needs a tool it named "Sharpen the Key"); else ``None``."""
    if latest is None or not (_MORE_BLUR.match(request) or _BARE_MORE.match(request)):
        return None
    made = made_call(made_by, latest)
    box = made.arguments[1:]
    if made.tool != BLURRER or len(box) != len(BOX_CORNERS):
        return None
    return ToolCall("", BLURRER, ", ".join([latest, *box]))


# The whole message says the last edit went too far: "not that much", "too much", "a bit less", "too small"
_LESS = re.compile(
    r"^\W*(?:(?:no+|nope|hmm+|oops|whoa|woah)[,.!]*\s+)*(?:"
    r"not\s+(?:that|so|as)\s+much|(?:(?:that(?:'s|\s+is|\s+was)|it(?:'s|\s+is))\s+)?(?:way\s+|a\s+bit\s+|much\s+)?"
    r"too\s+(?:much|far|(?P<shrunk>small|little|tiny)|(?P<grown>big|large|huge))"
    r"|(?:(?:a\s+(?:bit|little)|slightly)\s+)?less(?:\s+than\s+that)?|half\s+(?:of\s+)?that|halfway"
    r")(?:\s+please)?\s*[.!?]*\s*$",
    re.IGNORECASE,
)


def less_of_the_last(
    request: str,
    latest: str | None,
    made_by: Mapping[str, str],
    size: Callable[[str], tuple[int, int] | None],
) -> ToolCall | None:
    """The resize or rotation that made ``latest`` again on its source, half as far, when ``request`` only says it went
    too far ("not that much": the model answered that it cannot see images); else ``None``. ``made_by``: each made
    image's call (``Tool: input``); ``size``: an image's width and height. "Too small" takes back only a shrink, "too
    big" only an enlargement; said of an image no resize made, they resize it a bit
    (:data:`agent.stated_numbers.SLIGHT_GROWTH`, :data:`~agent.stated_numbers.SLIGHT_SHRINK`)."""
    less = _LESS.match(request)
    if less is None or latest is None:
        return None
    made = made_call(made_by, latest)
    sized = less.group("shrunk") or less.group("grown")
    if made.tool != RESIZER and sized:  # no resize to take back: "too big" of a crop makes it a bit smaller
        dimensions = size(latest)
        if dimensions is None:
            return None
        width, height = scaled_by(SLIGHT_GROWTH if less.group("shrunk") else SLIGHT_SHRINK, *dimensions)
        return ToolCall("", RESIZER, f"{latest}, {width}, {height}")
    if not made.arguments:
        return None
    source = made.arguments[0]
    if made.tool == ROTATOR and len(made.arguments) == 2 and not sized:
        try:
            angle = float(made.arguments[1]) / 2
        except ValueError:
            return None
        return ToolCall("", ROTATOR, f"{source}, {int(angle) if angle.is_integer() else angle}")
    before, after = size(source), size(latest)
    if made.tool != RESIZER or before is None or after is None:
        return None
    grown = after[0] * after[1] > before[0] * before[1]
    if (less.group("shrunk") and grown) or (less.group("grown") and not grown):
        return None
    width, height = ((old + new) // 2 for old, new in zip(before, after, strict=True))
    return ToolCall("", RESIZER, f"{source}, {width}, {height}")


NOT_FOUND_AGAIN = "No {label} was found on {image}, so {tool} did not run there."


class MadeStep(Step, Protocol):
    """A step with the files it made (agent.loop.TraceStep)."""

    files: tuple[str, ...]


def replayed(
    last_steps: Sequence[MadeStep],
    steps: Sequence[MadeStep],
    image: str,
    *,
    last_request: str,
    tools: ToolRegistry,
    size: Callable[[str], tuple[int, int] | None],
) -> tuple[ToolCall | None, str]:
    """The next of the last turn's calls (``last_steps``, those that ran, asked for by ``last_request``) done again
    on ``image``, after ``steps`` did the first of them again, and ``""``; ``(None, why)`` when a box edit's box was
    a detector's and the detector found nothing of that label this time; ``(None, "")`` when all were done again or
    a call worked on another image. "Do the same to the cat photo" after "blur the face in the first one" (a
    detection, then the blur of the face found) had run the detection alone: the blur of the face found this time
    follows it."""
    if len(steps) >= len(last_steps) or not all(step.ok for step in steps):
        return None, ""
    first = image_names(last_steps[0].action_input)
    images = {first[0]: image} if first else {}
    for old, new in zip(last_steps, steps, strict=False):
        images.update(zip(old.files, new.files, strict=False))
    old = last_steps[len(steps)]
    arguments = [argument.strip() for argument in old.action_input.split(",")]
    if arguments[0] not in images:
        return None, ""
    arguments[0] = images[arguments[0]]
    if old.action in tools and takes_a_box(tools.get(old.action)) and len(arguments) == 1 + len(BOX_CORNERS):
        box = _box_found_again(tuple(arguments[1:]), last_steps[: len(steps)], steps)
        if isinstance(box, str):
            return None, NOT_FOUND_AGAIN.format(label=box, image=arguments[0], tool=old.action)
        dimensions = size(arguments[0])
        named = named_box(last_request, old.action, *dimensions) if box is None and dimensions else None
        arguments[1:] = box or (tuple(map(str, named)) if named else arguments[1:])
    return ToolCall(old.thought, old.action, ", ".join(arguments)), ""


def _box_found_again(box: tuple[str, ...], before: Sequence[Step], now: Sequence[Step]) -> tuple[str, ...] | str | None:
    """The box the detection of ``now`` found where ``box`` was the detection of ``before`` (its step, label and
    place among that label's boxes); the label when this time's detection found no such box; ``None`` when no
    detection found ``box``."""
    for old, new in zip(before, now, strict=False):
        found = labelled_boxes(old.observation) if old.action in DETECTORS else []
        if box not in [place for _, place in found]:
            continue
        label = next(label for label, place in found if place == box)
        ordinal = [place for name, place in found if name == label].index(box)
        again = [place for name, place in labelled_boxes(new.observation) if name == label]
        return again[ordinal] if ordinal < len(again) else label
    return None
