"""Genesis: the JSON file that defines a chain, and the objects it creates.

``chain_id = sha256(genesis file bytes)``. The file names the core asset (symbol, precision), the
key prefix, the initial timestamp, chain parameters, accounts (with keys and membership), assets,
balances, witnesses and committee members. :func:`devnet_genesis` builds the default devnet's file,
whose keys are deterministic: account NAME's key is the secret ``sha256("graphex-devnet:" + NAME)``.

Initial assets (``initial_assets``) have BitShares' fields (core's
``genesis_state_type::initial_asset_type``): ``symbol``, ``issuer_name``, ``description``,
``precision``, ``max_supply``, ``accumulated_fees``, ``is_bitasset``, ``collateral_records``. Only
user-issued assets are supported: ``is_bitasset: true`` or collateral records are refused. They get
ids ``1.3.1, 1.3.2, ...`` in file order, the issuer permissions BitShares' genesis gives them
(``DEFAULT_UIA_ASSET_ISSUER_PERMISSION``: charge_market_fee, white_list, override_authority,
transfer_restricted, disable_confidential) and no flags (BitShares sets ``witness_fed_asset``, a
market-issued-asset flag that means nothing here). BitShares' genesis has no way to give them a
usable core exchange rate or fee pool; graphex's extension is an optional object
``"graphex": {"core_exchange_rate": {"core_amount": C, "asset_amount": A}, "fee_pool": P}``: the
rate is ``C`` core units per ``A`` units of the asset (default 1/1) and ``P`` core units
(default 0) are created into its fee pool.

Initial balances (``initial_balances``) are graphex's own shape — BitShares' are claimable
balance objects owned by addresses; graphex credits accounts directly: ``{"owner": account name,
"asset": symbol, "amount": units}``. ``asset`` names the core asset or one of ``initial_assets``
(a graphex extension: BitShares' genesis only hands out core). Each asset's ``current_supply`` is
its balances plus its ``accumulated_fees``; the core's also counts every initial fee pool. A supply
above the asset's ``max_supply`` is refused.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from ..protocol.chain_parameters import ChainParameters, default_chain_parameters
from ..protocol.keys import PrivateKey, PublicKey
from ..protocol.struct import from_json, to_json
from ..protocol.types import MAX_SHARE_SUPPLY, set_address_prefix
from .errors import ChainError

DEVNET_KEY_SEED = "graphex-devnet:"
DEVNET_WITNESS_COUNT = 11
DEVNET_ACCOUNTS = ("alice", "bob", "carol", "dave")
DEVNET_ACCOUNT_BALANCE_GPX = 1_000_000
DEVNET_GATEWAY = "gateway"
"""The devnet account that issues BTC and the smartcoins (it holds GPX for fees, no BTC)."""
DEVNET_GATEWAY_BALANCE_GPX = 2_000_000  # two 3-letter asset creations cost 500 000 GPX each
DEVNET_WITNESS_BALANCE_GPX = 10_000  # the witnesses pay for the devnet's price feeds
DEVNET_BTC_HOLDERS = ("alice", "bob")
DEVNET_BTC_PRECISION = 8
DEVNET_BTC_BALANCE = 10 * 10**DEVNET_BTC_PRECISION  # 10 BTC each
DEVNET_BTC_CORE_UNITS_PER_SATOSHI = 100  # 1 BTC = 100 000 GPX
DEVNET_BTC_FEE_POOL_GPX = 100_000
MAX_ASSET_PRECISION = 12
DEVNET_GENESIS_TIME_S = 1_767_225_600  # 2026-01-01T00:00:00 UTC; the first block follows "now"


class GenesisError(ChainError):
    rule = "genesis"


def devnet_key(name: str) -> PrivateKey:
    """The devnet's deterministic private key of account ``name`` (owner, active and memo)."""
    return PrivateKey.from_seed(DEVNET_KEY_SEED + name)


@dataclass(frozen=True)
class InitialAsset:
    """One entry of ``initial_assets``, checked (everything that needs no chain state)."""

    symbol: str
    issuer_name: str
    description: str
    precision: int
    max_supply: int
    accumulated_fees: int
    core_exchange_rate: tuple[int, int]
    """(core units, asset units)"""
    fee_pool: int


INITIAL_ASSET_FIELDS = frozenset({"symbol", "issuer_name", "description", "precision", "max_supply",
                                  "accumulated_fees", "is_bitasset", "collateral_records",
                                  "graphex"})
GRAPHEX_ASSET_FIELDS = frozenset({"core_exchange_rate", "fee_pool"})


def _integer(entry: dict[str, object], field: str, what: str, default: object = None) -> int:
    value = entry.get(field, default)
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise GenesisError(f"{what}: '{field}' must be an integer, got {value!r}")
    try:
        return int(value)
    except ValueError:
        raise GenesisError(f"{what}: '{field}' must be an integer, got {value!r}") from None


