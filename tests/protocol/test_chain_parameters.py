"""Fee schedule and chain parameters: wire layout transcribed independently from core's
FC_REFLECT lists, JSON form, defaults, validation, and core's fee rules."""

from __future__ import annotations

import struct

import msgspec
import pytest

from graphex.protocol.chain_parameters import (
    ChainParameters,
    ChainParametersError,
    ChainParametersExtensions,
    FeeError,
    FeeParameters,
    FeeSchedule,
    calculate_fee,
    default_chain_parameters,
    default_fee_parameters,
    default_fee_schedule,
    fee_for,
    validate_chain_parameters,
)
from graphex.protocol.codec import DecodeError, JsonFormError, write_varint
from graphex.protocol.fee_schedule import AccountCreateFee, Fee, FeeKbyte, NoFee
from graphex.protocol.fees import is_cheap_name
from graphex.protocol.ids import ObjectId
from graphex.protocol.keys import PrivateKey
from graphex.protocol.memo import encrypt_memo
from graphex.protocol.operations import (
    OPERATION,
    AccountCreate,
    AccountUpgrade,
    AssetCreate,
    AssetIssue,
    BidCollateral,
    CommitteeMemberUpdateGlobalParameters,
    FillOrder,
    LimitOrderCreate,
    Transfer,
)
from graphex.protocol.struct import from_json, pack, to_json, unpack
from graphex.protocol.types import AccountOptions, Asset, AssetOptions, Authority, Price

