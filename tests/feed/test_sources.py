"""Price sources offline: ccxt exchanges answer from RECORDED ``fetch_ticker`` results
(``fixtures/ccxt_tickers.json``, floats as ccxt returns them) through real ccxt exchange objects
whose fetch method is replaced — and whose HTTP layer is made to fail, so nothing reaches the
network; manual and file sources; failure handling."""

from __future__ import annotations

import asyncio
import json
import os
from fractions import Fraction as F
from pathlib import Path
from typing import Any

import ccxt
import ccxt.async_support as ccxt_async
import pytest

from graphex.feed.config import SourceConfig, parse_config
from graphex.feed.errors import SourceError
from graphex.feed.markets import Quote
from graphex.feed.pricing import price_of
from graphex.feed.sources import (
    CcxtSource,
    FetchContext,
    FileSource,
    ManualSource,
    Source,
    fetch_all,
    make_exchange,
)

FIXTURES = Path(__file__).parent / "fixtures"
RECORDED = json.loads((FIXTURES / "ccxt_tickers.json").read_text())
RECORDED_AT_S = 1_767_225_600  # the kraken tickers' timestamp


def ccxt_config(name: str, markets: list[str], **extra: str) -> SourceConfig:
    """A source's config as the TOML parser builds it."""
    lines = [f"[sources.{name}]", 'type = "ccxt"', f'exchange = "{name}"',
             f"markets = {json.dumps(markets)}"] + [f"{k} = {v}" for k, v in extra.items()]
    text = "[publisher]\naccount='init0'\n[assets.USD]\n" + "\n".join(lines)
    return parse_config(text, Path("feed.toml")).sources[0]


