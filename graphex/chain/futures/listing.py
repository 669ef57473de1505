"""Listing series (SPEC §7 calendar): a product trades the four months of
:func:`~.calendar.listed_months`; a month it has never had is listed with the product's current
parameters and tick value, and a virtual ``futures_series_list`` is emitted.

Called when a product is created (its four series trade at once) and by the per-block calendar at
the first block at or after 00:00:00 UTC on the 1st. A month is never listed twice (a delivered
series keeps its month), nor once its cutoff has passed (a product created in the last 30 minutes
of a month does not list that month: nothing could trade in it).
"""

from __future__ import annotations

from ...protocol.operations.futures import FuturesSeriesList
from ..market.objects import NO_FEE
from ..state import ChainState
from .calendar import cutoff_time, delivery_time, listed_months, valid_month
from .objects import FuturesProduct, FuturesSeries


def list_series(state: ChainState, product: FuturesProduct, when_s: int) -> list[FuturesSeries]:
    """List the months trading at ``when_s`` that ``product`` does not have yet; the new
    series, in month order."""
    by_month = state.db.index(FuturesSeries, "by_month")
    listed: list[FuturesSeries] = []
    for month in listed_months(when_s):
        if (by_month.get((product.id, month)) is not None or not valid_month(month)
                or when_s >= cutoff_time(month)):
            continue
        series = state.db.create(
            FuturesSeries,
            product=product.id,
            underlying=product.underlying,
            quote=product.quote,
            delivery_month=month,
            parameters=product.parameters,
            tick_value=product.tick_value,
            listed_time=when_s,
            cutoff_time=cutoff_time(month),
            delivery_time=delivery_time(month),
        )
        state.applied.push(FuturesSeriesList(
            fee=NO_FEE, owner=product.owner, product=product.id, series=series.id,
            delivery_month=month, cutoff_time=series.cutoff_time,
            delivery_time=series.delivery_time,
        ))
        listed.append(series)
    return listed


def list_due_series(state: ChainState, when_s: int) -> list[FuturesSeries]:
    """:func:`list_series` for every product, in id order; every new series."""
    products = list(state.db.table(FuturesProduct))
    listed: list[FuturesSeries] = []
    for product in products:
        listed.extend(list_series(state, product, when_s))
    return listed
