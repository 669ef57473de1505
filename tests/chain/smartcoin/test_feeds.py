"""Price feeds: who may publish, the median per field (upper median), expiry, minimum feeds, the
owner's ratio overrides, the collateralization caches, the core exchange rate, feed producers,
and refusals (``reference/bitshares.md`` §3.2)."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from graphex.api.market_format import raw_price_to_string
from graphex.chain.errors import (
    ChainError,
    PermissionError_,
    UnknownObjectError,
    ValidationError,
)
from graphex.chain.smartcoin.feeds import clear_expired_feeds_at_maintenance
from graphex.protocol.ids import ObjectId
from graphex.protocol.types import Asset, Price
from graphex.testing.chain import GPX, DevChain
from tests.chain.evaluators.helpers import refuse
from tests.chain.smartcoin.helpers import (
    COMMITTEE_FED,
    bitasset,
    create_mpa,
    publish_feed,
    publish_feed_op,
    set_feed_producers,
    set_feed_producers_op,
    update_bitasset,
)

BTC = ObjectId(1, 3, 1)
WITNESSES = [f"init{i}" for i in range(11)]


def usd_price(chain: DevChain, usd: ObjectId, debt: int, collateral: int = 100_000) -> Price:
    return Price(Asset(debt, usd), Asset(collateral, GPX))


# --- seed 002 -----------------------------------------------------------------------------------


def test_seed_002_feed_reads_0_2053_usd_per_gpx() -> None:
    """A feed of 16050000 USD units (precision 4) per 781600000 GPX units (precision 5) is stored
    exactly and reads 0.2053… USD/GPX (truncated to USD's precision: 0.2053)."""
    chain = DevChain()
    usd = create_mpa(chain)
    publish_feed(chain, usd, Price(Asset(16050000, usd), Asset(781600000, GPX)))
    feed = bitasset(chain, usd).median_feed.settlement_price
    assert (feed.base.amount, feed.quote.amount) == (16050000, 781600000)
    text = raw_price_to_string(feed.base.amount, feed.quote.amount, 4, 5)
    assert text.startswith("0.2053")
    whole, decimals = text.split(".")
    assert f"{whole}.{decimals[:4]}" == "0.2053"


# --- the median ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("debts", "median"),
    [
        ([500], 500),
        ([500, 700], 700),  # index n // 2: the upper median
        ([700, 500, 600], 600),
        ([800, 500, 700, 600], 700),
    ],
)
def test_median_settlement_price(debts: list[int], median: int) -> None:
    chain = DevChain()
    usd = create_mpa(chain)
    for publisher, debt in zip(WITNESSES, debts):
        publish_feed(chain, usd, usd_price(chain, usd, debt), publisher=publisher)
    data = bitasset(chain, usd)
    assert data.median_feed.settlement_price == usd_price(chain, usd, median)
    assert data.current_feed == data.median_feed
    assert len(data.feeds) == len(debts)


def test_each_field_has_its_own_median() -> None:
    chain = DevChain()
    usd = create_mpa(chain)
    rows = [  # (debt per 1 GPX, MCR, MSSR, ICR, CER debt)
        (500, 2000, 1100, 2500, 40),
        (600, 1500, 1300, None, 30),
        (700, 1750, 1200, 1600, 50),
    ]
    for publisher, (debt, mcr, mssr, icr, cer) in zip(WITNESSES, rows):
        publish_feed(chain, usd, usd_price(chain, usd, debt), publisher=publisher, mcr=mcr,
                     mssr=mssr, icr=icr, cer=usd_price(chain, usd, cer))
    median = bitasset(chain, usd).median_feed
    assert median.settlement_price == usd_price(chain, usd, 600)
    assert median.maintenance_collateral_ratio == 1750
    assert median.maximum_short_squeeze_ratio == 1200
    assert median.initial_collateral_ratio == 1600  # a missing ICR counts as the feed's MCR 1500
    assert median.core_exchange_rate == usd_price(chain, usd, 40)


