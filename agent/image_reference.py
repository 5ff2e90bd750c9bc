"""What a request says about images, read before any model call: whether it speaks of an image the person already
has ("rotate it", "what is in this photo?"), and which paths outside the conversation it names ("/etc/passwd").

Read from the request itself, before any model call, so that a session with no image answers "upload one"
whatever the model would have written: a small model asked to "rotate it 90 degrees" with nothing uploaded
tends to answer as if it had (a made-up file name, "the rotated image is ready").

The rule is deliberately narrow (a false "upload an image" blocks a request that needed none):
* a definite reference to a picture: "this / that / the / my / your (uploaded) image, photo, picture, pic"
  (not "an image of a cat");
* or an image-editing verb whose object is "it / this / that / them": "rotate it", "crop this", "blur that";
* or an edit of a part only a picture has: "blur the face", "remove the background" (not "how do I ...?");
* or reading a definite piece of writing: "read the sign", "what does this label say?", "translate this sign" (the
  sign can only be in a picture; "write a sign for my shop" asks for none);
* and no request to make a picture ("draw a cat, then rotate it" refers to the picture it asks for).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence, Set

from generation.tool_calls import image_names
from tools.workspace import image_id, made_from

PICTURE_NOUNS = ("image", "images", "photo", "photos", "picture", "pictures", "pic", "pics")
EDITING_VERBS = (
    "rotate",
    "crop",
    "blur",
    "resize",
    "flip",
    "mirror",
    "sharpen",
    "recolor",
    "recolour",
    "colorize",
    "colourize",
    "segment",
    "restyle",
    "stylize",
    "upscale",
    "downscale",
    "shrink",
    "enlarge",
    "zoom",
    "brighten",
    "darken",
    "invert",
)
WRITTEN_THINGS = (
    "sign", "signs", "label", "menu", "poster", "plate", "banner", "board", "text", "writing", "words", "page", "pages",
    "document", "note", "receipt", "letter", "ticket",
)  # fmt: skip
MAKING_VERBS = ("generate", "draw", "create", "paint", "render", "produce", "imagine", "design", "sketch")

_DEFINITE_PICTURE = re.compile(
    r"\b(?:this|that|these|those|the|my|your|our)\s+(?:\w+\s+)?(?:" + "|".join(PICTURE_NOUNS) + r")\b",
    re.IGNORECASE,
)
_EDIT_PRONOUN = re.compile(
    r"\b(?:" + "|".join(EDITING_VERBS) + r")\s+(?:it|this|that|them)\b",
    re.IGNORECASE,
)
# An edit of a part of a picture that only a picture has: "blur the face", "remove the background", "crop her head"
# (not a question of how to do it: "how do I blur the background?").
PICTURE_PARTS = ("face", "faces", "background", "head", "eyes")
_EDIT_PART = re.compile(
    r"^(?!\s*how\b).*\b(?:" + "|".join((*EDITING_VERBS, "hide", "remove", "erase")) + r")\s+(?:out\s+)?"
    r"(?:the|his|her|their|my)\s+(?:\w+\s+)?(?:" + "|".join(PICTURE_PARTS) + r")\b",
    re.IGNORECASE,
)
_WRITTEN_THING = (
    r"(?:this|that|the|my|both|these|those|all\s+the|each|every)\s+(?:\w+\s+)?(?:" + "|".join(WRITTEN_THINGS) + r")"
)
_WRITTEN_OR_PICTURE = r"(?:this|that|the|my)\s+(?:\w+\s+)?(?:" + "|".join((*WRITTEN_THINGS, *PICTURE_NOUNS)) + r")\b"
_READING = re.compile(
    rf"\b(?:read|transcribe|translate)\s+(?:out\s+)?(?:me\s+)?{_WRITTEN_THING}\b"
    rf"|\bwhat\s+does\s+{_WRITTEN_THING}\s+say\b"
    r"|\b(?:read|transcribe)\s+(?:the\s+(?:text|words|writing)\s+(?:in|on|of)\s+)?\S+\.(?:png|jpe?g|webp|bmp|gif)\b"
    r"|\bread\s+(?:the|this|that)\s+(?:\w+\s+)?one\b"  # "read the smaller one", "read this one"
    r"|\bread\s+(?:it|this|that|them)(?:\s+(?:out|aloud|to\s+me|for\s+me|again|back))*(?=\s*(?:[,.;!?]|$|and\b|then\b|please\b))"
    r"|\bwhat(?:'?s|\s+is)\s+written\s+(?:here|there|(?:on|in)\s+(?:it|this|that|" + _WRITTEN_OR_PICTURE + r"))"
    r"|\bwhat\s+does\s+it\s+say\b"
    # "which of these signs says stop?", "which one reads OPEN?", "what do they say?"
    rf"|\bwhich\s+(?:one|of\s+(?:them|these|those|the\s+\w+)(?:\s+\w+)?|(?:{'|'.join(WRITTEN_THINGS)}))\s+"
    r"(?:says|reads|is\s+about|mentions)\b"
    r"|\bwhich\s+of\s+\S+\.(?:png|jpe?g|webp|bmp|gif)\s+(?:and|or)\s+\S+\.(?:png|jpe?g|webp|bmp|gif)\s+(?:says|reads)\b"
    r"|\bwhat\s+do\s+(?:they|these|those|the\s+\w+|both(?:\s+of\s+them)?)\s+say\b"
    r"|\b(?:translate|summari[sz]e|transcribe)\s+(?:the\s+)?(?:text|words|writing)\s+(?:in|on|of)\b",
    re.IGNORECASE,
)
_MAKING = re.compile(r"\b(?:" + "|".join(MAKING_VERBS) + r")\b|\bmake\s+(?:me\s+)?(?:an?|some)\b", re.IGNORECASE)


def asks_to_read(request: str) -> bool:
    """Whether ``request`` asks to read a definite piece of writing ("read the sign", "what does this label say?")."""
    return bool(_READING.search(request))


def refers_to_an_image(request: str) -> bool:
    """Whether ``request`` speaks of an image it expects to exist (see the module docstring)."""
    if _MAKING.search(request):
        return False
    return any(pattern.search(request) for pattern in (_DEFINITE_PICTURE, _EDIT_PRONOUN, _EDIT_PART, _READING))


# A path on the person's computer: absolute (POSIX, home, Windows drive) or climbing out with "..".
_OUTSIDE_PATH = re.compile(r"(?<![\w./:])(?:~?/[\w.-]+(?:/[\w.-]*)*|[A-Za-z]:\\[^\s,;]*|(?:[\w.-]+/)*\.\./[^\s,;]*)")


def outside_paths(request: str) -> list[str]:
    """The paths ``request`` names that lie outside any conversation's folder (``/etc/passwd``, ``~/cat.png``,
    ``C:\\photo.jpg``, ``../x.png``): the tools can only open files of the conversation, so the constrained model
    would otherwise quietly pick one of those instead."""
    return [match.rstrip(".?!") for match in _OUTSIDE_PATH.findall(request)]


# Words that point at an image by its place in the conversation, as the training sessions use them
# (data_gen/session_phrasings.py REFERENCES).
_ORIGINAL = re.compile(
    r"\b(?:the|my)\s+original\b|\bthe\s+(?:photo|image|picture|pic)\s+I\s+(?:uploaded|sent)\b", re.IGNORECASE
)
# "the original cat": the original of the upload showing a cat, which its content tells (agent/upload_contents.py)
_ORIGINAL_BY_CONTENT = re.compile(
    r"\b(?:the|my)\s+original\s+(?!(?:photo|image|picture|pic|one|version|upload|file|size)s?\b)[a-z]", re.IGNORECASE
)
# "the first sign" of two signs uploaded (the reading had gone to the newest)
_UPLOAD_NOUN = r"(?:photo|image|picture|pic|one|sign|upload|file)"
_FIRST = re.compile(rf"\bthe\s+first\s+{_UPLOAD_NOUN}\b", re.IGNORECASE)
_NEWEST_UPLOAD = re.compile(
    r"\bthe\s+(?:new|latest)\s+(?:photo|image|picture|pic)\b|\bthe\s+one\s+I\s+just\s+(?:sent|uploaded)\b",
    re.IGNORECASE,
)
# An upload by its place in the order of uploads: "the second one", "the third photo" ("the first": _FIRST)
UPLOAD_PLACES = ("first", "second", "third", "fourth")  # the uploads a request can name by their place
_ORDINAL = re.compile(rf"\bthe\s+({'|'.join(UPLOAD_PLACES[1:])})\s+{_UPLOAD_NOUN}\b", re.IGNORECASE)
_ORDINALS = {place: index for index, place in enumerate(UPLOAD_PLACES)}
# Results named by what made them ("the cropped image", "the crop", "the edge map"): the operation tag in output
# names (tools/workspace.py ``chained_image_name``).
_MADE_BY = re.compile(
    r"\bthe\s+(?:(cropped|rotated|resized|blurred)\s+(?:photo|image|picture|pic|one|version|copy)|(crop)(?!\s+box)"
    # "rotate the pose map by 180" after a pose map and a crop (the planner rotated the crop)
    r"|(edge|depth|normal|pose|line|hed|segmentation)\s+map|(pose\s+skeleton|skeleton|sketch))\b",
    re.IGNORECASE,
)
_OPERATIONS = {
    "cropped": "crop",
    "rotated": "rotate",
    "resized": "resize",
    "blurred": "blur",
    "segmentation": "segment",
    "pose skeleton": "pose",
    "skeleton": "pose",
    "sketch": "scribble",
}  # the words that differ from the operation tag
_LATEST = re.compile(
    r"\b(?:it|this\s+one|that\s+one|the\s+result|the\s+output|the\s+new\s+image|that\s+image)\b", re.IGNORECASE
)
# Words by which a request reaches back past the newest upload ("the previous one", "the other photo").
_EARLIER = re.compile(r"\b(?:previous|earlier|other|older|prior|both)\b", re.IGNORECASE)


def result_named(request: str) -> tuple[str, str]:
    """The operation tag of the result ``request`` names by what made it, and its words ("the crop": ``("crop",
    "crop")``; "the edge map": ``("edge", "edge map")``), or ``("", "")``."""
    made_by = _MADE_BY.search(request)
    if made_by is None:
        return "", ""
    word = " ".join(next(group for group in made_by.groups() if group).lower().split())
    return _OPERATIONS.get(word, word), " ".join(made_by.group(0).lower().split()[1:])


def meant_image(
    request: str,
    uploads: Sequence[str],
    latest: str | None,
    named: Sequence[str] = (),
    shown: Sequence[str] = (),
    *,
    making: str = "",
) -> str | None:
    """The image ``request`` points at by its place in the conversation, or ``None`` when it names none so.

    ``uploads``: the session's uploads, oldest first; ``latest``: the image the conversation last brought up;
    ``named``: the image file names the request itself holds (then the request says which, and this is ``None``);
    ``shown``: the images the conversation has shown, oldest first; ``making``: the operation tag of the tool
    about to run.
    "The cropped image" / "the edge map" is the latest shown result of that operation (unless that is what the
    tool makes: "show me the edge map of the image" asks for a new one); "the original" / "the
    photo I uploaded" the latest upload, "the first photo" the first, "the second one" / "the third photo" that one, "the new photo" / "the one I just sent" the
    latest upload; "it", "this one", "the result" the latest image.
    """
    if named or (not uploads and latest is None):
        return None
    operation, _ = result_named(request)
    if operation and operation != making:
        made = [image for image in shown if f"_{operation}_" in image]
        return made[-1] if made else None
    if uploads and _FIRST.search(request):
        return uploads[0]
    ordinal = _ORDINAL.search(request)
    if ordinal and _ORDINALS[ordinal.group(1).lower()] < len(uploads):
        return uploads[_ORDINALS[ordinal.group(1).lower()]]
    if uploads and (_ORIGINAL.search(request) or _NEWEST_UPLOAD.search(request)):
        return uploads[-1]
    if _LATEST.search(request):
        return latest
    return None


def original_by_content(request: str) -> bool:
    """Whether ``request`` calls an upload "the original" followed by what it shows ("the original cat"), which
    tells that upload among several better than its place does."""
    return bool(_ORIGINAL_BY_CONTENT.search(request))


# An image called by its size among several: "read the smaller one", "crop the bigger photo to a square"
BY_SIZE = re.compile(
    r"\bthe\s+(smaller|smallest|bigger|biggest|larger|largest)\s+(?:one|image|photo|picture|pic|sign|file)\b",
    re.IGNORECASE,
)


def image_by_size(request: str, images: Sequence[str], size: Callable[[str], tuple[int, int] | None]) -> str | None:
    """The image of ``images`` (two or more) that ``request`` calls the smaller or bigger one, by area (``size``
    gives an image's width and height); ``None`` when it calls none so, or their areas tie. Without a captioner the
    demo knows its uploads by their sizes only: asked to "read the smaller one" of two signs, the model resized one."""
    wanted = BY_SIZE.search(request)
    areas = {image: dims[0] * dims[1] for image in images if (dims := size(image))}
    if not wanted or len(areas) < 2 or len(set(areas.values())) < len(areas):
        return None
    pick = min if wanted.group(1).lower().startswith("small") else max
    return pick(areas, key=areas.__getitem__)


# A request that changes the last edit rather than going on from it ("No, crop 310 90 430 200 instead.", "make that
# 45 degrees"): its call works on what the last edit worked on
_REDOES = re.compile(r"\b(?:instead|actually|rather|wrong)\b|^\W*(?:no+|nope|hmm+|make\s+that|try)\b", re.IGNORECASE)


def on_the_newest_edit(
    request: str, image: str, latest: str | None, lineage: Sequence[str], maps: Set[str], *, it_is_latest: bool = False
) -> str | None:
    """``latest`` when a call works on ``image``, one of the images ``latest`` was made from (``lineage``: ``latest``
    and those, newest first), ``latest`` is an edit's result rather than a map (``maps``: the maps' operation tags)
    and ``request`` names or points at no image nor changes the last edit; else ``None``. After "rotate it by 180",
    "crop the left half" had the model crop the upload: an edit asked with no image named goes on from the last
    one. "It" points at an image the ReAct model reads from the conversation, and its reading stands; a planner
    (``it_is_latest``) keeps no such reading, and "make it half the size" after a blur means the blurred image."""
    made = made_from(latest or "")
    if latest is None or image == latest or image not in lineage or not made or made[0] in maps:
        return None
    said_it = not it_is_latest and meant_image(request, [], latest)
    pointed = image_names(request) or said_it or points_past_the_latest(request)
    return None if pointed or _REDOES.search(request) else latest


# "the other one", "the other photo": of two uploads, the one the conversation is not on
_OTHER_ONE = re.compile(r"\bthe\s+other\s+(?:one|photo|image|picture|pic|upload)\b", re.IGNORECASE)


def the_other_upload(request: str, uploads: Sequence[str], current: str | None) -> str | None:
    """The upload of two that ``request`` calls "the other one", the one ``current`` (the upload the latest image
    comes from) is not; ``None`` for another request or another number of uploads. Asked "draw the edges of the
    other one" after "which one is the cat?", the model drew the cat's edges."""
    if len(uploads) != 2 or current not in uploads or not _OTHER_ONE.search(request):
        return None
    return uploads[1] if current == uploads[0] else uploads[0]