P = 100000
# (struct format of each op's fee_params_t, core's default values) — from fee_schedule.hpp and
# each operation header of bitshares-core 7.0; "" is an empty (virtual-op) parameter struct.
FORMATS = {
    0: "QI",
    5: "QQI",
    6: "qI",
    7: "q",
    8: "QQ",
    10: "QQQI",
    11: "QI",
    14: "QI",
    21: "q",
    22: "QI",
    23: "QI",
    27: "QI",
    35: "QI",
    38: "QI",
    39: "QI",
    40: "QI",
    49: "QQ",
    50: "QQ",
    52: "QQ",
    54: "QI",
    55: "QI",
    69: "QI",
    71: "QI",
}
VIRTUAL = {4, 37, 42, 44, 46, 51, 53, 74}
SAMPLE_DEFAULTS = {
    0: (20 * P, 10 * P),
    1: (5 * P,),
    2: (0,),
    5: (5 * P, 2000 * P, P),
    10: (500000 * P, 300000 * P, 5000 * P, 10),
    19: (P,),
    31: (P,),
    61: (P // 10,),
    77: (37500,),
}
CORE = ObjectId(1, 3, 0)
KEY = PrivateKey.from_seed("fees").public_key


def hand_packed_schedule(schedule: FeeSchedule) -> bytes:
    out = bytearray()
    write_varint(out, len(schedule.parameters))
    for entry in schedule.parameters:
        fmt = "" if entry.op_id in VIRTUAL else FORMATS.get(entry.op_id, "Q")
        write_varint(out, entry.op_id)
        out += struct.pack("<" + fmt, *msgspec.structs.astuple(entry.params))
    return bytes(out + struct.pack("<I", schedule.scale))


def test_default_schedule_has_every_operation_in_core_layout() -> None:
    schedule = default_fee_schedule()
    assert [e.op_id for e in schedule.parameters] == list(range(78))
    for op_id, values in SAMPLE_DEFAULTS.items():
        assert msgspec.structs.astuple(schedule.parameters[op_id].params) == values
    assert pack(schedule) == hand_packed_schedule(schedule)
    assert unpack(FeeSchedule, pack(schedule)) == schedule


def test_chain_parameters_layout_matches_core_reflect_order() -> None:
    params = default_chain_parameters()
    body = struct.pack(
        "<BIBIIIIIBBHHHHHHIq??qqHqHBB",
        5,
        86400,
        3,
        14 * 86400,
        2048,
        2_000_000,
        86400,
        28 * 86400,
        10,
        10,
        1001,
        1001,
        10,
        2000,
        2000,
        3000,
        365 * 86400,
        100 * P,
        True,
        False,
        10 * P,
        500_000 * P,
        1,
        100 * P,
        1000,
        4,
        2,
    )
    assert pack(params) == hand_packed_schedule(params.current_fees) + body + b"\x00"
    validate_chain_parameters(params)


def test_chain_parameters_extensions_and_json() -> None:
    ext = ChainParametersExtensions(market_fee_network_percent=2000, maker_fee_discount_percent=50)
    params = msgspec.structs.replace(default_chain_parameters(), extensions=ext)
    assert pack(params).endswith(b"\x02\x02\xd0\x07\x03\x32\x00")
    j = to_json(params)
    assert j["extensions"] == {"market_fee_network_percent": 2000, "maker_fee_discount_percent": 50}
    assert j["current_fees"]["parameters"][0] == [0, {"fee": 20 * P, "price_per_kbyte": 10 * P}]
    assert j["current_fees"]["parameters"][4] == [4, {}]
    assert j["current_fees"]["scale"] == 10000
    assert from_json(ChainParameters, j) == params


def test_schedule_entries_are_sorted_and_unique() -> None:
    entries = (FeeParameters(3, Fee(7)), FeeParameters(1, Fee(5)), FeeParameters(3, Fee(9)))
    schedule = FeeSchedule(entries)
    back = unpack(FeeSchedule, pack(schedule))
    assert [(e.op_id, e.params.fee) for e in back.parameters] == [(1, 5), (3, 7)]


def test_schedule_refuses_unknown_tags_and_wrong_shapes() -> None:
    with pytest.raises(DecodeError, match="unknown fee_parameters tag 78"):
        unpack(FeeSchedule, b"\x01\x4e" + bytes(8) + b"\x10\x27\x00\x00")
    with pytest.raises(JsonFormError, match="unknown fee_parameters tag 99"):
        from_json(FeeSchedule, {"parameters": [[99, {"fee": 1}]], "scale": 1})
    with pytest.raises(FeeError, match="must be FeeKbyte"):
        FeeParameters(0, Fee(1))


@pytest.mark.parametrize(
    "change,rule",
    [
        ({"block_interval": 0}, "block_interval"),
        ({"maintenance_interval": 86401}, "multiple of block_interval"),
        ({"maximum_transaction_size": 1000}, "maximum_transaction_size"),
        ({"network_percent_of_fee": 8000}, "network_percent_of_fee \\+"),
        ({"committee_proposal_review_period": 28 * 86400}, "review_period"),
    ],
)
def test_validation_names_the_rule(change: dict[str, int], rule: str) -> None:
    params = msgspec.structs.replace(default_chain_parameters(), **change)
    with pytest.raises(ChainParametersError, match=rule):
        validate_chain_parameters(params)


def asset(amount: int, asset_id: int = 0) -> Asset:
    return Asset(amount, ObjectId(1, 3, asset_id))


def transfer(memo_text: str | None = None) -> Transfer:
    key = PrivateKey.from_seed("fee-memo")
    memo = None if memo_text is None else encrypt_memo(key, KEY, 1, memo_text)
    return Transfer(asset(0), ObjectId(1, 2, 1), ObjectId(1, 2, 2), asset(1), memo)


def test_transfer_fee_charges_memo_bytes() -> None:
    params = default_fee_parameters(0)
    assert calculate_fee(params, transfer()) == 20 * P
    with_memo = transfer("0123456789a")  # 4 + 11 bytes, padded to one 16-byte block
    memo_size = 1 + 33 + 33 + 8 + 1 + 16
    assert calculate_fee(params, with_memo) == 20 * P + memo_size * 10 * P // 1024


def test_fee_scale_rounds_down_and_caps() -> None:
    op = LimitOrderCreate(asset(0), ObjectId(1, 2, 1), asset(3), asset(4, 1))
    assert calculate_fee(Fee(12345), op, 5000) == 6172
    assert calculate_fee(Fee(12345), op, 0) == 0
    with pytest.raises(FeeError, match="exceeds the maximum"):
        calculate_fee(Fee(10**15), op, 20000)
    with pytest.raises(FeeError, match="needs fee parameters Fee"):
        calculate_fee(FeeKbyte(1, 1), op)


def test_virtual_operations_are_free() -> None:
    op = FillOrder(
        asset(5),
        ObjectId(1, 7, 1),
        ObjectId(1, 2, 1),
        asset(1),
        asset(2, 1),
        Price(asset(1), asset(2, 1)),
        False,
    )
    assert calculate_fee(NoFee(), op) == 0


@pytest.mark.parametrize(
    "name,cheap",
    [
        ("alice", False),
        ("bcdfg", True),
        ("xyz", False),
        ("a1", True),
        ("al-ice", True),
        ("a.b", True),
        ("", True),
    ],
)
def test_cheap_names(name: str, cheap: bool) -> None:
    assert is_cheap_name(name) is cheap


def account_create(name: str) -> AccountCreate:
    auth = Authority.single_key(KEY)
    options = AccountOptions(KEY, ObjectId(1, 2, 5), 0, 0, ())
    return AccountCreate(
        asset(0), ObjectId(1, 2, 1), ObjectId(1, 2, 1), 0, name, auth, auth, options
    )


def test_account_create_fee_by_name_plus_data_fee() -> None:
    params = AccountCreateFee(5 * P, 2000 * P, P)
    for name, base in (("alice", 2000 * P), ("bob1", 5 * P)):
        op = account_create(name)
        assert calculate_fee(params, op) == base + len(pack(op)) * P // 1024


def test_account_upgrade_and_asset_fees() -> None:
    upgrade = default_fee_parameters(8)
    assert calculate_fee(upgrade, AccountUpgrade(asset(0), ObjectId(1, 2, 9), True)) == 10000 * P
    assert calculate_fee(upgrade, AccountUpgrade(asset(0), ObjectId(1, 2, 9), False)) == 2000 * P
    options = AssetOptions(10**15, 0, 0, 0, 0, Price(asset(1), asset(1, 1)), (), (), (), (), "")
    create = default_fee_parameters(10)
    for symbol, base in (("ABC", 500000 * P), ("ABCD", 300000 * P), ("ABCDE", 5000 * P)):
        op = AssetCreate(asset(0), ObjectId(1, 2, 9), symbol, 5, options)
        assert calculate_fee(create, op) == base + len(pack(op)) * 10 // 1024
    sub = AssetCreate(asset(0), ObjectId(1, 2, 9), "ABC.X", 5, options)
    assert calculate_fee(create, sub, sub_asset_creation_fee=77) == 77 + len(pack(sub)) * 10 // 1024
    issue = AssetIssue(asset(0), ObjectId(1, 2, 9), asset(5, 1), ObjectId(1, 2, 10))
    assert calculate_fee(default_fee_parameters(14), issue) == 20 * P + P // 1024


def test_fee_for_uses_schedule_scale_and_core_fallbacks() -> None:
    schedule = FeeSchedule((FeeParameters(3, Fee(111)), FeeParameters(9, Fee(222))), 20000)
    bid = BidCollateral(asset(0), ObjectId(1, 2, 1), asset(1), asset(1, 1))
    assert fee_for(schedule, bid) == 222  # call_order_update's fee, scaled x2
    order = LimitOrderCreate(asset(0), ObjectId(1, 2, 1), asset(3), asset(4, 1))
    assert fee_for(schedule, order) == 2 * 5 * P  # missing: core's default parameters
    assert fee_for(default_fee_schedule(), transfer()) == 20 * P


def test_global_parameters_operation_round_trips() -> None:
    op = CommitteeMemberUpdateGlobalParameters(asset(P), default_chain_parameters())
    raw = OPERATION.pack(op)
    assert raw[:10] == b"\x1f" + struct.pack("<q", P) + b"\x00"
    assert raw[10:] == pack(op.new_parameters)
    assert OPERATION.unpack(raw) == op
    assert OPERATION.from_json(OPERATION.to_json(op)) == op
    assert op.fee_payer == ObjectId(1, 2, 0) and op.required_active() == (ObjectId(1, 2, 0),)
    assert calculate_fee(default_fee_parameters(31), op) == P
