"""The agent loop with a scripted model: chains, recovery from bad replies, the step limit, memory."""

from __future__ import annotations

import re
import threading
from dataclasses import replace
from pathlib import Path

import pytest
from PIL import Image

from agent.capabilities import asks_what_it_can_do, asks_which_model, model_answer
from agent.detector_scope import (
    FOUND_NOTHING,
    FOUND_OTHER,
    as_empty_result,
    named_empty_search,
    with_found_labels,
    with_scope_note,
)
from agent.file_names import with_made_names, without_other_results
from agent.image_reference import refers_to_an_image
from agent.loop import (
    ANSWER_SET_ASIDE,
    CALL_SET_ASIDE,
    NEEDS_IMAGE,
    NOT_ANSWERED,
    NOT_LOADED,
    OUTSIDE_PATH,
    PART_NOT_LOADED,
    Agent,
    ChatSession,
    Reply,
    StepTaken,
    TextChunk,
    TraceStep,
    with_every_result,
)
from agent.memory import ConversationMemory
from agent.pending_edit import as_shown_box
from agent.picture_questions import ANSWERER, DESCRIBER, answering_tool, only_asks_what_it_shows
from agent.read_text import read_already, with_read_text
from agent.words_only import asks_for_words, refuses_words
from data_gen.session_phrasings import ASK_FOR_IMAGE
from generation.tool_calls import image_names
from protocol.prompt import PromptTemplate, Turn
from protocol.steps import ToolCall
from tests.agent_fakes import OBSERVED_IMAGE_RE, FakeRuntime, ScriptedLLM
from tests.session_fakes import answer, call
from tools.outputs import NO_OBJECT_FOUND, NO_TEXT_FOUND, Box, Detections, scope_note
from tools.runtime import Observation
from tools.workspace import Workspace

TEMPLATE = PromptTemplate.load("en")


@pytest.fixture
def session(tmp_path) -> ChatSession:
    return ChatSession(Workspace(tmp_path / "ws"))


def make_agent(tokenizer, replies, runtime=None, **kwargs) -> tuple[Agent, ScriptedLLM, FakeRuntime]:
    llm = ScriptedLLM(replies)
    runtime = runtime or FakeRuntime()
    kwargs.setdefault("context_length", 4096)
    return Agent(llm, runtime, TEMPLATE, tokenizer, **kwargs), llm, runtime


def upload(agent: Agent, session: ChatSession, size: int = 64) -> str:
    return agent.introduce_image(session, Image.new("RGB", (size, size), "white")).name


def upload_file(agent: Agent, session: ChatSession, path: Path, size: tuple[int, int] = (32, 32)) -> str:
    """A white picture saved as ``path`` and uploaded under that file's name."""
    Image.new("RGB", size, "white").save(path)
    return agent.introduce_image(session, path).name


def test_multi_step_chain_feeds_each_observation_back(tiny_tokenizer, session):
    agent, llm, runtime = make_agent(tiny_tokenizer, [])
    image = upload(agent, session)
    llm.replies = [
        call("Edge Detection On Image", image),
        "Thought: Do I need to use a tool? Yes\nAction: Pose Detection On Image\nAction Input: {prev}\nObservation:",
        answer("Done."),
    ]
    events = []
    for event in agent.run(session, "edges, then the pose of the edge map"):
        events.append(event)
        if isinstance(event, StepTaken) and event.step.index == 1:  # chain on the file the first step made
            llm.replies[1] = llm.replies[1].format(prev=event.step.files[0])
    reply = events[-1]
    assert isinstance(reply, Reply) and reply.finished
    assert [s.action for s in reply.steps] == ["Edge Detection On Image", "Pose Detection On Image"]
    first, second = (s.files[0] for s in reply.steps)
    assert runtime.calls[1] == ("Pose Detection On Image", first)
    assert f"Observation: {first}" in llm.prompts[1] and f"Observation: {second}" in llm.prompts[2]
    assert reply.files == (first, second)  # both images are shown
    assert all((session.workspace.root / name).is_file() for name in reply.files)
    # the answer to two things names the result the model left out; later turns can still name both
    assert reply.text == f"Done. Pose Detection On Image made {second}."
    assert session.memory.turns[-1].text == f"{reply.text} ({first})"


def test_a_drawn_copy_is_shown_but_not_remembered(tiny_tokenizer, session):
    runtime = FakeRuntime(names=("Detection", "Edge Detection On Image"))
    agent, _, _ = make_agent(tiny_tokenizer, [], runtime)
    image = upload(agent, session)
    agent.llm.replies = [call("Detection", image), answer("There is a face at [0, 0, 8, 8].")]
    reply = agent.chat(session, "find the faces and count them")
    (drawn,) = reply.files  # shown to the human
    assert drawn not in session.memory.turns[-1].text  # the model saw boxes, not this file: later turns must
    assert session.memory.turns[-1].text == "There is a face at [0, 0, 8, 8]."  # not take it for the photo


def test_an_answer_after_a_failed_call_never_announces_a_result(tiny_tokenizer, session):
    failure = "no person found in the image, so there is no pose to draw"
    runtime = FakeRuntime(fail=lambda tool: failure if tool == "Pose Detection On Image" else None)
    agent, _, _ = make_agent(tiny_tokenizer, [], runtime)
    image = upload(agent, session)
    agent.llm.replies = [call("Pose Detection On Image", image), answer("The human pose is ready.")]
    reply = agent.chat(session, "show me the pose")
    assert reply.text == f"I could not do that. Pose Detection On Image failed: {failure}" and reply.corrected
    assert reply.files == () and failure in session.memory.turns[-1].text  # later turns know it failed
    agent.llm.prompts.clear()
    agent.llm.replies = [call("Pose Detection On Image", image), answer(f"The pose is ready: {failure}")]
    assert agent.chat(session, "try again").text.startswith("I could not do that.")  # quoting is not enough
    agent.llm.prompts.clear()
    agent.llm.replies = [call("Pose Detection On Image", "missing.png"), call("Edge Detection On Image", image),
                         answer("Here are the edges.")]  # fmt: skip
    reply = agent.chat(session, "edges then")
    assert [step.ok for step in reply.steps] == [False, True]
    assert reply.text == "Here are the edges." and not reply.corrected  # recovered: the last call worked


def test_a_refused_path_is_answered_with_the_refusal(tiny_tokenizer, session):
    agent, _, _ = make_agent(tiny_tokenizer, [])
    upload(agent, session)
    agent.llm.replies = [call("Edge Detection On Image", "/etc/passwd"), answer("The edge map is ready: /etc/passwd")]
    reply = agent.chat(session, "show me the edges of the password file")  # the model writes the path itself
    assert reply.text == (
        "I could not do that. Edge Detection On Image failed: '/etc/passwd' is an absolute path; "
        "use a file name relative to the workspace"
    )
    assert "ready" not in reply.text and reply.files == ()


@pytest.mark.parametrize("path", ["/etc/passwd", "~/Pictures/cat.png", "../../secret.png", "C:\\Users\\me\\a.jpg"])
def test_a_request_naming_a_path_outside_the_conversation_is_answered_before_the_model(tiny_tokenizer, session, path):
    agent, llm, runtime = make_agent(tiny_tokenizer, [answer("unused")])
    image = upload(agent, session)  # the constrained model would quietly take this image instead
    reply = agent.chat(session, f"show me the edges of {path}")
    assert reply.text == OUTSIDE_PATH.format(path=path) and not reply.finished
    assert llm.prompts == [] and runtime.calls == []
    agent.llm.replies = [answer("Done.")]
    assert agent.chat(session, f"see https://example.com/a.png and {image}").text == "Done."  # not paths outside


def test_a_real_result_is_kept_when_a_later_step_fails(tiny_tokenizer, session):
    runtime = FakeRuntime(fail=lambda tool: "boom" if tool == "Pose Detection On Image" else None)
    agent, _, _ = make_agent(tiny_tokenizer, [], runtime)
    image = upload(agent, session)
    events = []
    agent.llm.replies = [call("Edge Detection On Image", image), call("Pose Detection On Image", image), "{answer}"]
    for event in agent.run(session, "edges and pose"):
        events.append(event)
        if isinstance(event, StepTaken) and event.step.index == 1:
            agent.llm.replies[2] = answer(f"Here are the edges: {event.step.files[0]}")
    reply = events[-1]
    edges = reply.steps[0].files[0]
    assert (
        reply.text == f"Here are the edges: {edges}\n\nBut the last step failed: Pose Detection On Image failed: boom"
    )
    assert reply.files == (edges,)


def test_failed_calls_never_show_the_files_an_error_lists(tiny_tokenizer, session):
    agent, _, _ = make_agent(tiny_tokenizer, [])
    image = upload(agent, session)
    agent.llm.replies = [call("Edge Detection On Image", "image/zzzz.png"), answer(f"Here: {image}")]
    reply = agent.chat(session, "edges of zzzz")
    assert image in reply.text  # the error lists the images there are
    assert reply.files == () and reply.text.startswith("I could not do that.")


def test_text_streams_before_each_step_completes(tiny_tokenizer, session):
    agent, _, _ = make_agent(tiny_tokenizer, [])
    image = upload(agent, session)
    agent.llm.replies = [call("Edge Detection On Image", image), answer("Here it is.")]
    events = list(agent.run(session, "edges please"))
    chunks_1 = "".join(e.text for e in events if isinstance(e, TextChunk) and e.step == 1)
    assert chunks_1 == agent.llm.replies[0]
    step_at = next(i for i, e in enumerate(events) if isinstance(e, StepTaken))
    assert all(isinstance(e, TextChunk) and e.step == 1 for e in events[:step_at])
    assert events[-1].text == "Here it is."


def test_parse_error_becomes_an_observation_and_the_model_recovers(tiny_tokenizer, session):
    agent, llm, _ = make_agent(tiny_tokenizer, [])
    image = upload(agent, session)
    llm.replies = ["Sure, I will find the edges for you.", call("Edge Detection On Image", image), answer("Here.")]
    reply = agent.chat(session, "edges please")
    assert reply.finished and reply.steps[0].action == "" and not reply.steps[0].ok
    feedback = reply.steps[0].observation
    assert "did not follow the format" in feedback
    assert "Edge Detection On Image" in feedback and "Pose Detection On Image" in feedback  # valid choices
    assert "Sure, I will find the edges for you.\nObservation: Your reply did not follow" in llm.prompts[1]
    assert reply.steps[1].ok and len(reply.files) == 1


@pytest.mark.parametrize(
    ("bad_call", "expected"),
    [
        (call("Edge Detector", "{image}"), "valid tools: Edge Detection On Image, Pose Detection On Image"),
        (call("Edge Detection On Image", "image/missing.png"), "does not exist in the workspace"),
        (call("Edge Detection On Image", "../../etc/passwd"), "outside the workspace"),
    ],
)
def test_bad_tool_calls_are_observations_that_name_the_fix(tiny_tokenizer, session, bad_call, expected):
    agent, llm, _ = make_agent(tiny_tokenizer, [])
    image = upload(agent, session)
    llm.replies = [bad_call.format(image=image), call("Edge Detection On Image", image), answer("Here.")]
    reply = agent.chat(session, "edges please")
    assert not reply.steps[0].ok and expected in reply.steps[0].observation
    assert f"Observation: {reply.steps[0].observation}" in llm.prompts[1]
    assert reply.finished and reply.steps[1].ok


def test_tool_failure_is_reported_to_the_model(tiny_tokenizer, session):
    runtime = FakeRuntime(fail=lambda tool: "'Pose Detection On Image' failed: RuntimeError: boom")
    agent, llm, _ = make_agent(tiny_tokenizer, [], runtime=runtime)
    image = upload(agent, session)
    llm.replies = [call("Pose Detection On Image", image), answer("The pose tool failed.")]
    reply = agent.chat(session, "pose please")
    assert "RuntimeError: boom" in llm.prompts[1]
    assert reply.files == ()
    assert reply.text == "I could not do that. 'Pose Detection On Image' failed: RuntimeError: boom"


def test_step_limit_ends_with_an_honest_message(tiny_tokenizer, session):
    agent, llm, runtime = make_agent(tiny_tokenizer, [], max_steps=3)
    image = upload(agent, session)
    llm.replies = [call("Edge Detection On Image", image)]  # never stops calling tools
    reply = agent.chat(session, "edges please")
    assert not reply.finished and len(llm.prompts) == 3 and len(reply.steps) == 3
    assert "could not finish this within 3 steps" in reply.text
    assert "Edge Detection On Image -> image/" in reply.text  # says what was done
    assert len(reply.files) == 1 and len(runtime.calls) == 1  # the same map each time, drawn once
    assert session.memory.turns[-1].text.startswith("I could not finish")


def test_steps_that_run_out_after_the_asked_work_ran_end_with_what_was_done(tiny_tokenizer, session):
    """Seen in a drive: "blur the face in astronaut.png and show me the edges of coffee.jpg" ran the detection, the
    edges and the blur, and ended "I could not finish this within 5 steps"."""
    runtime = FakeRuntime(names=("Edge Detection On Image", "Rotate Image"))
    agent, llm, _ = make_agent(tiny_tokenizer, [], runtime=runtime, max_steps=3)
    image = upload(agent, session)
    llm.replies = [
        call("Edge Detection On Image", image),
        answer("Here are the edges."),  # set aside: the rotation asked has not run
        f" {image}, 90\nObservation:",
    ]
    reply = agent.chat(session, "show me the edges and rotate it by 90 degrees")
    edges, rotated = (step.files[0] for step in reply.steps if step.action)
    assert not reply.finished
    assert reply.text == (f"Done (steps: Edge Detection On Image -> {edges}; Rotate Image -> {rotated}).")


def test_answer_is_cut_where_the_model_writes_the_next_human_turn(tiny_tokenizer, session):
    agent, _, _ = make_agent(tiny_tokenizer, [answer("Hello!\nHuman: and now draw a cat")])
    assert agent.chat(session, "how are you today?").text == "Hello!"


def test_upload_is_described_by_the_captioning_tool_when_loaded(tiny_tokenizer, session):
    runtime = FakeRuntime(names=("Get Photo Description", "Edge Detection On Image"))
    agent, _, _ = make_agent(tiny_tokenizer, [], runtime=runtime)
    received = agent.introduce_image(session, Image.new("RGB", (2000, 1000), "red"))
    assert received.description == "an astronaut in a white suit."
    assert Image.open(session.workspace.root / received.name).size == (1024, 512)  # resized on the way in
    assert received.downscaled and received.original_size == (2000, 1000) and received.size == (1024, 512)
    assert session.memory.turns == TEMPLATE.introduce_image(received.name, received.description)
    assert session.latest_image == received.name
    agent_without, _, _ = make_agent(tiny_tokenizer, [])
    received = agent_without.introduce_image(session, Image.new("RGB", (30, 20)))
    assert received.description == "a 30x20 image." and not received.downscaled


def test_history_is_trimmed_to_the_context_length_in_tokens(tiny_tokenizer, session):
    context = 1200
    agent, llm, _ = make_agent(
        tiny_tokenizer, [answer("Noted.")], context_length=context, max_new_tokens=64, max_history_tokens=context
    )
    old_image = upload(agent, session)
    kept_image = upload(agent, session)
    agent.chat(session, f"remember {kept_image} for later")
    for turn in range(30):
        agent.chat(session, f"message number {turn} with some padding words to fill the context window")
    newest = upload(agent, session)
    agent.chat(session, f"now look at {kept_image} again")
    for prompt in llm.prompts:
        assert len(tiny_tokenizer(prompt, add_special_tokens=False)["input_ids"]) + 64 <= context
    last = llm.prompts[-1]
    assert "message number 29" in last and "message number 0 " not in last  # oldest exchanges went first
    assert f"Provide an image named {kept_image}" in last  # still referred to: its introduction stays
    assert f"Provide an image named {newest}" in last  # the latest upload always stays
    assert old_image not in last and old_image in session.memory.images  # not named: not rendered, still known
    assert len(session.memory) < 35


def test_turn_that_cannot_fit_the_context_gets_an_honest_reply(tiny_tokenizer, session):
    agent, llm, _ = make_agent(tiny_tokenizer, [answer("unused")], context_length=700, max_new_tokens=64,
                                 max_input_chars=5000)  # fmt: skip
    reply = agent.chat(session, "word " * 600)
    assert not reply.finished and "no longer fits the model's context of 700 tokens" in reply.text
    assert llm.prompts == []


def test_memory_window_keeps_introductions_still_referred_to():
    memory = ConversationMemory()
    memory.add_image(TEMPLATE.introduce_image("image/aaaa1111.png", "a cat."), "image/aaaa1111.png")
    memory.add_image(TEMPLATE.introduce_image("image/bbbb2222.png", "a dog."), "image/bbbb2222.png")
    memory.add_exchange("edges of the cat", "Here: image/c3c3_edge_aaaa1111.png")
    for i in range(5):
        memory.add_exchange(f"question {i}", f"answer {i}")

    def cost(turns):
        return sum(len(turn.text.split()) for turn in turns)

    budget = cost(memory.turns[:4]) + cost(memory.turns[-4:])  # both introductions and two exchanges
    kept = memory.window(budget, cost, context="compare with image/aaaa1111.png")
    assert kept == memory.turns[:4] + memory.turns[-4:]  # named in the input, the latest upload, the newest
    kept = memory.window(budget - 1, cost, context="compare with image/aaaa1111.png")
    assert kept == memory.turns[:4] + memory.turns[-2:]  # the oldest exchange gives way first
    kept = memory.window(cost(memory.turns[:2]), cost, context="compare with image/aaaa1111.png")
    assert kept == memory.turns[:2]  # the image the input names outranks the latest upload
    assert memory.window(10_000, cost) == memory.turns
    memory.trim(cost(memory.turns[-2:]) + cost(memory.turns[2:4]), cost)
    assert memory.images == ["image/bbbb2222.png"] and memory.turns[-1] == Turn("ai", "answer 4")


def test_a_chained_output_name_keeps_its_original_introduced():
    memory = ConversationMemory()
    cat = TEMPLATE.introduce_image("image/aaaa1111.png", "a cat.")
    dog = TEMPLATE.introduce_image("image/bbbb2222.png", "a dog.")
    memory.add_image(cat, "image/aaaa1111.png")
    memory.add_exchange("tell me a long story " * 20, "a long story " * 20)
    memory.add_image(dog, "image/bbbb2222.png")
    memory.add_exchange("edges of the cat", "Here: image/c3c3_edge_aaaa1111.png")

    def cost(turns):
        return sum(len(turn.text.split()) for turn in turns)

    budget = cost(cat) + cost(dog) + cost(memory.turns[-2:])
    assert memory.window(budget, cost) == [*cat, *dog, *memory.turns[-2:]]


class WatchedLLM(ScriptedLLM):
    """A scripted model that records how many pieces of each reply were taken and whether it was closed."""

    def __init__(self, replies) -> None:
        super().__init__(replies)
        self.taken: list[int] = []
        self.closed = 0

    def stream(self, prompt, max_new_tokens=128):
        self.taken.append(0)
        try:
            for piece in super().stream(prompt, max_new_tokens):
                self.taken[-1] += 1
                yield piece
        finally:
            self.closed += 1


def test_a_request_for_a_missing_image_stops_the_model_before_it_writes_arguments(tiny_tokenizer, session):
    garbage = "image.rotate(90) " + "1" * 100
    agent = Agent(WatchedLLM([call("Rotate Image", garbage)]), FakeRuntime(names=("Rotate Image",)), TEMPLATE,
                  tiny_tokenizer, context_length=4096)  # fmt: skip
    events = list(agent.run(session, "rotate by 90 degrees"))  # names no image: the model is asked
    reply = events[-1]
    assert reply.text == NEEDS_IMAGE and reply.steps == () and agent.runtime.calls == []
    written = "".join(event.text for event in events if isinstance(event, TextChunk))
    assert "Action: Rotate Image\n" in written and "1111" not in written  # stopped at the tool's name
    assert agent.llm.closed == 1 and len(session.memory) == 0  # nothing to remember
    agent.llm.replies = [answer("Rotated: image/rotated.png")]  # an answer naming an image that cannot exist
    assert agent.chat(session, "rotate by 45 degrees").text == NEEDS_IMAGE
    agent.llm.replies = [answer("Hello! Upload an image and tell me what to do with it.")]
    assert agent.chat(session, "hi").text.startswith("Hello!")  # chat without images is fine
    image = upload(agent, session)
    agent.llm.prompts.clear()
    agent.llm.replies = [call("Rotate Image", f"{image}, 90"), answer("Done.")]
    assert agent.chat(session, "rotate it").steps[0].action == "Rotate Image"  # with an image it runs


def test_a_request_about_an_image_the_session_lacks_is_answered_before_the_model_runs(tiny_tokenizer, session):
    made_up = answer("That needs rotation; the rotated image is image_path.")  # names no file: not caught after
    agent, llm, runtime = make_agent(tiny_tokenizer, [made_up])
    for request in ("rotate it 90 degrees", "what is in this photo?", "show me the edges of the image"):
        assert agent.chat(session, request).text == NEEDS_IMAGE
    assert llm.prompts == [] and runtime.calls == [] and len(session.memory) == 0
    agent, llm, _ = make_agent(tiny_tokenizer, [answer("Paris.")])
    assert agent.chat(session, "what is the capital of France?").text == "Paris."  # no image spoken of
    image = upload(agent, session)
    agent, llm, _ = make_agent(tiny_tokenizer, [call("Rotate Image", f"{image}, 90"), answer("Done.")])
    agent.chat(session, "rotate it 90 degrees")
    assert len(llm.prompts) == 2  # with an image the model decides


@pytest.mark.parametrize(
    ("request_text", "refers"),
    [
        ("rotate it 90 degrees", True),
        ("crop this to 0,0,100,100", True),
        ("what colour is the car in my picture?", True),
        ("show me the edges of the uploaded image", True),
        ("generate an image of a cat and rotate it", False),  # the image it speaks of is the one it asks for
        ("make a picture of a boat, then blur it", False),
        ("draw a dog", False),
        ("describe it in simple words", False),  # "it" may be anything
        ("read the sign for me", True),  # a sign to read can only be in a picture
        ("what does the street sign say?", True),
        ("write a sign for my bakery", False),
        ("read me a poem", False),
        ("blur the face please", True),  # a face to blur can only be in a picture
        ("remove the background", True),
        ("can you hide her face?", True),
        ("how do I blur the background in a portrait?", False),  # advice
        ("draw a cat and blur the background", False),
        ("what does the word 'ephemeral' mean?", False),
        ("tell me a joke", False),
        ("what's written here?", True),
        ("whats written on this photo", True),
        ("what is written in the history books about Rome?", False),
        ("summarize the text in the photo", True),
        ("what does this page say?", True),  # seen in a drive: answered 'It says "This page says <file>"'
        ("summarize it", False),  # it may be a story the model wrote
        ("make it 2x bigger and read it again", True),  # seen in a drive: resized, never read
        ("what does each sign say?", True),  # seen in a drive: one sign of two read
        ("read it back to me", True),
    ],
)
def test_which_requests_speak_of_an_existing_image(request_text, refers):
    assert refers_to_an_image(request_text) is refers


def test_an_answer_ends_where_the_model_goes_on_writing_past_it(tiny_tokenizer, session):
    upload(make_agent(tiny_tokenizer, [])[0], session)
    rambling = answer("The sky is blue there.\n" + call("Rotate Image", "x, 90"))
    agent = Agent(WatchedLLM([rambling]), FakeRuntime(), TEMPLATE, tiny_tokenizer, context_length=4096)
    events = list(agent.run(session, "why is the sky blue?"))
    assert events[-1].text == "The sky is blue there." and agent.runtime.calls == []
    written = "".join(event.text for event in events if isinstance(event, TextChunk))
    assert "Action:" not in written  # the stream stopped at the next step's start
    agent, _, _ = make_agent(tiny_tokenizer, [answer("Detected the edges. AI: I could not do that.")])
    assert agent.chat(session, "edges").text == "Detected the edges."


class DrawingLLM:
    """Draws what it is asked for, then answers with the file the tool named (a session with no upload)."""

    def stream(self, prompt: str, max_new_tokens: int = 128):
        observed = OBSERVED_IMAGE_RE.findall(prompt.rsplit("New input:", 1)[-1])
        yield (
            answer(f"Here it is: {observed[-1]}") if observed else call("Generate Image From User Input Text", "a cat")
        )


def test_an_image_made_in_a_session_without_uploads_is_answered_and_then_worked_on(tiny_tokenizer, session):
    runtime = FakeRuntime(names=("Edge Detection On Image", "Generate Image From User Input Text"))
    agent = Agent(DrawingLLM(), runtime, TEMPLATE, tiny_tokenizer, context_length=4096)
    reply = agent.chat(session, "draw a cat")
    drawn = reply.steps[0].observation
    assert reply.finished and reply.text == f"Here it is: {drawn}"  # not "upload an image first"
    agent.llm = ScriptedLLM([call("Edge Detection On Image", drawn), answer("Edges done.")])
    reply = agent.chat(session, "now its edges")
    assert reply.finished and runtime.calls[-1] == ("Edge Detection On Image", drawn)


def test_a_cancelled_turn_stops_between_tokens(tiny_tokenizer, session):
    agent = Agent(WatchedLLM([call("Edge Detection On Image", "image/a.png")]), FakeRuntime(), TEMPLATE,
                  tiny_tokenizer, context_length=4096)  # fmt: skip
    upload(agent, session)
    cancel = threading.Event()
    events = []
    for event in agent.run(session, "edges please", cancel):
        events.append(event)
        if len(events) == 2:
            cancel.set()
    reply = events[-1]
    assert reply.stopped and not reply.finished and reply.text == "Stopped."
    assert agent.llm.taken == [2] and agent.llm.closed == 1  # not one piece more, and the stream was closed
    assert agent.runtime.calls == []


def test_a_turn_cancelled_after_a_step_says_what_was_done(tiny_tokenizer, session):
    agent, llm, _ = make_agent(tiny_tokenizer, [])
    image = upload(agent, session)
    llm.replies = [call("Edge Detection On Image", image), answer("unused")]
    cancel = threading.Event()
    events = []
    for event in agent.run(session, "edges please", cancel):
        events.append(event)
        if isinstance(event, StepTaken):
            cancel.set()
    reply = events[-1]
    assert reply.stopped and reply.text.startswith("Stopped (done so far: Edge Detection On Image -> image/")
    assert len(llm.prompts) == 1 and reply.files == reply.steps[0].files


def test_an_over_long_message_is_refused_before_the_model(tiny_tokenizer, session):
    agent, llm, _ = make_agent(tiny_tokenizer, [answer("unused")], max_input_chars=50)
    reply = agent.chat(session, "x" * 51)
    assert (
        reply.text == "Your message is 51 characters long; the limit is 50. Shorten it, or send it in several messages."
    )
    assert llm.prompts == [] and len(session.memory) == 0 and session.turns == 0
    assert agent.chat(session, "x" * 50).text == "unused"


def test_a_retried_message_replaces_its_first_attempt_in_memory():
    memory = ConversationMemory()
    memory.add_image(TEMPLATE.introduce_image("image/aaaa1111.png", "a cat."), "image/aaaa1111.png")
    assert not memory.forget_last_exchange("edges")  # an introduction is not an answer
    memory.add_exchange("edges", "Stopped.")
    assert not memory.forget_last_exchange("pose") and memory.forget_last_exchange("edges")
    assert len(memory) == 1


