"""When to publish: the decision table (no feed, change vs min_change, age vs max_age_s, ratio
changes, the max_change guard), each boundary exactly."""

from __future__ import annotations

from fractions import Fraction as F

from graphex.feed.policy import Decision, OwnFeed, decide

NOW = 1_767_225_600
RATIOS = (1750, 1100, 1750)
OLD = OwnFeed(published_s=NOW - 600, price=F("0.2000"), mcr=1750, mssr=1100, icr=1750)


def run(new: F, own: OwnFeed | None = OLD, ratios: tuple[int, int, int] = RATIOS,
        max_change: F | None = None) -> Decision:
    return decide(new, ratios, own, NOW, min_change=F(1, 100), max_change=max_change,
                  max_age_s=3600)


def test_without_an_own_feed_publish() -> None:
    decision = run(F("0.2"), own=None)
    assert decision.publish and decision.change is None
    assert decision.reason == "no feed of this publisher on chain yet"


def test_a_move_of_exactly_min_change_is_not_enough_one_satoshi_more_is() -> None:
    at_threshold = run(F("0.2020"))   # +1.00 %
    assert not at_threshold.publish and at_threshold.change == F(1, 100)
    assert "moved +1.00% (not more than 1.00%)" in at_threshold.reason
    above = run(F("0.2021"))          # +1.05 %
    assert above.publish and above.reason == "moved +1.05%, more than min_change_percent 1.00%"
    below = run(F("0.1979"))          # -1.05 %
    assert below.publish and below.change == F("0.1979") / F("0.2") - 1


def test_an_old_feed_is_republished_even_unchanged() -> None:
    aged = OwnFeed(NOW - 3600, F("0.2"), 1750, 1100, 1750)
    assert not run(F("0.2"), own=aged).publish      # exactly max_age_s old: not older
    older = OwnFeed(NOW - 3601, F("0.2"), 1750, 1100, 1750)
    decision = run(F("0.2"), own=older)
    assert decision.publish and decision.reason == \
        "last own feed is 3601 s old, more than max_age_s 3600"


def test_changed_collateral_ratios_are_published() -> None:
    decision = run(F("0.2"), ratios=(1600, 1100, 1600))
    assert decision.publish and "from 1750/1100/1750 to 1600/1100/1600" in decision.reason


def test_a_move_beyond_max_change_is_refused_as_critical() -> None:
    decision = run(F("0.3"), max_change=F(20, 100))
    assert not decision.publish and decision.critical
    assert decision.reason.startswith("NOT published: moved +50.00%, more than "
                                      "max_change_percent 20.00%")
    assert run(F("0.24"), max_change=F(20, 100)).publish  # +20 % exactly: allowed
