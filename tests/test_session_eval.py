"""The executable session evaluation: the set, the outcome checks, and the harness on real offline tools with
scripted players (right, false claims, wrong tool) and on the tiny random model through the demo's builder."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from PIL import Image

from agent.loop import NEEDS_IMAGE, Agent, Reply, TraceStep
from protocol.errors import InputError
from protocol.prompt import PromptTemplate
from session_eval.__main__ import main
from session_eval.checks import SessionState, TurnScore, score_turn
from session_eval.compare import main as compare
from session_eval.images import build_image
from session_eval.report import summarise
from session_eval.rescore import main as rescore
from session_eval.runner import PlayedTurn, run_sessions, tool_detector
from session_eval.spec import Behaviour, Expect, SessionSet, SessionSetError
from tests.session_fakes import FALSE_CLAIM, WRONG_TOOL, SessionPlayer
from tools.outputs import NO_OBJECT_FOUND, NO_TEXT_FOUND
from tools.runtime import Observation, ToolRuntime
from tools.workspace import Workspace

SESSIONS = SessionSet.load()
# every behaviour, a follow-up and a detected face; the slow test plays the whole set
HANDFUL = (
    "edges-astronaut",
    "ocr-blank",
    "crop-chelsea",
    "rotate-then-resize",
    "blur-face-astronaut",
    "question-suit",
    "chat-capital",
    "no-image-blur",
    "fail-pose-coffee",
)
TOOL_SESSIONS = ("edges-coffee", "crop-chelsea", "resize-rocket", "blur-face-astronaut", "ocr-open")


@pytest.fixture(scope="module")
def runtime() -> ToolRuntime:
    import torch

    torch.set_num_threads(2)
    return ToolRuntime.from_load()


@pytest.fixture(scope="module")
def detect(tmp_path_factory):
    return tool_detector(tmp_path_factory.mktemp("truth"))


def play(player: SessionPlayer, runtime, tokenizer, work_dir: Path, detect):
    """The player's sessions through the real agent loop and tools, the agent named as the demo names it."""
    identity = "smollm2-135m-instruct with the LoRA adapter smollm2-gpt4tools"
    agent = Agent(player, runtime, PromptTemplate.load("en"), tokenizer, context_length=8192, identity=identity)
    return run_sessions(agent, SESSIONS, player.sessions, work_dir, detect=detect)


# ----------------------------------------------------------------------------------------------- the set
def test_the_set_covers_the_demo_requests_with_over_a_hundred_sessions():
    assert len(SESSIONS.sessions) >= 100
    behaviours = {turn.expect.behaviour for session in SESSIONS.sessions for turn in session.turns}
    assert behaviours == set(Behaviour)
    assert sum(len(session.turns) > 1 for session in SESSIONS.sessions) >= 20
    assert {"edges", "read a sign", "crop", "follow-up", "blur the face", "what objects", "no image uploaded"} <= {
        session.kind for session in SESSIONS.sessions
    }


def test_every_image_of_the_set_builds():
    for alias, spec in SESSIONS.images.items():
        image = build_image(spec, alias)
        assert image.mode == "RGB" and min(image.size) >= 64, alias


