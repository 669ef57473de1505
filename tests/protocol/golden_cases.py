"""Operations built twice — in graphex and in python-bitshares (bitsharesbase) — for golden tests.

Each case is ``(name, graphex_op, pybts_factory)``; the factory builds the same operation with
bitsharesbase (prefix ``GPX``) when called, so bitsharesbase's global prefix can be patched first.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bitsharesbase import operations as bo

from graphex.protocol.bitasset import BitassetOptions, PriceFeed
from graphex.protocol.codec import parse_time
from graphex.protocol.ids import ObjectId
from graphex.protocol.keys import PrivateKey
from graphex.protocol.memo import encrypt_memo
from graphex.protocol.operations import (
    AccountCreate,
    AccountUpdate,
    AccountUpgrade,
    AssetClaimPool,
    AssetCreate,
    AssetFundFeePool,
    AssetGlobalSettle,
    AssetIssue,
    AssetPublishFeed,
    AssetReserve,
    AssetSettle,
    AssetUpdateBitasset,
    AssetUpdateFeedProducers,
    AssetUpdateIssuer,
    BidCollateral,
    CallOrderUpdate,
    CallOrderUpdateOptions,
    CommitteeMemberCreate,
    LimitOrderCancel,
    LimitOrderCreate,
    OpWrapper,
    ProposalCreate,
    ProposalUpdate,
    Transfer,
    WitnessUpdate,
)
from graphex.protocol.types import AccountOptions, Asset, AssetOptions, Authority, Price

PREFIX = "GPX"
KEYS = [PrivateKey.from_seed(f"golden-key-{i}") for i in range(4)]
PUBS = [k.public_key for k in KEYS]
TEXT = [p.to_text(PREFIX) for p in PUBS]


def acc(n: int) -> ObjectId:
    return ObjectId(1, 2, n)


def aid(n: int) -> ObjectId:
    return ObjectId(1, 3, n)


def g_asset(amount: int, asset: int = 0) -> Asset:
    return Asset(amount, aid(asset))


def p_asset(amount: int, asset: int = 0) -> dict[str, Any]:
    return {"amount": amount, "asset_id": f"1.3.{asset}"}


MEMO = encrypt_memo(KEYS[0], PUBS[1], 9_876_543_210_123, "invoice #42 — thanks")
P_MEMO = {"from": TEXT[0], "to": TEXT[1], "nonce": MEMO.nonce, "message": MEMO.message.hex()}

G_AUTH = Authority(2, ((acc(17), 1),), ((PUBS[0], 1), (PUBS[1], 1), (PUBS[2], 1)), ())
P_AUTH = {
    "weight_threshold": 2,
    "account_auths": [["1.2.17", 1]],
    "key_auths": [[TEXT[0], 1], [TEXT[1], 1], [TEXT[2], 1]],
    "address_auths": [],
}
G_OPTIONS = AccountOptions(PUBS[3], ObjectId(1, 2, 5), 1, 1, (1 | 7 << 8, 0 | 12 << 8))
P_OPTIONS = {
    "memo_key": TEXT[3],
    "voting_account": "1.2.5",
    "num_witness": 1,
    "num_committee": 1,
    "votes": ["1:7", "0:12"],
}
G_CER = Price(g_asset(100000), g_asset(2000, 1))
P_CER = {"base": p_asset(100000), "quote": p_asset(2000, 1)}
G_ASSET_OPTS = AssetOptions(
    1_000_000_000_000_000,
    25,
    10_000_000,
    0x8F,
    0x01,
    G_CER,
    (acc(20), acc(33)),
    (),
    (aid(0),),
    (),
    "a test asset",
)
P_ASSET_OPTS = {
    "max_supply": 1_000_000_000_000_000,
    "market_fee_percent": 25,
    "max_market_fee": 10_000_000,
    "issuer_permissions": 0x8F,
    "flags": 0x01,
    "core_exchange_rate": P_CER,
    "whitelist_authorities": ["1.2.20", "1.2.33"],
    "blacklist_authorities": [],
    "whitelist_markets": ["1.3.0"],
    "blacklist_markets": [],
    "description": "a test asset",
    "extensions": [],
}
G_BITASSET = BitassetOptions(86400, 3, 3600, 100, 2000, aid(0))
P_BITASSET = {
    "feed_lifetime_sec": 86400,
    "minimum_feeds": 3,
    "force_settlement_delay_sec": 3600,
    "force_settlement_offset_percent": 100,
    "maximum_force_settlement_volume": 2000,
    "short_backing_asset": "1.3.0",
}
G_FEED = PriceFeed(
    Price(g_asset(1392, 3), g_asset(100000)), 1750, 1100, Price(g_asset(1392, 3), g_asset(95000))
)
P_FEED = {
    "settlement_price": {"base": p_asset(1392, 3), "quote": p_asset(100000)},
    "maintenance_collateral_ratio": 1750,
    "maximum_short_squeeze_ratio": 1100,
    "core_exchange_rate": {"base": p_asset(1392, 3), "quote": p_asset(95000)},
}
G_TRANSFER = Transfer(g_asset(2000), acc(100), acc(101), g_asset(123456789, 0))
P_TRANSFER = {
    "fee": p_asset(2000),
    "from": "1.2.100",
    "to": "1.2.101",
    "amount": p_asset(123456789),
}
EXPIRES = "2025-03-01T12:00:00"

Case = tuple[str, Any, Callable[[], Any]]

CASES: list[Case] = [
    ("transfer", G_TRANSFER, lambda: bo.Transfer(prefix=PREFIX, **P_TRANSFER)),
    (
        "transfer_memo",
        Transfer(g_asset(2000), acc(100), acc(101), g_asset(5, 1), MEMO),
        lambda: bo.Transfer(
            prefix=PREFIX, **{**P_TRANSFER, "amount": p_asset(5, 1), "memo": dict(P_MEMO)}
        ),
    ),
    (
        "account_create",
        AccountCreate(
            g_asset(500000),
            acc(22),
            acc(23),
            5000,
            "new-account.x",
            G_AUTH,
            Authority.single_key(PUBS[3]),
            G_OPTIONS,
        ),
        lambda: bo.Account_create(
            prefix=PREFIX,
            fee=p_asset(500000),
            registrar="1.2.22",
            referrer="1.2.23",
            referrer_percent=5000,
            name="new-account.x",
            owner=dict(P_AUTH),
            active={
                "weight_threshold": 1,
                "account_auths": [],
                "key_auths": [[TEXT[3], 1]],
                "address_auths": [],
            },
            options=dict(P_OPTIONS),
            extensions={},
        ),
    ),
    (
        "account_update",
        AccountUpdate(g_asset(100), acc(22), None, G_AUTH, G_OPTIONS),
        lambda: bo.Account_update(
            prefix=PREFIX,
            fee=p_asset(100),
            account="1.2.22",
            active=dict(P_AUTH),
            new_options=dict(P_OPTIONS),
        ),
    ),
    (
        "account_upgrade",
        AccountUpgrade(g_asset(1), acc(22), True),
        lambda: bo.Account_upgrade(
            fee=p_asset(1), account_to_upgrade="1.2.22", upgrade_to_lifetime_member=True
        ),
    ),
    (
        "asset_create",
        AssetCreate(g_asset(50), acc(22), "GOLD", 4, G_ASSET_OPTS),
        lambda: bo.Asset_create(
            fee=p_asset(50),
            issuer="1.2.22",
            symbol="GOLD",
            precision=4,
            common_options=dict(P_ASSET_OPTS),
            is_prediction_market=False,
        ),
    ),
    (
        "asset_create_mpa",
        AssetCreate(g_asset(50), acc(22), "USDX", 4, G_ASSET_OPTS, G_BITASSET),
        lambda: bo.Asset_create(
            fee=p_asset(50),
            issuer="1.2.22",
            symbol="USDX",
            precision=4,
            common_options=dict(P_ASSET_OPTS),
            bitasset_opts=dict(P_BITASSET),
            is_prediction_market=False,
        ),
    ),
    (
        "asset_issue",
        AssetIssue(g_asset(7), acc(22), g_asset(1000, 3), acc(40), MEMO),
        lambda: bo.Asset_issue(
            prefix=PREFIX,
            fee=p_asset(7),
            issuer="1.2.22",
            asset_to_issue=p_asset(1000, 3),
            issue_to_account="1.2.40",
            memo=dict(P_MEMO),
        ),
    ),
    (
        "asset_reserve",
        AssetReserve(g_asset(7), acc(40), g_asset(10, 3)),
        lambda: bo.Asset_reserve(fee=p_asset(7), payer="1.2.40", amount_to_reserve=p_asset(10, 3)),
    ),
    (
        "asset_fund_fee_pool",
        AssetFundFeePool(g_asset(7), acc(40), aid(3), 5_000_000_000),
        lambda: bo.Asset_fund_fee_pool(
            fee=p_asset(7), from_account="1.2.40", asset_id="1.3.3", amount=5_000_000_000
        ),
    ),
    (
        "asset_update_issuer",
        AssetUpdateIssuer(g_asset(7), acc(22), aid(3), acc(41)),
        lambda: bo.Asset_update_issuer(
            fee=p_asset(7), issuer="1.2.22", asset_to_update="1.3.3", new_issuer="1.2.41"
        ),
    ),
    (
        "asset_claim_pool",
        AssetClaimPool(g_asset(7), acc(22), aid(3), g_asset(99)),
        lambda: bo.Asset_claim_pool(
            fee=p_asset(7), issuer="1.2.22", asset_id="1.3.3", amount_to_claim=p_asset(99)
        ),
    ),
    (
        "limit_order_create",
        LimitOrderCreate(
            g_asset(500),
            acc(100),
            g_asset(100000000),
            g_asset(300000, 121),
            parse_time(EXPIRES),
            True,
        ),
        lambda: bo.Limit_order_create(
            fee=p_asset(500),
            seller="1.2.100",
            amount_to_sell=p_asset(100000000),
            min_to_receive=p_asset(300000, 121),
            expiration=EXPIRES,
            fill_or_kill=True,
        ),
    ),
    (
        "limit_order_cancel",
        LimitOrderCancel(g_asset(0), acc(100), ObjectId(1, 7, 123456)),
        lambda: bo.Limit_order_cancel(
            fee=p_asset(0), fee_paying_account="1.2.100", order="1.7.123456"
        ),
    ),
    (
        "call_order_update",
        CallOrderUpdate(
            g_asset(100), acc(100), g_asset(500000), g_asset(-2000, 3), CallOrderUpdateOptions(1750)
        ),
        lambda: bo.Call_order_update(
            fee=p_asset(100),
            funding_account="1.2.100",
            delta_collateral=p_asset(500000),
            delta_debt=p_asset(-2000, 3),
            extensions={"target_collateral_ratio": 1750},
        ),
    ),
    (
        "call_order_update_plain",
        CallOrderUpdate(g_asset(100), acc(100), g_asset(1), g_asset(2, 3)),
        lambda: bo.Call_order_update(
            fee=p_asset(100),
            funding_account="1.2.100",
            delta_collateral=p_asset(1),
            delta_debt=p_asset(2, 3),
            extensions={},
        ),
    ),
    (
        "asset_publish_feed",
        AssetPublishFeed(g_asset(10), acc(30), aid(3), G_FEED),
        lambda: bo.Asset_publish_feed(
            fee=p_asset(10), publisher="1.2.30", asset_id="1.3.3", feed=dict(P_FEED)
        ),
    ),
    (
        "asset_update_bitasset",
        AssetUpdateBitasset(g_asset(10), acc(22), aid(3), G_BITASSET),
        lambda: bo.Asset_update_bitasset(
            fee=p_asset(10), issuer="1.2.22", asset_to_update="1.3.3", new_options=dict(P_BITASSET)
        ),
    ),
    (
        "asset_update_feed_producers",
        AssetUpdateFeedProducers(g_asset(10), acc(22), aid(3), (acc(9), acc(30), acc(200))),
        lambda: bo.Asset_update_feed_producers(
            fee=p_asset(10),
            issuer="1.2.22",
            asset_to_update="1.3.3",
            new_feed_producers=["1.2.200", "1.2.9", "1.2.30"],
        ),
    ),
    (
        "asset_settle",
        AssetSettle(g_asset(10), acc(100), g_asset(77, 3)),
        lambda: bo.Asset_settle(fee=p_asset(10), account="1.2.100", amount=p_asset(77, 3)),
    ),
    (
        "asset_global_settle",
        AssetGlobalSettle(g_asset(10), acc(22), aid(3), Price(g_asset(1, 3), g_asset(70))),
        lambda: bo.Asset_global_settle(
            fee=p_asset(10),
            issuer="1.2.22",
            asset_to_settle="1.3.3",
            settle_price={"base": p_asset(1, 3), "quote": p_asset(70)},
        ),
    ),
    (
        "bid_collateral",
        BidCollateral(g_asset(10), acc(100), g_asset(5000), g_asset(100, 3)),
        lambda: bo.Bid_collateral(
            fee=p_asset(10),
            bidder="1.2.100",
            additional_collateral=p_asset(5000),
            debt_covered=p_asset(100, 3),
        ),
    ),
    (
        "committee_member_create",
        CommitteeMemberCreate(g_asset(10), acc(30), "https://example.org/c"),
        lambda: bo.Committee_member_create(
            fee=p_asset(10), committee_member_account="1.2.30", url="https://example.org/c"
        ),
    ),
    (
        "witness_update",
        WitnessUpdate(g_asset(10), ObjectId(1, 6, 4), acc(30), "https://w.example", PUBS[2]),
        lambda: bo.Witness_update(
            fee=p_asset(10),
            witness="1.6.4",
            witness_account="1.2.30",
            new_url="https://w.example",
            new_signing_key=TEXT[2],
        ),
    ),
    (
        "proposal_create",
        ProposalCreate(g_asset(10), acc(100), parse_time(EXPIRES), (OpWrapper(G_TRANSFER),), 3600),
        lambda: bo.Proposal_create(
            fee=p_asset(10),
            fee_paying_account="1.2.100",
            expiration_time=EXPIRES,
            proposed_ops=[{"op": bo.Transfer(prefix=PREFIX, **P_TRANSFER)}],
            review_period_seconds=3600,
        ),
    ),
    (
        "proposal_update",
        ProposalUpdate(
            g_asset(10), acc(101), ObjectId(1, 10, 55), (acc(101),), (), (), (), (PUBS[1],)
        ),
        lambda: bo.Proposal_update(
            fee=p_asset(10),
            fee_paying_account="1.2.101",
            proposal="1.10.55",
            active_approvals_to_add=["1.2.101"],
            key_approvals_to_add=[TEXT[1]],
        ),
    ),
]
