"""Futures market history: each series' trades and OHLCV buckets, beside the spot market's.

A match yields two ``futures_fill`` virtual operations (maker and taker); the history counts
each match once, from its *taker* side (``is_maker`` false):

- ``futures_trades``: one row per match: series, block, time, price (ticks), lots and the
  taker's side (0 long = the taker bought, 1 short = it sold). Per series the rows beyond both
  bounds go, as spot fills (:class:`~.market.MarketHistoryConfig`): older than the newest
  ``max_order_his_records_per_market`` *and* at least ``max_order_his_seconds_per_market`` old;
- ``futures_buckets``: per series and bucket size (the spot sizes), the bucket holding the block
  time: open/high/low/close in ticks, ``volume`` in lots and ``price_volume`` = Σ lots × price
  ticks (× the series' tick value = the quote turnover); buckets more than
  ``maximum_history_per_bucket_size`` buckets old go.

Both tables are journaled by :mod:`.store`'s triggers (listed in :data:`FUTURES_TABLES`), so
popping a block reverts them exactly as the spot tables.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

from ...chain.applied_ops import AppliedOperation
from ...protocol.operations.futures import FuturesFill
from .market import INT64_MAX, MarketHistoryConfig

FUTURES_SCHEMA = """
CREATE TABLE IF NOT EXISTS futures_trades (
    id INTEGER PRIMARY KEY,
    series INTEGER NOT NULL,
    block_num INTEGER NOT NULL,
    time INTEGER NOT NULL,
    price INTEGER NOT NULL,
    lots INTEGER NOT NULL,
    taker_side INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS futures_trades_by_series ON futures_trades (series, id);
CREATE TABLE IF NOT EXISTS futures_buckets (
    id INTEGER PRIMARY KEY,
    series INTEGER NOT NULL,
    seconds INTEGER NOT NULL,
    open_time INTEGER NOT NULL,
    open INTEGER NOT NULL,
    high INTEGER NOT NULL,
    low INTEGER NOT NULL,
    close INTEGER NOT NULL,
    volume INTEGER NOT NULL,
    price_volume INTEGER NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS futures_buckets_by_key
    ON futures_buckets (series, seconds, open_time);
"""

FUTURES_TABLES: dict[str, tuple[str, ...]] = {
    "futures_trades": ("series", "block_num", "time", "price", "lots", "taker_side"),
    "futures_buckets": ("series", "seconds", "open_time", "open", "high", "low", "close",
                        "volume", "price_volume"),
}
"""The futures tables, journaled like the spot market's, with their columns (besides ``id``)."""


@dataclass(frozen=True)
class FuturesTrade:
    """One match of a series, as its taker saw it."""

    id: int
    series: int
    block_num: int
    time: int
    price: int
    lots: int
    taker_side: int


@dataclass
class FuturesBucket:
    """A series' OHLCV over ``seconds`` from ``open_time`` (prices in ticks, volume in lots)."""

    id: int
    series: int
    seconds: int
    open_time: int
    open: int
    high: int
    low: int
    close: int
    volume: int
    price_volume: int


def _next_id(db: sqlite3.Connection, table: str) -> int:
    row = db.execute(f"SELECT MAX(id) FROM {table}").fetchone()
    return 0 if row[0] is None else int(row[0]) + 1


# -- recording ---------------------------------------------------------------------------------
def record_futures_block(db: sqlite3.Connection, records: Sequence[AppliedOperation],
                         block_num: int, time_s: int, config: MarketHistoryConfig) -> None:
    """Record the taker sides of one block's futures fills at block time ``time_s``."""
    takers = [r.op for r in records if isinstance(r.op, FuturesFill) and not r.op.is_maker]
    if not takers:
        return
    next_id = _next_id(db, "futures_trades")
    rows = [(next_id + i, fill.series.instance, block_num, time_s, fill.price, fill.lots,
             fill.side) for i, fill in enumerate(takers)]
    db.executemany("INSERT INTO futures_trades (id, series, block_num, time, price, lots, "
                   "taker_side) VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
    series = sorted({row[1] for row in rows})
    _prune_trades(db, series, time_s, config)
    if config.maximum_history_per_bucket_size > 0:
        _record_buckets(db, takers, time_s, config)


def _prune_trades(db: sqlite3.Connection, series: list[int], time_s: int,
                  config: MarketHistoryConfig) -> None:
    max_seconds = config.max_order_his_seconds_per_market
    min_time = time_s - max_seconds if time_s > max_seconds else 0
    keep = config.max_order_his_records_per_market
    for one in series:
        row = db.execute("SELECT id FROM futures_trades WHERE series = ? ORDER BY id DESC "
                         "LIMIT 1 OFFSET ?", (one, keep)).fetchone()
        if row is not None:  # the newest row beyond the count bound: it and older may go
            db.execute("DELETE FROM futures_trades WHERE series = ? AND id <= ? AND time <= ?",
                       (one, row[0], min_time))


def _record_buckets(db: sqlite3.Connection, fills: list[FuturesFill], time_s: int,
                    config: MarketHistoryConfig) -> None:
    next_id = _next_id(db, "futures_buckets")
    for seconds in config.bucket_sizes_s:
        open_time = time_s // seconds * seconds
        touched: dict[int, FuturesBucket] = {}
        for fill in fills:
            series = fill.series.instance
            bucket = touched.get(series) or _load_bucket(db, series, seconds, open_time)
            if bucket is None:
                bucket = FuturesBucket(next_id, series, seconds, open_time, fill.price,
                                       fill.price, fill.price, fill.price, 0, 0)
                next_id += 1
                db.execute("INSERT INTO futures_buckets (id, series, seconds, open_time, open, "
                           "high, low, close, volume, price_volume) "
                           "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, 0)",
                           (bucket.id, series, seconds, open_time, *(fill.price,) * 4))
            touched[series] = bucket
            bucket.high, bucket.low = max(bucket.high, fill.price), min(bucket.low, fill.price)
            bucket.close = fill.price
            bucket.volume = min(bucket.volume + fill.lots, INT64_MAX)
            bucket.price_volume = min(bucket.price_volume + fill.lots * fill.price, INT64_MAX)
        for series, bucket in touched.items():
            db.execute("UPDATE futures_buckets SET high = ?, low = ?, close = ?, volume = ?, "
                       "price_volume = ? WHERE id = ?",
                       (bucket.high, bucket.low, bucket.close, bucket.volume,
                        bucket.price_volume, bucket.id))
            bucket_num = open_time // seconds
            if bucket_num > config.maximum_history_per_bucket_size:
                cutoff = seconds * (bucket_num - config.maximum_history_per_bucket_size)
                db.execute("DELETE FROM futures_buckets WHERE series = ? AND seconds = ? "
                           "AND open_time < ?", (series, seconds, cutoff))


def _load_bucket(db: sqlite3.Connection, series: int, seconds: int, open_time: int
                 ) -> FuturesBucket | None:
    row = db.execute(f"SELECT {_BUCKET_COLUMNS} FROM futures_buckets WHERE series = ? AND "
                     "seconds = ? AND open_time = ?", (series, seconds, open_time)).fetchone()
    return None if row is None else FuturesBucket(*row)


# -- reading -----------------------------------------------------------------------------------
_BUCKET_COLUMNS = "id, series, seconds, open_time, open, high, low, close, volume, price_volume"


def futures_trades(db: sqlite3.Connection, series: int, limit: int) -> list[FuturesTrade]:
    """The series' (instance) newest ``limit`` trades, newest first."""
    rows = db.execute("SELECT id, series, block_num, time, price, lots, taker_side FROM "
                      "futures_trades WHERE series = ? ORDER BY id DESC LIMIT ?",
                      (series, limit))
    return [FuturesTrade(*row) for row in rows]


def futures_buckets(db: sqlite3.Connection, series: int, seconds: int, start_s: int,
                    end_s: int, limit: int) -> list[FuturesBucket]:
    """Buckets of ``seconds`` opening in ``[start_s, end_s]``, oldest first, at most ``limit``."""
    rows = db.execute(f"SELECT {_BUCKET_COLUMNS} FROM futures_buckets WHERE series = ? AND "
                      "seconds = ? AND open_time >= ? AND open_time <= ? ORDER BY open_time "
                      "LIMIT ?", (series, seconds, start_s, end_s, limit))
    return [FuturesBucket(*row) for row in rows]
