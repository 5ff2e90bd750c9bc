"""The web API: HuggingGPT's documented request and response shapes, OpenAI's chat completions (JSON and SSE), image
intake, limits, auth, clean-up; and one request end to end through a real server with the tiny model and real tools."""

from __future__ import annotations

import base64
import io
import json
import threading
import time

import httpx
import pytest
from fastapi.testclient import TestClient
from openai import OpenAI
from PIL import Image

from agent.executor import Executor
from agent.loop import Agent
from agent.plan_mode import PlanAgent
from agent.planner import Planner
from agent.step_runner import StepOutcome
from protocol.plan_prompt import PlanTemplate
from protocol.plan_response import ResponseTemplate
from protocol.prompt import PromptTemplate
from tests.agent_fakes import FakeRuntime
from tests.plan_fakes import WAIT, Held, ScriptedRunner
from tests.test_plan_mode import PlanningLLM
from ui.server import PlanService, ServerConfig, create_app

POSE, CAPTION, POSE_TO_IMAGE = (
    "Pose Detection On Image",
    "Get Photo Description",
    "Generate Image Condition On Pose Image",
)
TOOLS = (POSE, CAPTION, POSE_TO_IMAGE, "Edge Detection On Image")
# HuggingGPT's documented request (hugginggpt/README.md), verbatim
DOCUMENTED_REQUEST = {
    "messages": [
        {
            "role": "user",
            "content": "based on pose of /examples/d.jpg and content of /examples/e.jpg, please show me a new image",
        }
    ]
}


def plan_reply(*steps):
    return json.dumps([{"task": t, "id": i, "dep": [-1], "args": a} for i, (t, a) in enumerate(steps)])


def documented_plan(prompt):
    """HuggingGPT's documented answer in this project's tools: the pose of d, a caption of e, a pose-conditioned image."""
    import re

    d, e = re.findall(r"image/[0-9a-f]{8}\.png", prompt.split("Images:")[1])[:2]
    return plan_reply(
        (POSE, {"image_path": d}),
        (CAPTION, {"image_path": e}),
        (POSE_TO_IMAGE, {"image_path": "<GENERATED>-0", "text": "<GENERATED>-1"}),
    )


def png_bytes(colour="white", size=(40, 30)):
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def image_root(tmp_path):
    root = tmp_path / "public"
    (root / "examples").mkdir(parents=True)
    (root / "examples" / "d.jpg").write_bytes(png_bytes("red"))
    (root / "examples" / "e.jpg").write_bytes(png_bytes("blue"))
    (tmp_path / "secret.png").write_bytes(png_bytes())
    return root


NEW_IMAGE_ANSWER = "Here is the new image: image/generate.png"  # names what the plan made, so it stands


def make_service(tokenizer, image_root=None, llm=None, runner=None, **config):
    llm = llm or PlanningLLM(documented_plan, answer=lambda prompt: NEW_IMAGE_ANSWER)
    runtime = FakeRuntime(names=TOOLS, caption="a girl reading a book")
    agent = Agent(llm, runtime, PromptTemplate.load("en"), tokenizer, context_length=4096)
    planner = Planner(llm, agent.template, PlanTemplate.load("en"), tokenizer, runtime.available)
    runner = runner or ScriptedRunner(
        {CAPTION: lambda a, ws: StepOutcome(True, "a girl reading a book", model="captioner", reason="scripted")},
        tools=TOOLS,
    )
    plan_agent = PlanAgent(agent, planner, Executor(runner), ResponseTemplate.load("en"))
    return PlanService(plan_agent, ServerConfig(image_root=str(image_root) if image_root else None, **config))


@pytest.fixture
def service(tiny_tokenizer, image_root):
    service = make_service(tiny_tokenizer, image_root)
    yield service
    service.close()


@pytest.fixture
def client(service):
    with TestClient(create_app(service)) as client:
        yield client


def leftovers(service):
    return list(service.root.iterdir())


