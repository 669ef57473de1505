"""Tests for graphex.chain.database: tables, indexes, undo sessions, and a stateful model check."""

from __future__ import annotations

from typing import Any, ClassVar

import msgspec
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from graphex.chain.database import (
    Database,
    DuplicateKey,
    DuplicateObject,
    Object,
    OrderedIndex,
    UndoError,
    UndoSession,
    UniqueIndex,
    UnknownObject,
    UnregisteredType,
    WrongObjectType,
)
from graphex.chain.invariant import InvariantError
from graphex.protocol.ids import ObjectId

Snapshot = dict[ObjectId, dict[str, Any]]


class Balance(Object):
    kind: ClassVar[tuple[int, int]] = (2, 5)
    owner: int
    asset: int
    amount: int = 0


class Order(Object):
    kind: ClassVar[tuple[int, int]] = (1, 7)
    seller: int
    price: int
    tags: tuple[str, ...] = ()


class Props(Object):
    kind: ClassVar[tuple[int, int]] = (2, 0)
    head_block_num: int = 0


def balance_key(b: Balance) -> tuple[int, int]:
    return (b.owner, b.asset)


def make_db() -> Database:
    db = Database()
    db.register(Balance, UniqueIndex("by_owner_asset", balance_key),
                OrderedIndex("by_owner", balance_key))
    db.register(Order, OrderedIndex("by_price", lambda o: o.price))
    db.register(Props)
    return db


def snapshot(db: Database) -> tuple[Snapshot, tuple[int, ...]]:
    objects = {o.id: msgspec.structs.asdict(o) for o in db.all_objects()}
    return objects, tuple(db.next_instance(cls) for cls in (Balance, Order, Props))


def check_indexes(db: Database) -> None:
    """Every index equals one rebuilt from scratch; tables iterate in id order."""
    balances, orders = list(db.table(Balance)), list(db.table(Order))
    assert [b.id for b in balances] == sorted(b.id for b in balances)
    assert all(db.get(b.id) is b for b in balances)
    unique = db.index(Balance, "by_owner_asset")
    assert len(unique) == len(balances) == db.count(Balance)
    assert all(unique.get(balance_key(b)) is b for b in balances)
    assert list(db.ordered(Balance, "by_owner")) == sorted(balances, key=lambda b: (balance_key(b), b.id))
    assert list(db.ordered(Order, "by_price")) == sorted(orders, key=lambda o: (o.price, o.id))
    ids = [o.id for o in db.all_objects()]
    assert ids == sorted(ids)


def test_create_assigns_sequential_ids_and_lookups_work() -> None:
    db = make_db()
    a = db.create(Balance, owner=1, asset=0, amount=5)
    b = db.create(Balance, owner=2, asset=0)
    assert (str(a.id), str(b.id)) == ("2.5.0", "2.5.1")
    assert db.get(ObjectId.parse("2.5.1")) is b and db.get(a.id, Balance) is a
    assert db.find(ObjectId(2, 5, 9)) is None and db.find(a.id, Balance) is a
    assert db.count(Balance) == 2 and list(db.table(Balance)) == [a, b]
    with pytest.raises(UnknownObject, match=r"2\.5\.9"):
        db.get(ObjectId(2, 5, 9))
    with pytest.raises(WrongObjectType, match="Order"):
        db.get(a.id, Order)
    with pytest.raises(UnregisteredType):
        db.create(Object)


def test_create_with_id_bumps_next_instance_and_rejects_duplicates() -> None:
    db = make_db()
    props = db.create_with_id(Props(id=ObjectId(2, 0, 0)))
    assert db.next_instance(Props) == 1 and db.get(ObjectId(2, 0, 0)) is props
    db.create_with_id(Balance(id=ObjectId(2, 5, 7), owner=1, asset=1))
    assert db.create(Balance, owner=2, asset=1).id == ObjectId(2, 5, 8)
    with pytest.raises(DuplicateObject):
        db.create_with_id(Props(id=ObjectId(2, 0, 0)))
    with pytest.raises(InvariantError):
        db.create_with_id(Props(id=ObjectId(2, 1, 0)))


