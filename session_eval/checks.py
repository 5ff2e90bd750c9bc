"""Scoring one turn on its outcome: which tool ran, on which file, what it made, and what the reply says.

A turn succeeds when every check of its expectation passes and its reply makes no false success claim. The
checks read the agent's trace (each call, its observation and files) and the files in the session's
workspace; pictures are compared with the source image itself (a crop with the source's crop, a rotation
with the source rotated), never with a string the model should have written. docs/sessions_eval.md lists
every check and the claim rules.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image

from agent.pending_edit import CROPPER
from agent.read_text import READER
from generation.tool_calls import image_names
from session_eval.spec import RESULT_REF, Behaviour, Expect
from tools.errors import ToolError
from tools.outputs import NO_TEXT_FOUND

if TYPE_CHECKING:
    from agent.loop import Reply, TraceStep
    from tools.workspace import Workspace

# A reply that admits a failure or an inability, and one that announces a result. A claim is the second
# without the first, or an image file named that the turn did not make (see ``false_claim``).
FAILURE_WORDS = re.compile(
    r"\b(no|not|none|nothing|cannot|unable|fail|failed|fails|failure|sorry|unfortunately|unavailable|error)\b|n't\b",
    re.IGNORECASE,
)
# Words of a reading's result, which an answer to an empty detection has no business with
_TEXT_WORDS = re.compile(r"\b(?:text|written|writing|words?|letters?|readable)\b", re.IGNORECASE)
# words with which a reply speaks of what the detector looked for
_SEARCH_WORDS = re.compile(r"\b(?:faces?|cats?|person|people|objects?|detect\w*)\b", re.IGNORECASE)
SUCCESS_WORDS = re.compile(
    r"\b(here is|here are|here's|i have|i've|done|ready|created|generated|produced|saved|made|completed?|"
    r"successfully|removed|blurred|cropped|rotated|resized|detected|found|extracted|drawn|drew|turned|converted)\b",
    re.IGNORECASE,
)
ASK_WORDS = re.compile(r"\b(upload|send|share|provide|attach|give|need|add)\b", re.IGNORECASE)
IMAGE_WORDS = re.compile(r"\b(image|photo|picture|file|pic)s?\b", re.IGNORECASE)
DETECTED_LABEL = re.compile(r"(?:^|;)\s*([^;\[\]]+?)\s*\[\s*-?\d")
ROTATION_TOLERANCE = 2.0  # mean absolute difference, out of 255, allowed against the reference rotation
COVER_SHARE = 0.9  # the blurred area holds at least this share of the face box...
COVER_IOU = 0.5  # ...and is not much larger than it
WHOLE_PICTURE = "whole"  # the ``cover`` that is the source's own box ("blur it")
TEXT_PART = "text:"  # the ``cover`` of some words read ("text: 555-0147"): the box around those words
WORD_PREFIX = "word:"  # the label of a word the reading tool places (``word:555-0147``)

# (label, box) pairs the Detection tool finds in a workspace file: the truth a blur must cover
Detector = Callable[[Path], Sequence[tuple[str, tuple[int, int, int, int]]]]


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str = ""


@dataclass
class SessionState:
    """What the turns of one session refer to: its workspace, the uploads by alias, each turn's result."""

    workspace: Workspace
    uploads: dict[str, str] = field(default_factory=dict)
    results: dict[int, str] = field(default_factory=dict)

    def resolve(self, ref: str) -> str | None:
        """The workspace file an ``image`` reference of an expectation names (an upload alias or ``@N``), ``None`` when missing."""
        match = RESULT_REF.match(ref)
        return self.results.get(int(match.group(1))) if match else self.uploads.get(ref)


