"""Helpers for the futures trading tests: a chain at a chosen UTC time with a user-issued USD
(precision 4) held by alice, bob, carol and dave, the product GPX/USD (1 000 GPX per lot, tick
value 10: one lot moving 0.000001 USD/GPX is worth 0.0010 USD), margin moves and orders through
real transactions, and the zero-sum ledger.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from graphex.chain.futures.accounts import account_risk, margin_account, position_in
from graphex.chain.futures.checks import futures_holdings
from graphex.chain.futures.objects import (
    FuturesFeePool,
    FuturesOrder,
    FuturesPosition,
    FuturesSeries,
    MarginAccount,
)
from graphex.protocol.ids import ObjectId
from graphex.protocol.operations.futures import (
    LONG,
    SHORT,
    FuturesOrderCancel,
    FuturesOrderCreate,
    MarginDeposit,
    MarginWithdraw,
)
from graphex.protocol.types import Asset
from graphex.testing.chain import GPX, DevChain
from tests.chain.evaluators.helpers import push, with_fee
from tests.chain.futures.product_helpers import chain_at, create_product, series_of, utc
from tests.chain.market.helpers import issue, new_uia

TRADERS = ("alice", "bob", "carol", "dave")
USD_UNIT = 10_000
"""Smallest units per USD (precision 4)."""


@dataclass
class Market:
    chain: DevChain
    usd: ObjectId
    product: ObjectId
    series: list[FuturesSeries]

    @property
    def front(self) -> FuturesSeries:
        return self.series[0]

    def id(self, name: str) -> ObjectId:
        return self.chain.account_id(name)


def futures_market(when_s: int | None = None, usd_each: int = 100_000 * USD_UNIT,
                   **params: Any) -> Market:
    """A chain at ``when_s`` (default 2026-11-21 12:00 UTC) with USD and the GPX/USD product."""
    chain = chain_at(utc(2026, 11, 21, 12) if when_s is None else when_s)
    usd = new_uia(chain, "USD", issuer="gateway", precision=4)
    issue(chain, usd, {name: usd_each for name in TRADERS})
    product = create_product(chain, GPX, usd, **params)
    return Market(chain, usd, product, series_of(chain, product))


def deposit(m: Market, who: str, amount: int) -> None:
    push(m.chain, MarginDeposit(Asset(0, GPX), m.id(who), Asset(amount, m.usd)), [who])


def withdraw_op(m: Market, who: str, amount: int) -> MarginWithdraw:
    return MarginWithdraw(Asset(0, GPX), m.id(who), Asset(amount, m.usd))


def order_op(m: Market, who: str, side: int, lots: int, price: int, *, month: int | None = None,
             flags: int = 0, expiration: int | None = None) -> FuturesOrderCreate:
    op = FuturesOrderCreate(Asset(0, GPX), m.id(who), m.product,
                            month if month is not None else m.front.delivery_month,
                            side, lots, price, flags=flags)
    if expiration is not None:
        op = FuturesOrderCreate(op.fee, op.account, op.product, op.delivery_month, side, lots,
                                price, expiration, flags)
    return with_fee(m.chain, op)


def place(m: Market, who: str, side: int, lots: int, price: int, **kw: Any) -> ObjectId | None:
    """Place an order in its own block; its id if it still rests, else None."""
    processed = m.chain.push([order_op(m, who, side, lots, price, **kw)], [who])
    order_id: ObjectId = processed.operation_results[0].value
    return order_id if m.chain.state.db.find(order_id, FuturesOrder) is not None else None


def long(m: Market, who: str, lots: int, price: int, **kw: Any) -> ObjectId | None:
    return place(m, who, LONG, lots, price, **kw)


def short(m: Market, who: str, lots: int, price: int, **kw: Any) -> ObjectId | None:
    return place(m, who, SHORT, lots, price, **kw)


def cancel(m: Market, who: str, order_id: ObjectId) -> None:
    push(m.chain, FuturesOrderCancel(Asset(0, GPX), m.id(who), order_id), [who])


def margin(m: Market, who: str) -> MarginAccount | None:
    return margin_account(m.chain.state, m.id(who), m.usd)


def balance(m: Market, who: str) -> int:
    found = margin(m, who)
    return found.balance if found is not None else 0


def position(m: Market, who: str, series: FuturesSeries | None = None) -> FuturesPosition | None:
    return position_in(m.chain.state, m.id(who), (series or m.front).id)


def lots(m: Market, who: str, series: FuturesSeries | None = None) -> int:
    found = position(m, who, series)
    return found.lots if found is not None else 0


def risk(m: Market, who: str) -> Any:
    found = margin(m, who)
    assert found is not None
    return account_risk(m.chain.state, found)


def pool(m: Market) -> int:
    found = m.chain.state.db.index(FuturesFeePool, "by_asset").get(m.usd)
    return found.balance if found is not None else 0


def vault(m: Market) -> int:
    """What the futures market holds of USD: Σ (balance) − Σ (position cost) + fee pool — equal
    to Σ deposits − Σ withdrawals whatever trading, liquidation and delivery did (zero-sum)."""
    return dict(futures_holdings(m.chain.state)).get(m.usd, 0)


def balances_plus_pool(m: Market) -> int:
    db = m.chain.state.db
    return sum(a.balance for a in db.table(MarginAccount) if a.asset == m.usd) + pool(m)


def mark(m: Market, series: FuturesSeries | None = None) -> int:
    return m.chain.state.db.get((series or m.front).id, FuturesSeries).mark_price


def ops_of(m: Market, cls: type) -> list[Any]:
    return [r.op for r in m.chain.state.block_ops if isinstance(r.op, cls)]