def test_median_compares_prices_by_value() -> None:
    chain = DevChain()
    usd = create_mpa(chain)
    publish_feed(chain, usd, usd_price(chain, usd, 3, 5), publisher="init0")  # 0.6
    publish_feed(chain, usd, usd_price(chain, usd, 1, 2), publisher="init1")  # 0.5
    publish_feed(chain, usd, usd_price(chain, usd, 7, 10), publisher="init2")  # 0.7
    assert bitasset(chain, usd).median_feed.settlement_price == usd_price(chain, usd, 3, 5)


def test_republishing_replaces_the_publishers_feed() -> None:
    chain = DevChain()
    usd = create_mpa(chain)
    publish_feed(chain, usd, usd_price(chain, usd, 500))
    publish_feed(chain, usd, usd_price(chain, usd, 900))
    data = bitasset(chain, usd)
    assert len(data.feeds) == 1
    assert data.median_feed.settlement_price == usd_price(chain, usd, 900)


def test_minimum_feeds() -> None:
    chain = DevChain()
    usd = create_mpa(chain, minimum_feeds=2)
    publish_feed(chain, usd, usd_price(chain, usd, 500), publisher="init0")
    data = bitasset(chain, usd)
    assert data.median_feed.is_null()
    assert data.current_maintenance_collateralization.base.amount == 0
    # too few feeds: the publication time is the publish's (the head before its block)
    assert data.current_feed_publication_time == chain.state.head_time - 1
    publish_feed(chain, usd, usd_price(chain, usd, 700), publisher="init1")
    assert bitasset(chain, usd).median_feed.settlement_price == usd_price(chain, usd, 700)
    update_bitasset(chain, usd, minimum_feeds=3)  # the median is recomputed at once
    assert bitasset(chain, usd).median_feed.is_null()


def test_collateralization_caches() -> None:
    chain = DevChain()
    usd = create_mpa(chain)
    publish_feed(chain, usd, usd_price(chain, usd, 500), mcr=1750, icr=2000)
    data = bitasset(chain, usd)
    # ~F * MCR/1000 = 100000 GPX / 500 USD * 1.75, reduced
    assert data.current_maintenance_collateralization == Price(Asset(350, GPX), Asset(1, usd))
    assert data.current_initial_collateralization == Price(Asset(400, GPX), Asset(1, usd))
    publish_feed(chain, usd, usd_price(chain, usd, 500), mcr=1750, icr=1500)  # ICR <= MCR
    data = bitasset(chain, usd)
    assert data.current_initial_collateralization == data.current_maintenance_collateralization


# --- owner overrides ----------------------------------------------------------------------------


@pytest.mark.parametrize("feeds", [1, 3])
def test_owner_ratios_replace_the_feeds(feeds: int) -> None:
    chain = DevChain()
    usd = create_mpa(chain, maintenance_collateral_ratio=2000, maximum_short_squeeze_ratio=1250,
                     initial_collateral_ratio=2400)
    for publisher in WITNESSES[:feeds]:
        publish_feed(chain, usd, usd_price(chain, usd, 500), publisher=publisher, mcr=1500,
                     mssr=1100, icr=1800)
    median = bitasset(chain, usd).median_feed
    assert (median.maintenance_collateral_ratio, median.maximum_short_squeeze_ratio,
            median.initial_collateral_ratio) == (2000, 1250, 2400)
    # the publishers' own values stay in their entries
    (_, (_, own)), *_ = bitasset(chain, usd).feeds
    assert own.maintenance_collateral_ratio == 1500


def test_owner_ratio_set_later_takes_effect_at_once() -> None:
    chain = DevChain()
    usd = create_mpa(chain)
    publish_feed(chain, usd, usd_price(chain, usd, 500), mcr=1500)
    update_bitasset(chain, usd, maintenance_collateral_ratio=3000)
    data = bitasset(chain, usd)
    assert data.median_feed.maintenance_collateral_ratio == 3000
    assert data.current_maintenance_collateralization == Price(Asset(600, GPX), Asset(1, usd))


# --- expiry -------------------------------------------------------------------------------------


