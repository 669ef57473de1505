"""The history service over real nodes and real SQLite files: operation and account history (with
virtual operations), market fills, OHLCV buckets (hand-computed across bucket boundaries), the
ticker's 24 h window, bounds, fork pops, restart and catching up.

The market is GPX (1.3.0, precision 5) / BTC (1.3.1, precision 8): base GPX, quote BTC. A trade
is alice selling BTC (the maker) and bob buying it with GPX in the same block (the taker), both
filled exactly, at ``gpx`` GPX-satoshis per ``btc`` BTC-satoshis.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import msgspec
import pytest

from graphex.chain.genesis import DEVNET_GENESIS_TIME_S, devnet_genesis, devnet_key
from graphex.chain.objects import Witness
from graphex.node.history import HistoryService, HistoryUnavailable, MarketHistoryConfig
from graphex.node.history import store as history_store
from graphex.node.history.impacted import impacted_accounts
from graphex.node.history.market_queries import buckets, fills_newest_first, ticker
from graphex.node.history.operations import (
    account_history,
    account_operations_of_type,
    block_operations,
    relative_account_history,
)
from graphex.node.history.store import HistoryStoreError
from graphex.node.node import Node, NodeConfig
from graphex.protocol.fees import fee_for
from graphex.protocol.ids import ObjectId
from graphex.protocol.operations import (
    AccountCreate,
    AssetIssue,
    FillOrder,
    LimitOrderCancel,
    LimitOrderCreate,
    Transfer,
)
from graphex.protocol.operations.base import Operation, object_result
from graphex.protocol.transaction import SignedTransaction, Transaction, ref_block_fields, sign
from graphex.protocol.types import AccountOptions, Asset, Authority

GPX, BTC = ObjectId(1, 3, 0), ObjectId(1, 3, 1)
T0 = DEVNET_GENESIS_TIME_S
"""The devnet's genesis time, 2026-01-01T00:00:00: a multiple of every bucket size."""
BTC_LOT = 100_000
TABLES = ("blocks", "operations", "account_ops", "fills", "buckets", "tickers", "ticker_roll")


# -- a node with its history ---------------------------------------------------------------------
def history_node(path: Path, *, config: MarketHistoryConfig | None = None,
                 snapshot_every: int = 1000) -> tuple[Node, HistoryService]:
    """A devnet node (all witnesses local) with the history service attached before open."""
    node = Node(NodeConfig(data_dir=path, snapshot_interval_blocks=snapshot_every,
                           synchronous="OFF"), devnet_genesis())
    history = HistoryService(node, config=config)
    node.open()
    for witness in node.state.db.table(Witness):
        node.config.witness_keys[witness.id] = devnet_key(
            node.state.account(witness.witness_account).name)
    return node, history


def close(node: Node, history: HistoryService) -> None:
    node.close()
    history.close()


def account(node: Node, name: str) -> ObjectId:
    found = node.state.account_by_name(name)
    assert found is not None
    return found.id


def signed(node: Node, who: str, op: Operation, expiration_s: int = 60) -> SignedTransaction:
    """``op`` with its fee, in a transaction of ``who`` expiring ``expiration_s`` after the head."""
    op = msgspec.structs.replace(op, fee=Asset(fee_for(node.state.params.current_fees, op), GPX))
    num, prefix = ref_block_fields(node.state.head_id)
    tx = Transaction(num, prefix, node.state.head_time + expiration_s, (op,))
    return sign(tx, [devnet_key(who)], node.state.chain_id)


def order_op(node: Node, who: str, sell: Asset, receive: Asset,
             expiration: int | None = None) -> LimitOrderCreate:
    if expiration is None:
        return LimitOrderCreate(Asset(0, GPX), account(node, who), sell, receive)
    return LimitOrderCreate(Asset(0, GPX), account(node, who), sell, receive, expiration)


