"""Memo encryption: interoperable with graphenebase.memo both ways, readable by either party,
clear refusals for a wrong key, a bad checksum or a malformed ciphertext."""

from __future__ import annotations

import msgspec
import pytest
from graphenebase.account import PrivateKey as GphPrivateKey
from graphenebase.account import PublicKey as GphPublicKey
from graphenebase.memo import decode_memo, encode_memo
from hypothesis import given, settings
from hypothesis import strategies as st

from graphex.protocol.keys import PrivateKey
from graphex.protocol.memo import MemoError, decrypt_memo, encrypt_memo

ALICE, BOB, EVE = (PrivateKey.from_seed(name) for name in ("memo-alice", "memo-bob", "memo-eve"))


def gph_priv(key: PrivateKey) -> GphPrivateKey:
    return GphPrivateKey(key.to_wif(), prefix="GPX")


def gph_pub(key: PrivateKey) -> GphPublicKey:
    return GphPublicKey(key.public_key.to_text("GPX"), prefix="GPX")


def test_fixed_vector() -> None:
    memo = encrypt_memo(ALICE, BOB.public_key, 1, "hello")
    expected = encode_memo(gph_priv(ALICE), gph_pub(BOB), 1, "hello")
    assert memo.message.hex() == expected
    assert (memo.from_key, memo.to_key, memo.nonce) == (ALICE.public_key, BOB.public_key, 1)


@settings(max_examples=40, deadline=None)
@given(text=st.text(max_size=200), nonce=st.integers(0, (1 << 64) - 1))
def test_graphex_memo_decrypts_in_graphenebase(text: str, nonce: int) -> None:
    memo = encrypt_memo(ALICE, BOB.public_key, nonce, text)
    assert decode_memo(gph_priv(BOB), gph_pub(ALICE), nonce, memo.message.hex()) == text


@settings(max_examples=40, deadline=None)
@given(text=st.text(min_size=1, max_size=200), nonce=st.integers(0, (1 << 64) - 1))
def test_graphenebase_memo_decrypts_in_graphex(text: str, nonce: int) -> None:
    cipher = encode_memo(gph_priv(ALICE), gph_pub(BOB), nonce, text)
    memo = encrypt_memo(ALICE, BOB.public_key, nonce, "placeholder")
    memo = msgspec.structs.replace(memo, message=bytes.fromhex(cipher))
    assert decrypt_memo(BOB, memo) == text
    assert decrypt_memo(ALICE, memo) == text


def test_either_side_decrypts_and_a_stranger_is_refused() -> None:
    memo = encrypt_memo(ALICE, BOB.public_key, 99, "ünïcode ✓")
    assert decrypt_memo(ALICE, memo) == decrypt_memo(BOB, memo) == "ünïcode ✓"
    with pytest.raises(MemoError, match="is neither"):
        decrypt_memo(EVE, memo)


def test_wrong_nonce_is_refused() -> None:
    memo = msgspec.structs.replace(encrypt_memo(ALICE, BOB.public_key, 5, "x" * 40), nonce=6)
    with pytest.raises(MemoError, match=r"padding|checksum"):
        decrypt_memo(BOB, memo)


def test_bad_checksum_is_refused() -> None:
    """A ciphertext of a text whose 4-byte checksum is wrong (built with AES directly)."""
    from graphex.protocol import memo as memo_module

    padded = b"\x00\x00\x00\x00hello" + bytes([7]) * 7
    encryptor = memo_module._cipher(ALICE, BOB.public_key, 3).encryptor()
    forged = encryptor.update(padded) + encryptor.finalize()
    memo = msgspec.structs.replace(encrypt_memo(ALICE, BOB.public_key, 3, ""), message=forged)
    with pytest.raises(MemoError, match="checksum mismatch"):
        decrypt_memo(BOB, memo)


@pytest.mark.parametrize("message", [b"", b"\x01" * 15, b"\x02" * 17])
def test_malformed_ciphertext_is_refused(message: bytes) -> None:
    memo = msgspec.structs.replace(encrypt_memo(ALICE, BOB.public_key, 1, "a"), message=message)
    with pytest.raises(MemoError, match="multiple of 16"):
        decrypt_memo(BOB, memo)


def test_nonce_out_of_range_is_refused() -> None:
    with pytest.raises(MemoError, match="uint64"):
        encrypt_memo(ALICE, BOB.public_key, 1 << 64, "a")
