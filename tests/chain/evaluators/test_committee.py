"""Committee: members, and chain parameters changed by a committee proposal that a majority of the
genesis committee approves, taking effect at the next maintenance."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from graphex.chain.errors import (
    MissingAuthority,
    PermissionError_,
    ValidationError,
)
from graphex.chain.objects import CommitteeMember, Proposal
from graphex.protocol import ids
from graphex.protocol.ids import ObjectId
from graphex.protocol.operations import (
    CommitteeMemberCreate,
    CommitteeMemberUpdate,
    CommitteeMemberUpdateGlobalParameters,
    OpWrapper,
    ProposalCreate,
    ProposalUpdate,
    Transfer,
)
from graphex.protocol.types import Asset
from graphex.testing.chain import GPX, DevChain
from tests.chain.evaluators.helpers import push, refuse, with_fee

NEW_TX_SIZE = 4096


def advance_to(chain: DevChain, when_s: int) -> None:
    while chain.state.head_time < when_s:
        chain.produce(skip_slots=max(0, when_s - chain.next_slot_time()))


def parameters_op(chain: DevChain, **changes: Any) -> CommitteeMemberUpdateGlobalParameters:
    params = msgspec.structs.replace(chain.state.params, **changes)
    op: CommitteeMemberUpdateGlobalParameters = with_fee(
        chain, CommitteeMemberUpdateGlobalParameters(Asset(0, GPX), params))
    return op


def propose_parameters(chain: DevChain, review_s: int | None = None, **changes: Any) -> ObjectId:
    review = chain.state.params.committee_proposal_review_period if review_s is None else review_s
    op = ProposalCreate(Asset(0, GPX), chain.account_id("alice"),
                        chain.state.head_time + review + 3600,
                        (OpWrapper(parameters_op(chain, **changes)),), review)
    processed = push(chain, op)
    proposal_id: ObjectId = processed.operation_results[0].value
    return proposal_id


def approve_by_committee(chain: DevChain, proposal_id: ObjectId, count: int) -> None:
    names = [f"init{i}" for i in range(count)]
    op = ProposalUpdate(fee=Asset(0, GPX), fee_paying_account=chain.account_id("alice"),
                        proposal=proposal_id,
                        active_approvals_to_add=tuple(sorted(chain.account_id(n) for n in names)))
    push(chain, op, ["alice", *names])


def fund_committee_account(chain: DevChain) -> None:
    push(chain, Transfer(Asset(0, GPX), chain.account_id("alice"), ids.COMMITTEE_ACCOUNT,
                         chain.gpx(100)))


def run_committee_proposal(chain: DevChain, approvals: int) -> None:
    fund_committee_account(chain)
    pid = propose_parameters(chain, maximum_transaction_size=NEW_TX_SIZE)
    proposal = chain.state.db.get(pid, Proposal)
    assert proposal.required_active_approvals == (ids.COMMITTEE_ACCOUNT,)
    approve_by_committee(chain, pid, approvals)
    assert chain.state.db.find(pid, Proposal) is not None  # review period: waits for expiration
    advance_to(chain, proposal.expiration_time)
    assert chain.state.db.find(pid, Proposal) is None
    advance_to(chain, chain.state.dgp.next_maintenance_time)


def test_genesis_committee_account_is_a_majority_of_the_committee() -> None:
    chain = DevChain()
    active = chain.state.account(ids.COMMITTEE_ACCOUNT).active
    assert active.weight_threshold == 6 and len(active.account_auths) == 11


def test_majority_approved_parameter_change_applies_at_next_maintenance() -> None:
    chain = DevChain()
    assert chain.state.params.maximum_transaction_size != NEW_TX_SIZE
    fund_committee_account(chain)
    pid = propose_parameters(chain, maximum_transaction_size=NEW_TX_SIZE)
    proposal = chain.state.db.get(pid, Proposal)
    approve_by_committee(chain, pid, 6)
    advance_to(chain, proposal.expiration_time)
    assert chain.state.db.find(pid, Proposal) is None
    pending = chain.state.gpo.pending_parameters
    assert pending is not None and pending.maximum_transaction_size == NEW_TX_SIZE
    assert chain.state.params.maximum_transaction_size != NEW_TX_SIZE
    advance_to(chain, chain.state.dgp.next_maintenance_time)
    assert chain.state.params.maximum_transaction_size == NEW_TX_SIZE
    assert chain.state.gpo.pending_parameters is None


def test_a_minority_changes_nothing() -> None:
    chain = DevChain()
    before = chain.state.params
    run_committee_proposal(chain, approvals=5)
    assert chain.state.gpo.pending_parameters is None
    assert chain.state.params == before


def test_parameters_cannot_be_set_directly() -> None:
    chain = DevChain()
    fund_committee_account(chain)
    refuse(chain, parameters_op(chain, maximum_transaction_size=NEW_TX_SIZE), MissingAuthority,
           "the committee account acts only through proposals",
           [f"init{i}" for i in range(11)])


def test_committee_proposals_need_the_review_period() -> None:
    chain = DevChain()
    op = ProposalCreate(Asset(0, GPX), chain.account_id("alice"), chain.state.head_time + 7200,
                        (OpWrapper(parameters_op(chain)),), 3600)
    refuse(chain, op, ValidationError,
           r"require a review period of at least committee_proposal_review_period 1209600 s, "
           r"given 3600 s")


@pytest.mark.parametrize(
    ("changes", "match"),
    [
        ({"block_interval": 0}, "block_interval must be in"),
        ({"block_interval": 7}, "maintenance_interval must be a multiple of block_interval"),
        ({"maximum_transaction_size": 100}, "maximum_transaction_size must be >= 1024"),
        ({"max_authority_depth": 0}, "max_authority_depth must be >= 1"),
    ],
)
def test_invalid_parameters_are_refused_when_proposed(changes: dict[str, Any], match: str) -> None:
    chain = DevChain()
    review = chain.state.params.committee_proposal_review_period
    op = ProposalCreate(Asset(0, GPX), chain.account_id("alice"),
                        chain.state.head_time + review + 60,
                        (OpWrapper(parameters_op(chain, **changes)),), review)
    refuse(chain, op, ValidationError, match)


def test_committee_member_create_and_update() -> None:
    chain = DevChain()
    alice = chain.account_id("alice")
    next_vote = chain.state.gpo.next_available_vote_id
    processed = push(chain, CommitteeMemberCreate(Asset(0, GPX), alice, "https://alice.example"))
    member = chain.state.db.get(processed.operation_results[0].value, CommitteeMember)
    assert member.committee_member_account == alice and member.vote_id == next_vote << 8
    assert chain.state.gpo.next_available_vote_id == next_vote + 1
    refuse(chain, CommitteeMemberCreate(Asset(0, GPX), alice, ""), ValidationError,
           "is already committee member")
    bob = chain.account_id("bob")
    refuse(chain, CommitteeMemberUpdate(Asset(0, GPX), member.id, bob, "x"), PermissionError_,
           r"belongs to .*\(alice\), not .*\(bob\)", ["bob"])
    push(chain, CommitteeMemberUpdate(Asset(0, GPX), member.id, alice, "https://new.example"))
    assert chain.state.db.get(member.id, CommitteeMember).url == "https://new.example"
