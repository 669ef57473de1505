"""transfer (0)."""

from __future__ import annotations

import msgspec

from ..types import AccountId, Asset, Extensions, Memo
from .base import Operation, op_class


@op_class
class Transfer(Operation, frozen=True):
    op_id = 0
    fee_payer_field = "from_account"

    fee: Asset
    from_account: AccountId = msgspec.field(name="from")
    to_account: AccountId = msgspec.field(name="to")
    amount: Asset
    memo: Memo | None = None
    extensions: Extensions = ()