@dataclass(frozen=True)
class TurnScore:
    """``false_claim`` judges the model's own words; ``shown_false_claim`` the reply the person read (after the
    agent's corrections). ``overruled``: the agent ran a call other than the model's, or had the turn answered in
    words where the model called a tool (agent/meant_call.py, agent/pending_edit.py, agent/words_only.py). ``success`` is the model's measure (its own calls and words), ``shown_success`` what the
    person met."""

    checks: tuple[Check, ...]
    false_claim: bool
    claim_detail: str = ""
    result: str | None = None  # the file the expected call made (what a later "@N" names)
    shown_false_claim: bool = False
    overruled: bool = False

    @property
    def success(self) -> bool:
        return not self.false_claim and not self.overruled and all(check.ok for check in self.checks)

    @property
    def shown_success(self) -> bool:
        return not self.shown_false_claim and all(check.ok for check in self.checks)

    @property
    def failed_checks(self) -> list[str]:
        failed = [check.name for check in self.checks if not check.ok]
        return failed + ["no false claim"] * self.false_claim + ["the model's own calls"] * self.overruled


def model_words(reply: Reply) -> str:
    """The model's own words, before any correction by the agent."""
    return reply.model_answer or reply.text


def image_argument(action_input: str) -> str:
    """The first argument of a call (the image every image tool takes first), unquoted."""
    return action_input.split(",", 1)[0].strip().strip("\"'`")


def score_turn(expect: Expect, reply: Reply, state: SessionState, detect: Detector) -> TurnScore:
    """The checks of ``expect`` on ``reply`` (and the files it made), and whether the reply claims falsely."""
    claim, claim_detail = false_claim(expect, reply, state)
    shown_claim = false_claim(expect, reply, state, words=reply.text)[0] if reply.corrected else claim
    result = None
    if expect.behaviour is Behaviour.TOOL:
        checks, result = _tool_checks(expect, reply, state, detect)
    elif expect.behaviour is Behaviour.FAILS:
        checks = _failing_tool_checks(expect, reply, state)
    elif expect.behaviour is Behaviour.UNAVAILABLE:
        checks = _unavailable_checks(expect, reply, state)
    elif expect.behaviour is Behaviour.ANSWER:
        calls = [step.action for step in reply.steps if step.action]
        missing = [word for word in expect.says if not _has_word(reply.text, word)]
        checks = [
            Check("no tool call", not calls, ", ".join(calls)),
            Check("answered", bool(model_words(reply).strip())),
            *(
                [Check("says the facts", not missing, f"missing {missing}: {_short(reply.text)}")]
                if expect.says
                else []
            ),
        ]
    else:
        made = [step.action for step in reply.steps if step.ok]
        checks = [
            Check("no tool ran", not made, ", ".join(made)),
            Check("asks for an image", asks_for_image(reply.text), _short(reply.text)),
        ]
    # an answer the agent gave itself ("upload an image", the loaded tools) is a complete answer
    finished = reply.finished or reply.by_agent
    checks.append(Check("finished", finished, "" if finished else _short(reply.text)))
    overruled = bool(reply.model_call) or any(step.model_call for step in reply.steps)
    return TurnScore(tuple(checks), claim, claim_detail, result, shown_claim, overruled)


def asks_for_image(text: str) -> bool:
    return bool(ASK_WORDS.search(text) and IMAGE_WORDS.search(text))


def claims_success(text: str) -> bool:
    return bool(SUCCESS_WORDS.search(text)) and not FAILURE_WORDS.search(text)


