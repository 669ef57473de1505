"""The Graphene binary codec (fc::raw) and the BitShares JSON forms, for every wire type.

A :class:`Codec` knows four things about one wire type: how to append a value to a byte buffer,
how to read it back from bytes at a position, and its JSON form both ways. Codecs compose:
structs, vectors, optionals, maps, static variants and ``extension<T>`` are built from smaller
codecs. Struct codecs are derived from the type annotations of ``msgspec.Struct`` classes (see
:mod:`graphex.protocol.struct`), so a field list reads like BitShares' ``FC_REFLECT``.

Invariants: ``read(write(v)) == v`` for every valid value; decoding never reads past the buffer
and reports what it was decoding and where when the bytes are bad (:class:`DecodeError`);
JSON parsing reports the field path when the JSON is bad (:class:`JsonFormError`).
"""

from __future__ import annotations

import calendar
import struct as _struct
import time
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

from .ids import ObjectId, ObjectIdError

T = TypeVar("T")
K = TypeVar("K")
V = TypeVar("V")

Json = Any
"""A JSON value as the stdlib json module produces: dict, list, str, int, bool or None."""

MAX_VECTOR_LENGTH = 1 << 20
"""Upper bound on any decoded vector/set/map length and byte string (fc's MAX_ARRAY_ALLOC_SIZE)."""

INT32_MIN, INT32_MAX, UINT32_MAX = -(1 << 31), (1 << 31) - 1, (1 << 32) - 1


class DecodeError(ValueError):
    """Bytes that are not a valid encoding of the expected type."""


class JsonFormError(ValueError):
    """JSON that is not a valid form of the expected type."""


class Codec(Generic[T]):
    """One wire type: binary pack/unpack and JSON form."""

    name = "value"

    def write(self, out: bytearray, value: T) -> None:
        raise NotImplementedError

    def read(self, data: bytes, pos: int) -> tuple[T, int]:
        raise NotImplementedError

    def to_json(self, value: T) -> Json:
        raise NotImplementedError

    def from_json(self, j: Json) -> T:
        raise NotImplementedError

    def sort_key(self, value: T) -> Any:
        """The key that orders values in sets and map keys (BitShares' operator<)."""
        return value

    # Convenience wrappers -------------------------------------------------------------------
    def pack(self, value: T) -> bytes:
        out = bytearray()
        self.write(out, value)
        return bytes(out)

    def unpack(self, data: bytes) -> T:
        value, pos = self.read(data, 0)
        if pos != len(data):
            raise DecodeError(f"{len(data) - pos} trailing bytes after {self.name}")
        return value


def need(data: bytes, pos: int, n: int, what: str) -> None:
    if pos + n > len(data):
        raise DecodeError(f"truncated {what}: needs {n} bytes at offset {pos}, {len(data) - pos} left")


def json_int(j: Json, what: str, lo: int, hi: int) -> int:
    """An integer from its JSON form: a number or a decimal string (BitShares sends large ones as text)."""
    if isinstance(j, bool):
        raise JsonFormError(f"{what}: expected an integer, got a boolean")
    if isinstance(j, str):
        text = j.strip()
        body = text[1:] if text[:1] in "+-" else text
        if not (body.isascii() and body.isdigit()) or len(body) > 40:
            raise JsonFormError(f"{what}: expected an integer, got {j!r}")
        j = int(text)
    if not isinstance(j, int):
        raise JsonFormError(f"{what}: expected an integer, got {type(j).__name__}")
    if not lo <= j <= hi:
        raise JsonFormError(f"{what}: {j} is out of range [{lo}, {hi}]")
    return j


class IntCodec(Codec[int]):
    """Fixed-width little-endian integer. JSON: a number, or a string when fc would print one."""

    def __init__(self, name: str, fmt: str, lo: int, hi: int, json_lo: int, json_hi: int) -> None:
        self.name, self._st = name, _struct.Struct("<" + fmt)
        self.size, self.lo, self.hi = self._st.size, lo, hi
        self.json_lo, self.json_hi = json_lo, json_hi

    def write(self, out: bytearray, value: int) -> None:
        if not self.lo <= value <= self.hi:
            raise OverflowError(f"{self.name} value {value} out of range [{self.lo}, {self.hi}]")
        out += self._st.pack(value)

    def read(self, data: bytes, pos: int) -> tuple[int, int]:
        need(data, pos, self.size, self.name)
        return self._st.unpack_from(data, pos)[0], pos + self.size

    def to_json(self, value: int) -> Json:
        return value if self.json_lo <= value <= self.json_hi else str(value)

    def from_json(self, j: Json) -> int:
        return json_int(j, self.name, self.lo, self.hi)


