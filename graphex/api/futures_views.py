"""The futures market's JSON views over chain state, shared by the ``futures`` API set
(:mod:`graphex.api.futures_api`) and its notices (:mod:`graphex.api.futures_feed`).

Numbers stay exact: prices are integer ticks (10^-6 quote per whole underlying) with a
``*_text`` beside them ("0.050000", always 6 decimals); amounts are integers in the quote
asset's smallest units with a ``*_text`` at the asset's precision (core's
``amount_to_string``). A series is named ``"GPX/USD 2026-12"``: underlying/quote symbols and the
delivery month. Times left are whole seconds from the head block time, never negative.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import islice

from ..chain.futures.accounts import (
    account_risk,
    estimated_liquidation_price,
    fee_pool,
    margin_account,
    position_value,
    positions_of,
)
from ..chain.futures.names import pair_symbol, price_text, series_label
from ..chain.futures.objects import (
    DELIVERED,
    NO_PRICE,
    FuturesOrder,
    FuturesPosition,
    FuturesProduct,
    FuturesSeries,
    MarginAccount,
    book_bounds,
)
from ..chain.state import ChainState
from ..protocol.codec import Json
from ..protocol.ids import ObjectId
from ..protocol.operations.futures import LONG, SHORT
from .market_format import amount_to_string
from .queries import object_json

TRADING_STATUS, CLOSED_STATUS, DELIVERED_STATUS = "trading", "closed", "delivered"
BOOK_SIDES = {"bids": LONG, "asks": SHORT}
"""Longs bid, shorts ask."""


# -- text ----------------------------------------------------------------------------------------

def optional_price_text(ticks: int | None) -> str | None:
    return None if ticks is None or ticks == NO_PRICE else price_text(ticks)


def quote_text(state: ChainState, asset: ObjectId, amount: int) -> str:
    return amount_to_string(amount, state.asset(asset).precision)




def series_name(state: ChainState, series: FuturesSeries) -> str:
    return series_label(state, series.underlying, series.quote, series.delivery_month)


def average_entry_ticks(position: FuturesPosition, tick_value: int) -> int | None:
    """``cost / (lots × tick value)`` rounded to the nearest tick (half away from zero)."""
    divisor = abs(position.lots) * tick_value
    if divisor == 0:
        return None
    return (2 * abs(position.cost) + divisor) // (2 * divisor)


# -- products and series -------------------------------------------------------------------------
def product_json(state: ChainState, product: FuturesProduct) -> Json:
    found: dict[str, Json] = object_json(product)
    found["symbol"] = pair_symbol(state, product.underlying, product.quote)
    return found


def series_status(state: ChainState, series: FuturesSeries) -> str:
    if series.status == DELIVERED:
        return DELIVERED_STATUS
    return CLOSED_STATUS if state.head_time >= series.cutoff_time else TRADING_STATUS


def series_json(state: ChainState, series: FuturesSeries) -> Json:
    now = state.head_time
    found: dict[str, Json] = object_json(series)
    found.update({
        "name": series_name(state, series),
        "status": series_status(state, series),
        "seconds_to_cutoff": max(series.cutoff_time - now, 0),
        "seconds_to_delivery": max(series.delivery_time - now, 0),
        "mark_price_text": optional_price_text(series.mark_price),
        "last_price_text": optional_price_text(series.last_price),
        "delivery_price_text": optional_price_text(series.delivery_price),
    })
    return found


def series_of_product(state: ChainState, product: ObjectId) -> list[FuturesSeries]:
    """The product's series by delivery month."""
    found = [s for s in state.db.table(FuturesSeries) if s.product == product]
    return sorted(found, key=lambda s: s.delivery_month)


# -- the book ------------------------------------------------------------------------------------
def book_orders(state: ChainState, series: ObjectId, side: int) -> Iterator[FuturesOrder]:
    """Open orders of one side, best price first, oldest first at a price."""
    return state.db.ordered(FuturesOrder, "by_book").range(*book_bounds(series, side))


def book_levels(state: ChainState, series: ObjectId, side: int, limit: int) -> list[Json]:
    """Up to ``limit`` price levels ``{price, price_text, lots, orders}``, best first."""
    levels: list[dict[str, Json]] = []
    for order in book_orders(state, series, side):
        if levels and levels[-1]["price"] == order.price:
            level = levels[-1]
        else:
            if len(levels) == limit:
                break
            level = {"price": order.price, "price_text": price_text(order.price),
                     "lots": 0, "orders": 0}
            levels.append(level)
        level["lots"] += order.lots
        level["orders"] += 1
    return list(levels)


