"""Asset rules shared by evaluators and the market: who may hold or transact an asset."""

from __future__ import annotations

from .objects import Account, AssetObject
from .state import ChainState


def is_authorized_asset(state: ChainState, account: Account, asset: AssetObject) -> bool:
    """core's ``is_authorized_asset``: not blacklisted by, and (if there is a whitelist)
    whitelisted by, one of the asset's list authorities."""
    if not asset.options.blacklist_authorities and not asset.options.whitelist_authorities:
        return True
    blacklist = set(asset.options.blacklist_authorities)
    if any(a in blacklist for a in account.blacklisting_accounts):
        return False
    if not asset.options.whitelist_authorities:
        return True
    whitelist = set(asset.options.whitelist_authorities)
    return any(a in whitelist for a in account.whitelisting_accounts)