U8 = IntCodec("uint8", "B", 0, 255, 0, 255)
U16 = IntCodec("uint16", "H", 0, 0xFFFF, 0, 0xFFFF)
U32 = IntCodec("uint32", "I", 0, UINT32_MAX, 0, UINT32_MAX)
U64 = IntCodec("uint64", "Q", 0, (1 << 64) - 1, 0, UINT32_MAX)
I16 = IntCodec("int16", "h", -(1 << 15), (1 << 15) - 1, -(1 << 15), (1 << 15) - 1)
I64 = IntCodec("int64", "q", -(1 << 63), (1 << 63) - 1, INT32_MIN, INT32_MAX)



class UInt128Codec(Codec[int]):
    """``fc::uint128_t``: 16 bytes little-endian; JSON always a decimal string (as fc prints it)."""

    name, size, hi = "uint128", 16, (1 << 128) - 1

    def write(self, out: bytearray, value: int) -> None:
        if not 0 <= value <= self.hi:
            raise OverflowError(f"uint128 value {value} out of range [0, {self.hi}]")
        out += value.to_bytes(16, "little")

    def read(self, data: bytes, pos: int) -> tuple[int, int]:
        need(data, pos, 16, self.name)
        return int.from_bytes(data[pos : pos + 16], "little"), pos + 16

    def to_json(self, value: int) -> Json:
        return str(value)

    def from_json(self, j: Json) -> int:
        if isinstance(j, str) and j.isascii() and j.isdigit():
            j = int(j)
        return json_int(j, self.name, 0, self.hi)


U128 = UInt128Codec()


def write_varint(out: bytearray, value: int) -> None:
    if value < 0:
        raise OverflowError(f"varint cannot hold negative value {value}")
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)


def read_varint(data: bytes, pos: int, what: str = "varint") -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(data):
            raise DecodeError(f"truncated {what} at offset {pos}")
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7
        if shift > 63:
            raise DecodeError(f"{what} longer than 64 bits at offset {pos}")


class VarUIntCodec(Codec[int]):
    """``unsigned_int``: LEB128, at most 32 bits (fc::unsigned_int is uint32)."""

    name = "varint"

    def write(self, out: bytearray, value: int) -> None:
        if not 0 <= value <= UINT32_MAX:
            raise OverflowError(f"varint32 value {value} out of range")
        write_varint(out, value)

    def read(self, data: bytes, pos: int) -> tuple[int, int]:
        value, pos = read_varint(data, pos)
        if value > UINT32_MAX:
            raise DecodeError(f"varint32 value {value} out of range")
        return value, pos

    def to_json(self, value: int) -> Json:
        return value

    def from_json(self, j: Json) -> int:
        return json_int(j, "varint", 0, UINT32_MAX)


VARUINT = VarUIntCodec()


class BoolCodec(Codec[bool]):
    name = "bool"

    def write(self, out: bytearray, value: bool) -> None:
        out.append(1 if value else 0)

    def read(self, data: bytes, pos: int) -> tuple[bool, int]:
        need(data, pos, 1, "bool")
        if data[pos] > 1:
            raise DecodeError(f"bool byte {data[pos]} at offset {pos} is neither 0 nor 1")
        return data[pos] == 1, pos + 1

    def to_json(self, value: bool) -> Json:
        return value

    def from_json(self, j: Json) -> bool:
        if not isinstance(j, bool):
            raise JsonFormError(f"expected a boolean, got {j!r}")
        return j


BOOL = BoolCodec()


def read_length(data: bytes, pos: int, what: str) -> tuple[int, int]:
    n, pos = read_varint(data, pos, what + " length")
    if n > MAX_VECTOR_LENGTH:
        raise DecodeError(f"{what} length {n} exceeds the limit {MAX_VECTOR_LENGTH}")
    return n, pos


class BytesCodec(Codec[bytes]):
    """Variable-length bytes (``vector<char>``): varint length ‖ bytes. JSON: hex."""

    name = "bytes"

    def write(self, out: bytearray, value: bytes) -> None:
        write_varint(out, len(value))
        out += value

    def read(self, data: bytes, pos: int) -> tuple[bytes, int]:
        n, pos = read_length(data, pos, self.name)
        need(data, pos, n, self.name)
        return bytes(data[pos : pos + n]), pos + n

    def to_json(self, value: bytes) -> Json:
        return value.hex()

    def from_json(self, j: Json) -> bytes:
        try:
            return bytes.fromhex(j)
        except (TypeError, ValueError):
            raise JsonFormError(f"expected a hex string, got {str(j)[:40]!r}") from None


