"""Protocol value types shared by operations and objects: wire aliases, assets, prices, authorities.

Aliases such as :data:`UInt16` or :data:`AccountId` are ``Annotated`` types carrying their codec,
so a wire struct's annotations are its exact ``FC_REFLECT`` layout.
"""

from __future__ import annotations

from typing import Annotated

import msgspec

from . import codec as c
from .ids import ObjectId
from .keys import DEFAULT_PREFIX, KeyError_, PublicKey
from .struct import EXT, MAP, SET, WireStruct

MAX_SHARE_SUPPLY = 10**15
"""The largest amount of any asset (GRAPHENE_MAX_SHARE_SUPPLY)."""

UInt8 = Annotated[int, c.U8]
UInt16 = Annotated[int, c.U16]
UInt32 = Annotated[int, c.U32]
UInt64 = Annotated[int, c.U64]
Int64 = Annotated[int, c.I64]
UInt128 = Annotated[int, c.U128]
VarUInt = Annotated[int, c.VARUINT]
TimeSec = Annotated[int, c.TIME]
Ripemd160 = Annotated[bytes, c.RIPEMD160]
Sha256 = Annotated[bytes, c.SHA256]
Signature = Annotated[bytes, c.SIGNATURE]
Extensions = Annotated[tuple[()], c.EXTENSIONS]
Void = Annotated[tuple[()], c.VOID]
GenericId = Annotated[ObjectId, c.OBJECT_ID]

AccountId = Annotated[ObjectId, c.TypedIdCodec(1, 2, "account_id")]
AssetId = Annotated[ObjectId, c.TypedIdCodec(1, 3, "asset_id")]
ForceSettlementId = Annotated[ObjectId, c.TypedIdCodec(1, 4, "force_settlement_id")]
CommitteeMemberId = Annotated[ObjectId, c.TypedIdCodec(1, 5, "committee_member_id")]
WitnessId = Annotated[ObjectId, c.TypedIdCodec(1, 6, "witness_id")]
LimitOrderId = Annotated[ObjectId, c.TypedIdCodec(1, 7, "limit_order_id")]
CallOrderId = Annotated[ObjectId, c.TypedIdCodec(1, 8, "call_order_id")]
ProposalId = Annotated[ObjectId, c.TypedIdCodec(1, 10, "proposal_id")]
FuturesProductId = Annotated[ObjectId, c.TypedIdCodec(1, 100, "futures_product_id")]
FuturesSeriesId = Annotated[ObjectId, c.TypedIdCodec(1, 101, "futures_series_id")]
FuturesOrderId = Annotated[ObjectId, c.TypedIdCodec(1, 102, "futures_order_id")]

_address_prefix = [DEFAULT_PREFIX]


def set_address_prefix(prefix: str) -> None:
    """The key prefix used in JSON forms (the chain's ``address_prefix``; ``GPX`` by default)."""
    _address_prefix[0] = prefix


def address_prefix() -> str:
    return _address_prefix[0]


class PublicKeyCodec(c.Codec[PublicKey]):
    """``public_key_type``: 33 bytes; JSON ``PREFIX…`` base58 text. Sorted by address."""

    name = "public_key"

    def write(self, out: bytearray, value: PublicKey) -> None:
        out += value.data

    def read(self, data: bytes, pos: int) -> tuple[PublicKey, int]:
        raw, pos = c.FixedBytesCodec(33, self.name).read(data, pos)
        try:
            return PublicKey(raw), pos
        except KeyError_ as exc:
            raise c.DecodeError(str(exc)) from None

    def to_json(self, value: PublicKey) -> c.Json:
        return value.to_text(address_prefix())

    def from_json(self, j: c.Json) -> PublicKey:
        try:
            return PublicKey.from_text(j, address_prefix())
        except KeyError_ as exc:
            raise c.JsonFormError(str(exc)) from None

    def sort_key(self, value: PublicKey) -> bytes:
        return value.address


PUBLIC_KEY = PublicKeyCodec()
PublicKeyType = Annotated[PublicKey, PUBLIC_KEY]


