"""User-issued assets: create, update, issuer change, issue, reserve, fee pool, fees, and paying a
fee in a user-issued asset through its core exchange rate and fee pool."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from graphex.chain.errors import (
    ChainError,
    FeeError,
    InsufficientBalance,
    PermissionError_,
    UnknownObjectError,
    ValidationError,
)
from graphex.chain.objects import AccountStatistics
from graphex.protocol.bitasset import BitassetOptions
from graphex.protocol.chain_parameters import fee_for
from graphex.protocol.ids import ObjectId
from graphex.protocol.operations import (
    AssetClaimFees,
    AssetClaimPool,
    AssetCreate,
    AssetFundFeePool,
    AssetIssue,
    AssetReserve,
    AssetUpdate,
    AssetUpdateIssuer,
    Transfer,
)
from graphex.protocol.types import Asset, AssetOptions, Price
from graphex.testing.chain import GPX, DevChain
from tests.chain.evaluators.helpers import push, refuse, with_fee

CHARGE_MARKET_FEE, WHITE_LIST, TRANSFER_RESTRICTED = 0x01, 0x02, 0x08
LOCK_MAX_SUPPLY, DISABLE_NEW_SUPPLY, WITNESS_FED = 0x200, 0x400, 0x80
UIA_PERMISSIONS = 0x01 | 0x02 | 0x04 | 0x08 | 0x40
NEW = ObjectId(1, 3, 1)


def options(*, max_supply: int = 10**12, permissions: int = UIA_PERMISSIONS, flags: int = 0,
            cer: Price | None = None, **changes: Any) -> AssetOptions:
    rate = cer or Price(Asset(1, GPX), Asset(1, NEW))
    base = AssetOptions(max_supply, 0, 0, permissions, flags, rate, (), (), (), (), "")
    return msgspec.structs.replace(base, **changes)


def create_op(chain: DevChain, symbol: str = "GATEWAYBTC", issuer: str = "alice",
              **kwargs: Any) -> AssetCreate:
    precision = kwargs.pop("precision", 4)
    return AssetCreate(Asset(0, GPX), chain.account_id(issuer), symbol, precision,
                       options(**kwargs))


def create(chain: DevChain, symbol: str = "GATEWAYBTC", issuer: str = "alice",
           **kwargs: Any) -> ObjectId:
    push(chain, create_op(chain, symbol, issuer, **kwargs), [issuer])
    found = chain.state.asset_by_symbol(symbol)
    assert found is not None
    return found.id


def issue(chain: DevChain, asset_id: ObjectId, amount: int, to: str = "bob") -> None:
    push(chain, AssetIssue(Asset(0, GPX), chain.account_id("alice"), Asset(amount, asset_id),
                           chain.account_id(to)))


def dyn(chain: DevChain, asset_id: ObjectId) -> Any:
    return chain.state.asset_dynamic(chain.state.asset(asset_id))


def update_op(chain: DevChain, asset_id: ObjectId, issuer: str = "alice",
              **kwargs: Any) -> AssetUpdate:
    current = chain.state.asset(asset_id).options
    new = msgspec.structs.replace(current, **kwargs)
    return AssetUpdate(Asset(0, GPX), chain.account_id(issuer), asset_id, None, new)


# --- asset_create ---------------------------------------------------------------------------------


def test_create_rewrites_the_rate_and_seeds_the_pool_with_half_the_fee() -> None:
    chain = DevChain()
    op = with_fee(chain, create_op(chain, cer=Price(Asset(3, GPX), Asset(2, NEW))))
    alice = chain.balance("alice")
    chain.push([op], ["alice"])
    asset = chain.state.asset_by_symbol("GATEWAYBTC")
    assert asset is not None and asset.issuer == chain.account_id("alice")
    assert asset.options.core_exchange_rate == Price(Asset(3, GPX), Asset(2, asset.id))
    fee = op.fee.amount
    assert dyn(chain, asset.id).fee_pool == fee // 2
    assert dyn(chain, asset.id).current_supply == 0
    stats = chain.state.db.get(chain.state.account(chain.account_id("alice")).statistics,
                               AccountStatistics)
    assert stats.pending_fees == fee - fee // 2
    assert chain.balance("alice") == alice - fee


def test_creation_fee_scales_with_symbol_length() -> None:
    chain = DevChain()
    fees = {n: fee_for(chain.state.params.current_fees, create_op(chain, "A" * n))
            for n in (3, 4, 5)}
    assert fees[3] > fees[4] > fees[5]
    cheap = msgspec.structs.replace(create_op(chain, "ABCD"), fee=Asset(fees[5], GPX))
    before = chain.state.state_hash()
    with pytest.raises(FeeError, match="insufficient fee: AssetCreate needs"):
        chain.push([cheap], ["alice"])
    assert chain.state.state_hash() == before
    create(chain, "ABCD")


@pytest.mark.parametrize(
    ("symbol", "kwargs", "error", "match"),
    [
        ("btc", {}, ValidationError, "invalid symbol 'btc'"),
        ("BITUSD", {}, ValidationError, "invalid symbol 'BITUSD'"),
        ("AB", {}, ValidationError, "invalid symbol 'AB'"),
        ("GOODCOIN", {"precision": 13}, ValidationError, "precision 13 exceeds the maximum 12"),
        ("GOODCOIN", {"max_supply": 0}, ValidationError, "max_supply 0 must be in"),
        ("GOODCOIN", {"max_supply": 10**15 + 1}, ValidationError, "max_supply 1000000000000001"),
        ("GOODCOIN", {"market_fee_percent": 10001}, ValidationError,
         "market_fee_percent 10001 exceeds 10000"),
        ("GOODCOIN", {"permissions": UIA_PERMISSIONS | WITNESS_FED}, ValidationError,
         "for market-pegged assets only"),
        ("GOODCOIN", {"flags": 0x10}, ValidationError, "not valid for a user-issued asset"),
        ("GOODCOIN", {"whitelist_authorities": (ObjectId(1, 2, 16),)}, ValidationError,
         "need the white_list flag"),
        ("GOODCOIN", {"cer": Price(Asset(1, GPX), Asset(1, ObjectId(1, 3, 5)))}, ValidationError,
         r"core_exchange_rate must price 1\.3\.1 against the core asset"),
        ("GOODCOIN", {"cer": Price(Asset(0, GPX), Asset(1, NEW))}, ValidationError,
         "must have positive amounts"),
    ],
)
def test_create_refusals(symbol: str, kwargs: dict[str, Any], error: type[ChainError],
                         match: str) -> None:
    chain = DevChain()
    refuse(chain, create_op(chain, symbol, **kwargs), error, match)


def test_market_pegged_assets_get_bitasset_data() -> None:
    """Market-pegged assets are covered in tests/chain/smartcoin/test_mpa_create.py."""
    chain = DevChain()
    op = msgspec.structs.replace(create_op(chain, "SMARTUSD"), bitasset_opts=BitassetOptions())
    asset_id = push(chain, op).operation_results[0].value
    assert chain.state.asset(asset_id).bitasset_data_id is not None


def test_symbol_taken_and_sub_assets_only_by_the_parent_issuer() -> None:
    chain = DevChain()
    create(chain, "GATEWAY")
    refuse(chain, create_op(chain, "GATEWAY"), ValidationError, "symbol GATEWAY is already taken")
    refuse(chain, create_op(chain, "GATEWAY.BTC", issuer="bob"), PermissionError_,
           r"GATEWAY\.BTC may only be created by the issuer of GATEWAY .*\(alice\)", ["bob"])
    refuse(chain, create_op(chain, "NOPARENT.BTC"), ValidationError, "which does not exist")
    create(chain, "GATEWAY.BTC")


# --- asset_update / asset_update_issuer -----------------------------------------------------------


def test_update_by_issuer_only_and_new_issuer_field_refused() -> None:
    chain = DevChain()
    asset_id = create(chain)
    refuse(chain, update_op(chain, asset_id, issuer="bob", description="x"), PermissionError_,
           r"only the issuer .*\(alice\) of GATEWAYBTC may do this, not .*\(bob\)", ["bob"])
    op = msgspec.structs.replace(update_op(chain, asset_id), new_issuer=chain.account_id("bob"))
    refuse(chain, op, ValidationError, "use asset_update_issuer")
    push(chain, update_op(chain, asset_id, description="a gateway IOU", flags=CHARGE_MARKET_FEE))
    updated = chain.state.asset(asset_id).options
    assert updated.description == "a gateway IOU" and updated.flags == CHARGE_MARKET_FEE


def test_flag_changes_follow_permissions_and_revoked_permissions_stay_revoked() -> None:
    chain = DevChain()
    asset_id = create(chain)
    revoked = UIA_PERMISSIONS & ~TRANSFER_RESTRICTED
    push(chain, update_op(chain, asset_id, issuer_permissions=revoked))
    refuse(chain, update_op(chain, asset_id, flags=TRANSFER_RESTRICTED), PermissionError_,
           "changing flag bits 0x8 of GATEWAYBTC is forbidden by its issuer permissions")
    issue(chain, asset_id, 1000)
    refuse(chain, update_op(chain, asset_id, issuer_permissions=UIA_PERMISSIONS), PermissionError_,
           r"cannot reinstate revoked issuer permission bits 0x8 of GATEWAYBTC while its supply "
           r"is non-zero \(0\.1000 GATEWAYBTC\)")
    refuse(chain, update_op(chain, asset_id, max_supply=999), ValidationError,
           r"new max_supply 0\.0999 GATEWAYBTC is below the current supply 0\.1000 GATEWAYBTC")
    bad_rate = update_op(chain, asset_id,
                         core_exchange_rate=Price(Asset(1, GPX), Asset(1, ObjectId(1, 3, 9))))
    refuse(chain, bad_rate, ValidationError, rf"must price {asset_id} against the core asset")


def test_locked_max_supply_cannot_change() -> None:
    chain = DevChain()
    asset_id = create(chain)
    push(chain, update_op(chain, asset_id, flags=LOCK_MAX_SUPPLY))
    refuse(chain, update_op(chain, asset_id, max_supply=10**13), PermissionError_,
           "the max supply of GATEWAYBTC is locked")


def test_update_issuer() -> None:
    chain = DevChain()
    asset_id = create(chain)
    bob = chain.account_id("bob")
    op = AssetUpdateIssuer(Asset(0, GPX), chain.account_id("carol"), asset_id, bob)
    refuse(chain, op, PermissionError_, r"only the issuer .*\(alice\)", ["carol"])
    op = AssetUpdateIssuer(Asset(0, GPX), chain.account_id("alice"), asset_id, ObjectId(1, 2, 500))
    refuse(chain, op, UnknownObjectError, r"unknown account 1\.2\.500")
    push(chain, AssetUpdateIssuer(Asset(0, GPX), chain.account_id("alice"), asset_id, bob))
    assert chain.state.asset(asset_id).issuer == bob


# --- asset_issue / asset_reserve ------------------------------------------------------------------


def test_issue_within_max_supply_by_the_issuer() -> None:
    chain = DevChain()
    asset_id = create(chain, max_supply=100_000)
    issue(chain, asset_id, 60_000)
    assert chain.balance("bob", asset_id) == 60_000
    assert dyn(chain, asset_id).current_supply == 60_000
    op = AssetIssue(Asset(0, GPX), chain.account_id("alice"), Asset(50_000, asset_id),
                    chain.account_id("bob"))
    refuse(chain, op, ValidationError,
           r"asset_issue: issuing 5\.0000 GATEWAYBTC would bring the supply to "
           r"11\.0000 GATEWAYBTC, "
           r"above max_supply 10\.0000 GATEWAYBTC")
    op = AssetIssue(Asset(0, GPX), chain.account_id("bob"), Asset(1, asset_id),
                    chain.account_id("bob"))
    refuse(chain, op, PermissionError_, "only the issuer", ["bob"])
    op = AssetIssue(Asset(0, GPX), chain.account_id("alice"), Asset(1, asset_id),
                    ObjectId(1, 2, 400))
    refuse(chain, op, UnknownObjectError, r"unknown account 1\.2\.400")
    op = AssetIssue(Asset(0, GPX), chain.account_id("alice"), chain.gpx(1), chain.account_id("bob"))
    refuse(chain, op, ValidationError, "the core asset cannot be issued")


def test_disabled_new_supply() -> None:
    chain = DevChain()
    asset_id = create(chain, flags=DISABLE_NEW_SUPPLY)
    op = AssetIssue(Asset(0, GPX), chain.account_id("alice"), Asset(1, asset_id),
                    chain.account_id("bob"))
    refuse(chain, op, PermissionError_, "new supply of GATEWAYBTC is disabled")


def test_reserve_burns_from_the_payer() -> None:
    chain = DevChain()
    asset_id = create(chain)
    issue(chain, asset_id, 10_000)
    push(chain, AssetReserve(Asset(0, GPX), chain.account_id("bob"), Asset(4_000, asset_id)),
         ["bob"])
    assert chain.balance("bob", asset_id) == 6_000
    assert dyn(chain, asset_id).current_supply == 6_000
    refuse(chain, AssetReserve(Asset(0, GPX), chain.account_id("carol"), Asset(1, asset_id)),
           InsufficientBalance, r"\(carol\) has 0\.0000 GATEWAYBTC, needs 0\.0001 GATEWAYBTC",
           ["carol"])
    core_supply = dyn(chain, GPX).current_supply
    push(chain, AssetReserve(Asset(0, GPX), chain.account_id("carol"), chain.gpx(10)), ["carol"])
    assert dyn(chain, GPX).current_supply == core_supply - chain.gpx(10).amount


# --- fee pool, fees, and paying fees in a user-issued asset ---------------------------------------


def test_fee_paid_in_a_user_issued_asset() -> None:
    chain = DevChain()
    asset_id = create(chain, cer=Price(Asset(3, GPX), Asset(2, NEW)))
    issue(chain, asset_id, 10_000_000)
    seeded = dyn(chain, asset_id).fee_pool
    refuse(chain, AssetClaimPool(Asset(0, GPX), chain.account_id("bob"), asset_id, chain.gpx(1)),
           PermissionError_, "only the issuer", ["bob"])
    refuse(chain, AssetClaimPool(Asset(0, GPX), chain.account_id("alice"), asset_id,
                                 Asset(seeded + 1, GPX)), InsufficientBalance, "cannot claim")
    alice = chain.balance("alice")
    op = with_fee(chain, AssetClaimPool(Asset(0, GPX), chain.account_id("alice"), asset_id,
                                        Asset(seeded, GPX)))
    chain.push([op], ["alice"])
    assert dyn(chain, asset_id).fee_pool == 0
    assert chain.balance("alice") == alice + seeded - op.fee.amount

    required = fee_for(chain.state.params.current_fees,
                       Transfer(Asset(0, GPX), chain.account_id("bob"), chain.account_id("carol"),
                                Asset(1, asset_id)))
    fee_x = (required * 2 + 2) // 3  # smallest amount worth at least `required` at 3 GPX / 2 X
    core_worth = fee_x * 3 // 2
    pay = Transfer(Asset(fee_x, asset_id), chain.account_id("bob"), chain.account_id("carol"),
                   Asset(1_000_000, asset_id))
    before = chain.state.state_hash()
    with pytest.raises(FeeError, match=r"fee pool of GATEWAYBTC has 0\.00000 GPX, needs "):
        chain.push([pay], ["bob"])
    assert chain.state.state_hash() == before

    push(chain, AssetFundFeePool(Asset(0, GPX), chain.account_id("alice"), asset_id,
                                 chain.gpx(100).amount))
    assert dyn(chain, asset_id).fee_pool == chain.gpx(100).amount
    bob_core = chain.balance("bob")
    chain.push([pay], ["bob"])
    assert chain.balance("bob", asset_id) == 10_000_000 - 1_000_000 - fee_x
    assert chain.balance("carol", asset_id) == 1_000_000
    assert chain.balance("bob") == bob_core
    assert dyn(chain, asset_id).accumulated_fees == fee_x
    assert dyn(chain, asset_id).fee_pool == chain.gpx(100).amount - core_worth

    too_little = msgspec.structs.replace(pay, fee=Asset(fee_x - 1, asset_id))
    with pytest.raises(FeeError, match="insufficient fee"):
        chain.push([too_little], ["bob"])

    refuse(chain, AssetClaimFees(Asset(0, GPX), chain.account_id("alice"),
                                 Asset(fee_x + 1, asset_id)), InsufficientBalance, "cannot claim")
    push(chain, AssetClaimFees(Asset(0, GPX), chain.account_id("alice"), Asset(fee_x, asset_id)))
    assert dyn(chain, asset_id).accumulated_fees == 0
    assert chain.balance("alice", asset_id) == fee_x


def test_fund_fee_pool_needs_the_balance() -> None:
    chain = DevChain()
    asset_id = create(chain)
    refuse(chain, AssetFundFeePool(Asset(0, GPX), chain.account_id("carol"), asset_id,
                                   chain.gpx(2_000_000).amount), InsufficientBalance,
           r"\(carol\) has 1000000\.00000 GPX, needs 2000000\.00000 GPX", ["carol"])
    refuse(chain, AssetFundFeePool(Asset(0, GPX), chain.account_id("carol"), asset_id, 0),
           ValidationError, "amount must be positive", ["carol"])
