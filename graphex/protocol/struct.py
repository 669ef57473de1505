"""Wire structs: ``msgspec.Struct`` classes whose annotations say their wire types.

A wire struct's fields, in declaration order, are its ``FC_REFLECT`` field list. Each annotation
names a codec, either directly through ``Annotated[int, U16]`` aliases (see :mod:`.types`) or by
type: ``bool``, ``str``, ``bytes``, another wire struct, ``X | None`` (optional) and
``tuple[X, ...]`` (vector). ``Annotated[..., SET]`` / ``Annotated[..., MAP]`` / ``Annotated[..., EXT]``
mark flat_sets, flat_maps and ``extension<T>`` structs. A field's JSON name is its msgspec
``name=`` (``from_: ... = field(name="from")``).

``codec_of(cls)`` builds (once, cached) the codec for a struct class.
"""

from __future__ import annotations

import types
import typing
from typing import Annotated, Any, TypeVar, get_args, get_origin

import msgspec

from .codec import (
    BOOL,
    BYTES,
    OBJECT_ID,
    STRING,
    Codec,
    DecodeError,
    FutureExtensionsCodec,
    Json,
    JsonFormError,
    OptionalCodec,
    PairCodec,
    SetCodec,
    VectorCodec,
    map_codec,
    need,
    read_varint,
    write_varint,
)
from .ids import ObjectId

S = TypeVar("S", bound=msgspec.Struct)


class Marker:
    """An ``Annotated`` marker that changes how a container type is encoded."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


SET = Marker("SET")
MAP = Marker("MAP")
EXT = Marker("EXT")


class WireStruct(msgspec.Struct, frozen=True):
    """Base of frozen wire structs (operations, transactions, protocol values)."""


class StructCodec(Codec[S]):
    """A struct: its fields' encodings concatenated in declaration order. JSON: an object."""

    def __init__(self, cls: type[S], fields: list[tuple[str, str, Codec[Any], bool]]) -> None:
        self.cls, self.name = cls, cls.__name__
        self.fields = fields  # (attribute, json name, codec, optional)
        self.writers = [(attr, codec.write) for attr, _, codec, _ in fields]
        self.readers = [codec.read for _, _, codec, _ in fields]
        self.attrs = [attr for attr, _, _, _ in fields]
        # keyword-only structs (chain objects) cannot take positional arguments
        self.positional = len(getattr(cls, "__match_args__", ())) == len(fields)
        # a field absent from JSON takes its declared default, as fc's from_variant leaves it
        defaults = getattr(cls, "__struct_defaults__", ())
        self.defaults = {
            attr: default
            for attr, default in zip(self.attrs[len(self.attrs) - len(defaults) :], defaults)
            if type(default).__name__ != "Factory"  # default_factory: not used by wire structs
        }

    def build(self, values: list[Any]) -> S:
        if self.positional:
            return self.cls(*values)
        return self.cls(**dict(zip(self.attrs, values)))

    def write(self, out: bytearray, value: S) -> None:
        for attr, write in self.writers:
            write(out, getattr(value, attr))

    def read(self, data: bytes, pos: int) -> tuple[S, int]:
        values = []
        for read in self.readers:
            item, pos = read(data, pos)
            values.append(item)
        return self.build(values), pos

    def to_json(self, value: S) -> Json:
        out = {}
        for attr, json_name, codec, optional in self.fields:
            item = getattr(value, attr)
            if optional and item is None:
                continue
            out[json_name] = codec.to_json(item)
        return out

    def from_json(self, j: Json) -> S:
        if not isinstance(j, dict):
            raise JsonFormError(f"{self.name}: expected an object, got {type(j).__name__}")
        values: list[Any] = []
        for attr, json_name, codec, optional in self.fields:
            if json_name not in j:
                if optional:
                    values.append(None)
                    continue
                if isinstance(codec, (FutureExtensionsCodec, ExtensionCodec)):
                    values.append(codec.from_json(None))
                    continue
                if attr in self.defaults:
                    values.append(self.defaults[attr])
                    continue
                raise JsonFormError(f"{self.name}: missing field '{json_name}'")
            try:
                values.append(codec.from_json(j[json_name]))
            except JsonFormError as exc:
                raise JsonFormError(f"{self.name}.{json_name}: {exc}") from None
            except (TypeError, ValueError, OverflowError) as exc:
                raise JsonFormError(f"{self.name}.{json_name}: {exc}") from None
        try:
            return self.build(values)
        except (TypeError, ValueError) as exc:
            raise JsonFormError(f"{self.name}: {exc}") from None


