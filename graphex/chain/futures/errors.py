"""The futures market's typed refusals; each message names the rule and the values."""

from __future__ import annotations

from ..errors import ChainError


class FuturesError(ChainError):
    """A futures operation refused by the market's rules."""

    rule = "futures"


class UnknownSeries(FuturesError):
    """No such product, or a month that was delivered or can never list."""

    rule = "futures series"


class SeriesNotListed(FuturesError):
    """A pre-order: the month will list later. A node keeps such a transaction in its waiting
    pool and retries it after every block until it applies or expires (SPEC §7)."""

    rule = "futures series not listed yet"
    deferrable = True


class TradingClosed(FuturesError):
    """An order or cancel at or after the series' cutoff (23:30:00 UTC of its last day)."""

    rule = "futures trading window"


class InsufficientMargin(FuturesError):
    """Free margin below what an order locks, or a withdrawal beyond the free margin."""

    rule = "futures margin"


class OrderRuleError(FuturesError):
    """An order breaking a flag's rule (post-only crossing, reduce-only increasing …)."""

    rule = "futures order"


class ProductError(FuturesError):
    """A product listing or update refused."""

    rule = "futures product"
