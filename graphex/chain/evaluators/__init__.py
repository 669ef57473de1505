"""Evaluators: one per operation, each with the same shape (see :mod:`.base`).

Importing this package registers every evaluator of the foundation.
"""

from . import account, asset, committee, market, proposal, transfer  # noqa: F401  (registration)
from .base import EVALUATORS, Evaluator, evaluator_for

__all__ = ["EVALUATORS", "Evaluator", "evaluator_for"]
