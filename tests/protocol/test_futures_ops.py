"""The futures operations (ids 100–111, SPEC §7) on the wire: hand-checked bytes (field order
as declared), binary and JSON round trips of every one, refusals of bad JSON naming the field,
and random or mutated bytes decoding to nothing but ``DecodeError``."""

from __future__ import annotations

import struct
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graphex.protocol.codec import DecodeError, JsonFormError
from graphex.protocol.ids import ObjectId
from graphex.protocol.operations import (
    OPERATION,
    FuturesDeleverage,
    FuturesDelivery,
    FuturesFill,
    FuturesLiquidation,
    FuturesOrderCancel,
    FuturesOrderCancelled,
    FuturesOrderCreate,
    FuturesParameters,
    FuturesProductCreate,
    FuturesProductUpdate,
    FuturesSeriesList,
    MarginDeposit,
    MarginWithdraw,
    registered_ops,
)
from graphex.protocol.operations.futures import (
    IMMEDIATE_OR_CANCEL,
    MAX_EXPIRATION,
    POST_ONLY,
    REASON_LIQUIDATION,
    REDUCE_ONLY,
    SHORT,
)
from graphex.protocol.struct import codec_of
from graphex.protocol.types import Asset
from tests.protocol.strategies import values_of

FUZZ = settings(max_examples=150, deadline=2000, suppress_health_check=[HealthCheck.too_slow])
FUTURES_IDS = list(range(100, 112))
FUTURES_CLASSES = [registered_ops()[i] for i in FUTURES_IDS]
CLASS_IDS = [cls.__name__ for cls in FUTURES_CLASSES]

ALICE, BOB = ObjectId(1, 2, 17), ObjectId(1, 2, 18)
GPX, USD = ObjectId(1, 3, 0), ObjectId(1, 3, 2)
PRODUCT, SERIES, ORDER = ObjectId(1, 100, 0), ObjectId(1, 101, 3), ObjectId(1, 102, 300)
PARAMS = FuturesParameters(100_000_000)  # 1 000 GPX per lot, SPEC §7's default rates


def fee(amount: int = 0, asset: ObjectId = GPX) -> Asset:
    return Asset(amount, asset)


def asset_bytes(amount: int, asset_instance: int = 0) -> bytes:
    return struct.pack("<q", amount) + bytes([asset_instance])


def i64(value: int) -> bytes:
    return struct.pack("<q", value)


def u32(value: int) -> bytes:
    return struct.pack("<I", value)


PARAMS_BYTES = (i64(100_000_000) + u32(100_000) + u32(50_000) + u32(100) + u32(5_000) + u32(100)
                + b"\x00" + b"\x00")

