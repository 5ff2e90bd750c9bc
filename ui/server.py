"""The web API (``python gpt4tools.py --mode server``): HuggingGPT's endpoints and an OpenAI-compatible chat.

- ``POST /tasks``: the plan, HuggingGPT's task list ``[{"task", "id", "dep", "args"}]``;
- ``POST /results``: the plan run, ``{id: {"task", "inference result", "choose model result"}}``;
- ``POST /hugginggpt``: the answer, ``{"message": ...}`` (and ``"files"``);
- ``POST /v1/chat/completions``: OpenAI's chat completions, streamed over SSE with ``"stream": true``;
- ``GET /health``; the OpenAPI page at ``/docs`` (schema at ``/openapi.json``).

Bodies are JSON (``{"messages": [...]}``) or multipart (a ``messages`` field holding that JSON, image files
beside it). Every request gets a workspace of its own, deleted when its response is done (once no tool call of it
still runs). The server listens on 127.0.0.1 unless told otherwise, can demand a bearer token, caps the body size,
the images per request and the requests served at once, and answers what a client can fix with a 4xx and one line
saying how (``{"error": {"message", "type"}}``). The language model serves one request at a time; tool calls of
different requests and of independent steps run side by side. See docs/web_api.md.
"""

from __future__ import annotations

import json
import logging
import secrets
import shutil
import tempfile
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse, StreamingResponse
from starlette.concurrency import run_in_threadpool

from agent.executor import PlanRun
from agent.loop import ChatSession, Reply
from agent.plan_mode import PlanAgent, PlanMade, PlanReply, PlanStarted
from agent.request_parts import asks_for_several
from protocol.errors import InputError
from tools.workspace import Workspace
from ui import api_shapes
from ui.api_requests import DEFAULT_MAX_IMAGES, ImageIntake, Intake, RequestError, Upload, read_messages
from ui.api_shapes import Completion, error_body, inline_files

logger = logging.getLogger(__name__)

LOOPBACK = ("127.0.0.1", "localhost", "::1")
PlanPolicy = Literal["on", "auto", "off"]
SETTLE_TIMEOUT_S = 600.0  # how long a finished request's workspace waits for a dropped tool call before it goes


@dataclass(frozen=True)
class ServerConfig:
    """How the server listens and what it accepts (each option of ``--mode server``).

    Args:
        host: interface to listen on (127.0.0.1: this machine only).
        port: port (HuggingGPT's is 8004).
        token: a bearer token every request but ``/health`` and the docs must carry (``None``: no auth).
        max_body_mb: largest request body.
        max_images: images per request.
        max_concurrent: requests served at once; more get 429.
        image_root: a directory requests may name images from by path (read only); ``None``: uploads only.
        plan: for ``/v1/chat/completions``, plan first ``on`` always, ``auto`` when a request asks for several
            things, ``off`` never (the ReAct loop answers). HuggingGPT's endpoints always plan.
    """

    host: str = "127.0.0.1"
    port: int = 8004
    token: str | None = None
    max_body_mb: float = 20.0
    max_images: int = DEFAULT_MAX_IMAGES
    max_concurrent: int = 2
    image_root: str | None = None
    plan: PlanPolicy = "on"

    def __post_init__(self) -> None:
        if self.max_body_mb <= 0 or self.max_images < 1 or self.max_concurrent < 1:
            raise ServerConfigError("max_body_mb, max_images and max_concurrent must be positive")
        if self.plan not in ("on", "auto", "off"):
            raise ServerConfigError(f"plan must be on, auto or off; got {self.plan!r}")
        if self.image_root is not None and not Path(self.image_root).is_dir():
            raise ServerConfigError(f"--image_root {self.image_root!r} is not a directory")


class ServerConfigError(ValueError, InputError):
    """A server option that cannot work; the message names the fix."""


class ApiError(Exception):
    """An answer other than 200: HTTP ``status``, OpenAI's error ``kind`` and a message saying what to do."""

    def __init__(self, status: int, message: str, kind: str = "invalid_request_error") -> None:
        super().__init__(message)
        self.status = status
        self.kind = kind