# ----------------------------------------------------------------- HuggingGPT's endpoints
def test_tasks_answers_the_documented_request_in_hugginggpts_shape(client, service):
    response = client.post("/tasks", json=DOCUMENTED_REQUEST)
    assert response.status_code == 200
    tasks = response.json()
    assert isinstance(tasks, list) and [t["id"] for t in tasks] == [0, 1, 2]
    assert all(set(t) == {"args", "dep", "id", "task"} for t in tasks)
    assert [t["task"] for t in tasks] == [POSE, CAPTION, POSE_TO_IMAGE]
    assert tasks[0]["dep"] == [-1] and tasks[1]["dep"] == [-1] and set(tasks[2]["dep"]) == {0, 1}
    # images by the client's names, references as HuggingGPT writes them
    assert tasks[0]["args"] == {"image_path": "/examples/d.jpg"}
    assert tasks[1]["args"] == {"image_path": "/examples/e.jpg"}
    assert tasks[2]["args"] == {"image_path": "<GENERATED>-0", "text": "<GENERATED>-1"}
    assert leftovers(service) == []


def test_results_gives_each_task_its_inference_and_choose_model_result(client, service):
    response = client.post("/results", json=DOCUMENTED_REQUEST)
    assert response.status_code == 200
    body = response.json()
    assert sorted(body) == ["0", "1", "2"]
    for entry in body.values():
        assert set(entry) == {"task", "inference result", "choose model result"}
        assert set(entry["choose model result"]) == {"id", "reason"}
    pose, caption, new = body["0"], body["1"], body["2"]
    assert pose["task"]["args"] == {"image_path": "/examples/d.jpg"}
    assert caption["inference result"] == {"generated text": "a girl reading a book"}
    assert caption["choose model result"] == {"id": "captioner", "reason": "scripted"}
    # the command after argument resolution, as HuggingGPT reports it
    made_pose = pose["inference result"]["generated image"]
    assert new["task"]["args"] == {"image_path": made_pose, "text": "a girl reading a book"}
    data_url = new["inference result"]["files"][new["inference result"]["generated image"]]
    assert data_url.startswith("data:image/png;base64,")
    assert leftovers(service) == []


def test_hugginggpt_answers_with_a_message(client):
    body = client.post("/hugginggpt", json=DOCUMENTED_REQUEST).json()
    assert set(body) == {"message", "files"}
    assert body["message"].startswith(f"{NEW_IMAGE_ANSWER}\n\nSteps:\n1. Pose Detection On Image")
    assert "3. Generate Image Condition On Pose Image, by fake (scripted): image/generate.png" in body["message"]


def test_messages_name_the_requests_images_as_the_client_did(tiny_tokenizer, image_root):
    """Seen driving the web API: the answer named /examples/d.jpg by its workspace name, which the client never saw."""
    import re

    def naming_the_pose_photo(prompt):
        upload = re.findall(r"image/[0-9a-f]{8}\.png", prompt)[0]
        return f"Here is the new image: image/generate.png, posed as in {upload}"

    llm = PlanningLLM(documented_plan, answer=naming_the_pose_photo)
    service = make_service(tiny_tokenizer, image_root, llm=llm)
    with TestClient(create_app(service)) as client:
        for endpoint in ("/hugginggpt", "/v1/chat/completions"):
            body = client.post(endpoint, json=DOCUMENTED_REQUEST).json()
            message = body["message"] if endpoint == "/hugginggpt" else body["choices"][0]["message"]["content"]
            assert "posed as in /examples/" in message, message
            assert not re.search(r"image/[0-9a-f]{8}\.png", message)  # no upload by its workspace name
    service.close()


def test_a_request_that_cannot_be_planned_gets_a_message_like_hugginggpts_early_exits(tiny_tokenizer, image_root):
    for reply, expected in (("no idea", "I could not make a plan the tools can run"), ("[]", "Hello there")):
        llm = PlanningLLM([reply], answer=lambda prompt: "Hello there")
        service = make_service(tiny_tokenizer, image_root, llm=llm)
        with TestClient(create_app(service)) as client:
            for endpoint in ("/tasks", "/results", "/hugginggpt"):
                body = client.post(endpoint, json={"messages": [{"role": "user", "content": "how are you?"}]}).json()
                assert body["message"].startswith(expected), (endpoint, body)
        service.close()