@pytest.mark.parametrize(
    ("session", "message"),
    [
        ({"id": "x", "kind": "k", "turns": [{"say": "hi", "expect": {"tool": "Crop Image"}}]}, "needs 'image'"),
        ({"id": "x", "kind": "k", "turns": [{"say": "hi", "expect": {"tool": "Fly", "image": "a"}}]}, "unknown tool"),
        (
            {"id": "x", "kind": "k", "turns": [{"say": "hi", "expect": {"answer": True, "ask_image": True}}]},
            "exactly one",
        ),
        (
            {
                "id": "x",
                "kind": "k",
                "turns": [
                    {"upload": ["a"], "say": "hi", "expect": {"tool": "Crop Image", "image": "a", "size": [1, 2]}}
                ],
            },
            "do not apply",
        ),
        (
            {"id": "x", "kind": "k", "turns": [{"say": "hi", "expect": {"tool": "Crop Image", "image": "a"}}]},
            "not uploaded",
        ),
        (
            {"id": "x", "kind": "k", "turns": [{"upload": ["b"], "say": "hi", "expect": {"answer": True}}]},
            "unknown image",
        ),
        (
            {"id": "x", "kind": "k", "turns": [{"say": "hi", "expect": {"answer": True, "says": "PNG"}}]},
            "list of words",
        ),
        (
            {"id": "x", "kind": "k", "turns": [{"say": "hi", "expect": {"ask_image": True, "says": ["PNG"]}}]},
            "takes no other keys",
        ),
        (  # a bare NO in YAML: the check would have looked for "False"
            {"id": "x", "kind": "k", "turns": [{"say": "hi", "expect": {"answer": True, "says": [False]}}]},
            "quote them",
        ),
        (
            {
                "id": "x",
                "kind": "k",
                "turns": [
                    {
                        "upload": ["a"],
                        "say": "hi",
                        "expect": {"tool": "Text Detection On Image", "image": "a", "words": [False, "PARKING"]},
                    }
                ],
            },
            "quote them",
        ),
        (
            {
                "id": "x",
                "kind": "k",
                "turns": [{"upload": ["a"], "say": "hi", "expect": {"tool": "Crop Image", "image": "@1"}}],
            },
            "earlier turn",
        ),
    ],
)
def test_a_malformed_session_is_refused_with_the_fix(tmp_path, session, message):
    path = tmp_path / "set.yaml"
    path.write_text(json.dumps({"images": {"a": {"sample": "astronaut"}}, "sessions": [session]}))
    with pytest.raises(SessionSetError, match=message) as caught:
        SessionSet.load(path)
    assert isinstance(caught.value, InputError) and "session" in str(caught.value)


def test_unknown_session_ids_are_named():
    with pytest.raises(SessionSetError, match="no-such"):
        SESSIONS.select("edges-astronaut,no-such")


# ----------------------------------------------------------------------------------------------- outcome checks
class OneCall:
    """Runs one real tool call on an uploaded photo and scores a reply written after it."""

    def __init__(self, runtime: ToolRuntime, folder: Path, image: dict) -> None:
        self.runtime = runtime
        self.workspace = Workspace(folder)
        self.photo = self.workspace.add_image(build_image(image))
        self.detect = tool_detector(folder / "truth")

    def __call__(self, expect: Expect, tool: str, arguments: str, text: str) -> tuple[TurnScore, Observation]:
        action_input = f"{self.photo}, {arguments}" if arguments else self.photo
        observation = self.runtime.run(tool, action_input, self.workspace)
        files = observation.files if observation.ok else ()
        step = TraceStep(1, "", tool, action_input, observation.text, observation.ok, files)
        reply = Reply(text.format(result=observation.text), files, (step,), True)
        state = SessionState(self.workspace, {expect.images[0]: self.photo})
        return score_turn(expect, reply, state, self.detect), observation


def failed(score: TurnScore) -> set[str]:
    return set(score.failed_checks)


def test_a_crop_is_judged_by_its_pixels(runtime, tmp_path):
    run = OneCall(runtime, tmp_path, {"sample": "chelsea"})
    expect = Expect(Behaviour.TOOL, "Crop Image", ("cat",), box=(100, 50, 400, 250))
    right, _ = run(expect, "Crop Image", "100, 50, 400, 250", "Here: {result}")
    assert right.success, right.checks
    # the "0, 200, 200, 1": the call fails, and an answer announcing the crop is a false claim
    empty, observation = run(expect, "Crop Image", "0, 200, 200, 1", "Here is the cropped image.")
    assert not observation.ok and empty.false_claim and "call succeeded" in failed(empty)
    # same size, other place: the tool ran and the reply names its file, yet the pixels are not the box
    shifted, _ = run(expect, "Crop Image", "110, 50, 410, 250", "Here: {result}")
    assert failed(shifted) == {"holds the requested box"}


def test_a_rotation_and_a_resize_are_judged_by_their_pictures(runtime, tmp_path):
    run = OneCall(runtime, tmp_path, {"sample": "coffee"})
    clockwise = Expect(Behaviour.TOOL, "Rotate Image", ("coffee",), angle=-90)
    assert run(clockwise, "Rotate Image", "270", "{result}")[0].success
    wrong_way, _ = run(clockwise, "Rotate Image", "90", "{result}")
    assert failed(wrong_way) == {"rotated as asked"}
    square = Expect(Behaviour.TOOL, "Resize Image", ("coffee",), size=(128, 128))
    # the follow-up that called Rotate Image with 128 instead of resizing
    rotated, _ = run(square, "Rotate Image", "128", "Here it is: {result}")
    assert "called Resize Image" in failed(rotated) and not rotated.false_claim
    assert run(square, "Resize Image", "128, 128", "Resized: {result}")[0].success


