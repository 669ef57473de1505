"""Margin calls: positions at or below the maintenance collateral ratio are bought back on the
book (core: ``check_call_orders``, ``apply_order``'s call branch and ``match(limit, call)`` in
db_market.cpp, after every hard fork; ``reference/bitshares.md`` §3.5).

Two ways in:

- :func:`check_call_orders` (after a feed change, a position update, an expiry): the least
  collateralized position, while callable (collateral/debt not above the maintenance
  collateralization), takes the best limit order selling the smartcoin for its backing asset at
  or above MCOP; the fill is at the limit order's price and the position pays ``price * MCPR``
  per debt, the difference being the margin call fee. A fill that would leave the position paying
  all its collateral, or lower its collateral ratio, is not made (the position is left to force
  settlements and the black swan check). Black swans are checked first, every round.
- :func:`match_new_order_with_calls` (from :func:`..market.matching.apply_order`): a new limit order
  selling the smartcoin for the backing asset, at a price reaching MCOP, buys from callable
  positions at MCOP (they pay MSSP); the order book's better offers are taken before, the rest
  after.

A position with a target collateral ratio sells only what brings it back above that ratio
(:mod:`.target_ratio`). Call fills emit ``fill_order`` with the margin call fee as its fee.

Seams: the black-swan responses (``settlement.py``), force settlements (``force_settle.py``) and
the capped current feed of the ``no_settlement`` response (``feeds.py``) are written alongside;
they are imported lazily (they import this module), and until they exist behave as "nothing to
do".
"""

from __future__ import annotations

from dataclasses import dataclass

from ...protocol.bitasset import (
    BSRM_INDIVIDUAL_SETTLEMENT_TO_FUND,
    BSRM_INDIVIDUAL_SETTLEMENT_TO_ORDER,
    BSRM_NO_SETTLEMENT,
)
from ...protocol.ids import ObjectId
from ...protocol.types import Asset, Price
from ..futures.day_stats import record_spot_fill
from ..invariant import invariant
from ..market.objects import LimitOrder, best_offer
from ..market.orders import fill_limit_order
from ..market.price import mul_down, mul_up
from ..objects import AssetObject
from ..state import ChainState
from .objects import AssetBitassetData, CallOrder, ForceSettlement
from .positions import bitasset_of, fill_call_order, least_collateralized
from .prices import (
    bitasset_mcop,
    bitasset_mcpr,
    collateralization,
    compare,
    invert,
    is_null,
    max_short_squeeze_price,
    mul_ratio,
    price_eq,
)
from .target_ratio import max_debt_to_cover

TAKER_FILLED, MAKER_FILLED = 1, 2
"""Bits of a match result (as :class:`..market.matching.MatchResult`)."""


# -- the settlement and feed modules (imported at call time: they import this module) ----------
def _check_for_blackswan(state: ChainState, asset: AssetObject, enable: bool) -> bool:
    from .settlement import check_for_blackswan

    return check_for_blackswan(state, asset, enable_black_swan=enable)


def _match_force_settlements(state: ChainState, bitasset: AssetBitassetData) -> bool:
    from .force_settle import match_force_settlements

    return bool(match_force_settlements(state, bitasset))


def _update_current_feed(state: ChainState, bitasset: AssetBitassetData) -> None:
    """The ``no_settlement`` response recaps the current feed after a fill."""
    from .feeds import update_bitasset_current_feed

    update_bitasset_current_feed(state, bitasset, skip_median_update=True)


def is_current_feed_price_capped(bitasset: AssetBitassetData) -> bool:
    return not price_eq(bitasset.median_feed.settlement_price,
                        bitasset.current_feed.settlement_price)


def is_callable(bitasset: AssetBitassetData, call: CallOrder) -> bool:
    """Not feed protected: collateral/debt at or below the maintenance collateralization."""
    return compare(collateralization(call), bitasset.current_maintenance_collateralization) <= 0


def _max_debt_to_cover(bitasset: AssetBitassetData, call: CallOrder, pays_price: Price) -> int:
    feed = bitasset.current_feed
    return max_debt_to_cover(call, pays_price, bitasset.median_feed.settlement_price,
                             feed.maintenance_collateral_ratio,
                             bitasset.current_maintenance_collateralization)


# -- a call (taker) against the book -----------------------------------------------------------
class _Undercollateralized(Exception):
    """The fill would take all the position's collateral or lower its collateral ratio."""


@dataclass(frozen=True, slots=True)
class _CallFill:
    call_pays: Asset
    call_receives: Asset
    limit_receives: Asset


