"""The feed tool's TOML config: the documented example parses to exact values, defaults and
per-asset overrides merge, keys come from a file or the environment, and every refusal names the
file and the key."""

from __future__ import annotations

from fractions import Fraction as F
from pathlib import Path

import pytest

from graphex.chain.genesis import devnet_key
from graphex.feed.config import load_config, parse_config
from graphex.feed.errors import ConfigError

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "feed.example.toml"
WIF = devnet_key("init0").to_wif()

MINIMAL = f"""
[publisher]
account = "init0"
wif = "{WIF}"

[assets.USD]

[sources.fx]
type = "manual"
prices = {{ "GPX/USD" = 0.205624768946542 }}
"""


def parse(text: str, path: Path = Path("feed.toml")) -> object:
    return parse_config(text, path)


def refused(text: str) -> str:
    with pytest.raises(ConfigError) as info:
        parse_config(text, Path("feed.toml"))
    return str(info.value)


def test_the_documented_example_parses(tmp_path: Path) -> None:
    config_file = tmp_path / "feed.toml"
    config_file.write_text(EXAMPLE.read_text())
    (tmp_path / "init0.wif").write_text(f"# init0's active key\n{WIF}\n")
    config = load_config(config_file)
    assert config.interval_s == 300 and config.node.url == "http://127.0.0.1:8090"
    assert config.publisher.account == "init0" and config.publisher.key is not None
    assert config.publisher.key.to_wif() == WIF
    usd, cny = config.assets
    assert (usd.symbol, usd.peg, usd.backing, usd.sources) == ("USD", "USD", "GPX", None)
    assert (usd.mcr, usd.mssr, usd.icr, usd.cer_premium) == (1750, 1100, None, F(1, 20))
    assert usd.intermediates == ("BTC", "USD") and usd.min_change == F(1, 100)
    assert (cny.backing, cny.cer_premium, cny.mcr, cny.mssr) == (None, F(1, 5), 1600, 1100)
    assert cny.sources == ("kraken", "dex", "fx")
    sources = {s.name: s for s in config.sources}
    assert sources["kraken"].markets == (("BTC", "USD"), ("BTC", "EUR"))
    assert sources["kraken"].canonical("XBT") == "BTC" and sources["kraken"].max_age_s == 600
    assert sources["binance"].volume_scale == F(1, 2)
    assert sources["dex"].price_field == "latest"
    assert sources["fx"].prices == (("USD", "CNY", F("7.1"), F(1)),
                                    ("EUR", "USD", F("1.08"), F(1000)))
    assert sources["file"].path == tmp_path / "prices.json"


def test_numbers_are_exact_decimals_not_floats() -> None:
    config = parse_config(MINIMAL.replace("[assets.USD]", "[assets.USD]\ncer_premium_percent = 0.1"),
                          Path("feed.toml"))
    (source,) = config.sources
    assert source.prices[0][2] == F(205624768946542, 10**15)
    assert config.assets[0].cer_premium == F(1, 1000)


def test_defaults_without_key_and_ws_url() -> None:
    text = MINIMAL.replace(f'wif = "{WIF}"\n', "") + '[node]\nurl = "ws://127.0.0.1:8090"\n'
    config = parse_config(text, Path("feed.toml"))
    assert config.publisher.key is None and config.node.url.startswith("ws://")
    usd = config.assets[0]
    assert (usd.metric, usd.max_age_s, usd.min_sources, usd.max_change) == \
        ("weighted", 43200, 1, None)


def test_key_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FEED_TEST_WIF", WIF)
    text = MINIMAL.replace(f'wif = "{WIF}"', 'wif_env = "FEED_TEST_WIF"')
    config = parse_config(text, Path("feed.toml"))
    assert config.publisher.key is not None
    monkeypatch.delenv("FEED_TEST_WIF")
    with pytest.raises(ConfigError, match=r"feed.toml: publisher.wif_env: environment variable "
                                          r"FEED_TEST_WIF is not set"):
        parse_config(text, Path("feed.toml"))


