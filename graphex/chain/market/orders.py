"""Filling and cancelling one limit order (core: ``fill_limit_order``, ``cancel_limit_order``,
``maybe_cull_small_order`` in db_market.cpp), with the deferred creation fee's fate:

- on the first fill it becomes a paid fee (a maker gets ``maker_fee_discount_percent`` of it back,
  BSIP85); a fee paid in another asset goes to that asset's ``accumulated_fees``;
- on cancellation it is refunded in the asset it was paid in, less the cancellation fee when the
  chain cancels (expiry, dust) rather than the owner.
"""

from __future__ import annotations

from ...protocol import ids
from ...protocol.fees import fee_for
from ...protocol.operations import FillOrder, LimitOrderCancel, LimitOrderCreate, LimitOrderUpdate
from ...protocol.operations.base import asset_result
from ...protocol.types import Asset, Price
from ..fees import book_core_fee
from ..objects import AccountStatistics
from ..state import ChainState
from .fees import pay_market_fees
from .objects import LimitOrder
from .price import mul_down, percent_of


def add_core_in_orders(state: ChainState, account: ids.ObjectId, delta: int) -> None:
    """Keep ``account_statistics.total_core_in_orders`` (core locked in open orders)."""
    stats = state.db.get(state.account(account).statistics, AccountStatistics)
    with state.db.modify(stats) as s:
        s.total_core_in_orders += delta


def fill_limit_order(state: ChainState, order: LimitOrder, pays: int, receives: Asset,
                     cull_if_small: bool, fill_price: Price, is_maker: bool) -> bool:
    """``order`` pays ``pays`` of its sold asset and receives ``receives`` (less market fees).

    Emits ``fill_order``; returns True when the order is gone (filled, or culled as dust)."""
    seller = order.seller
    sold = order.sell_price.base.asset_id
    recv_asset = state.asset(receives.asset_id)
    fee = pay_market_fees(state, seller, recv_asset, receives.amount, is_maker)
    state.adjust_balance(seller, receives.asset_id, receives.amount - fee)
    if sold == ids.CORE_ASSET:
        add_core_in_orders(state, seller, -pays)
    state.applied.push(FillOrder(
        Asset(fee, receives.asset_id), order.id, seller, Asset(pays, sold), receives,
        fill_price, is_maker,
    ))
    if order.deferred_fee or order.deferred_paid_fee.amount:
        _settle_deferred_fee(state, order, is_maker)
    if pays == order.for_sale:
        state.db.remove(order)
        return True
    with state.db.modify(order) as o:
        o.for_sale -= pays
        o.filled_amount += pays
        o.deferred_fee = 0
        o.deferred_paid_fee = Asset(0, o.deferred_paid_fee.asset_id)
    if cull_if_small:
        return maybe_cull_small_order(state, order)
    return False


def _settle_deferred_fee(state: ChainState, order: LimitOrder, is_maker: bool) -> None:
    deferred_core = order.deferred_fee
    paid = order.deferred_paid_fee
    discount = state.params.maker_fee_discount_percent if is_maker else 0
    if paid.amount > 0:
        paid_kept, pool_refund = paid.amount, 0
        if discount > 0:
            refund = percent_of(paid.amount, discount)
            if refund > 0:
                state.adjust_balance(order.seller, paid.asset_id, refund)
                paid_kept -= refund
                pool_refund = percent_of(deferred_core, discount)
                deferred_core -= pool_refund
        dyn = state.asset_dynamic(state.asset(paid.asset_id))
        with state.db.modify(dyn) as d:
            d.accumulated_fees += paid_kept
            d.fee_pool += pool_refund
    elif deferred_core > 0 and discount > 0:
        refund = percent_of(deferred_core, discount)
        if refund > 0:
            state.adjust_balance(order.seller, ids.CORE_ASSET, refund)
            deferred_core -= refund
    if deferred_core > 0:
        book_core_fee(state, order.seller, deferred_core)


