"""Which held keys a transaction needs: for each account whose active (or owner) authority its
operations require, held keys of that authority until its weight threshold is met.

Only key authorities are followed (an authority satisfied through other accounts needs those
accounts' keys passed explicitly). Keys named by ``proposal_update``'s ``key_approvals_to_add``
/``_remove`` sign too. Signing with more keys than needed is refused by the chain, so no spare
key is added. An authority the held keys cannot meet raises
:class:`~graphex.client.errors.KeyMissing` naming the account and the keys it wants.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ..protocol.keys import PrivateKey, PublicKey
from ..protocol.operations import Operation, ProposalUpdate
from .errors import KeyMissing

if TYPE_CHECKING:
    from .client import AsyncClient


def _pick(authority: dict[str, Any], held: dict[bytes, PrivateKey], prefix: str
          ) -> list[PrivateKey] | None:
    """Held keys of ``authority`` reaching its threshold, or None."""
    threshold = int(authority.get("weight_threshold", 1))
    chosen, weight = [], 0
    for text, key_weight in authority.get("key_auths", []):
        key = held.get(PublicKey.from_text(text, prefix).data)
        if key is not None and weight < threshold:
            chosen.append(key)
            weight += int(key_weight)
    return chosen if weight >= threshold else None


async def keys_for(client: AsyncClient, ops: Sequence[Operation]) -> list[PrivateKey]:
    """The held keys that sign a transaction of ``ops`` (see the module docstring)."""
    prefix = await client.prefix()
    active: set[str] = set()
    owner: set[str] = set()
    chosen: dict[bytes, PrivateKey] = {}
    for op in ops:
        active.update(str(a) for a in op.required_active())
        owner.update(str(a) for a in op.required_owner())
        if isinstance(op, ProposalUpdate):
            for public in (*op.key_approvals_to_add, *op.key_approvals_to_remove):
                key = client.keys.get(public.data)
                if key is None:
                    raise KeyMissing(f"proposal approval needs the key {public.to_text(prefix)}, "
                                     "which is not held")
                chosen[key.public_key.data] = key
    for account_id in sorted(active | owner):
        account = await client.account(account_id)
        roles = ("owner",) if account_id in owner else ("active", "owner")
        keys = None
        for role in roles:
            keys = _pick(account.get(role) or {}, client.keys, prefix)
            if keys is not None:
                break
        if keys is None:
            wanted = [k for k, _ in (account.get(roles[0]) or {}).get("key_auths", [])]
            raise KeyMissing(f"no held key satisfies the {roles[0]} authority of account "
                             f"{account.get('name', account_id)!r} (it wants "
                             f"{', '.join(wanted) or 'other accounts'})")
        chosen.update((k.public_key.data, k) for k in keys)
    return list(chosen.values())
