"""Committee: committee_member_create (29), committee_member_update (30) and
committee_member_update_global_parameters (31).

As BitShares (core: chain/committee_member_evaluator.cpp, protocol/committee_member.cpp):

- a lifetime member may become a committee member (one per account), getting the next vote id;
- a committee member's account may change its URL;
- new chain parameters are only valid inside a proposal (the committee account, their fee payer,
  acts only through proposals; the transaction-level authority check refuses direct use and this
  evaluator refuses it again); they are validated (core's ``chain_parameters::validate``, plus
  ``max_authority_depth >= 1``) and stored as ``pending_parameters``, which the next maintenance
  makes current (:func:`graphex.chain.block_apply.perform_maintenance`).
"""

from __future__ import annotations

from typing import Any

from ...protocol.chain_parameters import (
    ChainParameters,
    ChainParametersError,
    validate_chain_parameters,
)
from ...protocol.ids import COMMITTEE_MEMBER, ObjectId
from ...protocol.operations import (
    CommitteeMemberCreate,
    CommitteeMemberUpdate,
    CommitteeMemberUpdateGlobalParameters,
)
from ...protocol.operations.base import VOID_RESULT, OperationResult, object_result
from ..errors import PermissionError_, UnknownObjectError, ValidationError
from ..objects import CommitteeMember
from ..state import ChainState
from .base import Evaluator, register
from .checks import check_fee
from .proposal import in_proposed_transaction

MAX_URL_LENGTH = 127
VOTE_TYPE_COMMITTEE = 0


def check_url(url: str, rule: str) -> None:
    if len(url) >= MAX_URL_LENGTH:
        raise ValidationError(f"{rule}: url is {len(url)} characters, limit {MAX_URL_LENGTH - 1}")


def find_committee_member(state: ChainState, member_id: ObjectId) -> CommitteeMember:
    found = (state.db.find(member_id, CommitteeMember)
             if member_id[:2] == COMMITTEE_MEMBER else None)
    if found is None:
        raise UnknownObjectError(f"unknown committee member {member_id}")
    return found


@register
class CommitteeMemberCreateEvaluator(Evaluator[CommitteeMemberCreate]):
    operation = CommitteeMemberCreate

    def validate(self, op: CommitteeMemberCreate) -> None:
        check_fee(op.fee)
        check_url(op.url, "committee_member_create")

    def evaluate(self, state: ChainState, op: CommitteeMemberCreate) -> Any:
        account = state.account(op.committee_member_account)
        if not account.is_lifetime_member:
            raise PermissionError_(
                f"committee_member_create: {state.describe_account(account.id)} is not a "
                "lifetime member"
            )
        existing = state.db.index(CommitteeMember, "account").get(account.id)
        if existing is not None:
            raise ValidationError(
                f"committee_member_create: {state.describe_account(account.id)} is already "
                f"committee member {existing.id}"
            )
        return None

    def apply(self, state: ChainState, op: CommitteeMemberCreate, plan: Any) -> OperationResult:
        with state.db.modify(state.gpo) as g:
            vote_id = VOTE_TYPE_COMMITTEE | g.next_available_vote_id << 8
            g.next_available_vote_id += 1
        member = state.db.create(
            CommitteeMember,
            committee_member_account=op.committee_member_account,
            vote_id=vote_id,
            url=op.url,
        )
        return object_result(member.id)


@register
class CommitteeMemberUpdateEvaluator(Evaluator[CommitteeMemberUpdate]):
    operation = CommitteeMemberUpdate

    def validate(self, op: CommitteeMemberUpdate) -> None:
        check_fee(op.fee)
        if op.new_url is not None:
            check_url(op.new_url, "committee_member_update")

    def evaluate(self, state: ChainState, op: CommitteeMemberUpdate) -> Any:
        member = find_committee_member(state, op.committee_member)
        if member.committee_member_account != op.committee_member_account:
            raise PermissionError_(
                f"committee_member_update: {member.id} belongs to "
                f"{state.describe_account(member.committee_member_account)}, not "
                f"{state.describe_account(op.committee_member_account)}"
            )
        return member

    def apply(self, state: ChainState, op: CommitteeMemberUpdate, plan: Any) -> OperationResult:
        if op.new_url is not None:
            with state.db.modify(plan) as m:
                m.url = op.new_url
        return VOID_RESULT


def check_new_parameters(params: ChainParameters) -> None:
    try:
        validate_chain_parameters(params)
    except ChainParametersError as exc:
        raise ValidationError(f"committee_member_update_global_parameters: {exc}") from None
    if params.max_authority_depth < 1:
        raise ValidationError(
            "committee_member_update_global_parameters: max_authority_depth must be >= 1, "
            f"got {params.max_authority_depth}"
        )


@register
class UpdateGlobalParametersEvaluator(Evaluator[CommitteeMemberUpdateGlobalParameters]):
    operation = CommitteeMemberUpdateGlobalParameters

    def validate(self, op: CommitteeMemberUpdateGlobalParameters) -> None:
        check_fee(op.fee)
        check_new_parameters(op.new_parameters)

    def evaluate(self, state: ChainState, op: CommitteeMemberUpdateGlobalParameters) -> Any:
        if not in_proposed_transaction():
            raise PermissionError_(
                "committee_member_update_global_parameters is only valid inside an approved "
                "committee proposal"
            )
        return None

    def apply(self, state: ChainState, op: CommitteeMemberUpdateGlobalParameters,
              plan: Any) -> OperationResult:
        with state.db.modify(state.gpo) as g:
            g.pending_parameters = op.new_parameters
        return VOID_RESULT
