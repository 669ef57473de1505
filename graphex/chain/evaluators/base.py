"""The evaluator shape and registry.

An evaluator handles one operation class in three steps, as bitshares-core's ``do_evaluate`` /
``do_apply`` and ethereum's execution-specs:

1. ``validate(op)`` — stateless checks of the operation alone (amounts positive, names valid …);
2. ``evaluate(state, op)`` — checks against state; pure (changes nothing); returns a plan (any
   value the apply step needs, e.g. looked-up objects) or raises a :class:`ChainError`;
3. ``apply(state, op, plan)`` — mutates state; returns the operation result.

The fee is checked and paid by :mod:`graphex.chain.fees` between steps 2 and 3, so ``apply`` sees
the fee already deducted. An evaluator with ``defers_fee`` (limit orders) gets the fee taken but not
booked, and receives ``(plan, fee_plan)`` in ``apply`` to hold it on the order. Virtual operations are emitted through ``state`` helpers, never built by
callers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

from ...protocol.operations.base import VOID_RESULT, Operation, OperationResult
from ..errors import NotSupported

if TYPE_CHECKING:
    from ..state import ChainState

OpT = TypeVar("OpT", bound=Operation)


class Evaluator(Generic[OpT]):
    """Base evaluator; subclasses set ``operation`` and override the three steps."""

    operation: ClassVar[type[Operation]]
    defers_fee: ClassVar[bool] = False

    def validate(self, op: OpT) -> None:
        """Stateless checks; raise ValidationError."""

    def evaluate(self, state: ChainState, op: OpT) -> Any:
        """Checks against state, changing nothing; return a plan for :meth:`apply`."""
        return None

    def apply(self, state: ChainState, op: OpT, plan: Any) -> OperationResult:
        """Mutate state; return the operation result."""
        return VOID_RESULT


EVALUATORS: dict[type[Operation], Evaluator[Any]] = {}


def register(cls: type[Evaluator[Any]]) -> type[Evaluator[Any]]:
    """Class decorator registering an evaluator for its ``operation``."""
    EVALUATORS[cls.operation] = cls()
    return cls


def evaluator_for(op: Operation) -> Evaluator[Any]:
    found = EVALUATORS.get(type(op))
    if found is None:
        raise NotSupported(
            f"operation {type(op).__name__} (id {op.op_id}) is not supported by this chain"
        )
    return found
