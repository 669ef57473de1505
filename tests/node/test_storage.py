"""Tests for graphex.node.storage: block log, snapshots, meta, errors and crash safety."""

from __future__ import annotations

import hashlib
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from graphex.node import storage
from graphex.node.storage import BlockStore, StorageError

REPO_ROOT = Path(__file__).resolve().parents[2]


def block_id(num: int) -> bytes:
    return hashlib.sha256(b"id" + num.to_bytes(8, "big")).digest()[:20]


def block_raw(num: int) -> bytes:
    return hashlib.sha256(num.to_bytes(8, "big")).digest() * (1 + num % 7)


def fill(store: BlockStore, count: int) -> None:
    start = store.head_num() + 1
    store.append_blocks((n, block_id(n), block_raw(n)) for n in range(start, start + count))


@pytest.fixture
def store(tmp_path: Path) -> Iterator[BlockStore]:
    with BlockStore(tmp_path / "chain.db") as opened:
        yield opened


# -- opening -------------------------------------------------------------------------------


def test_new_store_is_empty_and_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "chain.db"
    with BlockStore(str(path), synchronous="normal") as store:
        assert store.head_num() == 0
        assert store.block(1) is None
        assert store.latest_snapshot() is None
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"blocks", "snapshots", "meta"} <= tables
    db.close()


def test_bad_synchronous_mode_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(StorageError, match="synchronous.*'SOMETIMES'"):
        BlockStore(tmp_path / "chain.db", synchronous="SOMETIMES")


def test_non_database_file_is_a_storage_error(tmp_path: Path) -> None:
    path = tmp_path / "junk.db"
    path.write_bytes(b"not a database at all" * 100)
    with pytest.raises(StorageError, match="cannot open block store"):
        BlockStore(path)


def test_closed_store_raises(tmp_path: Path) -> None:
    store = BlockStore(tmp_path / "chain.db")
    store.close()
    store.close()  # idempotent
    with pytest.raises(StorageError, match="closed"):
        store.head_num()
    with pytest.raises(StorageError, match="closed"):
        store.append_block(1, block_id(1), block_raw(1))


def test_reopen_keeps_everything(tmp_path: Path) -> None:
    path = tmp_path / "chain.db"
    with BlockStore(path) as store:
        fill(store, 10)
        store.write_snapshot(8, b"h8", b"state8")
        store.set_meta("chain_id", b"\x01" * 32)
    with BlockStore(path) as store:
        assert store.head_num() == 10
        assert store.block(10) == block_raw(10)
        assert store.latest_snapshot() == (8, b"h8", b"state8")
        assert store.get_meta("chain_id") == b"\x01" * 32
        store.append_block(11, block_id(11), block_raw(11))
        assert store.head_num() == 11


# -- block log -----------------------------------------------------------------------------


def test_append_and_read_back(store: BlockStore) -> None:
    store.append_block(1, block_id(1), block_raw(1))
    store.append_block(2, bytearray(block_id(2)), memoryview(block_raw(2)))
    assert store.head_num() == 2
    assert store.block(1) == block_raw(1)
    assert store.block_id(2) == block_id(2)
    assert isinstance(store.block(2), bytes)
    assert store.block(3) is None
    assert store.block_id(0) is None


@pytest.mark.parametrize("num", [0, 2, 5, -1])
def test_first_append_must_be_block_one(store: BlockStore, num: int) -> None:
    with pytest.raises(StorageError, match=f"expected num 1, got {num}"):
        store.append_block(num, block_id(1), block_raw(1))
    assert store.head_num() == 0


@pytest.mark.parametrize("num", [1, 4, 6, 100])
def test_append_must_follow_head(store: BlockStore, num: int) -> None:
    fill(store, 4)
    with pytest.raises(StorageError, match=f"expected num 5, got {num}"):
        store.append_block(num, block_id(num), block_raw(num))
    assert store.head_num() == 4