def maybe_cull_small_order(state: ChainState, order: LimitOrder) -> bool:
    """Cancel ``order`` if what is left of it would receive nothing at its own price."""
    if mul_down(order.for_sale, order.sell_price.base.asset_id, order.sell_price).amount == 0:
        cancel_limit_order(state, order, by_chain=True)
        return True
    return False


def cancel_limit_order(state: ChainState, order: LimitOrder, *, by_chain: bool) -> Asset:
    """Remove ``order``, refunding what is left for sale and its deferred fee; returns the refund.

    ``by_chain``: the chain cancels (expiry, dust), so a virtual ``limit_order_cancel`` is emitted
    and the cancellation fee is taken from the deferred fee; an owner's ``limit_order_cancel``
    pays its own fee and gets the whole deferred fee back."""
    vop_fee = Asset(0, ids.CORE_ASSET)
    if by_chain:
        cancel_op = LimitOrderCancel(Asset(0, ids.CORE_ASSET), order.seller, order.id)
        vop_fee = refund_deferred_fee(state, order, fee_for(state.params.current_fees, cancel_op))
    else:
        refund_deferred_fee(state, order, 0)
    refunded = order.amount_for_sale()
    if refunded.asset_id == ids.CORE_ASSET:
        add_core_in_orders(state, order.seller, -refunded.amount)
    state.adjust_balance(order.seller, refunded.asset_id, refunded.amount)
    if by_chain:
        state.applied.push(
            LimitOrderCancel(vop_fee, order.seller, order.id), asset_result(refunded), virtual=True
        )
    state.db.remove(order)
    return refunded


def update_cancel_fee(state: ChainState) -> int:
    """The cancellation fee taken from an updated order's deferred fee (core's
    ``process_deferred_fee``): ``cancel fee × update fee / create fee``."""
    fees = state.params.current_fees
    none = Asset(0, ids.CORE_ASSET)
    cancel = fee_for(fees, LimitOrderCancel(none, ids.COMMITTEE_ACCOUNT, ids.ObjectId(1, 7, 0)))
    create = fee_for(fees, LimitOrderCreate(none, ids.COMMITTEE_ACCOUNT, none, none))
    if cancel == 0 or create == 0:
        return cancel
    update = fee_for(fees, LimitOrderUpdate(none, ids.COMMITTEE_ACCOUNT, ids.ObjectId(1, 7, 0)))
    return cancel * update // create


def refund_deferred_fee(state: ChainState, order: LimitOrder, core_cancel_fee: int) -> Asset:
    """Refund ``order``'s deferred fee to its owner less ``core_cancel_fee`` (capped at the deferred
    amount), which is booked as a fee paid; a fee paid in another asset is refunded in that asset
    (and its core value to that asset's fee pool), less the proportional share, rounded up.
    Returns the fee taken, in the asset the creation fee was paid in."""
    deferred_core = order.deferred_fee
    paid = order.deferred_paid_fee
    taken = Asset(0, ids.CORE_ASSET)
    core_cancel_fee = min(core_cancel_fee, deferred_core)
    if core_cancel_fee > 0:
        book_core_fee(state, order.seller, core_cancel_fee)
        deferred_core -= core_cancel_fee
        if paid.amount == 0:
            taken = Asset(core_cancel_fee, ids.CORE_ASSET)
        else:
            share = -(-paid.amount * core_cancel_fee // order.deferred_fee)  # round up
            dyn = state.asset_dynamic(state.asset(paid.asset_id))
            with state.db.modify(dyn) as d:
                d.accumulated_fees += share
            paid = Asset(paid.amount - share, paid.asset_id)
            taken = Asset(share, paid.asset_id)
    if order.deferred_paid_fee.amount == 0:
        state.adjust_balance(order.seller, ids.CORE_ASSET, deferred_core)
    else:
        state.adjust_balance(order.seller, paid.asset_id, paid.amount)
        dyn = state.asset_dynamic(state.asset(paid.asset_id))
        with state.db.modify(dyn) as d:
            d.fee_pool += deferred_core
    return taken
