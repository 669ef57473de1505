"""The node's durable store: one SQLite file (WAL mode, single writer).

It owns three tables:

* ``blocks(num, id, raw)`` - an append-only block log. Invariant: the stored numbers are exactly
  ``1..head_num`` with no gaps; ``raw`` is the block's binary serialization (opaque here) and
  ``id`` its 20-byte block id.
* ``snapshots(num, state_hash, raw)`` - serialized states at block ``num``. Invariant: every
  snapshot's ``num`` is ``<= head_num``; only the newest ``keep`` are retained.
* ``meta(key, value)`` - small key/value facts (chain id, genesis json).

Every mutating call is one transaction and commits before returning, so after a crash (even
SIGKILL mid-write) the file holds a gapless prefix of the log as of some committed call.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Self

BLOCK_ID_SIZE_BYTES = 20
SCHEMA_VERSION = 1
SYNCHRONOUS_MODES = frozenset({"OFF", "NORMAL", "FULL", "EXTRA"})
READ_CHUNK_BLOCKS = 256  # rows fetched per query when streaming a range of blocks
BUSY_TIMEOUT_MS = 5_000

_SCHEMA = """
CREATE TABLE IF NOT EXISTS blocks (
    num INTEGER PRIMARY KEY,
    id BLOB NOT NULL CHECK (length(id) = 20),
    raw BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS snapshots (
    num INTEGER PRIMARY KEY,
    state_hash BLOB NOT NULL,
    raw BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value BLOB
);
"""
_INSERT_BLOCK = "INSERT INTO blocks (num, id, raw) VALUES (?, ?, ?)"
_INSERT_SNAPSHOT = "INSERT OR REPLACE INTO snapshots (num, state_hash, raw) VALUES (?, ?, ?)"
_PRUNE_SNAPSHOTS = (
    "DELETE FROM snapshots WHERE num NOT IN (SELECT num FROM snapshots ORDER BY num DESC LIMIT ?)"
)


class StorageError(Exception):
    """A storage rule was broken (out-of-order append, bad argument, unusable file)."""


def _check_int(name: str, value: object, minimum: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise StorageError(f"{name} must be an int >= {minimum}, got {value!r}")
    return value


def _check_bytes(name: str, value: object, size: int | None = None) -> bytes:
    if not isinstance(value, (bytes, bytearray, memoryview)):
        raise StorageError(f"{name} must be bytes, got {type(value).__name__}")
    data = bytes(value)
    if size is not None and len(data) != size:
        raise StorageError(f"{name} must be {size} bytes, got {len(data)}")
    return data


class BlockStore:
    """Block log, snapshots and meta in one SQLite file. Not thread-safe; one writer process."""

    def __init__(self, path: str | Path, *, synchronous: str = "FULL") -> None:
        mode = synchronous.upper() if isinstance(synchronous, str) else ""
        if mode not in SYNCHRONOUS_MODES:
            raise StorageError(
                f"synchronous must be one of {sorted(SYNCHRONOUS_MODES)}, got {synchronous!r}"
            )
        self.path = Path(path)
        self._db: sqlite3.Connection | None = None
        try:
            self._db = sqlite3.connect(
                self.path, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000
            )
            self._open_schema(self._db, mode)
            self._head_num = self._query_head_num()
        except sqlite3.DatabaseError as exc:
            self.close()
            raise StorageError(f"cannot open block store {str(self.path)!r}: {exc}") from exc

    @staticmethod
    def _open_schema(db: sqlite3.Connection, synchronous: str) -> None:
        journal = db.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        if str(journal).lower() != "wal":
            raise sqlite3.DatabaseError(f"journal_mode WAL refused (got {journal!r})")
        db.execute(f"PRAGMA synchronous={synchronous}")
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if version not in (0, SCHEMA_VERSION):
            raise sqlite3.DatabaseError(f"schema version {version}, expected {SCHEMA_VERSION}")
        db.executescript(
            f"BEGIN IMMEDIATE; {_SCHEMA} PRAGMA user_version={SCHEMA_VERSION}; COMMIT;"
        )

    # -- lifecycle ---------------------------------------------------------------------------

    def close(self) -> None:
        """Close the file; idempotent. Later calls raise StorageError."""
        if self._db is not None:
            self._db.close()
            self._db = None

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _require_open(self) -> sqlite3.Connection:
        if self._db is None:
            raise StorageError(f"block store {str(self.path)!r} is closed")
        return self._db

    @property
    def _conn(self) -> sqlite3.Connection:
        return self._require_open()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """One immediate (write-locked) transaction, committed on success, else rolled back."""
        db = self._conn
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    # -- block log ---------------------------------------------------------------------------

    def _query_head_num(self) -> int:
        row = self._conn.execute("SELECT MAX(num) FROM blocks").fetchone()
        return 0 if row[0] is None else int(row[0])

    def head_num(self) -> int:
        """Number of the last stored block; 0 when the log is empty."""
        self._require_open()
        return self._head_num

    def append_block(self, num: int, block_id: bytes, raw: bytes) -> None:
        """Append one block; ``num`` must be ``head_num() + 1``. Commits before returning."""
        self.append_blocks([(num, block_id, raw)])

    def append_blocks(self, items: Iterable[tuple[int, bytes, bytes]]) -> None:
        """Append consecutive blocks in one transaction: all are stored, or none."""
        next_num = [self._head_num + 1]

        def rows() -> Iterator[tuple[int, bytes, bytes]]:
            for num, block_id, raw in items:
                if type(num) is not int or num != next_num[0]:
                    raise StorageError(
                        f"block append out of order: expected num {next_num[0]}, got {num!r}"
                    )
                id_bytes = _check_bytes("block_id", block_id, BLOCK_ID_SIZE_BYTES)
                yield num, id_bytes, _check_bytes("raw", raw)
                next_num[0] += 1

        with self._transaction() as db:
            db.executemany(_INSERT_BLOCK, rows())
        self._head_num = next_num[0] - 1

    def truncate_after(self, num: int) -> None:
        """Delete blocks (and snapshots) numbered above ``num``."""
        _check_int("num", num, 0)
        with self._transaction() as db:
            db.execute("DELETE FROM blocks WHERE num > ?", (num,))
            db.execute("DELETE FROM snapshots WHERE num > ?", (num,))
        self._head_num = min(self._head_num, num)

    def block(self, num: int) -> bytes | None:
        """The raw bytes of block ``num``, or None if not stored."""
        row = self._conn.execute("SELECT raw FROM blocks WHERE num = ?", (num,)).fetchone()
        return None if row is None else bytes(row[0])

    def block_id(self, num: int) -> bytes | None:
        """The id of block ``num``, or None if not stored."""
        row = self._conn.execute("SELECT id FROM blocks WHERE num = ?", (num,)).fetchone()
        return None if row is None else bytes(row[0])

    def blocks(self, start: int, stop: int) -> Iterator[tuple[int, bytes, bytes]]:
        """Stream ``(num, id, raw)`` for stored blocks with ``start <= num <= stop``, ascending.

        Rows are read in chunks of READ_CHUNK_BLOCKS, so no read statement stays open between
        yields and writes may interleave with iteration.
        """
        _check_int("start", start, 0)
        _check_int("stop", stop, 0)
        self._require_open()
        return self._iter_blocks(start, stop)

    def _iter_blocks(self, start: int, stop: int) -> Iterator[tuple[int, bytes, bytes]]:
        next_num = start
        while next_num <= stop:
            chunk = self._conn.execute(
                "SELECT num, id, raw FROM blocks WHERE num >= ? AND num <= ? ORDER BY num LIMIT ?",
                (next_num, stop, READ_CHUNK_BLOCKS),
            ).fetchall()
            for num, block_id, raw in chunk:
                yield int(num), bytes(block_id), bytes(raw)
            if len(chunk) < READ_CHUNK_BLOCKS:
                return
            next_num = int(chunk[-1][0]) + 1

    # -- snapshots ---------------------------------------------------------------------------

    def write_snapshot(self, num: int, state_hash: bytes, raw: bytes, *, keep: int = 2) -> None:
        """Store the state at block ``num`` (<= head_num) atomically; keep the newest ``keep``."""
        _check_int("num", num, 0)
        _check_int("keep", keep, 1)
        if num > self._head_num:
            raise StorageError(
                f"snapshot num must be <= head_num: head_num {self._head_num}, got {num}"
            )
        row = (num, _check_bytes("state_hash", state_hash), _check_bytes("raw", raw))
        with self._transaction() as db:
            db.execute(_INSERT_SNAPSHOT, row)
            db.execute(_PRUNE_SNAPSHOTS, (keep,))

    def latest_snapshot(self) -> tuple[int, bytes, bytes] | None:
        """The newest snapshot as ``(num, state_hash, raw)``, or None."""
        row = self._conn.execute(
            "SELECT num, state_hash, raw FROM snapshots ORDER BY num DESC LIMIT 1"
        ).fetchone()
        return None if row is None else (int(row[0]), bytes(row[1]), bytes(row[2]))

    # -- meta --------------------------------------------------------------------------------

    def get_meta(self, key: str) -> bytes | None:
        """The value stored under ``key``, or None."""
        row = self._conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None or row[0] is None else bytes(row[0])

    def set_meta(self, key: str, value: bytes) -> None:
        """Store ``value`` under ``key`` (replacing any previous value)."""
        if not isinstance(key, str) or not key:
            raise StorageError(f"meta key must be a non-empty str, got {key!r}")
        data = _check_bytes("meta value", value)
        with self._transaction() as db:
            db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, data))
