"""How futures prices, months, pairs and series read in messages and API answers."""

from __future__ import annotations

from ...protocol.ids import ObjectId
from ...protocol.operations.futures import PRICE_DECIMALS
from ..state import ChainState


def price_text(ticks: int) -> str:
    """Ticks as a decimal price with 6 decimals: 50_000 → ``"0.050000"``."""
    whole, frac = divmod(abs(ticks), 10**PRICE_DECIMALS)
    return f"{'-' if ticks < 0 else ''}{whole}.{frac:0{PRICE_DECIMALS}d}"


def month_text(month: int) -> str:
    """``YYYYMM`` as ``"YYYY-MM"``."""
    return f"{month // 100:04d}-{month % 100:02d}"


def pair_symbol(state: ChainState, underlying: ObjectId, quote: ObjectId) -> str:
    return f"{state.asset(underlying).symbol}/{state.asset(quote).symbol}"


def series_label(state: ChainState, underlying: ObjectId, quote: ObjectId, month: int) -> str:
    """A series' name, as ``"GPX/USD 2026-12"``."""
    return f"{pair_symbol(state, underlying, quote)} {month_text(month)}"
