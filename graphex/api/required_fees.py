"""``get_required_fees``: the fee each operation needs, in a chosen fee asset.

As bitshares-core's ``get_required_fees_helper`` (libraries/app/database_api.cpp) and
``fee_schedule::set_fee`` (libraries/protocol/fee_schedule_set_fee.cpp):

- the core fee comes from the current fee schedule (:func:`graphex.protocol.fees.fee_for`);
- a fee in another asset is the core fee times the asset's ``core_exchange_rate``, rounded **up**
  (``asset::multiply_and_round_up``), so paying it always covers the core fee;
- a ``proposal_create`` gives ``[fee, [inner fees…]]``: its proposed operations' fees are set
  first (recursively, at most :data:`MAX_PROPOSAL_NESTING` levels), then its own fee is computed
  over the proposal with those fees in place.

The fee field is a fixed-size ``asset``, so setting it never changes an operation's size or fee;
core's stabilisation loop always ends after one step and is not repeated here.
"""

from __future__ import annotations

from typing import Any

import msgspec

from ..chain.state import ChainState
from ..protocol import ids
from ..protocol.codec import Json
from ..protocol.fee_schedule import FeeSchedule
from ..protocol.fees import fee_for
from ..protocol.operations.base import OPERATION, Operation
from ..protocol.operations.proposal import OpWrapper, ProposalCreate
from ..protocol.types import MAX_SHARE_SUPPLY, Asset, Price
from .queries import (
    MAX_OPERATIONS_PER_FEE_QUERY,
    QueryRefused,
    get_asset,
    object_json,
    require_count,
)

MAX_PROPOSAL_NESTING = 4
"""GET_REQUIRED_FEES_MAX_RECURSION: proposals nested in proposals, at most this deep."""

FeeResult = Json  # {amount, asset_id} or [fee, [inner results…]]


def multiply_and_round_up(amount: Asset, price: Price) -> Asset:
    """``amount`` converted through ``price`` (either direction), rounded up; as core's."""
    if amount.asset_id == price.base.asset_id:
        numerator, denominator, target = price.quote.amount, price.base.amount, price.quote.asset_id
    elif amount.asset_id == price.quote.asset_id:
        numerator, denominator, target = price.base.amount, price.quote.amount, price.base.asset_id
    else:
        raise QueryRefused(
            f"fee conversion: price {price.base.asset_id}/{price.quote.asset_id} does not "
            f"involve asset {amount.asset_id}"
        )
    if denominator <= 0:
        raise QueryRefused(f"fee conversion: core_exchange_rate has a zero or negative leg "
                           f"({price.base.amount}/{price.quote.amount})")
    result = (amount.amount * numerator + denominator - 1) // denominator
    if result > MAX_SHARE_SUPPLY:
        raise QueryRefused(
            f"fee conversion: {result} of {target} exceeds the maximum share supply "
            f"{MAX_SHARE_SUPPLY}"
        )
    return Asset(result, target)


class _FeeCalculator:
    """Fees of operations under one schedule, converted at one core exchange rate."""

    def __init__(self, schedule: FeeSchedule, cer: Price) -> None:
        self.schedule, self.cer = schedule, cer

    def fee_of(self, op: Operation) -> Asset:
        """The core fee times the rate, rounded up (the core asset's own rate is 1/1)."""
        core_fee = Asset(fee_for(self.schedule, op), ids.CORE_ASSET)
        return multiply_and_round_up(core_fee, self.cer)

    def set_fees(self, op: Operation, depth: int = 0) -> tuple[Operation, FeeResult]:
        """``op`` with its fee (and its proposed operations' fees) set, and the API result."""
        if isinstance(op, ProposalCreate):
            return self._set_proposal_fees(op, depth)
        fee = self.fee_of(op)
        return msgspec.structs.replace(op, fee=fee), object_json(fee)

    def _set_proposal_fees(self, op: ProposalCreate, depth: int) -> tuple[Operation, FeeResult]:
        if depth >= MAX_PROPOSAL_NESTING:
            raise QueryRefused(
                f"get_required_fees: proposals nested deeper than {MAX_PROPOSAL_NESTING} levels"
            )
        wrappers, inner = [], []
        for wrapper in op.proposed_ops:
            updated, result = self.set_fees(wrapper.op, depth + 1)
            wrappers.append(OpWrapper(updated))
            inner.append(result)
        with_inner = msgspec.structs.replace(op, proposed_ops=tuple(wrappers))
        fee = self.fee_of(with_inner)
        return msgspec.structs.replace(with_inner, fee=fee), [object_json(fee), inner]


def required_fees(state: ChainState, ops_json: list[Any], asset_id_or_symbol: str
                  ) -> list[FeeResult]:
    """The API result of ``get_required_fees(ops, asset_id_or_symbol)``."""
    require_count("get_required_fees", "operations", ops_json, "MAX_OPERATIONS_PER_FEE_QUERY",
                  MAX_OPERATIONS_PER_FEE_QUERY)
    ops = [OPERATION.from_json(j) for j in ops_json]
    asset = get_asset(state, asset_id_or_symbol)
    calculator = _FeeCalculator(state.params.current_fees, asset.options.core_exchange_rate)
    return [calculator.set_fees(op)[1] for op in ops]
