"""Smartcoin state objects with BitShares' field names and order (core: chain/asset_object.hpp,
chain/market_object.hpp): the bitasset data (2.4.x), debt positions (1.8.x), force settlements
(1.4.x) and collateral bids (2.17.x), their indexes, and what they hold for the supply invariant.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, ClassVar

from ...protocol import ids
from ...protocol.bitasset import BitassetOptions, PriceFeed
from ...protocol.ids import ObjectId
from ...protocol.struct import MAP, WireStruct
from ...protocol.types import AccountId, Asset, AssetId, Int64, Price, TimeSec, UInt16
from ..database import Database, GroupIndex, Object, OrderedIndex, UniqueIndex
from ..market.objects import ID_BITS
from ..market.price import RANK_SHIFT, SIDE_SHIFT

MAX_TIME_S = 0xFFFFFFFF
NULL_ASSET = Asset(0, ids.CORE_ASSET)
NULL_PRICE = Price(NULL_ASSET, NULL_ASSET)
"""core's default-constructed ``price``: 0/0 of 1.3.0 — a feed that was never set ("null")."""


class PriceFeedWithIcr(WireStruct, frozen=True):
    """``price_feed_with_icr``: a feed plus the initial collateral ratio (BSIP77)."""

    settlement_price: Price = NULL_PRICE
    maintenance_collateral_ratio: UInt16 = 1750
    maximum_short_squeeze_ratio: UInt16 = 1500
    core_exchange_rate: Price = NULL_PRICE
    initial_collateral_ratio: UInt16 = 1750

    @classmethod
    def of(cls, feed: PriceFeed, icr: int | None) -> PriceFeedWithIcr:
        return cls(feed.settlement_price, feed.maintenance_collateral_ratio,
                   feed.maximum_short_squeeze_ratio, feed.core_exchange_rate,
                   feed.maintenance_collateral_ratio if icr is None else icr)

    def is_null(self) -> bool:
        return self.settlement_price.base.amount == 0 or self.settlement_price.quote.amount == 0


FeedEntry = tuple[TimeSec, PriceFeedWithIcr]


class AssetBitassetData(Object, kw_only=True):
    """2.4.x: a smartcoin's feeds, current feed and settlement state."""

    kind: ClassVar[tuple[int, int]] = ids.ASSET_BITASSET_DATA
    asset_id: AssetId
    feeds: Annotated[tuple[tuple[AccountId, FeedEntry], ...], MAP] = ()
    median_feed: PriceFeedWithIcr = PriceFeedWithIcr()
    current_feed: PriceFeedWithIcr = PriceFeedWithIcr()
    current_feed_publication_time: TimeSec = 0
    current_maintenance_collateralization: Price = NULL_PRICE
    current_initial_collateralization: Price = NULL_PRICE
    options: BitassetOptions = BitassetOptions()
    force_settled_volume: Int64 = 0
    is_prediction_market: bool = False
    settlement_price: Price = NULL_PRICE
    settlement_fund: Int64 = 0
    individual_settlement_debt: Int64 = 0
    individual_settlement_fund: Int64 = 0
    asset_cer_updated: bool = False
    feed_cer_updated: bool = False

    def has_settlement(self) -> bool:
        """Globally settled (a settlement price is set)."""
        return self.settlement_price.base.amount != 0

    def feed_expiration_time(self) -> int:
        """When the current feed expires (core's ``feed_expiration_time``, saturating)."""
        published, lifetime = self.current_feed_publication_time, self.options.feed_lifetime_sec
        return MAX_TIME_S if MAX_TIME_S - published <= lifetime else published + lifetime

    def need_to_update_cer(self) -> bool:
        """A core exchange rate changed (the feed's or the issuer's) and the feed has one."""
        rate = self.current_feed.core_exchange_rate
        has_rate = not (rate.base.asset_id == ids.CORE_ASSET
                        and rate.quote.asset_id == ids.CORE_ASSET)
        return (self.feed_cer_updated or self.asset_cer_updated) and has_rate


class CallOrder(Object, kw_only=True):
    """1.8.x: a debt position: ``debt`` of the smartcoin backed by ``collateral``."""

    kind: ClassVar[tuple[int, int]] = ids.CALL_ORDER
    borrower: AccountId
    collateral: Int64
    debt: Int64
    call_price: Price
    target_collateral_ratio: UInt16 | None = None

    @property
    def debt_type(self) -> ObjectId:
        return self.call_price.quote.asset_id

    @property
    def collateral_type(self) -> ObjectId:
        return self.call_price.base.asset_id


class ForceSettlement(Object, kw_only=True):
    """1.4.x: a pending force settlement of ``balance``, executed at ``settlement_date``."""

    kind: ClassVar[tuple[int, int]] = ids.FORCE_SETTLEMENT
    owner: AccountId
    balance: Asset
    settlement_date: TimeSec


class CollateralBid(Object, kw_only=True):
    """2.17.x: a bid to take over debt of a globally settled smartcoin (``inv_swan_price`` is
    collateral offered / debt covered)."""

    kind: ClassVar[tuple[int, int]] = ids.COLLATERAL_BID
    bidder: AccountId
    inv_swan_price: Price


def collateral_key(call: CallOrder) -> int:
    """The ``by_collateral`` key: (collateral asset, debt asset), then collateral/debt ascending
    as an exact rank (as the order book's, :func:`..market.price.price_rank`), then the id — one
    int, in core's ``by_collateral`` order. A position always has debt > 0."""
    side = (call.collateral_type.instance << 48 | call.debt_type.instance) << SIDE_SHIFT
    rank = (call.collateral << RANK_SHIFT) // call.debt
    return (side | rank) << ID_BITS | call.id.instance


def register_smartcoin_tables(db: Database) -> None:
    db.register(
        AssetBitassetData,
        UniqueIndex("asset", lambda b: b.asset_id),
        OrderedIndex("by_feed_expiration", lambda b: b.feed_expiration_time()),
        GroupIndex("by_cer_update", lambda b: b.need_to_update_cer()),
        GroupIndex("by_backing", lambda b: b.options.short_backing_asset),
    )
    db.register(
        CallOrder,
        UniqueIndex("by_account", lambda c: (c.borrower, c.call_price.quote.asset_id)),
        GroupIndex("by_debt", lambda c: c.call_price.quote.asset_id),
        GroupIndex("by_borrower", lambda c: c.borrower),
        OrderedIndex("by_collateral", collateral_key),
    )
    db.register(
        ForceSettlement,
        # core's by_expiration: per asset, then due date, then id
        OrderedIndex("by_expiration",
                     lambda s: (s.balance.asset_id, s.settlement_date, s.id.instance)),
        GroupIndex("by_account", lambda s: s.owner),
    )
    db.register(CollateralBid, GroupIndex("by_asset", lambda b: b.inv_swan_price.quote.asset_id))


def smartcoin_holdings(db: Database) -> Iterable[tuple[ObjectId, int]]:
    """What smartcoin objects hold: position collateral, settlement and individual-settlement
    funds (in the backing asset), pending force settlements, collateral bids."""
    for call in db.table(CallOrder):
        yield call.collateral_type, call.collateral
    for data in db.table(AssetBitassetData):
        backing = data.options.short_backing_asset
        if data.settlement_fund:
            yield backing, data.settlement_fund
        if data.individual_settlement_fund:
            yield backing, data.individual_settlement_fund
    for settle in db.table(ForceSettlement):
        yield settle.balance.asset_id, settle.balance.amount
    for bid in db.table(CollateralBid):
        yield bid.inv_swan_price.base.asset_id, bid.inv_swan_price.base.amount
