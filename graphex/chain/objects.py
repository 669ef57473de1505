"""Chain state objects of the foundation: accounts, balances, assets, witnesses, proposals, globals.

Field names and order follow BitShares' objects so that ``get_objects`` returns the shapes clients
expect. Every field is annotated with a wire type, so one codec gives an object's JSON form (API),
its canonical bytes (state hash) and its snapshot encoding.
"""

from __future__ import annotations

from typing import Annotated, ClassVar

from ..protocol import ids
from ..protocol.chain_parameters import ChainParameters
from ..protocol.struct import SET, WireStruct
from ..protocol.transaction import Transaction
from ..protocol.types import (
    AccountId,
    AccountOptions,
    AssetId,
    AssetOptions,
    Authority,
    CommitteeMemberId,
    Int64,
    PublicKeyType,
    Ripemd160,
    Sha256,
    TimeSec,
    UInt8,
    UInt16,
    UInt32,
    UInt64,
    VoteId,
    WitnessId,
)
from .database import Object

AccountSet = Annotated[tuple[AccountId, ...], SET]


class GlobalProperty(Object, kw_only=True):
    """2.0.0: chain parameters and the active witness and committee sets."""

    kind: ClassVar[tuple[int, int]] = ids.GLOBAL_PROPERTY
    parameters: ChainParameters
    pending_parameters: ChainParameters | None = None
    next_available_vote_id: UInt32 = 0
    active_committee_members: tuple[CommitteeMemberId, ...] = ()
    active_witnesses: Annotated[tuple[WitnessId, ...], SET] = ()


class DynamicGlobalProperty(Object, kw_only=True):
    """2.1.0: the head block and per-block counters."""

    kind: ClassVar[tuple[int, int]] = ids.DYNAMIC_GLOBAL_PROPERTY
    head_block_number: UInt32 = 0
    head_block_id: Ripemd160 = bytes(20)
    time: TimeSec = 0
    current_witness: WitnessId = ids.ObjectId(1, 6, 0)
    next_maintenance_time: TimeSec = 0
    last_vote_tally_time: TimeSec = 0
    last_budget_time: TimeSec = 0
    witness_budget: Int64 = 0
    total_pob: Int64 = 0
    total_inactive: Int64 = 0
    accounts_registered_this_interval: UInt32 = 0
    recently_missed_count: UInt32 = 0
    current_aslot: UInt64 = 0
    recent_slots_filled: str = str((1 << 128) - 1)
    dynamic_flags: UInt32 = 0
    last_irreversible_block_num: UInt32 = 0


class ImmutableChainParameters(WireStruct, frozen=True):
    min_committee_member_count: UInt16 = 11
    min_witness_count: UInt16 = 11
    num_special_accounts: UInt32 = 0
    num_special_assets: UInt32 = 0


class ChainProperty(Object, kw_only=True):
    """2.11.0: the chain id and parameters fixed at genesis."""

    kind: ClassVar[tuple[int, int]] = ids.CHAIN_PROPERTY
    chain_id: Sha256
    immutable_parameters: ImmutableChainParameters


class WitnessSchedule(Object, kw_only=True):
    """2.12.0: this round's shuffled witness order."""

    kind: ClassVar[tuple[int, int]] = ids.WITNESS_SCHEDULE
    current_shuffled_witnesses: tuple[WitnessId, ...] = ()


class Account(Object, kw_only=True):
    """1.2.x: a named account with owner/active authorities."""

    kind: ClassVar[tuple[int, int]] = ids.ACCOUNT
    membership_expiration_date: TimeSec = 0
    registrar: AccountId
    referrer: AccountId
    lifetime_referrer: AccountId
    network_fee_percentage: UInt16 = 2000
    lifetime_referrer_fee_percentage: UInt16 = 3000
    referrer_rewards_percentage: UInt16 = 0
    name: str
    owner: Authority
    active: Authority
    options: AccountOptions
    num_committee_voted: UInt16 = 0
    statistics: ids.ObjectId = ids.ObjectId(2, 6, 0)
    whitelisting_accounts: AccountSet = ()
    blacklisting_accounts: AccountSet = ()
    whitelisted_accounts: AccountSet = ()
    blacklisted_accounts: AccountSet = ()
    top_n_control_flags: UInt8 = 0
    creation_block_num: UInt32 = 0
    creation_time: TimeSec = 0

    LIFETIME_MEMBER_EXPIRATION: ClassVar[int] = 0xFFFFFFFF

    @property
    def is_lifetime_member(self) -> bool:
        return self.membership_expiration_date == self.LIFETIME_MEMBER_EXPIRATION


