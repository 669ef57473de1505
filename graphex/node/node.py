"""The node: chain state + pending transactions + block production + fork database + storage.

Lifecycle: :meth:`Node.open` loads the genesis from the data dir (or the one given), restores the
latest snapshot and replays the later blocks of the block log (or replays everything from genesis
with ``replay=True``). Transactions enter through :meth:`push_transaction`, which applies them in
the *pending session* on top of the head; :meth:`produce_block` seals the pending transactions into
the next block for a local witness without applying them again. Blocks from elsewhere enter through
:meth:`push_block`, which switches to a longer fork through the fork database when needed.
Every block is appended to the block log before the call returns; a snapshot is written every
``snapshot_interval_blocks``. Irreversible blocks' undo states are dropped.

Waiting pool: a transaction refused with an error whose class says ``deferrable = True`` (a
futures pre-order for a month not listed yet, SPEC §7) is kept in :attr:`Node.waiting` (at most
:attr:`NodeConfig.max_waiting_transactions`, once per id) and :meth:`push_transaction` raises
:class:`TransactionWaiting`. After every block that joins the head chain (produced here or
pushed), the waiting transactions are retried in arrival order: one that applies moves to the
pending pool (and into the next block), one that expired (expiration <= head block time) or is
refused for another reason is dropped, one still deferrable stays. Waiting transactions are in no
block and not in the state; they live in memory only (a restart forgets them).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..chain.block_apply import apply_block, scheduled_witness_at, seal_block, slot_time_of
from ..chain.errors import BlockError, ChainError
from ..chain.genesis import Genesis
from ..chain.state import ChainState, init_genesis
from ..chain.tx_apply import apply_transaction, recover_signers, transaction_id_of, unsigned_bytes
from ..protocol.block import SignedBlock, SignedBlockHeader, block_id, block_num
from ..protocol.codec import format_time, write_varint
from ..protocol.ids import ObjectId
from ..protocol.keys import PrivateKey, PublicKey
from ..protocol.struct import codec_of
from ..protocol.transaction import ProcessedTransaction, SignedTransaction
from .fork_db import ForkDatabase, ForkItem
from .snapshot import decode_into, encode_state
from .storage import BlockStore

log = logging.getLogger(__name__)

MAX_PENDING_TRANSACTIONS = 200_000
MAX_WAITING_TRANSACTIONS = 1_000
"""Transactions the waiting pool holds at most (deferrable ones: futures pre-orders)."""
BLOCK_HEADER_RESERVE_BYTES = 1_024
MAX_UNDO_BLOCKS = 1_000
GENESIS_META_KEY = "genesis"
_BLOCK = codec_of(SignedBlock)

BlockListener = Callable[[SignedBlock, bytes], None]
TxListener = Callable[[SignedTransaction], None]


_HEADER = codec_of(SignedBlockHeader)
_RESULTS = codec_of(ProcessedTransaction).fields[-1][2]  # vector<operation_result>


def processed_bytes(unsigned: bytes, processed: ProcessedTransaction) -> bytes:
    """A processed transaction's bytes from its unsigned bytes (no second full encoding)."""
    out = bytearray(unsigned)
    write_varint(out, len(processed.signatures))
    for sig in processed.signatures:
        out += sig
    _RESULTS.write(out, processed.operation_results)
    return bytes(out)


def block_bytes(block: SignedBlock, tx_raws: Sequence[bytes]) -> bytes:
    """A block's bytes from its header and its transactions' bytes."""
    out = bytearray()
    _HEADER.write(out, block)
    write_varint(out, len(tx_raws))
    for raw in tx_raws:
        out += raw
    return bytes(out)


class NodeError(Exception):
    """A node-level refusal (full pending pool, wrong genesis for the data dir …)."""


class TransactionWaiting(NodeError):
    """The transaction cannot apply yet but may later (its error is deferrable): it waits in the
    node's waiting pool, retried after every block until it applies or expires."""

    def __init__(self, message: str, tx_id: bytes, expiration: int) -> None:
        super().__init__(message)
        self.tx_id, self.expiration = tx_id, expiration


def is_deferrable(exc: ChainError) -> bool:
    """Whether a refusal may go away by itself (its class says ``deferrable = True``)."""
    return bool(getattr(type(exc), "deferrable", False))


@dataclass
class PendingTx:
    tx: SignedTransaction
    tx_id: bytes
    processed: ProcessedTransaction
    raw: bytes  # the processed transaction's bytes, as it goes into the block


