"""Plan mode end to end with a scripted model: plan shown first, the re-plan after an invalid plan, execution,
the answer (the model's summary only when every step finished), Stop, and the automatic switch."""

from __future__ import annotations

import json
import re
from dataclasses import replace

import pytest
from PIL import Image

from agent.executor import Executor, StepStatus
from agent.loop import NOT_LOADED, Agent, ChatSession, Reply
from agent.plan_mode import PlanAgent, PlanMade, PlanReply, StepUpdate
from agent.planner import Planner
from agent.request_parts import asks_for_several
from agent.step_runner import RuntimeStepRunner
from protocol.plan import Reference
from protocol.plan_prompt import PlanTemplate, is_plan_prompt
from protocol.plan_response import ResponseTemplate
from protocol.prompt import PromptTemplate
from tests.agent_fakes import FakeRuntime, pieces
from tests.plan_fakes import WAIT, Held, ScriptedRunner
from tools.outputs import NO_OBJECT_FOUND, Box, scope_note
from tools.runtime import Observation
from tools.workspace import Workspace

TEMPLATE = PromptTemplate.load("en")
RESPONSE = ResponseTemplate.load("en")
_OBSERVED = re.compile(r"Observation: (image/\S+\.png)")
_IMAGES = re.compile(r"image/[0-9a-f]+\.png")


class PlanningLLM:
    """Answers plan prompts from ``plans`` (in order, the last repeating; or ``plans(prompt)``), and others with
    ``answer(prompt)``: after a plan's steps (the prompt ends at ``AI:``) or as a ReAct reply that needs no tool."""

    def __init__(self, plans, answer=lambda prompt: "Here it is: " + _OBSERVED.findall(prompt)[-1]):
        self.plans = plans
        self.answer = answer
        self.prompts: list[str] = []

    def stream(self, prompt, max_new_tokens=128):
        self.prompts.append(prompt)
        if is_plan_prompt(prompt):
            if callable(self.plans):
                yield from pieces(self.plans(prompt))
                return
            planned = sum(is_plan_prompt(p) for p in self.prompts)
            yield from pieces(self.plans[min(planned, len(self.plans)) - 1])
        elif prompt.endswith("AI:"):
            yield from pieces(" " + self.answer(prompt))
        elif prompt.endswith("Action Input:"):  # a step the agent opened: on the latest image named
            yield from pieces(f" {_IMAGES.findall(prompt)[-1]}\nObservation:")
        else:
            yield from pieces("Thought: Do I need to use a tool? No\nAI: " + self.answer(prompt))


def steps(*steps):
    return json.dumps([{"task": t, "id": i, "dep": [-1], "args": a} for i, (t, a) in enumerate(steps)])


@pytest.fixture
def session(tmp_path):
    return ChatSession(Workspace(tmp_path / "ws"))


def build(tokenizer, llm, runtime=None, runner=None, **executor_options):
    runtime = runtime or FakeRuntime()
    agent = Agent(llm, runtime, TEMPLATE, tokenizer, context_length=4096)
    planner = Planner(llm, TEMPLATE, PlanTemplate.load("en"), tokenizer, runtime.available)
    executor = Executor(runner or RuntimeStepRunner(runtime), **executor_options)
    return PlanAgent(agent, planner, executor, RESPONSE), runtime


def upload(plan_agent, session):
    name = plan_agent.agent.introduce_image(session, Image.new("RGB", (32, 32), "white")).name
    return name


def test_a_planned_turn_shows_the_plan_first_runs_it_and_answers(tiny_tokenizer, session):
    llm = PlanningLLM([])
    plan_agent, _ = build(tiny_tokenizer, llm)
    image = upload(plan_agent, session)
    llm.plans = [
        steps(("Edge Detection On Image", {"image_path": image}), ("Pose Detection On Image", {"image_path": image}))
    ]
    events = list(plan_agent.run(session, f"edges and pose of {image}"))
    assert isinstance(events[0], PlanMade) and events[0].attempt == 1 and events[0].result.ok
    assert events[0].text.startswith("Plan:\n1. Edge Detection On Image: image_path = ")
    assert image in llm.prompts[0]  # the session's image is offered to the planner
    updates = [e.result for e in events if isinstance(e, StepUpdate)]
    assert [u.status for u in updates if u.step.id == 0] == [StepStatus.RUNNING, StepStatus.DONE]
    assert [u.status for u in updates if u.step.id == 1] == [StepStatus.RUNNING, StepStatus.DONE]
    reply = events[-1]
    assert isinstance(reply, PlanReply) and reply.execution.ok
    edge, pose = (r.outcome.image for r in reply.execution.results)
    assert reply.files == (edge, pose)
    assert session.latest_image == pose  # "it" in the next message is the plan's last image
    assert reply.answer.by_model and reply.answer.summary == f"Here it is: {pose}"
    assert reply.text.splitlines()[2:] == [
        "Steps:",
        f"1. Edge Detection On Image, by Image2Canny (the only Image2Canny backend loaded here): {edge}",
        f"2. Pose Detection On Image, by Image2Pose (the only Image2Pose backend loaded here): {pose}",
    ]
    # the model answered after the plan's steps, as a ReAct scratchpad
    assert f"Action: Edge Detection On Image\nAction Input: {image}\nObservation: {edge}" in llm.prompts[-1]
    assert llm.prompts[-1].endswith("Thought: Do I need to use a tool? No\nAI:")
    assert plan_agent.agent.llm is llm and reply.text in session.memory.turns[-1].text


