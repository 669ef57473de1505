"""Governance reads of the ``database`` API that python-bitshares and uptick call (reference §6.2):

- ``lookup_vote_ids([vote_ids])``: the witness or committee member holding each ``"type:instance"``
  vote id (type 0 committee, 1 witness, 2 worker), or null; at most 1 000 ids
  (``api_limit_lookup_vote_ids``);
- ``get_proposed_transactions(account)``: proposals that need the account's approval;
- ``get_workers_by_account(account)`` / ``get_all_workers(is_expired?)``: graphex has no worker
  proposals (the budget is a later issue), so these are always empty lists, as core's for a chain
  without workers;
- ``get_balance_objects([addresses])``: genesis balance objects (1.15.x) to claim; graphex funds
  genesis balances directly, so there are none.
"""

from __future__ import annotations

from typing import Any, ClassVar

from ..chain.objects import CommitteeMember, Witness
from ..node.node import Node
from ..protocol.codec import Json
from ..protocol.types import VoteIdCodec
from .full_account import proposals_of
from .queries import get_account, object_json, require_count

MAX_LOOKUP_VOTE_IDS = 1000
_VOTE_ID = VoteIdCodec()
COMMITTEE_VOTE, WITNESS_VOTE = 0, 1


class GovernanceApi:
    """Governance reads (mixed into :class:`DatabaseApi`)."""

    methods: ClassVar[frozenset[str]] = frozenset({
        "lookup_vote_ids", "get_proposed_transactions", "get_workers_by_account",
        "get_all_workers", "get_balance_objects",
    })

    node: Node

    def lookup_vote_ids(self, votes: list[str]) -> list[Json]:
        require_count("lookup_vote_ids", "vote ids", votes, "api_limit_lookup_vote_ids",
                      MAX_LOOKUP_VOTE_IDS)
        db = self.node.state.db
        by_vote: dict[int, Any] = {}
        for member in db.table(CommitteeMember):
            by_vote[member.vote_id] = member
        for witness in db.table(Witness):
            by_vote[witness.vote_id] = witness
        out: list[Json] = []
        for text in votes:
            found = by_vote.get(_VOTE_ID.from_json(text))
            out.append(None if found is None else object_json(found))
        return out

    def get_proposed_transactions(self, account_id_or_name: str) -> list[Json]:
        state = self.node.state
        account = get_account(state, account_id_or_name)
        return [object_json(p) for p in proposals_of(state, account.id)]

    def get_workers_by_account(self, account_id_or_name: str) -> list[Json]:
        get_account(self.node.state, account_id_or_name)  # an unknown account is still refused
        return []

    def get_all_workers(self, is_expired: bool | None = None) -> list[Json]:
        return []

    def get_balance_objects(self, addresses: list[str]) -> list[Json]:
        return []
