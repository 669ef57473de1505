"""Market fees on fills (core's ``calculate_market_fee`` / ``pay_market_fees``; BSIP81, BSIP86).

A fee is charged only when the *received* asset has the ``charge_market_fee`` flag: the maker pays
``market_fee_percent``, the taker ``taker_fee_percent`` when the asset sets one (else the maker
rate), capped at ``max_market_fee``. Of the fee, the network's share (chain parameter
``market_fee_network_percent``) goes to committee-account, then the asset's ``reward_percent`` goes
to the seller's registrar (and the referrer's part of it to the referrer), and the rest to the
asset's ``accumulated_fees`` for its issuer to claim. graphex has no vesting balance objects yet, so
the network share and rewards are paid into the receivers' balances directly.
"""

from __future__ import annotations

from ...protocol import ids
from ...protocol.ids import ObjectId
from ...protocol.types import CHARGE_MARKET_FEE
from ..asset_rules import is_authorized_asset
from ..objects import Account, AssetObject
from ..state import ChainState
from .price import percent_of


def market_fee(asset: AssetObject, received: int, is_maker: bool) -> int:
    """The market fee on ``received`` units of ``asset`` for a maker or a taker."""
    options = asset.options
    if not options.flags & CHARGE_MARKET_FEE:
        return 0
    taker_percent = options.extensions.taker_fee_percent
    percent = options.market_fee_percent
    if not is_maker and taker_percent is not None:
        percent = taker_percent
    if percent == 0:
        return 0
    return min(percent_of(received, percent), options.max_market_fee)


def pay_market_fees(state: ChainState, seller_id: ObjectId, asset: AssetObject, received: int,
                    is_maker: bool) -> int:
    """Charge and distribute the market fee on a fill; returns the fee (in ``asset``)."""
    if not asset.options.flags & CHARGE_MARKET_FEE:
        return 0
    fee = market_fee(asset, received, is_maker)
    if fee == 0:
        return 0
    seller = state.account(seller_id)
    issuer_part = fee
    network = percent_of(fee, state.params.market_fee_network_percent)
    if network > 0:
        state.adjust_balance(ids.COMMITTEE_ACCOUNT, asset.id, network)
        issuer_part -= network
    reward = _pay_rewards(state, seller, asset, issuer_part) if issuer_part > 0 else 0
    if issuer_part > reward:
        dyn = state.asset_dynamic(asset)
        with state.db.modify(dyn) as d:
            d.accumulated_fees += issuer_part - reward
    return fee


def _pay_rewards(state: ChainState, seller: Account, asset: AssetObject, issuer_part: int) -> int:
    ext = asset.options.extensions
    sharing = ext.whitelist_market_fee_sharing
    if sharing and seller.registrar not in sharing:
        return 0
    if not ext.reward_percent:
        return 0
    reward = percent_of(issuer_part, ext.reward_percent)
    # core checks the seller's own registrar, before redirecting temp-account's share
    if reward <= 0 or not is_authorized_asset(state, state.account(seller.registrar), asset):
        return 0
    registrar = _redirect_temp(seller.registrar)
    referrer = _redirect_temp(seller.referrer)
    registrar_part = reward
    if referrer != registrar:
        referrer_part = percent_of(reward, seller.referrer_rewards_percentage)
        if referrer_part > 0 and is_authorized_asset(state, state.account(referrer), asset):
            registrar_part -= referrer_part
            state.adjust_balance(referrer, asset.id, referrer_part)
    if registrar_part > 0:
        state.adjust_balance(registrar, asset.id, registrar_part)
    return reward


def _redirect_temp(account: ObjectId) -> ObjectId:
    """After core-1800, rewards for temp-account go to committee-account."""
    return ids.COMMITTEE_ACCOUNT if account == ids.TEMP_ACCOUNT else account
