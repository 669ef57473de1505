"""``graphex bench futures``: the two futures steps whose cost grows with the market — delivering a
series, and the per-block liquidation check — each timed as the wall time of producing the ONE
block that does it, on the states of :mod:`graphex.testing.futures`.

- **delivery**: ``positions`` positions (half long, half short) in the front series; the head is
  the last slot before 00:00:00 UTC on the 1st. Timed: the next block, through
  :meth:`DevChain.produce` (the devnet's block production: an undo session, sealing and signing,
  the per-block bookkeeping whose futures step delivers every position and lists the new month).
- **liquidation**: ``accounts`` accounts with one position each, ``at_risk`` of them (longs)
  holding only their initial margin. Timed: the block holding carol's signed order that sells
  one lot into bob's best bid 6 % below the mark; its futures step sets the new mark, reads the
  accounts whose safety band it crossed (the ``at_risk`` ones, no other), checks them exactly and
  liquidates them against bob's bids. Run at ``accounts`` = positions / 10 and = positions with
  the same ``at_risk``, to show the cost follows the accounts at risk, not all accounts.

The set-up (real operations applied in bulk, :mod:`graphex.testing.futures`) is not timed; the
garbage collector is paused during it and collected before the clock starts, so the timed block
runs with Python's default collector as a node's would (``gc_seconds``: the part of the block's
time the collector took). The invariants, the futures ledger's included, are checked after each
timed block, untimed.
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, Self

import click

from ..chain.futures.objects import DELIVERED, FuturesPosition
from ..chain.futures.risk import crossed_accounts
from ..chain.invariants import check_invariants
from ..protocol.operations.futures import (
    FuturesDelivery,
    FuturesFill,
    FuturesLiquidation,
    FuturesSeriesList,
)
from ..testing.futures import build_delivery, build_liquidation

BLOCK_INTERVAL_TARGET_S = 3.0
"""SPEC §12: a delivery of 100 000 positions within one block interval; the liquidation check
likewise."""
DELIVERY_MONTH_START = (2026, 12, 1)
"""The delivery time of the front series (November 2026): 00:00:00 UTC on 1 December."""
LIQUIDATION_TIME = (2026, 11, 21, 12)
"""The chain's time for the liquidation runs (mid-month, far from any delivery)."""
SCALE_DIVISOR = 10
"""The smaller liquidation run has positions / 10 accounts."""


