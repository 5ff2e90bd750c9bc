"""The agent loop: prompt, generate to the stop sequence, parse, run the tool, observe, repeat.

:meth:`Agent.run` is a generator of events, so a UI can show the model's text while it is written
(:class:`TextChunk`), each finished tool step (:class:`StepTaken`) and the answer (:class:`Reply`).
Everything that goes wrong inside a turn (a reply that does not parse, an unknown tool, bad arguments,
a failing tool) becomes an observation the model reads on its next step; the turn always ends with a
reply, an honest one when the step limit or the context length is reached.

What the agent guarantees, whatever the model writes:

* after a failed last tool call, the answer never announces a result: unless it shows a file this turn made,
  the agent answers itself, quoting the error;
* a request that needs an image when the session has none gets "upload an image" at once: a request that
  speaks of an existing image ("rotate it", agent/image_reference.py) before the model runs; otherwise the model is
  stopped as soon as it names a tool that takes an image (before it writes arguments for an image that
  does not exist), an answer that names an image file is replaced, and when every loaded tool takes an
  image, a reply that does not answer directly (a tool call, a reply out of the format) ends the turn so;
* a question about what the picture shows, while the tool that answers such questions is not loaded, is answered
  "... is not loaded": before the model when the request asks only that, else in place of an answer no call this
  turn could give (agent/picture_questions.py);
* the turn's first call runs the tool the request names, the image it points at ("the original", "it", "the
  cropped image") and the numbers it states ("0,0 to 300,200", "90 degrees clockwise" as -90), where the model
  chose others (agent/meant_call.py);
* a request for words alone (a haiku, tips, "how does edge detection work?") that points at no picture is answered
  in words where the model called a tool (agent/words_only.py);
* an edit the request asks for on a detected region ("blur the face") is not left undone by an answer given after
  the detection alone (the turn goes on with the asked tool), nor done on a made-up box (Detection runs first), nor
  on a shown box's numbers in another order (the shown box is used), nor on another image than the one the box was
  found in (agent/pending_edit.py);
* a question about a sign ("what street is this sign for?") is not answered before the reading tool read it, and
  once it has, is answered rather than sent on to a detector it did not ask for (agent/read_text.py);
* a request naming a loaded tool in full ("Remove the background") is not answered before that tool ran, nor
  refused as needing a tool that is loaded ("that needs Rotate Image, which is not loaded"), and a request for a
  loaded tool's map ("show me the straight lines") is not answered with an earlier file or a refusal before that
  tool ran (agent/meant_call.py);
* an answer names the files the turn made and the words a reading tool found as they are, where the model
  miscopied them, and the one file the turn made where it presents another or lists an earlier one beside it, by
  the name of the map it is where it gives another map's (agent/file_names.py, agent/read_text.py,
  agent/result_words.py); after a search that found nothing (no object, no text) it says so, where the model
  announced a result, and a count asked for is the count found (agent/detector_scope.py, agent/findings.py);
* a message of several things has each call on the upload its part names by its file's words
  (agent/upload_names.py), and its answer names every result the turn made and says which part needs a tool that
  is not loaded (agent/request_parts.py);
* a turn stops between two tokens or two steps once its ``cancel`` event is set (a running tool finishes);
* a request naming a file outside the conversation ("/etc/passwd") is answered so before the model runs, and so
  is "what can you do?" (with the loaded tools, agent/capabilities.py);
* a message longer than ``max_input_chars`` is refused with the limit, before any model call.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence, Set
from contextlib import closing
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import partial
from pathlib import PurePath
from typing import TYPE_CHECKING, Any, Protocol

from agent.arithmetic import sum_answer
from agent.bad_numbers import bad_numbers_answer
from agent.black_corners import NO_CORNERS, asks_to_crop_the_corners, corners_box, corners_not_cropped
from agent.box_size import asks_for_the_box_size, box_size_answer, found_size_answer, unmeasured
from agent.brightness import (
    asks_if_grey,
    asks_which_is_brighter,
    brightness_answer,
    grey_answer,
    grey_share,
    mean_brightness,
)
from agent.capabilities import (
    asks_about_lora,
    asks_what_it_can_do,
    asks_which_model,
    beyond_the_tools,
    blurs_all_but_a_part,
    capabilities_answer,
    load_hint,
    lora_answer,
    model_answer,
    without_parts_beyond_the_tools,
)
from agent.centring import centred_crop
from agent.detector_scope import (
    count_found_before,
    found_other_things,
    part_taken_note,
    which_has,
    which_has_unfound,
    with_scope_note,
)
from agent.every_upload import (
    asks_for_every,
    asks_which_says,
    earlier_uploads,
    edit_not_done,
    edit_not_on_each,
    every_finding,
    not_done_on,
    upload_not_done,
    which_was_read,
)
from agent.feedback import asked_before_answer, asks_about_the_last_turn, feedback_answer
from agent.file_names import as_presented, with_made_names, with_result_named, without_other_results
from agent.findings import held_to_findings, told_on
from agent.generative_requests import asks_only_that
from agent.handed_over import request_taken_up
from agent.head_as_face import as_the_face
from agent.image_facts import (
    ALREADY_SQUARE,
    FILE_SIZE_ANSWER,
    SAVED_ANSWER,
    SAVED_NAMED,
    SIZE_ANSWER,
    UNCHANGED,
    WHERE_ANSWER,
    amount_of_bytes,
    as_shape_answer,
    asks_for_orientation,
    asks_for_the_file_size,
    asks_for_the_images,
    asks_for_the_size,
    asks_for_their_sizes,
    asks_how_many_blurred,
    asks_how_much_it_changed,
    asks_if_blurred,
    asks_of_them_now,
    asks_to_compare,
    asks_to_save,
    asks_what_changed,
    asks_what_was_done,
    asks_what_was_just_done,
    asks_where_it_is,
    asks_which_is_bigger,
    blurred_answer,
    changes_answer,
    comparison_answer,
    done_answer,
    images_answer,
    name_to_save_as,
    orientation_answer,
    original_kept_answer,
    scaled_answer,
    sizes_answer,
    upload_order_answer,
    which_file_is,
    with_aspect_ratio,
)
from agent.image_reference import (
    NO_OTHER_IMAGE,
    asks_for_the_other_alone,
    asks_to_read,
    image_by_size,
    meant_image,
    on_the_newest_edit,
    original_by_content,
    outside_paths,
    photo_behind,
    photo_behind_for_a_later_map,
    refers_to_an_image,
    result_named,
    the_other_upload,
)
from agent.kept_size import size_not_keepable, size_not_kept, with_kept_size
from agent.language import only_english_answer
from agent.live_data import clock_answer, live_data_answer
from agent.margin import with_asked_margin
from agent.marking import (
    BOX_STYLE,
    NO_MARKER,
    WRITING_MARKED,
    it_finding,
    marked,
    marked_finding,
    marks_it,
    marks_the_writing,
    marks_what_is_found,
    restyles_the_marking,
    unmarked,
)
from agent.meant_call import (
    RESIZER,
    as_meant,
    as_same_size,
    as_square_crop,
    asks_for_an_unstated_size,
    map_not_made,
    named_but_not_run,
    needs_size,
    refused_but_loaded,
    resized_subject,
    size_not_made,
    square_not_made,
    squared_around_its_box,
    with_named_region,
    with_relative_size,
    with_the_original_size,
    without_made_up_tools,
)
from agent.memory import ConversationMemory
from agent.named_pair import images_named
from agent.negated_edits import without_negated_edits
from agent.opening_days import opening_answer
from agent.other_way import (
    further_the_same_way,
    other_way_not_run,
    rotation_answer,
    the_other_way,
    with_angle_told,
)
from agent.part_crops import crop_of_the_part
from agent.pending_edit import (
    BLURRER,
    BOX_REQUESTS,
    BOX_TOOLS,
    CROPPER,
    FINDER,
    NAMED_FINDER,
    as_found,
    asks_for,
    box_edit_unfound,
    faces_hidden_otherwise,
    invented_box,
    labelled_boxes,
    leaves_out,
    names_no_part,
    pending_box_edit,
    people_unfound,
    uncounted,
    unfound_box,
    zoom_onto_the_part,
    zoomed_in_more,
)
from agent.person_and_writing import blurs_answer, blurs_one_by_one, joined_answers
from agent.picture_questions import (
    ANSWERER,
    DESCRIBER,
    DETECTORS,
    answered_by,
    answering_tool,
    only_asks_what_it_shows,
    writes_about_the_picture,
)
from agent.plan_stand_ins import asked_but_not_loaded, missing_besides_the_answerer, stands_in
from agent.privacy import hides_what_is_personal, privacy_answer, private_parts
from agent.profile_picture import as_a_profile_picture
from agent.read_text import (
    READER,
    READING_TOOLS,
    as_the_writing,
    asks_about_writing,
    asks_of_the_reading,
    called_instead_of_reading,
    read_already,
    reads_unasked,
    unread_writing,
    words_read,
    words_untold,
)
from agent.redo import (
    blurred_again,
    corrected_image,
    less_of_the_last,
    lighter_blur,
    no_blur_to_strengthen,
    other_upload_hint,
    redone,
    replayed,
)
from agent.request_parts import asked_parts, request_parts
from agent.result_words import (
    declines,
    repeats_an_earlier_answer,
    repeats_the_listing,
    says_there_is_no_image,
    with_plural_agreement,
    with_result_noun,
)
from agent.several_edits import (
    ROTATOR,
    asked_edits,
    asked_first,
    edit_not_run,
    edit_out_of_order,
    edit_unasked,
    lone_edit_not_run,
    map_unasked,
    on_the_last_edit,
    reads_instead_of_editing,
    with_stated_angle,
    with_the_parts_size,
)
from agent.show_again import (
    BEFORE_AND_AFTER,
    FEWER_MADE,
    SHOWN,
    SHOWN_EACH,
    asks_for_before_and_after,
    asks_for_the_crops,
    asks_for_what_was_made,
    asks_to_see,
    asks_to_see_each,
    made_place,
)
from agent.small_talk import (
    asks_how_to_upload,
    farewell_answer,
    greeting_answer,
    handed_over_answer,
    joke_answer,
    reaction_answer,
)
from agent.stated_numbers import asks_for_square
from agent.text_parts import asked_part, part_text
from agent.text_region import (
    blur_of_another_thing,
    every_word_placed,
    not_placed,
    read_after_the_edit,
    read_before_the_edit,
    text_box,
    the_part_read,
    whole_text_box,
    with_margin,
    writing_box_tool,
    writing_edit_input,
)
from agent.tool_usage import asks_how_many_tools, count_answer, usage_answer
from agent.tool_words import edit_beyond_the_asked, image_beyond_the_search, named_by, tool_spoken_of
from agent.typed_words import as_spelled
from agent.undo import asks_to_undo, lineage, made_call, made_record, record_sources, undo
from agent.upload_contents import labels_found, labels_named, upload_showing
from agent.upload_names import the_upload_as_the_picture, upload_named, upload_named_for, which_is_answer
from agent.whereabouts import asks_where_the_writing_is, unlocated, whereabouts_answer, writing_whereabouts
from agent.word_questions import (
    answer_about_lines,
    answer_about_the_place,
    answer_about_words,
    answer_before_the_edits,
    part_read_before_the_edits,
)
from agent.words_only import asks_for_words, needs_no_picture, refuses_words, with_what_was_read
from generation.generator import TextGenerator
from generation.tool_calls import image_names
from modeling.memory import release_free_memory
from protocol.prompt import PromptTemplate, Turn, remembered_answer, size_description
from protocol.steps import (
    ACTION,
    ACTION_INPUT,
    AI,
    OBSERVATION,
    THOUGHT,
    THOUGHT_NO,
    THOUGHT_YES,
    FinalAnswer,
    ObservedStep,
    ParseError,
    ToolCall,
    parse_reply,
    split_arguments,
    without_loop,
    without_protocol,
    written_action,
)
from protocol.typos import without_typos
from tools.catalog import default_registry, map_operations
from tools.errors import ToolError
from tools.outputs import NO_OBJECT_FOUND, NO_TEXT_FOUND, TEXT_LABEL, Box, PlacedWord, draw_boxes
from tools.registry import ToolRegistry
from tools.runtime import Observation
from tools.spec import InputKind, OutputKind
from tools.workspace import IMAGE_DIR, made_from, upright_size

if TYPE_CHECKING:
    from tools.workspace import Workspace

logger = logging.getLogger(__name__)

DEFAULT_MAX_INPUT_CHARS = 2000
# Steps a turn may take: tool calls, answers, and the calls and answers the agent sets aside (a made-up box becomes
# a detection; an edit asked for first runs first). "Crop her face and rotate it 180" takes six: a crop on a made-up
# box set aside for Detection, the detection, a rotation set aside for the crop, the crop, the rotation, the answer;
# "find her face, crop it, make it 256 wide and show me the edges" takes eight.
DEFAULT_MAX_STEPS = 8
# The most conversation history a prompt holds, in tokens. The adapters were trained on prompts whose history
# held at most ~600 tokens (the demo split: prompts of 798 tokens on average, 1,194 at most, 598 of them the
# opening); late in a long session, with 1,000+ tokens of history, the small model answered "I don't have an
# image" with a photo just uploaded and presented files of earlier photos as new results.
DEFAULT_MAX_HISTORY_TOKENS = 512
KEPT_HISTORY_SHARE = 0.5  # of max_history_tokens, what the memory keeps once it outgrows them
# How to hand in an image in the web app; the terminal shows its own way instead (ui/terminal.py).
UPLOAD_HINT = "the Upload image button, or drag or paste it into the message box"
MADE_ANSWER = "Done: {tool} made {image}."
# "how do I upload a picture?" (the model answered "Please upload one first")
HOW_TO_UPLOAD = f'Use {UPLOAD_HINT}; then tell me what to do with the picture, for example "show me the edges".'
# The model said there is no image when there is one (asked "how do I blur the background in photoshop?")
NOT_ANSWERED = (
    "I could not answer that. Your image is here ({latest}), and I can work on it with the tools loaded: ask "
    '"what can you do?" to see them, or name an edit, for example "show me the edges".'
)
NOT_ANSWERED_NO_IMAGE = 'I could not answer that. Ask "what can you do?" to see the tools loaded.'
ALSO_MADE = "{tool} made {image}."
BLURRED_PART = "The {part} is blurred in {image}; where it is comes from the reading of {read}, before the blur."
NEEDS_IMAGE = f"That needs an image, and this conversation has none yet. Upload one ({UPLOAD_HINT}), then ask again."
CANNOT_SEE = (
    "I can't see images myself, and {tool} is not loaded, so I can't answer that about the picture here. "
    "Start the demo with --load {family}_cpu (or _cuda:0) where its weights are available."
)
CANNOT_SEE_TO_WRITE = (
    "I can't see images myself, and {tool} is not loaded, so I can't write that about the picture here. Tell me what "
    "it shows and I'll write it, or start the demo with --load {family}_cpu (or _cuda:0) where its weights are "
    "available."
)
NOT_LOADED = (
    "That needs {tool}, which is not loaded here, so I can't do it. Start the demo with --load {load} (_cuda:0 in "
    "place of _cpu on a GPU) where its weights are available."
)
STEPS_RAN_OUT = (
    "{tool} did not run: this turn used its {steps} steps. Ask for it again (or start with a larger --max_steps)."
)
PART_NOT_LOADED = (
    "{tool} is not loaded here, so that part of the request was not done: start the demo with --load {load} where "
    "its weights are available."
)
UNKNOWN_IMAGE = (
    "This conversation has no {name}; its images are: {images}. Name one of those, or upload the image "
    f"({UPLOAD_HINT}), then ask again."
)
MAX_IMAGES_LISTED = 5  # the latest ones
EXAMPLE_BOX_SIDE = 200  # NEEDS_BOX's example box, where the image's size cannot be read, is its half
GIVE_A_BOX = (
    'Give me the box in pixels as left, top, right, bottom{size}, for example "{example}", or name a part: "the top '
    'half", "the bottom-left quarter", "the middle".'
)
# A crop that names nothing to keep ("crop it")
NEEDS_PART = "{tool} needs to know which part of the picture to keep. " + GIVE_A_BOX
NEEDS_BOX = (
    "{tool} needs a box, and I can't find that in the picture here: the detector I have finds only faces, people "
    "and cats. " + GIVE_A_BOX
)
# "crop him out": what is dropped, and a crop keeps one rectangle
NEEDS_PART_KEPT = (
    "{tool} keeps one rectangle of the picture and drops the rest, so to crop something out I need the part to keep. "
    + GIVE_A_BOX
)
# After a search for the box found nothing
NO_BOX_FOUND = "So {tool} did not run: it needs a box. " + GIVE_A_BOX
# A resize to the size the image has is not run; the model reads this observation, and the answer holds it
NO_SUCH_RESULT = (
    "No {result} has been made in this conversation yet; {image}, the image now, is {width} x {height} pixels."
)
ALREADY_SIZED = "{image} is already {width} x {height} pixels, so Resize Image left it as it is."
# Shown in the streamed scratchpad where the agent sets the model's step aside and opens another (the model's words
# stay visible, so the person sees they were not acted on).
CALL_SET_ASIDE = "[not run]"
REPORTERS = frozenset(DETECTORS) | READING_TOOLS  # tools whose findings a later turn asks about (ChatSession.reports)
ANSWER_SET_ASIDE = "[not the answer: {tool} runs first]"
ASKED_ALONE = "[not the answer: the request asked again on its own]"
OUTSIDE_PATH = (
    "I can only open images in this conversation, and {path!r} is a path outside it. Upload the image "
    f"({UPLOAD_HINT}), then ask again."
)


class ToolRunner(Protocol):
    """What the loop needs of ``tools.runtime.ToolRuntime`` (whose ``run`` never raises)."""

    available: ToolRegistry

    def run(self, tool_name: str, action_input: str, workspace: Workspace) -> Observation: ...


@dataclass
class ChatSession:
    """One conversation: its files (a workspace of its own), its memory and the images handed in (name ->
    description, for plan mode's planner prompt).

    ``latest_image`` is the image the conversation last brought up (the latest upload or the latest tool
    output the model saw): the one "it" most likely means in the next message. ``made_from``: each tool output's
    source image, for undo (agent/undo.py); ``made_by``: the call that made it (``Tool: input``, agent/other_way.py);
    ``undone``: the images an undo went back from. ``file_names``: each
    upload's name as the person's file had it. ``last_call``: the first call that succeeded in the last turn that
    ran one, whose request was ``last_request``, and ``last_steps`` the calls of that turn that succeeded
    (agent/redo.py); ``last_made``: the images the last turn that made
    any made, oldest first (undone together when it worked on several uploads). ``turn_request`` and ``turn_steps``:
    the request of the last turn the model or the agent answered and its calls, failed ones too, and ``last_answer``
    that turn's answer (agent/feedback.py).
    """

    workspace: Workspace
    memory: ConversationMemory = field(default_factory=ConversationMemory)
    turns: int = 0
    images: dict[str, str] = field(default_factory=dict)
    latest_image: str | None = None
    made_from: dict[str, str] = field(default_factory=dict)
    made_by: dict[str, str] = field(default_factory=dict)
    file_names: dict[str, str] = field(default_factory=dict)
    undone: set[str] = field(default_factory=set)
    reports: tuple[TraceStep, ...] = ()
    last_call: ToolCall | None = None
    last_request: str = ""
    last_made: tuple[str, ...] = ()
    last_steps: tuple[TraceStep, ...] = ()
    turn_request: str = ""
    turn_steps: tuple[TraceStep, ...] = ()
    last_answer: str = ""
    readings: tuple[TraceStep, ...] = ()  # every reading of the conversation, oldest first
    waiting_for_image: str = ""  # the request last answered with NEEDS_IMAGE (agent/handed_over.py)
    shows: dict[str, frozenset[str]] = field(default_factory=dict)  # upload -> detector labels (upload_contents.py)
    placed: dict[str, tuple[PlacedWord, ...]] = field(default_factory=dict)  # image -> its last reading's words

    def record_made(self, made: Sequence[str], call: ToolCall) -> None:
        """Record that ``call`` made the images ``made``: their source (the call's first image) and the call."""
        record_sources(self.made_from, made, image_names(call.action_input))
        self.made_by.update(dict.fromkeys(made, made_record(call)))


@dataclass(frozen=True)
class ImageReceived:
    """An image taken into a session: its name there, its description and its size before and after."""

    name: str
    description: str
    original_size: tuple[int, int]
    size: tuple[int, int]

    @property
    def downscaled(self) -> bool:
        return self.size != self.original_size


@dataclass(frozen=True)
class TraceStep:
    """One step of a turn as the trace shows it; ``action`` is empty for a reply that did not parse.
    ``model_call``: what the model wrote where the agent ran this call instead: its own call (``Tool: input``,
    agent/meant_call.py) or an answer given before the asked edit was done (``AI: ...``, agent/pending_edit.py).
    ``note``: the tool's sentence for the person, not the model (``Observation.note``).
    """

    index: int
    thought: str
    action: str
    action_input: str
    observation: str
    ok: bool
    files: tuple[str, ...] = ()
    llm_seconds: float = 0.0
    tool_seconds: float = 0.0
    model_call: str = ""
    note: str = ""


@dataclass(frozen=True)
class TextChunk:
    """A piece of the model's text for step ``step`` (1-based), as it is generated."""

    step: int
    text: str


@dataclass(frozen=True)
class StepTaken:
    """A step that did not end the turn: a tool call and its observation, or a rejected reply."""

    step: TraceStep


@dataclass(frozen=True)
class Reply:
    """The end of a turn: the answer, the images to show and whether the model finished on its own.

    ``corrected``: the model answered, but the agent rewrote or extended the answer (e.g. it announced a
    result after a failed tool call), so the text differs from what was streamed; ``model_answer`` then holds
    the model's own words. ``stopped``: the turn was cancelled. ``by_agent``: the agent gave the whole answer
    itself, before the model ran or instead of letting it go on ("upload an image", a refused path or message,
    the loaded tools), so the model did not finish but the turn is complete. ``model_call``: the call the model
    wrote where the agent had the turn answered in words instead (a request for words alone, agent/words_only.py).
    """

    text: str
    files: tuple[str, ...]
    steps: tuple[TraceStep, ...]
    finished: bool
    corrected: bool = False
    stopped: bool = False
    model_answer: str = ""
    by_agent: bool = False
    model_call: str = ""


AgentEvent = TextChunk | StepTaken | Reply


def _numbered_on(reply: Reply, offset: int) -> Reply:
    """``reply`` with its steps numbered from ``offset`` on (the second of a turn's parts run one after the other)."""
    return replace(reply, steps=tuple(replace(step, index=step.index + offset) for step in reply.steps))


@dataclass(frozen=True)
class RejectedReply:
    """A reply that did not follow the protocol, with the observation that says why."""

    text: str
    observation: str

    def render(self) -> str:
        return f"{self.text.rstrip()}\n{OBSERVATION} {self.observation}\n"


def token_counter(tokenizer: Any) -> Callable[[str], int]:
    """Count tokens as ``tokenizer`` does (no special tokens)."""
    return lambda text: len(tokenizer(text, add_special_tokens=False)["input_ids"])


class Agent:
    """Drives one model over the loaded tools; holds no per-session state (see :class:`ChatSession`)."""

    def __init__(
        self,
        llm: TextGenerator,
        runtime: ToolRunner,
        template: PromptTemplate,
        tokenizer: Any,
        *,
        context_length: int,
        max_steps: int = DEFAULT_MAX_STEPS,
        max_new_tokens: int = 128,
        max_input_chars: int = DEFAULT_MAX_INPUT_CHARS,
        max_history_tokens: int = DEFAULT_MAX_HISTORY_TOKENS,
        identity: str = "",
    ) -> None:
        if max_steps < 1:
            raise ValueError(f"max_steps must be at least 1, got {max_steps}")
        if context_length <= max_new_tokens:
            raise ValueError(f"context_length ({context_length}) must exceed max_new_tokens ({max_new_tokens})")
        self.llm = llm
        self.runtime = runtime
        self.template = template
        self.tokenizer = tokenizer
        self.count_tokens = token_counter(tokenizer)
        self.context_length = context_length
        self.max_steps = max_steps
        self.max_new_tokens = max_new_tokens
        if max_input_chars < 1:
            raise ValueError(f"max_input_chars must be at least 1, got {max_input_chars}")
        self.max_input_chars = max_input_chars
        if max_history_tokens < 0:
            raise ValueError(f"max_history_tokens must not be negative, got {max_history_tokens}")
        self.max_history_tokens = max_history_tokens
        self.identity = identity  # which model answers, for "what model are you?"
        self.image_tools = frozenset(
            spec.name for spec in runtime.available if any(i.kind is InputKind.IMAGE for i in spec.inputs)
        )

    def warm_up(self) -> int:
        """Put the opening every first turn shares (persona, tools, format) through the model once, so the first
        turn after start-up finds it in the generator's prefix cache instead of prefilling it; returns its length in
        tokens."""
        opening = self._bare_prompt(list(self.runtime.available), "", "")
        for _ in self.llm.stream(opening, max_new_tokens=1):
            pass
        return self.count_tokens(opening)

    # ----------------------------------------------------------------- images
    def introduce_image(self, session: ChatSession, image: Any, file_name: str = "") -> ImageReceived:
        """Save an uploaded image (a PIL image, a path or the file's bytes) into the session's workspace,
        describe it and remember it, with the name the person's file had (``file_name``, else a path's own; what
        a request may call it by: agent/upload_names.py). Invalid images raise the workspace's error unchanged."""
        name = session.workspace.add_image(image)
        file_name = file_name or (PurePath(image).name if isinstance(image, str | PurePath) else "")
        if file_name:
            session.file_names[name] = file_name
        original = _original_size(image)
        description = self._describe(name, session.workspace)
        session.memory.add_image(self.template.introduce_image(name, description), name)
        session.images[name] = description
        session.latest_image = name
        self._trim_memory(session)
        from PIL import Image

        with Image.open(session.workspace.resolve(name)) as stored:
            size = stored.size
        return ImageReceived(name, description, original or size, size)

    def _describe(self, name: str, workspace: Workspace) -> str:
        if DESCRIBER in self.runtime.available:
            observation = self._run_tool(ToolCall("", DESCRIBER, name), workspace)
            if observation.ok:
                return observation.text.strip()
            logger.warning("could not caption %s: %s", name, observation.text)
        from PIL import Image

        with Image.open(workspace.resolve(name)) as image:
            return size_description(image.width, image.height)

    # ----------------------------------------------------------------- the loop
    def input_problem(self, user_input: str) -> str | None:
        """Why ``user_input`` cannot be taken as a message (over the length limit), or ``None``."""
        if len(user_input) > self.max_input_chars:
            return (
                f"Your message is {len(user_input):,} characters long; the limit is {self.max_input_chars:,}. "
                "Shorten it, or send it in several messages."
            )
        return None

    def run(self, session: ChatSession, user_input: str, cancel: threading.Event | None = None) -> Iterator[AgentEvent]:
        """Answer ``user_input``, yielding the model's text as it comes, each step, then the reply.

        Setting ``cancel`` stops the turn at the next token or step boundary with a reply that says so.
        """
        try:
            user_input = self.taken_up(session, user_input)
            kept, beyond = without_parts_beyond_the_tools(
                user_input, has_image=session.latest_image is not None, loaded=self.runtime.available.names
            )
            latest = session.latest_image
            parts = blurs_one_by_one(kept) if latest is not None else None
            summary = blurs_answer(parts) if parts else None
            if latest is not None and not parts and hides_what_is_personal(kept):
                # a map's faces are the photo's: "hide anything personal" after a sketch blurs the photo behind it
                shown = [*session.images, *self.shown_images(session)]
                parts = private_parts(photo_behind(latest, kept, map_operations(), shown) or latest)
                summary = privacy_answer
            turn = (
                self._one_by_one(session, kept, parts, cancel, summary) if parts else self._turn(session, kept, cancel)
            )
            for event in turn:
                if isinstance(event, Reply) and session.latest_image is None and says_there_is_no_image(event.text):
                    session.waiting_for_image = user_input  # NEEDS_IMAGE, or the model's own words for it
                if isinstance(event, Reply) and not asks_about_the_last_turn(kept):
                    session.last_answer = event.text
                yield self._told_beside(session, user_input, kept, event, beyond) if beyond else event
        finally:
            release_free_memory()  # a long-running server gives back what the turn freed (modeling/memory.py)

    def _one_by_one(
        self,
        session: ChatSession,
        request: str,
        parts: Sequence[str],
        cancel: threading.Event | None,
        summary: Callable[[Sequence[TraceStep]], str] | None = None,
    ) -> Iterator[AgentEvent]:
        """The turns of ``request``'s ``parts``, one after the other (agent/person_and_writing.py), as one turn: their
        steps numbered on, their replies on lines of their own and remembered as the answer to ``request``, or
        ``summary`` of all their steps in their place (agent/privacy.py, agent/person_and_writing.py)."""
        replies: list[Reply] = []
        remembered: list[str] = []
        exchanges: list[str] = []  # the parts whose exchange the conversation holds until the whole is remembered
        offset = 0
        for part in parts:
            last = offset
            if replies:  # the next part's text on a line of its own
                yield TextChunk(offset + 1, "\n")
            for event in self._turn(session, part, cancel):
                if isinstance(event, Reply):
                    replies.append(_numbered_on(event, offset))
                    # the next part sees this one's exchange, its result by name ("blur the top half and the bottom
                    # half": the second blur had been written on the image before the first)
                    remembered_now = session.memory.said[-1:] == [part]
                    remembered.append(session.memory.turns[-1].text if remembered_now else event.text)
                    exchanges += [part] if remembered_now else []
                elif isinstance(event, TextChunk):
                    last = max(last, event.step + offset)
                    yield replace(event, step=event.step + offset)
                else:
                    last = max(last, event.step.index + offset)
                    yield StepTaken(replace(event.step, index=event.step.index + offset))
            offset = last
            if replies and replies[-1].stopped:
                break
        for part in reversed(exchanges):
            session.memory.forget_last_exchange(part)
        session.turns -= len(replies) - 1
        steps = tuple(step for reply in replies for step in reply.steps)
        summed = summary(steps) if summary and not any(reply.stopped for reply in replies) else ""
        session.memory.add_exchange(request, summed or " ".join(remembered))
        session.turn_request, session.turn_steps = request, tuple(step for step in steps if step.action)
        made = tuple(name for reply in replies for name in reply.files if name in session.made_from)
        session.last_made = made or session.last_made  # "what did you just do?" tells every part's images
        yield Reply(
            summed or joined_answers([reply.text for reply in replies]),
            tuple(dict.fromkeys(name for reply in replies for name in reply.files)),
            steps,
            all(reply.finished for reply in replies),
            any(reply.corrected for reply in replies),
            any(reply.stopped for reply in replies),
            " ".join(reply.model_answer for reply in replies if reply.model_answer),
            all(reply.by_agent for reply in replies),
            next((reply.model_call for reply in replies if reply.model_call), ""),
        )

    def _asked_work_done(self, request: str, tool: str, trace: Sequence[TraceStep]) -> bool:
        """Whether a later call of ``tool`` would go past what ``request`` asks, which this turn's steps (``trace``)
        did: a detector after the reading asked for, a reading, a map or an edit nobody asked for
        (agent/read_text.py, agent/several_edits.py, agent/tool_words.py)."""
        called = [taken.action for taken in trace]
        loaded = self.runtime.available
        return (
            read_already(request, tool, trace)
            or reads_unasked(request, tool, trace)
            or map_unasked(request, tool, called, loaded)
            or edit_unasked(request, tool, called, loaded)
            or edit_beyond_the_asked(request, tool, called, loaded)
            or image_beyond_the_search(request, tool, called, loaded)
            or self._edit_beyond_the_marking(request, tool, called)
        )

    def _edit_beyond_the_marking(self, request: str, tool: str, called: Sequence[str]) -> bool:
        """Whether a box edit ``tool`` follows the detection that marks what ``request`` asks to mark, which names no
        edit: asked to "draw a box around it" after "detect the cat", the model blurred the cat once it was found."""
        asks_to_mark = marks_it(request) or marked(request) is not None
        return (
            asks_to_mark
            and tool in BOX_TOOLS
            and FINDER in called
            and not named_by(request, tool, self.runtime.available)
        )

    def _later_resize(self, session: ChatSession, request: str, call: ToolCall) -> ToolCall:
        """A later resize of a turn at the size ``request`` asks for relative to its image, or its part's size
        (agent/several_edits.py); ``call`` for another tool or when it asks for none (a resize nobody asked for then
        meets the rule for edits beyond the asked: asked to "rotate it by 45 degrees but keep it the same size", the
        model also resized the photo to 45 x 2)."""
        if call.tool != RESIZER:
            return call
        resized = with_relative_size(call, request, self.runtime.available, partial(image_size, session.workspace))
        return with_the_parts_size(resized, request) if resized == call else resized

    def _corners_of_the_rotation(
        self, session: ChatSession, request: str, trace: Sequence[TraceStep]
    ) -> ToolCall | None:
        """The crop of the black corners of the turn's last rotation when ``request`` asks for it ("rotate it 30
        degrees and crop out the black corners": agent/black_corners.py); ``None`` otherwise."""
        made = (step.files[-1] for step in reversed(trace) if step.ok and step.action == ROTATOR and step.files)
        rotated = next(made, None)
        size = partial(image_size, session.workspace)
        box = corners_box(request, rotated, session.made_by, size) if rotated else None
        return ToolCall("", CROPPER, ", ".join([rotated, *map(str, box)])) if rotated and box else None

    def _later_named_region(
        self, session: ChatSession, request: str, call: ToolCall, trace: Sequence[TraceStep]
    ) -> ToolCall:
        """A later box call of a turn with the box of the part its own part of ``request`` names by its place
        (:func:`agent.meant_call.with_named_region` on that part alone: "crop the top half and blur the face" blurs
        no half; a box the turn found stands for "blur it"); ``call`` when no single part asks for its tool."""
        if call.tool not in BOX_REQUESTS:
            return call
        parts = [part for part in request_parts(request) if asks_for(call.tool, part)]
        if len(parts) != 1:
            return call
        size = partial(image_size, session.workspace)
        return with_named_region(call, parts[0], self.runtime.available, size, self.shown_text(session, trace))

    @staticmethod
    def taken_up(session: ChatSession, user_input: str) -> str:
        """The request to answer for ``user_input``: the one that waited for an image when ``user_input`` only hands
        it over (agent/handed_over.py), with shorthand and slips of the keyboard set right (protocol/typos.py), "it"
        spelled as the part of the writing the last reading was asked for (agent/text_region.py),
        contractions typed without their apostrophe written out (agent/typed_words.py), clauses that only say not to
        blur or crop left out (agent/negated_edits.py), a profile picture asked as the square crop around the face
        (agent/profile_picture.py) and a head as the face (agent/head_as_face.py); the wait ends either way."""
        user_input = without_negated_edits(as_spelled(without_typos(user_input)))
        last_tool = session.last_call.tool if session.last_call else ""
        # "blur it": the number asked for, by the last turn too when it was answered from that reading ("which one
        # has a phone number?", then "blur it on that one" had blurred the whole sign)
        answered = "" if session.turn_steps else session.turn_request
        user_input = the_part_read(the_part_read(user_input, answered, last_tool), session.last_request, last_tool)
        blurred = any(step.action == BLURRER for step in session.last_steps)
        user_input = blur_of_another_thing(user_input, blurred)  # "and her face too" after a blur
        cropped = made_call(session.made_by, session.latest_image).tool == CROPPER
        user_input = zoom_onto_the_part(user_input, cropped)  # "make her face bigger" of the whole photo
        user_input = as_a_profile_picture(user_input)  # the square around the face (agent/profile_picture.py)
        user_input = as_the_face(user_input)  # "crop her head": the face with some margin (agent/head_as_face.py)
        if session.latest_image is not None:  # "crop the rocket to a square" of rocket.png: of the photo
            upload = lineage(session.latest_image, session.made_from)[-1]
            user_input = the_upload_as_the_picture(user_input, session.file_names.get(upload))
        if session.latest_image is not None and not asks_for_words(session.turn_request):
            user_input = as_the_writing(user_input)  # "translate it": the picture's writing, not the last words
        request = request_taken_up(user_input, session.waiting_for_image, session.latest_image is not None)
        if request != user_input:
            logger.info("%r hands the image over: %r, which waited for it, is answered", user_input, request)
        session.waiting_for_image = ""
        return request

    @staticmethod
    def _told_beside(
        session: ChatSession, request: str, kept: str, event: AgentEvent, beyond: Sequence[str]
    ) -> AgentEvent:
        """``event``, the reply to the parts of ``request`` a tool here does (``kept``), followed by the answers to
        the parts no tool does (``beyond``: agent/capabilities.py), remembered as the answer to ``request``: asked
        to "flip it and show me the edges", the model rotated the photo by 176 degrees and drew nothing."""
        if not isinstance(event, Reply):
            return event
        remembered = session.memory.turns[-1].text if session.memory.turns else event.text
        if session.memory.forget_last_exchange(kept):
            session.memory.add_exchange(request, with_notes(remembered, beyond))
        return replace(event, text=with_notes(event.text, beyond))

    def _turn(self, session: ChatSession, user_input: str, cancel: threading.Event | None) -> Iterator[AgentEvent]:
        problem = self.input_problem(user_input)
        if problem:
            yield Reply(problem, (), (), False, by_agent=True)
            return
        session.turns += 1
        shown = (
            self._lighter_blur(session, user_input)
            or self._undo(session, user_input)
            or self._show_again(session, user_input)
            or self._mark_the_writing(session, user_input)
        )
        if shown:
            yield shown
            return
        # the opening of the next step when the agent writes it (agent/redo.py): before the answers the agent gives
        # itself, which read "blur it more" as a blur without a box
        redo, replaying = self._redo(session, user_input)
        # "crop to the sign": the reading first, which places the text (agent/text_region.py)
        on_writing = None if redo else self._writing_edit(session, user_input)
        readings = self._readings_for(session, user_input) if on_writing else []
        answer = None if redo or readings else self.answer_before_the_model(session, user_input)
        if answer:
            if not asks_about_the_last_turn(user_input):  # "why?" after a refusal asks why it was refused
                session.turn_request, session.turn_steps = user_input, ()
            yield Reply(answer, (), (), False, by_agent=True)
            return
        redo = redo or (readings.pop(0) if readings else None)
        writing_step = bool(on_writing and redo)  # the next step is one the writing edit wrote
        cancel = cancel or threading.Event()
        specs = list(self.runtime.available)
        scratch: list[ObservedStep | RejectedReply] = []
        trace: list[TraceStep] = []
        if not specs:
            yield self._finish(session, user_input, "No tools are loaded, so I cannot work on images.", trace, False)
            return
        forced = f"{_opened_step(redo.tool)} {redo.action_input}" if redo else ""
        if forced:
            yield TextChunk(1, forced)
        overruled = ""  # what the model wrote instead of the call the agent runs next
        agent_call = redo  # the call the agent wrote for the next step, which runs as written
        every_on = ""  # the upload the agent opened the next call on, as the request asks for every upload
        replay_note = ""  # why the last turn's calls were not all done again (agent/redo.py)
        blurred_note = ""  # the part of the writing edited is blurred: placed by the reading before the blur
        unplaced = None  # the box tool asked for on writing that the reading did not place
        why = ""  # what the reading lacked for it
        read_at: dict[str, tuple[int, int, int, int]] = {}  # the box of the text each reading this turn placed
        size_notes: list[str] = []  # resizes not run: the image already had that size
        asked_alone = False  # the request asked again without the conversation (a refused request for words)
        for index in range(1, self.max_steps + 1):
            scratchpad = self.template.render_scratchpad(scratch) + forced
            prompt = (
                self._words_prompt(with_what_was_read(user_input, self._words_read(session)))
                if asked_alone
                else self._prompt(session, specs, user_input, scratchpad)
            )
            if prompt is None:
                message = (
                    f"I stopped after {index - 1} step(s): the conversation no longer fits the model's context "
                    f"of {self.context_length} tokens. Start a new session or ask for one thing at a time."
                )
                yield self._finish(session, user_input, message, trace, False)
                return
            started = time.perf_counter()
            text = ""
            with closing(self.llm.stream(prompt, self.max_new_tokens)) as pieces:
                for piece in pieces:
                    text += piece
                    yield TextChunk(index, piece)
                    if OBSERVATION in text or cancel.is_set() or self._answered(forced + text):
                        break
                    if self._needs_missing_image(session, text):  # before it writes arguments for no image
                        break
            llm_seconds = time.perf_counter() - started
            text, forced = forced + text, ""
            if cancel.is_set():
                yield self._stopped(session, user_input, trace)
                return
            if self._needs_missing_image(session, text):
                if not trace and not asked_alone and index < self.max_steps and needs_no_picture(user_input):
                    # "write a short email to my landlord": words, which need no picture (agent/words_only.py)
                    asked_alone, forced = True, f"{_opened_answer()} "
                    logger.info("a request for words alone with no image; the model's call gives way to an answer")
                    yield TextChunk(index + 1, f" {CALL_SET_ASIDE}\n{forced}")
                    continue
                yield _needs_image(trace)
                return
            step = parse_reply(text)
            if not isinstance(step, FinalAnswer) and self._nothing_works_without_image(session):
                yield _needs_image(trace)  # a bad reply has nothing to recover to
                return
            if isinstance(step, FinalAnswer):
                said = self._clean_answer(step.answer)
                versions = self._versions(session, trace)
                unfound = partial(box_edit_unfound, available=self.runtime.available.names)
                every = (
                    upload_not_done(user_input, trace, list(session.images), versions)
                    or edit_not_done(user_input, trace, list(session.images), unfound, versions)
                    or not_done_on(trace, self._pair_named(session, user_input))
                )  # "... of the original and of the crop": on the other one too
                if every and index < self.max_steps:  # "... from both": the same call on the next upload
                    forced, overruled = f"{_opened_step(every[0])} {every[1]}", f"{AI} {said}"
                    every_on = every[1]
                    logger.info("%s runs on %s too, as the request asks for every upload", *every)
                    yield TextChunk(index + 1, f" {ANSWER_SET_ASIDE.format(tool=every[0])}\n{forced}")
                    continue
                undone = self._undone_step(session, user_input, said, trace)
                if undone and index < self.max_steps:  # answered before the asked edit or reading was done
                    forced = _opened_step(undone)
                    overruled = f"{AI} {said}"
                    logger.info("the model answered before %s ran (%r); the turn goes on with it", undone, said)
                    yield TextChunk(index + 1, f" {ANSWER_SET_ASIDE.format(tool=undone)}\n{forced}")
                    continue
                if session.latest_image is None and image_names(said):  # names an image that cannot exist
                    yield _needs_image(trace, said)
                    return
                if repeats_the_listing(said, specs):
                    logger.info("the model read the tool listing back (%r)", said)
                    latest = session.latest_image
                    wrong = NOT_ANSWERED.format(latest=latest) if latest else NOT_ANSWERED_NO_IMAGE
                    yield self._finish(session, user_input, wrong, trace, True, model_answer=said)
                    return
                alone = not (trace or asked_alone) and index < self.max_steps
                alone = alone and (session.latest_image is not None or needs_no_picture(user_input))
                if alone and refuses_words(user_input, said):
                    # the conversation's images and tools had talked the model out of writing: ask it alone
                    asked_alone, forced, overruled = True, f"{_opened_answer()} ", f"{AI} {said}"
                    logger.info(
                        "the model refused a request for words (%r); asked again without the conversation", said
                    )
                    yield TextChunk(index + 1, f" {ASKED_ALONE}\n{forced}")
                    continue
                if session.latest_image is not None and not trace and says_there_is_no_image(said):
                    logger.info("the model said there is no image (%r); %s is", said, session.latest_image)
                    wrong = NOT_ANSWERED.format(latest=session.latest_image)
                    yield self._finish(session, user_input, wrong, trace, True, model_answer=said)
                    return
                missing = self._missing_answerer(session, user_input, said, trace)
                if missing:  # the model answered a question about the picture that no tool looked at
                    yield self._finish(session, user_input, missing, trace, True, model_answer=said)
                    return
                model_said = said
                found = [taken.observation for taken in trace if taken.ok]
                answers = [turn.text for turn in session.memory.turns if turn.role == "ai"]
                if found and repeats_an_earlier_answer(said, answers, found):
                    # "put a box around her face" ran Detection and was answered "I found no writing ..." again
                    logger.info("the model gave an earlier turn's answer again (%r)", said)
                    said = _empty_finding(trace) or f"Done{_done_so_far(trace, 'steps')}."
                made = [name for taken in trace for name in taken.files]
                answer = with_made_names(said, made, lambda name: self._exists(session.workspace, name))
                seen = list(dict.fromkeys(name for taken in trace for name in taken.files if name in taken.observation))
                if len(seen) == 1 and trace[-1].ok:  # the one result the model saw is the file its answer presents
                    told = any(taken.ok and taken.observation and not image_names(taken.observation) for taken in trace)
                    answer = as_presented(with_result_named(answer, seen[0]), seen[0], words_observed=told)
                    answer = without_other_results(answer, seen[0], user_input)
                    answer = with_plural_agreement(self._with_maker_noun(answer, seen[0], trace))
                if trace and trace[-1].ok:  # the words a reading tool found, as it read them; what a detector can find
                    last = trace[-1]
                    on = next(iter(image_names(last.action_input)), "")
                    placed = session.placed.get(on, ())
                    answer = held_to_findings(
                        answer, user_input, last.action, last.observation, last.note, image=on, placed=placed
                    )
                answer = (
                    self._whereabouts(session, user_input, trace)
                    or self._writing_whereabouts(session, user_input, trace, read_at)
                    # "how big is the cat in the photo?": the box this turn's detection found, measured
                    or found_size_answer(user_input, trace, partial(image_size, session.workspace))
                    or answer
                )
                which = self._found_on_each(session, user_input, trace)
                not_on = edit_not_on_each(user_input, trace, list(session.images), unfound, versions)
                which = with_notes(which, not_on) if which and not_on else which  # "blur the face in both" of a cat
                earlier = "" if which else earlier_uploads(user_input, trace, list(session.images), answer, versions)
                answer = which or (f"{answer.rstrip()} {earlier}" if earlier else answer)
                answer = with_angle_told(answer, user_input, trace)  # an angle the request left to the agent
                unboxed = box_edit_unfound(user_input, trace, self.runtime.available.names) or unplaced
                if unboxed:  # the box asked for of the image the detector searched ("blur the cat's face": the cat)
                    search = next(
                        (t for t in reversed(trace) if t.action in DETECTORS and image_names(t.action_input)), None
                    )
                    searched = image_names(search.action_input)[0] if search else ""
                    if search and search.ok:  # what it found instead ("zoom in on the face": a cat)
                        answer = found_other_things(answer, user_input, search.observation, searched)
                    answer = f"{answer.rstrip()} {self._needs_box(session, unboxed, NO_BOX_FOUND, searched)}"
                checked, kept = self._checked_answer(answer, trace, asked_edits(user_input, self.runtime.available))
                hint = "" if kept else self._other_upload(session, user_input, trace)
                checked = with_notes(checked, [hint]) if hint else checked  # a failure on one of several uploads
                several = (
                    asked_parts(user_input) > 1
                    or asks_for_every(user_input, list(session.images))
                    or len(asked_edits(user_input, self.runtime.available)) > 1  # "both the edges and the lines"
                    or bool(self._pair_named(session, user_input))  # "the edges of the original and of the crop"
                )
                checked = with_every_result(checked, trace) if several else checked
                untold = words_untold(checked, user_input, trace)  # "read the sign and blur the phone number"
                checked = with_notes(checked, [untold]) if untold else checked
                checked = self._with_parts_not_loaded(without_made_up_tools(checked, default_registry()), user_input)
                if undone:  # the asked work left, with no step left to do it
                    checked = f"{checked.rstrip()} {STEPS_RAN_OUT.format(tool=undone, steps=self.max_steps)}"
                # "crop the cat's face": the detector's cat; "crop the person" after "detect the person": a face
                part_taken = part_taken_note(user_input, trace) or part_taken_note(
                    user_input, [*session.reports, *trace]
                )
                checked = with_notes(checked, [part_taken]) if part_taken else checked
                if replay_note:  # "do the same to the cat photo": the face to blur was not found there
                    checked = with_notes(checked, [replay_note])
                if blurred_note and any(step.action == on_writing and step.ok for step in trace):
                    checked = with_notes(checked, [blurred_note])
                unkept = size_not_keepable(
                    user_input, trace, self.runtime.available, partial(image_size, session.workspace)
                )
                notes = [*size_notes, *([unkept] if unkept else [])]
                if size_notes and not any(taken.ok and taken.files for taken in trace):
                    checked = " ".join(notes)  # "Done! I saved the resized image as" a resize that did not run
                else:
                    checked = with_notes(checked, notes)
                named_in = answer if kept else ""
                yield self._finish(
                    session,
                    user_input,
                    checked,
                    trace,
                    True,
                    named_in=named_in,
                    model_answer=model_said if checked != model_said else "",
                    model_call=overruled,
                )
                return
            if isinstance(step, ToolCall):
                instead = self._instead_of_a_stand_in(user_input, step, trace)
                if instead and index < self.max_steps:
                    forced, overruled = instead, f"{step.tool}: {step.action_input}"
                    logger.info("%s stands in for a tool that is not loaded; it is not run", step.tool)
                    yield TextChunk(index + 1, f" {CALL_SET_ASIDE}\n{forced}")
                    continue
                if agent_call:  # the agent wrote this call (agent/redo.py): it runs as written
                    step = replace(step, tool=agent_call.tool, action_input=agent_call.action_input)
                elif not any(taken.action for taken in trace):  # the turn's first call: held to what was asked
                    written, (step, opening) = step, self._first_call(session, user_input, step)
                    if opening and index < self.max_steps:
                        forced, overruled = opening, f"{written.tool}: {written.action_input}"
                        yield TextChunk(index + 1, f" {CALL_SET_ASIDE}\n{forced}")
                        continue
                    if step != written:
                        overruled = f"{written.tool}: {written.action_input}"
                elif index < self.max_steps and (
                    waiting := edit_out_of_order(user_input, step.tool, trace, self.runtime.available)
                ):  # "crop her face and rotate it 180": the crop before the rotation (agent/several_edits.py)
                    forced, overruled = _opened_step(waiting), f"{step.tool}: {step.action_input}"
                    logger.info("%s is asked for before %s; it runs first", waiting, step.tool)
                    yield TextChunk(index + 1, f" {CALL_SET_ASIDE}\n{forced}")
                    continue
                elif (
                    kept := with_kept_size(
                        step, user_input, trace, self.runtime.available, partial(image_size, session.workspace)
                    )
                ) != step:  # "rotate it 45 degrees but keep the same size": the middle at the size it had
                    overruled, step = f"{step.tool}: {step.action_input}", kept
                elif (resized := self._later_resize(session, user_input, step)) != step:
                    # a later resize, as "make it bigger and rotate it" asks (agent/several_edits.py)
                    overruled, step = f"{step.tool}: {step.action_input}", resized
                elif step.tool == CROPPER and (cornered := self._corners_of_the_rotation(session, user_input, trace)):
                    # "rotate it 30 degrees and crop out the black corners": the corners of the rotation just made
                    overruled, step = f"{step.tool}: {step.action_input}", cornered
                elif (boxed := self._later_named_region(session, user_input, step, trace)) != step:
                    # a later crop of a part named by its place: "rotate it 90 degrees and then crop the center"
                    overruled, step = f"{step.tool}: {step.action_input}", boxed
                elif step.tool == ROTATOR and (turned := with_stated_angle(step, user_input)) != step:
                    # a later rotation, as "crop her face and rotate it 180" asks
                    overruled, step = f"{step.tool}: {step.action_input}", turned
                elif index < self.max_steps and self._asked_work_done(user_input, step.tool, trace):
                    forced, overruled = _opened_answer(), f"{step.tool}: {step.action_input}"
                    logger.info("the asked work was done; %s is not run and the model answers", step.tool)
                    yield TextChunk(index + 1, f" {CALL_SET_ASIDE}\n{forced}")
                    continue
                if any(taken.action for taken in trace):  # a later call: on the upload its part of the request names
                    named = self._map_on_the_photo(session, user_input, step, trace)
                    named = self._on_the_named_upload(session, user_input, named, trace)
                    named = self._not_undone(session, user_input, named)
                    if named != step:
                        overruled, step = overruled or f"{step.tool}: {step.action_input}", named
                as_written = agent_call is not None  # the agent's own call keeps its box and image
                if as_written:
                    found = step
                elif every_on and image_names(step.action_input)[:1] == (every_on,):
                    # an edit the agent opened on the next upload: its box is the one found there (the model copied
                    # the box found on the other, which moved the blur back onto that one)
                    searched = [taken for taken in trace if image_names(taken.action_input)[:1] == (every_on,)]
                    found = as_found(user_input, step, "", searched)
                else:
                    shown = self.shown_text(session, trace)
                    found = as_found(user_input, step, shown, trace, session.reports)
                    found = self._found_on_an_older_version(session, step, found)
                every_on = ""
                # "with some margin", then "crop to the cat and make it square": the square around the box (once the
                # box is the cat's) and its room
                boxes = {
                    box
                    for taken in [*session.reports, *trace]
                    if taken.ok and taken.action in DETECTORS
                    for _, box in labelled_boxes(taken.observation)
                }
                found = with_asked_margin(found, user_input, partial(image_size, session.workspace), boxes)
                found = squared_around_its_box(found, user_input, partial(image_size, session.workspace))
                if found != step:  # a shown box copied in another order, or edited on another image than its own
                    overruled = overruled or f"{step.tool}: {step.action_input}"
                    logger.info(
                        "ran %s: %s, the box as found, for the model's %s", found.tool, found.action_input, overruled
                    )
                    step = found
                if any(taken.action for taken in trace) and not as_written:
                    chained = on_the_last_edit(
                        user_input,
                        step,
                        trace,
                        session.made_from,
                        uploads=list(session.images),
                        tools=self.runtime.available,
                    )  # "crop the top half and show me the edges": the edges of the crop
                    if chained != step:
                        # "crop his face and make it bigger": twice the crop's size, not the photo's
                        chained = self._later_resize(session, user_input, chained)
                        logger.info("%s works on the turn's last edit: %s", chained.tool, chained.action_input)
                        overruled, step = overruled or f"{step.tool}: {step.action_input}", chained
                    # "read the sign then crop her face": the reading of what the crop worked on
                    before = _read_before_the_edit(user_input, step, trace)
                    if before != step:
                        overruled, step = overruled or f"{step.tool}: {step.action_input}", before
                unchanged = self._already_that_size(session, step)  # "make them both the same size"
                drawn = self._drawn_before(session, step)  # "make the sketch bigger": the sketch there is
                if drawn:
                    logger.info("%s of %s was drawn before: %s", step.tool, step.action_input, drawn)
                    observation = Observation(drawn, True, (drawn,))
                elif unchanged:
                    observation = Observation(unchanged, True)
                else:
                    observation = self._run_tool(step, session.workspace)
                size_notes += [unchanged] if unchanged else []
                scratch.append(ObservedStep(step, observation.text))
                made = [name for name in observation.files if observation.ok and name in observation.text]
                if made:  # an image the model met (a generated one in a session with no upload) is one to work on
                    session.latest_image = made[-1]
                    session.record_made(made, step)
                taken = TraceStep(
                    index,
                    step.thought,
                    step.tool,
                    step.action_input,
                    observation.text,
                    observation.ok,
                    tuple(observation.files) if observation.ok else (),
                    llm_seconds,
                    observation.seconds,
                    overruled,
                    observation.note,
                )
            else:
                message = self._parse_error_observation(step, specs)
                scratch.append(RejectedReply(text.split(OBSERVATION, 1)[0], message))
                taken = TraceStep(index, "", "", "", message, False, (), llm_seconds)
            trace.append(taken)
            read_on = image_names(taken.action_input) if taken.action == READER and taken.ok else ()
            placed_text = whole_text_box(observation.data) if read_on else None
            if placed_text:
                read_at[read_on[0]] = placed_text
            if read_on:  # each word on its line, for "how many lines?" (agent/word_questions.py)
                session.placed[read_on[0]] = every_word_placed(observation.text, observation.data)
            overruled, agent_call = "", None
            yield StepTaken(taken)
            if on_writing and writing_step and index < self.max_steps:
                # the edit on the text's box the reading placed (the model never sees it), then the next reading
                placed = text_box(user_input, observation.data) if taken.action == READER and taken.ok else None
                if taken.action == READER and not placed:  # "now crop the phone number" after it was blurred
                    placed, blurred_note = self._placed_before_the_blur(session, user_input, taken)
                if taken.action == READER and not placed:
                    unplaced = on_writing
                    image = image_names(taken.action_input)[0]
                    why = not_placed(user_input, image, taken.observation, bool(taken.ok and observation.data))
                if unplaced and not readings and not any(step.action == on_writing for step in trace):
                    # nothing to edit: said by the agent (the model had repeated the last turn's refusal)
                    told = f"{why} {self._needs_box(session, on_writing, NO_BOX_FOUND)}"
                    yield self._finish(session, user_input, told, trace, True)
                    return
                if placed:
                    image = image_names(taken.action_input)[0]
                    edit = writing_edit_input(image, placed, image_size(session.workspace, image))
                    agent_call = ToolCall("", on_writing, edit)
                    logger.info("%s on the box of the text read: %s", on_writing, edit)
                else:
                    agent_call = readings.pop(0) if readings else None
                writing_step = agent_call is not None
                if agent_call:
                    forced = f"{_opened_step(agent_call.tool)} {agent_call.action_input}"
                    yield TextChunk(index + 1, forced)
            if replaying and index < self.max_steps:  # "do the same to the cat photo": the last turn's next call
                agent_call, replay_note = replayed(
                    session.last_steps,
                    trace,
                    image_names(redo.action_input)[0],
                    last_request=session.last_request,
                    tools=self.runtime.available,
                    size=partial(image_size, session.workspace),
                )
                replaying = agent_call is not None
                if agent_call:
                    forced = f"{_opened_step(agent_call.tool)} {agent_call.action_input}"
                    yield TextChunk(index + 1, forced)
            if cancel.is_set():
                yield self._stopped(session, user_input, trace)
                return
        pending = self._undone_step(session, user_input, "", trace) or upload_not_done(
            user_input, trace, list(session.images), self._versions(session, trace)
        )
        calls = [(step.action, step.action_input) for step in trace if step.action]
        if trace and trace[-1].ok and not pending and len(set(calls)) == len(calls):
            # the asked work ran, each call once; the steps ran out before the answer ("which photo has a cat?" of
            # six photos: what was found on each)
            found = self._found_on_each(session, user_input, trace)
            yield self._finish(session, user_input, found or f"Done{_done_so_far(trace, 'steps')}.", trace, False)
            return
        message = f"I could not finish this within {self.max_steps} steps" + _done_so_far(trace)
        failure = _last_failure(trace)
        if failure:
            message += f". The last step failed: {failure}"
        yield self._finish(
            session, user_input, message + ". Please rephrase or ask for one step at a time.", trace, False
        )

    def chat(self, session: ChatSession, user_input: str) -> Reply:
        """Run a turn to the end and return only the reply (terminal chat, tests)."""
        reply = None
        for event in self.run(session, user_input):
            if isinstance(event, Reply):
                reply = event
        assert reply is not None, "Agent.run always ends with a Reply"
        return reply

    def stream_answer(self, session: ChatSession, user_input: str, steps: Sequence[ObservedStep]) -> Iterator[str]:
        """The model's answer to ``user_input`` after ``steps`` taken for it elsewhere (a plan's), as it is written:
        the steps are the scratchpad and the reply starts at ``AI:``, the form the model learned to answer in.
        Yields nothing when the prompt does not fit the context."""
        specs = list(self.runtime.available)
        scratchpad = self.template.render_scratchpad(steps) + f"{THOUGHT} {THOUGHT_NO}\n{AI}"
        prompt = self._prompt(session, specs, user_input, scratchpad) if specs else None
        if prompt is None:
            return
        text = ""
        for piece in self.llm.stream(prompt, self.max_new_tokens):
            text += piece
            yield piece
            if OBSERVATION in text:
                break

    def remember(
        self,
        session: ChatSession,
        user_input: str,
        answer: str,
        files: Sequence[str] = (),
        steps: Sequence[TraceStep] | None = None,
    ) -> None:
        """Add an exchange answered outside the loop (plan mode, undo) to the session's memory; the last image it
        made or brought back (``files``) becomes the one "it" means next. ``steps``: the calls of a turn that
        worked on the request (plan mode's, none for a plan not made), which "why did you do that?" tells of."""
        session.memory.add_exchange(user_input, answer)
        self._trim_memory(session)
        if files:
            session.latest_image = files[-1]
        if steps is not None:
            session.turn_request, session.turn_steps = user_input, tuple(steps)

    def _undo(self, session: ChatSession, request: str, *, why: str = "") -> Reply | None:
        """The reply to a request that asks only to undo the last step, or several (agent/undo.py): the image they
        started from is shown again and becomes the one "it" means; ``None`` for any other request. With ``why``
        (the reason, said first), the last step is undone whatever the request says."""
        if not self.image_tools or not (why or asks_to_undo(request, session.latest_image, session.made_from)):
            return None
        text, before, undone = undo(
            session.latest_image, session.made_from, request if not why else "", session.last_made
        )
        text = f"{why} {text}" if why else text
        if not before:
            return Reply(text, (), (), False, by_agent=True)
        logger.info("undo: %s the image(s) again", ", ".join(before))
        session.undone.update(undone)
        self.remember(session, request, text, before)
        return Reply(text, tuple(before), (), False, by_agent=True)

    def _lighter_blur(self, session: ChatSession, request: str) -> Reply | None:
        """The reply to "the blur is too strong" after a blur (agent/redo.py): the last pass undone where the blur has
        several, else what Blur Region can do; ``None`` for any other request."""
        lighter = lighter_blur(request, session.latest_image, session.made_by)
        if lighter is None:
            return None
        note, undo_a_pass = lighter
        return self._undo(session, request, why=note) if undo_a_pass else Reply(note, (), (), False, by_agent=True)

    def _show_again(self, session: ChatSession, request: str) -> Reply | None:
        """The reply to a request that only asks to see an image of the conversation again (agent/show_again.py):
        the image it names or points at is shown and becomes the one "it" means ("before and after": the upload and
        the latest image made from it; "show me both": each upload as it is now); ``None`` for any other request, or
        when the image cannot be told."""
        if session.latest_image is not None and asks_for_before_and_after(request):
            before, after = lineage(session.latest_image, session.made_from)[-1], session.latest_image
            shown = (before,) if before == after else (before, after)
            text = (
                UNCHANGED.format(latest=before)
                if before == after
                else BEFORE_AND_AFTER.format(before=before, after=after)
            )
            self.remember(session, request, text, shown)
            return Reply(text, shown, (), False, by_agent=True)
        if session.latest_image is not None and asks_to_see_each(request):
            # each upload as it is now; of one upload, it and every image made from it ("show me all the images" had
            # run Detection)
            made = tuple(name for name in session.made_from if self._exists(session.workspace, name))
            crops = tuple(name for name in made if made_call(session.made_by, name).tool == CROPPER)
            if crops and asks_for_the_crops(request):  # "show me both halves"
                shown = crops
            elif made and asks_for_what_was_made(request):  # "show me all the images we made"
                shown = made
            elif len(session.images) > 1:
                shown = tuple(image for _, image in self.latest_of_each(session))
            else:
                shown = (*session.images, *made)
            text = SHOWN_EACH.format(images=", ".join(shown)) if len(shown) > 1 else SHOWN.format(image=shown[0])
            self.remember(session, request, text)  # "it" stays the image it was
            return Reply(text, shown, (), False, by_agent=True)
        place = made_place(request) if session.latest_image is not None else None
        made = [name for name in session.made_from if self._exists(session.workspace, name)]
        if place is not None and made and -len(made) <= place < len(made):  # "show me the first result"
            text = SHOWN.format(image=made[place])
            self.remember(session, request, text, (made[place],))
            return Reply(text, (made[place],), (), False, by_agent=True)
        if place is not None:
            text = FEWER_MADE.format(count=len(made), s="" if len(made) == 1 else "s")
            return Reply(text, (), (), False, by_agent=True)
        if session.latest_image is None or not asks_to_see(request):
            return None
        named = image_names(request)
        if named:
            image = named[0]
        else:
            uploads, latest = list(session.images), session.latest_image
            image = (
                self.upload_by_what_it_shows(session, request)
                or the_other_upload(request, uploads, lineage(latest, session.made_from)[-1])
                or meant_image(request, uploads, latest, (), self.shown_images(session))
            )
        if image is None or not self._exists(session.workspace, image):
            return None
        text = SHOWN.format(image=image)
        self.remember(session, request, text, (image,))
        return Reply(text, (image,), (), False, by_agent=True)

    # ----------------------------------------------------------------- helpers
    def _mark_the_writing(self, session: ChatSession, request: str) -> Reply | None:
        """The reply to a request to mark the writing or a part of it ("put a box around the text", "circle the phone
        number": agent/marking.py): the picture is read and the words' box drawn on a copy shown to the person (not
        the image "it" means next); ``None`` for any other request, or with no picture or reading tool."""
        thing = marks_the_writing(request)
        if not thing or session.latest_image is None or READER not in self.runtime.available:
            return None
        call = self._readings_for(session, request)[0]
        observation = self._run_tool(call, session.workspace)
        trace = [
            TraceStep(1, "", READER, call.action_input, observation.text, observation.ok, (), 0.0, observation.seconds)
        ]
        box = text_box(thing, observation.data) if observation.ok else None
        if not observation.ok:
            text = f"{READER} failed on {call.action_input}: {observation.text}"
        elif box is None:
            text = not_placed(thing, call.action_input, observation.text, bool(observation.data))
        else:
            part = asked_part(thing)
            photo = session.workspace.open_image(call.action_input)
            mark = Box(part or TEXT_LABEL, 1.0, with_margin(box, *photo.size))
            name = session.workspace.save_image(draw_boxes(photo, (mark,), scores=False), "mark", call.action_input)
            trace[0] = replace(trace[0], files=(name,))
            words = part_text(thing, observation.text) if part else None
            what = f"the {part}" + (f' ("{words}")' if words else "") if part else "the text"
            text = WRITING_MARKED.format(text=observation.text, image=call.action_input, what=what)
        return replace(self._finish(session, request, text, trace, False), by_agent=True)

    def _run_tool(self, call: ToolCall, workspace: Workspace) -> Observation:
        return self.runtime.run(call.tool, call.action_input, workspace)

    @staticmethod
    def _parse_error_observation(step: ParseError, specs: Sequence[Any]) -> str:
        names = ", ".join(spec.name for spec in specs)
        return f"Your reply did not follow the format: {step.message}. Valid tools: {names}."

    @property
    def _answer_ends(self) -> tuple[str, ...]:
        """Where a model that has answered goes on writing: the human's next turn, another step, a second answer."""
        return (f"\n{self.template.human_prefix}:", f"\n{THOUGHT}", f"\n{ACTION}", f" {AI}", f"\n{AI}")

    def _clean_answer(self, answer: str) -> str:
        """Cut an answer where the model goes on writing past it (the answer is its first part) or starts repeating
        itself."""
        for end in self._answer_ends:
            answer = answer.split(end, 1)[0]
        return without_loop(answer.strip())

    def _answered(self, text: str) -> bool:
        """Whether the reply so far holds a whole answer: ``AI:`` and, after it, the start of something else."""
        _, marker, answer = text.partition(AI)
        return bool(marker) and any(end in answer for end in self._answer_ends)

    def answer_before_the_model(self, session: ChatSession, request: str) -> str | None:
        """The answer to ``request`` when the agent knows it better than the model, or ``None``: it asks what the
        assistant can do (the loaded tools, agent/capabilities.py); it only says goodbye, greets or reacts, "lol" (agent/small_talk.py); it
        asks about the world now, the weather or the news, or the time (agent/live_data.py); it asks why, says it is
        wrong or doubts the last turn (agent/feedback.py); it
        speaks of an image ("rotate it") while the session has none; it names a file outside the conversation (the
        constrained model would quietly use one of the conversation's images instead), or one of the conversation's
        kind that it does not hold; it states numbers no tool takes ("resize to -5", "rotate by abc":
        agent/bad_numbers.py); it asks how big the image is (or the images are), which image is the bigger, which images there are,
        what the tools made or what changed from the original (agent/image_facts.py); it asks of the words a reading
        found (agent/word_questions.py); it only asks what the picture shows while the tool that
        answers that is not loaded (agent/picture_questions.py); it only asks to flip or mirror the image,
        which no tool does, to convert it to another file format, or to blur all of it but a part, which Blur Region
        cannot (agent/capabilities.py); it asks to crop or blur something no loaded tool can find, and
        gives no box (agent/pending_edit.py); or it only asks for what a tool that is not loaded makes: a new
        picture, an edit only a generative tool makes (agent/generative_requests.py), a map by its name ("show me
        the depth"); or it asks which model answers (agent/capabilities.py); or it is plainly in another language than
        English (agent/language.py)."""
        other_language = only_english_answer(request)
        if other_language:
            return other_language
        if asks_which_model(request):
            return model_answer(self.identity, self.runtime.available.names)
        if asks_about_lora(request):
            return lora_answer(self.identity)
        if asks_what_it_can_do(request):
            return capabilities_answer(self.runtime.available.names, set(self.image_tools), session.latest_image)
        if asks_how_many_tools(request):
            return count_answer(self.runtime.available.names)
        usage = usage_answer(request, list(self.runtime.available), has_image=session.latest_image is not None)
        if usage:
            return usage
        said = (
            farewell_answer(request)
            or sum_answer(request)  # "what's 2+2?" had been answered "2 plus 2 is 6"
            or handed_over_answer(request, list(session.images))
            or greeting_answer(request, session.latest_image)
            or reaction_answer(request)
            or joke_answer(request, session.turns - 1, session.latest_image)
            or (HOW_TO_UPLOAD if asks_how_to_upload(request) else None)
            or live_data_answer(request)
        )
        if said:
            return said
        recalled = asked_before_answer(request, session.memory.said)
        if recalled:
            return recalled
        if asks_about_the_last_turn(request):
            return feedback_answer(
                request,
                last_request=session.turn_request,
                steps=session.turn_steps,
                made=list(session.made_from),
                said=session.last_answer,
            )
        has_image = session.latest_image is not None
        if not (has_image and ANSWERER in self.runtime.available):  # else it may ask of a clock the tool can read
            told = clock_answer(request, datetime.now().astimezone(), has_image=has_image)
            if told:
                return told
        if not self.image_tools:
            return None
        if session.latest_image is None and (
            refers_to_an_image(request) or asks_what_changed(request) or asks_what_was_done(request)
        ):
            return NEEDS_IMAGE
        paths = outside_paths(request)
        if paths:
            return OUTSIDE_PATH.format(path=paths[0])
        bad = bad_numbers_answer(request)
        if bad:
            return bad
        unknown = self._unknown_image(session, request)
        if unknown:
            return unknown
        if asks_for_the_other_alone(request, list(session.images)):
            return NO_OTHER_IMAGE.format(image=next(iter(session.images)), hint=UPLOAD_HINT)
        if session.latest_image is not None and asks_for_the_box_size(request):
            return box_size_answer(session.reports)
        sent_as = which_is_answer(request, session.file_names) if len(session.images) > 1 else None
        if sent_as:  # "which one is the rocket?" of rocket.png and another upload
            return sent_as
        found_size = found_size_answer(
            request,
            session.reports,
            partial(image_size, session.workspace),
            None if NAMED_FINDER in self.runtime.available else session.latest_image,  # that detector finds a cup
        )
        if found_size:
            return found_size
        if session.latest_image is not None and asks_for_the_size(request):
            return self._size_answer(session, request)
        unblurred = no_blur_to_strengthen(request, session.latest_image, session.made_by)
        if unblurred and BLURRER in self.runtime.available:
            return unblurred
        every = asks_for_every(request, list(session.images))
        if session.latest_image is not None and asks_for_square(request) and asks_only_that(request) and not every:
            # "make the rocket photo square": the upload sent as rocket.png (the newest one had been measured)
            named = upload_named(request, session.file_names)
            squared = dict(self.latest_of_each(session)).get(named, session.latest_image) if named else None
            squared = squared or session.latest_image
            size = image_size(session.workspace, squared)
            if size and size[0] == size[1]:
                return ALREADY_SQUARE.format(image=squared, width=size[0], height=size[1], half=size[0] // 2)
        orientation = asks_for_orientation(request) if session.latest_image is not None else ""
        size = image_size(session.workspace, session.latest_image) if orientation else None
        if orientation and size and {ROTATOR, CROPPER} <= set(self.runtime.available.names):
            return orientation_answer(session.latest_image or "", size, orientation)
        if session.latest_image is not None and asks_for_their_sizes(request):
            return sizes_answer(
                [
                    (image, upload, image_size(session.workspace, image))
                    for upload, image in self.latest_of_each(session)
                ]
            )
        seeing = ANSWERER in self.runtime.available  # "compare them" is then the model's, with the tool that sees
        if len(session.images) > 1 and asks_which_is_bigger(request) and not (seeing and asks_to_compare(request)):
            now = asks_of_them_now(request)  # after a crop of one, "which one is bigger now?" had compared the uploads
            names = [latest for _, latest in self.latest_of_each(session)] if now else list(session.images)
            sizes = {name: image_size(session.workspace, name) for name in names}
            readable = {name: size for name, size in sizes.items() if size}
            if len(readable) > 1:
                return comparison_answer(request, readable)
        made = self._made(session)
        if len(session.images) == 1 and len(made) > 1 and asks_to_compare(request) and not seeing:
            # "compare them" after the edges and the lines of one photo (the model drew the lines of the lines)
            sizes = {image: image_size(session.workspace, image) for image, _, _ in made[-2:]}
            readable = {name: size for name, size in sizes.items() if size}
            if len(readable) == 2:
                told = "; ".join(f"{image} was made by {tool} from {source}" for image, tool, source in made[-2:])
                return f"{told}. {comparison_answer(request, readable)}"
        which_file = which_file_is(request, made)  # "which file is the pose"
        order = upload_order_answer(request, list(session.images), session.file_names)  # "which did I upload first"
        kept = original_kept_answer(request, list(session.images), session.file_names, len(session.made_from))
        if which_file or order or kept:
            return which_file or order or kept
        if len(session.images) > 1 and asks_which_is_brighter(request):
            brightness = {name: self._brightness(session.workspace, name) for name in session.images}
            readable = {name: value for name, value in brightness.items() if value is not None}
            if len(readable) > 1:
                return brightness_answer(request, readable)
        if session.latest_image is not None and asks_if_grey(request):  # a fact of the pixels
            try:
                share = grey_share(session.workspace.open_image(session.latest_image))
            except ToolError as error:
                return str(error)
            return grey_answer(request, session.latest_image, share)
        if session.latest_image is not None and asks_what_was_done(request):
            made, just = self._made(session), asks_what_was_just_done(request)
            if just:
                made = [step for step in made if step[0] in session.last_made]
            return done_answer(list(session.images), made, session.latest_image, just=just, request=request)
        turned = rotation_answer(request, session.latest_image, session.made_by)
        if turned:
            return turned
        if session.latest_image is not None and asks_what_changed(request):
            chain = lineage(session.latest_image, session.made_from)[::-1]  # the upload first
            steps = {image: (image, tool, source) for image, tool, source in self._made(session)}
            return changes_answer(chain[0], [steps[image] for image in chain[1:]])
        source = session.made_from.get(session.latest_image or "")
        if source and asks_how_much_it_changed(request):
            sizes = image_size(session.workspace, session.latest_image or ""), image_size(session.workspace, source)
            if sizes[0] and sizes[1]:
                return scaled_answer(session.latest_image or "", sizes[0], source, sizes[1])
        if session.latest_image is not None and asks_if_blurred(request):
            chain = lineage(session.latest_image, session.made_from)
            calls = [made_call(session.made_by, name) for name in chain]
            return blurred_answer(chain, calls, counted=asks_how_many_blurred(request))
        if (
            session.latest_image is not None
            and RESIZER in self.runtime.available
            and asks_for_an_unstated_size(request)
        ):
            return needs_size(session.latest_image, image_size(session.workspace, session.latest_image))
        saving = asks_to_save(request)
        if session.latest_image is not None and (saving or asks_where_it_is(request)):
            told = (SAVED_ANSWER if saving else WHERE_ANSWER).format(
                latest=session.latest_image,
                path=session.workspace.root / session.latest_image,
                folder=session.workspace.root,
            )
            name = name_to_save_as(request)
            return f"{told} {SAVED_NAMED.format(name=name)}" if name else told
        if session.latest_image is not None and asks_for_the_images(request):
            shown = set(self.shown_images(session))
            made = [name for name in session.made_from if name in shown]  # in the order they were made
            return images_answer(list(session.images), made, session.latest_image, request)
        placed = session.placed.get(session.latest_image or "")
        told = answer_about_lines(request, placed) if placed else None
        if told:
            return told
        chain = lineage(session.latest_image or "", session.made_from)
        read = partial(words_read, session.readings)  # "what's the number again?" turns after the reading
        told = answer_before_the_edits(request, read, chain) or part_read_before_the_edits(request, read, chain)
        words = words_read(session.reports, session.latest_image)
        told = told or (answer_about_words(request, words) if words else None)
        # "are pets allowed?" after the sign's number was blurred: the sign read before the blur
        earlier = next(filter(None, (read(image) for image in chain[1:])), None)
        told = told or (answer_about_the_place(request, earlier) if earlier and not words else None)
        told = told or self._hours_of_another_upload(session, request, chain)
        if not told and asks_which_says(request):  # "which one is for rent?" after both signs were read
            read_on_each = {upload: read(image) or read(upload) for upload, image in self.latest_of_each(session)}
            told = which_was_read(request, read_on_each)
        if told:
            return told
        counted = count_found_before(request, session.reports, session.latest_image)
        if counted:
            return counted
        asked = only_asks_what_it_shows(request)
        asked = None if unmeasured(request, (), FINDER, self.runtime.available.names) else asked  # the detector's
        if session.latest_image is not None and asked and asked not in self.runtime.available:
            uploads = list(session.images)
            pointed = the_other_upload(
                request, uploads, lineage(session.latest_image, session.made_from)[-1]
            ) or meant_image(request, uploads, None)
            if pointed in uploads:  # "what's in the other one?", then "blur the cup": on that one
                session.latest_image = pointed
            return _cannot_see(asked, writes_about_the_picture(request))
        beyond = beyond_the_tools(
            request,
            only_that=asks_only_that(request),
            has_image=session.latest_image is not None,
            loaded=self.runtime.available.names,
        )
        if beyond:
            return beyond
        if restyles_the_marking(request) and any(step.action == FINDER for step in session.reports):
            return BOX_STYLE  # "make the box red" after a marking
        unfound = marked(request) and not marks_what_is_found(request)  # "circle the cup": nothing here finds a cup
        if session.latest_image is not None and FINDER in self.runtime.available and unfound:
            return NO_MARKER
        if session.latest_image is not None and CROPPER in self.runtime.available and leaves_out(request):
            return self._needs_box(session, CROPPER, NEEDS_PART_KEPT)
        unboxed = unfound_box(request, self.runtime.available.names, self.shown_text(session))
        unboxed = None if self._writing_edit(session, request) else unboxed  # the reading gives its box
        if session.latest_image is not None and asks_to_crop_the_corners(request):
            latest_size = partial(image_size, session.workspace)
            rotates_first = ROTATOR in asked_edits(request, self.runtime.available)  # "rotate it 30 and crop ..."
            if not rotates_first and corners_box(request, session.latest_image, session.made_by, latest_size) is None:
                return NO_CORNERS.format(image=session.latest_image)
            unboxed = None  # the rotations tell the box
        if session.latest_image is not None and unboxed and not asks_for_words(request):  # the rest waits for it too
            return self._needs_box(session, unboxed, NEEDS_PART if names_no_part(request) else NEEDS_BOX)
        missing = missing_besides_the_answerer(request, self.runtime.available, default_registry())
        if missing and asks_only_that(request) and not asks_for_words(request):  # "how does edge detection work?"
            return NOT_LOADED.format(tool=missing[0].name, load=load_hint(missing[0]))
        return None

    def _with_parts_not_loaded(self, answer: str, request: str) -> str:
        """``answer`` to a request of several things followed by :data:`PART_NOT_LOADED` for each tool a part asks
        for that is not loaded: asked offline to "make it black and white and rotate it 45 degrees", the model
        rotated the photo and answered done (a request of that one thing is answered before the model runs); asked to
        "remove the background and describe what is left", it answered with the cut-out alone (a question the model
        answered itself is answered before: ``_missing_answerer``)."""
        if asks_only_that(request):
            return answer
        missing = asked_but_not_loaded(request, self.runtime.available, default_registry())
        notes = [
            PART_NOT_LOADED.format(tool=spec.name, load=load_hint(spec)) for spec in missing if spec.name not in answer
        ]
        return with_notes(answer, notes)

    def _instead_of_a_stand_in(self, request: str, call: ToolCall, trace: Sequence[TraceStep]) -> str:
        """The opening to take in place of ``call`` when it makes an image in place of a tool the request asks for
        that is not loaded (:func:`agent.plan_stand_ins.stands_in`): the step of an edit the request asks for that
        has not run (agent/several_edits.py), else the answer; ``""`` when the call is no stand-in."""
        if not stands_in(request, call.tool, self.runtime.available, default_registry()):
            return ""
        called = [step.action for step in trace]
        asked = [tool for tool in asked_edits(request, self.runtime.available) if tool not in called]
        return _opened_step(asked[0]) if asked else _opened_answer()

    @staticmethod
    def _made(session: ChatSession) -> list[tuple[str, str, str]]:
        """Each image a tool made in ``session``, oldest first: ``(image, tool and its numbers, source image)``, as
        "Rotate Image (-30)"."""
        made = []
        for image, source in session.made_from.items():
            call = made_call(session.made_by, image)
            tool, numbers = call.tool, [part for part in call.arguments[1:] if part]
            made.append((image, f"{tool or 'a tool'} ({', '.join(numbers)})" if numbers else tool or "a tool", source))
        return made

    @staticmethod
    def latest_of_each(session: ChatSession, leaving_out: Set[str] = frozenset()) -> list[tuple[str, str]]:
        """Each upload and the newest image made from it that no undo went back from, other than those ``leaving_out``
        (the upload itself if none)."""
        latest = {upload: upload for upload in session.images}
        for image in session.made_from:  # oldest first
            upload = lineage(image, session.made_from)[-1]
            if upload in latest and image not in session.undone and image not in leaving_out:
                latest[upload] = image
        return list(latest.items())

    def _versions(self, session: ChatSession, trace: Sequence[TraceStep]) -> list[str]:
        """The newest image made from each upload before this turn (``trace``; agent/every_upload.py ``worked_on``)."""
        made_now = {name for step in trace for name in step.files}
        return [image for _, image in self.latest_of_each(session, made_now)]

    def _found_on_each(self, session: ChatSession, request: str, trace: Sequence[TraceStep]) -> str | None:
        """What the turn's detectors or readings found on each image, when ``request`` asks which picture shows
        something (agent/detector_scope.py) or asks it of every upload (agent/every_upload.py); else ``None``."""
        searched = [
            (image_names(taken.action_input)[0], taken.observation)
            for taken in trace
            if taken.ok and taken.action in DETECTORS and image_names(taken.action_input)
        ]
        return which_has(request, searched) or every_finding(
            request, trace, list(session.images), self._versions(session, trace)
        )

    def _other_upload(self, session: ChatSession, request: str, trace: Sequence[TraceStep]) -> str:
        """How to point at another upload when the turn's last call failed on one of several that ``request`` did not
        name (agent/redo.py ``other_upload_hint``); else ``""``."""
        failed = next((step for step in reversed(trace) if step.action), None)
        uploads = list(session.images)
        if failed is None or failed.ok or image_names(request) or meant_image(request, uploads, None):
            return ""
        written = image_names(failed.action_input)
        if not written or self._upload_called(session, request):
            return ""
        return other_upload_hint(written[0], uploads, lambda name: lineage(name, session.made_from))

    def _resized(self, session: ChatSession, request: str) -> str | None:
        """The newest version of the upload "make X the same size as Y" says first (by its place, file name or what
        it shows: agent/meant_call.py ``resized_subject``); ``None`` when it says none."""
        said = resized_subject(request)
        upload = said and (meant_image(said, list(session.images), None) or self._upload_called(session, said))
        return dict(self.latest_of_each(session)).get(upload) if upload else None

    def _upload_called(self, session: ChatSession, words: str) -> str | None:
        """The one upload ``words`` call by its file's name or by what it shows; else ``None``."""
        return upload_named(words, session.file_names) or self.upload_by_what_it_shows(session, words)

    def upload_by_what_it_shows(self, session: ChatSession, request: str) -> str | None:
        """The one upload where the detector finds what ``request`` names ("the cat photo", "her pose"), when the
        session has several and nothing else in the request points at one (agent/upload_contents.py); the detector
        looks at each upload once in a session. ``None`` otherwise."""
        uploads = list(session.images)
        labels = labels_named(request)
        if (
            not labels
            or len(uploads) < 2
            or FINDER not in self.runtime.available
            or (meant_image(request, uploads, None) and not original_by_content(request))
        ):
            return None
        for upload in uploads:
            if upload not in session.shows:
                observed = self.runtime.run(FINDER, upload, session.workspace)
                session.shows[upload] = labels_found(observed.text) if observed.ok else frozenset()
                logger.info("%s on %s, to tell the uploads apart: %s", FINDER, upload, observed.text)
        return upload_showing(labels, session.shows)

    def _pair_named(self, session: ChatSession, request: str) -> list[str]:
        """The images of the conversation ``request`` names for one tool: two by their place ("the edges of the
        original and of the crop": agent/named_pair.py), or those the last turn made when it asks for "both" of them
        ("now rotate both by 90" after the two edge maps); none otherwise."""
        if len(session.images) < 2 and asks_for_every(request, session.last_made):
            return list(session.last_made)
        uploads, shown = list(session.images), self.shown_images(session)
        return images_named(request, lambda words: meant_image(words, uploads, session.latest_image, (), shown))

    def _whereabouts(self, session: ChatSession, request: str, trace: Sequence[TraceStep]) -> str | None:
        """Where the turn's last detection found what ``request`` asks the place of (agent/whereabouts.py); else
        ``None``."""
        searched = [
            taken for taken in trace if taken.ok and taken.action in DETECTORS and image_names(taken.action_input)
        ]
        if not searched:
            return None
        last = searched[-1]
        image = image_names(last.action_input)[0]
        # the image by its name only where there are several to tell apart (a name shows the image again)
        said = image if len(session.images) > 1 or image not in session.images else "the picture"
        size = image_size(session.workspace, image)
        asked = marked_finding(request)
        if not asked and marks_it(request):  # "put a box around it" after "find the cat": what this search found
            asked = it_finding(request, [label for label, _ in labelled_boxes(last.observation)])
        located = whereabouts_answer(request, last.action, said, last.observation, size, asked=asked)
        return with_scope_note(located, last.note) if located else None

    def _writing_whereabouts(
        self,
        session: ChatSession,
        request: str,
        trace: Sequence[TraceStep],
        read_at: Mapping[str, tuple[int, int, int, int]],
    ) -> str | None:
        """Where the turn's last reading placed its text, when ``request`` asks where the writing is
        (agent/whereabouts.py); else ``None``."""
        read = [
            (names[0], taken)
            for taken in trace
            if taken.action == READER and (names := image_names(taken.action_input)) and names[0] in read_at
        ]
        if not read or not asks_where_the_writing_is(request):
            return None
        image, reading = read[-1]
        size = image_size(session.workspace, image)
        if size is None:
            return None
        said = image if len(session.images) > 1 or image not in session.images else "the picture"
        words = " ".join(reading.observation.split())
        return writing_whereabouts(words, read_at[image], said, size)

    def _size_answer(self, session: ChatSession, request: str) -> str:
        """:data:`SIZE_ANSWER` (:data:`FILE_SIZE_ANSWER` when it asks of the file) for the image ``request`` names or
        points at ("the original"), or the upload it calls by its file's words or by what it shows (as the edits
        made since left it: agent/upload_names.py), else the latest one. "What size is the coffee image?" had been
        answered with the size of the cat's edge map made last."""
        named = [name for name in image_names(request) if self._exists(session.workspace, name)]
        image = (
            named[0]
            if named
            else meant_image(request, list(session.images), session.latest_image, (), self.shown_images(session))
        )
        if not image:  # the detector looks for what the request names only where nothing else says which image
            upload = upload_named(request, session.file_names) or self.upload_by_what_it_shows(session, request)
            image = self._edited_since(session, request, upload) if upload else session.latest_image or ""
        size = image_size(session.workspace, image)
        if size is None:
            return f"I could not read {image}."
        made, called = result_named(request)
        if made and not named and not any(f"_{made}_" in shown for shown in self.shown_images(session)):
            # "how big is the crop?" before any crop: not the latest image's size as if it were one
            return NO_SUCH_RESULT.format(result=called, image=image, width=size[0], height=size[1])
        kind = image.rsplit(".", 1)[-1].upper().replace("JPG", "JPEG")
        if asks_for_the_file_size(request):
            amount = amount_of_bytes(session.workspace.resolve(image).stat().st_size)
            return FILE_SIZE_ANSWER.format(image=image, amount=amount, kind=kind, width=size[0], height=size[1])
        answer = SIZE_ANSWER.format(image=image, kind=kind, width=size[0], height=size[1])
        return as_shape_answer(with_aspect_ratio(answer, request, *size), request, *size)

    @staticmethod
    def _needs_box(session: ChatSession, tool: str, said: str = NEEDS_BOX, image: str = "") -> str:
        """``said`` (:data:`NEEDS_BOX`, or :data:`NO_BOX_FOUND`) for ``tool``, its example box half of ``image`` (the
        latest image unless given) when its size can be read."""
        image = image or session.latest_image or ""
        size = image_size(session.workspace, image)
        width, height = size or (EXAMPLE_BOX_SIDE, EXAMPLE_BOX_SIDE)
        known = f" ({image} is {width}x{height})" if size else ""
        box = f"0, 0, {max(1, width // 2)}, {max(1, height // 2)}"
        return said.format(tool=tool, size=known, example=BOX_REQUESTS[tool].format(box=box))

    @staticmethod
    def _hours_of_another_upload(session: ChatSession, request: str, chain: Sequence[str]) -> str | None:
        """The opening hours ``request`` asks for from the newest reading of another image than those of ``chain``
        (the latest image and those it was made from) whose words give them, when one of ``chain`` was read and
        gave none: after both signs were read and the rental sign blurred, "what time do they open on saturday?" read
        the blurred sign and found no text. A new upload not read yet is read (asked "is it open at 9am?" of a new
        sign, the answer had been the last sign's)."""
        read_images = [next(iter(image_names(reading.action_input)), "") for reading in session.readings]
        if not any(image in chain for image in read_images):
            return None
        for reading in reversed(session.readings):
            image = next(iter(image_names(reading.action_input)), "")
            told = None if image in chain else opening_answer(request, " ".join(reading.observation.split()))
            if told:
                return f"{image}: {told}"
        return None

    def _unknown_image(self, session: ChatSession, request: str) -> str | None:
        """What to say when ``request`` names a file of the conversation's kind (``image/...``) that it neither
        mentioned nor holds (the model, asked about ``image/ffffffff.png``, answered with a tool name it made up);
        else ``None``."""
        shown = self.shown_images(session)
        named = [name for name in image_names(request) if name.startswith(f"{IMAGE_DIR}/") and name not in shown]
        missing = next((name for name in named if not self._exists(session.workspace, name)), None)
        if missing is None:
            return None
        listed = ", ".join(shown[-MAX_IMAGES_LISTED:]) if shown else "none yet"
        return UNKNOWN_IMAGE.format(name=missing, images=listed)

    def _missing_answerer(
        self, session: ChatSession, request: str, said: str, trace: Sequence[TraceStep]
    ) -> str | None:
        """The answer to give instead of the model's (``said``) when ``request`` asks what the picture shows, the
        tool that answers such questions is not loaded, no call this turn could answer it (agent/picture_questions.py:
        edges or a rotation say nothing of a smile; a reading answers a question of its words) and the model did not say
        so itself; else ``None``. What the
        turn's tools did is added, and their files are still shown."""
        if session.latest_image is None or any(step.ok and answered_by(request, step.action) for step in trace):
            return None
        measured = unmeasured(request, (), FINDER, self.runtime.available.names)  # "how big is the cat?": its box
        if measured and any(step.ok and step.action == FINDER for step in trace):
            return None
        if asks_about_writing(request) and any(step.ok and step.action in READING_TOOLS for step in trace):
            return None  # "how many words are on this page?": the words read answer it
        tool = answering_tool(request)
        # "(text is not loaded)" names no tool there is: not the model saying the tool it needs is missing
        made_up = without_made_up_tools(said, default_registry()) != said
        if (
            tool is None
            or tool in self.runtime.available
            or tool in said
            or ("not loaded" in said.lower() and not made_up)
        ):
            return None
        cannot = _cannot_see(tool)
        done = _done_so_far(trace, "done this turn")
        return f"{cannot.removesuffix('.')}{done}." if done else cannot

    def _undone_step(self, session: ChatSession, request: str, said: str, trace: Sequence[TraceStep]) -> str | None:
        """The tool an answer (``said``) came too early for, unless the request asks for words alone: the box tool
        asked for after a detection ("blur the face"), the detector for an edit of a face nothing found or for a count
        of what it finds (agent/pending_edit.py) or the place of it (agent/whereabouts.py), the reading tool for a question
        about a sign nothing read (agent/read_text.py), the tool the request names in full, the loaded tool the answer
        calls missing, the tool whose map the request asks for when the answer presents a file or refuses, or the
        square crop or resize asked for, when nothing ran (agent/meant_call.py), the crop back to the size a rotation
        was asked to keep (agent/kept_size.py), an edit of several asked for that did not run (agent/several_edits.py), or a
        rotation "the other way" (agent/other_way.py)."""
        available = self.runtime.available.names
        if session.latest_image is None:
            return None
        called = [step.action for step in trace]
        if asks_for_words(request):
            return None
        return (
            pending_box_edit(request, trace, available)
            or people_unfound(request, called, available)
            or uncounted(request, said, called, available)
            or unlocated(request, called, available)
            or unmarked(request, called, FINDER, available)
            or unmeasured(request, called, FINDER, available)
            or which_has_unfound(request, called, available)
            or unread_writing(request, called, available)
            or read_after_the_edit(request, called)
            or named_but_not_run(request, called, self.runtime.available)
            or self._refused_but_loaded(request, said, called)
            or map_not_made(request, said, called, self.runtime.available)
            or square_not_made(request, called, self.runtime.available)
            or corners_not_cropped(request, called, self.runtime.available.names)
            or size_not_made(request, called, self.runtime.available)
            or size_not_kept(request, trace, self.runtime.available, partial(image_size, session.workspace))
            or edit_not_run(request, called, self.runtime.available)
            or lone_edit_not_run(request, called, self.runtime.available)
            or other_way_not_run(request, called, session.latest_image, session.made_by)
        )

    def _refused_but_loaded(self, request: str, said: str, called: Sequence[str]) -> str | None:
        """The loaded tool the answer (``said``) calls missing (agent/meant_call.py), unless it would stand in for a
        tool ``request`` asks for that is not loaded: asked to "make the astronaut black and white", the model called
        Remove the background (set aside), then answered that Remove the background is not loaded, and the turn
        opened that call again until its steps ran out."""
        refused = refused_but_loaded(said, called, self.runtime.available)
        if refused and stands_in(request, refused, self.runtime.available, default_registry()):
            return None
        return refused

    def _first_call(self, session: ChatSession, request: str, call: ToolCall) -> tuple[ToolCall, str]:
        """The turn's first call with the tool, image and numbers ``request`` states plainly (agent/meant_call.py; a
        rotation "the other way" of the last one, agent/other_way.py), and the opening of the step to take instead of
        it (``""``: none): an answer to a request for words alone (agent/words_only.py), Detection before a box tool's
        made-up box for a face, the box an earlier turn's detection found of what the request names, Detection before
        another tool than the blur for "hide her face" (agent/pending_edit.py), a reading again for a question after
        one (agent/read_text.py)."""
        if asks_for_words(request):
            logger.info("a request for words alone; the model's %s call gives way to an answer", call.tool)
            return call, _opened_answer()
        spoken = tool_spoken_of(request, session.memory.last_said, self.runtime.available)
        if spoken and session.latest_image and call.tool != spoken:
            logger.info("%s, which the message before spoke of, for the model's %s", spoken, call.tool)
            call = ToolCall(call.thought, spoken, session.latest_image)
        shown = self.shown_text(session)
        size = partial(image_size, session.workspace)
        versions = [image for _, image in self.latest_of_each(session)]
        shows = partial(self.upload_by_what_it_shows, session)
        by_name = (
            upload_named(request, session.file_names)
            or upload_named_for(request, call.tool, session.file_names, self.runtime.available, shows)
            or image_by_size(request, versions, size)
            or self.upload_by_what_it_shows(session, request)
            or the_other_upload(
                request, list(session.images), lineage(session.latest_image or "", session.made_from)[-1]
            )
            # "rotate the left half 180" after crops of both halves (a box tool's words name the part to edit)
            or (None if call.tool in BOX_TOOLS else crop_of_the_part(request, session.made_by, size))
        )
        written = image_names(call.action_input)
        if (
            by_name
            and written
            and by_name in lineage(written[0], session.made_from)
            and written[0] not in session.undone
        ):
            by_name = written[0]  # the model chose that photo or a result made from it: its choice stands
        by_name = self._newest_edit_of(session, request, call.tool, by_name) if by_name else by_name
        call = self._not_undone(session, request, call)
        newest = self._edited_since(session, request, written[0]) if written else ""
        if written and newest != written[0] and not by_name and not asks_for_every(request, list(session.images)):
            logger.info("%s on %s, the newest edit, not on %s", call.tool, newest, written[0])
            call = replace(call, action_input=call.action_input.replace(written[0], newest, 1))
        asked_for = partial(named_by, request, loaded=self.runtime.available)
        meant = as_meant(
            call,
            request,
            self.runtime.available,
            uploads=list(session.images),
            latest=session.latest_image,
            exists=lambda name: self._exists(session.workspace, name),
            shown=image_names(shown),
            named_upload=by_name,
            asked_for=asked_for,
        )
        meant = self._on_the_uploads_written(session, request, call, meant)
        meant = the_other_way(meant, request, session.latest_image, session.made_by)
        meant = further_the_same_way(meant, request, session.latest_image, session.made_by)
        last = session.last_call
        last_found = session.reports if last and last.tool in DETECTORS else ()  # the last turn's detections
        boxed = with_named_region(meant, request, self.runtime.available, size, shown, last_found=last_found)
        boxed = as_square_crop(boxed, request, self.runtime.available, size)
        corners = corners_box(request, session.latest_image, session.made_by, size)
        if corners and CROPPER in self.runtime.available:  # "crop out the black corners" after a rotation
            boxed = ToolCall(boxed.thought, CROPPER, ", ".join([str(session.latest_image), *map(str, corners)]))
        named = boxed != meant  # the box of a part the request names ("crop the left half and blur the face")
        meant = with_relative_size(boxed, request, self.runtime.available, size, asked_for)
        upload_size = partial(self._upload_size, session)
        meant = with_the_original_size(meant, request, self.runtime.available, session.latest_image, upload_size)
        meant = as_same_size(
            meant, request, self.runtime.available, versions, size, subject=self._resized(session, request)
        )
        found = as_found(request, meant, shown, (), session.reports)  # "crop the face" a detection found before
        meant = self._found_on_an_older_version(session, meant, found)
        if asks_of_the_reading(request, meant.tool, session.reports, session.latest_image):
            logger.info("a question after a reading of %s: read again, not %s", session.latest_image, meant.tool)
            meant = ToolCall(meant.thought, READER, str(session.latest_image))
        elif called_instead_of_reading(
            request, meant.tool, named_by(request, meant.tool, self.runtime.available)
        ) and image_names(meant.action_input):
            meant = ToolCall(meant.thought, READER, image_names(meant.action_input)[0])
        # "put a box around it" right after a detection found something: what it found, marked again
        marks_found = marks_what_is_found(request) or (
            marks_it(request) and any(labelled_boxes(step.observation) for step in last_found if step.ok)
        )
        marking = marks_found and FINDER in self.runtime.available and meant.tool != FINDER
        if marking and image_names(meant.action_input):  # "put a box around the cat": the model cropped to it
            meant = ToolCall(meant.thought, FINDER, image_names(meant.action_input)[0])
        if meant != call:
            logger.info(
                "ran %s: %s for the model's %s: %s", meant.tool, meant.action_input, call.tool, call.action_input
            )
        edit = reads_instead_of_editing(request, meant.tool, self.runtime.available)
        if edit:
            logger.info("a reading nobody asked for; %s, asked for, runs instead", edit)
            return meant, _opened_step(edit)
        available = self.runtime.available.names
        # a box edit of a face, a person or a cat asked first: the detector searches the picture before the other
        # edit changes it; other orders are the model's (a resize and a rotation give one picture either way)
        if asked_first(request, meant.tool, self.runtime.available) in BOX_TOOLS and (
            finder := people_unfound(request, (), available)
        ):
            logger.info("a box edit is asked for before %s: %s runs first", meant.tool, finder)
            return meant, _opened_step(finder)
        finder = (
            None
            if named
            else invented_box(request, meant.tool, meant.arguments, shown, available, found=session.reports)
        )
        if not finder and meant.tool in self.runtime.available and not self.runtime.available.get(meant.tool).makes_map:
            finder = faces_hidden_otherwise(request, meant.tool, available)  # a map drawn first is found after it
        if finder:
            logger.info("%s on a box never shown (%s): %s runs first", meant.tool, meant.action_input, finder)
            return meant, _opened_step(finder)
        return meant, ""

    @staticmethod
    def _placed_before_the_blur(
        session: ChatSession, request: str, reading: TraceStep
    ) -> tuple[tuple[int, int, int, int] | None, str]:
        """The box of the writing ``request`` edits as the last reading of the image a blur made the one ``reading``
        read from placed it (a blur moves no pixel), and the note that says so; ``(None, "")`` when no such reading
        places it. Asked to "crop the phone number" after it was blurred, the reading of the blurred sign found no
        number and nothing was cropped."""
        image = image_names(reading.action_input)[0] if image_names(reading.action_input) else ""
        source = image
        while made_call(session.made_by, source).tool == BLURRER and source in session.made_from:
            source = session.made_from[source]
            placed = text_box(request, session.placed.get(source)) if session.placed.get(source) else None
            if placed:
                return placed, BLURRED_PART.format(part=asked_part(request) or "writing", image=image, read=source)
        return None, ""

    @staticmethod
    def _upload_size(session: ChatSession, image: str) -> tuple[int, int] | None:
        """The width and height of the upload ``image`` was made from (``image`` itself for an upload)."""
        return image_size(session.workspace, lineage(image, session.made_from)[-1])

    def _writing_edit(self, session: ChatSession, request: str) -> str | None:
        """The box tool ``request`` asks for on the writing in the picture (agent/text_region.py), the writing being
        "it" too right after a reading or beside one asked for ("read the sign, then crop to it"); else ``None``."""
        if blurs_all_but_a_part(request):  # "blur everything except the phone number": no box does it
            return None
        last_read = session.last_call is not None and session.last_call.tool == READER
        reads = last_read or asks_to_read(request)
        return writing_box_tool(request, self.runtime.available.names, after_reading=reads)

    def _readings_for(self, session: ChatSession, request: str) -> list[ToolCall]:
        """The readings that place the writing a box edit is asked for on: of each upload as it is now when
        ``request`` asks for every one ("crop both to the text"), else of the image it names (an upload by its file's
        words: as the edits made since left it) or points at ("on the original"; the photo behind a map); none with
        no image."""
        if session.latest_image is None:
            return []
        if asks_for_every(request, list(session.images)):
            return [ToolCall("", READER, image) for _, image in self.latest_of_each(session)]
        shown = self.shown_images(session)
        named = upload_named(request, session.file_names)
        meant = (named and self._edited_since(session, request, named)) or meant_image(
            request, list(session.images), session.latest_image, (), shown
        )
        latest = meant or session.latest_image
        image = photo_behind(latest, request, map_operations(), [*session.images, *shown]) or latest
        return [ToolCall("", READER, image)]

    def _redo(self, session: ChatSession, request: str) -> tuple[ToolCall | None, bool]:
        """The last turn's first call again (a failed one when the last turn's calls all failed), on the image
        ``request`` says was meant, when it only corrects which image that call should have worked on or asks for the same again ("no, I meant the first photo", "do the same
        to the cat photo": agent/redo.py), and ``True``: the last turn's later calls follow it; or the last blur's
        box again on its result when it only asks for more blur, the last resize or rotation half as far when it says
        that went too far, a crop of the middle when it asks to zoom in more, or a crop with what the last detection
        found in the middle when it asks for that there (agent/centring.py), and ``False``; else ``(None, False)``."""
        again = blurred_again(request, session.latest_image, session.made_by)
        if again:
            logger.info("more blur: %s", again.action_input)
            return again, False
        less = less_of_the_last(request, session.latest_image, session.made_by, partial(image_size, session.workspace))
        if less:
            logger.info("the last edit went too far: %s", less.action_input)
            return less, False
        zoomed = zoomed_in_more(request, session.latest_image, partial(image_size, session.workspace))
        if zoomed and CROPPER in self.runtime.available:  # "zoom in more": the middle of the picture
            logger.info("zoom in more: %s", zoomed.action_input)
            return zoomed, False
        centred = centred_crop(request, session.reports, partial(image_size, session.workspace))
        if centred and CROPPER in self.runtime.available:  # "make the cat the center of the image"
            logger.info("a crop with what was found in the middle: %s", centred.action_input)
            return centred, False
        last, last_request = session.last_call, session.last_request
        if session.turn_steps and not any(step.ok for step in session.turn_steps):  # "show me her pose" failed
            failed = session.turn_steps[0]
            last, last_request = ToolCall(failed.thought, failed.action, failed.action_input), session.turn_request
        written = image_names(last.action_input) if last else []
        if not written:
            return None, False
        image = corrected_image(
            request,
            written[0],
            list(session.images),
            partial(self._upload_called, session),
            lambda name: lineage(name, session.made_from),
        )
        if image is None:
            return None, False
        size = partial(image_size, session.workspace)
        call = redone(last, last_request, image, self.runtime.available, size, request=request)
        logger.info("a correction of the image: %s again on %s", call.tool, image)
        return call, True

    def _map_on_the_photo(
        self, session: ChatSession, request: str, call: ToolCall, trace: Sequence[TraceStep]
    ) -> ToolCall:
        """A later call that draws a map on the photo behind a map the turn made, unless ``request`` points at that
        map (agent.image_reference.photo_behind_for_a_later_map)."""
        written = image_names(call.action_input)
        spec = self.runtime.available.get(call.tool) if call.tool in self.runtime.available else None
        if not written or spec is None or not spec.makes_map or not any(written[0] in step.files for step in trace):
            return call
        shown = [*session.images, *self.shown_images(session)]
        photo = photo_behind_for_a_later_map(written[0], request, map_operations(), shown)
        if photo is None:
            return call
        logger.info("%s draws on %s, the photo behind %s", call.tool, photo, written[0])
        return replace(call, action_input=call.action_input.replace(written[0], photo, 1))

    @staticmethod
    def _on_the_uploads_written(session: ChatSession, request: str, written: ToolCall, meant: ToolCall) -> ToolCall:
        """``meant`` on the upload the model ``written`` chose, when ``request`` asks for every upload and both work
        on an upload: each will be done, so the first is the model's choice (it had been moved to the newest)."""
        chosen, moved = image_names(written.action_input), image_names(meant.action_input)
        uploads = list(session.images)
        if not (chosen and moved and asks_for_every(request, uploads)) or meant.tool != written.tool:
            return meant
        if chosen[0] not in uploads or moved[0] not in uploads or chosen[0] == moved[0]:
            return meant
        return replace(meant, action_input=meant.action_input.replace(moved[0], chosen[0], 1))

    def _found_on_an_older_version(self, session: ChatSession, call: ToolCall, found: ToolCall) -> ToolCall:
        """``found`` (:func:`agent.pending_edit.as_found`), unless it moved ``call`` from its image (not a map) to an
        older version of it, the one the box was found in: then ``call``'s image with that box when both have one size, else the
        detector on ``call``'s image first. "Remove the background and then blur her face" after a crop had blurred
        the face the upload's detection found, on the upload: the background removal and the crop were lost."""
        written, moved = image_names(call.action_input), image_names(found.action_input)
        if not written or not moved or written[0] == moved[0]:
            return found
        made = made_from(written[0])
        if made and made[0] in map_operations():  # a face on a pose map is the photo's ("I wanted her face blurred")
            return found
        if moved[0] not in lineage(written[0], session.made_from)[1:] or FINDER not in self.runtime.available:
            return found
        size = partial(image_size, session.workspace)
        if size(written[0]) == size(moved[0]):
            return replace(found, action_input=found.action_input.replace(moved[0], written[0], 1))
        logger.info("the box of %s was found in %s, an older version: %s runs first", written[0], moved[0], FINDER)
        return ToolCall(found.thought, FINDER, written[0])

    @staticmethod
    def _not_undone(session: ChatSession, request: str, call: ToolCall) -> ToolCall:
        """``call`` on the image "it" means now when it works on an image an undo went back from and ``request``
        names no image (after "undo the rotation", "show me the edges" had drawn the rotated image's edges)."""
        written = image_names(call.action_input)
        if not written or written[0] not in session.undone or not session.latest_image or image_names(request):
            return call
        logger.info("%s was undone; %s is the image now", written[0], session.latest_image)
        return replace(call, action_input=call.action_input.replace(written[0], session.latest_image, 1))

    def _newest_edit_of(self, session: ChatSession, request: str, tool: str, upload: str) -> str:
        """The session's newest image for an edit of ``upload``, the photo ``request`` calls by its file's words, when
        that image is an edit made from it and the request points at no earlier one
        (:func:`agent.image_reference.on_the_newest_edit`); else ``upload``. An edit is ``tool`` making an image
        other than a map, or any step of a request that asks for one (the reading before "blur the sign" blurs the
        text it places). After "blur her face" on astronaut-sign.png, "blur the sign" had read and blurred the upload
        and lost the face's blur."""
        loaded = self.runtime.available
        if upload not in session.images or not session.latest_image or tool not in loaded:
            return upload
        spec = loaded.get(tool)
        edits = spec.output is OutputKind.IMAGE and not spec.makes_map
        if not edits and not any(not loaded.get(asked).makes_map for asked in asked_edits(request, loaded)):
            return upload
        return self._edited_since(session, request, upload)

    @staticmethod
    def _edited_since(session: ChatSession, request: str, image: str) -> str:
        """The session's newest image when it is an edit made from ``image`` and ``request`` points at no earlier
        one (:func:`agent.image_reference.on_the_newest_edit`); else ``image``."""
        latest = session.latest_image or ""
        chain = lineage(latest, session.made_from)
        return on_the_newest_edit(request, image, latest or None, chain, map_operations()) or image

    def _on_the_named_upload(
        self, session: ChatSession, request: str, call: ToolCall, trace: Sequence[TraceStep]
    ) -> ToolCall:
        """A later call of the turn on the upload that the part of ``request`` asking for its tool names, when the
        call works on another upload or a result made from one (agent/upload_names.py); not a call of the turn's
        first tool when the request asks for every upload, which that tool then runs on ("which of these signs says
        stop?" names none by the word "stop" of stop.png)."""
        first = next((taken.action for taken in trace if taken.action), "")
        if call.tool == first and asks_for_every(request, list(session.images)):
            return call
        shows = partial(self.upload_by_what_it_shows, session)
        named = upload_named_for(request, call.tool, session.file_names, self.runtime.available, shows)
        written = image_names(call.action_input)
        if not named or not written or named in lineage(written[0], session.made_from):
            return call
        logger.info("%s works on %s, the upload the request names for it, not on %s", call.tool, named, written[0])
        return replace(call, action_input=call.action_input.replace(written[0], named, 1))

    def _with_maker_noun(self, answer: str, made: str, trace: Sequence[TraceStep]) -> str:
        """``answer`` calling the map ``made`` by the name of the loaded tool that made it (agent/result_words.py)."""
        maker = next((step.action for step in trace if made in step.files), "")
        tools = self.runtime.available
        return with_result_noun(answer, made, tools.get(maker), tools) if maker in tools else answer

    def shown_images(self, session: ChatSession) -> list[str]:
        """The images the conversation has shown the model, oldest first."""
        return image_names(self.shown_text(session))

    @staticmethod
    def shown_text(session: ChatSession, trace: Sequence[TraceStep] = ()) -> str:
        """What the conversation and this turn's observations have shown the model."""
        return "\n".join([*(turn.text for turn in session.memory.turns), *(taken.observation for taken in trace)])

    def _nothing_works_without_image(self, session: ChatSession) -> bool:
        """Whether the session has no image and every loaded tool takes one (no tool call can succeed)."""
        return session.latest_image is None and self.image_tools == set(self.runtime.available.names)

    def _needs_missing_image(self, session: ChatSession, text: str) -> bool:
        """Whether the reply so far calls a tool that takes an image while the session has none."""
        return session.latest_image is None and written_action(text) in self.image_tools

    @staticmethod
    def _checked_answer(answer: str, trace: Sequence[TraceStep], asked: Collection[str] = ()) -> tuple[str, bool]:
        """The answer to give and whether the model's ``answer`` is kept in it.

        After a failed last tool call, an answer that shows no file this turn made is replaced by the error,
        and one that does is kept with the error added; so is the error of an earlier call of a tool ``asked`` for
        that failed with no later call of its tool working. (Models trained on successful calls only tend to
        announce a result that was never made, even when they quote the error.) After a successful one that made
        an image, an answer that declines and names no file made says what was made instead.
        """
        failure = _last_failure(trace)
        on_the_way = _failures_on_the_way(trace, asked)
        if failure is None and on_the_way:
            return f"{answer}\n\nBut a step before failed: {' '.join(on_the_way)}", True
        if failure is None:
            made = _declined_after_success(answer, trace)
            return (MADE_ANSWER.format(tool=made.action, image=made.files[-1]), False) if made else (answer, True)
        if any(name in answer for step in trace for name in step.files):
            return f"{answer}\n\nBut the last step failed: {failure}", True
        return f"I could not do that. {failure}" + _done_so_far(trace, "Done before it"), False

    def _stopped(self, session: ChatSession, user_input: str, trace: list[TraceStep]) -> Reply:
        reply = self._finish(session, user_input, "Stopped" + _done_so_far(trace) + ".", trace, False)
        return Reply(reply.text, reply.files, reply.steps, False, stopped=True)

    def _history_cost(self, turns: Sequence[Turn]) -> int:
        return self.count_tokens(self.template.render_history(turns)) + 1

    def _prompt(self, session: ChatSession, specs: list[Any], user_input: str, scratchpad: str) -> str | None:
        """The wrapped prompt with as much history as fits, or ``None`` when not even the turn fits."""
        budget = self._history_budget(specs, user_input, scratchpad)
        while budget >= 0:
            history = session.memory.window(budget, self._history_cost, user_input + "\n" + scratchpad)
            instruction = self.template.render_instruction(specs, history, user_input)
            prompt = self.template.wrap(instruction, scratchpad, self.tokenizer)
            excess = self.count_tokens(prompt) + self.max_new_tokens - self.context_length
            if excess <= 0:
                return prompt
            if not history:
                return None
            budget -= excess
        return None

    def _history_budget(self, specs: list[Any], user_input: str, scratchpad: str) -> int:
        """The tokens of history a prompt can hold: what the context leaves, at most ``max_history_tokens``."""
        bare = self._bare_prompt(specs, user_input, scratchpad)
        left = self.context_length - self.max_new_tokens - self.count_tokens(bare)
        return min(left, self.max_history_tokens)

    @staticmethod
    def _earlier_image_worked_on(session: ChatSession, trace: Sequence[TraceStep]) -> str | None:
        """The one image every successful call of the turn worked on when it made no image and that image is an
        upload other than the one the latest image comes from ("what's in the other one?") or the photo behind the
        latest image, a map ("draw a box around his face" after "detect the pose": "make a sketch of it" then drew
        the pose map's); else ``None`` (a reading of each upload to tell which has a phone number keeps "it" the
        image its answer names)."""
        worked_on = {image_names(step.action_input)[0] for step in trace if step.ok and image_names(step.action_input)}
        if len(worked_on) != 1 or session.latest_image is None:
            return None
        (image,) = worked_on
        chain = lineage(session.latest_image, session.made_from)
        if image in session.images and image != chain[-1]:
            return image
        made = made_from(session.latest_image)
        return image if image in chain[1:] and made is not None and made[0] in map_operations() else None

    @staticmethod
    def _words_read(session: ChatSession) -> str | None:
        """The words the last reading found in the latest image or one it was made from (``None``: none)."""
        chain = lineage(session.latest_image or "", session.made_from)
        return next(filter(None, (words_read(session.readings, image) for image in chain)), None)

    def _bare_prompt(self, specs: list[Any], user_input: str, scratchpad: str) -> str:
        """The wrapped prompt with no history."""
        return self.template.wrap(self.template.render_instruction(specs, [], user_input), scratchpad, self.tokenizer)

    def _words_prompt(self, request: str) -> str:
        """``request`` alone as the person's turn, with no persona, tools or history: asked with the tools listed, the
        model answered "write a poem about cats" with "I don't have an image to work on yet" or one flat line."""
        return self.template.wrap(request, "", self.tokenizer)

    def _trim_memory(self, session: ChatSession) -> None:
        """Forget what no prompt can hold any more. Past ``max_history_tokens`` the memory goes down to
        :data:`KEPT_HISTORY_SHARE` of it, so that the next turns' prompts open alike and reuse the KV of the one
        before (forgetting one exchange a turn would change every prompt right after its opening)."""
        specs = list(self.runtime.available)
        if not specs:
            return
        budget = self._history_budget(specs, "", "")
        if budget == self.max_history_tokens and self._history_cost(session.memory.turns) > budget:
            budget = int(budget * KEPT_HISTORY_SHARE)
        session.memory.trim(budget, self._history_cost)

    def _finish(
        self,
        session: ChatSession,
        user_input: str,
        answer: str,
        trace: list[TraceStep],
        finished: bool,
        *,
        named_in: str = "",
        model_answer: str = "",
        model_call: str = "",
    ) -> Reply:
        """End the turn with ``answer``. The images shown are those the turn made and the existing ones the
        model's own answer (``named_in``) names; never names quoted from an error (they list other files)."""
        answer = without_protocol(answer) or answer  # never the raw protocol, should a model write it twice
        files = [name for step in trace for name in step.files]
        files += [name for name in image_names(named_in) if self._exists(session.workspace, name)]
        files = list(dict.fromkeys(files))
        # files the model met in an observation stay nameable in later turns; a copy made for the human only
        # (a detector's drawn boxes) is not remembered, or the model takes it for the photo
        seen = [name for name in files if any(name in step.observation for step in trace)]
        session.memory.add_exchange(user_input, remembered_answer(answer, seen))
        self._trim_memory(session)
        if seen:
            session.latest_image = seen[-1]
        elif (worked_on := self._earlier_image_worked_on(session, trace)) is not None:
            session.latest_image = worked_on  # "what's in the other one?", then "blur the cup": on that one
        session.reports = tuple(step for step in trace if step.ok and step.action in REPORTERS) or session.reports
        session.readings += tuple(step for step in trace if step.ok and step.action in READING_TOOLS)
        ran = next((step for step in trace if step.action and step.ok), None)
        if ran:
            session.last_call, session.last_request = ToolCall(ran.thought, ran.action, ran.action_input), user_input
            session.last_steps = tuple(step for step in trace if step.action and step.ok)
        session.last_made = tuple(name for name in files if name in session.made_from) or session.last_made
        session.turn_request, session.turn_steps = user_input, tuple(step for step in trace if step.action)
        return Reply(
            answer,
            tuple(files),
            tuple(trace),
            finished,
            bool(model_answer),
            model_answer=model_answer,
            model_call=model_call,
        )

    def _drawn_before(self, session: ChatSession, call: ToolCall) -> str | None:
        """The map this very ``call`` made earlier in the conversation, still there and not undone, for a map tool (its
        map of the same image is the same picture; asked to "make the sketch bigger", the model drew the sketch again
        and resized the new one); else ``None``."""
        spec = self.runtime.available.get(call.tool) if call.tool in self.runtime.available else None
        if spec is None or not spec.makes_map:
            return None
        record = made_record(call)
        return next(
            (
                image
                for image, made in reversed(session.made_by.items())
                if made == record and image not in session.undone and self._exists(session.workspace, image)
            ),
            None,
        )

    @staticmethod
    def _already_that_size(session: ChatSession, call: ToolCall) -> str:
        """What to say instead of running ``call`` when it resizes an image to the size it has (:data:`ALREADY_SIZED`;
        the model had made an unchanged copy of the cat when both photos were to have the cat's size), else ``""``."""
        if call.tool != RESIZER or len(call.arguments) != 3:
            return ""
        try:
            width, height = (float(number) for number in call.arguments[1:])
        except ValueError:
            return ""
        image = call.arguments[0].strip()
        if image_size(session.workspace, image) != (width, height):
            return ""
        return ALREADY_SIZED.format(image=image, width=round(width), height=round(height))

    @staticmethod
    def _brightness(workspace: Workspace, name: str) -> float | None:
        """The mean brightness of ``name``'s pixels (agent/brightness.py), or ``None`` when it cannot be read."""
        try:
            return mean_brightness(workspace.open_image(name))
        except ToolError:
            return None

    @staticmethod
    def _exists(workspace: Workspace, name: str) -> bool:
        try:
            workspace.resolve(name)
        except ToolError:
            return False
        return True


def image_size(workspace: Workspace, name: str) -> tuple[int, int] | None:
    """The width and height of the workspace image ``name``, or ``None`` when it cannot be read."""
    try:
        return workspace.open_image(name).size
    except ToolError:
        return None


def _needs_image(trace: Sequence[TraceStep], said: str = "") -> Reply:
    """The agent's own "upload an image first" (``said``: the model's answer it replaces, if any)."""
    return Reply(NEEDS_IMAGE, (), tuple(trace), False, bool(said), model_answer=said, by_agent=True)


def _cannot_see(tool: str, to_write: bool = False) -> str:
    """That ``tool``, which answers what a picture shows, is not loaded, with the ``--load`` family that has it; for
    writing about the picture (``to_write``), also that a person's own account of it will do."""
    template = CANNOT_SEE_TO_WRITE if to_write else CANNOT_SEE
    return template.format(tool=tool, family=default_registry().get(tool).family)


def with_every_result(answer: str, trace: Sequence[TraceStep]) -> str:
    """``answer`` to a request of several things (or of one for every upload) followed by :data:`ALSO_MADE` for each
    image the turn made that no later call used other than to read it (a description of the result speaks of it, as
    the training data's answers do; the words read do not) and the answer does not name: asked to "resize astronaut.png to 256x256 and read
    the text in sign.png", the model answered with the words read alone; asked to "rotate both of them", it named one
    result; asked to "read it and make it twice as big", it read the resized sign and gave the words alone; asked to
    "remove the background and then blur her face", the face searched for in the cut-out was not found, and the
    answer said so alone."""
    notes = [
        ALSO_MADE.format(tool=step.action, image=image)
        for index, step in enumerate(trace)
        for image in step.files
        if step.ok
        and image in step.observation  # the call's answer, not a detector's drawing of its boxes
        and image not in answer
        and not any(
            image in later.action_input
            and later.action not in DETECTORS  # a search of it speaks of what it found, not of it
            and (later.files or later.action not in READING_TOOLS)
            and not _crops_the_blur_away(step, later)
            for later in trace[index + 1 :]
        )
    ]
    return with_notes(answer, notes)


def _crops_the_blur_away(step: TraceStep, later: TraceStep) -> bool:
    """Whether ``later`` crops the image the blur ``step`` made to a box clear of the blurred one, so the crop does
    not show the blur ("read the sign, blur the phone number and crop the face": the blurred sign went untold)."""
    if step.action != "Blur Region" or later.action != "Crop Image":
        return False
    blurred, kept = split_arguments(step.action_input)[1:5], split_arguments(later.action_input)[1:5]
    try:
        (left, top, right, bottom), (kept_left, kept_top, kept_right, kept_bottom) = (
            [float(number) for number in blurred],
            [float(number) for number in kept],
        )
    except ValueError:  # no box of four numbers: the crop is taken to show it
        return False
    return right <= kept_left or kept_right <= left or bottom <= kept_top or kept_bottom <= top


def with_notes(answer: str, notes: Sequence[str]) -> str:
    """``answer`` followed by ``notes``, a full stop put after it first where it ends without one ("The rotated image
    is ready: image/....png")."""
    answer = answer.rstrip()
    if notes and answer and answer[-1] not in ".!?\"')":
        answer += "."
    return " ".join([answer, *notes])


def _opened_step(tool: str) -> str:
    """The opening of a step that calls ``tool``, up to where its arguments go (the model writes them)."""
    return f"{THOUGHT} {THOUGHT_YES}\n{ACTION} {tool}\n{ACTION_INPUT}"


def _opened_answer() -> str:
    """The opening of a step that answers without a tool, up to where the answer goes (the model writes it)."""
    return f"{THOUGHT} {THOUGHT_NO}\n{AI}"


def _declined_after_success(answer: str, trace: Sequence[TraceStep]) -> TraceStep | None:
    """The turn's last step when it made an image the model was shown and ``answer`` declines without naming any
    image the turn made (after "remove the background and tell me when done" removed it, the small model answered
    that it could not see images); else ``None``."""
    last = next((step for step in reversed(trace) if step.action), None)
    if last is None or not last.ok or not any(name in last.observation for name in last.files):
        return None
    if not declines(answer) or any(name in answer for step in trace for name in step.files):
        return None
    return last


def _failures_on_the_way(trace: Sequence[TraceStep], asked: Collection[str]) -> list[str]:
    """The errors of the turn's calls of a tool ``asked`` for, before its last call, that failed with no later call of
    their tool working ("find her face, crop it, make it 256 wide and show me the edges": the crop failed, and the
    answer told of the edge map alone); a stray call of a tool nobody asked for that failed is no part of the
    answer."""
    calls = [step for step in trace if step.action]
    return [
        step.observation if step.action in step.observation else f"{step.action} failed: {step.observation}"
        for index, step in enumerate(calls[:-1])
        if not step.ok
        and step.action in asked
        and not any(later.ok and later.action == step.action for later in calls[index + 1 :])
    ]


def _last_failure(trace: Sequence[TraceStep]) -> str | None:
    """The error of the turn's last tool call when it failed (rejected replies aside), else ``None``."""
    last = next((step for step in reversed(trace) if step.action), None)
    if last is None or last.ok:
        return None
    return last.observation if last.action in last.observation else f"{last.action} failed: {last.observation}"


def _read_before_the_edit(request: str, call: ToolCall, trace: Sequence[TraceStep]) -> ToolCall:
    """A later reading on the image the turn's first crop or blur worked on when ``request`` asks to read before that
    edit (agent.text_region.read_before_the_edit); ``call`` otherwise."""
    before = read_before_the_edit(request, call.tool, trace)
    written = image_names(call.action_input)
    if before is None or not written or written[0] == before:
        return call
    logger.info("the reading was asked before the edit: %s, not %s", before, written[0])
    return replace(call, action_input=call.action_input.replace(written[0], before, 1))


def _empty_finding(trace: Sequence[TraceStep]) -> str:
    """What the turn's last successful step told when it found nothing ("I found no text in image/....png."), else
    ``""``: "Done (steps: Text Detection On Image -> No text found.)" read as a success."""
    last = next((taken for taken in reversed(trace) if taken.ok), None)
    if last is None or last.observation.strip() not in (NO_TEXT_FOUND, NO_OBJECT_FOUND):
        return ""
    on = next(iter(image_names(last.action_input)), "")
    return told_on(last.action, on, last.observation) if on else ""


def _done_so_far(trace: Sequence[TraceStep], label: str = "done so far") -> str:
    """`` (done so far: tool -> result; ...)`` for the steps that worked, or nothing."""
    done = [f"{step.action} -> {step.observation}" for step in trace if step.ok]
    return f" ({label}: {'; '.join(done)})" if done else ""


def _original_size(image: Any) -> tuple[int, int] | None:
    """The size of an image given as a PIL image, a path or bytes (header only), ``None`` if unreadable."""
    import io

    from PIL import Image, UnidentifiedImageError

    if isinstance(image, Image.Image):
        return image.size
    try:
        with Image.open(io.BytesIO(image) if isinstance(image, bytes) else image) as opened:
            return upright_size(opened)
    except (OSError, UnidentifiedImageError, ValueError):
        return None