def produce(node: Node, at: int | None = None) -> None:
    node.produce_block(node.next_slot()[0] if at is None else at)


def trade(node: Node, at: int, gpx: int, btc: int = BTC_LOT, maker: str = "alice",
          taker: str = "bob") -> None:
    """``maker`` sells ``btc`` BTC for ``gpx`` GPX; ``taker`` takes it all in the block at ``at``."""
    node.push_transaction(signed(node, maker, order_op(node, maker, Asset(btc, BTC),
                                                       Asset(gpx, GPX))))
    node.push_transaction(signed(node, taker, order_op(node, taker, Asset(gpx, GPX),
                                                       Asset(btc, BTC))))
    produce(node, at)


def dump(history: HistoryService) -> dict[str, list[Any]]:
    db = history.reader()
    return {t: db.execute(f"SELECT * FROM {t} ORDER BY 1, 2").fetchall() for t in TABLES}


def bucket_rows(history: HistoryService, seconds: int) -> list[tuple[int, ...]]:
    """(open, high, low, open, close prices as base/quote pairs, volumes) per bucket."""
    return [(b.key.open - T0, b.high_base, b.high_quote, b.low_base, b.low_quote, b.open_base,
             b.open_quote, b.close_base, b.close_quote, b.base_volume, b.quote_volume)
            for b in buckets(history.reader(), GPX, BTC, seconds, 0, 2**32 - 1, 1000)]


# -- market history --------------------------------------------------------------------------------
def test_buckets_hold_hand_computed_ohlcv_across_bucket_boundaries(tmp_path: Path) -> None:
    node, history = history_node(tmp_path)
    trade(node, T0 + 10, 1_000_000)   # A: 10 GPX-sat per BTC-sat
    trade(node, T0 + 50, 1_200_000)   # B: 12
    trade(node, T0 + 70, 800_000)     # C: 8, the next minute
    trade(node, T0 + 310, 1_100_000)  # D: 11, the next 5 minutes
    a, b, c, d = (1_000_000, BTC_LOT), (1_200_000, BTC_LOT), (800_000, BTC_LOT), \
        (1_100_000, BTC_LOT)
    # (open offset, high, low, open, close, base volume, quote volume)
    assert bucket_rows(history, 60) == [
        (0, *b, *a, *a, *b, 2_200_000, 2 * BTC_LOT),
        (60, *c, *c, *c, *c, 800_000, BTC_LOT),
        (300, *d, *d, *d, *d, 1_100_000, BTC_LOT),
    ]
    assert bucket_rows(history, 300) == [
        (0, *b, *c, *a, *c, 3_000_000, 3 * BTC_LOT),
        (300, *d, *d, *d, *d, 1_100_000, BTC_LOT),
    ]
    for seconds in (900, 3600, 14400, 86400, 604800):
        assert bucket_rows(history, seconds) == [(0, *b, *c, *a, *d, 4_100_000, 4 * BTC_LOT)]
    assert bucket_rows(history, 120) == []  # not a tracked size
    close(node, history)


def test_fills_are_kept_newest_first_with_falling_sequences(tmp_path: Path) -> None:
    node, history = history_node(tmp_path)
    trade(node, T0 + 10, 1_000_000)
    trade(node, T0 + 20, 900_000, maker="bob", taker="alice")  # bob sells BTC this time
    fills = fills_newest_first(history.reader(), GPX, BTC, 100)
    assert [f.key.sequence for f in fills] == [-3, -2, -1, 0]
    assert [str(f.id) for f in fills] == ["5.0.3", "5.0.2", "5.0.1", "5.0.0"]
    assert [f.op.is_maker for f in fills] == [True, False, True, False]  # taker fills first
    assert [f.time - T0 for f in fills] == [20, 20, 10, 10]
    assert fills[0].op.account_id == account(node, "bob")
    assert fills[0].op.pays == Asset(BTC_LOT, BTC) and fills[0].op.receives == Asset(900_000, GPX)
    assert [f.key.sequence for f in fills_newest_first(history.reader(), GPX, BTC, 3)] == \
        [-3, -2, -1]
    # either asset order names the same market
    assert fills_newest_first(history.reader(), GPX, BTC, 1)[0].key.base == GPX
    close(node, history)