# "now the other one", "and the other photo?": nothing but the pointer
_ONLY_THE_OTHER = re.compile(
    r"^\W*(?:(?:and|now|then|ok(?:ay)?|what\s+about|how\s+about)[,!.]?\s+)*(?:do\s+)?(?:the|that)\s+other\s+"
    r"(?:one|photo|image|picture|pic|upload)(?:\s+(?:too|now|please))*\W*$",
    re.IGNORECASE,
)
NO_OTHER_IMAGE = (
    "Which other one do you mean? This conversation has one upload, {image}. Upload another ({hint}), or say what "
    'to do and to what, for example "blur the other face".'
)


def asks_for_the_other_alone(request: str, uploads: Sequence[str]) -> bool:
    """Whether ``request`` only points at "the other one" while the conversation has a single upload: after a
    refused blur, "now the other one" had removed the photo's background."""
    return len(uploads) == 1 and bool(_ONLY_THE_OTHER.search(request))


def points_past_the_latest(request: str) -> bool:
    """Whether ``request`` points at an image other than the latest by its place in the conversation ("the
    original", "the first photo", "the cropped image", "the other one", "the smaller one")."""
    patterns = (_ORIGINAL, _FIRST, _ORDINAL, _NEWEST_UPLOAD, _MADE_BY, _EARLIER, BY_SIZE)
    return any(pattern.search(request) for pattern in patterns)


