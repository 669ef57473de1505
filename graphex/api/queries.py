"""Shared pieces of the read APIs: the limits, typed refusals, argument parsing and JSON forms.

A BitShares node refuses a database-API request with an fc assertion (JSON-RPC code 1,
``Execution error: …``) when it names an account or asset that does not exist where one is
required, or asks for more items than a configured ``api_limit_*``; :class:`QueryRefused` and its
subclasses are those refusals here. Text that is not an object id, an id of the wrong kind or a
malformed key is a malformed argument: :class:`~graphex.api.errors.InvalidParams` (-32602).

Every object is returned in its BitShares JSON form, ``codec_of(type(obj)).to_json(obj)``.
"""

from __future__ import annotations

from collections.abc import Sized
from typing import Any

import msgspec

from ..chain.objects import Account, AssetObject
from ..chain.state import ChainState
from ..protocol import ids
from ..protocol.codec import Json
from ..protocol.ids import ObjectId, ObjectIdError
from ..protocol.keys import KeyError_, PublicKey
from ..protocol.struct import codec_of
from .errors import ExecutionError, InvalidParams

# Limits, as bitshares-core's application options
# (libraries/app/include/graphene/app/application.hpp)
MAX_FULL_ACCOUNTS = 50
"""api_limit_get_full_accounts: accounts per get_full_accounts call."""
MAX_FULL_ACCOUNT_LISTS = 500
"""api_limit_get_full_accounts_lists: items per list (balances, orders …) of one full account."""
MAX_LOOKUP_ACCOUNTS = 1000
"""api_limit_lookup_accounts: names per lookup_accounts call."""
MAX_LOOKUP_WITNESS_ACCOUNTS = 1000
"""api_limit_lookup_witness_accounts."""
MAX_KEY_REFERENCES = 100
"""api_limit_get_key_references: keys per get_key_references call."""
MAX_OBJECTS_PER_CALL = 1000
"""Ids, names or symbols per get_objects / lookup_* / get_assets / get_witnesses call (graphex)."""
MAX_OPERATIONS_PER_FEE_QUERY = 1000
"""Operations per get_required_fees call (graphex; a transaction holds at most as many)."""


class QueryRefused(ExecutionError):
    """A request the database API refuses as bitshares-core does with an fc assertion (code 1)."""

    def __init__(self, text: str) -> None:
        super().__init__(text, name="assert_exception")


class NotFound(QueryRefused):
    """The request names an account, asset or block that must exist but does not."""


class ApiLimitExceeded(QueryRefused):
    """The request asks for more items than a named API limit allows."""

    def __init__(self, method: str, what: str, count: int, limit_name: str, limit: int) -> None:
        super().__init__(
            f"{method}: {count} {what} requested, more than {limit_name} = {limit}"
        )
        self.count, self.limit = count, limit


def require_count(method: str, what: str, items: Sized | int, limit_name: str, limit: int) -> None:
    """Refuse ``items`` (or a count) above ``limit``, naming the method and the limit."""
    count = items if isinstance(items, int) else len(items)
    if count > limit:
        raise ApiLimitExceeded(method, what, count, limit_name, limit)


def limit_arg(method: str, limit: Any, what: str, limit_name: str, maximum: int) -> int:
    """A ``limit`` argument: a non-negative count no greater than core's ``limit_name``."""
    require_non_negative(method, "limit", limit)
    require_count(method, what, limit, limit_name, maximum)
    return int(limit)


def require_non_negative(method: str, name: str, value: int) -> None:
    if value < 0:
        raise InvalidParams(f"{method}: {name} must be >= 0, got {value}")


def object_json(obj: msgspec.Struct) -> Json:
    """The BitShares JSON form of a chain object or wire struct."""
    return codec_of(type(obj)).to_json(obj)


def parse_id(text: Any, what: str = "object id") -> ObjectId:
    """An object id from its ``space.type.instance`` text; refuses anything else clearly."""
    if not isinstance(text, str):
        raise InvalidParams(f"{what} must be a 'space.type.instance' string, got {text!r}")
    try:
        return ObjectId.parse(text)
    except ObjectIdError as exc:
        raise InvalidParams(f"{what}: {exc}") from None


def parse_typed_id(text: Any, kind: tuple[int, int], what: str) -> ObjectId:
    """An id that must be of ``kind`` (e.g. an account id ``1.2.x``)."""
    oid = parse_id(text, what)
    if oid[:2] != kind:
        raise InvalidParams(f"{what} {text!r} is not a {kind[0]}.{kind[1]}.x id")
    return oid


def parse_public_key(state: ChainState, text: Any) -> PublicKey:
    prefix = state.genesis.address_prefix
    try:
        return PublicKey.from_text(text, prefix)
    except KeyError_ as exc:
        raise InvalidParams(f"invalid public key: {exc}") from None


def _looks_like_id(text: str) -> bool:
    """bitshares-core treats a name-or-id starting with a digit as an id."""
    return text[:1].isdigit()


def find_account(state: ChainState, name_or_id: Any) -> Account | None:
    """The account named or identified by ``name_or_id``, or None (``get_account_from_string``)."""
    if not isinstance(name_or_id, str):
        raise InvalidParams(f"account name or id must be a string, got {name_or_id!r}")
    if not name_or_id:
        return None
    if _looks_like_id(name_or_id):
        oid = parse_typed_id(name_or_id, ids.ACCOUNT, "account id")
        return state.db.find(oid, Account)
    return state.account_by_name(name_or_id)


def get_account(state: ChainState, name_or_id: Any) -> Account:
    account = find_account(state, name_or_id)
    if account is None:
        raise NotFound(f"no such account: {name_or_id!r}")
    return account


def find_asset(state: ChainState, symbol_or_id: Any) -> AssetObject | None:
    """The asset with symbol or id ``symbol_or_id``, or None (``get_asset_from_string``)."""
    if not isinstance(symbol_or_id, str):
        raise InvalidParams(f"asset symbol or id must be a string, got {symbol_or_id!r}")
    if not symbol_or_id:
        return None
    if _looks_like_id(symbol_or_id):
        oid = parse_typed_id(symbol_or_id, ids.ASSET, "asset id")
        return state.db.find(oid, AssetObject)
    return state.asset_by_symbol(symbol_or_id)


def get_asset(state: ChainState, symbol_or_id: Any) -> AssetObject:
    asset = find_asset(state, symbol_or_id)
    if asset is None:
        raise NotFound(f"no such asset: {symbol_or_id!r}")
    return asset


def string_list(method: str, name: str, value: Any) -> list[str]:
    """``value`` checked to be an array of strings (the argument ``name`` of ``method``)."""
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise InvalidParams(f"{method}: {name} must be an array of strings")
    return value
