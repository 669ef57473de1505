"""Property tests of the wire decoders: bad input raises only DecodeError / JsonFormError.

- random bytes, and valid encodings with bytes flipped, cut or inserted, into the transaction,
  block and every operation decoder;
- random JSON, and valid JSON with one leaf replaced, into ``from_json``;
- round trips: valid values of every operation, transaction and authority encode, decode and
  re-encode to the same bytes and JSON; transfers and canonical authorities decode equal.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graphex.protocol.block import SignedBlock
from graphex.protocol.chain_parameters import ChainParameters
from graphex.protocol.codec import DecodeError, JsonFormError
from graphex.protocol.operations import OPERATION, Transfer, registered_ops
from graphex.protocol.struct import codec_of
from graphex.protocol.transaction import SignedTransaction
from graphex.protocol.types import Authority
from tests.protocol.strategies import KEYS, object_ids, operations, values_of

FUZZ = settings(max_examples=150, deadline=2000, suppress_health_check=[HealthCheck.too_slow])
FEW = settings(FUZZ, max_examples=50)  # for strategies that build whole blocks/transactions
OP_CLASSES = sorted(registered_ops().values(), key=lambda cls: cls.op_id)
TARGETS: list[Any] = [SignedTransaction, SignedBlock, ChainParameters, *OP_CLASSES]
TARGET_IDS = [getattr(t, "__name__", str(t)) for t in TARGETS]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)


def decode_or_decode_error(codec: Any, data: bytes) -> None:
    try:
        codec.unpack(data)
    except DecodeError:
        pass


def parse_or_json_error(codec: Any, j: Any) -> None:
    try:
        codec.from_json(j)
    except JsonFormError:
        pass


@pytest.mark.parametrize("target", TARGETS, ids=TARGET_IDS)
@FUZZ
@given(data=st.binary(max_size=400))
def test_random_bytes_raise_only_decode_error(target: Any, data: bytes) -> None:
    decode_or_decode_error(codec_of(target), data)


@FUZZ
@given(data=st.binary(max_size=400))
def test_random_bytes_into_operation_variant(data: bytes) -> None:
    decode_or_decode_error(OPERATION, data)


@st.composite
def mutated(draw: st.DrawFn, valid: st.SearchStrategy[bytes]) -> bytes:
    raw = bytearray(draw(valid))
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["flip", "cut", "insert", "delete"]))
        at = draw(st.integers(0, max(len(raw) - 1, 0)))
        if kind == "flip" and raw:
            raw[at] ^= draw(st.integers(1, 255))
        elif kind == "cut":
            del raw[at:]
        elif kind == "insert":
            raw[at:at] = draw(st.binary(min_size=1, max_size=9))
        elif raw:
            del raw[at]
    return bytes(raw)


def valid_tx() -> st.SearchStrategy[SignedTransaction]:
    return values_of(codec_of(SignedTransaction))


@FUZZ
@given(data=mutated(valid_tx().map(codec_of(SignedTransaction).pack)))
def test_mutated_transactions_raise_only_decode_error(data: bytes) -> None:
    decode_or_decode_error(codec_of(SignedTransaction), data)


@FEW
@given(data=mutated(values_of(codec_of(SignedBlock)).map(codec_of(SignedBlock).pack)))
def test_mutated_blocks_raise_only_decode_error(data: bytes) -> None:
    decode_or_decode_error(codec_of(SignedBlock), data)


@FUZZ
@given(data=mutated(operations().map(OPERATION.pack)))
def test_mutated_operations_raise_only_decode_error(data: bytes) -> None:
    decode_or_decode_error(OPERATION, data)


@pytest.mark.parametrize("target", TARGETS, ids=TARGET_IDS)
@FUZZ
@given(j=json_values)
def test_random_json_raises_only_json_form_error(target: Any, j: Any) -> None:
    parse_or_json_error(codec_of(target), j)


def _leaves(j: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(j, dict):
        return [path] + [p for k, v in j.items() for p in _leaves(v, (*path, k))]
    if isinstance(j, list):
        return [path] + [p for i, v in enumerate(j) for p in _leaves(v, (*path, i))]
    return [path]


def _replace(j: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(j, dict):
        return {**j, head: _replace(j[head], rest, new)}
    return [_replace(v, rest, new) if i == head else v for i, v in enumerate(j)]


@st.composite
def mutated_json(draw: st.DrawFn) -> Any:
    j = OPERATION.to_json(draw(operations()))
    path = draw(st.sampled_from(_leaves(j)))
    return _replace(j, path, draw(json_values))


@FUZZ
@given(j=mutated_json())
def test_mutated_operation_json_raises_only_json_form_error(j: Any) -> None:
    parse_or_json_error(OPERATION, j)


def assert_round_trip(codec: Any, value: Any) -> None:
    raw = codec.pack(value)
    back = codec.unpack(raw)
    assert codec.pack(back) == raw
    j = codec.to_json(value)
    again = codec.from_json(j)
    assert codec.pack(again) == raw
    assert codec.to_json(again) == codec.to_json(back)


@settings(max_examples=300, deadline=2000, suppress_health_check=[HealthCheck.too_slow])
@given(op=operations())
def test_every_operation_round_trips(op: Any) -> None:
    assert_round_trip(OPERATION, op)


@FEW
@given(tx=valid_tx())
def test_transactions_round_trip(tx: SignedTransaction) -> None:
    assert_round_trip(codec_of(SignedTransaction), tx)


@FUZZ
@given(transfer=values_of(codec_of(Transfer)))
def test_transfers_decode_equal(transfer: Transfer) -> None:
    codec = codec_of(Transfer)
    assert codec.unpack(codec.pack(transfer)) == transfer
    assert codec.from_json(codec.to_json(transfer)) == transfer


@st.composite
def canonical_authorities(draw: st.DrawFn) -> Authority:
    weights = st.integers(1, 0xFFFF)
    accounts = sorted(set(draw(st.lists(object_ids(1, 2), max_size=4))))
    keys = sorted(set(draw(st.lists(st.sampled_from(KEYS), max_size=5))))
    addresses = sorted(set(draw(st.lists(st.binary(min_size=20, max_size=20), max_size=3))))
    return Authority(
        draw(st.integers(0, 0xFFFFFFFF)),
        tuple((a, draw(weights)) for a in accounts),
        tuple((k, draw(weights)) for k in keys),
        tuple((a, draw(weights)) for a in addresses),
    )


@FUZZ
@given(auth=canonical_authorities())
def test_canonical_authorities_decode_equal(auth: Authority) -> None:
    codec = codec_of(Authority)
    assert codec.unpack(codec.pack(auth)) == auth
    assert codec.from_json(codec.to_json(auth)) == auth