def test_a_request_only_for_a_tool_that_is_not_loaded_says_how_to_load_it(tiny_tokenizer, image_root):
    """The planner can write only loaded tools: "the depth map" came back as a pose, which is left out."""
    import re

    def pose_plan(prompt):
        image = re.findall(r"image/[0-9a-f]{8}\.png", prompt.split("Images:")[1])[0]
        return plan_reply((POSE, {"image_path": image}))

    service = make_service(tiny_tokenizer, image_root, llm=PlanningLLM(pose_plan))
    request = {"messages": [{"role": "user", "content": "show me the depth map of /examples/d.jpg"}]}
    with TestClient(create_app(service)) as client:
        for endpoint in ("/tasks", "/results", "/hugginggpt"):
            body = client.post(endpoint, json=request).json()
            assert body["message"].startswith("Predict Depth On Image is not loaded here"), (endpoint, body)
    service.close()


def test_a_failed_step_is_reported_as_an_error_result(tiny_tokenizer, image_root):
    runner = ScriptedRunner({POSE: lambda a, ws: StepOutcome(False, "no person found")}, tools=TOOLS)
    service = make_service(tiny_tokenizer, image_root, runner=runner)
    with TestClient(create_app(service)) as client:
        body = client.post("/results", json=DOCUMENTED_REQUEST).json()
        message = client.post("/hugginggpt", json=DOCUMENTED_REQUEST).json()["message"]
    service.close()
    assert body["0"]["inference result"] == {"error": "failed: no person found"}
    assert body["0"]["choose model result"] == {"id": "", "reason": ""}
    assert body["2"]["inference result"]["error"].startswith("skipped: step 1 (Pose Detection On Image) failed")
    assert body["2"]["choose model result"] == ""
    assert message.startswith("I did 1 of 3 steps; the others could not be done")


# ----------------------------------------------------------------- OpenAI's chat completions
def sse_events(lines):
    events = []
    for line in lines:
        if line.startswith("data: "):
            data = line.removeprefix("data: ")
            events.append(data if data == "[DONE]" else json.loads(data))
    return events


def test_chat_completions_as_json_and_as_a_stream_say_the_same(client, service):
    request = {"model": "gpt4tools", **DOCUMENTED_REQUEST}
    whole = client.post("/v1/chat/completions", json=request).json()
    assert whole["object"] == "chat.completion" and whole["model"] == "gpt4tools"
    (choice,) = whole["choices"]
    assert choice["message"]["role"] == "assistant" and choice["finish_reason"] == "stop"
    content = choice["message"]["content"]
    assert content.startswith("Plan:\n1. Pose Detection On Image: image_path = ")
    assert f"\n\n{NEW_IMAGE_ANSWER}\n\nSteps:\n" in content
    assert set(whole["files"]) == {"image/pose.png", "image/generate.png"}

    with client.stream("POST", "/v1/chat/completions", json={**request, "stream": True}) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        events = sse_events(response.iter_lines())
    assert events[-1] == "[DONE]"
    chunks = events[:-1]
    assert all(c["object"] == "chat.completion.chunk" and c["id"] == chunks[0]["id"] for c in chunks)
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop" and set(chunks[-1]["files"]) == set(whole["files"])
    streamed = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks)
    assert streamed == content
    assert len(chunks) >= 4  # role, the plan before it ran, the answer, the end
    assert leftovers(service) == []


def test_chat_completions_take_openai_image_parts(client):
    data_url = "data:image/png;base64," + base64.b64encode(png_bytes("green")).decode()
    content = [
        {"type": "text", "text": "show me the pose in this image and a new image from it"},
        {"type": "image_url", "image_url": {"url": data_url}},
        {"type": "image_url", "image_url": {"url": "/examples/e.jpg"}},
    ]
    body = client.post("/v1/chat/completions", json={"messages": [{"role": "user", "content": content}]}).json()
    assert NEW_IMAGE_ANSWER in body["choices"][0]["message"]["content"]


