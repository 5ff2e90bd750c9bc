"""Driving the real demo as people do: ``python gpt4tools.py`` in a child process, talked to through gradio_client.

Used by ``drive_demo.py`` (scripted turns with idle gaps, two sessions at once: crashes and broken guarantees)
and ``bench_demo_memory.py`` (the server's memory over many turns). Each turn is checked against what the
demo guarantees (docs/demo.md): no crash shown in the chat, no result announced after a failed last tool
call, "upload an image" when there is none, the length limit, Stop and New session during a turn.
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from agent.loop import DEFAULT_MAX_INPUT_CHARS, NEEDS_IMAGE  # noqa: E402
from ui.sessions import OWNER_FILE, SESSIONS_PREFIX, served_folder  # noqa: E402

logger = logging.getLogger("demo_driver")

PHOTOS = ("astronaut", "coffee", "chelsea", "rocket", "camera")
# a photo with a person and a sign, for the requests about writing; named so no request's words name it
SIGN_PHOTO = ("renter", {"sample": "astronaut", "paste": {"sign": "FOR RENT\nCALL 555-0147"}, "at": [58, 352]})
REQUESTS = (
    "Show me the edges of the image",
    "Detect the pose of the person",
    "Turn it into a sketch",
    "Remove the background",
    "Find the faces in this photo",
    "Rotate it 90 degrees",
    "Show me the straight lines in the image",
    "What can you do?",
    "Crop the middle of the picture",
    "How many faces does it have?",
    "Make it black and white and rotate it 45 degrees",
    "Zoom in on the face",
    "Make it a bit smaller",
    "Compare it with the original: what changed?",
    "Make the blur stronger",
    "Now undo the last two changes",
    "Flip it and show me the edges",
    "Which photo has a cat?",
    "What does the sign say?",
    "Put a box around the text",
    "Blur her face and the phone number",
    "Crop to the sign",
    "I want to post this online, can you hide anything personal?",
    "Can I see the original again",
    "Actually make the blur stronger",
    "Blur the top half and the bottom half",
    "Is it square now?",
    "What model are you?",
    "Whats the phone number on the sign",
    "Blur it",
    "How much did you rotate it?",
    "Resize it",
    "Too much, go back one",
    "Show me the cat one",
    "Blur the cup",
    "How big is the box?",
    "What is this photo of?",
    "Find the cat and put a box around it",
    "Make it a profile picture",
    "Zoom out",
    "How big is the cat in the photo?",
    "Send it to my email",
    "What's 2+2?",
    "How many tools do you have?",
    "Make a cartoon of it",
    "Crop her head",
    "What's the size of the cup?",
    "How sure are you?",
    "What are the weekend hours?",
    "Zoom in more",
    "Make it round",
    "What did you blur?",
    "How many images have we made?",
    "Can I have pets?",
    "Is it open at 6?",
    "Write a short poem about this picture",
    "Make the phone number bigger",
    "Compress it",
)
CRASH_SIGNS = ("this turn failed", "Traceback", "InferenceMode", "RuntimeError")
STARTUP_SECONDS = 900  # loading the embedded model takes ~15 s idle, minutes on a busy machine
CLIENT_TIMEOUT = 600  # seconds a request may take: on a loaded 2-core machine even the page config took > 5 s


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def photo_files(folder: Path) -> list[Path]:
    """The scikit-image photos and the photo with a sign, saved as PNG files to upload."""
    from PIL import Image
    from skimage import data

    from session_eval.images import build_image

    paths = []
    for name in PHOTOS:
        path = folder / f"{name}.png"
        Image.fromarray(getattr(data, name)()).save(path)
        paths.append(path)
    name, spec = SIGN_PHOTO
    build_image(spec, name).save(folder / f"{name}.png")
    return [*paths, folder / f"{name}.png"]


def add_server_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--tiny", action="store_true", help="a tiny random model instead of the embedded one")
    parser.add_argument("--threads", type=int, default=None, help="OMP_NUM_THREADS of the server")


def start_demo(folder: Path, options: argparse.Namespace) -> DemoServer:
    """Start the demo as the options say (``--tiny``: a tiny random model, a quick run whose turns are fast and
    meaningless) and wait until it answers."""
    args = []
    if options.tiny:
        from tests.tiny_model import build_tiny_model

        model = build_tiny_model(folder / "tiny-llama")
        args = ["--base_model", str(model), "--lora_model", "none", "--max_new_tokens", "24"]
    server = DemoServer(args, folder / "server.log", options.threads)
    try:
        seconds = server.wait_ready()
    except BaseException:
        server.stop()
        raise
    print(f"demo started in {seconds:.0f} s ({'tiny model' if options.tiny else 'embedded SmolLM2 + shipped adapter'})")
    return server


class DemoServer:
    """``python gpt4tools.py ARGS --server_port PORT`` in a child process, with its memory and log."""

    def __init__(self, args: list[str], log_path: Path, threads: int | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        env = {**os.environ, "GRADIO_ANALYTICS_ENABLED": "False", "HF_HUB_OFFLINE": "1"}
        if threads:
            env["OMP_NUM_THREADS"] = str(threads)
        self.log_path = log_path
        self._log = log_path.open("w")
        command = [sys.executable, "gpt4tools.py", "--server_port", str(self.port), *args]
        self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT)

    def wait_ready(self, timeout: float = STARTUP_SECONDS) -> float:
        """Wait until the app answers; returns the seconds it took."""
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            if self.process.poll() is not None:
                raise RuntimeError(f"the demo exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(self.url, timeout=5) as response:
                    if response.status == 200:
                        return time.monotonic() - started
            except OSError:
                time.sleep(1)
        raise TimeoutError(f"the demo did not answer within {timeout:.0f} s:\n{self.log_tail()}")

    def memory_mb(self) -> tuple[float, float]:
        """The server's resident memory now and its peak so far, in MB."""
        fields = dict(line.split(":", 1) for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines())
        return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024

    def session_folders(self) -> list[Path]:
        """The session folders this server created that still exist."""
        roots = [
            path
            for path in served_folder().glob(f"{SESSIONS_PREFIX}*")
            if (path / OWNER_FILE).is_file() and (path / OWNER_FILE).read_text().strip() == str(self.process.pid)
        ]
        return [folder for root in roots for folder in root.iterdir() if folder.is_dir()]

    def stop(self, timeout: float = 60) -> int:
        """Stop it as `kill` does (SIGTERM); returns its exit status."""
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()
        finally:
            self._log.close()

    def log_tail(self, lines: int = 40) -> str:
        self._log.flush()
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def tracebacks(self) -> int:
        self._log.flush()
        return self.log_path.read_text(errors="replace").count("Traceback")


