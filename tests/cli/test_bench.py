"""The benchmarks run end to end at a tiny size and print their JSON (they are measured with
``graphex bench``, never timed in tests: this only keeps them working)."""

from __future__ import annotations

import json

from click.testing import CliRunner

from graphex.cli.bench import bench


def run(*args: str) -> dict[str, object]:
    result = CliRunner().invoke(bench, [*args, "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    data: dict[str, object] = json.loads(result.output.strip().splitlines()[-1])
    return data


def test_bench_orders_small() -> None:
    data = run("orders", "--count", "300", "--tx-count", "200", "--workers", "1")
    assert data["orders"] == 300 and data["transactions"] == 200
    assert int(data["fills"]) > 0 and int(data["orders_per_s"]) > 0  # type: ignore[call-overload]
    assert "recover_per_s" in data and "tx_per_recover" in data


def test_bench_api_small() -> None:
    data = run("api", "--seconds", "1", "--connections", "2", "--resting-orders", "20")
    assert int(data["get_order_book_per_s"]) > 0  # type: ignore[call-overload]
    assert float(data["get_full_accounts_p99_ms"]) > 0  # type: ignore[arg-type]


def test_bench_margin_small() -> None:
    data = run("margin", "--positions", "100", "--orders", "10")
    assert data["calls_filled"] == 100 and data["positions_left"] == 0
