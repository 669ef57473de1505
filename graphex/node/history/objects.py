"""The history service's objects, with BitShares' ids, field names and field order, so one codec
gives their API JSON (core: operation_history_object.hpp, market_history_plugin.hpp).

- ``1.11.x`` :class:`OperationHistoryObject` — one applied operation, real or virtual.
- ``5.0.x`` :class:`OrderHistoryObject` — one side of one fill in a market's order history.
- ``5.1.x`` :class:`BucketObject` — a market's OHLCV over one bucket of ``seconds``.
- ``5.2.x`` the market ticker (its id is the ticker's ``mto_id``).

Markets are keyed by (lower asset id, higher asset id) as ``base``/``quote``; bucket and ticker
prices are ``base / quote`` amounts, never reduced, never floats.
"""

from __future__ import annotations

from typing import Annotated

from ...protocol.operations.base import OPERATION, OPERATION_RESULT, Operation, OperationResult
from ...protocol.operations.market import FillOrder
from ...protocol.struct import WireStruct
from ...protocol.types import AssetId, GenericId, Int64, TimeSec, UInt16, UInt32

OPERATION_HISTORY_SPACE_TYPE = (1, 11)
ORDER_HISTORY_SPACE_TYPE = (5, 0)
BUCKET_SPACE_TYPE = (5, 1)
MARKET_TICKER_SPACE_TYPE = (5, 2)


class OperationHistoryObject(WireStruct, frozen=True):
    """``1.11.x``: an applied operation and where it was applied."""

    id: GenericId
    op: Annotated[Operation, OPERATION]
    result: Annotated[OperationResult, OPERATION_RESULT]
    block_num: UInt32
    trx_in_block: UInt16
    op_in_trx: UInt16
    virtual_op: UInt32
    is_virtual: bool
    block_time: TimeSec


class HistoryKey(WireStruct, frozen=True):
    base: AssetId
    quote: AssetId
    sequence: Int64


class OrderHistoryObject(WireStruct, frozen=True):
    """``5.0.x``: a ``fill_order`` in its market; ``key.sequence`` falls by one per fill (0, -1, …)
    so the newest fill sorts first."""

    id: GenericId
    key: HistoryKey
    time: TimeSec
    op: FillOrder


class BucketKey(WireStruct, frozen=True):
    base: AssetId
    quote: AssetId
    seconds: UInt32
    open: TimeSec


class BucketObject(WireStruct, frozen=True):
    """``5.1.x``: prices as ``*_base / *_quote``; volumes are the makers' fills, in each asset."""

    id: GenericId
    key: BucketKey
    high_base: Int64
    high_quote: Int64
    low_base: Int64
    low_quote: Int64
    open_base: Int64
    open_quote: Int64
    close_base: Int64
    close_quote: Int64
    base_volume: Int64
    quote_volume: Int64
