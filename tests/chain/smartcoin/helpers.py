"""Helpers shared by the smartcoin tests: create a market-pegged asset (MPA) backed by GPX, set its
feed producers, publish feeds (as a witness by default), and read its bitasset data.

Signatures here are relied on by other test modules; keep them stable.

- :func:`create_mpa` makes a witness-fed MPA by default (``flags=WITNESS_FED``), so any active
  witness ``init0..init10`` may publish; pass ``flags=0`` for a producer-fed asset and then
  :func:`set_feed_producers`.
- :func:`publish_feed` first funds the publisher from the ``gateway`` account (in a block of its
  own) when it cannot pay the publish fee: the devnet's witness accounts start with no GPX.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgspec

from graphex.chain.smartcoin.objects import AssetBitassetData
from graphex.protocol.bitasset import BitassetOptions, BitassetOptionsExtensions, PriceFeed
from graphex.protocol.fees import fee_for
from graphex.protocol.ids import ObjectId
from graphex.protocol.operations import AssetCreate, Transfer
from graphex.protocol.operations.smartcoin import (
    AssetPublishFeed,
    AssetPublishFeedExtensions,
    AssetUpdateBitasset,
    AssetUpdateFeedProducers,
)
from graphex.protocol.types import Asset, AssetOptions, Price
from graphex.testing.chain import GPX, DevChain
from tests.chain.evaluators.helpers import push

WITNESS_FED, COMMITTEE_FED = 0x80, 0x100
MPA_PERMISSIONS = 0x1FF
"""Every "enable" permission bit of a market-pegged asset (charge_market_fee … committee_fed)."""
NEW = ObjectId(1, 3, 1)
"""The id an asset_create's core exchange rate uses for the asset being created."""
FUNDING_ACCOUNT = "gateway"

ASSET_OPTION_KEYS = ("flags", "issuer_permissions", "max_supply", "market_fee_percent",
                     "max_market_fee", "core_exchange_rate")
EXTENSION_KEYS = tuple(BitassetOptionsExtensions.__struct_fields__)


def bitasset_options(**overrides: Any) -> BitassetOptions:
    """Default :class:`BitassetOptions` backed by GPX; ``overrides`` name option fields or
    extension fields (``maintenance_collateral_ratio``, ``black_swan_response_method`` …)."""
    ext = {k: overrides.pop(k) for k in list(overrides) if k in EXTENSION_KEYS}
    options = msgspec.structs.replace(BitassetOptions(short_backing_asset=GPX), **overrides)
    if ext:
        options = msgspec.structs.replace(
            options, extensions=msgspec.structs.replace(options.extensions, **ext))
    return options


def mpa_common_options(*, flags: int = WITNESS_FED, issuer_permissions: int = MPA_PERMISSIONS,
                       max_supply: int = 10**15, market_fee_percent: int = 0,
                       max_market_fee: int = 0, core_exchange_rate: Price | None = None
                       ) -> AssetOptions:
    rate = core_exchange_rate or Price(Asset(1, NEW), Asset(1, GPX))
    return AssetOptions(max_supply, market_fee_percent, max_market_fee, issuer_permissions, flags,
                        rate, (), (), (), (), "")


def create_mpa_op(chain: DevChain, symbol: str = "USD", issuer: str = "alice", precision: int = 4,
                  *, is_prediction_market: bool = False, **overrides: Any) -> AssetCreate:
    """The asset_create of an MPA; ``overrides`` are bitasset option (or extension) fields, or
    one of :data:`ASSET_OPTION_KEYS` for the common options."""
    common = {k: overrides.pop(k) for k in list(overrides) if k in ASSET_OPTION_KEYS}
    return AssetCreate(Asset(0, GPX), chain.account_id(issuer), symbol, precision,
                       mpa_common_options(**common), bitasset_options(**overrides),
                       is_prediction_market)


def create_mpa(chain: DevChain, symbol: str = "USD", issuer: str = "alice", precision: int = 4,
               **bitasset_option_overrides: Any) -> ObjectId:
    """Create an MPA backed by GPX (witness-fed unless ``flags`` says otherwise); its id."""
    push(chain, create_mpa_op(chain, symbol, issuer, precision, **bitasset_option_overrides),
         [issuer])
    found = chain.state.asset_by_symbol(symbol)
    assert found is not None and found.bitasset_data_id is not None
    return found.id


