"""The feed tool's TOML config (``docs/feed.md`` has a full example), read with :mod:`tomllib`
(numbers with a fraction part arrive as exact :class:`~decimal.Decimal`; no text is evaluated).

Sections: top-level ``interval_s``; ``[node]`` (url, timeout_s, expiration_s, wait_for_block,
fee_asset); ``[publisher]`` (account and one of wif, key_file, wif_env); ``[defaults]`` (every
per-asset setting); ``[assets.SYMBOL]`` (backing, peg and overrides of the defaults);
``[sources.NAME]`` (type ccxt, dex, manual or file, and its settings).

Every refusal is a :class:`ConfigError` naming the file and the key (``assets.USD.mcr``), and an
unknown key is refused, so a typo never silently falls back to a default. Collateral ratios are per
mille as on chain (MCR 1750 = 175 %); changes and premiums are percents.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

from ..protocol.bitasset import MAX_COLLATERAL_RATIO, MIN_COLLATERAL_RATIO
from ..protocol.keys import KeyError_, PrivateKey
from .errors import ConfigError
from .markets import parse_market, parse_price_table
from .tables import Table

METRICS = ("weighted", "median", "mean")
SOURCE_KINDS = ("ccxt", "dex", "manual", "file")
CCXT_PRICE_FIELDS = ("last", "close", "vwap", "mid")
DEX_PRICE_FIELDS = ("latest", "mid")
MAX_ASSETS = 100
MAX_SOURCES = 100
MAX_MARKETS_PER_SOURCE = 100
MAX_INTERMEDIATES = 10


@dataclass(frozen=True)
class NodeConfig:
    url: str = "http://127.0.0.1:8090"
    timeout_s: int = 10
    expiration_s: int = 60
    wait_for_block: bool = False
    fee_asset: str | None = None  # None: the core asset


@dataclass(frozen=True)
class PublisherConfig:
    account: str
    key: PrivateKey | None  # None: not given (enough for --dry-run)


@dataclass(frozen=True)
class AssetConfig:
    """One smartcoin to publish, its defaults merged with its overrides."""

    symbol: str                    # the smartcoin's symbol on chain
    peg: str                       # what it tracks, as sources name it (default: symbol)
    backing: str | None            # the backing asset's symbol (None: the core asset)
    sources: tuple[str, ...] | None  # source names to use (None: all)
    intermediates: tuple[str, ...]
    three_markets: bool
    metric: str
    min_sources: int
    min_change: Fraction           # publish when the price moved more than this (ratio)
    max_change: Fraction | None    # refuse to publish a larger move (None: no guard)
    max_age_s: int                 # publish when our last feed is older than this
    cer_premium: Fraction          # ratio: 5 % → 1/20
    mcr: int
    mssr: int
    icr: int | None


@dataclass(frozen=True)
class SourceConfig:
    name: str
    kind: str
    markets: tuple[tuple[str, str], ...] = ()    # ccxt, dex: (asset, currency) as the source names them
    aliases: tuple[tuple[str, str], ...] = ()    # source's name → the name used in assets
    price_field: str = ""
    exchange: str = ""                            # ccxt exchange id
    prices: tuple[tuple[str, str, Fraction, Fraction], ...] = ()  # manual
    path: Path | None = None                      # file
    allow_failure: bool = True
    timeout_s: int = 10
    max_age_s: int = 3600                         # ccxt ticker / file age; 0: not checked
    volume_scale: Fraction = Fraction(1)

    def canonical(self, name: str) -> str:
        return dict(self.aliases).get(name, name)


@dataclass(frozen=True)
class FeedConfig:
    path: Path
    interval_s: int
    node: NodeConfig
    publisher: PublisherConfig
    assets: tuple[AssetConfig, ...]
    sources: tuple[SourceConfig, ...]


def load_config(path: Path, *, read_key: bool = True) -> FeedConfig:
    """Read and check the config file at ``path``; ``read_key=False`` (a dry run) leaves the
    publisher's key unread."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    return parse_config(text, path, read_key=read_key)


