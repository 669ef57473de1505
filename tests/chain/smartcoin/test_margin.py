"""Margin calls against hand-computed cases (``reference/bitshares.md`` §3.5; core's
``check_call_orders``, ``apply_order``'s call branch, ``get_max_debt_to_cover``).

USD (precision 4) is backed by GPX (precision 5), with MCR 1600, MSSR 1100 and a margin call fee
ratio MCFR 50. Prices in the comments are in units: "CR 90" is 90 GPX units per USD unit.

- Feed F1 = 10000/500000 (1 USD = 5 GPX): maintenance collateralization 80; MCOP = F1 * 1000/1050
  = 2/105 USD per GPX unit (52.5 GPX units per USD unit), MSSP = 1/55.
- Feed F2 = 10000/600000 (1 USD = 6 GPX): maintenance 600000/10000 * 1.6 = 96; MCOP = 1/63
  (63 GPX units per USD unit), MSSP = 1/66; the margin call pays ratio MCPR = 1050/1100 = 21/22.
- A bid selling USD at 5 GPX per USD has ``sell_price`` 1/50 USD per GPX unit (>= MCOP): a margin
  call takes it at that price and pays ``1/50 * 21/22 = 21/1100``, i.e. 1100/21 GPX units per USD
  unit; the difference to the 50 the bid receives is the margin call fee.

Each ``update``/``sell``/``publish_feed`` is one transaction in its own block, so ``fills(chain)``
are that block's fills, in order.
"""

from __future__ import annotations

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from graphex.chain.evaluators.call_order import DebtPositionError
from graphex.chain.market.price import mul_up
from graphex.chain.smartcoin.objects import CallOrder
from graphex.chain.smartcoin.prices import mul_ratio
from graphex.chain.smartcoin.target_ratio import max_debt_to_cover
from graphex.protocol.ids import ObjectId
from graphex.protocol.operations import FillOrder
from graphex.protocol.types import Asset, Price
from graphex.testing.chain import GPX, DevChain
from tests.chain.evaluators.helpers import refuse
from tests.chain.market.helpers import dyn, fill, fills, for_sale, order, sell
from tests.chain.smartcoin.helpers import create_mpa, price, publish_feed
from tests.chain.smartcoin.test_call_order import position, update, update_op


def usd_chain() -> tuple[DevChain, ObjectId]:
    chain = DevChain()
    usd = create_mpa(chain, "USD", margin_call_fee_ratio=50)
    publish_feed(chain, usd, price(10000, usd, 500000), mcr=1600, mssr=1100)
    return chain, usd


def drop_feed(chain: DevChain, usd: ObjectId) -> None:
    """Publish F2 = 10000/600000: maintenance 96, MCOP 1/63, MSSP 1/66."""
    publish_feed(chain, usd, price(10000, usd, 600000), mcr=1600, mssr=1100)


def usd(amount: int, asset: ObjectId) -> Asset:
    return Asset(amount, asset)


def gpx(amount: int) -> Asset:
    return Asset(amount, GPX)


def call_fill(chain: DevChain, call_id: ObjectId, who: str, pays: int, receives: Asset,
              fill_price: Price, *, is_maker: bool, fee: int) -> FillOrder:
    """The fill_order of a position: it pays collateral; its fee is the margin call fee, in
    collateral."""
    return FillOrder(gpx(fee), call_id, chain.account_id(who), gpx(pays), receives, fill_price,
                     is_maker)


def call_id_of(chain: DevChain, who: str, asset: ObjectId) -> ObjectId:
    call = position(chain, who, asset)
    assert call is not None
    return call.id


# --- the target collateral ratio, alone --------------------------------------------------------------


