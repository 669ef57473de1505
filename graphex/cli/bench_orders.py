"""``graphex bench orders``: the matching engine alone, and signed limit orders through a node,
on the workload of :mod:`graphex.testing.orders`."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from ..chain.market.objects import LimitOrder
from ..chain.tx_apply import apply_operation
from ..testing.orders import fresh_state, node_with_asset, order_stream, signed
from .bench_common import push_through_node


def bench_engine(count: int) -> dict[str, float | int]:
    """Orders applied straight to state: validate, evaluate, fee, match (no transactions, no
    signatures, no blocks), inside one undo session as in a block."""
    state = fresh_state()
    ops = [op for _, op in order_stream(state, count)]
    with state.db.session():
        start = time.perf_counter()
        for op in ops:
            apply_operation(state, op)
        elapsed = time.perf_counter() - start
        fills = sum(1 for r in state.applied.records if r.op.op_id == 4)
        resting = len(state.db.ordered(LimitOrder, "by_price"))
    return {"orders": count, "engine_seconds": round(elapsed, 3),
            "orders_per_s": round(count / elapsed), "fills": fills, "resting_orders": resting}


def bench_node(count: int, workers: int, block_capacity: int) -> dict[str, float | int]:
    """Signed limit orders through a node: recovery in worker processes, then size, expiration,
    TaPoS, duplicate and authority checks, matching, block sealing and the SQLite block log."""
    with tempfile.TemporaryDirectory() as tmp:
        node = node_with_asset(Path(tmp))
        # a distinct expiration per transaction keeps repeated orders distinct transactions
        txs = [signed(node, name, [op], expiration_s=3600 + i)
               for i, (name, op) in enumerate(order_stream(node.state, count))]
        elapsed, blocks = push_through_node(node, txs, workers, block_capacity)
        resting = len(node.state.db.ordered(LimitOrder, "by_price"))
        node.close()
    return {"transactions": count, "blocks": blocks, "node_seconds": round(elapsed, 3),
            "tx_per_s": round(count / elapsed), "resting_orders_after_node": resting}

