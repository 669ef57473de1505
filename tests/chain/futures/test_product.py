"""futures_product_create / futures_product_update through real devnet transactions: the product
and its four series list at once; every refusal names its rule and leaves the state untouched;
an update reaches only series listed afterwards."""

from __future__ import annotations

import pytest

from graphex.chain import block_apply
from graphex.chain.errors import PermissionError_, UnknownObjectError
from graphex.chain.futures.calendar import cutoff_time, delivery_time
from graphex.chain.futures.errors import ProductError
from graphex.chain.futures.listing import list_due_series
from graphex.chain.state import ChainState
from graphex.protocol.ids import ObjectId
from graphex.protocol.operations.futures import (
    MARK_FEED,
    FuturesProductUpdate,
    FuturesSeriesList,
)
from graphex.protocol.types import Asset
from graphex.testing.chain import GPX, DevChain
from tests.chain.evaluators.helpers import push, refuse
from tests.chain.futures.product_helpers import (
    LOT_GPX,
    advance_to,
    chain_at,
    create_product,
    months_of,
    parameters,
    product,
    product_op,
    series_of,
    utc,
)
from tests.chain.smartcoin.helpers import create_mpa

BTC = ObjectId(1, 3, 1)
NOV_21 = utc(2026, 11, 21)
MARGINS = "margins must satisfy 0 < maintenance < initial <= 1000000 ppm, got "


@pytest.fixture
def chain() -> DevChain:
    return chain_at(NOV_21)


@pytest.fixture
def usd(chain: DevChain) -> ObjectId:
    """USD, precision 4, a market-pegged asset backed by GPX."""
    return create_mpa(chain, "USD", "alice", 4)


def update_op(chain: DevChain, product_id: ObjectId, owner: str = "alice",
              **params: object) -> FuturesProductUpdate:
    return FuturesProductUpdate(fee=Asset(0, GPX), owner=chain.account_id(owner),
                                product=product_id, new_parameters=parameters(**params))


def test_create_lists_the_product_and_its_four_series(chain: DevChain, usd: ObjectId) -> None:
    listed_at = chain.state.head_time  # the head time when the transaction applies
    product_id = create_product(chain, GPX, usd)
    assert product_id == ObjectId(1, 100, 0)
    made = product(chain, product_id)
    assert (made.owner, made.underlying, made.quote) == (chain.account_id("alice"), GPX, usd)
    assert made.tick_value == 10 and made.parameters == parameters()
    assert months_of(chain, product_id) == [202611, 202612, 202703, 202706]
    for series in series_of(chain, product_id):
        assert (series.underlying, series.quote) == (GPX, usd)
        assert series.parameters == made.parameters and series.tick_value == 10
        assert series.listed_time == listed_at
        assert series.cutoff_time == cutoff_time(series.delivery_month)
        assert series.delivery_time == delivery_time(series.delivery_month)
    assert series_of(chain, product_id)[0].cutoff_time == utc(2026, 11, 30, 23, 30)
    vops = [r for r in chain.state.block_ops if isinstance(r.op, FuturesSeriesList)]
    assert [(r.op.delivery_month, r.op.series, r.op.product, r.op.owner, r.is_virtual)
            for r in vops] == [
        (s.delivery_month, s.id, product_id, made.owner, True)
        for s in series_of(chain, product_id)]
    assert vops[0].op.fee == Asset(0, GPX)
    assert chain.replayed_state_hashes()[-1] == chain.state.state_hash()


def test_a_feed_mark_is_accepted_on_a_fed_pair(chain: DevChain, usd: ObjectId) -> None:
    """USD is backed by GPX: either orientation may mark at the feed."""
    create_product(chain, GPX, usd, mark_price_source=MARK_FEED)
    create_product(chain, usd, GPX, contract_size=10**5, mark_price_source=MARK_FEED)
    assert product(chain, ObjectId(1, 100, 1)).tick_value == 1  # 10 USD per lot: 10^5 × 10^5 / 10^10


def test_one_product_per_pair(chain: DevChain, usd: ObjectId) -> None:
    create_product(chain, GPX, usd)
    refuse(chain, product_op(chain, GPX, usd, "bob"), ProductError,
           r"GPX/USD already has the futures product 1\.100\.0; one product per pair", ["bob"])


def test_contract_size_must_give_a_whole_tick_value(chain: DevChain, usd: ObjectId) -> None:
    refuse(chain, product_op(chain, GPX, usd, contract_size=12_345), ProductError,
           r"contract size 12345 of GPX \(precision 5\) gives no whole tick value in USD "
           r"\(precision 4\); it must be a multiple of the smallest valid contract size 10000000")
    refuse(chain, product_op(chain, BTC, GPX, contract_size=10**8), ProductError,
           "smallest valid contract size 1000000000")