def test_max_debt_to_cover_by_hand() -> None:
    """Position 90 000 000 GPX / 1 000 000 USD, TCR 1700 (> MCR 1600), feed F2 (as collateral/debt
    600000/10000), match price 1100/21 (collateral/debt), maintenance 96:

    num = 600000*21*1000000*1700 - 10000*21*90000000*1000 = 2.142e16 - 1.89e16 = 2.52e15
    den = 600000*21*1700 - 10000*1100*1000 = 21 420 000 000 - 11 000 000 000 = 10 420 000 000
    estimate = floor(num/den) = 241 842; stabilised: pay floor(241842*1100/21) = 12 667 914,
    cover floor(12667914*21/1100) = 241 841, pay ceil(241841*1100/21) = 12 667 862.
    Target ~F2 * 1.7 = 102: (90000000-12667862)/(1000000-241841) = 77332138/758159 < 102
    (758159*102 = 77332218): not good. Upper bound: floor((num + 600000*21*1700)/den) + 1
    = 241 845, paying ceil(241845*1100/21) = 12 668 072, covering 241 845.
    Binary search on debt (1100 > 21): cover 241 843 -> pay 12 667 967 -> cover 241 843:
    77332033/758157 > 102 (758157*102 = 77332014), good, the new upper bound; cover 241 842 ->
    pay 12 667 915: 77332085/758158 < 102 (77332116), not good, the new lower bound; the next
    middle does not move off the lower bound, so the (good) upper bound is the answer: 241 843."""
    usd_id = ObjectId(1, 3, 2)
    call = CallOrder(id=ObjectId(1, 8, 0), borrower=ObjectId(1, 2, 17), collateral=90_000_000,
                     debt=1_000_000, call_price=Price(gpx(1), usd(1, usd_id)),
                     target_collateral_ratio=1700)
    feed = Price(usd(10000, usd_id), gpx(600000))
    match_price = Price(usd(21, usd_id), gpx(1100))
    maintenance = Price(gpx(96), usd(1, usd_id))
    assert max_debt_to_cover(call, match_price, feed, 1600, maintenance) == 241_843
    # without a target ratio the whole debt; when not callable (CR above 96) nothing
    whole = CallOrder(id=call.id, borrower=call.borrower, collateral=90_000_000, debt=1_000_000,
                      call_price=call.call_price)
    assert max_debt_to_cover(whole, match_price, feed, 1600, maintenance) == 1_000_000
    safe = Price(gpx(89), usd(1, usd_id))
    assert max_debt_to_cover(call, match_price, feed, 1600, safe) == 0
    # a target ratio below MCR counts as MCR: tcr 1600, target 96 (same formula, tcr 1600)
    low = CallOrder(id=call.id, borrower=call.borrower, collateral=90_000_000, debt=1_000_000,
                    call_price=call.call_price, target_collateral_ratio=1200)
    same_as_mcr = CallOrder(id=call.id, borrower=call.borrower, collateral=90_000_000,
                            debt=1_000_000, call_price=call.call_price,
                            target_collateral_ratio=1600)
    assert (max_debt_to_cover(low, match_price, feed, 1600, maintenance)
            == max_debt_to_cover(same_as_mcr, match_price, feed, 1600, maintenance))


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 10**9), st.integers(1, 10**11), st.integers(1, 10**6),
       st.integers(1, 10**6), st.integers(1001, 3000), st.integers(1001, 4000),
       st.integers(1001, 2000))
def test_what_the_target_ratio_leaves_is_above_it(debt: int, collateral: int, fp_coll: int,
                                                  fp_debt: int, mcr: int, tcr: int,
                                                  mssr: int) -> None:
    """Whatever the numbers, a callable position sells between 1 and all of its debt, and when
    it keeps some, paying for the rest at the match price (rounded up) leaves collateral/debt
    above feed * max(TCR, MCR)/1000."""
    usd_id = ObjectId(1, 3, 2)
    feed = Price(gpx(fp_coll), usd(fp_debt, usd_id))  # collateral per debt
    maintenance = mul_ratio(feed, (mcr, 1000))
    match_price = mul_ratio(feed, (mssr, 1000))  # the call pays MSSP: more collateral per debt
    call = CallOrder(id=ObjectId(1, 8, 0), borrower=ObjectId(1, 2, 17), collateral=collateral,
                     debt=debt, call_price=Price(gpx(1), usd(1, usd_id)),
                     target_collateral_ratio=tcr)
    assume(collateral * maintenance.quote.amount <= maintenance.base.amount * debt)  # callable
    covered = max_debt_to_cover(call, match_price, feed, mcr, maintenance)
    assert 0 < covered <= debt
    if covered < debt:
        pays = mul_up(covered, usd_id, match_price).amount
        target = mul_ratio(feed, (max(tcr, mcr), 1000))
        assert pays < collateral
        assert (collateral - pays) * target.quote.amount > target.base.amount * (debt - covered)


# --- a feed change calls positions against the book --------------------------------------------------


