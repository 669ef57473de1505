"""Force settlement orders (1.4.x) against debt positions (core: db_market.cpp
``apply_force_settlement``, ``match_force_settlements``, ``match_impl`` of a settle order and a
call order, ``fill_settle_order``, ``cancel_settle_order``, ``pay_force_settle_fees``; db_update.cpp
``clear_expired_force_settlements``; ``reference/bitshares.md`` §3.8).

A holder's ``asset_settle`` (when there is no settlement fund to pay from) becomes an order that
waits ``force_settlement_delay_sec``. Meanwhile it is matched at once, and whenever margin calls
are checked, against positions in margin call territory at the margin call price (MSSP paid, MCOP
received: the difference is a collateral fee; no force-settlement fee). When due (every block,
per asset, in due-date then id order), it is filled against the least collateralised positions at
the feed price less the offset, ``F / ((10000 - offset)/10000)``, within the per-maintenance
volume cap ``(supply + settled so far) * maximum_force_settlement_volume / 10000``; the settler
pays the collateral asset's market fee and the asset's force-settlement fee (BSIP87). Orders that
cannot be executed (globally settled asset, no feed, a 100% offset, no position) are cancelled:
the funds return to the owner with a virtual ``asset_settle_cancel``.

Rounding is core's after hard forks core-184/342 (never something for nothing; rounding favours
the position except when it is closed) and core-2481 (margin calls never lower a position's CR).
"""

from __future__ import annotations

from ...protocol import ids
from ...protocol.bitasset import BSRM_NO_SETTLEMENT
from ...protocol.operations import FillOrder
from ...protocol.operations.smartcoin import AssetSettleCancel
from ...protocol.types import Asset, Price
from ..market.fees import pay_market_fees
from ..market.price import mul_down, mul_up, percent_of
from ..objects import AssetObject
from ..state import ChainState
from .feeds import update_bitasset_current_feed
from .margin import check_call_orders, is_current_feed_price_capped
from .objects import AssetBitassetData, CallOrder, ForceSettlement
from .positions import bitasset_of, fill_call_order, least_collateralized
from .prices import (
    bitasset_mcop,
    bitasset_mcpr,
    collateralization,
    div_ratio,
    is_null,
    max_short_squeeze_price,
    price_lt,
)
from .settlement import settlements_of
from .target_ratio import max_debt_to_cover

HUNDRED_PERCENT = 10000
NO_FEE = Asset(0, ids.CORE_ASSET)


# -- one settle order ----------------------------------------------------------------------------
def cancel_settle_order(state: ChainState, settle: ForceSettlement) -> None:
    """Return the order's funds to its owner; emits ``asset_settle_cancel``."""
    state.adjust_balance(settle.owner, settle.balance.asset_id, settle.balance.amount)
    state.applied.push(AssetSettleCancel(NO_FEE, settle.id, settle.owner, settle.balance))
    state.db.remove(settle)


def pay_force_settle_fee(state: ChainState, asset: AssetObject, data: AssetBitassetData,
                         collateral_received: int) -> int:
    """BSIP87: ``force_settle_fee_percent`` of what the settler receives goes to the asset's
    collateral fees; returns it."""
    percent = data.options.extensions.force_settle_fee_percent
    if not percent:
        return 0
    fee = percent_of(collateral_received, percent)
    if fee > 0:
        dyn = state.asset_dynamic(asset)
        with state.db.modify(dyn) as d:
            d.accumulated_collateral_fees += fee
    return fee


