"""Helpers shared by the evaluator tests: pay the right fee, push, and expect a clean refusal."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgspec
import pytest

from graphex.chain.errors import ChainError
from graphex.protocol.fees import fee_for
from graphex.protocol.keys import PrivateKey
from graphex.protocol.operations.base import Operation
from graphex.protocol.types import Asset
from graphex.testing.chain import GPX, DevChain

Signer = str | PrivateKey


def with_fee(chain: DevChain, op: Operation) -> Any:
    """``op`` with its fee set to exactly the required core fee."""
    return msgspec.structs.replace(op, fee=Asset(fee_for(chain.state.params.current_fees, op), GPX))


def push(chain: DevChain, op: Operation, signers: Sequence[Signer] = ("alice",)) -> Any:
    """Push ``op`` (fee filled in) in its own block; returns the processed transaction."""
    return chain.push([with_fee(chain, op)], list(signers))


def refuse(chain: DevChain, op: Operation, error: type[ChainError], match: str,
           signers: Sequence[Signer] = ("alice",)) -> None:
    """``op`` is refused with ``error`` matching ``match``, and neither state nor head changes."""
    before, head = chain.state.state_hash(), chain.state.head_num
    with pytest.raises(error, match=match):
        chain.push([with_fee(chain, op)], list(signers))
    assert chain.state.state_hash() == before
    assert chain.state.head_num == head