def test_ticker_latest_volume_and_the_24_hour_window(tmp_path: Path) -> None:
    node, history = history_node(tmp_path)
    assert ticker(history.reader(), GPX, BTC, node.state.head_time) is None
    trade(node, T0 + 10, 1_000_000)
    trade(node, T0 + 50, 1_200_000)
    row = ticker(history.reader(), GPX, BTC, node.state.head_time)
    assert row is not None and str(row.id) == "5.2.0"
    assert row.latest == (1_200_000, BTC_LOT) and row.last_day == (0, 0)
    assert (row.base_volume, row.quote_volume) == (2_200_000, 2 * BTC_LOT)

    produce(node, T0 + 50 + 86_400)  # A is more than 24 h old, B exactly 24 h: still inside
    row = ticker(history.reader(), GPX, BTC, node.state.head_time)
    assert row is not None
    assert row.last_day == (1_000_000, BTC_LOT) and row.latest == (1_200_000, BTC_LOT)
    assert (row.base_volume, row.quote_volume) == (1_200_000, BTC_LOT)

    produce(node)  # B leaves the window too
    row = ticker(history.reader(), GPX, BTC, node.state.head_time)
    assert row is not None and row.last_day == row.latest == (1_200_000, BTC_LOT)
    assert (row.base_volume, row.quote_volume) == (0, 0)
    close(node, history)


def test_order_history_and_buckets_stay_within_their_bounds(tmp_path: Path) -> None:
    config = MarketHistoryConfig(bucket_sizes_s=(60,), maximum_history_per_bucket_size=2,
                                 max_order_his_records_per_market=3,
                                 max_order_his_seconds_per_market=86_400)
    node, history = history_node(tmp_path, config=config)
    trade(node, T0 + 10, 1_000_000)
    trade(node, T0 + 70, 1_000_000)
    trade(node, T0 + 190, 1_000_000)  # minute 3: minute 0 is more than 2 buckets back
    assert [row[0] for row in bucket_rows(history, 60)] == [60, 180]
    # all 6 fills are younger than 24 h: kept although more than 3
    assert len(fills_newest_first(history.reader(), GPX, BTC, 100)) == 6
    trade(node, T0 + 86_500, 1_000_000)
    fills = fills_newest_first(history.reader(), GPX, BTC, 100)
    # gone: beyond the newest 3 *and* at least 24 h old (the fills at T0+10 and T0+70); kept:
    # -4, beyond the newest 3 but only 86 310 s old
    assert [f.key.sequence for f in fills] == [-7, -6, -5, -4]
    close(node, history)


def test_market_history_config_is_checked() -> None:
    with pytest.raises(ValueError, match="at least 86400"):
        MarketHistoryConfig(max_order_his_seconds_per_market=3600)
    with pytest.raises(ValueError, match="ascending and distinct"):
        MarketHistoryConfig(bucket_sizes_s=(300, 60))