def test_feed_drop_margin_call_fills_a_bid() -> None:
    """bob: 90 000 000 / 1 000 000 (CR 90, safe under F1). carol's bid sells 200 000 USD for
    10 000 000 GPX (5 GPX per USD). F2 makes bob callable (90 <= 96); he takes the bid at its price:
    the bid is the smaller: it receives floor(200000*50) = 10 000 000 GPX, bob receives
    ceil(10000000/50) = 200 000 USD and pays floor(200000*1100/21) = 10 476 190 GPX; the fee is
    476 190. bob is left with 79 523 810 / 800 000 (CR 99.4 > 96): no longer callable."""
    chain, usd_id = usd_chain()
    update(chain, "bob", 90_000_000, 1_000_000, usd_id)
    update(chain, "carol", 100_000_000, 500_000, usd_id)
    bid = sell(chain, "carol", usd(200_000, usd_id), gpx(10_000_000))
    assert fills(chain) == []  # bob is not callable under F1
    bob_call = call_id_of(chain, "bob", usd_id)
    carol_gpx = chain.balance("carol")

    drop_feed(chain, usd_id)
    bid_price = Price(usd(200_000, usd_id), gpx(10_000_000))
    assert fills(chain) == [
        call_fill(chain, bob_call, "bob", 10_476_190, usd(200_000, usd_id), bid_price,
                  is_maker=False, fee=476_190),
        fill(chain, bid, "carol", usd(200_000, usd_id), gpx(10_000_000), bid_price,
             is_maker=True),
    ]
    call = position(chain, "bob", usd_id)
    assert call is not None and (call.collateral, call.debt) == (79_523_810, 800_000)
    assert order(chain, bid) is None
    assert chain.balance("carol") == carol_gpx + 10_000_000
    assert dyn(chain, usd_id).accumulated_collateral_fees == 476_190
    assert dyn(chain, usd_id).current_supply == 1_300_000


def test_partial_call_honours_the_target_ratio() -> None:
    """bob (CR 90) has TCR 1700; carol's bid of 1 000 000 USD at 5 GPX per USD could cover all his
    debt, but he sells only 241 843 USD of debt (see test_max_debt_to_cover_by_hand), paying
    ceil(241843*1100/21) = 12 667 967 GPX; the bid receives ceil(241843*50) = 12 092 150; the fee
    is 575 817. bob is left at 77 332 033 / 758 157, just above the target 102."""
    chain, usd_id = usd_chain()
    update(chain, "bob", 90_000_000, 1_000_000, usd_id, tcr=1700)
    update(chain, "carol", 200_000_000, 1_000_000, usd_id)
    bid = sell(chain, "carol", usd(1_000_000, usd_id), gpx(50_000_000))
    bob_call = call_id_of(chain, "bob", usd_id)

    drop_feed(chain, usd_id)
    bid_price = Price(usd(1_000_000, usd_id), gpx(50_000_000))
    assert fills(chain) == [
        call_fill(chain, bob_call, "bob", 12_667_967, usd(241_843, usd_id), bid_price,
                  is_maker=False, fee=575_817),
        fill(chain, bid, "carol", usd(241_843, usd_id), gpx(12_092_150), bid_price,
             is_maker=True),
    ]
    call = position(chain, "bob", usd_id)
    assert call is not None and (call.collateral, call.debt) == (77_332_033, 758_157)
    assert call.collateral * 1 > 102 * call.debt
    assert for_sale(chain, bid) == 1_000_000 - 241_843
    assert dyn(chain, usd_id).accumulated_collateral_fees == 575_817


