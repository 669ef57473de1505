"""Signature recovery in worker processes — the dominant cost of accepting transactions.

:class:`SignaturePool` recovers the signer keys of many transactions at once, split into chunks
over ``workers`` processes (``workers=0`` recovers in-process). Workers receive only digests and
signatures and return compressed key bytes, so nothing chain-related crosses the process boundary.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor

from ..chain.tx_apply import unsigned_bytes
from ..protocol.keys import KeyError_, PublicKey, recover_raw
from ..protocol.transaction import SignedTransaction

Job = tuple[bytes, tuple[bytes, ...]]  # (digest, signatures)
MIN_CHUNK = 64


def recover_chunk(jobs: Sequence[Job]) -> list[list[bytes] | str]:
    """For each job, the recovered keys' bytes, or the error text of a bad signature."""
    out: list[list[bytes] | str] = []
    for digest, sigs in jobs:
        try:
            out.append([recover_raw(sig, digest) for sig in sigs])
        except KeyError_ as exc:
            out.append(f"bad signature: {exc}")
    return out


class SignaturePool:
    """Recover signers of transactions in parallel worker processes."""

    def __init__(self, chain_id: bytes, workers: int) -> None:
        self.chain_id = chain_id
        self.workers = workers
        self._executor = ProcessPoolExecutor(workers) if workers > 0 else None

    def jobs(self, txs: Sequence[SignedTransaction]) -> list[Job]:
        prefix = self.chain_id
        return [(hashlib.sha256(prefix + unsigned_bytes(tx)).digest(), tx.signatures) for tx in txs]

    def recover_stream(self, txs: Sequence[SignedTransaction],
                       chunk: int = 256) -> Iterator[list[PublicKey] | str]:
        """Like :meth:`recover_many`, but yields each transaction's result in order as soon as
        its chunk is done, so the caller applies early transactions while workers recover later
        ones (the pipeline that keeps both cores busy)."""
        jobs = self.jobs(txs)
        if self._executor is None:
            for result in recover_chunk(jobs):
                yield result if isinstance(result, str) else [PublicKey(k) for k in result]
            return
        futures = [self._executor.submit(recover_chunk, jobs[i : i + chunk])
                   for i in range(0, len(jobs), chunk)]
        try:
            for future in futures:
                for result in future.result():
                    yield result if isinstance(result, str) else [PublicKey(k) for k in result]
        finally:
            for future in futures:
                future.cancel()

    def recover_many(self, txs: Sequence[SignedTransaction]) -> list[list[PublicKey] | str]:
        jobs = self.jobs(txs)
        if self._executor is None or len(jobs) < 2 * MIN_CHUNK:
            results = recover_chunk(jobs)
        else:
            size = max(MIN_CHUNK, -(-len(jobs) // (self.workers * 4)))
            futures: list[Future[list[list[bytes] | str]]] = [
                self._executor.submit(recover_chunk, jobs[i : i + size])
                for i in range(0, len(jobs), size)
            ]
            results = [r for f in futures for r in f.result()]
        return [r if isinstance(r, str) else [PublicKey(k) for k in r] for r in results]

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(cancel_futures=True)

    def __enter__(self) -> SignaturePool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
