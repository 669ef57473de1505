"""The object database: all chain state in memory, with secondary indexes and undo.

Owns the tables of mutable ``msgspec.Struct`` objects (subclasses of :class:`Object`; one table per
kind ``(space, type)``, handing out sequential instances), their indexes (:class:`UniqueIndex`,
:class:`OrderedIndex`) and the undo stack (Graphene's ``undo_database``): a bottom run of *retained*
block states (for fork switching, ``pop_undo``) under zero or more *open* sessions.

Invariants:
- Every live object is in one table and in each index of its table under its current key. All
  changes go through create / create_with_id / modify / remove; mutating an object outside
  ``modify`` desynchronises indexes and undo (a bug). A failed create/modify changes nothing.
- An undo state records, per id it touched, the object as it was when the state began (``None`` if
  the id was not live) and the next instance of each table it grew. Undo restores exactly those, so
  undo and merge cost is proportional to what changed, never to the size of the state.
- Iteration is deterministic: tables and ``all_objects`` in id order, ordered indexes by (key, id).

Undo semantics:
- Undo restores values. An object live both before and after the undone state keeps its Python
  identity (fields re-assigned from its backup); a removed object comes back as itself, or as its
  backup copy if it was modified earlier in the same state; a created object is dropped.
- Backups are shallow (``Object.snapshot``): inside ``modify`` assign new values to fields, never
  mutate a list/dict/struct field in place (or override ``snapshot``). Don't nest ``modify`` of one
  object.
- ``with db.session() as s:`` undoes the session (and any left open inside it) on exception; on a
  normal exit it stays open and the caller decides: ``s.commit()`` folds it into the state below (or
  makes it permanent if none), ``s.undo()``, or ``s.push()`` retains it as a block state.
- Changes made while no session is open go into the newest retained state (as in Graphene), so
  ``pop_undo`` always lands on a consistent state; with an empty stack they are permanent.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator, Mapping
from types import MappingProxyType, TracebackType
from typing import Any, ClassVar, Generic, Self, TypeVar, overload

import msgspec
from sortedcontainers import SortedList  # type: ignore[import-untyped]

from graphex.chain.invariant import InvariantError, broken, invariant
from graphex.protocol.ids import ObjectId

MAX_UNDO_HISTORY_BLOCKS = 10_000
_ID_MAX = ObjectId(256, 0, 0)  # above every valid id (space <= 255)
_new_tuple = tuple.__new__  # ObjectId(...) runs Python code; this is ~2x faster
Kind = tuple[int, int]


class Object(msgspec.Struct, kw_only=True, gc=False):
    """Base of every chain object; ``id`` is assigned by the database, ``kind`` names the table.

    ``gc=False`` (inherited): objects are plain data, never part of a reference cycle, so the cycle
    collector need not scan millions of them.
    """

    kind: ClassVar[Kind]
    id: ObjectId

    def snapshot(self) -> Self:
        """The undo backup: a shallow copy (override if a subclass mutates fields in place)."""
        return msgspec.structs.replace(self)


T = TypeVar("T", bound=Object)


class DatabaseError(Exception):
    """Base of the object database's typed errors."""


class UnknownObject(DatabaseError, KeyError):
    """No live object has the id (or the object given is not the live one)."""

    def __str__(self) -> str:
        return str(self.args[0])


class DuplicateObject(DatabaseError):
    """create_with_id for an id that is already live."""


class DuplicateKey(DatabaseError):
    """A create or modify would give two objects one key in a unique index."""


class WrongObjectType(DatabaseError):
    """The object with the requested id is not of the requested class."""


class UnregisteredType(DatabaseError):
    """An object class or index name this database has no table for."""


class UndoError(DatabaseError):
    """An undo request that cannot be met (nothing retained, undo disabled)."""


class Index(Generic[T]):
    """A secondary index keyed by ``key_fn(obj)``; keys must compare deterministically."""

    unique: ClassVar[bool] = False
    __slots__ = ("_objects", "key_fn", "name")

    def __init__(self, name: str, key_fn: Callable[[T], Any]) -> None:
        self.name, self.key_fn = name, key_fn
        self._objects: dict[ObjectId, Any] = {}  # the database's id -> object map, set by register


