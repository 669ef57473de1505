"""The history database: one SQLite file (WAL mode, one writer) beside the chain's, with an undo log.

Tables (ids are instances: ``account 1.2.7`` is stored as 7, ``asset 1.3.1`` as 1):

* ``blocks(num, id, time)`` — the blocks recorded. Invariant: exactly ``1..head`` with no gaps.
* ``operations`` (``1.11.id``) and ``account_ops(account, op_id, sequence)`` — operation history
  and per-account history; append-only, removed by block number when blocks are popped.
* ``fills`` (``5.0.id``), ``buckets`` (``5.1.id``), ``tickers`` (``5.2.id``), ``ticker_roll`` —
  market history; updated in place and pruned to bounds, so every change to them is journaled:
  triggers write to ``undo_log(block_num, stmt)`` the SQL statement that reverts the change, tagged
  with the block being recorded (the technique of sqlite.org/undoredo.html).
* ``futures_trades``, ``futures_buckets`` — futures market history (:mod:`.futures`), journaled
  the same way.

Invariants: each block is recorded in one transaction that also appends its ``blocks`` row, so
the file is always at a block boundary (after a crash too). The undo log holds the changes of
every block from ``undo_from`` on, at most :data:`UNDO_BLOCKS` blocks: enough to pop any block
the node can pop. Popping to block N reverts the journaled changes of blocks > N newest first
and deletes their operation rows.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..node import MAX_UNDO_BLOCKS
from .futures import FUTURES_SCHEMA, FUTURES_TABLES

SCHEMA_VERSION = 1
UNDO_BLOCKS = MAX_UNDO_BLOCKS
"""Blocks whose market-history changes stay revertible (the node never pops more)."""
BUSY_TIMEOUT_S = 5.0

_SCHEMA = """
CREATE TABLE IF NOT EXISTS blocks (
    num INTEGER PRIMARY KEY,
    id BLOB NOT NULL,
    time INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS operations (
    id INTEGER PRIMARY KEY,
    block_num INTEGER NOT NULL,
    trx_in_block INTEGER NOT NULL,
    op_in_trx INTEGER NOT NULL,
    virtual_op INTEGER NOT NULL,
    is_virtual INTEGER NOT NULL,
    block_time INTEGER NOT NULL,
    op_type INTEGER NOT NULL,
    op BLOB NOT NULL,
    result BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS operations_by_block ON operations (block_num);
CREATE TABLE IF NOT EXISTS account_ops (
    account INTEGER NOT NULL,
    op_id INTEGER NOT NULL,
    sequence INTEGER NOT NULL,
    PRIMARY KEY (account, op_id)
) WITHOUT ROWID;
CREATE UNIQUE INDEX IF NOT EXISTS account_ops_by_sequence ON account_ops (account, sequence);
CREATE INDEX IF NOT EXISTS account_ops_by_op ON account_ops (op_id);
CREATE TABLE IF NOT EXISTS fills (
    id INTEGER PRIMARY KEY,
    base INTEGER NOT NULL,
    quote INTEGER NOT NULL,
    sequence INTEGER NOT NULL,
    time INTEGER NOT NULL,
    is_maker INTEGER NOT NULL,
    base_amount INTEGER NOT NULL,
    quote_amount INTEGER NOT NULL,
    price_base INTEGER NOT NULL,
    price_quote INTEGER NOT NULL,
    op BLOB NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS fills_by_key ON fills (base, quote, sequence);
CREATE INDEX IF NOT EXISTS fills_by_time ON fills (base, quote, time DESC, sequence);
CREATE TABLE IF NOT EXISTS buckets (
    id INTEGER PRIMARY KEY,
    base INTEGER NOT NULL,
    quote INTEGER NOT NULL,
    seconds INTEGER NOT NULL,
    open INTEGER NOT NULL,
    high_base INTEGER NOT NULL,
    high_quote INTEGER NOT NULL,
    low_base INTEGER NOT NULL,
    low_quote INTEGER NOT NULL,
    open_base INTEGER NOT NULL,
    open_quote INTEGER NOT NULL,
    close_base INTEGER NOT NULL,
    close_quote INTEGER NOT NULL,
    base_volume INTEGER NOT NULL,
    quote_volume INTEGER NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS buckets_by_key ON buckets (base, quote, seconds, open);
CREATE TABLE IF NOT EXISTS tickers (
    id INTEGER PRIMARY KEY,
    base INTEGER NOT NULL,
    quote INTEGER NOT NULL,
    latest_base INTEGER NOT NULL,
    latest_quote INTEGER NOT NULL,
    last_day_base INTEGER NOT NULL,
    last_day_quote INTEGER NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS tickers_by_market ON tickers (base, quote);
CREATE TABLE IF NOT EXISTS ticker_roll (
    id INTEGER PRIMARY KEY CHECK (id = 0),
    rolled_through INTEGER NOT NULL
);
INSERT OR IGNORE INTO ticker_roll (id, rolled_through) VALUES (0, -1);
CREATE TABLE IF NOT EXISTS undo_log (
    seq INTEGER PRIMARY KEY,
    block_num INTEGER NOT NULL,
    stmt TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS undo_log_by_block ON undo_log (block_num);
CREATE TABLE IF NOT EXISTS journal (
    id INTEGER PRIMARY KEY CHECK (id = 0),
    block_num INTEGER NOT NULL,
    undo_from INTEGER NOT NULL
);
INSERT OR IGNORE INTO journal (id, block_num, undo_from) VALUES (0, 0, 1);
"""

JOURNALED_TABLES: dict[str, tuple[str, ...]] = {
    "fills": ("base", "quote", "sequence", "time", "is_maker", "base_amount", "quote_amount",
              "price_base", "price_quote", "op"),
    "buckets": ("base", "quote", "seconds", "open", "high_base", "high_quote", "low_base",
                "low_quote", "open_base", "open_quote", "close_base", "close_quote",
                "base_volume", "quote_volume"),
    "tickers": ("base", "quote", "latest_base", "latest_quote", "last_day_base",
                "last_day_quote"),
    "ticker_roll": ("rolled_through",),
    **FUTURES_TABLES,
}
"""The tables whose every change is journaled, with their columns (besides ``id``)."""
_ALL_TABLES = ("blocks", "operations", "account_ops", *JOURNALED_TABLES, "undo_log")


def journal_triggers(table: str, columns: tuple[str, ...]) -> str:
    """Triggers that log, while a block is being recorded, the SQL reverting each change."""
    when = "WHEN (SELECT block_num FROM journal) > 0"
    log = "INSERT INTO undo_log (block_num, stmt) SELECT block_num, {} FROM journal;"
    values = " || ',' || ".join(f"quote(old.{c})" for c in columns)
    sets = " || ',' || ".join(f"'{c}=' || quote(old.{c})" for c in columns)
    undo_insert = f"'DELETE FROM {table} WHERE id=' || new.id"
    undo_update = f"'UPDATE {table} SET ' || {sets} || ' WHERE id=' || old.id"
    undo_delete = (f"'INSERT INTO {table} (id,{','.join(columns)}) VALUES (' || old.id || ',' "
                   f"|| {values} || ')'")
    return "\n".join(
        f"CREATE TRIGGER IF NOT EXISTS {table}_{event.lower()}_undo {moment} {event} ON {table} "
        f"{when} BEGIN {log.format(stmt)} END;"
        for event, moment, stmt in (("INSERT", "AFTER", undo_insert),
                                    ("UPDATE", "AFTER", undo_update),
                                    ("DELETE", "BEFORE", undo_delete))
    )


class HistoryStoreError(Exception):
    """The history file cannot be used as asked (unreadable, newer schema, pop beyond undo)."""


class HistoryStore:
    """The history file. Not thread-safe: the node's thread is its only user."""

    def __init__(self, path: str | Path, *, synchronous: str = "NORMAL") -> None:
        self.path = Path(path)
        try:
            self.db = sqlite3.connect(self.path, isolation_level=None, timeout=BUSY_TIMEOUT_S,
                                      check_same_thread=False)
            self._open_schema(synchronous)
        except sqlite3.DatabaseError as exc:
            raise HistoryStoreError(f"cannot open history db {str(self.path)!r}: {exc}") from exc
        self.head = self._query_head()

    def _open_schema(self, synchronous: str) -> None:
        db = self.db
        journal = db.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        if str(journal).lower() != "wal":
            raise sqlite3.DatabaseError(f"journal_mode WAL refused (got {journal!r})")
        db.execute(f"PRAGMA synchronous={synchronous}")
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if version not in (0, SCHEMA_VERSION):
            raise sqlite3.DatabaseError(f"schema version {version}, expected {SCHEMA_VERSION}")
        triggers = "\n".join(journal_triggers(t, c) for t, c in JOURNALED_TABLES.items())
        db.executescript(f"BEGIN IMMEDIATE; {_SCHEMA} {FUTURES_SCHEMA} {triggers} "
                         f"PRAGMA user_version={SCHEMA_VERSION}; COMMIT;")

    def close(self) -> None:
        self.db.close()

    def _query_head(self) -> int:
        row = self.db.execute("SELECT MAX(num) FROM blocks").fetchone()
        return 0 if row[0] is None else int(row[0])

    def block_id(self, num: int) -> bytes | None:
        row = self.db.execute("SELECT id FROM blocks WHERE num = ?", (num,)).fetchone()
        return None if row is None else bytes(row[0])

    @property
    def undo_from(self) -> int:
        """The lowest block whose changes can still be reverted."""
        return int(self.db.execute("SELECT undo_from FROM journal").fetchone()[0])

    # -- writing -----------------------------------------------------------------------------
    @contextmanager
    def recording(self, num: int, block_id: bytes, time_s: int) -> Iterator[sqlite3.Connection]:
        """One transaction recording block ``num`` (the next one); journals market changes."""
        if num != self.head + 1:
            raise HistoryStoreError(f"cannot record block {num}: the history is at {self.head}")
        db = self.db
        db.execute("BEGIN IMMEDIATE")
        try:
            db.execute("UPDATE journal SET block_num = ?", (num,))
            yield db
            db.execute("UPDATE journal SET block_num = 0")
            db.execute("INSERT INTO blocks (num, id, time) VALUES (?, ?, ?)",
                       (num, block_id, time_s))
            oldest_kept = num - UNDO_BLOCKS + 1
            if oldest_kept > 1:
                db.execute("DELETE FROM undo_log WHERE block_num < ?", (oldest_kept,))
                db.execute("UPDATE journal SET undo_from = MAX(undo_from, ?)", (oldest_kept,))
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")
        self.head = num

    def pop_to(self, num: int) -> None:
        """Forget every block after ``num``: revert their market changes, drop their operations."""
        if num >= self.head:
            return
        if num + 1 < self.undo_from:
            raise HistoryStoreError(
                f"cannot pop the history to block {num}: changes before block "
                f"{self.undo_from} are no longer revertible"
            )
        db = self.db
        db.execute("BEGIN IMMEDIATE")
        try:
            undo = db.execute("SELECT stmt FROM undo_log WHERE block_num > ? ORDER BY seq DESC",
                              (num,)).fetchall()
            for (stmt,) in undo:
                db.execute(stmt)
            db.execute("DELETE FROM undo_log WHERE block_num > ?", (num,))
            first = db.execute("SELECT MIN(id) FROM operations WHERE block_num > ?",
                               (num,)).fetchone()[0]
            if first is not None:
                db.execute("DELETE FROM account_ops WHERE op_id >= ?", (first,))
                db.execute("DELETE FROM operations WHERE id >= ?", (first,))
            db.execute("DELETE FROM blocks WHERE num > ?", (num,))
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")
        self.head = num

    def reset(self) -> None:
        """Forget everything (to rebuild the history from genesis)."""
        db = self.db
        db.execute("BEGIN IMMEDIATE")
        try:
            for table in _ALL_TABLES:
                db.execute(f"DELETE FROM {table}")
            db.execute("INSERT INTO ticker_roll (id, rolled_through) VALUES (0, -1)")
            db.execute("UPDATE journal SET block_num = 0, undo_from = 1")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")
        self.head = 0