def test_append_rejects_non_int_numbers(store: BlockStore) -> None:
    for bad in (True, 1.0, "1"):
        with pytest.raises(StorageError, match="expected num 1"):
            store.append_block(bad, block_id(1), block_raw(1))  # type: ignore[arg-type]


def test_append_rejects_bad_id_and_raw(store: BlockStore) -> None:
    with pytest.raises(StorageError, match="block_id must be 20 bytes, got 19"):
        store.append_block(1, b"\x00" * 19, b"raw")
    with pytest.raises(StorageError, match="raw must be bytes, got str"):
        store.append_block(1, block_id(1), "raw")  # type: ignore[arg-type]
    assert store.head_num() == 0


def test_append_blocks_is_all_or_nothing(store: BlockStore) -> None:
    fill(store, 3)
    items = [(4, block_id(4), block_raw(4)), (5, block_id(5), block_raw(5)), (7, block_id(7), b"")]
    with pytest.raises(StorageError, match="expected num 6, got 7"):
        store.append_blocks(items)
    assert store.head_num() == 3
    assert store.block(4) is None
    fill(store, 2)  # the store is still usable after the rollback
    assert store.head_num() == 5


def test_append_blocks_empty_is_noop(store: BlockStore) -> None:
    store.append_blocks([])
    assert store.head_num() == 0