def test_feeds_expire_after_their_lifetime_strictly() -> None:
    chain = DevChain()
    usd = create_mpa(chain, feed_lifetime_sec=60)
    publish_feed(chain, usd, usd_price(chain, usd, 500), publisher="init0")
    first = chain.state.head_time - 1  # feeds carry the time of the head before their block
    chain.produce(skip_slots=20)
    publish_feed(chain, usd, usd_price(chain, usd, 700), publisher="init1")
    second = chain.state.head_time - 1
    data = bitasset(chain, usd)
    assert data.current_feed_publication_time == first
    assert data.median_feed.settlement_price == usd_price(chain, usd, 700)
    # at first + 59 s the first feed still lives
    chain.produce(skip_slots=first + 59 - chain.state.head_time - 1)
    assert chain.state.head_time == first + 59
    assert bitasset(chain, usd).current_feed_publication_time == first
    # at first + 60 s it is gone: only the second one is left
    chain.produce()
    data = bitasset(chain, usd)
    assert data.current_feed_publication_time == second
    assert data.median_feed.settlement_price == usd_price(chain, usd, 700)
    assert len(data.feeds) == 2  # expired feeds stay stored
    chain.produce(skip_slots=second + 60 - chain.state.head_time - 1)
    data = bitasset(chain, usd)
    assert data.median_feed.is_null()
    assert data.current_feed.is_null()
    assert data.current_maintenance_collateralization.base.amount == 0
    assert data.current_feed_publication_time == chain.state.head_time


def test_witness_feeds_are_deleted_at_maintenance_when_expired() -> None:
    chain = DevChain()
    usd = create_mpa(chain, feed_lifetime_sec=60)
    publish_feed(chain, usd, usd_price(chain, usd, 500), publisher="init0")
    chain.produce(skip_slots=100)
    publish_feed(chain, usd, usd_price(chain, usd, 700), publisher="init1")
    clear_expired_feeds_at_maintenance(chain.state, bitasset(chain, usd))
    (publisher, _), = bitasset(chain, usd).feeds
    assert publisher == chain.account_id("init1")


# --- the core exchange rate ---------------------------------------------------------------------


def test_median_rate_becomes_the_assets_rate() -> None:
    chain = DevChain()
    usd = create_mpa(chain)
    first = Price(Asset(95, usd), Asset(2000, GPX))
    publish_feed(chain, usd, usd_price(chain, usd, 100, 2000), cer=first)
    assert chain.state.asset(usd).options.core_exchange_rate == first
    second = Price(Asset(90, usd), Asset(2000, GPX))
    publish_feed(chain, usd, usd_price(chain, usd, 100, 2000), cer=second)
    assert chain.state.asset(usd).options.core_exchange_rate == second
    data = bitasset(chain, usd)
    assert not data.feed_cer_updated and not data.asset_cer_updated


def test_rate_follows_the_median_when_a_feed_expires() -> None:
    chain = DevChain()
    usd = create_mpa(chain, feed_lifetime_sec=30)
    old_rate, new_rate = usd_price(chain, usd, 95, 2000), usd_price(chain, usd, 80, 2000)
    publish_feed(chain, usd, usd_price(chain, usd, 100, 2000), publisher="init0", cer=old_rate)
    chain.produce(skip_slots=10)
    publish_feed(chain, usd, usd_price(chain, usd, 90, 2000), publisher="init1", cer=new_rate)
    assert chain.state.asset(usd).options.core_exchange_rate == old_rate  # upper median of 2
    chain.produce(skip_slots=20)
    assert bitasset(chain, usd).median_feed.core_exchange_rate == new_rate
    assert chain.state.asset(usd).options.core_exchange_rate == new_rate


def test_rate_stays_when_the_feed_expires() -> None:
    chain = DevChain()
    usd = create_mpa(chain, feed_lifetime_sec=10)
    rate = Price(Asset(95, usd), Asset(2000, GPX))
    publish_feed(chain, usd, usd_price(chain, usd, 100, 2000), cer=rate)
    chain.produce(skip_slots=20)
    assert bitasset(chain, usd).median_feed.is_null()
    assert chain.state.asset(usd).options.core_exchange_rate == rate


# --- who may publish ----------------------------------------------------------------------------


