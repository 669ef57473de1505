"""Futures state through a real node: positions, orders, marks and margin survive a snapshot and
restart, a replay from genesis reaches the same state hash, and a delivery replays too."""

from __future__ import annotations

from pathlib import Path

from graphex.chain.futures.objects import DELIVERED, FuturesOrder, FuturesPosition, FuturesSeries
from graphex.node.node import Node, NodeConfig
from graphex.protocol.codec import parse_time
from graphex.protocol.operations.futures import LONG, SHORT, FuturesOrderCreate, MarginDeposit
from graphex.protocol.types import Asset
from tests.node.test_history import account, history_node, produce
from tests.node.test_waiting_pool import BTC, GPX, PRODUCT, list_product, signed


def order(node: Node, who: str, side: int, lots: int, price: int) -> None:
    node.push_transaction(signed(node, who, FuturesOrderCreate(
        Asset(0, GPX), account(node, who), PRODUCT, 202601, side, lots, price)))


def test_futures_state_survives_restart_replay_and_delivery(tmp_path: Path) -> None:
    node, history = history_node(tmp_path / "node", snapshot_every=4)
    list_product(node)  # GPX/BTC, 1 GPX a lot, tick value 100 satoshis; bob has 1 BTC margin
    node.push_transaction(signed(node, "alice", MarginDeposit(
        Asset(0, GPX), account(node, "alice"), Asset(100_000_000, BTC))))
    produce(node)
    order(node, "alice", SHORT, 5, 3_000)  # 0.003 BTC per GPX
    order(node, "bob", LONG, 3, 3_000)
    order(node, "bob", LONG, 2, 2_900)  # rests
    produce(node)
    produce(node)
    positions = sorted((p.account, p.lots) for p in node.state.db.table(FuturesPosition))
    assert positions == [(account(node, "alice"), -3), (account(node, "bob"), 3)]
    assert node.state.db.count(FuturesOrder) == 2
    head, state_hash = node.state.head_num, node.head_state_hash()
    node.close()
    history.close()

    again, history = history_node(tmp_path / "node", snapshot_every=4)
    assert again.state.head_num == head and again.head_state_hash() == state_hash
    assert sorted((p.account, p.lots) for p in again.state.db.table(FuturesPosition)) == positions
    produce(again, parse_time("2026-02-01T00:00:00"))  # January delivers
    january = again.state.db.index(FuturesSeries, "by_month").get((PRODUCT, 202601))
    assert january is not None and january.status == DELIVERED
    assert again.state.db.count(FuturesPosition) == 0 and again.state.db.count(FuturesOrder) == 0
    head, state_hash = again.state.head_num, again.head_state_hash()
    again.close()
    history.close()

    replayed = Node(NodeConfig(data_dir=tmp_path / "node"))
    replayed.open(replay=True)
    assert replayed.state.head_num == head and replayed.head_state_hash() == state_hash
    replayed.close()