def from_before_the_newest_upload(image: str, request: str, uploads: Sequence[str], shown: Sequence[str]) -> bool:
    """Whether ``image`` came before the session's newest upload (``shown``: the conversation's images in order of
    first mention; one no longer shown is older still) while ``request`` does not reach back to an earlier image.

    After a second upload, asked "show me the straight lines in the image", the small model drew the lines of the
    first photo or of its results, the images its history spoke of most.
    """
    if not uploads or image == uploads[-1] or _EARLIER.search(request) or _FIRST.search(request):
        return False
    order = {name: index for index, name in enumerate(shown)}
    newest = order.get(uploads[-1])
    return newest is not None and order.get(image, -1) < newest


# Words by which a request asks about a map itself ("what is in the depth map?", "the pose skeleton").
_MAP_WORDS = re.compile(r"\b(?:map|maps|sketch|skeleton|drawing|outlines?|edges|lines|segments|segmentation)\b", re.I)


def photo_behind(image: str, request: str, map_operations: frozenset[str], images: Sequence[str]) -> str | None:
    """The photo the map ``image`` was drawn from (``image/9d0e_pose_2c1b.png`` -> the image whose id is ``2c1b``,
    among ``images``), when ``request`` asks about a picture's content without speaking of the map itself; else
    ``None``.

    Asked "what objects are in it?" right after a pose map, the small model ran Detection on the pose map (the
    latest image) and answered "There is no object in image/..._pose_....png": the person asked about the photo.
    ``map_operations``: the operation tags of the tools that make maps (``ToolSpec.makes_map``).
    """
    if _MAP_WORDS.search(request) or image in request:
        return None
    return _source_photo(image, map_operations, images)