def _utc(*parts: int) -> int:
    return int(datetime(*parts, tzinfo=UTC).timestamp())  # type: ignore[arg-type, misc]


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the collector while a large state is built (untimed), collect when done."""
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.collect()


class _GcTimer:
    """The time the garbage collector spends while it is installed (``gc.callbacks``)."""

    def __init__(self) -> None:
        self.seconds, self.collections, self._start = 0.0, 0, 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._start = time.perf_counter()
        else:
            self.seconds += time.perf_counter() - self._start
            self.collections += 1

    def __enter__(self) -> Self:
        gc.callbacks.append(self)
        return self

    def __exit__(self, *_exc: object) -> None:
        gc.callbacks.remove(self)


def _timed(produce: Callable[[], object]) -> tuple[float, float]:
    """(seconds, of which in garbage collection) of ``produce()``."""
    with _GcTimer() as collector:
        start = time.perf_counter()
        produce()
        elapsed = time.perf_counter() - start
    return elapsed, collector.seconds


def delivery_run(positions: int, *, check: bool = True) -> dict[str, Any]:
    """Build the delivery state, time the delivering block, count what it did."""
    setup_start = time.perf_counter()
    with _gc_paused():
        market = build_delivery(positions, _utc(*DELIVERY_MONTH_START))
    setup_s = time.perf_counter() - setup_start
    chain, series_id = market.chain, market.front
    expected = sum(1 for _ in chain.state.db.group(FuturesPosition, "by_series").equal(series_id))
    elapsed, gc_s = _timed(chain.produce)
    state = chain.state
    ops = [record.op for record in state.block_ops]
    listed = [op.delivery_month for op in ops if isinstance(op, FuturesSeriesList)]
    left = sum(1 for _ in state.db.group(FuturesPosition, "by_series").equal(series_id))
    if check:
        check_invariants(state)
    return {
        "setup_seconds": setup_s, "seconds": elapsed, "gc_seconds": gc_s, "positions": expected,
        "delivered": sum(1 for op in ops if isinstance(op, FuturesDelivery)),
        "positions_left": left, "series_delivered": market.series.status == DELIVERED,
        "listed_months": listed, "block_time": state.head_time,
    }


def liquidation_run(accounts: int, at_risk: int, *, check: bool = True) -> dict[str, Any]:
    """Build the liquidation state, time the block that moves the mark, count what it did."""
    setup_start = time.perf_counter()
    with _gc_paused():
        setup = build_liquidation(accounts, at_risk, _utc(*LIQUIDATION_TIME))
    setup_s = time.perf_counter() - setup_start
    market = setup.market
    chain, state = market.chain, market.chain.state
    crossed = len(crossed_accounts(state, market.front, setup.new_mark))
    holders = state.db.group(FuturesPosition, "by_series").count(market.front)
    elapsed, gc_s = _timed(lambda: chain.produce([setup.move]))
    ops = [record.op for record in state.block_ops]
    liquidated = {op.account for op in ops if isinstance(op, FuturesLiquidation)}
    if check:
        check_invariants(state)
    return {
        "setup_seconds": setup_s, "seconds": elapsed, "gc_seconds": gc_s, "accounts": holders,
        "at_risk": at_risk, "crossed": crossed, "liquidated": len(liquidated),
        "only_at_risk": liquidated == set(market.longs[:at_risk]),
        "liquidation_fills": sum(1 for op in ops
                                 if isinstance(op, FuturesFill) and op.liquidation),
        "mark": market.series.mark_price,
    }


def _summary(runs: list[dict[str, Any]], count_key: str) -> dict[str, Any]:
    """The last run's counts, and the median and range of the timed seconds over the runs."""
    seconds = [r["seconds"] for r in runs]
    median = statistics.median(seconds)
    summary = {key: value for key, value in runs[-1].items()
               if key not in ("seconds", "setup_seconds", "gc_seconds")}
    summary.update({
        "seconds_median": round(median, 3), "seconds_min": round(min(seconds), 3),
        "seconds_max": round(max(seconds), 3), "seconds_runs": [round(s, 3) for s in seconds],
        "gc_seconds_median": round(statistics.median(r["gc_seconds"] for r in runs), 3),
        "setup_seconds_median": round(statistics.median(r["setup_seconds"] for r in runs), 1),
        "per_s_median": round(runs[-1][count_key] / median) if median > 0 else 0,
        "fits_block_interval": median <= BLOCK_INTERVAL_TARGET_S,
    })
    return summary