def parse_config(text: str, path: Path, *, read_key: bool = True) -> FeedConfig:
    try:
        data = tomllib.loads(text, parse_float=Decimal)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    root = Table(data, "", str(path))
    interval_s = root.integer("interval_s", 300, 1, 86_400, " seconds")
    node = _node(root.table("node"))
    publisher = _publisher(root.table("publisher"), path.parent, read_key)
    sources = _sources(root.table("sources"))
    defaults = root.table("defaults")
    assets_table = root.table("assets")
    if not assets_table.data:
        raise root.refuse("assets", "at least one [assets.SYMBOL] table is required")
    if len(assets_table.data) > MAX_ASSETS:
        raise root.refuse("assets", f"more than MAX_ASSETS = {MAX_ASSETS}")
    names = {s.name for s in sources}
    assets = tuple(_asset(symbol, assets_table.table(symbol), defaults, names)
                   for symbol in list(assets_table.data))
    assets_table.read.update(assets_table.data)
    assets_table.finish()
    _asset_settings(defaults, defaults, names)  # checks [defaults] itself, unknown keys included
    defaults.finish()
    root.finish()
    return FeedConfig(path, interval_s, node, publisher, assets, sources)


def _node(table: Table) -> NodeConfig:
    url = table.text("url", NodeConfig.url)
    if not url.startswith(("http://", "https://", "ws://", "wss://")):
        raise table.refuse("url", f"must start with http://, https://, ws:// or wss://, got {url!r}")
    node = NodeConfig(
        url=url,
        timeout_s=table.integer("timeout_s", NodeConfig.timeout_s, 1, 600, " seconds"),
        expiration_s=table.integer("expiration_s", NodeConfig.expiration_s, 10, 3600, " seconds"),
        wait_for_block=table.flag("wait_for_block", NodeConfig.wait_for_block),
        fee_asset=table.text("fee_asset") if table.has("fee_asset") else None,
    )
    table.finish()
    return node


def _publisher(table: Table, base_dir: Path, read_key: bool) -> PublisherConfig:
    account = table.text("account")
    given = [k for k in ("wif", "key_file", "wif_env") if table.has(k)]
    if len(given) > 1:
        raise table.refuse(given[1], f"give only one of wif, key_file, wif_env (also {given[0]})")
    key = None
    if given and not read_key:
        table.text(given[0])  # checked for its type, not read: a dry run signs nothing
    elif given:
        where, wif = given[0], _wif_text(table, given[0], base_dir)
        try:
            key = PrivateKey.from_wif(wif)
        except KeyError_ as exc:
            raise table.refuse(where, f"not a valid WIF private key: {exc}") from None
    table.finish()
    return PublisherConfig(account, key)


def _wif_text(table: Table, key: str, base_dir: Path) -> str:
    value = table.text(key)
    if key == "wif":
        return value
    if key == "wif_env":
        found = os.environ.get(value)
        if not found:
            raise table.refuse(key, f"environment variable {value} is not set")
        return found.strip()
    file = Path(value).expanduser()
    file = file if file.is_absolute() else base_dir / file
    try:
        lines = [line.strip() for line in file.read_text(encoding="utf-8").splitlines()]
    except OSError as exc:
        raise table.refuse(key, f"cannot read {file}: {exc.strerror}") from None
    wif = next((line for line in lines if line and not line.startswith("#")), "")
    if not wif:
        raise table.refuse(key, f"{file} holds no key")
    return wif


