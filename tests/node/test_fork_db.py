"""Fork database: linking, longest-chain head, branches, removal and pruning."""

from __future__ import annotations

import pytest

from graphex.node.fork_db import (
    BlockTooOld,
    ForkDatabase,
    ForkDbEmpty,
    ForkItem,
    InvalidForkItem,
    UnknownBlock,
    UnlinkableBlock,
    num_from_id,
)


def make_id(num: int, branch: str = "a") -> bytes:
    return num.to_bytes(4, "big") + branch.encode().ljust(16, b"\0")


ROOT = ForkItem(make_id(0, "root"), bytes(20), 0)


def item(num: int, branch: str = "a", parent_branch: str | None = None) -> ForkItem:
    if num == 1:
        previous = ROOT.block_id
    else:
        previous = make_id(num - 1, parent_branch or branch)
    return ForkItem(make_id(num, branch), previous, num, data=f"{branch}{num}")


def chain(db: ForkDatabase, first: int, last: int, branch: str, parent: str | None = None) -> None:
    for num in range(first, last + 1):
        db.push(item(num, branch, parent if num == first else None))


def fresh(max_size: int = 1024) -> ForkDatabase:
    db = ForkDatabase(max_size)
    db.reset(ROOT)
    return db


def test_num_from_id() -> None:
    assert num_from_id(make_id(0x01020304)) == 0x01020304
    with pytest.raises(InvalidForkItem):
        num_from_id(b"\0" * 19)
    with pytest.raises(InvalidForkItem, match="disagrees"):
        ForkItem(make_id(5), make_id(4), 6)


def test_empty_database_refuses_push() -> None:
    db = ForkDatabase(10)
    with pytest.raises(ForkDbEmpty):
        db.push(item(1))


def test_linear_chain() -> None:
    db = fresh()
    for num in range(1, 6):
        assert db.push(item(num)).block_id == make_id(num)
    assert db.head.num == 5
    assert db.head.data == "a5"
    assert len(db) == 6
    assert db.is_known(make_id(3)) and not db.is_known(make_id(6))
    assert db.walk_main_branch_to_num(2) == item(2)
    assert db.walk_main_branch_to_num(0) == ROOT
    assert db.walk_main_branch_to_num(6) is None


def test_duplicate_push_is_idempotent() -> None:
    db = fresh()
    chain(db, 1, 3, "a")
    assert db.push(item(2)).block_id == make_id(3)
    assert len(db) == 4
    assert db.fetch_by_number(2) == [item(2)]


def test_longer_fork_switches_head_equal_length_does_not() -> None:
    db = fresh()
    chain(db, 1, 5, "a")
    # fork b branches off a3: b4, b5 -> equal height 5, head stays a5.
    assert db.push(item(4, "b", "a")).block_id == make_id(5, "a")
    assert db.push(item(5, "b")).block_id == make_id(5, "a")
    assert [i.block_id for i in db.fetch_by_number(5)] == [make_id(5, "a"), make_id(5, "b")]
    # b6 makes fork b strictly longer.
    assert db.push(item(6, "b")).block_id == make_id(6, "b")
    assert db.walk_main_branch_to_num(4) == item(4, "b", "a")
    assert db.walk_main_branch_to_num(3) == item(3)


def test_fetch_branches() -> None:
    db = fresh()
    chain(db, 1, 5, "a")
    chain(db, 4, 6, "b", "a")
    first, second = db.fetch_branches(make_id(6, "b"), make_id(5, "a"))
    assert [i.block_id for i in first] == [make_id(n, "b") for n in (6, 5, 4)]
    assert [i.block_id for i in second] == [make_id(5, "a"), make_id(4, "a")]
    assert first[-1].previous_id == second[-1].previous_id == make_id(3, "a")
    # swapped arguments swap results
    again = db.fetch_branches(make_id(5, "a"), make_id(6, "b"))
    assert again == (second, first)


def test_fetch_branches_ancestor_and_same_tip() -> None:
    db = fresh()
    chain(db, 1, 5, "a")
    first, second = db.fetch_branches(make_id(5), make_id(3))
    assert [i.num for i in first] == [5, 4]
    assert second == []
    assert db.fetch_branches(make_id(4), make_id(4)) == ([], [])
    with pytest.raises(UnknownBlock):
        db.fetch_branches(make_id(9), make_id(4))