def fill_settle_order(state: ChainState, settle: ForceSettlement, pays: int, receives: int,
                      fill_price: Price, *, is_maker: bool, pay_settle_fee: bool) -> bool:
    """The order gives ``pays`` of the smartcoin for ``receives`` collateral, less the collateral
    asset's market fee and (unless a margin call paid) the force-settlement fee; emits
    ``fill_order``. True when the order is used up."""
    mpa = state.asset(settle.balance.asset_id)
    data = bitasset_of(state, mpa)
    backing = data.options.short_backing_asset
    market_fee = pay_market_fees(state, settle.owner, state.asset(backing), receives, is_maker)
    settle_fee = pay_force_settle_fee(state, mpa, data, receives - market_fee) \
        if pay_settle_fee else 0
    fees = market_fee + settle_fee
    filled = pays >= settle.balance.amount
    if not filled:
        with state.db.modify(settle) as s:
            s.balance = Asset(s.balance.amount - pays, s.balance.asset_id)
    state.adjust_balance(settle.owner, backing, receives - fees)
    state.applied.push(FillOrder(Asset(fees, backing), settle.id, settle.owner,
                                 Asset(pays, mpa.id), Asset(receives, backing), fill_price,
                                 is_maker))
    if filled:
        state.db.remove(settle)
    return filled


# -- a settle order against a position -----------------------------------------------------------
def _cr_would_fall(call: CallOrder, call_pays: int, call_receives: int) -> bool:
    after = Price(Asset(call.collateral - call_pays, call.collateral_type),
                  Asset(call.debt - call_receives, call.debt_type))
    return price_lt(after, collateralization(call))


def match_settle_and_call(state: ChainState, settle: ForceSettlement, call: CallOrder,
                          match_price: Price, data: AssetBitassetData, max_settlement: int,
                          fill_price: Price, *, is_margin_call: bool,
                          settle_is_taker: bool = True) -> int:
    """Fill ``settle`` against ``call`` (core's ``match_impl``): the position pays at
    ``match_price`` (debt/collateral) and the settler receives at ``fill_price`` (the same unless
    a margin call's fee lies between). At most ``max_settlement`` of debt. Returns the debt
    settled; 0 when nothing could be (the settle order may then have been cancelled as dust)."""
    mpa, backing = call.debt_type, call.collateral_type
    call_debt, call_collateral = call.debt, call.collateral
    settle_balance = settle.balance.amount
    call_receives = min(settle_balance, max_settlement, call_debt)
    call_pays = mul_down(call_receives, mpa, match_price).amount  # in favour of the position
    settle_receives, settle_pays = call_pays, call_receives
    cull_settle_order = False
    if call_pays == 0:  # never something for nothing
        if call_receives == call_debt:  # the position is the smaller: it pays 1, no fee
            call_pays = settle_receives = 1
        elif call_receives == settle_balance:  # the settle order is the smaller: dust
            cancel_settle_order(state, settle)
            return 0
        elif not is_margin_call:  # limited by the volume cap
            return 0
        else:  # limited by the target collateral ratio: rounding up keeps the CR above MCR
            call_pays = settle_receives = 1
    elif call_receives == call_debt:  # the position is closed: round up, for the settler
        call_pays = mul_up(call_receives, mpa, match_price).amount
        settle_receives = call_pays
        if is_margin_call:
            if call_pays > call_collateral:  # it cannot pay the squeeze price: pays what it has
                call_pays = call_collateral
                match_price = Price(Asset(call_debt, mpa), Asset(call_collateral, backing))
                fill_price = div_ratio(match_price, bitasset_mcpr(data))
            settle_receives = mul_up(call_receives, mpa, fill_price).amount
    else:
        if not is_margin_call:
            call_receives = mul_up(call_pays, backing, match_price).amount
        elif settle_pays == max_settlement:  # the target collateral ratio limits the call
            call_pays = mul_up(call_receives, mpa, match_price).amount
            settle_receives = mul_up(call_receives, mpa, fill_price).amount
        else:  # a margin call larger than the settle order
            found = _margin_call_fill(call, settle_pays, match_price, fill_price, data)
            if found is None:
                cancel_settle_order(state, settle)
                return 0
            settle_receives, call_receives, call_pays, fill_price = found
        cull_settle_order = settle_pays == settle_balance and call_receives != settle_balance
        settle_pays = call_receives
    fill_call_order(state, call, Asset(call_pays, backing), Asset(call_receives, mpa), fill_price,
                    settle_is_taker, Asset(call_pays - settle_receives, backing))
    fill_settle_order(state, settle, settle_pays, settle_receives, fill_price,
                      is_maker=not settle_is_taker, pay_settle_fee=not is_margin_call)
    if data.options.black_swan_response_method == BSRM_NO_SETTLEMENT:
        update_bitasset_current_feed(state, data, skip_median_update=True)
    if cull_settle_order:
        cancel_settle_order(state, settle)
    return call_receives