def test_an_invalid_plan_is_sent_back_once_with_the_error(tiny_tokenizer, session):
    llm = PlanningLLM([])
    plan_agent, runtime = build(tiny_tokenizer, llm)
    image = upload(plan_agent, session)
    llm.plans = [
        steps(("Edge Detection", {"image_path": image})),
        steps(("Edge Detection On Image", {"image_path": image})),
    ]
    events = list(plan_agent.run(session, f"edges of {image}"))
    made = [e for e in events if isinstance(e, PlanMade)]
    assert [m.attempt for m in made] == [1, 2]
    assert "unknown tool 'Edge Detection'" in made[0].result.error and made[1].result.ok
    assert "Your previous reply cannot run: step 1 (id 0): unknown tool 'Edge Detection'" in llm.prompts[1]
    assert isinstance(events[-1], PlanReply) and events[-1].execution.ok
    assert [tool for tool, _ in runtime.calls] == ["Edge Detection On Image"]


def test_two_invalid_plans_end_the_turn_with_the_reason_and_run_nothing(tiny_tokenizer, session):
    llm = PlanningLLM(["I would rather not."])
    plan_agent, runtime = build(tiny_tokenizer, llm)
    upload(plan_agent, session)
    reply = plan_agent.chat(session, "edges please")
    assert isinstance(reply, PlanReply) and reply.execution is None and len(reply.plans) == 2
    assert reply.text.startswith("I could not make a plan the tools can run: no JSON list found")
    assert runtime.calls == [] and len(llm.prompts) == 2


def test_a_plan_naming_an_image_not_handed_in_is_invalid(tiny_tokenizer, session):
    llm = PlanningLLM([steps(("Edge Detection On Image", {"image_path": "image/elsewhere.png"}))])
    plan_agent, runtime = build(tiny_tokenizer, llm)
    upload(plan_agent, session)
    reply = plan_agent.chat(session, "edges of the other image")
    assert "not an image of this session" in reply.text and runtime.calls == []


def test_after_a_failed_step_the_summary_is_templated_and_says_so(tiny_tokenizer, session):
    llm = PlanningLLM([])
    runtime = FakeRuntime(fail=lambda tool: "the pose model broke" if tool == "Pose Detection On Image" else None)
    plan_agent, _ = build(tiny_tokenizer, llm, runtime)
    image = upload(plan_agent, session)
    llm.plans = [
        steps(
            ("Edge Detection On Image", {"image_path": image}),
            ("Pose Detection On Image", {"image_path": image}),
            ("Edge Detection On Image", {"image_path": "<GENERATED>-1"}),
        )
    ]
    reply = plan_agent.chat(session, "edges, pose, and the edges of the pose")
    assert not reply.answer.by_model
    assert reply.answer.summary == "I did 1 of 3 steps; the others could not be done (see below)."
    lines = reply.text.splitlines()
    assert lines[4] == "2. Pose Detection On Image: failed, the pose model broke"
    assert (
        lines[5] == "3. Edge Detection On Image: skipped, step 2 (Pose Detection On Image) failed: the pose model broke"
    )
    assert sum(not is_plan_prompt(p) for p in llm.prompts) == 0  # the model was not asked for the summary
    # "why?" tells the planned turn's steps that ran (it had told of the chat turn before it)
    assert plan_agent.chat(session, "why did you do that?").text == (
        f'Because you asked "edges, pose, and the edges of the pose": I ran Edge Detection On Image on {image} (it'
        f" made {reply.files[0]}), then Pose Detection On Image on {image}, which failed: the pose model broke."
    )


@pytest.mark.parametrize(
    "line",
    [
        "Here it is: image/made_up.png",  # an image nobody made
        "I could not do that: {image} is not that close.",  # none of the images the steps made
    ],
)
def test_a_summary_that_does_not_name_what_was_made_is_replaced(tiny_tokenizer, session, line):
    llm = PlanningLLM([])
    plan_agent, _ = build(tiny_tokenizer, llm)
    image = upload(plan_agent, session)
    llm.answer = lambda prompt: line.format(image=image)
    llm.plans = [steps(("Edge Detection On Image", {"image_path": image}))]
    reply = plan_agent.chat(session, f"edges of {image}")
    assert not reply.answer.by_model and reply.answer.summary == "Done: 1 of 1 steps finished."


def test_an_empty_plan_is_answered_by_the_react_loop(tiny_tokenizer, session):
    llm = PlanningLLM(["[]"], answer=lambda prompt: "Hello!")
    plan_agent, runtime = build(tiny_tokenizer, llm)
    reply = plan_agent.chat(session, "how are you?")
    assert isinstance(reply, Reply) and reply.text == "Hello!" and runtime.calls == []
    assert session.turns == 1


def test_a_request_to_see_images_again_is_answered_without_a_plan(tiny_tokenizer, session):
    """Seen in a plan drive: "show me both" was planned as the edges of both uploads."""
    llm = PlanningLLM([steps(("Edge Detection On Image", {"image_path": "image/x.png"}))])
    plan_agent, runtime = build(tiny_tokenizer, llm)
    first, second = upload(plan_agent, session), upload(plan_agent, session)
    reply = plan_agent.chat(session, "show me both")
    assert isinstance(reply, Reply) and reply.files == (first, second)
    assert runtime.calls == [] and llm.prompts == []


