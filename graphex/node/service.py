"""Running a node as a service: the block production loop beside the API server, in one asyncio loop.

The wall clock enters here (and only here): the production loop sleeps until the next slot time
and asks the node to produce when a local witness is scheduled. Chain code sees only block times.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from ..chain.block_apply import slot_of, slot_time_of
from ..chain.errors import ChainError
from .node import Node

log = logging.getLogger(__name__)

Clock = Callable[[], float]


def next_production_time(node: Node, now_s: float) -> int:
    """The first slot time strictly after the head and not earlier than ``now_s``."""
    state = node.state
    target = int(now_s) if now_s == int(now_s) else int(now_s) + 1
    if target <= state.head_time:
        return slot_time_of(state, 1)
    slot = max(slot_of(state, target), 1)
    when = slot_time_of(state, slot)
    while when < now_s:
        slot += 1
        when = slot_time_of(state, slot)
    return when


async def production_loop(node: Node, stop: asyncio.Event, clock: Clock = time.time,
                          on_block: Callable[[int], None] | None = None) -> None:
    """Produce a block in every slot of a local witness until ``stop`` is set."""
    while not stop.is_set():
        when = next_production_time(node, clock())
        delay = when - clock()
        if delay > 0:
            try:
                await asyncio.wait_for(stop.wait(), timeout=delay)
                return
            except TimeoutError:
                pass
        if node.local_witness_at(when) is None:
            await asyncio.sleep(0)
            continue
        try:
            node.produce_block(when)
        except ChainError as exc:  # a refusal here is a bug in the pending pool; keep going
            log.error("block production at %s failed: %s", when, exc)
            await asyncio.sleep(0.1)
            continue
        if on_block is not None:
            on_block(node.state.head_num)
