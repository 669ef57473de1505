"""The operation set graphex speaks: which ids are registered, hand-checked bytes of the
operations python-bitshares cannot build (extensions, virtual ops, limit_order_update), and the
refusals for unsupported ids and over-deep nesting."""

from __future__ import annotations

import struct

import pytest

from graphex.protocol.bitasset import BitassetOptions, BitassetOptionsExtensions, PriceFeed
from graphex.protocol.codec import DecodeError, JsonFormError, write_varint
from graphex.protocol.ids import ObjectId
from graphex.protocol.keys import PrivateKey
from graphex.protocol.operations import (
    OPERATION,
    AssetPublishFeed,
    AssetPublishFeedExtensions,
    AssetSettleCancel,
    AssetUpdateBitasset,
    CreateTakeProfitOrderAction,
    ExecuteBid,
    FillOrder,
    LimitOrderCreate,
    LimitOrderCreateOptions,
    LimitOrderUpdate,
    OpWrapper,
    ProposalCreate,
    ProposalDelete,
    ProposalUpdate,
    Transfer,
    WitnessCreate,
    registered_ops,
)
from graphex.protocol.operations.base import MAX_OPERATION_NESTING
from graphex.protocol.types import Asset, Price

IMPLEMENTED = {
    0,
    1,
    2,
    3,
    4,
    5,
    6,
    8,
    10,
    11,
    12,
    13,
    14,
    15,
    16,
    17,
    18,
    19,
    20,
    21,
    22,
    23,
    24,
    29,
    30,
    31,
    42,
    43,
    45,
    46,
    47,
    48,
    77,
}
"""BitShares operations graphex implements (ids 0–77)."""
GRAPHEX_OWN = set(range(100, 112))
"""graphex's own operations: futures 100–111 (``operations/futures.py``)."""
GRAPHEX_VIRTUAL = set(range(106, 112))
VIRTUAL = {4, 42, 46} | GRAPHEX_VIRTUAL


def asset(amount: int, asset_id: int = 0) -> Asset:
    return Asset(amount, ObjectId(1, 3, asset_id))


def fee_bytes(amount: int = 0, asset_id: int = 0) -> bytes:
    return struct.pack("<q", amount) + bytes([asset_id])


def test_registered_operations_are_the_spec_list() -> None:
    ops = registered_ops()
    assert set(ops) == IMPLEMENTED | GRAPHEX_OWN
    assert {i for i, cls in ops.items() if cls.virtual} == VIRTUAL


@pytest.mark.parametrize("op_id", [7, 9, 25, 32, 39, 49, 59, 63, 76, 78, 99, 112, 300])
def test_unimplemented_operation_ids_are_refused(op_id: int) -> None:
    tag = bytearray()
    write_varint(tag, op_id)
    with pytest.raises(DecodeError, match=f"unknown or unsupported operation id {op_id}"):
        OPERATION.unpack(bytes(tag) + fee_bytes())
    with pytest.raises(JsonFormError, match=f"unknown or unsupported operation id {op_id}"):
        OPERATION.from_json([op_id, {"fee": {"amount": 0, "asset_id": "1.3.0"}}])


def test_fill_order_uses_a_generic_object_id() -> None:
    op = FillOrder(
        asset(0),
        ObjectId(1, 7, 5),
        ObjectId(1, 2, 9),
        asset(10),
        asset(20, 1),
        Price(asset(10), asset(20, 1)),
        False,
    )
    packed_id = struct.pack("<Q", 1 << 56 | 7 << 48 | 5)
    expected = (
        b"\x04"
        + fee_bytes()
        + packed_id
        + b"\x09"
        + fee_bytes(10)
        + fee_bytes(20, 1)
        + fee_bytes(10)
        + fee_bytes(20, 1)
        + b"\x00"
    )
    assert OPERATION.pack(op) == expected
    assert OPERATION.to_json(op)[1]["order_id"] == "1.7.5"
    assert OPERATION.unpack(expected) == op


def test_limit_order_create_on_fill_extension() -> None:
    action = CreateTakeProfitOrderAction(ObjectId(1, 3, 0), 100, 10000, 3600, True)
    op = LimitOrderCreate(
        asset(0),
        ObjectId(1, 2, 1),
        asset(5),
        asset(6, 1),
        0xFFFFFFFF,
        False,
        LimitOrderCreateOptions((action,)),
    )
    tail = OPERATION.pack(op)[-15:]
    # extension: 1 field; index 0 (on_fill); vector of 1; variant tag 0; the action
    action_bytes = b"\x00" + struct.pack("<HHI", 100, 10000, 3600) + b"\x01\x00"
    assert tail == b"\x01\x00\x01\x00" + action_bytes
    j = OPERATION.to_json(op)[1]["extensions"]
    assert j == {
        "on_fill": [
            [
                0,
                {
                    "fee_asset_id": "1.3.0",
                    "spread_percent": 100,
                    "size_percent": 10000,
                    "expiration_seconds": 3600,
                    "repeat": True,
                    "extensions": [],
                },
            ]
        ]
    }
    assert OPERATION.unpack(OPERATION.pack(op)) == op
    assert OPERATION.from_json(OPERATION.to_json(op)) == op