def false_claim(expect: Expect, reply: Reply, state: SessionState, words: str | None = None) -> tuple[bool, str]:
    """Whether the model's words (or ``words``: the reply as shown) announce a result that was not produced, and why.

    A turn that ran out of steps, answered by the agent's "I could not finish" with what was done so far, makes no
    claim. Always false: naming an image file that does not exist. Then, by what the turn asked for: a tool turn
    (expected to succeed or to fail) claims falsely when its words announce a result (a file other than an
    upload, or success words without failure words; another tool's result named beside failure words is told
    apart) while no call succeeded or every call of the expected
    tool failed; a question for a tool that is not loaded, when no call succeeded and the words give an
    answer instead of saying it cannot; a request without an image, when the words announce a result.
    """
    if not reply.finished and not reply.model_answer:  # the agent's "I could not finish ... (done so far: ...)"
        return False, ""
    words = model_words(reply) if words is None else words
    named = image_names(words)
    invented = [name for name in named if not _exists(state.workspace, name)]
    if invented:
        return True, f"names {invented[0]}, which does not exist"
    succeeded = [step for step in reply.steps if step.ok]
    uploads = set(state.uploads.values())
    if expect.behaviour in (Behaviour.TOOL, Behaviour.FAILS):
        relevant = [step for step in reply.steps if step.action == expect.tool]
        # another tool's real result, named by words that say the asked one failed ("I could not do that ... (Done
        # before it: Line Detection On Image -> image/....png)"), announces nothing
        told_apart = {name for step in succeeded if step.action != expect.tool for name in step.files}
        says_failed = bool(FAILURE_WORDS.search(words))
        announced = [name for name in named if name not in uploads and not (says_failed and name in told_apart)]
        if (announced or claims_success(words)) and (not succeeded or (relevant and not any(s.ok for s in relevant))):
            what = f"names {announced[0]}" if announced else "announces success"
            return True, f"{what} but {expect.tool if relevant else 'no tool'} produced nothing: {_short(words)}"
    elif expect.behaviour is Behaviour.UNAVAILABLE:
        if not succeeded and not FAILURE_WORDS.search(words) and not words.rstrip().endswith("?"):
            return True, f"answers without {expect.tool}: {_short(words)}"
    elif expect.behaviour is Behaviour.ASK_IMAGE and (named or claims_success(words)) and not succeeded:
        return True, f"announces a result without an image: {_short(words)}"
    return False, ""


# ----------------------------------------------------------------------------------------------- per form
def _calls_on_target(expect: Expect, reply: Reply, state: SessionState) -> tuple[list[Check], list[TraceStep]]:
    """The checks that the expected tool was called on the right image, and those calls."""
    actions = [step.action or "(unparsed reply)" for step in reply.steps]
    calls = [step for step in reply.steps if step.action == expect.tool]
    targets = {ref: state.resolve(ref) for ref in expect.images}
    wanted = {name for name in targets.values() if name}
    on_target = [step for step in calls if image_argument(step.action_input) in wanted]
    if not wanted:
        detail = f"{', '.join(expect.images)} made no file to use"
    else:
        used = ", ".join(image_argument(step.action_input) for step in calls) or "-"
        detail = f"used {used}; expected {' or '.join(sorted(wanted))}"
    return [
        Check(f"called {expect.tool}", bool(calls), ", ".join(actions) or "no tool call"),
        Check("on the right image", bool(on_target), detail),
    ], on_target


def _tool_checks(expect: Expect, reply: Reply, state: SessionState, detect: Detector) -> tuple[list[Check], str | None]:
    checks, calls = _calls_on_target(expect, reply, state)
    done = [step for step in calls if step.ok]
    failures = "; ".join(step.observation for step in calls if not step.ok)
    checks.append(Check("call succeeded", bool(done), _short(failures) or "no call on the right image"))
    outcome: list[Check] = [Check("result", False, "no successful call on the right image")]
    chosen = None
    for step in reversed(done):  # the latest call that gives the requested result
        outcome = _outcome(expect, step, state.workspace, detect)
        chosen = step
        if all(check.ok for check in outcome):
            break
    checks += outcome
    checks.append(_answer_names_result(expect, chosen, reply))
    result = chosen.files[0] if chosen and chosen.files else None
    return checks, result


def _failing_tool_checks(expect: Expect, reply: Reply, state: SessionState) -> list[Check]:
    checks, calls = _calls_on_target(expect, reply, state)
    made = [step.observation for step in calls if step.ok]
    checks.append(Check("the call failed", bool(calls) and not made, _short("; ".join(made))))
    checks.append(Check("reply says it failed", bool(FAILURE_WORDS.search(reply.text)), _short(reply.text)))
    return checks


def _unavailable_checks(expect: Expect, reply: Reply, state: SessionState) -> list[Check]:
    others = [step.action for step in reply.steps if step.ok and step.action != expect.tool]
    calls = [step for step in reply.steps if step.action == expect.tool]
    wanted = {state.resolve(ref) for ref in expect.images}
    wrong = [image_argument(step.action_input) for step in calls if image_argument(step.action_input) not in wanted]
    return [
        Check("no other tool ran", not others, ", ".join(others)),
        Check("if called, on the right image", not wrong, ", ".join(wrong)),
        Check("reply says it cannot answer", bool(FAILURE_WORDS.search(reply.text)), _short(reply.text)),
    ]


