"""The tool runtime's errors: one small hierarchy, every message says what to do instead.

The runtime turns any :class:`ToolError` into an error observation for the model, so messages are
written for a reader who can fix the call (name the valid choices, the limit, the expected format).
Errors a person can fix (a bad ``--load`` spec) are also :class:`~protocol.errors.InputError`.
"""

from __future__ import annotations

from protocol.errors import InputError


class ToolError(Exception):
    """Base class: a tool could not run; ``str(error)`` is shown to the model or the user."""


class UnsafePathError(ToolError):
    """A file name points outside the workspace (absolute path, '..', escaping symlink)."""


class ImageFileError(ToolError):
    """An input image is missing, does not decode, or is too large."""


class ToolArgumentError(ToolError):
    """The Action Input does not fit the tool (wrong count, a number or size that does not parse)."""


class ToolUnavailableError(ToolError):
    """The tool exists but its model family is not loaded here (or could not be loaded)."""


class LoadSpecError(ToolError, InputError):
    """A ``--load`` string names an unknown family or is malformed."""


class DeviceError(LoadSpecError):
    """A ``--load`` device does not exist here (no CUDA, bad ordinal, unknown kind)."""


class CheckpointUnavailableError(ToolError):
    """A family's checkpoint cannot be had offline (not a local path, not in the Hugging Face cache)."""


class ToolExecutionError(ToolError):
    """The model or library behind a tool failed on valid input."""


class NothingFoundError(ToolExecutionError):
    """Valid input with nothing to return (no person to cut out): an answer, not a breakdown. Competing
    candidates that raise it take part in the consensus as an empty result."""