def liquidation_sizes(positions: int, at_risk_percent: float) -> tuple[list[int], int]:
    """The accounts of the two liquidation runs (positions / 10, positions) and the at-risk
    count (``at_risk_percent`` of positions), checked to fit the smaller run's longs."""
    at_risk = int(positions * at_risk_percent / 100)
    sizes = [positions // SCALE_DIVISOR, positions]
    if at_risk < 1 or at_risk > sizes[0] // 2:
        raise ValueError(
            f"{at_risk_percent} % of {positions} positions is {at_risk} accounts at risk; it must "
            f"be 1 to {sizes[0] // 2} (the longs of the {sizes[0]}-account run)")
    return sizes, at_risk


def bench_futures(positions: int, at_risk_percent: float, runs: int, *, check: bool = True,
                  progress: Callable[[str], None] | None = None) -> dict[str, object]:
    """``runs`` rounds of: the delivery, then the liquidation block at both sizes."""
    sizes, at_risk = liquidation_sizes(positions, at_risk_percent)
    say = progress or (lambda _text: None)
    deliveries: list[dict[str, Any]] = []
    liquidations: dict[int, list[dict[str, Any]]] = {size: [] for size in sizes}
    for run in range(1, runs + 1):
        say(f"run {run}/{runs}: delivery of {positions} positions")
        deliveries.append(delivery_run(positions, check=check))
        for size in sizes:
            say(f"run {run}/{runs}: liquidation check, {size} accounts, {at_risk} at risk")
            liquidations[size].append(liquidation_run(size, at_risk, check=check))
    return {
        "benchmark": "futures", "runs": runs, "positions": positions, "at_risk": at_risk,
        "block_interval_s": BLOCK_INTERVAL_TARGET_S,
        "delivery": _summary(deliveries, "delivered"),
        "liquidation": [_summary(liquidations[size], "liquidated") for size in sizes],
    }


def render_table(result: dict[str, Any]) -> Any:
    """The result as a rich table (one row per timed block)."""
    from rich.table import Table

    table = Table(title=f"graphex bench futures: one block each, {result['runs']} run(s), "
                        f"target {result['block_interval_s']} s", title_justify="left")
    for name in ("block", "accounts", "at risk", "in the block", "median s", "range s",
                 "of it GC s", "fits"):
        table.add_column(name, justify="left" if name == "block" else "right", no_wrap=True)
    d = result["delivery"]
    months = ", ".join(f"{m // 100}-{m % 100:02d}" for m in d["listed_months"])
    table.add_row("delivery", f"{d['positions']:,}", "-",
                  f"{d['delivered']:,} delivered; {months} listed", f"{d['seconds_median']:.3f}",
                  f"{d['seconds_min']:.3f}-{d['seconds_max']:.3f}", f"{d['gc_seconds_median']:.3f}",
                  "yes" if d["fits_block_interval"] else "NO")
    for liq in result["liquidation"]:
        table.add_row("liquidation", f"{liq['accounts']:,}", f"{liq['at_risk']:,}",
                      f"{liq['crossed']:,} crossed, {liq['liquidated']:,} liquidated",
                      f"{liq['seconds_median']:.3f}",
                      f"{liq['seconds_min']:.3f}-{liq['seconds_max']:.3f}",
                      f"{liq['gc_seconds_median']:.3f}",
                      "yes" if liq["fits_block_interval"] else "NO")
    return table


def print_result(result: dict[str, object], recover_per_s: float, as_json: bool) -> None:
    """Print one JSON object, or the table (with the recovery rate beside it, as every bench)."""
    import json

    from rich.console import Console

    result["recover_per_s"] = round(recover_per_s)
    if as_json:
        click.echo(json.dumps(result))
        return
    console = Console(highlight=False, soft_wrap=False, width=max(Console().width, 120))
    console.print(render_table(result))
    click.echo(f"recover_per_s {result['recover_per_s']}")


@click.command()
@click.option("--positions", default=100_000, show_default=True,
              help="Positions delivered; accounts of the larger liquidation run.")
@click.option("--at-risk-percent", default=1.0, show_default=True,
              help="Accounts near their margin, percent of --positions (both liquidation runs).")
@click.option("--runs", default=3, show_default=True, type=click.IntRange(min=1),
              help="Rounds of the three timed blocks (median and range reported).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def futures(positions: int, at_risk_percent: float, runs: int, as_json: bool) -> None:
    """Futures: one block delivering every position of a series, and one block whose trade moves
    the mark across the safety bands of the accounts at risk and liquidates them, at positions/10
    and positions accounts (target: each within the 3 s block interval)."""
    from .bench import recover_rate

    try:
        result = bench_futures(positions, at_risk_percent, runs,
                               progress=lambda text: click.echo(text, err=True))
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from exc
    print_result(result, recover_rate(), as_json)
