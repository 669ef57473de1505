"""Futures state objects (SPEC §7) and their indexes.

- ``FuturesProduct`` 1.100.x: a listed pair underlying/quote and its parameters for new series.
- ``FuturesSeries`` 1.101.x: one delivery month of a product, with the parameters it listed with,
  its mark price, and its own day statistics (for the delivery-price fallback).
- ``FuturesOrder`` 1.102.x: an open limit order; ``locked`` is the initial margin held for its
  ``open_lots`` (the part that opens or increases a position).
- ``FuturesPosition`` 1.103.x: an account's net position in a series: ``lots`` (> 0 long, < 0
  short) and ``cost`` (signed entry notional in quote units: lots × entry price × tick value).
  ``risk_lo``/``risk_hi`` are the account's safety band for this series' mark (``risk.py``).
- ``MarginAccount`` 2.100.x: an account's margin in one quote asset, cross-margined over every
  series priced in it; ``locked`` = the sum of its open orders' ``locked``.
- ``FuturesFeePool`` 2.101.x: trade, liquidation and delivery fees per quote asset.
- ``TradeDayStats`` 2.102.x: per UTC day volumes of a spot pair that has a futures product (the
  delivery price's VWAP); the series keep their own in the same shape.

All amounts are integers in smallest units; prices in ticks (10^-6 Q per whole U).
"""

from __future__ import annotations

from typing import ClassVar

from ...protocol import ids
from ...protocol.operations.futures import FuturesParameters
from ...protocol.types import AccountId, AssetId, Int64, TimeSec, UInt8, UInt32, UInt128
from ..database import Database, GroupIndex, Object, OrderedIndex, UniqueIndex
from ..market.objects import ID_BITS

NO_PRICE = 0
"""A mark or delivery price not set yet."""
RISK_NONE_LO, RISK_NONE_HI = 0, (1 << 62)
"""Band ends that never trigger (no mark yet, or nothing to lose on that side)."""

TRADING, DELIVERED = 0, 1
"""``FuturesSeries.status``."""


class FuturesProduct(Object, kw_only=True):
    """1.100.x: a futures product on underlying/quote; ``parameters`` apply to series listed
    from now on."""

    kind: ClassVar[tuple[int, int]] = ids.FUTURES_PRODUCT
    owner: AccountId
    underlying: AssetId
    quote: AssetId
    parameters: FuturesParameters
    tick_value: Int64
    """Quote units one lot gains per tick under ``parameters`` (an integer ≥ 1)."""


class DayVolume(Object, kw_only=True):
    """Shape shared by day statistics: the current UTC day's sums and the latest earlier day
    that had trades. ``day`` counts days since 1970-01-01; -1 = never traded.

    For spot, ``quote_volume``/``base_volume`` are Q and U smallest units; for a series, Σ lots ×
    price ticks and Σ lots."""

    day: Int64 = -1
    quote_volume: UInt128 = 0
    base_volume: UInt128 = 0
    prev_day: Int64 = -1
    prev_quote_volume: UInt128 = 0
    prev_base_volume: UInt128 = 0


class TradeDayStats(DayVolume, kw_only=True):
    """2.102.x: spot day volumes of the pair ``underlying``/``quote`` (both directions)."""

    kind: ClassVar[tuple[int, int]] = ids.TRADE_DAY_STATS
    underlying: AssetId
    quote: AssetId


class FuturesSeries(DayVolume, kw_only=True):
    """1.101.x: the series of ``product`` delivering at the end of ``delivery_month``."""

    kind: ClassVar[tuple[int, int]] = ids.FUTURES_SERIES
    product: ids.ObjectId
    underlying: AssetId
    quote: AssetId
    delivery_month: UInt32
    parameters: FuturesParameters
    tick_value: Int64
    listed_time: TimeSec
    cutoff_time: TimeSec
    delivery_time: TimeSec
    status: UInt8 = TRADING
    mark_price: Int64 = NO_PRICE
    """The close of the latest block with trades (or the feed): what margin is measured at."""
    last_price: Int64 = NO_PRICE
    """The latest fill's price; becomes the mark when the block closes."""
    last_trade_block: UInt32 = 0
    """The block of the latest fill (its close is the next mark)."""
    open_interest: Int64 = 0
    """Long lots outstanding (= short lots)."""
    delivery_price: Int64 = NO_PRICE


class FuturesOrder(Object, kw_only=True):
    """1.102.x: an open order for ``lots`` more lots of ``series`` at ``price`` ticks."""

    kind: ClassVar[tuple[int, int]] = ids.FUTURES_ORDER
    account: AccountId
    series: ids.ObjectId
    quote: AssetId
    side: UInt8
    price: Int64
    lots: Int64
    open_lots: Int64
    """Of ``lots``, how many open or increase the position (initial margin locked for them)."""
    locked: Int64
    flags: UInt8
    expiration: TimeSec