def recorded_source(config: SourceConfig, monkeypatch: pytest.MonkeyPatch) -> CcxtSource:
    """A ccxt source whose exchange answers from the recording and cannot reach the network."""
    source = CcxtSource(config)
    exchange = source.exchange
    assert isinstance(exchange, ccxt_async.Exchange)

    async def fetch_ticker(symbol: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        try:
            return dict(RECORDED[exchange.id][symbol])
        except KeyError:
            raise ccxt.BadSymbol(f"{exchange.id} does not have market symbol {symbol}") from None

    async def no_network(*args: Any, **kwargs: Any) -> None:
        raise AssertionError(f"a test tried to reach the network: {args[:2]}")

    monkeypatch.setattr(exchange, "fetch_ticker", fetch_ticker)
    monkeypatch.setattr(exchange, "fetch", no_network)
    return source


def fetch(source: Source, now_s: float = RECORDED_AT_S) -> list[Quote]:
    async def run() -> list[Quote]:
        try:
            return await source.fetch(FetchContext(None, now_s))
        finally:
            await source.close()

    return asyncio.run(run())


# -- ccxt ------------------------------------------------------------------------------------------
def test_a_recorded_kraken_ticker_becomes_an_exact_quote(monkeypatch: pytest.MonkeyPatch) -> None:
    config = ccxt_config("kraken", ["XBT/USD"], aliases='{ XBT = "BTC" }')
    source = recorded_source(config, monkeypatch)
    monkeypatch.setitem(RECORDED["kraken"], "XBT/USD", RECORDED["kraken"]["BTC/USD"])
    (quote,) = fetch(source)
    assert (quote.asset, quote.currency, quote.market) == ("BTC", "USD", "XBT/USD")
    assert quote.price == F("60000.1")            # the float 60000.1 through its decimal text
    assert quote.volume == F("1234.56789012")     # baseVolume, in BTC
    assert quote.label == "kraken:XBT/USD"


def test_price_fields_vwap_and_mid(monkeypatch: pytest.MonkeyPatch) -> None:
    (vwap,) = fetch(recorded_source(ccxt_config("kraken", ["BTC/USD"], price='"vwap"'),
                                    monkeypatch))
    assert vwap.price == F("60107.42551")
    (mid,) = fetch(recorded_source(ccxt_config("kraken", ["BTC/USD"], price='"mid"'),
                                   monkeypatch))
    assert mid.price == (F("60000.0") + F("60000.2")) / 2


def test_a_ticker_without_last_or_base_volume(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(SourceError, match="kraken: ETH/USD: the ticker has no usable 'last' price"):
        fetch(recorded_source(ccxt_config("kraken", ["ETH/USD"]), monkeypatch))
    (mid,) = fetch(recorded_source(ccxt_config("kraken", ["ETH/USD"], price='"mid"'),
                                   monkeypatch))
    assert mid.price == F("3000.2") and mid.volume == F("3000200") / F("3000.2")  # quoteVolume/price


def test_aliases_and_volume_scale(monkeypatch: pytest.MonkeyPatch) -> None:
    config = ccxt_config("binance", ["BTC/USDT"], aliases='{ USDT = "USD" }', volume_scale="0.5")
    (quote,) = fetch(recorded_source(config, monkeypatch))
    assert (quote.asset, quote.currency) == ("BTC", "USD")
    assert quote.price == 60020 and quote.volume == F("20000.5") / 2


def test_a_stale_ticker_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    config = ccxt_config("bitstamp", ["BTC/USD"], max_age_s="3600")  # recorded an hour earlier
    assert len(fetch(recorded_source(config, monkeypatch), RECORDED_AT_S)) == 1
    with pytest.raises(SourceError, match="bitstamp: BTC/USD: the ticker is 3601 s old, more than "
                                          "max_age_s = 3600"):
        fetch(recorded_source(config, monkeypatch), RECORDED_AT_S + 1)
    unchecked = ccxt_config("bitstamp", ["BTC/USD"], max_age_s="0")
    assert len(fetch(recorded_source(unchecked, monkeypatch), RECORDED_AT_S + 10**6)) == 1


def test_recorded_exchanges_give_an_exact_volume_weighted_btc_price(
        monkeypatch: pytest.MonkeyPatch) -> None:
    sources: list[Source] = [
        recorded_source(ccxt_config("kraken", ["BTC/USD"]), monkeypatch),
        recorded_source(ccxt_config("bitstamp", ["BTC/USD"]), monkeypatch),
        recorded_source(ccxt_config("binance", ["BTC/USDT"], aliases='{ USDT = "USD" }'),
                        monkeypatch),
    ]
    fetched = asyncio.run(fetch_all(sources, FetchContext(None, RECORDED_AT_S)))
    assert fetched.failures == []
    result = price_of(fetched.quotes, "BTC", "USD", intermediates=())
    legs = [(F("60000.1"), F("1234.56789012")), (F("59995"), F("765.4321")),
            (F("60020"), F("20000.5"))]
    assert result.price == sum(p * v for p, v in legs) / sum(v for _, v in legs)


def test_unknown_exchange_and_exchange_errors() -> None:
    with pytest.raises(SourceError, match="sources.krakn.exchange: ccxt has no exchange 'krakn'"):
        make_exchange(ccxt_config("krakn", ["BTC/USD"]))


# -- failure handling ------------------------------------------------------------------------------
class Failing(Source):
    def __init__(self, config: SourceConfig, error: BaseException | None = None,
                 delay_s: float = 0) -> None:
        super().__init__(config)
        self.error, self.delay_s = error, delay_s

    async def fetch(self, context: FetchContext) -> list[Quote]:
        await asyncio.sleep(self.delay_s)
        if self.error is not None:
            raise self.error
        return []


def test_failing_sources_are_left_out_or_stop_the_round(monkeypatch: pytest.MonkeyPatch) -> None:
    network = Failing(SourceConfig("kraken", "ccxt"), ccxt.NetworkError("kraken GET timed out"))
    slow = Failing(SourceConfig("slow", "manual", timeout_s=1), delay_s=5)
    good = recorded_source(ccxt_config("kraken", ["BTC/USD"]), monkeypatch)
    fetched = asyncio.run(fetch_all([network, slow, good], FetchContext(None, RECORDED_AT_S)))
    assert fetched.failures == [("kraken", "NetworkError: kraken GET timed out"),
                                ("slow", "no answer within timeout_s = 1")]
    assert len(fetched.quotes) == 1
    vital = Failing(SourceConfig("vital", "ccxt", allow_failure=False), SourceError("vital: down"))
    with pytest.raises(SourceError, match="source vital failed and has allow_failure = false: "
                                          "vital: down"):
        asyncio.run(fetch_all([vital], FetchContext(None, RECORDED_AT_S)))


# -- manual and file -------------------------------------------------------------------------------
def test_manual_prices_are_exact() -> None:
    config = SourceConfig("fx", "manual", prices=(("USD", "CNY", F("7.1"), F(1)),),
                          aliases=(("CNY", "RMB"),))
    (quote,) = fetch(ManualSource(config))
    assert (quote.asset, quote.currency, quote.price, quote.volume) == ("USD", "RMB", F("7.1"), 1)


def test_a_price_file_is_read_exactly_and_refused_when_stale_or_malformed(tmp_path: Path) -> None:
    path = tmp_path / "prices.json"
    path.write_text('{"GPX/USD": 0.205624768946542, "BTC/USD": {"price": "60000", "volume": 3}}')
    config = SourceConfig("file", "file", path=path, max_age_s=60)
    now = os.path.getmtime(path)
    gpx, btc = fetch(FileSource(config), now)
    assert gpx.price == F(205624768946542, 10**15) and gpx.volume == 1
    assert (btc.price, btc.volume) == (60000, 3)
    with pytest.raises(SourceError, match=r"file: .*prices.json was written 61 s ago, more than "
                                          r"max_age_s = 60"):
        fetch(FileSource(config), now + 61)
    path.write_text('{"GPX/USD": {"price": 0.2, "size": 1}}')
    with pytest.raises(SourceError, match=r"prices.json.'GPX/USD': expected \{price, volume\}"):
        fetch(FileSource(config), os.path.getmtime(path))
    path.write_text("{not json")
    with pytest.raises(SourceError, match="file: Expecting property name"):
        fetch(FileSource(config), os.path.getmtime(path))
    with pytest.raises(SourceError, match="file: cannot read"):
        fetch(FileSource(SourceConfig("file", "file", path=tmp_path / "gone.json")), now)