def _margin_call_fill(call: CallOrder, settle_pays: int, match_price: Price, fill_price: Price,
                      data: AssetBitassetData) -> tuple[int, int, int, Price] | None:
    """A smaller settle order against a margin call: computed from what the settler receives
    (at ``fill_price``), re-priced at the position's own CR if the squeeze price would lower it.
    Returns (settle receives, call receives, call pays, fill price), or None if the settler
    would receive nothing."""
    mpa = call.debt_type

    def calculate(match: Price, fill: Price) -> tuple[int, int, int]:
        receives = mul_down(settle_pays, mpa, fill).amount
        if receives == 0:
            return 0, settle_pays, 0
        call_receives = mul_up(receives, call.collateral_type, fill).amount
        return receives, call_receives, mul_down(call_receives, mpa, match).amount

    settle_receives, call_receives, call_pays = calculate(match_price, fill_price)
    if settle_receives == 0:
        return None
    if call_pays >= call.collateral or _cr_would_fall(call, call_pays, call_receives):
        match_price = Price(Asset(call.debt, mpa), Asset(call.collateral, call.collateral_type))
        fill_price = div_ratio(match_price, bitasset_mcpr(data))
        settle_receives, call_receives, call_pays = calculate(match_price, fill_price)
        if settle_receives == 0:
            return None
    return settle_receives, call_receives, call_pays, fill_price


# -- margin calls against settle orders ----------------------------------------------------------
def _in_margin_call(data: AssetBitassetData, call: CallOrder) -> bool:
    """Not feed protected: collateral/debt not above the maintenance collateralization."""
    return not price_lt(data.current_maintenance_collateralization, collateralization(call))


def _margin_call_limit(data: AssetBitassetData, call: CallOrder, pays_price: Price) -> int:
    return max_debt_to_cover(call, pays_price,
                             data.median_feed.settlement_price,
                             data.current_feed.maintenance_collateral_ratio,
                             data.current_maintenance_collateralization)


def apply_force_settlement(state: ChainState, settle: ForceSettlement, asset: AssetObject,
                           data: AssetBitassetData) -> None:
    """Match a new settle order with the positions in margin call territory at once (core since
    hard fork core-2481), least collateralised first, at MSSP paid / MCOP received."""
    settle_id = settle.id
    pays_price = max_short_squeeze_price(data.current_feed)
    fill_price = bitasset_mcop(data)
    recheck = data.options.black_swan_response_method == BSRM_NO_SETTLEMENT and \
        is_current_feed_price_capped(data)
    while state.db.find(settle_id, ForceSettlement) is not None:
        call = least_collateralized(state.db, data)
        if call is None or not _in_margin_call(data, call):
            return
        match_settle_and_call(state, settle, call, pays_price, data,
                              _margin_call_limit(data, call, pays_price), fill_price,
                              is_margin_call=True)
        if recheck:  # the capped feed moved: the book may now take margin calls
            check_call_orders(state, asset, allow_black_swan=True, skip_matching_settle_orders=True)
            pays_price = max_short_squeeze_price(data.current_feed)
            fill_price = bitasset_mcop(data)
            recheck = is_current_feed_price_capped(data)


