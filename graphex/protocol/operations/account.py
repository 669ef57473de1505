"""account_create (5), account_update (6), account_upgrade (8)."""

from __future__ import annotations

from typing import Annotated

from ..ids import ObjectId
from ..struct import EXT, WireStruct
from ..types import AccountId, AccountOptions, Asset, Authority, Extensions, UInt16, Void
from .base import Operation, op_class


class AccountCreateExtensions(WireStruct, frozen=True):
    # BitShares' null_ext, owner_special_authority, active_special_authority, buyback_options:
    # graphex supports none of them yet; they are decoded only to refuse them clearly.
    null_ext: Void | None = None


@op_class
class AccountCreate(Operation, frozen=True):
    op_id = 5
    fee_payer_field = "registrar"

    fee: Asset
    registrar: AccountId
    referrer: AccountId
    referrer_percent: UInt16
    name: str
    owner: Authority
    active: Authority
    options: AccountOptions
    extensions: Annotated[AccountCreateExtensions, EXT] = AccountCreateExtensions()


class AccountUpdateExtensions(WireStruct, frozen=True):
    null_ext: Void | None = None


@op_class
class AccountUpdate(Operation, frozen=True):
    op_id = 6
    fee_payer_field = "account"

    fee: Asset
    account: AccountId
    owner: Authority | None = None
    active: Authority | None = None
    new_options: AccountOptions | None = None
    extensions: Annotated[AccountUpdateExtensions, EXT] = AccountUpdateExtensions()

    def required_active(self) -> tuple[ObjectId, ...]:
        return () if self.owner is not None else (self.account,)

    def required_owner(self) -> tuple[ObjectId, ...]:
        return (self.account,) if self.owner is not None else ()


@op_class
class AccountUpgrade(Operation, frozen=True):
    op_id = 8
    fee_payer_field = "account_to_upgrade"

    fee: Asset
    account_to_upgrade: AccountId
    upgrade_to_lifetime_member: bool
    extensions: Extensions = ()
