"""Market names, quotes and price tables, as written in the config and in price files.

A market is written as exchanges write it, ``ASSET/CURRENCY``: ``BTC/USD`` is the price of one
BTC in USD, ``GPX/USD`` the price of one GPX in USD (0.2056). A price table maps markets to a
price, or to ``{price, volume}`` with the volume in units of ASSET (default 1)::

    {"GPX/USD": "0.2056", "BTC/USD": {"price": 60000, "volume": 12.5}}
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction

from .exact import exact

MAX_PRICE_TABLE_ENTRIES = 1000
"""Markets in one manual price table or price file."""
DEFAULT_MANUAL_VOLUME = Fraction(1)


@dataclass(frozen=True)
class Quote:
    """One market's price from one source: ``price`` units of ``currency`` per ``asset``, and
    ``volume`` traded in units of ``asset``. ``market`` is the source's own name for it."""

    source: str
    asset: str
    currency: str
    price: Fraction
    volume: Fraction
    market: str
    inverted: bool = False

    def invert(self) -> Quote:
        """The same quote seen from the other side: price ``1/p``, volume ``v·p`` (in currency)."""
        return Quote(self.source, self.currency, self.asset, 1 / self.price,
                     self.volume * self.price, self.market, not self.inverted)

    @property
    def label(self) -> str:
        return f"{self.source}:{self.market}" + (" inverted" if self.inverted else "")


def parse_market(text: object, where: str) -> tuple[str, str]:
    """``"ASSET/CURRENCY"`` → ``(asset, currency)``; refused with ``where`` in the message."""
    parts = text.split("/") if isinstance(text, str) else []
    if len(parts) != 2 or not all(p.strip() for p in parts):
        raise ValueError(f"{where}: market must be 'ASSET/CURRENCY' (e.g. 'BTC/USD'), got {text!r}")
    asset, currency = parts[0].strip(), parts[1].strip()
    if asset == currency:
        raise ValueError(f"{where}: market {text!r} prices an asset in itself")
    return asset, currency


def parse_price_table(table: object, where: str
                      ) -> list[tuple[str, str, Fraction, Fraction]]:
    """``[(asset, currency, price, volume), …]`` from a price table; prices must be positive and
    volumes non-negative."""
    if not isinstance(table, Mapping):
        raise ValueError(  # noqa: TRY004 (one error type for every bad price table)
            f"{where}: expected a table of market = price, got {type(table).__name__}")
    if len(table) > MAX_PRICE_TABLE_ENTRIES:
        raise ValueError(f"{where}: {len(table)} markets, more than MAX_PRICE_TABLE_ENTRIES = "
                         f"{MAX_PRICE_TABLE_ENTRIES}")
    rows = []
    for market, entry in table.items():
        here = f"{where}.{market!r}" if "/" in str(market) else f"{where}.{market}"
        asset, currency = parse_market(market, here)
        if isinstance(entry, Mapping):
            unknown = sorted(set(entry) - {"price", "volume"})
            if unknown or "price" not in entry:
                raise ValueError(f"{here}: expected {{price, volume}}, got keys {sorted(entry)}")
            price = exact(entry["price"], f"{here}.price")
            volume = exact(entry.get("volume", DEFAULT_MANUAL_VOLUME), f"{here}.volume")
        else:
            price, volume = exact(entry, here), DEFAULT_MANUAL_VOLUME
        if price <= 0:
            raise ValueError(f"{here}: price must be positive, got {price}")
        if volume < 0:
            raise ValueError(f"{here}: volume must not be negative, got {volume}")
        rows.append((asset, currency, price, volume))
    return rows