def test_with_no_image_and_only_image_tools_a_bad_reply_asks_for_an_image(tiny_tokenizer, session):
    agent, llm, _ = make_agent(tiny_tokenizer, ["Sure! image.rotate(90) 1000000"])
    reply = agent.chat(session, "rotate by 90 degrees")
    assert reply.text == NEEDS_IMAGE and len(llm.prompts) == 1  # not five steps of garbage
    drawing = FakeRuntime(names=("Edge Detection On Image", "Generate Image From User Input Text"))
    agent, llm, _ = make_agent(tiny_tokenizer, ["Sure!", answer("Here is a cat.")], drawing)
    assert agent.chat(session, "draw a cat").text == "Here is a cat."  # a tool works without an image: recover
    assert len(llm.prompts) == 2


def test_an_answer_that_miscopies_the_made_file_name_names_the_file(tiny_tokenizer, session):
    agent, llm, _ = make_agent(tiny_tokenizer, [])
    image = upload(agent, session)
    llm.replies = [call("Edge Detection On Image", image), "{answer}"]
    events, made, typo = [], "", ""
    for event in agent.run(session, "edges please"):
        events.append(event)
        if isinstance(event, StepTaken):
            made = event.step.files[0]
            typo = made[:-6] + made[-5:]  # a character dropped, as the model did with a pose map's name
            llm.replies[1] = answer(f"Here is the edge map: {typo}")
    reply = events[-1]
    assert reply.text == f"Here is the edge map: {made}" and reply.corrected and reply.model_answer.endswith(typo)
    assert made in reply.files


def test_an_answer_that_presents_the_upload_as_the_result_names_the_made_file(tiny_tokenizer, session):
    """Seen under load: "image/ad5b7430.png is the edge map you asked for", the upload, not the edge map."""
    agent, llm, _ = make_agent(tiny_tokenizer, [])
    image = upload(agent, session)
    llm.replies = [call("Edge Detection On Image", image), answer(f"{image} is the edge map you asked for.")]
    reply = agent.chat(session, "edges please")
    made = reply.steps[0].files[0]
    assert reply.text == f"{made} is the edge map you asked for." and reply.files == (made,)
    llm.prompts.clear()
    llm.replies = [call("Edge Detection On Image", image), answer(f"I made {made} from {image}.")]
    assert agent.chat(session, "edges of the original").text == f"I made {made} from {image}."  # names both: kept


@pytest.mark.parametrize(
    ("said", "presented"),
    [
        ("I don't have an image to work on yet. Please upload one first.", True),  # seen in --cli
        ("There is no image here.", True),
        ("Done! The background is gone.", False),  # names no file, denies nothing: the image is shown beside it
    ],
)
def test_an_answer_that_denies_the_image_the_turn_made_presents_it(tiny_tokenizer, session, said, presented):
    """Remove the background made a file, and the model answered that there was no image to work on."""
    from agent.file_names import PRESENTED

    agent, llm, _ = make_agent(tiny_tokenizer, [])
    image = upload(agent, session)
    llm.replies = [call("Edge Detection On Image", image), answer(said)]
    reply = agent.chat(session, "edges please")
    made = reply.steps[0].files[0]
    assert reply.text == (PRESENTED.format(result=made) if presented else said) and reply.files == (made,)


def test_an_earlier_file_listed_beside_the_made_one_is_not_presented(tiny_tokenizer, session):
    """Seen in --cli: "I found these straight lines: <this turn's> and <an earlier photo's>"; both were shown."""
    agent, llm, _ = make_agent(tiny_tokenizer, [])
    other = upload(agent, session)
    llm.replies = [call("Edge Detection On Image", other), answer("Done.")]
    earlier = agent.chat(session, "edges please").files[0]
    image = upload(agent, session)

    class ListsBoth(ScriptedLLM):
        def stream(self, prompt: str, max_new_tokens: int = 128):
            made = OBSERVED_IMAGE_RE.findall(prompt.rsplit("New input", 1)[-1])
            self.replies = [answer(f"Here are the edges: {made[-1]} and {earlier}.")] if made else self.replies
            yield from super().stream(prompt, max_new_tokens)

    agent.llm = ListsBoth([call("Edge Detection On Image", image)])
    reply = agent.chat(session, "edge map again please")
    assert reply.text == f"Here are the edges: {reply.steps[0].files[0]}." and reply.files == reply.steps[0].files


@pytest.mark.parametrize(
    ("answer_text", "made", "existing", "expected"),
    [
        ("see image/ab12_edge_cd34.png", ["image/ab12_edge_cd344.png"], [], "see image/ab12_edge_cd344.png"),
        ("see image/ab12_edge_cd34.png", ["image/ab12_edge_cd35.png", "image/ab12_edge_cd36.png"], [], None),
        ("see image/ab12_edge_cd34.png", ["image/ab12_edge_cd35.png"], ["image/ab12_edge_cd34.png"], None),
        ("see image/ffff_pose_0000.png", ["image/ab12_edge_cd34.png"], [], None),
    ],
)
def test_only_a_name_nearly_spelling_one_made_file_is_set_right(answer_text, made, existing, expected):
    """One file within two edits is meant; two candidates, an existing file or a distant name are left alone."""
    assert with_made_names(answer_text, made, lambda name: name in existing) == (expected or answer_text)


def test_words_that_need_no_picture_are_written_with_none_uploaded(tiny_tokenizer, session):
    """Seen in a --cli drive with no upload: "write a short email to my landlord about the broken heater" was answered
    "That needs an image" (the model called the reading tool); a caption still waits for the photo."""
    reader = "Text Detection On Image"
    runtime = FakeRuntime(names=(reader, "Edge Detection On Image"))
    email = "Dear landlord, the heater is broken. Could you send someone to fix it? Thanks."
    agent, llm, _ = make_agent(tiny_tokenizer, [call(reader, "image/abcd1234.png"), f" {email}"], runtime=runtime)
    reply = agent.chat(session, "write a short email to my landlord about the broken heater")
    assert reply.text == email and not reply.steps and not runtime.calls
    assert llm.prompts[-1] == agent.template.wrap(
        "write a short email to my landlord about the broken heater", "", tiny_tokenizer
    )
    llm.replies, llm.prompts = [call(reader, "image/abcd1234.png")], []
    assert agent.chat(session, "write a caption for instagram").text.startswith("That needs an image")


def test_words_asked_alone_carry_the_part_of_the_sign_they_point_back_at(tiny_tokenizer, session):
    """Seen in a --cli drive: after "what's the phone number?" read 555-0147, "write me a text message to send to that
    number asking about the flat" was refused in the conversation and again on its own ("Please upload the image
    first"), ending "I could not answer that": asked alone, the model is now given the number."""
    reader = "Text Detection On Image"
    runtime = FakeRuntime(names=(reader, "Edge Detection On Image"))
    runtime.run = lambda tool, argument, workspace: Observation("FOR RENT CALL 555-0147 NO PETS", True, (), 0.01)
    agent, llm, _ = make_agent(tiny_tokenizer, [], runtime=runtime)
    sign = upload(agent, session)
    llm.replies = [call(reader, sign), answer("The phone number is 555-0147.")]
    agent.chat(session, "what's the phone number?")
    refusal = "Please upload the image first, then ask me again."
    text = "Hi, is the flat still for rent? When could I see it?"
    llm.replies += [call(reader, sign), f" {refusal}", f" {text}"]
    reply = agent.chat(session, "write me a text message to send to that number asking about the flat")
    assert reply.text == text and not reply.steps
    assert "send to 555-0147 asking about the flat" in llm.prompts[-1] and "that number" not in llm.prompts[-1]
    # seen in a --cli drive: "write a short ad for this apartment" read the sign again and gave its words
    ad = "Flat for rent! Call 555-0147. Sorry, no pets."
    llm.replies += [call(reader, sign), f" {refusal}", f" {ad}"]
    reply = agent.chat(session, "write a short ad for this apartment")
    assert reply.text == ad and not reply.steps
    assert 'The sign reads "FOR RENT CALL 555-0147 NO PETS". write a short ad for this apartment' in llm.prompts[-1]


def test_a_picture_question_answered_without_a_tool_names_the_missing_tool(tiny_tokenizer, session):
    """The model cannot see: with no question-answering tool loaded, its answer about the picture is made up. A
    request that asks only that is answered before the model runs; one that asks more is left to the model, and
    its answer about the picture replaced."""
    agent, llm, _ = make_agent(tiny_tokenizer, [answer("Her suit is white.")])
    upload(agent, session)
    reply = agent.chat(session, "what colour is her suit?")
    assert ANSWERER in reply.text and "not loaded" in reply.text and "--load VisualQuestionAnswering_cpu" in reply.text
    assert reply.by_agent and not llm.prompts and not reply.files
    assert DESCRIBER in agent.chat(session, "describe this photo").text and not llm.prompts
    reply = agent.chat(session, "what colour is her suit, and is it new?")
    assert ANSWERER in reply.text and reply.corrected and reply.model_answer == "Her suit is white."
    assert "white" not in session.memory.turns[-1].text  # the next turn does not build on the made-up answer
    agent, _, _ = make_agent(tiny_tokenizer, [answer("Waves fold and fall.")])
    assert agent.chat(session, "write a haiku about the sea").text == "Waves fold and fall."  # not about the picture
    refusal = "I cannot see images, and Answer Question About The Image is not loaded, so I can't do that."
    agent, _, _ = make_agent(tiny_tokenizer, [answer(refusal)])
    reply = agent.chat(session, "what colour is her hair, and her eyes?")
    assert reply.text == refusal and not reply.corrected  # the model said so itself


@pytest.mark.parametrize(
    ("request_text", "tool"),
    [
        ("describe this picture", DESCRIBER),
        ("is the woman in the original photo smiling?", ANSWERER),
        ("is the cat sleeping?", ANSWERER),  # seen in a --cli drive: Detection ran, answered "The cat is sleeping."
        ("what colour is the motorcycle?", ANSWERER),
        ("how many cups are on the table?", None),  # a detector's boxes may count them
        ("is she smiling? then rotate it by 90", None),  # asks for more
        ("what colour is her suit, and is it new?", None),
        ("rotate it by 90", None),
        ("hi! what is this a picture of?", DESCRIBER),  # a greeting asks for nothing more
        ("what is this photo of?", DESCRIBER),  # seen in a --cli drive: answered "It is image/....png."
        ("what's in the first one?", DESCRIBER),  # seen in a --cli drive: "It shows the image named image/....png."
        ("what is in it?", DESCRIBER),
        ("hi! what is this a picture of? and rotate it", None),
    ],
)
def test_which_requests_only_ask_what_the_picture_shows(request_text, tool):
    assert only_asks_what_it_shows(request_text) == tool


def test_what_is_in_the_other_upload_is_refused_of_that_upload(tiny_tokenizer, session):
    """Seen in a --cli drive: "what's in the first one?" was answered "It shows the image named image/....png."; the
    upload asked about is the one "it" means next ("blur the cup" then works on it)."""
    agent, llm, _ = make_agent(tiny_tokenizer, [])
    first = upload(agent, session)
    second = upload(agent, session)
    assert session.latest_image == second
    reply = agent.chat(session, "what's in the first one?")
    assert DESCRIBER in reply.text and "not loaded" in reply.text and reply.by_agent and not llm.prompts
    assert session.latest_image == first
    agent.chat(session, "what's in the other one?")
    assert session.latest_image == second


def test_a_picture_question_is_left_to_the_model_when_its_tool_is_loaded_or_a_tool_ran(tiny_tokenizer, session):
    runtime = FakeRuntime(names=("Edge Detection On Image", ANSWERER))
    agent, _, _ = make_agent(tiny_tokenizer, [answer("Her suit is white.")], runtime=runtime)
    upload(agent, session)
    assert agent.chat(session, "what colour is her suit?").text == "Her suit is white."
    agent, _, _ = make_agent(tiny_tokenizer, [answer("It is white.")])
    assert agent.chat(ChatSession(session.workspace), "what colour is her suit?").text == "It is white."  # no image


def test_a_picture_question_no_call_could_answer_gets_the_missing_tool_and_what_was_done(tiny_tokenizer, session):
    """Edges say nothing of a smile: the model's words after them are made up. A detector's boxes do count things,
    so a count after Detection is the model's to give."""
    runtime = FakeRuntime(names=("Edge Detection On Image", "Detection"))
    agent, llm, _ = make_agent(tiny_tokenizer, [], runtime=runtime)
    image = upload(agent, session)
    llm.replies = [call("Edge Detection On Image", image), answer("Here are its edges; yes, she is smiling.")]
    reply = agent.chat(session, "is she smiling? show me the edges")
    assert "smiling" not in reply.text and "Answer Question About The Image is not loaded" in reply.text
    assert "done this turn: Edge Detection On Image" in reply.text and reply.files and reply.corrected
    llm.replies += [call("Detection", image), answer("There is one person.")]
    assert agent.chat(session, "how many people are in the photo?").text == "There is one person."
    llm.replies += [call("Detection", image), answer("Yes, she is smiling.")]
    assert "is not loaded" in agent.chat(session, "is she smiling?").text
    llm.replies += [call("Detection", image), answer("The cat is sleeping.")]
    assert "is not loaded" in agent.chat(session, "is the cat sleeping?").text


@pytest.mark.parametrize(
    ("request_text", "tool"),
    [
        ("what colour are the cat's eyes?", ANSWERER),
        ("How many people are in the photo?", ANSWERER),
        ("is the woman in the first picture smiling?", ANSWERER),
        ("what is the dog holding?", ANSWERER),
        ("what's going on in this pic?", DESCRIBER),
        ("what's in this picture?", DESCRIBER),  # seen in --cli: "It shows image/ff3e6f12.png."
        ("what objects are in this picture?", None),  # Detection's
        ("what does the image show?", DESCRIBER),
        ("what can you see in the picture?", DESCRIBER),
        ("what is the content of e.jpg?", DESCRIBER),  # HuggingGPT names pictures by file
        ("describe /examples/e.png", DESCRIBER),
        ("tell me the contents of this photo", DESCRIBER),
        ("what are the contents of the report?", None),
        ("what colour should I paint my kitchen?", None),  # advice
        ("how many tools are there?", None),  # about the demo
        ("which file was my original photo?", None),  # about the conversation
        ("what does the sign say?", None),  # reading: Text Detection On Image
        ("describe a sunset in three words", None),
        ("Describe it.", DESCRIBER),
        ("can you describe this one for me?", DESCRIBER),
        ("describe it in a poem", None),  # writing about it
        # seen in a --cli drive: answered with the cut-out alone, the description left out without a word
        ("remove the background and describe what is left", DESCRIBER),
        ("rotate it and describe it", DESCRIBER),
        ("which one looks better?", ANSWERER),  # seen in a drive: "The straight lines is sharper and smoother."
        ("what breed is the cat?", ANSWERER),  # seen in a drive: "The cat is named Luna."
        ("who is this?", ANSWERER),  # seen in a drive: "I could not answer that"
        ("whats the cats name?", ANSWERER),  # seen in a --cli drive: "The cat's name is Feline."
        ("what's the image's name?", None),  # the file's
        ("who are you?", None),
        ("does it look good?", ANSWERER),
        ("which one is bigger?", None),  # the files answer it (agent/image_facts.py)
        ("draw a cat wearing a hat", None),
        ("what time is it on the clock?", ANSWERER),  # seen in a drive: "It will be 11:45 tomorrow."
        ("what time does the clock in this photo show?", ANSWERER),
        ("what time does the cafe open?", None),  # a sign's words answer it
        ("write a caption for instagram", DESCRIBER),  # seen in a drive: "Text Detection On Image ... not loaded"
        ("can you give me some hashtags for this?", DESCRIBER),
        ("write a caption for a photo of my dog on the beach", None),  # it tells what the picture shows
        ("write a caption that says hello", None),  # the words are given
        ("write a short poem about this picture", DESCRIBER),  # seen in a --cli drive: the picture was read
        ("make a caption for instagram", DESCRIBER),  # seen in a --cli drive: resized to 1080 pixels wide
        ("write a haiku about coffee", None),
        ("is it red or blue?", ANSWERER),
        ("is the car black or white?", ANSWERER),
        ("ok here's my cat. is it black or white?", ANSWERER),  # seen in a drive: "The cat is black."
        ("is it a cat or a dog?", None),  # the detector's count answers it
        ("what's this?", DESCRIBER),  # seen in a drive: "I could not answer that"
        ("what am I looking at?", DESCRIBER),
        ("hi! what is this a picture of?", DESCRIBER),  # seen in a --cli drive: "It is image/aff27f3f.png."
        ("whats in the picture", DESCRIBER),
        ("what's left", DESCRIBER),  # seen in a drive after a background removal: the model read the cut-out
        ("what's left to do?", None),
        ("what's this tool for?", None),
        ("what do you think of this photo?", ANSWERER),  # seen in a drive: "I could not answer that"
        ("do you like it?", ANSWERER),
        ("is this a good photo?", ANSWERER),
        ("what do you think about edge detection?", None),
        ("how many animals in total?", ANSWERER),  # seen in a drive: "There are 10 animals in total."
        ("how many people?", ANSWERER),
        ("how many birds can you see", ANSWERER),
        ("how many pixels?", None),  # the file's size answers it
        ("how many words?", None),  # the words read answer it
        ("how many steps did you take?", None),
        ("what's in the cup?", ANSWERER),  # seen in a drive: Detection, then "There is no object in image/....png"
        ("what is in her hand?", ANSWERER),
        ("what's on the sign?", None),  # reading
        ("what's in the history?", None),
        ("which one is the clock?", ANSWERER),  # seen in a drive: "The clock is the time clock."
        ("which one is the cat?", None),  # the detector finds cats (agent/detector_scope.py)
        ("which one is the bigger one?", None),  # the files tell (agent/image_facts.py)
        ("is this tea or coffee?", ANSWERER),  # seen in a drive: "Tea is not brewed, it is coffee."
        ("which one is closer to the camera, her or the flag?", ANSWERER),  # seen in a --cli drive
        ("which of them is in front?", ANSWERER),
        ("which one is closer to the original?", None),  # of the edits
        ("is it bigger or smaller?", None),
        ("is it png or jpg?", None),
        ("is it a crop or a resize?", None),
        ("is that a real rocket?", ANSWERER),  # seen in a drive: "A rocket engine is the fuel it uses ..."
        ("is this photo real?", ANSWERER),
        ("can you tell me what this is?", DESCRIBER),  # seen in a drive: "It shows an image named image/....png"
        ("do you know what that is?", DESCRIBER),
        ("can you tell me what it is saved as?", None),
        ("what's she wearing?", ANSWERER),  # seen in a drive: "I could not answer that"
        ("how tall is the horse?", ANSWERER),  # seen in a drive: "The horse is 1500 years tall."
        ("how old is she?", ANSWERER),
        ("how big is the image?", None),  # the file answers it
        ("how big is the crop?", None),
    ],
)
def test_which_requests_ask_what_a_picture_shows(request_text, tool):
    assert answering_tool(request_text) == tool


@pytest.mark.parametrize(
    ("answer_text", "observation", "expected"),
    [
        ('The sign says "MAYNAMENT".', "MAIN STREET", 'The sign says "MAIN STREET".'),  # the quoted words set right
        (
            "There is no reading material in this image.",
            "NO PARKING\nTOW AWAY ZONE",
            'The text reads "NO PARKING TOW AWAY ZONE".',
        ),
        ("The sign reads cafe open daily.", "CAFE OPEN DAILY", "The sign reads cafe open daily."),  # copied: kept
        ("There is no text in it.", "No text found.", "There is no text in it."),  # nothing was read
        # seen in a drive: the words read, quoted in an answer that says there are none
        ('There is no readable text on the sign: "No Parking".', "NO PARKING", 'The text reads "NO PARKING".'),
        ('The letter "NO PARKING" is not found in text.', "NO PARKING", 'The text reads "NO PARKING".'),
        # seen in a drive: a position nobody read
        ('The letter "OPEN DAILY" is at position 156.', "OPEN DAILY", 'The text reads "OPEN DAILY".'),
        ('The sign says "OPEN 24 HOURS".', "OPEN 24 HOURS", 'The sign says "OPEN 24 HOURS".'),  # its own number
        # seen in a drive: the words unquoted beside a misquote
        ('The main street is "MANA STREET".', "MAIN STREET", 'The main street is "MAIN STREET".'),
        # seen in a --cli drive, asked to "read it again": the words as a detector's finding
        ("The detector found: OPEN DAILY.", "OPEN DAILY", 'The text reads "OPEN DAILY".'),
        # seen in a --cli drive, asked "what does the sign say and what is she wearing?"
        ("I found it here: OPEN 9 TO 5.", "OPEN 9 TO 5", 'The text reads "OPEN 9 TO 5".'),
        # seen in a --cli drive: the words read, quoted in other letters
        ('The sign says "For Rent CALL".', "FOR RENT CALL", 'The sign says "FOR RENT CALL".'),
        # seen in a --cli drive, asked "wat does it say": a letter quoted in words made for it
        ('The letter "F" is at position 9 and 5.', "OPEN 9 TO 5 MON - FRI", 'The text reads "OPEN 9 TO 5 MON - FRI".'),
        ('image/66fc4e77.png says "OPEN".', "OPEN", 'image/66fc4e77.png says "OPEN".'),  # a file name's digits
        # seen in a drive, asked "what street is this?": a file for the words
        ("The main street is image/21636369.png.", "MAIN STREET", 'The text reads "MAIN STREET".'),
        # seen in a drive, asked to "make the sign easier to read": a made image announced for a reading
        ("The sign is ready: CAFE OPEN DAILY", "CAFE OPEN DAILY", 'The text reads "CAFE OPEN DAILY".'),
    ],
)
def test_an_answer_that_rewrites_the_words_read_gives_them_as_read(answer_text, observation, expected):
    assert with_read_text(answer_text, "Text Detection On Image", observation) == expected
    assert with_read_text(answer_text, "Detection", observation) == answer_text  # only what a reading tool read


def test_the_agent_answers_with_the_words_the_reading_tool_found(tiny_tokenizer, session):
    runtime = FakeRuntime(names=("Text Detection On Image",))
    runtime.run = lambda tool, argument, workspace: Observation("OPEN 24 HOURS", True, (), 0.01)
    agent, llm, _ = make_agent(tiny_tokenizer, [], runtime=runtime)
    image = upload(agent, session)
    llm.replies = [call("Text Detection On Image", image), answer('The sign says "24 Hours".')]
    reply = agent.chat(session, "what does the sign say?")
    assert reply.text == 'The sign says "OPEN 24 HOURS".' and reply.corrected
    assert reply.model_answer == 'The sign says "24 Hours".'


def test_an_answer_that_loops_after_the_words_read_ends_with_them(tiny_tokenizer, session):
    """Seen in a drive: asked to "extract the text" of a page, the model quoted the words, then wrote 'The text reads
    "' again and again to its token limit."""
    runtime = FakeRuntime(names=("Text Detection On Image",))
    runtime.run = lambda tool, argument, workspace: Observation("markers of the coins", True, (), 0.01)
    agent, llm, _ = make_agent(tiny_tokenizer, [], runtime=runtime)
    image = upload(agent, session)
    llm.replies = [
        call("Text Detection On Image", image),
        answer('The text reads "markers of the coins"' + 'The text reads "' * 9),
    ]
    reply = agent.chat(session, "extract the text")
    assert reply.text == 'The text reads "markers of the coins"'


@pytest.mark.parametrize(
    ("request_text", "task"),
    [
        ("translate this sign into french", "translate it"),
        ("can you tell me what's written here and translate it to french?", "translate it"),
        ("what does this page say? summarise it", "summarize it"),  # seen in a drive: 'It says "This page says <file>"'
        ("summarize the text on this page", "summarize it"),
    ],
)
def test_a_sign_asked_to_be_translated_is_read_and_the_translation_declined(
    tiny_tokenizer, session, request_text, task
):
    """Seen in the recorded demo: "translate this sign into french" ran no tool and the model wrote "Le sign negé est
    le sign negé."; in a drive, so did "what's written here and translate it"."""
    from agent.read_text import NOT_RELIABLY

    runtime = FakeRuntime(names=("Text Detection On Image", "Detection"))
    runtime.run = lambda tool, argument, workspace: Observation("NO PARKING AFTER 6PM", True, (), 0.01)
    agent, llm, _ = make_agent(tiny_tokenizer, [], runtime=runtime)
    image = upload(agent, session)
    llm.replies = [answer("Le sign negé est le sign negé."), call("Text Detection On Image", image), answer("Non.")]
    reply = agent.chat(session, request_text)
    assert reply.text == NOT_RELIABLY.format(words="NO PARKING AFTER 6PM", task=task)
    assert [step.action for step in reply.steps] == ["Text Detection On Image"]


@pytest.mark.parametrize(
    ("request_text", "asks"),
    [
        ("hi there! what can you do?", True),
        ("What tools do you have?", True),
        ("which tools are loaded", True),
        ("what can you do with this image?", True),
        ("what do you think of this photo?", False),
        ("can you do the edges?", False),
        ("hi! what is this app?", True),  # the model: "It is an AI assistant, not an app."
        ("who are you?", True),
        ("how does this work?", True),
        ("what are you doing?", False),
        ("how does edge detection work?", False),
        ("what can I do here?", True),  # seen in a drive: "Please upload one first."
        ("what can I do with this photo", True),  # seen in a drive: "I could not answer that."
        ("im new here, what do you do?", True),  # seen in a drive: "I could not answer that."
        ("what do you do for a living?", False),
        ("what can I do to make it sharper?", False),
        ("what should i do with this photo?", True),  # seen in a --cli drive: "I could not answer that."
        ("what else can i do with it?", True),
        ("what else?", False),  # after a reading, what else it says
        ("what else did you find?", False),
    ],
)
def test_which_requests_ask_what_the_assistant_can_do(request_text, asks):
    assert asks_what_it_can_do(request_text) is asks


def test_what_it_can_do_is_answered_from_the_loaded_tools_before_the_model(tiny_tokenizer, session):
    agent, llm, _ = make_agent(tiny_tokenizer, [answer("I can describe images and answer questions about them.")])
    reply = agent.chat(session, "hi there! what can you do?")
    assert "Edge Detection On Image" in reply.text and "Pose Detection On Image" in reply.text
    assert "describe" not in reply.text and reply.by_agent and llm.prompts == []
    assert "Upload an image" in reply.text
    # seen in a --cli drive: asked "what should i do with this photo?", it was told to upload one
    image = upload(agent, session)
    told = agent.chat(session, "what should i do with this photo?").text
    assert "Upload an image" not in told and f"Tell me what to do with {image}" in told


@pytest.mark.parametrize(
    ("request_text", "asks"),
    [
        ("what model are you?", True),  # seen in a --cli drive: "I'm an AI model, not a tool."
        ("which llm is this?", True),
        ("are you chatgpt?", True),
        ("who made you", True),
        ("what's the model of this camera?", False),
        ("which model is best for faces?", False),
        ("what is the model wearing?", False),
        ("what's your model?", True),
        ("what is the model behind this?", True),
    ],
)
def test_which_requests_ask_which_model_answers(request_text, asks):
    assert asks_which_model(request_text) is asks


def test_which_model_answers_is_told_by_the_agent(tiny_tokenizer, session):
    agent, llm, _ = make_agent(tiny_tokenizer, [answer("I'm an AI model, not a tool.")])
    agent.identity = "smollm2-135m-instruct with the LoRA adapter smollm2-gpt4tools"
    reply = agent.chat(session, "what model are you?")
    assert reply.text == model_answer(agent.identity, agent.runtime.available.names) and llm.prompts == []
    assert reply.text.startswith(f"I am {agent.identity}, running here") and "Edge Detection On Image" in reply.text


@pytest.mark.parametrize(
    ("request_text", "asks"),
    [
        ("what is a lora adapter?", True),  # seen in a --cli drive: "an image editing tool that allows you to resize"
        ("explain LoRA", True),
        ("how does qlora work?", True),
        ("what's the lorax?", False),
        ("lora is my cat's name", False),
    ],
)
def test_which_requests_ask_what_lora_is(request_text, asks):
    from agent.capabilities import asks_about_lora

    assert asks_about_lora(request_text) is asks