@dataclass
class WaitingTx:
    """A transaction in the waiting pool, with its signers (recovered once) and why it waits."""

    tx: SignedTransaction
    tx_id: bytes
    keys: Sequence[PublicKey]
    reason: str


@dataclass
class NodeConfig:
    data_dir: Path
    snapshot_interval_blocks: int = 1_000
    synchronous: str = "FULL"
    witness_keys: dict[ObjectId, PrivateKey] = field(default_factory=dict)
    max_waiting_transactions: int = MAX_WAITING_TRANSACTIONS


class Node:
    """One node's chain, pending pool, fork database and store (single-threaded, not reentrant)."""

    def __init__(self, config: NodeConfig, genesis_text: bytes | None = None) -> None:
        self.config = config
        config.data_dir.mkdir(parents=True, exist_ok=True)
        self.store = BlockStore(config.data_dir / "chain.db", synchronous=config.synchronous)
        stored = self.store.get_meta(GENESIS_META_KEY)
        if stored is not None and genesis_text is not None and stored != genesis_text:
            raise NodeError(
                f"data dir {config.data_dir} belongs to another chain (genesis differs); "
                "use a new data dir or --reset"
            )
        text = stored if stored is not None else genesis_text
        if text is None:
            raise NodeError(f"data dir {config.data_dir} has no chain and no genesis was given")
        if stored is None:
            self.store.set_meta(GENESIS_META_KEY, text)
        self.genesis = Genesis.parse(text)
        self.state = ChainState(self.genesis)
        self.fork_db = ForkDatabase(MAX_UNDO_BLOCKS)
        self.pending: list[PendingTx] = []
        self.pending_ids: set[bytes] = set()
        self.pending_bytes = 0
        self.waiting: dict[bytes, WaitingTx] = {}
        """The waiting pool, by transaction id in arrival order (see the module docstring)."""
        self.block_budget = 0
        self._pending_session = None  # type: ignore[var-annotated]
        self.block_listeners: list[BlockListener] = []
        """Called after each block joins the head chain (also for blocks replayed at open);
        ``node.state.block_ops`` then holds the block's operations, real and virtual."""
        self.pop_listeners: list[Callable[[int], None]] = []
        """Called with a block's number when a fork switch pops it off the head chain."""
        self.tx_listeners: list[TxListener] = []
        self.recover: Callable[[SignedTransaction], Sequence[PublicKey]] = (
            lambda tx: recover_signers(tx, self.state.chain_id)
        )

    # -- start-up ------------------------------------------------------------------------------
    def open(self, *, replay: bool = False,
             progress: Callable[[int, int], None] | None = None) -> None:
        """Restore state: latest snapshot + later blocks, or every block from genesis."""
        snapshot = None if replay else self.store.latest_snapshot()
        if snapshot is None:
            init_genesis(self.state)
            start = 1
        else:
            num, state_hash, raw = snapshot
            decode_into(self.state, raw, state_hash)
            start = num + 1
        head = self.store.head_num()
        for num, _, raw in self.store.blocks(start, head):
            block = _BLOCK.unpack(raw)
            apply_block(self.state, block, skip_authority=True)
            if self.block_listeners:
                replayed_id = block_id(block)
                for listener in self.block_listeners:
                    listener(block, replayed_id)
            if progress is not None:
                progress(num, head)
        self.state.db.set_max_undo(MAX_UNDO_BLOCKS)
        self.block_budget = self.state.params.maximum_block_size - BLOCK_HEADER_RESERVE_BYTES
        self.fork_db.reset(ForkItem(self.state.head_id, bytes(20), self.state.head_num, None)
                           if self.state.head_num else
                           ForkItem(bytes(20), bytes(20), 0, None))
        self._open_pending()

    def close(self) -> None:
        self.store.close()

    # -- pending transactions ------------------------------------------------------------------
    def _open_pending(self) -> None:
        self._pending_session = self.state.db.start_undo_session()
        self.state.applied.reset(self.state.head_num + 1)

    def _drop_pending(self) -> list[PendingTx]:
        if self._pending_session is not None:
            self._pending_session.undo()
            self._pending_session = None
        self.state.applied.reset(self.state.head_num + 1)
        dropped, self.pending = self.pending, []
        self.pending_ids, self.pending_bytes = set(), 0
        return dropped

    def push_transaction(self, tx: SignedTransaction,
                         signer_keys: Sequence[PublicKey] | None = None) -> ProcessedTransaction:
        """Apply ``tx`` on top of the pending state; it goes into the next local block."""
        if len(self.pending) >= MAX_PENDING_TRANSACTIONS:
            raise NodeError(
                f"pending pool is full ({MAX_PENDING_TRANSACTIONS} transactions); retry later"
            )
        unsigned = unsigned_bytes(tx)
        if self.pending_bytes + len(unsigned) + 80 * len(tx.signatures) > self.block_budget:
            raise NodeError(
                f"the next block is full ({self.pending_bytes} bytes pending of "
                f"{self.block_budget}); retry after the next block"
            )
        keys = signer_keys if signer_keys is not None else self.recover(tx)
        tx_id = hashlib.sha256(unsigned).digest()[:20]
        try:
            processed = apply_transaction(self.state, tx, keys, raw=unsigned)
        except ChainError as exc:
            if is_deferrable(exc):
                self._keep_waiting(tx, tx_id, keys, exc)
            raise
        raw = processed_bytes(unsigned, processed)
        self.pending.append(PendingTx(tx, tx_id, processed, raw))
        self.pending_bytes += len(raw)
        self.pending_ids.add(tx_id)
        for listener in self.tx_listeners:
            listener(tx)
        return processed

    # -- the waiting pool ------------------------------------------------------------------------
    def _keep_waiting(self, tx: SignedTransaction, tx_id: bytes, keys: Sequence[PublicKey],
                      exc: ChainError) -> None:
        """Keep ``tx`` (refused with the deferrable ``exc``) waiting; raises TransactionWaiting."""
        if tx_id not in self.waiting:
            limit = self.config.max_waiting_transactions
            if len(self.waiting) >= limit:
                raise NodeError(f"{exc.message}; the waiting pool is full ({limit} "
                                "transactions, max_waiting_transactions), retry later") from exc
            self.waiting[tx_id] = WaitingTx(tx, tx_id, keys, exc.message)
        raise TransactionWaiting(
            f"{exc.message}; transaction {tx_id.hex()} waits in the node's pending pool until "
            f"it applies or expires at {format_time(tx.expiration)}", tx_id, tx.expiration,
        ) from exc

    def _retry_waiting(self) -> None:
        """After a block: move waiting transactions that apply now to the pending pool, drop the
        expired and the refused, keep the still deferrable (in arrival order)."""
        now = self.state.head_time
        for tx_id, waiting in list(self.waiting.items()):
            if waiting.tx.expiration <= now:
                del self.waiting[tx_id]
                continue
            try:
                self.push_transaction(waiting.tx, waiting.keys)
            except TransactionWaiting:
                continue
            except ChainError as exc:
                log.info("waiting transaction %s dropped: %s", tx_id.hex(), exc)
            except NodeError:
                return  # the pool or the next block is full: try again after the next block
            del self.waiting[tx_id]

    # -- local production ----------------------------------------------------------------------
    def next_slot(self) -> tuple[int, ObjectId | None]:
        when = slot_time_of(self.state, 1)
        return when, scheduled_witness_at(self.state, when)

    def local_witness_at(self, when_s: int) -> ObjectId | None:
        witness = scheduled_witness_at(self.state, when_s)
        return witness if witness in self.config.witness_keys else None

    def produce_block(self, when_s: int) -> SignedBlock:
        """Seal the pending transactions into a block at slot time ``when_s`` (a local slot)."""
        witness = scheduled_witness_at(self.state, when_s)
        if witness is None or witness not in self.config.witness_keys:
            raise BlockError(f"no local witness is scheduled at {when_s}")
        pending = self.pending
        block, new_id = seal_block(
            self.state, when_s, self.config.witness_keys[witness],
            [p.processed for p in pending],
            [hashlib.sha256(p.raw).digest() for p in pending],
        )
        self._pending_session.push()  # type: ignore[union-attr]
        self._pending_session = None
        self.pending, self.pending_ids, self.pending_bytes = [], set(), 0
        raw = block_bytes(block, [p.raw for p in pending])
        self._after_block(block, new_id, raw)
        self._open_pending()
        self._retry_waiting()
        return block

    # -- blocks from elsewhere -----------------------------------------------------------------
    def push_block(self, block: SignedBlock) -> bool:
        """Add a block from another node; returns True when it became (part of) the head chain."""
        new_id = block_id(block)
        if self.fork_db.is_known(new_id):
            return False
        old_head = self.fork_db.head
        item = self.fork_db.push(ForkItem(new_id, block.previous, block_num(block), block))
        if item.block_id == old_head.block_id:
            return False
        pending = self._drop_pending()
        popped: list[SignedTransaction] = []
        try:
            if block.previous == self.state.head_id:
                self._apply_and_keep(block, new_id)
            else:
                popped = self._switch_fork(item)
        finally:
            self._open_pending()
            self._reapply([*popped, *(p.tx for p in pending)])
        self._retry_waiting()
        return True

    def _apply_and_keep(self, block: SignedBlock, new_id: bytes) -> None:
        with self.state.db.session() as session:
            try:
                apply_block(self.state, block, self._signers)
            except ChainError:
                self.fork_db.remove(new_id)
                raise
            session.push()
        self._after_block(block, new_id)

    def _switch_fork(self, new_head: ForkItem) -> list[SignedTransaction]:
        """Pop to the fork point and apply the new branch; returns the popped blocks'
        transactions (to go back to pending, as BitShares does)."""
        new_branch, old_branch = self.fork_db.fetch_branches(new_head.block_id, self.state.head_id)
        log.info("switching fork: popping %d blocks, applying %d", len(old_branch), len(new_branch))
        for _ in old_branch:
            self._pop_block()
        fork_num = self.state.head_num
        self.store.truncate_after(fork_num)
        for item in reversed(new_branch):
            block = item.data
            if not isinstance(block, SignedBlock):
                raise BlockError(f"fork item {item.num} has no block")
            try:
                self._apply_and_keep(block, item.block_id)
            except ChainError:
                log.warning("fork block %d failed; restoring the old branch", item.num)
                while self.state.head_num > fork_num:
                    self._pop_block()
                self.store.truncate_after(fork_num)
                for old in reversed(old_branch):
                    self._apply_and_keep(old.data, old.block_id)  # type: ignore[arg-type]
                self.fork_db.set_head(old_branch[0].block_id)
                raise
        return [tx for old in reversed(old_branch) for tx in old.data.transactions]  # type: ignore[attr-defined]

    def _pop_block(self) -> None:
        num = self.state.head_num
        self.state.db.pop_undo()
        for listener in self.pop_listeners:
            listener(num)

    def _signers(self, tx: SignedTransaction) -> Sequence[PublicKey]:
        return self.recover(tx)

    def _reapply(self, txs: Sequence[SignedTransaction]) -> None:
        for tx in txs:
            try:
                self.push_transaction(tx)
            except (ChainError, TransactionWaiting):
                continue

    # -- bookkeeping ---------------------------------------------------------------------------
    def _after_block(self, block: SignedBlock, new_id: bytes, raw: bytes | None = None) -> None:
        num = self.state.head_num
        self.store.append_block(num, new_id, raw if raw is not None else _BLOCK.pack(block))
        if not self.fork_db.is_known(new_id):
            self.fork_db.push(ForkItem(new_id, block.previous, num, block))
        lib = self.state.dgp.last_irreversible_block_num
        keep = max(num - lib, 1)
        if self.state.db.undo_stack_size > keep:
            self.state.db.commit_oldest(self.state.db.undo_stack_size - keep)
        if num % self.config.snapshot_interval_blocks == 0:
            self._snapshot()
        for listener in self.block_listeners:
            listener(block, new_id)

    def _snapshot(self) -> None:
        self.store.write_snapshot(self.state.head_num, self.state.state_hash(),
                                  encode_state(self.state))

    def snapshot_now(self) -> None:
        """Write a snapshot of the head state (the pending session is set aside meanwhile)."""
        pending = self._drop_pending()
        try:
            self._snapshot()
        finally:
            self._open_pending()
            self._reapply([p.tx for p in pending])

    # -- reads ---------------------------------------------------------------------------------
    def state_block(self, num: int) -> SignedBlock:
        """Block ``num`` of the chain from the block log."""
        raw = self.store.block(num)
        if raw is None:
            raise NodeError(f"no block {num} in the block log (head {self.state.head_num})")
        return _BLOCK.unpack(raw)

    def head_state_hash(self) -> bytes:
        """The state hash of the head block (without pending transactions)."""
        pending = self._drop_pending()
        try:
            return self.state.state_hash()
        finally:
            self._open_pending()
            self._reapply([p.tx for p in pending])


_ = transaction_id_of
