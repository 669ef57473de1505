"""Smartcoin positions under random streams of feeds, borrowing, trading and settling: a hypothesis
state machine over a devnet with a witness-fed USD (precision 4) backed by GPX (precision 5).

The devnet's maintenance interval is shortened to two minutes and USD's feeds live 40 s, so that
skipped slots let feeds expire, force settlements (15 s delay, 1% offset, 50% volume cap, 2%
fee) mature and maintenance come round (collateral bids, the force-settled volume reset). Three
witnesses publish feeds around a price level that walks up and down — rises of the GPX price of
USD (a drop of GPX) call positions, and large ones are black swans. Four accounts borrow, adjust
and repay with random collateral ratios and target ratios, place limit orders on both sides of
USD:GPX and cancel them, force-settle, and after a global settlement settle from the fund (also
the whole supply at once) and bid collateral; the issuer may settle globally itself. Most streams
keep the default black swan response (global settlement); some switch to ``no_settlement`` or
``individual_settlement_to_fund`` first.

After every block, besides the devnet's own invariants (supply conservation including positions'
collateral, funds and settle orders; no crossed book; a smartcoin's debt is its supply):

- margin calls are done: no position is at or below the maintenance collateralization while an
  order sells USD for GPX at or above the margin call order price (MCOP) — unless USD is globally
  settled or has no feed, or the position cannot pay that order's price at all (its
  collateral/debt is below what the order asks plus the margin call fee: then it is a black
  swan's business, not a margin call's, see :meth:`SmartcoinMachine.check_margin_calls`);
- a global settlement fixes ``settlement_price`` = the supply / the fund gathered, leaves no
  position and no settle order; settling X USD from the fund takes exactly
  ``floor(X * fund / supply)`` at that price (the whole fund for the whole supply), burns
  ``ceil(that / price)`` and pays it out less the collateral fee to MCOP;
- collateral bids exist only while USD is settled, and a revival leaves no fund and no bid;
- an individual settlement fund is empty exactly when it owes nothing, and settling from it takes
  ``floor(X * fund / debt)`` (all of it for its whole debt) and burns ``ceil(that * debt / fund)``;
- a refused transaction changes nothing.

At the end a fresh devnet replaying the same blocks reaches the same state hash after every block.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from hypothesis.stateful import RuleBasedStateMachine, initialize, precondition, rule

from graphex.chain.errors import InsufficientBalance
from graphex.chain.evaluators.call_order import DebtPositionError
from graphex.chain.evaluators.settlement import SettlementError
from graphex.chain.genesis import devnet_genesis
from graphex.chain.market.objects import LimitOrder, best_offer
from graphex.chain.smartcoin.objects import CallOrder, CollateralBid, ForceSettlement
from graphex.chain.smartcoin.positions import least_collateralized
from graphex.chain.smartcoin.prices import (
    bitasset_mcop,
    bitasset_mcpr,
    is_null,
    price_eq,
)
from graphex.chain.smartcoin.settlement import BlackSwanRefused
from graphex.protocol.bitasset import (
    BSRM_INDIVIDUAL_SETTLEMENT_TO_FUND,
    BSRM_NO_SETTLEMENT,
)
from graphex.protocol.operations import (
    BidCollateral,
    CallOrderUpdate,
    FillOrder,
    LimitOrderCancel,
    LimitOrderCreate,
    Transfer,
)
from graphex.protocol.operations.base import Operation
from graphex.protocol.operations.market import CallOrderUpdateOptions
from graphex.protocol.operations.smartcoin import AssetGlobalSettle, AssetSettle
from graphex.protocol.types import Asset, Price
from graphex.testing.chain import GPX, DevChain
from tests.chain.evaluators.helpers import with_fee
from tests.chain.smartcoin.helpers import (
    bitasset,
    create_mpa,
    fund,
    price,
    publish_feed,
    publish_feed_op,
    update_bitasset_op,
)

ACCOUNTS = ("alice", "bob", "carol", "dave")
ISSUER = "alice"
PUBLISHERS = ("init0", "init1", "init2")
MAINTENANCE_INTERVAL_S = 120
FEED_LIFETIME_S = 40
SETTLE_DELAY_S = 15
USD_UNITS = 10_000
"""A feed is ``USD_UNITS`` USD units (1 USD) per ``level`` GPX units."""
START_LEVEL, MIN_LEVEL, MAX_LEVEL = 500_000, 40_000, 6_000_000
MCFR = 50
BLACK_SWAN_RESPONSES = (None, None, BSRM_NO_SETTLEMENT, BSRM_INDIVIDUAL_SETTLEMENT_TO_FUND)
"""Global settlement (the default) most often, else no settlement or individual settlement."""
EXPECTED_REFUSALS = (InsufficientBalance, DebtPositionError, BlackSwanRefused, SettlementError)
"""What a random operation may run into: too little balance, a position refused (no feed, below
the squeeze price or the initial ratio, a settled asset), a position update that would be a
black swan, a settlement that is not possible or worth nothing."""


def note(label: str) -> None:
    """A hypothesis event (for ``--hypothesis-show-statistics``); nothing outside a test."""
    try:
        event(label)
    except InvalidArgument:
        pass


def ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def ratio(p: Price) -> Fraction:
    """base / quote, exactly."""
    return Fraction(p.base.amount, p.quote.amount)


def smartcoin_genesis() -> bytes:
    data = json.loads(devnet_genesis())
    data["initial_parameters"]["maintenance_interval"] = MAINTENANCE_INTERVAL_S
    return json.dumps(data, indent=1, sort_keys=True).encode()


@dataclass(frozen=True)
class Before:
    """What a block's checks need from the state before it."""

    settled: bool
    settlement_price: Price
    fund: int
    supply: int
    mcop: Price | None
    individual_debt: int
    individual_fund: int


class SmartcoinMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        chain = DevChain(genesis_text=smartcoin_genesis())
        self.usd = create_mpa(
            chain, "USD", issuer=ISSUER, feed_lifetime_sec=FEED_LIFETIME_S,
            force_settlement_delay_sec=SETTLE_DELAY_S, force_settlement_offset_percent=100,
            maximum_force_settlement_volume=5000, margin_call_fee_ratio=MCFR,
            force_settle_fee_percent=200)
        for name in PUBLISHERS:
            fund(chain, name, 10_000)
        self.level = START_LEVEL
        self.bsrm: int | None = None
        publish_feed(chain, self.usd, price(USD_UNITS, self.usd, self.level), mcr=1600,
                     mssr=1100)
        self.chain = chain
        self.hashes: list[bytes] = []

    # -- reading ---------------------------------------------------------------------------------
    def data(self) -> Any:
        return bitasset(self.chain, self.usd)

    def supply(self) -> int:
        state = self.chain.state
        return state.asset_dynamic(state.asset(self.usd)).current_supply

    def position(self, who: str) -> CallOrder | None:
        return self.chain.state.db.index(CallOrder, "by_account").get(
            (self.chain.account_id(who), self.usd))

    def usd_balance(self, who: str) -> int:
        return self.chain.balance(who, self.usd)

    def feed_level(self) -> int:
        """GPX units per USD of the median feed, or the walk's level when there is none."""
        feed: Price = self.data().median_feed.settlement_price
        if is_null(feed):
            return self.level
        return max(1, feed.quote.amount * USD_UNITS // feed.base.amount)

    def open_orders(self) -> list[LimitOrder]:
        return sorted(self.chain.state.db.table(LimitOrder), key=lambda o: o.id)

    # -- producing and checking blocks -----------------------------------------------------------
    def before(self) -> Before:
        data = self.data()
        mcop = None if is_null(data.current_feed.settlement_price) else bitasset_mcop(data)
        return Before(data.has_settlement(), data.settlement_price, data.settlement_fund,
                      self.supply(), mcop, data.individual_settlement_debt,
                      data.individual_settlement_fund)

    def produce(self, txs: Sequence[tuple[Operation, str]], skip_slots: int = 0) -> bool:
        """One block with ``txs`` (each its own transaction); False when it was refused."""
        chain = self.chain
        before_hash, head = chain.state.state_hash(), chain.state.head_num
        before = self.before()
        signed = [chain.sign(chain.build([with_fee(chain, op)], expiration_s=60 + i), [who])
                  for i, (op, who) in enumerate(txs)]
        try:
            chain.produce(signed, skip_slots=skip_slots)
        except EXPECTED_REFUSALS as exc:
            assert chain.state.state_hash() == before_hash
            assert chain.state.head_num == head
            note(f"refused: {type(exc).__name__}")
            return False
        self.hashes.append(chain.state.state_hash())
        self.check_settlement(before)
        self.check_margin_calls()
        self.note_events()
        return True

    def note_events(self) -> None:
        kinds = {(r.op.order_id.type, r.op.is_maker) for r in self.chain.state.block_ops
                 if isinstance(r.op, FillOrder)}
        if (8, False) in kinds:
            note("margin call: a position takes an order")
        if (8, True) in kinds and (7, False) in kinds:
            note("margin call: an order takes a position")
        if any(kind == 4 for kind, _ in kinds):
            note("force settlement fill")
        for record in self.chain.state.block_ops:
            if record.is_virtual and not isinstance(record.op, FillOrder):
                note(f"virtual {type(record.op).__name__}")

    def check_margin_calls(self) -> None:
        """No position at or below the maintenance collateralization while an order sells USD
        for GPX at or above MCOP, unless the position cannot pay that order's price at all.

        The exception: a position whose collateral/debt is below what the best order asks per
        USD times MSSR/(MSSR - MCFR) (the order's price plus the margin call fee) would lower its
        ratio by paying; core leaves it to the black swan check — which does not run while a
        force settlement of the asset is pending, nor when a due settlement has just pushed the
        position there (``clear_expired_force_settlements`` does not check margin calls)."""
        state, data = self.chain.state, self.data()
        if data.has_settlement():
            assert list(state.db.group(CallOrder, "by_debt").equal(self.usd)) == []
            return
        if is_null(data.current_feed.settlement_price):
            return
        worst = least_collateralized(state.db, data)
        offer = best_offer(state.db, self.usd, GPX)
        if worst is None or offer is None:
            return
        cr = Fraction(worst.collateral, worst.debt)
        if cr > ratio(data.current_maintenance_collateralization):
            return  # nothing is callable
        if ratio(offer.sell_price) < ratio(bitasset_mcop(data)):
            return  # no order reaches MCOP
        num, mssr = bitasset_mcpr(data)
        pays_per_debt = 1 / ratio(offer.sell_price) * Fraction(mssr, num)
        if cr <= pays_per_debt:
            note("callable position that cannot pay the best order")
            return
        raise AssertionError(
            f"position {worst.id} ({worst.collateral} GPX / {worst.debt} USD units, CR {cr}) is "
            f"at or below the maintenance collateralization "
            f"{data.current_maintenance_collateralization} while order {offer.id} sells USD at "
            f"{offer.sell_price}, at or above MCOP {bitasset_mcop(data)}")

    def check_settlement(self, before: Before) -> None:
        state, data = self.chain.state, self.data()
        bids = list(state.db.group(CollateralBid, "by_asset").equal(self.usd))
        if not data.has_settlement():
            assert bids == [] and data.settlement_fund == 0
            if before.settled:
                note("revived")
            self.check_individual_fund(before)
            return
        assert next(state.db.ordered(ForceSettlement, "by_expiration").prefix((self.usd,)),
                    None) is None, "a settle order outlived the global settlement"
        sp = data.settlement_price
        if not before.settled:  # settled in this block: at the supply / everything gathered
            note("global settlement")
            assert sp.base == Asset(self.supply(), self.usd), (sp, self.supply())
            assert sp.quote == Asset(data.settlement_fund, GPX)
            assert data.individual_settlement_fund == 0
            return
        assert sp == before.settlement_price
        fund_, supply = before.fund, before.supply
        for record in state.block_ops:
            op = record.op
            if not isinstance(op, AssetSettle) or record.is_virtual:
                continue
            amount = op.amount.amount
            if amount == supply:
                settled, pays = fund_, amount
                note("settled the whole supply")
            else:
                settled = amount * sp.quote.amount // sp.base.amount
                pays = ceil_div(settled * sp.base.amount, sp.quote.amount)
                note("settled from the fund")
            result = record.result.value
            assert result.paid == (Asset(pays, self.usd),), (result, amount, sp)
            received = result.received[0].amount
            assert received + sum(f.amount for f in result.fees) == settled, (result, settled)
            if before.mcop is not None:
                by_mcop = ceil_div(pays * before.mcop.quote.amount, before.mcop.base.amount)
                assert received == min(settled, by_mcop), (result, by_mcop)
            fund_, supply = fund_ - settled, supply - pays
        assert data.settlement_fund == fund_
        assert self.supply() == supply

    def check_individual_fund(self, before: Before) -> None:
        """``individual_settlement_to_fund``: the fund is empty exactly when it owes nothing, and
        settling X USD from it takes ``floor(X * fund / debt)`` (the whole fund for its whole
        debt) and burns ``ceil(that * debt / fund)``."""
        data = self.data()
        assert (data.individual_settlement_debt == 0) == (data.individual_settlement_fund == 0)
        if data.individual_settlement_debt > before.individual_debt:
            note("individual settlement")
        if not price_eq(data.current_feed.settlement_price, data.median_feed.settlement_price):
            note("current feed capped")
        debt, fund_ = before.individual_debt, before.individual_fund
        if debt == 0 or self.bsrm != BSRM_INDIVIDUAL_SETTLEMENT_TO_FUND:
            return
        for record in self.chain.state.block_ops:
            op = record.op
            if not isinstance(op, AssetSettle) or record.is_virtual:
                continue
            amount = op.amount.amount
            if amount >= debt:
                pays, settled = debt, fund_
            else:
                settled = amount * fund_ // debt
                pays = ceil_div(settled * debt, fund_)
            note("settled from the individual fund")
            result = record.result.value
            assert result.paid == (Asset(pays, self.usd),), (result, amount, debt, fund_)
            received = result.received[0].amount
            assert received + sum(f.amount for f in result.fees) == settled, (result, settled)
            return  # what the fund pays changes the feed: one settlement per block is checked

    # -- the opening ---------------------------------------------------------------------------------
    @initialize(bsrm=st.sampled_from(BLACK_SWAN_RESPONSES), positions=st.lists(
        st.tuples(st.integers(10_000, 2_000_000), st.integers(1700, 3500),
                  st.one_of(st.none(), st.integers(1001, 3000)), st.integers(900, 1400)),
        min_size=1, max_size=len(ACCOUNTS)))
    def open_positions(self, bsrm: int | None,
                       positions: list[tuple[int, int, int | None, int]]) -> None:
        """The issuer picks the black swan response; some accounts borrow (debt, collateral
        ratio in permille of the feed, target ratio) in one block, then each offers half its USD
        at ``ask`` permille of the feed."""
        self.bsrm = bsrm
        note(f"black swan response {bsrm}")
        if bsrm is not None:
            op = update_bitasset_op(self.chain, self.usd, ISSUER, black_swan_response_method=bsrm)
            assert self.produce([(op, ISSUER)])
        borrowed, asks = [], []
        for name, (debt, cr, tcr, ask) in zip(ACCOUNTS, positions):
            collateral = ceil_div(debt * self.level * cr, USD_UNITS * 1000)
            borrowed.append((self.update_op(name, collateral, debt, tcr), name))
            gpx = max(1, debt // 2 * self.level * ask // (USD_UNITS * 1000))
            asks.append((LimitOrderCreate(Asset(0, GPX), self.chain.account_id(name),
                                          Asset(debt // 2, self.usd), Asset(gpx, GPX)), name))
        assert self.produce(borrowed)
        assert self.produce(asks)

    # -- rules: feeds ------------------------------------------------------------------------------
    @rule(publishers=st.lists(st.sampled_from(PUBLISHERS), min_size=1, max_size=3, unique=True),
          move=st.one_of(st.integers(-3, 3), st.integers(-40, 60), st.sampled_from((80, 100, 150))),
          mcr=st.sampled_from((1600, 1600, 1750)), mssr=st.sampled_from((1100, 1100, 1250)),
          icr=st.sampled_from((None, None, 1900)))
    def publish(self, publishers: list[str], move: int, mcr: int, mssr: int,
                icr: int | None) -> None:
        """Witnesses publish the walk's next level in one block (a rise of ``move`` percent in
        GPX per USD calls positions; a large one may be a black swan). The median of three
        publishers moves when two agree, or when the others' feeds have expired."""
        self.level = min(MAX_LEVEL, max(MIN_LEVEL, self.level * (100 + move) // 100))
        feed = price(USD_UNITS, self.usd, self.level)
        self.produce([(publish_feed_op(self.chain, self.usd, feed, publisher=who, mcr=mcr,
                                       mssr=mssr, icr=icr), who) for who in publishers])

    # -- rules: positions ------------------------------------------------------------------------
    def update_op(self, who: str, delta_collateral: int, delta_debt: int,
                  tcr: int | None) -> CallOrderUpdate:
        return CallOrderUpdate(Asset(0, GPX), self.chain.account_id(who),
                               Asset(delta_collateral, GPX), Asset(delta_debt, self.usd),
                               CallOrderUpdateOptions(tcr))

    @rule(who=st.sampled_from(ACCOUNTS),
          debt=st.one_of(st.integers(1, 100), st.integers(10_000, 3_000_000)),
          cr=st.one_of(st.integers(1100, 2000), st.integers(1600, 3000), st.integers(3000, 6000)),
          tcr=st.one_of(st.none(), st.integers(1001, 3000)))
    def borrow(self, who: str, debt: int, cr: int, tcr: int | None) -> None:
        """Open a position, or move an existing one to ``debt`` at about ``cr``/1000 times the
        feed's collateral per debt."""
        collateral = ceil_div(debt * self.feed_level() * cr, USD_UNITS * 1000)
        call = self.position(who)
        old_collateral, old_debt = (0, 0) if call is None else (call.collateral, call.debt)
        delta_collateral, delta_debt = collateral - old_collateral, debt - old_debt
        if delta_collateral == 0 and delta_debt == 0:
            delta_collateral = 1
        self.produce([(self.update_op(who, delta_collateral, delta_debt, tcr), who)])

    @precondition(lambda self: any(True for _ in self.chain.state.db.table(CallOrder)))
    @rule(pick=st.integers(0, 10**6), percent=st.integers(1, 100), with_collateral=st.booleans(),
          tcr=st.one_of(st.none(), st.integers(1001, 3000)))
    def repay(self, pick: int, percent: int, with_collateral: bool, tcr: int | None) -> None:
        """Repay part of a position (all of it closes it), taking back collateral in proportion
        when asked (always when closing)."""
        calls = sorted(self.chain.state.db.table(CallOrder), key=lambda c: c.id)
        call = calls[pick % len(calls)]
        who = self.chain.state.account(call.borrower).name
        repaid = max(1, call.debt * percent // 100)
        back = 0
        if with_collateral or repaid == call.debt:
            back = call.collateral if repaid == call.debt else call.collateral * repaid // call.debt
        self.produce([(self.update_op(who, -back, -repaid, tcr), who)])

    @precondition(lambda self: any(True for _ in self.chain.state.db.table(CallOrder)))
    @rule(pick=st.integers(0, 10**6), percent=st.integers(-60, 200),
          tcr=st.one_of(st.none(), st.integers(1001, 3000)))
    def adjust_collateral(self, pick: int, percent: int, tcr: int | None) -> None:
        """Add collateral, or take some out."""
        calls = sorted(self.chain.state.db.table(CallOrder), key=lambda c: c.id)
        call = calls[pick % len(calls)]
        who = self.chain.state.account(call.borrower).name
        delta = call.collateral * percent // 100 or 1
        self.produce([(self.update_op(who, delta, 0, tcr), who)])

    # -- rules: the market -------------------------------------------------------------------------
    @rule(who=st.sampled_from(ACCOUNTS), sell_usd=st.booleans(),
          amount=st.one_of(st.integers(1, 50), st.integers(1_000, 2_000_000)),
          price_permille=st.one_of(st.integers(850, 1150), st.integers(500, 2000)))
    def place(self, who: str, sell_usd: bool, amount: int, price_permille: int) -> None:
        """A limit order of about ``amount`` USD units at ``price_permille``/1000 times the feed
        (selling USD: at most what ``who`` holds)."""
        level = self.feed_level()
        account = self.chain.account_id(who)
        if sell_usd:
            held = self.usd_balance(who)
            if held == 0:
                return
            amount = 1 + (amount - 1) % held
            gpx = max(1, amount * level * price_permille // (USD_UNITS * 1000))
            op = LimitOrderCreate(Asset(0, GPX), account, Asset(amount, self.usd), Asset(gpx, GPX))
        else:
            gpx = max(1, amount * level // USD_UNITS)
            usd = max(1, amount * 1000 // price_permille)
            op = LimitOrderCreate(Asset(0, GPX), account, Asset(gpx, GPX), Asset(usd, self.usd))
        self.produce([(op, who)])

    @precondition(lambda self: any(True for _ in self.chain.state.db.table(LimitOrder)))
    @rule(pick=st.integers(0, 10**6))
    def cancel(self, pick: int) -> None:
        orders = self.open_orders()
        target = orders[pick % len(orders)]
        who = self.chain.state.account(target.seller).name
        self.produce([(LimitOrderCancel(Asset(0, GPX), target.seller, target.id), who)])

    # -- rules: settling ---------------------------------------------------------------------------
    @precondition(lambda self: self.supply() > 0)
    @rule(who=st.sampled_from(ACCOUNTS), percent=st.integers(1, 100))
    def force_settle(self, who: str, percent: int) -> None:
        """Settle part of what ``who`` holds: from the fund after a global settlement, else a
        settle order (matched at once with margin calls, else executed when due)."""
        held = self.usd_balance(who)
        if held == 0:
            return
        amount = max(1, held * percent // 100)
        self.produce([(AssetSettle(Asset(0, GPX), self.chain.account_id(who),
                                   Asset(amount, self.usd)), who)])

    @precondition(lambda self: self.data().has_settlement() and self.supply() > 0)
    @rule()
    def settle_whole_supply(self) -> None:
        """Everyone cancels their USD orders and hands their USD to the issuer (one block), who
        then settles the whole supply: the whole fund is paid out."""
        txs: list[tuple[Operation, str]] = []
        held = {name: self.usd_balance(name) for name in ACCOUNTS}
        for order in self.open_orders():
            if order.sell_price.base.asset_id == self.usd:
                who = self.chain.state.account(order.seller).name
                txs.append((LimitOrderCancel(Asset(0, GPX), order.seller, order.id), who))
                held[who] += order.for_sale
        for name in ACCOUNTS:
            if name != ISSUER and held[name] > 0:
                txs.append((Transfer(Asset(0, GPX), self.chain.account_id(name),
                                     self.chain.account_id(ISSUER), Asset(held[name], self.usd)), name))
        if txs:
            assert self.produce(txs)
        assert self.usd_balance(ISSUER) == self.supply()
        self.produce([(AssetSettle(Asset(0, GPX), self.chain.account_id(ISSUER),
                                   Asset(self.supply(), self.usd)), ISSUER)])

    @precondition(lambda self: not self.data().has_settlement() and self.supply() > 0)
    @rule(percent=st.integers(40, 110))
    def global_settle(self, percent: int) -> None:
        """The issuer settles USD at ``percent`` of the feed's GPX per USD (refused when the
        least collateralized position cannot pay that)."""
        gpx = max(1, self.feed_level() * percent // 100)
        op = AssetGlobalSettle(Asset(0, GPX), self.chain.account_id(ISSUER), self.usd,
                               price(USD_UNITS, self.usd, gpx))
        self.produce([(op, ISSUER)])

    @precondition(lambda self: self.data().has_settlement() and self.supply() > 0)
    @rule(who=st.sampled_from(ACCOUNTS), percent=st.integers(1, 150),
          cr=st.one_of(st.integers(0, 500), st.integers(500, 3000)))
    def bid(self, who: str, percent: int, cr: int) -> None:
        """Bid to take over ``percent`` of the supply, adding ``cr``/1000 times the debt's feed
        worth in collateral."""
        debt = max(1, self.supply() * percent // 100)
        collateral = max(1, debt * self.feed_level() * cr // (USD_UNITS * 1000))
        op = BidCollateral(Asset(0, GPX), self.chain.account_id(who), Asset(collateral, GPX),
                           Asset(debt, self.usd))
        self.produce([(op, who)])

    @precondition(lambda self: any(True for _ in self.chain.state.db.table(CollateralBid)))
    @rule(pick=st.integers(0, 10**6))
    def cancel_bid(self, pick: int) -> None:
        bids = sorted(self.chain.state.db.table(CollateralBid), key=lambda b: b.id)
        target = bids[pick % len(bids)]
        who = self.chain.state.account(target.bidder).name
        op = BidCollateral(Asset(0, GPX), target.bidder, Asset(0, GPX), Asset(0, self.usd))
        self.produce([(op, who)])

    # -- rules: time -------------------------------------------------------------------------------
    @rule(skip=st.one_of(st.integers(0, 4), st.integers(10, 45), st.sampled_from((-1, -2))))
    def advance(self, skip: int) -> None:
        """An empty block after ``skip`` missed slots; -1: the first block past the next
        maintenance; -2: a few slots before it (so that a feed published next is still live at
        the maintenance, where collateral bids are taken)."""
        if skip < 0:
            note("maintenance" if skip == -1 else "close to maintenance")
            until = self.chain.state.dgp.next_maintenance_time - (0 if skip == -1 else 4)
            skip = max(0, until - self.chain.next_slot_time())
        self.produce([], skip_slots=skip)

    def teardown(self) -> None:
        """A fresh devnet replaying the blocks reaches the same state after every block."""
        replayed = self.chain.replayed_state_hashes()
        assert replayed[len(replayed) - len(self.hashes):] == self.hashes
        assert not replayed or replayed[-1] == self.chain.state.state_hash()


SmartcoinMachine.TestCase.settings = settings(
    max_examples=80, stateful_step_count=60, deadline=None, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow])
TestSmartcoinMachine = SmartcoinMachine.TestCase


class SmartcoinSoak(SmartcoinMachine):
    """The same machine with longer streams. CI runs a bounded soak (10 streams of 100 steps);
    ``GRAPHEX_SOAK_EXAMPLES=50 python -m pytest -m slow`` runs a longer one."""


SmartcoinSoak.TestCase.settings = settings(
    max_examples=int(os.environ.get("GRAPHEX_SOAK_EXAMPLES", "10")), stateful_step_count=100,
    deadline=None, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow])
TestSmartcoinSoak = pytest.mark.slow(SmartcoinSoak.TestCase)