class RecordingExecutor(Executor):
    """Keeps the runs it starts, so a test can look at them."""

    def __init__(self, runner):
        super().__init__(runner)
        self.runs = []

    def start(self, *args, **kwargs):
        self.runs.append(super().start(*args, **kwargs))
        return self.runs[-1]


def test_closing_the_turn_cancels_the_running_plan(tiny_tokenizer, session):
    busy = Held()
    runner = ScriptedRunner({"Edge Detection On Image": busy})
    llm = PlanningLLM([])
    plan_agent, _ = build(tiny_tokenizer, llm, FakeRuntime(names=("Edge Detection On Image", "Get Photo Description")))
    plan_agent.executor = executor = RecordingExecutor(runner)
    image = upload(plan_agent, session)
    llm.plans = [
        steps(
            ("Edge Detection On Image", {"image_path": image}),
            ("Get Photo Description", {"image_path": "<GENERATED>-0"}),
        )
    ]
    turn = plan_agent.run(session, "edges then describe them")  # "them": the description waits for the edges
    for event in turn:
        if isinstance(event, StepUpdate) and event.result.status is StepStatus.RUNNING:
            break
    assert busy.started.wait(WAIT)
    turn.close()  # what a Stop button does to the event stream
    (run,) = executor.runs
    assert run.finished
    assert [r.status for r in run.snapshot().results] == [StepStatus.CANCELLED, StepStatus.CANCELLED]
    busy.release.set()
    assert len(session.memory) == 1  # only the image: the stopped turn left no answer behind


@pytest.mark.parametrize(
    ("request_text", "several"),
    [
        ("Show me the edges of image/a.png", False),
        ("what is in the image?", False),
        ("draw a cat and a dog", False),
        ("find the faces in image/a.png and blur them", True),
        ("detect the text, then describe the photo", True),
        ("Find the objects in image/a.png, crop them out and tell me what the crop shows.", True),
        ("把图像的边缘找出来，然后描述它", True),
    ],
)
def test_asks_for_several(request_text, several):
    assert asks_for_several(request_text) is several


# ----------------------------------------------------------------- the terminal chat and the command line
def test_terminal_plans_first_when_switched_on_or_when_a_message_asks_for_several(tiny_tokenizer, tmp_path):
    import io

    from ui.terminal import chat_in_terminal

    def planned(prompt):
        name = re.findall(r"image/[0-9a-f]{8}\.png", prompt)[-1]
        return steps(
            ("Edge Detection On Image", {"image_path": name}), ("Pose Detection On Image", {"image_path": name})
        )

    llm = PlanningLLM(planned, answer=lambda prompt: "Done, see " + (_OBSERVED.findall(prompt) or ["nothing"])[-1])
    plan_agent, runtime = build(tiny_tokenizer, llm)
    image = tmp_path / "photo.png"
    Image.new("RGB", (32, 32), "white").save(image)
    commands = (
        f"/image {image}\n/plan maybe\n/plan auto\nfind the edges, then the pose\n"
        "show me the edges\n/plan on\nshow me the edges\n/quit\n"
    )
    out = io.StringIO()
    chat_in_terminal(plan_agent.agent, tmp_path / "ws", io.StringIO(commands), out, plan_agent=plan_agent, plan="off")
    text = out.getvalue()
    assert "/plan on|off|auto" in text and "(now: off)" in text and "(now: auto)" in text and "(now: on)" in text
    assert text.count("Plan:\n1. Edge Detection On Image") == 2  # the "then" message and the one after /plan on
    # "show me the edges" planned with a pose nobody asked for runs the edges alone (agent.plan_stand_ins)
    assert text.count("[done] Pose Detection On Image") == 1
    assert "\nAI: Done, see image/" in text and "Steps:\n1. Edge Detection On Image, by Image2Canny" in text
    assert sum(is_plan_prompt(p) for p in llm.prompts) == 2  # "show me the edges" under auto went to ReAct
    assert [tool for tool, _ in runtime.calls].count("Pose Detection On Image") == 1


@pytest.mark.parametrize(
    ("options", "message"),
    [({"mode": "web"}, "--mode must be one of gradio, cli, server"), ({"plan": "maybe"}, "--plan must be on, off")],
)
def test_gpt4tools_refuses_an_unknown_mode_before_loading_anything(options, message):
    import gpt4tools

    with pytest.raises(gpt4tools.ModeError, match=message):
        gpt4tools.main(**options)


def test_a_step_that_repeats_an_earlier_one_runs_once(tiny_tokenizer, session):
    """The embedded planner wrote "edges, edges, rotate"; the plan shown and run has the edges once."""
    llm = PlanningLLM([])
    plan_agent, runtime = build(tiny_tokenizer, llm)
    image = upload(plan_agent, session)
    edges = ("Edge Detection On Image", {"image_path": image})
    llm.plans = [steps(edges, edges, ("Pose Detection On Image", {"image_path": "<GENERATED>-1"}))]
    reply = plan_agent.chat(session, f"edges of {image}, then the pose of the edges")
    assert reply.plan.describe().splitlines() == [
        f'1. Edge Detection On Image: image_path = "{image}"',
        "2. Pose Detection On Image (uses step 1): image_path = the output of step 1",
    ]
    assert [tool for tool, _ in runtime.calls] == ["Edge Detection On Image", "Pose Detection On Image"]
    assert reply.plan.reply == llm.plans[0]  # the model's own words are kept