# -- operation and account history -----------------------------------------------------------------
def test_account_history_holds_real_and_virtual_operations_newest_first(tmp_path: Path) -> None:
    node, history = history_node(tmp_path)
    alice, bob, carol = (account(node, n) for n in ("alice", "bob", "carol"))
    node.push_transaction(signed(node, "alice", Transfer(Asset(0, GPX), alice, carol,
                                                         Asset(123, GPX))))
    produce(node)
    trade(node, T0 + 10, 1_000_000)
    expiring = order_op(node, "alice", Asset(BTC_LOT, BTC), Asset(5_000_000, GPX),
                        expiration=node.state.head_time + 3)
    node.push_transaction(signed(node, "alice", expiring))
    produce(node)
    produce(node, node.state.head_time + 5)  # the order expires: a virtual limit_order_cancel
    db = history.reader()

    ops = account_history(db, alice, 0, 100, 0)
    assert [(type(o.op).__name__, o.is_virtual) for o in ops] == [
        ("LimitOrderCancel", True), ("LimitOrderCreate", False), ("FillOrder", True),
        ("LimitOrderCreate", False), ("Transfer", False),
    ]
    assert [o.id.instance for o in ops] == sorted((o.id.instance for o in ops), reverse=True)
    cancel = ops[0]
    assert cancel.result.value == Asset(BTC_LOT, BTC)  # the refund
    assert cancel.block_time == node.state.head_time and cancel.block_num == node.state.head_num
    fill = ops[2]
    assert isinstance(fill.op, FillOrder) and fill.op.is_maker and fill.block_time == T0 + 10
    assert fill.virtual_op > 0 and (fill.trx_in_block, fill.op_in_trx) == (1, 0)

    bob_ops = account_history(db, bob, 0, 100, 0)
    assert [type(o.op).__name__ for o in bob_ops] == ["FillOrder", "LimitOrderCreate"]
    assert [type(o.op).__name__ for o in account_history(db, carol, 0, 100, 0)] == ["Transfer"]
    # every id is assigned once, from 1.11.0, in application order
    every = block_operations(db, 2, None)
    assert [type(o.op).__name__ for o in every] == ["LimitOrderCreate", "LimitOrderCreate",
                                                    "FillOrder", "FillOrder"]
    assert [o.id.instance for o in every] == [1, 2, 3, 4]
    assert [o.id.instance for o in block_operations(db, 2, 1)] == [2, 3, 4]
    close(node, history)


def test_account_history_paging_as_core(tmp_path: Path) -> None:
    node, history = history_node(tmp_path)
    alice, carol = account(node, "alice"), account(node, "carol")
    for amount in range(1, 6):  # alice: ops 0..4, one transfer a block
        node.push_transaction(signed(node, "alice", Transfer(Asset(0, GPX), alice, carol,
                                                             Asset(amount, GPX))))
        produce(node)
    db = history.reader()

    def ids(found: list[Any]) -> list[int]:
        return [o.id.instance for o in found]

    assert ids(account_history(db, alice, 0, 100, 0)) == [4, 3, 2, 1, 0]  # stop 0 includes 0
    assert ids(account_history(db, alice, 1, 100, 0)) == [4, 3, 2]        # stop is exclusive
    assert ids(account_history(db, alice, 0, 2, 0)) == [4, 3]
    assert ids(account_history(db, alice, 0, 100, 2)) == [2, 1, 0]        # start is inclusive
    assert ids(account_history(db, alice, 3, 100, 2)) == []               # start < stop
    # relative: the account's own numbering, 1 = its first operation
    assert ids(relative_account_history(db, alice, 0, 100, 0)) == [4, 3, 2, 1, 0]
    assert ids(relative_account_history(db, alice, 2, 100, 4)) == [3, 2, 1]
    assert ids(relative_account_history(db, alice, 0, 2, 0)) == [4, 3]
    assert ids(relative_account_history(db, alice, 0, 100, 99)) == [4, 3, 2, 1, 0]
    assert ids(account_operations_of_type(db, alice, 0, 0, 0, 100)) == [4, 3, 2, 1, 0]
    assert ids(account_operations_of_type(db, alice, 1, 0, 0, 100)) == []
    assert ids(account_operations_of_type(db, alice, 0, 3, 1, 100)) == [3, 2]
    close(node, history)


