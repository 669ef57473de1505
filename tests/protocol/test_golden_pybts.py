"""Golden vectors against python-bitshares: same bytes, ids, signatures and JSON for each operation.

Every case in :mod:`golden_cases` is built in graphex and in bitsharesbase and wrapped in a
transaction; the packed bytes and transaction ids must be identical, a graphex signature must
verify in graphenebase, a graphenebase signature must recover in graphex, and the JSON forms must
agree (modulo key order and python-bitshares' known spellings, see :func:`normalise`).
"""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from bitsharesbase import account as bts_account
from bitsharesbase.chains import known_chains as PyChains
from bitsharesbase.objects import Operation as PyOperation
from bitsharesbase.signedtransactions import Signed_Transaction as PySignedTransaction
from graphenebase import account as gph_account
from graphenebase import ecdsa as gph_ecdsa

from graphex.protocol.codec import parse_time
from graphex.protocol.operations import OPERATION
from graphex.protocol.struct import codec_of, from_json, pack, to_json
from graphex.protocol.transaction import (
    SignedTransaction,
    pack_unsigned,
    sign,
    signer_keys,
    transaction_id,
)
from tests.protocol import golden_cases

CHAIN_ID = hashlib.sha256(b"graphex golden-vector chain").digest()
CHAIN = {"chain_id": CHAIN_ID.hex(), "core_symbol": "GPX", "prefix": "GPX"}
REF_BLOCK_NUM, REF_BLOCK_PREFIX, TX_EXPIRATION = 4660, 3735928559, "2025-02-28T23:59:30"
IDS = [case[0] for case in golden_cases.CASES]


@pytest.fixture(autouse=True)
def gpx_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    """bitsharesbase keys default to the BTS prefix; make them speak GPX for these tests."""
    monkeypatch.setattr(bts_account.PublicKey, "prefix", "GPX", raising=False)
    monkeypatch.setattr(gph_account.PublicKey, "prefix", "GPX", raising=False)
    # graphenelib 1.6.1's "cryptography" recovery path reads ecdsa's private Point fields, which
    # ecdsa >= 0.15 no longer has; its pure-python "ecdsa" path works.
    monkeypatch.setattr(gph_ecdsa, "SECP256K1_MODULE", "ecdsa")


def graphex_tx(op: Any) -> SignedTransaction:
    return SignedTransaction(REF_BLOCK_NUM, REF_BLOCK_PREFIX, parse_time(TX_EXPIRATION), (op,))


def pybts_tx(op: Any, signatures: list[str] | None = None) -> PySignedTransaction:
    kwargs: dict[str, Any] = {
        "ref_block_num": REF_BLOCK_NUM,
        "ref_block_prefix": REF_BLOCK_PREFIX,
        "expiration": TX_EXPIRATION,
        "operations": [PyOperation(op)],
    }
    if signatures is not None:
        kwargs["signatures"] = signatures
    return PySignedTransaction(**kwargs)


def normalise(j: Any) -> Any:
    """JSON compared modulo python-bitshares' spellings: numbers sent as strings (fc prints large
    ints as text), ``[]`` for an empty ``extension<T>`` (core prints ``{}``), and authorities with
    an ``extensions`` key where core has ``address_auths`` (both empty here)."""
    if isinstance(j, dict):
        out = {k: normalise(v) for k, v in j.items()}
        if "weight_threshold" in out:
            out.pop("extensions", None)
            out.pop("address_auths", None)
        if out.get("extensions") in ([], {}):
            out["extensions"] = []
        return out
    if isinstance(j, list):
        return [normalise(x) for x in j]
    if isinstance(j, str) and j.lstrip("-").isdigit():
        return int(j)
    return j


@pytest.mark.parametrize("name,gop,factory", golden_cases.CASES, ids=IDS)
def test_bytes_and_id_match_pybts(name: str, gop: Any, factory: Any) -> None:
    ptx = pybts_tx(factory())
    gtx = graphex_tx(gop)
    assert codec_of(SignedTransaction).pack(gtx).hex() == bytes(ptx).hex()
    assert transaction_id(gtx).hex() == ptx.id
    assert OPERATION.pack(gop) == bytes(PyOperation(factory()))


