"""What the agent knows of the conversation's images without seeing them: their sizes and file type, which is the
bigger, which images there are, what made each, and what changed from the original.

Asked "what is the size of the image?", the model answered "I cannot see images myself, ... so I can't do that",
though the upload had been introduced as "a 512x512 image"; asked "which images do I have?" after two uploads, "I
don't have an image to work on yet"; asked "which one is bigger?" after a second upload, it resized the new one to
twice its size; asked "what did you do so far?" after a resize and a rotation, it told of a background removal, a
crop and a reading that never ran. The agent answers these itself: the size and type read from the file (the latest
image, or the one the question names), the uploads ordered by size, the images listed, uploads first, and each image
made with the tool, its numbers and the image that made it; asked "what sizes are they now?", the size of the
latest image made from each upload. Asked "compare it with the original: what changed?"
after a rotation, the model drew an edge map of the original; the agent tells the steps from the upload to it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from functools import cache

from agent.generative_requests import THE_PICTURE
from agent.pending_edit import BLURRER
from agent.request_parts import OPENING
from protocol.steps import ToolCall
from tools.catalog import TOOL_SPECS
from tools.workspace import made_from as made_from_name

SIZE_ANSWER = "{image} is a {kind} image of {width} x {height} pixels (width x height)."
# "make it square" of a square picture (the model cropped all of it: the same picture again)
ALREADY_SQUARE = (
    "{image} is already square ({width} x {height} pixels), so a square crop would not change it. To make it smaller, "
    'give a size: "resize it to {half}x{half}".'
)
ALREADY_ORIENTED = "{image} is already {orientation} ({width} x {height} pixels)."
ORIENTATION_CHOICE = (
    'To make {image} ({width} x {height} pixels) {orientation}, "rotate it 90 degrees" turns it on its side, or "crop '
    'it to {ratio}" keeps the {part} centred part ({crop_width} x {crop_height}). Which would you like?'
)
SQUARE_TO_ORIENTED = (
    '{image} is square ({width} x {height} pixels), so turning it changes nothing: "crop it to {ratio}" keeps the '
    "{part} centred part ({crop_width} x {crop_height})."
)
IMAGES_ANSWER = 'You uploaded {uploads}.{made} The latest, the one "it" means, is {latest}.'
MADE_HERE = " Made here, {count} image{s}: {made}."
NONE_MADE_HERE = " No tool has made an image here yet."
_ASKS_WHAT_WAS_MADE = re.compile(r"\b(?:made|make|created|create|generated|generate)\b", re.IGNORECASE)

# A picture the question asks about: as THE_PICTURE, or by its place ("what's the size of the result?")
_ASKED_PICTURE = rf"(?:{THE_PICTURE}|the\s+(?:result|output|original|crop|(?:edge|depth|normal)\s+map))"


def _whole_question(body: str) -> re.Pattern[str]:
    """A pattern of a request that is the question ``body`` and nothing else: words before it (:data:`OPENING`),
    "please" and punctuation after it."""
    return re.compile(OPENING + body + r"(?:\s+please)?\s*[.?!]*\s*$", re.IGNORECASE)


# The whole request asks for the picture's size: "what is the size of the image?", "how big is this photo?",
# "what are its dimensions?", "what resolution is it?"
_SIZE_QUESTION = _whole_question(
    r"(?:(?:what(?:'s|\s+is|\s+are)|tell\s+me|give\s+me)\s+(?:the\s+|its\s+)?"
    r"(?:size|dimensions?|resolution|aspect\s+ratio|width\s+and\s+height|(?:file\s+)?(?:format|type))(?:\s+of\s+"
    + _ASKED_PICTURE
    + r")?"
    r"|how\s+(?:big|large)\s+is\s+" + _ASKED_PICTURE + r"(?:\s+in\s+pixels)?"
    r"|what\s+(?:size|resolution|(?:file\s+)?(?:format|type)|kind\s+of\s+file)\s+is\s+"
    + _ASKED_PICTURE
    # "what was the original size?" (the model answered with the latest file's name)
    + r"|what\s+(?:was|is)\s+(?:the\s+)?original(?:'s)?\s+(?:size|dimensions?|resolution)"
    + r"|(?:what\s+size|how\s+big)\s+was\s+(?:the\s+)?original(?:\s+(?:image|photo|picture|one))?"
    # "how many pixels is it now?" (the model answered that it cannot see images)
    + r"|how\s+many\s+pixels\s+(?:is|does|has)\s+"
    + _ASKED_PICTURE
    + r"(?:\s+(?:have|got))?"
    # "how tall is it in pixels" (the model answered that it cannot see images); "how tall is it?" alone may be of
    # the thing shown
    + r"|how\s+(?:tall|wide|high)\s+is\s+(?:(?:it|this|that)\s+in\s+(?:pixels|px)"
    r"|(?:the|this|that|my)\s+(?:image|photo|picture|pic|crop|result)(?:\s+in\s+(?:pixels|px))?))"
    r"(?:\s+now)?",
)


# The whole request asks for the sizes of the pictures: "what sizes are they now?", "how big are they?", "what are
# their dimensions?" (the model resized the latest image to 256 x 3)
_SIZES_QUESTION = _whole_question(
    r"(?:what(?:'s|\s+is|\s+are)\s+(?:the\s+)?(?:sizes?|dimensions?|resolutions?)\s+(?:of\s+)?"
    r"(?:they|them|both(?:\s+of\s+them)?|each(?:\s+of\s+them)?|all\s+of\s+them|the\s+(?:images|photos|pictures))"
    r"|what\s+(?:sizes?|resolutions?)\s+are\s+they"
    r"|what\s+are\s+their\s+(?:sizes?|dimensions?|resolutions?)"
    r"|how\s+(?:big|large)\s+are\s+(?:they|both(?:\s+of\s+them)?|the\s+(?:images|photos|pictures))"
    r"|what\s+size\s+is\s+each(?:\s+(?:one|of\s+them))?)"
    r"(?:\s+now)?",
)
SIZE_OF = "{image} is {width} x {height}"
SIZE_OF_MADE = "{image} (from {upload}) is {width} x {height}"


def asks_for_their_sizes(request: str) -> bool:
    """Whether ``request`` only asks how big the pictures are ("what sizes are they now?")."""
    return bool(_SIZES_QUESTION.match(request))


def sizes_answer(sizes: Sequence[tuple[str, str, tuple[int, int] | None]]) -> str:
    """Each of ``sizes`` ``(image, the upload it came from, its width and height)`` told, with the upload when the
    image is a result; an image that cannot be read is said so."""
    told = [
        (SIZE_OF if image == upload else SIZE_OF_MADE).format(image=image, upload=upload, width=size[0], height=size[1])
        if size
        else f"{image} could not be read"
        for image, upload, size in sizes
    ]
    return "; ".join(told) + "."


ASPECT_RATIO = " Its aspect ratio is {ratio}."
_ASPECT = re.compile(r"\baspect\s+ratio\b", re.IGNORECASE)
_PLAIN_RATIO_TERMS = 32  # "16:9" is read at a glance; "451:300" is given with its decimal too


def with_aspect_ratio(answer: str, request: str, width: int, height: int) -> str:
    """``answer`` followed by :data:`ASPECT_RATIO` when ``request`` asks for the aspect ratio ("16:9", or "451:300
    (about 1.50:1)")."""
    if not _ASPECT.search(request):
        return answer
    divisor = math.gcd(width, height)
    across, down = width // divisor, height // divisor
    ratio = f"{across}:{down}"
    if max(across, down) > _PLAIN_RATIO_TERMS:
        ratio += f" (about {width / height:.2f}:1)"
    return answer + ASPECT_RATIO.format(ratio=ratio)


# The whole request asks how much room the file takes: "how big is the file?", "what's the file size?", "how many MB
# is it?" (the model answered that it cannot see images)
_FILE_SIZE_QUESTION = _whole_question(
    r"(?:how\s+(?:big|large|heavy)\s+is\s+(?:the|its|this|that)\s+file"
    r"|(?:what(?:'s|\s+is)\s+)?(?:the\s+|its\s+)?file\s*size(?:\s+of\s+" + _ASKED_PICTURE + r")?"
    r"|how\s+many\s+(?:bytes|kb|kilobytes|mb|megabytes)\s+(?:is|does)\s+" + _ASKED_PICTURE + r"(?:\s+take)?"
    r"|how\s+much\s+(?:space|room|disk\s+space)\s+does\s+" + _ASKED_PICTURE + r"\s+take(?:\s+up)?)"
    r"(?:\s+now)?",
)
FILE_SIZE_ANSWER = "{image} takes {amount} on disk: a {kind} file of {width} x {height} pixels."


# The whole request asks of the picture's shape: "is it square now?" (the model cropped it again, and the crop failed)
_SHAPE_QUESTION = _whole_question(
    r"is\s+"
    + _ASKED_PICTURE
    + r"\s+(?:now\s+)?(?:a\s+)?(?P<shape>square|landscape|portrait|wider\s+than\s+(?:it\s+is\s+)?tall"
    r"|taller\s+than\s+(?:it\s+is\s+)?wide)(?:\s+(?:now|yet))?"
)
_SHAPES = {
    "square": lambda width, height: width == height,
    "landscape": lambda width, height: width > height,
    "portrait": lambda width, height: height > width,
}
_SHAPES |= {"wider": _SHAPES["landscape"], "taller": _SHAPES["portrait"]}  # "wider than it is tall"


def asks_for_the_size(request: str) -> bool:
    """Whether ``request`` only asks how big the picture is (in pixels, or its file), its file type or its shape
    ("is it square?"), not anything it shows."""
    return bool(_SIZE_QUESTION.match(request) or _FILE_SIZE_QUESTION.match(request) or _SHAPE_QUESTION.match(request))


def as_shape_answer(answer: str, request: str, width: int, height: int) -> str:
    """``answer`` (the picture's size) opened with a yes or a no when ``request`` asks whether the picture of
    ``width`` x ``height`` pixels has a shape ("is it square now?")."""
    asked = _SHAPE_QUESTION.match(request)
    if not asked:
        return answer
    has = _SHAPES[asked.group("shape").split()[0].lower()](width, height)
    return f"{'Yes' if has else 'No'}: {answer}"


def asks_for_the_file_size(request: str) -> bool:
    """Whether ``request`` only asks how much room the picture's file takes."""
    return bool(_FILE_SIZE_QUESTION.match(request))


def amount_of_bytes(count: int) -> str:
    """``count`` bytes as a person reads it: "812 bytes", "95.3 KB", "1.2 MB" (1 KB = 1,024 bytes)."""
    if count < 1024:
        return f"{count} bytes"
    kilobytes = count / 1024
    return f"{kilobytes:.1f} KB" if kilobytes < 1024 else f"{kilobytes / 1024:.1f} MB"


# The whole request asks which of the images is bigger (by pixels), wider or taller: "which one is bigger?", "which
# photo is smaller?", "which sign is bigger?" (declined as a question about the picture), "which one is wider?" (the
# model resized an edge map to 10000 x 20000); or asks to compare them, which their sizes answer while nothing here
# can see them ("compare them": the model drew the edges of the edges)
_THE_TWO = (
    r"(?:them|these|those|they|the\s+(?:two(?:\s+(?:images|photos|pictures|pics))?|images|photos|pictures|pics)"
    r"|both(?:\s+of\s+them)?)"
)
_BIGGER_QUESTION = _whole_question(
    # "which is bigger?" too: asked with several images, the question is of them
    r"(?:which(?:\s+(?:one|image|photo|picture|pic|sign|file|upload|of\s+(?:them|the\s+(?:two|images|photos|pictures))))?"
    r"\s+is\s+(?:the\s+)?(bigger|biggest|larger|largest|smaller|smallest|wider|widest|narrower|narrowest|taller"
    r"|tallest|shorter|shortest)(?:\s+(?:one|image|photo|picture))?(?:\s+now)?"
    r"|(compare)\s+" + _THE_TWO + r"|"
    # "what's different between the two photos?" (the model answered that no tool can undo an action)
    # "what's the difference in size between them?" (the model resized one of them to its own size)
    r"(?:what(?:'s|\s+is)\s+(?:(?:the\s+)?(?:size\s+)?difference(?:\s+in\s+(?:size|sizes|dimensions))?|different)"
    r"\s+between\s+|how\s+(?:do|are)\s+)(?P<differ>" + _THE_TWO + r")(?:\s+(?:differ|different))?)",
)


def _area(size: tuple[int, int]) -> int:
    return size[0] * size[1]


def _width(size: tuple[int, int]) -> int:
    return size[0]


def _height(size: tuple[int, int]) -> int:
    return size[1]


# What each word of the question measures, whether it asks for the least, what is the same when all are equal,
# and its comparative and superlative
_MEASURES = {
    "big": (_area, False, "size", "bigger", "biggest"),
    "larg": (_area, False, "size", "larger", "largest"),
    "compare": (_area, False, "size", "bigger", "biggest"),
    "small": (_area, True, "size", "smaller", "smallest"),
    "wid": (_width, False, "width", "wider", "widest"),
    "narrow": (_width, True, "width", "narrower", "narrowest"),
    "tall": (_height, False, "height", "taller", "tallest"),
    "short": (_height, True, "height", "shorter", "shortest"),
}
SIZES_ONLY = "I can't see the pictures themselves, so I can compare their sizes only."


# "which one is bigger now?": the images as the edits left them, not the uploads
_NOW = re.compile(r"\b(?:now|currently|at\s+the\s+moment|after\s+(?:that|the\s+edits?|those\s+edits))\b", re.IGNORECASE)


def asks_of_them_now(request: str) -> bool:
    """Whether ``request`` asks about the images as they are now ("which one is bigger now?")."""
    return bool(_NOW.search(request))


def asks_which_is_bigger(request: str) -> bool:
    """Whether ``request`` only asks which of the images is the bigger, the smaller, the wider, the taller ..., or to
    compare them."""
    return bool(_BIGGER_QUESTION.match(request))


def asks_to_compare(request: str) -> bool:
    """Whether ``request`` only asks to compare the images ("compare them")."""
    asked = _BIGGER_QUESTION.match(request)
    return bool(asked and (asked.group(2) or asked.group("differ")))


def comparison_answer(request: str, sizes: dict[str, tuple[int, int]]) -> str:
    """The images of ``sizes`` (name -> width, height; two or more) from the one ``request`` asks for (the bigger by
    pixels, the smaller, the wider, the taller ...) to the other end, each with its size; a request to compare them
    is answered by pixels, saying that is all that can be compared."""
    asked = _BIGGER_QUESTION.match(request)
    word = "bigger" if asked is None else (asked.group(1) or "compare").lower()  # "compare", said or as a difference
    measure, least, same, comparative, superlative = next(
        value for stem, value in _MEASURES.items() if word.startswith(stem)
    )
    ordered = sorted(sizes, key=lambda name: measure(sizes[name]), reverse=not least)
    listed = [f"{name} ({sizes[name][0]} x {sizes[name][1]})" for name in ordered]
    note = f" {SIZES_ONLY}" if word == "compare" else ""
    if len({measure(sizes[name]) for name in ordered}) == 1:
        return f"They are the same {same}: {', '.join(listed)}.{note}"
    if len(listed) == 2:
        return f"{listed[0]} is {comparative} than {listed[1]}.{note}"
    return f"{listed[0]} is the {superlative}, then {', then '.join(listed[1:])}.{note}"


# The whole request asks which images the conversation holds: "which images do I have?", "list my files"
_IMAGES_QUESTION = _whole_question(
    r"(?:(?:which|what)\s+(?:images|pictures|photos|files)\s+(?:do\s+i\s+have|have\s+i\s+(?:uploaded|sent|got)"
    r"|did\s+i\s+(?:upload|send)|are\s+(?:there|here)|do\s+you\s+have)"
    r"|(?:list|name)\s+(?:all\s+)?(?:my|the|of\s+my|of\s+the)\s+(?:images|pictures|photos|files)"
    r"|how\s+many\s+(?:images|pictures|photos|files)\s+(?:do\s+i\s+have|have\s+i\s+(?:uploaded|sent)"
    r"|are\s+there|did\s+i\s+(?:upload|send))"
    # "how many images have we made?" (the model answered "We have made 1 images." after four)
    r"|(?:how\s+many|which|what)\s+(?:images|pictures|photos|files)\s+(?:have|did)\s+(?:we|you)\s+"
    r"(?:made|make|created|create|generated|generate)"
    # "what's the current image?" (the model said it cannot see images)
    r"|(?:what|which)(?:'s|s|\s+is)\s+(?:the\s+)?(?:current|latest|newest|last)\s+(?:image|picture|photo|file|one)"
    r"|(?:which|what)\s+(?:image|picture|photo|file|one)\s+(?:are\s+we|am\s+i)\s+(?:on|working\s+on))"
    r"(?:\s+(?:so\s+far|now|here|in\s+this\s+(?:chat|conversation)))?",
)


# The whole request asks which image is a result by what it is: "which file is the pose", "what's the sketch called?"
_WHICH_FILE = _whole_question(
    r"(?:(?:which|what)\s+(?:file|image|picture|one)\s+is\s+(?:the\s+)?(?P<thing>[a-z][a-z -]*?)"
    r"|what(?:'s|\s+is)\s+the\s+(?P<called>[a-z][a-z -]*?)\s+(?:called|named|saved\s+as))"
)
# What a person calls the result of each edit (a map's words are its tool's ``makes_map``)
EDIT_WORDS = {
    "crop": ("crop", "cropped one", "cropped image", "cropped version"),
    "resize": ("resized one", "resized image", "resized version", "bigger one", "smaller one"),
    "rotate": ("rotated one", "rotated image", "rotated version", "rotation"),
    "blur": ("blurred one", "blurred image", "blurred version", "blur"),
    "nobg": ("cut-out", "cutout", "cut out", "background-free one", "one without the background"),
}
WHICH_FILE = "The {thing} is {image}, made by {tool} from {source}."
WHICH_FILES = "The {thing}s are {images} (the newest last)."


@cache
def result_names() -> dict[str, tuple[str, ...]]:
    """Each operation tag's names for its results: a map's words (``ToolSpec.makes_map``), an edit's
    (:data:`EDIT_WORDS`)."""
    return {**{spec.operation: spec.makes_map for spec in TOOL_SPECS if spec.makes_map}, **EDIT_WORDS}


def which_file_is(request: str, made: Sequence[tuple[str, str, str]]) -> str | None:
    """The answer to "which file is the pose?" from ``made`` (each made image, oldest first, with the tool that made
    it and its source); ``None`` for another request or a thing nothing made (asked, the model drew the pose again
    and named the new file)."""
    asked = _WHICH_FILE.match(request)
    if not asked:
        return None
    thing = (asked.group("thing") or asked.group("called")).strip().lower()
    operations = {operation for operation, names in result_names().items() if thing in names}
    found = [(image, tool, source) for image, tool, source in made if (made_from_name(image) or ("",))[0] in operations]
    if not found:
        return None
    if len(found) == 1:
        image, tool, source = found[0]
        return WHICH_FILE.format(thing=thing, image=image, tool=tool, source=source)
    return WHICH_FILES.format(thing=thing, images=", ".join(image for image, _, _ in found))


# The whole request asks which upload came first or last: "which one did i upload first" (the model named the second)
_UPLOAD_ORDER = _whole_question(
    r"(?:which|what)(?:\s+(?:one|image|photo|picture|pic|file))?\s+did\s+i\s+(?:upload|send|add|give\s+you)\s+"
    r"(?P<place>first|second|third|last|most\s+recently)"
)
# ... or the name of one of them: "what's the name of the first file?" (the model named the newest edit)
_NAMED_UPLOAD = r"(?P<{group}>first|second|third|last)\s+(?:one|image|photo|picture|pic|file|upload)"
_UPLOAD_NAME = _whole_question(
    r"what(?:'s|\s+is|\s+was)\s+(?:the\s+(?:file\s*)?name\s+of\s+the\s+"
    + _NAMED_UPLOAD.format(group="place")
    + r"|the\s+"
    + _NAMED_UPLOAD.format(group="of")
    + r"(?:'s\s+(?:file\s*)?name|\s+called|\s+named))"
)
_PLACES = {"first": 0, "second": 1, "third": 2, "last": -1, "most recently": -1}
UPLOAD_ORDER = "You uploaded {image}{called} {place}; in order: {uploads}."
UPLOAD_NAME = "The {place} image you uploaded is {image}{called}."


def upload_order_answer(request: str, uploads: Sequence[str], file_names: Mapping[str, str]) -> str | None:
    """The answer to "which one did I upload first?" or "what's the name of the first file?" from the ``uploads``
    (oldest first; ``file_names``: each one's file name as sent), or ``None`` for another request or too few
    uploads."""
    asked = _UPLOAD_ORDER.match(request) or _UPLOAD_NAME.match(request)
    if not asked or not uploads:
        return None
    place = " ".join((asked.group("place") or asked.group("of")).lower().split())
    index = _PLACES[place]
    if not -len(uploads) <= index < len(uploads):
        return None
    image = uploads[index]
    called = f" (your file {file_names[image]})" if file_names.get(image) else ""
    if asked.re is _UPLOAD_NAME:
        return UPLOAD_NAME.format(place=place, image=image, called=called)
    return UPLOAD_ORDER.format(image=image, called=called, place=place, uploads=", ".join(uploads))


# The whole request asks whether the upload was kept: "is the original still there?", "did you keep my photo?" (the
# model ran Detection and answered "I found it here: face [...]")
_ORIGINAL_KEPT = _whole_question(
    r"(?:is|was)\s+(?:the|my)\s+(?:original|upload(?:ed\s+(?:image|photo|picture|pic))?)"
    r"(?:\s+(?:image|photo|picture|pic|one|file))?\s+(?:still\s+(?:there|here|saved|kept|ok(?:ay)?|safe|around)|(?:saved|kept|safe|gone|lost|deleted|overwritten|changed))"
    r"|(?:did|have)\s+you\s+(?:keep|kept|save|saved|overwrite|overwritten|change|changed|delete|deleted|replace|replaced)"
    r"\s+(?:the|my)\s+(?:original|upload)(?:\s+(?:image|photo|picture|pic|one|file))?"
    r"|do\s+you\s+still\s+have\s+(?:the|my)\s+original(?:\s+(?:image|photo|picture|pic|one|file))?"
)
_LOST = re.compile(r"\b(?:gone|lost|delete[ds]?|overwrit\w*|change[ds]?|replace[ds]?)\b", re.IGNORECASE)
ORIGINAL_KEPT = "{answer}: {uploads} {are} unchanged. Every edit is saved as a new file{made}, and all stay here until the session ends."


def original_kept_answer(request: str, uploads: Sequence[str], file_names: Mapping[str, str], made: int) -> str | None:
    """:data:`ORIGINAL_KEPT` when ``request`` asks whether the ``uploads`` (``file_names``: each one's name as sent)
    were kept (yes) or lost (no: "did you overwrite my original?"), ``made`` images having been made since; else
    ``None``."""
    if not uploads or not _ORIGINAL_KEPT.match(request):
        return None
    named = [f"{image} (your file {file_names[image]})" if file_names.get(image) else image for image in uploads]
    listed = named[0] if len(named) == 1 else f"{', '.join(named[:-1])} and {named[-1]}"
    return ORIGINAL_KEPT.format(
        answer="No" if _LOST.search(request) else "Yes",
        uploads=listed,
        are="is" if len(named) == 1 else "are",
        made=f" ({made} so far)" if made else " (none made yet)",
    )


def asks_for_the_images(request: str) -> bool:
    """Whether ``request`` only asks which images the conversation holds."""
    return bool(_IMAGES_QUESTION.match(request))


def images_answer(uploads: Sequence[str], made: Sequence[str], latest: str, request: str = "") -> str:
    """:data:`IMAGES_ANSWER` for the ``uploads`` and the images ``made`` by tools (each oldest first); of a
    ``request`` that asks what was made when nothing was, :data:`NONE_MADE_HERE` says so."""
    listed = MADE_HERE.format(count=len(made), s="" if len(made) == 1 else "s", made=", ".join(made))
    none = NONE_MADE_HERE if _ASKS_WHAT_WAS_MADE.search(request) else ""
    return IMAGES_ANSWER.format(uploads=", ".join(uploads), made=listed if made else none, latest=latest)


WHERE_ANSWER = (
    'The latest image, the one "it" means, is saved as {latest}: the file {path}. Every image of this conversation is '
    "saved in {folder}."
)

# The whole request asks where the image is saved: "where is the file saved?", "where did you save it?", "what's the
# file called?" (the model answered 'The image saved as <the latest> is named <an earlier one>.')
_WHERE_QUESTION = _whole_question(
    # "where is it" alone may ask where a thing found is: "it" is the file when it is saved
    r"(?:where\s+(?:is|are|was|were|'s)\s+(?:it|they)\s+(?:saved|stored|kept)"
    r"|where\s+(?:is|are|was|were|'s|can\s+i\s+find|do\s+i\s+find)\s+"
    r"(?:the|my)\s+(?:file|files|result|results|output|edited\s+(?:image|photo|picture))(?:\s+(?:saved|stored|kept))?"
    r"|where\s+did\s+you\s+(?:save|put|store)\s+(?:it|them|the\s+\w+)"
    r"|what(?:'s|\s+is)\s+(?:the\s+|its\s+)?(?:file\s*name|name\s+of\s+the\s+file|path)(?:\s+of\s+(?:it|the\s+\w+))?"
    r"|what\s+is\s+the\s+file\s+called)",
)


def asks_where_it_is(request: str) -> bool:
    """Whether ``request`` only asks where the image is saved or what its file is called."""
    return bool(_WHERE_QUESTION.match(request))


SAVED_ANSWER = (
    'It is saved already: the latest image, the one "it" means, is {latest}, the file {path}. Every image of this '
    "conversation is saved in {folder} as it is made."
)
# The whole request asks to save the image: "save this", "can you save the result for me?", "how do I download it?",
# "can I download it?"
# (the model answered "no loaded tool can save an image; that needs Image Archive", a tool that exists nowhere)
_SAVE_REQUEST = _whole_question(
    r"(?:(?:save|download|export|store)\s+(?:it|this|that|them|these|(?:this|that)\s+one"
    r"|(?:the|this|that|my)\s+(?:\w+\s+)?(?:image|result|picture|photo|file|edit|output|version|map))"
    r"(?:\s+(?:for\s+me|too|now|somewhere))?"
    r"|how\s+(?:do|can)\s+i\s+(?:download|save|get)\s+(?:it|this|that|them|the\s+\w+)"
    # "can I download it?" (the model read the text of the picture)
    r"|(?:can|could|may)\s+i\s+(?:download|save|keep|have)\s+(?:it|this|that|them|the\s+(?:\w+\s+)?(?:image|result"
    r"|picture|photo|file|edit|map|one))(?:\s+(?:now|somehow))?)"
)


SAVED_NAMED = (
    "The workspace names its files itself; to keep it as {name}, give that name as you download it (the image "
    "shown) or copy the file above."
)
# The whole request asks to save the image under a name: "save it as coffee_small.png", "save this as holiday"
# (the model answered that no loaded tool can save an image)
_SAVE_AS = _whole_question(
    r"(?:save|download|export|store|keep|rename)\s+(?:it|this|that|(?:the|this|that|my)\s+(?:\w+\s+)?"
    r"(?:image|result|picture|photo|file|edit|output|version|map|one))"
    r"(?:\s+(?:as|to|under)(?:\s+the\s+name)?|\s+(?:named|called))\s+[\"'“]?(?P<name>[\w.-]+?)[\"'”]?"
)
_FORMAT_ONLY = re.compile(r"(?:an?\s+)?\.?(?:jpe?g|png|webp|gif|bmp|tiff?|pdf)$", re.IGNORECASE)


def asks_to_save(request: str) -> bool:
    """Whether ``request`` only asks to save or download the image (each is saved as it is made), perhaps under a
    name (:func:`name_to_save_as`)."""
    return bool(_SAVE_REQUEST.match(request)) or bool(name_to_save_as(request))


def name_to_save_as(request: str) -> str:
    """The file name ``request`` asks to save the image as ("coffee_small.png" of "save it as coffee_small.png");
    ``""`` when it asks no name, or only a format ("save it as a jpg": agent/capabilities.py)."""
    named = _SAVE_AS.match(request)
    if named is None or _FORMAT_ONLY.match(named.group("name")):
        return ""
    return named.group("name")


DONE_ANSWER = 'So far: {steps}. The latest, the one "it" means, is {latest}.'
JUST_DONE_ANSWER = 'Just now: {steps}. The latest, the one "it" means, is {latest}.'
NOTHING_DONE = "No tool has made an image in this conversation yet. You uploaded {uploads}."

# The whole request asks what has been done: "what did you do so far?", "what have we done?", "recap the edits"
_DONE_QUESTION = _whole_question(
    r"(?:what\s+(?:did\s+(?:you|we|the\s+plan)\s+(?:just\s+)?do|have\s+(?:you|we)\s+(?:just\s+)?done|just\s+happened)"
    # "which one did you blur first?" (answered that Blur Region needs a box), "what did you crop?"
    r"|(?:which|what)(?:\s+(?:one|ones|image|images|photo|photos|picture|pictures|pic|pics))?\s+(?:did|have)\s+"
    r"(?:you|we)\s+(?:just\s+)?(?:blur|blurred|hide|hid|hidden|crop|cropped|rotate|rotated|resize|resized|edit|edited"
    r"|change|changed"
    # "what did you remove?" after a background removal (answered "I lost objects in the background")
    r"|remove|removed|erase|erased|cut\s+out|take\s+out|took\s+out"
    r"|work\s+on|worked\s+on)(?:\s+(?:first|last|before|earlier|then))?"
    r"|(?:summari[sz]e|recap|list)\s+(?:what\s+(?:you|we)\s+(?:did|have\s+done)|(?:the|your|all\s+the)\s+"
    r"(?:steps|edits|changes))"
    # "how many times did i rotate it?" (the model rotated it again)
    r"|how\s+many\s+times\s+(?:did|have)\s+(?:i|you|we)\s+(?:blur|blurred|crop|cropped|rotate|rotated|resize|resized"
    r"|remove|removed)(?:\s+(?:it|them|this|that))?)"
    r"(?:\s+(?:so\s+far|here|today|in\s+this\s+(?:chat|conversation)|to\s+" + THE_PICTURE + r"))*",
)


def asks_what_was_done(request: str) -> bool:
    """Whether ``request`` only asks what the conversation's tools have done."""
    return bool(_DONE_QUESTION.match(request))


def asks_what_was_just_done(request: str) -> bool:
    """Whether ``request`` only asks what the last turn's tools did ("what did you just do?"; the model answered
    with a tool it had not run)."""
    return asks_what_was_done(request) and bool(re.search(r"\bjust\b", request, re.IGNORECASE))


# A question of what was done that names an edit ("what did you blur?") is of the steps of its tool: the tool's name
# begins with the word, and what to say when none ran
_EDIT_ASKED = re.compile(r"\b(blur|hid|crop|rotat|resiz|remov|eras|cut\s+out|t(?:ake|ook)\s+out)", re.IGNORECASE)
_EDIT_TOOLS = {
    "blur": ("Blur", "blurred"),
    "hid": ("Blur", "hidden"),  # "what did you hide?" after a privacy blur (the model made something up)
    "crop": ("Crop", "cropped"),
    "rotat": ("Rotate", "rotated"),
    "resiz": ("Resize", "resized"),
    "remov": ("Remove", "removed"),
}
THOSE_DONE = '{steps}. The latest, the one "it" means, is {latest}.'
TIMES_DONE = "{count} time{s}: {steps}"
_HOW_MANY_TIMES = re.compile(r"\bhow\s+many\s+times\b", re.IGNORECASE)
NONE_OF_THAT = "Nothing was {done} in this conversation. "


def done_answer(
    uploads: Sequence[str],
    made: Sequence[tuple[str, str, str]],
    latest: str,
    *,
    just: bool = False,
    request: str = "",
) -> str:
    """:data:`DONE_ANSWER` for the images ``made``, oldest first, each as ``(image, tool, source image)``
    (:data:`JUST_DONE_ANSWER` when ``just``: the last turn's); :data:`NOTHING_DONE` when none was. A ``request``
    that names an edit ("what did you blur?" had been told every step) is answered with that edit's steps
    (:data:`THOSE_DONE`), or that none was made before the steps that were."""
    if not made:
        return NOTHING_DONE.format(uploads=", ".join(uploads))
    told = (JUST_DONE_ANSWER if just else DONE_ANSWER).format(steps=_steps_said(made), latest=latest)
    edit = _EDIT_ASKED.search(request)
    if edit is None:
        return told
    word = edit.group(1).lower()
    name, done = _EDIT_TOOLS.get(word, _EDIT_TOOLS["remov"])  # erase, cut out, take out: a removal
    of_it = [step for step in made if step[1].startswith(name)]
    if of_it:
        steps = _steps_said(of_it)
        steps = steps[0].upper() + steps[1:]
        if _HOW_MANY_TIMES.search(request):
            steps = TIMES_DONE.format(count=len(of_it), s="" if len(of_it) == 1 else "s", steps=steps)
        return THOSE_DONE.format(steps=steps, latest=latest)
    return NONE_OF_THAT.format(done=done) + told


def _steps_said(made: Sequence[tuple[str, str, str]]) -> str:
    """The images ``made`` (``(image, tool, source image)``, oldest first) as "Tool on source made image; ..."."""
    return "; ".join(f"{tool} on {source} made {image}" for image, tool, source in made)


CHANGES_ANSWER = "{latest} was made from {original}: {steps}."
UNCHANGED = "{latest} is as you uploaded it: no tool has changed it in this conversation."

# The whole request asks how the latest image differs from the one it was made from: "what changed?", "compare it
# with the original: what changed?", "how is it different from the original?"
_CHANGES_QUESTION = _whole_question(
    r"(?:compare\s+(?:it|this|the\s+result)\s+(?:with|to)\s+the\s+original\s*[:,;-]?\s*)?"
    r"(?:what(?:'?s|\s+has|\s+is)?\s+(?:changed|different)"
    r"|what(?:'s|\s+is)\s+the\s+difference(?:\s+(?:from|to|with)\s+the\s+original"
    r"|\s+between\s+(?:it|this|them|the\s+result)\s+and\s+the\s+original)?"
    # "whats the difference between the first and the last picture" (the model named the crop as the first)
    r"|what(?:'?s|\s+is)\s+the\s+difference\s+between\s+the\s+(?:first|original)(?:\s+(?:one|image|photo|picture|pic))?"
    r"\s+and\s+the\s+(?:last|latest|newest|final|result)(?:\s+(?:one|image|photo|picture|pic))?"
    r"|how\s+(?:is|does)\s+(?:it|this|the\s+result)\s+(?:differ|different)"
    r"|compare\s+(?:it|this|the\s+result)\s+(?:with|to)\s+the\s+original"
    # the numbers of a step asked ("what angle did you rotate it by?": the model rotated it again)
    r"|(?:what|which)\s+(?:angle|size|box|numbers?|width|height)\s+did\s+you\s+(?:use|pick|choose|rotate|turn|resize|crop|"
    r"blur|make)(?:\s+(?:it|this|that|the\s+\w+))?(?:\s+(?:by|to|with|at))?"
    r"|how\s+(?:much|far|many\s+degrees)\s+did\s+you\s+(?:rotate|turn|resize|shrink|enlarge|crop)\s+(?:it|this|that|the\s+\w+)"
    r"(?:\s+by)?"
    # "how many degrees is that in total?" after two rotations (answered that no tool answers questions about an image)
    r"|how\s+many\s+degrees(?:\s+(?:is\s+(?:that|it)|has\s+it\s+(?:been\s+)?(?:rotated|turned)))?"
    r"(?:\s+(?:in\s+total|altogether|all\s+together|so\s+far|in\s+all))?"
    r"|what(?:'s|\s+is)\s+the\s+total\s+(?:rotation|angle))"
    r"(?:\s+(?:from|to|with)\s+the\s+original)?(?:\s+now)?",
)


def asks_what_changed(request: str) -> bool:
    """Whether ``request`` only asks how the latest image differs from the upload it was made from."""
    return bool(_CHANGES_QUESTION.match(request))


def changes_answer(upload: str, steps: Sequence[tuple[str, str, str]]) -> str:
    """:data:`CHANGES_ANSWER` for the ``steps`` that made the latest image from ``upload``, oldest first, each as
    ``(image, tool, source image)``; :data:`UNCHANGED` when there are none (the latest image is the upload)."""
    if not steps:
        return UNCHANGED.format(latest=upload)
    said = CHANGES_ANSWER.format(latest=steps[-1][0], original=upload, steps=_steps_said(steps))
    angles = [float(turn.group(1)) for _, tool, _ in steps if (turn := _ROTATION_MADE.fullmatch(tool))]
    if len(angles) > 1:
        total = sum(angles)
        said += ROTATIONS_IN_ALL.format(angle=f"{total:g}")
    return said


ROTATIONS_IN_ALL = " The rotations add up to {angle} degrees."
_ROTATION_MADE = re.compile(r"Rotate Image \((-?\d+(?:\.\d+)?)\)")


BLURRED = "Yes: Blur Region blurred {box} (left, top, right, bottom) of {source}, which made {blurred}."
BLURRED_BEFORE = BLURRED + " {latest} was made from it."
NOT_BLURRED = (
    'No: no blur went into {latest}. Blur Region blurs a box: "blur her face", "blur the top half", or a box as left, '
    "top, right, bottom."
)
# The whole request asks whether the picture is blurred: "is her face blurred?" (the model ran Detection and answered
# "I found these features: face [...]"), "did you blur it?"
_BLURRED_QUESTION = _whole_question(
    r"(?:(?:is|are)\s+(?:it|this|that|they|(?:her|his|their|the)\s+\w+(?:\s+\w+)?)\s+(?:now\s+|still\s+)?"
    r"(?:blurred|blurry|pixelated|hidden|anonymous|anonymi[sz]ed|unrecogni[sz]able|censored)(?:\s+now|\s+still)?"
    r"|did\s+(?:you|it)\s+(?:really\s+)?(?:blur|pixelate)\s+(?:it|that|them|(?:her|his|their|the)\s+\w+))"
)


# "how many things did you blur?" (the model blurred the face again)
_HOW_MANY_BLURRED = _whole_question(
    r"how\s+many\s+(?:things|places|parts|regions|areas|boxes|spots|times)\s+(?:did|have)\s+you\s+"
    r"(?:blurr?ed|blur|pixelated?)(?:\s+(?:so\s+far|in\s+total|altogether))?"
)
BLURS_COUNTED = "I blurred {count} place{s} in {latest}: {boxes}."


def asks_how_many_blurred(request: str) -> bool:
    """Whether ``request`` only asks how many places were blurred."""
    return bool(_HOW_MANY_BLURRED.match(request))


def asks_if_blurred(request: str) -> bool:
    """Whether ``request`` only asks whether the picture, or a part of it, is blurred, or how many places were."""
    return bool(_BLURRED_QUESTION.match(request) or _HOW_MANY_BLURRED.match(request))


def blurred_answer(chain: Sequence[str], calls: Sequence[ToolCall], *, counted: bool = False) -> str:
    """Whether a blur went into the latest image, from how it was made (every blur, with ``counted``): ``chain`` is
    the latest image and the images it was made from, newest first; ``calls`` each one's making call (a call of no
    tool for an upload)."""
    blurs = [(index, call) for index, call in enumerate(calls) if call.tool == BLURRER and len(call.arguments) == 5]
    if not blurs:
        return NOT_BLURRED.format(latest=chain[0])
    if counted:  # every blur, the first first
        boxes = [f"{', '.join(call.arguments[1:])} of {call.arguments[0]}" for _, call in reversed(blurs)]
        listed = ", ".join(boxes[:-1]) + f" and {boxes[-1]}" if len(boxes) > 1 else boxes[0]
        return BLURS_COUNTED.format(count=len(boxes), s="" if len(boxes) == 1 else "s", latest=chain[0], boxes=listed)
    index, call = blurs[0]
    said = BLURRED if index == 0 else BLURRED_BEFORE
    return said.format(
        box=", ".join(call.arguments[1:]), source=call.arguments[0], blurred=chain[index], latest=chain[0]
    )


SCALED = (
    "{latest} is {width} x {height}: {scale} of {source} ({source_width} x {source_height}), the image it was made "
    "from."
)
# The whole request asks how much the size changed: "how much bigger is it now?" (the model answered that no tool can
# answer questions about an image)
_HOW_MUCH_QUESTION = _whole_question(
    r"how\s+much\s+(?:bigger|larger|smaller)\s+(?:is\s+(?:it|this|that|the\s+(?:image|photo|picture|pic|result|one))"
    r"|did\s+(?:it|this|that)\s+get)"
    r"(?:\s+now)?"
)


def asks_how_much_it_changed(request: str) -> bool:
    """Whether ``request`` only asks how much bigger or smaller the image got."""
    return bool(_HOW_MUCH_QUESTION.match(request))


def scaled_answer(latest: str, size: tuple[int, int], source: str, source_size: tuple[int, int]) -> str:
    """:data:`SCALED`: ``latest`` (``size``) against the image it was made from (``source``, ``source_size``), as the
    factor of each side ("1.25 times", "0.5 times the width and 0.6 times the height")."""
    width_factor, height_factor = (round(new / old, 2) for new, old in zip(size, source_size, strict=True))
    scale = (
        f"{width_factor:g} times the width and height"
        if width_factor == height_factor
        else f"{width_factor:g} times the width and {height_factor:g} times the height"
    )
    return SCALED.format(
        latest=latest,
        width=size[0],
        height=size[1],
        scale=scale,
        source=source,
        source_width=source_size[0],
        source_height=source_size[1],
    )


# "make it landscape", "turn this photo into portrait mode" (the model resized a 328 x 400 photo to 1500 x 328)
_ORIENTATION = _whole_question(
    r"(?:make|turn|change|convert|switch|put|set)\s+" + _ASKED_PICTURE + r"\s+(?:in(?:to)?\s+|to\s+)?(?:an?\s+)?"
    r"(landscape|portrait)(?:\s+(?:mode|orientation|format|shape|one))?"
)


def asks_for_orientation(request: str) -> str:
    """``"landscape"`` or ``"portrait"`` when ``request`` only asks to make the picture that, else ``""``."""
    asked = _ORIENTATION.match(request)
    return asked.group(1).lower() if asked else ""


def orientation_answer(image: str, size: tuple[int, int], orientation: str) -> str:
    """The answer to a request to make ``image`` (``size``: width, height) ``orientation``: already so, or the two
    ways a tool here does it (a quarter turn, a centred 4:3 crop), for the person to choose; the model does neither
    reliably."""
    width, height = size
    landscape = orientation == "landscape"
    if (width > height) == landscape and width != height:
        return ALREADY_ORIENTED.format(image=image, orientation=orientation, width=width, height=height)
    crop = (width, min(height, round(width * 3 / 4))) if landscape else (min(width, round(height * 3 / 4)), height)
    facts = {
        "image": image,
        "orientation": orientation,
        "width": width,
        "height": height,
        "ratio": "4:3" if landscape else "3:4",
        "part": "widest" if landscape else "tallest",
        "crop_width": crop[0],
        "crop_height": crop[1],
    }
    return (SQUARE_TO_ORIENTED if width == height else ORIENTATION_CHOICE).format(**facts)
