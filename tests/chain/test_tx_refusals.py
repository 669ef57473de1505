"""Bad transactions are refused with a message naming the rule and values, and change nothing."""

from __future__ import annotations

from collections.abc import Callable

import msgspec
import pytest

from graphex.chain.errors import (
    ChainError,
    DuplicateTransaction,
    ExpiredTransaction,
    InsufficientBalance,
    IrrelevantSignature,
    MissingAuthority,
    OversizeTransaction,
    TaposError,
    TransactionError,
)
from graphex.chain.tx_apply import apply_transaction
from graphex.protocol.codec import DecodeError
from graphex.protocol.keys import PrivateKey
from graphex.protocol.operations import Transfer
from graphex.protocol.struct import codec_of
from graphex.protocol.transaction import SignedTransaction, Transaction, sign
from graphex.testing.chain import DevChain


@pytest.fixture
def chain() -> DevChain:
    c = DevChain()
    c.produce()
    return c


def transfer(chain: DevChain, amount_gpx: int = 1) -> Transfer:
    return Transfer(chain.gpx(20), chain.account_id("alice"), chain.account_id("bob"),
                    chain.gpx(amount_gpx))


def refused(chain: DevChain, tx: SignedTransaction, error: type[ChainError], match: str) -> None:
    before = chain.state.state_hash()
    with chain.state.db.session() as session:
        with pytest.raises(error, match=match):
            apply_transaction(chain.state, tx)
        session.undo()
    assert chain.state.state_hash() == before


def with_tx(chain: DevChain, change: Callable[[Transaction], Transaction],
            signers: tuple[str, ...] = ("alice",)) -> SignedTransaction:
    return chain.sign(change(chain.build([transfer(chain)])), list(signers))


def test_malformed_bytes_are_refused_by_the_decoder(chain: DevChain) -> None:
    raw = codec_of(SignedTransaction).pack(chain.tx([transfer(chain)], ["alice"]))
    for bad in (raw[:-3], raw + b"\x00", b"\xff" * 12, raw[:5] + b"\x80" * 10):
        with pytest.raises(DecodeError):
            codec_of(SignedTransaction).unpack(bad)


def test_unknown_operation_is_refused(chain: DevChain) -> None:
    raw = bytearray(codec_of(SignedTransaction).pack(chain.tx([transfer(chain)], ["alice"])))
    raw[11] = 64  # the first operation's id byte: samet_fund_create, not implemented
    with pytest.raises(DecodeError, match="unknown or unsupported operation id 64"):
        codec_of(SignedTransaction).unpack(bytes(raw))


def test_wrong_chain_id_signature_is_missing_authority(chain: DevChain) -> None:
    tx = sign(chain.build([transfer(chain)]), [chain.key("alice")], bytes(32))
    refused(chain, tx, MissingAuthority, r"missing required active authority of account 1\.2\.\d+ \(alice\)")


def test_expired_and_far_future_expiration(chain: DevChain) -> None:
    head = chain.state.head_time
    past = with_tx(chain, lambda t: msgspec.structs.replace(t, expiration=head))
    refused(chain, past, ExpiredTransaction, "transaction expired: expiration .* is not after")
    limit = chain.state.params.maximum_time_until_expiration
    future = with_tx(chain, lambda t: msgspec.structs.replace(t, expiration=head + limit + 1))
    refused(chain, future, ExpiredTransaction, f"too far in the future: at most {limit} s")


def test_tapos_for_another_fork(chain: DevChain) -> None:
    tx = with_tx(chain, lambda t: msgspec.structs.replace(t, ref_block_prefix=t.ref_block_prefix ^ 1))
    refused(chain, tx, TaposError, "ref_block_prefix .* does not match block")


def test_duplicate_transaction(chain: DevChain) -> None:
    tx = chain.tx([transfer(chain)], ["alice"])
    chain.produce([tx])
    refused(chain, tx, DuplicateTransaction, "duplicate transaction [0-9a-f]{40}: already applied")


def test_bad_extra_and_missing_signatures(chain: DevChain) -> None:
    good = chain.tx([transfer(chain)], ["alice"])
    garbage = msgspec.structs.replace(good, signatures=(b"\x1f" + b"\x00" * 64,))
    refused(chain, garbage, TransactionError, "bad signature #0")
    extra = chain.tx([transfer(chain)], ["alice", "carol"])
    refused(chain, extra, IrrelevantSignature, "unnecessary signature: key\\(s\\) GPX")
    unsigned = chain.sign(chain.build([transfer(chain)]), [])
    refused(chain, unsigned, MissingAuthority, "signatures from 0 key\\(s\\)")
    stranger = chain.tx([transfer(chain)], [PrivateKey.from_seed("stranger")])
    refused(chain, stranger, MissingAuthority, "alice")


def test_insufficient_balance_names_the_values(chain: DevChain) -> None:
    tx = chain.tx([transfer(chain, amount_gpx=2_000_000)], ["alice"])
    refused(chain, tx, InsufficientBalance,
            r"insufficient balance: account 1\.2\.\d+ \(alice\) has 1000000\.00000 GPX, "
            r"needs 2000000\.00000 GPX")


def test_oversize_transaction(chain: DevChain) -> None:
    ops = [transfer(chain)] * 100  # ~2.4 kB > maximum_transaction_size 2048
    tx = chain.tx(ops, ["alice"])
    refused(chain, tx, OversizeTransaction, "larger than maximum_transaction_size 2048")


def test_no_operations(chain: DevChain) -> None:
    tx = chain.sign(chain.build([]), ["alice"])
    refused(chain, tx, TransactionError, "transaction has no operations")


def test_failing_second_operation_undoes_the_first(chain: DevChain) -> None:
    tx = chain.tx([transfer(chain), transfer(chain, amount_gpx=5_000_000)], ["alice"])
    refused(chain, tx, InsufficientBalance, "operation 1 \\(Transfer\\): insufficient balance")
