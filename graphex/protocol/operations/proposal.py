"""proposal_create (22), proposal_update (23), proposal_delete (24).

Field orders are core's ``FC_REFLECT`` (core: protocol/proposal.hpp): ``fee`` comes first in all
three, although core *declares* ``fee_paying_account`` before ``fee`` in update and delete.
"""

from __future__ import annotations

from typing import Annotated

from ..ids import ObjectId
from ..struct import SET, WireStruct
from ..types import AccountId, Asset, Extensions, ProposalId, PublicKeyType, TimeSec, UInt32
from .base import OPERATION, Operation, op_class

OperationField = Annotated[Operation, OPERATION]


class OpWrapper(WireStruct, frozen=True):
    op: OperationField


@op_class
class ProposalCreate(Operation, frozen=True):
    op_id = 22
    fee_payer_field = "fee_paying_account"

    fee: Asset
    fee_paying_account: AccountId
    expiration_time: TimeSec
    proposed_ops: tuple[OpWrapper, ...]
    review_period_seconds: UInt32 | None = None
    extensions: Extensions = ()


@op_class
class ProposalUpdate(Operation, frozen=True):
    op_id = 23
    fee_payer_field = "fee_paying_account"

    fee: Asset
    fee_paying_account: AccountId
    proposal: ProposalId
    active_approvals_to_add: Annotated[tuple[AccountId, ...], SET] = ()
    active_approvals_to_remove: Annotated[tuple[AccountId, ...], SET] = ()
    owner_approvals_to_add: Annotated[tuple[AccountId, ...], SET] = ()
    owner_approvals_to_remove: Annotated[tuple[AccountId, ...], SET] = ()
    key_approvals_to_add: Annotated[tuple[PublicKeyType, ...], SET] = ()
    key_approvals_to_remove: Annotated[tuple[PublicKeyType, ...], SET] = ()
    extensions: Extensions = ()

    def required_active(self) -> tuple[ObjectId, ...]:
        return tuple(
            sorted({self.fee_paying_account, *self.active_approvals_to_add,
                    *self.active_approvals_to_remove})
        )

    def required_owner(self) -> tuple[ObjectId, ...]:
        return tuple(sorted({*self.owner_approvals_to_add, *self.owner_approvals_to_remove}))


@op_class
class ProposalDelete(Operation, frozen=True):
    op_id = 24
    fee_payer_field = "fee_paying_account"

    fee: Asset
    fee_paying_account: AccountId
    using_owner_authority: bool
    proposal: ProposalId
    extensions: Extensions = ()

    def required_active(self) -> tuple[ObjectId, ...]:
        return () if self.using_owner_authority else (self.fee_paying_account,)

    def required_owner(self) -> tuple[ObjectId, ...]:
        return (self.fee_paying_account,) if self.using_owner_authority else ()


_ = UInt32
