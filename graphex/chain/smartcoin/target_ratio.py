"""How much of a margin-called position is sold: the target collateral ratio (core's
``call_order_object::get_max_debt_to_cover``, market_object.cpp, after hard fork core-1270;
``reference/bitshares.md`` §3.5).

A position without a target collateral ratio (TCR) sells all its debt. With one, it sells just
enough debt that what remains has collateral/debt above ``feed * max(TCR, MCR)/1000``: a first
estimate from the closed formula (without the rounding fraction), "stabilised" by rounding
through the match price; if not good enough, a binary search up to the estimate with the fraction,
then a Fibonacci search forward. Every step is core's, so the amount is bit-exact.

Prices: ``match_price`` (what the call pays per debt, e.g. MSSP) and ``feed_price`` are turned
collateral/debt here; ``maintenance_collateralization`` is collateral/debt.
"""

from __future__ import annotations

from collections.abc import Callable

from ...protocol.bitasset import COLLATERAL_RATIO_DENOM
from ...protocol.types import Asset, Price
from ..invariant import broken, invariant
from ..market.price import mul_down, mul_up
from .objects import CallOrder
from .prices import collateralization, compare, invert, mul_ratio

SEARCH_LIMIT = 512
"""Both searches end within ~130 steps for 63-bit amounts; more is a bug."""


def _as_collateral_per_debt(p: Price, call: CallOrder, what: str) -> Price:
    if p.base.asset_id != call.collateral_type:
        p = invert(p)
    invariant(p.base.asset_id == call.collateral_type and p.quote.asset_id == call.debt_type,
              f"max_debt_to_cover: {what} {p} is not a price of call order {call.id}")
    return p


def max_debt_to_cover(call: CallOrder, match_price: Price, feed_price: Price, mcr: int,
                      maintenance_collateralization: Price) -> int:
    """The most debt of ``call`` to buy at ``match_price`` (0 when it is not callable)."""
    feed = _as_collateral_per_debt(feed_price, call, "feed price")
    if compare(collateralization(call), maintenance_collateralization) > 0:
        return 0  # feed protected
    debt, collateral = call.debt, call.collateral
    if call.target_collateral_ratio is None:
        return debt
    tcr = max(call.target_collateral_ratio, mcr)
    target = mul_ratio(feed, (tcr, COLLATERAL_RATIO_DENOM))
    mp = _as_collateral_per_debt(match_price, call, "match price")
    mp_debt, mp_coll = mp.quote.amount, mp.base.amount
    fp_debt, fp_coll = feed.quote.amount, feed.base.amount

    numerator = (fp_coll * mp_debt * debt * tcr
                 - fp_debt * mp_debt * collateral * COLLATERAL_RATIO_DENOM)
    if numerator < 0:
        return 0
    denominator = fp_coll * mp_debt * tcr - fp_debt * mp_coll * COLLATERAL_RATIO_DENOM
    if denominator <= 0:
        return debt  # black swan
    estimate = numerator // denominator
    if estimate >= debt:
        return debt

    coll_id, debt_id = call.collateral_type, call.debt_type

    def pay_for(cover: int) -> int:  # collateral paid for ``cover`` debt, rounded up
        return mul_up(cover, debt_id, mp).amount

    def cover_for(pay: int) -> int:  # debt bought with ``pay`` collateral, rounded down
        return mul_down(pay, coll_id, mp).amount

    def is_good(pay: int, cover: int) -> bool:
        left = Price(Asset(collateral - pay, coll_id), Asset(debt - cover, debt_id))
        return compare(left, target) > 0

    # stabilise: down, down, up
    to_pay = mul_down(estimate, debt_id, mp).amount
    to_cover = cover_for(to_pay)
    to_pay = pay_for(to_cover)
    if to_cover >= debt or to_pay >= collateral:
        return debt
    if is_good(to_pay, to_cover):
        return to_cover

    # the estimate with the fraction, plus one, bounds the search from above
    upper = (numerator + fp_coll * mp_debt * tcr) // denominator + 1
    upper = min(upper, debt)
    max_to_pay = collateral if upper == debt else min(pay_for(upper), collateral)
    max_to_cover = debt if max_to_pay == collateral else cover_for(max_to_pay)
    if max_to_cover >= debt:
        max_to_pay, max_to_cover = collateral, debt
    if max_to_pay <= to_pay or max_to_cover <= to_cover:
        return debt  # strange data
    found = _binary_search(call, mp, (to_pay, to_cover), (max_to_pay, max_to_cover),
                           pay_for, cover_for, is_good)
    if isinstance(found, int):
        return found
    return _forward_search(call, mp, found, pay_for, cover_for, is_good)


