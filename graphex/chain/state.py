"""The chain state: the object database with its tables and indexes, built from a genesis file.

:class:`ChainState` owns the :class:`~graphex.chain.database.Database` and the helpers every
evaluator needs: balances (with clear insufficient-balance refusals), amounts formatted with their
asset's precision, and the well-known singleton objects. Block and transaction application live in
:mod:`.block_apply` and :mod:`.tx_apply`; this module only builds and reads state.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

from ..protocol import ids
from ..protocol.chain_parameters import ChainParameters
from ..protocol.ids import ObjectId
from ..protocol.struct import codec_of
from ..protocol.types import (
    AccountOptions,
    Asset,
    AssetOptions,
    Authority,
    Price,
    set_address_prefix,
)
from .applied_ops import AppliedOperation, AppliedOps
from .database import Database, Object, OrderedIndex, UniqueIndex
from .errors import InsufficientBalance, UnknownObjectError
from .futures.objects import register_futures_tables
from .genesis import Genesis, GenesisError
from .invariant import invariant
from .market.objects import register_market_tables
from .objects import (
    Account,
    AccountBalance,
    AccountStatistics,
    AssetDynamicData,
    AssetObject,
    BlockSummary,
    ChainProperty,
    CommitteeMember,
    DynamicGlobalProperty,
    GlobalProperty,
    ImmutableChainParameters,
    Proposal,
    TransactionHistory,
    Witness,
    WitnessSchedule,
)
from .smartcoin.objects import register_smartcoin_tables
from .witness_schedule import shuffle_witnesses

GLOBAL_PROPERTY_ID = ObjectId(2, 0, 0)
DYNAMIC_GLOBAL_PROPERTY_ID = ObjectId(2, 1, 0)
CHAIN_PROPERTY_ID = ObjectId(2, 11, 0)
WITNESS_SCHEDULE_ID = ObjectId(2, 12, 0)

OBJECT_CLASSES: list[type[Object]] = []
"""Every registered object class (later issues extend the chain with more through :func:`extend`)."""


def register_tables(db: Database) -> None:
    db.register(GlobalProperty)
    db.register(DynamicGlobalProperty)
    db.register(ChainProperty)
    db.register(WitnessSchedule)
    db.register(Account, UniqueIndex("name", lambda a: a.name))
    db.register(AccountStatistics)
    db.register(
        AccountBalance,
        UniqueIndex("owner_asset", lambda b: (b.owner, b.asset_type)),
        OrderedIndex("owner", lambda b: b.owner),
        immutable_keys=True,
    )
    db.register(AssetObject, UniqueIndex("symbol", lambda a: a.symbol))
    db.register(AssetDynamicData)
    db.register(Witness, UniqueIndex("account", lambda w: w.witness_account))
    db.register(CommitteeMember, UniqueIndex("account", lambda c: c.committee_member_account))
    db.register(Proposal, OrderedIndex("expiration", lambda p: p.expiration_time))
    db.register(
        TransactionHistory,
        UniqueIndex("trx_id", lambda t: t.trx_id),
        OrderedIndex("expiration", lambda t: t.expiration),
    )
    db.register(BlockSummary)
    register_market_tables(db)
    register_smartcoin_tables(db)
    register_futures_tables(db)


class ChainState:
    """The whole chain state and its read helpers."""

    def __init__(self, genesis: Genesis) -> None:
        set_address_prefix(genesis.address_prefix)
        self.genesis = genesis
        self.chain_id = genesis.chain_id
        self.db = Database()
        register_tables(self.db)
        self.core_symbol = genesis.core_symbol
        self.applied = AppliedOps()
        """The operations recorded for the block being built or applied (see :mod:`.applied_ops`)."""
        self.block_ops: list[AppliedOperation] = []
        """The operations of the last block finished."""

    # -- singletons ----------------------------------------------------------------------------
    @property
    def gpo(self) -> GlobalProperty:
        return self.db.get(GLOBAL_PROPERTY_ID, GlobalProperty)

    @property
    def dgp(self) -> DynamicGlobalProperty:
        return self.db.get(DYNAMIC_GLOBAL_PROPERTY_ID, DynamicGlobalProperty)

    @property
    def params(self) -> ChainParameters:
        return self.gpo.parameters

    @property
    def schedule(self) -> WitnessSchedule:
        return self.db.get(WITNESS_SCHEDULE_ID, WitnessSchedule)

    @property
    def head_num(self) -> int:
        return self.dgp.head_block_number

    @property
    def head_id(self) -> bytes:
        return self.dgp.head_block_id

    @property
    def head_time(self) -> int:
        return self.dgp.time

    # -- lookups -------------------------------------------------------------------------------
    def account(self, account_id: ObjectId) -> Account:
        obj = self.db.find(account_id, Account) if account_id[:2] == ids.ACCOUNT else None
        if obj is None:
            raise UnknownObjectError(f"unknown account {account_id}")
        return obj

    def account_by_name(self, name: str) -> Account | None:
        return self.db.index(Account, "name").get(name)

    def asset(self, asset_id: ObjectId) -> AssetObject:
        obj = self.db.find(asset_id, AssetObject) if asset_id[:2] == ids.ASSET else None
        if obj is None:
            raise UnknownObjectError(f"unknown asset {asset_id}")
        return obj

    def asset_by_symbol(self, symbol: str) -> AssetObject | None:
        return self.db.index(AssetObject, "symbol").get(symbol)

    def asset_dynamic(self, asset: AssetObject) -> AssetDynamicData:
        return self.db.get(asset.dynamic_asset_data_id, AssetDynamicData)

    def witness(self, witness_id: ObjectId) -> Witness:
        obj = self.db.find(witness_id, Witness) if witness_id[:2] == ids.WITNESS else None
        if obj is None:
            raise UnknownObjectError(f"unknown witness {witness_id}")
        return obj

    # -- amounts and balances ------------------------------------------------------------------
    def fmt(self, amount: int, asset_id: ObjectId) -> str:
        """``12.00000 GPX``: an amount with its asset's precision and symbol (for messages)."""
        asset = self.db.find(asset_id, AssetObject)
        if asset is None:
            return f"{amount} of {asset_id}"
        return f"{format_amount(amount, asset.precision)} {asset.symbol}"

    def fmt_asset(self, value: Asset) -> str:
        return self.fmt(value.amount, value.asset_id)

    def describe_account(self, account_id: ObjectId) -> str:
        acc = self.db.find(account_id, Account)
        return f"{account_id} ({acc.name})" if acc is not None else str(account_id)

    def balance_object(self, owner: ObjectId, asset_id: ObjectId) -> AccountBalance | None:
        return self.db.index(AccountBalance, "owner_asset").get((owner, asset_id))

    def balance(self, owner: ObjectId, asset_id: ObjectId) -> int:
        obj = self.balance_object(owner, asset_id)
        return 0 if obj is None else obj.balance

    def require_balance(self, owner: ObjectId, amount: Asset) -> None:
        have = self.balance(owner, amount.asset_id)
        if have < amount.amount:
            raise InsufficientBalance(
                f"insufficient balance: account {self.describe_account(owner)} has "
                f"{self.fmt(have, amount.asset_id)}, needs {self.fmt_asset(amount)}"
            )

    def adjust_balance(self, owner: ObjectId, asset_id: ObjectId, delta: int) -> None:
        """Add ``delta`` (may be negative) to a balance; refuses to go below zero."""
        if delta == 0:
            return
        obj = self.balance_object(owner, asset_id)
        if obj is None:
            if delta < 0:
                self.require_balance(owner, Asset(-delta, asset_id))
            self.db.create(AccountBalance, owner=owner, asset_type=asset_id, balance=delta)
            return
        if obj.balance + delta < 0:
            self.require_balance(owner, Asset(-delta, asset_id))
        with self.db.modify(obj) as b:
            b.balance += delta

    def balances_of(self, owner: ObjectId) -> Iterator[AccountBalance]:
        yield from self.db.ordered(AccountBalance, "owner").equal(owner)

    # -- state hash ----------------------------------------------------------------------------
    def state_hash(self) -> bytes:
        """sha256 over every object's canonical bytes, in id order."""
        h = hashlib.sha256()
        for obj in self.db.all_objects():
            h.update(codec_of(type(obj)).pack(obj))
        return h.digest()


