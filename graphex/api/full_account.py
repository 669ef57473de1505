"""``get_full_accounts`` and ``get_key_references``: an account with everything that hangs off it.

The full-account shape is bitshares-core's ``full_account`` (libraries/app/include/graphene/app/
api_objects.hpp), fields in its ``FC_REFLECT`` order; every list holds at most
:data:`~graphex.api.queries.MAX_FULL_ACCOUNT_LISTS` items and sets its ``more_data_available``
flag when cut. Lists of object kinds this chain does not have yet (vesting balances, withdraw
permissions, HTLCs) are empty; orders and settlements are found by kind (1.7 limit orders by
``seller``, 1.8 call orders by ``borrower``, 1.4 settlements by ``owner``, 1.13 vesting balances
by ``owner``) once their tables are registered, through the index on that field when the table
has one (limit orders: ``by_account``, so an account's orders come in id order as core's).

Lookups that core serves from secondary indexes (proposals by required approver, assets by issuer,
key references, owned objects without an index on the owner field) scan their table here.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from ..chain.database import Database, GroupIndex, Object, OrderedIndex, UnregisteredType
from ..chain.objects import (
    Account,
    AccountStatistics,
    AssetObject,
    CommitteeMember,
    Proposal,
    Witness,
)
from ..chain.state import ChainState
from ..protocol import ids
from ..protocol.codec import Json
from ..protocol.ids import ObjectId
from ..protocol.keys import PublicKey
from .queries import MAX_FULL_ACCOUNT_LISTS, object_json

MORE_DATA_FIELDS = (
    "balances", "vesting_balances", "limit_orders", "call_orders", "settle_orders", "proposals",
    "assets", "withdraws_from", "withdraws_to", "htlcs_from", "htlcs_to",
)
OWNED_KINDS: dict[str, tuple[tuple[int, int], str]] = {
    "vesting_balances": (ids.VESTING_BALANCE, "owner"),
    "limit_orders": (ids.LIMIT_ORDER, "seller"),
    "call_orders": (ids.CALL_ORDER, "borrower"),
    "settle_orders": (ids.FORCE_SETTLEMENT, "owner"),
}
"""Full-account lists filled from an object kind by an owner field, when the kind is registered."""
OWNER_INDEXES: dict[tuple[int, int], str] = {
    ids.LIMIT_ORDER: "by_account", ids.CALL_ORDER: "by_borrower", ids.FORCE_SETTLEMENT: "by_account",
}
"""Ordered indexes keyed by exactly the owner field, where not named after the field."""


def _class_of_kind(db: Database, kind: tuple[int, int]) -> type[Object] | None:
    for cls in db.registered_classes():
        if cls.kind == kind:
            return cls
    return None


def owned_objects(db: Database, kind: tuple[int, int], field: str,
                  owner: ObjectId) -> Iterator[Object]:
    """Objects of ``kind`` whose ``field`` is ``owner``, in id order (empty if no such table)."""
    cls = _class_of_kind(db, kind)
    if cls is None:
        return iter(())
    try:
        index = db.index(cls, OWNER_INDEXES.get(kind, field))
    except UnregisteredType:
        index = None
    if isinstance(index, (OrderedIndex, GroupIndex)):
        return index.equal(owner)
    return (obj for obj in db.table(cls) if getattr(obj, field, None) == owner)


def _bounded(items: Iterable[Any], limit: int) -> tuple[list[Any], bool]:
    """At most ``limit`` items, and whether more were available."""
    out: list[Any] = []
    for item in items:
        if len(out) >= limit:
            return out, True
        out.append(item)
    return out, False


def vote_objects(state: ChainState, votes: Iterable[int]) -> list[Json]:
    """``lookup_vote_ids``: the witness or committee member behind each vote id (null if none)."""
    by_vote: dict[int, Object] = {}
    for member in state.db.table(CommitteeMember):
        by_vote[member.vote_id] = member
    for witness in state.db.table(Witness):
        by_vote[witness.vote_id] = witness
    found = (by_vote.get(vote) for vote in votes)
    return [None if obj is None else object_json(obj) for obj in found]


def proposals_of(state: ChainState, account: ObjectId) -> Iterator[Proposal]:
    for proposal in state.db.table(Proposal):
        required = (*proposal.required_active_approvals, *proposal.required_owner_approvals)
        if account in required:
            yield proposal


def full_account(state: ChainState, account: Account,
                 list_limit: int = MAX_FULL_ACCOUNT_LISTS) -> dict[str, Json]:
    """One ``full_account`` object in BitShares' JSON form."""
    db = state.db
    more: dict[str, bool] = {name: False for name in MORE_DATA_FIELDS}
    lists: dict[str, list[Json]] = {}

    def fill(name: str, items: Iterable[Any], as_json: bool = True) -> None:
        kept, cut = _bounded(items, list_limit)
        lists[name] = [object_json(item) for item in kept] if as_json else kept
        more[name] = cut

    balances = sorted(state.balances_of(account.id), key=lambda b: b.asset_type)
    fill("balances", balances)
    for name, (kind, field) in OWNED_KINDS.items():
        fill(name, owned_objects(db, kind, field, account.id))
    fill("proposals", proposals_of(state, account.id))
    issued = (str(a.id) for a in db.table(AssetObject) if a.issuer == account.id)
    fill("assets", issued, as_json=False)
    for name in ("withdraws_from", "withdraws_to", "htlcs_from", "htlcs_to"):
        fill(name, ())
    return {
        "account": object_json(account),
        "statistics": object_json(db.get(account.statistics, AccountStatistics)),
        "registrar_name": state.account(account.registrar).name,
        "referrer_name": state.account(account.referrer).name,
        "lifetime_referrer_name": state.account(account.lifetime_referrer).name,
        "votes": vote_objects(state, account.options.votes),
        **{name: lists[name] for name in (
            "balances", "vesting_balances", "limit_orders", "call_orders", "settle_orders",
            "proposals", "assets", "withdraws_from", "withdraws_to", "htlcs_from", "htlcs_to",
        )},
        "more_data_available": more,
    }


def key_references(state: ChainState, keys: list[PublicKey]) -> list[list[str]]:
    """For each key, the ids of accounts whose owner, active or memo key it is (id order).

    Scans every account once per call (core keeps a secondary index; graphex will when needed).
    """
    wanted = {key: index for index, key in enumerate(keys)}
    found: list[set[ObjectId]] = [set() for _ in keys]
    for account in state.db.table(Account):
        referenced = {k for k, _ in account.owner.key_auths}
        referenced.update(k for k, _ in account.active.key_auths)
        referenced.add(account.options.memo_key)
        for key in referenced:
            index = wanted.get(key)
            if index is not None:
                found[index].add(account.id)
    # a key asked twice is answered from the slot it was filed under, the same both times
    return [[str(oid) for oid in sorted(found[wanted[key]])] for key in keys]
