"""Market history: each market's fills, OHLCV buckets and ticker, as core's market_history plugin
(libraries/plugins/market_history/market_history_plugin.cpp) keeps them.

A market is (lower asset id, higher asset id) = (``base``, ``quote``). For every ``fill_order``:

- an order-history row (``5.0.x``) with ``sequence`` one below the market's lowest (0 for the
  first), so the newest sorts first; then the market's rows beyond both bounds are dropped: those
  older than the newest ``max_order_his_records_per_market`` *and* at least
  ``max_order_his_seconds_per_market`` old (a row is kept if either bound keeps it);
- for a *maker* fill only (each match has one): the ticker's latest price and, per bucket size, the
  bucket holding the block time: open/close/high/low are the fill price, volumes what the maker
  paid and received; buckets more than ``maximum_history_per_bucket_size`` buckets old go.

At the end of each block the ticker rolls: ``last_day`` becomes the price of the newest maker fill
more than 24 h old. The 24 h volumes are summed from the fills when asked
(:mod:`.market_queries`; the seconds bound is at least 24 h, so those fills are all kept). Prices
are ``base/quote`` integer pairs compared by cross-multiplication.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

from ...chain.applied_ops import AppliedOperation
from ...protocol.operations.market import FillOrder
from ...protocol.struct import codec_of

DEFAULT_BUCKET_SIZES_S = (60, 300, 900, 3600, 14400, 86400, 604800)
DAY_S = 86_400
INT64_MAX = (1 << 63) - 1
_FILL = codec_of(FillOrder)


@dataclass(frozen=True)
class MarketHistoryConfig:
    """core's market_history plugin options (``history-per-size`` as
    ``maximum_history_per_bucket_size``)."""

    bucket_sizes_s: tuple[int, ...] = DEFAULT_BUCKET_SIZES_S
    maximum_history_per_bucket_size: int = 1000
    max_order_his_records_per_market: int = 1000
    max_order_his_seconds_per_market: int = 259_200

    def __post_init__(self) -> None:
        if any(s <= 0 for s in self.bucket_sizes_s) or \
                list(self.bucket_sizes_s) != sorted(set(self.bucket_sizes_s)):
            raise ValueError(f"bucket sizes must be positive, ascending and distinct: "
                             f"{self.bucket_sizes_s}")
        if self.max_order_his_seconds_per_market < DAY_S:
            raise ValueError(
                f"max_order_his_seconds_per_market must be at least {DAY_S} (24 h) for the "
                f"ticker, got {self.max_order_his_seconds_per_market}"
            )
        if self.max_order_his_records_per_market < 1 or self.maximum_history_per_bucket_size < 0:
            raise ValueError("max_order_his_records_per_market must be >= 1 and "
                             "maximum_history_per_bucket_size >= 0")


@dataclass(frozen=True)
class Fill:
    """A fill as the market sees it: amounts and price oriented to (base, quote)."""

    op: FillOrder
    base: int
    quote: int
    base_amount: int
    quote_amount: int
    price_base: int
    price_quote: int

    @classmethod
    def of(cls, op: FillOrder) -> Fill:
        pays, receives, price = op.pays, op.receives, op.fill_price
        if pays.asset_id < receives.asset_id:
            base, quote, base_amount, quote_amount = pays.asset_id, receives.asset_id, \
                pays.amount, receives.amount
        else:
            base, quote, base_amount, quote_amount = receives.asset_id, pays.asset_id, \
                receives.amount, pays.amount
        if price.base.asset_id == base:
            price_base, price_quote = price.base.amount, price.quote.amount
        else:
            price_base, price_quote = price.quote.amount, price.base.amount
        return cls(op, base.instance, quote.instance, base_amount, quote_amount,
                   price_base, price_quote)


def _next_id(db: sqlite3.Connection, table: str) -> int:
    row = db.execute(f"SELECT MAX(id) FROM {table}").fetchone()
    return 0 if row[0] is None else int(row[0]) + 1


def _price_less(a: tuple[int, int], b: tuple[int, int]) -> bool:
    """``a < b`` for prices ``base/quote`` of the same market (core's ``price::operator<``)."""
    return a[0] * b[1] < b[0] * a[1]


# -- recording -------------------------------------------------------------------------------------
def record_market_block(db: sqlite3.Connection, records: Sequence[AppliedOperation],
                        time_s: int, config: MarketHistoryConfig) -> None:
    """Record the fills of one block at block time ``time_s``, then roll the tickers."""
    block = MarketBlock(db, time_s, config)
    for record in records:
        if isinstance(record.op, FillOrder):
            block.add(Fill.of(record.op))
    block.write()
    roll_tickers(db, time_s)


@dataclass
class _Bucket:
    id: int
    is_new: bool
    open: tuple[int, int]
    high: tuple[int, int]
    low: tuple[int, int]
    close: tuple[int, int]
    base_volume: int
    quote_volume: int


class MarketBlock:
    """One block's market-history changes, applied fill by fill in memory as core applies them
    to its objects (ids given in fill order), then written with one statement per row touched.

    Every fill of a block has the block's time, so the bounds cut at the same place for all of
    them: pruning once after the block removes exactly what pruning after each fill would."""

    def __init__(self, db: sqlite3.Connection, time_s: int, config: MarketHistoryConfig) -> None:
        self.db, self.time_s, self.config = db, time_s, config
        self.next_fill_id = _next_id(db, "fills")
        self.next_bucket_id = _next_id(db, "buckets")
        self.next_ticker_id = _next_id(db, "tickers")
        self.fill_rows: list[tuple[object, ...]] = []
        self.lowest_sequence: dict[tuple[int, int], int] = {}
        self.latest: dict[tuple[int, int], tuple[int | None, tuple[int, int]]] = {}
        """market -> (id of a new ticker or None, latest price)"""
        self.buckets: dict[tuple[int, int, int, int], _Bucket] = {}

    def add(self, fill: Fill) -> None:
        market = (fill.base, fill.quote)
        sequence = self._lowest_sequence(market) - 1
        self.lowest_sequence[market] = sequence
        self.fill_rows.append((
            self.next_fill_id, *market, sequence, self.time_s, int(fill.op.is_maker),
            fill.base_amount, fill.quote_amount, fill.price_base, fill.price_quote,
            _FILL.pack(fill.op),
        ))
        self.next_fill_id += 1
        if not fill.op.is_maker:
            return
        self._set_latest(market, (fill.price_base, fill.price_quote))
        if self.config.maximum_history_per_bucket_size > 0:
            for seconds in self.config.bucket_sizes_s:
                self._add_to_bucket(fill, seconds)

    def _lowest_sequence(self, market: tuple[int, int]) -> int:
        if market not in self.lowest_sequence:
            lowest = self.db.execute("SELECT MIN(sequence) FROM fills WHERE base = ? AND "
                                     "quote = ?", market).fetchone()[0]
            self.lowest_sequence[market] = 1 if lowest is None else int(lowest)  # first: 0
        return self.lowest_sequence[market]

    def _set_latest(self, market: tuple[int, int], price: tuple[int, int]) -> None:
        if market in self.latest:
            self.latest[market] = (self.latest[market][0], price)
            return
        row = self.db.execute("SELECT id FROM tickers WHERE base = ? AND quote = ?",
                              market).fetchone()
        new_id = None
        if row is None:
            new_id, self.next_ticker_id = self.next_ticker_id, self.next_ticker_id + 1
        self.latest[market] = (new_id, price)

    def _add_to_bucket(self, fill: Fill, seconds: int) -> None:
        key = (fill.base, fill.quote, seconds, self.time_s // seconds * seconds)
        price = (fill.price_base, fill.price_quote)
        bucket = self.buckets.get(key) or self._load_bucket(key)
        if bucket is None:
            self.buckets[key] = _Bucket(self.next_bucket_id, True, price, price, price, price,
                                        fill.base_amount, fill.quote_amount)
            self.next_bucket_id += 1
            return
        bucket.base_volume = min(bucket.base_volume + fill.base_amount, INT64_MAX)
        bucket.quote_volume = min(bucket.quote_volume + fill.quote_amount, INT64_MAX)
        bucket.close = price
        if _price_less(bucket.high, price):
            bucket.high = price
        if _price_less(price, bucket.low):
            bucket.low = price

    def _load_bucket(self, key: tuple[int, int, int, int]) -> _Bucket | None:
        row = self.db.execute(
            "SELECT id, open_base, open_quote, high_base, high_quote, low_base, low_quote, "
            "close_base, close_quote, base_volume, quote_volume FROM buckets WHERE base = ? "
            "AND quote = ? AND seconds = ? AND open = ?", key).fetchone()
        if row is None:
            return None
        bucket = _Bucket(row[0], False, (row[1], row[2]), (row[3], row[4]), (row[5], row[6]),
                         (row[7], row[8]), row[9], row[10])
        self.buckets[key] = bucket
        return bucket

    def write(self) -> None:
        db, config = self.db, self.config
        db.executemany(
            "INSERT INTO fills (id, base, quote, sequence, time, is_maker, base_amount, "
            "quote_amount, price_base, price_quote, op) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            self.fill_rows)
        max_seconds = config.max_order_his_seconds_per_market
        min_time = self.time_s - max_seconds if self.time_s > max_seconds else 0
        for market, lowest in self.lowest_sequence.items():
            db.execute("DELETE FROM fills WHERE base = ? AND quote = ? AND sequence >= ? "
                       "AND time <= ?",
                       (*market, lowest + config.max_order_his_records_per_market, min_time))
        for market, (new_id, (base, quote)) in self.latest.items():
            if new_id is None:
                db.execute("UPDATE tickers SET latest_base = ?, latest_quote = ? WHERE base = ? "
                           "AND quote = ?", (base, quote, *market))
            else:
                db.execute("INSERT INTO tickers (id, base, quote, latest_base, latest_quote, "
                           "last_day_base, last_day_quote) VALUES (?, ?, ?, ?, ?, 0, 0)",
                           (new_id, *market, base, quote))
        for key, bucket in self.buckets.items():
            self._write_bucket(key, bucket)
            bucket_num = key[3] // key[2]
            if bucket_num > config.maximum_history_per_bucket_size:
                cutoff = key[2] * (bucket_num - config.maximum_history_per_bucket_size)
                db.execute("DELETE FROM buckets WHERE base = ? AND quote = ? AND seconds = ? "
                           "AND open < ?", (*key[:3], cutoff))

    def _write_bucket(self, key: tuple[int, int, int, int], b: _Bucket) -> None:
        prices = (*b.high, *b.low, *b.close, b.base_volume, b.quote_volume)
        if b.is_new:
            self.db.execute(
                "INSERT INTO buckets (id, base, quote, seconds, open, open_base, open_quote, "
                "high_base, high_quote, low_base, low_quote, close_base, close_quote, "
                "base_volume, quote_volume) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (b.id, *key, *b.open, *prices))
        else:
            self.db.execute(
                "UPDATE buckets SET high_base = ?, high_quote = ?, low_base = ?, low_quote = ?, "
                "close_base = ?, close_quote = ?, base_volume = ?, quote_volume = ? WHERE id = ?",
                (*prices, b.id))


def roll_tickers(db: sqlite3.Connection, time_s: int) -> None:
    """Give each market whose fills passed 24 h the newest such maker price as ``last_day``."""
    rolled_through = int(db.execute("SELECT rolled_through FROM ticker_roll").fetchone()[0])
    last = rolled_through
    cutoff = time_s - DAY_S
    rows = db.execute("SELECT id, base, quote, is_maker, price_base, price_quote, time "
                      "FROM fills WHERE id > ? ORDER BY id", (rolled_through,))
    for fill_id, base, quote, is_maker, price_base, price_quote, fill_time in rows:
        if fill_time >= cutoff:
            break
        if is_maker:
            db.execute("UPDATE tickers SET last_day_base = ?, last_day_quote = ? "
                       "WHERE base = ? AND quote = ?", (price_base, price_quote, base, quote))
        last = fill_id
    if last != rolled_through:
        db.execute("UPDATE ticker_roll SET rolled_through = ?", (last,))
