"""The devnet survives SIGKILL during block production: it continues from its last persisted
block, `graphex check` passes, and the state equals a replay of the block log from genesis."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from framework import DevnetProcess, graphex, wait_until

pytestmark = pytest.mark.functional


def test_sigkill_restart_and_check(tmp_path: Path) -> None:
    data = tmp_path / "devnet"
    node = DevnetProcess(data, extra=["--snapshot-interval", "4"]).start()
    try:
        wait_until(lambda: node.head() >= 7, 40, "7 blocks")
        node.kill()
        killed_at = None
        node.start()
        killed_at = node.head()
        assert killed_at >= 7
        wait_until(lambda: node.head() >= killed_at + 3, 30, "3 more blocks after restart")
    finally:
        node.stop()
    result = graphex("check", "--data-dir", str(data), "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert report["invariants"] == "ok"
    assert report["replay"] == "ok"
    assert report["state_hash"] == report["replayed_state_hash"]
    assert report["head_block"] >= killed_at + 3