BYTES = BytesCodec()


class StringCodec(Codec[str]):
    """UTF-8 string: varint length ‖ bytes. JSON: string."""

    name = "string"

    def write(self, out: bytearray, value: str) -> None:
        BYTES.write(out, value.encode())

    def read(self, data: bytes, pos: int) -> tuple[str, int]:
        raw, pos = BYTES.read(data, pos)
        try:
            return raw.decode(), pos
        except UnicodeDecodeError:
            raise DecodeError(f"string before offset {pos} is not valid UTF-8") from None

    def to_json(self, value: str) -> Json:
        return value

    def from_json(self, j: Json) -> str:
        if not isinstance(j, str):
            raise JsonFormError(f"expected a string, got {type(j).__name__}")
        return j


STRING = StringCodec()


class FixedBytesCodec(Codec[bytes]):
    """Fixed-size bytes with no length prefix (hashes, ids, signatures). JSON: hex."""

    def __init__(self, size: int, name: str) -> None:
        self.size, self.name = size, name

    def write(self, out: bytearray, value: bytes) -> None:
        if len(value) != self.size:
            raise ValueError(f"{self.name} must be {self.size} bytes, got {len(value)}")
        out += value

    def read(self, data: bytes, pos: int) -> tuple[bytes, int]:
        need(data, pos, self.size, self.name)
        return bytes(data[pos : pos + self.size]), pos + self.size

    def to_json(self, value: bytes) -> Json:
        return value.hex()

    def from_json(self, j: Json) -> bytes:
        try:
            raw = bytes.fromhex(j)
        except (TypeError, ValueError):
            raise JsonFormError(f"{self.name}: expected hex, got {str(j)[:40]!r}") from None
        if len(raw) != self.size:
            raise JsonFormError(f"{self.name}: expected {self.size} bytes, got {len(raw)}")
        return raw


RIPEMD160 = FixedBytesCodec(20, "ripemd160")
SHA256 = FixedBytesCodec(32, "sha256")
SIGNATURE = FixedBytesCodec(65, "signature")


def format_time(seconds: int) -> str:
    """``time_point_sec`` JSON form: ``YYYY-MM-DDTHH:MM:SS`` UTC, no zone suffix."""
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))


def parse_time(text: str) -> int:
    if not isinstance(text, str):
        raise JsonFormError(f"time: expected 'YYYY-MM-DDTHH:MM:SS', got {text!r}")
    core = text.removesuffix("Z")
    core = core.split(".")[0]
    try:
        parsed = time.strptime(core, "%Y-%m-%dT%H:%M:%S")
    except ValueError:
        raise JsonFormError(f"time: expected 'YYYY-MM-DDTHH:MM:SS', got {text!r}") from None
    seconds = calendar.timegm(parsed)
    if not 0 <= seconds <= UINT32_MAX:
        raise JsonFormError(f"time {text!r} is outside the uint32 seconds range")
    return seconds


class TimePointSecCodec(Codec[int]):
    """``time_point_sec``: uint32 seconds since the epoch; JSON ``YYYY-MM-DDTHH:MM:SS``."""

    name = "time_point_sec"

    def write(self, out: bytearray, value: int) -> None:
        U32.write(out, value)

    def read(self, data: bytes, pos: int) -> tuple[int, int]:
        return U32.read(data, pos)

    def to_json(self, value: int) -> Json:
        return format_time(value)

    def from_json(self, j: Json) -> int:
        return parse_time(j)


TIME = TimePointSecCodec()


class TypedIdCodec(Codec[ObjectId]):
    """A typed id (``account_id_type`` …): varint of the instance only; JSON ``"1.2.17"``."""

    def __init__(self, space: int, type_: int, name: str) -> None:
        self.space, self.type, self.name = space, type_, name

    def write(self, out: bytearray, value: ObjectId) -> None:
        if value.space != self.space or value.type != self.type:
            raise ValueError(f"{self.name} expects {self.space}.{self.type}.x, got {value}")
        write_varint(out, value.instance)

    def read(self, data: bytes, pos: int) -> tuple[ObjectId, int]:
        instance, pos = read_varint(data, pos, self.name)
        if instance >= 1 << 48:
            raise DecodeError(f"{self.name} instance {instance} exceeds 48 bits")
        return ObjectId(self.space, self.type, instance), pos

    def to_json(self, value: ObjectId) -> Json:
        return str(value)

    def from_json(self, j: Json) -> ObjectId:
        try:
            value = ObjectId.parse(j)
        except ObjectIdError as exc:
            raise JsonFormError(f"{self.name}: {exc}") from None
        if value.space != self.space or value.type != self.type:
            raise JsonFormError(f"{self.name} must be {self.space}.{self.type}.x, got {j!r}")
        return value


