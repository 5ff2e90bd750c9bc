"""One training run per output directory: an exclusive lock that names the process holding it.

The lock is an ``flock`` on ``OUTPUT_DIR/.lock``. The kernel releases it when its process ends, however it
ends, so a killed run leaves no lock behind: a file naming a dead PID is simply taken over. Workers that
outlive a killed ``torchrun`` launcher still hold it, so a rerun cannot race them.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

from protocol.errors import InputError

LOCK_FILE = ".lock"


class OutputDirBusyError(RuntimeError, InputError):
    """Another live process is training into the same output directory."""


@contextlib.contextmanager
def output_dir_lock(directory: str | Path) -> Iterator[Path]:
    """Hold ``directory``'s lock (creating the directory) for the body; a directory this call created and the
    body left empty is removed again, so a run refused early leaves nothing behind."""
    directory = Path(directory)
    created = not directory.exists()
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / LOCK_FILE
    handle = _acquire(path)
    try:
        yield directory
    finally:
        path.unlink(missing_ok=True)
        handle.close()
        if created and not any(directory.iterdir()):
            directory.rmdir()


def _acquire(path: Path) -> TextIO:
    while True:
        handle = path.open("a+", encoding="utf-8")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            handle.close()
            raise OutputDirBusyError(
                f"{path.parent} is in use by another training run (PID {holder}); wait for it to end or stop it "
                f"(kill {holder}), or pass another --output_dir"
            ) from None
        # The holder before us unlinks the file as it releases the lock; if that happened between our open and
        # our flock, we hold a lock on a removed file, and must lock the one now at the path instead.
        with contextlib.suppress(FileNotFoundError):
            if os.stat(path).st_ino == os.fstat(handle.fileno()).st_ino:
                handle.seek(0)
                handle.truncate()
                handle.write(f"{os.getpid()}\n")
                handle.flush()
                return handle
        handle.close()
