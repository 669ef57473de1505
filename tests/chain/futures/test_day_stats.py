"""Day volumes: rolling into ``prev_*`` on a new day, and the spot DEX hook counting every match
between two limit orders once, for pairs with a futures product only."""

from __future__ import annotations

import pytest

from graphex.chain.futures.calendar import day_of
from graphex.chain.futures.day_stats import DayVolumes, added_volume, pair_stats
from graphex.chain.futures.objects import TradeDayStats
from graphex.chain.invariant import InvariantError
from graphex.protocol.ids import ObjectId
from graphex.protocol.operations import FillOrder
from graphex.protocol.types import Asset
from graphex.testing.chain import GPX, DevChain
from tests.chain.futures.product_helpers import advance_to, chain_at, create_product, utc
from tests.chain.market.helpers import issue, new_uia, sell

NEVER = DayVolumes(-1, 0, 0, -1, 0, 0)
BTC = ObjectId(1, 3, 1)


def test_added_volume_rolls_days() -> None:
    first = added_volume(NEVER, 100, 7, 3)
    assert first == DayVolumes(100, 7, 3, -1, 0, 0)
    same_day = added_volume(first, 100, 5, 2)
    assert same_day == DayVolumes(100, 12, 5, -1, 0, 0)
    next_day = added_volume(same_day, 103, 1, 1)
    assert next_day == DayVolumes(103, 1, 1, 100, 12, 5)
    assert added_volume(next_day, 104, 2, 2) == DayVolumes(104, 2, 2, 103, 1, 1)


def test_days_never_go_backwards() -> None:
    with pytest.raises(InvariantError, match="day 99 before the current day 100"):
        added_volume(DayVolumes(100, 1, 1, -1, 0, 0), 99, 1, 1)


@pytest.fixture
def chain() -> DevChain:
    return chain_at(utc(2026, 11, 30, 23, 59))


@pytest.fixture
def usd(chain: DevChain) -> ObjectId:
    usd = new_uia(chain, "USD", precision=4)
    issue(chain, usd, {"bob": 10**9})
    return usd


def _fills(chain: DevChain) -> list[FillOrder]:
    return [r.op for r in chain.state.block_ops if isinstance(r.op, FillOrder)]


def test_every_spot_match_counts_once(chain: DevChain, usd: ObjectId) -> None:
    create_product(chain, GPX, usd)
    sell(chain, "alice", Asset(1000 * 10**5, GPX), Asset(50 * 10**4, usd))   # 0.05
    sell(chain, "alice", Asset(1000 * 10**5, GPX), Asset(60 * 10**4, usd))   # 0.06
    trade_day = day_of(chain.state.head_time)  # the head time when the next block applies
    sell(chain, "bob", Asset(110 * 10**4, usd), Asset(1800 * 10**5, GPX))    # takes both
    fills = _fills(chain)
    assert len(fills) == 4  # two matches, each a maker and a taker fill
    stats = pair_stats(chain.state, GPX, usd)
    assert stats is not None
    gpx_paid = sum(f.pays.amount for f in fills if f.pays.asset_id == GPX)
    usd_paid = sum(f.pays.amount for f in fills if f.pays.asset_id == usd)
    assert (stats.day, stats.base_volume, stats.quote_volume) == (trade_day, gpx_paid, usd_paid)
    assert (gpx_paid, usd_paid) == (2000 * 10**5, 110 * 10**4)
    # a trade on a later day keeps this one as the latest earlier day
    advance_to(chain, utc(2026, 12, 1, 0, 0, 30))
    sell(chain, "alice", Asset(100 * 10**5, GPX), Asset(7 * 10**4, usd))
    sell(chain, "bob", Asset(7 * 10**4, usd), Asset(100 * 10**5, GPX))
    stats = pair_stats(chain.state, GPX, usd)
    assert stats is not None
    assert (stats.prev_day, stats.prev_base_volume, stats.prev_quote_volume) == (
        trade_day, 2000 * 10**5, 110 * 10**4)
    assert (stats.day, stats.base_volume, stats.quote_volume) == (
        trade_day + 1, 100 * 10**5, 7 * 10**4)
    assert chain.replayed_state_hashes()[-1] == chain.state.state_hash()


def test_reverse_orientation_product(chain: DevChain, usd: ObjectId) -> None:
    create_product(chain, usd, GPX, contract_size=10**5)
    sell(chain, "alice", Asset(1000 * 10**5, GPX), Asset(50 * 10**4, usd))
    sell(chain, "bob", Asset(50 * 10**4, usd), Asset(1000 * 10**5, GPX))
    assert pair_stats(chain.state, GPX, usd) is None
    stats = pair_stats(chain.state, usd, GPX)
    assert stats is not None and (stats.base_volume, stats.quote_volume) == (50 * 10**4, 10**8)


def test_pairs_without_a_product_are_not_recorded(chain: DevChain, usd: ObjectId) -> None:
    sell(chain, "alice", Asset(1000 * 10**5, GPX), Asset(50 * 10**4, usd))
    sell(chain, "bob", Asset(50 * 10**4, usd), Asset(1000 * 10**5, GPX))
    assert len(_fills(chain)) == 2
    assert chain.state.db.count(TradeDayStats) == 0
