"""State invariants, checked after every block in tests and on demand by ``graphex check``.

- Supply conservation: for every asset, the sum of balances and of every other place an asset can
  be held (fees pending in account statistics, fee pools, accumulated fees, and whatever later
  modules register in :data:`HOLDINGS`) equals the asset's ``current_supply``.
- No balance is negative; no supply exceeds the asset's maximum supply.
- Smartcoin debt: a smartcoin's supply is the debt of its positions plus its individual
  settlement fund's debt; a globally settled one has neither (its fund backs the whole supply).
- The books: no order book is left crossed (the best offers of its two sides do not match), every
  open order has something for sale, and each account's ``total_core_in_orders`` is the core its
  open orders and its debt positions' collateral hold.

A violation is a bug, never bad input: it raises :class:`InvariantError`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable

from ..protocol import ids
from ..protocol.ids import ObjectId
from .futures.checks import check_futures, futures_holdings
from .invariant import InvariantError
from .market.objects import LimitOrder, order_holdings
from .market.price import crosses
from .objects import AccountBalance, AccountStatistics, AssetDynamicData, AssetObject
from .smartcoin.objects import AssetBitassetData, CallOrder, smartcoin_holdings
from .state import ChainState

Holding = tuple[ObjectId, int]
HOLDINGS: list[Callable[[ChainState], Iterable[Holding]]] = []
"""Functions yielding (asset id, amount) held outside balances, registered by later modules."""


def foundation_holdings(state: ChainState) -> Iterable[Holding]:
    for stats in state.db.table(AccountStatistics):
        if stats.pending_fees:
            yield ids.CORE_ASSET, stats.pending_fees
    for asset in state.db.table(AssetObject):
        dyn = state.asset_dynamic(asset)
        if dyn.fee_pool:
            yield ids.CORE_ASSET, dyn.fee_pool
        if dyn.accumulated_fees:
            yield asset.id, dyn.accumulated_fees


def market_holdings(state: ChainState) -> Iterable[Holding]:
    yield from order_holdings(state.db.table(LimitOrder))
    yield from smartcoin_holdings(state.db)
    for asset in state.db.table(AssetObject):  # margin call fees, held in the backing asset
        if asset.bitasset_data_id is not None:
            dyn = state.asset_dynamic(asset)
            if dyn.accumulated_collateral_fees:
                data = state.db.get(asset.bitasset_data_id, AssetBitassetData)
                yield data.options.short_backing_asset, dyn.accumulated_collateral_fees


def check_books(state: ChainState) -> None:
    """No crossed book, no empty order, ``total_core_in_orders`` agrees with the open orders and
    the positions' core collateral."""
    core_in_orders: dict[ObjectId, int] = defaultdict(int)
    best: dict[tuple[ObjectId, ObjectId], LimitOrder] = {}
    for order in state.db.ordered(LimitOrder, "by_price"):
        if order.for_sale <= 0:
            raise InvariantError(f"limit order {order.id} has {order.for_sale} for sale")
        if order.sell_price.base.asset_id == ids.CORE_ASSET:
            core_in_orders[order.seller] += order.for_sale
        best.setdefault((order.sell_price.base.asset_id, order.sell_price.quote.asset_id), order)
    for call in state.db.table(CallOrder):  # core counts positions' core collateral too
        if call.collateral_type == ids.CORE_ASSET:
            core_in_orders[call.borrower] += call.collateral
    for (sell, receive), order in best.items():
        other = best.get((receive, sell))
        if other is not None and crosses(order.sell_price, other.sell_price):
            raise InvariantError(
                f"crossed book: limit orders {order.id} and {other.id} match but both rest on the "
                f"book ({order.sell_price} vs {other.sell_price})"
            )
    for stats in state.db.table(AccountStatistics):
        if stats.total_core_in_orders != core_in_orders.get(stats.owner, 0):
            raise InvariantError(
                f"account {stats.owner}: total_core_in_orders {stats.total_core_in_orders} but its "
                f"open orders hold {core_in_orders.get(stats.owner, 0)}"
            )


def check_invariants(state: ChainState) -> None:
    """Raise InvariantError naming the first broken invariant and its values."""
    held: dict[ObjectId, int] = defaultdict(int)
    for balance in state.db.table(AccountBalance):
        if balance.balance < 0:
            raise InvariantError(
                f"negative balance: {balance.owner} holds {balance.balance} of {balance.asset_type}"
            )
        held[balance.asset_type] += balance.balance
    for source in (foundation_holdings, market_holdings, futures_holdings, *HOLDINGS):
        for asset_id, amount in source(state):
            if amount < 0:
                raise InvariantError(f"negative holding of {amount} in {asset_id}")
            held[asset_id] += amount
    for asset in state.db.table(AssetObject):
        dyn = state.db.get(asset.dynamic_asset_data_id, AssetDynamicData)
        if held.get(asset.id, 0) != dyn.current_supply:
            raise InvariantError(
                f"supply not conserved for {asset.symbol} ({asset.id}): holdings add up to "
                f"{held.get(asset.id, 0)}, current_supply is {dyn.current_supply}"
            )
        if dyn.current_supply > asset.options.max_supply:
            raise InvariantError(
                f"{asset.symbol} supply {dyn.current_supply} exceeds max {asset.options.max_supply}"
            )
    check_books(state)
    check_smartcoin_debt(state)
    check_futures(state)


def check_smartcoin_debt(state: ChainState) -> None:
    debt: dict[ObjectId, int] = defaultdict(int)
    for call in state.db.table(CallOrder):
        debt[call.debt_type] += call.debt
    for data in state.db.table(AssetBitassetData):
        supply = state.asset_dynamic(state.asset(data.asset_id)).current_supply
        owed = debt.get(data.asset_id, 0) + data.individual_settlement_debt
        if data.has_settlement() and owed:
            raise InvariantError(f"globally settled {data.asset_id} still has debt {owed}")
        if not data.has_settlement() and owed != supply:
            raise InvariantError(
                f"smartcoin {data.asset_id}: supply {supply} but its positions and individual "
                f"settlement owe {owed}")