class UniqueIndex(Index[T]):
    """key -> the one object with that key (a dict; ordered iteration sorts: O(n log n))."""

    unique = True
    __slots__ = ("_map",)

    def __init__(self, name: str, key_fn: Callable[[T], Any]) -> None:
        super().__init__(name, key_fn)
        self._map: dict[Any, T] = {}

    def _insert(self, obj: T, key: Any) -> None:
        self._map[key] = obj

    def _remove(self, obj: T, key: Any) -> None:
        if self._map.pop(key, None) is not obj:
            broken(f"unique index {self.name}: {obj.id} was not under {key!r}")

    def get(self, key: Any) -> T | None:
        return self._map.get(key)

    def __iter__(self) -> Iterator[T]:
        """In key order (sorts every call)."""
        return (self._map[key] for key in sorted(self._map))

    def first(self) -> T | None:
        return self._map[min(self._map)] if self._map else None

    def __len__(self) -> int:
        return len(self._map)


class OrderedIndex(Index[T]):
    """A sorted list of ``(key, id)``: range scans in key order, ties broken by id."""

    __slots__ = ("_entries",)

    def __init__(self, name: str, key_fn: Callable[[T], Any]) -> None:
        super().__init__(name, key_fn)
        self._entries = SortedList()

    def _insert(self, obj: T, key: Any) -> None:
        self._entries.add((key, obj.id))

    def _remove(self, obj: T, key: Any) -> None:
        try:
            self._entries.remove((key, obj.id))
        except ValueError:
            broken(f"ordered index {self.name}: {obj.id} was not under {key!r}")

    def _resolve(self, entries: Any) -> Iterator[T]:
        objects = self._objects
        for _, oid in entries:
            yield objects[oid]

    def range(self, lo: Any = None, hi: Any = None, *, reverse: bool = False) -> Iterator[T]:
        """Objects with ``lo <= key < hi`` (``None``: unbounded) in (key, id) order."""
        low = None if lo is None else (lo,)  # (lo,) sorts before every (lo, id)
        high = None if hi is None else (hi,)
        return self._resolve(self._entries.irange(low, high, (True, False), reverse))

    irange = range

    def equal(self, key: Any, *, reverse: bool = False) -> Iterator[T]:
        """Objects whose key equals ``key``, in id order."""
        return self._resolve(self._entries.irange((key,), (key, _ID_MAX), (True, False), reverse))

    def prefix(self, prefix: tuple[Any, ...]) -> Iterator[T]:
        """Objects whose tuple key starts with ``prefix`` (e.g. all balances of one owner)."""
        for key, oid in self._entries.irange((prefix,)):
            if key[: len(prefix)] != prefix:
                return
            yield self._objects[oid]

    def get(self, key: Any) -> T | None:
        return next(self.equal(key), None)

    def first_from(self, lo: Any) -> tuple[Any, T] | None:
        """The first (key, object) with ``key >= lo`` (a key prefix works as ``lo``), or None."""
        entries = self._entries
        i = entries.bisect_left((lo,))
        if i == len(entries):
            return None
        key, oid = entries[i]
        return key, self._objects[oid]

    def first(self) -> T | None:
        return self._objects[self._entries[0][1]] if self._entries else None

    def last(self) -> T | None:
        return self._objects[self._entries[-1][1]] if self._entries else None

    def __iter__(self) -> Iterator[T]:
        return self._resolve(self._entries)

    def __len__(self) -> int:
        return len(self._entries)


class GroupIndex(Index[T]):
    """key -> the objects with that key: a dict of dicts, so adding and removing cost one hash
    each; reading a group sorts it by id (groups are small: one account's orders)."""

    __slots__ = ("_groups",)

    def __init__(self, name: str, key_fn: Callable[[T], Any]) -> None:
        super().__init__(name, key_fn)
        self._groups: dict[Any, dict[ObjectId, T]] = {}

    def _insert(self, obj: T, key: Any) -> None:
        group = self._groups.get(key)
        if group is None:
            self._groups[key] = {obj.id: obj}
        else:
            group[obj.id] = obj

    def _remove(self, obj: T, key: Any) -> None:
        group = self._groups.get(key)
        if group is None or group.pop(obj.id, None) is not obj:
            broken(f"group index {self.name}: {obj.id} was not under {key!r}")
        elif not group:
            del self._groups[key]

    def equal(self, key: Any) -> Iterator[T]:
        """The objects whose key equals ``key``, in id order."""
        group = self._groups.get(key)
        if not group:
            return iter(())
        return iter([group[oid] for oid in sorted(group)])

    def get(self, key: Any) -> T | None:
        """The oldest object with ``key``, or None."""
        group = self._groups.get(key)
        return group[min(group)] if group else None

    def count(self, key: Any) -> int:
        return len(self._groups.get(key, ()))

    def __len__(self) -> int:
        return sum(len(g) for g in self._groups.values())


