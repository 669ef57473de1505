"""Operation history (``1.11.x``) and per-account history, as core's account_history plugin keeps
them with its default options (every account, no operation dropped).

Every applied operation, real or virtual, gets the next id (``1.11.0`` first) in application
order; each account it impacts (:mod:`.impacted`) gets an entry with the next per-account
``sequence`` (1 first), which ``get_relative_account_history`` counts in.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence

from ...chain.applied_ops import AppliedOperation
from ...protocol.ids import ObjectId
from ...protocol.operations.base import OPERATION, OPERATION_RESULT
from .impacted import impacted_accounts
from .objects import OPERATION_HISTORY_SPACE_TYPE, OperationHistoryObject


def record_operations(db: sqlite3.Connection, records: Sequence[AppliedOperation],
                      block_time_s: int) -> None:
    """Append one block's applied operations and their accounts' entries."""
    row = db.execute("SELECT MAX(id) FROM operations").fetchone()
    first_id = 0 if row[0] is None else int(row[0]) + 1
    last_sequence: dict[int, int] = {}  # account -> its last sequence, read once per block
    entries = []
    for op_id, record in enumerate(records, first_id):
        for account in impacted_accounts(record.op, record.result):
            owner = account.instance
            if owner not in last_sequence:
                last = db.execute("SELECT MAX(sequence) FROM account_ops WHERE account = ?",
                                  (owner,)).fetchone()[0]
                last_sequence[owner] = 0 if last is None else int(last)
            last_sequence[owner] += 1
            entries.append((owner, op_id, last_sequence[owner]))
    db.executemany(
        "INSERT INTO operations (id, block_num, trx_in_block, op_in_trx, virtual_op, is_virtual, "
        "block_time, op_type, op, result) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [(op_id, r.block_num, r.trx_in_block, r.op_in_trx, r.virtual_op, int(r.is_virtual),
          block_time_s, r.op.op_id, OPERATION.pack(r.op), OPERATION_RESULT.pack(r.result))
         for op_id, r in enumerate(records, first_id)],
    )
    db.executemany("INSERT INTO account_ops (account, op_id, sequence) VALUES (?, ?, ?)",
                   entries)


_COLUMNS = ("id, op, result, block_num, trx_in_block, op_in_trx, virtual_op, is_virtual, "
            "block_time")


def _objects(db: sqlite3.Connection, op_ids: Iterable[int]) -> list[OperationHistoryObject]:
    found = []
    for op_id in op_ids:
        row = db.execute(f"SELECT {_COLUMNS} FROM operations WHERE id = ?", (op_id,)).fetchone()
        found.append(OperationHistoryObject(
            ObjectId(*OPERATION_HISTORY_SPACE_TYPE, row[0]), OPERATION.unpack(row[1]),
            OPERATION_RESULT.unpack(row[2]), row[3], row[4], row[5], row[6], bool(row[7]), row[8],
        ))
    return found


def account_history(db: sqlite3.Connection, account: ObjectId, stop: int, limit: int,
                    start: int) -> list[OperationHistoryObject]:
    """``account``'s operations with ``stop < id <= start`` newest first (``start`` 0: the
    newest; ``stop`` 0 includes id 0), at most ``limit`` (core's ``get_account_history``)."""
    if start == 0:
        start = (1 << 63) - 1
    if start < stop:
        return []
    low = stop if stop == 0 else stop + 1
    rows = db.execute("SELECT op_id FROM account_ops WHERE account = ? AND op_id <= ? "
                      "AND op_id >= ? ORDER BY op_id DESC LIMIT ?",
                      (account.instance, start, low, limit))
    return _objects(db, [r[0] for r in rows.fetchall()])


def relative_account_history(db: sqlite3.Connection, account: ObjectId, stop: int, limit: int,
                             start: int) -> list[OperationHistoryObject]:
    """``account``'s operations numbered ``stop..start`` in its own history (1 = its first;
    ``start`` 0: its latest), newest first, at most ``limit``."""
    total = db.execute("SELECT MAX(sequence) FROM account_ops WHERE account = ?",
                       (account.instance,)).fetchone()[0] or 0
    start = total if start == 0 else min(total, start)
    if start < stop or start < 1 or limit == 0:
        return []
    rows = db.execute("SELECT op_id FROM account_ops WHERE account = ? AND sequence <= ? "
                      "AND sequence >= ? ORDER BY sequence DESC LIMIT ?",
                      (account.instance, start, stop, limit))
    return _objects(db, [r[0] for r in rows.fetchall()])


def account_operations_of_type(db: sqlite3.Connection, account: ObjectId, op_type: int,
                               start: int, stop: int, limit: int
                               ) -> list[OperationHistoryObject]:
    """``account``'s operations of type ``op_type`` with ``stop < id <= start`` (``start`` 0:
    the newest; ``stop`` 0 includes id 0), newest first, at most ``limit``."""
    if start == 0:
        start = (1 << 63) - 1
    low = stop if stop == 0 else stop + 1
    rows = db.execute("SELECT a.op_id FROM account_ops a JOIN operations o ON o.id = a.op_id "
                      "WHERE a.account = ? AND a.op_id <= ? AND a.op_id >= ? AND o.op_type = ? "
                      "ORDER BY a.op_id DESC LIMIT ?",
                      (account.instance, start, low, op_type, limit))
    return _objects(db, [r[0] for r in rows.fetchall()])


def block_operations(db: sqlite3.Connection, block_num: int, trx_in_block: int | None
                     ) -> list[OperationHistoryObject]:
    """The operations of block ``block_num`` (or of one of its transactions), by
    (transaction, operation, virtual operation) as core's ``by_block`` index."""
    order = "ORDER BY trx_in_block, op_in_trx, virtual_op"
    if trx_in_block is None:
        rows = db.execute(f"SELECT id FROM operations WHERE block_num = ? {order}", (block_num,))
    else:
        rows = db.execute(f"SELECT id FROM operations WHERE block_num = ? AND trx_in_block = ? "
                          f"{order}", (block_num, trx_in_block))
    return _objects(db, [r[0] for r in rows.fetchall()])
