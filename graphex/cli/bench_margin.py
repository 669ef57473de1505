"""``graphex bench margin``: one feed drop margin-calls every debt position of a smartcoin in one
block, on the setup of :mod:`graphex.testing.margin`.

What is timed: producing the block that holds the signed ``asset_publish_feed`` transaction, as
the devnet produces blocks (:meth:`DevChain.produce`: an undo session; the transaction's size,
expiration, TaPoS, duplicate and authority checks with its signature recovered in process; the
publish, whose new median calls ``check_call_orders``, which fills every position against the
book; then the block is sealed, signed and its per-block bookkeeping run). The setup before it
and the invariant check after it are not timed.
"""

from __future__ import annotations

import time

from ..chain.invariants import check_invariants
from ..chain.market.objects import LimitOrder
from ..chain.smartcoin.objects import CallOrder
from ..protocol.operations import FillOrder
from ..testing.margin import MAKER, build_cascade

BLOCK_INTERVAL_TARGET_S = 3.0
"""SPEC §12: a cascade of 10 000 positions completes within one block interval (3 s)."""
CALL_ORDER_TYPE = 8


def bench_margin(positions: int, orders: int, *, check: bool = True) -> dict[str, object]:
    """Build the cascade, time the block of the drop, count what it did.

    ``positions_left`` counts positions that a margin call filled only in part (an order ran out
    in the middle of it) and left above the maintenance ratio; with the default sizes each order
    buys exactly eleven whole positions, so none is left."""
    setup_start = time.perf_counter()
    cascade = build_cascade(positions, orders)
    setup_s = time.perf_counter() - setup_start
    chain = cascade.chain
    start = time.perf_counter()
    block = chain.produce([cascade.drop])
    elapsed = time.perf_counter() - start
    state = chain.state
    call_fills = [r.op for r in state.block_ops
                  if isinstance(r.op, FillOrder) and r.op.order_id.type == CALL_ORDER_TYPE]
    maker = chain.account_id(MAKER)
    left = sum(1 for c in state.db.group(CallOrder, "by_debt").equal(cascade.usd)
               if c.borrower != maker)
    if check:
        check_invariants(state)
    return {
        "benchmark": "margin", "positions": positions, "orders": orders,
        "setup_seconds": round(setup_s, 3), "block_transactions": len(block.transactions),
        "calls_filled": len(call_fills),
        "positions_called": len({f.order_id for f in call_fills}),
        "fill_operations": sum(1 for r in state.block_ops if isinstance(r.op, FillOrder)),
        "positions_left": left, "orders_left": len(state.db.ordered(LimitOrder, "by_price")),
        "seconds": round(elapsed, 3), "calls_per_s": round(len(call_fills) / elapsed),
        "block_interval_s": BLOCK_INTERVAL_TARGET_S,
        "fits_block_interval": elapsed <= BLOCK_INTERVAL_TARGET_S,
    }
