"""Price sources: each turns its answers into :class:`Quote`\\ s (exact price and volume of one
market), named as the config's assets name them (a source's ``aliases`` rename, e.g. XBT → BTC).

- ``ccxt``: an exchange through ccxt's async client, ``fetch_ticker`` per market; the price is the
  ticker's ``last`` (or ``close``, ``vwap``, or the bid/ask ``mid``), the volume its
  ``baseVolume``; a ticker older than ``max_age_s`` is refused. ccxt's floats are converted
  through their decimal text (:func:`~graphex.feed.exact.from_source_number`).
- ``dex``: the chain's own order books through the node API: ``get_ticker`` (``latest``, the
  24 h ``quote_volume``) or the midpoint of ``get_order_book``'s best bid and ask.
- ``manual``: fixed prices from the config.
- ``file``: a JSON price table (:mod:`.markets`) read every round; refused when older than
  ``max_age_s``.

A source that fails is reported and left out of the round (``allow_failure = true``, the default),
or stops the round (``false``). Each has ``timeout_s`` for its whole fetch.
"""

from __future__ import annotations

import asyncio
import json
import os
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

from .config import SourceConfig
from .errors import SourceError
from .exact import exact, from_source_number
from .markets import Quote, parse_price_table
from .rpc import RpcClient

MAX_PRICE_FILE_BYTES = 1 << 20


@dataclass(frozen=True)
class FetchContext:
    rpc: RpcClient | None   # the node, for ``dex`` sources
    now_s: float             # the wall clock, for staleness checks (not consensus)


class Source(ABC):
    def __init__(self, config: SourceConfig) -> None:
        self.config = config

    @property
    def name(self) -> str:
        return self.config.name

    @abstractmethod
    async def fetch(self, context: FetchContext) -> list[Quote]:
        """This round's quotes; raises :class:`SourceError` (or the client's own error)."""

    async def close(self) -> None:
        """Release connections (ccxt's HTTP session)."""

    def quote(self, asset: str, currency: str, price: Fraction, volume: Fraction) -> Quote:
        if price <= 0:
            raise SourceError(f"{self.name}: {asset}/{currency} price {price} is not positive")
        if volume < 0:
            raise SourceError(f"{self.name}: {asset}/{currency} volume {volume} is negative")
        c = self.config
        return Quote(c.name, c.canonical(asset), c.canonical(currency), price,
                     volume * c.volume_scale, f"{asset}/{currency}")


# -- ccxt ------------------------------------------------------------------------------------------
def make_exchange(config: SourceConfig) -> Any:
    """A ccxt async exchange object for ``config.exchange`` (refused if ccxt has no such id)."""
    # imported on use: 0.5 s, and only ccxt sources need it
    import ccxt.async_support as ccxt_async  # type: ignore[import-untyped]

    if config.exchange not in ccxt_async.exchanges:
        raise SourceError(f"sources.{config.name}.exchange: ccxt has no exchange "
                          f"{config.exchange!r}")
    exchange_class = getattr(ccxt_async, config.exchange)
    return exchange_class({"enableRateLimit": True, "timeout": config.timeout_s * 1000})


def ticker_price_volume(ticker: Mapping[str, Any], field: str, what: str
                        ) -> tuple[Fraction, Fraction]:
    """``(price, base volume)`` of a ccxt unified ticker."""
    def number(key: str) -> Fraction | None:
        value = ticker.get(key)
        return None if value is None else from_source_number(value, f"{what}.{key}")

    if field == "mid":
        bid, ask = number("bid"), number("ask")
        price = None if bid is None or ask is None else (bid + ask) / 2
    else:
        price = number(field) if field != "last" else (number("last") or number("close"))
    if price is None or price <= 0:
        raise SourceError(f"{what}: the ticker has no usable {field!r} price")
    volume = number("baseVolume")
    if volume is None:
        quote_volume = number("quoteVolume")
        volume = Fraction(0) if quote_volume is None else quote_volume / price
    return price, volume


class CcxtSource(Source):
    def __init__(self, config: SourceConfig, exchange: Any = None) -> None:
        super().__init__(config)
        self.exchange = exchange if exchange is not None else make_exchange(config)

    async def fetch(self, context: FetchContext) -> list[Quote]:
        markets = [f"{asset}/{currency}" for asset, currency in self.config.markets]
        tickers = await asyncio.gather(*(self.exchange.fetch_ticker(m) for m in markets))
        quotes = []
        for (asset, currency), market, ticker in zip(self.config.markets, markets, tickers,
                                                     strict=True):
            what = f"{self.name}: {market}"
            self._check_age(ticker, context.now_s, what)
            price, volume = ticker_price_volume(ticker, self.config.price_field, what)
            quotes.append(self.quote(asset, currency, price, volume))
        return quotes

    def _check_age(self, ticker: Mapping[str, Any], now_s: float, what: str) -> None:
        stamp_ms = ticker.get("timestamp")
        if not self.config.max_age_s or not isinstance(stamp_ms, int):
            return
        age_s = int(now_s) - stamp_ms // 1000
        if age_s > self.config.max_age_s:
            raise SourceError(f"{what}: the ticker is {age_s} s old, more than max_age_s = "
                              f"{self.config.max_age_s}")

    async def close(self) -> None:
        await self.exchange.close()


