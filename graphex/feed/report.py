"""What a round prints: per asset, a table of every candidate price (source path, price, volume,
weight, deviation from the result), then the on-chain numbers and the decision.

Display only: numbers are formatted from exact fractions (10 significant digits for prices,
two decimals for percents); nothing printed here feeds back into what is published.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from .exact import decimal_places, percent, significant
from .onchain import ChainPrice

if TYPE_CHECKING:
    from .runner import AssetPlan

MAX_TABLE_ROWS = 50
"""Candidates shown per asset (the heaviest first when there are more)."""


def render_failures(console: Console, failures: list[tuple[str, str]]) -> None:
    for name, message in failures:
        console.print(f"[yellow]source {escape(name)} failed, left out this round:[/] "
                      f"{escape(message)}")


def _chain_line(price: ChainPrice, base: str, quote: str, base_precision: int,
                quote_precision: int) -> str:
    reads = decimal_places(price.value(base_precision, quote_precision), base_precision)
    return (f"{price.raw_base}/{price.raw_quote} → {price.base}/{price.quote} "
            f"({base} sat / {quote} sat; reads {reads} {base} per {quote})")


def render_plan(console: Console, plan: AssetPlan) -> None:
    result, b, peg = plan.result, plan.backing, plan.config.peg
    table = Table(title=f"{plan.smartcoin.symbol}: {b.symbol} priced in {peg} ({result.metric})",
                  title_justify="left")
    table.add_column("source / path")
    table.add_column(f"{peg} per {b.symbol}", justify="right")
    table.add_column(f"volume ({b.symbol})", justify="right")
    table.add_column("weight", justify="right")
    table.add_column("deviation", justify="right")
    shown = sorted(result.candidates, key=lambda c: -c.volume)[:MAX_TABLE_ROWS]
    for candidate in shown:
        weight = result.weight(candidate)
        table.add_row(escape(candidate.label), significant(candidate.price),
                      significant(candidate.volume),
                      "" if weight is None else decimal_places(weight * 100, 2) + "%",
                      percent(result.deviation(candidate)))
    console.print(table)
    if len(result.candidates) > len(shown):
        console.print(f"  … and {len(result.candidates) - len(shown)} more candidates")
    for note in plan.notes:
        console.print(f"  [yellow]note:[/] {escape(note)}")
    for name, text in summary_lines(plan):
        console.print(f"  {name + ':':<32} {text}")


def summary_lines(plan: AssetPlan) -> list[tuple[str, str]]:
    """``(name, text)``: the result, what goes on chain, the last own feed, the decision."""
    config, result, s, b = plan.config, plan.result, plan.smartcoin, plan.backing
    core, peg = plan.core, config.peg
    premium = decimal_places(config.cer_premium * 100, 2)
    found = f"{significant(result.price, 15)} {peg} per {b.symbol}"
    lines = [
        ("result", f"{found} from {len(result.candidates)} candidate(s)"),
        ("settlement_price", _chain_line(plan.settlement, s.symbol, b.symbol, s.precision,
                                         b.precision)),
        (f"core_exchange_rate (+{premium}%)",
         _chain_line(plan.cer, s.symbol, core.symbol, s.precision, core.precision)),
    ]
    if plan.cer_result is not result:
        core_price = f"{significant(plan.cer_result.price, 15)} {peg} per {core.symbol}"
        count = len(plan.cer_result.candidates)
        lines.append(("core asset price",
                      f"{core_price} from {count} candidate(s), before the premium"))
    icr = "-" if config.icr is None else str(config.icr)
    lines.append(("ratios", f"MCR {config.mcr}  MSSR {config.mssr}  ICR {icr} (per mille)"))
    own = plan.own
    lines.append(("last own feed", "none" if own is None else
                  f"{decimal_places(own.price, s.precision)} {s.symbol} per {b.symbol}, "
                  f"MCR {own.mcr} MSSR {own.mssr} ICR {own.icr}"))
    decision = plan.decision
    verdict = "[green]publish[/]" if decision.publish else \
        ("[bold red]refuse[/]" if decision.critical else "skip")
    lines.append(("decision", f"{verdict}: {escape(decision.reason)}"))
    if decision.publish:
        fee = plan.operation.fee
        lines.append(("fee", f"{fee.amount} sat of {fee.asset_id}"))
    return lines
