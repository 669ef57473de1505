"""The order book under random streams of orders, cancels, updates and expirations: a hypothesis
state machine over a devnet with three accounts and three assets (the core GPX; USDCOIN with maker
and taker market fees and a cap; EUROCOIN with one flat market fee). Creation fees are sometimes
paid in USDCOIN through its fee pool; the cancellation fee, a maker fee discount and the network's
share of market fees are all non-zero. Prices come from a few lot prices (so many orders tie) or
from arbitrary amounts (so rounding bites), and tiny orders are common (so dust gets culled).

After every block a :class:`BlockWalk` replays the block's applied operations on its own copy of
the book (what was open before, plus what the operations placed or changed) and checks:

- every fill pairs a taker with the best opposite order (best price, then oldest) whose price the
  taker accepts, at the maker's ``sell_price``, in the amounts the BSIP35 rule gives for the two
  orders' amounts for sale, with the market fee the received asset charges;
- nobody receives something for nothing: every fill pays and receives a positive amount;
- an order leaves the book only filled, cancelled by its owner, expired, or culled when what is
  left of it would buy nothing at its own price, and the refund is what was left;
- every account's balances and paid fees move exactly as those operations say, creation fees
  deferred until the first fill (less the maker discount) or refunded less the cancellation fee;
- afterwards the walked book is exactly the chain's book, none of it expired or dust;
- a refused transaction changes nothing.

The devnet itself checks the state invariants after every block (supply conservation including
what orders hold, no crossed book, ``total_core_in_orders``), and at the end a fresh devnet
replaying the same blocks reaches the same state hash after every block.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, ClassVar

import msgspec
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, precondition, rule

from graphex.chain.errors import FeeError, InsufficientBalance, OrderError
from graphex.chain.market.objects import LimitOrder
from graphex.protocol.ids import ObjectId
from graphex.protocol.operations import (
    FillOrder,
    LimitOrderCancel,
    LimitOrderCreate,
    LimitOrderUpdate,
)
from graphex.protocol.operations.base import Operation
from graphex.protocol.operations.market import MAX_EXPIRATION
from graphex.protocol.types import Asset, Price
from graphex.testing.chain import GPX
from tests.chain.evaluators.helpers import with_fee
from tests.chain.market.helpers import fund_fee_pool, issue, market_chain, new_uia, pending

ACCOUNTS = ("alice", "bob", "carol")
USD_MAKER_PERCENT, USD_TAKER_PERCENT, USD_MAX_FEE = 100, 250, 60
EUR_PERCENT = 30
USD_CORE_PER_UNIT = 2  # USDCOIN's core exchange rate: 2 GPX units per unit
CANCEL_FEE, MAKER_DISCOUNT_PERCENT = 100_000, 1000
UPDATE_CUT = CANCEL_FEE * 37_500 // 500_000  # the cancel fee an update takes: cancel × update/create
EXPECTED_REFUSALS = (InsufficientBalance, OrderError, FeeError)
"""What a random operation may run into: too little balance, fill-or-kill not filled, a bad update
(taking everything out, leaving dust), an empty fee pool."""


def ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def bsip35(taker_for_sale: int, maker_for_sale: int, price: Price) -> tuple[int, int] | None:
    """(taker pays, taker receives) for a taker meeting a maker selling at ``price`` (base: the
    maker's asset); None when the taker would receive nothing."""
    y, x = price.base.amount, price.quote.amount  # y of the maker's asset for x of the taker's
    if taker_for_sale <= maker_for_sale * x // y:
        receives = taker_for_sale * y // x
        if receives == 0:
            return None
        return ceil_div(receives * x, y), receives
    pays = maker_for_sale * x // y
    return pays, ceil_div(pays * y, x)


def buys_nothing(for_sale: int, price: Price) -> bool:
    return for_sale * price.quote.amount // price.base.amount == 0


def accepts(taker: Price, maker: Price) -> bool:
    """The maker's price is at least the taker's limit (``maker >= ~taker``)."""
    return Fraction(maker.base.amount, maker.quote.amount) >= \
        Fraction(taker.quote.amount, taker.base.amount)


@dataclass
class Held:
    """The walk's copy of one open order, with its deferred creation fee."""

    seller: ObjectId
    sell_price: Price
    for_sale: int
    expiration: int
    deferred_core: int = 0
    deferred_usd: int = 0


class BlockWalk:
    """Replays one block's applied operations on a copy of the book, checking each step, and
    tallies what every account's balances and paid fees should have become."""

    def __init__(self, book: dict[ObjectId, Held], usd: ObjectId, eur: ObjectId,
                 block_time: int) -> None:
        self.book, self.usd, self.eur, self.now = book, usd, eur, block_time
        self.balance: Counter[tuple[ObjectId, ObjectId]] = Counter()
        self.paid: Counter[ObjectId] = Counter()
        self.taker: ObjectId | None = None
        self.taker_fill: tuple[FillOrder, int] | None = None
        self.fills = 0

    def core_value(self, fee: Asset) -> int:
        return fee.amount * (USD_CORE_PER_UNIT if fee.asset_id == self.usd else 1)

    def walk(self, records: list[Any]) -> None:
        for record in records:
            op = record.op
            if isinstance(op, FillOrder):
                self.on_fill(op)
            elif isinstance(op, LimitOrderCreate):
                self.on_create(op, record.result.value)
            elif isinstance(op, LimitOrderUpdate):
                self.on_update(op)
            elif isinstance(op, LimitOrderCancel) and record.is_virtual:
                self.on_chain_cancel(op, record.result.value)
            elif isinstance(op, LimitOrderCancel):
                self.on_owner_cancel(op, record.result.value)
            else:
                raise AssertionError(f"unexpected operation {op}")
        assert self.taker_fill is None

    # -- placing, changing and cancelling ------------------------------------------------------
    def on_create(self, op: LimitOrderCreate, order_id: ObjectId) -> None:
        fee_usd = op.fee.amount if op.fee.asset_id == self.usd else 0
        self.book[order_id] = Held(op.seller, Price(op.amount_to_sell, op.min_to_receive),
                                   op.amount_to_sell.amount, op.expiration,
                                   self.core_value(op.fee), fee_usd)
        self.balance[op.seller, op.amount_to_sell.asset_id] -= op.amount_to_sell.amount
        self.balance[op.seller, op.fee.asset_id] -= op.fee.amount
        self.taker = order_id

    def on_update(self, op: LimitOrderUpdate) -> None:
        held = self.book[op.order]
        if held.deferred_core > 0:
            self.refund_deferred(held, min(UPDATE_CUT, held.deferred_core))
        if op.new_price is not None:
            held.sell_price = op.new_price
        if op.delta_amount_to_sell is not None:
            held.for_sale += op.delta_amount_to_sell.amount
            self.balance[op.seller, op.delta_amount_to_sell.asset_id] -= \
                op.delta_amount_to_sell.amount
        if op.new_expiration is not None:
            held.expiration = op.new_expiration
        held.deferred_core = self.core_value(op.fee)
        held.deferred_usd = op.fee.amount if op.fee.asset_id == self.usd else 0
        self.balance[op.seller, op.fee.asset_id] -= op.fee.amount
        self.taker = op.order

    def on_owner_cancel(self, op: LimitOrderCancel, refunded: Asset) -> None:
        held = self.book.pop(op.order)
        assert refunded == Asset(held.for_sale, held.sell_price.base.asset_id)
        self.balance[op.fee_paying_account, op.fee.asset_id] -= op.fee.amount
        self.paid[op.fee_paying_account] += self.core_value(op.fee)
        self.refund_deferred(held, 0)
        self.balance[held.seller, refunded.asset_id] += refunded.amount

    def on_chain_cancel(self, op: LimitOrderCancel, refunded: Asset) -> None:
        """Expired, or what is left would buy nothing at its own price."""
        held = self.book.pop(op.order)
        assert held.expiration <= self.now or buys_nothing(held.for_sale, held.sell_price)
        assert refunded == Asset(held.for_sale, held.sell_price.base.asset_id)
        taken = self.refund_deferred(held, min(CANCEL_FEE, held.deferred_core))
        assert op.fee == taken, (op, held)
        self.balance[held.seller, refunded.asset_id] += refunded.amount

    def refund_deferred(self, held: Held, cut: int) -> Asset:
        """Keep ``cut`` of the deferred core fee as paid (and the same share, rounded up, of a fee
        paid in USDCOIN), refund the rest in the asset it was paid in; returns what was kept."""
        kept = Asset(0, GPX)
        if cut > 0:
            self.paid[held.seller] += cut
            kept = Asset(cut, GPX)
            if held.deferred_usd:
                kept = Asset(ceil_div(held.deferred_usd * cut, held.deferred_core), self.usd)
        if held.deferred_usd:
            self.balance[held.seller, self.usd] += held.deferred_usd - kept.amount
        else:
            self.balance[held.seller, GPX] += held.deferred_core - cut
        held.deferred_core = held.deferred_usd = 0
        return kept

    # -- fills ---------------------------------------------------------------------------------
    def on_fill(self, op: FillOrder) -> None:
        assert op.pays.amount > 0 and op.receives.amount > 0, op  # nothing for nothing
        held = self.book[op.order_id]
        assert op.account_id == held.seller
        assert op.pays.asset_id == held.sell_price.base.asset_id
        assert op.receives.asset_id == held.sell_price.quote.asset_id
        assert op.fee == Asset(self.market_fee(op.receives, op.is_maker), op.receives.asset_id)
        if not op.is_maker:
            assert op.order_id == self.taker and self.taker_fill is None
            self.taker_fill = (op, held.for_sale)
        else:
            assert self.taker_fill is not None
            self.check_pair(*self.taker_fill, op)
            self.taker_fill = None
        self.balance[held.seller, op.receives.asset_id] += op.receives.amount - op.fee.amount
        self.settle_deferred(held, op.is_maker)
        held.for_sale -= op.pays.amount
        assert held.for_sale >= 0
        if held.for_sale == 0:
            del self.book[op.order_id]

    def check_pair(self, taker_op: FillOrder, taker_for_sale: int, maker_op: FillOrder) -> None:
        maker = self.book[maker_op.order_id]
        price = maker.sell_price
        assert maker_op.fill_price == price and taker_op.fill_price == price  # the maker's price
        assert taker_op.pays == maker_op.receives and taker_op.receives == maker_op.pays
        side = [(oid, h) for oid, h in self.book.items()
                if (h.sell_price.base.asset_id, h.sell_price.quote.asset_id)
                == (price.base.asset_id, price.quote.asset_id)]
        best = min(side, key=lambda item: (
            -Fraction(item[1].sell_price.base.amount, item[1].sell_price.quote.amount), item[0]))
        assert best[0] == maker_op.order_id, "not the best price, or not the oldest at it"
        taker = self.book.get(taker_op.order_id)
        if taker is not None:  # (a culled taker has left the book already)
            assert accepts(taker.sell_price, price)
        expected = bsip35(taker_for_sale, maker.for_sale, price)
        assert expected == (taker_op.pays.amount, taker_op.receives.amount), (
            taker_for_sale, maker.for_sale, price, taker_op, maker_op)
        self.fills += 1

    def market_fee(self, received: Asset, is_maker: bool) -> int:
        if received.asset_id == self.usd:
            percent = USD_MAKER_PERCENT if is_maker else USD_TAKER_PERCENT
            return min(received.amount * percent // 10000, USD_MAX_FEE)
        if received.asset_id == self.eur:
            return received.amount * EUR_PERCENT // 10000
        return 0

    def settle_deferred(self, held: Held, is_maker: bool) -> None:
        """A first fill pays the deferred fee; a maker gets the discount back (BSIP85)."""
        core, usd = held.deferred_core, held.deferred_usd
        discount = MAKER_DISCOUNT_PERCENT if is_maker else 0
        if usd and usd * discount // 10000 > 0:
            self.balance[held.seller, self.usd] += usd * discount // 10000
            core -= core * discount // 10000  # back to the fee pool
        elif not usd:
            self.balance[held.seller, GPX] += core * discount // 10000
            core -= core * discount // 10000
        self.paid[held.seller] += core
        held.deferred_core = held.deferred_usd = 0


class MarketMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        chain = market_chain(cancel_fee=CANCEL_FEE,
                             maker_fee_discount_percent=MAKER_DISCOUNT_PERCENT,
                             market_fee_network_percent=2000)
        self.usd = new_uia(chain, "USDCOIN", market_fee_percent=USD_MAKER_PERCENT,
                           taker_fee_percent=USD_TAKER_PERCENT, max_market_fee=USD_MAX_FEE,
                           cer=(USD_CORE_PER_UNIT, 1))
        self.eur = new_uia(chain, "EUROCOIN", market_fee_percent=EUR_PERCENT)
        for asset in (self.usd, self.eur):
            issue(chain, asset, {name: 100_000_000 for name in ACCOUNTS})
        fund_fee_pool(chain, self.usd, 100_000_000)
        self.chain = chain
        self.hashes: list[bytes] = []

    def assets(self) -> tuple[ObjectId, ObjectId, ObjectId]:
        return GPX, self.usd, self.eur

    def value_of(self, asset_id: ObjectId) -> int:
        """A rough worth in GPX units, so that random prices land near each other."""
        return 1 if asset_id == GPX else 3 if asset_id == self.usd else 4

    def ask(self, sell: ObjectId, receive: ObjectId, amount: int, ratio: int) -> int:
        """What to ask for ``amount`` of ``sell``: its rough worth in ``receive`` × ratio/10."""
        return max(1, amount * self.value_of(sell) * ratio // (10 * self.value_of(receive)))

    def fee_op(self, op: Operation, in_usd: bool) -> Operation:
        op = with_fee(self.chain, op)
        if in_usd:  # the smallest USDCOIN fee worth the core fee
            fee = Asset(ceil_div(op.fee.amount, USD_CORE_PER_UNIT), self.usd)
            op = msgspec.structs.replace(op, fee=fee)
        return op

    def open_orders(self) -> list[LimitOrder]:
        return sorted(self.chain.state.db.table(LimitOrder), key=lambda o: o.id)

    def snapshot(self) -> dict[ObjectId, Held]:
        return {o.id: Held(o.seller, o.sell_price, o.for_sale, o.expiration, o.deferred_fee,
                           o.deferred_paid_fee.amount)
                for o in self.chain.state.db.table(LimitOrder)}

    def accounts(self) -> dict[ObjectId, str]:
        return {self.chain.account_id(name): name for name in ACCOUNTS}

    def balances(self) -> dict[tuple[ObjectId, ObjectId], int]:
        return {(who, asset): self.chain.balance(name, asset)
                for who, name in self.accounts().items() for asset in self.assets()}

    # -- producing and checking blocks --------------------------------------------------------
    def produce(self, txs: list[tuple[Operation, str]], skip_slots: int = 0) -> None:
        chain = self.chain
        before_hash, head = chain.state.state_hash(), chain.state.head_num
        book, balances = self.snapshot(), self.balances()
        paid = {who: pending(chain, name) for who, name in self.accounts().items()}
        signed = [chain.sign(chain.build([op], expiration_s=60 + i), [who])  # distinct ids
                  for i, (op, who) in enumerate(txs)]
        try:
            chain.produce(signed, skip_slots=skip_slots)
        except EXPECTED_REFUSALS:
            assert chain.state.state_hash() == before_hash
            assert chain.state.head_num == head
            return
        self.hashes.append(chain.state.state_hash())
        walk = BlockWalk(book, self.usd, self.eur, chain.state.head_time)
        walk.walk(chain.state.block_ops)
        self.check_book(walk.book)
        for key, before in balances.items():
            assert self.chain.balance(self.accounts()[key[0]], key[1]) - before == \
                walk.balance[key], key
        for who, name in self.accounts().items():
            assert pending(chain, name) - paid[who] == walk.paid[who], name

    def check_book(self, book: dict[ObjectId, Held]) -> None:
        actual = self.snapshot()
        assert sorted(actual) == sorted(book)
        now = self.chain.state.head_time
        for oid, held in actual.items():
            assert held == book[oid], oid
            assert held.expiration > now, f"{oid} should have expired"
            assert not buys_nothing(held.for_sale, held.sell_price), f"{oid} is dust"

    # -- rules ----------------------------------------------------------------------------------
    order_args: ClassVar[dict[str, st.SearchStrategy[Any]]] = {
        "who": st.sampled_from(ACCOUNTS),
        "pair": st.permutations(range(3)).map(lambda p: (p[0], p[1])),
        "lot": st.sampled_from((1, 1, 10, 100, 1000)),
        "lots": st.one_of(st.integers(1, 5), st.integers(1, 60)),
        "ratio": st.integers(5, 12),
        "exact_lots": st.booleans(),
        "expires_in": st.one_of(st.none(), st.integers(0, 25)),
        "fill_or_kill": st.sampled_from((False,) * 5 + (True,)),
        "fee_in_usd": st.sampled_from((False, False, True)),
    }

    def create(self, who: str, pair: tuple[int, int], lot: int, lots: int, ratio: int,
               exact_lots: bool, expires_in: int | None, fill_or_kill: bool,
               fee_in_usd: bool) -> tuple[Operation, str]:
        """An order of ``lots`` × ``lot``; its price is the lot's price (so orders with the same
        lot and ratio tie) or, when not ``exact_lots``, the whole amount's (rounding differs)."""
        sell, receive = (self.assets()[i] for i in pair)
        amount = lot * lots
        ask = lots * self.ask(sell, receive, lot, ratio) if exact_lots else \
            self.ask(sell, receive, amount, ratio)
        expiration = MAX_EXPIRATION if expires_in is None else \
            self.chain.state.head_time + expires_in
        op = LimitOrderCreate(Asset(0, GPX), self.chain.account_id(who), Asset(amount, sell),
                              Asset(ask, receive), expiration, fill_or_kill)
        return self.fee_op(op, fee_in_usd), who

    @rule(**order_args)
    def place(self, **args: Any) -> None:
        self.produce([self.create(**args)])

    @rule(who=st.sampled_from(ACCOUNTS), pair=order_args["pair"], amount=st.integers(1, 6),
          ask=st.integers(1, 3))
    def place_tiny(self, who: str, pair: tuple[int, int], amount: int, ask: int) -> None:
        """Tiny orders, where rounding leaves dust behind most often."""
        sell, receive = (self.assets()[i] for i in pair)
        op = LimitOrderCreate(Asset(0, GPX), self.chain.account_id(who), Asset(amount, sell),
                              Asset(ask, receive))
        self.produce([(self.fee_op(op, False), who)])

    @rule(orders=st.lists(st.fixed_dictionaries({**order_args, "fill_or_kill": st.just(False)}),
                          min_size=2, max_size=4))
    def place_several_in_one_block(self, orders: list[dict[str, Any]]) -> None:
        self.produce([self.create(**args) for args in orders])

    @precondition(lambda self: any(True for _ in self.chain.state.db.table(LimitOrder)))
    @rule(pick=st.integers(0, 10**6), fee_in_usd=st.booleans())
    def cancel(self, pick: int, fee_in_usd: bool) -> None:
        orders = self.open_orders()
        target = orders[pick % len(orders)]
        op = LimitOrderCancel(Asset(0, GPX), target.seller, target.id)
        self.produce([(self.fee_op(op, fee_in_usd), self.chain.state.account(target.seller).name)])

    @precondition(lambda self: any(True for _ in self.chain.state.db.table(LimitOrder)))
    @rule(pick=st.integers(0, 10**6), ratio=st.one_of(st.none(), st.integers(5, 12)),
          delta=st.one_of(st.none(), st.integers(-2000, 2000).filter(bool)),
          expires_in=st.one_of(st.none(), st.integers(0, 25)), fee_in_usd=st.booleans())
    def update(self, pick: int, ratio: int | None, delta: int | None, expires_in: int | None,
               fee_in_usd: bool) -> None:
        orders = self.open_orders()
        target = orders[pick % len(orders)]
        sell, receive = target.sell_price.base.asset_id, target.sell_price.quote.asset_id
        new_price = None
        left = target.for_sale + min(delta or 0, 0)
        if ratio is not None and left > 0:  # within what the order may sell: for_sale (+ delta)
            new_price = Price(Asset(left, sell), Asset(self.ask(sell, receive, left, ratio), receive))
        if (new_price, delta, expires_in) == (None, None, None):
            delta = 1
        op = LimitOrderUpdate(
            Asset(0, GPX), target.seller, target.id, new_price,
            None if delta is None else Asset(delta, sell),
            None if expires_in is None else self.chain.state.head_time + expires_in,
        )
        self.produce([(self.fee_op(op, fee_in_usd), self.chain.state.account(target.seller).name)])

    @rule(skip_slots=st.integers(0, 12))
    def advance(self, skip_slots: int) -> None:
        self.produce([], skip_slots=skip_slots)

    def teardown(self) -> None:
        """A fresh devnet replaying the blocks reaches the same state after every block."""
        replayed = self.chain.replayed_state_hashes()
        assert replayed[len(replayed) - len(self.hashes):] == self.hashes
        assert not replayed or replayed[-1] == self.chain.state.state_hash()


MarketMachine.TestCase.settings = settings(
    max_examples=40, stateful_step_count=30, deadline=None, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow])
TestMarketMachine = MarketMachine.TestCase


class MarketSoak(MarketMachine):
    """The same machine with longer streams. CI runs a bounded soak (10 streams of 70 steps);
    ``GRAPHEX_SOAK_EXAMPLES=50 python -m pytest -m slow`` runs the full one (about a minute)."""


MarketSoak.TestCase.settings = settings(
    max_examples=int(os.environ.get("GRAPHEX_SOAK_EXAMPLES", "10")), stateful_step_count=70,
    deadline=None, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow])
TestMarketSoak = pytest.mark.slow(MarketSoak.TestCase)
