"""Futures market history over real nodes, the real futures engine and real SQLite files: each
match recorded once (its taker side), OHLCV buckets hand-computed across bucket boundaries, the
bounds, and a fork pop reverting every futures row exactly.

The market is GPX (1.3.0, precision 5) / BTC (1.3.1, precision 8), one GPX per lot (tick value
100 satoshis), series 2026-01 (``1.101.0``). A trade is a maker order resting and a taker order
for the same lots at the same price, both in the block at the time given.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from graphex.node.history import HistoryService, MarketHistoryConfig
from graphex.node.history.futures import futures_buckets, futures_trades
from graphex.node.node import Node
from graphex.protocol.operations.futures import LONG, SHORT, FuturesOrderCreate, MarginDeposit
from graphex.protocol.types import Asset
from tests.node.test_history import T0, account, close, history_node, produce
from tests.node.test_waiting_pool import BTC, GPX, PRODUCT, list_product, signed

JANUARY = 202601
SERIES = 0
"""The instance of series 1.101.0, GPX/BTC 2026-01."""
FUTURES_TABLES = ("futures_trades", "futures_buckets")


def order(node: Node, who: str, side: int, lots: int, price: int) -> None:
    node.push_transaction(signed(node, who, FuturesOrderCreate(
        Asset(0, GPX), account(node, who), PRODUCT, JANUARY, side, lots, price)))


def futures_trade(node: Node, at: int, price: int, lots: int = 1, taker_side: int = LONG,
                  maker: str = "alice", taker: str = "bob") -> None:
    """``maker`` rests ``lots`` at ``price``; ``taker`` takes them all in the block at ``at``."""
    order(node, maker, 1 - taker_side, lots, price)
    order(node, taker, taker_side, lots, price)
    produce(node, at)


def deposit_both(node: Node) -> None:
    """``list_product`` funds bob; alice deposits 1 BTC too."""
    node.push_transaction(signed(node, "alice", MarginDeposit(
        Asset(0, GPX), account(node, "alice"), Asset(100_000_000, BTC))))
    produce(node)


def market(path: Path, config: MarketHistoryConfig | None = None) -> tuple[Node, HistoryService]:
    node, history = history_node(path, config=config)
    list_product(node)
    deposit_both(node)
    return node, history


def dump(history: HistoryService) -> dict[str, list[Any]]:
    db = history.reader()
    return {t: db.execute(f"SELECT * FROM {t} ORDER BY id").fetchall() for t in FUTURES_TABLES}


def test_each_match_is_one_trade_and_buckets_hold_hand_computed_ohlcv(tmp_path: Path) -> None:
    node, history = market(tmp_path)
    futures_trade(node, T0 + 10, 50_000, lots=2)  # bob buys 2 at 0.05
    futures_trade(node, T0 + 20, 52_000, lots=1, taker_side=SHORT)  # bob sells 1 at 0.052
    futures_trade(node, T0 + 40, 49_000, lots=3)
    futures_trade(node, T0 + 70, 51_000, lots=1)  # the next minute
    db = history.reader()

    trades = futures_trades(db, SERIES, 10)
    assert [(t.time - T0, t.price, t.lots, t.taker_side) for t in trades] == [
        (70, 51_000, 1, LONG), (40, 49_000, 3, LONG), (20, 52_000, 1, SHORT),
        (10, 50_000, 2, LONG)]
    assert [t.block_num for t in trades] == sorted((t.block_num for t in trades), reverse=True)
    assert len(futures_trades(db, SERIES, 2)) == 2

    def ohlcv(seconds: int) -> list[tuple[int, ...]]:
        return [(b.open_time - T0, b.open, b.high, b.low, b.close, b.volume, b.price_volume)
                for b in futures_buckets(db, SERIES, seconds, 0, 2**32 - 1, 100)]

    assert ohlcv(60) == [
        (0, 50_000, 52_000, 49_000, 49_000, 6, 2 * 50_000 + 52_000 + 3 * 49_000),
        (60, 51_000, 51_000, 51_000, 51_000, 1, 51_000)]
    assert ohlcv(300) == [
        (0, 50_000, 52_000, 49_000, 51_000, 7, 2 * 50_000 + 52_000 + 3 * 49_000 + 51_000)]
    assert futures_buckets(db, SERIES, 60, T0 + 60, T0 + 60, 100)[0].open_time == T0 + 60
    assert futures_buckets(db, SERIES + 1, 60, 0, 2**32 - 1, 100) == []
    close(node, history)


def test_trades_and_buckets_beyond_the_bounds_go(tmp_path: Path) -> None:
    config = MarketHistoryConfig(bucket_sizes_s=(60,), maximum_history_per_bucket_size=2,
                                 max_order_his_records_per_market=2,
                                 max_order_his_seconds_per_market=86_400)
    node, history = market(tmp_path, config)
    futures_trade(node, T0 + 10, 50_000)
    futures_trade(node, T0 + 70, 51_000)
    futures_trade(node, T0 + 130, 52_000)
    db = history.reader()

    def opens() -> list[int]:
        return [b.open_time - T0 for b in futures_buckets(db, SERIES, 60, 0, 2**32, 10)]

    # three trades kept (younger than a day); buckets as the spot ones: the current one and
    # maximum_history_per_bucket_size before it
    assert [t.price for t in futures_trades(db, SERIES, 10)] == [52_000, 51_000, 50_000]
    assert opens() == [0, 60, 120]
    futures_trade(node, T0 + 190, 52_000)
    assert opens() == [60, 120, 180]
    # a day later: beyond the newest two, the trades older than a day go (T0+130 stays)
    futures_trade(node, T0 + 86_500, 53_000)
    assert [t.time - T0 for t in futures_trades(db, SERIES, 10)] == [86_500, 190, 130]
    assert opens() == [86_460]
    close(node, history)


def test_a_popped_block_leaves_no_futures_trace(tmp_path: Path) -> None:
    """Node b records a trade on its own branch, then switches to a's longer branch: its futures
    history equals a's, which never saw that trade (inserts, updates and prunes all reverted)."""
    config = MarketHistoryConfig(max_order_his_records_per_market=1,
                                 max_order_his_seconds_per_market=86_400)
    a, history_a = market(tmp_path / "a", config)
    b, history_b = history_node(tmp_path / "b", config=config)
    futures_trade(a, T0 + 10, 50_000)
    produce(a, T0 + 86_500)  # old enough for a later trade to prune
    for num in range(1, a.state.head_num + 1):
        b.push_block(a.state_block(num))
    assert dump(history_a) == dump(history_b)
    fork = a.state.head_num
    produce(a)
    produce(a)
    when, _ = b.next_slot()
    futures_trade(b, when + b.state.params.block_interval, 51_000)
    assert [t.price for t in futures_trades(history_b.reader(), SERIES, 10)] == [51_000]
    undo = {stmt.split()[0] for (stmt,) in history_b.reader().execute(
        "SELECT stmt FROM undo_log WHERE block_num = ? AND stmt LIKE '%futures_%'", (fork + 1,))}
    assert undo == {"DELETE", "UPDATE", "INSERT"}
    for num in (fork + 1, fork + 2):
        b.push_block(a.state_block(num))
    assert b.state.head_id == a.state.head_id
    assert dump(history_b) == dump(history_a)
    assert [t.price for t in futures_trades(history_b.reader(), SERIES, 10)] == [50_000]
    close(a, history_a)
    close(b, history_b)
