"""Which accounts an applied operation belongs to in account history.

As core's account_history plugin (libraries/plugins/account_history/account_history_plugin.cpp
with ``operation_get_impacted_accounts``, libraries/chain/db_notify.cpp): the fee payer, every
account whose active or owner authority the operation needs, the accounts named in the
operation's extra fields below, and the account an ``account_create`` made.
"""

from __future__ import annotations

from collections.abc import Iterable

from ...protocol import ids
from ...protocol.ids import ObjectId
from ...protocol.operations import (
    AccountCreate,
    AccountUpdate,
    AssetIssue,
    AssetUpdate,
    AssetUpdateIssuer,
    ProposalCreate,
    Transfer,
)
from ...protocol.operations.base import Operation, OperationResult
from ...protocol.operations.futures import FuturesDeleverage
from ...protocol.types import Authority


def _authority_accounts(*authorities: Authority | None) -> Iterable[ObjectId]:
    for authority in authorities:
        if authority is not None:
            yield from (account for account, _weight in authority.account_auths)


def _required(op: Operation) -> Iterable[ObjectId]:
    yield op.fee_payer
    yield from op.required_active()
    yield from op.required_owner()


def _named(op: Operation) -> Iterable[ObjectId]:
    """Accounts ``op`` names besides its fee payer and the authorities it needs."""
    if isinstance(op, Transfer):
        yield op.to_account
    elif isinstance(op, AccountCreate):
        yield op.referrer
        yield from _authority_accounts(op.owner, op.active)
    elif isinstance(op, AccountUpdate):
        yield from _authority_accounts(op.owner, op.active)
    elif isinstance(op, AssetUpdate):
        if op.new_issuer is not None:
            yield op.new_issuer
    elif isinstance(op, AssetUpdateIssuer):
        yield op.new_issuer
    elif isinstance(op, AssetIssue):
        yield op.issue_to_account
    elif isinstance(op, FuturesDeleverage):
        yield op.counterparty
    elif isinstance(op, ProposalCreate):
        for wrapper in op.proposed_ops:
            yield from wrapper.op.required_active()
            yield from wrapper.op.required_owner()


def impacted_accounts(op: Operation, result: OperationResult) -> list[ObjectId]:
    """The accounts whose history holds ``op`` (with ``result``), sorted, each once."""
    accounts = {*_required(op), *_named(op)}
    if isinstance(op, AccountCreate) and result.which == 1:
        accounts.add(result.value)
    return sorted(a for a in accounts if a[:2] == ids.ACCOUNT)