AnyIndex = UniqueIndex[Any] | OrderedIndex[Any] | GroupIndex[Any]


def _keys_getter(indexes: tuple[AnyIndex, ...]) -> Callable[[Object], list[Any]]:
    fns = tuple(ix.key_fn for ix in indexes)
    if len(fns) == 1:
        (only,) = fns
        return lambda obj: [only(obj)]  # a comprehension costs a function call in 3.11
    return lambda obj: [fn(obj) for fn in fns]


class _Table:
    __slots__ = ("cls", "has_unique", "indexes", "keys_of", "kind", "next_instance", "objects",
                 "ordered", "rekey", "top")

    def __init__(self, cls: type[Object], indexes: tuple[AnyIndex, ...],
                 immutable_keys: bool = False) -> None:
        self.cls, self.kind, self.indexes = cls, cls.kind, indexes
        self.rekey = bool(indexes) and not immutable_keys  # modify must re-key the indexes
        self.objects: dict[ObjectId, Object] = {}
        self.next_instance = 0
        self.keys_of = _keys_getter(indexes)
        self.has_unique = any(ix.unique for ix in indexes)
        self.top, self.ordered = -1, True  # highest instance inserted; a lower one breaks dict order

    def insert(self, obj: Object) -> None:
        if obj.id.instance > self.top:
            self.top = obj.id.instance
        else:
            self.ordered = False
        self.objects[obj.id] = obj

    def values(self) -> Iterator[Object]:
        if not self.ordered:
            items = sorted(self.objects.items())
            self.objects.clear()
            self.objects.update(items)
            self.ordered = True
        return iter(self.objects.values())

    def check_unique(self, obj: Object, keys: list[Any]) -> None:
        for ix, key in zip(self.indexes, keys):
            holder = ix.get(key) if ix.unique else None
            if holder is not None and holder is not obj:
                raise DuplicateKey(f"unique index {self.cls.__name__}.{ix.name}: key {key!r} of "
                                   f"{obj.id} is already held by {holder.id}")

    def index(self, obj: Object, keys: list[Any]) -> None:
        for ix, key in zip(self.indexes, keys):
            ix._insert(obj, key)

    def unindex(self, obj: Object) -> None:
        for ix, key in zip(self.indexes, self.keys_of(obj)):
            ix._remove(obj, key)


class _UndoState:
    __slots__ = ("before", "next_before")

    def __init__(self) -> None:
        self.before: dict[ObjectId, Object | None] = {}  # id -> value when the state began
        self.next_before: dict[Kind, int] = {}  # kind -> next_instance when the state began


class Modification(Generic[T]):
    """``with db.modify(obj) as o:`` backs ``obj`` up for undo and re-keys its indexes on exit."""

    __slots__ = ("_db", "_keys", "_obj", "_rollback", "_table")

    def __init__(self, db: Database, obj: T, table: _Table) -> None:
        self._db, self._obj, self._table = db, obj, table

    def __enter__(self) -> T:
        obj, table, state = self._obj, self._table, self._db._top
        backup = None
        if state is not None and obj.id not in state.before:
            backup = state.before[obj.id] = obj.snapshot()
        if table.rekey:
            self._keys = table.keys_of(obj)
            if table.has_unique:
                self._rollback = backup if backup is not None else obj.snapshot()
        return obj

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        table, obj = self._table, self._obj
        if not table.rekey:
            return
        old_keys, new_keys = self._keys, table.keys_of(obj)
        if new_keys == old_keys:
            return
        if table.has_unique:
            try:
                table.check_unique(obj, new_keys)
            except DuplicateKey:
                _restore_fields(obj, self._rollback)
                raise
        for ix, old, new in zip(table.indexes, old_keys, new_keys):
            if old != new:
                ix._remove(obj, old)
                ix._insert(obj, new)