@pytest.mark.parametrize(("params", "message"), [
    ({"maintenance_margin_ppm": 100_000}, MARGINS + "maintenance 100000 ppm, initial 100000 ppm"),
    ({"maintenance_margin_ppm": 150_000}, MARGINS + "maintenance 150000 ppm, initial 100000 ppm"),
    ({"initial_margin_ppm": 1_000_001}, MARGINS + "maintenance 50000 ppm, initial 1000001 ppm"),
    ({"maintenance_margin_ppm": 0}, MARGINS + "maintenance 0 ppm, initial 100000 ppm"),
    ({"trade_fee_ppm": 100_001}, "trade_fee_ppm 100001 exceeds the maximum 100000 ppm"),
    ({"delivery_fee_ppm": 200_000}, "delivery_fee_ppm 200000 exceeds"),
    ({"liquidation_fee_ppm": 50_000},
     "liquidation fee 50000 ppm must be below the maintenance margin 50000 ppm"),
    ({"mark_price_source": 2}, "mark price source must be 0 .last trade. or 1 .feed., got 2"),
    ({"contract_size": 0}, "contract size must be positive, got 0"),
])
def test_bad_parameters(chain: DevChain, usd: ObjectId, params: dict[str, int],
                        message: str) -> None:
    refuse(chain, product_op(chain, GPX, usd, **params), ProductError,
           "futures_product_create: " + message)


def test_feed_mark_needs_a_feed(chain: DevChain) -> None:
    refuse(chain, product_op(chain, BTC, GPX, contract_size=10**9, mark_price_source=MARK_FEED),
           ProductError, "mark price source feed needs a price feed on BTC/GPX: one of them must "
           "be a market-pegged asset backed by the other")


def test_assets_must_exist_and_differ(chain: DevChain) -> None:
    refuse(chain, product_op(chain, GPX, GPX), ProductError,
           "underlying and quote are the same asset 1.3.0")
    refuse(chain, product_op(chain, GPX, ObjectId(1, 3, 99)), UnknownObjectError,
           r"unknown asset 1\.3\.99")


def test_update_by_non_owner_refused(chain: DevChain, usd: ObjectId) -> None:
    product_id = create_product(chain, GPX, usd)
    refuse(chain, update_op(chain, product_id, "bob", trade_fee_ppm=50), PermissionError_,
           r"only the owner 1\.2\.\d+ \(alice\) of futures product 1\.100\.0 may update it, "
           r"not 1\.2\.\d+ \(bob\)", ["bob"])
    refuse(chain, update_op(chain, ObjectId(1, 100, 7)), UnknownObjectError,
           r"unknown futures product 1\.100\.7")
    refuse(chain, update_op(chain, product_id, contract_size=5), ProductError,
           "futures_product_update: contract size 5 of GPX")
    refuse(chain, update_op(chain, product_id, maintenance_margin_ppm=200_000), ProductError,
           "futures_product_update: margins")


def _list_months(state: ChainState, when_s: int) -> None:
    list_due_series(state, when_s)  # idempotent, whether or not the calendar hook also runs


def test_update_changes_only_later_series(chain: DevChain, usd: ObjectId,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    product_id = create_product(chain, GPX, usd)
    old = product(chain, product_id).parameters
    new = parameters(2 * LOT_GPX, trade_fee_ppm=200, initial_margin_ppm=120_000)
    push(chain, update_op(chain, product_id, contract_size=2 * LOT_GPX, trade_fee_ppm=200,
                          initial_margin_ppm=120_000))
    assert product(chain, product_id).parameters == new
    assert product(chain, product_id).tick_value == 20
    assert all(s.parameters == old and s.tick_value == 10 for s in series_of(chain, product_id))
    monkeypatch.setattr(block_apply, "PER_BLOCK_HOOKS",
                        [*block_apply.PER_BLOCK_HOOKS, _list_months])
    advance_to(chain, utc(2026, 12, 1))
    by_month = {s.delivery_month: s for s in series_of(chain, product_id)}
    assert set(by_month) >= {202612, 202701, 202703, 202706}
    assert (by_month[202701].parameters, by_month[202701].tick_value) == (new, 20)
    assert by_month[202701].listed_time == chain.state.head_time
    for month in (202612, 202703, 202706):
        assert (by_month[month].parameters, by_month[month].tick_value) == (old, 10)