def test_images_can_be_uploaded_as_multipart(client):
    messages = [{"role": "user", "content": "based on pose of d.png and content of e.png, show me a new image"}]
    files = [
        ("images", ("d.png", png_bytes("red"), "image/png")),
        ("images", ("e.png", png_bytes("blue"), "image/png")),
    ]
    tasks = client.post("/tasks", data={"messages": json.dumps(messages)}, files=files).json()
    assert tasks[0]["args"] == {"image_path": "d.png"} and tasks[1]["args"] == {"image_path": "e.png"}


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ({"messages": []}, 400, '"messages" must be a non-empty list'),
        ({"prompt": "hi"}, 400, '"messages" must be a non-empty list'),
        ({"messages": [{"role": "robot", "content": "x"}]}, 400, "messages[0].role must be one of"),
        ({"messages": [{"role": "assistant", "content": "x"}]}, 400, "the last message must be the user's"),
        ({"messages": [{"role": "user", "content": "edges of /examples/missing.png"}]}, 400, "neither uploaded nor"),
        (
            {"messages": [{"role": "user", "content": "edges of /../secret.png"}]},
            400,
            "outside the server's image root",
        ),
        ({"messages": [{"role": "user", "content": "edges of https://x.org/a.jpg"}]}, 400, "web URLs are not fetched"),
        (
            {"messages": [{"role": "user", "content": "edges of data:image/png;base64,AAAA"}]},
            400,
            "not a readable image",
        ),
    ],
)
def test_bad_requests_get_400_and_one_line_saying_how_to_fix_them(client, service, body, status, message):
    for endpoint in ("/tasks", "/v1/chat/completions"):
        response = client.post(endpoint, json=body)
        assert response.status_code == status, response.text
        error = response.json()["error"]
        assert message in error["message"] and error["type"] == "invalid_request_error"
    assert leftovers(service) == []


def test_a_body_that_is_not_json_gets_400(client):
    response = client.post("/hugginggpt", content=b"{not json", headers={"content-type": "application/json"})
    assert response.status_code == 400 and "not valid JSON" in response.json()["error"]["message"]


def test_too_many_images_and_too_large_bodies_are_refused(tiny_tokenizer, image_root):
    service = make_service(tiny_tokenizer, image_root, max_images=1, max_body_mb=0.01)
    with TestClient(create_app(service)) as client:
        response = client.post("/tasks", json=DOCUMENTED_REQUEST)
        assert response.status_code == 400 and "at most 1 images" in response.json()["error"]["message"]
        big = {"messages": [{"role": "user", "content": "x" * 20_000}]}
        response = client.post("/tasks", json=big)
        assert response.status_code == 413 and "over 0.01 MB" in response.json()["error"]["message"]

        def chunks():  # no Content-Length: counted as it streams in
            for _ in range(20):
                yield b" " * 1000

        response = client.post("/tasks", content=chunks(), headers={"content-type": "application/json"})
        assert response.status_code == 413
    service.close()


def test_a_bearer_token_guards_every_endpoint_but_health(tiny_tokenizer, image_root):
    service = make_service(tiny_tokenizer, image_root, token="s3cret")
    with TestClient(create_app(service)) as client:
        assert client.get("/health").json()["status"] == "ok"
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "s3cret"}):
            response = client.post("/tasks", json=DOCUMENTED_REQUEST, headers=headers)
            assert response.status_code == 401 and response.headers["www-authenticate"] == "Bearer"
            assert "Authorization: Bearer <token>" in response.json()["error"]["message"]
        response = client.post("/tasks", json=DOCUMENTED_REQUEST, headers={"Authorization": "Bearer s3cret"})
        assert response.status_code == 200
        assert client.get("/openapi.json").json()["paths"]["/tasks"]["post"]["requestBody"]["content"]
    service.close()


def test_requests_over_the_concurrency_limit_get_429(tiny_tokenizer, image_root):
    busy = Held("image/pose.png")
    runner = ScriptedRunner({POSE: busy}, tools=TOOLS)
    service = make_service(tiny_tokenizer, image_root, runner=runner, max_concurrent=1)
    with TestClient(create_app(service)) as client:
        first = threading.Thread(target=client.post, args=("/hugginggpt",), kwargs={"json": DOCUMENTED_REQUEST})
        first.start()
        assert busy.started.wait(WAIT)
        response = client.post("/tasks", json=DOCUMENTED_REQUEST)
        assert response.status_code == 429 and response.headers["retry-after"] == "5"
        assert "busy with 1 requests" in response.json()["error"]["message"]
        busy.release.set()
        first.join(WAIT)
        assert client.post("/tasks", json=DOCUMENTED_REQUEST).status_code == 200
        assert leftovers(service) == []
    assert not service.root.exists()  # the server's own folder goes when it shuts down