class ExtensionCodec(Codec[S]):
    """``extension<T>``: varint N ‖ N × (varint field index ‖ value) over T's set fields.

    T's fields are all optional. JSON: an object holding the set fields only.
    """

    def __init__(self, inner: StructCodec[S]) -> None:
        self.inner, self.name = inner, f"extension<{inner.name}>"
        self.codecs = [codec for _, _, codec, _ in inner.fields]
        for attr, _, codec, _ in inner.fields:
            if not isinstance(codec, OptionalCodec):
                raise TypeError(f"{self.name}.{attr} must be optional")

    def write(self, out: bytearray, value: S) -> None:
        present = [
            (i, getattr(value, attr))
            for i, (attr, _, _, _) in enumerate(self.inner.fields)
            if getattr(value, attr) is not None
        ]
        write_varint(out, len(present))
        for index, item in present:
            write_varint(out, index)
            self.codecs[index].inner.write(out, item)  # type: ignore[attr-defined]

    def read(self, data: bytes, pos: int) -> tuple[S, int]:
        count, pos = read_varint(data, pos, self.name + " count")
        values: list[Any] = [None] * len(self.codecs)
        last = -1
        for _ in range(count):
            index, pos = read_varint(data, pos, self.name + " index")
            if index >= len(self.codecs) or index <= last:
                raise DecodeError(f"{self.name}: bad field index {index} before offset {pos}")
            values[index], pos = self.codecs[index].inner.read(data, pos)  # type: ignore[attr-defined]
            last = index
        return self.inner.build(values), pos

    def to_json(self, value: S) -> Json:
        return self.inner.to_json(value)

    def from_json(self, j: Json) -> S:
        if j is None or j == []:
            j = {}
        return self.inner.from_json(j)


_CACHE: dict[Any, Codec[Any]] = {}


def codec_of(tp: Any) -> Codec[Any]:
    """The codec for a type annotation or a wire struct class."""
    key = tp
    try:
        cached = _CACHE.get(key)
    except TypeError:  # unhashable annotation
        cached, key = None, None
    if cached is not None:
        return cached
    codec = _build(tp)
    if key is not None:
        _CACHE[key] = codec
    return codec


def _build(tp: Any) -> Codec[Any]:
    if get_origin(tp) is Annotated:
        base, *meta = get_args(tp)
        for m in meta:
            if isinstance(m, Codec):
                return m
        for m in meta:
            if m is SET:
                return SetCodec(codec_of(get_args(base)[0]))
            if m is MAP:
                k, v = get_args(get_args(base)[0])
                return map_codec(codec_of(k), codec_of(v))
            if m is EXT:
                inner = codec_of(base)
                if not isinstance(inner, StructCodec):
                    raise TypeError(f"EXT needs a struct, got {base!r}")
                return ExtensionCodec(inner)
        return codec_of(base)
    if tp is ObjectId:
        return OBJECT_ID
    if tp is bool:
        return BOOL
    if tp is str:
        return STRING
    if tp is bytes:
        return BYTES
    origin = get_origin(tp)
    if origin in (types.UnionType, typing.Union):
        args = [a for a in get_args(tp) if a is not type(None)]
        if len(args) != 1:
            raise TypeError(f"unsupported union {tp!r}")
        return OptionalCodec(codec_of(args[0]))
    if origin is tuple:
        args = list(get_args(tp))
        if len(args) == 2 and args[1] is Ellipsis:
            return VectorCodec(codec_of(args[0]))
        if len(args) == 2:
            return PairCodec(codec_of(args[0]), codec_of(args[1]))
        raise TypeError(f"unsupported tuple type {tp!r}")
    if isinstance(tp, type) and issubclass(tp, msgspec.Struct):
        return _struct_codec(tp)
    raise TypeError(f"no wire codec for {tp!r}")


def _struct_codec(cls: type[msgspec.Struct]) -> Codec[Any]:
    custom = cls.__dict__.get("__codec__")
    if custom is not None:
        return custom  # type: ignore[no-any-return]
    hints = typing.get_type_hints(cls, include_extras=True)
    fields = []
    for attr, json_name in zip(cls.__struct_fields__, cls.__struct_encode_fields__):
        codec = codec_of(hints[attr])
        fields.append((attr, json_name, codec, isinstance(codec, OptionalCodec)))
    return StructCodec(cls, fields)


def pack(value: msgspec.Struct) -> bytes:
    """The wire bytes of a struct value."""
    return codec_of(type(value)).pack(value)


def unpack(cls: type[S], data: bytes) -> S:
    """Decode a struct of class ``cls`` from exactly ``data``."""
    value: S = codec_of(cls).unpack(data)
    return value


def to_json(value: msgspec.Struct) -> Json:
    return codec_of(type(value)).to_json(value)


def from_json(cls: type[S], j: Json) -> S:
    value: S = codec_of(cls).from_json(j)
    return value


__all__ = [
    "EXT",
    "MAP",
    "SET",
    "ExtensionCodec",
    "StructCodec",
    "WireStruct",
    "codec_of",
    "from_json",
    "need",
    "pack",
    "to_json",
    "unpack",
]
