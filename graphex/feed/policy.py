"""When to publish: compare the price about to go on chain with this publisher's last own feed.

Publish when, in this order of reasons:

1. the publisher has no feed for the asset on chain;
2. the price moved by more than ``min_change`` (strictly: ``|new/old − 1| > min_change``);
3. the last own feed is older than ``max_age_s`` (strictly: ``head time − its time > max_age_s``,
   measured on the chain's clock, the head block's time, which is what the feed's lifetime is
   measured against);
4. the collateral ratios (MCR, MSSR, ICR) differ from the last own feed's.

A move larger than ``max_change`` (when set) is never published: it is reported as critical,
for a person to look at (a broken source is likelier than a 50 % move).
Both prices compared are the on-chain (rounded, reduced) ones, as exact fractions.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from .exact import percent


@dataclass(frozen=True)
class OwnFeed:
    """This publisher's current feed for an asset, as the chain holds it."""

    published_s: int
    price: Fraction  # whole smartcoin per whole backing unit
    mcr: int
    mssr: int
    icr: int


@dataclass(frozen=True)
class Decision:
    publish: bool
    reason: str
    change: Fraction | None = None  # new/old − 1
    critical: bool = False


def decide(new_price: Fraction, ratios: tuple[int, int, int], own: OwnFeed | None,
           head_time_s: int, *, min_change: Fraction, max_change: Fraction | None,
           max_age_s: int) -> Decision:
    """Whether to publish ``new_price`` with ``ratios`` = (MCR, MSSR, effective ICR)."""
    if own is None:
        return Decision(True, "no feed of this publisher on chain yet")
    change = new_price / own.price - 1
    age_s = head_time_s - own.published_s
    moved = f"moved {percent(change)}"
    if max_change is not None and abs(change) > max_change:
        return Decision(False, f"NOT published: {moved}, more than max_change_percent "
                               f"{percent(max_change)[1:]}; check the sources", change,
                        critical=True)
    if abs(change) > min_change:
        return Decision(True, f"{moved}, more than min_change_percent {percent(min_change)[1:]}",
                        change)
    if age_s > max_age_s:
        return Decision(True, f"last own feed is {age_s} s old, more than max_age_s {max_age_s}",
                        change)
    if ratios != (own.mcr, own.mssr, own.icr):
        return Decision(True, f"collateral ratios change from {own.mcr}/{own.mssr}/{own.icr} to "
                              f"{ratios[0]}/{ratios[1]}/{ratios[2]} (MCR/MSSR/ICR)", change)
    return Decision(False, f"{moved} (not more than {percent(min_change)[1:]}), last own feed "
                           f"{age_s} s old (not more than {max_age_s} s)", change)