def test_what_a_lora_adapter_is_is_told_with_the_one_loaded(tiny_tokenizer, session):
    from agent.capabilities import lora_answer

    agent, llm, _ = make_agent(tiny_tokenizer, [answer("A lora adapter is an image editing tool.")])
    agent.identity = "smollm2-135m-instruct with the LoRA adapter smollm2-gpt4tools"
    reply = agent.chat(session, "what is a lora adapter?")
    assert reply.text == lora_answer(agent.identity) and llm.prompts == []
    assert "low-rank" in reply.text and reply.text.endswith(f"This demo runs {agent.identity}.")


def test_the_first_call_runs_on_the_image_the_request_points_at(tiny_tokenizer, session):
    """ "The original" after an edit is the upload, whichever file the model wrote; the model's call stays in the
    trace, and the step the model reads next is the call that ran."""
    runtime = FakeRuntime(names=("Edge Detection On Image", "Line Detection On Image"))
    agent, llm, _ = make_agent(tiny_tokenizer, [], runtime=runtime)
    image = upload(agent, session)
    llm.replies = [call("Edge Detection On Image", image), answer("Done.")]
    edges = agent.chat(session, "show me the edges").files[0]
    llm.replies += [call("Line Detection On Image", edges), answer("Here are the lines.")]
    (step,) = agent.chat(session, "now the straight lines of the original photo").steps
    assert (step.action_input, step.model_call) == (image, f"Line Detection On Image: {edges}")
    assert runtime.calls[-1] == ("Line Detection On Image", image)
    assert f"Action Input: {image}\nObservation:" in llm.prompts[-1]


def test_the_first_call_runs_on_the_result_the_request_names_by_its_operation_with_the_stated_numbers(
    tiny_tokenizer, session
):
    """ "The edge map" is the edges made earlier, though the lines came after it; "90 degrees clockwise" is -90."""
    runtime = FakeRuntime(names=("Edge Detection On Image", "Line Detection On Image", "Rotate Image"))
    agent, llm, _ = make_agent(tiny_tokenizer, [], runtime=runtime)
    image = upload(agent, session)
    llm.replies = [call("Edge Detection On Image", image), answer("Done.")]
    edges = agent.chat(session, "show me the edges").files[0]
    llm.replies += [call("Line Detection On Image", image), answer("Done.")]
    lines = agent.chat(session, "and the straight lines of the original").files[0]
    llm.replies += [call("Rotate Image", f"{lines}, 90"), answer("Rotated.")]
    (step,) = agent.chat(session, "turn the edge map 90 degrees clockwise").steps
    assert (step.action_input, step.model_call) == (f"{edges}, -90", f"Rotate Image: {lines}, 90")


def test_an_answer_after_the_detection_alone_does_not_end_a_blur_the_face_turn(tiny_tokenizer, session):
    """The model answered with the face's box; the agent opens the Blur Region step, the model gives the box."""
    runtime = FakeRuntime(names=("Detection", "Blur Region"))
    agent, llm, _ = make_agent(tiny_tokenizer, [], runtime=runtime)
    image = upload(agent, session)
    llm.replies = [
        call("Detection", image),
        answer("The image shows: face [0, 0, 8, 8]."),
        f" {image}, 0, 0, 8, 8\nObservation:",
    ]
    llm.replies.append(answer("Done."))
    reply = agent.chat(session, "blur the face")
    assert [step.action for step in reply.steps] == ["Detection", "Blur Region"]
    assert reply.steps[1].action_input == f"{image}, 0, 0, 8, 8"
    assert reply.steps[1].model_call == "AI: The image shows: face [0, 0, 8, 8]."
    assert llm.prompts[2].endswith("Action: Blur Region\nAction Input:")
    llm.replies += [call("Detection", image), answer("There is a face at [0, 0, 8, 8].")]
    assert len(agent.chat(session, "where is the face?").steps) == 1  # no edit asked: the answer stands


@pytest.mark.parametrize(
    ("request_text", "tool"),
    [
        ("blur the face", "Blur Region"),
        ("hide her face for privacy", "Blur Region"),
        # seen in a --cli drive: Detection ran, then the face's box was the answer
        ("that's wrong, I wanted her face blurred", "Blur Region"),
        ("can you make her face anonymous", "Blur Region"),  # seen in a --cli drive: the box was the answer
        ("is the face blurred?", None),
        ("crop to the dog", "Crop Image"),
        ("find the faces", None),
        ("hide the cables", None),
    ],
)
def test_which_requests_ask_for_an_edit_of_a_detected_region(request_text, tool):
    from agent.pending_edit import pending_box_edit

    detected = [TraceStep(1, "", "Detection", "image/a.png", "face [1, 2, 3, 4]", True)]
    available = ["Detection", "Blur Region", "Crop Image"]
    assert pending_box_edit(request_text, detected, available) == tool
    assert pending_box_edit(request_text, [], available) is None  # nothing detected: no box to use


@pytest.mark.parametrize(
    ("request_text", "offline", "with_named_finder"),
    [
        ("blur her face", "Detection", "Detection"),
        ("crop the cat", "Detection", "Detection"),  # the model cropped 20000, 30000, 1, 2
        ("crop the people out", "Detection", "Detection"),
        ("crop the dog", None, "Detect the Give Object"),  # Detection finds no dogs (answered before the model)
        ("crop it to 0, 0, 10, 10 around the face", None, None),  # numbers given
    ],
)
def test_which_made_up_boxes_wait_for_a_detection(request_text, offline, with_named_finder):
    from agent.pending_edit import invented_box

    available = ("Detection", "Crop Image", "Blur Region")
    arguments = ["image/a.png", "20000", "30000", "1", "2"]
    assert invented_box(request_text, "Crop Image", arguments, "", available) == offline
    named = (*available, "Detect the Give Object")
    assert invented_box(request_text, "Crop Image", arguments, "", named) == with_named_finder
    shown = "face [20000, 30000, 1, 2]"  # a box the conversation holds is not made up
    assert invented_box(request_text, "Crop Image", arguments, shown, named) is None


@pytest.mark.parametrize(
    ("request_text", "tool"),
    [
        ("crop the cup", "Crop Image"),  # the model cropped 3, 2, 1, 2
        ("blur the spoon please", "Blur Region"),
        ("crop it", "Crop Image"),
        ("crop the top half", None),  # a part named by its place
        ("blur the whole image", None),
        ("blur it", None),  # the picture itself
        ("blur the edge map", None),
        ("crop the cup and then show me its edges", "Crop Image"),  # the edges wait for the crop's box
        ("crop the face", None),  # Detection finds it
        ("crop it to 0, 0, 300, 200", None),
        ("show me the edges", None),
        ("crop it to a square", None),  # seen in a drive: asked for a box; the centred square is the box
        ("crop the bigger one to a square", None),
        ("crop it to 16:9", None),
        ("trim it a bit", "Crop Image"),  # seen in a drive: cropped 2, 1000, 400, 800
        ("zoom in on her", None),  # seen in a drive: asked for a box; Detection finds her
        ("blur the astronaut", None),
        ("zoom in on her hat", "Crop Image"),  # a hat: nothing finds it
        ("crop him", None),  # seen in a drive: told that the detector cannot find him
        ("anonymize him", None),  # seen in a drive: told that the detector finds people only
        ("blur them please", None),
    ],
)
def test_which_box_edits_nothing_can_place(request_text, tool):
    from agent.pending_edit import names_another_thing, unfound_box

    available = ("Detection", "Crop Image", "Blur Region", "Edge Detection On Image")
    assert unfound_box(request_text, available, "") == tool
    # a box to take, unless the edit names a thing nobody found ("blur the cup": not the face's box)
    taken = tool if names_another_thing(request_text) else None
    assert unfound_box(request_text, available, "The face is at face [1, 2, 3, 4].") == taken
    assert unfound_box(request_text, (*available, "Detect the Give Object"), "") is None  # it finds the cup


def test_a_box_edit_of_what_nothing_finds_asks_for_the_box(tiny_tokenizer, session):
    """Asked to "crop the cup" offline, the model cropped ``3, 2, 1, 2`` and the answer was the tool's refusal."""
    from agent.loop import NEEDS_BOX, NEEDS_PART, NEEDS_PART_KEPT

    runtime = FakeRuntime(names=("Detection", "Crop Image", "Blur Region"))
    agent, llm, _ = make_agent(tiny_tokenizer, [], runtime=runtime)
    image = upload(agent, session, size=64)
    llm.replies = [call("Crop Image", f"{image}, 3, 2, 1, 2"), answer("Done!")]
    reply = agent.chat(session, "crop the cup")
    example = "crop it to 0, 0, 32, 32"
    assert reply.text == NEEDS_BOX.format(tool="Crop Image", size=f" ({image} is 64x64)", example=example)
    assert runtime.calls == [] and llm.prompts == []
    # nothing named to keep: which part to keep ("crop her out" had been told the detector cannot find her)
    for bare in ("crop it", "trim the photo a bit"):
        reply = agent.chat(session, bare)
        assert reply.text == NEEDS_PART.format(tool="Crop Image", size=f" ({image} is 64x64)", example=example)
    # something to drop: the crop keeps one rectangle, so the part to keep is asked for
    for dropped in ("crop her out", "crop the guy out of the photo", "crop out the left side"):
        reply = agent.chat(session, dropped)
        assert reply.text == NEEDS_PART_KEPT.format(tool="Crop Image", size=f" ({image} is 64x64)", example=example)


def test_a_face_edit_after_a_cat_was_found_says_what_was_found_instead(tiny_tokenizer, session):
    """Seen in a Gradio drive on the cat photo: "zoom in on the face" was answered "Done! I saved the detected face as
    cat [229, 180, 302, 253]. So Crop Image did not run: ..."."""
    runtime = FakeRuntime(names=("Detection", "Crop Image"), found="cat [229, 180, 302, 253]")
    agent, llm, _ = make_agent(tiny_tokenizer, [], runtime=runtime)
    image = upload(agent, session)
    llm.replies = [call("Detection", image), answer("Done! I saved the detected face as cat [229, 180, 302, 253].")]
    reply = agent.chat(session, "Zoom in on the face")
    told = FOUND_OTHER.format(noun="face", image=image, found="cat [229, 180, 302, 253]")
    assert reply.text.startswith(f"{told} So Crop Image did not run: it needs a box.")
    assert not any(step.action == "Crop Image" for step in reply.steps)


@pytest.mark.parametrize(
    "said", ["I found no straight lines in the image; it found a fence.", "The image shows a fence.", "Done!"]
)
def test_an_answer_that_tells_what_a_made_map_shows_gives_way_to_the_map(tiny_tokenizer, session, said):
    """Seen in a Gradio drive: "show me the straight lines" drew the map and was answered "I found no straight lines
    in the image; it found a fence." (the model cannot see the map)."""
    from agent.file_names import PRESENTED

    runtime = FakeRuntime(names=("Line Detection On Image",))
    agent, llm, _ = make_agent(tiny_tokenizer, [], runtime=runtime)
    image = upload(agent, session)
    llm.replies = [call("Line Detection On Image", image), answer(said)]
    reply = agent.chat(session, "Show me the straight lines in the image")
    (made,) = reply.files
    assert reply.text == (said if said == "Done!" else PRESENTED.format(result=made))


def test_how_many_places_were_blurred_is_counted_from_the_blurs(tiny_tokenizer, session):
    """Seen in a --cli drive: "how many things did you blur?" blurred the face again."""
    from agent.image_facts import BLURS_COUNTED

    runtime = FakeRuntime(names=("Blur Region",))
    agent, llm, _ = make_agent(tiny_tokenizer, [], runtime=runtime)
    image = upload(agent, session, size=64)
    llm.replies = [call("Blur Region", f"{image}, 0, 0, 10, 10"), answer("Done.")]
    (first,) = agent.chat(session, "blur 0, 0, 10, 10").files
    llm.replies, llm.prompts = [call("Blur Region", f"{first}, 20, 20, 30, 30"), answer("Done.")], []
    (second,) = agent.chat(session, "blur 20, 20, 30, 30 too").files
    llm.prompts = []
    boxes = f"0, 0, 10, 10 of {image} and 20, 20, 30, 30 of {first}"
    assert agent.chat(session, "how many things did you blur?").text == BLURS_COUNTED.format(
        count=2, s="s", latest=second, boxes=boxes
    )
    assert llm.prompts == []


@pytest.mark.parametrize(
    ("request_text", "cropped", "expected"),
    [
        ("can you make her face bigger", False, "zoom in on her face"),  # seen in a --cli drive: Detection alone
        ("make the cat bigger", False, "zoom in on the cat"),  # it had resized the whole photo
        ("make her face bigger", True, "make her face bigger"),  # after a crop to it: the crop, resized
        ("make it bigger", False, "make it bigger"),
        # seen in a --cli drive: the whole sign was resized
        ("make the phone number bigger", False, "zoom in on the phone number"),
        ("make the picture bigger", False, "make the picture bigger"),
    ],
)
def test_a_part_made_bigger_is_a_zoom_onto_it(request_text, cropped, expected):
    from agent.pending_edit import zoom_onto_the_part

    assert zoom_onto_the_part(request_text, cropped) == expected


def test_the_original_size_asked_with_no_call_opens_the_resize(tiny_tokenizer, session, tmp_path):
    """Seen with the zero-shot model: "actually go back to the original size" was answered with prompt text naming
    two files, and no call."""
    runtime = FakeRuntime(names=("Resize Image", "Rotate Image"))
    agent, llm, runtime = make_agent(tiny_tokenizer, [], runtime=runtime)
    image = upload_file(agent, session, tmp_path / "cat.png", (40, 30))
    llm.replies = [call("Rotate Image", f"{image}, 180"), answer("Done.")]
    (turned,) = agent.chat(session, "turn it upside down").files
    llm.replies, llm.prompts = [call("Resize Image", f"{turned}, 20, 15"), answer("Done.")], []
    (small,) = agent.chat(session, "make it half the size").files
    llm.replies, llm.prompts = [answer(f"your answer ({small})"), f" {small}, 1, 1\nObservation:", answer("Done.")], []
    reply = agent.chat(session, "actually go back to the original size")
    # the fake resize keeps the size: the step is the call the agent ran (after resizes alone, the upload is shown:
    # tests/test_undo.py)
    assert [(step.action, step.action_input) for step in reply.steps] == [("Resize Image", f"{small}, 40, 30")]


def test_a_cats_box_is_no_box_for_her(tiny_tokenizer, session):
    """Seen in a session: after "blur the cat's face" of two photos, "now blur hers too" blurred the cat's photo again
    with the cat's box (the model wrote it); the detector now looks for her first."""
    runtime = FakeRuntime(names=("Detection", "Blur Region"))
    run = runtime.run
    photos: dict[str, str] = {}

    def found(tool, argument, workspace):
        if tool != "Detection":
            return run(tool, argument, workspace)
        runtime.calls.append((tool, argument))
        said = "cat [8, 0, 40, 30]" if argument.startswith(photos["cat"]) else "face [2, 2, 10, 10]"
        return Observation(said, True, (), 0.01)

    runtime.run = found
    agent, llm, _ = make_agent(tiny_tokenizer, [], runtime=runtime)
    astronaut = agent.introduce_image(session, Image.new("RGB", (64, 64), "white")).name
    photos["cat"] = cat = agent.introduce_image(session, Image.new("RGB", (48, 32), "white")).name
    llm.replies = [call("Detection", cat), call("Blur Region", f"{cat}, 8, 0, 40, 30"), answer("Done.")]
    (blurred,) = agent.chat(session, "blur the cat's face").files
    # the model's blur with the cat's box, the detection opened first, its answer, the blur opened with the face's box
    llm.replies = [call("Blur Region", f"{blurred}, 8, 0, 40, 30"), f" {astronaut}\nObservation:", answer("Done.")]
    llm.replies += [f" {astronaut}, 2, 2, 10, 10\nObservation:", answer("Done.")]
    llm.prompts = []
    reply = agent.chat(session, "now blur hers too")
    assert [(step.action, step.action_input) for step in reply.steps] == [
        ("Detection", astronaut),
        ("Blur Region", f"{astronaut}, 2, 2, 10, 10"),
    ]


def test_a_crop_of_a_cats_face_says_it_is_the_whole_cat(tiny_tokenizer, session):
    """Seen in a --cli drive: "crop the cat's face" cropped the cat's box, answered "The cropped image is ready"."""
    from agent.detector_scope import WHOLE_CAT

    runtime = FakeRuntime(names=("Detection", "Crop Image"), found="cat [8, 0, 60, 40]")
    agent, llm, _ = make_agent(tiny_tokenizer, [], runtime=runtime)
    image = upload(agent, session)
    llm.replies = [call("Detection", image), call("Crop Image", f"{image}, 8, 0, 60, 40"), answer("Done.")]
    reply = agent.chat(session, "crop the cat's face")
    assert reply.text.endswith(WHOLE_CAT.format(part="face", box="8, 0, 60, 40"))
    llm.replies, llm.prompts = (
        [call("Detection", image), call("Crop Image", f"{image}, 8, 0, 60, 40"), answer("Done.")],
        [],
    )
    assert WHOLE_CAT[:20] not in agent.chat(session, "crop to the cat").text


def test_a_crop_of_a_man_the_detector_found_the_face_of_says_it_is_the_face(tiny_tokenizer, session):
    """Seen in a --cli drive: "crop to the man" of the cameraman cropped his face (the detector found no more of him)
    and answered "The cropped image is ready"."""
    from agent.detector_scope import FACE_ONLY

    runtime = FakeRuntime(names=("Detection", "Crop Image"), found="face [18, 12, 26, 20]")
    agent, llm, _ = make_agent(tiny_tokenizer, [], runtime=runtime)
    image = upload(agent, session)
    replies = [call("Detection", image), call("Crop Image", f"{image}, 18, 12, 26, 20"), answer("Done.")]
    llm.replies = list(replies)
    assert agent.chat(session, "crop to the man").text.endswith(FACE_ONLY.format(box="18, 12, 26, 20"))
    for asked in ("crop her face", "crop to the cat"):  # a face asked for; no person asked for
        llm.replies, llm.prompts = list(replies), []
        assert FACE_ONLY[:20] not in agent.chat(session, asked).text
    runtime.found = (
        "person [10, 2, 40, 60], face [18, 12, 26, 20]"  # more of him was found: the crop's box is the model's
    )
    llm.replies, llm.prompts = list(replies), []
    assert FACE_ONLY[:20] not in agent.chat(session, "crop to the man").text


def test_a_crop_of_a_person_found_in_an_earlier_turn_as_a_face_says_it_is_the_face(tiny_tokenizer, session):
    """Seen in a --cli drive: "detect the person" found a face; "crop the person" then cropped the face with the
    box of that turn and answered "Done!" with no word of it being the face alone."""
    from agent.detector_scope import FACE_ONLY

    runtime = FakeRuntime(names=("Detection", "Crop Image"), found="face [18, 12, 26, 20]")
    agent, llm, _ = make_agent(tiny_tokenizer, [], runtime=runtime)
    image = upload(agent, session)
    llm.replies = [call("Detection", image), answer("The face is at face [18, 12, 26, 20].")]
    agent.chat(session, "detect the person")
    llm.replies, llm.prompts = [call("Crop Image", f"{image}, 18, 12, 26, 20"), answer("Done.")], []
    assert agent.chat(session, "crop the person").text.endswith(FACE_ONLY.format(box="18, 12, 26, 20"))
    llm.replies, llm.prompts = [call("Crop Image", f"{image}, 18, 12, 26, 20"), answer("Done.")], []
    assert FACE_ONLY[:20] not in agent.chat(session, "crop her face").text


def test_a_crop_of_a_face_asked_beside_a_size_finds_the_face_first(tiny_tokenizer, session):
    """Seen in a --cli drive: "find her face, crop it, make it 256 wide and show me the edges" cropped with a made-up
    box (the "256" of the resize read as the crop's numbers), which failed, and the answer told of the edge map
    alone."""
    runtime = FakeRuntime(names=("Detection", "Crop Image", "Resize Image"), found="face [18, 12, 26, 20]")
    agent, llm, _ = make_agent(tiny_tokenizer, [], runtime=runtime)
    image = upload(agent, session)
    llm.replies = [call("Crop Image", f"{image}, 256, 256, -16000, -16000"), f" {image}\nObservation:"]
    llm.replies += [call("Crop Image", f"{image}, 18, 12, 26, 20"), answer("Done.")]
    agent.chat(session, "find her face, crop it and make it 256 wide")
    assert runtime.calls[:2] == [("Detection", image), ("Crop Image", f"{image}, 18, 12, 26, 20")]


def test_a_crop_box_with_a_resize_number_in_it_is_the_box_found(tiny_tokenizer, session):
    """Seen in the same drive once the face was found: the crop's box was written with the resize's 256 in it."""
    runtime = FakeRuntime(names=("Detection", "Crop Image", "Resize Image"), found="face [18, 12, 26, 20]")
    agent, llm, _ = make_agent(tiny_tokenizer, [], runtime=runtime)
    image = upload(agent, session)
    llm.replies = [call("Detection", image), call("Crop Image", f"{image}, 256, 12, 26, 20"), answer("Done.")]
    llm.replies += ["\nObservation:", answer("Done.")]
    agent.chat(session, "find her face, crop it and make it 256 wide")
    crops = [argument for tool, argument in runtime.calls if tool == "Crop Image"]
    assert crops == [f"{image}, 18, 12, 26, 20"]


def test_a_step_that_failed_on_the_way_is_told():
    """A failed call with no later call of its tool working is told after the answer, not only a failed last one."""
    from agent.loop import TraceStep

    crop = TraceStep(1, "", "Crop Image", "image/a.png, 256, 256, -1, -1", "crop box is empty", False)
    resize = TraceStep(
        2, "", "Resize Image", "image/a.png, 4, 4", "image/b_resize_a.png", True, ("image/b_resize_a.png",)
    )
    asked = ("Crop Image", "Resize Image")
    told, kept = Agent._checked_answer("Done! image/b_resize_a.png is ready.", [crop, resize], asked)
    assert told.endswith("But a step before failed: Crop Image failed: crop box is empty") and kept
    retried = TraceStep(
        3, "", "Crop Image", "image/a.png, 0, 0, 4, 4", "image/c_crop_a.png", True, ("image/c_crop_a.png",)
    )
    assert Agent._checked_answer("Done.", [crop, retried, resize], asked) == ("Done.", True)  # it worked at last
    # a stray call nobody asked for that failed is no part of the answer
    assert Agent._checked_answer("Done.", [crop, resize], ("Resize Image",)) == ("Done.", True)


def test_a_box_edit_whose_search_found_nothing_asks_for_the_box(tiny_tokenizer, session):
    """Seen in a drive: asked to "blur his face" of a man whose face the offline detector missed, the answer said
    only "There is no object found. ..." and not what to do next."""
    from agent.loop import NO_BOX_FOUND

    runtime = FakeRuntime(names=("Detection", "Crop Image", "Blur Region"))
    runtime.run = lambda tool, argument, workspace: Observation("No object found.", True, (), 0.01)
    agent, llm, _ = make_agent(tiny_tokenizer, [], runtime=runtime)
    image = upload(agent, session, size=64)
    llm.replies = [call("Detection", image), answer("There is no object found.")]
    reply = agent.chat(session, "blur his face please")
    hint = NO_BOX_FOUND.format(tool="Blur Region", size=f" ({image} is 64x64)", example="blur 0, 0, 32, 32")
    assert reply.text == f"I found no face in {image}. {hint}"
    llm.replies = [call("Detection", image), answer("I found a face: face [1, 2, 3, 4].")]
    runtime.run = lambda tool, argument, workspace: Observation("face [1, 2, 3, 4]", True, (), 0.01)
    assert "needs a box" not in agent.chat(session, "find the faces").text  # no box edit asked for


def test_blur_it_blurs_the_whole_picture(tiny_tokenizer, session):
    """Asked to "blur it", the model wrote ``600, 400, 400, 600``: the picture's own box is blurred."""
    runtime = FakeRuntime(names=("Detection", "Blur Region"))
    agent, llm, _ = make_agent(tiny_tokenizer, [], runtime=runtime)
    image = upload(agent, session, size=64)
    for request in (
        "blur it",
        "Please blur this photo.",
        "blur the entire picture",
        "blur the whole thing",
        "blur it all",
    ):
        llm.replies = [call("Blur Region", f"{image}, 600, 400, 400, 600"), answer("Done.")]
        agent.chat(session, request)
        assert runtime.calls[-1] == ("Blur Region", f"{image}, 0, 0, 64, 64")


def test_a_square_crop_of_the_cat_is_square_around_the_cat(tiny_tokenizer, session):
    """Seen in a --cli drive: "crop to the cat and make it square" cropped the largest square in the picture's middle
    (75, 0, 375, 300 of a 451 x 300 photo), the cat's box never looked for."""
    runtime = FakeRuntime(names=("Detection", "Crop Image"), found="cat [100, 40, 220, 200]")
    agent, llm, _ = make_agent(tiny_tokenizer, [], runtime=runtime)
    image = upload(agent, session, size=300)
    llm.replies = [
        call("Crop Image", f"{image}, 20, 30, 40, 50"),
        f" {image}\nObservation:",
        answer("Found."),
        f" {image}, 100, 40, 220, 200\nObservation:",
        answer("Done."),
    ]
    reply = agent.chat(session, "crop to the cat and make it square")
    assert [(step.action, step.action_input) for step in reply.steps] == [
        ("Detection", image),
        ("Crop Image", f"{image}, 80, 40, 240, 200"),
    ]


def test_a_square_crop_of_what_the_files_name_says_is_of_the_photo(tiny_tokenizer, session, tmp_path):
    """Seen in a --cli drive: "crop the rocket to a square" of rocket.png asked for a box (nothing here finds a
    rocket); the rocket is the photo, squared in its middle. A cat the detector finds is still found."""
    runtime = FakeRuntime(names=("Detection", "Crop Image"))
    agent, llm, _ = make_agent(tiny_tokenizer, [], runtime=runtime)
    rocket = upload_file(agent, session, tmp_path / "rocket.png", size=(60, 40))
    llm.replies = [call("Crop Image", f"{rocket}, 1, 2, 3, 4"), answer("Done.")]
    reply = agent.chat(session, "crop the rocket to a square")
    assert [(step.action, step.action_input) for step in reply.steps] == [("Crop Image", f"{rocket}, 10, 0, 50, 40")]
    from agent.upload_names import the_upload_as_the_picture

    assert the_upload_as_the_picture("crop the cat to a square", "cat.png") == "crop the cat to a square"
    assert the_upload_as_the_picture("crop the rocket", "rocket.png") == "crop the rocket"  # no shape: no box either
    assert the_upload_as_the_picture("crop the rocket to a square", "coffee.jpg") == "crop the rocket to a square"
    # the writing a reading finds is a part: its box, squared
    assert the_upload_as_the_picture("crop the sign to a square", "street-sign.jpg") == "crop the sign to a square"


def test_writing_about_a_picture_no_tool_sees_asks_what_it_shows(tiny_tokenizer, session):
    """Seen in a --cli drive: "write a short poem about this picture" read the picture and answered that it held no
    text; "make a caption for instagram" resized it to 1080 pixels wide."""
    from agent.loop import CANNOT_SEE_TO_WRITE

    runtime = FakeRuntime(names=("Text Detection On Image", "Resize Image"))
    agent, llm, _ = make_agent(tiny_tokenizer, [], runtime=runtime)
    upload(agent, session)
    written = CANNOT_SEE_TO_WRITE.format(tool="Get Photo Description", family="ImageCaptioning")
    assert agent.chat(session, "write a short poem about this picture").text == written
    assert agent.chat(session, "make a caption for instagram").text == written
    assert llm.prompts == []


