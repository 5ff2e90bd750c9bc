"""What a web API request hands the agent: the conversation and its images, taken into a fresh session.

A request's ``messages`` are HuggingGPT's (``{"role", "content"}`` with string content) or OpenAI's (content may
also be a list of ``{"type": "text"}`` and ``{"type": "image_url"}`` parts). Images come three ways:

- uploaded as files of a multipart request, named in the text by their file name (or just uploaded);
- inline as ``data:image/...;base64,...`` URLs, in the text or as ``image_url`` parts;
- by path under the server's image root (``--image_root``), e.g. ``/examples/d.jpg`` as in HuggingGPT's examples.

Each image enters the request's session (:meth:`agent.loop.Agent.introduce_image`: checked, shrunk, described) and
every mention of it in the text is replaced by its workspace name; :attr:`Intake.originals` maps the workspace names
back to what the client wrote, so responses can speak the client's names. Web URLs are refused (nothing is fetched).
Earlier user/assistant exchanges become the session's memory; system messages are ignored (the prompts are fixed).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from protocol.errors import InputError
from tools.errors import ToolError

if TYPE_CHECKING:
    from agent.loop import Agent, ChatSession

ROLES = ("system", "user", "assistant")
DEFAULT_MAX_IMAGES = 8
_SUFFIX = r"\.(?:png|jpe?g|webp|bmp|gif|tiff?)\b"
_DATA_URL = re.compile(r"data:image/[\w.+-]+;base64,[A-Za-z0-9+/=]+")
_WEB_IMAGE = re.compile(rf"https?://\S+?{_SUFFIX}", re.IGNORECASE)
_PATH = re.compile(rf"(?<![\w/.:-])/?[\w.-]+(?:/[\w.-]+)*{_SUFFIX}", re.IGNORECASE)
_WEB_ADVICE = "web URLs are not fetched (the server works offline); upload the image or send it as a data URL"


class RequestError(ValueError, InputError):
    """A request the client can fix; the message says how (answered with HTTP 400)."""


@dataclass(frozen=True)
class Upload:
    """A file of a multipart request."""

    filename: str
    data: bytes


@dataclass
class Intake:
    """The request's last user message with images named by their workspace names, and the names' originals."""

    text: str
    originals: dict[str, str] = field(default_factory=dict)

    def original(self, value: Any) -> Any:
        """``value`` as the client wrote it when it is one of the request's images."""
        return self.originals.get(value, value) if isinstance(value, str) else value

    def in_client_names(self, text: str) -> str:
        """``text`` with the request's images named as the client named them."""
        for name, original in self.originals.items():
            text = text.replace(name, original)
        return text


@dataclass(frozen=True)
class Message:
    role: str
    text: str


def read_messages(messages: Any) -> list[Message]:
    """The messages with their content flattened to text (image parts become their URL in the text).

    Raises:
        RequestError: not a non-empty list of ``{"role", "content"}`` objects ending with the user's message.
    """
    if not isinstance(messages, list) or not messages:
        raise RequestError('"messages" must be a non-empty list of {"role", "content"} objects')
    read = []
    for index, message in enumerate(messages):
        where = f"messages[{index}]"
        if not isinstance(message, Mapping):
            raise RequestError(f'{where} must be an object with "role" and "content"')
        role = message.get("role")
        if role not in ROLES:
            raise RequestError(f"{where}.role must be one of {', '.join(ROLES)}; got {role!r}")
        read.append(Message(role, _content_text(message.get("content"), where)))
    if read[-1].role != "user":
        raise RequestError(f'the last message must be the user\'s (role "user"); got {read[-1].role!r}')
    return read


def _content_text(content: Any, where: str) -> str:
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        raise RequestError(f"{where}.content must be a string or a list of text and image_url parts")
    texts = []
    for index, part in enumerate(content):
        kind = part.get("type") if isinstance(part, Mapping) else None
        if kind == "text" and isinstance(part.get("text"), str):
            texts.append(part["text"])
        elif kind == "image_url":
            url = part.get("image_url")
            url = url.get("url") if isinstance(url, Mapping) else url
            if not isinstance(url, str) or not url:
                raise RequestError(f'{where}.content[{index}].image_url needs a "url"')
            if url.lower().startswith(("http://", "https://")):
                raise RequestError(f"{where}.content[{index}]: {_short(url)}: {_WEB_ADVICE}")
            texts.append(url)
        else:
            raise RequestError(
                f'{where}.content[{index}] must be {{"type": "text", "text": ...}} or '
                '{"type": "image_url", "image_url": {"url": ...}}'
            )
    return " ".join(texts)