def test_feed_drop_calls_several_positions_in_collateral_order() -> None:
    """bob 85 000 000 / 1 000 000 (CR 85) and dave 88 000 000 / 1 000 000 (CR 88) are callable
    under F2; carol (CR 300) is not. carol's bid: 1 500 000 USD at 5 GPX per USD.

    1. bob (least collateralized) first; the bid is bigger, so bob is filled: he receives his whole
       debt 1 000 000, pays ceil(1000000*1100/21) = 52 380 953, the bid receives 50 000 000
       (fee 2 380 953); his position closes and 85 000 000 - 52 380 953 = 32 619 047 comes back.
    2. dave takes the 500 000 left: the bid receives floor(500000*50) = 25 000 000, dave receives
       ceil(25000000/50) = 500 000 and pays floor(500000*1100/21) = 26 190 476 (fee 1 190 476);
       he is left with 61 809 524 / 500 000 (CR 123.6): no longer callable."""
    chain, usd_id = usd_chain()
    update(chain, "bob", 85_000_000, 1_000_000, usd_id)
    update(chain, "dave", 88_000_000, 1_000_000, usd_id)
    update(chain, "carol", 600_000_000, 2_000_000, usd_id)
    bid = sell(chain, "carol", usd(1_500_000, usd_id), gpx(75_000_000))
    bob_call, dave_call = call_id_of(chain, "bob", usd_id), call_id_of(chain, "dave", usd_id)
    bob_gpx = chain.balance("bob")

    drop_feed(chain, usd_id)
    bid_price = Price(usd(1_500_000, usd_id), gpx(75_000_000))
    assert fills(chain) == [
        call_fill(chain, bob_call, "bob", 52_380_953, usd(1_000_000, usd_id), bid_price,
                  is_maker=False, fee=2_380_953),
        fill(chain, bid, "carol", usd(1_000_000, usd_id), gpx(50_000_000), bid_price,
             is_maker=True),
        call_fill(chain, dave_call, "dave", 26_190_476, usd(500_000, usd_id), bid_price,
                  is_maker=False, fee=1_190_476),
        fill(chain, bid, "carol", usd(500_000, usd_id), gpx(25_000_000), bid_price,
             is_maker=True),
    ]
    assert position(chain, "bob", usd_id) is None
    assert chain.balance("bob") == bob_gpx + 32_619_047
    dave = position(chain, "dave", usd_id)
    assert dave is not None and (dave.collateral, dave.debt) == (61_809_524, 500_000)
    assert order(chain, bid) is None
    assert dyn(chain, usd_id).accumulated_collateral_fees == 2_380_953 + 1_190_476
    assert dyn(chain, usd_id).current_supply == 4_000_000 - 1_500_000


def test_no_call_without_a_bid_at_or_above_mcop() -> None:
    """carol's bid asks 7 GPX per USD (70 GPX units per USD unit), more than a margin call offers
    under F2 (~MCOP = 63): it is not taken; bob stays callable but untouched."""
    chain, usd_id = usd_chain()
    update(chain, "bob", 90_000_000, 1_000_000, usd_id)
    update(chain, "carol", 100_000_000, 500_000, usd_id)
    bid = sell(chain, "carol", usd(100_000, usd_id), gpx(7_000_000))
    drop_feed(chain, usd_id)
    assert fills(chain) == []
    assert for_sale(chain, bid) == 100_000
    call = position(chain, "bob", usd_id)
    assert call is not None and (call.collateral, call.debt) == (90_000_000, 1_000_000)


def test_a_bid_exactly_at_mcop_is_taken_and_the_call_pays_mssp() -> None:
    """carol bids 100 000 USD for 6 300 000 GPX: exactly MCOP under F2 (1/63). bob takes it; the
    call pays 1/63 * 21/22 = 1/66, i.e. MSSP: the bid receives floor(100000*63) = 6 300 000, bob
    receives 100 000 and pays floor(100000*66) = 6 600 000 (fee 300 000). bob is left at
    83 400 000 / 900 000 (CR 92.7): still callable, but there is no other bid."""
    chain, usd_id = usd_chain()
    update(chain, "bob", 90_000_000, 1_000_000, usd_id)
    update(chain, "carol", 100_000_000, 500_000, usd_id)
    bid = sell(chain, "carol", usd(100_000, usd_id), gpx(6_300_000))
    bob_call = call_id_of(chain, "bob", usd_id)
    drop_feed(chain, usd_id)
    bid_price = Price(usd(100_000, usd_id), gpx(6_300_000))
    assert fills(chain) == [
        call_fill(chain, bob_call, "bob", 6_600_000, usd(100_000, usd_id), bid_price,
                  is_maker=False, fee=300_000),
        fill(chain, bid, "carol", usd(100_000, usd_id), gpx(6_300_000), bid_price,
             is_maker=True),
    ]
    call = position(chain, "bob", usd_id)
    assert call is not None and (call.collateral, call.debt) == (83_400_000, 900_000)


# --- a new order selling the smartcoin meets the calls -----------------------------------------------