class VoteIdCodec(c.Codec[int]):
    """``vote_id_type``: u32 ``type | instance << 8``; JSON ``"type:instance"``."""

    name = "vote_id"

    def write(self, out: bytearray, value: int) -> None:
        c.U32.write(out, value)

    def read(self, data: bytes, pos: int) -> tuple[int, int]:
        return c.U32.read(data, pos)

    def to_json(self, value: int) -> c.Json:
        return f"{value & 0xFF}:{value >> 8}"

    def from_json(self, j: c.Json) -> int:
        parts = j.split(":") if isinstance(j, str) else []
        if len(parts) != 2 or not all(p.isascii() and p.isdigit() for p in parts):
            raise c.JsonFormError(f"vote id must be 'type:instance', got {j!r}")
        kind, instance = int(parts[0]), int(parts[1])
        if kind > 255 or instance >= 1 << 24:
            raise c.JsonFormError(f"vote id {j!r} out of range")
        return kind | instance << 8


VoteId = Annotated[int, VoteIdCodec()]


class Asset(WireStruct, frozen=True):
    """An amount of an asset in its smallest unit."""

    amount: Int64
    asset_id: AssetId


class Price(WireStruct, frozen=True):
    """``base / quote``, not reduced. An order's ``sell_price`` has ``base`` = the asset sold."""

    base: Asset
    quote: Asset


class Authority(WireStruct, frozen=True):
    """A weighted threshold over accounts, keys and addresses."""

    weight_threshold: UInt32
    account_auths: Annotated[tuple[tuple[AccountId, UInt16], ...], MAP]
    key_auths: Annotated[tuple[tuple[PublicKeyType, UInt16], ...], MAP]
    address_auths: Annotated[tuple[tuple[Ripemd160, UInt16], ...], MAP] = ()

    @classmethod
    def single_key(cls, key: PublicKey) -> Authority:
        return cls(1, (), ((key, 1),), ())


class Memo(WireStruct, frozen=True):
    """An encrypted memo: ECDH between ``from`` and ``to`` keys, AES-256-CBC (see :mod:`.memo`)."""

    from_key: PublicKeyType = msgspec.field(name="from")
    to_key: PublicKeyType = msgspec.field(name="to")
    nonce: UInt64
    message: bytes


class AccountOptions(WireStruct, frozen=True):
    memo_key: PublicKeyType
    voting_account: AccountId
    num_witness: UInt16
    num_committee: UInt16
    votes: Annotated[tuple[VoteId, ...], SET]
    extensions: Extensions = ()


class AssetOptionsExtensions(WireStruct, frozen=True):
    reward_percent: UInt16 | None = None
    whitelist_market_fee_sharing: Annotated[tuple[AccountId, ...], SET] | None = None
    taker_fee_percent: UInt16 | None = None


class AssetOptions(WireStruct, frozen=True):
    max_supply: Int64
    market_fee_percent: UInt16
    max_market_fee: Int64
    issuer_permissions: UInt16
    flags: UInt16
    core_exchange_rate: Price
    whitelist_authorities: Annotated[tuple[AccountId, ...], SET]
    blacklist_authorities: Annotated[tuple[AccountId, ...], SET]
    whitelist_markets: Annotated[tuple[AssetId, ...], SET]
    blacklist_markets: Annotated[tuple[AssetId, ...], SET]
    description: str
    extensions: Annotated[AssetOptionsExtensions, EXT] = AssetOptionsExtensions()


# Asset permission / flag bits (core: asset_ops.hpp)
CHARGE_MARKET_FEE = 0x01
WHITE_LIST = 0x02
OVERRIDE_AUTHORITY = 0x04
TRANSFER_RESTRICTED = 0x08
DISABLE_FORCE_SETTLE = 0x10
GLOBAL_SETTLE = 0x20
DISABLE_CONFIDENTIAL = 0x40
WITNESS_FED_ASSET = 0x80
COMMITTEE_FED_ASSET = 0x100
UIA_PERMISSION_MASK = (
    CHARGE_MARKET_FEE | WHITE_LIST | OVERRIDE_AUTHORITY | TRANSFER_RESTRICTED | DISABLE_CONFIDENTIAL
)
