"""Open orders through a node: they survive a snapshot and restart, a replay from genesis reaches
the same state hash, and each block hands its fills to the block listeners."""

from __future__ import annotations

from pathlib import Path

from graphex.chain.market.objects import LimitOrder
from graphex.node.node import Node, NodeConfig
from graphex.protocol.operations import FillOrder
from graphex.testing.orders import node_with_asset, order_stream, signed
from tests.node.test_node import check_invariants_at_head, make_node


def test_orders_survive_snapshot_restart_and_replay(tmp_path: Path) -> None:
    node = node_with_asset(tmp_path)
    node.config.snapshot_interval_blocks = 3
    fills_seen: list[int] = []
    node.block_listeners.append(
        lambda block, _id: fills_seen.append(
            sum(isinstance(r.op, FillOrder) for r in node.state.block_ops))
    )
    stream = list(order_stream(node.state, 120))
    for i in range(0, len(stream), 20):
        for name, op in stream[i:i + 20]:
            node.push_transaction(signed(node, name, [op]))
        node.produce_block(node.next_slot()[0])
        check_invariants_at_head(node)
    assert sum(fills_seen) > 0
    open_orders = sorted(o.id for o in node.state.db.table(LimitOrder))
    assert open_orders
    head, state_hash = node.state.head_num, node.head_state_hash()
    node.close()

    again = make_node(tmp_path)
    assert again.state.head_num == head
    assert again.head_state_hash() == state_hash
    assert sorted(o.id for o in again.state.db.table(LimitOrder)) == open_orders
    again.close()

    replayed = Node(NodeConfig(data_dir=tmp_path))
    replayed.open(replay=True)
    assert replayed.head_state_hash() == state_hash
    replayed.close()
