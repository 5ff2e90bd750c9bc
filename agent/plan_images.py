"""Which image each step of a plan works on, where the planner chose one the request does not mean.

* After a new upload, a step on an earlier image works on the new one, unless the request reaches back ("the first
  photo", "the previous one", a file name): the planner, like the ReAct model, took the photo the history spoke of
  most (:func:`agent.image_reference.from_before_the_newest_upload`).
* A step that draws a map (edges, pose, depth...) on another map step's output draws it from the image that map was
  drawn from, unless the request asks for the map of that map. Asked "show me the edges, then the pose", the
  embedded planner wrote the pose step on the edge map ("uses step 1"), and the pose detector found no person in an
  edge map. The plan data never chains one map tool into another (a map is followed only by its conditioned
  generator, ``data_gen.plans.SkeletonDrawer.followers``), so such a link is the planner reading "then" as "on the
  result". A step that tells what a picture shows (a search, a reading) on a map step's output is held the same
  way: "show me the pose, then tell me how many faces it has" had the faces counted on the pose map.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence, Set

from agent.every_upload import asks_for_every
from agent.image_reference import (
    BY_SIZE,
    PICTURE_NOUNS,
    from_before_the_newest_upload,
    meant_image,
    on_the_newest_edit,
    points_past_the_latest,
    result_named,
)
from agent.meant_call import says
from agent.pending_edit import edits_people
from agent.request_parts import request_parts
from agent.tool_words import named_by
from agent.upload_names import upload_named_for
from generation.tool_calls import image_names
from protocol.plan import Plan, PlanStep, Reference, Value
from tools.registry import ToolRegistry
from tools.spec import OutputKind


def on_the_newest_upload(
    plan: Plan, request: str, uploads: Sequence[str], shown: Sequence[str], named_upload: str | None = None
) -> tuple[Plan, dict[int, Value]]:
    """``plan`` with each step whose image came before the newest of ``uploads`` working on that upload instead (on
    ``named_upload``, the upload the request calls by its file's words, when there is one: agent/upload_names.py),
    and the new image of each step changed (``{}``: the plan as it was). ``shown``: the conversation's images, oldest
    first."""
    if image_names(request) or asks_for_every(request, uploads):  # the request says which, or asks for each
        return plan, {}
    changed: dict[int, Value] = {}
    for step in plan.steps:
        source = image_argument(step)
        if source not in uploads or source == named_upload:
            continue
        if named_upload or from_before_the_newest_upload(str(source), request, uploads, shown):
            changed[step.id] = named_upload or uploads[-1]
    return _with_images(plan, changed)


def on_the_named_uploads(
    plan: Plan,
    request: str,
    file_names: Mapping[str, str],
    tools: ToolRegistry,
    shows: Callable[[str], str | None] = lambda part: None,
) -> tuple[Plan, dict[int, Value]]:
    """``plan`` with each step that works on another image than the upload its part of ``request`` names by its
    file's words or by what it shows (``shows``) working on that upload (:func:`agent.upload_names.upload_named_for`;
    ``file_names``: upload -> the person's file name), and the new image of each step changed. Asked to "resize
    astronaut.png to 256x256 and read the text in sign.png", the planner read the resized astronaut."""
    images = {step.id: image_argument(step) for step in plan.steps}  # as changed so far

    def upload_behind(value: Value | None) -> Value | None:
        seen: set[int] = set()
        while isinstance(value, Reference) and value.step in images and value.step not in seen:
            seen.add(value.step)
            value = images[value.step]
        return value

    changed: dict[int, Value] = {}
    every = asks_for_every(request, list(file_names))  # "read both signs": each upload's step stays on it
    for step in plan.steps:  # a step's sources come before it
        if every and images[step.id] in file_names:
            continue
        named = upload_named_for(request, step.task, file_names, tools, shows)
        if named and upload_behind(images[step.id]) != named:
            changed[step.id] = images[step.id] = named
    return _with_images(plan, changed)


def on_the_newest_edits(
    plan: Plan, request: str, latest: str | None, lineage: Sequence[str], maps: Set[str]
) -> tuple[Plan, dict[int, Value]]:
    """``plan`` with each step on an image the newest edit ``latest`` was made from (``lineage``: ``latest`` and
    those, newest first) working on ``latest`` when the request names or points at no image nor changes the last
    edit (:func:`agent.image_reference.on_the_newest_edit`; "it" is ``latest``), and the new image of each step
    changed. After "rotate it by 180", the planner cropped the upload for "crop the left half", as the ReAct model did;
    after "blur her face", it resized the upload for "make it half the size"."""
    changed: dict[int, Value] = {}
    for step in plan.steps:
        source = image_argument(step)
        if isinstance(source, str) and on_the_newest_edit(request, source, latest, lineage, maps, it_is_latest=True):
            changed[step.id] = latest
    return _with_images(plan, changed)


def on_the_result_named(
    plan: Plan, request: str, shown: Sequence[str], tools: ToolRegistry
) -> tuple[Plan, dict[int, Value]]:
    """``plan`` with each step on an image of the conversation working on the earlier result ``request`` names by
    what made it ("the pose map", "the crop", "the sketch": the latest of ``shown``, the conversation's images oldest
    first, with that operation's tag), unless the step makes such a result itself or the request also points at
    another image; and the new image of each step changed. Asked to "rotate the pose map by 180 and make it half the
    size" after a pose map and a crop of the face, the planner rotated the crop."""
    operation, _ = result_named(request)
    made = [image for image in shown if f"_{operation}_" in image] if operation else []
    if not made or image_names(request) or points_past_the_latest(_without_the_result_named(request)):
        return plan, {}
    changed = {
        step.id: made[-1]
        for step in plan.steps
        if isinstance(image_argument(step), str)
        and image_argument(step) != made[-1]
        and not (step.task in tools and tools.get(step.task).operation == operation)
    }
    return _with_images(plan, changed)


def _without_the_result_named(request: str) -> str:
    """``request`` without the words that name a result by what made it ("rotate the pose map" -> "rotate")."""
    _, words = result_named(request)
    return re.sub(rf"\bthe\s+{re.escape(words)}\b", " ", request, flags=re.IGNORECASE) if words else request


def for_every_upload(
    plan: Plan, request: str, uploads: Sequence[str], tools: ToolRegistry, versions: Sequence[str] = ()
) -> tuple[Plan, list[int]]:
    """``plan`` with its steps repeated on each upload no step works on when ``request`` asks for every upload
    ("rotate both by 90 degrees": the planner rotated one) and the plan's steps start from one upload alone, and the
    ids of the steps added. A step that a part of the request asks of one image is not repeated ("crop the left half
    of the first one, then rotate both": the crop had been repeated on the second); a repeated step that took its
    output takes the upload instead. When the plan starts from the newest image made from one upload, as the chat
    reads "both" (:func:`agent.every_upload.worked_on`), it is repeated on the newest of each other upload
    (``versions``): after a crop of the first, "rotate both" had rotated the crop alone."""
    if not asks_for_every(request, uploads):
        return plan, []
    sources = [image_argument(step) for step in plan.steps]
    images = list(uploads) if any(source in uploads for source in sources) else list(versions)
    started_on = {source for source in sources if source in images}
    if len(started_on) != 1 or any(not isinstance(source, Reference) and source not in images for source in sources):
        return plan, []
    (done,) = started_on
    held = _asked_of_one_image(plan, request, uploads, tools)
    repeated = [step for step in plan.steps if step.id not in held]
    next_id = max(step.id for step in plan.steps) + 1
    added: list[PlanStep] = []
    for upload in (image for image in images if image != done):
        ids = {step.id: next_id + index for index, step in enumerate(repeated)}
        next_id += len(repeated)
        added += [
            PlanStep(
                step.task,
                ids[step.id],
                tuple((name, _copied(value, ids, done, upload, held)) for name, value in step.args),
            )
            for step in repeated
        ]
    return Plan((*plan.steps, *added)), [step.id for step in added]


def _asked_of_one_image(plan: Plan, request: str, uploads: Sequence[str], tools: ToolRegistry) -> set[int]:
    """The ids of ``plan``'s steps whose tool a part of ``request`` asks for on one image it names ("the first one",
    "the smaller one", a file name) rather than on every upload."""
    one_image = [
        part
        for part in request_parts(request)
        if not asks_for_every(part, uploads)
        and (image_names(part) or BY_SIZE.search(part) or meant_image(part, uploads, None))
    ]
    return {step.id for step in plan.steps for part in one_image if named_by(part, step.task, tools)}


def _copied(value: Value, ids: Mapping[int, int], done: str, upload: str, held: Set[int]) -> Value:
    """A step's argument ``value`` in its copy for ``upload``: the other upload (``done``) becomes it, a reference
    points at the copy of its step (``ids``), or at ``upload`` itself when its step is not repeated (``held``)."""
    if isinstance(value, Reference):
        return upload if value.step in held else Reference(ids.get(value.step, value.step))
    return upload if value == done else value


def maps_on_photos(plan: Plan, request: str, tools: ToolRegistry) -> tuple[Plan, dict[int, Value]]:
    """``plan`` with every map step, every step that tells what a picture shows and every box edit of the faces or
    people the request speaks of, that takes another map step's output taking that map's own image instead, and the
    new image argument of each step changed (``{}``: the plan as it was). Asked to "show me the pose of d.png, then
    tell me how many faces it has", the planner counted the faces of the pose map; asked to "detect her pose and then
    blur her face", it blurred the pose map.

    A link is kept when ``request`` points at the earlier map: "the pose of the edges", "a sketch from that",
    "... of the result" (:func:`_points_at`). ``tools``: the runner's tools (``ToolSpec.makes_map``).
    """
    steps = plan.by_id()

    def map_words(step_id: int) -> tuple[str, ...]:
        step = steps.get(step_id)
        return tools.get(step.task).makes_map if step is not None and step.task in tools else ()

    def drawn_from(value: Value) -> Value:
        """The image a map step's output was drawn from, through maps of maps."""
        seen: set[int] = set()
        while isinstance(value, Reference) and map_words(value.step) and value.step not in seen:
            seen.add(value.step)
            value = image_argument(steps[value.step])
        return value

    def reports(step_id: int) -> bool:
        """Whether the step tells what a picture shows (words, boxes, an answer) rather than making an image."""
        step = steps.get(step_id)
        return step is not None and step.task in tools and tools.get(step.task).output is not OutputKind.IMAGE

    changed: dict[int, Value] = {}
    for step in plan.steps:
        source = image_argument(step)
        if not (isinstance(source, Reference) and map_words(source.step)):
            continue
        words = map_words(source.step)
        if (
            (map_words(step.id) and not _points_at(request, words))
            or (reports(step.id) and not _speaks_of_the_map_again(request, words))
            # "detect her pose and then blur her face": the face is in the photo (the blur was planned on the pose)
            or (edits_people(request, step.task) and not _points_at(request, words))
        ):
            changed[step.id] = drawn_from(source)
    return _with_images(plan, changed)


def on_the_maps_named(plan: Plan, request: str, tools: ToolRegistry) -> tuple[Plan, dict[int, Value]]:
    """``plan`` with each step that makes no map, whose own part of ``request`` asks for its tool and names a map
    another step makes ("the edges"), working on that map step's output, and the new image of each step changed.
    Asked to "show me the edges and the lines, then rotate the edges 90 degrees", the planner rotated the photo."""
    makers = [step for step in plan.steps if step.task in tools and tools.get(step.task).makes_map]
    changed: dict[int, Value] = {}
    for step in plan.steps:
        if step.task not in tools or tools.get(step.task).makes_map or not step.args:
            continue
        parts = [part for part in request_parts(request) if named_by(part, step.task, tools)]
        named = [
            maker
            for maker in makers
            if step.id not in maker.references
            and any(
                re.search(rf"\bthe\s+{re.escape(word)}\b", part, re.IGNORECASE)
                for part in parts
                for word in tools.get(maker.task).makes_map
            )
        ]
        if len(named) == 1 and image_argument(step) != Reference(named[0].id):
            changed[step.id] = Reference(named[0].id)
    return _with_images(plan, changed)


def _speaks_of_the_map_again(request: str, map_words: tuple[str, ...]) -> bool:
    """Whether a later part of ``request`` points at the map: its words, "them" ("show me the edges, then describe
    them"), or what :func:`_points_at` reads; "how many faces it has" after the pose speaks of the photo."""
    later = " ".join(request_parts(request)[1:])
    return (
        _points_at(request, map_words)
        or bool(re.search(r"\b(?:them|those|these)\b", later, re.IGNORECASE))
        or any(says(later, word) for word in map_words)
    )


def bypassed(plan: Plan, left_out: set[int]) -> Plan:
    """``plan`` less the steps ``left_out``; a step that used one's output uses the image that step worked on (through
    left-out steps in a row)."""
    steps = plan.by_id()

    def behind(value: Value) -> Value:
        while isinstance(value, Reference) and value.step in left_out:
            value = image_argument(steps[value.step])
        return value

    return Plan(
        tuple(
            PlanStep(step.task, step.id, tuple((name, behind(value)) for name, value in step.args))
            for step in plan.steps
            if step.id not in left_out
        )
    )


def _with_images(plan: Plan, images: dict[int, Value]) -> tuple[Plan, dict[int, Value]]:
    """``plan`` with the image argument of each step in ``images`` set to its value there, and ``images``."""
    if not images:
        return plan, {}
    steps = tuple(
        PlanStep(step.task, step.id, ((step.args[0][0], images[step.id]), *step.args[1:]))
        if step.id in images
        else step
        for step in plan.steps
    )
    return Plan(steps), images


def image_argument(step: PlanStep) -> Value | None:
    """The step's first argument: the image a map tool draws on."""
    return step.args[0][1] if step.args else None


def _points_at(request: str, map_words: tuple[str, ...]) -> bool:
    """Whether ``request`` asks for something of the earlier map itself: "of the edges", "from that", "on the
    result" (the map's own words, or a word for the latest output, after "of / from / on / in"; "in that photo" speaks
    of a photo)."""
    names = "|".join(re.escape(word) for word in (*map_words, "that", "the result", "the output"))
    pattern = rf"\b(?:of|from|on|in)\s+(?:the\s+)?(?:{names})\b(?!\s+(?:{'|'.join(PICTURE_NOUNS)})\b)"
    return bool(re.search(pattern, request, re.IGNORECASE))