def test_blocks_range_streams_inclusive_ascending(
    store: BlockStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(storage, "READ_CHUNK_BLOCKS", 4)
    fill(store, 30)
    got = list(store.blocks(3, 17))
    assert [n for n, _, _ in got] == list(range(3, 18))
    assert all(i == block_id(n) and r == block_raw(n) for n, i, r in got)
    assert [n for n, _, _ in store.blocks(25, 1000)] == list(range(25, 31))
    assert [n for n, _, _ in store.blocks(0, 2)] == [1, 2]
    assert list(store.blocks(10, 9)) == []
    assert list(store.blocks(31, 40)) == []


def test_blocks_iteration_tolerates_interleaved_appends(
    store: BlockStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(storage, "READ_CHUNK_BLOCKS", 2)
    fill(store, 5)
    seen = []
    for num, _, _ in store.blocks(1, 8):
        seen.append(num)
        if num == 3:
            fill(store, 3)
    assert seen == list(range(1, 9))


def test_blocks_rejects_negative_bounds(store: BlockStore) -> None:
    with pytest.raises(StorageError, match="start must be an int >= 0, got -1"):
        store.blocks(-1, 5)


def test_truncate_after(store: BlockStore) -> None:
    fill(store, 10)
    store.write_snapshot(5, b"h5", b"s5")
    store.write_snapshot(8, b"h8", b"s8")
    store.truncate_after(6)
    assert store.head_num() == 6
    assert store.block(7) is None and store.block(6) == block_raw(6)
    assert store.latest_snapshot() == (5, b"h5", b"s5")
    store.truncate_after(20)  # above head: nothing to do
    assert store.head_num() == 6
    store.append_block(7, b"\xee" * 20, b"fork block 7")
    assert store.block_id(7) == b"\xee" * 20
    store.truncate_after(0)
    assert store.head_num() == 0 and store.latest_snapshot() is None
    with pytest.raises(StorageError, match="num must be an int >= 0, got -3"):
        store.truncate_after(-3)


# -- snapshots -----------------------------------------------------------------------------


def test_snapshot_retention_keeps_newest(store: BlockStore) -> None:
    fill(store, 10)
    for num in (2, 4, 6):
        store.write_snapshot(num, b"h%d" % num, b"s%d" % num)
    assert store.latest_snapshot() == (6, b"h6", b"s6")
    nums = [r[0] for r in store._conn.execute("SELECT num FROM snapshots ORDER BY num")]
    assert nums == [4, 6]
    store.write_snapshot(8, b"h8", b"s8", keep=3)
    store.write_snapshot(10, b"h10", b"s10", keep=1)
    nums = [r[0] for r in store._conn.execute("SELECT num FROM snapshots ORDER BY num")]
    assert nums == [10]


def test_snapshot_at_same_num_replaces(store: BlockStore) -> None:
    fill(store, 3)
    store.write_snapshot(3, b"old", b"old")
    store.write_snapshot(3, b"new", b"new")
    assert store.latest_snapshot() == (3, b"new", b"new")


def test_snapshot_errors(store: BlockStore) -> None:
    fill(store, 3)
    with pytest.raises(StorageError, match="head_num 3, got 4"):
        store.write_snapshot(4, b"h", b"s")
    with pytest.raises(StorageError, match="keep must be an int >= 1, got 0"):
        store.write_snapshot(3, b"h", b"s", keep=0)
    with pytest.raises(StorageError, match="state_hash must be bytes"):
        store.write_snapshot(3, "h", b"s")  # type: ignore[arg-type]
    assert store.latest_snapshot() is None


# -- meta ----------------------------------------------------------------------------------


def test_meta_roundtrip_and_replace(store: BlockStore) -> None:
    assert store.get_meta("genesis") is None
    store.set_meta("genesis", b'{"x": 1}')
    store.set_meta("genesis", b'{"x": 2}')
    assert store.get_meta("genesis") == b'{"x": 2}'
    store.set_meta("empty", b"")
    assert store.get_meta("empty") == b""


def test_meta_errors(store: BlockStore) -> None:
    with pytest.raises(StorageError, match="meta key must be a non-empty str"):
        store.set_meta("", b"v")
    with pytest.raises(StorageError, match="meta value must be bytes, got str"):
        store.set_meta("k", "v")  # type: ignore[arg-type]


# -- crash safety --------------------------------------------------------------------------

CHILD = textwrap.dedent(
    """
    import hashlib, sys
    from graphex.node.storage import BlockStore

    def raw(num):
        return hashlib.sha256(num.to_bytes(8, "big")).digest() * (1 + num % 7)

    def bid(num):
        return hashlib.sha256(b"id" + num.to_bytes(8, "big")).digest()[:20]

    store = BlockStore(sys.argv[1])
    num = store.head_num()
    while num < 1_000_000:
        if num % 2:
            store.append_block(num + 1, bid(num + 1), raw(num + 1))
            num += 1
        else:
            batch = [(n, bid(n), raw(n)) for n in range(num + 1, num + 6)]
            store.append_blocks(batch)
            num += 5
        print(num, flush=True)
    """
)


def run_child_until(path: Path, min_committed: int, timeout_s: float = 60.0) -> int:
    """Start a child appending blocks, SIGKILL it once it reports min_committed; return last."""
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(path)], stdout=subprocess.PIPE, text=True, env=env
    )
    assert child.stdout is not None
    deadline = time.monotonic() + timeout_s
    last = 0
    try:
        for line in child.stdout:
            last = int(line)
            if last >= min_committed or time.monotonic() > deadline:
                break
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)
    assert child.returncode == -signal.SIGKILL
    assert last >= min_committed, f"child reported only {last} blocks before the deadline"
    return last


def assert_gapless_prefix(store: BlockStore, at_least: int) -> int:
    head = store.head_num()
    assert head >= at_least
    nums = []
    for num, bid, raw in store.blocks(1, head + 10):
        assert bid == block_id(num) and raw == block_raw(num), f"block {num} corrupted"
        nums.append(num)
    assert nums == list(range(1, head + 1))
    return head


def test_sigkill_mid_append_leaves_gapless_prefix(tmp_path: Path) -> None:
    path = tmp_path / "chain.db"
    reported = run_child_until(path, min_committed=300)
    with BlockStore(path) as store:
        head = assert_gapless_prefix(store, at_least=reported)
        fill(store, 3)
        assert store.head_num() == head + 3
    reported = run_child_until(path, min_committed=head + 200)  # resume after the crash
    with BlockStore(path) as store:
        assert_gapless_prefix(store, at_least=reported)