def test_a_resize_of_a_square_crop_is_sized_from_the_square(tiny_tokenizer, session):
    """Seen in a drive: "crop it to a square, then make it 200 pixels wide" of a 600 x 400 photo was planned with the
    crop box 200, 1, 1, 200 and the resize 200 x 1; the crop failed."""
    llm = PlanningLLM([])
    plan_agent, runtime = build(tiny_tokenizer, llm, FakeRuntime(names=("Crop Image", "Resize Image")))
    image = plan_agent.agent.introduce_image(session, Image.new("RGB", (60, 40), "white")).name
    crop = ("Crop Image", {"image_path": image, "left": 20, "top": 1, "right": 1, "bottom": 20})
    llm.plans = [steps(crop, ("Resize Image", {"image_path": "<GENERATED>-0", "width": 20, "height": 1}))]
    plan_agent.chat(session, "crop it to a square, then make it 20 pixels wide")
    assert runtime.calls[0] == ("Crop Image", f"{image}, 10, 0, 50, 40")
    assert runtime.calls[1][1].endswith(", 20, 20")


def test_a_map_planned_on_another_map_is_drawn_from_the_photo(tiny_tokenizer, session):
    """The embedded planner put "the pose" of "show me the edges, then the pose" on the edge map: no person there."""
    llm = PlanningLLM([])
    plan_agent, runtime = build(tiny_tokenizer, llm)
    image = upload(plan_agent, session)
    pose_of_edges = ("Pose Detection On Image", {"image_path": "<GENERATED>-0"})
    llm.plans = [steps(("Edge Detection On Image", {"image_path": image}), pose_of_edges)]
    reply = plan_agent.chat(session, "Show me the edges, then the pose")
    assert reply.plan.describe().splitlines()[1] == f'2. Pose Detection On Image: image_path = "{image}"'
    # the two steps no longer depend on each other, so they may run in either order
    assert sorted(runtime.calls) == [("Edge Detection On Image", image), ("Pose Detection On Image", image)]


def test_after_a_new_upload_a_plan_on_the_earlier_photo_runs_on_the_new_one(tiny_tokenizer, session):
    """The embedded planner drew the lines of the first photo when asked for "the image" after a second upload."""
    llm = PlanningLLM([])
    plan_agent, runtime = build(tiny_tokenizer, llm)
    first, second = upload(plan_agent, session), upload(plan_agent, session)
    llm.plans = [steps(("Edge Detection On Image", {"image_path": first}))]
    reply = plan_agent.chat(session, "get the edges of the image")
    assert reply.plan.describe() == f'1. Edge Detection On Image: image_path = "{second}"'
    assert runtime.calls == [("Edge Detection On Image", second)]
    plan_agent.chat(session, "now the edges of the first photo")
    assert runtime.calls[-1] == ("Edge Detection On Image", first)


def test_a_step_moved_to_the_newest_upload_onto_its_twin_runs_once(tiny_tokenizer, session):
    """Asked "describe the cat photo and show me its edges" after two uploads, the embedded planner drew the edges of
    both photos; moved to the newest, the two steps were the same call and ran twice."""
    llm = PlanningLLM([])
    plan_agent, runtime = build(tiny_tokenizer, llm)
    first, second = upload(plan_agent, session), upload(plan_agent, session)
    llm.plans = [
        steps(("Edge Detection On Image", {"image_path": first}), ("Edge Detection On Image", {"image_path": second}))
    ]
    reply = plan_agent.chat(session, "show me the edges of the image")
    assert reply.plan.describe() == f'1. Edge Detection On Image: image_path = "{second}"'
    assert runtime.calls == [("Edge Detection On Image", second)]


def test_a_map_standing_in_for_a_tool_not_loaded_is_left_out_and_the_answer_says_how_to_load_it(
    tiny_tokenizer, session
):
    """Offline, "... then show me the depth" was planned as a HED map and called done."""
    llm = PlanningLLM([])
    plan_agent, runtime = build(tiny_tokenizer, llm)
    image = upload(plan_agent, session)
    edges, pose = ("Edge Detection On Image", {"image_path": image}), ("Pose Detection On Image", {"image_path": image})
    llm.plans = [steps(edges, pose)]
    reply = plan_agent.chat(session, "show me the edges, then the depth")
    assert reply.plan.describe() == f'1. Edge Detection On Image: image_path = "{image}"'
    assert runtime.calls == [("Edge Detection On Image", image)]
    missing = RESPONSE.not_loaded.format(tool="Predict Depth On Image", load="Image2Depth_cpu")
    assert reply.text.endswith("\n\n" + missing) and missing in session.memory.turns[-1].text
    # the model, answering the whole request, would call the edges what was asked for: its line is not used
    assert not reply.answer.by_model and reply.text.startswith(RESPONSE.summary_short_of_tools.format(total=1))
    llm.plans = [steps(pose)]
    reply = plan_agent.chat(session, "show me the depth map")  # asked alone: the agent answers before planning
    assert reply.text == NOT_LOADED.format(tool="Predict Depth On Image", load="Image2Depth_cpu")
    assert len(runtime.calls) == 1  # nothing more ran


