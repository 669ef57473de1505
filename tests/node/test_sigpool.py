"""Signature recovery in worker processes gives the same keys as in-process recovery."""

from __future__ import annotations

from graphex.chain.genesis import devnet_key
from graphex.chain.tx_apply import recover_signers
from graphex.node.sigpool import SignaturePool
from graphex.protocol.ids import ObjectId
from graphex.protocol.operations import Transfer
from graphex.protocol.transaction import Transaction, sign
from graphex.protocol.types import Asset

GPX = ObjectId(1, 3, 0)
CHAIN_ID = bytes(range(32))


def txs(n: int) -> list:
    out = []
    for i in range(n):
        op = Transfer(Asset(1, GPX), ObjectId(1, 2, 17), ObjectId(1, 2, 18), Asset(i + 1, GPX))
        names = ("alice",) if i % 3 else ("alice", "bob")
        out.append(sign(Transaction(0, 0, 1000, (op,)), [devnet_key(n_) for n_ in names], CHAIN_ID))
    return out


def test_worker_processes_recover_the_same_keys() -> None:
    batch = txs(300)
    expected = [recover_signers(tx, CHAIN_ID) for tx in batch]
    with SignaturePool(CHAIN_ID, workers=2) as pool:
        assert pool.recover_many(batch) == expected
    with SignaturePool(CHAIN_ID, workers=0) as pool:
        assert pool.recover_many(batch) == expected


def test_a_bad_signature_is_reported_not_raised() -> None:
    import msgspec

    bad = msgspec.structs.replace(txs(1)[0], signatures=(b"\x1f" + bytes(64),))
    with SignaturePool(CHAIN_ID, workers=0) as pool:
        (result,) = pool.recover_many([bad])
    assert isinstance(result, str) and result.startswith("bad signature")