class PlanService:
    """The endpoints' work, independent of HTTP: a request's session, its plan, run and answer."""

    def __init__(self, plan_agent: PlanAgent, config: ServerConfig) -> None:
        self.plan_agent = plan_agent
        self.config = config
        self.intake = ImageIntake(config.image_root, config.max_images)
        self.root = Path(tempfile.mkdtemp(prefix="gpt4tools-server-"))
        self._slots = threading.BoundedSemaphore(config.max_concurrent)

    def close(self) -> None:
        """Remove every request workspace still on disk."""
        shutil.rmtree(self.root, ignore_errors=True)

    # ----------------------------------------------------------------- admission
    def admit(self) -> None:
        """Take one of the concurrent-request slots, or refuse with 429."""
        if not self._slots.acquire(blocking=False):
            raise ApiError(
                429,
                f"the server is busy with {self.config.max_concurrent} requests; retry in a few seconds",
                "rate_limit_error",
            )

    def release(self) -> None:
        self._slots.release()

    @contextmanager
    def session(self, messages: Any, uploads: list[Upload]) -> Iterator[tuple[ChatSession, Intake, list[PlanRun]]]:
        """A fresh session holding the request's images and history; ``runs`` collects the plans started in it, whose
        background calls the workspace's removal waits for."""
        workspace = Workspace(tempfile.mkdtemp(prefix="request-", dir=self.root))
        runs: list[PlanRun] = []
        try:
            session = ChatSession(workspace)
            intake = self.intake.take(self.plan_agent.agent, session, read_messages(messages), uploads)
            yield session, intake, runs
        finally:
            _remove_when_settled(workspace.root, runs)

    # ----------------------------------------------------------------- HuggingGPT
    def tasks(self, messages: Any, uploads: list[Upload]) -> Any:
        with self.session(messages, uploads) as (session, intake, _):
            made = list(self.plan_agent.plan(session, intake.text))[-1]
            plan = made.result.plan
            if plan is None:
                return {
                    "message": intake.in_client_names(self.plan_agent.response.no_plan.format(error=made.result.error))
                }
            if not plan.steps:  # HuggingGPT answers a request that needs no task as a chat
                missing = self.plan_agent.not_loaded_text(intake.text)  # or one whose tools are not loaded
                return {
                    "message": intake.in_client_names(missing or self.plan_agent.agent.chat(session, intake.text).text)
                }
            return api_shapes.task_list(plan, intake)

    def results(self, messages: Any, uploads: list[Upload]) -> Any:
        with self.session(messages, uploads) as (session, intake, runs):
            reply = self._finish(self.plan_agent.run(session, intake.text), runs)
            if isinstance(reply, Reply) or reply.execution is None:
                return {"message": intake.in_client_names(reply.text)}
            body = api_shapes.results(reply.execution, intake)
            files = inline_files(session.workspace, reply.files)
            for entry in body.values():  # each step's files inline beside its names
                made = entry["inference result"]
                names = made.get("generated images") or [made.get("generated image")]
                made_files = {name: files[name] for name in names if name in files}
                if made_files:
                    made["files"] = made_files
            return body

    def hugginggpt(self, messages: Any, uploads: list[Upload]) -> dict[str, Any]:
        with self.session(messages, uploads) as (session, intake, runs):
            reply = self._finish(self.plan_agent.run(session, intake.text), runs)
            return {
                "message": intake.in_client_names(reply.text),
                "files": inline_files(session.workspace, reply.files),
            }

    @staticmethod
    def _finish(events: Iterator[Any], runs: list[PlanRun]) -> PlanReply | Reply:
        reply = None
        for event in events:
            if isinstance(event, PlanStarted):
                runs.append(event.run)
            elif isinstance(event, PlanReply | Reply):
                reply = event
        assert reply is not None, "a turn always ends with a reply"
        return reply

    # ----------------------------------------------------------------- OpenAI
    def chat(self, messages: Any, uploads: list[Upload]) -> Iterator[str | dict[str, str]]:
        """The assistant's message in pieces (the plan when one is made, then the answer), and last the files."""
        with self.session(messages, uploads) as (session, intake, runs):
            plan_first = self.config.plan == "on" or (self.config.plan == "auto" and asks_for_several(intake.text))
            if plan_first:
                events: Iterator[Any] = self.plan_agent.run(session, intake.text)
            else:
                events = self.plan_agent.agent.run(session, intake.text)
            files: tuple[str, ...] = ()
            for event in events:
                if isinstance(event, PlanStarted):
                    runs.append(event.run)
                elif isinstance(event, PlanMade):
                    yield intake.in_client_names(event.text) + "\n\n"
                elif isinstance(event, PlanReply | Reply):
                    files = event.files
                    yield intake.in_client_names(event.text)
            yield inline_files(session.workspace, files)