def format_amount(amount: int, precision: int) -> str:
    sign = "-" if amount < 0 else ""
    whole, frac = divmod(abs(amount), 10**precision)
    return f"{sign}{whole}.{frac:0{precision}d}" if precision else f"{sign}{whole}"


def init_genesis(state: ChainState) -> None:
    """Create the genesis objects: globals, core asset, accounts, initial assets, balances,
    witnesses, committee."""
    g, db = state.genesis, state.db
    params = g.parameters
    t0 = g.initial_timestamp
    db.create_with_id(GlobalProperty(id=GLOBAL_PROPERTY_ID, parameters=params))
    db.create_with_id(
        DynamicGlobalProperty(
            id=DYNAMIC_GLOBAL_PROPERTY_ID,
            time=t0,
            next_maintenance_time=t0 - t0 % params.maintenance_interval + params.maintenance_interval,
        )
    )
    db.create_with_id(
        ChainProperty(
            id=CHAIN_PROPERTY_ID,
            chain_id=state.chain_id,
            immutable_parameters=ImmutableChainParameters(),
        )
    )
    _create_special_accounts(state)
    core = _create_core_asset(state)
    _create_genesis_accounts(state, t0)
    _create_initial_assets(state, t0)
    _fund_genesis_balances(state, core)
    _create_witnesses_and_committee(state)
    db.create_with_id(WitnessSchedule(id=WITNESS_SCHEDULE_ID))
    db.create_with_id(BlockSummary(id=ObjectId(2, 8, 0), block_id=bytes(20)))
    active = sorted(w.id for w in db.table(Witness))
    with db.modify(state.gpo) as gpo:
        gpo.active_witnesses = tuple(active)
        gpo.active_committee_members = tuple(sorted(c.id for c in db.table(CommitteeMember)))
    _set_committee_authority(state)
    with db.modify(state.schedule) as sched:
        sched.current_shuffled_witnesses = tuple(shuffle_witnesses(active, t0))
    invariant(state.head_num == 0, "genesis leaves the head at block 0")
    state.applied.reset(1)