# -- the chain's own DEX ---------------------------------------------------------------------------
class DexSource(Source):
    async def fetch(self, context: FetchContext) -> list[Quote]:
        if context.rpc is None:
            raise SourceError(f"{self.name}: a dex source needs the node connection")
        return [await self._market(context.rpc, asset, currency)
                for asset, currency in self.config.markets]

    async def _market(self, rpc: RpcClient, asset: str, currency: str) -> Quote:
        what = f"{self.name}: {asset}/{currency}"
        # get_ticker(base, quote): ``latest`` is base per quote, ``quote_volume`` in quote
        ticker = await rpc.database("get_ticker", currency, asset)
        volume = _dex_number(ticker, "quote_volume", what)
        if self.config.price_field == "latest":
            price = _dex_number(ticker, "latest", what)
            if price == 0:
                raise SourceError(f"{what}: no trades on the DEX market yet")
        else:
            book = await rpc.database("get_order_book", currency, asset, 1)
            if not book.get("bids") or not book.get("asks"):
                raise SourceError(f"{what}: the DEX order book has no bid or no ask")
            bid = _dex_number(book["bids"][0], "price", what)
            ask = _dex_number(book["asks"][0], "price", what)
            price = (bid + ask) / 2
        return self.quote(asset, currency, price, volume)


def _dex_number(obj: Mapping[str, Any], key: str, what: str) -> Fraction:
    try:
        return exact(obj.get(key), f"{what}: {key}")
    except ValueError as exc:
        raise SourceError(str(exc)) from None


# -- fixed prices ----------------------------------------------------------------------------------
class ManualSource(Source):
    async def fetch(self, context: FetchContext) -> list[Quote]:
        return [self.quote(a, c, p, v) for a, c, p, v in self.config.prices]


class FileSource(Source):
    async def fetch(self, context: FetchContext) -> list[Quote]:
        path = self.config.path
        assert path is not None  # config guarantees it for a file source
        try:
            size, mtime = os.path.getsize(path), os.path.getmtime(path)
            if size > MAX_PRICE_FILE_BYTES:
                raise SourceError(f"{self.name}: {path} is {size} bytes, more than "
                                  f"MAX_PRICE_FILE_BYTES = {MAX_PRICE_FILE_BYTES}")
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise SourceError(f"{self.name}: cannot read {path}: {exc.strerror}") from None
        age_s = int(context.now_s - mtime)
        if self.config.max_age_s and age_s > self.config.max_age_s:
            raise SourceError(f"{self.name}: {path} was written {age_s} s ago, more than "
                              f"max_age_s = {self.config.max_age_s}")
        try:
            table = json.loads(text, parse_float=Decimal)
            rows = parse_price_table(table, f"{path}")
        except ValueError as exc:  # json.JSONDecodeError is a ValueError
            raise SourceError(f"{self.name}: {exc}") from None
        return [self.quote(a, c, p, v) for a, c, p, v in rows]


SOURCE_CLASSES: dict[str, Callable[[SourceConfig], Source]] = {
    "ccxt": CcxtSource, "dex": DexSource, "manual": ManualSource, "file": FileSource,
}


def build_sources(configs: tuple[SourceConfig, ...]) -> list[Source]:
    return [SOURCE_CLASSES[c.kind](c) for c in configs]


@dataclass(frozen=True)
class Fetched:
    quotes: list[Quote]
    failures: list[tuple[str, str]]  # (source name, message)


async def fetch_all(sources: list[Source], context: FetchContext) -> Fetched:
    """Every source's quotes, fetched concurrently; a failing source is recorded in
    ``failures`` or, without ``allow_failure``, raises :class:`SourceError`."""

    async def one(source: Source) -> list[Quote] | str:
        try:
            return await asyncio.wait_for(source.fetch(context), source.config.timeout_s)
        except TimeoutError:
            return f"no answer within timeout_s = {source.config.timeout_s}"
        except SourceError as exc:
            return str(exc)
        except Exception as exc:  # noqa: BLE001 — an exchange client's own errors (ccxt …)
            return f"{type(exc).__name__}: {exc}"

    results = await asyncio.gather(*(one(s) for s in sources))
    quotes: list[Quote] = []
    failures: list[tuple[str, str]] = []
    for source, result in zip(sources, results, strict=True):
        if isinstance(result, str):
            if not source.config.allow_failure:
                raise SourceError(f"source {source.name} failed and has allow_failure = false: "
                                  f"{result}")
            failures.append((source.name, result))
        else:
            quotes.extend(result)
    return Fetched(quotes, failures)