def test_a_call_the_agent_ran_instead_of_the_models_is_a_success_only_as_shown(runtime, tmp_path):
    run = OneCall(runtime, tmp_path, {"sample": "coffee"})
    square = Expect(Behaviour.TOOL, "Resize Image", ("coffee",), size=(128, 128))
    score, observation = run(square, "Resize Image", "128, 128", "Here it is: {result}")
    assert score.success and not score.overruled
    step = TraceStep(
        1,
        "",
        "Resize Image",
        f"{run.photo}, 128, 128",
        observation.text,
        True,
        observation.files,
        model_call="Resize Image: image/other.png, 128, 128",
    )
    reply = Reply(f"Here it is: {observation.text}", observation.files, (step,), True)
    state = SessionState(run.workspace, {"coffee": run.photo})
    overruled = score_turn(square, reply, state, run.detect)
    assert overruled.shown_success and not overruled.success and "the model's own calls" in failed(overruled)
    # advice answered in words where the model had called a tool: the words are the agent's doing
    advice = Expect(Behaviour.ANSWER)
    words = Reply("Edges are sharp changes of brightness.", (), (), True, model_call="Edge Detection On Image: x.png")
    assert not score_turn(advice, words, state, run.detect).success
    assert score_turn(advice, replace(words, model_call=""), state, run.detect).success
    assert PlayedTurn.from_dict(PlayedTurn("tips?", words, 1.0).to_dict()).reply.model_call == words.model_call


def test_a_blur_must_cover_the_detected_face(runtime, tmp_path):
    run = OneCall(runtime, tmp_path, {"sample": "astronaut"})
    expect = Expect(Behaviour.TOOL, "Blur Region", ("astronaut",), cover="face")
    ((label, face),) = run.detect(run.workspace.resolve(run.photo))
    assert label == "face"
    covered, _ = run(expect, "Blur Region", ", ".join(map(str, face)), "Blurred: {result}")
    assert covered.success, covered.checks
    # the "blurred a 4-pixel box and said it was done"
    tiny, _ = run(expect, "Blur Region", "200, 100, 202, 102", "Done: {result}")
    assert failed(tiny) == {"blurred the detected box"}
    whole, _ = run(expect, "Blur Region", "0, 0, 512, 512", "Done: {result}")
    assert failed(whole) == {"blurred the detected box"}  # covers the face, but blurs everything


def test_a_crop_to_some_words_must_hold_those_words_as_they_stand_in_a_row(runtime, tmp_path):
    """ "crop to the hours" of "OPEN 9 TO 5 / MON TO FRI": "9 TO 5" is the truth, not every "TO" on the sign."""
    run = OneCall(runtime, tmp_path, SESSIONS.images["sign-hours"])
    expect = Expect(Behaviour.TOOL, "Crop Image", ("sign",), cover="text: 9 TO 5")
    placed = {label: box for label, box in run.detect(run.workspace.resolve(run.photo)) if label.startswith("word:")}
    left, top, right, bottom = placed["word:9"][0], placed["word:9"][1], placed["word:5"][2], placed["word:5"][3]
    hours, _ = run(expect, "Crop Image", f"{left - 5}, {top - 5}, {right + 5}, {bottom + 5}", "Here: {result}")
    assert hours.success, hours.checks
    whole, _ = run(expect, "Crop Image", f"{left - 5}, {top - 5}, {right + 5}, {bottom + 70}", "Here: {result}")
    assert failed(whole) == {"kept the found box"}


def test_reading_a_sign_needs_its_words_in_the_tool_output_and_the_reply(runtime, tmp_path):
    run = OneCall(runtime, tmp_path, SESSIONS.images["sign-street"])
    expect = Expect(Behaviour.TOOL, "Text Detection On Image", ("sign",), words=("MAIN", "STREET"))
    assert run(expect, "Text Detection On Image", "", "It says {result}")[0].success
    unquoted, _ = run(expect, "Text Detection On Image", "", "I read the sign for you.")
    assert failed(unquoted) == {"reply names the result"}
    detected, _ = run(expect, "Detection", "", "The sign says MAIN STREET")
    assert "called Text Detection On Image" in failed(detected)