def _set_committee_authority(state: ChainState) -> None:
    """committee-account's active authority: a majority (floor(n/2)+1) of the genesis committee
    members' accounts, weight 1 each (until voting sets it at maintenance, as BitShares)."""
    members = sorted({c.committee_member_account for c in state.db.table(CommitteeMember)})
    if not members:
        return
    committee = state.account(ids.COMMITTEE_ACCOUNT)
    with state.db.modify(committee) as a:
        a.active = Authority(len(members) // 2 + 1, tuple((m, 1) for m in members), (), ())


def _new_account(state: ChainState, name: str, owner: Authority, active: Authority,
                 memo_key_auth: Authority, lifetime: bool, when_s: int) -> Account:
    db = state.db
    instance = db.next_instance(Account)
    account_id = ObjectId(1, 2, instance)
    stats = db.create(AccountStatistics, owner=account_id, name=name)
    memo_key = memo_key_auth.key_auths[0][0] if memo_key_auth.key_auths else None
    if memo_key is None:
        raise GenesisError(f"account {name} needs a memo key")
    options = AccountOptions(memo_key, ids.PROXY_TO_SELF_ACCOUNT, 0, 0, ())
    return db.create(
        Account,
        membership_expiration_date=Account.LIFETIME_MEMBER_EXPIRATION if lifetime else 0,
        registrar=account_id if lifetime else ids.COMMITTEE_ACCOUNT,
        referrer=account_id if lifetime else ids.COMMITTEE_ACCOUNT,
        lifetime_referrer=account_id if lifetime else ids.COMMITTEE_ACCOUNT,
        network_fee_percentage=state.params.network_percent_of_fee,
        lifetime_referrer_fee_percentage=state.params.lifetime_referrer_percent_of_fee,
        name=name,
        owner=owner,
        active=active,
        options=options,
        statistics=stats.id,
        creation_time=when_s,
    )


def _create_special_accounts(state: ChainState) -> None:
    """1.2.0 committee-account … 1.2.5 proxy-to-self, as BitShares' genesis makes them."""
    from ..protocol.keys import PrivateKey

    null_key = PrivateKey.from_seed("graphex-null-key").public_key
    nobody = Authority(1, (), (), ())
    names = ("committee-account", "witness-account", "relaxed-committee-account", "null-account",
             "temp-account", "proxy-to-self")
    for name in names:
        acc = _new_account(state, name, nobody, nobody, Authority.single_key(null_key), True, 0)
        if name in ("null-account", "proxy-to-self"):
            with state.db.modify(acc) as a:
                a.owner = a.active = Authority(1, (), (), ())
        if name == "temp-account":
            with state.db.modify(acc) as a:
                a.owner = a.active = Authority(0, (), (), ())


def _create_core_asset(state: ChainState) -> AssetObject:
    g, db = state.genesis, state.db
    dyn = db.create(AssetDynamicData)
    max_supply = int(str(g.data.get("core_max_supply", 10**15)))
    core_id = ids.CORE_ASSET
    options = AssetOptions(
        max_supply=max_supply,
        market_fee_percent=0,
        max_market_fee=max_supply,
        issuer_permissions=0,
        flags=0,
        core_exchange_rate=Price(Asset(1, core_id), Asset(1, core_id)),
        whitelist_authorities=(),
        blacklist_authorities=(),
        whitelist_markets=(),
        blacklist_markets=(),
        description="",
    )
    return db.create(
        AssetObject,
        symbol=g.core_symbol,
        precision=g.core_precision,
        issuer=ids.NULL_ACCOUNT,
        options=options,
        dynamic_asset_data_id=dyn.id,
    )


def _create_genesis_accounts(state: ChainState, when_s: int) -> None:
    g = state.genesis
    for entry in g.data["initial_accounts"]:  # type: ignore[attr-defined]
        owner = Authority.single_key(g.public_key(entry["owner_key"]))
        active = Authority.single_key(g.public_key(entry["active_key"]))
        memo = Authority.single_key(g.public_key(entry.get("memo_key", entry["active_key"])))
        if state.account_by_name(entry["name"]) is not None:
            raise GenesisError(f"genesis names account {entry['name']!r} twice")
        _new_account(state, entry["name"], owner, active, memo,
                     bool(entry.get("is_lifetime_member", False)), when_s)


def _create_initial_assets(state: ChainState, when_s: int) -> None:
    """The genesis file's user-issued assets (see :mod:`.genesis`), with their accumulated fees
    and fee pools; their supplies are set with the balances."""
    from .evaluators.asset_checks import (  # the evaluators import this module
        CHARGE_MARKET_FEE,
        DISABLE_CONFIDENTIAL,
        OVERRIDE_AUTHORITY,
        TRANSFER_RESTRICTED,
        WHITE_LIST,
    )

    db = state.db
    # as BitShares' genesis: the issuer may still change these flags, issue and raise max_supply
    genesis_permissions = (CHARGE_MARKET_FEE | WHITE_LIST | OVERRIDE_AUTHORITY
                           | TRANSFER_RESTRICTED | DISABLE_CONFIDENTIAL)
    for initial in state.genesis.initial_assets:
        issuer = state.account_by_name(initial.issuer_name)
        if issuer is None:
            raise GenesisError(f"genesis initial asset {initial.symbol!r}: unknown issuer "
                               f"{initial.issuer_name!r}")
        asset_id = ObjectId(1, 3, db.next_instance(AssetObject))
        core_amount, asset_amount = initial.core_exchange_rate
        dyn = db.create(AssetDynamicData, accumulated_fees=initial.accumulated_fees,
                        fee_pool=initial.fee_pool)
        options = AssetOptions(
            max_supply=initial.max_supply,
            market_fee_percent=0,
            max_market_fee=initial.max_supply,
            issuer_permissions=genesis_permissions,
            flags=0,
            core_exchange_rate=Price(Asset(core_amount, ids.CORE_ASSET),
                                     Asset(asset_amount, asset_id)),
            whitelist_authorities=(),
            blacklist_authorities=(),
            whitelist_markets=(),
            blacklist_markets=(),
            description=initial.description,
        )
        db.create(AssetObject, symbol=initial.symbol, precision=initial.precision,
                  issuer=issuer.id, options=options, dynamic_asset_data_id=dyn.id,
                  creation_time=when_s)


def _fund_genesis_balances(state: ChainState, core: AssetObject) -> None:
    """Credit ``initial_balances`` (core or initial assets) and set every asset's supply: its
    balances plus accumulated fees, and for the core also the initial fee pools."""
    g, db = state.genesis, state.db
    assets = sorted(db.table(AssetObject), key=lambda a: a.id)
    supply = {a.id: state.asset_dynamic(a).accumulated_fees for a in assets}
    supply[core.id] += sum(state.asset_dynamic(a).fee_pool for a in assets)
    for entry in g.data.get("initial_balances", []):  # type: ignore[attr-defined]
        account = state.account_by_name(entry["owner"])
        if account is None:
            raise GenesisError(f"genesis balance for unknown account {entry['owner']!r}")
        asset = state.asset_by_symbol(entry["asset"])
        if asset is None:
            raise GenesisError(f"genesis balance of {entry['owner']!r} in {entry['asset']!r}, "
                               "which is neither the core asset nor one of initial_assets")
        amount = int(entry["amount"])
        if amount < 0:
            raise GenesisError(f"genesis balance of {entry['owner']!r} must not be negative, got "
                               f"{amount} {asset.symbol}")
        state.adjust_balance(account.id, asset.id, amount)
        supply[asset.id] += amount
    for asset in assets:
        if supply[asset.id] > asset.options.max_supply:
            raise GenesisError(
                f"genesis supply of {asset.symbol} ({state.fmt(supply[asset.id], asset.id)}) "
                f"exceeds its max_supply {state.fmt(asset.options.max_supply, asset.id)}"
            )
        with db.modify(state.asset_dynamic(asset)) as dyn:
            dyn.current_supply = supply[asset.id]


def _create_witnesses_and_committee(state: ChainState) -> None:
    g, db = state.genesis, state.db
    vote = 0
    committee: list[dict[str, str]] = g.data.get("initial_committee", [])  # type: ignore[assignment]
    for entry in committee:
        account = state.account_by_name(entry["owner"])
        if account is None:
            raise GenesisError(f"genesis committee member {entry['owner']!r} has no account")
        db.create(CommitteeMember, committee_member_account=account.id, vote_id=0 | vote << 8)
        vote += 1
    for entry in g.data["initial_witnesses"]:  # type: ignore[attr-defined]
        account = state.account_by_name(entry["owner"])
        if account is None:
            raise GenesisError(f"genesis witness {entry['owner']!r} has no account")
        db.create(Witness, witness_account=account.id,
                  signing_key=g.public_key(entry["signing_key"]), vote_id=1 | vote << 8)
        vote += 1
    with db.modify(state.gpo) as gpo:
        gpo.next_available_vote_id = vote
