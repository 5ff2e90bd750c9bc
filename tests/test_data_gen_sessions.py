"""Demo-shaped sessions: every record is what the demo's agent would send, and the gold calls bind the right file."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from agent.loop import Agent, ChatSession
from data_gen import session_phrasings as say
from data_gen.captions import load_captions
from data_gen.config import FACE_TURN_WEIGHT
from data_gen.phrasings import CONDITIONS, TEST_PHRASING, TRAIN_PHRASING, phrasing_pool
from data_gen.sessions import PlannedTurn, Session, SessionBuilder, refer
from data_gen.tasks import IMAGE_PLACEHOLDER
from protocol.prompt import PromptTemplate
from protocol.steps import FinalAnswer, ToolCall, parse_reply, parse_trajectory
from tests.agent_fakes import ScriptedLLM
from tools.catalog import default_registry
from tools.loading import OFFLINE_FAMILIES
from tools.registry import ToolRegistry
from tools.runtime import Observation
from tools.spec import OutputKind
from tools.workspace import Workspace

CATALOGUE = default_registry()
TEMPLATE = PromptTemplate.load("en_product")
CAPTIONS = load_captions("shipped")
SIZE_ONLY = re.compile(r"Description: a \d+x\d+ image\.")
ONE_IMAGE_SCENARIOS = ("tool", "original", "question", "read", "numbers")  # requests that name one image, once


def builder(**options) -> SessionBuilder:
    defaults = {
        "seed": 0,
        "plain_image_share": 0.5,
        "served_listing_share": 0.5,
        "unserved_share": 0.2,
        "answer_share": 1.0,
    }
    return SessionBuilder(TEMPLATE, CATALOGUE, **(defaults | options))


@pytest.fixture(scope="module")
def sessions() -> list[Session]:
    """Two sessions on each of 250 captions spread over the corpus (people, signs, animals...)."""
    made = builder()
    captions = CAPTIONS[::4][:250]
    return [made.session(caption, index, captions) for caption in captions for index in range(2)]


def turn_pairs(sessions: list[Session]) -> Iterator[tuple[PlannedTurn | None, PlannedTurn, Session]]:
    """Each turn with the turn before it (``None`` for a first turn)."""
    for session in sessions:
        previous = None
        for turn in session.turns:
            yield previous, turn, session
            previous = turn


class ReplayRuntime:
    """The runtime contract replaying a session's planned observations, call by call."""

    def __init__(self, session: Session) -> None:
        self.available = ToolRegistry(session.listed)
        self.observations = [(step.call.tool, step.observation) for turn in session.turns for step in turn.steps]
        self.calls: list[tuple[str, str]] = []

    def run(self, tool_name: str, action_input: str, workspace: Workspace) -> Observation:
        tool, observation = self.observations[len(self.calls)]
        self.calls.append((tool_name, action_input))
        assert tool_name == tool
        made = CATALOGUE.get(tool).output is OutputKind.IMAGE
        return Observation(observation or "unknown", True, (observation,) if made and observation else ())


def test_every_record_is_the_prompt_the_demo_agent_sends(sessions, tiny_tokenizer, tmp_path):
    """The sessions replayed through the real agent loop (a scripted model answers the gold replies, the runtime
    replays the planned observations): every prompt the agent renders equals a record's, byte for byte."""
    made = builder()
    replayed = skipped = 0
    for session in sessions[:60]:
        samples = made.render(session)
        llm = ScriptedLLM(
            [sample.record.output for sample in samples] + ["Thought: Do I need to use a tool? No\nAI: ok"]
        )
        runtime = ReplayRuntime(session)
        agent = Agent(llm, runtime, TEMPLATE, tiny_tokenizer, context_length=8192)
        chat = ChatSession(Workspace(tmp_path / f"{session.caption.id}-{session.index}"))
        answered_before_the_model = False
        for turn in session.turns:
            if turn.upload:
                chat.memory.add_image(TEMPLATE.introduce_image(turn.upload.name, turn.description), turn.upload.name)
                chat.latest_image = turn.upload.name  # as Agent.introduce_image leaves it
            if agent.answer_before_the_model(chat, turn.request):  # "upload an image" comes from the agent
                answered_before_the_model = True
                break
            agent.chat(chat, turn.request)
        if answered_before_the_model:
            skipped += 1
            continue
        for sample, prompt in zip(samples, llm.prompts, strict=False):
            assert prompt == TEMPLATE.wrap(sample.record.instruction, sample.record.input, tiny_tokenizer)
            replayed += 1
        assert len(llm.prompts) >= len(samples)
    assert replayed > 150 and skipped < 15  # skipped: a turn the agent answers itself ("cool", "no image yet")


