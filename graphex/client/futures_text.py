"""Futures text: prices in ticks with the seed's cut, months, series names, sides, flags and
rates (SPEC §7) — the pure parsing and formatting behind the futures builders and the wallet's
futures commands.
"""

from __future__ import annotations

import re
from fractions import Fraction

from ..protocol.operations.futures import (
    IMMEDIATE_OR_CANCEL,
    LONG,
    MARK_FEED,
    MARK_LAST_TRADE,
    POST_ONLY,
    PPM,
    PRICE_DECIMALS,
    PRICE_SCALE,
    REDUCE_ONLY,
    SHORT,
)
from .amounts import format_units, parse_decimal
from .errors import AmountError, ClientError

INT64_MAX = (1 << 63) - 1

FUTURES_SIDES = {"long": LONG, "buy": LONG, "short": SHORT, "sell": SHORT}
MARK_SOURCES = {"last": MARK_LAST_TRADE, "last-trade": MARK_LAST_TRADE, "feed": MARK_FEED}
FUTURES_RATES = ("initial_margin", "maintenance_margin", "trade_fee", "liquidation_fee",
                 "delivery_fee")
"""Rate keywords of the product builders (percent text) and their ``<name>_ppm`` fields."""
FIRST_MONTH, LAST_MONTH = 197001, 210512
"""Delivery months a chain time (``time_point_sec``) can reach."""
_MONTH = re.compile(r"^(\d{4})-?(\d{2})$")
_SERIES_NAME = re.compile(r"^(\S+?)\s*(?::|\s)\s*(\d{4}-?\d{2})$")
_PRODUCT_ID = re.compile(r"^1\.100\.\d+$")
SERIES_ID = re.compile(r"^1\.101\.\d+$")


def futures_price_ticks(text: str) -> tuple[int, bool]:
    """Decimal text of quote per whole underlying → ``(ticks, was_cut)``: decimals beyond six
    are cut, not rounded (seed) — ``"0.0500019"`` → ``(50001, True)``, ``"0.05"`` →
    ``(50000, False)``. Zero, negative, below one tick, too large or non-numbers are refused."""
    value = parse_decimal(text, "price")
    if value <= 0:
        raise AmountError(f"price {text} must be positive")
    scaled = value * PRICE_SCALE
    ticks = scaled.numerator // scaled.denominator
    if ticks < 1:
        raise AmountError(f"price {text} is below one tick ({format_price_ticks(1)}): futures "
                          f"prices have at most {PRICE_DECIMALS} decimals")
    if ticks > INT64_MAX:
        raise AmountError(f"price {text} is too large (at most {format_price_ticks(INT64_MAX)})")
    return ticks, scaled.denominator != 1


def format_price_ticks(ticks: int) -> str:
    """``50001`` → ``"0.050001"``: always six decimals, as the API's ``price_text``."""
    sign = "-" if ticks < 0 else ""
    whole, frac = divmod(abs(ticks), PRICE_SCALE)
    return f"{sign}{whole}.{frac:0{PRICE_DECIMALS}d}"


def price_cut_notice(text: str, ticks: int) -> str:
    """What to tell a user whose price :func:`futures_price_ticks` cut."""
    return (f"price {text} has more than {PRICE_DECIMALS} decimals: cut to "
            f"{format_price_ticks(ticks)} (seed rule)")


def parse_month(text: str) -> int:
    """``"2026-12"`` or ``"202612"`` → ``202612``."""
    match = _MONTH.match(text.strip())
    if match is None:
        raise ClientError(f"delivery month {text!r} is not YYYY-MM or YYYYMM (as 2026-12)")
    month = int(match.group(1)) * 100 + int(match.group(2))
    if not 1 <= month % 100 <= 12 or not FIRST_MONTH <= month <= LAST_MONTH:
        raise ClientError(f"delivery month {text!r} is not a month between "
                          f"{format_month(FIRST_MONTH)} and {format_month(LAST_MONTH)}")
    return month


def format_month(month: int) -> str:
    """``202612`` → ``"2026-12"``."""
    return f"{month // 100:04d}-{month % 100:02d}"


def parse_series_name(text: str) -> tuple[str, int]:
    """``"GPX/USD 2026-12"``, ``"GPX/USD:202612"`` or ``"1.100.0 2026-12"`` → the product
    (``"GPX/USD"`` or its id) and the month ``202612``."""
    match = _SERIES_NAME.match(text.strip())
    if match is None:
        raise ClientError(f"series {text!r} is not '<product> <month>' (as 'GPX/USD 2026-12' "
                          "or 'GPX/USD:202612') nor a series id 1.101.N")
    return check_product_name(match.group(1)), parse_month(match.group(2))


def check_product_name(text: str) -> str:
    """A product as its id ``1.100.N`` or its pair ``U/Q`` (upper-cased)."""
    name = text.strip()
    if _PRODUCT_ID.match(name):
        return name
    parts = name.upper().split("/")
    if len(parts) != 2 or not all(parts):
        raise ClientError(f"futures product {text!r} is not 'UNDERLYING/QUOTE' (as 'GPX/USD') "
                          "nor a product id 1.100.N")
    return "/".join(parts)


def futures_side(side: str | int) -> int:
    """``"long"``/``"buy"`` → 0, ``"short"``/``"sell"`` → 1 (0 and 1 pass through)."""
    if isinstance(side, int) and side in (LONG, SHORT):
        return side
    found = FUTURES_SIDES.get(str(side).strip().lower())
    if found is None:
        raise ClientError(f"side {side!r} is neither long nor short")
    return found


def futures_flags(*, reduce_only: bool = False, post_only: bool = False,
                  ioc: bool = False) -> int:
    """The order's ``flags`` bits."""
    if post_only and ioc:
        raise ClientError("an order cannot be both post-only and immediate-or-cancel")
    return (REDUCE_ONLY if reduce_only else 0) | (POST_ONLY if post_only else 0) | \
        (IMMEDIATE_OR_CANCEL if ioc else 0)


def percent_ppm(text: str, what: str) -> int:
    """Percent text → ppm: ``"10"`` or ``"10%"`` → 100000, ``"0.01"`` → 100."""
    value = parse_decimal(text.strip().removesuffix("%"), what) * (PPM // 100)
    if value.denominator != 1:
        raise AmountError(f"{what} {text} has more than four decimals (rates are in ppm)")
    if not 0 <= value <= PPM:
        raise AmountError(f"{what} {text} is not a percentage between 0 and 100")
    return value.numerator


def format_ppm_percent(ppm: int) -> str:
    """``100000`` → ``"10%"``, ``100`` → ``"0.01%"``."""
    return format_units(ppm, 4) + "%"


def tick_value(contract_units: int, underlying_precision: int, quote_precision: int
               ) -> Fraction:
    """Quote smallest units one lot gains per tick (the chain lists a product only when this is
    a whole number ≥ 1)."""
    return Fraction(contract_units * 10**quote_precision,
                    10**underlying_precision * PRICE_SCALE)


def smallest_contract_text(underlying_precision: int, quote_precision: int) -> str:
    """The smallest contract size, in whole underlying, with a whole tick value."""
    units = 10 ** max(underlying_precision + PRICE_DECIMALS - quote_precision, 0)
    return format_units(units, underlying_precision)