class FuturesPosition(Object, kw_only=True):
    """1.103.x: ``account``'s net position in ``series`` (removed when it reaches zero, so
    creation order is position age: liquidation closes the oldest first)."""

    kind: ClassVar[tuple[int, int]] = ids.FUTURES_POSITION
    account: AccountId
    series: ids.ObjectId
    quote: AssetId
    lots: Int64
    cost: Int64
    realized_pnl: Int64 = 0
    risk_lo: Int64 = RISK_NONE_LO
    risk_hi: Int64 = RISK_NONE_HI


class MarginAccount(Object, kw_only=True):
    """2.100.x: ``owner``'s margin in ``asset``: ``balance`` (never negative), of which
    ``locked`` is held by open orders."""

    kind: ClassVar[tuple[int, int]] = ids.MARGIN_ACCOUNT
    owner: AccountId
    asset: AssetId
    balance: Int64 = 0
    locked: Int64 = 0
    liquidating: bool = False
    """Left short last block with the book unable to absorb it (retried every block)."""


class FuturesFeePool(Object, kw_only=True):
    """2.101.x: the futures fee pool of one quote asset, with its flows by kind."""

    kind: ClassVar[tuple[int, int]] = ids.FUTURES_FEE_POOL
    asset: AssetId
    balance: Int64 = 0
    trade_fees: Int64 = 0
    liquidation_fees: Int64 = 0
    delivery_fees: Int64 = 0
    bad_debt_covered: Int64 = 0
    """Paid out of the pool for losses a delivery could not collect (``delivery.py``)."""


BOOK_SHIFT = 64
"""``by_book`` key: series instance, side, price rank (best first), order instance."""
PRICE_BITS = 63


def book_key(order: FuturesOrder) -> int:
    """Longs best = highest price first (rank = max − price), shorts lowest first."""
    rank = ((1 << PRICE_BITS) - 1 - order.price) if order.side == 0 else order.price
    side_prefix = order.series.instance << 1 | order.side
    return ((side_prefix << PRICE_BITS | rank) << ID_BITS) | order.id.instance


def book_bounds(series: ids.ObjectId, side: int) -> tuple[int, int]:
    prefix = series.instance << 1 | side
    return (prefix << (PRICE_BITS + ID_BITS)), ((prefix + 1) << (PRICE_BITS + ID_BITS))


def risk_key(series_instance: int, short: int, price: int, position_instance: int) -> int:
    """``by_risk`` key: series, side (0 long, 1 short), band end, position instance."""
    prefix = series_instance << 1 | short
    return ((prefix << PRICE_BITS | price) << ID_BITS) | position_instance


def position_risk_key(p: FuturesPosition) -> int:
    """A long is keyed by its band's low end, a short by its high end (the side it can lose on)."""
    if p.lots > 0:
        return risk_key(p.series.instance, 0, p.risk_lo, p.id.instance)
    return risk_key(p.series.instance, 1, p.risk_hi, p.id.instance)


def register_futures_tables(db: Database) -> None:
    db.register(
        FuturesProduct,
        UniqueIndex("by_pair", lambda p: (p.underlying, p.quote)),
    )
    db.register(
        FuturesSeries,
        UniqueIndex("by_month", lambda s: (s.product, s.delivery_month)),
        OrderedIndex("by_delivery", lambda s: (s.status, s.delivery_time, s.id.instance)),
    )
    db.register(
        FuturesOrder,
        OrderedIndex("by_book", book_key),
        OrderedIndex("by_expiration", lambda o: o.expiration << ID_BITS | o.id.instance),
        GroupIndex("by_account", lambda o: o.account),
        GroupIndex("by_series", lambda o: o.series),
    )
    db.register(
        FuturesPosition,
        UniqueIndex("by_account_series", lambda p: (p.account, p.series)),
        GroupIndex("by_account", lambda p: (p.account, p.quote)),
        GroupIndex("by_series", lambda p: p.series),
        OrderedIndex("by_risk", position_risk_key),
    )
    db.register(
        MarginAccount,
        UniqueIndex("by_owner_asset", lambda m: (m.owner, m.asset)),
        OrderedIndex("by_liquidating", lambda m: (not m.liquidating, m.id.instance)),
    )
    db.register(FuturesFeePool, UniqueIndex("by_asset", lambda f: f.asset))
    db.register(TradeDayStats, UniqueIndex("by_pair", lambda s: (s.underlying, s.quote)))