class ObjectIdCodec(Codec[ObjectId]):
    """A generic ``object_id_type``: u64 ``space<<56 | type<<48 | instance``; JSON ``"s.t.i"``."""

    name = "object_id"

    def write(self, out: bytearray, value: ObjectId) -> None:
        U64.write(out, value.packed())

    def read(self, data: bytes, pos: int) -> tuple[ObjectId, int]:
        packed, pos = U64.read(data, pos)
        return ObjectId.unpack(packed), pos

    def to_json(self, value: ObjectId) -> Json:
        return str(value)

    def from_json(self, j: Json) -> ObjectId:
        try:
            return ObjectId.parse(j)
        except ObjectIdError as exc:
            raise JsonFormError(str(exc)) from None


OBJECT_ID = ObjectIdCodec()


class OptionalCodec(Codec["T | None"]):
    """``optional<T>``: u8 0, or u8 1 ‖ T. JSON: absent/null or the value."""

    def __init__(self, inner: Codec[T]) -> None:
        self.inner, self.name = inner, f"optional<{inner.name}>"

    def write(self, out: bytearray, value: T | None) -> None:
        if value is None:
            out.append(0)
        else:
            out.append(1)
            self.inner.write(out, value)

    def read(self, data: bytes, pos: int) -> tuple[T | None, int]:
        need(data, pos, 1, self.name)
        flag = data[pos]
        if flag == 0:
            return None, pos + 1
        if flag != 1:
            raise DecodeError(f"{self.name} flag {flag} at offset {pos} is neither 0 nor 1")
        return self.inner.read(data, pos + 1)

    def to_json(self, value: T | None) -> Json:
        return None if value is None else self.inner.to_json(value)

    def from_json(self, j: Json) -> T | None:
        return None if j is None else self.inner.from_json(j)


class VectorCodec(Codec[tuple[T, ...]]):
    """``vector<T>``: varint count ‖ elements. Held as a tuple. JSON: array."""

    def __init__(self, inner: Codec[T]) -> None:
        self.inner, self.name = inner, f"vector<{inner.name}>"

    def write(self, out: bytearray, value: Sequence[T]) -> None:
        write_varint(out, len(value))
        for item in value:
            self.inner.write(out, item)

    def read(self, data: bytes, pos: int) -> tuple[tuple[T, ...], int]:
        n, pos = read_length(data, pos, self.name)
        items = []
        read = self.inner.read
        for _ in range(n):
            item, pos = read(data, pos)
            items.append(item)
        return tuple(items), pos

    def to_json(self, value: Sequence[T]) -> Json:
        return [self.inner.to_json(item) for item in value]

    def from_json(self, j: Json) -> tuple[T, ...]:
        if not isinstance(j, list):
            raise JsonFormError(f"{self.name}: expected an array, got {type(j).__name__}")
        if len(j) > MAX_VECTOR_LENGTH:
            raise JsonFormError(f"{self.name}: {len(j)} elements exceed the limit")
        out = []
        for i, item in enumerate(j):
            try:
                out.append(self.inner.from_json(item))
            except JsonFormError as exc:
                raise JsonFormError(f"[{i}]: {exc}") from None
        return tuple(out)


class SetCodec(VectorCodec[T]):
    """``flat_set<T>``: like a vector, elements sorted by the inner codec's key and unique.

    Decoding sorts and deduplicates as fc's flat_set insertion does; encoding sorts too, so the
    bytes (and hence transaction ids) are canonical whatever order the caller used.
    """

    def __init__(self, inner: Codec[T]) -> None:
        super().__init__(inner)
        self.name = f"set<{inner.name}>"

    def canonical(self, items: Sequence[T]) -> tuple[T, ...]:
        key = self.inner.sort_key
        unique: dict[Any, T] = {}
        for item in items:
            unique.setdefault(key(item), item)
        return tuple(unique[k] for k in sorted(unique))

    def write(self, out: bytearray, value: Sequence[T]) -> None:
        super().write(out, self.canonical(value))

    def read(self, data: bytes, pos: int) -> tuple[tuple[T, ...], int]:
        items, pos = super().read(data, pos)
        return self.canonical(items), pos

    def to_json(self, value: Sequence[T]) -> Json:
        return super().to_json(self.canonical(value))

    def from_json(self, j: Json) -> tuple[T, ...]:
        return self.canonical(super().from_json(j))