def test_limit_order_update_layout() -> None:
    op = LimitOrderUpdate(
        asset(0), ObjectId(1, 2, 1), ObjectId(1, 7, 300), None, asset(-5), 1700000000
    )
    expected = (
        b"\x4d"
        + fee_bytes()
        + b"\x01"
        + b"\xac\x02"
        + b"\x00"
        + b"\x01"
        + fee_bytes(-5)
        + b"\x01"
        + struct.pack("<I", 1700000000)
        + b"\x00"
        + b"\x00"
    )
    assert OPERATION.pack(op) == expected
    assert OPERATION.unpack(expected) == op


def test_publish_feed_and_bitasset_extensions() -> None:
    feed = PriceFeed(Price(asset(1, 3), asset(20)), 1600, 1100, Price(asset(1, 3), asset(19)))
    op = AssetPublishFeed(
        asset(0), ObjectId(1, 2, 1), ObjectId(1, 3, 3), feed, AssetPublishFeedExtensions(1800)
    )
    assert OPERATION.pack(op).endswith(struct.pack("<BBH", 1, 0, 1800))
    assert OPERATION.to_json(op)[1]["extensions"] == {"initial_collateral_ratio": 1800}
    ext = BitassetOptionsExtensions(maintenance_collateral_ratio=1500, black_swan_response_method=2)
    options = BitassetOptions(extensions=ext)
    update = AssetUpdateBitasset(asset(0), ObjectId(1, 2, 1), ObjectId(1, 3, 3), options)
    assert OPERATION.pack(update).endswith(b"\x02\x01\xdc\x05\x05\x02" + b"\x00")
    assert options.black_swan_response_method == 2
    assert BitassetOptions().black_swan_response_method == 0
    assert OPERATION.unpack(OPERATION.pack(update)) == update


def test_proposal_update_and_delete_put_fee_first() -> None:
    update = ProposalUpdate(asset(7), ObjectId(1, 2, 9), ObjectId(1, 10, 4))
    assert OPERATION.pack(update) == b"\x17" + fee_bytes(7) + b"\x09\x04" + bytes(7)
    delete = ProposalDelete(asset(7), ObjectId(1, 2, 9), True, ObjectId(1, 10, 4))
    assert OPERATION.pack(delete) == b"\x18" + fee_bytes(7) + b"\x09\x01\x04\x00"
    assert delete.required_owner() == (ObjectId(1, 2, 9),) and delete.required_active() == ()


def test_witness_create_and_virtual_settle_ops() -> None:
    key = PrivateKey.from_seed("witness").public_key
    op = WitnessCreate(asset(0), ObjectId(1, 2, 1), "u", key)
    assert OPERATION.pack(op) == b"\x14" + fee_bytes() + b"\x01\x01u" + key.data
    cancel = AssetSettleCancel(asset(0), ObjectId(1, 4, 2), ObjectId(1, 2, 1), asset(3, 3))
    assert OPERATION.pack(cancel) == b"\x2a" + fee_bytes() + b"\x02\x01" + fee_bytes(3, 3)
    bid = ExecuteBid(asset(0), ObjectId(1, 2, 1), asset(3, 3), asset(4))
    assert OPERATION.pack(bid) == b"\x2e" + fee_bytes() + b"\x01" + fee_bytes(3, 3) + fee_bytes(4)


def nested_proposal(levels: int) -> bytes:
    """``levels`` proposals, each wrapping the next, around a transfer (built as bytes)."""
    core = asset(0)
    inner = Transfer(core, ObjectId(1, 2, 1), ObjectId(1, 2, 2), core)
    one = OPERATION.pack(ProposalCreate(core, ObjectId(1, 2, 1), 0, (OpWrapper(inner),)))
    wrapped = OPERATION.pack(inner)
    head, tail = one[: len(one) - len(wrapped) - 2], one[-2:]
    return head * levels + wrapped + tail * levels


def test_nesting_within_the_limit_decodes() -> None:
    raw = nested_proposal(MAX_OPERATION_NESTING - 1)
    op = OPERATION.unpack(raw)
    assert OPERATION.pack(op) == raw
    assert OPERATION.pack(OPERATION.from_json(OPERATION.to_json(op))) == raw


def test_over_deep_nesting_is_refused_not_a_crash() -> None:
    with pytest.raises(DecodeError, match="nested deeper"):
        OPERATION.unpack(nested_proposal(MAX_OPERATION_NESTING))
    with pytest.raises(DecodeError, match="nested deeper"):
        OPERATION.unpack(nested_proposal(5000))
    j = OPERATION.to_json(OPERATION.unpack(nested_proposal(MAX_OPERATION_NESTING - 1)))
    j = [
        22,
        {
            "fee": {"amount": 0, "asset_id": "1.3.0"},
            "fee_paying_account": "1.2.1",
            "expiration_time": "1970-01-01T00:00:00",
            "proposed_ops": [{"op": j}],
        },
    ]
    with pytest.raises(JsonFormError, match="nested deeper"):
        OPERATION.from_json(j)
