"""Committee operations: committee_member_create (29), committee_member_update (30),
committee_member_update_global_parameters (31).

Field orders are core's ``FC_REFLECT`` (core: protocol/committee_member.hpp). The global
parameters operation is paid by, and needs the active authority of, the committee account
(1.2.0); it is only valid inside a proposal.
"""

from __future__ import annotations

from ..chain_parameters import ChainParameters
from ..ids import COMMITTEE_ACCOUNT, ObjectId
from ..types import AccountId, Asset, CommitteeMemberId
from .base import Operation, op_class


@op_class
class CommitteeMemberCreate(Operation, frozen=True):
    op_id = 29
    fee_payer_field = "committee_member_account"

    fee: Asset
    committee_member_account: AccountId
    url: str


@op_class
class CommitteeMemberUpdate(Operation, frozen=True):
    op_id = 30
    fee_payer_field = "committee_member_account"

    fee: Asset
    committee_member: CommitteeMemberId
    committee_member_account: AccountId
    new_url: str | None = None


@op_class
class CommitteeMemberUpdateGlobalParameters(Operation, frozen=True):
    op_id = 31
    fee_payer_field = ""

    fee: Asset
    new_parameters: ChainParameters

    @property
    def fee_payer(self) -> ObjectId:
        return COMMITTEE_ACCOUNT
