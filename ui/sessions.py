"""Sessions of the demo: one workspace each, one turn at a time, and their folders removed when they end.

A session's folder is removed when the session is closed (New session, a closed tab, an idle timeout) and
all of them when the process exits. Closing a session whose turn is still running stops that turn and
leaves the folder to the turn's end, so a turn never loses its files under it. Folders left by a process
that was killed (``kill -9``) are removed by the next start.
"""

from __future__ import annotations

import atexit
import logging
import os
import shutil
import signal
import tempfile
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agent.loop import ChatSession
from tools.workspace import DEFAULT_MAX_PIXELS, Workspace

logger = logging.getLogger(__name__)

SESSIONS_PREFIX = "gpt4tools-sessions-"
OWNER_FILE = "owner.pid"  # the id of the process a temporary folder belongs to
# How long a closed session's folder outlives it in the demo: a client may still be fetching an image the last
# update of a turn showed (New session during it; gradio_client downloads every file of an update). On a busy
# 2-core machine a client took longer than 30 s to come to those downloads; the folder holds only that session's
# images, and its memory is dropped at once.
SHOWN_FILES_GRACE_SECONDS = 300.0


def owned_temp_dir(prefix: str, base: Path | None = None) -> Path:
    """A new temporary folder (in ``base``, default the system's) removed when this process exits; first
    removes the folders there with the same ``prefix`` whose owning process no longer runs (left by a kill)."""
    base = base or Path(tempfile.gettempdir())
    base.mkdir(parents=True, exist_ok=True)
    for stale in base.glob(f"{prefix}*"):
        owner = stale / OWNER_FILE
        try:
            pid = int(owner.read_text())
        except (OSError, ValueError):
            continue  # not ours, or still being created
        if not _alive(pid):
            shutil.rmtree(stale, ignore_errors=True)
            logger.info("removed %s, left by process %d", stale, pid)
    folder = Path(tempfile.mkdtemp(prefix=prefix, dir=base))
    (folder / OWNER_FILE).write_text(str(os.getpid()))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


def served_folder() -> Path:
    """Gradio's file cache: a file shown from there is served as it is, while any other file is hashed and
    copied into it at every update of the chat (every image of the conversation, several times a second while
    the model streams)."""
    from gradio.utils import get_upload_folder

    return Path(get_upload_folder())


