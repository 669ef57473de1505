"""Black swans and the responses to them (core: db_market.cpp ``check_for_blackswan``,
``globally_settle_asset``, ``individually_settle``; db_update.cpp ``get_derived_current_feed_price``;
``reference/bitshares.md`` §3.6–3.7, with the rules of hard forks core-2481 and core-2467).

A black swan: the least collateralised position cannot pay its debt even at the squeeze price
(MSSP, or the best bid less the margin call fee when that is better): ``~CR > highest``. Pending
force settlements of the asset are matched first, so there is no black swan while any exists.
The asset's ``black_swan_response_method`` decides:

- ``global_settlement``: every position is closed into the settlement fund at the worst
  position's collateralization; margin calls (CR ≤ MCR) pay a premium (MSSR) that goes to the
  asset owner as a collateral fee; holders then redeem from the fund (``asset_settle``);
- ``individual_settlement_to_fund``: only the undercollateralised positions are closed, one by one,
  into the individual settlement fund, and the current feed is capped so the fund stays payable;
- ``no_settlement``: nothing is closed; the current feed is capped so the worst position stays
  callable (the cap is :func:`.feeds.update_bitasset_current_feed`'s);
- ``individual_settlement_to_order`` (the fund as a limit order on the book) is not supported.

Invariants: after a global settlement the asset has no position, ``settlement_fund`` is every unit
of collateral gathered, ``settlement_price`` = supply / fund, and the individual fund is empty.
"""

from __future__ import annotations

from collections.abc import Iterator

import msgspec

from ...protocol import ids
from ...protocol.bitasset import (
    BSRM_INDIVIDUAL_SETTLEMENT_TO_FUND,
    BSRM_INDIVIDUAL_SETTLEMENT_TO_ORDER,
    COLLATERAL_RATIO_DENOM,
)
from ...protocol.types import Asset, Price
from ..errors import ChainError, NotSupported
from ..invariant import invariant
from ..market.objects import best_offer
from ..market.price import mul_up
from ..objects import AssetObject
from ..state import ChainState
from .feeds import update_bitasset_current_feed
from .objects import AssetBitassetData, CallOrder, ForceSettlement
from .positions import bitasset_of, calls_by_collateral, fill_call_order, least_collateralized
from .prices import (
    bitasset_mcpr,
    collateralization,
    div_ratio,
    invert,
    is_null,
    max_short_squeeze_price,
    mul_ratio,
    price_le,
    price_lt,
    price_max,
)

_INDIVIDUAL = (BSRM_INDIVIDUAL_SETTLEMENT_TO_FUND, BSRM_INDIVIDUAL_SETTLEMENT_TO_ORDER)


class BlackSwanRefused(ChainError):
    """A debt position update would trigger a black swan, which only feeds and the market may."""

    rule = "black swan"


# -- lookups -------------------------------------------------------------------------------------
def settlements_of(state: ChainState, asset_id: ids.ObjectId) -> Iterator[ForceSettlement]:
    """The asset's pending force settlements, earliest due first, then oldest (core's
    ``by_expiration``)."""
    return state.db.ordered(ForceSettlement, "by_expiration").prefix((asset_id,))


def match_force_settlements(state: ChainState, data: AssetBitassetData) -> bool:
    """See :func:`.force_settle.match_force_settlements` (re-exported for margin calls)."""
    from .force_settle import match_force_settlements as match  # force_settle imports this module

    return match(state, data)


# -- detection -----------------------------------------------------------------------------------
def _swan_threshold(data: AssetBitassetData, call_pays_price: Price | None) -> Price:
    """``highest``: the best price (debt/collateral) the worst position could still pay at."""
    current_mssp = max_short_squeeze_price(data.current_feed)
    if data.options.black_swan_response_method == BSRM_INDIVIDUAL_SETTLEMENT_TO_FUND:
        highest = max_short_squeeze_price(data.median_feed)
        if call_pays_price is not None and not price_lt(call_pays_price, current_mssp):
            highest = call_pays_price
        return highest
    if call_pays_price is not None:
        return price_max(call_pays_price, current_mssp)
    return current_mssp


def check_for_blackswan(state: ChainState, asset: AssetObject, *,
                        enable_black_swan: bool = True) -> bool:
    """Detect a black swan and respond as the asset's method says. True when the asset is (now)
    globally settled, or some position was individually settled. With ``enable_black_swan`` off
    (a position update), a black swan refuses the operation instead."""
    if asset.bitasset_data_id is None:
        return False
    data = bitasset_of(state, asset)
    if data.has_settlement():
        return True
    if is_null(data.current_feed.settlement_price):
        return False
    if next(settlements_of(state, asset.id), None) is not None:
        return False  # force settlements are matched with the margin calls first
    call = least_collateralized(state.db, data)
    if call is None:
        return False
    best_bid = best_offer(state.db, asset.id, data.options.short_backing_asset)
    call_pays_price = None if best_bid is None else mul_ratio(best_bid.sell_price,
                                                              bitasset_mcpr(data))
    settled_some = False
    while True:
        highest = _swan_threshold(data, call_pays_price)
        least = collateralization(call)
        if not price_lt(highest, invert(least)):
            return settled_some
        if not enable_black_swan:
            raise BlackSwanRefused(
                f"black swan: {asset.symbol}'s least collateralized position {call.id} "
                f"({state.fmt(call.collateral, call.collateral_type)} for "
                f"{state.fmt(call.debt, call.debt_type)}) cannot pay at "
                f"{highest.base.amount}/{highest.quote.amount}; a debt position update may not "
                f"trigger a black swan"
            )
        if data.options.black_swan_response_method in _INDIVIDUAL:
            individually_settle(state, data, call)
            next_call = least_collateralized(state.db, data)
            if next_call is None:
                return True
            call, settled_some = next_call, True
            continue
        globally_settle_asset(state, asset, invert(least), check_margin_calls=True)
        return True


