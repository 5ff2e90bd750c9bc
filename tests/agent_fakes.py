"""Scripted stand-ins for the language model and the tool runtime, for agent and app tests."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence

from protocol.steps import OBSERVATION
from tools.catalog import default_registry
from tools.errors import ToolError
from tools.runtime import Observation
from tools.workspace import Workspace

_UPLOADED_RE = re.compile(r"image/[0-9a-f]{8}\.png")
OBSERVED_IMAGE_RE = re.compile(r"Observation: (image/\S+\.png)")


def pieces(text: str, size: int = 5) -> Iterator[str]:
    """``text`` in small pieces, as a streaming model yields it."""
    for start in range(0, len(text), size):
        yield text[start : start + size]


class ScriptedLLM:
    """Replies from a script, in order (the last one repeats; a function of the prompt for a reply that names what
    an earlier step made); records every prompt it was given."""

    def __init__(self, replies: Sequence[str | Callable[[str], str]]) -> None:
        self.replies = list(replies)
        self.prompts: list[str] = []

    def stream(self, prompt: str, max_new_tokens: int = 128) -> Iterator[str]:
        reply = self.replies[min(len(self.prompts), len(self.replies) - 1)]
        self.prompts.append(prompt)
        yield from pieces(reply(prompt) if callable(reply) else reply)


class EdgeMapLLM:
    """A stateless fake that asks for the edges of the latest uploaded image, then shows the result.

    It reads only its prompt, so concurrent sessions each get the answer about their own image.
    """

    def stream(self, prompt: str, max_new_tokens: int = 128) -> Iterator[str]:
        observed = OBSERVED_IMAGE_RE.findall(prompt)
        if observed:
            reply = f"Thought: Do I need to use a tool? No\nAI: Here is the edge map: {observed[-1]}"
        else:
            uploaded = _UPLOADED_RE.findall(prompt)
            image = uploaded[-1] if uploaded else "no-image.png"
            reply = (
                f"Thought: Do I need to use a tool? Yes\nAction: Edge Detection On Image\n"
                f"Action Input: {image}\n{OBSERVATION}"
            )
        yield from pieces(reply)


class FakeRuntime:
    """The ``ToolRuntime`` contract over PIL filters: image tools save a filtered copy, captioning answers text."""

    def __init__(
        self,
        names: Sequence[str] = ("Edge Detection On Image", "Pose Detection On Image"),
        caption: str = "an astronaut in a white suit.",
        fail: Callable[[str], str | None] = lambda tool: None,
        found: str = "face [0, 0, 8, 8]",
    ) -> None:
        self.available = default_registry().subset(names)
        self.found = found  # what Detection finds
        self.unavailable = {"ImageCaptioning": "no BLIP checkpoint offline"}
        self.caption = caption
        self.fail = fail
        self.calls: list[tuple[str, str]] = []

    def run(self, tool_name: str, action_input: str, workspace: Workspace) -> Observation:
        from PIL import Image, ImageFilter

        self.calls.append((tool_name, action_input))
        if tool_name not in self.available:
            return Observation(f"unknown tool {tool_name!r}; valid tools: {', '.join(self.available.names)}", False)
        failure = self.fail(tool_name)
        if failure:
            return Observation(failure, False)
        if tool_name == "Generate Image From User Input Text":  # makes an image from words alone
            name = workspace.save_image(Image.new("RGB", (8, 8)), "text2image")
            return Observation(name, True, (name,), 0.01)
        source = action_input.split(",", 1)[0].strip()  # a box tool's numbers follow the image
        try:
            image = workspace.open_image(source)
        except ToolError as error:
            return Observation(str(error), False)
        if tool_name == "Get Photo Description":
            return Observation(self.caption, True)
        spec = self.available.get(tool_name)
        name = workspace.save_image(image.filter(ImageFilter.FIND_EDGES), spec.operation, source)
        if tool_name == "Detection":  # as the runtime: the boxes for the model, the drawn copy for the human
            return Observation(self.found, True, (name,), 0.01)
        return Observation(name, True, (name,), 0.01)


class GatedLLM:
    """Wraps a fake model: after the first piece of each reply it waits until ``gate`` is set, so a test can act
    while a turn is in the middle of streaming; ``streaming`` is set once a reply has started."""

    def __init__(self, llm: EdgeMapLLM | ScriptedLLM, timeout: float = 30.0) -> None:
        import threading

        self.llm = llm
        self.gate = threading.Event()
        self.streaming = threading.Event()
        self.timeout = timeout

    def stream(self, prompt: str, max_new_tokens: int = 128) -> Iterator[str]:
        for index, piece in enumerate(self.llm.stream(prompt, max_new_tokens)):
            yield piece
            if index == 0:
                self.streaming.set()
                self.gate.wait(self.timeout)
