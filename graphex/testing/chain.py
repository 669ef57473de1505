"""An in-process devnet chain for tests and benchmarks: genesis, signing, and block production.

``DevChain`` wraps a :class:`ChainState` built from the devnet genesis and produces blocks with the
local witnesses' deterministic keys, one block per :meth:`push` (or :meth:`produce`). After every
block it checks the state invariants (supply conservation, no negative balance).
"""

from __future__ import annotations

from collections.abc import Sequence

from ..chain.block_apply import apply_block, produce_block, scheduled_witness_at, slot_time_of
from ..chain.errors import ChainError
from ..chain.genesis import Genesis, devnet_genesis, devnet_key
from ..chain.invariants import check_invariants
from ..chain.objects import Witness
from ..chain.state import ChainState, init_genesis
from ..protocol.block import SignedBlock
from ..protocol.ids import ObjectId
from ..protocol.keys import PrivateKey
from ..protocol.operations.base import Operation
from ..protocol.transaction import (
    ProcessedTransaction,
    SignedTransaction,
    Transaction,
    ref_block_fields,
    sign,
)
from ..protocol.types import Asset

GPX = ObjectId(1, 3, 0)


class DevChain:
    """A devnet chain in memory; every account's key is ``devnet_key(name)``."""

    def __init__(self, *, genesis_text: bytes | None = None, check: bool = True) -> None:
        self.genesis = Genesis.parse(genesis_text or devnet_genesis())
        self.state = ChainState(self.genesis)
        init_genesis(self.state)
        self.blocks: list[SignedBlock] = []
        self.check = check
        self.witness_keys = {
            w.id: devnet_key(self.state.account(w.witness_account).name)
            for w in self.state.db.table(Witness)
        }
        if check:
            check_invariants(self.state)

    # -- accounts --------------------------------------------------------------------------------
    def account_id(self, name: str) -> ObjectId:
        account = self.state.account_by_name(name)
        if account is None:
            raise KeyError(name)
        return account.id

    def key(self, name: str) -> PrivateKey:
        return devnet_key(name)

    def gpx(self, whole: int) -> Asset:
        return Asset(whole * 100_000, GPX)

    def balance(self, name: str, asset_id: ObjectId = GPX) -> int:
        return self.state.balance(self.account_id(name), asset_id)

    # -- transactions ----------------------------------------------------------------------------
    def next_slot_time(self) -> int:
        return slot_time_of(self.state, 1)

    def build(self, ops: Sequence[Operation], *, expiration_s: int = 60) -> Transaction:
        num, prefix = ref_block_fields(self.state.head_id)
        return Transaction(num, prefix, self.state.head_time + expiration_s, tuple(ops))

    def sign(self, tx: Transaction, signers: Sequence[str | PrivateKey]) -> SignedTransaction:
        keys = [s if isinstance(s, PrivateKey) else self.key(s) for s in signers]
        return sign(tx, keys, self.state.chain_id)

    def tx(self, ops: Sequence[Operation], signers: Sequence[str | PrivateKey]) -> SignedTransaction:
        return self.sign(self.build(ops), signers)

    def produce(self, txs: Sequence[SignedTransaction] = (), *, skip_slots: int = 0) -> SignedBlock:
        """Produce one block holding ``txs``; a refused transaction raises its ChainError."""
        when = slot_time_of(self.state, 1 + skip_slots)
        witness = scheduled_witness_at(self.state, when)
        assert witness is not None
        refused: list[ChainError] = []
        with self.state.db.session() as session:
            block, _ = produce_block(
                self.state, when, self.witness_keys[witness], [(t, None) for t in txs],
                on_refused=lambda _tx, exc: refused.append(exc),
            )
            if refused:
                self.state.applied.reset(self.state.head_num + 1)
                raise refused[0]
            session.push()
        self.blocks.append(block)
        if self.check:
            check_invariants(self.state)
        return block

    def push(self, ops: Sequence[Operation], signers: Sequence[str | PrivateKey]
             ) -> ProcessedTransaction:
        """Sign ``ops`` into a transaction and produce a block with it; returns it processed."""
        block = self.produce([self.tx(ops, signers)])
        return block.transactions[0]

    def replayed_state_hashes(self) -> list[bytes]:
        """The state hash after each of this chain's blocks, applied to a fresh chain from the same
        genesis (what a second node would reach)."""
        replay = DevChain(genesis_text=self.genesis.text, check=False)
        hashes = []
        for block in self.blocks:
            apply_block(replay.state, block)
            hashes.append(replay.state.state_hash())
        return hashes