def _remove_when_settled(root: Path, runs: list[PlanRun]) -> None:
    """Delete a request's workspace now, or once its dropped tool calls have returned (they may still write)."""
    if all(run.settle(0) for run in runs):
        shutil.rmtree(root, ignore_errors=True)
        return

    def later() -> None:
        for run in runs:
            if not run.settle(SETTLE_TIMEOUT_S):
                logger.warning("a tool call of a finished request is still running after %s s", SETTLE_TIMEOUT_S)
        shutil.rmtree(root, ignore_errors=True)

    threading.Thread(target=later, name="workspace-cleanup", daemon=True).start()


# --------------------------------------------------------------------------------------------- HTTP
class _BodyTooLarge(Exception):
    pass


class BodyLimit:
    """ASGI middleware: a request body over ``limit`` bytes is answered 413 (by its Content-Length, or as it
    streams in)."""

    def __init__(self, app: Any, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await self._refuse(send)
            return
        seen = 0
        started = False

        async def counted() -> dict[str, Any]:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.limit:
                raise _BodyTooLarge
            return message

        async def watched(message: dict[str, Any]) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except _BodyTooLarge:
            if not started:
                await self._refuse(send)

    async def _refuse(self, send: Any) -> None:
        mb = self.limit / 2**20
        body = json.dumps(
            error_body(f"the request body is over {mb:.3g} MB; send smaller or fewer images", "request_too_large")
        )
        await send({"type": "http.response.start", "status": 413, "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": body.encode()})


_REQUEST_SCHEMA = {
    "type": "object",
    "required": ["messages"],
    "properties": {
        "messages": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["role", "content"],
                "properties": {
                    "role": {"type": "string", "enum": ["system", "user", "assistant"]},
                    "content": {"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "object"}}]},
                },
            },
        },
        "model": {"type": "string"},
        "stream": {"type": "boolean"},
    },
}
_MULTIPART_SCHEMA = {
    "type": "object",
    "required": ["messages"],
    "properties": {
        "messages": {"type": "string", "description": "the JSON list of messages, as in a JSON body"},
        "images": {"type": "array", "items": {"type": "string", "format": "binary"}},
    },
}
_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": _REQUEST_SCHEMA},
            "multipart/form-data": {"schema": _MULTIPART_SCHEMA},
        },
    }
}


async def read_body(request: Request) -> tuple[dict[str, Any], list[Upload]]:
    """The JSON body (whatever its content type says: ``curl --data`` sends JSON as a form), or a multipart body's
    ``messages`` field and its files."""
    kind = request.headers.get("content-type", "")
    if kind.startswith("multipart/form-data"):
        form = await request.form()
        uploads = [
            Upload(value.filename or "upload.png", await value.read())
            for _, value in form.multi_items()
            if not isinstance(value, str)
        ]
        raw = form.get("messages")
        if not isinstance(raw, str):
            raise ApiError(400, 'a multipart request needs a "messages" field holding the JSON list of messages')
        body: Any = {"messages": _json(raw, 'the "messages" field')}
        body.update({key: value for key, value in form.multi_items() if isinstance(value, str) and key != "messages"})
        return body, uploads
    body = _json((await request.body()).decode("utf-8", errors="replace"), "the body")
    if not isinstance(body, dict):
        raise ApiError(400, 'the body must be a JSON object: {"messages": [{"role": "user", "content": "..."}]}')
    return body, []


