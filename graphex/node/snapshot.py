"""State snapshots: the whole object database as bytes, and back.

Layout: ``magic ‖ varint table count ‖ (u8 space, u8 type, varint next_instance)… ‖ varint object
count ‖ (varint length ‖ object bytes)…``, objects in id order. An object's bytes are its canonical
encoding (the same bytes the state hash covers), which begin with its 8-byte id, so the class is
found from the id's (space, type). Loading checks the state hash recorded beside the snapshot.
"""

from __future__ import annotations

from ..chain.database import Object
from ..chain.invariant import InvariantError
from ..chain.state import ChainState
from ..protocol.codec import DecodeError, read_varint, write_varint
from ..protocol.ids import ObjectId
from ..protocol.struct import codec_of

MAGIC = b"GPXSNAP1"


def encode_state(state: ChainState) -> bytes:
    db = state.db
    out = bytearray(MAGIC)
    counters = db.next_instances()
    write_varint(out, len(counters))
    for (space, type_), next_instance in sorted(counters.items()):
        out += bytes((space, type_))
        write_varint(out, next_instance)
    objects = list(db.all_objects())
    write_varint(out, len(objects))
    for obj in objects:
        raw = codec_of(type(obj)).pack(obj)
        write_varint(out, len(raw))
        out += raw
    return bytes(out)


def decode_into(state: ChainState, data: bytes, expected_hash: bytes) -> None:
    """Fill an empty state's database from snapshot bytes; verify the state hash."""
    if not data.startswith(MAGIC):
        raise DecodeError("not a graphex state snapshot (bad magic)")
    db = state.db
    classes = {cls.kind: cls for cls in db.registered_classes()}
    pos = len(MAGIC)
    count, pos = read_varint(data, pos)
    counters: dict[tuple[int, int], int] = {}
    for _ in range(count):
        kind = (data[pos], data[pos + 1])
        counters[kind], pos = read_varint(data, pos + 2)
    count, pos = read_varint(data, pos)
    for _ in range(count):
        size, pos = read_varint(data, pos)
        raw = data[pos : pos + size]
        pos += size
        oid = ObjectId.unpack(int.from_bytes(raw[:8], "little"))
        cls: type[Object] | None = classes.get((oid.space, oid.type))
        if cls is None:
            raise DecodeError(f"snapshot holds object {oid} of an unknown kind")
        db.create_with_id(codec_of(cls).unpack(raw))
    db.restore_next_instances(counters)
    actual = state.state_hash()
    if actual != expected_hash:
        raise InvariantError(
            f"snapshot state hash mismatch: recorded {expected_hash.hex()}, loaded {actual.hex()}"
        )