Pair = tuple[int, int]
"""(collateral to pay, debt to cover)."""


def _binary_search(call: CallOrder, mp: Price, low: Pair, high: Pair,
                   pay_for: Callable[[int], int], cover_for: Callable[[int], int],
                   is_good: Callable[[int, int], bool]) -> int | Pair:
    """Core's binary search between ``low`` (not good) and ``high``; the debt to cover, or the
    pair to search forward from when even ``high`` is not good."""
    (min_pay, min_cover), (max_pay, max_cover) = low, high
    collateral, debt = call.collateral, call.debt
    max_is_ok = False
    for _ in range(SEARCH_LIMIT):
        if mp.base.amount < mp.quote.amount:  # a collateral step is the smaller
            pay = (min_pay + max_pay + 1) // 2
            if pay == max_pay:
                cover = max_cover
            else:
                cover = cover_for(pay)
                if cover >= max_cover:
                    pay, cover = max_pay, max_cover
                else:
                    pay = pay_for(cover)
                    invariant(pay < max_pay, "max_debt_to_cover: stabilised pay grew")
        else:  # a debt step is the smaller (or equal)
            cover = (min_cover + max_cover) // 2
            if cover == max_cover:
                pay = max_pay
            else:
                pay = pay_for(cover)
                if pay >= max_pay:
                    pay, cover = max_pay, max_cover
                else:
                    cover = cover_for(pay)
                    if cover >= max_cover:
                        pay, cover = max_pay, max_cover
        if pay <= min_pay or cover <= min_cover or pay > max_pay or cover > max_cover:
            pay, cover = max_pay, max_cover
        if pay == max_pay and (max_is_ok or pay == collateral):
            return cover
        invariant(pay < collateral and cover < debt, "max_debt_to_cover: search left the position")
        if is_good(pay, cover):
            if pay == max_pay:
                return cover
            max_pay, max_cover, max_is_ok = pay, cover, True
        else:
            if pay == max_pay:
                return pay, cover
            min_pay, min_cover = pay, cover
    broken(f"max_debt_to_cover: binary search of call order {call.id} did not end")


def _forward_search(call: CallOrder, mp: Price, start: Pair, pay_for: Callable[[int], int],
                    cover_for: Callable[[int], int], is_good: Callable[[int, int], bool]) -> int:
    """Core's forward search in Fibonacci steps (1, 1, 2, 3, 5 …) from ``start``."""
    pay, cover = start
    collateral, debt = call.collateral, call.debt
    step, next_step = 1, 1
    for _ in range(SEARCH_LIMIT):
        if mp.base.amount > mp.quote.amount:  # a debt step is the smaller
            pay += step
            if pay >= collateral:
                return debt
            cover = cover_for(pay)
            if cover >= debt:
                return debt
            pay = pay_for(cover)
            if pay >= collateral:
                return debt
        else:
            cover += step
            if cover >= debt:
                return debt
            pay = pay_for(cover)
            if pay >= collateral:
                return debt
            cover = cover_for(pay)
            if cover >= debt:
                return debt
        if is_good(pay, cover):
            return cover
        step, next_step = next_step, step + next_step
    broken(f"max_debt_to_cover: forward search of call order {call.id} did not end")
