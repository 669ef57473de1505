"""Applying and producing blocks.

``apply_block`` checks a block from elsewhere (previous id, timestamp, slot, scheduled witness,
signature, merkle root, size), applies its transactions and runs the per-block bookkeeping.
``produce_block`` builds a block for the local scheduled witness from pending transactions,
applying them once (those that fail are left out). Both run :func:`finish_block`, BitShares'
``_apply_block`` tail: missed-slot accounting, head update, the signing witness, the last
irreversible block, maintenance, the block summary for TaPoS, expired transactions, proposals and
limit orders, and the per-round witness shuffle. The operations the block applied (real and
virtual) are left in ``state.block_ops``. The caller owns the block's undo session.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from ..protocol import ids
from ..protocol.block import (
    SignedBlock,
    block_id,
    block_num,
    block_signee,
    header_digest,
    merkle_root,
    transaction_leaf,
)
from ..protocol.codec import format_time
from ..protocol.keys import KeyError_, PrivateKey, PublicKey
from ..protocol.struct import codec_of
from ..protocol.transaction import ProcessedTransaction, SignedTransaction
from . import witness_schedule as ws
from .errors import BlockError, ChainError
from .futures.per_block import futures_block
from .market.expiry import clear_expired_orders
from .objects import BlockSummary, Proposal, TransactionHistory, Witness
from .smartcoin.feeds import update_core_exchange_rates, update_expired_feeds
from .smartcoin.force_settle import clear_expired_force_settlements
from .smartcoin.revival import process_bitassets
from .state import ChainState
from .tx_apply import apply_transaction

MAINTENANCE_FLAG = 0x01
SignerLookup = Callable[[SignedTransaction], Sequence[PublicKey] | None]
BlockHook = Callable[[ChainState, int], None]

PER_BLOCK_HOOKS: list[BlockHook] = []
"""Extra per-block steps of later modules (order expiry, feeds …), run after the bookkeeping."""


def slot_of(state: ChainState, when_s: int) -> int:
    dgp = state.dgp
    return ws.slot_at_time(
        when_s, dgp.time, state.params.block_interval,
        head_block_num=dgp.head_block_number,
        head_is_maintenance_block=bool(dgp.dynamic_flags & MAINTENANCE_FLAG),
        maintenance_skip_slots=state.params.maintenance_skip_slots,
    )


def slot_time_of(state: ChainState, slot: int) -> int:
    dgp = state.dgp
    return ws.slot_time(
        dgp.time, state.params.block_interval, slot,
        head_block_num=dgp.head_block_number,
        head_is_maintenance_block=bool(dgp.dynamic_flags & MAINTENANCE_FLAG),
        maintenance_skip_slots=state.params.maintenance_skip_slots,
    )


def scheduled_witness_at(state: ChainState, when_s: int) -> ids.ObjectId | None:
    """The witness scheduled for the slot at ``when_s``, or None if it is not a future slot."""
    slot = slot_of(state, when_s)
    if slot == 0:
        return None
    return ws.scheduled_witness(
        state.schedule.current_shuffled_witnesses, state.dgp.current_aslot, slot
    )


def check_header(state: ChainState, block: SignedBlock) -> int:
    """Check a block's header against the head and the schedule; returns its slot number."""
    num = block_num(block)
    if block.previous != state.head_id:
        raise BlockError(
            f"block {num} builds on {block.previous.hex()}, not on the head "
            f"{state.head_id.hex()} (block {state.head_num})"
        )
    if block.timestamp <= state.head_time:
        raise BlockError(
            f"block {num} time {format_time(block.timestamp)} is not after the head block time "
            f"{format_time(state.head_time)}"
        )
    slot = slot_of(state, block.timestamp)
    if slot == 0 or slot_time_of(state, slot) != block.timestamp:
        raise BlockError(f"block {num} time {format_time(block.timestamp)} is not a slot time")
    expected = ws.scheduled_witness(
        state.schedule.current_shuffled_witnesses, state.dgp.current_aslot, slot
    )
    if block.witness != expected:
        raise BlockError(
            f"block {num} is signed as witness {block.witness}, but slot {slot} belongs to "
            f"{expected}"
        )
    try:
        signee = block_signee(block)
    except KeyError_ as exc:
        raise BlockError(f"block {num} has a bad witness signature: {exc}") from None
    witness = state.witness(block.witness)
    if signee != witness.signing_key:
        raise BlockError(f"block {num} is not signed by witness {block.witness}'s signing key")
    return slot


