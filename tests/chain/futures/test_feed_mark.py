"""``mark_price_source = feed``: the mark of a pair linked by a smartcoin follows its feed (SPEC §7
Mark-to-market, the option for pairs with an on-chain feed)."""

from __future__ import annotations

from graphex.chain.futures.objects import NO_PRICE, FuturesSeries
from graphex.protocol.ids import ObjectId
from graphex.protocol.operations.futures import MARK_FEED
from graphex.testing.chain import GPX, DevChain
from tests.chain.futures.product_helpers import chain_at, create_product, series_of, utc
from tests.chain.smartcoin.helpers import create_mpa, price, publish_feed


def marks(chain: DevChain, product_id: ObjectId) -> list[int]:
    return [chain.state.db.get(s.id, FuturesSeries).mark_price for s in series_of(chain, product_id)]


def test_the_mark_follows_the_smartcoin_feed() -> None:
    chain = chain_at(utc(2026, 11, 21, 12))
    usd = create_mpa(chain, "USD", precision=4)
    product = create_product(chain, GPX, usd, mark_price_source=MARK_FEED)
    assert marks(chain, product) == [NO_PRICE] * 4  # no feed yet: no mark, no liquidation
    publish_feed(chain, usd, price(10_000, usd, 20 * 100_000))  # 1 USD per 20 GPX
    assert marks(chain, product) == [50_000] * 4  # 0.05 USD/GPX
    publish_feed(chain, usd, price(10_000, usd, 30 * 100_000))  # 1 USD per 30 GPX
    assert marks(chain, product) == [33_333] * 4  # 0.0333333…, rounded down
