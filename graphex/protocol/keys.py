"""secp256k1 keys and signatures as BitShares uses them (through coincurve / libsecp256k1).

- Public key text: ``PREFIX + base58(compressed 33-byte key ‖ ripemd160(key)[:4])``.
- WIF private key: ``base58(0x80 ‖ secret ‖ sha256(sha256(0x80 ‖ secret))[:4])``.
- Address (the sort key of ``key_auths``): ``ripemd160(sha512(compressed key))``.
- Signatures: 65-byte compact recoverable ``(27 + 4 + recid) ‖ r ‖ s`` over a 32-byte digest, and
  *canonical* as fc requires; signing retries with fresh RFC 6979 extra entropy until canonical.
  Verification recovers the public key from the signature and digest; there is no separate verify.
"""

from __future__ import annotations

import hashlib
from functools import cached_property, total_ordering

import coincurve
from coincurve._libsecp256k1 import ffi  # type: ignore[import-not-found]

DEFAULT_PREFIX = "GPX"
_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_INDEX = {c: i for i, c in enumerate(_B58)}


class KeyError_(ValueError):
    """A key or signature that is malformed (bad base58, checksum, prefix or curve point)."""


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def sha512(data: bytes) -> bytes:
    return hashlib.sha512(data).digest()


def ripemd160(data: bytes) -> bytes:
    return hashlib.new("ripemd160", data).digest()


def b58encode(data: bytes) -> str:
    n = int.from_bytes(data, "big")
    out = []
    while n:
        n, r = divmod(n, 58)
        out.append(_B58[r])
    pad = len(data) - len(data.lstrip(b"\0"))
    return "1" * pad + "".join(reversed(out))


def b58decode(text: str) -> bytes:
    n = 0
    for c in text:
        digit = _B58_INDEX.get(c)
        if digit is None:
            raise KeyError_(f"invalid base58 character {c!r}")
        n = n * 58 + digit
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    pad = len(text) - len(text.lstrip("1"))
    return b"\0" * pad + body


@total_ordering
class PublicKey:
    """A compressed secp256k1 public key. Ordered by address, as BitShares sorts ``key_auths``."""

    __slots__ = ("__dict__", "data")

    def __init__(self, data: bytes) -> None:
        if len(data) != 33 or data[0] not in (2, 3):
            raise KeyError_(f"a public key is 33 bytes starting 02/03, got {len(data)} bytes")
        self.data = bytes(data)

    @classmethod
    def from_text(cls, text: str, prefix: str = DEFAULT_PREFIX) -> PublicKey:
        if not isinstance(text, str) or not text.startswith(prefix):
            raise KeyError_(f"public key {str(text)[:60]!r} does not start with prefix {prefix!r}")
        raw = b58decode(text[len(prefix) :])
        if len(raw) != 37:
            raise KeyError_(f"public key {text!r} decodes to {len(raw)} bytes, expected 37")
        key, checksum = raw[:33], raw[33:]
        if ripemd160(key)[:4] != checksum:
            raise KeyError_(f"public key {text!r} has a bad checksum")
        return cls(key)

    def to_text(self, prefix: str = DEFAULT_PREFIX) -> str:
        return prefix + b58encode(self.data + ripemd160(self.data)[:4])

    @cached_property
    def address(self) -> bytes:
        return ripemd160(sha512(self.data))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PublicKey) and other.data == self.data

    def __lt__(self, other: PublicKey) -> bool:
        return self.address < other.address

    def __hash__(self) -> int:
        return hash(self.data)

    def __repr__(self) -> str:
        return f"PublicKey({self.to_text()!r})"


class PrivateKey:
    """A secp256k1 secret key."""

    __slots__ = ("_key", "_public", "secret")

    def __init__(self, secret: bytes) -> None:
        if len(secret) != 32:
            raise KeyError_(f"a private key is 32 bytes, got {len(secret)}")
        try:
            self._key = coincurve.PrivateKey(secret)
        except ValueError as exc:
            raise KeyError_(f"invalid private key: {exc}") from None
        self.secret = bytes(secret)
        self._public = PublicKey(self._key.public_key.format(compressed=True))

    @classmethod
    def from_seed(cls, seed: str) -> PrivateKey:
        """``sha256(seed)`` as a secret (the devnet's deterministic keys)."""
        return cls(sha256(seed.encode()))

    @classmethod
    def from_wif(cls, wif: str) -> PrivateKey:
        raw = b58decode(wif)
        if len(raw) != 37 or raw[0] != 0x80:
            raise KeyError_("WIF key must decode to 0x80 ‖ 32 bytes ‖ 4-byte checksum")
        if sha256(sha256(raw[:33]))[:4] != raw[33:]:
            raise KeyError_("WIF key has a bad checksum")
        return cls(raw[1:33])

    def to_wif(self) -> str:
        body = b"\x80" + self.secret
        return b58encode(body + sha256(sha256(body))[:4])

    @property
    def public_key(self) -> PublicKey:
        return self._public

    def sign_digest(self, digest: bytes) -> bytes:
        """A canonical 65-byte compact signature of a 32-byte digest."""
        counter = 0
        while True:
            nonce = (ffi.NULL, ffi.NULL) if counter == 0 else _extra_entropy(counter)
            raw = self._key.sign_recoverable(digest, hasher=None, custom_nonce=nonce)
            sig = bytes([27 + 4 + raw[64]]) + raw[:64]
            if is_canonical(sig):
                return sig
            counter += 1

    def shared_secret(self, public: PublicKey) -> bytes:
        """The x coordinate of ``public * secret`` (the memo's ECDH secret, 32 bytes)."""
        point = coincurve.PublicKey(public.data).multiply(self.secret)
        return point.format(compressed=True)[1:]


def _extra_entropy(counter: int) -> tuple[object, object]:
    ndata = ffi.new("unsigned char[32]", counter.to_bytes(32, "little"))
    return (ffi.NULL, ndata)


def is_canonical(sig: bytes) -> bool:
    """fc's canonical test on ``r`` (bytes 1..32) and ``s`` (bytes 33..64)."""
    return (
        not sig[1] & 0x80
        and not (sig[1] == 0 and not sig[2] & 0x80)
        and not sig[33] & 0x80
        and not (sig[33] == 0 and not sig[34] & 0x80)
    )


def recover(signature: bytes, digest: bytes) -> PublicKey:
    """The public key that made ``signature`` over ``digest``; refuses non-canonical signatures."""
    if len(signature) != 65:
        raise KeyError_(f"a signature is 65 bytes, got {len(signature)}")
    recid = signature[0] - 27 - 4
    if not 0 <= recid <= 3:
        raise KeyError_(f"signature header byte {signature[0]} is not 31..34 (compressed)")
    if not is_canonical(signature):
        raise KeyError_("signature is not canonical")
    try:
        key = coincurve.PublicKey.from_signature_and_message(
            signature[1:] + bytes([recid]), digest, hasher=None
        )
    except (ValueError, TypeError) as exc:
        raise KeyError_(f"no public key recovers from this signature: {exc}") from None
    return PublicKey(key.format(compressed=True))


def recover_raw(signature: bytes, digest: bytes) -> bytes:
    """Like :func:`recover` but returns the 33 compressed bytes (cheap to send between processes)."""
    return recover(signature, digest).data
