"""Reading market history: tickers with their 24 h volumes, fills (5.0.x) in key or time order,
buckets (5.1.x). Markets are (lower asset id, higher asset id); see :mod:`.market`."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass

from ...protocol import ids
from ...protocol.ids import ObjectId
from ...protocol.operations.market import FillOrder
from ...protocol.struct import codec_of
from .market import DAY_S
from .objects import (
    BUCKET_SPACE_TYPE,
    MARKET_TICKER_SPACE_TYPE,
    ORDER_HISTORY_SPACE_TYPE,
    BucketKey,
    BucketObject,
    HistoryKey,
    OrderHistoryObject,
)

_FILL = codec_of(FillOrder)


@dataclass(frozen=True)
class TickerRow:
    """The ticker of a market with maker fills: ``5.2.id``, prices as (base, quote) amounts and
    the makers' volumes of the last 24 h."""

    id: ObjectId
    latest: tuple[int, int]
    last_day: tuple[int, int]
    base_volume: int
    quote_volume: int


def ticker(db: sqlite3.Connection, base: ObjectId, quote: ObjectId, now_s: int
           ) -> TickerRow | None:
    """The ticker of market (``base`` < ``quote``) at time ``now_s``, or None (no maker fill)."""
    market = (base.instance, quote.instance)
    row = db.execute("SELECT id, latest_base, latest_quote, last_day_base, last_day_quote "
                     "FROM tickers WHERE base = ? AND quote = ?", market).fetchone()
    if row is None:
        return None
    base_volume, quote_volume = _day_volumes(db, market, now_s - DAY_S)
    return TickerRow(ObjectId(*MARKET_TICKER_SPACE_TYPE, row[0]), (row[1], row[2]),
                     (row[3], row[4]), base_volume, quote_volume)


def _day_volumes(db: sqlite3.Connection, market: tuple[int, int], since_s: int
                 ) -> tuple[int, int]:
    where = "FROM fills WHERE base = ? AND quote = ? AND time >= ? AND is_maker = 1"
    try:
        row = db.execute(f"SELECT SUM(base_amount), SUM(quote_amount) {where}",
                         (*market, since_s)).fetchone()
        return int(row[0] or 0), int(row[1] or 0)
    except sqlite3.OperationalError:  # "integer overflow": sum beyond int64, sum exactly here
        rows = db.execute(f"SELECT base_amount, quote_amount {where}", (*market, since_s))
        totals = [0, 0]
        for base_amount, quote_amount in rows:
            totals[0] += base_amount
            totals[1] += quote_amount
        return totals[0], totals[1]


_FILL_COLUMNS = "id, base, quote, sequence, time, op"


def _order_history(row: tuple[int, int, int, int, int, bytes]) -> OrderHistoryObject:
    fill_id, base, quote, sequence, time_s, op = row
    return OrderHistoryObject(
        ObjectId(*ORDER_HISTORY_SPACE_TYPE, fill_id),
        HistoryKey(ids.oid(ids.ASSET, base), ids.oid(ids.ASSET, quote), sequence),
        time_s, _FILL.unpack(op),
    )


def fills_newest_first(db: sqlite3.Connection, base: ObjectId, quote: ObjectId, limit: int
                       ) -> list[OrderHistoryObject]:
    rows = db.execute(f"SELECT {_FILL_COLUMNS} FROM fills WHERE base = ? AND quote = ? "
                      "ORDER BY sequence LIMIT ?", (base.instance, quote.instance, limit))
    return [_order_history(row) for row in rows]


def fills_by_time(db: sqlite3.Connection, base: ObjectId, quote: ObjectId, start_s: int,
                  stop_s: int) -> Iterator[OrderHistoryObject]:
    """Fills with ``stop_s <= time <= start_s``, newest time first, then by sequence."""
    rows = db.execute(f"SELECT {_FILL_COLUMNS} FROM fills WHERE base = ? AND quote = ? "
                      "AND time <= ? AND time >= ? ORDER BY time DESC, sequence",
                      (base.instance, quote.instance, start_s, stop_s))
    return (_order_history(row) for row in rows)


def fills_by_sequence(db: sqlite3.Connection, base: ObjectId, quote: ObjectId,
                      from_sequence: int, stop_s: int) -> Iterator[OrderHistoryObject]:
    """Fills with ``sequence >= from_sequence`` and ``time >= stop_s``, by sequence."""
    rows = db.execute(f"SELECT {_FILL_COLUMNS} FROM fills WHERE base = ? AND quote = ? "
                      "AND sequence >= ? AND time >= ? ORDER BY sequence",
                      (base.instance, quote.instance, from_sequence, stop_s))
    return (_order_history(row) for row in rows)


def buckets(db: sqlite3.Connection, base: ObjectId, quote: ObjectId, seconds: int,
            start_s: int, end_s: int, limit: int) -> list[BucketObject]:
    """Buckets of ``seconds`` opening in ``[start_s, end_s]``, oldest first, at most ``limit``."""
    rows = db.execute(
        "SELECT id, base, quote, seconds, open, high_base, high_quote, low_base, low_quote, "
        "open_base, open_quote, close_base, close_quote, base_volume, quote_volume FROM buckets "
        "WHERE base = ? AND quote = ? AND seconds = ? AND open >= ? AND open <= ? "
        "ORDER BY open LIMIT ?", (base.instance, quote.instance, seconds, start_s, end_s, limit))
    return [
        BucketObject(ObjectId(*BUCKET_SPACE_TYPE, r[0]),
                     BucketKey(ids.oid(ids.ASSET, r[1]), ids.oid(ids.ASSET, r[2]), r[3], r[4]),
                     *r[5:])
        for r in rows
    ]
