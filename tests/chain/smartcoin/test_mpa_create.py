"""Market-pegged assets: creation with bitasset options (core's checks), what issue, reserve,
asset_update and asset_update_issuer allow for them, and asset_update_bitasset."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from graphex.chain.errors import (
    ChainError,
    PermissionError_,
    UnknownObjectError,
    ValidationError,
)
from graphex.chain.evaluators import EVALUATORS
from graphex.protocol import ids
from graphex.protocol.ids import ObjectId
from graphex.protocol.operations import AssetIssue, AssetReserve, AssetUpdateIssuer
from graphex.protocol.types import Asset, Price
from graphex.testing.chain import GPX, DevChain
from tests.chain.evaluators.helpers import push, refuse
from tests.chain.evaluators.test_asset import create, update_op
from tests.chain.smartcoin.helpers import (
    COMMITTEE_FED,
    MPA_PERMISSIONS,
    WITNESS_FED,
    bitasset,
    create_mpa,
    create_mpa_op,
    price,
    publish_feed,
    set_feed_producers,
    update_bitasset,
    update_bitasset_op,
)

BTC = ObjectId(1, 3, 1)
GLOBAL_SETTLE, DISABLE_FORCE_SETTLE = 0x20, 0x10
DISABLE_MCR_UPDATE, DISABLE_ICR_UPDATE, DISABLE_MSSR_UPDATE = 0x800, 0x1000, 0x2000
DISABLE_BSRM_UPDATE = 0x4000


# --- creation -----------------------------------------------------------------------------------


def test_create_makes_the_bitasset_data() -> None:
    chain = DevChain()
    usd = create_mpa(chain, "USD", feed_lifetime_sec=3600, minimum_feeds=3,
                     maintenance_collateral_ratio=1600)
    asset = chain.state.asset(usd)
    data = bitasset(chain, usd)
    assert asset.bitasset_data_id == data.id and data.id[:2] == ids.ASSET_BITASSET_DATA
    assert data.asset_id == usd
    assert data.options.feed_lifetime_sec == 3600 and data.options.minimum_feeds == 3
    assert data.options.short_backing_asset == GPX
    assert data.options.extensions.maintenance_collateral_ratio == 1600
    assert not data.is_prediction_market and not data.has_settlement()
    assert data.feeds == () and data.median_feed.is_null() and data.current_feed.is_null()
    # the first block's feed update found no feed: publication time is the block's time
    assert data.current_feed_publication_time == chain.state.head_time
    assert asset.options.core_exchange_rate == Price(Asset(1, usd), Asset(1, GPX))


def test_mpa_backed_by_a_uia_or_by_an_mpa_backed_by_core() -> None:
    chain = DevChain()
    on_btc = create_mpa(chain, "BTCUSD", short_backing_asset=BTC)
    usd = create_mpa(chain, "USD")
    on_usd = create_mpa(chain, "USDBOND", short_backing_asset=usd)
    assert bitasset(chain, on_btc).options.short_backing_asset == BTC
    assert bitasset(chain, on_usd).options.short_backing_asset == usd


def test_prediction_market_has_its_backing_precision() -> None:
    chain = DevChain()
    pm = create_mpa(chain, "ELECTION", precision=5, is_prediction_market=True, flags=0)
    assert bitasset(chain, pm).is_prediction_market
    refuse(chain, create_mpa_op(chain, "REFERENDUM", precision=4, is_prediction_market=True,
                                flags=0),
           ValidationError, "precision 4 must equal its backing asset GPX's precision 5")


@pytest.mark.parametrize(
    ("overrides", "match"),
    [
        ({"minimum_feeds": 0}, "minimum_feeds must be positive"),
        ({"force_settlement_offset_percent": 10001},
         "force_settlement_offset_percent 10001 exceeds 10000"),
        ({"maximum_force_settlement_volume": 10001},
         "maximum_force_settlement_volume 10001 exceeds 10000"),
        ({"margin_call_fee_ratio": 32001}, "margin_call_fee_ratio 32001 exceeds 32000"),
        ({"initial_collateral_ratio": 1000}, r"initial_collateral_ratio 1000 must be in \[1001"),
        ({"maintenance_collateral_ratio": 32001}, "maintenance_collateral_ratio 32001 must be in"),
        ({"maximum_short_squeeze_ratio": 1000}, "maximum_short_squeeze_ratio 1000 must be in"),
        ({"force_settle_fee_percent": 10001}, "force_settle_fee_percent 10001 exceeds 10000"),
        ({"black_swan_response_method": 4}, "black_swan_response_method 4 must be less than 4"),
        ({"flags": GLOBAL_SETTLE}, "flag bits 0x20 are issuer permissions only"),
        ({"flags": DISABLE_MCR_UPDATE}, "flag bits 0x800 are issuer permissions only"),
        ({"flags": WITNESS_FED | COMMITTEE_FED}, "both witness-fed and committee-fed"),
        ({"feed_lifetime_sec": 1}, "feed_lifetime_sec 1 s must exceed the block interval 1 s"),
        ({"force_settlement_delay_sec": 0},
         "force_settlement_delay_sec 0 s must exceed the block interval"),
        ({"is_prediction_market": True, "precision": 5, "issuer_permissions": 0x1DF},
         "prediction market needs the global_settle permission"),
        ({"is_prediction_market": True, "precision": 5,
          "issuer_permissions": MPA_PERMISSIONS | DISABLE_BSRM_UPDATE},
         "cannot have the disable_bsrm_update permission"),
        ({"is_prediction_market": True, "precision": 5, "black_swan_response_method": 1},
         "prediction market cannot set black_swan_response_method"),
    ],
)
def test_create_refusals(overrides: dict[str, Any], match: str) -> None:
    chain = DevChain()
    refuse(chain, create_mpa_op(chain, "USD", **overrides), ValidationError, match)


def test_unknown_backing_asset_and_backed_by_itself() -> None:
    chain = DevChain()
    refuse(chain, create_mpa_op(chain, "USD", short_backing_asset=ObjectId(1, 3, 99)),
           UnknownObjectError, r"backing asset 1\.3\.99 does not exist")
    # the asset's own id (the next one) does not exist yet when it is created
    refuse(chain, create_mpa_op(chain, "USD", short_backing_asset=ObjectId(1, 3, 2)),
           UnknownObjectError, r"backing asset 1\.3\.2 does not exist")


def test_no_three_level_backing_chain() -> None:
    chain = DevChain()
    usd = create_mpa(chain, "USD")
    bond = create_mpa(chain, "USDBOND", short_backing_asset=usd)
    refuse(chain, create_mpa_op(chain, "BONDBOND", short_backing_asset=bond), ValidationError,
           "backed by USDBOND, which is backed by USD, itself market-pegged")


def test_committee_mpa_must_end_in_core() -> None:
    chain = DevChain()
    op = msgspec.structs.replace(create_mpa_op(chain, "CUSD", short_backing_asset=BTC),
                                 issuer=ids.COMMITTEE_ACCOUNT)
    with pytest.raises(ValidationError, match="committee.*must be backed by the core asset"):
        EVALUATORS[type(op)].evaluate(chain.state, op)
    ok = msgspec.structs.replace(create_mpa_op(chain, "CUSD"), issuer=ids.COMMITTEE_ACCOUNT)
    EVALUATORS[type(ok)].evaluate(chain.state, ok)


def test_prediction_market_needs_bitasset_options() -> None:
    chain = DevChain()
    op = msgspec.structs.replace(create_mpa_op(chain, "USD"), bitasset_opts=None,
                                 is_prediction_market=True)
    refuse(chain, op, ValidationError, "prediction market must be market-pegged")


# --- supply: only borrowing ---------------------------------------------------------------------


def test_no_issue_and_no_reserve() -> None:
    chain = DevChain()
    usd = create_mpa(chain)
    refuse(chain, AssetIssue(Asset(0, GPX), chain.account_id("alice"), Asset(1, usd),
                             chain.account_id("bob")),
           ValidationError, "cannot manually issue USD, a market-issued asset")
    refuse(chain, AssetReserve(Asset(0, GPX), chain.account_id("alice"), Asset(1, usd)),
           ValidationError, "cannot reserve USD because it is a market-issued asset")


# --- asset_update and asset_update_issuer -------------------------------------------------------


def test_update_flags_of_an_mpa() -> None:
    chain = DevChain()
    usd = create_mpa(chain)
    push(chain, update_op(chain, usd, flags=COMMITTEE_FED | DISABLE_FORCE_SETTLE))
    assert chain.state.asset(usd).options.flags == COMMITTEE_FED | DISABLE_FORCE_SETTLE
    refuse(chain, update_op(chain, usd, flags=GLOBAL_SETTLE), ValidationError,
           "flag bits 0x20 are issuer permissions only")
    refuse(chain, update_op(chain, usd, flags=WITNESS_FED | COMMITTEE_FED), ValidationError,
           "both witness-fed and committee-fed")
    # without the permission, the flag is locked
    push(chain, update_op(chain, usd, issuer_permissions=MPA_PERMISSIONS & ~COMMITTEE_FED))
    refuse(chain, update_op(chain, usd, flags=DISABLE_FORCE_SETTLE), PermissionError_,
           "changing flag bits 0x100 of USD is forbidden")


def test_prediction_market_keeps_global_settle() -> None:
    chain = DevChain()
    pm = create_mpa(chain, "ELECTION", precision=5, is_prediction_market=True, flags=0)
    refuse(chain, update_op(chain, pm, issuer_permissions=MPA_PERMISSIONS & ~GLOBAL_SETTLE),
           ValidationError, "prediction market and must keep the global_settle permission")
    refuse(chain, update_op(chain, pm, issuer_permissions=MPA_PERMISSIONS | DISABLE_BSRM_UPDATE),
           ValidationError, "cannot have the disable_bsrm_update permission")


def test_issuer_rate_change_marks_and_the_feed_rate_wins() -> None:
    chain = DevChain()
    usd = create_mpa(chain)
    feed_rate = Price(Asset(100, usd), Asset(2000, GPX))
    publish_feed(chain, usd, price(100, usd, 2000), cer=feed_rate)
    assert chain.state.asset(usd).options.core_exchange_rate == feed_rate
    # the issuer's own rate is overwritten by the feed's at the end of the same block
    push(chain, update_op(chain, usd, core_exchange_rate=Price(Asset(1, usd), Asset(7, GPX))))
    assert chain.state.asset(usd).options.core_exchange_rate == feed_rate
    data = bitasset(chain, usd)
    assert not data.asset_cer_updated and not data.feed_cer_updated


def test_issuer_rate_stays_without_a_feed() -> None:
    chain = DevChain()
    usd = create_mpa(chain)
    rate = Price(Asset(1, usd), Asset(7, GPX))
    push(chain, update_op(chain, usd, core_exchange_rate=rate))
    assert chain.state.asset(usd).options.core_exchange_rate == rate
    assert bitasset(chain, usd).asset_cer_updated  # waits for a feed with a rate


def test_precision_of_a_backing_asset_is_fixed() -> None:
    chain = DevChain()
    gold = create(chain, "GOLD")
    create_mpa(chain, "GOLDUSD", short_backing_asset=gold)
    op = update_op(chain, gold)
    op = msgspec.structs.replace(op, extensions=msgspec.structs.replace(op.extensions,
                                                                       new_precision=2))
    refuse(chain, op, ValidationError, "cannot change the precision of GOLD: GOLDUSD is backed")


def test_committee_issuer_needs_a_core_backed_mpa() -> None:
    chain = DevChain()
    on_btc = create_mpa(chain, "BTCUSD", short_backing_asset=BTC)
    refuse(chain, AssetUpdateIssuer(Asset(0, GPX), chain.account_id("alice"), on_btc,
                                    ids.COMMITTEE_ACCOUNT),
           ValidationError, "committee.*must be backed by the core asset, not BTC")


# --- asset_update_bitasset ----------------------------------------------------------------------


def test_update_bitasset_options() -> None:
    chain = DevChain()
    usd = create_mpa(chain)
    update_bitasset(chain, usd, force_settlement_offset_percent=100, margin_call_fee_ratio=50)
    options = bitasset(chain, usd).options
    assert options.force_settlement_offset_percent == 100
    assert options.extensions.margin_call_fee_ratio == 50


@pytest.mark.parametrize(
    ("permission", "field", "name"),
    [
        (DISABLE_MCR_UPDATE, "maintenance_collateral_ratio", "MCR"),
        (DISABLE_ICR_UPDATE, "initial_collateral_ratio", "ICR"),
        (DISABLE_MSSR_UPDATE, "maximum_short_squeeze_ratio", "MSSR"),
    ],
)
def test_owner_ratio_needs_its_permission(permission: int, field: str, name: str) -> None:
    chain = DevChain()
    usd = create_mpa(chain, issuer_permissions=MPA_PERMISSIONS | permission)
    refuse(chain, update_bitasset_op(chain, usd, **{field: 2000}), PermissionError_,
           f"may not update the {name} of USD")


def test_bsrm_update_rules() -> None:
    chain = DevChain()
    usd = create_mpa(chain, issuer_permissions=MPA_PERMISSIONS | DISABLE_BSRM_UPDATE)
    refuse(chain, update_bitasset_op(chain, usd, black_swan_response_method=1), PermissionError_,
           "may not update the black swan response method")
    free = create_mpa(chain, "EURCOIN")
    update_bitasset(chain, free, black_swan_response_method=1)
    assert bitasset(chain, free).options.black_swan_response_method == 1
    pm = create_mpa(chain, "ELECTION", precision=5, is_prediction_market=True, flags=0)
    refuse(chain, update_bitasset_op(chain, pm, black_swan_response_method=0), ValidationError,
           "prediction market and cannot set black_swan_response_method")


@pytest.mark.parametrize(
    ("overrides", "error", "match"),
    [
        ({"short_backing_asset": ObjectId(1, 3, 2)}, ValidationError, "cannot be backed by itself"),
        ({"short_backing_asset": ObjectId(1, 3, 77)}, UnknownObjectError,
         r"backing asset 1\.3\.77 does not exist"),
        ({"feed_lifetime_sec": 1}, ValidationError, "must exceed the block interval"),
        ({"minimum_feeds": 0}, ValidationError, "minimum_feeds must be positive"),
    ],
)
def test_update_bitasset_refusals(overrides: dict[str, Any], error: type[ChainError],
                                  match: str) -> None:
    chain = DevChain()
    usd = create_mpa(chain)
    refuse(chain, update_bitasset_op(chain, usd, **overrides), error, match)


def test_update_bitasset_only_by_the_issuer_of_an_mpa() -> None:
    chain = DevChain()
    usd = create_mpa(chain)
    refuse(chain, update_bitasset_op(chain, usd, "bob"), PermissionError_,
           "only the issuer .*alice.* of USD", signers=["bob"])
    op = msgspec.structs.replace(update_bitasset_op(chain, usd), asset_to_update=BTC)
    refuse(chain, op, ValidationError, "BTC .* is not a market-pegged asset")


def test_backing_change_keeps_children_valid() -> None:
    chain = DevChain()
    usd = create_mpa(chain, "USD")
    eur = create_mpa(chain, "EURCOIN")
    create_mpa(chain, "USDBOND", short_backing_asset=usd)
    refuse(chain, update_bitasset_op(chain, usd, short_backing_asset=eur), ValidationError,
           "USDBOND is backed by USD, which then cannot be backed by the market-pegged EURCOIN")
    update_bitasset(chain, usd, short_backing_asset=BTC)  # a UIA is fine
    assert bitasset(chain, usd).options.short_backing_asset == BTC


def test_backing_change_drops_witness_feeds_and_nulls_producer_feeds() -> None:
    chain = DevChain()
    usd = create_mpa(chain, "USD")
    publish_feed(chain, usd, price(100, usd, 2000))
    update_bitasset(chain, usd, short_backing_asset=BTC)
    data = bitasset(chain, usd)
    assert data.feeds == () and data.median_feed.is_null()

    eur = create_mpa(chain, "EURCOIN", flags=0)
    set_feed_producers(chain, eur, ["bob"])
    publish_feed(chain, eur, price(100, eur, 2000), publisher="bob")
    update_bitasset(chain, eur, short_backing_asset=BTC)
    data = bitasset(chain, eur)
    (producer, (published, feed)), = data.feeds
    assert producer == chain.account_id("bob") and published != 0
    assert feed.settlement_price.base.amount == 0  # nulled, kept
    assert data.median_feed.settlement_price.base.amount == 0