def test_a_rule_that_breaks_the_plan_leaves_the_planners_plan_to_run(tiny_tokenizer, session, monkeypatch):
    """A rule once re-pointed a box step already given a detection at a detection of that detection: the executor
    refused the plan and the server answered 500. Whatever a rule does, the plan that runs is one that validates."""
    import agent.plan_mode
    from protocol.plan import Plan, PlanStep, Reference

    broken = Plan((PlanStep("Pose Detection On Image", 0, (("image_path", Reference(7)),)),))
    monkeypatch.setattr(
        agent.plan_mode, "boxes_from_the_detection", lambda plan, request, tools, size, shown: (broken, {0: 7})
    )
    llm = PlanningLLM([])
    plan_agent, runtime = build(tiny_tokenizer, llm)
    image = upload(plan_agent, session)
    llm.plans = [steps(("Edge Detection On Image", {"image_path": image}))]
    reply = plan_agent.chat(session, "show me the edges")
    assert reply.execution.ok and runtime.calls == [("Edge Detection On Image", image)]


def test_a_step_line_carries_what_the_tool_tells_the_person(tiny_tokenizer, session):
    """A detector that found nothing says what it can find (``Observation.note``); the plan's step line shows it, as
    the ReAct answer does."""
    note = scope_note(("face", "cat"))
    llm = PlanningLLM([], answer=lambda prompt: "No object found.")
    plan_agent, runtime = build(tiny_tokenizer, llm, runtime=FakeRuntime(names=("Detection",)))
    runtime.run = lambda tool, argument, workspace: Observation(NO_OBJECT_FOUND, True, (), 0.01, note=note)
    image = upload(plan_agent, session)
    llm.plans = [steps(("Detection", {"image_path": image}))]
    reply = list(plan_agent.run(session, f"find the objects in {image}"))[-1]
    assert reply.text.splitlines()[-1].endswith(f": {NO_OBJECT_FOUND} {note}")


def detected(workspace, found):
    """A detection that found ``found`` and drew its boxes (the drawing is beside its answer)."""
    drawing = workspace.save_image(Image.new("RGB", (8, 8)), "det")
    return Observation(found, True, (drawing,), 0.01)


def test_a_planned_count_is_answered_with_the_count_found(tiny_tokenizer, session):
    """Through the web API "how many cats are in /cat.jpg?" was planned as a detection and answered "Done: 1 of 1
    steps finished." (the model's line did not name the detector's drawing); the model's line, "The cat is at cat
    [...]", gives no count."""
    llm = PlanningLLM([], answer=lambda prompt: "The cat is at cat [80, 0, 421, 300].")
    plan_agent, runtime = build(tiny_tokenizer, llm, runtime=FakeRuntime(names=("Detection",)))
    runtime.run = lambda tool, argument, workspace: detected(workspace, "cat [80, 0, 421, 300]")
    image = upload(plan_agent, session)
    llm.plans = [steps(("Detection", {"image_path": image}))]
    reply = plan_agent.chat(session, f"how many cats are in {image}?")
    assert reply.answer.by_model and reply.answer.summary == "I found 1 cat: cat [80, 0, 421, 300]."


def test_what_earlier_steps_found_is_in_the_answer(tiny_tokenizer, session):
    """Seen in a plan drive: "detect the cat and count them, then blur it" was answered with the blur alone."""
    llm = PlanningLLM([], answer=lambda prompt: "The blurred image is ready: " + _OBSERVED.findall(prompt)[-1])
    runtime = FakeRuntime(names=("Detection", "Blur Region", "Text Detection On Image"))
    plan_agent, _ = build(tiny_tokenizer, llm, runtime=runtime)
    blur = runtime.run
    cat = Box("cat", 0.9, (1, 2, 20, 30))
    runtime.run = lambda tool, argument, workspace: (
        replace(detected(workspace, "cat [1, 2, 20, 30]"), data=(cat,))
        if tool == "Detection"
        else blur(tool, argument, workspace)
    )
    image = upload(plan_agent, session)
    llm.plans = [steps(("Detection", {"image_path": image}), ("Blur Region", {"image_path": "<GENERATED>-0"}))]
    reply = plan_agent.chat(session, f"detect the cat in {image} and count them, then blur it")
    made = reply.files[-1]  # the line ends with a full stop before the finding (it had run on: "...png I found")
    assert reply.answer.summary == f"The blurred image is ready: {made}. I found 1 cat: cat [1, 2, 20, 30]."
    # a finding a later step took is not told again when no count is asked
    reply = plan_agent.chat(session, f"find the cat in {image}, then blur it")
    assert "cat [1, 2, 20, 30]" not in reply.answer.summary


def test_a_planned_reading_after_an_edit_is_answered_with_the_words_read(tiny_tokenizer, session):
    llm = PlanningLLM([], answer=lambda prompt: 'The text reads "OPEN DAILY".')
    runtime = FakeRuntime(names=("Resize Image", "Text Detection On Image"))
    plan_agent, _ = build(tiny_tokenizer, llm, runtime=runtime)
    edit = runtime.run
    runtime.run = lambda tool, argument, workspace: (
        Observation("OPEN DAILY", True, (), 0.01)
        if tool == "Text Detection On Image"
        else edit(tool, argument, workspace)
    )
    image = upload(plan_agent, session)
    llm.plans = [
        json.dumps(
            [
                {
                    "task": "Resize Image",
                    "id": 0,
                    "dep": [-1],
                    "args": {"image_path": image, "width": 64, "height": 64},
                },
                {"task": "Text Detection On Image", "id": 1, "dep": [0], "args": {"image_path": "<GENERATED>-0"}},
            ]
        )
    ]
    reply = plan_agent.chat(session, f"resize {image} to 64x64, then read the text in it")
    (resized,) = reply.files
    also = f"Resize Image made {resized}."  # the edit asked for is told too, as in the chat
    assert reply.answer.by_model and reply.answer.summary == f'The text reads "OPEN DAILY". {also}'
    # a line that misreads is held to the words read
    llm.answer = lambda prompt: 'The text reads "OPEN".'
    reply = plan_agent.chat(session, f"resize {image} to 64x64, then read the text in it")
    assert "OPEN DAILY" in reply.answer.summary
    # a line that calls the upload a result it made gives way to the words read (seen in plan mode)
    llm.answer = lambda prompt: f"I have made the text reading image OPEN DAILY; it is {image}."
    reply = plan_agent.chat(session, f"resize {image} to 64x64, then read the text in it")
    assert reply.answer.summary.startswith('The text reads "OPEN DAILY". Resize Image made ')
    assert not reply.answer.by_model