class AccountStatistics(Object, kw_only=True):
    """2.6.x: per-account counters and fee accounting."""

    kind: ClassVar[tuple[int, int]] = ids.ACCOUNT_STATISTICS
    owner: AccountId
    name: str
    most_recent_op: ids.ObjectId = ids.ObjectId(2, 9, 0)
    total_ops: UInt64 = 0
    removed_ops: UInt64 = 0
    total_core_in_orders: Int64 = 0
    core_in_balance: Int64 = 0  # kept for the BitShares shape; voting stake is summed at maintenance
    has_cashback_vb: bool = False
    is_voting: bool = False
    last_vote_time: TimeSec = 0
    lifetime_fees_paid: Int64 = 0
    pending_fees: Int64 = 0
    pending_vested_fees: Int64 = 0


class AccountBalance(Object, kw_only=True):
    """2.5.x: one account's balance of one asset."""

    kind: ClassVar[tuple[int, int]] = ids.ACCOUNT_BALANCE
    owner: AccountId
    asset_type: AssetId
    balance: Int64 = 0
    maintenance_flag: bool = False


class AssetObject(Object, kw_only=True):
    """1.3.x: an asset's symbol, precision, issuer and options."""

    kind: ClassVar[tuple[int, int]] = ids.ASSET
    symbol: str
    precision: UInt8
    issuer: AccountId
    options: AssetOptions
    dynamic_asset_data_id: ids.ObjectId
    bitasset_data_id: ids.ObjectId | None = None
    buyback_account: AccountId | None = None
    creation_block_num: UInt32 = 0
    creation_time: TimeSec = 0


class AssetDynamicData(Object, kw_only=True):
    """2.3.x: an asset's supply, accumulated fees and fee pool."""

    kind: ClassVar[tuple[int, int]] = ids.ASSET_DYNAMIC_DATA
    current_supply: Int64 = 0
    confidential_supply: Int64 = 0
    accumulated_fees: Int64 = 0
    accumulated_collateral_fees: Int64 = 0
    fee_pool: Int64 = 0


class Witness(Object, kw_only=True):
    """1.6.x: a block producer."""

    kind: ClassVar[tuple[int, int]] = ids.WITNESS
    witness_account: AccountId
    last_aslot: UInt64 = 0
    signing_key: PublicKeyType
    vote_id: VoteId = 0
    total_votes: UInt64 = 0
    url: str = ""
    total_missed: Int64 = 0
    last_confirmed_block_num: UInt32 = 0


class CommitteeMember(Object, kw_only=True):
    """1.5.x: a committee member."""

    kind: ClassVar[tuple[int, int]] = ids.COMMITTEE_MEMBER
    committee_member_account: AccountId
    vote_id: VoteId = 0
    total_votes: UInt64 = 0
    url: str = ""


class Proposal(Object, kw_only=True):
    """1.10.x: a proposed transaction awaiting approvals."""

    kind: ClassVar[tuple[int, int]] = ids.PROPOSAL
    expiration_time: TimeSec
    review_period_time: TimeSec | None = None
    proposed_transaction: Transaction
    required_active_approvals: AccountSet = ()
    available_active_approvals: AccountSet = ()
    required_owner_approvals: AccountSet = ()
    available_owner_approvals: AccountSet = ()
    available_key_approvals: Annotated[tuple[PublicKeyType, ...], SET] = ()
    proposer: AccountId
    fail_reason: str = ""


class TransactionHistory(Object, kw_only=True):
    """2.7.x: a recent transaction id, kept until its expiration to refuse duplicates."""

    kind: ClassVar[tuple[int, int]] = ids.TRANSACTION_HISTORY
    trx_id: Ripemd160
    expiration: TimeSec


class BlockSummary(Object, kw_only=True):
    """2.8.(num & 0xffff): the id of a recent block, for TaPoS."""

    kind: ClassVar[tuple[int, int]] = ids.BLOCK_SUMMARY
    block_id: Ripemd160


FOUNDATION_OBJECTS: tuple[type[Object], ...] = (
    GlobalProperty,
    DynamicGlobalProperty,
    ChainProperty,
    WitnessSchedule,
    Account,
    AccountStatistics,
    AccountBalance,
    AssetObject,
    AssetDynamicData,
    Witness,
    CommitteeMember,
    Proposal,
    TransactionHistory,
    BlockSummary,
)
