"""Hypothesis strategies derived from codecs: a valid random value of any wire type.

:func:`values_of` walks a codec (struct fields, optionals, vectors, variants …) and builds a
strategy producing values that encode; operations nest at most one proposal deep.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from graphex.protocol import codec as c
from graphex.protocol.fee_schedule import FEE_SHAPES, FeeParameters, FeeParametersCodec
from graphex.protocol.ids import INSTANCE_MAX, ObjectId
from graphex.protocol.keys import PrivateKey
from graphex.protocol.operations import OPERATION, registered_ops
from graphex.protocol.operations.base import OperationResult, _LazyCodec, _ResultCodec
from graphex.protocol.struct import ExtensionCodec, StructCodec, codec_of
from graphex.protocol.types import PublicKeyCodec, VoteIdCodec

KEYS = [PrivateKey.from_seed(f"strategy-key-{i}").public_key for i in range(5)]
instances = st.integers(0, INSTANCE_MAX) | st.integers(0, 300)


def object_ids(space: int, type_: int) -> st.SearchStrategy[ObjectId]:
    return st.builds(ObjectId, st.just(space), st.just(type_), instances)


def values_of(codec: c.Codec[Any], depth: int = 0) -> st.SearchStrategy[Any]:
    """A strategy for valid values of ``codec``'s wire type."""
    if isinstance(codec, _LazyCodec):
        return values_of(codec._get(), depth)
    if isinstance(codec, StructCodec):
        fields = [values_of(fc, depth) for _, _, fc, _ in codec.fields]
        return st.tuples(*fields).map(codec.build)
    if isinstance(codec, ExtensionCodec):
        return values_of(codec.inner, depth)
    if codec is OPERATION:
        return operations(depth)
    return _leaf_or_container(codec, depth)


def _leaf_or_container(codec: c.Codec[Any], depth: int) -> st.SearchStrategy[Any]:
    simple: dict[type, st.SearchStrategy[Any]] = {
        c.VarUIntCodec: st.integers(0, c.UINT32_MAX),
        c.BoolCodec: st.booleans(),
        c.StringCodec: st.text(max_size=12),
        c.BytesCodec: st.binary(max_size=24),
        c.TimePointSecCodec: st.integers(0, c.UINT32_MAX),
        c.FutureExtensionsCodec: st.just(()),
        c.VoidCodec: st.just(()),
        PublicKeyCodec: st.sampled_from(KEYS),
        VoteIdCodec: st.builds(
            lambda t, i: t | i << 8, st.integers(0, 255), st.integers(0, 1 << 23)
        ),
        c.ObjectIdCodec: st.builds(ObjectId, st.integers(0, 255), st.integers(0, 255), instances),
    }
    if type(codec) in simple:
        return simple[type(codec)]
    if isinstance(codec, c.IntCodec):
        return st.integers(codec.lo, codec.hi)
    if isinstance(codec, c.FixedBytesCodec):
        return st.binary(min_size=codec.size, max_size=codec.size)
    if isinstance(codec, c.TypedIdCodec):
        return object_ids(codec.space, codec.type)
    if isinstance(codec, c.OptionalCodec):
        return st.none() | values_of(codec.inner, depth)
    if isinstance(codec, c.VectorCodec):  # also sets and maps
        return st.lists(values_of(codec.inner, depth), max_size=3).map(tuple)
    if isinstance(codec, c.PairCodec):
        return st.tuples(values_of(codec.key, depth), values_of(codec.value, depth))
    if isinstance(codec, FeeParametersCodec):
        return st.sampled_from(sorted(FEE_SHAPES)).flatmap(
            lambda i: values_of(codec_of(FEE_SHAPES[i])).map(lambda p: FeeParameters(i, p))
        )
    if isinstance(codec, _ResultCodec):
        return st.one_of(
            st.just(OperationResult(0)),
            values_of(c.OBJECT_ID).map(lambda v: OperationResult(1, v)),
            values_of(codec.codecs[2]).map(lambda v: OperationResult(2, v)),
        )
    if isinstance(codec, c.VariantCodec):
        tags = sorted(codec.codecs)
        return st.sampled_from(tags).flatmap(lambda t: values_of(codec.codecs[t], depth))
    raise TypeError(f"no strategy for codec {codec.name} ({type(codec).__name__})")


def operations(depth: int = 0) -> st.SearchStrategy[Any]:
    """Any registered operation; proposals (which hold operations) only at the top level."""
    nesting = {22}
    ids = [i for i in registered_ops() if depth == 0 or i not in nesting]
    return st.sampled_from(ids).flatmap(
        lambda i: values_of(codec_of(registered_ops()[i]), depth + 1)
    )