def test_a_planned_resize_takes_the_size_asked_for_relative_to_the_upload(tiny_tokenizer, session):
    """The embedded planner wrote the photo's own size for "make it twice as big, then show me the edges"."""
    llm = PlanningLLM([])
    plan_agent, runtime = build(tiny_tokenizer, llm, runtime=FakeRuntime(names=("Resize Image",)))
    image = upload(plan_agent, session)  # 32x32
    llm.plans = [steps(("Resize Image", {"image_path": image, "width": 32, "height": 32}))]
    reply = plan_agent.chat(session, "make it twice as big")
    assert reply.plan.describe() == f'1. Resize Image: image_path = "{image}", width = 64, height = 64'
    assert runtime.calls == [("Resize Image", f"{image}, 64, 64")]


def test_a_part_no_tool_does_is_left_out_of_the_plan_and_answered(tiny_tokenizer, session):
    """Seen through the plan drive: "flip it and show me the edges" was planned as a rotation by 30 degrees and the
    edges; "put them side by side and rotate the cat" rotated the cat and removed its background."""
    from agent.capabilities import NO_FLIP

    llm = PlanningLLM([])
    plan_agent, _ = build(tiny_tokenizer, llm)
    image = upload(plan_agent, session)
    llm.plans = [steps(("Edge Detection On Image", {"image_path": image}))]
    reply = plan_agent.chat(session, "flip it and show me the edges")
    assert "flip" not in llm.prompts[0] and "show me the edges" in llm.prompts[0]  # planned without the flip
    assert isinstance(reply, PlanReply) and reply.execution.ok and reply.text.endswith(NO_FLIP)
    assert session.memory.turns[-2].text.endswith("flip it and show me the edges")  # remembered as said


def test_a_planned_edit_goes_on_from_the_last_edit_and_both_means_each_upload(tiny_tokenizer, session):
    """Seen in a plan drive: after "rotate it by 180", "crop the left half" was planned on the upload; "rotate both by
    90 degrees" rotated one of two uploads."""
    llm = PlanningLLM([])
    runtime = FakeRuntime(names=("Rotate Image", "Crop Image"))
    plan_agent, runtime = build(tiny_tokenizer, llm, runtime)
    image = upload(plan_agent, session)
    llm.plans = [steps(("Rotate Image", {"image_path": image, "angle": 180}))]
    (turned,) = plan_agent.chat(session, "rotate it by 180").files
    llm.plans = [steps(("Crop Image", {"image_path": image, "left": 0, "top": 0, "right": 16, "bottom": 32}))]
    plan_agent.chat(session, "crop the left half")
    assert runtime.calls[-1] == ("Crop Image", f"{turned}, 0, 0, 16, 32")
    other = upload(plan_agent, session)
    llm.plans = [steps(("Rotate Image", {"image_path": other, "angle": 90}))]
    reply = plan_agent.chat(session, "rotate both by 90 degrees")
    assert sorted(runtime.calls[-2:]) == sorted([("Rotate Image", f"{other}, 90"), ("Rotate Image", f"{image}, 90")])
    assert len(reply.files) == 2 and all(name in reply.answer.summary for name in reply.files)  # the line tells both


def test_a_planned_reading_that_found_nothing_says_so(tiny_tokenizer, session):
    """Seen in a plan drive: "read the text in the smaller one" found no text and was answered "Done: 1 of 1 steps
    finished." (the model's line named an image nobody made)."""
    llm = PlanningLLM([], answer=lambda prompt: "The text is in image/made_up.png.")
    runtime = FakeRuntime(names=("Text Detection On Image",))
    plan_agent, _ = build(tiny_tokenizer, llm, runtime=runtime)
    runtime.run = lambda tool, argument, workspace: Observation("No text found.", True, (), 0.01)
    image = upload(plan_agent, session)
    llm.plans = [steps(("Text Detection On Image", {"image_path": image}))]
    reply = plan_agent.chat(session, f"read the text in {image}")
    assert not reply.answer.by_model and reply.answer.summary == "No text found."


def test_a_request_that_waited_for_an_image_is_planned_when_it_comes(tiny_tokenizer, session):
    """As in the chat (agent/handed_over.py): "here it is" after an upload stands for the request that waited."""
    from agent.loop import NEEDS_IMAGE

    llm = PlanningLLM([])
    plan_agent, runtime = build(tiny_tokenizer, llm, runtime=FakeRuntime(names=("Rotate Image",)))
    assert plan_agent.chat(session, "can you rotate my photo by 90 degrees?").text == NEEDS_IMAGE
    image = upload(plan_agent, session)
    llm.plans = [steps(("Rotate Image", {"image_path": image, "angle": 90}))]
    plan_agent.chat(session, "here it is")
    planned = [prompt for prompt in llm.prompts if is_plan_prompt(prompt)]
    assert len(planned) == 1 and "rotate my photo by 90 degrees" in planned[0]
    assert runtime.calls == [("Rotate Image", f"{image}, 90")]