@pytest.mark.parametrize("name,gop,factory", golden_cases.CASES, ids=IDS)
def test_graphex_signature_verifies_in_graphenebase(name: str, gop: Any, factory: Any) -> None:
    key = golden_cases.KEYS[0]
    signed = sign(graphex_tx(gop), [key], CHAIN_ID)
    ptx = pybts_tx(factory(), [s.hex() for s in signed.signatures])
    found = ptx.verify([bts_account.PublicKey(key.public_key.to_text("GPX"), prefix="GPX")], CHAIN)
    assert key.public_key.data.hex() in found


@pytest.mark.parametrize("name,gop,factory", golden_cases.CASES, ids=IDS)
def test_pybts_signature_recovers_in_graphex(name: str, gop: Any, factory: Any) -> None:
    keys = golden_cases.KEYS[1:3]
    ptx = pybts_tx(factory())
    ptx.sign([k.to_wif() for k in keys], CHAIN)
    sigs = tuple(bytes(s) for s in ptx.data["signatures"].data)
    gtx = graphex_tx(gop)
    signed = SignedTransaction(*[getattr(gtx, f) for f in gtx.__struct_fields__[:-1]], sigs)
    assert signer_keys(signed, CHAIN_ID) == [k.public_key for k in keys]
    assert codec_of(SignedTransaction).pack(signed) == bytes(ptx)


@pytest.mark.parametrize("name,gop,factory", golden_cases.CASES, ids=IDS)
def test_json_matches_pybts_and_round_trips(name: str, gop: Any, factory: Any) -> None:
    pop = factory()
    assert normalise(to_json(gop)) == normalise(pop.json())
    back = from_json(type(gop), to_json(gop))  # sets come back in canonical (sorted) order
    assert pack(back) == pack(gop) and to_json(back) == to_json(gop)
    # what python-bitshares sends (e.g. to broadcast_transaction) parses to the same operation
    assert pack(from_json(type(gop), pop.json())) == pack(gop)
    assert normalise(codec_of(SignedTransaction).to_json(graphex_tx(gop))) == normalise(
        pybts_tx(pop).json()
    )


def test_unsigned_bytes_are_tx_without_signature_count() -> None:
    gtx = graphex_tx(golden_cases.G_TRANSFER)
    assert codec_of(SignedTransaction).pack(gtx) == pack_unsigned(gtx) + b"\x00"


MAINNET_CHAIN_ID = bytes.fromhex("4018d7844c78f6a6c41c6a552b898022310fc5dec06da467ee7905a8dad512c8")


def test_reference_worked_example_limit_order_create() -> None:
    """reference/bitshares.md §7: bytes, transaction id and mainnet signature digest."""
    from graphex.protocol.ids import ObjectId
    from graphex.protocol.operations import LimitOrderCreate
    from graphex.protocol.transaction import Transaction, signature_digest
    from graphex.protocol.types import Asset

    op = LimitOrderCreate(
        Asset(0, ObjectId(1, 3, 0)),
        ObjectId(1, 2, 12345),
        Asset(100000000, ObjectId(1, 3, 0)),
        Asset(300000, ObjectId(1, 3, 121)),
        parse_time("2025-01-01T00:00:00"),
        False,
    )
    tx = Transaction(0x1234, 0xDEADBEEF, parse_time("2024-12-31T23:59:30"), (op,))
    assert pack_unsigned(tx).hex() == (
        "3412efbeadde62857467"
        "01"
        "01"
        "000000000000000000"
        "b960"
        "00e1f5050000000000"
        "e09304000000000079"
        "80857467"
        "00"
        "00"
        "00"
    )
    assert transaction_id(tx).hex() == "fd4c6b20df90d5e797de5382ba4a362f3086342a"
    assert signature_digest(tx, MAINNET_CHAIN_ID).hex() == (
        "b683d77699110b9b3da616d8b18b0268a78d396f166f20dec0139df8a2f4a0e6"
    )
    assert MAINNET_CHAIN_ID.hex() == PyChains["BTS"]["chain_id"]
