"""The ``history`` API set: account and market history from the node's history service.

As bitshares-core's ``history_api`` (libraries/app/api.cpp; ``reference/bitshares.md`` §6.2),
reached with ``call ["history", method, args]`` or through ``login``'s ``history`` id:

- ``get_account_history(account, stop, limit, start)`` — operations ``1.11.x`` with
  ``stop < id <= start`` (``start`` ``1.11.0``: the newest; ``stop`` ``1.11.0`` includes the
  very first), newest first; ``get_relative_account_history(account, stop, limit, start)`` the
  same by the account's own operation numbers (1 = its first, ``start`` 0: its latest);
  ``get_account_history_operations(account, operation_type, start, stop, limit)`` only one
  operation type. An unknown account gives ``[]``, as core.
- ``get_block_operation_history(block_num, trx_in_block?)`` — one block's operations.
- ``get_fill_order_history(a, b, limit)`` — the market's fills ``5.0.x``, newest first.
- ``get_market_history(a, b, bucket_seconds, start, end)`` — buckets ``5.1.x`` opening in
  ``[start, end]``, oldest first, the first ``api_limit_get_market_history`` of them.
- ``get_market_history_buckets()`` — the bucket sizes kept.
"""

from __future__ import annotations

import sqlite3
from typing import ClassVar

from ..chain.market.objects import market_key
from ..chain.objects import Account
from ..node.history import HistoryService, HistoryUnavailable
from ..node.history.market_queries import buckets, fills_newest_first
from ..node.history.operations import (
    account_history,
    account_operations_of_type,
    block_operations,
    relative_account_history,
)
from ..node.node import Node
from ..protocol import ids
from ..protocol.codec import Json, parse_time
from .errors import InvalidParams
from .market_data import NOT_ENABLED
from .queries import (
    find_account,
    get_asset,
    object_json,
    parse_typed_id,
    require_count,
    require_non_negative,
)

MAX_ACCOUNT_HISTORY = 100
"""api_limit_get_account_history: operations per get_account_history call."""
MAX_ACCOUNT_HISTORY_OPERATIONS = 100
"""api_limit_get_account_history_operations."""
MAX_RELATIVE_ACCOUNT_HISTORY = 100
"""api_limit_get_relative_account_history."""
MAX_MARKET_HISTORY = 200
"""api_limit_get_market_history: buckets per get_market_history answer (more are cut off)."""
MAX_FILL_ORDER_HISTORY = 1000
"""Fills per get_fill_order_history call (graphex: core sets none; a market keeps about
max_order_his_records_per_market = 1000)."""
FIRST_OPERATION = "1.11.0"


class HistoryApi:
    """BitShares' ``history_api`` over one node's :class:`HistoryService` (None: not enabled)."""

    methods: ClassVar[frozenset[str]] = frozenset({
        "get_account_history", "get_relative_account_history", "get_account_history_operations",
        "get_block_operation_history", "get_fill_order_history", "get_market_history",
        "get_market_history_buckets",
    })

    def __init__(self, node: Node, history: HistoryService | None) -> None:
        self.node = node
        self.history = history

    def _service(self) -> HistoryService:
        if self.history is None:
            raise HistoryUnavailable(NOT_ENABLED)
        return self.history

    def _db(self) -> sqlite3.Connection:
        return self._service().reader()

    def _account(self, name_or_id: str) -> Account | None:
        """The account, or None for anything core's lookup would fail on (core answers [])."""
        try:
            return find_account(self.node.state, name_or_id)
        except InvalidParams:
            return None

    # -- accounts ------------------------------------------------------------------------------
    def get_account_history(self, account: str, stop: str = FIRST_OPERATION,
                            limit: int = MAX_ACCOUNT_HISTORY, start: str = FIRST_OPERATION
                            ) -> list[Json]:
        _check_limit("get_account_history", "operations", limit, "api_limit_get_account_history",
                     MAX_ACCOUNT_HISTORY)
        stop_id, start_id = _operation_id(stop), _operation_id(start)
        db = self._db()
        found = self._account(account)
        if found is None:
            return []
        return [object_json(o) for o in account_history(db, found.id, stop_id, limit, start_id)]

    def get_relative_account_history(self, account: str, stop: int = 0,
                                     limit: int = MAX_RELATIVE_ACCOUNT_HISTORY, start: int = 0
                                     ) -> list[Json]:
        _check_limit("get_relative_account_history", "operations", limit,
                     "api_limit_get_relative_account_history", MAX_RELATIVE_ACCOUNT_HISTORY)
        require_non_negative("get_relative_account_history", "stop", stop)
        require_non_negative("get_relative_account_history", "start", start)
        db = self._db()
        found = self._account(account)
        if found is None:
            return []
        return [object_json(o)
                for o in relative_account_history(db, found.id, stop, limit, start)]

    def get_account_history_operations(self, account: str, operation_type: int,
                                       start: str = FIRST_OPERATION, stop: str = FIRST_OPERATION,
                                       limit: int = MAX_ACCOUNT_HISTORY_OPERATIONS) -> list[Json]:
        _check_limit("get_account_history_operations", "operations", limit,
                     "api_limit_get_account_history_operations", MAX_ACCOUNT_HISTORY_OPERATIONS)
        start_id, stop_id = _operation_id(start), _operation_id(stop)
        db = self._db()
        found = self._account(account)
        if found is None:
            return []
        return [object_json(o) for o in account_operations_of_type(
            db, found.id, operation_type, start_id, stop_id, limit)]

    def get_block_operation_history(self, block_num: int, trx_in_block: int | None = None
                                    ) -> list[Json]:
        return [object_json(o) for o in block_operations(self._db(), block_num, trx_in_block)]

    # -- markets -------------------------------------------------------------------------------
    def get_fill_order_history(self, a: str, b: str, limit: int) -> list[Json]:
        _check_limit("get_fill_order_history", "fills", limit, "MAX_FILL_ORDER_HISTORY",
                     MAX_FILL_ORDER_HISTORY)
        market = market_key(get_asset(self.node.state, a).id, get_asset(self.node.state, b).id)
        return [object_json(o) for o in fills_newest_first(self._db(), *market, limit)]

    def get_market_history(self, a: str, b: str, bucket_seconds: int, start: str, end: str
                           ) -> list[Json]:
        require_non_negative("get_market_history", "bucket_seconds", bucket_seconds)
        market = market_key(get_asset(self.node.state, a).id, get_asset(self.node.state, b).id)
        found = buckets(self._db(), *market, bucket_seconds, parse_time(start), parse_time(end),
                        MAX_MARKET_HISTORY)
        return [object_json(o) for o in found]

    def get_market_history_buckets(self) -> list[int]:
        return list(self._service().config.bucket_sizes_s)


def _check_limit(method: str, what: str, limit: int, limit_name: str, maximum: int) -> None:
    require_non_negative(method, "limit", limit)
    require_count(method, what, limit, limit_name, maximum)


def _operation_id(text: str) -> int:
    return parse_typed_id(text, ids.OPERATION_HISTORY, "operation history id").instance