def book_json(state: ChainState, series: ObjectId, limit: int) -> Json:
    return {"series": str(series),
            **{name: book_levels(state, series, side, limit) for name, side in BOOK_SIDES.items()}}


def order_json(state: ChainState, order: FuturesOrder) -> Json:
    found: dict[str, Json] = object_json(order)
    found["name"] = series_name(state, state.db.get(order.series, FuturesSeries))
    found["price_text"] = price_text(order.price)
    return found


# -- positions and margin ------------------------------------------------------------------------
def position_json(state: ChainState, position: FuturesPosition,
                  margin: MarginAccount | None) -> Json:
    series = state.db.get(position.series, FuturesSeries)
    pnl, notional = position_value(position.lots, position.cost, series.mark_price,
                                   series.tick_value)
    liquidation = None if margin is None else estimated_liquidation_price(state, margin, position)
    return {
        "id": str(position.id),
        "series": str(series.id),
        "name": series_name(state, series),
        "lots": position.lots,
        "cost": position.cost,
        "average_entry_price_text": optional_price_text(
            average_entry_ticks(position, series.tick_value)),
        "mark_price": series.mark_price,
        "mark_price_text": optional_price_text(series.mark_price),
        "notional": notional,
        "unrealized_pnl": pnl,
        "unrealized_pnl_text": quote_text(state, position.quote, pnl),
        "realized_pnl": position.realized_pnl,
        "estimated_liquidation_price": liquidation,
        "estimated_liquidation_price_text": optional_price_text(liquidation),
    }


def quote_assets(state: ChainState) -> list[ObjectId]:
    """The assets some product is priced in (the possible margin assets), by id."""
    return sorted({p.quote for p in state.db.table(FuturesProduct)})


def positions_json(state: ChainState, owner: ObjectId, limit: int) -> list[Json]:
    """The account's positions in every quote asset (by asset, then oldest first)."""
    found: list[Json] = []
    for asset in quote_assets(state):
        margin = margin_account(state, owner, asset)
        for position in islice(positions_of(state, owner, asset), limit - len(found)):
            found.append(position_json(state, position, margin))
    return found


def margin_json(state: ChainState, owner: ObjectId, asset: ObjectId, position_limit: int
                ) -> Json:
    """The margin account's figures at the marks, zeros when the account has none."""
    margin = margin_account(state, owner, asset)
    probe = margin if margin is not None else MarginAccount(id=ObjectId(0, 0, 0), owner=owner,
                                                            asset=asset)
    risk = account_risk(state, probe)
    positions = [position_json(state, p, margin)
                 for p in islice(positions_of(state, owner, asset), position_limit)]

    def text(amount: int) -> str:
        return quote_text(state, asset, amount)

    return {
        "id": None if margin is None else str(margin.id),
        "owner": str(owner),
        "asset": str(asset),
        "balance": risk.balance, "balance_text": text(risk.balance),
        "locked": risk.locked, "locked_text": text(risk.locked),
        "equity": risk.equity, "equity_text": text(risk.equity),
        "unrealized_pnl": risk.unrealized, "unrealized_pnl_text": text(risk.unrealized),
        "notional": risk.notional,
        "maintenance_requirement": risk.maintenance,
        "initial_requirement": risk.initial,
        "free_margin": risk.free, "free_margin_text": text(risk.free),
        "margin_ratio_ppm": risk.ratio_ppm(),
        "liquidating": margin is not None and margin.liquidating,
        "positions": positions,
    }


def margin_accounts_json(state: ChainState, owner: ObjectId, position_limit: int
                         ) -> list[Json]:
    """The account's margin accounts in the assets products are priced in, by asset (a margin
    account in another asset holds only a deposit: ``get_margin_account`` shows it)."""
    return [margin_json(state, owner, asset, position_limit) for asset in quote_assets(state)
            if margin_account(state, owner, asset) is not None]


def fee_pool_json(state: ChainState, asset: ObjectId) -> Json:
    pool = fee_pool(state, asset)
    values = {kind: 0 if pool is None else getattr(pool, kind)
              for kind in ("balance", "trade_fees", "liquidation_fees", "delivery_fees")}
    return {"asset": str(asset), **values,
            "balance_text": quote_text(state, asset, values["balance"])}