def test_a_face_blurred_on_a_made_up_box_is_found_first(tiny_tokenizer, session):
    """The model blurred 10, 20, 30, 40 for "blur her face": Detection runs first, then the blur takes its box."""
    runtime = FakeRuntime(names=("Detection", "Blur Region"))
    agent, llm, _ = make_agent(tiny_tokenizer, [], runtime=runtime)
    image = upload(agent, session)
    llm.replies = [
        call("Blur Region", f"{image}, 10, 20, 30, 40"),
        f" {image}\nObservation:",
        answer("The face is at [0, 0, 8, 8]."),
        f" {image}, 0, 0, 8, 8\nObservation:",
        answer("Done."),
    ]
    events = list(agent.run(session, "can you blur her face?"))
    reply = events[-1]
    assert [(step.action, step.action_input) for step in reply.steps] == [
        ("Detection", image),
        ("Blur Region", f"{image}, 0, 0, 8, 8"),
    ]
    assert reply.steps[0].model_call == f"Blur Region: {image}, 10, 20, 30, 40"
    # the streamed scratchpad says which of the model's steps were set aside
    written = "".join(event.text for event in events if isinstance(event, TextChunk))
    assert (
        f"10, 20, 30, 40\nObservation: {CALL_SET_ASIDE}\nThought: Do I need to use a tool? Yes\nAction: Detection"
        in written
    )
    aside = ANSWER_SET_ASIDE.format(tool="Blur Region")
    assert (
        f"AI: The face is at [0, 0, 8, 8]. {aside}\nThought: Do I need to use a tool? Yes\nAction: Blur Region"
        in written
    )
    llm.replies += [call("Blur Region", f"{image}, 1, 2, 3, 4"), answer("Blurred.")]
    (step,) = agent.chat(session, "blur 1, 2, 3, 4").steps  # numbers given: the model's box, on the blurred image
    assert step.action_input == f"{reply.files[-1]}, 1, 2, 3, 4" and step.model_call


def test_hiding_a_face_finds_it_first_whatever_tool_the_model_called(tiny_tokenizer, session):
    """Seen in the recorded demo: "hide her face" removed the background, then blurred the face on the cut-out and
    ran out of steps."""
    runtime = FakeRuntime(names=("Detection", "Blur Region", "Remove the background"))
    agent, llm, _ = make_agent(tiny_tokenizer, [], runtime=runtime)
    image = upload(agent, session)
    llm.replies = [
        call("Remove the background", image),
        f" {image}\nObservation:",
        f" Yes\nAction: Blur Region\nAction Input: {image}, 0, 0, 8, 8\nObservation:",
        answer("Done."),
    ]
    reply = agent.chat(session, "hide her face")
    assert [(step.action, step.action_input) for step in reply.steps] == [
        ("Detection", image),
        ("Blur Region", f"{image}, 0, 0, 8, 8"),
    ]
    assert reply.steps[0].model_call == f"Remove the background: {image}"


def test_an_answer_that_declines_after_the_edit_ran_says_what_was_made(tiny_tokenizer, session):
    """Seen in the recorded demo: the background was removed, and the answer was "I cannot see images myself ... so I
    can't do that"."""
    from agent.loop import MADE_ANSWER

    runtime = FakeRuntime(names=("Remove the background", "Detection"))
    agent, llm, _ = make_agent(tiny_tokenizer, [], runtime=runtime)
    image = upload(agent, session)
    llm.replies = [call("Remove the background", image), answer("I cannot see images myself, so I can't do that.")]
    reply = agent.chat(session, "remove the background and tell me when done")
    (made,) = reply.files
    assert reply.text == MADE_ANSWER.format(tool="Remove the background", image=made)
    llm.replies += [call("Detection", image), answer("I can't count cups.")]
    assert agent.chat(session, "how many cups?").text == "I can't count cups."  # no image made for the model


def test_a_reading_nobody_asked_for_after_the_edit_is_not_run(tiny_tokenizer, session):
    """Seen in the recorded demo: "remove the background and tell me when done" removed it, then read the cut-out
    and answered "There is no readable text"."""
    runtime = FakeRuntime(names=("Remove the background", "Text Detection On Image"))
    agent, llm, _ = make_agent(tiny_tokenizer, [], runtime=runtime)
    image = upload(agent, session)
    llm.replies = [call("Remove the background", image), call("Text Detection On Image", "x"), " Done."]
    reply = agent.chat(session, "remove the background and tell me when done")
    assert [step.action for step in reply.steps] == ["Remove the background"]
    llm.replies += [call("Remove the background", image), call("Text Detection On Image", "x"), answer("It says hi.")]
    reply = agent.chat(session, "remove the background, then read the text")  # asked: it runs
    assert [step.action for step in reply.steps] == ["Remove the background", "Text Detection On Image"]


@pytest.mark.parametrize(
    ("request_text", "words"),
    [
        ("give me three tips for taking better portrait photos", True),
        ("cool, how does edge detection work?", True),
        ("Can you write a two-line birthday message for my sister?", True),
        ("Explain what a pixel is in one sentence.", True),
        ("write a caption for this photo", False),  # points at a picture: the model chooses
        ("how do I rotate it?", False),
        ("give me tips on how to crop a photo", False),  # names an edit: the model chooses
        ("draw a cat and write a poem about it", False),
        ("how does this look?", False),
        ("show me the edges", False),
        ("translate 'good morning' into french", True),
        # seen in a drive: the model wrote French of its own and no tool read the sign
        ("can you tell me what's written here and translate it to french?", False),
        ("how do I blur the background in photoshop?", True),  # another program: advice
        ("how can I crop a photo on my iphone", True),
        ("how do I crop it in half?", False),
        ("how do I crop the cup in this photo?", False),
        ("write a short ad for this apartment", True),  # seen in a --cli drive: the sign was read again
    ],
)
def test_which_requests_ask_for_words_alone(request_text, words):
    assert asks_for_words(request_text) is words


@pytest.mark.parametrize(
    ("request_text", "said", "refuses"),
    [
        ("write me a haiku about coffee", "I don't have an image to work on.", True),
        ("write me a haiku about coffee", "Sorry, no tool writes poems.", True),
        ("give me tips for portraits", "I cannot do that: Pose Detection On Image is not loaded.", True),
        ("write me a haiku about coffee", "Dark roast at dawn.", False),
        ("rotate it", "I cannot see images myself.", False),  # not a request for words
    ],
)
def test_which_answers_refuse_a_request_for_words(request_text, said, refuses):
    assert refuses_words(request_text, said) is refuses


def test_a_request_for_words_alone_is_answered_where_the_model_called_a_tool(tiny_tokenizer, session):
    """After a tool turn the model called a tool for advice; the agent opens an answer and the model writes it."""
    agent, llm, runtime = make_agent(tiny_tokenizer, [])
    image = upload(agent, session)
    llm.replies = [call("Edge Detection On Image", image), answer("Done."), call("Edge Detection On Image", image)]
    llm.replies.append(" Edges are where the brightness changes sharply.\nHuman: more")
    agent.chat(session, "show me the edges")
    reply = agent.chat(session, "cool, how does edge detection work?")
    assert reply.text == "Edges are where the brightness changes sharply." and not reply.steps and reply.finished
    assert reply.model_call == f"Edge Detection On Image: {image}"
    assert llm.prompts[-1].endswith("Thought: Do I need to use a tool? No\nAI:")
    assert len(runtime.calls) == 1  # the advice ran no tool


def test_a_refused_request_for_words_is_asked_again_without_the_conversation(tiny_tokenizer, session):
    """After a few edits, "write me a haiku about coffee" was answered "I don't have an image to work on, and no
    loaded tool can write a haiku about coffee." and the agent had said it could not answer."""
    agent, llm, _ = make_agent(tiny_tokenizer, [])
    image = upload(agent, session)
    refusal = "I don't have an image to work on, and no loaded tool can write a haiku about coffee."
    llm.replies = [call("Edge Detection On Image", image), answer("Done."), answer(refusal)]
    llm.replies.append(" Dark roast at dawn, warm cup.")
    (edges,) = agent.chat(session, "show me the edges").files
    reply = agent.chat(session, "write me a haiku about coffee")
    assert reply.text == "Dark roast at dawn, warm cup." and not reply.steps
    assert "show me the edges" in llm.prompts[-2] and "show me the edges" not in llm.prompts[-1]  # asked alone
    # the request is the whole prompt: with the tools listed, the model still wrote "I don't have an image"
    assert llm.prompts[-1] == agent.template.wrap("write me a haiku about coffee", "", tiny_tokenizer)
    llm.replies += [answer("I cannot rotate it.")]
    assert agent.chat(session, "rotate it").text.startswith("I cannot")  # not a request for words: as it was
    llm.replies += [answer(refusal), f" {refusal}"]  # refused again on its own: said as before, once asked again
    prompts = len(llm.prompts)
    assert agent.chat(session, "write me a haiku about tea").text == NOT_ANSWERED.format(latest=edges)
    assert len(llm.prompts) == prompts + 2
    llm.replies, llm.prompts = [answer("Please upload the photo first.")], []
    empty = ChatSession(Workspace(session.workspace.root.parent / "empty"))
    agent.chat(empty, "write a caption for instagram")  # no image yet: asking for one is right, not asked again
    assert len(llm.prompts) == 1
    # a poem needs no picture: "I don't have an image to work on yet" is no answer to it, with no image either
    llm.replies += [answer("I don't have an image to work on yet. Please upload one first."), " Soft paws at dusk."]
    assert agent.chat(empty, "write a poem about cats").text == "Soft paws at dusk."
    assert llm.prompts[-1] == agent.template.wrap("write a poem about cats", "", tiny_tokenizer)


def test_a_question_about_a_sign_answered_without_reading_it_goes_on_with_the_reading_tool(tiny_tokenizer, session):
    runtime = FakeRuntime(names=("Detection", "Text Detection On Image"))
    agent, llm, _ = make_agent(tiny_tokenizer, [], runtime=runtime)
    image = upload(agent, session)
    llm.replies = [answer("It is for Elm Street."), f" {image}\nObservation:", answer("It says MAIN STREET.")]
    reply = agent.chat(session, "what street is this sign for?")
    assert [(step.action, step.action_input) for step in reply.steps] == [("Text Detection On Image", image)]
    assert reply.steps[0].model_call == "AI: It is for Elm Street."
    assert llm.prompts[1].endswith("Action: Text Detection On Image\nAction Input:")
    llm.replies += [answer("Hi!")]
    assert not agent.chat(session, "what is your name?").steps  # not about writing: the answer stands


def test_a_reading_request_is_answered_once_read_rather_than_sent_on_to_a_detector(tiny_tokenizer, session):
    """ "read the text on this page" was read, then the model called Detection and answered "There is no object";
    the agent opens the answer instead of running the detector, and the answer holds the words read."""
    runtime = FakeRuntime(names=("Detection", "Text Detection On Image"))
    read = "markers coins background"
    runtime.run = lambda tool, argument, workspace: Observation(
        read if tool == "Text Detection On Image" else "No object found.", True, (), 0.01
    )
    agent, llm, _ = make_agent(tiny_tokenizer, [], runtime=runtime)
    image = upload(agent, session)
    llm.replies = [call("Text Detection On Image", image), call("Detection", image), " There is no object.\n"]
    reply = agent.chat(session, "read the text on this page")
    assert [step.action for step in reply.steps] == ["Text Detection On Image"]
    assert reply.text == f'The text reads "{read}".' and reply.model_call == f"Detection: {image}"
    assert llm.prompts[-1].endswith("Thought: Do I need to use a tool? No\nAI:")


def test_a_question_after_a_reading_is_answered_from_the_words_read(tiny_tokenizer, session):
    """Seen in --cli: "what does this sign say?" read "OPEN 9 TO 5 MON TO FRI"; asked next "what time does it
    open?", the model ran Detection and answered "There is no object in image/...png"."""
    runtime = FakeRuntime(names=("Detection", "Text Detection On Image"))
    read = "OPEN 9 TO 5 MON TO FRI"
    runtime.run = lambda tool, argument, workspace: Observation(
        read if tool == "Text Detection On Image" else "No object found.", True, (), 0.01
    )
    agent, llm, _ = make_agent(tiny_tokenizer, [], runtime=runtime)
    sign = upload(agent, session)
    llm.replies = [call("Text Detection On Image", sign), answer(f'The sign says "{read}".')]
    agent.chat(session, "what does this sign say?")
    llm.replies += [call("Detection", sign), answer("There is no object.")]
    reply = agent.chat(session, "what time does it open?")
    # answered from the words already read, with the hour asked for
    assert not reply.steps and reply.text == f'It opens at 9: the sign reads "{read}".'
    llm.replies = [call("Detection", sign), answer("I found no face.")]
    assert agent.chat(session, "how many people are in it?").steps[0].action == "Detection"  # asks to find


def test_a_question_about_what_a_sign_allows_reads_it_rather_than_running_an_unasked_tool(tiny_tokenizer, session):
    """Seen in a drive: asked "can I park here on sunday?" of a parking sign, the model removed the background (no
    person found), or cropped 1, 2, 3, 4, before any reading."""
    runtime = FakeRuntime(names=("Remove the background", "Crop Image", "Text Detection On Image"))
    agent, llm, _ = make_agent(tiny_tokenizer, [], runtime=runtime)
    sign = upload(agent, session)
    llm.replies = [call("Remove the background", sign), answer("You can park.")]
    reply = agent.chat(session, "can I park here on sunday?")
    assert [(step.action, step.action_input) for step in reply.steps] == [("Text Detection On Image", sign)]
    assert runtime.calls == [("Text Detection On Image", sign)]


@pytest.mark.parametrize(
    ("request_text", "wants_the_reading"),
    [
        ("what time does it open?", True),
        ("Is it open on Sundays?", True),
        ("where are the faces?", False),  # asks to find
        ("make it bigger", False),  # no question
    ],
)
def test_which_questions_ask_of_an_earlier_reading(request_text, wants_the_reading):
    from agent.read_text import asks_of_the_reading

    read = TraceStep(1, "", "Text Detection On Image", "image/a.png", "OPEN 9 TO 5", True)
    assert asks_of_the_reading(request_text, "Detection", [read], "image/a.png") is wants_the_reading
    assert not asks_of_the_reading(request_text, "Detection", [read], "image/b.png")  # another image since
    nothing = TraceStep(1, "", "Text Detection On Image", "image/a.png", "No text found.", True)
    assert not asks_of_the_reading(request_text, "Detection", [nothing], "image/a.png")


@pytest.mark.parametrize(
    ("request_text", "tool", "wanders"),
    [
        ("read the text on this page", "Detection", True),
        ("what's written on the sign?", "Detect the Give Object", True),
        ("read the sign and box the dog", "Detect the Give Object", False),  # asks to find something too
        ("read the sign and blur it", "Blur Region", False),  # not a detector
        ("show me the edges", "Detection", False),  # not a reading request
    ],
)
def test_which_calls_wander_from_a_reading_already_done(request_text, tool, wanders):
    read = TraceStep(1, "", "Text Detection On Image", "image/a.png", "STOP", True)
    assert read_already(request_text, tool, [read]) is wanders
    assert not read_already(request_text, tool, [])  # nothing read yet


@pytest.mark.parametrize(
    ("request_text", "arguments", "expected"),
    [
        ("blur it", "image/a.png, 65, 273, 162 , 176", ("176", "65", "273", "162")),  # seen in the sessions
        ("blur it", "image/a.png, 176, 65, 273, 162", None),  # as shown
        ("blur it", "image/a.png, 10, 20, 30, 40", None),  # no shown box holds these numbers
        ("blur 65, 273, 162, 176", "image/a.png, 65, 273, 162, 176", None),  # the person's own numbers
        ("blur it", "image/a.png, 65, 273, x, 176", None),  # not numbers: the tool says so
    ],
)
def test_a_shown_box_copied_in_another_order_is_taken_as_shown(request_text, arguments, expected):
    shown = "AI: I found these objects: face [1, 2, 3, 4]; face [176, 65, 273, 162]."
    call = ToolCall("", "Blur Region", arguments)
    assert as_shown_box(request_text, call.tool, call.arguments, shown) == expected
    assert as_shown_box(request_text, "Rotate Image", call.arguments, shown) is None  # not a box tool


def test_the_agent_blurs_the_detected_box_the_model_copied_out_of_order(tiny_tokenizer, session):
    runtime = FakeRuntime(names=("Detection", "Blur Region"))
    runtime.run = lambda tool, argument, workspace: Observation(
        "face [6, 2, 30, 40]" if tool == "Detection" else "image/made.png", True, (), 0.01
    )
    agent, llm, _ = make_agent(tiny_tokenizer, [], runtime=runtime)
    image = upload(agent, session)
    llm.replies = [call("Detection", image), call("Blur Region", f"{image}, 2, 30, 40, 6"), answer("Done.")]
    reply = agent.chat(session, "blur the face")
    assert [step.action_input for step in reply.steps] == [image, f"{image}, 6, 2, 30, 40"]
    assert reply.steps[1].model_call == f"Blur Region: {image}, 2, 30, 40, 6"


def test_a_detected_box_is_edited_on_the_image_it_was_found_in(tiny_tokenizer, session):
    """Seen in --cli: after a pose map, Detection ran on the photo behind it and the model blurred the face's box on
    the pose map."""
    runtime = FakeRuntime(names=("Detection", "Blur Region"))
    runtime.run = lambda tool, argument, workspace: Observation(
        "face [6, 2, 30, 40]" if tool == "Detection" else "image/made.png", True, (), 0.01
    )
    agent, llm, _ = make_agent(tiny_tokenizer, [], runtime=runtime)
    photo = upload(agent, session)
    pose = "image/0d40_pose_photo.png"
    llm.replies = [call("Detection", photo), call("Blur Region", f"{pose}, 6, 2, 30, 40"), answer("Done.")]
    reply = agent.chat(session, "blur the face")
    assert [step.action_input for step in reply.steps] == [photo, f"{photo}, 6, 2, 30, 40"]
    assert reply.steps[1].model_call == f"Blur Region: {pose}, 6, 2, 30, 40"
    llm.prompts.clear()
    llm.replies = [call("Detection", photo), call("Blur Region", f"{pose}, 1, 1, 9, 9"), answer("Done.")]
    other_box = agent.chat(session, "blur the face")  # another box than the one face found: that face's box
    assert other_box.steps[1].action_input == f"{photo}, 6, 2, 30, 40"


@pytest.mark.parametrize(
    ("request_text", "thing"),
    [
        ("blur the cup", "cup"),
        ("crop to the red car please", "red car"),
        ("zoom in on her hat", "hat"),
        ("blur the face", None),
        ("blur the cat's face", None),
        ("blur the little girl", None),
        ("crop the top half", None),
        ("blur the phone number", None),
        ("crop to the opening times", None),
        ("crop the first one to a square", None),
        ("crop out the black corners", None),
        ("blur the background", None),
        ("crop it", None),
    ],
)
def test_which_box_edits_name_a_thing_no_box_found_is_of(request_text, thing):
    from agent.pending_edit import invented_box, names_another_thing

    assert names_another_thing(request_text) == thing
    shown = "The cat is at cat [78, 0, 446, 300]."
    found = [TraceStep(1, "", "Detection", "image/a.png", "cat [78, 0, 446, 300]", True)]
    available = ("Detection", "Crop Image", "Blur Region", "Detect the Give Object")
    arguments = ["image/b.png", "78", "0", "446", "300"]  # the cat's box copied
    finder = invented_box(request_text, "Blur Region", arguments, shown, available, found=found)
    assert (finder == "Detect the Give Object") is (thing is not None)  # the open-vocabulary detector looks for it


def test_a_cats_box_is_no_box_for_the_cup_on_another_photo(tiny_tokenizer, session):
    """Seen in a --cli drive of a cat photo and a coffee photo: after Detection found the cat, "blur the cup" ran the
    model's blur with the cat's box, moved onto the cat's photo, and answered that the blur was done."""
    runtime = FakeRuntime(names=("Detection", "Blur Region", "Crop Image"), found="cat [78, 0, 446, 300]")
    agent, llm, _ = make_agent(tiny_tokenizer, [], runtime=runtime)
    cat = upload(agent, session)
    coffee = upload(agent, session)
    llm.replies = [call("Detection", cat), answer("The cat is at cat [78, 0, 446, 300].")]
    agent.chat(session, f"where is the cat in {cat}?")
    llm.replies += [call("Blur Region", f"{coffee}, 78, 0, 446, 300"), answer("Done.")]
    reply = agent.chat(session, "blur the cup")
    assert reply.files == () and "Blur Region needs a box" in reply.text
    assert "Blur Region" not in [tool for tool, _ in runtime.calls]


def test_a_box_found_in_an_earlier_turn_is_the_one_a_later_edit_names(tiny_tokenizer, session):
    """Seen in --cli: after "how many people are in this photo?" found "face [176, 65, 273, 162]" on the photo,
    asked to "crop the face and make it 128x128", the model cropped ``128, 128, 176, 65`` of the latest image."""
    runtime = FakeRuntime(names=("Detection", "Crop Image", "Rotate Image"))
    runtime.run = lambda tool, argument, workspace: Observation(
        "face [176, 65, 273, 162]" if tool == "Detection" else "image/made.png", True, (), 0.01
    )
    agent, llm, _ = make_agent(tiny_tokenizer, [], runtime=runtime)
    photo = upload(agent, session)
    llm.replies = [call("Detection", photo), answer("I found the face [176, 65, 273, 162].")]
    agent.chat(session, "how many people are in this photo?")
    rotated = "image/9f9f_rotate_photo.png"
    llm.replies += [call("Crop Image", f"{rotated}, 128, 128, 176, 65"), answer("Done.")]
    reply = agent.chat(session, "crop the face and make it 128x128")
    assert reply.steps[0].action_input == f"{photo}, 176, 65, 273, 162"
    llm.replies += [call("Crop Image", f"{photo}, 0, 0, 256, 512"), answer("Done.")]
    assert agent.chat(session, "crop the left half").steps[0].action_input == f"{photo}, 0, 0, 32, 64"  # its place
    prompts = len(llm.prompts)
    reply = agent.chat(session, "crop the sky")  # nothing finds the sky: the face's box is not its box
    assert reply.steps == () and "needs a box" in reply.text and len(llm.prompts) == prompts


def _refused_turn(tiny_tokenizer, session, *, tool: str, request: str, refusal: str, done: str):
    """A turn whose model refuses ``tool`` (loaded beside Detection), then names the image and answers ``done``
    once the agent opens the tool's step: ``(agent, llm, image, reply)``."""
    agent, llm, _ = make_agent(tiny_tokenizer, [], runtime=FakeRuntime(names=(tool, "Detection")))
    image = upload(agent, session)
    llm.replies = [answer(refusal), f" {image}\nObservation:", answer(done)]
    return agent, llm, image, agent.chat(session, request)


def test_a_refusal_of_a_tool_named_in_full_goes_on_with_that_tool(tiny_tokenizer, session):
    """The model refused "Remove the background" with the tool loaded; the agent opens its step."""
    refusal = "Sorry, no loaded tool can remove objects."
    agent, llm, image, reply = _refused_turn(
        tiny_tokenizer,
        session,
        tool="Remove the background",
        request="Remove the background",
        refusal=refusal,
        done="Done: the background is gone.",
    )
    assert [(step.action, step.action_input) for step in reply.steps] == [("Remove the background", image)]
    assert reply.steps[0].model_call == f"AI: {refusal}"
    assert llm.prompts[1].endswith("Action: Remove the background\nAction Input:")
    llm.replies += [answer("It takes the background out of a photo.")]
    assert not agent.chat(session, "what does Remove the background do?").steps  # a question about the tool


def test_a_refusal_that_calls_a_loaded_tool_missing_goes_on_with_it(tiny_tokenizer, session):
    """Seen in a 200-turn server run: "Rotate it 90 degrees" refused as needing Rotate Image, which was loaded."""
    refusal = "Sorry, no loaded tool can rotate an image; that needs Rotate Image, which is not loaded."
    agent, llm, _, reply = _refused_turn(
        tiny_tokenizer, session, tool="Rotate Image", request="Rotate it 90 degrees", refusal=refusal, done="Rotated."
    )
    assert [step.action for step in reply.steps] == ["Rotate Image"] and reply.text == "Rotated."
    assert llm.prompts[1].endswith("Action: Rotate Image\nAction Input:")
    for unserved in (  # a tool that is not loaded, or no tool named in the trained form: the refusal stands
        "Sorry, no loaded tool can draw; that needs Generate Image From User Input Text, which is not loaded.",
        "I cannot see images myself, and no loaded tool can answer that (Answer Question About The Image is not "
        "loaded), so I can't do that.",
        "Rotate Image is not what you need here.",
    ):
        llm.replies = [answer(unserved)]
        assert agent.chat(session, "do something").text == unserved


def test_an_earlier_file_presented_for_an_asked_map_goes_on_with_the_map_tool(tiny_tokenizer, session):
    """Seen late in a long --cli session: "show me the straight lines" after a new upload was answered with a
    line map of an earlier photo; the agent opens the map tool's step, on the new upload."""
    agent, llm, _ = make_agent(tiny_tokenizer, [])
    first = upload(agent, session)
    llm.replies = [call("Edge Detection On Image", first), answer("Done.")]
    earlier = agent.chat(session, "edges please").files[0]
    second = upload(agent, session, size=48)
    llm.prompts.clear()
    llm.replies = [answer(f"Glad it worked out! I saved the edges as {earlier}."), f" {earlier}\nObservation:"]
    llm.replies.append(answer("Here is the edge map."))
    reply = agent.chat(session, "Show me the edge map of the image")
    assert [(step.action, step.action_input) for step in reply.steps] == [("Edge Detection On Image", second)]
    assert llm.prompts[1].endswith("Action: Edge Detection On Image\nAction Input:")
    assert reply.files and reply.files[0] != earlier


def test_an_answer_calls_the_made_map_by_its_makers_name(tiny_tokenizer, session):
    agent, llm, _ = make_agent(tiny_tokenizer, [])
    image = upload(agent, session)
    llm.replies = [call("Pose Detection On Image", image), answer(f"The edge map is ready: {image}")]
    reply = agent.chat(session, "show me the pose")
    assert reply.text == f"The pose skeleton is ready: {reply.files[0]}" and "_pose_" in reply.files[0]


def test_a_prompt_holds_at_most_max_history_tokens_of_history(tiny_tokenizer, session):
    """Late in long sessions the small model, far past the history it was trained on, lost track of the uploads."""
    agent, llm, _ = make_agent(tiny_tokenizer, [answer("Noted.")], max_history_tokens=120)
    image = upload(agent, session)
    for n in range(12):
        agent.chat(session, f"remember fact number {n}")
    prompt = llm.prompts[-1]
    assert image in prompt  # the upload's introduction stays
    assert "fact number 10" in prompt and "fact number 0\n" not in prompt
    # past the cap the memory keeps half of it, so the next turns' prompts open alike (the KV cache reuses them)
    histories = [prompt.rsplit("remember fact number", 1)[0] for prompt in llm.prompts]
    oldest = [min(map(int, re.findall(r"fact number (\d+)", text)), default=-1) for text in histories]
    assert any(oldest[i] == oldest[i + 1] > 0 for i in range(len(oldest) - 1))  # not one forgotten every turn
    roomy, llm, _ = make_agent(tiny_tokenizer, [answer("Noted.")], max_history_tokens=100_000)
    upload(roomy, session)
    roomy.chat(session, "one more")
    assert "fact number 0\n" not in llm.prompts[-1]  # what was forgotten stays forgotten
    with pytest.raises(ValueError, match="max_history_tokens"):
        make_agent(tiny_tokenizer, [], max_history_tokens=-1)