def test_a_workspace_waits_for_a_dropped_tool_call_before_it_goes(tiny_tokenizer, image_root):
    stuck = Held("image/pose.png")
    runner = ScriptedRunner({POSE: stuck}, tools=TOOLS)
    service = make_service(tiny_tokenizer, image_root, runner=runner)
    service.plan_agent.executor.step_timeout_s = 0.2
    with TestClient(create_app(service)) as client:
        body = client.post("/results", json=DOCUMENTED_REQUEST).json()
        assert body["0"]["inference result"] == {"error": "timed out: took longer than 0.2 s"}
        assert len(leftovers(service)) == 1  # the timed-out call may still write there
        stuck.release.set()
        deadline = time.monotonic() + 20
        while leftovers(service) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert leftovers(service) == []
    service.close()


# ----------------------------------------------------------------- end to end: a real server, the tiny model, real tools
@pytest.fixture(scope="module")
def live_server(tiny_model_dir, tmp_path_factory):
    import socket

    import uvicorn

    from ui.launch import build_agent, build_plan_agent

    agent = build_agent(str(tiny_model_dir), "none", load="Image2Canny_cpu,ImageEditing_cpu,Image2Line_cpu")
    plan_agent = build_plan_agent(agent, None, step_timeout_s=60)
    plan_agent.planner.max_new_tokens = 160
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    service = PlanService(plan_agent, ServerConfig(port=port, plan="on"))
    server = uvicorn.Server(uvicorn.Config(create_app(service), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", service
    server.should_exit = True
    thread.join(30)
    service.close()


def test_end_to_end_through_a_real_server_with_the_tiny_model_and_real_tools(live_server):
    url, service = live_server
    data_url = "data:image/png;base64," + base64.b64encode(png_bytes("white", (64, 48))).decode()
    messages = [{"role": "user", "content": f"find the edges of {data_url}, then rotate the edge map by 90 degrees"}]
    with httpx.Client(base_url=url, timeout=300) as http:
        assert set(http.get("/health").json()["tools"]) >= {"Edge Detection On Image", "Rotate Image"}
        results = http.post("/results", json={"messages": messages})
        assert results.status_code == 200
        body = results.json()
        if "message" not in body:  # the random model's plan ran: every step reported in HuggingGPT's shape
            for entry in body.values():
                assert set(entry) >= {"task", "inference result", "choose model result"}
                assert entry["task"]["task"] in http.get("/health").json()["tools"]
    # the OpenAI client itself, streaming and not, with an image part
    client = OpenAI(base_url=f"{url}/v1", api_key="none", timeout=300, max_retries=0)
    parts = [
        {"type": "text", "text": "find the edges of this image, then rotate them by 90 degrees"},
        {"type": "image_url", "image_url": {"url": data_url}},
    ]
    completion = client.chat.completions.create(model="tiny", messages=[{"role": "user", "content": parts}])
    assert completion.choices[0].message.role == "assistant"
    assert completion.choices[0].message.content.startswith("Plan:")
    stream = client.chat.completions.create(model="tiny", messages=[{"role": "user", "content": parts}], stream=True)
    pieces = [chunk.choices[0].delta.content or "" for chunk in stream]
    assert "".join(pieces).startswith("Plan:")
    deadline = time.monotonic() + 30
    while leftovers(service) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert leftovers(service) == []


def test_compete_with_no_family_set_to_compete_says_so(tiny_model_dir, caplog):
    """As shipped no family competes (benchmarks/competition.md): --compete alone changes nothing, and says how."""
    from ui.launch import build_agent, build_plan_agent

    agent = build_agent(str(tiny_model_dir), "none", load="Image2Canny_cpu")
    with caplog.at_level("WARNING", logger="ui.launch"):
        build_plan_agent(agent, None, compete=True)
    assert "no family in" in caplog.text and "compete: true" in caplog.text