def test_new_order_takes_better_offers_then_calls_then_the_rest() -> None:
    """Under F2, bob (90 000 000 / 1 000 000) is callable; ~MCOP = 63, ~MSSP = 66 GPX units per USD
    unit. alice bids for USD with A: 6 500 000 GPX for 100 000 USD (65 per unit, better than the
    calls' 63) and B: 6 000 000 for 100 000 (60, worse). carol sells 1 500 000 USD at 50 per unit:

    1. A first (65 > 63): A is the smaller: carol receives 6 500 000 for 100 000.
    2. then bob at ~MCOP: bob's whole debt 1 000 000 <= the 1 400 000 left: carol receives
       ceil(1000000*63) = 63 000 000, bob pays ceil(1000000*66) = 66 000 000 (fee 3 000 000) and
       his position closes (90 000 000 - 66 000 000 = 24 000 000 back to him).
    3. then B (60 >= carol's 50): carol receives 6 000 000 for 100 000; 300 000 rest on the book."""
    chain, usd_id = usd_chain()
    update(chain, "bob", 90_000_000, 1_000_000, usd_id)
    update(chain, "carol", 600_000_000, 2_000_000, usd_id)
    a = sell(chain, "alice", gpx(6_500_000), usd(100_000, usd_id))
    b = sell(chain, "alice", gpx(6_000_000), usd(100_000, usd_id))
    drop_feed(chain, usd_id)
    assert fills(chain) == []  # no one sells USD yet
    bob_call = call_id_of(chain, "bob", usd_id)
    bob_gpx, carol_gpx = chain.balance("bob"), chain.balance("carol")

    ask = sell(chain, "carol", usd(1_500_000, usd_id), gpx(75_000_000))
    a_price = Price(gpx(6_500_000), usd(100_000, usd_id))
    b_price = Price(gpx(6_000_000), usd(100_000, usd_id))
    mcop = Price(gpx(63), usd(1, usd_id))  # ~MCOP, collateral per debt
    fee = 500_000  # carol's deferred limit_order_create fee becomes paid at the first fill
    assert fills(chain) == [
        fill(chain, ask, "carol", usd(100_000, usd_id), gpx(6_500_000), a_price, is_maker=False),
        fill(chain, a, "alice", gpx(6_500_000), usd(100_000, usd_id), a_price, is_maker=True),
        fill(chain, ask, "carol", usd(1_000_000, usd_id), gpx(63_000_000), mcop, is_maker=False),
        call_fill(chain, bob_call, "bob", 66_000_000, usd(1_000_000, usd_id), mcop,
                  is_maker=True, fee=3_000_000),
        fill(chain, ask, "carol", usd(100_000, usd_id), gpx(6_000_000), b_price, is_maker=False),
        fill(chain, b, "alice", gpx(6_000_000), usd(100_000, usd_id), b_price, is_maker=True),
    ]
    assert chain.balance("carol") == carol_gpx - fee + 6_500_000 + 63_000_000 + 6_000_000
    assert for_sale(chain, ask) == 300_000
    assert position(chain, "bob", usd_id) is None
    assert chain.balance("bob") == bob_gpx + 24_000_000
    assert dyn(chain, usd_id).accumulated_collateral_fees == 3_000_000
    assert dyn(chain, usd_id).current_supply == 3_000_000 - 1_000_000


def test_offers_exactly_at_mcop_come_after_the_calls() -> None:
    """alice's bid A pays exactly ~MCOP (6 300 000 GPX for 100 000 USD, 63 per unit): not better
    than the calls, so carol's ask of 1 100 000 USD meets bob first (his whole debt: carol receives
    63 000 000, bob pays 66 000 000, fee 3 000 000), then A with the 100 000 left: both are filled
    (carol receives floor(100000*63) = 6 300 000)."""
    chain, usd_id = usd_chain()
    update(chain, "bob", 90_000_000, 1_000_000, usd_id)
    update(chain, "carol", 600_000_000, 2_000_000, usd_id)
    a = sell(chain, "alice", gpx(6_300_000), usd(100_000, usd_id))
    drop_feed(chain, usd_id)
    bob_call = call_id_of(chain, "bob", usd_id)
    ask = sell(chain, "carol", usd(1_100_000, usd_id), gpx(55_000_000))
    a_price = Price(gpx(6_300_000), usd(100_000, usd_id))
    mcop = Price(gpx(63), usd(1, usd_id))
    assert fills(chain) == [
        fill(chain, ask, "carol", usd(1_000_000, usd_id), gpx(63_000_000), mcop, is_maker=False),
        call_fill(chain, bob_call, "bob", 66_000_000, usd(1_000_000, usd_id), mcop,
                  is_maker=True, fee=3_000_000),
        fill(chain, ask, "carol", usd(100_000, usd_id), gpx(6_300_000), a_price, is_maker=False),
        fill(chain, a, "alice", gpx(6_300_000), usd(100_000, usd_id), a_price, is_maker=True),
    ]
    assert order(chain, ask) is None and order(chain, a) is None


