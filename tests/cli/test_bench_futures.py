"""``graphex bench futures`` end to end at a small size (it is measured with ``graphex bench``,
never timed in tests): the delivering block delivers every position and lists the new month, and
the mark-moving block liquidates exactly the accounts at risk, at both sizes."""

from __future__ import annotations

import json
from typing import Any

from click.testing import CliRunner

from graphex.cli.bench import bench
from graphex.cli.bench_futures import liquidation_sizes


def run(*args: str) -> dict[str, Any]:
    result = CliRunner().invoke(bench, [*args, "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.output.strip().splitlines()[-1])
    return data


def test_bench_futures_small() -> None:
    data = run("futures", "--positions", "2000", "--runs", "2")
    assert (data["benchmark"], data["positions"], data["at_risk"], data["runs"]) == (
        "futures", 2000, 20, 2)
    delivery = data["delivery"]
    assert delivery["positions"] == delivery["delivered"] == 2000
    assert delivery["positions_left"] == 0 and delivery["series_delivered"] is True
    assert delivery["listed_months"] == [202701]  # December 2026 delivered November, lists Jan
    assert len(delivery["seconds_runs"]) == 2
    assert delivery["seconds_min"] <= delivery["seconds_median"] <= delivery["seconds_max"]
    assert 0 <= delivery["gc_seconds_median"] <= delivery["seconds_max"]
    small, large = data["liquidation"]
    assert (small["accounts"], large["accounts"]) == (200, 2000)
    for liq in (small, large):
        assert liq["at_risk"] == liq["crossed"] == liq["liquidated"] == 20
        assert liq["only_at_risk"] is True and liq["liquidation_fills"] == 20
        assert liq["mark"] == 47_000  # 6 % below 0.050000
        assert liq["seconds_min"] <= liq["seconds_median"] <= liq["seconds_max"]
        assert isinstance(liq["fits_block_interval"], bool)
    assert data["block_interval_s"] == 3.0 and data["recover_per_s"] > 0


def test_bench_futures_table_and_refusal() -> None:
    result = CliRunner().invoke(bench, ["futures", "--positions", "400", "--runs", "1"])
    assert result.exit_code == 0, result.output
    assert "delivery" in result.output and "liquidation" in result.output
    assert "400 delivered; 2027-01 listed" in result.output
    refused = CliRunner().invoke(bench, ["futures", "--positions", "1000",
                                         "--at-risk-percent", "20"])
    assert refused.exit_code == 2 and "at risk" in refused.output


def test_liquidation_sizes() -> None:
    assert liquidation_sizes(100_000, 1) == ([10_000, 100_000], 1_000)
