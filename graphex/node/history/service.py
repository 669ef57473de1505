"""The history service: keeps a node's operation, account and market history in ``history.db``.

Attach it to a :class:`~graphex.node.node.Node` before :meth:`Node.open` (or to a node whose
history file is level with its chain). It records each block that joins the head chain from
``node.state.block_ops`` and forgets each block a fork switch pops, so it always describes the
node's head chain.

Start-up, in order:

1. *Ahead or off the chain* (the history has blocks the block log lacks or holds differently,
   e.g. after a crash lost the chain's last blocks): it pops back to the last block both agree on.
   If that is beyond its undo log, it starts again from empty.
2. *Behind*: blocks the node replays at open are recorded; blocks it already holds are skipped.
   If it is behind the node's latest snapshot, the node will not replay the blocks it lacks:
   :attr:`needs_replay` is then True and the node must open with ``replay=True`` (``graphex
   node``/``devnet`` do so, saying why) — the simplest way to rebuild exactly what a node that
   had the history all along would hold.

The history is not consensus state: a failure to record (disk full, a bug) is logged, the
service stops recording and its reads raise :class:`HistoryUnavailable` naming the cause; block
production goes on. A restart rebuilds what is missing.
"""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

from ...protocol.block import SignedBlock, block_num
from ..node import Node, NodeError
from .futures import record_futures_block
from .market import MarketHistoryConfig, record_market_block
from .operations import record_operations
from .store import HistoryStore, HistoryStoreError

log = logging.getLogger(__name__)

HISTORY_FILE = "history.db"


class HistoryUnavailable(NodeError):
    """The history service stopped recording (or was never attached); its reads refuse."""


class HistoryService:
    """One node's history, in ``<data dir>/history.db`` (single-threaded, like the node)."""

    def __init__(self, node: Node, *, config: MarketHistoryConfig | None = None,
                 path: Path | None = None, synchronous: str = "NORMAL") -> None:
        self.node = node
        self.config = config or MarketHistoryConfig()
        self.store = HistoryStore(path or node.config.data_dir / HISTORY_FILE,
                                  synchronous=synchronous)
        self.failure: str | None = None
        self._align_with_block_log()
        node.block_listeners.append(self._on_block)
        node.pop_listeners.append(self._on_pop)

    @property
    def head(self) -> int:
        """The last block recorded."""
        return self.store.head

    @property
    def needs_replay(self) -> bool:
        """True when the node must replay from genesis for the history to catch up: it is behind
        the latest snapshot, from where an ordinary open replays."""
        snapshot = self.node.store.latest_snapshot()
        return snapshot is not None and self.store.head < snapshot[0]

    def close(self) -> None:
        self.store.close()

    def reader(self) -> sqlite3.Connection:
        """The connection to read the history through; refuses once recording has failed."""
        if self.failure is not None:
            raise HistoryUnavailable(self.failure)
        return self.store.db

    # -- start-up ------------------------------------------------------------------------------
    def _align_with_block_log(self) -> None:
        chain = self.node.store
        floor = max(self.store.undo_from - 1, 0)  # the lowest block it can pop back to

        def agree(num: int) -> bool:
            return num == 0 or self.store.block_id(num) == chain.block_id(num)

        common = min(self.store.head, chain.head_num())
        while common > floor and not agree(common):
            common -= 1
        if common == self.store.head:
            return
        if common >= floor and agree(common):
            self.store.pop_to(common)
            log.info("history: popped back to block %d, the last one the block log agrees on",
                     common)
        else:
            log.warning("history: no block it can pop back to agrees with the block log; "
                        "rebuilding it from genesis")
            self.store.reset()

    # -- listeners -----------------------------------------------------------------------------
    def _on_block(self, block: SignedBlock, block_id: bytes) -> None:
        if self.failure is not None:
            return
        num = block_num(block)
        try:
            if num <= self.store.head:
                if self.store.block_id(num) == block_id:
                    return  # recorded before (a block replayed at open)
                self.store.pop_to(num - 1)
            if num != self.store.head + 1:
                raise HistoryStoreError(
                    f"the history is at block {self.store.head} but the node applied block "
                    f"{num}: attach the history service before Node.open()"
                )
            records = self.node.state.block_ops
            with self.store.recording(num, block_id, block.timestamp) as db:
                record_operations(db, records, block.timestamp)
                record_market_block(db, records, block.timestamp, self.config)
                record_futures_block(db, records, num, block.timestamp, self.config)
        except Exception as exc:  # noqa: BLE001 - not consensus: log, stop recording, go on
            self._fail(f"recording block {num}", exc)

    def _on_pop(self, num: int) -> None:
        if self.failure is not None:
            return
        try:
            self.store.pop_to(min(num - 1, self.store.head))
        except Exception as exc:  # noqa: BLE001 - as in _on_block
            self._fail(f"popping block {num}", exc)

    def _fail(self, doing: str, exc: Exception) -> None:
        self.failure = (f"the history service stopped at block {self.store.head} ({doing}: "
                        f"{exc}); restart the node to rebuild it")
        log.error("history: %s", self.failure, exc_info=exc)