class EmptyDetection(FakeRuntime):
    """Detection as the offline Haar cascades answer a photo of a cup: nothing, and what they could have found."""

    def run(self, tool_name: str, action_input: str, workspace: Workspace) -> Observation:
        observation = super().run(tool_name, action_input, workspace)
        if tool_name == "Detection" and observation.ok:
            return replace(observation, text=NO_OBJECT_FOUND, note=scope_note(("face", "cat")))
        return observation


def test_an_empty_closed_set_detection_says_what_the_detector_can_find(tiny_tokenizer, session):
    agent, llm, _ = make_agent(tiny_tokenizer, [], EmptyDetection(names=("Detection",)))
    image = upload(agent, session)
    llm.replies = [call("Detection", image), answer(f"There is no object in {image}.")]
    reply = agent.chat(session, "what objects are in it?")
    assert reply.text == f"Detection found nothing in {image}. This detector only finds: face, cat."
    assert "only finds" not in llm.prompts[-1]  # the model reads the words it was trained on
    llm.replies = [call("Detection", image), answer("This detector only finds: face, cat. None here.")]
    assert agent.chat(session, "any objects?").text == "This detector only finds: face, cat. None here."  # said


def test_an_empty_search_is_not_announced_as_a_result(tiny_tokenizer, session):
    """Seen in a 200-turn server run: no face found, and the model announced the upload as the result."""
    agent, llm, _ = make_agent(tiny_tokenizer, [], EmptyDetection(names=("Detection",)))
    image = upload(agent, session)
    llm.replies = [call("Detection", image), answer(f"The image is ready: {image}")]
    reply = agent.chat(session, "Find the faces in this photo")
    assert reply.text == f"I found no face in {image}. This detector only finds: face, cat."
    assert reply.model_answer == f"The image is ready: {image}"
    for said in (f"I couldn't find any face in {image}.", "Nothing there, sorry."):
        llm.prompts.clear()
        llm.replies = [call("Detection", image), answer(said)]
        assert agent.chat(session, "Find the faces").text.startswith(said)  # it says so itself


@pytest.mark.parametrize(
    ("said", "observation", "expected"),
    [
        ("The image is ready: image/a1b2.png", NO_OBJECT_FOUND, NO_OBJECT_FOUND),
        ("There is no object in image/a1b2.png.", NO_OBJECT_FOUND, None),
        ("There is no object in image/a1b2.png.", NO_TEXT_FOUND, NO_TEXT_FOUND),  # seen after an empty reading
        # seen after "blur the face" on a cat photo, the turn after an empty reading of it
        ("There is no readable text in image/27dc.png.", NO_OBJECT_FOUND, NO_OBJECT_FOUND),
        ("I found no face in image/27dc.png.", NO_OBJECT_FOUND, None),
        ("I couldn't read any text in it.", NO_TEXT_FOUND, None),
        ("It says STOP.", "STOP", None),  # the reading found words
        # seen in the drive: Detection found no face in the session's photo
        ("I don't have an image to work on yet.", NO_OBJECT_FOUND, NO_OBJECT_FOUND),
        # seen in a drive: the reading found nothing, and its words were quoted as the sign's
        ('The sign says "No text found.".', NO_TEXT_FOUND, NO_TEXT_FOUND),
    ],
)
def test_an_empty_search_is_answered_as_one(said, observation, expected):
    assert as_empty_result(said, observation) == (expected or said)


@pytest.mark.parametrize(
    ("said", "request_text", "observation", "expected"),
    [
        # seen in a --cli drive on the coffee photo: "zoom in on the face" read as "the picture is empty"
        (
            "There is no object in image/c.png.",
            "Zoom in on the face",
            NO_OBJECT_FOUND,
            "I found no face in image/a.png.",
        ),
        (NO_OBJECT_FOUND, "find the cats", NO_OBJECT_FOUND, "I found no cat in image/a.png."),
        ("There are no objects found.", "what objects are in it?", NO_OBJECT_FOUND, FOUND_NOTHING),
        # seen in a Gradio drive
        (
            "There is no object found; that is not detected.",
            "Find the faces",
            NO_OBJECT_FOUND,
            "I found no face in image/a.png.",
        ),
        ("There is no object in image/a.png.", "find the faces", "face [0, 0, 8, 8]", None),  # it found one
        ("No face here, only a cup.", "find the faces", NO_OBJECT_FOUND, None),  # the model's own words
    ],
)
def test_an_empty_detection_says_what_was_looked_for(said, request_text, observation, expected):
    told = named_empty_search(said, request_text, observation, "image/a.png")
    assert told == (expected.format(image="image/a.png") if expected else said)


@pytest.mark.parametrize(
    ("said", "observation", "expected"),
    [
        # seen in the real demo: the faces asked for on the cat photo, a cat's face found
        (
            "The face is at cat [78, 0, 446, 300].",
            "cat [78, 0, 446, 300]",
            "I found these objects: cat [78, 0, 446, 300].",
        ),
        ("The faces are at face [1, 2, 3, 4].", "face [1, 2, 3, 4]", None),  # the same name
        ("The cat is at [78, 0, 446, 300].", "cat [78, 0, 446, 300]", None),  # no other name for it
        ("I found these faces: face [1, 2, 3, 4].", "face [1, 2, 3, 4]", None),
    ],
)
def test_a_found_box_is_called_by_the_detectors_name(said, observation, expected):
    assert with_found_labels(said, observation) == (expected or said)


@pytest.mark.parametrize(
    ("said", "request_text", "observation", "expected"),
    [
        # seen in the session set: no count for "how many cats are there?"
        (
            "The cat is at cat [78, 0, 446, 300].",
            "how many cats are there?",
            "cat [78, 0, 446, 300]",
            "I found 1 cat: cat [78, 0, 446, 300].",
        ),
        (  # a person shows as a face: "this person" with the face's box gave no count
            "I found this person [176, 65, 273, 162].",
            "how many people are in this photo?",
            "face [176, 65, 273, 162]; upper body [150, 60, 300, 300]",
            "I found 1 person: face [176, 65, 273, 162]; upper body [150, 60, 300, 300].",
        ),
        ("There are 3 cats.", "how many cats are there?", "face [1, 2, 3, 4]", "I found no cats: face [1, 2, 3, 4]."),
        (  # seen through the web API: "I found these features: face [...]" for a count asked so
            "I found these features: face [1, 2, 3, 4].",
            "show me the pose, then tell me how many faces it has",
            "face [1, 2, 3, 4]",
            "I found 1 face: face [1, 2, 3, 4].",
        ),
        ("There are 2 faces.", "how many faces are in it?", "face [1, 2, 3, 4]; face [5, 6, 7, 8]", None),
        ("There is one cat.", "how many cats are there?", "cat [1, 2, 3, 4]", None),
        ("No object found.", "how many cats are there?", "No object found.", None),  # says none
        ("I see 3 dogs.", "how many dogs are there?", "face [1, 2, 3, 4]", None),  # not what it finds
        ("The cat is at cat [1, 2, 3, 4].", "where is the cat?", "cat [1, 2, 3, 4]", None),  # no count asked
        # seen in a drive: "The face is at face [...]" for a count asked so
        (
            "The face is at face [1, 2, 3, 4].",
            "detect faces and count them",
            "face [1, 2, 3, 4]",
            "I found 1 face: face [1, 2, 3, 4].",
        ),
        ("There are 4 cats.", "count the cats", "cat [1, 2, 3, 4]", "I found 1 cat: cat [1, 2, 3, 4]."),
        # seen in a drive: "is there a person?" of the cat photo answered with the cat's place, no yes or no
        (
            "The cat is at cat [80, 0, 421, 300].",
            "is there a person in this photo?",
            "cat [80, 0, 421, 300]",
            "No: I found no people: cat [80, 0, 421, 300].",
        ),
        (
            "The cat is at cat [1, 2, 3, 4].",
            "does it have a cat?",
            "cat [1, 2, 3, 4]",
            "Yes: I found 1 cat: cat [1, 2, 3, 4].",
        ),
        ("Yes, there is a face at [1, 2, 3, 4].", "is there a face?", "face [1, 2, 3, 4]", None),
        ("No, there are no cats.", "are there any cats?", "No object found.", None),
        ("There is a face.", "can you see any cats", "No object found.", "No: I found no cats."),
        # seen in a drive: "is it a cat or a dog?" answered "The cat is the cat you asked for."
        (
            "The cat is the cat you asked for.",
            "is it a cat or a dog?",
            "cat [1, 2, 3, 4]; cat [5, 6, 7, 8]",
            "I found 2 cats: cat [1, 2, 3, 4]; cat [5, 6, 7, 8].",
        ),
        ("It is a dog.", "is this a dog or a cat?", "No object found.", "I found no cats."),
        ("It is red.", "is it red or blue?", "cat [1, 2, 3, 4]", None),  # nothing the detector finds
        # seen in a Gradio drive: a box's numbers without brackets read as a count of 0
        (
            "The cat has 78, 0, 446, 300 faces.",
            "How many faces does it have?",
            "cat [78, 0, 446, 300]",
            "I found no faces: cat [78, 0, 446, 300].",
        ),
    ],
)
def test_a_count_asked_for_is_the_count_found(said, request_text, observation, expected):
    from agent.detector_scope import with_count

    assert with_count(said, request_text, "Detection", observation) == (expected or said)


def test_only_a_closed_set_detector_that_found_nothing_has_a_note():
    blank = Image.new("RGB", (8, 8))
    face = Box("face", 0.9, (0, 0, 4, 4))
    assert Detections(blank, (), finds_only=("face", "cat")).note == "This detector only finds: face, cat."
    assert Detections(blank, (face,), finds_only=("face", "cat")).note == ""  # found something
    assert Detections(blank, ()).note == ""  # open-set: "no object" is what it looked for
    assert with_scope_note("Done.", "") == "Done."


def test_a_crop_of_the_top_half_is_the_box_of_the_images_own_size(tiny_tokenizer, session):
    """Asked to "crop the top half" of a 300x200 result, the model wrote ``300, 200, -180, 0``."""
    runtime = FakeRuntime(names=("Crop Image",))
    agent, llm, _ = make_agent(tiny_tokenizer, [], runtime=runtime)
    image = upload(agent, session, size=64)
    llm.replies = [call("Crop Image", f"{image}, 300, 200, -180, 0"), answer("Done.")]
    agent.chat(session, "crop the top half")
    assert runtime.calls == [("Crop Image", f"{image}, 0, 0, 64, 32")]


def test_a_named_part_is_cropped_before_a_face_is_looked_for(tiny_tokenizer, session):
    """ "Crop the left half and blur the face": the crop's box is the left half, not a made-up box that waits for
    Detection (which then had the face's box cropped)."""
    runtime = FakeRuntime(names=("Crop Image", "Blur Region", "Detection"))
    agent, llm, _ = make_agent(tiny_tokenizer, [], runtime=runtime)
    image = upload(agent, session, size=64)
    llm.replies = [
        call("Crop Image", f"{image}, 10000, 20000, 10000, 10000"),
        answer("Done."),  # the face is not blurred yet: Detection runs, then Blur Region
        f" {image}\nObservation:",
        answer("The face is at [0, 0, 8, 8]."),
        f" {image}, 0, 0, 8, 8\nObservation:",
        answer("Done."),
    ]
    reply = agent.chat(session, "crop the left half and blur the face")
    assert runtime.calls[0] == ("Crop Image", f"{image}, 0, 0, 32, 64")
    assert [step.action for step in reply.steps] == ["Crop Image", "Detection", "Blur Region"]


@pytest.mark.parametrize("listed", ["{made}, {earlier},.", "{made},.", "{made}, {earlier}."])
def test_a_list_of_files_cut_to_the_made_one_ends_cleanly(listed):
    """Seen in the real demo: "I found these straight lines: image/4113_line_c2ca.png,."."""
    made, earlier = "image/4113_line_c2ca.png", "image/d7fd_line_b7f6eea6.png"
    answer_text = "I found these straight lines: " + listed.format(made=made, earlier=earlier)
    assert without_other_results(answer_text, made, "lines please") == f"I found these straight lines: {made}."


def test_an_edit_no_loaded_tool_makes_is_answered_not_loaded_before_the_model(tiny_tokenizer, session):
    """Offline, "make it black and white" removed the background and was answered as done."""
    runtime = FakeRuntime(names=("Remove the background", "Rotate Image"))
    agent, llm, _ = make_agent(tiny_tokenizer, [], runtime=runtime)
    image = upload(agent, session)
    llm.replies = [call("Remove the background", image), answer("Done!")]
    reply = agent.chat(session, "make it black and white")
    assert reply.text == NOT_LOADED.format(tool="Instruct Image Using Text", load="InstructPix2Pix_cpu")
    assert runtime.calls == [] and llm.prompts == []
    llm.replies = [call("Rotate Image", f"{image}, 90"), answer("Done!")]
    agent.chat(session, "rotate it 90 degrees and make it black and white")  # several things: the model decides
    assert runtime.calls == [("Rotate Image", f"{image}, 90")]
    # seen in a --cli drive: after the depth map was answered not loaded, "and a normal map" ran Line Detection
    prompts = len(llm.prompts)
    reply = agent.chat(session, "and a normal map")
    assert reply.text == NOT_LOADED.format(tool="Predict Normal Map On Image", load="Image2Normal_cpu")
    assert len(llm.prompts) == prompts


def test_a_flip_no_tool_makes_is_answered_before_the_model(tiny_tokenizer, session):
    """Asked to "flip it horizontally", the embedded model rotated the photo by 20000 degrees and presented it."""
    from agent.capabilities import NO_FLIP

    runtime = FakeRuntime(names=("Rotate Image", "Edge Detection On Image"))
    agent, llm, _ = make_agent(tiny_tokenizer, [], runtime=runtime)
    image = upload(agent, session)
    llm.replies = [call("Rotate Image", f"{image}, 20000"), answer("Done!")]
    for request in ("flip it horizontally", "mirror the photo please", "can you flip this image?"):
        assert agent.chat(session, request).text == NO_FLIP
    assert runtime.calls == [] and llm.prompts == []


def test_thicker_lines_no_tool_draws_are_answered_before_the_model(tiny_tokenizer, session):
    """Seen in a drive: asked to "make the lines thicker" after an edge map, the model drew the photo's straight
    lines."""
    from agent.capabilities import NO_LINE_WIDTH

    runtime = FakeRuntime(names=("Line Detection On Image", "Edge Detection On Image"))
    agent, llm, _ = make_agent(tiny_tokenizer, [], runtime=runtime)
    image = upload(agent, session)
    llm.replies = [call("Line Detection On Image", image), answer("Done!")]
    # "make them thicker", seen in a --cli drive after an edge map: the map was resized
    asked = (
        "make the lines thicker",
        "can you draw thicker edges?",
        "the outlines should be bolder",
        "make them thicker",
    )
    for request in asked:
        assert agent.chat(session, request).text == NO_LINE_WIDTH
    assert runtime.calls == [] and llm.prompts == []


def test_a_change_of_file_format_is_answered_before_the_model(tiny_tokenizer, session):
    """Seen in a drive: asked to "convert it to jpg", the model resized the photo to 3 x 4."""
    from agent.capabilities import NO_FORMAT

    runtime = FakeRuntime(names=("Resize Image", "Edge Detection On Image"))
    agent, llm, _ = make_agent(tiny_tokenizer, [], runtime=runtime)
    upload(agent, session)
    for request in ("convert it to jpg", "can you save it as a webp file?"):
        assert agent.chat(session, request).text == NO_FORMAT
    assert runtime.calls == [] and llm.prompts == []


@pytest.mark.parametrize(
    ("answer_name", "setting", "requests"),  # setting: the tools loaded and the number of uploads
    [
        # seen in a drive: asked to "delete it", the model removed the photo's background
        ("NO_DELETE", (("Remove the background",), 1), ("delete it", "please delete the file")),
        # seen in a --cli drive: the model removed the background of the HED map
        ("NO_DELETE", (("Remove the background",), 1), ("delete the lines one", "delete the edge map")),
        # seen in a --cli drive: "That needs Remove Something From The Photo"
        ("NO_DELETE", (("Remove the background",), 1), ("delete the cat photo", "can you delete all the images?")),
        # seen in a drive: asked to "put them side by side" after two uploads, the model cropped one to 1, 2, 3, 4
        ("NO_MONTAGE", (("Crop Image", "Rotate Image"), 2), ("put them side by side", "merge the two photos")),
        # seen in a --cli drive: Detection ran
        (
            "NO_MONTAGE",
            (("Detection", "Rotate Image"), 1),
            ("show me the original next to it", "put them next to each other"),
        ),
        # seen in a --cli drive: "put the original and the edges side by side" drew the edges again
        (
            "NO_MONTAGE",
            (("Edge Detection On Image",), 1),
            ("put the original and the edges side by side", "show the cat and the coffee next to each other"),
        ),
        # seen in a drive: asked to "swap the cat into the coffee picture", the model removed the coffee's background
        (
            "NO_MONTAGE",
            (("Remove the background",), 2),
            ("swap the cat into the coffee picture", "put the cat in the other photo"),
        ),
        # seen in a drive: asked to "swap them" of two uploads, the model rotated one by 45100.3 degrees
        ("NO_MONTAGE", (("Rotate Image",), 2), ("swap them", "can you swap their faces?")),
        # seen in a --cli drive: "put the cat on the left" of two photos removed the cat's background
        ("NO_MONTAGE", (("Remove the background",), 2), ("put the cat on the left", "move her to the right side")),
        # seen in a drive: asked to "put it on a white background" after a background removal, it removed it again
        (
            "NO_BACKDROP",
            (("Remove the background",), 1),
            ("now put it on a white background", "make the background black", "add a blue background"),
        ),
        # seen in a drive: asked to "cut it in half", the model cropped the photo to 1, 2, 3, 4
        ("NO_SPLIT", (("Crop Image",), 1), ("cut it in half", "split the photo into two halves")),
        # seen in a --cli drive: asked to "call it for me" after the number was read, the model read the sign again and
        # answered "I have made the call"
        ("NO_CALLS", (("Text Detection On Image",), 1), ("call it for me", "can you text this number?")),
        # seen in a --cli drive: "send it to my email" and "print it" each ran a reading
        ("NO_CALLS", (("Text Detection On Image",), 1), ("send it to my email", "print it", "share it on instagram")),
        # seen in a --cli drive: the sign was read again
        ("NO_CALLS", (("Text Detection On Image",), 1), ("text them that I want to see the flat",)),
        # seen in a --cli drive: the sign was read again
        ("NO_CALLS", (("Text Detection On Image",), 1), ("save the number to my contacts", "add it to my calendar")),
        # seen in a --cli drive: "compress it" resized the photo to its own size
        ("NO_COMPRESSION", (("Resize Image",), 1), ("compress it", "can you reduce the file size?")),
        # seen in a --cli drive: "write it in a nicer font" read the sign again
        ("NO_FONT", (("Text Detection On Image",), 1), ("write it in a nicer font", "change the font")),
        # seen in a --cli drive: "make it round" after a crop rotated the crop by 3 degrees
        ("NO_ROUND", (("Crop Image", "Rotate Image"), 1), ("make it round", "crop it into a circle")),
        # seen in a drive: asked to "put a frame around it", the model blurred a box of 1, 1, 1, 2
        ("NO_FRAME", (("Blur Region", "Crop Image"), 1), ("put a frame around it", "give it a thin black border")),
    ],
)
def test_what_no_tool_does_is_answered_before_the_model(tiny_tokenizer, session, answer_name, setting, requests):
    from agent import capabilities

    tools, uploads = setting
    runtime = FakeRuntime(names=tools)
    agent, llm, _ = make_agent(tiny_tokenizer, [], runtime=runtime)
    for _ in range(uploads):
        upload(agent, session)
    for request in requests:
        assert agent.chat(session, request).text == getattr(capabilities, answer_name)
    assert runtime.calls == [] and llm.prompts == []


def test_text_on_the_image_is_answered_before_the_model(tiny_tokenizer, session):
    """Seen in a drive: asked to "add a caption that says hello", the model answered "Goodbye! What would you like to
    do today?"; a caption to write is the model's when the request tells what the picture shows (else it needs the
    picture seen: agent/picture_questions.py)."""
    from agent.capabilities import NO_TEXT_ON_IMAGE

    agent, llm, runtime = make_agent(tiny_tokenizer, [answer("A cat on a sofa.")])
    upload(agent, session)
    for request in ("add a caption that says hello", "put a watermark on it", "can you add some text saying hi?"):
        assert agent.chat(session, request).text == NO_TEXT_ON_IMAGE
    assert llm.prompts == []
    assert agent.chat(session, "write a caption for a photo of my cat on the sofa").text == "A cat on a sofa."
    assert "Get Photo Description is not loaded" in agent.chat(session, "write a caption for this photo").text
    assert runtime.calls == []


@pytest.mark.parametrize(
    "request_text", ["can you sharpen it?", "increase the brightness a little", "boost the contrast", "brighten it"]
)
def test_a_change_of_light_or_colour_needs_the_restyler(tiny_tokenizer, session, request_text):
    """Seen in a drive: "can you sharpen it?" ran Blur Region on 500, 10000, 10000, 500 and "increase the brightness a
    little" resized the photo to 500 x 10000."""
    runtime = FakeRuntime(names=("Blur Region", "Resize Image"))
    agent, llm, _ = make_agent(tiny_tokenizer, [], runtime=runtime)
    upload(agent, session)
    reply = agent.chat(session, request_text)
    assert reply.text == NOT_LOADED.format(tool="Instruct Image Using Text", load="InstructPix2Pix_cpu")
    assert runtime.calls == [] and llm.prompts == []


@pytest.mark.parametrize(
    ("request_text", "asks"),
    [
        ("where is the file saved?", True),
        ("where did you save it?", True),
        ("what's the file name?", True),
        ("where can I find the result?", True),
        ("where is it saved?", True),
        ("where is it?", False),  # may ask where a thing found is
        ("where is the cat?", False),
    ],
)
def test_which_requests_ask_where_the_image_is_saved(request_text, asks):
    from agent.image_facts import asks_where_it_is

    assert asks_where_it_is(request_text) is asks


@pytest.mark.parametrize(
    ("request_text", "template"),
    [
        # seen in a drive: "The image saved as <the latest> is named <an earlier one>."
        ("where is the file saved?", "WHERE_ANSWER"),
        ("save this", "SAVED_ANSWER"),  # seen in a drive: "... that needs Image Archive"
    ],
)
def test_where_the_image_is_saved_is_answered_from_the_workspace(tiny_tokenizer, session, request_text, template):
    from agent import image_facts

    agent, llm, runtime = make_agent(tiny_tokenizer, [])
    image = upload(agent, session)
    root = session.workspace.root
    expected = getattr(image_facts, template).format(latest=image, path=root / image, folder=root)
    assert agent.chat(session, request_text).text == expected
    assert llm.prompts == [] and runtime.calls == []


@pytest.mark.parametrize(
    ("request_text", "asks"),
    [
        ("save this", True),  # seen in a drive: "no loaded tool can save an image; that needs Image Archive"
        ("can you save the result for me?", True),
        ("how do I download it?", True),
        ("can I download it?", True),  # seen in a drive: the model read the text of the picture
        ("can I have the result?", True),
        ("download the edge map", True),
        ("save it as a jpg", False),  # a format no tool makes (agent/capabilities.py)
        ("save the cat and blur the dog", False),
        ("save it as coffee_small.png", True),  # seen in a drive: "no loaded tool can save an image"
        ('rename the result to "final"', True),
    ],
)
def test_which_requests_ask_to_save_the_image(request_text, asks):
    from agent.image_facts import asks_to_save

    assert asks_to_save(request_text) is asks


def test_a_name_to_save_as_is_given_as_the_file_is_downloaded(tiny_tokenizer, session):
    from agent.image_facts import SAVED_ANSWER, SAVED_NAMED

    agent, llm, runtime = make_agent(tiny_tokenizer, [])
    image = upload(agent, session)
    root = session.workspace.root
    saved = SAVED_ANSWER.format(latest=image, path=root / image, folder=root)
    told = agent.chat(session, "save it as coffee_small.png").text
    assert told == f"{saved} {SAVED_NAMED.format(name='coffee_small.png')}"
    assert llm.prompts == [] and runtime.calls == []


@pytest.mark.parametrize("request_text", ["zoom in on her face", "enlarge the face"])
def test_zoom_in_on_a_face_crops_the_face_found(tiny_tokenizer, session, request_text):
    """Seen in drives: "zoom in on her face" and "enlarge the face" ran Detection and answered with the box."""
    runtime = FakeRuntime(names=("Detection", "Crop Image"))
    runtime.run = lambda tool, argument, workspace: (
        Observation("face [1, 2, 30, 40]", True, (), 0.01)
        if tool == "Detection"
        else FakeRuntime.run(runtime, tool, argument, workspace)
    )
    agent, llm, _ = make_agent(tiny_tokenizer, [], runtime=runtime)
    image = upload(agent, session)
    llm.replies = [
        call("Detection", image),
        answer("The face is at face [1, 2, 30, 40]."),
        f" {image}, 1, 2, 30, 40\nObservation:",
        answer("Done."),
    ]
    reply = agent.chat(session, request_text)
    assert [step.action for step in reply.steps] == ["Detection", "Crop Image"]
    assert reply.steps[-1].action_input == f"{image}, 1, 2, 30, 40"


def test_a_crop_written_for_a_blur_asked_by_its_word_runs_the_blur(tiny_tokenizer, session):
    """Seen in a drive: asked to "now pixelate it" after her face was found, the model cropped the face."""
    runtime = FakeRuntime(names=("Detection", "Crop Image", "Blur Region"))
    runtime.run = lambda tool, argument, workspace: (
        Observation("face [1, 2, 30, 40]", True, (), 0.01)
        if tool == "Detection"
        else FakeRuntime.run(runtime, tool, argument, workspace)
    )
    agent, llm, _ = make_agent(tiny_tokenizer, [], runtime=runtime)
    image = upload(agent, session)
    llm.replies = [call("Detection", image), answer("The face is at face [1, 2, 30, 40].")]
    agent.chat(session, "can you find her face?")
    llm.replies += [call("Crop Image", f"{image}, 1, 2, 30, 40"), answer("Done.")]
    reply = agent.chat(session, "now pixelate it")
    assert [(step.action, step.action_input) for step in reply.steps] == [("Blur Region", f"{image}, 1, 2, 30, 40")]


def test_a_blur_of_all_but_a_part_is_answered_before_the_model(tiny_tokenizer, session):
    """Seen in a drive: asked to "blur everything except her face", the model blurred the face."""
    from agent.capabilities import NO_BLUR_ALL_BUT

    runtime = FakeRuntime(names=("Blur Region", "Detection"))
    agent, llm, _ = make_agent(tiny_tokenizer, [], runtime=runtime)
    upload(agent, session)
    # seen in a drive: "blur the background" blurred the cat
    for request in (
        "blur everything except her face",
        "blur the rest of the photo but keep the cat sharp",
        "blur the background",
        "how do I blur the background?",  # seen in a drive: asked for Blur Region's box
        "how can I blur the background of this photo",
    ):
        assert agent.chat(session, request).text == NO_BLUR_ALL_BUT
    assert runtime.calls == [] and llm.prompts == []
    llm.replies = [answer("Use a wide aperture, or a blur filter with a mask.")]
    reply = agent.chat(session, "how do I blur the background in photoshop?")  # advice: the model's
    assert reply.text == "Use a wide aperture, or a blur filter with a mask." and runtime.calls == []
    # seen in a drive: "crop the face and blur the rest" blurred the face, then cropped it; the crop runs, the rest
    # is answered
    for request in ("crop the face and blur the rest", "keep the cat sharp and blur everything else"):
        llm.replies = [answer("Done.")]
        assert NO_BLUR_ALL_BUT in agent.chat(session, request).text
    assert "Blur Region" not in [tool for tool, _ in runtime.calls]


