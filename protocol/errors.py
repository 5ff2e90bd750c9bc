"""The project-wide mark of bad input: an error a person can fix by changing a file, an option or a spec.

Command-line entry points (:func:`protocol.cli.run_cli`) print such an error's message alone, without a
traceback, and exit with status 2; every message says what to do instead.
"""

from __future__ import annotations


class InputError(Exception):
    """Bad input a person can fix (a file, an option, a spec), the base or mixin of such errors; the message
    says how."""