def test_producer_fed_asset() -> None:
    chain = DevChain()
    usd = create_mpa(chain, flags=0)
    refuse(chain, publish_feed_op(chain, usd, usd_price(chain, usd, 500), publisher="bob"),
           PermissionError_, r"1\.2\.\d+ \(bob\) is not a feed producer of USD",
           signers=["bob"])
    set_feed_producers(chain, usd, ["bob", "carol"])
    data = bitasset(chain, usd)
    assert [p for p, _ in data.feeds] == [chain.account_id("bob"), chain.account_id("carol")]
    assert all(entry[0] == 0 for _, entry in data.feeds)  # listed, nothing published
    publish_feed(chain, usd, usd_price(chain, usd, 500), publisher="bob")
    publish_feed(chain, usd, usd_price(chain, usd, 700), publisher="carol")
    assert bitasset(chain, usd).median_feed.settlement_price == usd_price(chain, usd, 700)
    # carol is dropped: her feed goes, bob's stays, the median follows at once
    set_feed_producers(chain, usd, ["bob", "dave"])
    data = bitasset(chain, usd)
    assert [p for p, _ in data.feeds] == [chain.account_id("bob"), chain.account_id("dave")]
    assert data.median_feed.settlement_price == usd_price(chain, usd, 500)
    refuse(chain, publish_feed_op(chain, usd, usd_price(chain, usd, 500), publisher="carol"),
           PermissionError_, "not a feed producer", signers=["carol"])
    refuse(chain, publish_feed_op(chain, usd, usd_price(chain, usd, 500), publisher="init0"),
           PermissionError_, "not a feed producer", signers=["init0"])


def test_witness_fed_asset() -> None:
    chain = DevChain()
    usd = create_mpa(chain)
    refuse(chain, publish_feed_op(chain, usd, usd_price(chain, usd, 500), publisher="alice"),
           PermissionError_, "only active witnesses may publish feeds for USD; .*alice")
    publish_feed(chain, usd, usd_price(chain, usd, 500), publisher="init10")


def test_committee_fed_asset() -> None:
    chain = DevChain()
    usd = create_mpa(chain, flags=COMMITTEE_FED)
    refuse(chain, publish_feed_op(chain, usd, usd_price(chain, usd, 500), publisher="alice"),
           PermissionError_, "only active committee members may publish feeds for USD")
    publish_feed(chain, usd, usd_price(chain, usd, 500), publisher="init3")
    assert len(bitasset(chain, usd).feeds) == 1


@pytest.mark.parametrize(
    ("flags", "producers", "signer", "error", "match"),
    [
        (0x80, ["bob"], "alice", ValidationError, "USD is witness-fed"),
        (COMMITTEE_FED, ["bob"], "alice", ValidationError, "USD is committee-fed"),
        (0, ["bob"], "bob", PermissionError_, "only the issuer"),
        (0, [f"init{i}" for i in range(11)], "alice", ValidationError,
         "11 feed producers, more than maximum_asset_feed_publishers 10"),
    ],
)
def test_feed_producer_refusals(flags: int, producers: list[str], signer: str,
                                error: type[ChainError], match: str) -> None:
    chain = DevChain()
    usd = create_mpa(chain, flags=flags)
    refuse(chain, set_feed_producers_op(chain, usd, producers, issuer=signer), error, match,
           signers=[signer])


def test_feed_producers_must_exist_and_asset_be_market_pegged() -> None:
    chain = DevChain()
    usd = create_mpa(chain, flags=0)
    op = msgspec.structs.replace(set_feed_producers_op(chain, usd, ["bob"]),
                                 new_feed_producers=(ObjectId(1, 2, 999),))
    refuse(chain, op, UnknownObjectError, r"1\.2\.999")
    op = msgspec.structs.replace(set_feed_producers_op(chain, usd, ["bob"]), asset_to_update=BTC)
    refuse(chain, op, ValidationError, "BTC .* is not a market-pegged asset")


# --- refusals -----------------------------------------------------------------------------------


def feed_with(chain: DevChain, usd: ObjectId, **changes: Any) -> Any:
    op = publish_feed_op(chain, usd, usd_price(chain, usd, 500))
    return msgspec.structs.replace(op, feed=msgspec.structs.replace(op.feed, **changes))


NULL = Price(Asset(0, GPX), Asset(0, GPX))


