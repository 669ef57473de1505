"""Functional-test harness: real `graphex` processes on free loopback ports, driven over JSON-RPC.

In the style of Bitcoin Core's test framework: ``DevnetProcess(tmp).start()``, ``node.rpc(method,
*args)``, ``wait_until(predicate)``.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

TIMEOUT_FACTOR = float(os.environ.get("GRAPHEX_TEST_TIMEOUT_FACTOR", "1"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until(predicate: Callable[[], Any], timeout_s: float = 30, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout_s * TIMEOUT_FACTOR
    while time.monotonic() < deadline:
        try:
            value = predicate()
        except (OSError, ValueError):
            value = None
        if value:
            return value
        time.sleep(0.1)
    raise TimeoutError(f"timed out after {timeout_s}s waiting for {what}")


class RpcError(Exception):
    pass


class DevnetProcess:
    """A `graphex devnet` child process."""

    def __init__(self, data_dir: Path, *, port: int | None = None, extra: list[str] | None = None):
        self.data_dir, self.port = data_dir, port or free_port()
        self.extra = extra or []
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = data_dir.parent / f"devnet-{self.port}.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> DevnetProcess:
        cmd = [sys.executable, "-m", "graphex.cli.main", "devnet", "--data-dir", str(self.data_dir),
               "--rpc-endpoint", f"127.0.0.1:{self.port}", *self.extra]
        self.proc = subprocess.Popen(cmd, stdout=self.log.open("ab"), stderr=subprocess.STDOUT)
        wait_until(lambda: self.rpc("get_dynamic_global_properties"), 60, "the devnet API")
        return self

    def rpc(self, method: str, *args: Any, api: str | int = 0) -> Any:
        body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "call",
                           "params": [api, method, list(args)]}).encode()
        request = urllib.request.Request(self.url, body, {"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                reply = json.loads(response.read())
        except urllib.error.HTTPError as exc:
            reply = json.loads(exc.read())
        if "error" in reply:
            raise RpcError(reply["error"]["message"])
        return reply["result"]

    def head(self) -> int:
        return int(self.rpc("get_dynamic_global_properties")["head_block_number"])

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)


def graphex(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "graphex.cli.main", *args],
                          capture_output=True, text=True, timeout=300)