def test_records_parse_and_call_listed_tools(sessions):
    made = builder()
    for session in sessions:
        names = [spec.name for spec in session.listed]
        for sample in made.render(session):
            step = parse_reply(sample.record.output)
            assert isinstance(step, ToolCall | FinalAnswer)
            if isinstance(step, ToolCall):
                assert step.tool in names
                CATALOGUE.get(step.tool).split_arguments(step.action_input)
            for earlier, observation in parse_trajectory(sample.record.input):
                assert isinstance(earlier, ToolCall) and observation


def test_follow_ups_change_one_argument_of_the_last_call(sessions):
    redos = 0
    for previous, turn, _ in turn_pairs(sessions):
        if turn.scenario != "redo":
            continue
        last, (step,) = previous.steps[-1], turn.steps
        assert step.spec.name == last.spec.name
        image_inputs = [i for i, item in enumerate(step.spec.inputs) if item.kind.value == "image"]
        assert [step.arguments[i] for i in image_inputs] == [last.arguments[i] for i in image_inputs]
        changed = [i for i, (a, b) in enumerate(zip(step.arguments, last.arguments, strict=True)) if a != b]
        assert changed and all(step.arguments[i] in turn.request for i in changed)  # the new value is the one asked
        redos += 1
    assert redos > 20


def test_continuations_work_on_the_latest_result(sessions):
    """ "Now make it 128 by 128" after a rotation resizes the rotated image, not the upload."""
    continued = 0
    for session in sessions:
        latest = None
        for turn in session.turns:
            latest = turn.upload.name if turn.upload else latest
            if turn.scenario == "tool" and turn.request.startswith(say.CONTINUATIONS):
                assert turn.steps[0].arguments[0] == latest and "_" in latest  # a result, not the upload
                continued += 1
            made = [step.observation for step in turn.steps if step.spec.output is OutputKind.IMAGE]
            latest = made[-1] if made else latest
    assert continued > 10


@pytest.mark.parametrize(
    ("words", "binds_to"),
    [(say.REFERENCES["original"], "upload"), (("the result", "the new image", "the output", "that image"), "result")],
)
def test_references_bind_to_the_right_file(sessions, words, binds_to):
    checked = 0
    for _, turn, session in turn_pairs(sessions):
        uploads = [t.upload.name for t in session.turns if t.upload]
        if turn.scenario not in ONE_IMAGE_SCENARIOS or not any(
            re.search(rf"\b{re.escape(w)}\b", turn.request) for w in words
        ):
            continue
        if any(w in turn.request for w in say.REFERENCES["first"] + say.REFERENCES["second"]):
            continue
        target = turn.steps[0].arguments[0]
        if binds_to == "upload":
            assert target in uploads
        else:
            assert target not in uploads and "_" in target  # a tool's output, named as the runtime names it
        checked += 1
    assert checked > 10


def test_a_file_named_in_the_request_is_the_one_used(sessions):
    for _, turn, _ in turn_pairs(sessions):
        named = re.findall(
            r"\b(?:image|photos|inputs|data|examples|uploads)/[\w./-]+\.(?:png|jpe?g|JPG|webp)", turn.request
        )
        if turn.steps and named and turn.scenario not in ("redo", "use_box"):
            assert turn.steps[0].arguments[0] == named[0]


def test_a_supplied_map_goes_to_its_generator_not_to_the_map_maker(sessions):
    maps = 0
    for _, turn, _ in turn_pairs(sessions):
        if turn.scenario != "map":
            continue
        (step,) = turn.steps
        assert step.spec.name in CONDITIONS and step.arguments[0] == turn.upload.name
        assert turn.upload.condition == step.spec.name
        assert SIZE_ONLY.fullmatch(f"Description: {turn.description}") or turn.description.startswith(("A ", "An "))
        maps += 1
    assert maps > 10


def test_a_request_without_an_image_asks_for_one(sessions):
    made, asked = builder(), 0
    for session in sessions:
        if session.turns and session.turns[0].scenario == "ask_for_image":
            first = made.render(session)[0]
            assert "Provide an image named" not in first.record.instruction
            answer = parse_reply(first.record.output)
            assert isinstance(answer, FinalAnswer) and answer.answer in say.ASK_FOR_IMAGE
            assert session.turns[1].upload is not None if len(session.turns) > 1 else True
            asked += 1
    assert asked > 5


