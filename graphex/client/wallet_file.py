"""The encrypted key file of ``graphex wallet``.

The file is JSON: a header ``{format, version, kdf: {name: "scrypt", salt, n, r, p}, cipher:
{name: "aes-256-gcm", nonce}}`` and ``ciphertext`` (hex). The 32-byte key is scrypt(password,
salt, n, r, p); the plaintext — ``{"keys": [{"label", "wif"}]}`` — is sealed with AES-256-GCM
whose associated data is the canonical JSON of the header, so changing any byte of the
ciphertext, the salt, the nonce or the scrypt parameters makes opening fail. No key is ever
written in the clear. Every save draws a fresh salt and nonce and replaces the file atomically
(written beside it, then renamed), readable by its owner only.

A wrong password and a tampered file are indistinguishable by design (the GCM tag fails for
both); :class:`~graphex.client.errors.WalletError` says so.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from ..protocol.keys import KeyError_, PrivateKey
from .errors import WalletError

FORMAT = "graphex-wallet"
VERSION = 1
SCRYPT_N = 1 << 15
"""scrypt cost (2^15: 32 MiB of memory, about 0.1 s per open)."""
SCRYPT_R, SCRYPT_P = 8, 1
MIN_SCRYPT_N, MAX_SCRYPT_N = 1 << 10, 1 << 20
SALT_BYTES, NONCE_BYTES, KEY_BYTES = 16, 12, 32
MAX_FILE_BYTES = 4 << 20
MAX_KEYS = 10_000


def _derive(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return Scrypt(salt=salt, length=KEY_BYTES, n=n, r=r, p=p).derive(password.encode())


def _header_bytes(header: dict[str, Any]) -> bytes:
    return json.dumps(header, sort_keys=True, separators=(",", ":")).encode()


@dataclass
class Wallet:
    """An open wallet: the keys (by label) and where and how to save them."""

    path: Path
    password: str
    scrypt_n: int = SCRYPT_N
    entries: list[tuple[str, PrivateKey]] = field(default_factory=list)

    # -- files ---------------------------------------------------------------------------------
    @classmethod
    def create(cls, path: Path, password: str, *, scrypt_n: int | None = None) -> Wallet:
        """A new empty wallet file at ``path`` (an existing file is never overwritten)."""
        if path.exists():
            raise WalletError(f"wallet {path} already exists")
        if not password:
            raise WalletError("the wallet password must not be empty")
        wallet = cls(path, password, SCRYPT_N if scrypt_n is None else scrypt_n)
        wallet.save()
        return wallet

    @classmethod
    def open(cls, path: Path, password: str) -> Wallet:
        """The wallet at ``path``; a wrong password or altered file raises WalletError."""
        if not path.is_file():
            raise WalletError(f"no wallet at {path} (create one with 'graphex wallet create')")
        if path.stat().st_size > MAX_FILE_BYTES:
            raise WalletError(f"wallet {path} is larger than {MAX_FILE_BYTES} bytes")
        try:
            document = json.loads(path.read_text())
            header = {k: document[k] for k in ("format", "version", "kdf", "cipher")}
            kdf, cipher = header["kdf"], header["cipher"]
            if header["format"] != FORMAT or header["version"] != VERSION:
                raise ValueError(f"format {header['format']!r} version {header['version']!r}")
            if kdf["name"] != "scrypt" or cipher["name"] != "aes-256-gcm":
                raise ValueError(f"kdf {kdf['name']!r} cipher {cipher['name']!r}")
            n, r, p = int(kdf["n"]), int(kdf["r"]), int(kdf["p"])
            if not MIN_SCRYPT_N <= n <= MAX_SCRYPT_N or (r, p) != (SCRYPT_R, SCRYPT_P):
                raise ValueError(f"scrypt parameters n={n} r={r} p={p}")
            salt, nonce = bytes.fromhex(kdf["salt"]), bytes.fromhex(cipher["nonce"])
            sealed = bytes.fromhex(document["ciphertext"])
        except (ValueError, KeyError, TypeError) as exc:
            raise WalletError(f"{path} is not a graphex wallet file ({exc})") from None
        key = _derive(password, salt, n, r, p)
        try:
            plain = AESGCM(key).decrypt(nonce, sealed, _header_bytes(header))
        except (InvalidTag, ValueError):
            raise WalletError(f"cannot open wallet {path}: wrong password, or the file was "
                              "altered") from None
        wallet = cls(path, password, n)
        try:
            for entry in json.loads(plain)["keys"]:
                wallet.entries.append((str(entry["label"]), PrivateKey.from_wif(entry["wif"])))
        except (ValueError, KeyError, TypeError, KeyError_) as exc:
            raise WalletError(f"wallet {path} holds unreadable keys ({exc})") from None
        return wallet

    def save(self) -> None:
        """Seal the keys under a fresh salt and nonce and replace the file atomically."""
        salt, nonce = secrets.token_bytes(SALT_BYTES), secrets.token_bytes(NONCE_BYTES)
        header = {"format": FORMAT, "version": VERSION,
                  "kdf": {"name": "scrypt", "salt": salt.hex(), "n": self.scrypt_n,
                          "r": SCRYPT_R, "p": SCRYPT_P},
                  "cipher": {"name": "aes-256-gcm", "nonce": nonce.hex()}}
        plain = json.dumps({"keys": [{"label": label, "wif": key.to_wif()}
                                     for label, key in self.entries]}).encode()
        key = _derive(self.password, salt, self.scrypt_n, SCRYPT_R, SCRYPT_P)
        sealed = AESGCM(key).encrypt(nonce, plain, _header_bytes(header))
        document = {**header, "ciphertext": sealed.hex()}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_name(self.path.name + ".tmp")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as out:
            json.dump(document, out, indent=1)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, self.path)

    # -- keys ----------------------------------------------------------------------------------
    def add(self, label: str, key: PrivateKey | str) -> PrivateKey:
        """Hold ``key`` (WIF text or key) under ``label``; a key already held is refused."""
        try:
            private = PrivateKey.from_wif(key.strip()) if isinstance(key, str) else key
        except KeyError_ as exc:
            raise WalletError(f"not a WIF private key: {exc}") from None
        if any(k.public_key == private.public_key for _, k in self.entries):
            raise WalletError(f"the wallet already holds key {private.public_key.to_text()}")
        if len(self.entries) >= MAX_KEYS:
            raise WalletError(f"the wallet holds MAX_KEYS = {MAX_KEYS} keys already")
        self.entries.append((label, private))
        return private

    def new_key(self, label: str) -> PrivateKey:
        """A fresh random key held under ``label``."""
        return self.add(label, PrivateKey(secrets.token_bytes(KEY_BYTES)))

    def private_keys(self) -> list[PrivateKey]:
        return [key for _, key in self.entries]

    def listing(self, prefix: str = "GPX") -> list[dict[str, str]]:
        """``[{label, public_key}]`` (never the private keys)."""
        return [{"label": label, "public_key": key.public_key.to_text(prefix)}
                for label, key in self.entries]