@pytest.mark.parametrize(
    ("case", "match"),
    [
        ("null", "the settlement price is null"),
        ("zero", "settlement_price must have positive amounts, got 0/100000"),
        ("inverted", r"settlement_price must price 1\.3\.2 \(as its base\), got 1\.3\.0/1\.3\.2"),
        ("same_assets", "settlement_price must be a ratio of two different assets"),
        ("null_cer", "the core exchange rate is null"),
        ("cer_of_another_asset", r"core_exchange_rate must price 1\.3\.2"),
        ("mcr", r"maintenance_collateral_ratio 1000 must be in \[1001, 32000\]"),
        ("mssr", r"maximum_short_squeeze_ratio 32001 must be in"),
        ("icr", r"initial_collateral_ratio 900 must be in"),
    ],
)
def test_publish_validation(case: str, match: str) -> None:
    chain = DevChain()
    usd = create_mpa(chain)
    good = usd_price(chain, usd, 500)
    op = {
        "null": lambda: feed_with(chain, usd, settlement_price=NULL),
        "zero": lambda: feed_with(chain, usd, settlement_price=usd_price(chain, usd, 0)),
        "inverted": lambda: feed_with(chain, usd, settlement_price=Price(good.quote, good.base)),
        "same_assets": lambda: feed_with(chain, usd, settlement_price=Price(
            Asset(1, usd), Asset(2, usd))),
        "null_cer": lambda: feed_with(chain, usd, core_exchange_rate=NULL),
        "cer_of_another_asset": lambda: feed_with(chain, usd, core_exchange_rate=Price(
            Asset(1, BTC), Asset(5, GPX))),
        "mcr": lambda: feed_with(chain, usd, maintenance_collateral_ratio=1000),
        "mssr": lambda: feed_with(chain, usd, maximum_short_squeeze_ratio=32001),
        "icr": lambda: publish_feed_op(chain, usd, good, icr=900),
    }[case]()
    refuse(chain, op, ValidationError, match, signers=["init0"])


def test_publish_refusals_against_state() -> None:
    chain = DevChain()
    usd = create_mpa(chain)
    wrong_backing = Price(Asset(500, usd), Asset(1, BTC))
    refuse(chain, publish_feed_op(chain, usd, wrong_backing,
                                  cer=Price(Asset(1, usd), Asset(1, GPX))),
           ValidationError, r"must be quoted in its backing asset 1\.3\.0, got 1\.3\.1",
           signers=["init0"])
    on_btc = create_mpa(chain, "BTCUSD", short_backing_asset=BTC)
    refuse(chain, publish_feed_op(chain, on_btc, Price(Asset(5, on_btc), Asset(1, BTC)),
                                  cer=Price(Asset(1, on_btc), Asset(1, BTC))),
           ValidationError, r"core exchange rate of BTCUSD must be quoted in the core asset",
           signers=["init0"])
    publish_feed(chain, on_btc, Price(Asset(5, on_btc), Asset(1, BTC)))  # rate defaults to GPX
    refuse(chain, publish_feed_op(chain, BTC, Price(Asset(5, BTC), Asset(1, GPX))),
           ValidationError, "BTC .* is not a market-pegged asset", signers=["init0"])
    missing = ObjectId(1, 3, 50)
    refuse(chain, publish_feed_op(chain, missing, Price(Asset(5, missing), Asset(1, GPX))),
           UnknownObjectError, r"unknown asset 1\.3\.50", signers=["init0"])


# --- margin calls (the seam to smartcoin/margin.py) ---------------------------------------------


def test_margin_calls_run_when_margin_call_parameters_change(monkeypatch: Any) -> None:
    margin = pytest.importorskip("graphex.chain.smartcoin.margin")
    calls: list[ObjectId] = []
    monkeypatch.setattr(margin, "check_call_orders",
                        lambda state, asset, **_: calls.append(asset.id) or False)
    chain = DevChain()
    usd = create_mpa(chain)
    publish_feed(chain, usd, usd_price(chain, usd, 500), cer=usd_price(chain, usd, 40))
    assert calls == [usd]
    # only the rate changes: no margin call check
    publish_feed(chain, usd, usd_price(chain, usd, 500), cer=usd_price(chain, usd, 30))
    assert calls == [usd]
    publish_feed(chain, usd, usd_price(chain, usd, 500), mssr=1200)
    assert calls == [usd, usd]