def test_modify_rekeys_indexes_and_ranges() -> None:
    db = make_db()
    orders = [db.create(Order, seller=i, price=p) for i, p in enumerate([30, 10, 20, 10])]
    book = db.ordered(Order, "by_price")
    assert [o.price for o in book] == [10, 10, 20, 30] and book.first() is orders[1]
    assert list(book.range(10, 30)) == [orders[1], orders[3], orders[2]]
    assert list(book.range(lo=20, reverse=True)) == [orders[0], orders[2]]
    assert list(book.equal(10)) == [orders[1], orders[3]] and book.last() is orders[0]
    with db.modify(orders[0]) as o:
        o.price = 5
    assert book.first() is orders[0] and book.get(30) is None
    for owner, asset in ((2, 3), (1, 0), (2, 0), (3, 0)):
        db.create(Balance, owner=owner, asset=asset)
    assert [b.asset for b in db.ordered(Balance, "by_owner").prefix((2,))] == [0, 3]
    check_indexes(db)


def test_unique_violation_on_create_changes_nothing() -> None:
    db = make_db()
    db.create(Balance, owner=1, asset=1, amount=3)
    before = snapshot(db)
    with db.session(), pytest.raises(DuplicateKey, match="by_owner_asset"):
        db.create(Balance, owner=1, asset=1)
    assert snapshot(db) == before
    check_indexes(db)


def test_unique_violation_on_modify_restores_the_object() -> None:
    db = make_db()
    a = db.create(Balance, owner=1, asset=1, amount=3)
    b = db.create(Balance, owner=2, asset=1, amount=4)
    before = snapshot(db)
    for session in (db.session(), None):
        with pytest.raises(DuplicateKey), db.modify(b) as o:
            o.owner, o.amount = 1, 99
        assert snapshot(db) == before and db.get(b.id) is b
        check_indexes(db)
        if session is not None:
            session.undo()
    assert db.index(Balance, "by_owner_asset").get((1, 1)) is a


def build_level(db: Database, level: int) -> None:
    """Create, modify and remove a few objects, including ones from earlier levels."""
    live = sorted(db.table(Balance), key=lambda b: b.id)
    for b in live[:2]:
        with db.modify(b) as o:
            o.amount += 10 + level
            o.asset += 100
    if len(live) > 2:
        db.remove(live[2])
    for i in range(3):
        db.create(Balance, owner=level * 10 + i, asset=0, amount=level)
    order = db.create(Order, seller=level, price=50 - level)
    with db.modify(order) as changed:
        changed.price = level  # modified right after creation: still just "created" for undo
    for oldest in list(db.table(Order))[:1]:
        db.remove(oldest)


@pytest.mark.parametrize("retained", [0, 1, 3])
def test_undo_restores_each_nesting_level(retained: int) -> None:
    db = make_db()
    build_level(db, 0)
    states = [snapshot(db)]
    for level in range(1, retained + 1):  # retained block states
        with db.session() as s:
            build_level(db, level)
            s.push()
        states.append(snapshot(db))
    block = db.session()
    build_level(db, 50)
    in_block = snapshot(db)
    tx = db.session()
    build_level(db, 60)
    tx.undo()
    assert snapshot(db) == in_block
    check_indexes(db)
    block.undo()
    assert snapshot(db) == states[-1]
    for level in range(retained, 0, -1):
        db.pop_undo()
        assert snapshot(db) == states[level - 1]
        check_indexes(db)
    with pytest.raises(UndoError):
        db.pop_undo()


def test_commit_merges_into_enclosing_session() -> None:
    db = make_db()
    build_level(db, 0)
    start = snapshot(db)
    block = db.session()
    for tx_level in range(1, 4):
        with db.session() as tx:
            build_level(db, tx_level)
            tx.commit()
    assert db.open_sessions == 1
    block.undo()
    assert snapshot(db) == start
    check_indexes(db)


def test_commit_without_enclosing_session_is_permanent() -> None:
    db = make_db()
    with db.session() as s:
        db.create(Balance, owner=1, asset=1)
        s.commit()
    assert db.count(Balance) == 1 and db.open_sessions == 0 and db.undo_stack_size == 0


def test_session_context_undoes_on_exception_including_inner_sessions() -> None:
    db = make_db()
    build_level(db, 0)
    start = snapshot(db)
    with pytest.raises(RuntimeError), db.session():
        build_level(db, 1)
        db.session()  # left open by mistake
        build_level(db, 2)
        raise RuntimeError("boom")
    assert snapshot(db) == start and db.open_sessions == 0
    with db.session() as s:
        build_level(db, 3)
    assert s.open and db.open_sessions == 1  # normal exit leaves the decision to the caller
    s.undo()
    assert snapshot(db) == start