def test_a_detectors_drawn_copy_is_not_what_it_means_next(tiny_tokenizer, session):
    """Seen in a plan drive: "rotate right" after "put a box around the cat" rotated the detector's copy with the box
    drawn on it; in the chat that copy is the person's only."""
    llm = PlanningLLM([], answer=lambda prompt: "Done.")
    plan_agent, runtime = build(tiny_tokenizer, llm, runtime=FakeRuntime(names=("Detection", "Rotate Image")))
    image = upload(plan_agent, session)
    llm.plans = [steps(("Detection", {"image_path": image}))]
    reply = plan_agent.chat(session, "put a box around the cat")
    assert reply.files and session.latest_image == image  # the drawn copy is shown, the photo is still "it"
    llm.plans = [steps(("Rotate Image", {"image_path": image, "angle": -90}))]
    plan_agent.chat(session, "rotate right")
    assert runtime.calls[-1] == ("Rotate Image", f"{image}, -90")


def test_a_crop_or_blur_of_a_part_of_the_writing_is_left_to_the_chat(tiny_tokenizer, session):
    """Seen in a plan drive: "blur the phone number, then read the sign" was planned as a blur of the whole text's
    box (a plan's box step takes the reading's whole box), which hid every word."""
    llm = PlanningLLM([steps(("Text Detection On Image", {"image_path": "image/x.png"}))], answer=lambda p: "Done.")
    runtime = FakeRuntime(names=("Text Detection On Image", "Blur Region", "Crop Image"))
    plan_agent, _ = build(tiny_tokenizer, llm, runtime=runtime)
    upload(plan_agent, session)
    reply = plan_agent.chat(session, "blur the phone number, then read the sign")
    assert isinstance(reply, Reply) and not any(is_plan_prompt(prompt) for prompt in llm.prompts)
    assert session.turns == 1


def test_a_reading_and_a_question_of_its_words_is_left_to_the_chat(tiny_tokenizer, session):
    """Seen in a plan drive: "read the sign and tell me when they close on saturday" was planned as a detection, a
    crop and a reading, and the answer never said when they close."""
    llm = PlanningLLM([steps(("Text Detection On Image", {"image_path": "image/x.png"}))], answer=lambda p: "Done.")
    runtime = FakeRuntime(names=("Text Detection On Image", "Detection", "Crop Image"))
    plan_agent, _ = build(tiny_tokenizer, llm, runtime=runtime)
    upload(plan_agent, session)
    reply = plan_agent.chat(session, "read the sign and tell me when they close on saturday")
    assert isinstance(reply, Reply) and not any(is_plan_prompt(prompt) for prompt in llm.prompts)


def test_a_request_to_hide_what_is_personal_is_left_to_the_chat(tiny_tokenizer, session):
    """Seen in a plan drive: "can you hide anything personal?" was planned as a background removal; the chat blurs the
    faces and the phone number (agent/privacy.py)."""
    llm = PlanningLLM([steps(("Remove the background", {"image_path": "image/x.png"}))], answer=lambda p: "Done.")
    runtime = FakeRuntime(names=("Detection", "Text Detection On Image", "Blur Region", "Remove the background"))
    plan_agent, _ = build(tiny_tokenizer, llm, runtime=runtime)
    upload(plan_agent, session)
    reply = plan_agent.chat(session, "can you hide anything personal?")
    assert isinstance(reply, Reply) and not any(is_plan_prompt(prompt) for prompt in llm.prompts)
    assert "Remove the background" not in [tool for tool, _ in runtime.calls]


def test_a_resize_whose_size_the_request_never_gives_is_left_out(tiny_tokenizer, session):
    """Seen in a --cli drive: "crop to the cat and make it square" was planned as a crop and a resize to 1 x 1, which
    made a one-pixel picture and answered done."""
    llm = PlanningLLM([])
    names = ("Detection", "Crop Image", "Resize Image", "Rotate Image")
    runtime = FakeRuntime(names=names, found="cat [10, 0, 40, 30]")
    plan_agent, runtime = build(tiny_tokenizer, llm, runtime)
    image = plan_agent.agent.introduce_image(session, Image.new("RGB", (60, 40), "white")).name
    crop = ("Crop Image", {"image_path": "<GENERATED>-0"})
    resize = ("Resize Image", {"image_path": "<GENERATED>-1", "width": 1, "height": 1})
    rotate = ("Rotate Image", {"image_path": "<GENERATED>-2", "angle": 90})
    llm.plans = [steps(("Detection", {"image_path": image}), crop, resize, rotate)]
    reply = plan_agent.chat(session, "crop to the cat, make it square and rotate it 90 degrees")
    assert [step.task for step in reply.plan.plan.steps] == ["Detection", "Crop Image", "Rotate Image"]
    assert reply.plan.plan.steps[-1].args[0] == ("image_path", Reference(1))  # the rotation takes the crop
    llm.plans, runtime.calls = [steps(("Resize Image", {"image_path": image, "width": 30, "height": 20}))], []
    plan_agent.chat(session, "make it 30 by 20")  # a size the request gives runs
    assert runtime.calls == [("Resize Image", f"{image}, 30, 20")]