def bitasset(chain: DevChain, asset_id: ObjectId) -> AssetBitassetData:
    """The asset's bitasset data (2.4.x)."""
    data_id = chain.state.asset(asset_id).bitasset_data_id
    assert data_id is not None, f"{asset_id} is not market-pegged"
    return chain.state.db.get(data_id, AssetBitassetData)


def price(debt: int, asset_id: ObjectId, collateral: int, backing: ObjectId = GPX) -> Price:
    """A feed price ``debt`` units of ``asset_id`` per ``collateral`` units of ``backing``."""
    return Price(Asset(debt, asset_id), Asset(collateral, backing))


def fund(chain: DevChain, name: str, whole_gpx: int = 1000) -> None:
    """Give ``name`` some GPX from the gateway account (in a block of its own)."""
    push(chain, Transfer(Asset(0, GPX), chain.account_id(FUNDING_ACCOUNT), chain.account_id(name),
                         chain.gpx(whole_gpx)), [FUNDING_ACCOUNT])


def ensure_funded(chain: DevChain, name: str, op: Any) -> None:
    """Fund ``name`` when it cannot pay ``op``'s fee."""
    if chain.balance(name) < fee_for(chain.state.params.current_fees, op):
        fund(chain, name)


def set_feed_producers_op(chain: DevChain, asset_id: ObjectId, producers: Sequence[str],
                          issuer: str = "alice") -> AssetUpdateFeedProducers:
    ids_ = tuple(sorted({chain.account_id(p) for p in producers}))
    return AssetUpdateFeedProducers(Asset(0, GPX), chain.account_id(issuer), asset_id, ids_)


def set_feed_producers(chain: DevChain, asset_id: ObjectId, producers: Sequence[str],
                       issuer: str = "alice") -> None:
    push(chain, set_feed_producers_op(chain, asset_id, producers, issuer), [issuer])


def publish_feed_op(chain: DevChain, asset_id: ObjectId, settlement_price: Price, *,
                    publisher: str = "init0", mcr: int = 1750, mssr: int = 1100,
                    icr: int | None = None, cer: Price | None = None) -> AssetPublishFeed:
    """The asset_publish_feed; the core exchange rate defaults to the settlement price when the
    asset is backed by GPX, else to 1 unit of the asset per 1 GPX unit."""
    if cer is None:
        if settlement_price.quote.asset_id == GPX:
            cer = settlement_price
        else:
            cer = Price(Asset(1, asset_id), Asset(1, GPX))
    feed = PriceFeed(settlement_price, mcr, mssr, cer)
    return AssetPublishFeed(Asset(0, GPX), chain.account_id(publisher), asset_id, feed,
                            AssetPublishFeedExtensions(icr))


def publish_feed(chain: DevChain, asset_id: ObjectId, settlement_price: Price, *,
                 publisher: str = "init0", mcr: int = 1750, mssr: int = 1100,
                 icr: int | None = None, cer: Price | None = None) -> Any:
    """Publish a feed (funding the publisher first if needed); the processed transaction."""
    op = publish_feed_op(chain, asset_id, settlement_price, publisher=publisher, mcr=mcr,
                         mssr=mssr, icr=icr, cer=cer)
    ensure_funded(chain, publisher, op)
    return push(chain, op, [publisher])


def update_bitasset_op(chain: DevChain, asset_id: ObjectId, issuer: str = "alice",
                       **overrides: Any) -> AssetUpdateBitasset:
    """asset_update_bitasset with the asset's current options changed by ``overrides`` (option or
    extension fields, as :func:`bitasset_options`)."""
    current = bitasset(chain, asset_id).options
    ext = {k: overrides.pop(k) for k in list(overrides) if k in EXTENSION_KEYS}
    options = msgspec.structs.replace(current, **overrides)
    if ext:
        options = msgspec.structs.replace(
            options, extensions=msgspec.structs.replace(options.extensions, **ext))
    return AssetUpdateBitasset(Asset(0, GPX), chain.account_id(issuer), asset_id, options)


def update_bitasset(chain: DevChain, asset_id: ObjectId, issuer: str = "alice",
                    **overrides: Any) -> None:
    push(chain, update_bitasset_op(chain, asset_id, issuer, **overrides), [issuer])