def test_an_empty_detection_must_be_answered_as_one(runtime, tmp_path):
    run = OneCall(runtime, tmp_path, {"sample": "coffee"})
    expect = Expect(Behaviour.TOOL, "Detection", ("coffee",), labels=())
    assert run(expect, "Detection", "", "I found no face in it.")[0].success
    # seen after an empty reading of the same photo: the detection answered with the reading's words
    reading, _ = run(expect, "Detection", "", "There is no readable text in it.")
    assert failed(reading) == {"reply names the result"}
    # "blur her face and the phone number": the turn read the photo too, and the reply tells both searches
    detection = TraceStep(1, "", "Detection", run.photo, NO_OBJECT_FOUND, True, ())
    reading_step = TraceStep(2, "", "Text Detection On Image", run.photo, NO_TEXT_FOUND, True, ())
    both = Reply("I found no face in it. I found no writing in it.", (), (detection, reading_step), True)
    state = SessionState(run.workspace, {"coffee": run.photo})
    assert score_turn(expect, both, state, run.detect).success
    only_writing = Reply("I found no writing in it.", (), (detection, reading_step), True)
    assert not score_turn(expect, only_writing, state, run.detect).success


def test_an_invented_file_is_always_a_false_claim(tmp_path):
    workspace = Workspace(tmp_path)
    reply = Reply("Sure! Here you go: image/abcd_edge_1234.png", (), (), True)
    score = score_turn(Expect(Behaviour.ANSWER), reply, SessionState(workspace), lambda path: [])
    assert score.false_claim and not score.success and "does not exist" in score.claim_detail


def test_an_answer_must_hold_the_facts_it_is_asked_for(tmp_path):
    state = SessionState(Workspace(tmp_path))
    expect = Expect(Behaviour.ANSWER, says=("PNG", "451"))
    right = Reply("It is a PNG image of 451 x 300 pixels.", (), (), True, by_agent=True)
    assert score_turn(expect, right, state, lambda path: []).success
    wrong = Reply("It is a JPEG of 300 x 200.", (), (), True)
    assert "says the facts" in score_turn(expect, wrong, state, lambda path: []).failed_checks


def test_the_agents_own_upload_request_completes_a_no_image_turn(tmp_path):
    state = SessionState(Workspace(tmp_path))
    given_before_the_model = Reply(NEEDS_IMAGE, (), (), False, by_agent=True)  # the model never ran: no "finish"
    assert score_turn(Expect(Behaviour.ASK_IMAGE), given_before_the_model, state, lambda path: []).success
    cut_short = Reply("Please upload the image first", (), (), False)  # the model's words, cut by the step limit
    assert "finished" in score_turn(Expect(Behaviour.ASK_IMAGE), cut_short, state, lambda path: []).failed_checks


# ----------------------------------------------------------------------------------------------- the harness
def test_a_right_player_succeeds_in_every_session(runtime, tiny_tokenizer, tmp_path, detect):
    records = play(SessionPlayer(SESSIONS.select(HANDFUL)), runtime, tiny_tokenizer, tmp_path, detect)
    for record in records:
        for turn in record.turns:
            assert turn.score.success, (record.id, turn.say, turn.score.failed_checks, turn.score.checks, turn.reply)
    overall = summarise(records)["overall"]
    assert overall["session_success_rate"] == 100.0 and overall["false_claims"] == 0
    rotation, resize = next(r for r in records if r.id == "rotate-then-resize").turns
    assert resize.reply.steps[0].action_input.startswith(rotation.reply.files[0])  # "it" was the rotated picture


def test_false_success_claims_are_counted(runtime, tiny_tokenizer, tmp_path, detect):
    records = play(SessionPlayer(SESSIONS.select(HANDFUL), FALSE_CLAIM), runtime, tiny_tokenizer, tmp_path, detect)
    for record in records:
        for turn in record.turns:
            spec = next(t for t in SESSIONS.select(record.id)[0].turns if t.say == turn.say)
            # a turn the agent answers before the model (a picture question with no tool to answer it) has no claim
            spoke = bool(turn.reply.model_answer) or not turn.reply.by_agent
            expected_claim = spec.expect.behaviour is not Behaviour.ANSWER and spoke
            assert turn.score.false_claim is expected_claim, (record.id, turn.say, turn.reply)
            assert turn.score.success is not expected_claim
    summary = summarise(records)
    pose = summary["by_turn_kind"]["Pose Detection On Image (fails)"]
    assert (
        pose["false_claims"] == 1 and pose["false_claims_corrected"] == 1
    )  # the agent's correction does not excuse the model
    assert pose["false_claims_shown"] == 0 and pose["turn_success_shown"] == 1  # but the person read the error


