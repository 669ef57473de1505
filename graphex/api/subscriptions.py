"""Object, block and pending-transaction subscriptions of API connections (core's
``set_subscribe_callback``, ``set_block_applied_callback``, ``set_pending_transaction_callback``;
libraries/app/database_api.cpp). Market subscriptions are :mod:`graphex.api.market_feed`'s.

Notices are ``{"method":"notice","params":[callback, [payload]]}`` (``Session.notify``):

- block applied: payload = the new head block's id (hex), once per block joining the head chain;
- pending transaction: payload = the signed transaction's JSON, once per transaction accepted
  into the pending pool (a transaction re-applied after the pool was set aside and restored,
  e.g. for a state hash or after a block from elsewhere, is not announced twice);
- objects, after each block, in core's order and each only when non-empty:
  1. new objects (full JSON) relevant to a subscribed account, or every new object when
     ``notify_remove_create`` is on;
  2. changed objects (full JSON) that were fetched with ``subscribe`` or are relevant to a
     subscribed account;
  3. removed objects' ids (``"1.7.12"``), by the same rule as new ones.
  Lists are in id order. Objects created and removed in one block are not mentioned.

Subscribing: ``get_objects``, ``get_accounts`` and ``get_assets`` subscribe the objects they
return, ``get_full_accounts`` the account and everything relevant to it — its statistics,
balances, limit orders, debt positions, settlements and collateral bids (by the owning field of
each object kind, :data:`OWNER_FIELDS`). As in core, nothing is subscribed before
``set_subscribe_callback``, and then an omitted ``subscribe`` argument means yes
(``set_auto_subscription(false)`` turns that off). ``set_subscribe_callback`` replaces the
callback and forgets the object and account subscriptions (not markets, blocks or pending).

Differences from core: relevance is decided per object (core sends a whole changed batch when
any object in it concerns a subscribed account); ``cancel_all_subscriptions`` also ends the
block-applied and pending-transaction callbacks (core keeps them); ``notify_remove_create`` is
refused unless the server allows it, as core's ``enable-subscribe-to-all`` (off by default).

Limits: at most :data:`MAX_OBJECT_SUBSCRIPTIONS` objects and :data:`MAX_ACCOUNT_SUBSCRIPTIONS`
accounts per connection. An explicit ``subscribe=true`` beyond them is refused naming the limit;
an implied one (auto subscription) serves the read and subscribes nothing more. A connection's
subscriptions end with it (``Session.on_close``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from ..chain.database import Object
from ..chain.tx_apply import transaction_id_of
from ..node.node import MAX_PENDING_TRANSACTIONS, Node
from ..protocol import ids
from ..protocol.block import SignedBlock
from ..protocol.codec import Json
from ..protocol.ids import ObjectId
from ..protocol.struct import codec_of
from ..protocol.transaction import SignedTransaction
from .queries import QueryRefused, object_json, require_count
from .rpc import Session

log = logging.getLogger(__name__)

MAX_OBJECT_SUBSCRIPTIONS = 1000
"""Objects one connection may subscribe to (graphex; core keeps an unbounded bloom filter)."""
MAX_ACCOUNT_SUBSCRIPTIONS = 100
"""Full accounts one connection may subscribe to (core's api_limit_get_full_accounts_subscribe)."""

OWNER_FIELDS: dict[tuple[int, int], str] = {
    ids.ACCOUNT: "id",
    ids.ACCOUNT_STATISTICS: "owner",
    ids.ACCOUNT_BALANCE: "owner",
    ids.LIMIT_ORDER: "seller",
    ids.CALL_ORDER: "borrower",
    ids.FORCE_SETTLEMENT: "owner",
    ids.COLLATERAL_BID: "bidder",
}
"""Per object kind, the field naming the account it belongs to (for account subscriptions)."""
UNSUBSCRIBABLE_KINDS = frozenset({ids.OPERATION_HISTORY, ids.ACCOUNT_TRANSACTION_HISTORY})
"""Kinds core never subscribes through get_objects (history entries never change)."""

_SIGNED_TX = codec_of(SignedTransaction)


@dataclass
class Subscriptions:
    """One connection's callbacks and subscribed objects and accounts."""

    object_callback: int | None = None
    notify_remove_create: bool = False
    auto_subscribe: bool = True
    block_callback: int | None = None
    pending_callback: int | None = None
    objects: set[ObjectId] = field(default_factory=set)
    accounts: set[ObjectId] = field(default_factory=set)

    def clear_objects(self) -> None:
        self.objects.clear()
        self.accounts.clear()
        self.notify_remove_create = False

    def watches_objects(self) -> bool:
        return self.object_callback is not None and (
            bool(self.objects) or bool(self.accounts) or self.notify_remove_create)


def owner_of(obj: Object) -> ObjectId | None:
    """The account an object belongs to, for the kinds in :data:`OWNER_FIELDS`."""
    name = OWNER_FIELDS.get(obj.kind)
    return None if name is None else getattr(obj, name, None)


class SubscriptionFeed:
    """The object, block and pending-transaction subscriptions of every connection to a node."""

    def __init__(self, node: Node, *, allow_subscribe_to_all: bool = False) -> None:
        self.node = node
        self.allow_subscribe_to_all = allow_subscribe_to_all
        self._sessions: dict[Session, Subscriptions] = {}
        self._announced: set[bytes] = set()
        """Ids of pending transactions announced and not yet in a block."""
        node.block_listeners.append(self.on_block)
        node.tx_listeners.append(self.on_pending_transaction)

    # -- per connection ------------------------------------------------------------------------
    def of(self, session: Session, method: str) -> Subscriptions:
        """The subscriptions of ``session``, created (with its close hook) on first use."""
        found = self._sessions.get(session)
        if found is None:
            if not session.streaming:
                raise QueryRefused(f"{method} needs a WebSocket connection: "
                                   "notifications cannot be pushed over HTTP")
            session.on_close(lambda: self.drop_session(session))
            found = self._sessions[session] = Subscriptions()
        return found

    def find(self, session: Session) -> Subscriptions | None:
        return self._sessions.get(session)

    def set_object_callback(self, session: Session, callback: int,
                            notify_remove_create: bool) -> None:
        if notify_remove_create and not self.allow_subscribe_to_all:
            raise QueryRefused("Subscribing to universal object creation and removal is "
                               "disallowed in this server.")
        subs = self.of(session, "set_subscribe_callback")
        subs.clear_objects()
        subs.object_callback = callback
        subs.notify_remove_create = notify_remove_create

    def drop_session(self, session: Session) -> None:
        """Forget every subscription of ``session`` (closed, or it cancelled them all)."""
        subs = self._sessions.get(session)
        if subs is None:
            return
        if session.closed:
            del self._sessions[session]
        else:  # keep the entry: its close hook is registered already
            self._sessions[session] = Subscriptions()

    def wants(self, session: Session, subscribe: bool | None) -> bool:
        """Whether a read with this ``subscribe`` argument subscribes (core's rule)."""
        subs = self._sessions.get(session)
        if subs is None or subs.object_callback is None:
            return False
        return subscribe if subscribe is not None else subs.auto_subscribe

    def subscribe_objects(self, session: Session, method: str, object_ids: Iterable[ObjectId],
                          explicit: bool) -> None:
        subs = self._sessions[session]
        new = {oid for oid in object_ids if oid[:2] not in UNSUBSCRIBABLE_KINDS} - subs.objects
        if len(subs.objects) + len(new) > MAX_OBJECT_SUBSCRIPTIONS:
            if explicit:
                require_count(method, "subscribed objects", len(subs.objects) + len(new),
                              "MAX_OBJECT_SUBSCRIPTIONS", MAX_OBJECT_SUBSCRIPTIONS)
            log.debug("%s: auto subscription skipped at MAX_OBJECT_SUBSCRIPTIONS", method)
            return
        subs.objects |= new

    def subscribe_accounts(self, session: Session, method: str, accounts: Iterable[ObjectId],
                           explicit: bool) -> None:
        subs = self._sessions[session]
        new = set(accounts) - subs.accounts
        if len(subs.accounts) + len(new) > MAX_ACCOUNT_SUBSCRIPTIONS:
            if explicit:
                require_count(method, "subscribed accounts", len(subs.accounts) + len(new),
                              "api_limit_get_full_accounts_subscribe", MAX_ACCOUNT_SUBSCRIPTIONS)
            return
        subs.accounts |= new

    def counts(self) -> dict[str, int]:
        """Subscriptions held over every connection, by kind."""
        totals = {"objects": 0, "accounts": 0, "blocks": 0, "pending_transactions": 0}
        for subs in self._sessions.values():
            totals["objects"] += len(subs.objects)
            totals["accounts"] += len(subs.accounts)
            totals["blocks"] += subs.block_callback is not None
            totals["pending_transactions"] += subs.pending_callback is not None
        return totals

    # -- events --------------------------------------------------------------------------------
    def on_pending_transaction(self, tx: SignedTransaction) -> None:
        listeners = [(s, subs.pending_callback) for s, subs in self._sessions.items()
                     if subs.pending_callback is not None]
        if not listeners:
            return
        pending = self.node.pending
        tx_id = pending[-1].tx_id if pending and pending[-1].tx is tx else None
        if tx_id is not None:
            if tx_id in self._announced:
                return
            self._announced.add(tx_id)
        payload = _SIGNED_TX.to_json(tx)
        for session, callback in listeners:
            session.notify(callback, payload)

    def on_block(self, block: SignedBlock, block_id: bytes) -> None:
        if self._announced:
            self._announced.difference_update(transaction_id_of(tx) for tx in block.transactions)
            if len(self._announced) > MAX_PENDING_TRANSACTIONS:  # expired ones never included
                self._announced.clear()
        if not self._sessions:
            return
        head = block_id.hex()
        for session, subs in self._sessions.items():
            if subs.block_callback is not None:
                session.notify(subs.block_callback, head)
        watching = [(s, subs) for s, subs in self._sessions.items() if subs.watches_objects()]
        if not watching:
            return
        changes = self.node.state.db.head_block_changes()
        if changes is None:
            log.warning("block %s: no undo state to derive object notices from", head)
            return
        classified = _classify(self.node, changes)
        for session, subs in watching:
            for payload in _notices_for(subs, classified):
                session.notify(subs.object_callback, payload)  # type: ignore[arg-type]


@dataclass
class BlockObjects:
    """A block's object changes: new and changed live objects, removed priors, in id order."""

    new: list[Object]
    changed: list[Object]
    removed: list[Object]


def _classify(node: Node, changes: Mapping[ObjectId, Object | None]) -> BlockObjects:
    db = node.state.db
    new: list[Object] = []
    changed: list[Object] = []
    removed: list[Object] = []
    for oid in sorted(changes):
        prior, now = changes[oid], db.find(oid)
        if now is None:
            if prior is not None:
                removed.append(prior)
        elif prior is None:
            new.append(now)
        else:
            changed.append(now)
    return BlockObjects(new, changed, removed)


def _notices_for(subs: Subscriptions, block: BlockObjects) -> list[list[Json]]:
    def relevant(obj: Object) -> bool:
        return owner_of(obj) in subs.accounts if subs.accounts else False

    everything = subs.notify_remove_create
    new = [object_json(o) for o in block.new if everything or relevant(o)]
    changed = [object_json(o) for o in block.changed if o.id in subs.objects or relevant(o)]
    removed: list[Json] = [str(o.id) for o in block.removed
                           if everything or o.id in subs.objects or relevant(o)]
    return [payload for payload in (new, changed, removed) if payload]