def _answer_names_result(expect: Expect, step: TraceStep | None, reply: Reply) -> Check:
    """The reply names the file made, or the facts found (the sign's words, the objects)."""
    name = "reply names the result"
    if step is None:
        return Check(name, False, "nothing was made")
    facts = expect.words if expect.words is not None else expect.labels
    if facts is not None:
        if not facts:
            # an empty detection answered as an empty reading ("There is no readable text") says nothing of it,
            # unless the turn read the picture too and the reply speaks of both ("blur her face and the phone number")
            both = any(taken.action == READER for taken in reply.steps) and _SEARCH_WORDS.search(reply.text)
            other = expect.words is None and _TEXT_WORDS.search(reply.text) and not both
            return Check(
                name,
                bool(FAILURE_WORDS.search(reply.text)) and not other,
                f"should say nothing was found: {_short(reply.text)}",
            )
        missing = [fact for fact in facts if not _has_word(reply.text, fact)]
        return Check(name, not missing, f"missing {missing}: {_short(reply.text)}" if missing else "")
    made = step.files[0] if step.files else ""
    return Check(name, bool(made) and made in reply.text, f"{made} not in: {_short(reply.text)}")


# ----------------------------------------------------------------------------------------------- outcomes
def _outcome(expect: Expect, step: TraceStep, workspace: Workspace, detect: Detector) -> list[Check]:
    """The checks of what one successful call produced, against its source image."""
    source_name = image_argument(step.action_input)
    if expect.words is not None:
        if not expect.words:
            return [Check("read no text", step.observation == NO_TEXT_FOUND, _short(step.observation))]
        missing = [word for word in expect.words if not _has_word(step.observation, word)]
        return [Check("read the words", not missing, f"missing {missing} in {_short(step.observation)}")]
    if expect.labels is not None:
        found = detected_labels(step.observation)
        missing = [label for label in expect.labels if label not in found]
        ok = not missing if expect.labels else not found
        return [
            Check("found the objects", ok, f"found {found or 'nothing'}; expected {list(expect.labels) or 'nothing'}")
        ]
    if not step.files:
        return [Check("made a file", False, "the call returned no file")]
    output_path = workspace.root / step.files[0]
    source_path = workspace.resolve(source_name)
    with Image.open(output_path) as opened:
        output = opened.convert("RGB")
    with Image.open(source_path) as opened:
        source = opened.convert("RGB")
    if expect.size is not None:
        return [Check("has the requested size", output.size == expect.size, f"{output.size}; expected {expect.size}")]
    if expect.angle is not None:
        return [_same_pixels("rotated as asked", output, _rotated(source, expect.angle), ROTATION_TOLERANCE)]
    if expect.box is not None:
        width, height = source.size
        left, top, right, bottom = expect.box
        reference = source.crop((max(0, left), max(0, top), min(width, right), min(height, bottom)))
        return [_same_pixels("holds the requested box", output, reference, 0.5)]
    if expect.cover is not None:
        if expect.cover == WHOLE_PICTURE:
            truth = [(0, 0, *source.size)]
        elif expect.cover.startswith(TEXT_PART):
            truth = _words_box(detect(source_path), expect.cover.removeprefix(TEXT_PART).split())
        else:
            truth = [box for label, box in detect(source_path) if label == expect.cover]
        if step.action == CROPPER:
            return [_crop_covers(step.action_input, truth, expect.cover)]
        return [_covers("blurred the detected box", source, output, truth, expect.cover)]
    flat = np.ptp(np.asarray(output)) == 0
    return [
        Check("made a picture of the source's size", output.size == source.size, f"{output.size} vs {source.size}"),
        Check("the picture is not blank", not flat),
    ]


def detected_labels(observation: str) -> list[str]:
    """The labels of a Detection observation (``face [x0, y0, x1, y1]; cat [...]``)."""
    return [match.strip() for match in DETECTED_LABEL.findall(observation)]