def texts(messages: list[dict], role: str = "assistant") -> list[str]:
    return [
        part["text"]
        for message in messages or []
        if message["role"] == role
        for part in message["content"]
        if part["type"] == "text"
    ]


def browser_client(url: str) -> Any:
    """A gradio_client ``Client`` that receives the chat as a web page does: files as URLs.

    gradio_client's default downloads every file of every update it receives, so a streamed turn fetched the whole
    chat's images about ten times a second (a third of a core on the client, and as much on the server that serves
    them); a page fetches an image once. :class:`ImageFetcher` does that part.
    """
    from gradio_client import Client

    return Client(url, verbose=False, download_files=False, httpx_kwargs={"timeout": CLIENT_TIMEOUT})


class ImageFetcher:
    """Fetches each file a chat shows once, when it first appears, as the page renders it."""

    def __init__(self) -> None:
        self.seen: set[str] = set()

    def __call__(self, messages: list[dict] | None) -> int:
        """Fetch the files of ``messages`` not fetched before; returns how many."""
        import httpx

        urls = [
            part["file"]["url"]
            for message in messages or []
            for part in message["content"]
            if part["type"] == "file" and part["file"].get("url")
        ]
        fresh = [url for url in dict.fromkeys(urls) if url not in self.seen]
        for url in fresh:
            httpx.get(url, timeout=CLIENT_TIMEOUT).raise_for_status()
            self.seen.add(url)
        return len(fresh)


@dataclass
class TurnRecord:
    """What one scripted action did."""

    session: int
    kind: str
    prompt: str
    seconds: float
    answer: str = ""
    images: int = 0
    crash: str = ""
    violation: str = ""


