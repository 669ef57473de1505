"""The operations a block applied, real and virtual, in application order.

As core's ``push_applied_operation``: every operation of every included transaction, and every
virtual operation the chain emits (fills, expiry cancellations …), is recorded with its place
(block, transaction in block, operation in transaction, and a per-block sequence number
``virtual_op``). The records are not chain state: they feed the history and market-data services
of the node, which read :attr:`ChainState.block_ops` after each block. A refused transaction's
records are dropped with it.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..protocol.operations.base import VOID_RESULT, Operation, OperationResult


@dataclass(slots=True)
class AppliedOperation:
    """core's ``operation_history_object`` without its id (the history service assigns ids)."""

    op: Operation
    result: OperationResult
    block_num: int
    trx_in_block: int
    op_in_trx: int
    virtual_op: int
    is_virtual: bool


class AppliedOps:
    """The records of the block being built or applied, with the current position in it."""

    __slots__ = ("block_num", "op_in_trx", "records", "trx_in_block")

    def __init__(self) -> None:
        self.records: list[AppliedOperation] = []
        self.block_num = 0
        self.trx_in_block = 0
        self.op_in_trx = 0

    def reset(self, block_num: int) -> list[AppliedOperation]:
        """Start recording for block ``block_num``; returns what was recorded before."""
        done, self.records = self.records, []
        self.block_num, self.trx_in_block, self.op_in_trx = block_num, 0, 0
        return done

    def push(self, op: Operation, result: OperationResult = VOID_RESULT, *,
             virtual: bool = False) -> AppliedOperation:
        """Record ``op``; ``virtual`` marks a chain-made instance of a real operation (an expiry's
        ``limit_order_cancel``), as virtual operation classes are always."""
        record = AppliedOperation(op, result, self.block_num, self.trx_in_block, self.op_in_trx,
                                  len(self.records), virtual or op.virtual)
        self.records.append(record)
        return record

    def mark(self) -> int:
        return len(self.records)

    def rollback(self, mark: int) -> None:
        del self.records[mark:]