def apply_block(
    state: ChainState, block: SignedBlock, signers: SignerLookup | None = None,
    *, skip_authority: bool = False,
) -> bytes:
    """Apply a complete block on top of the head; returns its id. Raises BlockError/ChainError."""
    num = block_num(block)
    size = len(codec_of(SignedBlock).pack(block))
    if size > state.params.maximum_block_size:
        raise BlockError(f"block {num} is {size} bytes, over maximum_block_size")
    slot = check_header(state, block)
    state.applied.reset(num)
    leaves = []
    for index, tx in enumerate(block.transactions):
        keys = signers(tx) if signers is not None else None
        try:
            processed = apply_transaction(state, tx, keys, skip_authority=skip_authority)
        except ChainError as exc:
            raise BlockError(f"block {num} transaction {index}: {exc}") from None
        if processed.operation_results != tx.operation_results:
            raise BlockError(f"block {num} transaction {index}: operation results differ")
        leaves.append(transaction_leaf(tx))
    if merkle_root(leaves) != block.transaction_merkle_root:
        raise BlockError(f"block {num} has a wrong transaction merkle root")
    new_id = block_id(block)
    finish_block(state, block.witness, block.timestamp, new_id, slot)
    return new_id


def produce_block(
    state: ChainState,
    when_s: int,
    witness_key: PrivateKey,
    pending: Iterable[tuple[SignedTransaction, Sequence[PublicKey] | None]],
    *,
    on_refused: Callable[[SignedTransaction, ChainError], None] | None = None,
) -> tuple[SignedBlock, bytes]:
    """Apply pending transactions (leaving out refused ones) and seal them into a block."""
    included: list[ProcessedTransaction] = []
    for tx, keys in pending:
        try:
            included.append(apply_transaction(state, tx, keys))
        except ChainError as exc:
            if on_refused is not None:
                on_refused(tx, exc)
    return seal_block(state, when_s, witness_key, included)


def seal_block(
    state: ChainState,
    when_s: int,
    witness_key: PrivateKey,
    included: Sequence[ProcessedTransaction],
    leaves: Sequence[bytes] | None = None,
) -> tuple[SignedBlock, bytes]:
    """Build and sign the block of already-applied transactions at slot time ``when_s`` for the
    scheduled witness, then run the per-block bookkeeping; returns (block, id).

    ``leaves`` may carry the transactions' merkle leaves when the caller has them already."""
    slot = slot_of(state, when_s)
    witness_id = scheduled_witness_at(state, when_s)
    if witness_id is None or slot_time_of(state, slot) != when_s:
        raise BlockError(f"{format_time(when_s)} is not a future slot time")
    if state.witness(witness_id).signing_key != witness_key.public_key:
        raise BlockError(f"the given key is not the signing key of scheduled witness {witness_id}")
    if leaves is None:
        leaves = [transaction_leaf(tx) for tx in included]
    root = merkle_root(leaves)
    unsigned = SignedBlock(state.head_id, when_s, witness_id, root, (), bytes(65), ())
    signature = witness_key.sign_digest(header_digest(unsigned))
    block = SignedBlock(state.head_id, when_s, witness_id, root, (), signature, tuple(included))
    new_id = block_id(block)
    finish_block(state, witness_id, when_s, new_id, slot)
    return block, new_id


