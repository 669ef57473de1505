"""Blocks: header, signed header, signed block; block id, signing digest and merkle root.

- The witness signs ``sha256(pack(header))`` (no chain id).
- ``block_id`` = ``sha224(pack(signed_header))`` cut to 20 bytes, with the first 4 bytes replaced by
  the big-endian block number; ``block_num = num(previous) + 1``.
- Merkle root: leaves ``sha256(pack(processed_transaction))``; pairs hashed as
  ``sha256(left ‖ right)``, an odd last leaf carried up; the root is ``ripemd160`` of the final
  sha256; an empty block has an all-zero root.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from .keys import PrivateKey, PublicKey, recover, ripemd160
from .struct import WireStruct, codec_of
from .transaction import ProcessedTransaction
from .types import Extensions, Ripemd160, Signature, TimeSec, WitnessId

ZERO_ID = bytes(20)


class BlockHeader(WireStruct, frozen=True):
    previous: Ripemd160
    timestamp: TimeSec
    witness: WitnessId
    transaction_merkle_root: Ripemd160
    extensions: Extensions = ()


class SignedBlockHeader(BlockHeader, frozen=True):
    witness_signature: Signature = bytes(65)


class SignedBlock(SignedBlockHeader, frozen=True):
    transactions: tuple[ProcessedTransaction, ...] = ()


def num_from_id(block_id: bytes) -> int:
    return int.from_bytes(block_id[:4], "big")


def block_num(header: BlockHeader) -> int:
    return num_from_id(header.previous) + 1


def header_digest(header: BlockHeader) -> bytes:
    out = bytearray()
    codec_of(BlockHeader).write(out, header)
    return hashlib.sha256(out).digest()


def block_id(header: SignedBlockHeader) -> bytes:
    out = bytearray()
    codec_of(SignedBlockHeader).write(out, header)
    digest = hashlib.sha224(out).digest()[:20]
    return block_num(header).to_bytes(4, "big") + digest[4:]


def sign_header(header: BlockHeader, key: PrivateKey) -> bytes:
    return key.sign_digest(header_digest(header))


def block_signee(header: SignedBlockHeader) -> PublicKey:
    return recover(header.witness_signature, header_digest(header))


def transaction_leaf(tx: ProcessedTransaction) -> bytes:
    return hashlib.sha256(codec_of(ProcessedTransaction).pack(tx)).digest()


def merkle_root(leaves: Sequence[bytes]) -> bytes:
    """The transaction merkle root of the given leaf digests (see the module docstring)."""
    if not leaves:
        return ZERO_ID
    level = list(leaves)
    while len(level) > 1:
        nxt = [
            hashlib.sha256(level[i] + level[i + 1]).digest()
            for i in range(0, len(level) - 1, 2)
        ]
        if len(level) % 2:
            nxt.append(level[-1])
        level = nxt
    return ripemd160(level[0])