# Words by which a request points at the latest image itself ("turn it into a sketch", "lines of that", "its
# background").
_POINTING = re.compile(r"\b(?:it|its|this|that|them|the\s+result|the\s+output)\b", re.IGNORECASE)


def photo_behind_for_a_map(
    image: str, request: str, map_operations: frozenset[str], images: Sequence[str]
) -> str | None:
    """For a call that draws a map: the photo the map ``image`` was drawn from, when ``request`` does not point at
    the latest image itself ("turn it into a sketch" does); else ``None``.

    Asked "show me the edges of the image" after an edge map, the small model drew the edges of the edge map.
    """
    if _POINTING.search(request) or image in request:
        return None
    return _source_photo(image, map_operations, images)


# A map as the thing worked on: "the pose of the edge map", "the lines in them", "turn it into a sketch"
_ON_A_MAP = re.compile(
    r"\b(?:of|on|in|from|to|into)\s+(?:the\s+|that\s+|this\s+)?(?:\w+\s+)?(?:map|sketch|skeleton|drawing|edges|lines"
    r"|outlines?)\b",
    re.IGNORECASE,
)


def photo_behind_for_a_later_map(
    image: str, request: str, map_operations: frozenset[str], images: Sequence[str]
) -> str | None:
    """For a later call of a turn that draws a map on the map ``image`` the turn made: the photo behind it, as
    :func:`photo_behind_for_a_map` finds it, unless ``request`` speaks of drawing on a map ("the pose of the edge
    map"); asked to "show me both the edges and the straight lines", the model drew the lines of the edge map."""
    if _ON_A_MAP.search(request):
        return None
    return photo_behind_for_a_map(image, request, map_operations, images)


def photo_behind_for_an_edit(
    image: str, request: str, map_operations: frozenset[str], images: Sequence[str]
) -> str | None:
    """For an edit that only a photo's content takes (a background removed, a face blurred): the photo behind the map
    ``image``, as :func:`photo_behind_for_a_map` finds it, unless ``request`` speaks of the map ("remove the
    background of the line drawing")."""
    if _MAP_WORDS.search(request):
        return None
    return photo_behind_for_a_map(image, request, map_operations, images)


def _source_photo(image: str, map_operations: frozenset[str], images: Sequence[str]) -> str | None:
    """The image among ``images`` that the map in ``image``'s making was drawn from, through edits of the map (a
    rotated line drawing is still a drawing) and maps of maps (a sketch of a line drawing: the line drawing's
    photo), or ``None`` (no map in its making, or the map's source gone)."""
    current, behind = image, None
    for _ in range(len(images)):  # each step goes to an earlier image, so this many steps reach the first
        made = made_from(current)
        found = [name for name in images if made and image_id(name) == made[1]]
        if not found:
            return behind
        if made[0] in map_operations:
            behind = found[-1]
        elif behind is not None:  # an edit of the photo the map was drawn from
            return behind
        current = found[-1]
    return behind
