"""Encrypted memos, byte-compatible with BitShares (core: protocol/memo.cpp; gphlib memo.py).

- ``S`` = x coordinate of ``to_pub * from_priv`` (ECDH, 32 bytes); both sides derive the same.
- ``seed`` = ``str(nonce)`` ‖ lowercase hex of ``sha512(S)``; ``h = sha512(seed)``.
- AES-256-CBC with key ``h[0:32]`` and IV ``h[32:48]`` over
  ``sha256(text)[0:4] ‖ text`` (UTF-8), PKCS7-padded to 16 bytes.

Decryption checks the padding and the 4-byte checksum and refuses with :class:`MemoError` naming
what failed; a wrong key almost always shows up as a bad padding or checksum.
"""

from __future__ import annotations

import hashlib

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from .keys import PrivateKey, PublicKey
from .types import Memo

_BLOCK_BITS = 128
MAX_NONCE = (1 << 64) - 1


class MemoError(ValueError):
    """A memo that cannot be encrypted or decrypted with the given keys."""


def _cipher(priv: PrivateKey, pub: PublicKey, nonce: int) -> Cipher[modes.CBC]:
    secret = priv.shared_secret(pub)
    seed = str(nonce).encode() + hashlib.sha512(secret).hexdigest().encode()
    h = hashlib.sha512(seed).digest()
    return Cipher(algorithms.AES(h[:32]), modes.CBC(h[32:48]))


def encrypt_memo(from_priv: PrivateKey, to_pub: PublicKey, nonce: int, text: str) -> Memo:
    """A memo from ``from_priv``'s public key to ``to_pub`` carrying ``text``."""
    if not 0 <= nonce <= MAX_NONCE:
        raise MemoError(f"memo nonce {nonce} is outside the uint64 range")
    raw = text.encode()
    plain = hashlib.sha256(raw).digest()[:4] + raw
    padder = padding.PKCS7(_BLOCK_BITS).padder()
    padded = padder.update(plain) + padder.finalize()
    encryptor = _cipher(from_priv, to_pub, nonce).encryptor()
    message = encryptor.update(padded) + encryptor.finalize()
    return Memo(from_priv.public_key, to_pub, nonce, message)


def decrypt_memo(priv: PrivateKey, memo: Memo) -> str:
    """The text of ``memo``; ``priv`` may be the sender's or the recipient's key."""
    mine = priv.public_key
    if mine == memo.from_key:
        other = memo.to_key
    elif mine == memo.to_key:
        other = memo.from_key
    else:
        raise MemoError(
            f"memo is between {memo.from_key.to_text()} and {memo.to_key.to_text()}; "
            f"the key {mine.to_text()} is neither"
        )
    if not memo.message or len(memo.message) % 16:
        raise MemoError(
            f"memo ciphertext is {len(memo.message)} bytes; AES-CBC needs a non-zero multiple of 16"
        )
    decryptor = _cipher(priv, other, memo.nonce).decryptor()
    padded = decryptor.update(memo.message) + decryptor.finalize()
    unpadder = padding.PKCS7(_BLOCK_BITS).unpadder()
    try:
        plain = unpadder.update(padded) + unpadder.finalize()
    except ValueError:
        raise MemoError("memo decryption failed: bad padding (wrong key or nonce?)") from None
    if len(plain) < 4:
        raise MemoError(f"memo plaintext is {len(plain)} bytes, shorter than its 4-byte checksum")
    checksum, raw = plain[:4], plain[4:]
    expected = hashlib.sha256(raw).digest()[:4]
    if checksum != expected:
        raise MemoError(
            f"memo checksum mismatch: stored {checksum.hex()}, computed {expected.hex()} "
            "(wrong key or nonce?)"
        )
    try:
        return raw.decode()
    except UnicodeDecodeError:
        raise MemoError("memo text is not valid UTF-8") from None
