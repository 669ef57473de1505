"""In-memory fork database: the tree of recent blocks and the longest-chain head.

Owns the reversible part of the block tree, as BitShares' ``fork_database``: every block whose
number is above ``head.num - max_size``, linked to its parent by id. Blocks are opaque here
(``ForkItem.data``); applying them is the caller's job.

Invariants:
- Every item except the root given to :meth:`ForkDatabase.reset` (and items whose parent was
  pruned) links to a known parent with ``parent.num + 1 == item.num``.
- A block id's first 4 bytes are its block number, big-endian; ``item.num`` agrees with it.
- The head changes on push only when the new item's number is strictly greater than the head's
  (equal height keeps the current head), so ties go to the block seen first.
- Items with ``num < head.num - max_size`` are pruned when the head advances or the size shrinks.
- Iteration order is deterministic: per number, items are kept in the order first seen.
"""

from __future__ import annotations

from dataclasses import dataclass

BLOCK_ID_SIZE = 20
BLOCK_NUM_PREFIX_SIZE = 4
DEFAULT_MAX_SIZE = 1024


class ForkDbError(ValueError):
    """Base of the fork database's refusals."""


class InvalidForkItem(ForkDbError):
    """A fork item whose ids or number are malformed or inconsistent."""


class UnlinkableBlock(ForkDbError):
    """A block whose previous block is not in the fork database."""

    def __init__(self, block_id: bytes, num: int, previous_id: bytes) -> None:
        self.block_id = block_id
        self.num = num
        self.previous_id = previous_id
        super().__init__(
            f"block does not link to known chain: block #{num} {block_id.hex()} has previous "
            f"#{num_from_id(previous_id)} {previous_id.hex()}, which is not in the fork database"
        )


class BlockTooOld(ForkDbError):
    """A block at or below ``head.num - max_size``, outside the range the database keeps."""


class UnknownBlock(ForkDbError):
    """A block id the fork database does not hold."""


class ForkDbEmpty(ForkDbError):
    """The fork database has no head; call ``reset`` first."""


def num_from_id(block_id: bytes) -> int:
    """Block number encoded big-endian in the first 4 bytes of a block id."""
    if len(block_id) != BLOCK_ID_SIZE:
        raise InvalidForkItem(
            f"block id must be {BLOCK_ID_SIZE} bytes, got {len(block_id)}: {block_id.hex()}"
        )
    return int.from_bytes(block_id[:BLOCK_NUM_PREFIX_SIZE], "big")


@dataclass(frozen=True, slots=True)
class ForkItem:
    """One block in the tree: its id, its parent's id, its number and the opaque block."""

    block_id: bytes
    previous_id: bytes
    num: int
    data: object = None

    def __post_init__(self) -> None:
        id_num = num_from_id(self.block_id)
        num_from_id(self.previous_id)
        if id_num != self.num:
            raise InvalidForkItem(
                f"fork item number {self.num} disagrees with its id {self.block_id.hex()} "
                f"(encodes #{id_num})"
            )