def parse_initial_asset(entry: object, core_symbol: str) -> InitialAsset:
    """Check one ``initial_assets`` entry; a :class:`GenesisError` names the asset and field."""
    from .evaluators.checks import is_valid_symbol  # evaluators import the state, which imports us

    if not isinstance(entry, dict):
        raise GenesisError(f"genesis initial asset must be an object, got {entry!r}")
    symbol = entry.get("symbol")
    what = f"genesis initial asset {symbol!r}"
    if not isinstance(symbol, str) or not is_valid_symbol(symbol):
        raise GenesisError(f"{what}: not a valid asset symbol")
    if symbol == core_symbol:
        raise GenesisError(f"{what}: is the core asset's symbol")
    unknown = sorted(set(entry) - INITIAL_ASSET_FIELDS)
    if unknown:
        raise GenesisError(f"{what}: unknown fields {unknown}")
    if entry.get("is_bitasset", False) is not False or entry.get("collateral_records"):
        raise GenesisError(f"{what}: market-issued assets (is_bitasset, collateral_records) are "
                           "not supported in genesis yet; only user-issued assets")
    if not isinstance(entry.get("issuer_name"), str):
        raise GenesisError(f"{what}: lacks 'issuer_name'")
    precision = _integer(entry, "precision", what)
    if not 0 <= precision <= MAX_ASSET_PRECISION:
        raise GenesisError(f"{what}: precision {precision} is not in 0..{MAX_ASSET_PRECISION}")
    max_supply = _integer(entry, "max_supply", what)
    if not 0 < max_supply <= MAX_SHARE_SUPPLY:
        raise GenesisError(f"{what}: max_supply {max_supply} is not in 1..{MAX_SHARE_SUPPLY}")
    fees = _integer(entry, "accumulated_fees", what, 0)
    if not 0 <= fees <= max_supply:
        raise GenesisError(f"{what}: accumulated_fees {fees} is not in 0..max_supply")
    extension = entry.get("graphex", {})
    if not isinstance(extension, dict) or set(extension) - GRAPHEX_ASSET_FIELDS:
        raise GenesisError(f"{what}: 'graphex' must be an object with only the fields "
                           f"{sorted(GRAPHEX_ASSET_FIELDS)}")
    rate = extension.get("core_exchange_rate", {"core_amount": 1, "asset_amount": 1})
    if not isinstance(rate, dict):
        raise GenesisError(f"{what}: core_exchange_rate must be an object")
    cer = (_integer(rate, "core_amount", what), _integer(rate, "asset_amount", what))
    if not all(0 < amount <= MAX_SHARE_SUPPLY for amount in cer):
        raise GenesisError(f"{what}: core_exchange_rate amounts must be in 1..{MAX_SHARE_SUPPLY}, "
                           f"got {cer[0]}/{cer[1]}")
    fee_pool = _integer(extension, "fee_pool", what, 0)
    if not 0 <= fee_pool <= MAX_SHARE_SUPPLY:
        raise GenesisError(f"{what}: fee_pool {fee_pool} is not in 0..{MAX_SHARE_SUPPLY}")
    return InitialAsset(symbol, entry["issuer_name"], str(entry.get("description", "")), precision,
                        max_supply, fees, cer, fee_pool)


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

    @property
    def initial_assets(self) -> list[InitialAsset]:
        entries = self.data.get("initial_assets", [])
        if not isinstance(entries, list):
            raise GenesisError("genesis 'initial_assets' must be a list")
        assets = [parse_initial_asset(entry, self.core_symbol) for entry in entries]
        symbols = [a.symbol for a in assets]
        for symbol in symbols:
            if symbols.count(symbol) > 1:
                raise GenesisError(f"genesis names initial asset {symbol!r} twice")
        return assets

    def public_key(self, text: str) -> PublicKey:
        return PublicKey.from_text(text, self.address_prefix)


def devnet_genesis(
    *,
    initial_timestamp: int = DEVNET_GENESIS_TIME_S,
    block_interval_s: int = 1,
    witness_count: int = DEVNET_WITNESS_COUNT,
    accounts: tuple[str, ...] = DEVNET_ACCOUNTS,
    balance_gpx: int = DEVNET_ACCOUNT_BALANCE_GPX,
    btc_holders: tuple[str, ...] = DEVNET_BTC_HOLDERS,
) -> bytes:
    """The default devnet's genesis file (deterministic bytes, so a deterministic chain id).

    Besides the witnesses ``init0..`` and the funded ``accounts``, it has the account ``gateway``
    (funded like the others) issuing the user-issued asset BTC (precision 8), of which each of
    ``btc_holders`` holds 10; BTC's core exchange rate is 1 BTC = 100 000 GPX and its fee pool holds
    100 000 GPX, so fees can be paid in BTC.
    """
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
            for n in [*witnesses, *accounts, DEVNET_GATEWAY]
        ],
        "initial_assets": [
            {"symbol": "BTC", "issuer_name": DEVNET_GATEWAY,
             "description": "devnet bitcoin, issued by the gateway account",
             "precision": DEVNET_BTC_PRECISION, "max_supply": str(MAX_SHARE_SUPPLY),
             "accumulated_fees": 0, "is_bitasset": False, "collateral_records": [],
             "graphex": {
                 "core_exchange_rate": {"core_amount": DEVNET_BTC_CORE_UNITS_PER_SATOSHI,
                                        "asset_amount": 1},
                 "fee_pool": str(DEVNET_BTC_FEE_POOL_GPX * 10**precision)}},
        ],
        "initial_balances": [
            *({"owner": n, "asset": "GPX", "amount": str(balance_gpx * 10**precision)}
              for n in accounts),
            {"owner": DEVNET_GATEWAY, "asset": "GPX",
             "amount": str(DEVNET_GATEWAY_BALANCE_GPX * 10**precision)},
            *({"owner": n, "asset": "GPX",
               "amount": str(DEVNET_WITNESS_BALANCE_GPX * 10**precision)} for n in witnesses),
            *({"owner": n, "asset": "BTC", "amount": str(DEVNET_BTC_BALANCE)}
              for n in btc_holders),
        ],
        "initial_witnesses": [{"owner": n, "signing_key": key(n)} for n in witnesses],
        "initial_committee": [{"owner": n} for n in witnesses],
    }
    return json.dumps(data, indent=1, sort_keys=True).encode()

