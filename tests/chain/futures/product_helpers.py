"""Helpers for the futures product tests: a devnet whose head sits at a chosen UTC time, listing a
product through a real transaction, reading its series, and moving the head to a later time.

Signatures here may be relied on by other futures test modules; keep them stable.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from graphex.chain.block_apply import slot_time_of
from graphex.chain.futures.objects import FuturesProduct, FuturesSeries
from graphex.chain.genesis import devnet_genesis
from graphex.protocol.ids import ObjectId
from graphex.protocol.operations.futures import FuturesParameters, FuturesProductCreate
from graphex.protocol.types import Asset
from graphex.testing.chain import GPX, DevChain
from tests.chain.evaluators.helpers import push

LOT_GPX = 1000 * 100_000
"""1 000 GPX per lot: with USD at precision 4 the tick value is 10 (docs/futures.md)."""


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> int:
    """Unix seconds of a UTC time (tests only: ``datetime`` is the independent oracle)."""
    return int(datetime(year, month, day, hour, minute, second, tzinfo=UTC).timestamp())


def chain_at(when_s: int) -> DevChain:
    """A devnet whose genesis (head) time is ``when_s``; its first block follows one second
    later."""
    return DevChain(genesis_text=devnet_genesis(initial_timestamp=when_s))


def advance_to(chain: DevChain, when_s: int) -> None:
    """Produce one (empty) block at the first slot at or after ``when_s``."""
    interval = chain.state.params.block_interval
    skip = max(0, -(-(when_s - slot_time_of(chain.state, 1)) // interval))
    while slot_time_of(chain.state, 1 + skip) < when_s:
        skip += 1
    chain.produce(skip_slots=skip)


def parameters(contract_size: int = LOT_GPX, **overrides: Any) -> FuturesParameters:
    return FuturesParameters(contract_size=contract_size, **overrides)


def product_op(chain: DevChain, underlying: ObjectId, quote: ObjectId, owner: str = "alice",
               **params: Any) -> FuturesProductCreate:
    """The futures_product_create of ``owner`` on underlying/quote (fee set by ``push``)."""
    return FuturesProductCreate(fee=Asset(0, GPX), owner=chain.account_id(owner),
                                underlying=underlying, quote=quote,
                                parameters=parameters(**params))


def create_product(chain: DevChain, underlying: ObjectId, quote: ObjectId, owner: str = "alice",
                   **params: Any) -> ObjectId:
    """List a product in its own block; its id (the operation result)."""
    processed = push(chain, product_op(chain, underlying, quote, owner, **params), [owner])
    product_id: ObjectId = processed.operation_results[0].value
    return product_id


def product(chain: DevChain, product_id: ObjectId) -> FuturesProduct:
    return chain.state.db.get(product_id, FuturesProduct)


def series_of(chain: DevChain, product_id: ObjectId) -> list[FuturesSeries]:
    """The product's series, in delivery-month order."""
    found = [s for s in chain.state.db.table(FuturesSeries) if s.product == product_id]
    return sorted(found, key=lambda s: s.delivery_month)


def months_of(chain: DevChain, product_id: ObjectId) -> list[int]:
    return [s.delivery_month for s in series_of(chain, product_id)]