def _json(text: str, what: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise ApiError(400, f"{what} is not valid JSON ({error.msg} at character {error.pos})") from None


def create_app(service: PlanService) -> FastAPI:
    """The FastAPI app over ``service`` (see the module's docstring)."""
    config = service.config

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        service.close()  # the workspaces of requests still settling

    app = FastAPI(
        lifespan=lifespan,
        title="GPT4Tools plan API",
        summary="HuggingGPT's /tasks, /results and /hugginggpt and an OpenAI-compatible chat over local tools",
        version="1.0",
    )
    app.add_middleware(BodyLimit, limit=int(config.max_body_mb * 2**20))

    @app.exception_handler(ApiError)
    async def api_error(request: Request, error: ApiError) -> JSONResponse:
        headers = {"Retry-After": "5"} if error.status == 429 else {}
        if error.status == 401:
            headers["WWW-Authenticate"] = "Bearer"
        return JSONResponse(error_body(str(error), error.kind), status_code=error.status, headers=headers)

    def authorised(request: Request) -> None:
        if config.token is None:
            return
        given = request.headers.get("authorization", "")
        scheme, _, token = given.partition(" ")
        if scheme.lower() != "bearer" or not secrets.compare_digest(token.strip().encode(), config.token.encode()):
            raise ApiError(401, "send the server's token as 'Authorization: Bearer <token>'", "authentication_error")

    async def run(work: Any, request: Request) -> Any:
        body, uploads = await read_body(request)
        service.admit()
        try:
            return await run_in_threadpool(work, body.get("messages"), uploads)
        except RequestError as error:
            raise ApiError(400, str(error)) from None
        finally:
            service.release()

    secured = [Depends(authorised)]

    @app.get("/health")
    def health() -> dict[str, Any]:
        """Whether the server is up, and the tools it runs."""
        return {"status": "ok", "tools": service.plan_agent.executor.runner.available.names}

    @app.post("/tasks", dependencies=secured, openapi_extra=_BODY)
    async def tasks(request: Request) -> Any:
        """HuggingGPT's task planning: the plan as ``[{"task", "id", "dep", "args"}]`` (or ``{"message"}``)."""
        return await run(service.tasks, request)

    @app.post("/results", dependencies=secured, openapi_extra=_BODY)
    async def plan_results(request: Request) -> Any:
        """HuggingGPT's results: ``{id: {"task", "inference result", "choose model result"}}``."""
        return await run(service.results, request)

    @app.post("/hugginggpt", dependencies=secured, openapi_extra=_BODY)
    async def hugginggpt(request: Request) -> Any:
        """HuggingGPT's answer: ``{"message": ...}`` with the files made inline."""
        return await run(service.hugginggpt, request)

    @app.post("/v1/chat/completions", dependencies=secured, openapi_extra=_BODY)
    async def chat_completions(request: Request) -> Any:
        """OpenAI's chat completions (``"stream": true`` for server-sent events)."""
        body, uploads = await read_body(request)
        model = str(body.get("model") or "gpt4tools")
        stream = body.get("stream") in (True, "true")
        completion = Completion(model)
        service.admit()
        pieces = service.chat(body.get("messages"), uploads)
        try:
            first = await run_in_threadpool(next, pieces)  # the request's errors surface before a stream starts
        except RequestError as error:
            service.release()
            raise ApiError(400, str(error)) from None
        except BaseException:
            service.release()
            raise
        if not stream:
            try:
                rest = await run_in_threadpool(list, pieces)
            finally:
                service.release()
            *texts, files = [first, *rest]
            return completion.message("".join(texts), files)
        return StreamingResponse(_sse(service, completion, first, pieces), media_type="text/event-stream")

    return app


async def _sse(service: PlanService, completion: Completion, first: Any, pieces: Iterator[Any]) -> AsyncIterator[str]:
    """The chat as OpenAI's stream: a role chunk, content chunks, the files and ``finish_reason``, ``[DONE]``."""

    def event(data: Any) -> str:
        return f"data: {json.dumps(data, ensure_ascii=False)}\n\n"

    try:
        yield event(completion.chunk({"role": "assistant", "content": ""}))
        piece = first
        while isinstance(piece, str):
            if piece:
                yield event(completion.chunk({"content": piece}))
            piece = await run_in_threadpool(next, pieces, None)
        yield event(completion.chunk({}, "stop", files=piece or {}))
        yield "data: [DONE]\n\n"
    finally:
        await run_in_threadpool(pieces.close)  # a client that left: cancels the plan, removes the workspace
        service.release()


def serve(plan_agent: PlanAgent, config: ServerConfig) -> None:
    """Run the server until interrupted."""
    import uvicorn

    if config.host not in LOOPBACK:
        logger.warning(
            "listening on %s: other machines can reach this server%s",
            config.host,
            "" if config.token else "; set --token to require a bearer token",
        )
    service = PlanService(plan_agent, config)
    try:
        uvicorn.run(create_app(service), host=config.host, port=config.port, log_level="info")
    finally:
        service.close()