def test_a_made_up_answer_the_agent_replaced_is_the_models_false_claim_but_not_shown(tmp_path):
    state = SessionState(Workspace(tmp_path), {"cat": "image/cat.png"})
    expect = Expect(Behaviour.UNAVAILABLE, "Answer Question About The Image", ("cat",))
    shown = "I can't see images myself, and Answer Question About The Image is not loaded."
    corrected = Reply(shown, (), (), True, True, model_answer="The cat's eyes are green.")
    score = score_turn(expect, corrected, state, lambda path: [])
    assert score.false_claim and not score.success
    assert not score.shown_false_claim and score.shown_success
    uncorrected = Reply("The cat's eyes are green.", (), (), True)
    score = score_turn(expect, uncorrected, state, lambda path: [])
    assert score.shown_false_claim and not score.shown_success


def test_the_wrong_tool_fails_the_turn_but_is_no_false_claim(runtime, tiny_tokenizer, tmp_path, detect):
    records = play(SessionPlayer(SESSIONS.select(TOOL_SESSIONS), WRONG_TOOL), runtime, tiny_tokenizer, tmp_path, detect)
    overall = summarise(records)["overall"]
    assert overall["turn_success"] == 0 and overall["false_claims_shown"] == 0
    for record in records:
        (turn,) = record.turns
        # this model answers "Here is the result: <observation>" whatever the observation; it makes that claim of its
        # own only after steps the agent took in its place (given a sixth step, after a Blur Region it left
        # without a box)
        assert not turn.score.false_claim or turn.score.overruled
        if turn.score.overruled:  # a sign question went on with the reading tool (agent/read_text.py), a map
            # request drew the map it names (agent/meant_call.named_map_tool), "blur the face" ran Detection
            # (agent/pending_edit.people_unfound; this scripted model then gives Blur Region no box)
            last = turn.reply.steps[-1]
            assert last.model_call
            assert turn.score.shown_success or (last.action == "Blur Region" and not last.ok)
        else:
            assert any(name.startswith("called ") for name in turn.score.failed_checks), turn.score.checks


def test_one_command_runs_the_tiny_model_through_the_demo_builder(tiny_model_dir, tmp_path):
    ids = "edges-astronaut,chat-capital,no-image-crop"
    overall = main(
        base_model=str(tiny_model_dir),
        lora_model="none",
        out=str(tmp_path / "run"),
        only=ids,
        max_steps=2,
        max_new_tokens=8,
    )
    results = json.loads((tmp_path / "run" / "sessions.json").read_text())
    assert results["run"]["adapter"] is None and results["run"]["label"] == "zero-shot"
    assert [s["id"] for s in results["sessions"]] == ids.split(",")
    assert overall == results["summary"]["overall"] and overall["turns"] == 4
    assert "Text Detection On Image" in results["run"]["tools"]
    report = (tmp_path / "run" / "sessions.md").read_text()
    assert "| session success |" in report and "## Failed turns" in report
    assert rescore(out=str(tmp_path / "run")) == overall  # the same replies and files score the same
    table = compare(f"tiny={tmp_path / 'run' / 'sessions.json'}", str(tmp_path / "run" / "sessions.json"))
    assert table.splitlines()[0] == "| | tiny | run |" and "| session success % |" in table


def test_compare_refuses_a_file_that_is_not_a_run(tmp_path):
    (tmp_path / "x.json").write_text("{}")
    with pytest.raises(InputError, match="not a session run"):
        compare(str(tmp_path / "x.json"))


@pytest.mark.slow
def test_every_session_played_right_succeeds_with_the_real_tools(runtime, tiny_tokenizer, tmp_path, detect):
    """Checks the whole set against the tools: every sign is read, every face found, every failing tool fails."""
    records = play(SessionPlayer(SESSIONS.sessions), runtime, tiny_tokenizer, tmp_path, detect)
    failures = [(r.id, t.say, t.score.failed_checks) for r in records for t in r.turns if not t.score.success]
    assert not failures


def test_uploads_are_the_pictures_the_set_describes(tmp_path):
    picture = build_image({"sample": "rocket", "paste": {"sign": "HI"}, "at": [5, 5]})
    plain = build_image({"sample": "rocket"})
    assert picture.size == plain.size and picture.getpixel((2, 2)) == plain.getpixel((2, 2))
    assert picture.getpixel((8, 8)) == (255, 255, 255)  # the white sign plate
    assert isinstance(picture, Image.Image)
