"""The operation base class, its registry, the ``operation`` variant and operation results."""

from __future__ import annotations

import threading
from typing import Annotated, Any, ClassVar

from ..codec import Codec, DecodeError, Json, JsonFormError, VariantCodec
from ..ids import ObjectId
from ..struct import EXT, SET, WireStruct, codec_of
from ..types import AccountId, Asset, GenericId


class Operation(WireStruct, frozen=True):
    """An operation. Subclasses set ``op_id`` and ``fee_payer_field``; the first field is ``fee``."""

    op_id: ClassVar[int]
    fee_payer_field: ClassVar[str]
    virtual: ClassVar[bool] = False

    @property
    def fee_payer(self) -> ObjectId:
        payer: ObjectId = getattr(self, self.fee_payer_field)
        return payer

    def required_active(self) -> tuple[ObjectId, ...]:
        """Accounts whose active authority the operation needs (default: the fee payer)."""
        return (self.fee_payer,)

    def required_owner(self) -> tuple[ObjectId, ...]:
        """Accounts whose owner authority the operation needs (default: none)."""
        return ()

    @property
    def fee_amount(self) -> Asset:
        fee: Asset = getattr(self, "fee")  # noqa: B009 (subclasses declare the field)
        return fee


_REGISTRY: dict[int, type[Operation]] = {}


def op_class(cls: type[Operation]) -> type[Operation]:
    """Class decorator registering an operation under its ``op_id``."""
    if cls.op_id in _REGISTRY:
        raise TypeError(f"operation id {cls.op_id} registered twice")
    _REGISTRY[cls.op_id] = cls
    _OPERATION_CODECS[cls.op_id] = _LazyCodec(cls)
    return cls


def registered_ops() -> dict[int, type[Operation]]:
    return dict(sorted(_REGISTRY.items()))


class _LazyCodec(Codec[Any]):
    """Builds an operation's struct codec on first use (after all modules have loaded)."""

    def __init__(self, cls: type[Operation]) -> None:
        self.cls, self.name = cls, cls.__name__
        self._codec: Codec[Any] | None = None

    def _get(self) -> Codec[Any]:
        if self._codec is None:
            self._codec = codec_of(self.cls)
        return self._codec

    def write(self, out: bytearray, value: Any) -> None:
        self._get().write(out, value)

    def read(self, data: bytes, pos: int) -> tuple[Any, int]:
        return self._get().read(data, pos)

    def to_json(self, value: Any) -> Json:
        return self._get().to_json(value)

    def from_json(self, j: Json) -> Any:
        return self._get().from_json(j)


_OPERATION_CODECS: dict[int, Codec[Any]] = {}


MAX_OPERATION_NESTING = 16
"""Deepest nesting of operations in operations (proposals in proposals) a decoder accepts, so
hostile input cannot exhaust the Python stack."""

_nesting = threading.local()


class _OperationVariant(VariantCodec[Operation]):
    def codec_for(self, tag: int) -> Codec[Any]:
        codec = self.codecs.get(tag)
        if codec is None:
            raise DecodeError(f"unknown or unsupported operation id {tag}")
        return codec

    def _enter(self, error: type[ValueError]) -> int:
        level: int = getattr(_nesting, "level", 0)
        if level >= MAX_OPERATION_NESTING:
            raise error(f"operations nested deeper than {MAX_OPERATION_NESTING} levels")
        _nesting.level = level + 1
        return level

    def read(self, data: bytes, pos: int) -> tuple[Operation, int]:
        level = self._enter(DecodeError)
        try:
            return super().read(data, pos)
        finally:
            _nesting.level = level

    def from_json(self, j: Json) -> Operation:
        if isinstance(j, list) and len(j) == 2 and isinstance(j[0], int) and j[0] not in self.codecs:
            raise JsonFormError(f"unknown or unsupported operation id {j[0]}")
        level = self._enter(JsonFormError)
        try:
            return super().from_json(j)
        finally:
            _nesting.level = level


OPERATION: VariantCodec[Operation] = _OperationVariant(
    "operation", _OPERATION_CODECS, lambda op: op.op_id
)
"""The ``operation`` static variant: ``varint op_id ‖ op``; JSON ``[op_id, {...}]``."""


# --- operation results -------------------------------------------------------------------------


class VoidResult(WireStruct, frozen=True):
    pass


class GenericOperationResult(WireStruct, frozen=True):
    new_objects: tuple[GenericId, ...]
    updated_objects: tuple[GenericId, ...]
    removed_objects: tuple[GenericId, ...]


class ExtendableOperationResult(WireStruct, frozen=True):
    """``extendable_operation_result`` (an ``extension<>``: only the fields set go on the wire);
    ``asset_settle`` returns what was paid, received and taken as fees, and any new object."""

    impacted_accounts: Annotated[tuple[AccountId, ...], SET] | None = None
    new_objects: Annotated[tuple[GenericId, ...], SET] | None = None
    updated_objects: Annotated[tuple[GenericId, ...], SET] | None = None
    removed_objects: Annotated[tuple[GenericId, ...], SET] | None = None
    paid: tuple[Asset, ...] | None = None
    received: tuple[Asset, ...] | None = None
    fees: tuple[Asset, ...] | None = None


EXTENDABLE_RESULT = 5


class OperationResult(WireStruct, frozen=True):
    """``operation_result``: 0 void, 1 object id, 2 asset, 5 extendable result (held here as a
    tagged value)."""

    which: int
    value: Any = None


class _ResultCodec(VariantCodec[OperationResult]):
    def __init__(self) -> None:
        from ..codec import OBJECT_ID

        super().__init__(
            "operation_result",
            {0: codec_of(VoidResult), 1: OBJECT_ID, 2: codec_of(Asset),
             EXTENDABLE_RESULT: codec_of(Annotated[ExtendableOperationResult, EXT])},
            lambda r: r.which,
        )

    def write(self, out: bytearray, value: OperationResult) -> None:
        from ..codec import write_varint

        write_varint(out, value.which)
        self.codecs[value.which].write(out, VoidResult() if value.which == 0 else value.value)

    def read(self, data: bytes, pos: int) -> tuple[OperationResult, int]:
        from ..codec import read_varint

        which, pos = read_varint(data, pos, "operation_result tag")
        value, pos = self.codec_for(which).read(data, pos)
        return OperationResult(which, None if which == 0 else value), pos

    def to_json(self, value: OperationResult) -> Json:
        if value.which == 0:
            return [0, {}]
        return [value.which, self.codecs[value.which].to_json(value.value)]

    def from_json(self, j: Json) -> OperationResult:
        tag = j[0] if isinstance(j, list) and len(j) == 2 else None
        if type(tag) is not int or tag not in self.codecs:
            raise JsonFormError(f"bad operation_result {str(j)[:60]!r}")
        return OperationResult(j[0], None if j[0] == 0 else self.codecs[j[0]].from_json(j[1]))


OPERATION_RESULT = _ResultCodec()
VOID_RESULT = OperationResult(0)


def object_result(object_id: ObjectId) -> OperationResult:
    return OperationResult(1, object_id)


def asset_result(asset: Asset) -> OperationResult:
    return OperationResult(2, asset)


def extendable_result(value: ExtendableOperationResult) -> OperationResult:
    return OperationResult(EXTENDABLE_RESULT, value)