def test_modified_object_restored_in_place_removed_reinserted() -> None:
    db = make_db()
    a = db.create(Balance, owner=1, asset=1, amount=3)
    b = db.create(Balance, owner=2, asset=1, amount=4)
    with db.session() as s:
        with db.modify(a) as o:
            o.amount = 100
        db.remove(b)
        s.undo()
    assert db.get(a.id) is a and a.amount == 3 and db.get(b.id) is b
    with pytest.raises(UnknownObject):
        db.modify(Balance(id=a.id, owner=1, asset=1))  # not the live object


def test_backup_is_taken_once_per_object_per_session(monkeypatch: pytest.MonkeyPatch) -> None:
    db = make_db()
    order = db.create(Order, seller=1, price=1)
    copies: list[ObjectId] = []
    original = Order.snapshot

    def counting(self: Order) -> Order:
        copies.append(self.id)
        return original(self)

    monkeypatch.setattr(Order, "snapshot", counting)
    with db.session() as s:
        for price in range(5):
            with db.modify(order) as o:
                o.price = price
        assert copies == [order.id]
        with db.session() as inner:
            with db.modify(order) as o:
                o.price = 9
            inner.commit()
        assert copies == [order.id, order.id]
        s.undo()
    assert order.price == 1


def test_remove_then_recreate_same_id_then_undo() -> None:
    db = make_db()
    a = db.create(Balance, owner=1, asset=1, amount=3)
    start = snapshot(db)
    for same_object in (True, False):
        with db.session() as s:
            db.remove(a)
            again = a if same_object else Balance(id=a.id, owner=5, asset=5, amount=7)
            db.create_with_id(again)
            with db.modify(again) as o:
                o.amount = 42
            s.undo()
        assert snapshot(db) == start
        assert db.get(a.id) is (a if same_object else again)  # live before and after: in place
        check_indexes(db)


def test_retained_history_is_bounded() -> None:
    db = make_db()
    db.set_max_undo(2)
    for level in range(4):
        with db.session() as s:
            build_level(db, level)
            s.push()
    assert db.undo_stack_size == 2
    db.commit_oldest(1)
    assert db.undo_stack_size == 1
    with pytest.raises(UndoError):
        db.commit_oldest(2)
    db.set_max_undo(0)
    assert db.undo_stack_size == 0


def test_session_misuse_is_an_invariant_error() -> None:
    db = make_db()
    outer = db.session()
    inner = db.session()
    with pytest.raises(InvariantError):
        outer.undo()
    inner.commit()
    with pytest.raises(InvariantError):
        inner.commit()
    nested = db.session()
    with pytest.raises(InvariantError):
        nested.push()  # retaining a session inside another open one


def test_disable_undo_records_nothing() -> None:
    db = make_db()
    with db.session() as s:
        with pytest.raises(UndoError):
            db.disable_undo()
        s.commit()
    db.disable_undo()
    assert not db.enabled
    with db.session() as s:
        b = db.create(Balance, owner=1, asset=1)
        with pytest.raises(UndoError):
            s.undo()
    s2: UndoSession = db.session()
    with db.modify(b) as o:
        o.amount = 3
    s2.push()
    assert db.undo_stack_size == 0 and b.amount == 3
    db.enable_undo()
    assert db.enabled


# -- stateful model check ----------------------------------------------------------------------

Model = dict[ObjectId, dict[str, Any]]
MAX_RETAINED = 3