def match_force_settlements(state: ChainState, data: AssetBitassetData) -> bool:
    """The settle-order step of margin calls (core's ``match_force_settlements``): fill the
    least collateralised position, while in margin call territory, against the earliest settle
    order. True once a position changed (the caller then looks at the book again)."""
    while True:
        settle = next(settlements_of(state, data.asset_id), None)
        call = least_collateralized(state.db, data)
        if settle is None or call is None or not _in_margin_call(data, call):
            return False
        pays_price = max_short_squeeze_price(data.current_feed)
        settled = match_settle_and_call(
            state, settle, call, pays_price, data, _margin_call_limit(data, call, pays_price),
            bitasset_mcop(data), is_margin_call=True, settle_is_taker=False)
        if settled > 0:
            return True


# -- due settle orders, every block --------------------------------------------------------------
def max_force_settlement_volume(data: AssetBitassetData, current_supply: int) -> int:
    """The most that may be force-settled until the next maintenance."""
    percent = data.options.maximum_force_settlement_volume
    if percent == HUNDRED_PERCENT:
        return current_supply + data.force_settled_volume
    return (current_supply + data.force_settled_volume) * percent // HUNDRED_PERCENT


def _cannot_execute(data: AssetBitassetData) -> bool:
    return is_null(data.current_feed.settlement_price) or \
        data.options.force_settlement_offset_percent == HUNDRED_PERCENT


def _settle_due_orders(state: ChainState, asset: AssetObject) -> None:
    """One asset's part of :func:`clear_expired_force_settlements`."""
    data = bitasset_of(state, asset)
    now = state.head_time
    max_volume: int | None = None
    fill_price: Price | None = None
    while True:
        settle = next(settlements_of(state, asset.id), None)
        if settle is None:
            return
        if data.has_settlement() or (settle.settlement_date <= now and _cannot_execute(data)):
            cancel_settle_order(state, settle)
            continue
        if settle.settlement_date > now:
            return
        if max_volume is None:
            max_volume = max_force_settlement_volume(
                data, state.asset_dynamic(asset).current_supply)
        if data.force_settled_volume >= max_volume:
            return
        if fill_price is None:
            offset = data.options.force_settlement_offset_percent
            fill_price = div_ratio(data.current_feed.settlement_price,
                                   (HUNDRED_PERCENT - offset, HUNDRED_PERCENT))
        if not _fill_due_order(state, settle, data, max_volume, fill_price):
            return


def _fill_due_order(state: ChainState, settle: ForceSettlement, data: AssetBitassetData,
                    max_volume: int, fill_price: Price) -> bool:
    """Fill one due order against the least collateralised positions within the volume cap;
    False when the asset is done for this block (the order could not be filled further)."""
    settle_id = settle.id
    settled = data.force_settled_volume
    go_on = True
    while settled < max_volume and state.db.find(settle_id, ForceSettlement) is not None:
        call = least_collateralized(state.db, data)
        if call is None:  # individual settlements may have closed every position
            cancel_settle_order(state, settle)
            break
        new_settled = match_settle_and_call(state, settle, call, fill_price, data,
                                            max_volume - settled, fill_price,
                                            is_margin_call=False)
        if new_settled == 0:
            go_on = state.db.find(settle_id, ForceSettlement) is None
            break
        settled += new_settled
    if data.force_settled_volume != settled:
        with state.db.modify(data) as d:
            d.force_settled_volume = settled
    return go_on


def clear_expired_force_settlements(state: ChainState) -> None:
    """Every block: per asset (in id order), cancel what cannot be executed and fill the orders
    that are due, within the asset's volume cap."""
    index = state.db.ordered(ForceSettlement, "by_expiration")
    asset_id: ids.ObjectId | None = None
    while True:
        lo = (ids.ObjectId(1, 3, 0),) if asset_id is None else \
            (ids.ObjectId(1, 3, asset_id.instance + 1),)
        found = index.first_from(lo)
        if found is None:
            return
        asset_id = found[1].balance.asset_id
        _settle_due_orders(state, state.asset(asset_id))