class PairCodec(Codec[tuple[K, V]]):
    """``std::pair<K, V>``: K ‖ V. JSON: ``[k, v]``."""

    def __init__(self, key: Codec[K], value: Codec[V]) -> None:
        self.key, self.value = key, value
        self.name = f"pair<{key.name},{value.name}>"

    def write(self, out: bytearray, value: tuple[K, V]) -> None:
        self.key.write(out, value[0])
        self.value.write(out, value[1])

    def read(self, data: bytes, pos: int) -> tuple[tuple[K, V], int]:
        k, pos = self.key.read(data, pos)
        v, pos = self.value.read(data, pos)
        return (k, v), pos

    def to_json(self, value: tuple[K, V]) -> Json:
        return [self.key.to_json(value[0]), self.value.to_json(value[1])]

    def from_json(self, j: Json) -> tuple[K, V]:
        if not isinstance(j, list) or len(j) != 2:
            raise JsonFormError(f"{self.name}: expected a [key, value] pair")
        return self.key.from_json(j[0]), self.value.from_json(j[1])

    def sort_key(self, value: tuple[K, V]) -> Any:
        return self.key.sort_key(value[0])


def map_codec(key: Codec[K], value: Codec[V]) -> SetCodec[tuple[K, V]]:
    """``flat_map<K, V>``: a set of pairs sorted and unique by key. JSON: ``[[k, v], …]``."""
    codec: SetCodec[tuple[K, V]] = SetCodec(PairCodec(key, value))
    codec.name = f"map<{key.name},{value.name}>"
    return codec


class FutureExtensionsCodec(Codec[tuple[()]]):
    """``extensions_type`` (future_extensions): always empty today. JSON ``[]``."""

    name = "extensions"

    def write(self, out: bytearray, value: tuple[()]) -> None:
        if value:
            raise ValueError("extensions must be empty")
        out.append(0)

    def read(self, data: bytes, pos: int) -> tuple[tuple[()], int]:
        n, pos = read_varint(data, pos, "extensions count")
        if n:
            raise DecodeError(f"extensions at offset {pos} hold {n} entries; none are defined")
        return (), pos

    def to_json(self, value: tuple[()]) -> Json:
        return []

    def from_json(self, j: Json) -> tuple[()]:
        if j in ([], {}, None):
            return ()
        raise JsonFormError(f"extensions: none are defined, got {str(j)[:60]!r}")


EXTENSIONS = FutureExtensionsCodec()


class VariantCodec(Codec[T]):
    """``static_variant<A, B, …>``: varint tag ‖ payload. JSON ``[tag, payload]``.

    ``tag_of`` gives a value's tag; ``codecs`` maps each known tag to its payload codec. A tag with
    no codec is refused with a message naming it (``unknown <name> 42``).
    """

    def __init__(self, name: str, codecs: dict[int, Codec[Any]], tag_of: Callable[[Any], int]):
        self.name, self.codecs, self.tag_of = name, codecs, tag_of

    def codec_for(self, tag: int) -> Codec[Any]:
        codec = self.codecs.get(tag)
        if codec is None:
            raise DecodeError(f"unknown {self.name} {tag}")
        return codec

    def write(self, out: bytearray, value: T) -> None:
        tag = self.tag_of(value)
        write_varint(out, tag)
        self.codecs[tag].write(out, value)

    def read(self, data: bytes, pos: int) -> tuple[T, int]:
        tag, pos = read_varint(data, pos, self.name + " tag")
        value: T
        value, pos = self.codec_for(tag).read(data, pos)
        return value, pos

    def to_json(self, value: T) -> Json:
        tag = self.tag_of(value)
        return [tag, self.codecs[tag].to_json(value)]

    def from_json(self, j: Json) -> T:
        if not isinstance(j, list) or len(j) != 2:
            raise JsonFormError(f"{self.name}: expected [tag, value], got {str(j)[:60]!r}")
        tag = json_int(j[0], self.name + " tag", 0, UINT32_MAX)
        codec = self.codecs.get(tag)
        if codec is None:
            raise JsonFormError(f"unknown {self.name} {tag}")
        result: T = codec.from_json(j[1])
        return result


class VoidCodec(Codec[tuple[()]]):
    """``void_t``: no bytes at all. JSON ``{}``."""

    name = "void"

    def write(self, out: bytearray, value: tuple[()]) -> None:
        pass

    def read(self, data: bytes, pos: int) -> tuple[tuple[()], int]:
        return (), pos

    def to_json(self, value: tuple[()]) -> Json:
        return {}

    def from_json(self, j: Json) -> tuple[()]:
        return ()


VOID = VoidCodec()
