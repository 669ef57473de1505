"""Debt positions (call orders, 1.8.x): finding them in collateral-ratio order and filling them
(core: ``find_least_collateralized_short``, ``fill_call_order`` in db_market.cpp).

A position's collateral is held by the chain: it counts in the supply of the backing asset (see
:func:`.objects.smartcoin_holdings`) and, when it is the core asset, in the borrower's
``total_core_in_orders``, as core keeps it. A fill buys ``receives`` of the position's debt with
``pays`` of its collateral; the debt bought is destroyed (the smartcoin's supply shrinks), and the
margin call fee (BSIP74), the part of ``pays`` the buyer did not get, goes to the smartcoin's
``accumulated_collateral_fees``. A position whose debt reaches 0 is closed and what collateral is
left goes back to its borrower.
"""

from __future__ import annotations

from collections.abc import Iterator

from ...protocol import ids
from ...protocol.ids import ObjectId
from ...protocol.operations import FillOrder
from ...protocol.types import Asset, Price
from ..database import Database
from ..errors import ChainError
from ..invariant import broken, invariant
from ..market.objects import ID_BITS
from ..market.orders import add_core_in_orders
from ..market.price import SIDE_SHIFT
from ..objects import AssetObject
from ..state import ChainState
from .objects import AssetBitassetData, CallOrder


class MarginCallError(ChainError):
    """A margin call that cannot be executed (a position asked to pay more collateral than it
    holds — core's assertion in ``fill_call_order``)."""

    rule = "margin call"


def bitasset_of(state: ChainState, asset: AssetObject) -> AssetBitassetData:
    """The bitasset data (2.4.x) of a market-pegged ``asset``."""
    data_id = asset.bitasset_data_id
    if data_id is None:
        broken(f"{asset.symbol} ({asset.id}) is not market-pegged")
    return state.db.get(data_id, AssetBitassetData)


def _pair_bounds(collateral: ObjectId, debt: ObjectId) -> tuple[int, int]:
    side = collateral.instance << 48 | debt.instance
    return side << SIDE_SHIFT << ID_BITS, (side + 1) << SIDE_SHIFT << ID_BITS


def calls_by_collateral(db: Database, bitasset: AssetBitassetData) -> Iterator[CallOrder]:
    """The smartcoin's positions, least collateralized first (then oldest)."""
    lo, hi = _pair_bounds(bitasset.options.short_backing_asset, bitasset.asset_id)
    return db.ordered(CallOrder, "by_collateral").range(lo, hi)


def least_collateralized(db: Database, bitasset: AssetBitassetData) -> CallOrder | None:
    """The smartcoin's position with the lowest collateral/debt, or None."""
    lo, hi = _pair_bounds(bitasset.options.short_backing_asset, bitasset.asset_id)
    found = db.ordered(CallOrder, "by_collateral").first_from(lo)
    if found is None or found[0] >= hi:
        return None
    return found[1]


def accumulate_collateral_fee(state: ChainState, asset: AssetObject, fee: Asset) -> None:
    """core's ``asset_object::accumulate_fee`` for a fee in the backing asset."""
    if fee.amount == 0:
        return
    invariant(fee.amount > 0, f"negative collateral fee {fee}")
    dyn = state.asset_dynamic(asset)
    with state.db.modify(dyn) as d:
        if fee.asset_id == asset.id:
            d.accumulated_fees += fee.amount
        else:
            invariant(fee.asset_id == bitasset_of(state, asset).options.short_backing_asset,
                      f"{asset.symbol} cannot accumulate a fee in {fee.asset_id}")
            d.accumulated_collateral_fees += fee.amount


def fill_call_order(state: ChainState, call: CallOrder, pays: Asset, receives: Asset,
                    fill_price: Price, is_maker: bool, margin_call_fee: Asset,
                    *, reduce_supply: bool = True) -> bool:
    """``call`` pays ``pays`` (collateral) for ``receives`` (its debt); emits ``fill_order``
    carrying the margin call fee. True when the position is closed."""
    invariant(receives.asset_id == call.debt_type and pays.asset_id == call.collateral_type,
              f"fill of call order {call.id} in the wrong assets: pays {pays}, receives {receives}")
    invariant(0 <= receives.amount <= call.debt and pays.amount >= 0,
              f"fill of call order {call.id} (debt {call.debt}) with pays {pays}, receives {receives}")
    if pays.amount > call.collateral:
        raise MarginCallError(
            f"margin call: call order {call.id} would pay {state.fmt_asset(pays)} but holds only "
            f"{state.fmt(call.collateral, call.collateral_type)}"
        )
    mia = state.asset(receives.asset_id)
    borrower = call.borrower
    closed = call.debt == receives.amount
    freed = call.collateral - pays.amount if closed else 0
    if not closed:
        with state.db.modify(call) as c:
            c.debt -= receives.amount
            c.collateral -= pays.amount
    if reduce_supply:
        with state.db.modify(state.asset_dynamic(mia)) as d:
            d.current_supply -= receives.amount
    if freed:
        state.adjust_balance(borrower, pays.asset_id, freed)
    if pays.asset_id == ids.CORE_ASSET:
        add_core_in_orders(state, borrower, -(pays.amount + freed))
    accumulate_collateral_fee(state, mia, margin_call_fee)
    state.applied.push(FillOrder(margin_call_fee, call.id, borrower, pays, receives, fill_price,
                                 is_maker))
    if closed:
        state.db.remove(call)
    return closed