def finish_block(state: ChainState, witness_id: ids.ObjectId, when_s: int, new_id: bytes,
                 slot: int) -> None:
    """The per-block bookkeeping after a block's transactions (see the module docstring)."""
    db = state.db
    dgp = state.dgp
    missed = slot - 1
    shuffled = state.schedule.current_shuffled_witnesses
    for missed_witness in ws.missed_witnesses(shuffled, dgp.current_aslot, missed):
        if missed_witness != witness_id:
            w = state.witness(missed_witness)
            with db.modify(w) as wm:
                wm.total_missed += 1
    new_num = dgp.head_block_number + 1
    with db.modify(dgp) as d:
        d.head_block_number = new_num
        d.head_block_id = new_id
        d.time = when_s
        d.current_witness = witness_id
        d.recent_slots_filled = str(ws.update_recent_slots_filled(int(d.recent_slots_filled), missed))
        d.recently_missed_count = ws.update_recently_missed_count(
            d.recently_missed_count, missed, reset=new_num == 1
        )
        d.current_aslot = ws.next_current_aslot(d.current_aslot, missed)
        d.dynamic_flags &= ~MAINTENANCE_FLAG
    witness = state.witness(witness_id)
    with db.modify(witness) as wm:
        wm.last_aslot = state.dgp.current_aslot
        wm.last_confirmed_block_num = new_num
    update_last_irreversible_block(state)
    state.applied.op_in_trx = 0
    if state.dgp.next_maintenance_time <= when_s:
        perform_maintenance(state, when_s)
    create_block_summary(state, new_num, new_id)
    clear_expired_transactions(state)
    clear_expired_proposals(state)
    clear_expired_orders(state)
    clear_expired_force_settlements(state)
    update_expired_feeds(state)
    update_core_exchange_rates(state)
    futures_block(state, when_s)
    for hook in PER_BLOCK_HOOKS:
        hook(state, when_s)
    update_witness_schedule(state)
    state.block_ops = state.applied.reset(new_num + 1)


def update_last_irreversible_block(state: ChainState) -> None:
    confirmed = [state.witness(w).last_confirmed_block_num for w in state.gpo.active_witnesses]
    lib = ws.last_irreversible_block(confirmed, state.dgp.last_irreversible_block_num)
    if lib != state.dgp.last_irreversible_block_num:
        with state.db.modify(state.dgp) as d:
            d.last_irreversible_block_num = lib


def perform_maintenance(state: ChainState, when_s: int) -> None:
    """The maintenance step of the foundation: pending chain parameters take effect.

    Voting and budgets are a later issue; the seam is here.
    """
    gpo = state.gpo
    if gpo.pending_parameters is not None:
        with state.db.modify(gpo) as g:
            g.parameters = g.pending_parameters  # type: ignore[assignment]
            g.pending_parameters = None
    interval = state.params.maintenance_interval
    next_time = state.dgp.next_maintenance_time
    if next_time <= when_s:
        next_time += ((when_s - next_time) // interval + 1) * interval
    with state.db.modify(state.dgp) as d:
        d.next_maintenance_time = next_time
        d.dynamic_flags |= MAINTENANCE_FLAG
    process_bitassets(state)


def create_block_summary(state: ChainState, num: int, new_id: bytes) -> None:
    summary_id = ids.ObjectId(2, 8, num & 0xFFFF)
    existing = state.db.find(summary_id, BlockSummary)
    if existing is None:
        state.db.create_with_id(BlockSummary(id=summary_id, block_id=new_id))
    else:
        with state.db.modify(existing) as s:
            s.block_id = new_id


def clear_expired_transactions(state: ChainState) -> None:
    index = state.db.ordered(TransactionHistory, "expiration")
    now = state.head_time
    while True:
        oldest = index.first()
        if oldest is None or oldest.expiration > now:
            return
        state.db.remove(oldest)


def clear_expired_proposals(state: ChainState) -> None:
    """Expired proposals: executed if authorized (see :mod:`.evaluators.proposal`), then removed."""
    from .evaluators.proposal import expire_proposal

    index = state.db.ordered(Proposal, "expiration")
    now = state.head_time
    while True:
        oldest = index.first()
        if oldest is None or oldest.expiration_time > now:
            return
        expire_proposal(state, oldest)


def update_witness_schedule(state: ChainState) -> None:
    active = state.gpo.active_witnesses
    if ws.is_shuffle_block(state.head_num, len(active)):
        with state.db.modify(state.schedule) as s:
            s.current_shuffled_witnesses = tuple(ws.shuffle_witnesses(sorted(active), state.head_time))


_ = Witness
