"""The ``database`` API (API id 0): BitShares' read methods over the node's chain state.

Method names, arguments and result shapes are bitshares-core's ``database_api``
(libraries/app/database_api.cpp; ``reference/bitshares.md`` §6.2), so python-bitshares, uptick and
bitsharesjs work unchanged. Reads see the head state plus the node's pending transactions, as a
BitShares node's do. Unknown ids and names give ``null`` where core returns an ``optional``, and a
:class:`~graphex.api.queries.NotFound` refusal where core asserts; every list argument and
result is bounded by a named limit (:mod:`graphex.api.queries`).

Notifications: ``set_subscribe_callback``, ``set_auto_subscription``,
``set_block_applied_callback``, ``set_pending_transaction_callback`` and the ``subscribe``
arguments of ``get_objects``, ``get_accounts``, ``get_assets`` and ``get_full_accounts``
(:mod:`graphex.api.subscriptions`); market notices :mod:`graphex.api.market_api` (mixed in);
``cancel_all_subscriptions`` ends both kinds.

graphex extension: ``get_state_hash()`` — hex of the head block's state hash (without pending
transactions), for comparing nodes and replays.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from ..chain.database import Object
from ..chain.objects import (
    Account,
    AccountBalance,
    AssetObject,
    ChainProperty,
    CommitteeMember,
    DynamicGlobalProperty,
    GlobalProperty,
    Witness,
)
from ..chain.state import (
    CHAIN_PROPERTY_ID,
    DYNAMIC_GLOBAL_PROPERTY_ID,
    GLOBAL_PROPERTY_ID,
    ChainState,
)
from ..chain.tx_apply import check_signatures, recover_signers
from ..node.history import HistoryService
from ..node.node import Node
from ..protocol import ids
from ..protocol.block import BlockHeader, SignedBlock, SignedBlockHeader
from ..protocol.codec import Json
from ..protocol.struct import codec_of, from_json
from ..protocol.transaction import SignedTransaction
from ..protocol.types import Asset
from .chain_config import chain_config
from .errors import InvalidParams
from .full_account import full_account, key_references
from .governance_api import GovernanceApi
from .market_api import MarketApi
from .market_data import MarketDataApi
from .queries import (
    MAX_FULL_ACCOUNTS,
    MAX_KEY_REFERENCES,
    MAX_LOOKUP_ACCOUNTS,
    MAX_LOOKUP_WITNESS_ACCOUNTS,
    MAX_OBJECTS_PER_CALL,
    find_account,
    find_asset,
    get_account,
    object_json,
    parse_id,
    parse_public_key,
    parse_typed_id,
    require_count,
    require_non_negative,
    string_list,
)
from .required_fees import required_fees
from .rpc import Session
from .smartcoin_api import SmartcoinApi
from .subscriptions import SubscriptionFeed

_BLOCK = codec_of(SignedBlock)
_SIGNED_TX = codec_of(SignedTransaction)


class DatabaseApi(MarketApi, MarketDataApi, SmartcoinApi, GovernanceApi):
    """BitShares' ``database_api`` over one :class:`~graphex.node.node.Node`."""

    methods: ClassVar[frozenset[str]] = frozenset({
        "get_chain_properties", "get_chain_id", "get_config", "get_dynamic_global_properties",
        "get_global_properties", "get_state_hash", "get_objects", "get_block",
        "get_block_header", "get_account_by_name", "lookup_account_names", "get_accounts",
        "get_full_accounts", "get_account_count", "lookup_accounts", "get_key_references",
        "get_account_balances", "get_named_account_balances", "lookup_asset_symbols",
        "get_assets", "get_witness_by_account", "get_witnesses", "lookup_witness_accounts",
        "get_committee_member_by_account", "get_required_fees", "verify_authority",
        "get_transaction_hex", "set_subscribe_callback", "set_auto_subscription",
        "set_block_applied_callback", "set_pending_transaction_callback",
    }) | MarketApi.methods | MarketDataApi.methods | SmartcoinApi.methods | GovernanceApi.methods

    def __init__(self, node: Node, history: HistoryService | None = None) -> None:
        self.node = node
        self.history = history
        self._config = chain_config(node.genesis)
        self._subscriptions: SubscriptionFeed | None = None

    @property
    def state(self) -> ChainState:
        return self.node.state

    # -- globals -------------------------------------------------------------------------------
    def get_chain_properties(self) -> Json:
        return object_json(self.state.db.get(CHAIN_PROPERTY_ID, ChainProperty))

    def get_chain_id(self) -> str:
        return str(self.state.chain_id.hex())

    def get_config(self) -> Json:
        return dict(self._config)

    def get_dynamic_global_properties(self) -> Json:
        return object_json(self.state.db.get(DYNAMIC_GLOBAL_PROPERTY_ID, DynamicGlobalProperty))

    def get_global_properties(self) -> Json:
        return object_json(self.state.db.get(GLOBAL_PROPERTY_ID, GlobalProperty))

    def get_state_hash(self) -> str:
        return self.node.head_state_hash().hex()

    # -- subscriptions -------------------------------------------------------------------------
    def _subs(self) -> SubscriptionFeed:
        if self._subscriptions is None:
            self._subscriptions = SubscriptionFeed(self.node)
        return self._subscriptions

    def set_subscribe_callback(self, callback: int, notify_remove_create: bool, *,
                               session: Session) -> None:
        """Object notices to ``callback`` after each block; forgets earlier object subscriptions."""
        self._subs().set_object_callback(session, _callback_arg("set_subscribe_callback", callback),
                                         notify_remove_create)

    def set_auto_subscription(self, enable: bool, *, session: Session) -> None:
        """Whether reads without a ``subscribe`` argument subscribe (default: yes)."""
        self._subs().of(session, "set_auto_subscription").auto_subscribe = enable

    def set_block_applied_callback(self, callback: int, *, session: Session) -> None:
        """The id of each block joining the head chain, to ``callback``."""
        subs = self._subs().of(session, "set_block_applied_callback")
        subs.block_callback = _callback_arg("set_block_applied_callback", callback)

    def set_pending_transaction_callback(self, callback: int, *, session: Session) -> None:
        """Each transaction accepted into the pending pool, to ``callback``."""
        subs = self._subs().of(session, "set_pending_transaction_callback")
        subs.pending_callback = _callback_arg("set_pending_transaction_callback", callback)

    def cancel_all_subscriptions(self, *, session: Session) -> None:
        """End every subscription of this connection: objects, accounts, blocks, pending
        transactions and markets."""
        if self._subscriptions is not None:
            self._subscriptions.drop_session(session)
        super().cancel_all_subscriptions(session=session)

    def subscription_counts(self) -> dict[str, int]:
        """Subscriptions held over every connection, by kind (for metrics)."""
        counts = {"objects": 0, "accounts": 0, "blocks": 0, "pending_transactions": 0}
        if self._subscriptions is not None:
            counts = self._subscriptions.counts()
        feed = self._market_feed
        counts["markets"] = 0 if feed is None else feed.subscribed_markets_count()
        return counts

    def _subscribe(self, session: Session | None, subscribe: bool | None, method: str,
                   found: Sequence[Object | None], *, accounts: bool = False) -> None:
        """Subscribe ``session`` to the objects ``found`` (or to them as full accounts) when
        ``subscribe`` (or, omitted, its auto subscription) says so."""
        feed = self._subscriptions
        if session is None or feed is None or not feed.wants(session, subscribe):
            return
        object_ids = [obj.id for obj in found if obj is not None]
        add = feed.subscribe_accounts if accounts else feed.subscribe_objects
        add(session, method, object_ids, subscribe is not None)

    # -- objects and blocks --------------------------------------------------------------------
    def get_objects(self, object_ids: list[str], subscribe: bool | None = None, *,
                    session: Session | None = None) -> list[Json]:
        """Each object's JSON, or null for an id with no live object."""
        require_count("get_objects", "ids", object_ids, "MAX_OBJECTS_PER_CALL",
                      MAX_OBJECTS_PER_CALL)
        parsed = [parse_id(text) for text in object_ids]
        found = [self.state.db.find(oid) for oid in parsed]
        self._subscribe(session, subscribe, "get_objects", found)
        return [None if obj is None else object_json(obj) for obj in found]

    def _block(self, block_num: int) -> SignedBlock | None:
        if not 0 < block_num <= self.state.head_num:
            return None
        raw = self.node.store.block(block_num)
        return None if raw is None else _BLOCK.unpack(raw)

    def get_block(self, block_num: int) -> Json:
        """The signed block with its processed transactions, or null."""
        block = self._block(block_num)
        return None if block is None else _BLOCK.to_json(block)

    def get_block_header(self, block_num: int, with_witness_signature: bool | None = None
                         ) -> Json:
        """``{previous, timestamp, witness, transaction_merkle_root, extensions}`` (+ signature)."""
        block = self._block(block_num)
        if block is None:
            return None
        header_type = SignedBlockHeader if with_witness_signature else BlockHeader
        return codec_of(header_type).to_json(block)

    # -- accounts ------------------------------------------------------------------------------
    def get_account_by_name(self, name: str) -> Json:
        account = self.state.account_by_name(name)
        return None if account is None else object_json(account)

    def lookup_account_names(self, account_names: list[str]) -> list[Json]:
        names = string_list("lookup_account_names", "account_names", account_names)
        require_count("lookup_account_names", "names", names, "MAX_OBJECTS_PER_CALL",
                      MAX_OBJECTS_PER_CALL)
        found = (self.state.account_by_name(name) for name in names)
        return [None if acc is None else object_json(acc) for acc in found]

    def get_accounts(self, account_names_or_ids: list[str], subscribe: bool | None = None, *,
                     session: Session | None = None) -> list[Json]:
        keys = string_list("get_accounts", "account_names_or_ids", account_names_or_ids)
        require_count("get_accounts", "accounts", keys, "MAX_OBJECTS_PER_CALL",
                      MAX_OBJECTS_PER_CALL)
        found = [find_account(self.state, key) for key in keys]
        self._subscribe(session, subscribe, "get_accounts", found)
        return [None if acc is None else object_json(acc) for acc in found]

    def get_full_accounts(self, names_or_ids: list[str], subscribe: bool | None = None, *,
                          session: Session | None = None) -> list[list[Json]]:
        """``[[name_or_id, full_account], …]`` sorted by the key asked; unknown ones left out.
        Subscribing makes the account's own objects (balances, statistics, orders …) notify."""
        keys = string_list("get_full_accounts", "names_or_ids", names_or_ids)
        require_count("get_full_accounts", "accounts", keys, "api_limit_get_full_accounts",
                      MAX_FULL_ACCOUNTS)
        results = []
        accounts: list[Object | None] = []
        for key in sorted(set(keys)):
            account = find_account(self.state, key)
            if account is not None:
                accounts.append(account)
                results.append([key, full_account(self.state, account)])
        self._subscribe(session, subscribe, "get_full_accounts", accounts, accounts=True)
        return results

    def get_account_count(self) -> int:
        return int(self.state.db.count(Account))

    def lookup_accounts(self, lower_bound_name: str, limit: int,
                        subscribe: bool | None = None) -> list[list[str]]:
        """``[[name, id], …]``: up to ``limit`` accounts from ``lower_bound_name`` on, by name."""
        require_non_negative("lookup_accounts", "limit", limit)
        require_count("lookup_accounts", "accounts", limit, "api_limit_lookup_accounts",
                      MAX_LOOKUP_ACCOUNTS)
        results: list[list[str]] = []
        if limit == 0:
            return results
        for account in self.state.db.index(Account, "name"):  # sorted by name on each call
            if account.name >= lower_bound_name:
                results.append([account.name, str(account.id)])
                if len(results) >= limit:
                    break
        return results

    def get_key_references(self, keys: list[str]) -> list[list[str]]:
        """Per key, the ids of accounts whose owner, active or memo authority holds it."""
        require_count("get_key_references", "keys", keys, "api_limit_get_key_references",
                      MAX_KEY_REFERENCES)
        parsed = [parse_public_key(self.state, key) for key in keys]
        return key_references(self.state, parsed)

    # -- balances and assets -------------------------------------------------------------------
    def get_account_balances(self, account_name_or_id: str, assets: list[str]) -> list[Json]:
        """``[{amount, asset_id}]``: all balances when ``assets`` is empty, else one per asset
        (sorted by id, duplicates once; zero where the account holds none)."""
        account = get_account(self.state, account_name_or_id)
        require_count("get_account_balances", "assets", assets, "MAX_OBJECTS_PER_CALL",
                      MAX_OBJECTS_PER_CALL)
        if not assets:
            held: list[AccountBalance] = sorted(self.state.balances_of(account.id),
                                                key=lambda b: b.asset_type)
            return [object_json(Asset(b.balance, b.asset_type)) for b in held]
        wanted = sorted({parse_typed_id(a, ids.ASSET, "asset id") for a in assets})
        return [object_json(Asset(self.state.balance(account.id, a), a)) for a in wanted]

    def get_named_account_balances(self, name: str, assets: list[str]) -> list[Json]:
        return self.get_account_balances(name, assets)

    def lookup_asset_symbols(self, symbols_or_ids: list[str]) -> list[Json]:
        return self.get_assets(symbols_or_ids)

    def get_assets(self, asset_symbols_or_ids: list[str], subscribe: bool | None = None, *,
                   session: Session | None = None) -> list[Json]:
        """Each asset's JSON (by symbol or id), or null when there is no such asset."""
        keys = string_list("get_assets", "asset_symbols_or_ids", asset_symbols_or_ids)
        require_count("get_assets", "assets", keys, "MAX_OBJECTS_PER_CALL", MAX_OBJECTS_PER_CALL)
        found: list[AssetObject | None] = [find_asset(self.state, key) for key in keys]
        self._subscribe(session, subscribe, "get_assets", found)
        return [None if asset is None else object_json(asset) for asset in found]

    # -- witnesses and committee ---------------------------------------------------------------
    def get_witness_by_account(self, account_id_or_name: str) -> Json:
        account = get_account(self.state, account_id_or_name)
        witness = self.state.db.index(Witness, "account").get(account.id)
        return None if witness is None else object_json(witness)

    def get_witnesses(self, witness_ids: list[str]) -> list[Json]:
        require_count("get_witnesses", "ids", witness_ids, "MAX_OBJECTS_PER_CALL",
                      MAX_OBJECTS_PER_CALL)
        parsed = [parse_typed_id(text, ids.WITNESS, "witness id") for text in witness_ids]
        found = (self.state.db.find(oid, Witness) for oid in parsed)
        return [None if w is None else object_json(w) for w in found]

    def lookup_witness_accounts(self, lower_bound_name: str, limit: int) -> list[list[str]]:
        """``[[account name, witness id], …]`` from ``lower_bound_name`` on, up to ``limit``."""
        require_non_negative("lookup_witness_accounts", "limit", limit)
        require_count("lookup_witness_accounts", "witnesses", limit,
                      "api_limit_lookup_witness_accounts", MAX_LOOKUP_WITNESS_ACCOUNTS)
        named = []
        for witness in self.state.db.table(Witness):
            name = self.state.account(witness.witness_account).name
            if name >= lower_bound_name:
                named.append([name, str(witness.id)])
        return sorted(named)[:limit]

    def get_committee_member_by_account(self, account_id_or_name: str) -> Json:
        account = get_account(self.state, account_id_or_name)
        member = self.state.db.index(CommitteeMember, "account").get(account.id)
        return None if member is None else object_json(member)

    # -- transactions --------------------------------------------------------------------------
    def get_required_fees(self, ops: list[Any], asset_id_or_symbol: str) -> list[Json]:
        """Per operation ``{amount, asset_id}`` (``[fee, [inner…]]`` for a proposal)."""
        return required_fees(self.state, ops, asset_id_or_symbol)

    def verify_authority(self, trx: dict[str, Any]) -> bool:
        """True if the signatures satisfy every required authority; else a refusal naming it."""
        tx = from_json(SignedTransaction, trx)
        keys = recover_signers(tx, self.state.chain_id)
        check_signatures(self.state, tx, keys)
        return True

    def get_transaction_hex(self, trx: dict[str, Any]) -> str:
        """Hex of the signed transaction's wire bytes."""
        return str(_SIGNED_TX.pack(from_json(SignedTransaction, trx)).hex())


def _callback_arg(method: str, callback: int) -> int:
    if callback < 0:
        raise InvalidParams(f"{method}: callback must be >= 0, got {callback}")
    return callback
