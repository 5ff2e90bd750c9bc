"""A scripted model that plays the session set (session_eval) right, or with a chosen fault, reading only its
prompts: the harness must score the first perfect, and catch each fault."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from agent.every_upload import asks_for_every
from agent.handed_over import hands_over
from agent.head_as_face import as_the_face
from agent.margin import asks_for_a_margin, with_asked_margin
from agent.meant_call import squared_around_its_box
from agent.named_pair import names_a_pair
from agent.pending_edit import BLURRER, CROPPER, names_people, zoom_onto_the_part
from agent.person_and_writing import blurs_one_by_one
from agent.privacy import hides_what_is_personal, private_parts
from agent.profile_picture import AS_A_CROP, as_a_profile_picture
from agent.read_text import as_the_writing
from agent.stated_numbers import named_region
from agent.text_region import blur_of_another_thing, the_part_read
from agent.typed_words import as_spelled
from agent.upload_names import the_upload_as_the_picture
from protocol.steps import ToolCall
from protocol.typos import without_typos
from session_eval.checks import WHOLE_PICTURE
from session_eval.spec import RESULT_REF, Behaviour, Expect, SessionSpec
from tests.agent_fakes import pieces

_NEW_INPUT = "New input: "
_OBSERVATION_RE = re.compile(r"Observation: (.*)")
_INTRODUCED_RE = re.compile(r"Provide an image named (\S+?)\. Description")
_BOX = r"\[(\d+), (\d+), (\d+), (\d+)\]"
_SIZE_RE = re.compile(r"Provide an image named (\S+?)\. Description: a (\d+)x(\d+) image")
_IMAGE_NAME_RE = re.compile(r"\bimage/[\w.-]+\.png\b")  # a file name in what the harness said

RIGHT = "right"
FALSE_CLAIM = "false_claim"  # announce results without making them; claim success after a failed call
WRONG_TOOL = "wrong_tool"  # call another image tool than the one asked for


def call(tool: str, action_input: str) -> str:
    return f"Thought: Do I need to use a tool? Yes\nAction: {tool}\nAction Input: {action_input}\nObservation:"


def answer(text: str) -> str:
    return f"Thought: Do I need to use a tool? No\nAI: {text}"


class SessionPlayer:
    """Follows ``sessions`` turn by turn, as the harness plays them, and answers each prompt.

    Uploads are recognised by the order the prompt introduces them; "@N" by the file the player itself saw
    in turn N's observation. Blurring or cropping a face first runs Detection and takes the box it reports.
    """

    def __init__(self, sessions: Sequence[SessionSpec], mode: str = RIGHT) -> None:
        self.sessions = tuple(sessions)
        self.turns = [(session, number) for session in sessions for number in range(1, len(session.turns) + 1)]
        self.mode = mode
        self.position = -1
        self.results: dict[int, str] = {}
        self.prompts: list[str] = []
        self.sizes: dict[str, tuple[str, str]] = {}  # the uploads' sizes, as the prompt introduces them
        self.introduced: list[str] = []  # the uploads the latest prompt introduced

    def stream(self, prompt: str, max_new_tokens: int = 128) -> Iterator[str]:
        self.prompts.append(prompt)
        yield from pieces(self.reply(prompt))

    def reply(self, prompt: str) -> str:
        said, _, tail = prompt.rpartition(_NEW_INPUT)[2].partition("\n")
        observations = _OBSERVATION_RE.findall(tail)
        opened = prompt.endswith("Action Input:")  # a step the agent opened within the turn
        # the later part of a turn the agent runs as two requests (agent/person_and_writing.py) goes on with it
        introduced = _INTRODUCED_RE.findall(prompt)
        going_on = (
            self.position >= 0
            and said in _parts(*self.turns[self.position], said)[1:]
            and introduced == self.introduced
        )
        while not observations and not opened and not going_on:  # a new turn begins; turns the agent answered
            # itself never reach it
            self.position += 1
            session, number = self.turns[self.position]
            if number == 1:
                self.results = {}
            uploaded = sum(len(earlier.upload) for earlier in session.turns[:number])
            # the same words twice (a request, then "here it is" standing for it): the turn the uploads tell
            if said in _parts(session, number, said)[:1] and uploaded == len(introduced):
                break
        self.introduced = introduced
        session, number = self.turns[self.position]
        turn = session.turns[number - 1]
        assert said in _parts(session, number, said), f"the harness said {said!r}, the script expects {turn.say!r}"
        written = re.search(r"\nAction: ([^\n]+)\nAction Input: ([^\n]+)$", prompt)
        if written:  # the agent wrote the whole call (the next upload, a redo), or its image: the box found there
            box_edit = written.group(1) == turn.expect.tool and "," not in written.group(2)
            box = _found_box(tail, written.group(2), turn.expect.cover) if box_edit else None
            return f", {box}\nObservation:" if box else "\nObservation:"
        uploads = [alias for earlier in session.turns[:number] for alias in earlier.upload]
        names = dict(zip(uploads, _INTRODUCED_RE.findall(prompt), strict=True))
        self.sizes = {name: (width, height) for name, width, height in _SIZE_RE.findall(prompt)}
        size = tuple(int(side) for side in self.sizes.get(names[uploads[-1]], (0, 0))) if uploads else (0, 0)
        expect = _part_expect(turn.expect, said, _asked(session, number), uploads, number=number, size=size)
        if opened:  # the model writes the image, and the numbers its tool is asked for (a box, an angle, a size)
            image = self._resolve(expect, names)
            asked = prompt.rpartition("Action: ")[2].startswith(f"{expect.tool}\n")
            box = _found_box(tail, image, expect.cover) if asked and not expect.box else None
            return f" {f'{image}, {box}' if box else _arguments(expect, image) if asked else image}\nObservation:"
        used = re.findall(r"Action Input: ([^,\s]+)", tail)
        unused = [name for name in names.values() if name not in used]
        every = observations and expect.behaviour is Behaviour.TOOL and asks_for_every(said, list(names))
        if every and expect.cover and expect.cover != WHOLE_PICTURE:  # "blur the faces in both": found, then edited
            for image in names.values():
                box = _found_box(tail, image, expect.cover)
                if f"Action: Detection\nAction Input: {image}\n" not in tail:
                    return call("Detection", image)
                if box and f"Action: {expect.tool}\nAction Input: {image}," not in tail:
                    return call(str(expect.tool), f"{image}, {box}")
        elif every and unused:
            return call(str(expect.tool), _arguments(expect, unused[0]))  # every upload: each in turn
        pair = expect.behaviour is Behaviour.TOOL and names_a_pair(said)
        expected = [self._resolve_one(ref, names) for ref in expect.images] if pair else []
        left = [image for image in expected if image not in used]
        if observations and len(expected) > 1 and left:  # "the edges of the original and of the crop": each in turn
            return call(str(expect.tool), _arguments(expect, left[0]))
        return self._step(expect, turn.say, number, names, observations)

    def _resolve(self, expect: Expect, names: dict[str, str]) -> str:
        return self._resolve_one(expect.images[-1], names)  # of several right images, the latest: "it" in a follow-up

    def _resolve_one(self, ref: str, names: dict[str, str]) -> str:
        match = RESULT_REF.match(ref)
        if match and int(match.group(1)) not in self.results:  # a claim made it up; the agent opened the step
            return list(names.values())[-1]
        return self.results[int(match.group(1))] if match else names[ref]

    def _step(self, expect: Expect, said: str, number: int, names: dict[str, str], observations: list[str]) -> str:
        behaviour = expect.behaviour
        if behaviour is Behaviour.ANSWER:
            return answer("You are welcome! Happy to help with anything else.")
        if behaviour is Behaviour.ASK_IMAGE:
            if self.mode == FALSE_CLAIM:
                return answer("Done! Here it is: image/0000_edge_0000.png")
            return answer("Please upload an image first, then I can do that.")
        if behaviour is Behaviour.TOOL and self.mode == FALSE_CLAIM:
            return answer(f"Here is the result: image/0000_done_{number}.png")
        image = self._resolve(expect, names)
        if behaviour is Behaviour.UNAVAILABLE:
            if self.mode == FALSE_CLAIM:
                return answer("It is blue.")
            if not observations:
                arguments = f"{image}, {said}" if expect.tool == "Answer Question About The Image" else image
                return call(str(expect.tool), arguments)
            return answer(f"I cannot answer that here: {observations[-1]}")
        if behaviour is Behaviour.FAILS:
            if not observations:
                return call(str(expect.tool), image)
            return answer("Done! Here it is.") if self.mode == FALSE_CLAIM else answer(f"Sorry: {observations[-1]}")
        return self._tool_step(expect, number, image, observations, said)

    def _size(self, name: str) -> tuple[int, int]:
        width, height = self.sizes[name]
        return int(width), int(height)

    def _tool_step(self, expect: Expect, number: int, image: str, observations: list[str], said: str = "") -> str:
        if self.mode == WRONG_TOOL:
            if not observations:
                other = (
                    "Line Detection On Image" if expect.tool != "Line Detection On Image" else "Edge Detection On Image"
                )
                return call(other, image)
            return answer(f"Here is the result: {observations[-1]}")
        if expect.cover == WHOLE_PICTURE and not observations:  # "blur it": the picture's own box
            return call("Blur Region", f"{image}, 0, 0, {', '.join(self.sizes[image])}")
        # a face (or a cat) to blur or crop is found first
        named = re.search(r"\b(face|cat)\b", said) if expect.box else None
        face = (expect.cover and expect.cover != WHOLE_PICTURE) or named
        if face and not observations:
            return call("Detection", image)
        # the label to blur ("blur the kitty": cat), or the face or cat to crop
        label = expect.cover or (named.group(1) if named else "face")
        box = re.search(rf"{label} {_BOX}", observations[0]) if face and len(observations) == 1 else None
        if box:  # the box Detection found, or the crop asked of it ("make it square"); the answer follows
            corners = ", ".join(box.groups())
            if as_a_profile_picture(said) == AS_A_CROP:  # a profile picture: the square around the face with room
                crop = with_asked_margin(
                    ToolCall("", CROPPER, f"{image}, {corners}"), AS_A_CROP, self._size, {box.groups()}
                )
                corners = squared_around_its_box(crop, AS_A_CROP, self._size).action_input.split(", ", 1)[1]
            elif asks_for_a_margin(as_the_face(said)):  # "crop her head": the face with some margin
                crop = ToolCall("", CROPPER, f"{image}, {corners}")
                corners = with_asked_margin(crop, as_the_face(said), self._size, {box.groups()}).action_input.split(
                    ", ", 1
                )[1]
            return call(str(expect.tool), _arguments(expect, image) if expect.box else f"{image}, {corners}")
        if not observations:
            return call(str(expect.tool), _arguments(expect, image))
        result = observations[-1]
        if expect.words is not None or expect.labels is not None:
            return answer(f"The tool says: {result}")
        self.results[number] = result
        return answer(f"Here is the result: {result}")


def _found_box(said: str, image: str, label: str | None) -> str | None:
    """The box of ``label`` ("face") that a Detection of ``image`` found in the turn so far (``said``), as a call
    writes it; ``None`` when none did."""
    if not label or label == WHOLE_PICTURE:
        return None
    found = re.findall(rf"Action: Detection\nAction Input: {re.escape(image)}\nObservation: (.*)", said)
    box = re.search(rf"{label} {_BOX}", found[0]) if found else None
    return ", ".join(box.groups()) if box else None


def _arguments(expect: Expect, image: str) -> str:
    if expect.size:
        return f"{image}, {expect.size[0]}, {expect.size[1]}"
    if expect.angle is not None:
        return f"{image}, {expect.angle:g}"
    if expect.box:
        return f"{image}, {', '.join(map(str, expect.box))}"
    return image


_ORDINALS = {"first": 0, "second": 1, "third": 2}


def _part_expect(
    expect: Expect, said: str, asked: str, uploads: Sequence[str], *, number: int, size: tuple[int, int]
) -> Expect:
    """What the player does for ``said``: ``expect``, or for the part of a turn run as two requests
    (agent/person_and_writing.py) that blurs a person, the blur of the face on the upload it names by its place; that
    blurs a place ("the bottom half"), the blur of its box (of a picture of ``size``) on the turn's last result, the
    upload before it."""
    if said == asked:
        return expect
    region = named_region(said, *size)
    if region and not names_people(said):
        return Expect(Behaviour.TOOL, tool="Blur Region", images=(f"@{number}",), box=region)
    if not names_people(said):
        return expect
    place = re.search(rf"\b({'|'.join(_ORDINALS)})\b", said)
    alias = uploads[_ORDINALS[place.group(1)]] if place else uploads[-1]
    return Expect(Behaviour.TOOL, tool="Blur Region", images=(alias,), cover="face")


def _parts(session: SessionSpec, number: int, said: str = "") -> list[str]:
    """What the model is asked in turn ``number`` of ``session``, as one request or as the requests the agent runs
    one after the other; a part that names the image worked on (agent/privacy.py) names the one in ``said``."""
    asked = _asked(session, number)
    image = next(iter(_IMAGE_NAME_RE.findall(said)), "")
    private = private_parts(image) if hides_what_is_personal(asked) else None
    return blurs_one_by_one(asked) or private or [asked]


def _asked(session: SessionSpec, number: int) -> str:
    """What the model is asked in turn ``number`` of ``session``: its words as the agent reads them (protocol/typos.py,
    agent/typed_words.py), or, for one that only hands an image over ("here it is"), the request before it that
    waited for the image (agent/handed_over.py)."""
    say = session.turns[number - 1].say
    asked = as_spelled(without_typos(session.turns[number - 2].say if number > 1 and hands_over(say) else say))
    # "it" after a question of a part of the writing, "and her face too" after a blur, "make her face bigger" of a
    # photo not cropped: as Agent.taken_up spells them out from the last turn (its tool, as the script expects it)
    last_tool = str(session.turns[number - 2].expect.tool or "") if number > 1 else ""
    asked = the_part_read(asked, _asked(session, number - 1) if number > 1 else "", last_tool)
    asked = blur_of_another_thing(asked, last_tool == BLURRER)
    asked = as_the_face(as_a_profile_picture(zoom_onto_the_part(asked, last_tool == CROPPER)))
    uploaded = [alias for turn in session.turns[:number] for alias in turn.upload]
    asked = as_the_writing(asked) if uploaded else asked  # "translate it": the picture's writing
    return the_upload_as_the_picture(asked, f"{uploaded[-1]}.png" if uploaded else None)