def test_impacted_accounts_follow_core() -> None:
    a, b, c, d = (ObjectId(1, 2, i) for i in (17, 18, 19, 20))
    fee = Asset(0, GPX)
    assert impacted_accounts(Transfer(fee, a, b, Asset(1, GPX)), object_result(a)) == [a, b]
    assert impacted_accounts(AssetIssue(fee, a, Asset(1, BTC), c), object_result(a)) == [a, c]
    key = devnet_key("alice").public_key
    create = AccountCreate(fee, a, b, 0, "newbie", Authority(1, ((d, 1),), ((key, 1),)),
                           Authority.single_key(key), AccountOptions(key, ObjectId(1, 2, 5), 0, 0,
                                                                      (), ()))
    assert impacted_accounts(create, object_result(c)) == [a, b, c, d]
    cancel = LimitOrderCancel(fee, b, ObjectId(1, 7, 3))
    assert impacted_accounts(cancel, object_result(a)) == [b]


# -- forks, restarts, failures ---------------------------------------------------------------------
def test_a_popped_block_leaves_no_trace(tmp_path: Path) -> None:
    """Node b records a trade on its own branch, then switches to a's longer branch: its history
    equals a's, which never saw that trade (rows added, updated and pruned all reverted)."""
    config = MarketHistoryConfig(max_order_his_records_per_market=1,
                                 max_order_his_seconds_per_market=86_400)
    a, history_a = history_node(tmp_path / "a", config=config)
    b, history_b = history_node(tmp_path / "b", config=config)
    trade(a, T0 + 10, 1_000_000)
    produce(a, T0 + 86_500)  # old enough for a later fill to prune
    for num in (1, 2):
        b.push_block(a.state_block(num))
    assert dump(history_a) == dump(history_b)
    # a: two empty blocks; b: one block with a trade (updating the ticker, pruning fills)
    produce(a)
    produce(a)
    when, _ = b.next_slot()
    trade(b, when + b.state.params.block_interval, 1_500_000)
    fills = fills_newest_first(history_b.reader(), GPX, BTC, 100)
    assert [f.key.sequence for f in fills] == [-3, -2]  # the two old fills were pruned
    undo = {stmt.split()[0] for (stmt,) in history_b.reader().execute(
        "SELECT stmt FROM undo_log WHERE block_num = 3")}
    assert undo == {"DELETE", "UPDATE", "INSERT"}  # reverting inserts, updates and deletes
    for num in (3, 4):
        b.push_block(a.state_block(num))
    assert b.state.head_id == a.state.head_id
    assert dump(history_b) == dump(history_a)
    assert history_b.reader().execute("SELECT COUNT(*) FROM undo_log WHERE block_num > 4"
                                      ).fetchone()[0] == 0
    close(a, history_a)
    close(b, history_b)


def test_history_persists_across_restarts_without_duplicates(tmp_path: Path) -> None:
    node, history = history_node(tmp_path, snapshot_every=3)
    trade(node, T0 + 10, 1_000_000)
    produce(node)
    trade(node, T0 + 30, 1_100_000)
    produce(node)  # block 4; a snapshot at 3
    before = dump(history)
    close(node, history)

    node, history = history_node(tmp_path, snapshot_every=3)  # replays block 4 only: skipped
    assert not history.needs_replay
    assert dump(history) == before
    trade(node, T0 + 40, 900_000)
    ops = account_history(history.reader(), account(node, "bob"), 0, 100, 0)
    assert ops[0].id.instance == len(before["operations"]) + 2  # ids go on where they stopped
    close(node, history)


def test_a_lost_history_file_is_rebuilt_by_replay(tmp_path: Path) -> None:
    node, history = history_node(tmp_path, snapshot_every=2)
    trade(node, T0 + 10, 1_000_000)
    produce(node)
    trade(node, T0 + 86_500, 1_200_000)
    before = dump(history)
    close(node, history)
    for suffix in ("", "-wal", "-shm"):
        (tmp_path / f"history.db{suffix}").unlink(missing_ok=True)

    node = Node(NodeConfig(data_dir=tmp_path, synchronous="OFF"))
    history = HistoryService(node)
    assert history.needs_replay  # the node would start from its snapshot at block 2
    node.open(replay=True)
    assert dump(history) == before
    close(node, history)


