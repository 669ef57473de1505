"""Cancelling expired limit orders every block (core's ``clear_expired_orders``): every order with
``expiration <= head block time`` is cancelled by the chain, which refunds what is left for sale
and the deferred fee less the cancellation fee, and emits a virtual ``limit_order_cancel``."""

from __future__ import annotations

from ..state import ChainState
from .objects import LimitOrder
from .orders import cancel_limit_order


def clear_expired_orders(state: ChainState) -> None:
    index = state.db.ordered(LimitOrder, "by_expiration")
    now = state.head_time
    while True:
        oldest = index.first()
        if oldest is None or oldest.expiration > now:
            return
        cancel_limit_order(state, oldest, by_chain=True)
