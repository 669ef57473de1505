"""Operation fees in the core asset: core's per-operation ``calculate_fee`` and the schedule scale.

- Base rule: the parameters' ``fee``; virtual operations cost nothing.
- Data fee (``calculate_data_fee``): ``bytes * price_per_kbyte // 1024`` (rounded down), over the
  packed size of the operation (account_create, account_update with new options, asset_create,
  asset_update, proposal_create/update) or of the ``optional<memo>`` (transfer with a memo,
  asset_issue always — an absent memo still packs to one byte).
- account_create charges ``basic_fee`` for a "cheap" name (a digit, ``.``, ``-``, ``/`` or no
  vowel a/e/i/o/u/y) and ``premium_fee`` otherwise; account_upgrade charges the lifetime or annual
  fee; asset_create charges by symbol length (3, 4, longer) or the sub-asset fee for ``A.B``
  symbols when the schedule provides one.
- Scale: ``fee * scale // 10000`` when ``scale != 10000``. Any result above 10^15 is refused.

(core: protocol/fee_schedule_calc.cpp, operations.cpp, transfer.cpp, account.cpp,
asset_ops.cpp, proposal.cpp)
"""

from __future__ import annotations

from typing import Any

from .fee_schedule import (
    FEE_SHAPES,
    FULL_SCALE,
    FeeError,
    FeeSchedule,
    NoFee,
    default_fee_parameters,
)
from .struct import codec_of
from .types import MAX_SHARE_SUPPLY, Memo

_OPTIONAL_MEMO = codec_of(Memo | None)

# core's fee_helper fallbacks when an operation's parameters are missing from the schedule
_FALLBACK_FEE_OF: dict[int, int] = {45: 3, 48: 11, 47: 16}
ACCOUNT_TRANSFER_ID, TICKET_CREATE_ID, TICKET_UPDATE_ID = 9, 57, 58


def data_fee(size_bytes: int, price_per_kbyte: int) -> int:
    """``calculate_data_fee``: ``size * price_per_kbyte / 1024`` rounded down."""
    fee = size_bytes * price_per_kbyte // 1024
    if fee > MAX_SHARE_SUPPLY:
        raise FeeError(
            f"data fee {fee} for {size_bytes} bytes exceeds the maximum {MAX_SHARE_SUPPLY}"
        )
    return fee


def is_cheap_name(name: str) -> bool:
    """Core's ``is_cheap_name``: has a digit, '.', '-' or '/', or no vowel (a e i o u y)."""
    if any("0" <= ch <= "9" or ch in ".-/" for ch in name):
        return True
    return not any(ch in "aeiouy" for ch in name)


def _packed_size(op: Any) -> int:
    return len(codec_of(type(op)).pack(op))


def _base_fee(params: Any, op: Any, sub_asset_creation_fee: int | None) -> int:
    op_id: int = op.op_id
    if isinstance(params, NoFee):
        return 0
    if op_id == 0:  # transfer
        memo_fee = data_fee(len(_OPTIONAL_MEMO.pack(op.memo)), params.price_per_kbyte)
        return int(params.fee) + (memo_fee if op.memo is not None else 0)
    if op_id == 5:  # account_create
        base = params.basic_fee if is_cheap_name(op.name) else params.premium_fee
        return int(base) + data_fee(_packed_size(op), params.price_per_kbyte)
    if op_id == 6:  # account_update
        extra = data_fee(_packed_size(op), params.price_per_kbyte) if op.new_options else 0
        return int(params.fee) + extra
    if op_id == 8:  # account_upgrade
        upgrade = op.upgrade_to_lifetime_member
        return int(params.membership_lifetime_fee if upgrade else params.membership_annual_fee)
    if op_id == 10:  # asset_create
        return _asset_create_fee(params, op, sub_asset_creation_fee)
    if op_id == 14:  # asset_issue
        return int(params.fee) + data_fee(len(_OPTIONAL_MEMO.pack(op.memo)), params.price_per_kbyte)
    if op_id in (11, 22, 23):  # asset_update, proposal_create, proposal_update
        return int(params.fee) + data_fee(_packed_size(op), params.price_per_kbyte)
    if not hasattr(params, "fee"):
        raise FeeError(f"no fee rule for operation {op_id} with {type(params).__name__}")
    return int(params.fee)


def _asset_create_fee(params: Any, op: Any, sub_asset_creation_fee: int | None) -> int:
    symbol: str = op.symbol
    if sub_asset_creation_fee is not None and "." in symbol:
        base = sub_asset_creation_fee
    else:
        base = {3: params.symbol3, 4: params.symbol4}.get(len(symbol), params.long_symbol)
    return int(base) + data_fee(_packed_size(op), params.price_per_kbyte)


def calculate_fee(
    fee_params: Any, op: Any, scale: int = FULL_SCALE, *, sub_asset_creation_fee: int | None = None
) -> int:
    """The core-asset fee of ``op`` under its ``fee_params`` and the schedule ``scale``.

    ``sub_asset_creation_fee`` is the fee of a sub-asset (``PARENT.CHILD``) creation, which core
    takes from account_transfer's parameters when the schedule also lists ticket_create's.
    """
    shape = FEE_SHAPES.get(op.op_id)
    if shape is None or type(fee_params) is not shape:
        expected = shape.__name__ if shape else "none"
        raise FeeError(
            f"operation {op.op_id} needs fee parameters {expected}, got {type(fee_params).__name__}"
        )
    fee = _base_fee(fee_params, op, sub_asset_creation_fee)
    if scale != FULL_SCALE:
        fee = fee * scale // FULL_SCALE
    if fee > MAX_SHARE_SUPPLY:
        raise FeeError(f"required fee {fee} after scaling exceeds the maximum {MAX_SHARE_SUPPLY}")
    return fee


def fee_for(schedule: FeeSchedule, op: Any) -> int:
    """``fee_schedule::calculate_fee(op)``: look the parameters up (with core's fallbacks) and
    compute the scaled fee. A missing entry falls back as core does: bid_collateral to
    call_order_update's fee, asset_claim_pool to asset_fund_fee_pool's, asset_update_issuer to
    asset_update's, anything else to the operation's default parameters (core's compiled-in
    values, precision 10^5)."""
    op_id: int = op.op_id
    params = schedule.params_for(op_id)
    if op_id in (TICKET_CREATE_ID, TICKET_UPDATE_ID):  # core always uses the built-in default
        params = default_fee_parameters(op_id)
    if params is None:
        params = default_fee_parameters(op_id)
        source = _FALLBACK_FEE_OF.get(op_id)
        listed = schedule.params_for(source) if source is not None else None
        if listed is not None:
            params = type(params)(listed.fee)
    sub_fee = None
    if op_id == 10:
        transfer_params = schedule.params_for(ACCOUNT_TRANSFER_ID)
        if transfer_params is not None and schedule.params_for(TICKET_CREATE_ID) is not None:
            sub_fee = int(transfer_params.fee)
    return calculate_fee(params, op, schedule.scale, sub_asset_creation_fee=sub_fee)
