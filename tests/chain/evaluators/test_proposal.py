"""Proposals: creation rules, approvals by account and by key, immediate execution, failure kept
as fail_reason, review periods, execution or removal at expiration, and vetoes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgspec
import pytest

from graphex.chain.errors import (
    IrrelevantSignature,
    MissingAuthority,
    PermissionError_,
    UnknownObjectError,
    ValidationError,
)
from graphex.chain.objects import Proposal
from graphex.protocol.ids import ObjectId
from graphex.protocol.keys import PrivateKey
from graphex.protocol.operations import (
    AccountUpdate,
    OpWrapper,
    ProposalCreate,
    ProposalDelete,
    ProposalUpdate,
    Transfer,
)
from graphex.protocol.operations.base import Operation
from graphex.protocol.types import Asset, Authority
from graphex.testing.chain import GPX, DevChain
from tests.chain.evaluators.helpers import Signer, push, refuse, with_fee


def transfer(chain: DevChain, sender: str, receiver: str, whole: int) -> Transfer:
    op = Transfer(Asset(0, GPX), chain.account_id(sender), chain.account_id(receiver),
                  chain.gpx(whole))
    paid: Transfer = with_fee(chain, op)
    return paid


def propose_op(chain: DevChain, ops: Sequence[Operation], *, lifetime_s: int = 3600,
               review_s: int | None = None, proposer: str = "alice") -> ProposalCreate:
    return ProposalCreate(Asset(0, GPX), chain.account_id(proposer),
                          chain.state.head_time + lifetime_s,
                          tuple(OpWrapper(op) for op in ops), review_s)


def propose(chain: DevChain, ops: Sequence[Operation], **kwargs: Any) -> ObjectId:
    processed = push(chain, propose_op(chain, ops, **kwargs))
    proposal_id: ObjectId = processed.operation_results[0].value
    return proposal_id


def update_op(payer: ObjectId, proposal_id: ObjectId, **changes: Any) -> ProposalUpdate:
    return ProposalUpdate(fee=Asset(0, GPX), fee_paying_account=payer, proposal=proposal_id,
                          **changes)


def delete_op(payer: ObjectId, proposal_id: ObjectId, *, owner: bool = False) -> ProposalDelete:
    return ProposalDelete(fee=Asset(0, GPX), fee_paying_account=payer,
                          using_owner_authority=owner, proposal=proposal_id)


def approve(chain: DevChain, proposal_id: ObjectId, payer: str, signers: Sequence[Signer],
            **changes: Any) -> None:
    push(chain, update_op(chain.account_id(payer), proposal_id, **changes), signers)


def proposal(chain: DevChain, proposal_id: ObjectId) -> Proposal | None:
    return chain.state.db.find(proposal_id, Proposal)


def advance_to(chain: DevChain, when_s: int) -> None:
    while chain.state.head_time < when_s:
        chain.produce(skip_slots=max(0, when_s - chain.next_slot_time()))


def test_approval_by_the_required_account_executes_at_once() -> None:
    chain = DevChain()
    bob, carol = chain.account_id("bob"), chain.account_id("carol")
    pid = propose(chain, [transfer(chain, "bob", "carol", 7)])
    found = proposal(chain, pid)
    assert found is not None
    assert found.required_active_approvals == (bob,) and found.proposer == chain.account_id("alice")
    approve(chain, pid, "carol", ["carol"], active_approvals_to_add=(carol,))
    assert proposal(chain, pid) is not None  # carol's approval is not the one needed
    carol_before = chain.balance("carol")
    approve(chain, pid, "bob", ["bob"], active_approvals_to_add=(bob,))
    assert proposal(chain, pid) is None
    assert chain.balance("carol") == carol_before + chain.gpx(7).amount


def test_key_approval_needs_that_keys_signature_and_counts_for_the_account() -> None:
    chain = DevChain()
    pid = propose(chain, [transfer(chain, "bob", "carol", 3)])
    bob_key = chain.key("bob").public_key
    op = with_fee(chain, update_op(chain.account_id("alice"), pid, key_approvals_to_add=(bob_key,)))
    refuse(chain, op, MissingAuthority, "missing signature of approved key", ["alice"])
    refuse(chain, op, IrrelevantSignature, "unnecessary signature", ["alice", "bob", "carol"])
    chain.push([op], ["alice", "bob"])
    assert proposal(chain, pid) is None


def test_an_unneeded_key_approval_blocks_execution_until_removed() -> None:
    chain = DevChain()
    bob = chain.account_id("bob")
    pid = propose(chain, [transfer(chain, "bob", "carol", 3)])
    approve(chain, pid, "carol", ["carol"], key_approvals_to_add=(chain.key("carol").public_key,))
    approve(chain, pid, "bob", ["bob"], active_approvals_to_add=(bob,))
    assert proposal(chain, pid) is not None  # as BitShares: an unused key approval is irrelevant
    approve(chain, pid, "carol", ["carol"],
            key_approvals_to_remove=(chain.key("carol").public_key,))
    assert proposal(chain, pid) is None


def test_a_failing_execution_is_kept_with_its_reason_and_retried_at_expiration() -> None:
    chain = DevChain()
    bob = chain.account_id("bob")
    pid = propose(chain, [transfer(chain, "bob", "carol", 1_500_000)], lifetime_s=600)
    approve(chain, pid, "bob", ["bob"], active_approvals_to_add=(bob,))
    kept = proposal(chain, pid)
    assert kept is not None and kept.available_active_approvals == (bob,)
    assert "insufficient balance" in kept.fail_reason and "(bob)" in kept.fail_reason
    push(chain, transfer(chain, "alice", "bob", 600_000))
    carol = chain.balance("carol")
    advance_to(chain, kept.expiration_time)
    assert proposal(chain, pid) is None
    assert chain.balance("carol") == carol + chain.gpx(1_500_000).amount


def test_unauthorized_or_failing_proposals_are_removed_at_expiration() -> None:
    chain = DevChain()
    bob = chain.account_id("bob")
    never = propose(chain, [transfer(chain, "bob", "carol", 1)], lifetime_s=300)
    failing = propose(chain, [transfer(chain, "bob", "carol", 5_000_000)], lifetime_s=400)
    approve(chain, failing, "bob", ["bob"], active_approvals_to_add=(bob,))
    bob_balance = chain.balance("bob")
    advance_to(chain, chain.state.head_time + 500)
    assert proposal(chain, never) is None and proposal(chain, failing) is None
    assert chain.balance("bob") == bob_balance


def test_review_period_defers_execution_and_freezes_new_approvals() -> None:
    chain = DevChain()
    bob, carol = chain.account_id("bob"), chain.account_id("carol")
    pid = propose(chain, [transfer(chain, "bob", "carol", 2)], lifetime_s=200, review_s=100)
    found = proposal(chain, pid)
    assert found is not None and found.review_period_time == found.expiration_time - 100
    approve(chain, pid, "bob", ["bob"], active_approvals_to_add=(bob,))
    assert proposal(chain, pid) is not None
    assert found.review_period_time is not None
    advance_to(chain, found.review_period_time)
    op = update_op(carol, pid, active_approvals_to_add=(carol,))
    refuse(chain, op, PermissionError_, "is in its review period", ["carol"])
    carol_before = chain.balance("carol")
    advance_to(chain, found.expiration_time)
    assert proposal(chain, pid) is None
    assert chain.balance("carol") == carol_before + chain.gpx(2).amount


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"lifetime_s": 0}, "is not after the head block time"),
        ({"lifetime_s": 28 * 86400 + 1}, "more than maximum_proposal_lifetime 2419200 s"),
        ({"lifetime_s": 100, "review_s": 100}, "review period 100 s must be shorter"),
    ],
)
def test_creation_time_rules(kwargs: dict[str, Any], match: str) -> None:
    chain = DevChain()
    refuse(chain, propose_op(chain, [transfer(chain, "bob", "carol", 1)], **kwargs),
           ValidationError, match)


def test_proposed_operations_are_validated_at_creation() -> None:
    chain = DevChain()
    refuse(chain, propose_op(chain, []), ValidationError, "needs at least one operation")
    bad = msgspec.structs.replace(transfer(chain, "bob", "carol", 1), amount=Asset(0, GPX))
    refuse(chain, propose_op(chain, [bad]), ValidationError, "transfer amount must be positive")
    future = delete_op(chain.account_id("bob"), ObjectId(1, 10, 0))
    refuse(chain, propose_op(chain, [future]), ValidationError,
           r"cannot update or delete proposal 1\.10\.0, which does not exist yet")


def test_update_rules() -> None:
    chain = DevChain()
    bob, carol = chain.account_id("bob"), chain.account_id("carol")
    pid = propose(chain, [transfer(chain, "bob", "carol", 1)])
    refuse(chain, update_op(carol, pid), ValidationError,
           "no approvals to add or remove", ["carol"])
    refuse(chain, update_op(carol, ObjectId(1, 10, 42),
                                 active_approvals_to_add=(carol,)),
           UnknownObjectError, r"unknown proposal 1\.10\.42", ["carol"])
    refuse(chain, update_op(carol, pid, active_approvals_to_remove=(carol,)),
           ValidationError, r"cannot remove the active approval of .*\(carol\)", ["carol"])
    refuse(chain, update_op(carol, pid, active_approvals_to_add=(carol,),
                                 active_approvals_to_remove=(carol,)),
           ValidationError, "cannot add and remove the same active approval", ["carol"])
    refuse(chain, update_op(carol, pid, active_approvals_to_add=(bob,)),
           MissingAuthority, r"missing required active authority of account .*\(bob\)", ["carol"])


def test_only_a_required_account_can_veto() -> None:
    chain = DevChain()
    bob, carol = chain.account_id("bob"), chain.account_id("carol")
    pid = propose(chain, [transfer(chain, "bob", "carol", 1)])
    refuse(chain, delete_op(carol, pid), PermissionError_,
           r"\(carol\) is not among the required active approvals", ["carol"])
    refuse(chain, delete_op(bob, pid, owner=True), PermissionError_,
           "required owner approvals", ["bob"])
    push(chain, delete_op(bob, pid), ["bob"])
    assert proposal(chain, pid) is None


def test_owner_requirements_need_owner_approvals() -> None:
    chain = DevChain()
    bob = chain.account_id("bob")
    new_owner = Authority.single_key(PrivateKey.from_seed("bob-new-owner").public_key)
    pid = propose(chain, [with_fee(chain, AccountUpdate(Asset(0, GPX), bob, owner=new_owner))])
    found = proposal(chain, pid)
    assert found is not None
    assert found.required_owner_approvals == (bob,) and found.required_active_approvals == ()
    approve(chain, pid, "bob", ["bob"], active_approvals_to_add=(bob,))
    assert proposal(chain, pid) is not None  # an active approval does not stand for the owner
    approve(chain, pid, "bob", ["bob"], owner_approvals_to_add=(bob,))
    assert proposal(chain, pid) is None
    assert chain.state.account(bob).owner == new_owner


def test_executed_operations_are_recorded_as_virtual_applied_operations() -> None:
    chain = DevChain()
    bob = chain.account_id("bob")
    pid = propose(chain, [transfer(chain, "bob", "carol", 3)])
    approve(chain, pid, "bob", ["bob"], active_approvals_to_add=(bob,))
    kinds = [(type(r.op).__name__, r.is_virtual, r.trx_in_block) for r in chain.state.block_ops]
    assert kinds == [("ProposalUpdate", False, 0), ("Transfer", True, 0)]
    assert [r.virtual_op for r in chain.state.block_ops] == [0, 1]