def _asset_settings(table: Table, defaults: Table, source_names: set[str]) -> dict[str, Any]:
    """The per-asset settings of ``table``, each falling back to ``defaults`` then built-ins."""

    def pick(key: str) -> Table:
        return table if table.has(key) else defaults

    percent = Fraction(1, 100)
    sources = pick("sources").raw("sources", "*")
    if sources == "*":
        chosen = None
    else:
        chosen = pick("sources").names("sources", limit=MAX_SOURCES)
        for name in chosen:
            if name not in source_names:
                raise pick("sources").refuse("sources", f"no source named {name!r} "
                                             f"(configured: {', '.join(sorted(source_names))})")
    max_change = pick("max_change_percent").raw("max_change_percent")
    icr = pick("icr").raw("icr")
    ratio = (MIN_COLLATERAL_RATIO, MAX_COLLATERAL_RATIO, " per mille")
    return {
        "sources": chosen,
        "intermediates": pick("intermediate_assets").names("intermediate_assets",
                                                           limit=MAX_INTERMEDIATES),
        "three_markets": pick("derive_across_3markets").flag("derive_across_3markets", False),
        "metric": pick("metric").text("metric", "weighted", METRICS),
        "min_sources": pick("min_sources").integer("min_sources", 1, 1, 100),
        "min_change": pick("min_change_percent").number(
            "min_change_percent", Fraction(1), Fraction(0), Fraction(100)) * percent,
        "max_change": None if max_change is None else pick("max_change_percent").number(
            "max_change_percent", Fraction(0), Fraction(0), Fraction(10_000)) * percent,
        "max_age_s": pick("max_age_s").integer("max_age_s", 43_200, 1, 10 * 86_400, " seconds"),
        "cer_premium": pick("cer_premium_percent").number(
            "cer_premium_percent", Fraction(5), Fraction(-50), Fraction(1000)) * percent,
        "mcr": pick("mcr").integer("mcr", 1750, *ratio),
        "mssr": pick("mssr").integer("mssr", 1100, *ratio),
        "icr": None if icr is None else pick("icr").integer("icr", 0, *ratio),
    }


def _asset(symbol: str, table: Table, defaults: Table, source_names: set[str]) -> AssetConfig:
    settings = _asset_settings(table, defaults, source_names)
    peg = table.text("peg", symbol)
    backing = table.text("backing") if table.has("backing") else None
    if backing == symbol:
        raise table.refuse("backing", f"{symbol} cannot be backed by itself")
    table.finish()
    return AssetConfig(symbol=symbol, peg=peg, backing=backing, **settings)


def _sources(table: Table) -> tuple[SourceConfig, ...]:
    if not table.data:
        raise ConfigError(f"{table.file}: sources: at least one [sources.NAME] table is required")
    if len(table.data) > MAX_SOURCES:
        raise ConfigError(f"{table.file}: sources: more than MAX_SOURCES = {MAX_SOURCES}")
    return tuple(_source(name, table.table(name)) for name in list(table.data))


def _source(name: str, table: Table) -> SourceConfig:
    kind = table.text("type", choices=SOURCE_KINDS)
    common: dict[str, Any] = {
        "name": name, "kind": kind,
        "allow_failure": table.flag("allow_failure", True),
        "timeout_s": table.integer("timeout_s", 10, 1, 600, " seconds"),
        "volume_scale": table.number("volume_scale", Fraction(1), Fraction(0), Fraction(10**9)),
        "aliases": _aliases(table),
    }
    if kind in ("ccxt", "dex"):
        common["markets"] = _markets(table)
        fields = CCXT_PRICE_FIELDS if kind == "ccxt" else DEX_PRICE_FIELDS
        common["price_field"] = table.text("price", fields[0], fields)
    if kind == "ccxt":
        common["exchange"] = table.text("exchange")
    if kind in ("ccxt", "file"):
        common["max_age_s"] = table.integer("max_age_s", 3600, 0, 30 * 86_400, " seconds")
    if kind == "manual":
        try:
            common["prices"] = tuple(parse_price_table(table.raw("prices"), table.where("prices")))
        except ValueError as exc:
            raise ConfigError(str(exc)) from None
        if not common["prices"]:
            raise table.refuse("prices", "must list at least one market")
    if kind == "file":
        file = Path(table.text("path")).expanduser()
        common["path"] = file if file.is_absolute() else Path(table.file).parent / file
    table.finish()
    return SourceConfig(**common)


def _markets(table: Table) -> tuple[tuple[str, str], ...]:
    names = table.names("markets", limit=MAX_MARKETS_PER_SOURCE)
    if not names:
        raise table.refuse("markets", "must list at least one market such as 'BTC/USD'")
    try:
        return tuple(parse_market(m, table.where("markets")) for m in names)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None


def _aliases(table: Table) -> tuple[tuple[str, str], ...]:
    value = table.raw("aliases", {})
    if not isinstance(value, dict) or not all(
            isinstance(k, str) and isinstance(v, str) and v for k, v in value.items()):
        raise table.refuse("aliases", f"must map source names to asset names, got {value!r}")
    return tuple(sorted(value.items()))