SAMPLES: list[tuple[Any, bytes]] = [
    (FuturesProductCreate(fee(10), ALICE, GPX, USD, PARAMS),
     b"\x64" + asset_bytes(10) + b"\x11" + b"\x00" + b"\x02" + PARAMS_BYTES + b"\x00"),
    (FuturesProductUpdate(fee(), ALICE, PRODUCT, FuturesParameters(10**9, trade_fee_ppm=50)),
     b"\x65" + asset_bytes(0) + b"\x11" + b"\x00" + i64(10**9) + u32(100_000) + u32(50_000)
     + u32(50) + u32(5_000) + u32(100) + b"\x00\x00" + b"\x00"),
    (MarginDeposit(fee(), ALICE, Asset(1_000_000, USD)),
     b"\x66" + asset_bytes(0) + b"\x11" + asset_bytes(1_000_000, 2) + b"\x00"),
    (MarginWithdraw(fee(), BOB, Asset(5, USD)),
     b"\x67" + asset_bytes(0) + b"\x12" + asset_bytes(5, 2) + b"\x00"),
    (FuturesOrderCreate(fee(), ALICE, PRODUCT, 202612, SHORT, 3, 50_001, 1_800_000_000,
                        REDUCE_ONLY | IMMEDIATE_OR_CANCEL),
     b"\x68" + asset_bytes(0) + b"\x11" + b"\x00" + u32(202612) + b"\x01" + i64(3) + i64(50_001)
     + u32(1_800_000_000) + b"\x05" + b"\x00"),
    (FuturesOrderCancel(fee(), ALICE, ORDER),
     b"\x69" + asset_bytes(0) + b"\x11" + b"\xac\x02" + b"\x00"),
    (FuturesFill(fee(15, USD), BOB, ORDER, SERIES, SHORT, 2, 50_000, -700, True, False),
     b"\x6a" + asset_bytes(15, 2) + b"\x12" + b"\x01\xac\x02" + b"\x03" + b"\x01" + i64(2)
     + i64(50_000) + i64(-700) + b"\x01" + b"\x00"),
    (FuturesLiquidation(fee(0, USD), ALICE, 900, 1000, 2, 3, 1, True),
     b"\x6b" + asset_bytes(0, 2) + b"\x11" + i64(900) + i64(1000) + u32(2) + i64(3) + i64(1)
     + b"\x01"),
    (FuturesDeleverage(fee(0, USD), ALICE, BOB, SERIES, 0, 4, 49_000, -40, 40),
     b"\x6c" + asset_bytes(0, 2) + b"\x11\x12\x03\x00" + i64(4) + i64(49_000) + i64(-40)
     + i64(40)),
    (FuturesSeriesList(fee(), ALICE, PRODUCT, SERIES, 202612, 1_798_673_400, 1_798_675_200),
     b"\x6d" + asset_bytes(0) + b"\x11\x00\x03" + u32(202612) + u32(1_798_673_400)
     + u32(1_798_675_200)),
    (FuturesDelivery(fee(3, USD), BOB, SERIES, -4, 51_000, -9_000),
     b"\x6e" + asset_bytes(3, 2) + b"\x12\x03" + i64(-4) + i64(51_000) + i64(-9_000)),
    (FuturesOrderCancelled(fee(), ALICE, ORDER, REASON_LIQUIDATION, 123),
     b"\x6f" + asset_bytes(0) + b"\x11\xac\x02" + b"\x02" + i64(123)),
]
SAMPLE_IDS = [type(op).__name__ for op, _ in SAMPLES]


def test_the_samples_cover_every_futures_operation() -> None:
    assert sorted(type(op).op_id for op, _ in SAMPLES) == FUTURES_IDS
    assert [cls.op_id for cls in FUTURES_CLASSES] == FUTURES_IDS
    assert all(cls.virtual == (cls.op_id >= 106) for cls in FUTURES_CLASSES)


@pytest.mark.parametrize(("op", "raw"), SAMPLES, ids=SAMPLE_IDS)
def test_bytes_follow_the_declared_field_order(op: Any, raw: bytes) -> None:
    assert OPERATION.pack(op) == raw
    assert OPERATION.unpack(raw) == op


@pytest.mark.parametrize(("op", "raw"), SAMPLES, ids=SAMPLE_IDS)
def test_json_round_trip(op: Any, raw: bytes) -> None:
    j = OPERATION.to_json(op)
    assert j[0] == type(op).op_id
    assert list(j[1]) == [name for name in type(op).__struct_fields__
                          if not (name == "order" and getattr(op, name) is None)]
    assert OPERATION.from_json(j) == op
    assert OPERATION.pack(OPERATION.from_json(j)) == raw


def test_json_forms_of_the_order_and_the_product() -> None:
    order = OPERATION.to_json(SAMPLES[4][0])[1]
    assert order == {"fee": {"amount": 0, "asset_id": "1.3.0"}, "account": "1.2.17",
                     "product": "1.100.0", "delivery_month": 202612, "side": 1, "lots": 3,
                     "price": 50_001, "expiration": "2027-01-15T08:00:00", "flags": 5,
                     "extensions": []}
    params = OPERATION.to_json(SAMPLES[0][0])[1]["parameters"]
    assert params == {"contract_size": 100_000_000, "initial_margin_ppm": 100_000,
                      "maintenance_margin_ppm": 50_000, "trade_fee_ppm": 100,
                      "liquidation_fee_ppm": 5_000, "delivery_fee_ppm": 100,
                      "mark_price_source": 0, "extensions": []}


def test_defaults_never_expire_and_carry_no_flags() -> None:
    op = FuturesOrderCreate(fee(), ALICE, PRODUCT, 202612, 0, 1, 1)
    assert op.expiration == MAX_EXPIRATION and op.flags == 0
    assert OPERATION.to_json(op)[1]["expiration"] == "2106-02-07T06:28:15"
    assert POST_ONLY == 2