class ImageIntake:
    """Takes a request's images into a session (see the module's docstring)."""

    def __init__(self, image_root: str | Path | None = None, max_images: int = DEFAULT_MAX_IMAGES) -> None:
        self.image_root = Path(image_root).resolve() if image_root else None
        self.max_images = max_images

    def take(
        self, agent: Agent, session: ChatSession, messages: Sequence[Message], uploads: Sequence[Upload] = ()
    ) -> Intake:
        """Introduce every image of ``messages`` and ``uploads`` into ``session``, remember the earlier exchanges,
        and return the last message with its images renamed.

        Raises:
            RequestError: an image cannot be found or read, a web URL, too many images.
        """
        by_name = {PurePosixPath(upload.filename).name: upload for upload in uploads}
        names: dict[str, str] = {}  # what the client wrote -> workspace name
        originals: dict[str, str] = {}

        def introduce(reference: str, source: bytes | Path) -> str:
            if reference not in names:
                if len(names) >= self.max_images:
                    raise RequestError(f"a request may hold at most {self.max_images} images")
                try:
                    name = agent.introduce_image(session, source, PurePosixPath(reference).name).name
                except ToolError as error:
                    raise RequestError(f"image {_short(reference)}: {error}") from None
                names[reference] = name
                if not reference.startswith("data:"):
                    originals[name] = reference
            return names[reference]

        texts = []
        for message in messages:
            text = message.text
            web = _WEB_IMAGE.search(text)
            if web:
                raise RequestError(f"{_short(web.group())}: {_WEB_ADVICE}, or name a file under its image root")
            text = _DATA_URL.sub(lambda m: introduce(m.group(), _decode(m.group())), text)
            text = _PATH.sub(
                lambda m: (
                    m.group()
                    if m.group() in names.values()  # a data URL's image, already renamed
                    else introduce(m.group(), self._source(m.group(), by_name))
                ),
                text,
            )
            texts.append(text)
        for name, upload in by_name.items():  # uploaded but not named in the text: still the request's images
            introduce(name, upload.data)
        *history, last = [Message(m.role, t) for m, t in zip(messages, texts, strict=True)]
        _remember(agent, session, history)
        return Intake(last.text, originals)

    def _source(self, reference: str, uploads: Mapping[str, Upload]) -> bytes | Path:
        upload = uploads.get(PurePosixPath(reference).name)
        if upload is not None:
            return upload.data
        if self.image_root is None:
            raise RequestError(
                f"image {reference!r} was not uploaded; upload it with the request or send it as a data URL "
                "(this server has no --image_root to read paths from)"
            )
        relative = PurePosixPath(reference.lstrip("/"))
        path = (self.image_root / Path(*relative.parts)).resolve()
        if ".." in relative.parts or not path.is_relative_to(self.image_root):
            raise RequestError(f"image {reference!r} is outside the server's image root; name a file inside it")
        if not path.is_file():
            raise RequestError(f"image {reference!r} is neither uploaded nor a file under the server's image root")
        return path


def _decode(data_url: str) -> bytes:
    try:
        return base64.b64decode("".join(data_url.split(",", 1)[1].split()), validate=True)
    except (binascii.Error, ValueError):
        raise RequestError(f"image {_short(data_url)} is not valid base64; send data:image/png;base64,...") from None


def _short(reference: str) -> str:
    return repr(reference if len(reference) <= 60 else reference[:40] + "...")


def _remember(agent: Agent, session: ChatSession, history: Sequence[Message]) -> None:
    """Earlier user/assistant exchanges, in order, as the session's memory (an unanswered message stands alone)."""
    pending: str | None = None
    for message in history:
        if message.role == "user":
            if pending is not None:
                agent.remember(session, pending, "")
            pending = message.text
        elif message.role == "assistant":
            agent.remember(session, pending or "", message.text)
            pending = None
    if pending is not None:
        agent.remember(session, pending, "")
