"""Transactions: the wire structs, id, signature digest, signing and signer recovery.

- ``id`` = ``sha256(pack(transaction))[:20]`` over the unsigned part.
- signature digest = ``sha256(chain_id ‖ pack(transaction))``.
- TaPoS: ``ref_block_num`` = low 16 bits of the referenced block number, ``ref_block_prefix`` = bytes
  4..7 of its id read little-endian.
"""

from __future__ import annotations

import hashlib
import struct as _struct
from typing import Annotated

from .keys import PrivateKey, PublicKey, recover
from .operations.base import OPERATION, OPERATION_RESULT, Operation, OperationResult
from .struct import WireStruct, codec_of
from .types import Extensions, Signature, TimeSec, UInt16, UInt32

OperationField = Annotated[Operation, OPERATION]
OperationResultField = Annotated[OperationResult, OPERATION_RESULT]


class Transaction(WireStruct, frozen=True):
    ref_block_num: UInt16
    ref_block_prefix: UInt32
    expiration: TimeSec
    operations: tuple[OperationField, ...]
    extensions: Extensions = ()


class SignedTransaction(Transaction, frozen=True):
    signatures: tuple[Signature, ...] = ()


class ProcessedTransaction(SignedTransaction, frozen=True):
    operation_results: tuple[OperationResultField, ...] = ()


def pack_unsigned(tx: Transaction) -> bytes:
    """The bytes of the transaction without signatures (what ids and digests are made of)."""
    out = bytearray()
    codec = codec_of(Transaction)
    codec.write(out, tx)
    return bytes(out)


def transaction_id(tx: Transaction) -> bytes:
    return hashlib.sha256(pack_unsigned(tx)).digest()[:20]


def signature_digest(tx: Transaction, chain_id: bytes) -> bytes:
    return hashlib.sha256(chain_id + pack_unsigned(tx)).digest()


def sign(tx: Transaction, keys: list[PrivateKey], chain_id: bytes) -> SignedTransaction:
    """The transaction with one signature per key appended (existing signatures kept)."""
    digest = signature_digest(tx, chain_id)
    old = tx.signatures if isinstance(tx, SignedTransaction) else ()
    return SignedTransaction(
        tx.ref_block_num,
        tx.ref_block_prefix,
        tx.expiration,
        tx.operations,
        tx.extensions,
        old + tuple(k.sign_digest(digest) for k in keys),
    )


def signer_keys(tx: SignedTransaction, chain_id: bytes) -> list[PublicKey]:
    """The public keys recovered from the transaction's signatures, in signature order."""
    digest = signature_digest(tx, chain_id)
    return [recover(sig, digest) for sig in tx.signatures]


def ref_block_fields(block_id: bytes) -> tuple[int, int]:
    """``(ref_block_num, ref_block_prefix)`` referencing the block with this id."""
    num = int.from_bytes(block_id[:4], "big")
    return num & 0xFFFF, _struct.unpack_from("<I", block_id, 4)[0]
