"""Graphene object ids: ``space.type.instance``.

An :class:`ObjectId` is an ordered, hashable triple. Ordering is by (space, type, instance), which is
BitShares' order for objects of one type (by instance). The packed 64-bit form is
``space << 56 | type << 48 | instance`` with a 48-bit instance.
"""

from __future__ import annotations

from typing import NamedTuple

INSTANCE_MAX = (1 << 48) - 1


class ObjectIdError(ValueError):
    """A text or number that is not a valid object id."""


class ObjectId(NamedTuple):
    space: int
    type: int
    instance: int

    def __str__(self) -> str:
        return f"{self.space}.{self.type}.{self.instance}"

    def __repr__(self) -> str:
        return f"ObjectId('{self}')"

    @classmethod
    def parse(cls, text: str) -> ObjectId:
        parts = text.split(".") if isinstance(text, str) else []
        if len(parts) != 3 or not all(p.isascii() and p.isdigit() and len(p) <= 15 for p in parts):
            raise ObjectIdError(f"invalid object id {text!r}: expected 'space.type.instance'")
        space, type_, instance = (int(p) for p in parts)
        if space > 255 or type_ > 255 or instance > INSTANCE_MAX:
            raise ObjectIdError(f"invalid object id {text!r}: field out of range")
        return cls(space, type_, instance)

    def packed(self) -> int:
        return (self.space << 56) | (self.type << 48) | self.instance

    @classmethod
    def unpack(cls, value: int) -> ObjectId:
        return cls(value >> 56, (value >> 48) & 0xFF, value & INSTANCE_MAX)


# Protocol space (1.x.y)
ACCOUNT = (1, 2)
ASSET = (1, 3)
FORCE_SETTLEMENT = (1, 4)
COMMITTEE_MEMBER = (1, 5)
WITNESS = (1, 6)
LIMIT_ORDER = (1, 7)
CALL_ORDER = (1, 8)
PROPOSAL = (1, 10)
OPERATION_HISTORY = (1, 11)
VESTING_BALANCE = (1, 13)
# graphex's own protocol objects take types from 100 up (as its operations take ids from 100)
FUTURES_PRODUCT = (1, 100)
FUTURES_SERIES = (1, 101)
FUTURES_ORDER = (1, 102)
FUTURES_POSITION = (1, 103)
# Implementation space (2.x.y)
GLOBAL_PROPERTY = (2, 0)
DYNAMIC_GLOBAL_PROPERTY = (2, 1)
ASSET_DYNAMIC_DATA = (2, 3)
ASSET_BITASSET_DATA = (2, 4)
ACCOUNT_BALANCE = (2, 5)
ACCOUNT_STATISTICS = (2, 6)
TRANSACTION_HISTORY = (2, 7)
BLOCK_SUMMARY = (2, 8)
ACCOUNT_TRANSACTION_HISTORY = (2, 9)
CHAIN_PROPERTY = (2, 11)
WITNESS_SCHEDULE = (2, 12)
COLLATERAL_BID = (2, 17)
MARGIN_ACCOUNT = (2, 100)
FUTURES_FEE_POOL = (2, 101)
TRADE_DAY_STATS = (2, 102)


def oid(kind: tuple[int, int], instance: int) -> ObjectId:
    """The id of instance ``instance`` of object kind ``kind`` (e.g. ``oid(ACCOUNT, 17)`` → 1.2.17)."""
    return ObjectId(kind[0], kind[1], instance)


# Reserved accounts
COMMITTEE_ACCOUNT = ObjectId(1, 2, 0)
WITNESS_ACCOUNT = ObjectId(1, 2, 1)
RELAXED_COMMITTEE_ACCOUNT = ObjectId(1, 2, 2)
NULL_ACCOUNT = ObjectId(1, 2, 3)
TEMP_ACCOUNT = ObjectId(1, 2, 4)
PROXY_TO_SELF_ACCOUNT = ObjectId(1, 2, 5)
CORE_ASSET = ObjectId(1, 3, 0)