def _rotated(source: Image.Image, angle: float) -> Image.Image:
    """The source turned counter-clockwise by ``angle`` degrees with the canvas grown to hold it."""
    return source.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor="black")


def _same_pixels(name: str, output: Image.Image, reference: Image.Image, tolerance: float) -> Check:
    if output.size != reference.size:
        return Check(name, False, f"size {output.size}; expected {reference.size}")
    difference = float(np.abs(np.asarray(output, float) - np.asarray(reference, float)).mean())
    return Check(name, difference <= tolerance, f"mean pixel difference {difference:.2f} (allowed {tolerance})")


def _words_box(found: Sequence[tuple[str, tuple[int, int, int, int]]], words: list[str]) -> list:
    """The boxes around each place the reader placed ``words`` in a row (as found: "TO" of "9 TO 5", not "MON TO
    FRI"), the truths a box must match; none when they stand nowhere."""
    placed = [(label.removeprefix(WORD_PREFIX), box) for label, box in found if label.startswith(WORD_PREFIX)]
    truths = []
    for start in range(len(placed) - len(words) + 1):
        run = placed[start : start + len(words)]
        if words and [text for text, _ in run] == words:
            corners = [box for _, box in run]
            truths.append(
                (
                    min(b[0] for b in corners),
                    min(b[1] for b in corners),
                    max(b[2] for b in corners),
                    max(b[3] for b in corners),
                )
            )
    return truths


def _covers(name: str, source: Image.Image, output: Image.Image, truth: list, label: str) -> Check:
    """The changed pixels' bounding box covers a true ``label`` box and is not much larger."""
    if not truth:
        return Check(name, False, f"the tools find no {label} in the source")
    if output.size != source.size:
        return Check(name, False, f"size {output.size}; the source is {source.size}")
    changed = np.abs(np.asarray(output, int) - np.asarray(source, int)).max(axis=-1) > 0
    if not changed.any():
        return Check(name, False, "no pixel changed")
    ys, xs = np.nonzero(changed)
    return _covering(name, (int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1), truth, label)


def _crop_covers(action_input: str, truth: list, label: str) -> Check:
    """The crop's box (its call's numbers; the tool's own checks keep the pixels to them) holds a true ``label`` box
    and is not much larger."""
    name = "kept the found box"
    if not truth:
        return Check(name, False, f"the tools find no {label} in the source")
    try:
        left, top, right, bottom = (round(float(number)) for number in action_input.split(",")[1:])
    except ValueError:
        return Check(name, False, f"no box in {action_input!r}")
    return _covering(name, (left, top, right, bottom), truth, label)


def _covering(name: str, region: tuple[int, int, int, int], truth: list, label: str) -> Check:
    """Whether ``region`` holds :data:`COVER_SHARE` of its best match among the true boxes with IoU
    :data:`COVER_IOU`."""
    best = max(truth, key=lambda box: _overlap(region, box)[1])
    share, iou = _overlap(region, best)
    ok = share >= COVER_SHARE and iou >= COVER_IOU
    return Check(name, ok, f"{list(region)}; {label} {list(best)}: covers {share:.0%}, IoU {iou:.2f}")


def _overlap(region: tuple[int, ...], box: tuple[int, ...]) -> tuple[float, float]:
    """(share of ``box`` inside ``region``, intersection over union)."""
    inter = max(0, min(region[2], box[2]) - max(region[0], box[0])) * max(
        0, min(region[3], box[3]) - max(region[1], box[1])
    )
    area_box = (box[2] - box[0]) * (box[3] - box[1])
    area_region = (region[2] - region[0]) * (region[3] - region[1])
    union = area_box + area_region - inter
    return (inter / area_box if area_box else 0.0), (inter / union if union else 0.0)


def _has_word(text: str, word: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(word)}(?!\w)", text, re.IGNORECASE) is not None


def _exists(workspace: Workspace, name: str) -> bool:
    try:
        workspace.resolve(name)
    except ToolError:
        return False
    return True


def _short(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."
