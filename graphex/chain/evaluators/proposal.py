"""Proposals: proposal_create (22), proposal_update (23), proposal_delete (24), and expiry.

A proposal holds a transaction that executes once the accounts and keys it needs have approved it
(core: chain/proposal_evaluator.cpp, proposal_object.cpp, db_block.cpp ``push_proposal``,
db_update.cpp ``clear_expired_proposals``):

- At creation the proposed operations are validated statelessly; the expiration lies in
  ``(now, now + maximum_proposal_lifetime]``; a review period is shorter than the lifetime and,
  when the committee account's authority is required, at least ``committee_proposal_review_period``.
  The required approvals are the operations' required authorities (owner requirements imply
  active ones). As core, a proposal's requirements are its operations' own: a nested
  proposal_create requires only its fee payer.
- An approval change comes with the signatures of the accounts and keys it adds or removes (the
  transaction-level check; see :func:`graphex.chain.tx_apply.other_authorities`).
- Without a review period, the update that completes the approvals executes the transaction at
  once, in a nested undo session; if it fails, the proposal stays, with ``fail_reason`` set.
  With a review period no approvals may be added during it, and execution waits for expiration.
- At expiration an authorized proposal executes; the proposal is removed whether it succeeds,
  fails or was never authorized.

Authorization (:func:`is_authorized_to_execute`) is core's ``verify_authority`` with the approved
accounts pre-approved and the approved keys as signatures: an approved key that no authority needs
blocks execution, as in BitShares.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextvars import ContextVar
from typing import Any

from ...protocol import ids
from ...protocol.codec import format_time
from ...protocol.ids import ObjectId
from ...protocol.operations import ProposalCreate, ProposalDelete, ProposalUpdate
from ...protocol.operations.base import VOID_RESULT, Operation, OperationResult, object_result
from ...protocol.transaction import Transaction
from ..authority import SignState
from ..errors import ChainError, PermissionError_, UnknownObjectError, ValidationError
from ..objects import Proposal
from ..state import ChainState
from .base import Evaluator, evaluator_for, register
from .checks import check_fee

_EXECUTION_DEPTH: ContextVar[int] = ContextVar("proposal_execution_depth", default=0)


def in_proposed_transaction() -> bool:
    """True while a proposal's transaction is executing (core's ``_is_proposed_trx``)."""
    return _EXECUTION_DEPTH.get() > 0


# --- required approvals -------------------------------------------------------------------------


def operation_authorities(ops: Iterable[Operation]) -> tuple[set[ObjectId], set[ObjectId]]:
    """(active, owner): the accounts whose active / owner authority the operations declare."""
    active: set[ObjectId] = set()
    owner: set[ObjectId] = set()
    for op in ops:
        active.update(op.required_active())
        owner.update(op.required_owner())
    return active, owner


def required_approvals(ops: Iterable[Operation]) -> tuple[set[ObjectId], set[ObjectId]]:
    """(active, owner) approvals a proposal needs; an owner approval implies the active one."""
    active, owner = operation_authorities(ops)
    return active - owner, owner


def nested_operations(ops: Iterable[Operation]) -> Iterator[Operation]:
    """Every operation, including those proposed inside nested proposal_create operations."""
    for op in ops:
        yield op
        if isinstance(op, ProposalCreate):
            yield from nested_operations(w.op for w in op.proposed_ops)


def validate_proposed_ops(op: ProposalCreate) -> None:
    if not op.proposed_ops:
        raise ValidationError("proposal_create: a proposal needs at least one operation")
    updates = 0
    for wrapper in op.proposed_ops:
        inner = wrapper.op
        if inner.virtual:
            raise ValidationError(
                f"proposal_create: virtual operation {type(inner).__name__} cannot be proposed"
            )
        evaluator_for(inner).validate(inner)
        updates += isinstance(inner, ProposalUpdate)
    if updates > 1:
        raise ValidationError(
            "proposal_create: at most one proposal_update can be nested in a proposal"
        )


# --- authorization and execution ----------------------------------------------------------------


def is_authorized_to_execute(state: ChainState, proposal: Proposal) -> bool:
    """Do the approvals satisfy every authority the proposed transaction needs?"""
    active, owner = operation_authorities(proposal.proposed_transaction.operations)
    owner_approved = set(proposal.available_owner_approvals)
    sign = SignState(
        proposal.available_key_approvals,
        lambda a: state.account(a).active,
        lambda a: state.account(a).owner,
        state.params.max_authority_depth,
        approved=[*proposal.available_active_approvals, *owner_approved],
    )
    try:
        for account in sorted(owner):
            if account not in owner_approved and not sign.check_authority(
                state.account(account).owner
            ):
                return False
        for account in sorted(active):
            if not sign.check_account(account):
                return False
    except UnknownObjectError:
        return False
    return not sign.unused()


def execute_proposal(state: ChainState, proposal: Proposal) -> None:
    """Apply the proposed operations and remove the proposal, all in one nested undo session;
    on a ChainError nothing of it remains and the error propagates. The executed operations are
    recorded as virtual applied operations (core's ``push_proposal``)."""
    from ..tx_apply import apply_operation  # tx_apply imports the evaluators

    depth = _EXECUTION_DEPTH.get()
    limit = 2 * len(state.gpo.active_witnesses)
    if depth >= limit:
        raise ValidationError(f"proposal execution nested {depth} deep, limit {limit}")
    token = _EXECUTION_DEPTH.set(depth + 1)
    try:
        mark = state.applied.mark()
        with state.db.session() as session:
            for index, op in enumerate(proposal.proposed_transaction.operations):
                record = state.applied.push(op, virtual=True)  # as core's push_proposal
                try:
                    record.result = apply_operation(state, op)
                except ChainError as exc:
                    exc.message = f"proposed operation {index} ({type(op).__name__}): {exc.message}"
                    exc.args = (exc.message,)
                    raise
            state.db.remove(proposal)
            session.commit()
    except BaseException:
        state.applied.rollback(mark)
        raise
    finally:
        _EXECUTION_DEPTH.reset(token)


def try_execute(state: ChainState, proposal: Proposal) -> None:
    """Execute an authorized proposal now; a failure is recorded in ``fail_reason``."""
    try:
        execute_proposal(state, proposal)
    except ChainError as exc:
        with state.db.modify(proposal) as p:
            p.fail_reason = exc.message


def expire_proposal(state: ChainState, proposal: Proposal) -> None:
    """At expiration: execute if authorized (which removes it), else (or on failure) remove it."""
    try:
        if is_authorized_to_execute(state, proposal):
            execute_proposal(state, proposal)
            return
    except ChainError:
        pass
    state.db.remove(proposal)


def find_proposal(state: ChainState, proposal_id: ObjectId) -> Proposal:
    found = state.db.find(proposal_id, Proposal) if proposal_id[:2] == ids.PROPOSAL else None
    if found is None:
        raise UnknownObjectError(f"unknown proposal {proposal_id}")
    return found


# --- evaluators ---------------------------------------------------------------------------------


def check_lifetime(state: ChainState, op: ProposalCreate) -> None:
    now, params = state.head_time, state.params
    if op.expiration_time <= now:
        raise ValidationError(
            f"proposal_create: expiration {format_time(op.expiration_time)} is not after the head "
            f"block time {format_time(now)}"
        )
    latest = now + params.maximum_proposal_lifetime
    if op.expiration_time > latest:
        raise ValidationError(
            f"proposal_create: expiration {format_time(op.expiration_time)} is more than "
            f"maximum_proposal_lifetime {params.maximum_proposal_lifetime} s after the head block "
            f"time (latest {format_time(latest)})"
        )
    review = op.review_period_seconds
    if review is not None and review >= op.expiration_time - now:
        raise ValidationError(
            f"proposal_create: review period {review} s must be shorter than the proposal's "
            f"lifetime {op.expiration_time - now} s"
        )


def check_committee_review(state: ChainState, op: ProposalCreate,
                           active: set[ObjectId], owner: set[ObjectId]) -> None:
    if ids.COMMITTEE_ACCOUNT not in active | owner:
        return
    minimum = state.params.committee_proposal_review_period
    review = op.review_period_seconds
    if review is None or review < minimum:
        given = "none" if review is None else f"{review} s"
        raise ValidationError(
            f"proposal_create: operations needing the committee account require a review period "
            f"of at least committee_proposal_review_period {minimum} s, given {given}"
        )


def check_future_ids(state: ChainState, op: ProposalCreate) -> None:
    """Nested proposal_update/delete may not name this or a later proposal (core-1479)."""
    next_instance = state.db.next_instance(Proposal)
    for inner in nested_operations(w.op for w in op.proposed_ops):
        if isinstance(inner, (ProposalUpdate, ProposalDelete)) and (
            inner.proposal.instance >= next_instance
        ):
            raise ValidationError(
                f"proposal_create: cannot update or delete proposal {inner.proposal}, which does "
                "not exist yet"
            )


@register
class ProposalCreateEvaluator(Evaluator[ProposalCreate]):
    operation = ProposalCreate

    def validate(self, op: ProposalCreate) -> None:
        check_fee(op.fee)
        validate_proposed_ops(op)

    def evaluate(self, state: ChainState, op: ProposalCreate) -> Any:
        check_lifetime(state, op)
        ops = [w.op for w in op.proposed_ops]
        active, owner = required_approvals(ops)
        check_committee_review(state, op, active, owner)
        check_future_ids(state, op)
        return active, owner

    def apply(self, state: ChainState, op: ProposalCreate, plan: Any) -> OperationResult:
        active, owner = plan
        review = op.review_period_seconds
        proposal = state.db.create(
            Proposal,
            expiration_time=op.expiration_time,
            review_period_time=None if review is None else op.expiration_time - review,
            proposed_transaction=Transaction(
                0, 0, op.expiration_time, tuple(w.op for w in op.proposed_ops)
            ),
            required_active_approvals=tuple(sorted(active)),
            required_owner_approvals=tuple(sorted(owner)),
            proposer=op.fee_paying_account,
        )
        return object_result(proposal.id)


def check_no_overlap(added: Sequence[Any], removed: Sequence[Any], what: str) -> None:
    both = set(added) & set(removed)
    if both:
        raise ValidationError(
            f"proposal_update: cannot add and remove the same {what} approval(s) "
            f"{sorted(str(x) for x in both)}"
        )


def check_removals(state: ChainState, removed: Sequence[ObjectId],
                   available: Sequence[ObjectId], what: str) -> None:
    for account in removed:
        if account not in available:
            raise ValidationError(
                f"proposal_update: cannot remove the {what} approval of "
                f"{state.describe_account(account)}, which the proposal does not have"
            )


@register
class ProposalUpdateEvaluator(Evaluator[ProposalUpdate]):
    operation = ProposalUpdate

    def validate(self, op: ProposalUpdate) -> None:
        check_fee(op.fee)
        if not (op.active_approvals_to_add or op.active_approvals_to_remove
                or op.owner_approvals_to_add or op.owner_approvals_to_remove
                or op.key_approvals_to_add or op.key_approvals_to_remove):
            raise ValidationError("proposal_update: no approvals to add or remove")
        check_no_overlap(op.active_approvals_to_add, op.active_approvals_to_remove, "active")
        check_no_overlap(op.owner_approvals_to_add, op.owner_approvals_to_remove, "owner")
        check_no_overlap(op.key_approvals_to_add, op.key_approvals_to_remove, "key")

    def evaluate(self, state: ChainState, op: ProposalUpdate) -> Any:
        proposal = find_proposal(state, op.proposal)
        review = proposal.review_period_time
        if review is not None and state.head_time >= review and (
            op.active_approvals_to_add or op.owner_approvals_to_add
        ):
            raise PermissionError_(
                f"proposal_update: proposal {proposal.id} is in its review period (since "
                f"{format_time(review)}); no approvals may be added"
            )
        check_removals(state, op.active_approvals_to_remove,
                       proposal.available_active_approvals, "active")
        check_removals(state, op.owner_approvals_to_remove,
                       proposal.available_owner_approvals, "owner")
        return proposal

    def apply(self, state: ChainState, op: ProposalUpdate, plan: Any) -> OperationResult:
        proposal: Proposal = plan
        with state.db.modify(proposal) as p:
            p.available_active_approvals = updated(
                p.available_active_approvals, op.active_approvals_to_add,
                op.active_approvals_to_remove)
            p.available_owner_approvals = updated(
                p.available_owner_approvals, op.owner_approvals_to_add,
                op.owner_approvals_to_remove)
            p.available_key_approvals = updated(
                p.available_key_approvals, op.key_approvals_to_add, op.key_approvals_to_remove)
        if proposal.review_period_time is None and is_authorized_to_execute(state, proposal):
            try_execute(state, proposal)
        return VOID_RESULT


def updated(current: Sequence[Any], add: Sequence[Any], remove: Sequence[Any]) -> tuple[Any, ...]:
    """The sorted set ``current ∪ add ∖ remove``."""
    return tuple(sorted((set(current) | set(add)) - set(remove)))


@register
class ProposalDeleteEvaluator(Evaluator[ProposalDelete]):
    operation = ProposalDelete

    def validate(self, op: ProposalDelete) -> None:
        check_fee(op.fee)

    def evaluate(self, state: ChainState, op: ProposalDelete) -> Any:
        proposal = find_proposal(state, op.proposal)
        kind = "owner" if op.using_owner_authority else "active"
        required = (proposal.required_owner_approvals if op.using_owner_authority
                    else proposal.required_active_approvals)
        if op.fee_paying_account not in required:
            raise PermissionError_(
                f"proposal_delete: {state.describe_account(op.fee_paying_account)} is not among "
                f"the required {kind} approvals of proposal {proposal.id} and cannot veto it"
            )
        return proposal

    def apply(self, state: ChainState, op: ProposalDelete, plan: Any) -> OperationResult:
        state.db.remove(plan)
        return VOID_RESULT

