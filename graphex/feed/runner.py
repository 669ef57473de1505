"""One feed round, and the loop of rounds.

A round: read the chain's head; fetch every source concurrently; then per configured asset
(independently: one asset's failure never stops the others) price it (:func:`plan_asset`), print
its table, decide, and — unless ``dry_run`` — publish. The exit status of ``--once`` is 0 when
every asset was priced and, where due, published; 1 otherwise (a source with
``allow_failure = false`` failing, an asset without a price, a critical move, a refusal).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from rich.console import Console
from rich.markup import escape

from ..protocol.operations import OPERATION, AssetPublishFeed
from .config import AssetConfig, FeedConfig
from .errors import FeedError
from .markets import Quote
from .onchain import ChainPrice, to_chain_price, with_premium
from .policy import Decision, OwnFeed, decide
from .pricing import PriceResult, price_of
from .publish import (
    ChainAsset,
    ChainHead,
    broadcast,
    check_key,
    feed_operation,
    own_feed,
    read_asset,
    read_bitasset,
    read_head,
    read_publisher,
    with_fee,
)
from .report import render_failures, render_plan
from .rpc import RpcClient
from .sources import FetchContext, Source, build_sources, fetch_all

log = logging.getLogger(__name__)

Clock = Callable[[], float]


@dataclass
class AssetPlan:
    """Everything decided about one asset in one round."""

    config: AssetConfig
    smartcoin: ChainAsset
    backing: ChainAsset
    core: ChainAsset
    result: PriceResult      # the backing asset priced in the peg
    cer_result: PriceResult  # the core asset priced in the peg (``result`` if core backs it)
    settlement: ChainPrice
    cer: ChainPrice
    own: OwnFeed | None
    decision: Decision
    operation: AssetPublishFeed
    notes: list[str] = field(default_factory=list)


async def plan_asset(rpc: RpcClient, head: ChainHead, publisher_id: str, asset: AssetConfig,
                     quotes: list[Quote], fee_asset: str) -> AssetPlan:
    """Price ``asset`` from ``quotes`` and decide whether to publish; raises :class:`FeedError`."""
    smartcoin = await read_asset(rpc, asset.symbol)
    backing = await read_asset(rpc, asset.backing or head.core.symbol)
    bitasset = await read_bitasset(rpc, smartcoin)
    notes = []
    if bitasset is None:
        notes.append(f"{smartcoin.symbol} is not a market-pegged asset on this chain (it has no "
                     "bitasset data): the chain will refuse a feed for it")
    else:
        backed_by = bitasset.get("options", {}).get("short_backing_asset")
        if backed_by != str(backing.id):
            raise FeedError(f"{smartcoin.symbol} is backed by {backed_by} on chain, but the config "
                            f"says backing = {backing.symbol} ({backing.id})")
    chosen = [q for q in quotes if asset.sources is None or q.source in asset.sources]
    options: dict[str, Any] = {"intermediates": asset.intermediates,
                               "three_markets": asset.three_markets, "metric": asset.metric,
                               "min_sources": asset.min_sources}
    result = price_of(chosen, backing.symbol, asset.peg, **options)
    cer_result = result if backing.id == head.core.id else \
        price_of(chosen, head.core.symbol, asset.peg, **options)
    settlement = to_chain_price(result.price, smartcoin.precision, backing.precision)
    cer = to_chain_price(with_premium(cer_result.price, asset.cer_premium), smartcoin.precision,
                         head.core.precision)
    own = None if bitasset is None else own_feed(bitasset, publisher_id, smartcoin, backing)
    ratios = (asset.mcr, asset.mssr, asset.icr if asset.icr is not None else asset.mcr)
    decision = decide(settlement.value(smartcoin.precision, backing.precision), ratios, own,
                      head.time_s, min_change=asset.min_change, max_change=asset.max_change,
                      max_age_s=asset.max_age_s)
    operation = feed_operation(publisher_id, smartcoin, backing, head.core, settlement, cer,
                               mcr=asset.mcr, mssr=asset.mssr, icr=asset.icr)
    if decision.publish:
        operation = await with_fee(rpc, operation, fee_asset)
    return AssetPlan(asset, smartcoin, backing, head.core, result, cer_result, settlement, cer,
                     own, decision, operation, notes)


async def run_round(config: FeedConfig, rpc: RpcClient, sources: list[Source], *,
                    dry_run: bool, console: Console, clock: Clock = time.time) -> int:
    """One round; returns the number of problems (0: all well)."""
    head = await read_head(rpc)
    publisher = await read_publisher(rpc, config.publisher.account)
    key = config.publisher.key
    if not dry_run:
        if key is None:
            raise FeedError("no key for the publisher: set publisher.wif, publisher.key_file or "
                            "publisher.wif_env (or run with --dry-run)")
        check_key(publisher, key, head.address_prefix)
    fetched = await fetch_all(sources, FetchContext(rpc, clock()))
    render_failures(console, fetched.failures)
    fee_asset = config.node.fee_asset or str(head.core.id)
    problems = 0
    for asset in config.assets:
        try:
            plan = await plan_asset(rpc, head, publisher["id"], asset, fetched.quotes, fee_asset)
        except FeedError as exc:
            console.print(f"[bold red]{asset.symbol}: no feed this round:[/] {escape(str(exc))}")
            problems += 1
            continue
        render_plan(console, plan)
        problems += plan.decision.critical
        if not plan.decision.publish:
            continue
        if dry_run:
            console.print(f"[yellow]dry run:[/] would publish {asset.symbol}:")
            console.print(json.dumps(OPERATION.to_json(plan.operation)), markup=False,
                          soft_wrap=True)
            continue
        assert key is not None  # checked above when not a dry run
        try:
            outcome = await broadcast(rpc, plan.operation, key,
                                      expiration_s=config.node.expiration_s,
                                      wait_for_block=config.node.wait_for_block)
        except FeedError as exc:
            console.print(f"[bold red]{asset.symbol}: the node refused the feed:[/] "
                          f"{escape(str(exc))}")
            problems += 1
            continue
        console.print(f"[green]{asset.symbol}: published[/] — {escape(outcome)}")
    return problems


async def run(config: FeedConfig, *, once: bool, dry_run: bool, console: Console,
              clock: Clock = time.time, sources: list[Source] | None = None) -> int:
    """Rounds every ``interval_s`` (or one with ``once``); the exit status."""
    sources = sources if sources is not None else build_sources(config.sources)
    try:
        async with RpcClient(config.node.url, config.node.timeout_s) as rpc:
            while True:
                try:
                    problems = await run_round(config, rpc, sources, dry_run=dry_run,
                                               console=console, clock=clock)
                except FeedError as exc:
                    console.print(f"[bold red]round failed:[/] {escape(str(exc))}")
                    problems = 1
                except Exception:  # a daemon outlives one bad round (logged with its traceback)
                    if once:
                        raise
                    log.exception("feed round failed unexpectedly; next round as planned")
                    problems = 1
                if once:
                    return 0 if problems == 0 else 1
                console.print(f"next round in {config.interval_s} s")
                await asyncio.sleep(config.interval_s)
    finally:
        for source in sources:
            await source.close()