def test_a_count_of_what_the_detector_finds_waits_for_a_detection(tiny_tokenizer, session):
    """Asked "how many cats are there?", the embedded model answered "There are 2 cats." without looking."""
    runtime = FakeRuntime(names=("Detection", "Edge Detection On Image"))
    agent, llm, _ = make_agent(tiny_tokenizer, [], runtime=runtime)
    image = upload(agent, session)
    llm.replies = [answer("There are 2 cats."), f" {image}\nObservation:", answer("There is one: face [0, 0, 8, 8].")]
    events = list(agent.run(session, "how many cats are there?"))
    reply = events[-1]
    assert [step.action for step in reply.steps] == ["Detection"]
    assert reply.text == "I found no cats: face [0, 0, 8, 8]."  # a face is no cat; the box's 0 is no count
    written = "".join(event.text for event in events if isinstance(event, TextChunk))
    assert ANSWER_SET_ASIDE.format(tool="Detection") in written
    llm.replies += [answer("There are 3 cups.")]  # cups: not the detector's to count, so the model answers
    assert "Answer Question About The Image is not loaded" in agent.chat(session, "how many cups are there?").text
    # seen in a Gradio drive: asked again after the search, the model declined; the search's count answers
    prompts = len(llm.prompts)
    assert agent.chat(session, "how many cats are there?").text == "I found no cats: face [0, 0, 8, 8]."
    assert len(llm.prompts) == prompts
    upload(agent, session)  # a picture not searched yet
    declined = "I can't do that here: Answer Question About The Image is not loaded."
    llm.replies += [answer(declined)]  # declined, as trained: the answer stands
    assert agent.chat(session, "how many cats are there?").text == declined


def test_a_request_naming_an_image_the_conversation_lacks_gets_its_images_before_the_model(tiny_tokenizer, session):
    """Asked "what is in image/ffffffff.png?", the model answered with a tool name it made up."""
    from agent.loop import UNKNOWN_IMAGE

    agent, llm, runtime = make_agent(tiny_tokenizer, [answer("It shows a cat.")])
    reply = agent.chat(session, "show me the edges of image/ffffffff.png")
    assert reply.text == UNKNOWN_IMAGE.format(name="image/ffffffff.png", images="none yet")
    image = upload(agent, session)
    reply = agent.chat(session, "what is in image/ffffffff.png?")
    assert reply.text == UNKNOWN_IMAGE.format(name="image/ffffffff.png", images=image)
    assert llm.prompts == [] and runtime.calls == []
    llm.replies = [call("Edge Detection On Image", image), answer("Done.")]
    assert agent.chat(session, f"edges of {image}").steps  # a file it holds goes to the model


@pytest.mark.parametrize(
    ("request_text", "asks"),
    [
        ("what is the size of the image?", True),
        ("how big is this photo?", True),
        ("what are the dimensions?", True),
        ("what resolution is it", True),
        ("what are its dimensions now?", True),
        ("tell me the size of image/ab12cd34.png", True),
        ("how big is the cat?", False),  # what the picture shows
        ("how many pixels is it now?", True),  # seen in a drive: "I cannot see images myself"
        ("how tall is it in pixels", True),  # seen in a drive: "I cannot see images myself"
        ("how wide is the image?", True),
        ("how tall is it?", False),  # may be of the thing shown
        ("what was the original size?", True),  # seen in a drive: "The original size was image/....png."
        ("make it twice the size", False),
        ("what size should a profile picture be?", False),
        ("how big is the file?", True),  # seen in a drive: "I cannot see images myself"
        ("what's the file size of the original?", True),
        ("how many MB is it?", True),
        ("how much space does this photo take up?", True),
        ("how big is the file limit for uploads?", False),
        ("is it square now?", True),  # seen in a --cli drive: the model cropped it again, and the crop failed
        ("is the image landscape?", True),
        ("is the cat square?", False),
        ("how big is the crop?", True),  # seen in a --cli drive: "I cannot see images myself"
        ("what size is the edge map?", True),
    ],
)
def test_which_requests_ask_how_big_the_image_is(request_text, asks):
    from agent.image_facts import asks_for_the_size

    assert asks_for_the_size(request_text) is asks


def test_the_size_of_the_image_is_answered_from_the_file(tiny_tokenizer, session):
    """Asked "what is the size of the image?", the model said it could not see images."""
    from agent.image_facts import SIZE_ANSWER

    agent, llm, runtime = make_agent(tiny_tokenizer, [answer("I cannot see images myself.")])
    image = upload(agent, session, size=64)
    assert agent.chat(session, "what is the size of the image?").text == SIZE_ANSWER.format(
        image=image, kind="PNG", width=64, height=64
    )
    assert (
        agent.chat(session, "what format is this image?").text
        == f"{image} is a PNG image of 64 x 64 pixels (width x height)."
    )
    from agent.image_facts import FILE_SIZE_ANSWER, amount_of_bytes

    amount = amount_of_bytes((session.workspace.root / image).stat().st_size)
    assert agent.chat(session, "how big is the file?").text == FILE_SIZE_ANSWER.format(
        image=image, amount=amount, kind="PNG", width=64, height=64
    )
    square = SIZE_ANSWER.format(image=image, kind="PNG", width=64, height=64)
    assert agent.chat(session, "is it square now?").text == f"Yes: {square}"
    assert agent.chat(session, "is it wider than it is tall?").text == f"No: {square}"
    assert llm.prompts == [] and runtime.calls == []
    assert [amount_of_bytes(count) for count in (812, 97_587, 1_258_291)] == ["812 bytes", "95.3 KB", "1.2 MB"]


def test_the_size_of_an_upload_called_by_its_files_name_is_that_uploads(tiny_tokenizer, session, tmp_path):
    """After coffee.jpg and the edges of cat.png, "what size is the coffee image?" had been answered with the size of
    the cat's edge map."""
    from agent.image_facts import SIZE_ANSWER

    agent, llm, _ = make_agent(tiny_tokenizer, [])
    cat = upload_file(agent, session, tmp_path / "cat.png", (30, 30))
    coffee = upload_file(agent, session, tmp_path / "coffee.jpg", (60, 40))
    llm.replies = [call("Edge Detection On Image", cat), answer("Done.")]
    agent.chat(session, "show me the edges of the cat")
    assert agent.chat(session, "what size is the coffee image?").text == SIZE_ANSWER.format(
        image=coffee, kind="PNG", width=60, height=40
    )


@pytest.mark.parametrize(
    ("request_text", "asks"),
    [
        ("resize it", True),  # seen in a --cli drive: the model resized a 512 x 512 photo to 1 x 2, answered "Done!"
        ("can you resize this image?", True),
        ("please change the size of this photo", True),
        ("resize it to 200", False),
        ("resize it by half", False),
        ("make it smaller", False),  # a size in words
    ],
)
def test_which_requests_ask_for_a_size_they_never_give(request_text, asks):
    from agent.meant_call import asks_for_an_unstated_size

    assert asks_for_an_unstated_size(request_text) is asks


def test_a_resize_with_no_size_asks_for_one(tiny_tokenizer, session):
    from agent.meant_call import needs_size

    runtime = FakeRuntime(names=("Resize Image",))
    agent, llm, runtime = make_agent(tiny_tokenizer, [call("Resize Image", "image/x.png, 1, 2")], runtime=runtime)
    image = upload(agent, session, size=64)
    reply = agent.chat(session, "resize it")
    assert reply.text == needs_size(image, (64, 64)) and runtime.calls == [] and llm.prompts == []
    assert '"make it 32x32"' in reply.text


def test_the_size_of_the_crop_is_the_crops_after_a_later_edit(tiny_tokenizer, session, tmp_path):
    """ "How big is the crop?" is answered with the crop's size, not the newest image's (the rotation after it)."""
    from agent.image_facts import SIZE_ANSWER

    runtime = FakeRuntime(names=("Crop Image", "Rotate Image"))
    agent, llm, runtime = make_agent(tiny_tokenizer, [], runtime=runtime)
    cat = upload_file(agent, session, tmp_path / "cat.png", (40, 30))
    llm.replies = [call("Crop Image", f"{cat}, 0, 0, 20, 30"), answer("Done.")]
    (cropped,) = agent.chat(session, "crop the left half").files
    llm.replies = [call("Rotate Image", f"{cropped}, 90"), answer("Done.")]
    agent.chat(session, "rotate it 90 degrees")
    llm.prompts = []
    assert agent.chat(session, "how big is the crop?").text == SIZE_ANSWER.format(
        image=cropped,
        kind="PNG",
        width=40,
        height=30,  # the fake crop keeps the size
    )
    assert llm.prompts == []


def test_the_size_of_a_crop_never_made_says_there_is_none(tiny_tokenizer, session):
    """Seen in a --cli drive: "how big is the crop?" with no crop made was answered with the upload's size."""
    from agent.loop import NO_SUCH_RESULT

    agent, llm, _ = make_agent(tiny_tokenizer, [])
    image = upload(agent, session, size=64)
    assert agent.chat(session, "how big is the crop?").text == NO_SUCH_RESULT.format(
        result="crop", image=image, width=64, height=64
    )
    assert llm.prompts == []


def test_an_undone_result_the_model_chose_gives_way_to_the_image_now(tiny_tokenizer, session, tmp_path):
    """After "crop the left half", "make it 20 pixels wide" and "undo that", "rotate the cat by 90 degrees" rotated
    the undone resize: the model wrote it, and the request called cat.png by its name."""
    runtime = FakeRuntime(names=("Crop Image", "Resize Image", "Rotate Image"))
    agent, llm, runtime = make_agent(tiny_tokenizer, [], runtime=runtime)
    cat = upload_file(agent, session, tmp_path / "cat.png", (40, 30))
    llm.replies = [call("Crop Image", f"{cat}, 0, 0, 20, 30"), answer("Done.")]
    (cropped,) = agent.chat(session, "crop the left half").files
    llm.replies, llm.prompts = [call("Resize Image", f"{cropped}, 20, 30"), answer("Done.")], []
    (resized,) = agent.chat(session, "make it 20 pixels wide").files
    agent.chat(session, "undo that")
    llm.replies, llm.prompts = [call("Rotate Image", f"{resized}, 90"), answer("Done.")], []
    agent.chat(session, "rotate the cat by 90 degrees")
    assert runtime.calls[-1] == ("Rotate Image", f"{cropped}, 90")


def test_the_sizes_of_the_images_are_the_latest_made_from_each_upload(tiny_tokenizer, session):
    """Seen in a drive: after "make both 256 wide" resized one of two edge maps, "what sizes are they now?" ran Resize
    Image with 256, 3."""
    from agent.image_facts import SIZE_OF, SIZE_OF_MADE

    runtime = FakeRuntime(names=("Resize Image", "Edge Detection On Image"))
    agent, llm, _ = make_agent(tiny_tokenizer, [], runtime=runtime)
    first, second = upload(agent, session, size=32), upload(agent, session, size=48)
    llm.replies = [call("Edge Detection On Image", first), answer("Done.")]
    (edges,) = agent.chat(session, "show me the edges of the first one").files
    prompts = len(llm.prompts)
    for question in ("what sizes are they now?", "how big are they?", "what are their dimensions"):
        assert agent.chat(session, question).text == (
            f"{SIZE_OF_MADE.format(image=edges, upload=first, width=32, height=32)}; "
            f"{SIZE_OF.format(image=second, width=48, height=48)}."
        )
    assert len(llm.prompts) == prompts and len(runtime.calls) == 1


@pytest.mark.parametrize(
    ("request_text", "asks"),
    [
        ("which one is bigger?", True),
        ("which sign is bigger?", True),  # seen in a drive: declined as a question about the picture
        ("ok, which photo is the smaller one?", True),
        ("which of the two is larger", True),
        ("which one is bigger, the cat or the dog?", False),  # what the pictures show
        ("make the bigger one smaller", False),
        ("which one is wider?", True),  # seen in a drive: the model resized the edge map to 10000 x 20000
        ("which photo is the tallest?", True),
        ("compare them", True),  # seen in a drive: the model drew the edges of the edge map
        ("compare the two photos please", True),
        ("compare them to the original", False),
        ("what's different between the two photos?", True),  # seen in a drive: "no loaded tool can undo an action"
        ("how do they differ?", True),
        ("what's the difference in size between them?", True),  # seen in a drive: the model resized one of them
        ("what's the difference between a cat and a dog?", False),
        ("which is bigger?", True),  # seen in a drive: "I could not answer that"
        ("which is the original?", False),
    ],
)
def test_which_requests_ask_which_image_is_bigger(request_text, asks):
    from agent.image_facts import asks_which_is_bigger

    assert asks_which_is_bigger(request_text) is asks


def test_which_image_is_bigger_is_answered_from_the_files(tiny_tokenizer, session):
    """Seen in --cli: asked "which one is bigger?" after a second upload, the model resized the new one to twice its
    size."""
    agent, llm, runtime = make_agent(tiny_tokenizer, [])
    small, big, middle = upload(agent, session, size=32), upload(agent, session, size=96), upload(agent, session)
    assert agent.chat(session, "which one is bigger?").text == (
        f"{big} (96 x 96) is the biggest, then {middle} (64 x 64), then {small} (32 x 32)."
    )
    from agent.image_facts import SIZES_ONLY, comparison_answer

    assert (
        comparison_answer("which one is smaller?", {"a": (2, 3), "b": (1, 1)}) == "b (1 x 1) is smaller than a (2 x 3)."
    )
    assert (
        comparison_answer("which is bigger", {"a": (2, 3), "b": (3, 2)})
        == "They are the same size: a (2 x 3), b (3 x 2)."
    )
    wide, tall = {"a": (2, 3), "b": (3, 2)}, {"a": (2, 3), "b": (3, 2), "c": (1, 1)}
    assert comparison_answer("which one is wider?", wide) == "b (3 x 2) is wider than a (2 x 3)."
    assert (
        comparison_answer("which one is the tallest?", tall)
        == "a (2 x 3) is the tallest, then b (3 x 2), then c (1 x 1)."
    )
    assert comparison_answer("which one is narrower?", {"a": (2, 3), "b": (2, 5)}).startswith("They are the same width")
    assert comparison_answer("compare them", wide).endswith(SIZES_ONLY)
    assert comparison_answer("how are they different?", wide).endswith(SIZES_ONLY)
    assert llm.prompts == [] and runtime.calls == []


@pytest.mark.parametrize("request_text", ["show me the depth of it", "make a normal map of the photo"])
def test_a_map_no_loaded_tool_draws_is_answered_not_loaded_before_the_model(tiny_tokenizer, session, request_text):
    """Offline, "show me the depth of it" ran Crop Image on a made-up box."""
    agent, llm, runtime = make_agent(tiny_tokenizer, [])
    image = upload(agent, session)
    llm.replies = [call("Edge Detection On Image", image), answer("Done.")]
    assert agent.chat(session, request_text).text.startswith("That needs Predict")
    assert llm.prompts == [] and runtime.calls == []


def test_an_answer_after_one_edit_of_two_runs_the_other(tiny_tokenizer, session):
    """Asked to "make it bigger and rotate it by 90 degrees", the model rotated it and answered "... the rotated
    image you asked for"; given the resize's step, it wrote ``90, 89336``."""
    runtime = FakeRuntime(names=("Rotate Image", "Resize Image"))
    agent, llm, _ = make_agent(tiny_tokenizer, [], runtime=runtime)
    image = upload(agent, session, size=64)
    llm.replies = [
        call("Rotate Image", f"{image}, 90"),
        answer("Here is the rotated image you asked for."),
        f" {image}, 90, 89336\nObservation:",
        answer("Done."),
    ]
    reply = agent.chat(session, "make it bigger and rotate it by 90 degrees")
    rotated, resized = (step.files[0] for step in reply.steps)
    # the resize works on the rotation's result: one image with both edits
    assert runtime.calls == [("Rotate Image", f"{image}, 90"), ("Resize Image", f"{rotated}, 128, 128")]
    assert reply.text == f"Done. Resize Image made {resized}." and reply.finished
    assert reply.steps[1].model_call == f"Resize Image: {image}, 90, 89336"  # shown beside the step that ran


@pytest.mark.parametrize(
    ("request_text", "observation", "box"),
    [
        ("blur the cat face", "cat [91, 140, 205, 254]", ("91", "140", "205", "254")),
        ("blur the face", "face [1, 2, 30, 40]; cat [50, 60, 70, 80]", ("1", "2", "30", "40")),  # the one named
        ("blur the faces", "face [1, 2, 30, 40]; face [50, 60, 70, 80]", None),  # which one: the model's
        ("blur it to 0, 0, 9, 9", "face [1, 2, 30, 40]", None),  # the person's own numbers
        ("blur the face and make it 128x128", "face [1, 2, 30, 40]", ("1", "2", "30", "40")),  # a size is no box
        ("blur the face in image/a12b.png by 5 degrees", "face [1, 2, 30, 40]", ("1", "2", "30", "40")),
    ],
)
def test_a_box_edit_after_a_detection_takes_the_one_box_found(request_text, observation, box):
    """After Detection found "cat [91, 140, 205, 254]", asked to "blur the cat face", the model wrote
    ``256, 256, 91, 205``, which the tool refused."""
    from agent.pending_edit import the_found_box

    detected = [TraceStep(1, "", "Detection", "image/a.png", observation, True)]
    arguments = ["image/a.png", "256", "256", "91", "205"]
    assert the_found_box(request_text, "Blur Region", arguments, detected) == box
    assert the_found_box(request_text, "Blur Region", arguments, []) is None


@pytest.mark.parametrize(
    ("request_text", "asks"),
    [
        ("which images do I have?", True),
        ("what files have I uploaded so far?", True),
        ("list my images", True),
        ("how many photos did I send?", True),
        ("which images show a cat?", False),  # about what they show
        ("what images can you make?", False),
        ("how many images have we made?", True),  # seen in a --cli drive: "We have made 1 images." after four
        ("which pictures did you create?", True),
        ("what's the current image?", True),  # seen in a --cli drive: "I cannot see images myself"
        ("which image are we working on?", True),
    ],
)
def test_which_requests_ask_which_images_there_are(request_text, asks):
    from agent.image_facts import asks_for_the_images

    assert asks_for_the_images(request_text) is asks


def test_the_conversations_images_are_listed_by_the_agent(tiny_tokenizer, session):
    """Asked "which images do I have?" after two uploads, the model answered "I don't have an image to work on yet"."""
    from agent.image_facts import images_answer

    agent, llm, _ = make_agent(tiny_tokenizer, [])
    first, second = upload(agent, session), upload(agent, session)
    assert "No tool has made an image here yet." in agent.chat(session, "how many images have we made?").text
    llm.replies = [call("Edge Detection On Image", second), answer("Done.")]
    (edges,) = agent.chat(session, "show me the edges").files
    prompts = len(llm.prompts)
    listed = agent.chat(session, "which images do I have?").text
    assert listed == images_answer([first, second], [edges], edges)
    assert f"Made here, 1 image: {edges}." in listed
    assert len(llm.prompts) == prompts
    # seen in a --cli drive: listed in the order the answers named them, not the order they were made
    llm.replies += [
        call("Edge Detection On Image", first),
        call("Pose Detection On Image", first),
        lambda prompt: answer(f"The pose is {OBSERVED_IMAGE_RE.findall(prompt)[-1]}; the edges are the other one."),
    ]
    made = agent.chat(session, "show me the edges and the pose of the first one").files
    listed = agent.chat(session, "how many images have we made?").text
    assert f"Made here, 3 images: {edges}, {made[0]}, {made[1]}." in listed


def test_an_upload_called_by_its_files_name_is_the_one_used(tiny_tokenizer, session, tmp_path):
    """After astronaut.png and cat.png, "resize the astronaut to 256x256" had resized the cat (the newest upload)."""
    from PIL import Image

    agent, llm, runtime = make_agent(tiny_tokenizer, [], runtime=FakeRuntime(names=("Resize Image", "Rotate Image")))
    for stem in ("astronaut", "cat"):
        Image.new("RGB", (32, 32), "white").save(tmp_path / f"{stem}.png")
    astronaut = agent.introduce_image(session, tmp_path / "astronaut.png").name
    cat = agent.introduce_image(session, tmp_path / "cat.png").name
    llm.replies = [call("Resize Image", f"{cat}, 256, 256"), answer("Done.")]
    agent.chat(session, "resize the astronaut to 256x256")
    llm.replies += [call("Rotate Image", f"{cat}, 90"), answer("Done.")]
    agent.chat(session, "now rotate the image by 90 degrees")  # no file's word: the model's choice
    assert runtime.calls == [("Resize Image", f"{astronaut}, 256, 256"), ("Rotate Image", f"{cat}, 90")]
    llm.replies += [call("Resize Image", f"{astronaut}, 128, 128"), answer("Done.")]
    agent.chat(session, "resize the astronaut to 128x128")  # the model chose it: not moved to the newest upload
    assert runtime.calls[-1] == ("Resize Image", f"{astronaut}, 128, 128")


def test_an_upload_called_by_its_files_name_after_an_edit_of_it_is_that_edit(tiny_tokenizer, session, tmp_path):
    """After "blur her face" on astronaut-sign.png, "blur the sign" had blurred the upload, losing the face's blur;
    a map of it, a report on it and "the original" keep the upload."""
    runtime = FakeRuntime(names=("Blur Region", "Edge Detection On Image", "Text Detection On Image"))
    agent, llm, runtime = make_agent(tiny_tokenizer, [], runtime=runtime)
    photo = upload_file(agent, session, tmp_path / "astronaut-sign.png")
    llm.replies = [call("Blur Region", f"{photo}, 0, 0, 8, 8"), answer("Done.")]
    (blurred,) = agent.chat(session, "blur the box 0, 0, 8, 8").files
    for request, tool, image in [
        ("blur the sign at 10, 10, 20, 20", "Blur Region", blurred),
        ("blur the sign at 10, 10, 20, 20 in the original", "Blur Region", photo),
        ("blur the sign", "Text Detection On Image", blurred),  # the reading that places the blur
        ("show me the edges of the sign", "Edge Detection On Image", photo),
        ("read the sign", "Text Detection On Image", photo),
    ]:
        session.latest_image = blurred
        numbers = ", 10, 10, 20, 20" if "20" in request else ""
        llm.replies, llm.prompts = [call(tool, photo + numbers), answer("Done.")], []
        before = len(runtime.calls)
        agent.chat(session, request)
        assert runtime.calls[before] == (tool, image + numbers), request


def test_each_part_of_a_request_works_on_the_upload_it_names(tiny_tokenizer, session, tmp_path):
    """Asked "resize astronaut.png to 256x256 and read the text in sign.png", the model resized the sign (the newest
    upload) and read the resized sign: "There is no readable text"."""
    runtime = FakeRuntime(names=("Resize Image", "Text Detection On Image"))
    agent, llm, runtime = make_agent(tiny_tokenizer, [], runtime=runtime)
    for stem in ("astronaut", "sign"):
        Image.new("RGB", (32, 32), "white").save(tmp_path / f"{stem}.png")
    astronaut = agent.introduce_image(session, tmp_path / "astronaut.png").name
    sign = agent.introduce_image(session, tmp_path / "sign.png").name
    resized = re.compile(r"image/\w+_resize_\w+\.png")
    llm.replies = [
        call("Resize Image", f"{sign}, 256, 256"),
        lambda prompt: call("Text Detection On Image", resized.findall(prompt)[-1]),
        answer("Done."),
    ]
    agent.chat(session, "resize astronaut.png to 256x256 and read the text in sign.png")
    assert runtime.calls == [("Resize Image", f"{astronaut}, 256, 256"), ("Text Detection On Image", sign)]


def made(prompt: str) -> str:
    """The image the last observation in ``prompt`` names."""
    return OBSERVED_IMAGE_RE.findall(prompt)[-1]


def test_a_part_asking_for_a_tool_that_is_not_loaded_is_said_to_be_undone(tiny_tokenizer, session):
    """Asked offline to "make it black and white and rotate it 45 degrees", the model rotated the photo and
    answered done."""
    agent, llm, runtime = make_agent(tiny_tokenizer, [], runtime=FakeRuntime(names=("Rotate Image",)))
    image = upload(agent, session)
    llm.replies = [call("Rotate Image", f"{image}, 45"), lambda prompt: answer(f"Done! I saved {made(prompt)}.")]
    reply = agent.chat(session, "make it black and white and rotate it 45 degrees")
    assert runtime.calls == [("Rotate Image", f"{image}, 45")]
    assert reply.text == f"Done! I saved {reply.files[0]}. " + PART_NOT_LOADED.format(
        tool="Instruct Image Using Text", load="InstructPix2Pix_cpu"
    )


def test_a_description_asked_beside_an_edit_is_said_to_be_undone(tiny_tokenizer, session):
    """Seen in a --cli drive: "remove the background and describe what is left" was answered with the cut-out alone."""
    runtime = FakeRuntime(names=("Remove the background",))
    agent, llm, runtime = make_agent(tiny_tokenizer, [], runtime=runtime)
    image = upload(agent, session)
    llm.replies = [call("Remove the background", image), lambda prompt: answer(f"Done: {made(prompt)}.")]
    reply = agent.chat(session, "remove the background and describe what is left")
    assert "Get Photo Description is not loaded" in reply.text and reply.files[0] in reply.text


def test_a_call_standing_in_for_a_tool_that_is_not_loaded_gives_way_to_the_asked_edit(tiny_tokenizer, session):
    """Seen in the Gradio drive: for "make it black and white and rotate it 45 degrees" the model removed the
    background (for "black and white"), then rotated the cut-out."""
    runtime = FakeRuntime(names=("Rotate Image", "Remove the background"))
    agent, llm, runtime = make_agent(tiny_tokenizer, [], runtime=runtime)
    image = upload(agent, session)
    llm.replies = [call("Remove the background", image), f" {image}, 45\nObservation:", answer("Done.")]
    reply = agent.chat(session, "make it black and white and rotate it 45 degrees")
    assert runtime.calls == [("Rotate Image", f"{image}, 45")]
    assert reply.steps[0].model_call == f"Remove the background: {image}"
    # asked for by name, the background removal runs
    llm.replies += [call("Remove the background", image), answer("Done.")]
    agent.chat(session, "remove the background and make it black and white")
    assert runtime.calls[-1][0] == "Remove the background"


def test_make_it_square_refused_by_the_model_is_cropped(tiny_tokenizer, session):
    """Asked "can you make the picture square?", the model answered "I cannot see images myself ..."."""
    runtime = FakeRuntime(names=("Crop Image", "Resize Image"))
    agent, llm, _ = make_agent(tiny_tokenizer, [], runtime=runtime)
    image = agent.introduce_image(session, Image.new("RGB", (96, 64), "white")).name
    llm.replies = [answer("I cannot see images myself."), f" {image}, 1, 2, 3, 4\nObservation:", answer("Done.")]
    agent.chat(session, "can you make the picture square?")
    assert runtime.calls == [("Crop Image", f"{image}, 16, 0, 80, 64")]


def runtime_made(reply: Reply, tool: str) -> str:
    """The image the turn's call of ``tool`` made."""
    return next(step.files[0] for step in reply.steps if step.action == tool)


