"""Block producer operations: witness_create (20), witness_update (21).

Field orders are core's ``FC_REFLECT`` (core: protocol/witness.hpp).
"""

from __future__ import annotations

from ..types import AccountId, Asset, PublicKeyType, WitnessId
from .base import Operation, op_class


@op_class
class WitnessCreate(Operation, frozen=True):
    op_id = 20
    fee_payer_field = "witness_account"

    fee: Asset
    witness_account: AccountId
    url: str
    block_signing_key: PublicKeyType


@op_class
class WitnessUpdate(Operation, frozen=True):
    op_id = 21
    fee_payer_field = "witness_account"

    fee: Asset
    witness: WitnessId
    witness_account: AccountId
    new_url: str | None = None
    new_signing_key: PublicKeyType | None = None