def interrupt_on_sigterm() -> None:
    """Make SIGTERM (``kill``) end the process as Ctrl-C does, so its folders are removed on the way out."""

    def interrupt(_signum: int, _frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


class TurnGuard:
    """One turn at a time per session, stoppable from another thread, and closable while a turn runs."""

    def __init__(self) -> None:
        self._lock = threading.Condition()
        self._cancel: threading.Event | None = None
        self._stop_next = False
        self._on_stop: list[Callable[[], None]] = []
        self.closed = False

    @property
    def running(self) -> bool:
        return self._cancel is not None

    def begin(self) -> threading.Event | None:
        """Start a turn: its cancel event (already set when Stop came while it waited in the queue), or
        ``None`` when a turn is running or the session is closed."""
        with self._lock:
            if self._cancel is not None or self.closed:
                return None
            self._cancel = threading.Event()
            if self._stop_next:
                self._cancel.set()
                self._stop_next = False
            return self._cancel

    def on_stop(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` when the running turn is stopped or closed (at once if it already is, or none runs):
        how a turn blocked elsewhere than in the model ends early, e.g. by cancelling its running plan."""
        with self._lock:
            if self._cancel is not None and not self._cancel.is_set():
                self._on_stop.append(callback)
                return
        callback()

    def _stop_running(self) -> list[Callable[[], None]]:
        """Under the lock: set the running turn's cancel event (if one runs); the callbacks to call then, outside
        the lock (a callback may take other locks)."""
        if self._cancel is None:
            return []
        self._cancel.set()
        callbacks, self._on_stop = self._on_stop, []
        return callbacks

    def end(self) -> bool:
        """End the running turn; returns whether the session was closed meanwhile (its folder is then the
        caller's to remove)."""
        with self._lock:
            self._cancel = None
            self._on_stop = []
            self._lock.notify_all()
            return self.closed

    def stop(self, queued: bool = False) -> bool:
        """Stop the running turn, or with ``queued`` the one waiting for the model; returns whether there was
        one to stop."""
        with self._lock:
            if self._cancel is None:
                self._stop_next = queued
                return queued
            callbacks = self._stop_running()
        for callback in callbacks:
            callback()
        return True

    def close(self) -> bool:
        """Mark the session closed and stop its turn; returns whether a turn is still running."""
        with self._lock:
            self.closed = True
            running = self._cancel is not None
            callbacks = self._stop_running()
        for callback in callbacks:
            callback()
        return running

    def wait_idle(self, timeout: float) -> bool:
        """Wait until no turn runs (at most ``timeout`` seconds); returns whether none does."""
        with self._lock:
            return self._lock.wait_for(lambda: self._cancel is None, timeout)


@dataclass(frozen=True)
class PendingMessage:
    """A message shown in the chat and waiting for the model: its text and the image files sent with it."""

    text: str
    files: tuple[str, ...] = ()
    planned: bool = False  # answered by planning first rather than by the ReAct loop


@dataclass(eq=False)
class BrowserSession:
    """Everything one browser tab owns: the agent's session, the messages shown, the trace and its turn."""

    chat: ChatSession
    messages: list[dict[str, Any]] = field(default_factory=list)
    trace: list[list[Any]] = field(default_factory=list)
    turn: TurnGuard = field(default_factory=TurnGuard)
    pending: PendingMessage | None = None
    last_message: str = ""  # what Retry sends again
    turn_start: int = 0  # where the last turn's messages begin (Retry replaces them)
    plan_graph: str = ""  # the last planned message's task graph (SVG) and its steps as table rows
    plan_rows: list[list[str]] = field(default_factory=list)


class SessionFactory:
    """Creates sessions with a fresh workspace folder each, and removes it when the session ends."""

    def __init__(
        self, root: str | Path | None = None, max_pixels: int = DEFAULT_MAX_PIXELS, grace_seconds: float = 0.0
    ) -> None:
        """``grace_seconds``: how long a closed session's folder stays, so that files already shown still load."""
        self.root = Path(root) if root else owned_temp_dir(SESSIONS_PREFIX, served_folder())
        self.root.mkdir(parents=True, exist_ok=True)
        self.max_pixels = max_pixels
        self.grace_seconds = grace_seconds

    def new(self) -> BrowserSession:
        workspace = Workspace(self.root / uuid.uuid4().hex, max_pixels=self.max_pixels)
        return BrowserSession(ChatSession(workspace))

    def close(self, session: BrowserSession | None) -> None:
        """End ``session`` without blocking: stop its turn; its folder goes now, or when that turn ends."""
        if session is not None and not session.turn.close():
            self.discard(session)

    def discard(self, session: BrowserSession) -> None:
        """Remove a closed session's folder (after ``grace_seconds``) and drop what it holds now (gradio may keep
        the object a while)."""
        folder = session.chat.workspace.root
        if self.grace_seconds > 0:
            timer = threading.Timer(self.grace_seconds, shutil.rmtree, (folder,), {"ignore_errors": True})
            timer.daemon = True  # the folders left at exit go with remove_all
            timer.start()
        else:
            shutil.rmtree(folder, ignore_errors=True)
        session.messages = []
        session.trace = []
        session.plan_graph, session.plan_rows = "", []
        session.pending = None
        session.chat.memory.clear()

    def workspaces(self) -> list[Path]:
        """The session folders that exist now."""
        return [path for path in self.root.iterdir() if path.is_dir()]

    def remove_all(self) -> None:
        """Remove every session folder (at exit)."""
        for path in self.workspaces():
            shutil.rmtree(path, ignore_errors=True)
