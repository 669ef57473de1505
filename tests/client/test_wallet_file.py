"""The encrypted wallet file: round trip, no plaintext keys, wrong password and tampering refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from graphex.chain.genesis import devnet_key
from graphex.client import WalletError, wallet_file
from graphex.client.wallet_file import Wallet


@pytest.fixture(autouse=True)
def cheap_scrypt(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(wallet_file, "SCRYPT_N", wallet_file.MIN_SCRYPT_N)


def make(path: Path) -> Wallet:
    wallet = Wallet.create(path, "correct horse")
    wallet.add("alice", devnet_key("alice").to_wif())
    wallet.new_key("spare")
    wallet.save()
    return wallet


def test_round_trip_keeps_labels_and_keys(tmp_path: Path) -> None:
    path = tmp_path / "wallet.json"
    made = make(path)
    opened = Wallet.open(path, "correct horse")
    assert [(label, key.secret) for label, key in opened.entries] == \
        [(label, key.secret) for label, key in made.entries]
    assert opened.listing()[0] == {"label": "alice",
                                   "public_key": devnet_key("alice").public_key.to_text()}
    assert path.stat().st_mode & 0o777 == 0o600


def test_the_file_holds_no_plaintext_key(tmp_path: Path) -> None:
    path = tmp_path / "wallet.json"
    made = make(path)
    text = path.read_text()
    for _, key in made.entries:
        assert key.to_wif() not in text and key.secret.hex() not in text
    assert "alice" not in text  # labels are sealed too


def test_wrong_password_is_refused_clearly(tmp_path: Path) -> None:
    path = tmp_path / "wallet.json"
    make(path)
    with pytest.raises(WalletError, match="wrong password, or the file was altered"):
        Wallet.open(path, "wrong")


@pytest.mark.parametrize("tamper", ["ciphertext", "salt", "nonce", "n"])
def test_a_tampered_file_is_refused(tmp_path: Path, tamper: str) -> None:
    path = tmp_path / "wallet.json"
    make(path)
    document = json.loads(path.read_text())
    if tamper == "ciphertext":
        sealed = bytearray.fromhex(document["ciphertext"])
        sealed[5] ^= 1
        document["ciphertext"] = sealed.hex()
    elif tamper == "salt":
        document["kdf"]["salt"] = "00" * 16
    elif tamper == "nonce":
        document["cipher"]["nonce"] = "00" * 12
    else:
        document["kdf"]["n"] *= 2
    path.write_text(json.dumps(document))
    with pytest.raises(WalletError, match="wrong password, or the file was altered"):
        Wallet.open(path, "correct horse")


def test_garbage_missing_and_existing_files(tmp_path: Path) -> None:
    path = tmp_path / "wallet.json"
    with pytest.raises(WalletError, match="no wallet at"):
        Wallet.open(path, "pw")
    path.write_text("{}")
    with pytest.raises(WalletError, match="not a graphex wallet file"):
        Wallet.open(path, "pw")
    with pytest.raises(WalletError, match="already exists"):
        Wallet.create(path, "pw")


def test_duplicate_and_bad_keys_are_refused(tmp_path: Path) -> None:
    wallet = make(tmp_path / "wallet.json")
    with pytest.raises(WalletError, match="already holds"):
        wallet.add("again", devnet_key("alice"))
    with pytest.raises(WalletError, match="not a WIF private key"):
        wallet.add("bad", "5Knotawif")