@pytest.mark.parametrize(("change", "message"), [
    (("[assets.USD]", "[assets.USD]\nmrc = 1750"),
     "feed.toml: assets.USD.mrc: unknown key"),
    (("[assets.USD]", "[assets.USD]\nmcr = 100"),
     "feed.toml: assets.USD.mcr: must be an integer in [1001, 32000] per mille, got 100"),
    (("[assets.USD]", "[defaults]\nmssr = 1.5\n[assets.USD]"),
     "feed.toml: defaults.mssr: must be an integer in [1001, 32000] per mille, got Decimal('1.5')"),
    (("[assets.USD]", "[defaults]\nmetric = 'vwap'\n[assets.USD]"),
     "feed.toml: defaults.metric: must be one of weighted, median, mean; got 'vwap'"),
    (("[assets.USD]", "[assets.USD]\nsources = ['krakn']"),
     "feed.toml: assets.USD.sources: no source named 'krakn' (configured: fx)"),
    (("[assets.USD]", "[assets.USD]\nbacking = 'USD'"),
     "feed.toml: assets.USD.backing: USD cannot be backed by itself"),
    (("[assets.USD]", "[assets.USD]\nmin_change_percent = -1"),
     "feed.toml: assets.USD.min_change_percent: must be in [0, 100], got -1"),
    (('type = "manual"', 'type = "exchange"'),
     "feed.toml: sources.fx.type: must be one of ccxt, dex, manual, file; got 'exchange'"),
    (('"GPX/USD" = 0.205624768946542', '"GPXUSD" = 1'),
     "feed.toml: sources.fx.prices.GPXUSD: market must be 'ASSET/CURRENCY'"),
    (('"GPX/USD" = 0.205624768946542', '"GPX/USD" = -1'),
     "feed.toml: sources.fx.prices.'GPX/USD': price must be positive, got -1"),
    (('"GPX/USD" = 0.205624768946542', '"GPX/USD" = "cheap"'),
     "feed.toml: sources.fx.prices.'GPX/USD': 'cheap' is not a number"),
    (('type = "manual"', 'type = "ccxt"\nexchange = "kraken"\nmarkets = ["BTC-USD"]'),
     "feed.toml: sources.fx.markets: market must be 'ASSET/CURRENCY'"),
    ((f'wif = "{WIF}"', 'wif = "5notakey"'), "feed.toml: publisher.wif: not a valid WIF"),
    ((f'wif = "{WIF}"', f'wif = "{WIF}"\nkey_file = "k"'),
     "feed.toml: publisher.key_file: give only one of wif, key_file, wif_env"),
    (('account = "init0"', ''), "feed.toml: publisher.account: is required"),
    (("[assets.USD]", '[node]\nurl = "127.0.0.1:8090"\n[assets.USD]'),
     "feed.toml: node.url: must start with http://, https://, ws:// or wss://"),
    (("[assets.USD]", "[assets.USD]\n[assets.USD.extra]"),
     "feed.toml: assets.USD.extra: unknown key"),
    (("[publisher]", "intervals = 3\n[publisher]"), "feed.toml: intervals: unknown key"),
    (("[assets.USD]", "[asset.USD]"), "feed.toml: assets: at least one [assets.SYMBOL] table"),
    (("[publisher]", "[[publisher]]"), "feed.toml: publisher must be a table, got list"),
    (("[publisher]", "[publisher"), "feed.toml: not valid TOML"),
])
def test_refusals_name_the_file_and_the_key(change: tuple[str, str], message: str) -> None:
    old, new = change
    assert old in MINIMAL
    assert refused(MINIMAL.replace(old, new, 1)).startswith(message)


def test_a_missing_key_file_or_config_is_refused_readably(tmp_path: Path) -> None:
    config_file = tmp_path / "feed.toml"
    config_file.write_text(MINIMAL.replace(f'wif = "{WIF}"', 'key_file = "nope.wif"'))
    with pytest.raises(ConfigError, match=r"publisher.key_file: cannot read .*nope.wif"):
        load_config(config_file)
    with pytest.raises(ConfigError, match=r"missing.toml: cannot read"):
        load_config(tmp_path / "missing.toml")
    assert "sources: at least one" in refused(MINIMAL.split("[sources.fx]")[0])


def test_a_dry_run_does_not_read_the_key(tmp_path: Path) -> None:
    config_file = tmp_path / "feed.toml"
    config_file.write_text(EXAMPLE.read_text())  # names key_file = "init0.wif", absent here
    with pytest.raises(ConfigError, match="key_file: cannot read"):
        load_config(config_file)
    config = load_config(config_file, read_key=False)
    assert config.publisher.account == "init0" and config.publisher.key is None
