"""The session set: named images and scripted sessions, read from YAML and checked before anything runs.

::

    images:
      astronaut: {sample: astronaut}               # session_eval/images.py documents the specs
    sessions:
      - id: rotate-then-resize
        kind: follow-up                             # the kind of request, for the per-kind report
        turns:
          - upload: [astronaut]                     # uploaded (as the demo does) before this turn is said
            say: turn it 90 degrees clockwise
            expect: {tool: Rotate Image, image: astronaut, angle: -90}
          - say: now make it 128 by 128
            expect: {tool: Resize Image, image: "@1", size: [128, 128]}   # "@1": the result of turn 1

``expect`` takes one of five forms (docs/sessions_eval.md says how each is scored):

- ``{tool: NAME, image: REF or [REFS], CHECK: ...}``: the tool runs on that image and gives the requested result;
  checks: ``size`` (Resize Image), ``angle`` (Rotate Image), ``box`` (Crop Image), ``cover`` (Blur Region, Crop
  Image: the label of the found box to blur or keep, e.g. ``face``, ``text`` for the words the reading tool places,
  ``"text: 555 0147"`` for the box around some of those words, or ``whole`` for the whole picture), ``words`` (Text Detection On Image: the words it must read; ``[]`` for none),
  ``labels`` (Detection: what it must find; ``[]`` for nothing).
- ``{tool: NAME, image: REF, fails: true}``: the tool is called and fails (no person for a pose...); the reply
  must say so.
- ``{unavailable: NAME, image: REF}``: a tool the offline demo does not load (Answer Question About The Image):
  calling it is right, answering without it is not; the reply must say it cannot answer.
- ``{answer: true}``: no tool (chit-chat, thanks, writing); ``says: [WORDS]``: words the answer must hold (a fact
  the agent knows of the files: ``[PNG, "451"]``).
- ``{ask_image: true}``: the request needs an image and none was uploaded; the reply asks for one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import yaml

from protocol.errors import InputError
from tools.catalog import default_registry

DEFAULT_SESSIONS = Path(__file__).resolve().parent / "sessions.yaml"
RESULT_REF = re.compile(r"^@(\d+)$")
# the tools each outcome check applies to
CHECK_TOOLS = {
    "size": ("Resize Image",),
    "angle": ("Rotate Image",),
    "box": ("Crop Image",),
    "cover": ("Blur Region", "Crop Image"),
    "words": ("Text Detection On Image",),
    "labels": ("Detection",),
}
_FORMS = ("tool", "unavailable", "answer", "ask_image")


class SessionSetError(ValueError, InputError):
    """The session set is malformed; the message names the session and turn."""


class Behaviour(StrEnum):
    """What a turn must do."""

    TOOL = "tool"  # run the tool and give the requested result
    FAILS = "fails"  # call the tool, which fails; say so
    UNAVAILABLE = "unavailable"  # a tool not loaded here: call it or say it cannot be done; never invent
    ANSWER = "answer"  # answer without any tool
    ASK_IMAGE = "ask_image"  # no image was uploaded: ask for one


@dataclass(frozen=True)
class Expect:
    """The expected outcome of one turn (see the module docstring)."""

    behaviour: Behaviour
    tool: str | None = None
    images: tuple[str, ...] = ()  # the acceptable image arguments: upload aliases or "@N"
    size: tuple[int, int] | None = None
    angle: float | None = None
    box: tuple[int, int, int, int] | None = None
    cover: str | None = None
    words: tuple[str, ...] | None = None
    labels: tuple[str, ...] | None = None
    says: tuple[str, ...] = ()  # words an answer without a tool must hold

    @property
    def kind(self) -> str:
        """The turn's kind in the report: the tool, or what the turn must do without one."""
        if self.behaviour is Behaviour.TOOL:
            return str(self.tool)
        if self.behaviour is Behaviour.FAILS:
            return f"{self.tool} (fails)"
        if self.behaviour is Behaviour.UNAVAILABLE:
            return f"{self.tool} (not loaded)"
        return "no tool" if self.behaviour is Behaviour.ANSWER else "asks for an image"


@dataclass(frozen=True)
class TurnSpec:
    say: str
    expect: Expect
    upload: tuple[str, ...] = ()


@dataclass(frozen=True)
class SessionSpec:
    id: str
    kind: str
    turns: tuple[TurnSpec, ...]


@dataclass(frozen=True)
class SessionSet:
    images: dict[str, dict[str, Any]]
    sessions: tuple[SessionSpec, ...]

    @classmethod
    def load(cls, path: str | Path = DEFAULT_SESSIONS) -> SessionSet:
        path = Path(path)
        if not path.is_file():
            raise SessionSetError(f"no session set at {path}; the shipped one is {DEFAULT_SESSIONS}")
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as error:
            raise SessionSetError(f"{path} is not valid YAML: {error}") from None
        if not isinstance(data, dict) or not isinstance(data.get("images"), dict) or not data.get("sessions"):
            raise SessionSetError(f"{path}: expected a mapping with 'images' and a list of 'sessions'")
        images = {str(name): dict(spec) for name, spec in data["images"].items()}
        sessions = tuple(_session(item, images, index) for index, item in enumerate(data["sessions"]))
        ids = [session.id for session in sessions]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise SessionSetError(f"{path}: session ids must be unique; repeated: {', '.join(duplicates)}")
        return cls(images, sessions)

    def select(self, ids: str | tuple[str, ...] | None = None, limit: int | None = None) -> tuple[SessionSpec, ...]:
        """The sessions named in ``ids`` (comma separated or a tuple; all when ``None``), at most ``limit``."""
        chosen = self.sessions
        if ids:
            wanted = [i.strip() for i in ids.split(",")] if isinstance(ids, str) else [str(i) for i in ids]
            known = {session.id: session for session in self.sessions}
            missing = [i for i in wanted if i not in known]
            if missing:
                raise SessionSetError(f"unknown session id(s) {', '.join(missing)}; e.g. {', '.join(list(known)[:5])}")
            chosen = tuple(known[i] for i in wanted)
        return chosen[:limit] if limit else chosen