def test_a_relative_size_of_an_image_unknown_before_the_plan_runs_is_the_chats(tiny_tokenizer, session):
    """Seen in a --cli drive: "crop to the sign then make it 2x bigger" was planned as a reading, a crop to it and a
    resize to 1 x 1, answered "The resized image is ready"; the chat does it a step at a time."""
    reader = "Text Detection On Image"
    names = (reader, "Crop Image", "Resize Image")
    llm = PlanningLLM([], answer=lambda prompt: "Done.")
    plan_agent, runtime = build(tiny_tokenizer, llm, FakeRuntime(names=names))
    image = upload(plan_agent, session)
    crop = ("Crop Image", {"image_path": "<GENERATED>-0"})
    resize = ("Resize Image", {"image_path": "<GENERATED>-1", "width": 1, "height": 1})
    llm.plans = [steps((reader, {"image_path": image}), crop, resize)]
    reply = plan_agent.chat(session, "crop to the sign then make it 2x bigger")
    assert not isinstance(reply, PlanReply) and session.turns == 1  # the chat's turn, counted once
    assert not any(tool == "Resize Image" and arguments.endswith(", 1, 1") for tool, arguments in runtime.calls)


def test_a_square_crop_of_a_named_thing_is_left_to_the_chat(tiny_tokenizer, session):
    """With plan mode on, "crop to the cat and make it square" goes to the chat, which crops the smallest square
    around the cat the detector finds (the plan had cropped the cat's box and resized it to 1 x 1)."""
    llm = PlanningLLM([steps(("Detection", {"image_path": "image/x.png"}))], answer=lambda prompt: "Done.")
    runtime = FakeRuntime(names=("Detection", "Crop Image", "Resize Image"), found="cat [10, 0, 40, 30]")
    plan_agent, runtime = build(tiny_tokenizer, llm, runtime)
    plan_agent.agent.introduce_image(session, Image.new("RGB", (60, 40), "white"))
    reply = plan_agent.chat(session, "crop to the cat and make it square")
    assert isinstance(reply, Reply) and not any(is_plan_prompt(prompt) for prompt in llm.prompts)
    assert runtime.calls[0][0] == "Detection" and "Resize Image" not in [tool for tool, _ in runtime.calls]


def test_an_edit_of_a_map_the_plan_draws_works_on_that_map(tiny_tokenizer, session):
    """Seen in a --cli drive: "show me the edges and the lines, then rotate the edges 90 degrees" was planned with
    the rotation on the photo."""
    llm = PlanningLLM([])
    names = ("Edge Detection On Image", "Line Detection On Image", "Rotate Image")
    plan_agent, runtime = build(tiny_tokenizer, llm, FakeRuntime(names=names))
    image = upload(plan_agent, session)
    edges, lines = (
        ("Edge Detection On Image", {"image_path": image}),
        ("Line Detection On Image", {"image_path": image}),
    )
    llm.plans = [steps(edges, lines, ("Rotate Image", {"image_path": image, "angle": 90}))]
    reply = plan_agent.chat(session, "show me the edges and the lines, then rotate the edges 90 degrees")
    assert reply.plan.plan.steps[-1].args[0] == ("image_path", Reference(0))
    rotated = next(argument for tool, argument in runtime.calls if tool == "Rotate Image")
    assert "_edge_" in rotated and rotated.endswith(", 90")


def test_a_blur_of_her_face_planned_on_her_pose_map_blurs_the_photo(tiny_tokenizer, session):
    """Seen in a --cli drive: "detect her pose and then blur her face" was planned with the blur (and the detection
    added for its box) on the pose map, where no face was found."""
    llm = PlanningLLM([])
    names = ("Pose Detection On Image", "Detection", "Blur Region")
    plan_agent, runtime = build(tiny_tokenizer, llm, FakeRuntime(names=names))
    image = upload(plan_agent, session)
    pose = ("Pose Detection On Image", {"image_path": image})
    blur = ("Blur Region", {"image_path": "<GENERATED>-0", "left": 1, "top": 2, "right": 3, "bottom": 4})
    llm.plans = [steps(pose, blur)]
    reply = plan_agent.chat(session, "detect her pose and then blur her face")
    assert ("Detection", image) in runtime.calls
    assert all(
        step.args[0][1] != Reference(0) for step in reply.plan.plan.steps if step.task != "Pose Detection On Image"
    )


def test_a_request_to_mark_something_is_left_to_the_chat(tiny_tokenizer, session):
    """Seen in a --cli drive with plan mode on: "draw a box around it" after "detect the cat" was planned as a
    detection and answered "I have made the hat; it is cat [...]"; the chat tells where the marked cat is."""
    llm = PlanningLLM([steps(("Detection", {"image_path": "image/x.png"}))], answer=lambda prompt: "Done.")
    runtime = FakeRuntime(names=("Detection", "Crop Image"), found="cat [10, 0, 40, 30]")
    plan_agent, runtime = build(tiny_tokenizer, llm, runtime)
    plan_agent.agent.introduce_image(session, Image.new("RGB", (60, 40), "white"))
    for request_text in ("put a box around the cat", "draw a box around it"):
        reply = plan_agent.chat(session, request_text)
        assert isinstance(reply, Reply) and not any(is_plan_prompt(prompt) for prompt in llm.prompts)
    llm.plans = [steps(("Detection", {"image_path": "image/x.png"}), ("Crop Image", {"image_path": "image/x.png"}))]
    plan_agent.chat(session, "find the cat, put a box around it and crop it")  # several things: planned
    assert any(is_plan_prompt(prompt) for prompt in llm.prompts)
