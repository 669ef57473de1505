"""Operation fees: the required core fee, conversion through a fee asset's core exchange rate and
fee pool, and payment.

A fee paid in the core asset is taken from the payer and held in the payer's statistics as
``pending_fees`` (distributed at maintenance in a later issue), so it stays inside the supply
(conservation). A fee paid in another asset X is converted at X's core exchange rate
(``core_exchange_rate = core/X``, rounded down, as BitShares' ``asset * price``): the payer pays
``fee`` X into X's ``accumulated_fees`` and X's fee pool pays the converted core amount into the
payer's ``pending_fees``.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..protocol import ids
from ..protocol.fee_schedule import FeeSchedule
from ..protocol.fees import fee_for
from ..protocol.operations.base import Operation
from ..protocol.types import Asset, Price
from .errors import FeeError
from .objects import AccountStatistics
from .state import ChainState


@dataclass(frozen=True, slots=True)
class FeePlan:
    payer: ids.ObjectId
    fee: Asset
    core_fee_paid: int


FLAT_FEE_OPERATIONS = frozenset({1, 2, 77})
"""Operations whose fee depends on the schedule alone, never on their contents (limit orders)."""

_flat_fees: dict[int, tuple[FeeSchedule, int]] = {}


def required_core_fee(state: ChainState, op: Operation) -> int:
    schedule = state.params.current_fees
    op_id = op.op_id
    if op_id in FLAT_FEE_OPERATIONS:  # a pure function of the (immutable) schedule: remember it
        hit = _flat_fees.get(op_id)
        if hit is not None and hit[0] is schedule:
            return hit[1]
        fee = fee_for(schedule, op)
        _flat_fees[op_id] = (schedule, fee)
        return fee
    return fee_for(schedule, op)


def convert_to_core(amount: int, cer: Price) -> int:
    """``amount`` of the fee asset in core units at ``cer`` (core/X or X/core), rounded down."""
    if cer.base.asset_id == ids.CORE_ASSET:
        return amount * cer.base.amount // cer.quote.amount
    return amount * cer.quote.amount // cer.base.amount


def prepare_fee(state: ChainState, op: Operation) -> FeePlan:
    """Check that ``op.fee`` covers the required fee and can be paid; change nothing."""
    fee = op.fee_amount
    required = required_core_fee(state, op)
    payer = op.fee_payer
    if fee.asset_id == ids.CORE_ASSET:
        core_paid = fee.amount
    else:
        asset = state.asset(fee.asset_id)
        core_paid = convert_to_core(fee.amount, asset.options.core_exchange_rate)
        pool = state.asset_dynamic(asset).fee_pool
        if pool < core_paid:
            raise FeeError(
                f"fee pool of {asset.symbol} has {state.fmt(pool, ids.CORE_ASSET)}, "
                f"needs {state.fmt(core_paid, ids.CORE_ASSET)} to convert the fee"
            )
    if core_paid < required:
        raise FeeError(
            f"insufficient fee: {type(op).__name__} needs {state.fmt(required, ids.CORE_ASSET)}, "
            f"paid {state.fmt_asset(fee)} (worth {state.fmt(core_paid, ids.CORE_ASSET)})"
        )
    state.require_balance(payer, fee)
    return FeePlan(payer, fee, core_paid)


def take_fee(state: ChainState, plan: FeePlan) -> None:
    """Take the fee from the payer (and the converted core amount from the fee asset's pool), without
    booking it as paid: a limit order holds it as a deferred fee until its first fill or its
    cancellation (core's ``limit_order_create_evaluator::pay_fee``)."""
    if plan.fee.amount == 0:
        return
    state.adjust_balance(plan.payer, plan.fee.asset_id, -plan.fee.amount)
    if plan.fee.asset_id != ids.CORE_ASSET:
        dyn = state.asset_dynamic(state.asset(plan.fee.asset_id))
        with state.db.modify(dyn) as d:
            d.fee_pool -= plan.core_fee_paid


def pay_fee(state: ChainState, plan: FeePlan) -> None:
    if plan.fee.amount == 0:
        return
    take_fee(state, plan)
    if plan.fee.asset_id != ids.CORE_ASSET:
        dyn = state.asset_dynamic(state.asset(plan.fee.asset_id))
        with state.db.modify(dyn) as d:
            d.accumulated_fees += plan.fee.amount
    book_core_fee(state, plan.payer, plan.core_fee_paid)


def book_core_fee(state: ChainState, payer: ids.ObjectId, core_amount: int) -> None:
    """Book ``core_amount`` as a fee paid by ``payer`` (core's ``account_statistics::pay_fee``):
    held in its statistics' ``pending_fees`` until maintenance distributes it."""
    if core_amount == 0:
        return
    stats = state.db.get(state.account(payer).statistics, AccountStatistics)
    with state.db.modify(stats) as s:
        s.pending_fees += core_amount
        s.lifetime_fees_paid += core_amount
