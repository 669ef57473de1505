"""Authority verification: do the signatures (recovered keys) satisfy the required authorities?

As BitShares' ``sign_state`` (``reference/bitshares.md`` §4): weights of the signing keys and of
recursively satisfied member accounts add up to the threshold; account members are satisfied by
their active or owner authority up to ``max_authority_depth`` (2); the owner authority satisfies an
active requirement; ``temp-account`` (threshold 0) is always satisfied. Keys are consulted greedily
in ``key_auths`` order until the threshold is met — a signature never consulted is *unneeded* and
the transaction is refused, as is a key that signed twice.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from ..protocol.ids import COMMITTEE_ACCOUNT, ObjectId
from ..protocol.keys import PublicKey
from ..protocol.types import Authority
from .errors import DuplicateSignature, IrrelevantSignature, MissingAuthority

AuthorityLookup = Callable[[ObjectId], Authority]


class SignState:
    """Which keys signed, which were used, and which accounts are already approved."""

    def __init__(
        self,
        keys: Iterable[PublicKey],
        get_active: AuthorityLookup,
        get_owner: AuthorityLookup,
        max_depth: int,
        approved: Iterable[ObjectId] = (),
    ) -> None:
        self.provided: dict[PublicKey, bool] = {key: False for key in keys}
        self.get_active, self.get_owner, self.max_depth = get_active, get_owner, max_depth
        self.approved_by: set[ObjectId] = set(approved)

    def signed_by(self, key: PublicKey) -> bool:
        if key in self.provided:
            self.provided[key] = True
            return True
        return False

    def check_authority(self, auth: Authority, depth: int = 0) -> bool:
        threshold, total = auth.weight_threshold, 0
        for key, weight in auth.key_auths:
            if self.signed_by(key):
                total += weight
                if total >= threshold:
                    return True
        for member, weight in auth.account_auths:
            if member not in self.approved_by:
                if depth == self.max_depth:
                    continue
                if not (
                    self.check_authority(self.get_active(member), depth + 1)
                    or self.check_authority(self.get_owner(member), depth + 1)
                ):
                    continue
                self.approved_by.add(member)
            total += weight
            if total >= threshold:
                return True
        return total >= threshold

    def check_account(self, account: ObjectId, *, owner_only: bool = False) -> bool:
        """An active requirement: approved already, or the active or owner authority signs.
        An owner requirement: only the owner authority itself counts (never an approval that
        came from the active authority)."""
        if not owner_only and account in self.approved_by:
            return True
        ok = (not owner_only and self.check_authority(self.get_active(account))) or (
            self.check_authority(self.get_owner(account))
        )
        if ok and not owner_only:
            self.approved_by.add(account)
        return ok

    def unused(self) -> list[PublicKey]:
        return [key for key, used in self.provided.items() if not used]


def check_duplicates(keys: Sequence[PublicKey], describe: Callable[[PublicKey], str]) -> None:
    seen: set[PublicKey] = set()
    for key in keys:
        if key in seen:
            raise DuplicateSignature(f"duplicate signature: key {describe(key)} signed twice")
        seen.add(key)


def verify_authority(
    keys: Sequence[PublicKey],
    required_active: Iterable[ObjectId],
    required_owner: Iterable[ObjectId],
    get_active: AuthorityLookup,
    get_owner: AuthorityLookup,
    *,
    max_depth: int,
    describe_account: Callable[[ObjectId], str] = str,
    describe_key: Callable[[PublicKey], str] = lambda k: k.to_text(),
    allow_committee: bool = False,
    approved: Iterable[ObjectId] = (),
    reject_unused: bool = True,
) -> None:
    """Raise :class:`MissingAuthority`, :class:`IrrelevantSignature` or
    :class:`DuplicateSignature` unless ``keys`` exactly satisfy the required authorities."""
    check_duplicates(keys, describe_key)
    state = SignState(keys, get_active, get_owner, max_depth, approved)
    for account in sorted(set(required_active)):
        if account == COMMITTEE_ACCOUNT and not allow_committee:
            raise MissingAuthority(
                "missing authority: the committee account acts only through proposals"
            )
        if not state.check_account(account):
            raise MissingAuthority(
                f"missing required active authority of account {describe_account(account)}: "
                f"signatures from {len(keys)} key(s) do not reach its threshold"
            )
    for account in sorted(set(required_owner)):
        if not state.check_account(account, owner_only=True):
            raise MissingAuthority(
                f"missing required owner authority of account {describe_account(account)}: "
                f"signatures from {len(keys)} key(s) do not reach its threshold"
            )
    unused = state.unused()
    if reject_unused and unused:
        raise IrrelevantSignature(
            "unnecessary signature: key(s) "
            + ", ".join(describe_key(k) for k in unused)
            + " are not needed by any required authority"
        )