# -- global settlement ---------------------------------------------------------------------------
def globally_settle_asset(state: ChainState, asset: AssetObject, settle_price: Price, *,
                          check_margin_calls: bool = False) -> None:
    """Close every position at ``settle_price`` (debt/collateral) into the settlement fund.

    With ``check_margin_calls`` (a black swan), positions in margin call territory pay at
    ``settle_price`` but the fund only gets ``settle_price * MSSR/1000`` worth, the rest being a
    collateral fee; the other positions pay at that lower rate. The issuer's
    ``asset_global_settle`` has no premium: everyone pays at ``settle_price``."""
    data = bitasset_of(state, asset)
    invariant(not data.has_settlement(), f"{asset.symbol} is already globally settled")
    backing = data.options.short_backing_asset
    original_supply = state.asset_dynamic(asset).current_supply
    fund_receives_price = settle_price
    if check_margin_calls:
        fund_receives_price = mul_ratio(
            settle_price, (data.current_feed.maximum_short_squeeze_ratio, COLLATERAL_RATIO_DENOM))
    margin_zone = data.current_maintenance_collateralization
    gathered = 0
    is_margin_call = check_margin_calls
    for call in list(calls_by_collateral(state.db, data)):
        if is_margin_call and not price_le(collateralization(call), margin_zone):
            is_margin_call = False
        call_pays_price = settle_price if is_margin_call else fund_receives_price
        pays = min(mul_up(call.debt, asset.id, call_pays_price).amount, call.collateral)
        fee = 0
        if is_margin_call:
            fund_receives = min(mul_up(call.debt, asset.id, fund_receives_price).amount, pays)
            fee = pays - fund_receives
        gathered += pays - fee
        closed = fill_call_order(state, call, Asset(pays, backing), Asset(call.debt, asset.id),
                                 fund_receives_price, True, Asset(fee, backing),
                                 reduce_supply=False)
        invariant(closed, f"global settlement left call order {call.id} open")
    gathered += data.individual_settlement_fund
    extensions = msgspec.structs.replace(data.options.extensions, black_swan_response_method=None)
    with state.db.modify(data) as d:
        d.options = msgspec.structs.replace(d.options, extensions=extensions)
        d.current_feed = d.median_feed
        d.individual_settlement_debt = 0
        d.individual_settlement_fund = 0
        d.settlement_price = Price(Asset(original_supply, asset.id), Asset(gathered, backing))
        d.settlement_fund = gathered


# -- individual settlement -----------------------------------------------------------------------
def individually_settle(state: ChainState, data: AssetBitassetData, call: CallOrder) -> None:
    """Close ``call`` into the individual settlement fund: the fund gets its debt's worth at the
    position's own collateralization less the margin call fee (``(~CR) / MCPR``), the rest of its
    collateral is that fee."""
    method = data.options.black_swan_response_method
    invariant(method in _INDIVIDUAL and call.debt_type == data.asset_id,
              f"individual settlement of {call.id} under black swan response method {method}")
    if method == BSRM_INDIVIDUAL_SETTLEMENT_TO_ORDER:
        raise NotSupported(
            f"black swan response method individual_settlement_to_order ({method}) of "
            f"{data.asset_id} is not supported"
        )
    debt, collateral = call.debt, call.collateral
    fund_receives_price = div_ratio(invert(collateralization(call)), bitasset_mcpr(data))
    fund_receives = min(mul_up(debt, data.asset_id, fund_receives_price).amount, collateral)
    with state.db.modify(data) as d:
        d.individual_settlement_debt += debt
        d.individual_settlement_fund += fund_receives
    backing = data.options.short_backing_asset
    fill_call_order(state, call, Asset(collateral, backing), Asset(debt, data.asset_id),
                    fund_receives_price, True, Asset(collateral - fund_receives, backing),
                    reduce_supply=False)
    update_bitasset_current_feed(state, data, skip_median_update=True)


def individual_settlement_price(data: AssetBitassetData) -> Price:
    """The individual settlement fund's price, debt/collateral."""
    return Price(Asset(data.individual_settlement_debt, data.asset_id),
                 Asset(data.individual_settlement_fund, data.options.short_backing_asset))