def test_a_fill_without_an_order_leaves_it_out() -> None:
    fill = FuturesFill(fee(0, USD), ALICE, None, SERIES, 0, 1, 50_000, 0, False, True)
    raw = OPERATION.pack(fill)
    assert raw[10:12] == b"\x11\x00"  # account, then an absent optional order
    j = OPERATION.to_json(fill)
    assert "order" not in j[1] and j[1]["liquidation"] is True
    assert OPERATION.from_json(j) == fill and OPERATION.unpack(raw) == fill


def order_json(**changes: Any) -> list[Any]:
    j = OPERATION.to_json(SAMPLES[4][0])
    return [j[0], {**j[1], **changes}]


@pytest.mark.parametrize(("changes", "message"), [
    ({"side": "long"}, "FuturesOrderCreate.side: uint8: expected an integer, got 'long'"),
    ({"side": 256}, "FuturesOrderCreate.side: uint8: 256 is out of range"),
    ({"product": "1.101.0"}, "FuturesOrderCreate.product: futures_product_id must be 1.100.x"),
    ({"lots": 1.5}, "FuturesOrderCreate.lots"),
    ({"delivery_month": -1}, "FuturesOrderCreate.delivery_month"),
    ({"flags": 1 << 8}, "FuturesOrderCreate.flags"),
    ({"account": "alice"}, "FuturesOrderCreate.account"),
    ({"expiration": "tomorrow"}, "FuturesOrderCreate.expiration"),
])
def test_bad_order_json_is_refused_naming_the_field(changes: dict[str, Any], message: str
                                                    ) -> None:
    with pytest.raises(JsonFormError, match=message.replace(".", r"\.")):
        OPERATION.from_json(order_json(**changes))


def test_missing_fields_and_bad_nested_parameters_are_named() -> None:
    with pytest.raises(JsonFormError, match="FuturesOrderCreate: missing field 'product'"):
        OPERATION.from_json([104, {"fee": {"amount": 0, "asset_id": "1.3.0"},
                                   "account": "1.2.17"}])
    j = OPERATION.to_json(SAMPLES[0][0])
    j[1]["parameters"] = {**j[1]["parameters"], "initial_margin_ppm": -1}
    with pytest.raises(JsonFormError, match="initial_margin_ppm"):
        OPERATION.from_json(j)
    with pytest.raises(JsonFormError, match="order"):
        OPERATION.from_json([105, {"fee": {"amount": 0, "asset_id": "1.3.0"},
                                   "account": "1.2.17", "order": "1.7.5"}])


@pytest.mark.parametrize(("op", "raw"), SAMPLES, ids=SAMPLE_IDS)
def test_truncated_bytes_are_a_decode_error(op: Any, raw: bytes) -> None:
    for cut in range(1, len(raw)):
        with pytest.raises(DecodeError):
            OPERATION.unpack(raw[:cut])


@pytest.mark.parametrize("cls", FUTURES_CLASSES, ids=CLASS_IDS)
@FUZZ
@given(data=st.binary(max_size=200))
def test_random_bytes_raise_only_decode_error(cls: Any, data: bytes) -> None:
    try:
        codec_of(cls).unpack(data)
    except DecodeError:
        pass


@FUZZ
@given(op_id=st.sampled_from(FUTURES_IDS), body=st.binary(max_size=200))
def test_random_bodies_behind_a_futures_tag_raise_only_decode_error(op_id: int, body: bytes
                                                                    ) -> None:
    try:
        OPERATION.unpack(bytes([op_id]) + body)
    except DecodeError:
        pass


@st.composite
def futures_ops(draw: st.DrawFn) -> Any:
    return draw(values_of(codec_of(draw(st.sampled_from(FUTURES_CLASSES)))))


@FUZZ
@given(op=futures_ops(), flips=st.lists(st.tuples(st.integers(0, 10**6), st.integers(1, 255)),
                                        min_size=1, max_size=4))
def test_mutated_futures_ops_raise_only_decode_error(op: Any, flips: list[tuple[int, int]]
                                                     ) -> None:
    raw = bytearray(OPERATION.pack(op))
    for at, xor in flips:
        raw[at % len(raw)] ^= xor
    try:
        OPERATION.unpack(bytes(raw))
    except DecodeError:
        pass


@FUZZ
@given(op=futures_ops())
def test_every_futures_op_round_trips(op: Any) -> None:
    raw = OPERATION.pack(op)
    assert OPERATION.unpack(raw) == op
    again = OPERATION.from_json(OPERATION.to_json(op))
    assert OPERATION.pack(again) == raw