def test_a_history_ahead_of_the_block_log_pops_back(tmp_path: Path) -> None:
    """The block log lost its last block (as after a crash): at start-up the history forgets
    it too and equals a history of the one remaining block."""
    node, history = history_node(tmp_path / "node")
    trade(node, T0 + 10, 1_000_000)
    trade(node, T0 + 20, 1_100_000)
    other, only_block_1 = history_node(tmp_path / "other")
    other.push_block(node.state_block(1))
    expected = dump(only_block_1)
    close(other, only_block_1)
    node.store.truncate_after(1)
    close(node, history)

    reopened = Node(NodeConfig(data_dir=tmp_path / "node", synchronous="OFF"))
    history = HistoryService(reopened)
    assert history.head == 1 and not history.needs_replay
    assert dump(history) == expected
    reopened.open()
    assert reopened.state.head_num == 1
    close(reopened, history)


def test_a_history_too_far_ahead_to_pop_is_rebuilt(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(history_store, "UNDO_BLOCKS", 2)
    node, history = history_node(tmp_path / "node")
    for offset in (10, 20, 30, 40):
        trade(node, T0 + offset, 1_000_000)
    other, only_block_1 = history_node(tmp_path / "other")
    other.push_block(node.state_block(1))
    expected = dump(only_block_1)
    close(other, only_block_1)
    node.store.truncate_after(1)  # 3 blocks lost: beyond the 2 blocks of undo
    close(node, history)

    reopened = Node(NodeConfig(data_dir=tmp_path / "node", synchronous="OFF"))
    history = HistoryService(reopened)
    assert history.head == 0  # started again from empty
    reopened.open()  # no snapshot: block 1 is replayed and recorded
    assert dump(history) == expected
    close(reopened, history)


def test_undo_is_kept_for_a_bounded_number_of_blocks(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(history_store, "UNDO_BLOCKS", 2)
    node, history = history_node(tmp_path)
    for offset in (10, 20, 30, 40):
        trade(node, T0 + offset, 1_000_000)
    db = history.reader()
    assert {r[0] for r in db.execute("SELECT block_num FROM undo_log")} == {3, 4}
    assert history.store.undo_from == 3
    with pytest.raises(HistoryStoreError, match="no longer revertible"):
        history.store.pop_to(1)
    history.store.pop_to(2)
    assert history.head == 2
    close(node, history)


def test_a_recording_failure_stops_the_history_not_the_node(tmp_path: Path) -> None:
    node = Node(NodeConfig(data_dir=tmp_path / "node", synchronous="OFF"), devnet_genesis())
    node.open()
    for witness in node.state.db.table(Witness):
        node.config.witness_keys[witness.id] = devnet_key(
            node.state.account(witness.witness_account).name)
    produce(node)
    late = HistoryService(node, path=tmp_path / "late.db")  # attached after block 1: a gap
    produce(node)
    assert node.state.head_num == 2
    assert late.failure is not None and "attach the history service before" in late.failure
    with pytest.raises(HistoryUnavailable, match="restart the node"):
        late.reader()
    node.close()
    late.close()


def test_ticker_volumes_beyond_int64_are_summed_exactly(tmp_path: Path) -> None:
    store = history_store.HistoryStore(tmp_path / "history.db")
    big = (1 << 63) - 1
    with store.recording(1, bytes(20), T0) as db:
        db.execute("INSERT INTO tickers VALUES (0, 0, 1, 1, 1, 0, 0)")
        db.executemany("INSERT INTO fills VALUES (?, 0, 1, ?, ?, 1, ?, 1, 1, 1, x'')",
                       [(0, 0, T0, big), (1, -1, T0, big)])
    row = ticker(store.db, GPX, BTC, T0)
    assert row is not None and (row.base_volume, row.quote_volume) == (2 * big, 2)
    store.close()
