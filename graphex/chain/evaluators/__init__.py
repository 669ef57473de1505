"""Evaluators: one per operation, each with the same shape (see :mod:`.base`).

Importing this package registers every evaluator.
"""

from . import (  # noqa: F401  (registration)
    account,
    asset,
    asset_fees,
    bitasset,
    call_order,
    committee,
    futures,
    futures_product,
    market,
    proposal,
    settlement,
    transfer,
)
from .base import EVALUATORS, Evaluator, evaluator_for

__all__ = ["EVALUATORS", "Evaluator", "evaluator_for"]