class ForkDatabase:
    """The block tree above ``head.num - max_size`` with longest-chain head selection."""

    def __init__(self, max_size: int = DEFAULT_MAX_SIZE) -> None:
        _check_max_size(max_size)
        self._max_size = max_size
        self._by_id: dict[bytes, ForkItem] = {}
        self._by_num: dict[int, list[ForkItem]] = {}
        self._head: ForkItem | None = None

    # --- queries -----------------------------------------------------------------------------

    @property
    def head(self) -> ForkItem:
        if self._head is None:
            raise ForkDbEmpty("fork database has no head: reset it with a known head block first")
        return self._head

    @property
    def max_size(self) -> int:
        return self._max_size

    def __len__(self) -> int:
        return len(self._by_id)

    def is_known(self, block_id: bytes) -> bool:
        return block_id in self._by_id

    def fetch(self, block_id: bytes) -> ForkItem | None:
        return self._by_id.get(block_id)

    def fetch_by_number(self, num: int) -> list[ForkItem]:
        """All known items at ``num``, in the order first seen."""
        return list(self._by_num.get(num, ()))

    def walk_main_branch_to_num(self, num: int) -> ForkItem | None:
        """The head's ancestor (or the head) at ``num``; None if above head or not held."""
        item = self._head
        while item is not None and item.num > num:
            item = self._by_id.get(item.previous_id)
        if item is None or item.num != num:
            return None
        return item

    def fetch_branches(
        self, first_id: bytes, second_id: bytes
    ) -> tuple[list[ForkItem], list[ForkItem]]:
        """Branches from each tip back to, excluding, their common ancestor; newest first.

        Like BitShares ``fetch_branch_from``, the walk stops when both branches share a previous
        id, so the ancestor itself may already be pruned. When one tip is an ancestor of the
        other, its branch is empty. The fork point of a non-empty branch is ``branch[-1]
        .previous_id``.
        """
        first = self._require(first_id)
        second = self._require(second_id)
        first_branch: list[ForkItem] = []
        second_branch: list[ForkItem] = []
        while first.num > second.num:
            first_branch.append(first)
            first = self._parent_for_branch(first, first_id, second_id)
        while second.num > first.num:
            second_branch.append(second)
            second = self._parent_for_branch(second, first_id, second_id)
        if first.block_id == second.block_id:
            return first_branch, second_branch
        while first.previous_id != second.previous_id:
            first_branch.append(first)
            second_branch.append(second)
            first = self._parent_for_branch(first, first_id, second_id)
            second = self._parent_for_branch(second, first_id, second_id)
        first_branch.append(first)
        second_branch.append(second)
        return first_branch, second_branch

    # --- changes -----------------------------------------------------------------------------

    def reset(self, head: ForkItem) -> None:
        """Forget everything and start from ``head`` (e.g. the genesis root or the stored head)."""
        self._by_id.clear()
        self._by_num.clear()
        self._insert(head)
        self._head = head

    def push(self, item: ForkItem) -> ForkItem:
        """Add a block linked to a known block; return the (possibly new) head.

        Duplicates are accepted and change nothing. Raises :class:`BlockTooOld` for
        ``item.num <= head.num - max_size`` and :class:`UnlinkableBlock` for an unknown parent.
        """
        head = self.head
        if item.block_id in self._by_id:
            return head
        oldest_allowed_num = max(0, head.num - self._max_size)
        if item.num <= oldest_allowed_num:
            raise BlockTooOld(
                f"attempting to push a block that is too old: block #{item.num} "
                f"{item.block_id.hex()} is not above head #{head.num} - max_size {self._max_size}"
            )
        parent = self._by_id.get(item.previous_id)
        if parent is None:
            raise UnlinkableBlock(item.block_id, item.num, item.previous_id)
        if parent.num + 1 != item.num:
            raise InvalidForkItem(
                f"block #{item.num} {item.block_id.hex()} follows #{parent.num} "
                f"{parent.block_id.hex()}: number must be previous number + 1"
            )
        self._insert(item)
        if item.num > head.num:
            self._head = item
            self._prune()
        return self.head

    def set_head(self, block_id: bytes) -> None:
        """Make a known block the head (restoring the old branch after a failed switch)."""
        self._head = self._require(block_id)

    def set_max_size(self, max_size: int) -> None:
        """Keep only blocks above ``head.num - max_size`` from now on; prunes immediately."""
        _check_max_size(max_size)
        self._max_size = max_size
        if self._head is not None:
            self._prune()

    def remove(self, block_id: bytes) -> None:
        """Remove a block and all its descendants; the head falls back to the highest remaining.

        Unknown ids are ignored (as BitShares). If nothing remains the database becomes empty.
        """
        removed = self._by_id.get(block_id)
        if removed is None:
            return
        doomed = {block_id}
        for num in sorted(n for n in self._by_num if n > removed.num):
            doomed.update(i.block_id for i in self._by_num[num] if i.previous_id in doomed)
        for doomed_id in doomed:
            self._erase(self._by_id[doomed_id])
        if self._head is not None and self._head.block_id in doomed:
            self._head = self._highest_first_seen()

    # --- internals ---------------------------------------------------------------------------

    def _require(self, block_id: bytes) -> ForkItem:
        item = self._by_id.get(block_id)
        if item is None:
            raise UnknownBlock(
                f"block #{num_from_id(block_id)} {block_id.hex()} is not in the fork database"
            )
        return item

    def _parent_for_branch(self, item: ForkItem, first_id: bytes, second_id: bytes) -> ForkItem:
        parent = self._by_id.get(item.previous_id)
        if parent is None:
            raise UnknownBlock(
                f"no common ancestor of {first_id.hex()} and {second_id.hex()} in the fork "
                f"database: parent #{item.num - 1} {item.previous_id.hex()} is not held"
            )
        return parent

    def _insert(self, item: ForkItem) -> None:
        self._by_id[item.block_id] = item
        self._by_num.setdefault(item.num, []).append(item)

    def _erase(self, item: ForkItem) -> None:
        del self._by_id[item.block_id]
        same_num = self._by_num[item.num]
        same_num.remove(item)
        if not same_num:
            del self._by_num[item.num]

    def _prune(self) -> None:
        head = self.head
        min_num = max(0, head.num - self._max_size)
        for num in sorted(n for n in self._by_num if n < min_num):
            for item in list(self._by_num[num]):
                self._erase(item)

    def _highest_first_seen(self) -> ForkItem | None:
        if not self._by_num:
            return None
        return self._by_num[max(self._by_num)][0]


def _check_max_size(max_size: int) -> None:
    if max_size < 1:
        raise ForkDbError(f"fork database max_size must be >= 1, got {max_size}")
