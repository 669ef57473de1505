"""Price arithmetic: the book's integer rank orders prices exactly as their ratios, and the
round-down / round-up products are core's ``asset * price`` and ``multiply_and_round_up``."""

from __future__ import annotations

from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from graphex.chain.market.price import crosses, mul_down, mul_up, price_rank
from graphex.protocol.ids import ObjectId
from graphex.protocol.types import Asset, Price

A, B = ObjectId(1, 3, 0), ObjectId(1, 3, 1)
AMOUNT = st.integers(min_value=1, max_value=(1 << 63) - 1)
SMALL = st.integers(min_value=1, max_value=10**6)


def price(base: int, quote: int) -> Price:
    return Price(Asset(base, A), Asset(quote, B))


@given(AMOUNT, AMOUNT, AMOUNT, AMOUNT)
def test_rank_orders_exactly_as_the_ratio(b1: int, q1: int, b2: int, q2: int) -> None:
    exact = Fraction(q1, b1), Fraction(q2, b2)
    r1, r2 = price_rank(price(b1, q1)), price_rank(price(b2, q2))
    assert (r1 < r2) == (exact[0] < exact[1])
    assert (r1 == r2) == (exact[0] == exact[1])


@given(SMALL, SMALL, SMALL)
def test_rank_of_equal_ratios_is_equal(b: int, q: int, k: int) -> None:
    assert price_rank(price(b, q)) == price_rank(price(b * k, q * k))


def test_adjacent_ratios_near_the_limit_stay_apart() -> None:
    big = (1 << 63) - 1
    # (big-1)/big = 1 - 1/big is above (big-2)/(big-1) = 1 - 1/(big-1) by 1/(big*(big-1))
    assert price_rank(price(big, big - 1)) > price_rank(price(big - 1, big - 2))


@given(SMALL, SMALL, SMALL)
def test_products_round_down_and_up(amount: int, base: int, quote: int) -> None:
    p = price(base, quote)
    down, up = mul_down(amount, A, p), mul_up(amount, A, p)
    assert down.asset_id == up.asset_id == B
    assert down.amount == amount * quote // base
    assert up.amount == -(-amount * quote // base)
    assert mul_down(amount, B, p) == Asset(amount * base // quote, A)


def test_bsip35_example_products() -> None:
    alice = Price(Asset(8, A), Asset(3, B))  # sells A at 3 B per 8 A
    assert mul_down(10, B, alice) == Asset(26, A)
    assert mul_up(26, A, alice) == Asset(10, B)


@given(SMALL, SMALL, SMALL, SMALL)
def test_crosses_is_maker_at_least_the_takers_inverse(tb: int, tq: int, mb: int, mq: int) -> None:
    taker = price(tb, tq)  # sells A wanting tq/tb B per A
    maker = Price(Asset(mb, B), Asset(mq, A))  # offers mb/mq B per A
    assert crosses(taker, maker) == (Fraction(mb, mq) >= Fraction(tq, tb))