def _call_takes_limit(bitasset: AssetBitassetData, call: CallOrder, limit: LimitOrder,
                      match_price: Price) -> _CallFill:
    """The amounts when ``call`` buys from ``limit`` at the limit's price (check_call_orders)."""
    mia, backing = call.debt_type, call.collateral_type
    pays_price = mul_ratio(match_price, bitasset_mcpr(bitasset))
    usd_to_buy = _max_debt_to_cover(bitasset, call, pays_price)
    invariant(usd_to_buy > 0, f"callable position {call.id} would sell no debt (core loops here)")
    if usd_to_buy > limit.for_sale:  # the limit order is filled
        limit_receives = mul_down(limit.for_sale, mia, match_price)
        call_receives = mul_up(limit_receives.amount, backing, match_price)
        call_pays = mul_down(call_receives.amount, mia, pays_price)
        if call_pays.amount >= call.collateral:
            raise _Undercollateralized
        left = Price(Asset(call.collateral - call_pays.amount, backing),
                     Asset(call.debt - call_receives.amount, mia))
        if compare(left, collateralization(call)) < 0:
            raise _Undercollateralized
    else:  # the call is filled, perhaps only to its target ratio
        call_receives = Asset(usd_to_buy, mia)
        call_pays = mul_up(usd_to_buy, mia, pays_price)
        if call_pays.amount > call.collateral:
            raise _Undercollateralized
        limit_receives = mul_up(usd_to_buy, mia, match_price)
    invariant(call_pays.amount >= limit_receives.amount,
              f"margin call of {call.id}: pays {call_pays} < the limit order receives "
              f"{limit_receives}")
    return _CallFill(call_pays, call_receives, limit_receives)


def check_call_orders(state: ChainState, asset: AssetObject, *, allow_black_swan: bool = True,
                      skip_matching_settle_orders: bool = False) -> bool:
    """Margin-call ``asset``'s positions against the book; True if any was called (or settled)."""
    if asset.bitasset_data_id is None:
        return False
    bitasset = bitasset_of(state, asset)
    if bitasset.is_prediction_market:
        return False
    bsrm = bitasset.options.black_swan_response_method
    individual = bsrm in (BSRM_INDIVIDUAL_SETTLEMENT_TO_FUND, BSRM_INDIVIDUAL_SETTLEMENT_TO_ORDER)
    if not individual and _check_for_blackswan(state, asset, allow_black_swan):
        return False
    if is_null(bitasset.current_feed.settlement_price):
        return False
    db = state.db
    mia, backing = bitasset.asset_id, bitasset.options.short_backing_asset
    min_price = bitasset_mcop(bitasset)  # limit orders selling the smartcoin at or above MCOP
    update_feed = bsrm == BSRM_NO_SETTLEMENT and is_current_feed_price_capped(bitasset)
    margin_called = False
    while (call := least_collateralized(db, bitasset)) is not None:
        settled_some = _check_for_blackswan(state, asset, allow_black_swan)
        if bitasset.has_settlement():
            return margin_called
        if settled_some:  # individual settlement closed some positions
            call = least_collateralized(db, bitasset)
            if call is None:
                return True
            margin_called = True
            if bsrm == BSRM_INDIVIDUAL_SETTLEMENT_TO_FUND:
                min_price = bitasset_mcop(bitasset)
        if not is_callable(bitasset, call):
            return margin_called
        limit = best_offer(db, mia, backing)
        if limit is not None and compare(limit.sell_price, min_price) >= 0:
            margin_called = True
            match_price = limit.sell_price
            try:
                fill = _call_takes_limit(bitasset, call, limit, match_price)
            except _Undercollateralized:
                pass
            else:
                fill_call_order(state, call, fill.call_pays, fill.call_receives, match_price, False,
                                Asset(fill.call_pays.amount - fill.limit_receives.amount, backing))
                if update_feed:
                    _update_current_feed(state, bitasset)
                    min_price = bitasset_mcop(bitasset)
                    update_feed = is_current_feed_price_capped(bitasset)
                fill_limit_order(state, limit, fill.call_receives.amount, fill.limit_receives,
                                 True, match_price, True)
                record_spot_fill(state, fill.call_receives.asset_id, fill.call_receives.amount,
                                 backing, fill.limit_receives.amount, state.head_time)
                continue
        # no limit order to take (or the position cannot pay it): force settlements, if any
        if skip_matching_settle_orders or not _has_force_settlements(state, mia):
            return margin_called
        if _match_force_settlements(state, bitasset):
            margin_called = True
            if update_feed:
                min_price = bitasset_mcop(bitasset)
                update_feed = is_current_feed_price_capped(bitasset)
    return margin_called


def _has_force_settlements(state: ChainState, mia: ObjectId) -> bool:
    return next(state.db.ordered(ForceSettlement, "by_expiration").prefix((mia,)), None) is not None