def test_questions_reading_listing_and_faces_go_to_their_tools(sessions):
    seen, detected = set(), None
    for previous, turn, _ in turn_pairs(sessions):
        if previous is None or previous.scenario not in ("use_box", "list", "find", "tool"):
            detected = None
        if previous is not None and previous.steps and previous.steps[-1].boxes:
            detected = previous.steps[-1]
        tools = [step.spec.name for step in turn.steps]
        if turn.scenario == "question":
            assert tools == ["Answer Question About The Image"] and turn.steps[0].arguments[1].endswith("?")
        elif turn.scenario == "read":
            assert tools == ["Text Detection On Image"]
        elif turn.scenario == "list":
            assert tools == ["Detection"]
        elif turn.scenario == "face":
            faces = [box for box in turn.steps[0].boxes if box.label == "face"]
            assert tools[0] == "Detection" and tools[1:] and set(tools[1:]) <= {"Blur Region", "Crop Image"}
            boxes = [tuple(int(v) for v in step.arguments[1:]) for step in turn.steps[1:]]
            assert boxes == [face.box for face in faces][: len(boxes)]
        elif turn.scenario == "use_box":  # a box of the detector's answer just before, on the image it ran on
            assert turn.steps[0].arguments[0] == detected.arguments[0]
            assert tuple(int(v) for v in turn.steps[0].arguments[1:]) in [box.box for box in detected.boxes]
        elif turn.scenario in ("thanks", "small_talk", "writing", "ask_for_image", "unserved"):
            assert not tools and turn.answer
        seen.add(turn.scenario)
    assert {"question", "read", "list", "face", "use_box", "thanks", "writing", "numbers", "redo", "map"} <= seen


def test_corners_given_as_numbers_are_copied(sessions):
    for _, turn, _ in turn_pairs(sessions):
        if turn.scenario == "numbers":
            (step,) = turn.steps
            assert step.spec.name in ("Crop Image", "Blur Region")
            without_files = re.sub(r"\S+\.(?:png|jpe?g|JPG|webp)", "", turn.request)
            assert re.findall(r"\d+", without_files) == list(step.arguments[1:])


def test_rotations_asked_by_direction_take_the_signed_angle():
    """Clockwise and "to the right" are negative angles for the counter-clockwise tool; upside down is 180. With no
    weight the sessions are those of a recipe without direction turns."""
    captions = CAPTIONS[:60]
    plain = [builder().session(caption, 0, captions) for caption in captions]
    assert plain == [builder(direction_turn_weight=0.0).session(caption, 0, captions) for caption in captions]
    directed = [builder(direction_turn_weight=20.0).session(caption, 0, captions) for caption in captions]
    turns = [turn for _, turn, _ in turn_pairs(directed) if turn.scenario == "direction"]
    assert len(turns) > 20
    for turn in turns:
        (step,) = turn.steps
        angle = float(step.arguments[1])
        if "upside down" in turn.request:
            assert angle == 180
        elif re.search(r"counter-?clockwise|anticlockwise|to the left", turn.request):
            assert angle > 0
        else:
            assert angle < 0 and re.search(r"clockwise|to the right", turn.request)


def test_the_face_turn_weight_sets_how_often_faces_are_edited():
    """The default weight gives the sessions of a recipe without the option; a larger one gives more face edits
    (each a detection, then the edit with the face's box)."""
    captions = CAPTIONS[:60]
    plain = [builder().session(caption, 0, captions) for caption in captions]
    assert plain == [builder(face_turn_weight=FACE_TURN_WEIGHT).session(caption, 0, captions) for caption in captions]

    def face_turns(weight: float) -> list:
        sessions = [builder(face_turn_weight=weight).session(caption, 0, captions) for caption in captions]
        return [turn for _, turn, _ in turn_pairs(sessions) if turn.scenario == "face"]

    assert face_turns(0.0) == []
    weighted = face_turns(4 * FACE_TURN_WEIGHT)
    assert len(weighted) > 2 * len(face_turns(FACE_TURN_WEIGHT)) > 0
    for turn in weighted:
        assert turn.steps[0].spec.name == "Detection" and turn.steps[-1].spec.name in ("Blur Region", "Crop Image")


