"""The bug channel: a broken invariant raises :class:`InvariantError`, which ``python -O`` cannot strip.

Expected bad input raises a typed error naming the rule; ``invariant`` is for conditions that can only
fail through a bug in graphex itself. Block production should stop loudly when one is raised.
"""

from __future__ import annotations

from typing import NoReturn


class InvariantError(RuntimeError):
    """An internal invariant was broken: a bug, not bad input."""


def invariant(cond: bool, message: str) -> None:
    """Raise :class:`InvariantError` with ``message`` unless ``cond`` holds (unlike ``assert``, survives -O)."""
    if not cond:
        raise InvariantError(message)


def broken(message: str) -> NoReturn:
    """Raise :class:`InvariantError` unconditionally (for unreachable branches)."""
    raise InvariantError(message)