def test_new_order_below_mcop_does_not_meet_calls() -> None:
    """carol asks 7 GPX per USD (70 per unit > ~MCOP 63): calls are not offered that low, and
    nothing else crosses."""
    chain, usd_id = usd_chain()
    update(chain, "bob", 90_000_000, 1_000_000, usd_id)
    update(chain, "carol", 600_000_000, 2_000_000, usd_id)
    drop_feed(chain, usd_id)
    ask = sell(chain, "carol", usd(100_000, usd_id), gpx(7_000_000))
    assert fills(chain) == []
    assert for_sale(chain, ask) == 100_000


# --- a position update is margin called at once --------------------------------------------------------


def test_update_margin_called_and_filled_is_allowed() -> None:
    """Under F1 (maintenance 80), bob opens 79 000 000 / 1 000 000 (CR 79, above the squeeze
    price 55) while carol bids 1 000 000 USD at 5 GPX per USD: he is called at once against the
    bid (the best bid pays 21/1100, so no black swan): his whole debt, paying
    ceil(1000000*1100/21) = 52 380 953; the position is gone, which is allowed."""
    chain, usd_id = usd_chain()
    update(chain, "carol", 600_000_000, 2_000_000, usd_id)
    bid = sell(chain, "carol", usd(1_000_000, usd_id), gpx(50_000_000))
    processed = update(chain, "bob", 79_000_000, 1_000_000, usd_id)
    call_id = processed.operation_results[0].value
    bid_price = Price(usd(1_000_000, usd_id), gpx(50_000_000))
    assert fills(chain) == [
        call_fill(chain, call_id, "bob", 52_380_953, usd(1_000_000, usd_id), bid_price,
                  is_maker=False, fee=2_380_953),
        fill(chain, bid, "carol", usd(1_000_000, usd_id), gpx(50_000_000), bid_price,
             is_maker=True),
    ]
    assert position(chain, "bob", usd_id) is None
    assert chain.balance("bob", usd_id) == 1_000_000


def test_update_left_below_icr_after_a_margin_call_is_refused() -> None:
    """bob opens 156 000 000 / 2 000 000 (CR 78) against carol's bid of only 100 000 USD: the bid
    is filled (bob pays floor(100000*1100/21) = 5 238 095 for 100 000) but he is left at
    150 761 905 / 1 900 000 (CR 79.3), not above ICR (= MCR, 80): refused, nothing changes."""
    chain, usd_id = usd_chain()
    update(chain, "carol", 600_000_000, 2_000_000, usd_id)
    bid = sell(chain, "carol", usd(100_000, usd_id), gpx(5_000_000))
    refuse(chain, update_op(chain, "bob", 156_000_000, 2_000_000, usd_id), DebtPositionError,
           r"150761905/1900000 .* not above the initial collateralization 80/1", ["bob"])
    assert for_sale(chain, bid) == 100_000
    # with 160 000 000 (CR 80, callable) the same fill leaves 154 761 905 / 1 900 000 (CR 81.5)
    update(chain, "bob", 160_000_000, 2_000_000, usd_id)
    call = position(chain, "bob", usd_id)
    assert call is not None and (call.collateral, call.debt) == (154_761_905, 1_900_000)
    assert order(chain, bid) is None


def test_limit_order_create_does_not_pass_other_markets() -> None:
    """An order selling USD for BTC (not its backing asset) never meets USD's margin calls."""
    chain, usd_id = usd_chain()
    update(chain, "bob", 90_000_000, 1_000_000, usd_id)
    drop_feed(chain, usd_id)
    btc = ObjectId(1, 3, 1)
    ask = sell(chain, "bob", usd(100_000, usd_id), Asset(1, btc))
    assert fills(chain) == [] and for_sale(chain, ask) == 100_000