def _restore_fields(target: Object, source: Object) -> None:
    for name in target.__struct_fields__:
        setattr(target, name, getattr(source, name))


class UndoSession:
    """One undo state; only the newest open session may undo, commit or push."""

    __slots__ = ("_db", "_open", "_state")

    def __init__(self, db: Database, state: _UndoState | None) -> None:
        self._db, self._state, self._open = db, state, True

    @property
    def open(self) -> bool:
        return self._open

    def _close(self) -> _UndoState | None:
        """Mark closed and return the state (None when undo is disabled); must be the newest."""
        if not self._open:
            broken("undo session used after it was closed")
        self._open, db = False, self._db
        if self._state is not None and not (db.open_sessions and db._stack[-1] is self._state):
            broken("undo session is not the newest open session")
        return self._state

    def undo(self) -> None:
        """Revert every change made since this session began."""
        if self._close() is None:
            raise UndoError("undo requested while undo is disabled")
        self._db._revert(self._db._pop())

    def commit(self) -> None:
        """Keep the changes, folding them into the state below (permanent if there is none)."""
        if self._close() is not None:
            state = self._db._pop()
            if self._db._top is not None:
                _merge(state, self._db._top)

    merge = commit

    def push(self) -> None:
        """Keep the changes as a retained block state, undoable later by ``db.pop_undo()``."""
        if self._close() is not None:
            db = self._db
            invariant(db.open_sessions == 1, "push of a session nested in another open session")
            db._retained += 1
            if db._retained > db._max_undo:
                db.commit_oldest(db._retained - db._max_undo)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if exc_type is not None and self._open and self._state is not None:
            db = self._db  # undo sessions left open inside this one, then this one
            while db.open_sessions > 1 and db._stack[-1] is not self._state:
                db._revert(db._pop())
            self.undo()


def _merge(child: _UndoState, parent: _UndoState) -> None:
    """Fold ``child`` into ``parent``: the parent keeps its own, older record of each id."""
    if not parent.before:
        parent.before = child.before
    else:
        for oid, prior in child.before.items():
            parent.before.setdefault(oid, prior)
    for kind, next_instance in child.next_before.items():
        parent.next_before.setdefault(kind, next_instance)


