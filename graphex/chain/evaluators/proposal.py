"""Proposal evaluators (being written)."""

from __future__ import annotations

from typing import Any


def expire_proposal(state: Any, proposal: Any) -> None:
    state.db.remove(proposal)