def test_fetch_branches_works_when_common_ancestor_was_pruned() -> None:
    db = fresh(max_size=3)
    chain(db, 1, 5, "a")
    chain(db, 3, 5, "b", "a")  # b3 links to a2
    assert not db.is_known(make_id(1))  # pruned: min num is 5 - 3 = 2
    first, second = db.fetch_branches(make_id(5, "b"), make_id(5, "a"))
    assert [i.num for i in first] == [5, 4, 3] and [i.num for i in second] == [5, 4, 3]


def test_remove_subtree_falls_back_to_highest_remaining() -> None:
    db = fresh()
    chain(db, 1, 5, "a")
    chain(db, 4, 7, "b", "a")
    db.push(item(6, "c", "b"))  # c6 on b5
    assert db.head.block_id == make_id(7, "b")
    db.remove(make_id(5, "b"))
    for gone in (make_id(5, "b"), make_id(6, "b"), make_id(7, "b"), make_id(6, "c")):
        assert not db.is_known(gone)
    assert db.is_known(make_id(4, "b"))
    assert db.head.block_id == make_id(5, "a")
    db.remove(make_id(99))  # unknown ids are ignored
    assert len(db) == 7


def test_remove_tie_keeps_first_seen() -> None:
    db = fresh()
    chain(db, 1, 3, "a")
    chain(db, 3, 3, "b", "a")
    db.push(item(4, "b"))
    db.remove(make_id(4, "b"))
    assert db.head.block_id == make_id(3, "a")


def test_remove_everything_empties() -> None:
    db = fresh()
    chain(db, 1, 3, "a")
    db.remove(ROOT.block_id)
    assert len(db) == 0
    with pytest.raises(ForkDbEmpty):
        _ = db.head


def test_set_head_restores_old_branch() -> None:
    db = fresh()
    chain(db, 1, 3, "a")
    chain(db, 3, 4, "b", "a")
    db.set_head(make_id(3, "a"))
    assert db.head.block_id == make_id(3, "a")
    with pytest.raises(UnknownBlock):
        db.set_head(make_id(9))


def test_unlinkable_block_is_refused_with_previous_named() -> None:
    db = fresh()
    chain(db, 1, 3, "a")
    orphan = ForkItem(make_id(5, "x"), make_id(4, "x"), 5)
    with pytest.raises(UnlinkableBlock, match=f"previous #4 {make_id(4, 'x').hex()}") as err:
        db.push(orphan)
    assert err.value.previous_id == make_id(4, "x")
    assert not db.is_known(orphan.block_id)


def test_number_must_follow_parent() -> None:
    db = fresh()
    chain(db, 1, 3, "a")
    with pytest.raises(InvalidForkItem, match="previous number"):
        db.push(ForkItem(make_id(5, "x"), make_id(3, "a"), 5))


def test_too_old_block_is_refused() -> None:
    db = fresh(max_size=3)
    chain(db, 1, 6, "a")
    # head 6, max_size 3: a block must be numbered above 3.
    with pytest.raises(BlockTooOld, match="too old"):
        db.push(item(3, "z", "a"))
    db.push(item(4, "z", "a"))  # 4 > 3 is accepted (links to a3, still held)
    assert db.is_known(make_id(4, "z"))


def test_pruning_on_head_advance_and_set_max_size() -> None:
    db = fresh(max_size=3)
    chain(db, 1, 6, "a")
    assert sorted(i.num for n in range(7) for i in db.fetch_by_number(n)) == [3, 4, 5, 6]
    db.set_max_size(1)
    assert [n for n in range(7) if db.fetch_by_number(n)] == [5, 6]
    db.set_max_size(10)
    db.push(item(7))
    assert [n for n in range(8) if db.fetch_by_number(n)] == [5, 6, 7]
    with pytest.raises(ValueError):
        db.set_max_size(0)


def test_fork_below_pruned_point_becomes_unlinkable() -> None:
    db = fresh(max_size=2)
    chain(db, 1, 5, "a")
    with pytest.raises(UnlinkableBlock):
        db.push(item(4, "q", "p"))
