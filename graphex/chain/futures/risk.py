"""Safety bands: which accounts a mark move may have put below maintenance, without looking at
the others (``docs/futures.md`` § Liquidation check cost).

An account's slack ``S = E − M`` is linear in the marks (up to the per-position rounding of the
requirement, absorbed by one unit per position). :func:`rekey` splits ``S`` evenly over the
account's ``n`` marked positions and gives each the adverse mark move its share covers: a long's
``risk_lo = m − ⌊share × 10^6 / (tv × |q| × (10^6 − mm))⌋``, a short's
``risk_hi = m + ⌊share × 10^6 / (tv × |q| × (10^6 + mm))⌋``. While every mark stays within every
band, the account's slack stays ≥ 0. :func:`crossed_accounts` reads the per-series band index
from the new mark outward, so its cost is the number of positions whose band was crossed.
"""

from __future__ import annotations

from ...protocol.ids import ObjectId
from ...protocol.operations.futures import PPM
from ..state import ChainState
from .accounts import account_risk, positions_of, series_of
from .objects import (
    NO_PRICE,
    PRICE_BITS,
    RISK_NONE_HI,
    RISK_NONE_LO,
    FuturesPosition,
    MarginAccount,
    risk_key,
)


def rekey(state: ChainState, margin: MarginAccount) -> None:
    """Recompute the safety bands of ``margin``'s positions at the current marks; an account
    already below maintenance is flagged ``liquidating`` (checked every block)."""
    db = state.db
    positions = list(positions_of(state, margin.owner, margin.asset))
    marked = [p for p in positions if series_of(state, p).mark_price != NO_PRICE]
    risk = account_risk(state, margin)
    under = bool(marked) and risk.slack < 0
    if under != margin.liquidating:
        with db.modify(margin) as m:
            m.liquidating = under
    share = (risk.slack - len(marked)) // len(marked) if marked else 0
    for position in positions:
        series = series_of(state, position)
        lo, hi = RISK_NONE_LO, RISK_NONE_HI
        if series.mark_price != NO_PRICE and not under:
            mark, tv, mm = series.mark_price, series.tick_value, series.parameters.maintenance_margin_ppm
            q = abs(position.lots)
            if share <= 0:
                allowance = 0
            elif position.lots > 0:
                allowance = share * PPM // (tv * q * (PPM - mm))
            else:
                allowance = share * PPM // (tv * q * (PPM + mm))
            if position.lots > 0:
                lo = max(mark - allowance, RISK_NONE_LO)
            else:
                hi = min(mark + allowance, RISK_NONE_HI)
        if lo != position.risk_lo or hi != position.risk_hi:
            with db.modify(position) as p:
                p.risk_lo, p.risk_hi = lo, hi


def crossed_accounts(state: ChainState, series_id: ObjectId, mark: int) -> list[ObjectId]:
    """Owners of the positions in ``series_id`` whose band the mark ``mark`` left: longs with
    ``risk_lo > mark``, shorts with ``risk_hi < mark`` (longs then shorts, in band order)."""
    s = series_id.instance
    index = state.db.ordered(FuturesPosition, "by_risk")
    owners = [p.account for p in index.range(risk_key(s, 0, mark + 1, 0), risk_key(s, 1, 0, 0))]
    owners += [p.account for p in index.range(risk_key(s, 1, 0, 0), risk_key(s, 1, mark, 0))]
    return owners


assert RISK_NONE_HI < 1 << PRICE_BITS
