"""The fee schedule: one fee-parameters struct per operation id, a scale, and the fee rules.

Wire form (core: protocol/fee_schedule.hpp): ``fee_schedule{parameters: flat_set<fee_parameters>,
scale: u32}`` where ``fee_parameters`` is a static variant with one alternative per operation id
0..77 (each operation's ``fee_params_t``), so an entry is ``varint op_id ‖ params`` and the set is
sorted by op id with no duplicates. JSON: ``{"parameters": [[op_id, {...}], …], "scale": 10000}``.

:func:`calculate_fee` is core's per-operation ``calculate_fee`` plus the schedule's scaling
(``fee * scale / 10000``, rounded down); :func:`fee_for` looks an operation's parameters up in a
schedule with core's fallbacks. All arithmetic is on integers.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

import msgspec

from . import codec as c
from .struct import SET, WireStruct, codec_of
from .types import Int64, UInt32, UInt64

FULL_SCALE = 10000
"""``GRAPHENE_100_PERCENT``: a ``scale`` of 10000 charges fees as listed."""

CORE_PRECISION = 100000
"""``GRAPHENE_BLOCKCHAIN_PRECISION``: 10^5 satoshis per whole core unit."""

LAST_OPERATION_ID = 77


GRAPHEX_OP_IDS = 100
"""graphex's own operations take ids from here up."""


class FeeError(ValueError):
    """A fee that cannot be computed (parameters of the wrong kind, or a result over the cap)."""


# --- fee-parameter shapes (the distinct fee_params_t layouts) ------------------------------------


class NoFee(WireStruct, frozen=True):
    """Virtual operations and balance_claim: no parameters, no fee."""


class Fee(WireStruct, frozen=True):
    fee: UInt64


class ShareFee(WireStruct, frozen=True):
    """``fee`` declared ``share_type`` in core (int64 on the wire)."""

    fee: Int64


class FeeKbyte(WireStruct, frozen=True):
    fee: UInt64
    price_per_kbyte: UInt32


class ShareFeeKbyte(WireStruct, frozen=True):
    fee: Int64
    price_per_kbyte: UInt32


class AccountCreateFee(WireStruct, frozen=True):
    basic_fee: UInt64
    premium_fee: UInt64
    price_per_kbyte: UInt32


class AccountUpgradeFee(WireStruct, frozen=True):
    membership_annual_fee: UInt64
    membership_lifetime_fee: UInt64


class AssetCreateFee(WireStruct, frozen=True):
    symbol3: UInt64
    symbol4: UInt64
    long_symbol: UInt64
    price_per_kbyte: UInt32


class FeePerOutput(WireStruct, frozen=True):
    fee: UInt64
    price_per_output: UInt32


class FeePerDay(WireStruct, frozen=True):
    fee: UInt64
    fee_per_day: UInt64


class FeePerKb(WireStruct, frozen=True):
    fee: UInt64
    fee_per_kb: UInt64


class BasicFeePerByte(WireStruct, frozen=True):
    basic_fee: UInt64
    price_per_byte: UInt32


_F, _S, _K = Fee, ShareFee, FeeKbyte
FEE_SHAPES: dict[int, type[WireStruct]] = {
    0: _K, 1: _F, 2: _F, 3: _F, 4: NoFee, 5: AccountCreateFee, 6: ShareFeeKbyte, 7: _S,
    8: AccountUpgradeFee, 9: _F, 10: AssetCreateFee, 11: _K, 12: _F, 13: _F, 14: _K, 15: _F,
    16: _F, 17: _F, 18: _F, 19: _F, 20: _F, 21: _S, 22: _K, 23: _K, 24: _F, 25: _F, 26: _F,
    27: _K, 28: _F, 29: _F, 30: _F, 31: _F, 32: _F, 33: _F, 34: _F, 35: _K, 36: _F, 37: NoFee,
    38: _K, 39: FeePerOutput, 40: FeePerOutput, 41: _F, 42: NoFee, 43: _F, 44: NoFee, 45: _F,
    46: NoFee, 47: _F, 48: _F, 49: FeePerDay, 50: FeePerKb, 51: NoFee, 52: FeePerDay, 53: NoFee,
    54: BasicFeePerByte, 55: BasicFeePerByte, 56: _F, 57: _F, 58: _F, 59: _F, 60: _F, 61: _F,
    62: _F, 63: _F, 64: _F, 65: _F, 66: _F, 67: _F, 68: _F, 69: _K, 70: _F, 71: _K, 72: _F,
    73: _F, 74: NoFee, 75: _F, 76: _F, 77: _F,
    # graphex's futures operations (SPEC §7); 106-111 are virtual
    100: _F, 101: _F, 102: _F, 103: _F, 104: _F, 105: _F, 106: NoFee, 107: NoFee, 108: NoFee,
    109: NoFee, 110: NoFee, 111: NoFee,
}
"""The ``fee_params_t`` layout of every operation id (core's ``fee_parameters`` variant)."""