def _session(item: Any, images: Mapping[str, Any], index: int) -> SessionSpec:
    where = f"session {index + 1}"
    if not isinstance(item, dict) or not item.get("id") or not item.get("kind") or not item.get("turns"):
        raise SessionSetError(f"{where}: needs 'id', 'kind' and a list of 'turns'")
    where = f"session {item['id']!r}"
    uploaded: set[str] = set()
    turns: list[TurnSpec] = []
    for number, raw in enumerate(item["turns"], start=1):
        place = f"{where}, turn {number}"
        if not isinstance(raw, dict) or not raw.get("say") or not isinstance(raw.get("expect"), dict):
            raise SessionSetError(f"{place}: needs 'say' and an 'expect' mapping")
        upload = tuple(str(name) for name in raw.get("upload", ()))
        unknown = [name for name in upload if name not in images]
        if unknown:
            raise SessionSetError(f"{place}: uploads unknown image(s) {unknown}; define them under 'images'")
        uploaded.update(upload)
        expect = _expect(raw["expect"], place)
        _check_refs(expect, uploaded, turns, place)
        turns.append(TurnSpec(str(raw["say"]), expect, upload))
    return SessionSpec(str(item["id"]), str(item["kind"]), tuple(turns))


def _expect(raw: dict[str, Any], place: str) -> Expect:
    forms = [form for form in _FORMS if raw.get(form)]
    if len(forms) != 1:
        raise SessionSetError(f"{place}: 'expect' needs exactly one of {', '.join(_FORMS)}")
    form = forms[0]
    images = raw.get("image", ())
    images = (str(images),) if isinstance(images, str) else tuple(str(ref) for ref in images)
    if form in ("answer", "ask_image"):
        extra = sorted(set(raw) - {form, *(("says",) if form == "answer" else ())})
        if extra:
            raise SessionSetError(f"{place}: {form!r} takes no other keys but 'says' (answers), got {extra}")
        return Expect(Behaviour(form), says=_words(raw.get("says", ()), place, "says"))
    tool = str(raw[form])
    if tool not in default_registry():
        raise SessionSetError(f"{place}: unknown tool {tool!r}")
    if not images:
        raise SessionSetError(f"{place}: {form} {tool!r} needs 'image': the image the call must use")
    allowed = {form, "image", "fails", *(key for key, owners in CHECK_TOOLS.items() if tool in owners)}
    extra = sorted(set(raw) - allowed)
    if extra:
        raise SessionSetError(f"{place}: {extra} do not apply to {tool!r} (checks: {CHECK_TOOLS})")
    if form == "unavailable":
        return Expect(Behaviour.UNAVAILABLE, tool, images)
    if raw.get("fails"):
        return Expect(Behaviour.FAILS, tool, images)
    try:
        return Expect(
            Behaviour.TOOL,
            tool,
            images,
            size=_ints(raw["size"], 2) if "size" in raw else None,
            angle=float(raw["angle"]) if "angle" in raw else None,
            box=_ints(raw["box"], 4) if "box" in raw else None,
            cover=str(raw["cover"]) if "cover" in raw else None,
            words=_words(raw["words"], place, "words") if "words" in raw else None,
            labels=tuple(str(label) for label in raw["labels"]) if "labels" in raw else None,
        )
    except (TypeError, ValueError) as error:
        raise SessionSetError(f"{place}: {error}") from None


def _words(raw: object, place: str, key: str) -> tuple[str, ...]:
    """The list of words under ``key``, each a string or a number; YAML reads a bare NO, YES, ON or OFF as a
    truth value, which no answer spells, so it must be quoted."""
    if not isinstance(raw, list | tuple) or not all(isinstance(word, str | int) for word in raw):
        raise SessionSetError(f"{place}: {key!r} is a list of words, e.g. [PNG, '512']")
    truths = [word for word in raw if isinstance(word, bool)]
    if truths:
        raise SessionSetError(f"{place}: {key!r} holds {truths}: YAML reads NO, YES, ON and OFF so; quote them ('NO')")
    return tuple(str(word) for word in raw)


def _ints(value: Any, count: int) -> Any:
    numbers = tuple(int(v) for v in value)
    if len(numbers) != count:
        raise ValueError(f"expected {count} numbers, got {value!r}")
    return numbers


def _check_refs(expect: Expect, uploaded: set[str], earlier: list[TurnSpec], place: str) -> None:
    for ref in expect.images:
        match = RESULT_REF.match(ref)
        if match:
            turn = int(match.group(1))
            if not 1 <= turn <= len(earlier) or earlier[turn - 1].expect.behaviour is not Behaviour.TOOL:
                raise SessionSetError(f"{place}: {ref!r} must name an earlier turn that makes a result")
        elif ref not in uploaded:
            raise SessionSetError(f"{place}: 'image' names {ref!r}, not uploaded in this session yet")