class DemoSession:
    """One browser session over gradio_client: upload, chat, Stop, New session."""

    def __init__(self, url: str, index: int) -> None:
        self.client = browser_client(url)
        self.images = ImageFetcher()
        self.index = index
        self.has_image = False
        self.last_turn = 0  # the trace's turn number of the last turn judged

    def _record(self, kind: str, prompt: str, action: Callable[[], Any]) -> tuple[TurnRecord, Any]:
        started = time.monotonic()
        try:
            result = action()
        except Exception as error:  # the client saw an error: that is a crash
            return TurnRecord(self.index, kind, prompt, time.monotonic() - started, crash=repr(error)[:300]), None
        return TurnRecord(self.index, kind, prompt, time.monotonic() - started), result

    def upload(self, photo: Path) -> TurnRecord:
        from gradio_client import handle_file

        record, result = self._record("upload", photo.name, lambda: self.client.predict(handle_file(str(photo)),
                                                                                        api_name="/upload"))  # fmt: skip
        if result is not None:
            record.answer = (texts(result[0]) or [""])[-1]
            self.has_image = record.answer.startswith("Received")
            if not self.has_image:
                record.violation = f"upload not received: {record.answer[:200]}"
        return record

    def chat(self, text: str, kind: str = "chat") -> TurnRecord:
        record, result = self._record(kind, text, lambda: self.client.predict(text, api_name="/chat"))
        if result is not None:
            self.images(result[1])
            self.judge(record, result[1], result[2])
        return record

    def chat_interrupted(self, text: str, kind: str, after: float, interrupt: Callable[[], Any]) -> TurnRecord:
        """Send ``text`` and call ``interrupt`` (Stop, or New session here or in another session) ``after``
        seconds into the turn."""
        started = time.monotonic()
        job = self.client.submit(text, api_name="/chat")
        time.sleep(after)
        seen = self.last_turn
        try:
            interrupt()
            outputs = job.result(timeout=STARTUP_SECONDS)
        except Exception as error:
            return TurnRecord(self.index, kind, text, time.monotonic() - started, crash=repr(error)[:300])
        record = TurnRecord(self.index, kind, text, time.monotonic() - started)
        # New session here cleared the count, while the turn's trace is still the old session's: judged by the rows
        # after the ones seen before it (the old session's earlier failed call had counted as this turn's)
        cleared, self.last_turn = self.last_turn != seen, seen
        self.judge(record, outputs[1], outputs[2])
        self.last_turn = 0 if cleared else self.last_turn
        return record

    def stop(self) -> None:
        self.client.predict(api_name="/stop")

    def new_session(self) -> None:
        self.client.predict(api_name="/new_session")
        self.has_image = False
        self.last_turn = 0

    def judge(self, record: TurnRecord, messages: list[dict], trace: dict | list | None) -> None:
        """Fill in the answer and flag a crash or a broken guarantee (a result announced after a failed call)."""
        said = texts(messages)
        record.answer = said[-1] if said else ""
        record.images = sum(1 for message in (messages or [])[-3:] for part in message["content"]
                            if part["type"] == "file" and message["role"] == "assistant")  # fmt: skip
        crash = next((sign for sign in CRASH_SIGNS if sign in "\n".join(said)), "")
        if crash:
            record.crash = f"{crash!r} in the chat: {record.answer[:200]}"
        rows = [row for row in (trace.get("data", []) if isinstance(trace, dict) else trace or []) if row[0] != ""]
        new = [row for row in rows if int(row[0]) > self.last_turn]
        self.last_turn = max([int(row[0]) for row in rows], default=self.last_turn)
        calls = [row for row in new if not str(row[2]).startswith("(")]  # "(reply not in the format)" is no call
        # the agent's own words after a failure: its rewrite, its step-limit message, a stopped turn
        honest = record.answer.startswith(("I could not", "Stopped")) or "the last step failed" in record.answer.lower()
        # a turn that New session cut off ends on a step still in progress: it announced nothing
        cut_off = bool(messages) and ((messages[-1].get("metadata") or {}).get("status") == "pending")
        if calls and calls[-1][5] == "no" and not honest and not cut_off:
            record.violation = f"a result announced after a failed call: {record.answer[:200]}"


@dataclass
class Script:
    """What the sessions do: how many turns, the idle gaps between them and how often each odd action comes."""

    turns: int
    sessions: int = 2
    max_gap: float = 0.0  # seconds of idle time between two actions of a session (uniform up to this)
    long_gap_every: int = 0  # every Nth action waits 15 s first (the "upload, wait 15 s, ask")
    odd_every: int = 0  # every Nth turn is an odd one (refused path, no image, too long, Stop, New session)
    seed: int = 0
    records: list[TurnRecord] = field(default_factory=list)


ODD_KINDS = ("refused", "no_image", "too_long", "stop", "reset", "other_reset")