class Database:
    """All objects, by table; see the module docstring for the undo rules."""

    __slots__ = ("_by_class", "_by_name", "_enabled", "_max_undo", "_objects", "_retained",
                 "_stack", "_tables", "_top")

    def __init__(self) -> None:
        self._tables: dict[Kind, _Table] = {}
        self._by_name: dict[tuple[type[Object], str], AnyIndex] = {}
        self._by_class: dict[type[Object], _Table] = {}
        self._objects: dict[ObjectId, Object] = {}
        self._stack: deque[_UndoState] = deque()
        self._retained = 0  # _stack[:_retained] are retained block states, the rest are open
        self._top: _UndoState | None = None  # where changes are recorded; None: not recorded
        self._enabled, self._max_undo = True, MAX_UNDO_HISTORY_BLOCKS

    def register(self, cls: type[T], *indexes: UniqueIndex[T] | OrderedIndex[T] | GroupIndex[T],
                 immutable_keys: bool = False) -> None:
        """Declare the table of ``cls``. ``immutable_keys``: no index key ever changes after an
        object is created (e.g. a balance's owner and asset), so ``modify`` skips re-keying."""
        kind = getattr(cls, "kind", None)
        invariant(isinstance(kind, tuple) and kind not in self._tables, f"bad/duplicate kind {kind}")
        names = [ix.name for ix in indexes]
        invariant(len(set(names)) == len(names), f"{cls.__name__}: duplicate index names {names}")
        for ix in indexes:
            ix._objects = self._objects
        self._tables[cls.kind] = self._by_class[cls] = _Table(cls, indexes, immutable_keys)
        for ix in indexes:
            self._by_name[cls, ix.name] = ix

    def _table(self, cls: type[Object]) -> _Table:
        try:
            return self._by_class[cls]
        except KeyError:
            raise UnregisteredType(f"no table registered for {cls.__name__}") from None

    def create(self, cls: type[T], **fields: Any) -> T:
        table = self._table(cls)
        instance = table.next_instance
        obj = cls(id=_new_tuple(ObjectId, (table.kind[0], table.kind[1], instance)), **fields)
        self._attach(table, obj)
        state = self._top
        if state is not None:
            state.next_before.setdefault(table.kind, instance)
            state.before.setdefault(obj.id, None)
        table.next_instance = instance + 1
        return obj

    def create_with_id(self, obj: T) -> T:
        """Insert ``obj`` under its own id (genesis, fixed ids); next_instance moves past it."""
        table, oid = self._table(type(obj)), obj.id
        invariant(oid[:2] == table.kind, f"{oid} is not of kind {table.kind}")
        if oid in self._objects:
            raise DuplicateObject(f"create_with_id: {oid} already exists")
        self._attach(table, obj)
        state = self._top
        if state is not None:
            state.next_before.setdefault(table.kind, table.next_instance)
            if state.before.setdefault(oid, None) is obj:  # re-inserting an object removed here
                state.before[oid] = obj.snapshot()
        table.next_instance = max(table.next_instance, oid.instance + 1)
        return obj

    def _attach(self, table: _Table, obj: Object) -> None:
        keys = table.keys_of(obj)
        if table.has_unique:
            table.check_unique(obj, keys)
        self._objects[obj.id] = obj
        table.insert(obj)
        for ix, key in zip(table.indexes, keys):
            ix._insert(obj, key)

    def _live(self, obj: Object) -> _Table:
        if self._objects.get(obj.id) is not obj:
            raise UnknownObject(f"{obj.id} ({type(obj).__name__}) is not a live object here")
        return self._by_class[type(obj)]

    def modify(self, obj: T) -> Modification[T]:
        return Modification(self, obj, self._live(obj))

    def remove(self, obj: Object) -> None:
        table = self._live(obj)
        table.unindex(obj)
        del self._objects[obj.id], table.objects[obj.id]
        if self._top is not None:
            self._top.before.setdefault(obj.id, obj)

    @overload
    def get(self, oid: ObjectId) -> Object: ...
    @overload
    def get(self, oid: ObjectId, cls: type[T]) -> T: ...
    def get(self, oid: ObjectId, cls: type[Object] = Object) -> Object:
        obj = self._objects.get(oid)
        if obj is None:
            raise UnknownObject(f"unknown object {oid}")
        if cls is not Object and type(obj) is not cls and not isinstance(obj, cls):
            raise WrongObjectType(f"{oid} is a {type(obj).__name__}, not a {cls.__name__}")
        return obj

    @overload
    def find(self, oid: ObjectId) -> Object | None: ...
    @overload
    def find(self, oid: ObjectId, cls: type[T]) -> T | None: ...
    def find(self, oid: ObjectId, cls: type[Object] = Object) -> Object | None:
        return self.get(oid, cls) if oid in self._objects else None

    def table(self, cls: type[T]) -> Iterator[T]:
        """Objects of ``cls`` in id order (don't create or remove while iterating)."""
        return self._table(cls).values()  # type: ignore[return-value]

    def count(self, cls: type[Object]) -> int:
        return len(self._table(cls).objects)

    def next_instance(self, cls: type[Object]) -> int:
        return self._table(cls).next_instance

    def next_instances(self) -> dict[Kind, int]:
        """Every table's next instance number (saved with snapshots)."""
        return {kind: table.next_instance for kind, table in self._tables.items()}

    def restore_next_instances(self, counters: dict[Kind, int]) -> None:
        """Set tables' next instance numbers (loading a snapshot; never below a live id)."""
        for kind, value in counters.items():
            table = self._tables.get(kind)
            if table is None:
                raise UnregisteredType(f"no table registered for kind {kind}")
            table.next_instance = max(table.next_instance, value)

    def registered_classes(self) -> list[type[Object]]:
        return [table.cls for table in self._tables.values()]

    def index(self, cls: type[T], name: str) -> UniqueIndex[T] | OrderedIndex[T] | GroupIndex[T]:
        found = self._by_name.get((cls, name))
        if found is None:
            self._table(cls)  # an unregistered class is named as such
            raise UnregisteredType(f"{cls.__name__} has no index {name!r}")
        return found

    def ordered(self, cls: type[T], name: str) -> OrderedIndex[T]:
        ix = self.index(cls, name)
        invariant(isinstance(ix, OrderedIndex), f"{cls.__name__}.{name} is not ordered")
        return ix  # type: ignore[return-value]

    def group(self, cls: type[T], name: str) -> GroupIndex[T]:
        ix = self.index(cls, name)
        invariant(isinstance(ix, GroupIndex), f"{cls.__name__}.{name} is not a group index")
        return ix  # type: ignore[return-value]

    def all_objects(self) -> Iterator[Object]:
        """Every object, sorted by id (for the state hash)."""
        for kind in sorted(self._tables):
            yield from self._tables[kind].values()

    def start_undo_session(self) -> UndoSession:
        state = None
        if self._enabled:
            state = self._top = _UndoState()
            self._stack.append(state)
        return UndoSession(self, state)

    session = start_undo_session

    @property
    def enabled(self) -> bool:
        return self._enabled

    def disable_undo(self) -> None:
        """Stop recording changes (replay speed); the undo stack must be empty."""
        if self._stack:
            raise UndoError(f"disable_undo with {len(self._stack)} undo states on the stack")
        self._enabled, self._top = False, None

    def enable_undo(self) -> None:
        self._enabled = True

    @property
    def undo_stack_size(self) -> int:
        """Number of retained (pushed) block states."""
        return self._retained

    @property
    def open_sessions(self) -> int:
        return len(self._stack) - self._retained

    def head_block_changes(self) -> Mapping[ObjectId, Object | None] | None:
        """Read-only view of what the newest retained block state touched: per id, the object as
        it was before that block (``None``: the id was not live then). ``None`` when there is no
        such state to read (undo disabled, nothing retained, or a session open on top of it).

        For observers (API notifications) right after a block is pushed: an id now live with a
        ``None`` prior was created, one live before and now not was removed, else changed. The
        prior objects are undo backups or live objects: never modify them."""
        if self.open_sessions or not self._retained:
            return None
        return MappingProxyType(self._stack[-1].before)

    def set_max_undo(self, max_retained: int) -> None:
        invariant(max_retained >= 0, f"max undo {max_retained} < 0")
        self._max_undo = max_retained
        if self._retained > max_retained:
            self.commit_oldest(self._retained - max_retained)

    def commit_oldest(self, count: int) -> None:
        """Forget the ``count`` oldest retained states (their changes become permanent)."""
        if not 0 <= count <= self._retained:
            raise UndoError(f"commit_oldest({count}) with {self._retained} retained states")
        for _ in range(count):
            self._stack.popleft()
        self._retained -= count
        self._top = self._stack[-1] if self._stack else None

    def pop_undo(self) -> None:
        """Undo the newest retained block state (no session may be open)."""
        if self._retained == 0:
            raise UndoError("pop_undo with no retained undo state")
        invariant(self.open_sessions == 0, "pop_undo while a session is open")
        self._retained -= 1
        self._revert(self._pop())

    def _pop(self) -> _UndoState:
        state = self._stack.pop()
        self._top = self._stack[-1] if self._stack else None
        return state

    def _revert(self, state: _UndoState) -> None:
        objects, by_class = self._objects, self._by_class
        for oid, prior in state.before.items():  # 1: take touched objects out of their indexes
            current = objects.get(oid)
            if current is not None:
                table = by_class[type(current)]
                table.unindex(current)
                if prior is None:
                    del objects[oid], table.objects[oid]
        for oid, prior in state.before.items():  # 2: put the prior values back, re-index them
            if prior is None:
                continue
            table, current = by_class[type(prior)], objects.get(oid)
            if current is None:
                objects[oid] = current = prior
                table.insert(prior)
            elif current is not prior:
                _restore_fields(current, prior)
            keys = table.keys_of(current)
            try:
                table.check_unique(current, keys)
            except DuplicateKey as err:
                raise InvariantError(f"undo produced a duplicate key: {err}") from err
            table.index(current, keys)
        for kind, next_instance in state.next_before.items():
            self._tables[kind].next_instance = next_instance