# -- a new limit order (taker) against the calls -----------------------------------------------
@dataclass(frozen=True, slots=True)
class CallSide:
    """What a new order selling a smartcoin for its backing asset meets: positions offered at
    ``match_price`` (~MCOP, collateral/debt) that pay ``pays_price`` (~MSSP)."""

    asset: AssetObject
    bitasset: AssetBitassetData
    match_price: Price
    pays_price: Price


def call_side_for(state: ChainState, order: LimitOrder) -> CallSide | None:
    """The margin calls ``order`` may take, when it sells a smartcoin for its backing asset at a
    price reaching MCOP (apply_order's conditions); else None."""
    sell = state.asset(order.sell_price.base.asset_id)
    if sell.bitasset_data_id is None:
        return None
    bitasset = bitasset_of(state, sell)
    if (bitasset.options.short_backing_asset != order.sell_price.quote.asset_id
            or bitasset.is_prediction_market or bitasset.has_settlement()
            or is_null(bitasset.current_feed.settlement_price)):
        return None
    match_price = invert(bitasset_mcop(bitasset))
    pays_price = invert(max_short_squeeze_price(bitasset.current_feed))
    if compare(invert(order.sell_price), match_price) > 0:
        return None
    return CallSide(sell, bitasset, match_price, pays_price)


def match_new_order_with_calls(state: ChainState, order: LimitOrder, side: CallSide
                               ) -> tuple[bool, bool]:
    """Fill ``order`` from callable positions, least collateralized first.

    Returns (whether the order is finished, whether the ``no_settlement`` current feed moved)."""
    bitasset = side.bitasset
    bsrm = bitasset.options.black_swan_response_method
    update_prices = bsrm == BSRM_NO_SETTLEMENT and is_current_feed_price_capped(bitasset)
    old_feed_price = bitasset.current_feed.settlement_price
    match_price, pays_price = side.match_price, side.pays_price
    finished = False
    while not finished:
        call = least_collateralized(state.db, bitasset)
        if call is None or not is_callable(bitasset, call):
            break
        result = match_limit_with_call(state, order, call, match_price, bitasset, pays_price)
        if result & TAKER_FILLED:
            finished = True
        elif update_prices:
            match_price = invert(bitasset_mcop(bitasset))
            pays_price = invert(max_short_squeeze_price(bitasset.current_feed))
            update_prices = is_current_feed_price_capped(bitasset)
    feed_moved = bsrm == BSRM_NO_SETTLEMENT and not price_eq(
        bitasset.current_feed.settlement_price, old_feed_price)
    return finished, feed_moved


def match_limit_with_call(state: ChainState, bid: LimitOrder, call: CallOrder, match_price: Price,
                          bitasset: AssetBitassetData, pays_price: Price) -> int:
    """core's ``match(limit_order, call_order, ...)``: the limit order is the taker; returns the
    match result bits (:data:`TAKER_FILLED`, :data:`MAKER_FILLED`)."""
    mia, backing = call.debt_type, call.collateral_type
    invariant(bid.sell_price.base.asset_id == mia and bid.sell_price.quote.asset_id == backing
              and bid.for_sale > 0 and call.debt > 0 and call.collateral > 0,
              f"limit order {bid.id} cannot match call order {call.id}")
    usd_to_buy = _max_debt_to_cover(bitasset, call, pays_price)
    invariant(usd_to_buy > 0, f"callable position {call.id} would sell no debt (core loops here)")
    cull_taker = False
    if usd_to_buy > bid.for_sale:  # the limit order is filled
        order_receives = mul_down(bid.for_sale, mia, match_price)
        if order_receives.amount == 0:
            return TAKER_FILLED
        call_receives = mul_up(order_receives.amount, backing, match_price)
        call_pays = mul_down(call_receives.amount, mia, pays_price)
        cull_taker = True
    else:  # the call is filled, perhaps only to its target ratio
        call_receives = Asset(usd_to_buy, mia)
        order_receives = mul_up(usd_to_buy, mia, match_price)
        call_pays = mul_up(usd_to_buy, mia, pays_price)
    invariant(call_pays.amount >= order_receives.amount,
              f"margin call of {call.id}: pays {call_pays} < the limit order receives "
              f"{order_receives}")
    fee = Asset(call_pays.amount - order_receives.amount, backing)
    taker_filled = fill_limit_order(state, bid, call_receives.amount, order_receives, cull_taker,
                                    match_price, False)
    maker_filled = fill_call_order(state, call, call_pays, call_receives, match_price, True, fee)
    record_spot_fill(state, call_receives.asset_id, call_receives.amount, backing,
                     order_receives.amount, state.head_time)
    if bitasset.options.black_swan_response_method == BSRM_NO_SETTLEMENT:
        _update_current_feed(state, bitasset)
    return int(taker_filled) * TAKER_FILLED | int(maker_filled) * MAKER_FILLED