def run_script(
    server: DemoServer,
    script: Script,
    photos: list[Path],
    on_turn: Callable[[int, TurnRecord], None] = lambda count, record: None,
    odd_kinds: Sequence[str] = ODD_KINDS,
) -> None:
    """Run ``script.turns`` chat turns spread over ``script.sessions`` concurrent sessions; every
    ``script.odd_every``-th turn is the next of ``odd_kinds`` (see :func:`odd_turn`)."""
    lock = threading.Lock()
    sessions = [DemoSession(server.url, index) for index in range(script.sessions)]
    counter = iter(range(script.turns))

    def next_turn() -> int | None:
        with lock:
            return next(counter, None)

    def add(record: TurnRecord) -> None:
        with lock:
            script.records.append(record)
            if record.kind != "upload":
                on_turn(sum(r.kind != "upload" for r in script.records), record)

    def worker(session: DemoSession) -> None:
        rng = random.Random(script.seed * 100 + session.index)
        actions = 0
        while (turn := next_turn()) is not None:
            actions += 1
            if script.long_gap_every and actions % script.long_gap_every == 0:
                time.sleep(15)
            elif script.max_gap:
                time.sleep(rng.uniform(0, script.max_gap))
            if not session.has_image or rng.random() < 0.15:
                add(session.upload(rng.choice(photos)))
            odd = script.odd_every and turn % script.odd_every == script.odd_every - 1
            if odd:
                kind = odd_kinds[(turn // script.odd_every) % len(odd_kinds)]
                for record in odd_turn(session, sessions, kind, rng, photos):
                    add(record)
            else:
                add(session.chat(rng.choice(REQUESTS)))

    threads = [threading.Thread(target=worker, args=(session,)) for session in sessions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def odd_turn(
    session: DemoSession, sessions: list[DemoSession], kind: str, rng: random.Random, photos: list[Path]
) -> list[TurnRecord]:
    """One of the turns the issue found broken, checked against what must happen; ``fresh`` is a New session,
    an upload and an ordinary turn."""
    if kind == "refused":
        record = session.chat("show me the edges of /etc/passwd", "refused")
        if "ready" in record.answer.lower() and not record.images:
            record.violation = f"announced a result that was not made: {record.answer[:200]}"
        return [record]
    if kind == "no_image":
        session.new_session()
        record = session.chat("rotate it 90 degrees", "no_image")
        if record.answer != NEEDS_IMAGE:
            record.violation = f"no image, yet: {record.answer[:200]}"
        return [record]
    if kind == "too_long":
        record = session.chat("edges " * (DEFAULT_MAX_INPUT_CHARS // 6 + 10), "too_long")
        if not record.answer.startswith("Your message is"):
            record.violation = f"an over-long message was taken: {record.answer[:200]}"
        return [record]
    if kind == "stop":
        record = session.chat_interrupted(rng.choice(REQUESTS), "stop", 1.5, session.stop)
        record.violation = record.violation or ("" if record.answer else "no answer after Stop")
        return [record]
    if kind == "reset":
        record = session.chat_interrupted(rng.choice(REQUESTS), "reset", 2.5, session.new_session)
        return [record, session.chat("hello", "after_reset")]  # the fresh session works
    if kind == "fresh":
        session.new_session()
        return [session.upload(rng.choice(photos)), session.chat(rng.choice(REQUESTS))]
    other = sessions[(session.index + 1) % len(sessions)]
    return [session.chat_interrupted(rng.choice(REQUESTS), "other_reset", 2.5, other.new_session)]


def turn_line(count: int, record: TurnRecord) -> str:
    """One finished turn, as the scripts print it while they run."""
    trouble = f"  <- {record.crash or record.violation}" if record.crash or record.violation else ""
    asked = f"{record.prompt[:40]!r} -> " if record.prompt else ""
    return f"{count:>4} s{record.session} {record.kind:<11} {record.seconds:7.1f} s  {asked}{record.answer[:90]!r}{trouble}"


def summary(records: list[TurnRecord]) -> str:
    """Counts, crashes, broken guarantees and timings per kind of action."""
    lines = []
    kinds = sorted({record.kind for record in records})
    lines.append(f"{'action':<12} {'count':>5} {'crashes':>7} {'broken':>6} {'median s':>8} {'p90 s':>7} {'max s':>7}")
    for kind in kinds:
        group = [record for record in records if record.kind == kind]
        seconds = sorted(record.seconds for record in group)
        p90 = seconds[min(len(seconds) - 1, round(0.9 * (len(seconds) - 1)))]
        lines.append(
            f"{kind:<12} {len(group):>5} {sum(bool(r.crash) for r in group):>7} {sum(bool(r.violation) for r in group):>6} "
            f"{statistics.median(seconds):>8.1f} {p90:>7.1f} {seconds[-1]:>7.1f}"
        )
    chats = [record for record in records if record.kind == "chat"]
    if chats:
        with_image = sum(record.images > 0 for record in chats)
        lines.append(f"ordinary turns that showed an image: {with_image}/{len(chats)}")
    for record in records:
        if record.crash or record.violation:
            lines.append(f"  session {record.session} {record.kind} {record.prompt[:40]!r}: "
                         f"{record.crash or record.violation}")  # fmt: skip
    return "\n".join(lines)


def answer_kinds(records: list[TurnRecord]) -> dict[str, int]:
    """How the ordinary turns ended: an image, an honest failure, a 'needs an image', other text."""
    kinds: dict[str, int] = {}
    for record in records:
        if record.kind != "chat":
            continue
        if record.images:
            key = "image"
        elif record.answer.startswith("I could not do that"):
            key = "honest failure"
        elif record.answer == NEEDS_IMAGE:
            key = "needs an image"
        elif re.match(r"I could not finish", record.answer):
            key = "step limit"
        else:
            key = "text only"
        kinds[key] = kinds.get(key, 0) + 1
    return kinds