class DatabaseMachine(RuleBasedStateMachine):
    """Random create/modify/remove/session ops against a model: one deep copy per undo state."""

    def __init__(self) -> None:
        super().__init__()
        self.db = make_db()
        self.db.set_max_undo(MAX_RETAINED)
        self.model: Model = {}
        self.next = {Balance.kind: 0, Order.kind: 0}
        self.levels: list[tuple[Model, dict[tuple[int, int], int]]] = []  # one per undo state
        self.sessions: list[UndoSession] = []
        self.graveyard: dict[ObjectId, dict[str, Any]] = {}

    def copy_model(self) -> tuple[Model, dict[tuple[int, int], int]]:
        return {k: dict(v) for k, v in self.model.items()}, dict(self.next)

    def key_taken(self, owner: int, asset: int, other: ObjectId | None = None) -> bool:
        return any(oid[:2] == Balance.kind and oid != other and (v["owner"], v["asset"]) == (owner, asset)
                   for oid, v in self.model.items())

    def pick(self, n: int, kind: tuple[int, int] | None = None) -> ObjectId | None:
        ids = sorted(oid for oid in self.model if kind is None or oid[:2] == kind)
        return ids[n % len(ids)] if ids else None

    @rule(owner=st.integers(0, 3), asset=st.integers(0, 2), amount=st.integers(0, 10**12))
    def create_balance(self, owner: int, asset: int, amount: int) -> None:
        if self.key_taken(owner, asset):
            with pytest.raises(DuplicateKey):
                self.db.create(Balance, owner=owner, asset=asset, amount=amount)
            return
        b = self.db.create(Balance, owner=owner, asset=asset, amount=amount)
        assert b.id == ObjectId(2, 5, self.next[Balance.kind])
        self.model[b.id] = msgspec.structs.asdict(b)
        self.next[Balance.kind] += 1

    @rule(seller=st.integers(0, 3), price=st.integers(0, 5))
    def create_order(self, seller: int, price: int) -> None:
        o = self.db.create(Order, seller=seller, price=price)
        self.model[o.id] = msgspec.structs.asdict(o)
        self.next[Order.kind] += 1

    @rule(n=st.integers(0, 3), owner=st.integers(0, 3), asset=st.integers(0, 2),  # low n: re-touch
          amount=st.integers(0, 99), price=st.integers(0, 5))
    def modify(self, n: int, owner: int, asset: int, amount: int, price: int) -> None:
        oid = self.pick(n)
        if oid is None:
            return
        obj = self.db.get(oid)
        if isinstance(obj, Order):
            with self.db.modify(obj) as o:
                o.price, o.tags = price, (*o.tags, "m")
        else:
            assert isinstance(obj, Balance)
            if self.key_taken(owner, asset, other=oid):
                with pytest.raises(DuplicateKey), self.db.modify(obj) as b:
                    b.owner, b.asset, b.amount = owner, asset, amount
                return
            with self.db.modify(obj) as b:
                b.owner, b.asset, b.amount = owner, asset, amount
        self.model[oid] = msgspec.structs.asdict(obj)

    @rule(n=st.integers(0, 99))
    def remove(self, n: int) -> None:
        oid = self.pick(n)
        if oid is not None:
            self.db.remove(self.db.get(oid))
            self.graveyard[oid] = self.model.pop(oid)

    @rule(n=st.integers(0, 99), jump=st.integers(0, 3))
    def create_with_id(self, n: int, jump: int) -> None:
        dead = sorted(oid for oid in self.graveyard if oid not in self.model)
        if dead and jump:
            fields = self.graveyard[dead[n % len(dead)]]
        else:  # a fresh id ahead of next_instance
            fields = {"id": ObjectId(1, 7, self.next[Order.kind] + jump), "seller": 9, "price": n % 6,
                      "tags": ()}
        cls = Balance if fields["id"][:2] == Balance.kind else Order
        if cls is Balance and self.key_taken(fields["owner"], fields["asset"]):
            return
        self.db.create_with_id(msgspec.convert(fields, cls))
        self.model[fields["id"]] = dict(fields)
        kind = cls.kind
        self.next[kind] = max(self.next[kind], fields["id"].instance + 1)

    @rule()
    def start_session(self) -> None:
        self.levels.append(self.copy_model())
        self.sessions.append(self.db.session())

    @precondition(lambda self: self.sessions)
    @rule()
    def undo(self) -> None:
        self.sessions.pop().undo()
        self.model, self.next = self.levels.pop()

    @precondition(lambda self: self.sessions)
    @rule()
    def commit(self) -> None:
        self.sessions.pop().commit()
        self.levels.pop()

    @precondition(lambda self: len(self.sessions) == 1)
    @rule()
    def push(self) -> None:
        self.sessions.pop().push()
        if len(self.levels) > MAX_RETAINED:
            self.levels.pop(0)

    @precondition(lambda self: not self.sessions and self.levels)
    @rule()
    def pop_undo(self) -> None:
        self.db.pop_undo()
        self.model, self.next = self.levels.pop()

    @precondition(lambda self: not self.sessions and self.levels)
    @rule()
    def commit_oldest(self) -> None:
        self.db.commit_oldest(1)
        self.levels.pop(0)

    @invariant()
    def matches_model(self) -> None:
        objects, next_instances = snapshot(self.db)
        assert objects == self.model
        assert next_instances[:2] == (self.next[Balance.kind], self.next[Order.kind])
        assert self.db.open_sessions == len(self.sessions)
        assert self.db.undo_stack_size == len(self.levels) - len(self.sessions)
        check_indexes(self.db)


DatabaseMachine.TestCase.settings = settings(
    max_examples=150, stateful_step_count=40, deadline=None,
    suppress_health_check=[HealthCheck.too_slow])
TestDatabaseMachine = DatabaseMachine.TestCase
