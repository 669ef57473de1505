"""Genesis: the JSON file that defines a chain, and the objects it creates.

``chain_id = sha256(genesis file bytes)``. The file names the core asset (symbol, precision), the
key prefix, the initial timestamp, chain parameters, accounts (with keys and membership), balances,
witnesses and committee members. :func:`devnet_genesis` builds the default devnet's file, whose
keys are deterministic: account NAME's key is the secret ``sha256("graphex-devnet:" + NAME)``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from ..protocol import ids
from ..protocol.chain_parameters import ChainParameters, default_chain_parameters
from ..protocol.keys import PrivateKey, PublicKey
from ..protocol.struct import from_json, to_json
from ..protocol.types import MAX_SHARE_SUPPLY, set_address_prefix
from .errors import ChainError

DEVNET_KEY_SEED = "graphex-devnet:"
DEVNET_WITNESS_COUNT = 11
DEVNET_ACCOUNTS = ("alice", "bob", "carol", "dave")
DEVNET_ACCOUNT_BALANCE_GPX = 1_000_000
DEVNET_GENESIS_TIME_S = 1_767_225_600  # 2026-01-01T00:00:00 UTC; the first block follows "now"


class GenesisError(ChainError):
    rule = "genesis"


def devnet_key(name: str) -> PrivateKey:
    """The devnet's deterministic private key of account ``name`` (owner, active and memo)."""
    return PrivateKey.from_seed(DEVNET_KEY_SEED + name)


@dataclass(frozen=True)
class Genesis:
    """A parsed genesis file."""

    text: bytes
    data: dict[str, object]

    @property
    def chain_id(self) -> bytes:
        return hashlib.sha256(self.text).digest()

    @property
    def core_symbol(self) -> str:
        return str(self.data["core_symbol"])

    @property
    def core_precision(self) -> int:
        return int(str(self.data["core_precision"]))

    @property
    def address_prefix(self) -> str:
        return str(self.data["address_prefix"])

    @property
    def initial_timestamp(self) -> int:
        return int(str(self.data["initial_timestamp"]))

    @property
    def parameters(self) -> ChainParameters:
        set_address_prefix(self.address_prefix)
        return from_json(ChainParameters, self.data["initial_parameters"])

    @classmethod
    def parse(cls, text: bytes) -> Genesis:
        try:
            data = json.loads(text)
        except (ValueError, UnicodeDecodeError) as exc:
            raise GenesisError(f"genesis file is not valid JSON: {exc}") from None
        if not isinstance(data, dict):
            raise GenesisError("genesis file must hold a JSON object")
        for field in ("core_symbol", "core_precision", "address_prefix", "initial_timestamp",
                      "initial_parameters", "initial_accounts", "initial_witnesses"):
            if field not in data:
                raise GenesisError(f"genesis file lacks the field '{field}'")
        return cls(text, data)

    def public_key(self, text: str) -> PublicKey:
        return PublicKey.from_text(text, self.address_prefix)


def devnet_genesis(
    *,
    initial_timestamp: int = DEVNET_GENESIS_TIME_S,
    block_interval_s: int = 1,
    witness_count: int = DEVNET_WITNESS_COUNT,
    accounts: tuple[str, ...] = DEVNET_ACCOUNTS,
    balance_gpx: int = DEVNET_ACCOUNT_BALANCE_GPX,
) -> bytes:
    """The default devnet's genesis file (deterministic bytes, so a deterministic chain id)."""
    prefix, precision = "GPX", 5
    set_address_prefix(prefix)
    params = default_chain_parameters()
    params_json = to_json(params)
    params_json["block_interval"] = block_interval_s
    witnesses = [f"init{i}" for i in range(witness_count)]

    def key(name: str) -> str:
        return devnet_key(name).public_key.to_text(prefix)

    data = {
        "chain_name": "graphex devnet",
        "core_symbol": "GPX",
        "core_precision": precision,
        "core_max_supply": str(MAX_SHARE_SUPPLY),
        "address_prefix": prefix,
        "initial_timestamp": initial_timestamp,
        "initial_parameters": params_json,
        "initial_accounts": [
            {"name": n, "owner_key": key(n), "active_key": key(n), "memo_key": key(n),
             "is_lifetime_member": True}
            for n in [*witnesses, *accounts]
        ],
        "initial_balances": [
            {"owner": n, "asset": "GPX", "amount": str(balance_gpx * 10**precision)}
            for n in accounts
        ],
        "initial_witnesses": [{"owner": n, "signing_key": key(n)} for n in witnesses],
        "initial_committee": [{"owner": n} for n in witnesses],
    }
    return json.dumps(data, indent=1, sort_keys=True).encode()


_ = ids
