"""Applying a signed transaction to the state, all or nothing.

Order of checks (BitShares' ``_apply_transaction``): at least one operation; size limit; expiration
window (``head_time < expiration <= head_time + maximum_time_until_expiration``); TaPoS against
the block summary; duplicate id; authorities from the keys recovered from the signatures; then each
operation (validate, evaluate, fee, apply) in its own nested undo session. Any refusal undoes
everything the transaction did. The caller may pass the signer keys already recovered (e.g. by
worker processes); otherwise they are recovered here.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

from ..protocol import ids
from ..protocol.codec import format_time
from ..protocol.keys import KeyError_, PublicKey, recover
from ..protocol.operations import ProposalUpdate
from ..protocol.operations.base import Operation, OperationResult
from ..protocol.struct import codec_of
from ..protocol.transaction import ProcessedTransaction, SignedTransaction, Transaction
from ..protocol.types import Authority
from .authority import SignState, verify_authority
from .errors import (
    AuthorityError,
    ChainError,
    DuplicateTransaction,
    ExpiredTransaction,
    IrrelevantSignature,
    MissingAuthority,
    OversizeTransaction,
    TaposError,
    TransactionError,
)
from .evaluators import evaluator_for
from .fees import pay_fee, prepare_fee, take_fee
from .objects import BlockSummary, TransactionHistory
from .state import ChainState

MAX_OPERATIONS_PER_TRANSACTION = 1000
_UNSIGNED = codec_of(Transaction)
_SIGNED = codec_of(SignedTransaction)


def unsigned_bytes(tx: Transaction) -> bytes:
    out = bytearray()
    _UNSIGNED.write(out, tx)
    return bytes(out)


def recover_signers(tx: SignedTransaction, chain_id: bytes) -> list[PublicKey]:
    digest = hashlib.sha256(chain_id + unsigned_bytes(tx)).digest()
    keys = []
    for i, sig in enumerate(tx.signatures):
        try:
            keys.append(recover(sig, digest))
        except KeyError_ as exc:
            raise AuthorityError(f"bad signature #{i}: {exc}") from None
    return keys


def apply_operation(state: ChainState, op: Operation) -> OperationResult:
    """Validate, evaluate, charge the fee and apply one operation (no undo of its own)."""
    evaluator = evaluator_for(op)
    evaluator.validate(op)
    plan = evaluator.evaluate(state, op)
    fee_plan = prepare_fee(state, op)
    if evaluator.defers_fee:
        take_fee(state, fee_plan)
        return evaluator.apply(state, op, (plan, fee_plan))
    pay_fee(state, fee_plan)
    return evaluator.apply(state, op, plan)


def check_transaction(state: ChainState, tx: SignedTransaction, tx_id: bytes, size: int) -> None:
    """The stateful checks before any operation runs; raises a TransactionError."""
    params = state.params
    if not tx.operations:
        raise TransactionError("transaction has no operations")
    if len(tx.operations) > MAX_OPERATIONS_PER_TRANSACTION:
        raise TransactionError(
            f"transaction has {len(tx.operations)} operations, limit {MAX_OPERATIONS_PER_TRANSACTION}"
        )
    if size > params.maximum_transaction_size:
        raise OversizeTransaction(
            f"transaction is {size} bytes, larger than maximum_transaction_size "
            f"{params.maximum_transaction_size}"
        )
    now = state.head_time
    if tx.expiration <= now:
        raise ExpiredTransaction(
            f"transaction expired: expiration {format_time(tx.expiration)} is not after the head "
            f"block time {format_time(now)}"
        )
    latest = now + params.maximum_time_until_expiration
    if tx.expiration > latest:
        raise ExpiredTransaction(
            f"transaction expiration {format_time(tx.expiration)} is too far in the future: "
            f"at most {params.maximum_time_until_expiration} s after the head block time "
            f"({format_time(latest)})"
        )
    check_tapos(state, tx)
    if state.db.index(TransactionHistory, "trx_id").get(tx_id) is not None:
        raise DuplicateTransaction(f"duplicate transaction {tx_id.hex()}: already applied")


def check_tapos(state: ChainState, tx: Transaction) -> None:
    summary = state.db.find(ids.ObjectId(2, 8, tx.ref_block_num), BlockSummary)
    if summary is None:
        raise TaposError(f"TaPoS: no recent block with number ≡ {tx.ref_block_num} (mod 65536)")
    prefix = int.from_bytes(summary.block_id[4:8], "little")
    if prefix != tx.ref_block_prefix:
        raise TaposError(
            f"TaPoS: ref_block_prefix {tx.ref_block_prefix} does not match block "
            f"{summary.block_id.hex()} (prefix {prefix}); the transaction is for another fork or chain"
        )


def required_authorities(ops: Sequence[Operation]) -> tuple[set[ids.ObjectId], set[ids.ObjectId]]:
    active: set[ids.ObjectId] = set()
    owner: set[ids.ObjectId] = set()
    for op in ops:
        active.update(op.required_active())
        owner.update(op.required_owner())
    return active, owner


def other_authorities(ops: Sequence[Operation]) -> list[Authority]:
    """Authorities beyond accounts' (core's ``get_required_authorities``): a proposal_update's
    added or removed key approvals must each sign (threshold = number of keys, weight 1 each)."""
    out = []
    for op in ops:
        if isinstance(op, ProposalUpdate):
            keys = sorted({*op.key_approvals_to_add, *op.key_approvals_to_remove})
            if keys:
                out.append(Authority(len(keys), (), tuple((k, 1) for k in keys), ()))
    return out


def check_signatures(state: ChainState, tx: Transaction, keys: Sequence[PublicKey]) -> None:
    active, owner = required_authorities(tx.operations)
    other = other_authorities(tx.operations)

    def get_active(account: ids.ObjectId) -> Authority:
        return state.account(account).active

    def get_owner(account: ids.ObjectId) -> Authority:
        return state.account(account).owner

    def describe_key(key: PublicKey) -> str:
        return key.to_text(state.genesis.address_prefix)

    max_depth = state.params.max_authority_depth
    verify_authority(
        keys, active, owner, get_active, get_owner,
        max_depth=max_depth, describe_account=state.describe_account, describe_key=describe_key,
        reject_unused=not other,
    )
    if other:
        sign = SignState(keys, get_active, get_owner, max_depth)
        for account in sorted(active):
            sign.check_account(account)
        for account in sorted(owner):
            sign.check_account(account, owner_only=True)
        check_other_authorities(sign, other, describe_key)


def check_other_authorities(sign: SignState, other: Sequence[Authority],
                            describe_key: Callable[[PublicKey], str]) -> None:
    """Every ``other`` authority is met by the signatures, and no signature is left unused."""
    for auth in other:
        if not sign.check_authority(auth):
            missing = [describe_key(k) for k, _ in auth.key_auths if k not in sign.provided]
            raise MissingAuthority(
                "missing signature of approved key(s) " + ", ".join(missing)
                + ": a key approval is added or removed only with that key's signature"
            )
    unused = sign.unused()
    if unused:
        raise IrrelevantSignature(
            "unnecessary signature: key(s) " + ", ".join(describe_key(k) for k in unused)
            + " are not needed by any required authority"
        )


def apply_transaction(
    state: ChainState,
    tx: SignedTransaction,
    signer_keys: Sequence[PublicKey] | None = None,
    *,
    skip_authority: bool = False,
    raw: bytes | None = None,
) -> ProcessedTransaction:
    """Apply ``tx``; on any refusal the state is exactly as before and a ChainError is raised.

    ``raw`` may carry the transaction's unsigned bytes when the caller has them already.
    """
    if raw is None:
        raw = unsigned_bytes(tx)
    tx_id = hashlib.sha256(raw).digest()[:20]
    size = len(raw) + 1 + 65 * len(tx.signatures)
    with state.db.session() as session:
        check_transaction(state, tx, tx_id, size)
        if not skip_authority:
            keys = signer_keys if signer_keys is not None else recover_signers(tx, state.chain_id)
            check_signatures(state, tx, keys)
        results = []
        applied = state.applied
        mark = applied.mark()
        for index, op in enumerate(tx.operations):
            applied.op_in_trx = index
            record = applied.push(op)
            try:
                record.result = apply_operation(state, op)
            except ChainError as exc:
                applied.rollback(mark)
                if len(tx.operations) > 1:
                    exc.message = f"operation {index} ({type(op).__name__}): {exc.message}"
                    exc.args = (exc.message,)
                raise
            except BaseException:
                applied.rollback(mark)
                raise
            results.append(record.result)
        state.db.create(TransactionHistory, trx_id=tx_id, expiration=tx.expiration)
        session.commit()
        applied.trx_in_block += 1
    return ProcessedTransaction(
        tx.ref_block_num, tx.ref_block_prefix, tx.expiration, tx.operations, tx.extensions,
        tx.signatures, tuple(results),
    )


def transaction_id_of(tx: Transaction) -> bytes:
    return hashlib.sha256(unsigned_bytes(tx)).digest()[:20]


_ = _SIGNED
