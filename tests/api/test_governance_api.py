"""Governance reads: vote ids resolve to their witness or committee member, proposals needing an
account's approval, and the (empty) worker and genesis-balance lists."""

from __future__ import annotations

from graphex.api.rpc import ApiRegistry
from graphex.node.node import Node
from graphex.protocol.fees import fee_for
from graphex.protocol.operations import ProposalCreate
from graphex.protocol.operations.proposal import OpWrapper
from graphex.protocol.types import Asset
from tests.api.test_database_api import (
    GPX,
    account_id,
    call,
    error,
    node,
    paid_transfer,
    produce,
    registry,
    signed,
)

_ = (node, registry)  # fixtures


def test_lookup_vote_ids(node: Node, registry: ApiRegistry) -> None:
    witnesses = call(registry, "get_witnesses", ["1.6.0"])
    committee = call(registry, "get_objects", ["1.5.0"])
    found = call(registry, "lookup_vote_ids",
                 [witnesses[0]["vote_id"], committee[0]["vote_id"], "1:9999"])
    assert found[0]["id"] == "1.6.0" and found[1]["id"] == "1.5.0" and found[2] is None
    assert "api_limit_lookup_vote_ids" in error(registry, "lookup_vote_ids", ["0:0"] * 1001)[
        "message"]
    assert error(registry, "lookup_vote_ids", ["nonsense"])["code"] == -32602


def test_proposed_transactions_need_the_accounts_approval(node: Node,
                                                          registry: ApiRegistry) -> None:
    inner = paid_transfer(node, "bob", "carol", 100)
    proposal = ProposalCreate(Asset(0, GPX), account_id(node, "alice"),
                              node.state.head_time + 3600, (OpWrapper(inner),))
    proposal = ProposalCreate(Asset(fee_for(node.state.params.current_fees, proposal), GPX),
                              proposal.fee_paying_account, proposal.expiration_time,
                              proposal.proposed_ops)
    node.push_transaction(signed(node, [proposal], "alice"))
    produce(node)
    (found,) = call(registry, "get_proposed_transactions", "bob")
    assert found["id"].startswith("1.10.")
    assert found["required_active_approvals"] == [str(account_id(node, "bob"))]
    assert call(registry, "get_proposed_transactions", "carol") == []


def test_no_workers_and_no_genesis_balance_objects(node: Node, registry: ApiRegistry) -> None:
    assert call(registry, "get_workers_by_account", "alice") == []
    assert call(registry, "get_all_workers") == []
    assert call(registry, "get_balance_objects", ["GPXaddress"]) == []
    assert "no such account: 'nobody'" in error(registry, "get_workers_by_account", "nobody")[
        "message"]