def test_an_answer_to_several_things_names_every_result(tiny_tokenizer, session):
    """Asked to "resize it to 32x32 and read the text in it", the model answered with the words read alone."""
    runtime = FakeRuntime(names=("Resize Image", "Text Detection On Image", "Detection", "Blur Region"))
    agent, llm, runtime = make_agent(tiny_tokenizer, [], runtime=runtime)
    edit = runtime.run
    runtime.run = lambda tool, argument, workspace: (
        Observation("STOP", True, (), 0.01) if tool == "Text Detection On Image" else edit(tool, argument, workspace)
    )
    image = upload(agent, session)
    llm.replies = [
        call("Resize Image", f"{image}, 32, 32"),
        call("Text Detection On Image", image),
        answer("The text reads STOP."),
    ]
    reply = agent.chat(session, "resize it to 32x32 and read the text in it")
    resized = runtime_made(reply, "Resize Image")
    assert reply.text.endswith(f" Resize Image made {resized}.")
    # seen in a drive: "read it and make it twice as big" read the resized sign and named no resized image
    llm.replies += [
        call("Resize Image", f"{image}, 128, 128"),
        call("Text Detection On Image", f"{resized}"),
        answer("The text reads STOP."),
    ]
    reply = agent.chat(session, "read it and make it twice as big")
    assert reply.text.endswith(f" Resize Image made {runtime_made(reply, 'Resize Image')}.")
    # one thing asked: the answer stands
    llm.replies += [call("Resize Image", f"{image}, 16, 16"), answer("Done.")]
    assert "made" not in agent.chat(session, "resize it to 16x16").text
    # a search of the result speaks of what it found, not of the result
    llm.replies += [
        call("Resize Image", f"{image}, 48, 48"),
        call("Detection", image),
        answer("The face is at face [0, 0, 8, 8]."),
    ]
    reply = agent.chat(session, "make it 48 by 48 and find the faces")
    resized = runtime_made(reply, "Resize Image")
    assert reply.steps[-1].action_input == resized  # the searched image: the resize, as asked
    assert reply.text.endswith(f" Resize Image made {resized}.")


@pytest.mark.parametrize(("crop_box", "told"), [("176, 65, 273, 162", True), ("0, 300, 512, 512", False)])
def test_a_blur_cropped_away_is_told_beside_the_crop(crop_box, told):
    """Seen in a --cli drive: "read the sign, blur the phone number and crop the face" named the crop of the face
    alone; the blurred sign it was cut from was not told. A crop that keeps the blurred box shows the blur."""
    blurred, cropped = "image/b_blur_a.png", "image/c_crop_b.png"
    trace = [
        TraceStep(1, "", "Text Detection On Image", "image/a.png", "OPEN 9 TO 5 CALL 555-0147", True),
        TraceStep(2, "", "Blur Region", "image/a.png, 187, 403, 456, 462", blurred, True, (blurred,)),
        TraceStep(3, "", "Detection", blurred, "face [176, 65, 273, 162]", True),
        TraceStep(4, "", "Crop Image", f"{blurred}, {crop_box}", cropped, True, (cropped,)),
    ]
    answer_text = with_every_result(f"I have made the cropped image; it is {cropped}.", trace)
    assert answer_text.endswith(f"Blur Region made {blurred}.") is told


def test_a_second_map_asked_beside_the_first_is_drawn_on_the_photo(tiny_tokenizer, session):
    """Seen in a drive: asked to "show me both the edges and the straight lines", the model drew the lines of the
    edge map."""
    from tests.agent_fakes import OBSERVED_IMAGE_RE

    runtime = FakeRuntime(names=("Edge Detection On Image", "Line Detection On Image"))
    agent, llm, _ = make_agent(tiny_tokenizer, [], runtime=runtime)
    image = upload(agent, session)
    on_the_map = lambda prompt: call("Line Detection On Image", OBSERVED_IMAGE_RE.findall(prompt)[-1])  # noqa: E731
    llm.replies = [call("Edge Detection On Image", image), on_the_map, answer("Done.")]
    reply = agent.chat(session, "show me both the edges and the straight lines")
    assert runtime.calls == [("Edge Detection On Image", image), ("Line Detection On Image", image)]
    assert all(name in reply.text for name in reply.files)  # both maps named
    llm.replies += [call("Edge Detection On Image", image), on_the_map, answer("Done.")]
    agent.chat(session, "show me the edges, then the straight lines in them")  # the map pointed at: as written
    assert runtime.calls[-1][1] != image


def test_a_part_no_tool_does_is_answered_beside_the_rest(tiny_tokenizer, session):
    """Seen in a drive: asked to "flip it and show me the edges", the model rotated the photo by 176 degrees and drew
    nothing; "blur her face and add a caption that says hello" had the plan read the photo."""
    from agent.capabilities import NO_FLIP

    runtime = FakeRuntime(names=("Edge Detection On Image", "Rotate Image"))
    agent, llm, _ = make_agent(tiny_tokenizer, [], runtime=runtime)
    image = upload(agent, session)
    llm.replies = [call("Edge Detection On Image", image), answer("Done! I saved the edge map")]
    reply = agent.chat(session, "flip it and show me the edges")
    assert runtime.calls == [("Edge Detection On Image", image)]
    assert "flip" not in llm.prompts[0] and "show me the edges" in llm.prompts[0]  # the edges alone are asked
    assert reply.text.startswith("Done! I saved the edge map") and reply.text.endswith(f". {NO_FLIP}")
    assert session.memory.turns[-2].text.endswith("flip it and show me the edges")  # remembered as said
    assert NO_FLIP in session.memory.turns[-1].text


def test_a_picture_to_straighten_is_answered_before_the_model(tiny_tokenizer, session):
    """Seen in a drive: asked "can you straighten it?" of the clock, the model resized it to 300 x 300."""
    from agent.capabilities import NO_STRAIGHTEN

    runtime = FakeRuntime(names=("Rotate Image", "Resize Image"))
    agent, llm, _ = make_agent(tiny_tokenizer, [], runtime=runtime)
    upload(agent, session)
    # "rotate it so it's upright": the model rotated by 30 degrees, an angle it made up
    for request in (
        "can you straighten it?",
        "level the horizon please",
        "rotate it so it's upright",
        "make it upright",
        "rotate it so 12 is at the top",  # seen in a drive: rotated by 12
        "rotate it the right way",  # seen in a --cli drive: rotated by 300 degrees
    ):
        assert agent.chat(session, request).text == NO_STRAIGHTEN
    assert runtime.calls == [] and llm.prompts == []
    from agent.capabilities import beyond_the_tools

    # the generator's wording, and a turn whose angle is plain: rotations
    for said in (
        "straighten the photo by rotating it -30 degrees",
        "turn it upside down",
        "rotate it 90 degrees so it's upright",
    ):
        assert beyond_the_tools(said, only_that=True, has_image=True, loaded=("Rotate Image",)) is None


def test_the_original_size_is_the_uploads(tiny_tokenizer, session):
    runtime = FakeRuntime(names=("Rotate Image",))
    agent, llm, _ = make_agent(tiny_tokenizer, [], runtime=runtime)
    image = agent.introduce_image(session, Image.new("RGB", (40, 20), "white")).name
    llm.replies = [call("Rotate Image", f"{image}, 90"), answer("Done.")]
    agent.chat(session, "rotate it by 90 degrees")
    assert agent.chat(session, "what was the original size?").text.startswith(f"{image} is a PNG image of 40 x 20")


def test_a_part_that_asks_to_save_is_answered_beside_the_rest(tiny_tokenizer, session):
    """Seen in a plan drive: "make it 300 wide, then show me the edges, then save it" left the saving unanswered."""
    from agent.capabilities import SAVED_AS_MADE, without_parts_beyond_the_tools

    kept, answers = without_parts_beyond_the_tools(
        "make it 300 wide, then show me the edges, then save it", has_image=True, loaded=("Resize Image",)
    )
    assert answers == [SAVED_AS_MADE] and "save" not in kept
    assert without_parts_beyond_the_tools("save this", has_image=True, loaded=()) == ("save this", [])
    runtime = FakeRuntime(names=("Rotate Image",))
    agent, llm, _ = make_agent(tiny_tokenizer, [], runtime=runtime)
    image = upload(agent, session)
    llm.replies = [call("Rotate Image", f"{image}, 90"), answer("Done!")]
    assert agent.chat(session, "rotate it by 90 degrees, then save it").text.endswith(SAVED_AS_MADE)


def test_an_edit_with_no_image_named_goes_on_from_the_last_edit(tiny_tokenizer, session):
    """Seen in a drive: after "rotate it by 180", the model cropped the upload for "crop the left half"."""
    runtime = FakeRuntime(names=("Rotate Image", "Crop Image", "Edge Detection On Image"))
    agent, llm, runtime = make_agent(tiny_tokenizer, [], runtime=runtime)
    image = agent.introduce_image(session, Image.new("RGB", (40, 20), "white")).name
    llm.replies = [call("Rotate Image", f"{image}, 180"), answer("Done.")]
    (turned,) = agent.chat(session, "rotate it by 180").files
    llm.replies += [call("Crop Image", f"{image}, 0, 0, 20, 20"), answer("Done.")]
    agent.chat(session, "crop the left half")
    assert runtime.calls[-1] == ("Crop Image", f"{turned}, 0, 0, 20, 20")
    llm.replies += [call("Edge Detection On Image", image), answer("Done.")]
    agent.chat(session, "show me the edges of the original")  # pointed at: the upload
    assert runtime.calls[-1] == ("Edge Detection On Image", image)


@pytest.mark.parametrize(
    ("said", "says"),
    [
        ("I don't have an image to work on yet. Please upload one first.", True),
        ("There is no image uploaded yet.", True),
        ("Please upload an image first.", True),
        # each way the model learned to ask for one (data_gen/session_phrasings.py: ASK_FOR_IMAGE); seen in a drive:
        # "can I park here?" of a sign answered "Please upload the image first, then ask me again."
        *((said, True) for said in ASK_FOR_IMAGE),
        ("Click the Upload image button, then drop your photo.", False),  # how to upload: an answer
        ("You uploaded image/ab12cd34.png.", False),
    ],
)
def test_which_answers_say_there_is_no_image(said, says):
    from agent.result_words import says_there_is_no_image

    assert says_there_is_no_image(said) is says


def test_an_answer_that_there_is_no_image_is_not_given_when_there_is_one(tiny_tokenizer, session):
    """Seen in a drive: asked "how do I blur the background in photoshop?" with the astronaut uploaded, the model
    answered "I don't have an image to work on yet. Please upload one first."."""

    agent, llm, runtime = make_agent(tiny_tokenizer, [])
    image = upload(agent, session)
    refusal = "I don't have an image to work on yet. Please upload one first."
    llm.replies = [answer(refusal), f" {refusal}"]  # asked again alone (a request for advice), refused again
    reply = agent.chat(session, "how do I blur the background in photoshop?")
    assert reply.text == NOT_ANSWERED.format(latest=image) and runtime.calls == []
    llm.replies += [answer("Use the Upload image button.")]
    assert agent.chat(session, "how do I upload another photo?").text == "Use the Upload image button."


@pytest.mark.parametrize(
    ("answer_text", "joined"),
    [
        # seen in a plan drive: "... ready: image/feb7_rotate_d4c0.png Rotate Image made ..."
        ("The rotated image is ready: image/b.png", "The rotated image is ready: image/b.png. Also made."),
        ("Done! ", "Done! Also made."),
        ('The text reads "OPEN".', 'The text reads "OPEN". Also made.'),
    ],
)
def test_notes_follow_an_answer_after_a_full_stop(answer_text, joined):
    from agent.loop import with_notes

    assert with_notes(answer_text, ["Also made."]) == joined
    assert with_notes(answer_text, []) == answer_text.rstrip()


@pytest.mark.parametrize(
    "handing_over", ["here it is", "Here you go!", "ok, done", "I uploaded it", "here's the photo", "use this one"]
)
def test_a_request_that_waited_for_an_image_is_taken_up_when_it_comes(tiny_tokenizer, session, handing_over):
    """Seen in a drive: "can you rotate my photo?" was answered with a request for an image; after the upload,
    "here it is" had the model run Detection, and the rotation was lost."""
    from agent.loop import NEEDS_IMAGE

    runtime = FakeRuntime(names=("Rotate Image", "Detection"))
    agent, llm, _ = make_agent(tiny_tokenizer, [], runtime=runtime)
    assert agent.chat(session, "can you rotate my photo by 90 degrees?").text == NEEDS_IMAGE
    image = upload(agent, session)
    llm.replies = [call("Rotate Image", f"{image}, 90"), answer("Done!")]
    agent.chat(session, handing_over)
    assert runtime.calls == [("Rotate Image", f"{image}, 90")]
    assert "rotate my photo" in llm.prompts[0]  # the model was asked the request that waited


def test_a_request_the_model_asked_an_image_for_is_taken_up_when_it_comes(tiny_tokenizer, session):
    """Seen in a drive: "write a caption for instagram" was answered "I don't have an image to work on yet. Please
    upload one first." (the model's words); after the upload, "use this one" read the photo's text."""
    runtime = FakeRuntime(names=("Rotate Image", "Text Detection On Image"))
    agent, llm, _ = make_agent(tiny_tokenizer, [answer(ASK_FOR_IMAGE[0])], runtime=runtime)
    agent.chat(session, "turn my photo upside down")
    image = upload(agent, session)
    llm.replies = [call("Rotate Image", f"{image}, 180"), answer("Done!")]
    agent.chat(session, "use this one")
    assert runtime.calls == [("Rotate Image", f"{image}, 180")]
    assert "upside down" in llm.prompts[-1]


def test_only_a_bare_hand_over_takes_up_the_waiting_request(tiny_tokenizer, session):
    from agent.handed_over import request_taken_up

    waiting = "can you rotate my photo?"
    assert request_taken_up("here it is", waiting, has_image=False) == "here it is"  # still no image
    assert request_taken_up("here it is", "", has_image=True) == "here it is"  # nothing waited
    assert request_taken_up("show me the edges", waiting, has_image=True) == "show me the edges"  # a request of its own
    runtime = FakeRuntime(names=("Rotate Image",))
    agent, _, _ = make_agent(tiny_tokenizer, [answer("Hi!")], runtime=runtime)
    agent.chat(session, "can you rotate my photo?")
    agent.chat(session, "hello")  # answered: the request no longer waits
    upload(agent, session)
    agent.chat(session, "here it is")
    assert runtime.calls == []


def test_a_later_crop_of_a_part_named_by_its_place_is_that_parts_box(tiny_tokenizer, session):
    """Seen in a drive: "rotate it 90 degrees and then crop the center" rotated, then cropped -20000 four times."""
    runtime = FakeRuntime(names=("Rotate Image", "Crop Image", "Blur Region"))
    agent, llm, _ = make_agent(tiny_tokenizer, [], runtime=runtime)
    image = upload(agent, session)
    llm.replies = [
        call("Rotate Image", f"{image}, 90"),
        lambda prompt: call("Crop Image", f"{OBSERVED_IMAGE_RE.findall(prompt)[-1]}, -20000, -20000, -20000, -20000"),
        answer("Done!"),
    ]
    reply = agent.chat(session, "rotate it 90 degrees and then crop the center")
    rotated = reply.steps[0].files[0]
    assert runtime.calls == [("Rotate Image", f"{image}, 90"), ("Crop Image", f"{rotated}, 16, 16, 48, 48")]


def test_contractions_typed_without_their_apostrophe_reach_the_rules_written_out(tiny_tokenizer, session):
    """Seen in a drive: "whats on sale" of a sale sign was answered "I could not answer that" ("what's on sale?"
    reads the sign)."""
    from agent.typed_words import as_spelled

    assert as_spelled("Whats on sale? i cant read it") == "What's on sale? i can't read it"
    assert as_spelled("its fine, lets go to the cantina") == "its fine, lets go to the cantina"  # words of their own
    runtime = FakeRuntime(names=("Text Detection On Image",))
    agent, llm, _ = make_agent(tiny_tokenizer, [], runtime=runtime)
    image = upload(agent, session)
    llm.replies = [answer("I could not answer that."), f" {image}\nObservation:", answer("Shoes.")]
    reply = agent.chat(session, "whats on sale")
    assert [(step.action, step.action_input) for step in reply.steps] == [("Text Detection On Image", image)]
    assert session.memory.turns[-2].text.endswith("what's on sale")


def test_a_question_of_opening_hours_reads_the_sign(tiny_tokenizer, session):
    """Seen in a drive: "when is it open?" of a sign was answered "I cannot see images myself"."""
    from agent.read_text import asks_about_writing

    runtime = FakeRuntime(names=("Detection", "Text Detection On Image"))
    agent, llm, _ = make_agent(tiny_tokenizer, [], runtime=runtime)
    image = upload(agent, session)
    llm.replies = [answer("I cannot see images myself."), f" {image}\nObservation:", answer("Mon to Fri.")]
    reply = agent.chat(session, "when is it open?")
    assert [(step.action, step.action_input) for step in reply.steps] == [("Text Detection On Image", image)]
    questions = (
        "is the library open on sundays?",
        "what time does the cafe close?",
        "what are its hours?",
        "what are the weekend hours?",  # seen in a Gradio drive: "I cannot see images myself ..."
        "can i park here?",  # seen in a drive: "Please upload the image first" with the sign uploaded
        "am I allowed to smoke here?",
        "is parking allowed?",
        "can i have pets?",  # seen in a --cli drive: "Yes, I don't have pets (Puppy) ..."
        "are dogs allowed?",
        "is it for sale?",  # seen in a --cli drive: the words alone
        "what street is this?",  # seen in a drive: "I cannot see images myself"
        "make the text easier to read",  # seen in a drive: "The text is readable"
        "I can't read the sign",
        "the text is too small",
        "what's on sale?",  # seen in a drive: "I could not answer that"
        "does it say everything must go?",
        "what does the first one say?",  # seen in a drive: 'The first one says "What does the first one say?"'
        "what does the sign say?",
        "what's the sign say",  # seen in the sessions, typed "whats the sign say": "I don't have an image to work on"
        "what's that poster saying?",
        "what's it say",  # seen in a drive, typed "whats it say": 'It says "What I'm looking at is image/....png"'
        "what's the name of the cafe?",  # seen in a drive: "The cafe is called El Tres."
        "what is this shop called?",
        "summarize the text",  # seen in a drive: "I could not answer that"
        "can you translate what it says?",
        "what is this page about?",
        "how much is the discount?",  # seen in a drive: "no loaded tool can answer questions about an image"
        "what's the price?",
        "how much is the bread?",  # seen in a drive: "There is 1000 grams of bread in the bread basket."
        "how much do they cost?",
        "what's the phone number on this sign?",  # seen in a drive: "no loaded tool can answer ..."
        "what number do I call?",
        "what's their website?",
    )
    for question in questions:
        assert asks_about_writing(question), question
    assert not asks_about_writing("how much bigger is it now?")
    assert not asks_about_writing("how much of the picture is sky?")
    assert not asks_about_writing("how much is it in pixels, roughly, after everything you did to it?")
    assert not asks_about_writing("is the door open?")  # no sign tells that
    assert not asks_about_writing("can i crop it here?")  # no sign rules that
    assert not asks_about_writing("explain the edge map")


def test_whether_it_is_open_on_a_day_is_answered_yes_or_no_from_the_sign(tiny_tokenizer, session):
    """Seen in a drive: "is it open on sunday?" of a sign reading "OPEN 9 TO 5 MON TO FRI" gave the words alone."""
    runtime = FakeRuntime(names=("Text Detection On Image",))
    runtime.run = lambda tool, argument, workspace: Observation("OPEN 9 TO 5 MON TO FRI", True, (), 0.01)
    agent, llm, _ = make_agent(tiny_tokenizer, [], runtime=runtime)
    image = upload(agent, session)
    llm.replies = [call("Text Detection On Image", image), answer('The text reads "OPEN 9 TO 5 MON TO FRI".')]
    reply = agent.chat(session, "is it open on sunday?")
    assert reply.text.startswith("No: ") and "leaves out Sundays" in reply.text
    asked = len(llm.prompts)
    assert agent.chat(session, "and on monday? is it open on monday?").text.startswith("Yes: ")  # from the words read
    assert len(llm.prompts) == asked


def test_a_later_blur_of_a_box_the_turn_found_keeps_it(tiny_tokenizer, session):
    """ "blur it" names the whole picture only where no box was found: the scripted player detected the face, then
    blurred its box, and the later-crop rule had widened it to the whole photo."""
    runtime = FakeRuntime(names=("Detection", "Blur Region"))
    runtime_run = runtime.run
    runtime.run = lambda tool, argument, workspace: (
        Observation("face [1, 2, 30, 40]", True, (), 0.01)
        if tool == "Detection"
        else runtime_run(tool, argument, workspace)
    )
    agent, llm, _ = make_agent(tiny_tokenizer, [], runtime=runtime)
    image = upload(agent, session)
    llm.replies = [call("Detection", image), call("Blur Region", f"{image}, 1, 2, 30, 40"), answer("Done!")]
    reply = agent.chat(session, "blur it")
    assert [(step.action, step.action_input) for step in reply.steps][-1] == ("Blur Region", f"{image}, 1, 2, 30, 40")


def test_a_later_resize_nobody_asked_for_is_set_aside(tiny_tokenizer, session):
    """Seen in a drive: asked to "rotate the cat photo by 45 degrees but keep it the same size", the model also resized
    the photo to 45 x 2 (a later resize went through its own branch and never met the rule for unasked edits)."""
    runtime = FakeRuntime(names=("Rotate Image", "Resize Image"))
    agent, llm, _ = make_agent(tiny_tokenizer, [], runtime=runtime)
    image = upload(agent, session)
    llm.replies = [call("Rotate Image", f"{image}, 45"), call("Resize Image", f"{image}, 45, 2"), answer("Done!")]
    agent.chat(session, "rotate it by 45 degrees")
    assert runtime.calls == [("Rotate Image", f"{image}, 45")]


def test_that_on_the_picture_is_the_tool_the_message_before_spoke_of(tiny_tokenizer, session):
    """Seen in a drive: "what is edge detection?", an upload, then "show me that on this photo" ran Detection."""
    runtime = FakeRuntime(names=("Detection", "Edge Detection On Image", "Line Detection On Image"))
    agent, llm, _ = make_agent(tiny_tokenizer, [answer("It finds the edges in an image.")], runtime=runtime)
    agent.chat(session, "what is edge detection?")
    image = upload(agent, session)
    llm.replies += [call("Detection", image), answer("Done!")] * 2  # the script goes on from the prompts so far
    agent.chat(session, "show me that on this photo")
    assert runtime.calls == [("Edge Detection On Image", image)]
    agent.chat(session, "show me that on this photo")  # the message before spoke of no map: the model's call
    assert runtime.calls[-1] == ("Detection", image)


@pytest.mark.parametrize(
    ("request_text", "asks"),
    [
        (
            "what's the weather like today?",
            True,
        ),  # seen in a drive: "no loaded tool can answer questions about an image"
        ("will it rain tomorrow?", True),
        ("any news?", True),
        ("what's the bitcoin price?", True),
        ("who won the game last night?", True),
        ("what's the weather like in this photo?", False),  # a picture question
        ("is it raining?", False),  # of the picture, when there is one
        ("write a poem about rain", False),
        ("what's the weather in paris?", True),  # seen in a drive: "no loaded tool can answer questions about an image"
        ("what's the weather like in London", True),
        ("what is the weather like in the picture", False),
    ],
)
def test_which_requests_ask_about_the_world_now(request_text, asks):
    from agent.live_data import live_data_answer

    assert (live_data_answer(request_text) is not None) is asks


def test_a_question_about_the_world_now_is_answered_before_the_model(tiny_tokenizer, session):
    from agent.live_data import NO_LIVE_DATA

    agent, llm, runtime = make_agent(tiny_tokenizer, [])
    assert agent.chat(session, "what's the weather like today?").text == NO_LIVE_DATA
    assert llm.prompts == [] and runtime.calls == []


@pytest.mark.parametrize(
    ("request_text", "asks"),
    [
        ("what time is it?", True),  # seen in a drive: "It will be 12:34 tomorrow."
        ("what's today's date?", True),  # "Tomorrow will be 12:34."
        ("can you tell me what time it is?", True),
        ("what day of the week is it?", True),
        ("what time is it on the clock?", False),  # a picture question
        ("what time does the sign say it opens?", False),
        ("what's the date on this page?", False),
    ],
)
def test_which_requests_ask_the_time(request_text, asks):
    from datetime import datetime

    from agent.live_data import clock_answer

    assert (clock_answer(request_text, datetime(2026, 12, 6, 3, 5), has_image=False) is not None) is asks


def test_the_time_is_the_computers_and_a_clock_in_the_picture_is_not_read(tiny_tokenizer, session):
    from datetime import datetime

    from agent.live_data import CLOCK_IN_PICTURE

    agent, llm, runtime = make_agent(tiny_tokenizer, [])
    told = agent.chat(session, "what time is it?").text
    assert datetime.now().strftime("%A") in told and CLOCK_IN_PICTURE not in told
    upload(agent, session)
    assert agent.chat(session, "what time is it?").text.endswith(CLOCK_IN_PICTURE)  # may be of a clock in the photo
    assert llm.prompts == [] and runtime.calls == []


@pytest.mark.parametrize(
    ("said", "shown"),
    [
        # seen in drives: tools that exist nowhere
        (
            "Sorry, no loaded tool can save an image; that needs Image Archive.",
            "Sorry, no loaded tool can save an image.",
        ),
        (
            "Sorry, no loaded tool can sharpen a photo; that needs Sharpen the Key.",
            "Sorry, no loaded tool can sharpen a photo.",
        ),
        (
            "I can't do that here: none of the loaded tools can fly (Wing Maker is not loaded).",
            "I can't do that here: none of the loaded tools can fly.",
        ),
        # a tool that exists keeps its name
        (
            "Sorry, no loaded tool can draw; that needs Generate Image From User Input Text, which is not loaded.",
            "Sorry, no loaded tool can draw; that needs Generate Image From User Input Text, which is not loaded.",
        ),
    ],
)
def test_a_refusal_never_names_a_tool_that_does_not_exist(said, shown):
    from agent.meant_call import without_made_up_tools
    from tools.catalog import default_registry

    assert without_made_up_tools(said, default_registry()) == shown


def test_whether_it_is_blurred_is_answered_from_how_it_was_made(tiny_tokenizer, session):
    """Seen in a drive: "is her face blurred?" after the blur ran Detection and answered "I found these features:
    face [175, 67, 271, 163]"."""
    from agent.image_facts import BLURRED, NOT_BLURRED

    agent, llm, runtime = make_agent(tiny_tokenizer, [], FakeRuntime(names=("Blur Region",)))
    image = upload(agent, session)
    assert agent.chat(session, "is her face blurred?").text == NOT_BLURRED.format(latest=image)
    llm.replies = [call("Blur Region", f"{image}, 1, 2, 30, 40"), answer("Done.")]
    (blurred,) = agent.chat(session, "blur 1, 2, 30, 40").files
    told = agent.chat(session, "is her face blurred?").text
    assert told == BLURRED.format(box="1, 2, 30, 40", source=image, blurred=blurred)
    # seen in a drive: "is it anonymous now" after "anonymize him" was "I could not answer that"
    assert agent.chat(session, "is it anonymous now").text == told
    assert runtime.calls == [("Blur Region", f"{image}, 1, 2, 30, 40")] and len(llm.prompts) == 2


def test_how_much_bigger_is_answered_from_the_files(tiny_tokenizer, session):
    """Seen in a drive: "how much bigger is it now?" after a resize was declined as a question about the picture."""
    from agent.image_facts import scaled_answer

    runtime = FakeRuntime(names=("Resize Image",))
    runtime.run = lambda tool, argument, workspace: Observation(
        name := workspace.save_image(Image.new("RGB", (80, 40)), "resize", argument.split(",")[0]), True, (name,), 0.01
    )
    agent, llm, _ = make_agent(tiny_tokenizer, [], runtime=runtime)
    image = agent.introduce_image(session, Image.new("RGB", (64, 40), "white")).name
    llm.replies = [call("Resize Image", f"{image}, 80, 40"), answer("Done.")]
    (bigger,) = agent.chat(session, "make it 80 wide").files
    told = agent.chat(session, "how much bigger is it now?").text
    assert told == scaled_answer(bigger, (80, 40), image, (64, 40))
    assert "1.25 times the width and 1 times the height" in told and len(llm.prompts) == 2