def test_offline_detections_observe_the_faces_alone():
    """The demo's offline detector reports faces, not captioned objects: with the share at 1 every Detection on a
    photo with people observes its faces alone; at 0 the sessions are those of a recipe without the option."""
    captions = CAPTIONS[:80]
    plain = [builder().session(caption, 0, captions) for caption in captions]
    assert plain == [builder(offline_detection_share=0.0).session(caption, 0, captions) for caption in captions]
    offline = [builder(offline_detection_share=1.0).session(caption, 0, captions) for caption in captions]
    detections = [
        step
        for _, turn, _ in turn_pairs(offline)
        for step in turn.steps
        if step.spec.name == "Detection" and step.boxes
    ]
    with_faces = [step for step in detections if any(box.label == "face" for box in step.boxes)]
    assert with_faces and all(box.label == "face" for step in with_faces for box in step.boxes)


def test_unserved_tools_are_not_listed_and_the_answer_says_so(sessions):
    unserved = 0
    for session in sessions:
        listed = {spec.name for spec in session.listed}
        needed = {step.spec.name for turn in session.turns for step in turn.steps}
        assert needed <= listed
        last = session.turns[-1] if session.turns else None
        if last and last.scenario == "unserved":
            tool = next(name for name in CATALOGUE.names if name in last.answer)
            assert tool not in listed and not last.steps
            unserved += 1
    assert unserved > 5


def test_served_listings_are_the_offline_tools_and_more_in_catalogue_order(sessions):
    """About half the sessions list what a runtime serves: never fewer than the offline tools, in catalogue order;
    the others list a few tools, shuffled."""
    offline = {spec.name for spec in CATALOGUE.available(OFFLINE_FAMILIES)}
    served = [[spec.name for spec in s.listed] for s in sessions if offline <= {spec.name for spec in s.listed}]
    assert 0.3 < len(served) / len(sessions) < 0.7
    for names in served:
        assert names == [name for name in CATALOGUE.names if name in names]
    drawn = [len(s.listed) for s in sessions if not offline <= {spec.name for spec in s.listed}]
    assert max(drawn) < len(offline)


def test_sizes_only_in_the_demo_split_form():
    made = builder(plain_image_share=1.0, served_listing_share=1.0)
    for caption in CAPTIONS[:40]:
        for sample in made.build(caption, 0, CAPTIONS[:40]):
            for line in sample.record.instruction.splitlines():
                if line.startswith("Human: Provide an image named"):
                    assert SIZE_ONLY.search(line)


def test_refer_drops_or_replaces_the_image():
    assert refer(f"Rotate {IMAGE_PLACEHOLDER} by 90 degrees.", "") == "Rotate by 90 degrees."
    assert refer(f"Generate the edge map of {IMAGE_PLACEHOLDER}.", "") == "Generate the edge map."
    assert refer(f"Describe {IMAGE_PLACEHOLDER}.", "") == "Describe it."
    assert refer(f"{IMAGE_PLACEHOLDER} is sideways.", "the photo") == "The photo is sideways."


def test_phrasing_pools_split_every_bank():
    bank = tuple(f"frame {i}" for i in range(8))
    train, test = phrasing_pool(bank, TRAIN_PHRASING, 0.25), phrasing_pool(bank, TEST_PHRASING, 0.25)
    assert len(test) == 2 and not set(train) & set(test) and set(train) | set(test) == set(bank)
    assert phrasing_pool(bank, "", 0.25) == bank == phrasing_pool(bank, TRAIN_PHRASING, 0.0)
    assert phrasing_pool(("one",), TEST_PHRASING, 0.5) == ("one",)  # a bank of one frame is shared
    assert phrasing_pool(bank[:2], TEST_PHRASING, 0.9) and phrasing_pool(bank[:2], TRAIN_PHRASING, 0.9)


def test_a_second_photo_just_uploaded_can_be_called_as_a_first_one_is():
    """After a new upload, "the image" / "this photo" / "it" mean the new photo; the default options give the
    sessions of a recipe without them."""
    captions = CAPTIONS[:80]
    plain = [builder().session(caption, 0, captions) for caption in captions]
    assert plain == [
        builder(second_upload_share=0.1, new_photo_plain_share=0.0).session(caption, 0, captions)
        for caption in captions
    ]
    made = [
        builder(second_upload_share=1.0, new_photo_plain_share=1.0).session(caption, 0, captions)
        for caption in captions
    ]
    second = [turn for session in made for turn in session.turns[1:] if turn.upload]
    assert len(second) > len(captions) // 2
    on_it = [turn for turn in second if turn.steps and turn.upload.name in turn.steps[0].arguments]
    assert on_it
    for turn in on_it:
        assert not any(words in turn.request for words in say.REFERENCES["second"]), turn.request
