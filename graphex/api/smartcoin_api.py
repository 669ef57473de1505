"""The smartcoin methods of the ``database`` API, as bitshares-core's database_api.cpp:

- ``get_call_orders(asset, limit)``: the smartcoin's debt positions, least collateralised first
  (collateral/debt ascending, then id — core's ``by_collateral``);
- ``get_call_orders_by_account(account, start, limit)`` / ``get_margin_positions(account)``: an
  account's positions by debt asset id from ``start``;
- ``get_settle_orders(asset, limit)``: pending force settlements of the asset, soonest first;
- ``get_settle_orders_by_account(account, start, limit)``;
- ``get_collateral_bids(asset, limit, start)``: bids on a globally settled smartcoin, the highest
  collateral per debt first, skipping ``start`` bids.

Limits are core's ``api_limit_get_call_orders`` (300), ``api_limit_get_settle_orders`` (300) and
``api_limit_get_collateral_bids`` (100). The bitasset data (2.4.x) and positions (1.8.x) are chain
objects, so ``get_objects`` and ``get_full_accounts`` serve them too.
"""

from __future__ import annotations

from itertools import islice
from typing import Any, ClassVar

from ..chain.objects import AssetObject
from ..chain.smartcoin.objects import CallOrder, CollateralBid, ForceSettlement
from ..chain.state import ChainState
from ..node.node import Node
from ..protocol import ids
from ..protocol.codec import Json
from ..protocol.ids import ObjectId
from .queries import (
    QueryRefused,
    get_account,
    get_asset,
    limit_arg,
    object_json,
    parse_typed_id,
    require_non_negative,
)

MAX_CALL_ORDERS = 300
MAX_SETTLE_ORDERS = 300
MAX_COLLATERAL_BIDS = 100


def _limit(method: str, limit: Any, limit_name: str, maximum: int) -> int:
    return limit_arg(method, limit, "results", limit_name, maximum)


def _smartcoin(state: ChainState, method: str, symbol_or_id: str) -> AssetObject:
    asset = get_asset(state, symbol_or_id)
    if asset.bitasset_data_id is None:
        raise QueryRefused(f"{method}: {asset.symbol} ({asset.id}) is not a market-pegged asset")
    return asset


def collateral_rank(call: CallOrder) -> tuple[int, ObjectId]:
    """Least collateralised first: collateral/debt ascending (exact: both below 2^63), then id."""
    return ((call.collateral << 128) // call.debt if call.debt else 1 << 200, call.id)


class SmartcoinApi:
    """Smartcoin reads of the ``database`` API (mixed into :class:`DatabaseApi`)."""

    methods: ClassVar[frozenset[str]] = frozenset({
        "get_call_orders", "get_call_orders_by_account", "get_margin_positions",
        "get_settle_orders", "get_settle_orders_by_account", "get_collateral_bids",
    })

    node: Node

    def get_call_orders(self, asset_symbol_or_id: str, limit: int) -> list[Json]:
        method = "get_call_orders"
        count = _limit(method, limit, "api_limit_get_call_orders", MAX_CALL_ORDERS)
        state = self.node.state
        asset = _smartcoin(state, method, asset_symbol_or_id)
        calls = sorted(state.db.group(CallOrder, "by_debt").equal(asset.id), key=collateral_rank)
        return [object_json(c) for c in calls[:count]]

    def get_call_orders_by_account(self, account_name_or_id: str, start: str | None = None,
                                   limit: int = MAX_CALL_ORDERS) -> list[Json]:
        method = "get_call_orders_by_account"
        count = _limit(method, limit, "api_limit_get_call_orders", MAX_CALL_ORDERS)
        state = self.node.state
        account = get_account(state, account_name_or_id)
        first = ObjectId(*ids.ASSET, 0) if start is None else \
            parse_typed_id(start, ids.ASSET, "start")
        calls = sorted((c for c in state.db.group(CallOrder, "by_borrower").equal(account.id)
                        if c.debt_type >= first), key=lambda c: c.debt_type)
        return [object_json(c) for c in calls[:count]]

    def get_margin_positions(self, account_name_or_id: str) -> list[Json]:
        return self.get_call_orders_by_account(account_name_or_id, None, MAX_CALL_ORDERS)

    def get_settle_orders(self, asset_symbol_or_id: str, limit: int) -> list[Json]:
        method = "get_settle_orders"
        count = _limit(method, limit, "api_limit_get_settle_orders", MAX_SETTLE_ORDERS)
        state = self.node.state
        asset = get_asset(state, asset_symbol_or_id)
        due = (s for s in state.db.ordered(ForceSettlement, "by_expiration")
               if s.balance.asset_id == asset.id)
        return [object_json(s) for s in islice(due, count)]

    def get_settle_orders_by_account(self, account_name_or_id: str, start: str | None = None,
                                     limit: int = MAX_SETTLE_ORDERS) -> list[Json]:
        method = "get_settle_orders_by_account"
        count = _limit(method, limit, "api_limit_get_settle_orders", MAX_SETTLE_ORDERS)
        state = self.node.state
        account = get_account(state, account_name_or_id)
        first = ObjectId(*ids.FORCE_SETTLEMENT, 0) if start is None else \
            parse_typed_id(start, ids.FORCE_SETTLEMENT, "start")
        owned = state.db.group(ForceSettlement, "by_account").equal(account.id)
        return [object_json(s) for s in islice((s for s in owned if s.id >= first), count)]

    def get_collateral_bids(self, asset_symbol_or_id: str, limit: int,
                            start: int = 0) -> list[Json]:
        method = "get_collateral_bids"
        count = _limit(method, limit, "api_limit_get_collateral_bids", MAX_COLLATERAL_BIDS)
        require_non_negative(method, "start", start)
        state = self.node.state
        asset = _smartcoin(state, method, asset_symbol_or_id)
        bids = sorted(state.db.group(CollateralBid, "by_asset").equal(asset.id),
                      key=lambda b: (-((b.inv_swan_price.base.amount << 128)
                                       // max(b.inv_swan_price.quote.amount, 1)), b.id))
        return [object_json(b) for b in bids[start:start + count]]