def test_a_mark_around_what_the_detector_finds_is_its_marked_copy(tiny_tokenizer, session, tmp_path):
    """Seen in a drive: "put a box around the cat" cropped the photo to the cat's box; "circle the cup" names what
    nothing here finds."""
    from agent.marking import BOX_STYLE, NO_MARKER

    runtime = FakeRuntime(names=("Detection", "Crop Image"))
    agent, llm, _ = make_agent(tiny_tokenizer, [], runtime=runtime)
    image = upload(agent, session)
    llm.replies = [call("Crop Image", f"{image}, 0, 0, 8, 8"), answer("The cat is marked.")]
    reply = agent.chat(session, "put a box around the cat")
    assert runtime.calls == [("Detection", image)] and reply.steps[0].action == "Detection"
    assert reply.text == "Detection found no cat on the picture; it found a face at the top left."
    other = ChatSession(Workspace(tmp_path / "other"))
    agent, llm, _ = make_agent(tiny_tokenizer, [], runtime=runtime)
    image = upload(agent, other)
    llm.replies = [call("Detection", image), answer("The face is at face [0, 0, 8, 8].")]
    reply = agent.chat(other, "draw a rectangle around her face")  # where it is, in words (it had been the box alone)
    assert reply.text.startswith("The face is at the top left of the picture: face [0, 0, 8, 8]")
    assert reply.text.endswith("the copy shown marks it.")
    prompts = len(llm.prompts)
    assert agent.chat(session, "circle the cup").text == NO_MARKER and len(llm.prompts) == prompts
    # seen in a --cli drive: "make the box red" after a marking named the restyler as missing
    for restyled in ("make the box red", "make the boxes thicker"):
        assert agent.chat(other, restyled).text == BOX_STYLE and len(llm.prompts) == prompts


def test_a_box_around_it_after_a_detection_marks_what_it_found(tiny_tokenizer, session):
    """Seen in a --cli drive: "put a box around it" right after "find the cat" cropped the photo to the cat's box."""
    runtime = FakeRuntime(names=("Detection", "Crop Image"), found="cat [78, 0, 446, 300]")
    agent, llm, _ = make_agent(tiny_tokenizer, [], runtime=runtime)
    image = upload(agent, session)
    llm.replies = [call("Detection", image), answer("The cat is at cat [78, 0, 446, 300].")]
    agent.chat(session, "find the cat")
    llm.replies += [call("Crop Image", f"{image}, 78, 0, 446, 300"), answer("Done.")]
    reply = agent.chat(session, "put a box around it")
    assert [step.action for step in reply.steps] == ["Detection"] and runtime.calls[-1] == ("Detection", image)
    assert "Crop Image" not in [tool for tool, _ in runtime.calls]
    assert reply.text.startswith("The cat is at the bottom right of the picture: cat [78, 0, 446, 300]")  # 64 x 64
    # seen in a --cli drive: once the cat was marked, the model blurred it (and the answer told of the marking alone)
    runtime.names = ("Detection", "Crop Image", "Blur Region")
    llm.replies += [call("Crop Image", f"{image}, 78, 0, 446, 300"), call("Blur Region", f"{image}, 78, 0, 446, 300")]
    llm.replies += [answer("The cat is marked.")]
    reply = agent.chat(session, "draw a box around it")
    assert [step.action for step in reply.steps] == ["Detection"] and not reply.files[1:]
    assert "Blur Region" not in [tool for tool, _ in runtime.calls]
    # nothing found before: "it" is the picture, the model's call stands
    runtime.found = NO_OBJECT_FOUND
    llm.replies += [call("Detection", image), answer("No object found."), call("Crop Image", f"{image}, 0, 0, 8, 8")]
    llm.replies += [answer("Done.")]
    agent.chat(session, "find the cat")
    assert agent.chat(session, "put a box around it").steps[0].action == "Crop Image"


def test_a_clause_that_only_says_not_to_blur_is_left_out(tiny_tokenizer, session):
    """Seen in a drive: "dont blur anything, just show me the edges" was answered that Blur Region needs a box."""
    from agent.negated_edits import without_negated_edits

    runtime = FakeRuntime(names=("Blur Region", "Edge Detection On Image"))
    agent, llm, _ = make_agent(tiny_tokenizer, [], runtime=runtime)
    image = upload(agent, session)
    llm.replies = [call("Edge Detection On Image", image), answer("Done.")]
    reply = agent.chat(session, "dont blur anything, just show me the edges")
    assert runtime.calls == [("Edge Detection On Image", image)] and reply.steps[0].ok
    assert without_negated_edits("rotate it but don't crop it") == "rotate it"
    assert without_negated_edits("don't crop it") == "don't crop it"  # nothing else asked: the model's
    assert without_negated_edits("rotate it without changing the size") == "rotate it without changing the size"


def test_the_other_one_of_two_uploads_is_the_one_not_worked_on(tiny_tokenizer, session):
    """Seen in a drive: "draw the edges of the other one" after "which one is the cat?" drew the cat's edges."""
    from agent.image_reference import the_other_upload

    agent, llm, runtime = make_agent(tiny_tokenizer, [])
    first, second = upload(agent, session), upload(agent, session, size=32)
    session.latest_image = first  # the conversation is on the first upload
    llm.replies = [call("Edge Detection On Image", first), answer("Done.")]
    agent.chat(session, "draw the edges of the other one")
    assert runtime.calls == [("Edge Detection On Image", second)]
    assert the_other_upload("the other one", [first, second], second) == first
    assert the_other_upload("the other one", [first], first) is None
    assert the_other_upload("the edges", [first, second], first) is None


def test_a_map_drawn_before_is_shown_again_not_drawn_again(tiny_tokenizer, session):
    """Seen in a drive: "make the sketch bigger" drew the sketch of the photo again and resized the new copy."""
    runtime = FakeRuntime(names=("Sketch Detection On Image", "Resize Image"))
    agent, llm, _ = make_agent(tiny_tokenizer, [], runtime=runtime)
    image = upload(agent, session)
    llm.replies = [call("Sketch Detection On Image", image), answer("Done.")]
    (sketch,) = agent.chat(session, "make a sketch of it").files
    llm.replies += [
        call("Sketch Detection On Image", image),
        call("Resize Image", f"{sketch}, 128, 128"),
        answer("Done."),
    ]
    reply = agent.chat(session, "make the sketch bigger")
    assert reply.steps[0].observation == sketch and reply.steps[1].action_input == f"{sketch}, 128, 128"
    assert [tool for tool, _ in runtime.calls] == ["Sketch Detection On Image", "Resize Image"]


def test_an_answer_that_reads_the_tool_listing_back_is_not_given(tiny_tokenizer, session):
    """Seen in a drive: asked "which one has more edges?", the model answered 'Detection: Finds the edges in an image
    and returns an edge map (Canny). Input: image/....png, What would you like me to do with it?'."""

    runtime = FakeRuntime(names=("Edge Detection On Image", "Detection"))
    agent, llm, _ = make_agent(tiny_tokenizer, [], runtime=runtime)
    image = upload(agent, session)
    echo = f"Detection: Finds the edges in an image and returns an edge map (Canny). Input: {image}, What next?"
    llm.replies = [answer(echo)]
    reply = agent.chat(session, "which one has more edges?")
    assert reply.text == NOT_ANSWERED.format(latest=image) and reply.model_answer == echo
    # a description alone answers what a tool does (the guard had declined it)
    described = "It finds the edges in an image and returns an edge map (Canny)."
    llm.replies = [answer(described)]
    assert agent.chat(session, "what is edge detection?").text == described


def test_the_last_answer_given_again_after_a_tool_ran_is_not_the_answer(tiny_tokenizer, session):
    """Seen in a drive: "put a box around her face" ran Detection and was answered "I found no writing to place in
    image/....png." again, the last turn's answer."""
    runtime = FakeRuntime(names=("Detection", "Edge Detection On Image"))
    agent, llm, _ = make_agent(tiny_tokenizer, [], runtime=runtime)
    image = upload(agent, session)
    agent.remember(session, "put a box around the text", "There is nothing to mark in the picture.")
    llm.replies = [call("Detection", image), answer("There is nothing to mark in the picture.")]
    reply = agent.chat(session, "run the detector on it")
    assert reply.text == "Done (steps: Detection -> face [0, 0, 8, 8])."
    assert reply.model_answer == "There is nothing to mark in the picture."
    # the same finding answered the same way again is an answer
    llm.replies = [call("Detection", image), answer("I found face [0, 0, 8, 8].")]
    agent.chat(session, "find her face")
    llm.replies = [call("Detection", image), answer("I found face [0, 0, 8, 8].")]
    assert agent.chat(session, "find her face again").text == "I found face [0, 0, 8, 8]."


def test_an_empty_reading_answered_as_before_is_told_as_empty_not_done(tiny_tokenizer, session):
    """Seen in a Gradio drive: "Whats the phone number on the sign" asked again of a pose map, where the reading found
    nothing, was answered "Done (steps: Text Detection On Image -> No text found.)"."""
    reader = "Text Detection On Image"
    runtime = FakeRuntime(names=(reader, "Edge Detection On Image"))
    runtime.run = lambda tool, argument, workspace: Observation("No text found.", True, (), 0.01)
    agent, llm, _ = make_agent(tiny_tokenizer, [], runtime=runtime)
    image = upload(agent, session)
    agent.remember(session, "what does the sign say?", "There is no readable text on the sign.")
    llm.replies = [call(reader, image), answer("There is no readable text on the sign.")]
    reply = agent.chat(session, "whats the phone number on the sign")
    assert reply.text == f"I found no text in {image}."


def test_an_answer_from_turns_back_given_again_after_a_tool_ran_is_not_the_answer(tiny_tokenizer, session):
    """Seen in a Gradio drive: "Flip it and show me the edges" was answered "I found no writing to place in ..."
    copied from two turns back."""
    runtime = FakeRuntime(names=("Detection", "Edge Detection On Image"))
    agent, llm, _ = make_agent(tiny_tokenizer, [], runtime=runtime)
    image = upload(agent, session)
    copied = f"I found no writing to place in {image}."
    agent.remember(session, "write HELLO on the sign", copied)
    agent.remember(session, "hi", "Hello! What would you like to do with the image?")
    llm.replies = [call("Edge Detection On Image", image), answer(copied)]
    reply = agent.chat(session, "show me the edges")
    assert reply.model_answer == copied and "no writing" not in reply.text
    assert reply.text.startswith("Done")


def test_a_refusal_that_names_no_tool_there_is_gets_the_tool_it_needs(tiny_tokenizer, session):
    """Seen in a --cli drive: "which one is closer to the camera, her or the flag?" was answered "Sorry, no loaded tool
    can see a document (text is not loaded), so I can't do that."."""
    runtime = FakeRuntime(names=("Detection",))
    agent, llm, _ = make_agent(tiny_tokenizer, [], runtime=runtime)
    upload(agent, session)
    said = "Sorry, no loaded tool can see a document (text is not loaded), so I can't do that."
    reply = agent.chat(session, "which one is closer to the camera, her or the flag?")  # a question of the picture
    assert "Answer Question About The Image" in reply.text and not llm.prompts
    llm.replies = [answer(said)]
    reply = agent.chat(session, "what's she wearing and what's she holding?")  # the model's to answer: two questions
    assert "Answer Question About The Image" in reply.text and "text is not loaded" not in reply.text
    assert reply.model_answer == said


def test_a_cat_found_is_no_face_to_blur(tiny_tokenizer, session):
    """Seen in a --cli drive: "anonymize this photo" of the cat photo blurred the whole cat: Detection found "cat
    [...]" and the blur the request asked for ran on that box."""
    runtime = FakeRuntime(names=("Detection", "Blur Region"), found="cat [1, 0, 30, 30]")
    agent, llm, _ = make_agent(tiny_tokenizer, [], runtime=runtime)
    image = upload(agent, session)
    llm.replies = [call("Detection", image), answer("The blurred image is ready: cat [1, 0, 30, 30].")]
    reply = agent.chat(session, "blur the faces")
    assert [tool for tool, _ in runtime.calls] == ["Detection"] and not reply.steps[-1].files[1:]
    assert "Blur Region" in reply.text and "needs a box" in reply.text
    runtime.calls.clear()  # a cat asked for is the cat found
    llm.replies += [call("Detection", image), answer("Done.")]
    agent.chat(session, "blur the cat")
    assert [tool for tool, _ in runtime.calls] == ["Detection", "Blur Region"]


def test_which_image_is_bigger_now_compares_them_as_the_edits_left_them(tiny_tokenizer, session):
    """Seen in a --cli drive: after the coffee photo was cropped to its left half, "which one is bigger now?" compared
    the two uploads."""
    runtime = FakeRuntime(names=("Crop Image",))
    agent, llm, _ = make_agent(tiny_tokenizer, [], runtime=runtime)
    small, big = upload(agent, session, size=32), upload(agent, session, size=96)
    llm.replies = [call("Crop Image", f"{big}, 0, 0, 8, 96"), answer("Done.")]
    (crop,) = agent.chat(session, "crop it to 0, 0, 8, 96").files
    prompts = len(llm.prompts)
    # the fake crop keeps the size: the answer names the crop, as it is now
    assert agent.chat(session, "which one is bigger now?").text == f"{crop} (96 x 96) is bigger than {small} (32 x 32)."
    assert agent.chat(session, "which one is bigger?").text.startswith(big)  # the uploads
    assert len(llm.prompts) == prompts


def test_a_box_asked_for_after_nothing_was_found_is_of_the_image_searched(tiny_tokenizer, session, tmp_path):
    """Seen in a --cli drive: after "blur the cat's face" found nothing on the rotated cat, the box was asked for with
    the size of the coffee photo cropped last."""
    runtime = FakeRuntime(names=("Detection", "Blur Region"), found="No object found.")
    agent, llm, _ = make_agent(tiny_tokenizer, [], runtime=runtime)
    cat, _ = upload_file(agent, session, tmp_path / "my_cat.png"), upload(agent, session, size=96)
    llm.replies = [call("Detection", cat), answer("There is no object found.")]
    reply = agent.chat(session, "blur the cat's face")
    assert reply.steps[-1].action_input == cat, reply.steps
    assert f"({cat} is 32x32)" in reply.text and "blur 0, 0, 16, 16" in reply.text


class ResizingRuntime(FakeRuntime):
    """The fake runtime whose Resize Image makes a picture of the size asked for."""

    def run(self, tool_name: str, action_input: str, workspace: Workspace) -> Observation:
        if tool_name != "Resize Image":
            return super().run(tool_name, action_input, workspace)
        self.calls.append((tool_name, action_input))
        source, width, height = (part.strip() for part in action_input.split(","))
        name = workspace.save_image(workspace.open_image(source).resize((int(width), int(height))), "resize", source)
        return Observation(name, True, (name,), 0.01)


@pytest.mark.parametrize("found_again", [True, False])
def test_a_face_found_in_an_older_version_of_another_size_is_found_again(tiny_tokenizer, session, found_again):
    """Seen in a --cli drive: after a crop, "remove the background and then blur her face" blurred the face the
    upload's detection had found, on the upload: the background removal and the crop were lost. Found nowhere in the
    cut-out (the face blurred before), the answer names and shows the cut-out."""
    names = ("Detection", "Blur Region", "Resize Image", "Remove the background")
    runtime = ResizingRuntime(names=names)
    agent, llm, _ = make_agent(tiny_tokenizer, [], runtime=runtime)
    image = upload(agent, session)
    llm.replies += [call("Detection", image), answer("The face is at face [0, 0, 8, 8].")]
    agent.chat(session, "find her face")
    llm.replies += [call("Resize Image", f"{image}, 32, 32"), answer("Done.")]
    (small,) = agent.chat(session, "make it 32 by 32").files
    llm.replies += [call("Remove the background", small), call("Blur Region", f"{small}, 800, 900, 16, 16")]
    if not found_again:
        runtime.found = NO_OBJECT_FOUND
        llm.replies += [answer("There is no object found.")]
        reply = agent.chat(session, "remove the background and then blur her face")
        cut = reply.steps[0].files[0]
        assert [(step.action, image_names(step.action_input)[0]) for step in reply.steps[1:]] == [("Detection", cut)]
        assert reply.text.startswith(f"I found no face in {cut}.") and cut in reply.files  # the cut-out, shown
        return
    llm.replies += [call("Blur Region", f"{small}, 0, 0, 8, 8"), answer("Done.")]
    reply = agent.chat(session, "remove the background and then blur her face")
    cut = reply.steps[0].files[0]
    assert [(step.action, image_names(step.action_input)[0]) for step in reply.steps[1:]] == [
        ("Detection", cut),
        ("Blur Region", cut),
    ]


def test_a_map_named_by_a_plural_is_answered_with_a_plurals_verb(tiny_tokenizer, session):
    """Seen in a Gradio drive: "image/4a67_line_58bc8900.png is the straight lines you asked for."."""
    runtime = FakeRuntime(names=("Line Detection On Image",))
    agent, llm, _ = make_agent(tiny_tokenizer, [], runtime=runtime)
    image = upload(agent, session)
    # the model names the upload; the agent names the map it made
    llm.replies = [call("Line Detection On Image", image), answer(f"{image} is the straight lines you asked for.")]
    reply = agent.chat(session, "show me the straight lines in the image")
    assert reply.text == f"{reply.files[0]} shows the straight lines you asked for."


def test_a_face_found_on_the_photo_behind_a_map_is_blurred_there(tiny_tokenizer, session):
    """Seen in the session run: after "pose", "that's wrong, I wanted her face blurred" found the face on the photo and
    the model blurred its box on the pose map, a map of the photo's size taken for a newer version of it."""
    runtime = FakeRuntime(names=("Detection", "Blur Region", "Pose Detection On Image"))
    agent, llm, _ = make_agent(tiny_tokenizer, [], runtime=runtime)
    image = upload(agent, session)
    llm.replies = [call("Pose Detection On Image", image), answer("Done.")]
    (pose,) = agent.chat(session, "pose").files
    llm.replies += [
        call("Detection", pose),
        answer("The blurred face is ready: face [0, 0, 8, 8]."),
        f" {pose}, 0, 0, 8, 8\nObservation:",  # the blur's step, opened by the agent
        answer("Done."),
    ]
    reply = agent.chat(session, "that's wrong, I wanted her face blurred")
    assert [(step.action, step.action_input.split(",")[0]) for step in reply.steps if step.action] == [
        ("Detection", image),
        ("Blur Region", image),
    ]


def test_the_other_one_of_a_single_upload_is_asked_about(tiny_tokenizer, session):
    """Seen in a --cli drive: after a refused blur of the one photo, "now the other one" removed its background."""
    from agent.image_reference import NO_OTHER_IMAGE, asks_for_the_other_alone
    from agent.loop import UPLOAD_HINT

    agent, llm, runtime = make_agent(tiny_tokenizer, [call("Remove the background", "image/x.png")])
    image = upload(agent, session)
    reply = agent.chat(session, "now the other one")
    assert reply.text == NO_OTHER_IMAGE.format(image=image, hint=UPLOAD_HINT)
    assert llm.prompts == [] and runtime.calls == []
    assert not asks_for_the_other_alone("blur the other one", [image])  # an edit said: the other face, say
    assert not asks_for_the_other_alone("now the other one", [image, "image/b.png"])  # two uploads: that one


def test_comparing_two_results_of_one_photo_tells_what_each_is(tiny_tokenizer, session):
    """Seen in a --cli drive: "compare them" after the edges and the lines of one photo drew the lines of the lines."""
    from agent.image_facts import SIZES_ONLY

    runtime = FakeRuntime(names=("Edge Detection On Image", "Line Detection On Image"))
    agent, llm, _ = make_agent(tiny_tokenizer, [], runtime=runtime)
    image = upload(agent, session)
    llm.replies = [call("Edge Detection On Image", image), answer("Done.")]
    (edges,) = agent.chat(session, "detect edges").files
    llm.replies += [call("Line Detection On Image", image), answer("Done."), call("Line Detection On Image", image)]
    (lines,) = agent.chat(session, "now lines").files
    calls, prompts = len(runtime.calls), len(llm.prompts)
    reply = agent.chat(session, "compare them")
    assert reply.text.startswith(
        f"{edges} was made by Edge Detection On Image from {image}; {lines} was made by Line Detection On Image"
    )
    assert reply.text.endswith(SIZES_ONLY)
    assert (len(runtime.calls), len(llm.prompts)) == (calls, prompts)


def test_a_request_to_mark_what_the_detector_finds_runs_it_before_the_answer(tiny_tokenizer, session):
    """The model answered "Done." to "put a box around the cat" with nothing marked."""
    runtime = FakeRuntime(names=("Detection", "Crop Image"), found="cat [1, 2, 30, 40]")
    agent, llm, _ = make_agent(tiny_tokenizer, [], runtime=runtime)
    image = upload(agent, session)
    llm.replies = [answer("Done."), f" {image}\nObservation:", answer("Marked.")]
    reply = agent.chat(session, "put a box around the cat")
    assert runtime.calls == [("Detection", image)] and "cat [1, 2, 30, 40]" in reply.text


def test_a_new_size_of_the_crop_called_as_a_crop_resizes_the_crop(tiny_tokenizer, session):
    """Seen in a --cli drive: "make the crop 200 wide", called as a crop of the upload, resized the upload: "the crop"
    had been read as what the call was about to make."""
    runtime = FakeRuntime(names=("Crop Image", "Resize Image"))
    agent, llm, _ = make_agent(tiny_tokenizer, [], runtime=runtime)
    image = upload(agent, session, size=100)
    llm.replies = [call("Crop Image", f"{image}, 10, 10, 40, 40"), answer("Done.")]
    (crop,) = agent.chat(session, "crop it to 10, 10, 40, 40").files
    llm.replies += [call("Crop Image", f"{image}, 200, 00000.00 ,-14000.00 ,-14000.00"), answer("Done.")]
    agent.chat(session, "make the crop 200 wide")
    assert runtime.calls[-1] == ("Resize Image", f"{crop}, 200, 200")


def test_a_resize_to_the_size_it_has_is_told_without_a_claim_of_a_new_image(tiny_tokenizer, session):
    """Seen in a --cli drive: "make it 300 wide" of a 300 x 368 picture was answered "Done! I saved the resized image
    as <the same file>. ... is already 300 x 368 pixels, so Resize Image left it as it is."."""
    from agent.loop import ALREADY_SIZED

    runtime = FakeRuntime(names=("Resize Image",))
    agent, llm, _ = make_agent(tiny_tokenizer, [], runtime=runtime)
    image = upload_file(agent, session, session.workspace.root / "tall.png", size=(30, 36))
    llm.replies = [call("Resize Image", f"{image}, 30, 30"), answer(f"Done! I saved the resized image as {image}.")]
    reply = agent.chat(session, "make it 30 wide")
    assert reply.text == ALREADY_SIZED.format(image=image, width=30, height=36) and not runtime.calls


def test_find_the_cat_and_box_it_where_only_a_face_is_found_says_no_cat(tiny_tokenizer, session):
    """Seen in a Gradio drive on the astronaut: "Find the cat and put a box around it" was answered "The face is at
    the top of the picture: face [...]"."""
    runtime = FakeRuntime(names=("Detection", "Crop Image"), found="face [10, 10, 40, 40]")
    agent, llm, _ = make_agent(tiny_tokenizer, [], runtime=runtime)
    image = upload(agent, session, size=100)
    llm.replies = [call("Detection", image), answer("The cat is at face [10, 10, 40, 40].")]
    reply = agent.chat(session, "Find the cat and put a box around it")
    assert reply.text.startswith("Detection found no cat on the picture; it found a face")
    runtime.found = "cat [10, 10, 40, 40]"
    llm.replies += [call("Detection", image), answer("Done.")]
    assert agent.chat(session, "find the cat and put a box around it").text.startswith("The cat is at the top left")


def test_it_after_a_search_of_the_photo_behind_a_map_is_the_photo(tiny_tokenizer, session):
    """Seen in a --cli drive: "detect the pose", "draw a box around his face" (the detector searched the photo), then
    "make a sketch of it" drew the sketch of the pose map."""
    runtime = FakeRuntime(names=("Pose Detection On Image", "Detection", "Sketch Detection On Image"))
    agent, llm, runtime = make_agent(tiny_tokenizer, [], runtime=runtime)
    photo = upload(agent, session)
    llm.replies = [call("Pose Detection On Image", photo), answer("Done.")]
    (pose,) = agent.chat(session, "detect the pose").files
    llm.replies += [call("Detection", photo), answer("The face is at face [0, 0, 8, 8].")]
    agent.chat(session, "draw a box around his face")
    assert session.latest_image == photo
    llm.replies += [call("Sketch Detection On Image", pose), answer("Done.")]
    agent.chat(session, "make a sketch of it")
    assert runtime.calls[-1] == ("Sketch Detection On Image", photo)


def test_zoom_in_more_after_a_crop_crops_the_middle_of_the_crop(tiny_tokenizer, session):
    """Seen in a --cli drive: "crop the middle", then "zoom in more" was asked for a box in pixels."""
    runtime = FakeRuntime(names=("Crop Image", "Resize Image"))
    agent, llm, runtime = make_agent(tiny_tokenizer, [], runtime=runtime)
    image = upload(agent, session, size=64)
    llm.replies = [call("Crop Image", f"{image}, 200, 400, 600, 800"), answer("Done.")]
    (middle,) = agent.chat(session, "crop the middle").files
    assert runtime.calls[-1] == ("Crop Image", f"{image}, 16, 16, 48, 48")
    llm.replies += [call("Crop Image", f"{middle}, 1, 1, 1, 1"), answer("Done.")]
    agent.chat(session, "zoom in more")
    assert runtime.calls[-1] == ("Crop Image", f"{middle}, 16, 16, 48, 48")  # the fake's crop keeps the size
    # seen in a Gradio drive: "zoom in more" of a photo never cropped was resized to 78 x 0.01
    other = upload(agent, session, size=64)
    llm.replies += [call("Resize Image", f"{other}, 78, 0.01"), answer("Done.")]
    agent.chat(session, "zoom in more")
    assert runtime.calls[-1] == ("Crop Image", f"{other}, 16, 16, 48, 48")


def test_a_half_turn_is_no_round_crop():
    """ "Turn it round 180" (a rotation of the scripted sessions) had been told crops are rectangles."""
    from agent.capabilities import NO_ROUND, beyond_the_tools

    loaded = ("Crop Image", "Rotate Image")
    assert beyond_the_tools("make it round", only_that=True, has_image=True, loaded=loaded) == NO_ROUND
    assert (
        beyond_the_tools("it's upside down, turn it round 180", only_that=True, has_image=True, loaded=loaded) is None
    )


def test_a_stand_in_the_answer_calls_missing_is_not_opened_again(tiny_tokenizer, session):
    """Seen in a --cli drive: "and make the astronaut black and white" had the model call Remove the background (set
    aside: it stands in for the restyler), then answer "(Remove the background is not loaded)"; that answer reopened
    the call, set aside again, until the turn's eight steps ran out."""
    runtime = FakeRuntime(names=("Remove the background", "Crop Image"))
    agent, llm, runtime = make_agent(tiny_tokenizer, [], runtime=runtime)
    image = upload(agent, session)
    refusal = "I cannot see images myself, and no loaded tool can edit an image (Remove the background is not loaded)."
    llm.replies = [call("Remove the background", image)] + [f" {refusal}", f" {image}\nObservation:"] * 8
    # two sentences, so the model is asked ("and make the astronaut black and white" alone is answered before it)
    reply = agent.chat(session, "Nice one. Now make the astronaut black and white")
    assert not any(step.action == "Remove the background" for step in reply.steps)
    assert "this turn used its" not in reply.text and "Instruct Image Using Text is not loaded" in reply.text