def default_fee_values(p: int = CORE_PRECISION) -> dict[int, tuple[int, ...]]:
    """Core's default ``fee_params_t`` values, in field order, for a core precision factor ``p``.

    Taken from each operation's ``fee_params_t`` initialisers in bitshares-core 7.0. Core writes
    account_whitelist's fee as the literal 300000; here it is ``3 * p`` (equal at p = 10^5).
    """
    return {
        0: (20 * p, 10 * p), 1: (5 * p,), 2: (0,), 3: (20 * p,), 4: (),
        5: (5 * p, 2000 * p, p), 6: (20 * p, p), 7: (3 * p,), 8: (2000 * p, 10000 * p),
        9: (500 * p,), 10: (500000 * p, 300000 * p, 5000 * p, 10), 11: (500 * p, 10),
        12: (500 * p,), 13: (500 * p,), 14: (20 * p, p), 15: (20 * p,), 16: (p,), 17: (100 * p,),
        18: (500 * p,), 19: (p,), 20: (5000 * p,), 21: (20 * p,), 22: (20 * p, 10),
        23: (20 * p, 10), 24: (p,), 25: (p,), 26: (p,), 27: (20 * p, 10), 28: (0,),
        29: (5000 * p,), 30: (20 * p,), 31: (p,), 32: (p,), 33: (20 * p,), 34: (5000 * p,),
        35: (p, 10), 36: (p,), 37: (), 38: (20 * p, 10), 39: (5 * p, 5 * p), 40: (5 * p, 5 * p),
        41: (5 * p,), 42: (), 43: (20 * p,), 44: (), 45: (20 * p,), 46: (), 47: (20 * p,),
        48: (20 * p,), 49: (p, p), 50: (p, p), 51: (), 52: (p, p), 53: (), 54: (p, p // 10),
        55: (p, p // 10), 56: (p,), 57: (50 * p,), 58: (50 * p,), 59: (50 * p,), 60: (0,),
        61: (p // 10,), 62: (5 * p,), 63: (p,), 64: (p,), 65: (0,), 66: (p,), 67: (p,),
        68: (p,), 69: (p, p), 70: (0,), 71: (p, p), 72: (p,), 73: (p,), 74: (), 75: (p,),
        76: (p,), 77: (p * 3 // 8,),
        # graphex: listing a product, its update, margin moves, futures orders and cancels
        100: (1000 * p,), 101: (100 * p,), 102: (p // 10,), 103: (p // 10,), 104: (p // 10,),
        105: (p // 100,), 106: (), 107: (), 108: (), 109: (), 110: (), 111: (),
    }


class FeeParameters(msgspec.Struct, frozen=True):
    """One entry of the schedule: the ``fee_params_t`` of operation ``op_id``."""

    __codec__: ClassVar[c.Codec[Any]]

    op_id: int
    params: Any

    def __post_init__(self) -> None:
        shape = FEE_SHAPES.get(self.op_id)
        if shape is None or type(self.params) is not shape:
            expected = shape.__name__ if shape else "nothing (unknown operation id)"
            raise FeeError(
                f"fee parameters for operation {self.op_id} must be {expected}, "
                f"got {type(self.params).__name__}"
            )


class FeeParametersCodec(c.Codec[FeeParameters]):
    """``fee_parameters`` static variant: ``varint op_id ‖ params``; JSON ``[op_id, {...}]``."""

    name = "fee_parameters"

    def _shape(self, tag: int, error: type[ValueError]) -> c.Codec[Any]:
        shape = FEE_SHAPES.get(tag)
        if shape is None:
            raise error(f"unknown fee_parameters tag {tag} (operation ids are 0..77)")
        return codec_of(shape)

    def write(self, out: bytearray, value: FeeParameters) -> None:
        c.write_varint(out, value.op_id)
        codec_of(type(value.params)).write(out, value.params)

    def read(self, data: bytes, pos: int) -> tuple[FeeParameters, int]:
        tag, pos = c.read_varint(data, pos, "fee_parameters tag")
        params, pos = self._shape(tag, c.DecodeError).read(data, pos)
        return FeeParameters(tag, params), pos

    def to_json(self, value: FeeParameters) -> c.Json:
        return [value.op_id, codec_of(type(value.params)).to_json(value.params)]

    def from_json(self, j: c.Json) -> FeeParameters:
        if not isinstance(j, list) or len(j) != 2:
            raise c.JsonFormError(f"fee_parameters: expected [op_id, {{...}}], got {str(j)[:60]!r}")
        tag = c.json_int(j[0], "fee_parameters tag", 0, c.UINT32_MAX)
        return FeeParameters(tag, self._shape(tag, c.JsonFormError).from_json(j[1]))

    def sort_key(self, value: FeeParameters) -> int:
        return value.op_id


FEE_PARAMETERS = FeeParametersCodec()
FeeParameters.__codec__ = FEE_PARAMETERS
FeeParametersField = Annotated[FeeParameters, FEE_PARAMETERS]


class FeeSchedule(WireStruct, frozen=True):
    """Fee parameters per operation (sorted by op id) and a scale in 1/10000."""

    parameters: Annotated[tuple[FeeParametersField, ...], SET]
    scale: UInt32 = FULL_SCALE

    def params_for(self, op_id: int) -> Any | None:
        """The parameters listed for ``op_id``, or None."""
        for entry in self.parameters:
            if entry.op_id == op_id:
                return entry.params
        return None


def default_fee_parameters(op_id: int, core_precision_factor: int = CORE_PRECISION) -> Any:
    """Core's default ``fee_params_t`` of one operation."""
    return FEE_SHAPES[op_id](*default_fee_values(core_precision_factor)[op_id])


def default_fee_schedule(core_precision_factor: int = CORE_PRECISION) -> FeeSchedule:
    """Core's ``fee_schedule::get_default()``: every operation's default parameters, scale 100%.

    graphex's own operations (ids from 100) are left out, so the schedule BitShares clients read is
    core's; their fees fall back to the defaults above until the committee lists them."""
    values = default_fee_values(core_precision_factor)
    entries = tuple(FeeParameters(i, FEE_SHAPES[i](*values[i]))
                    for i in sorted(FEE_SHAPES) if i < GRAPHEX_OP_IDS)
    return FeeSchedule(entries, FULL_SCALE)
