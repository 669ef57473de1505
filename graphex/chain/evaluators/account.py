"""Accounts: account_create (5), account_update (6), account_upgrade (8).

Rules are BitShares' (core: protocol/account.cpp, chain/account_evaluator.cpp):

- an authority must name at least one key or account, no addresses, and be satisfiable (the sum of
  its weights reaches its threshold); every member account exists; at most
  ``maximum_authority_membership`` members;
- account options vote for existing witnesses/committee members only, and for no more of each than
  ``num_witness`` / ``num_committee`` admit nor than the chain's maximum counts;
- only a lifetime member registers accounts; the referrer is a member; names are unique;
- an account upgrades once, to lifetime membership (annual membership ended with BitShares'
  hard fork 613 and is refused here as not supported).

The registration fee (basic for a "cheap" name, premium otherwise, plus a data fee) is computed by
:func:`graphex.protocol.fees.calculate_fee` from the operation itself, so it always matches the
name's cheapness. Not implemented: the per-interval registration fee scaling
(``account_fee_scale_bitshifts``) and BitShares' special-authority / buyback extensions (the wire
struct cannot carry them).
"""

from __future__ import annotations

from typing import Any

from ...protocol import ids
from ...protocol.ids import ObjectId
from ...protocol.operations import AccountCreate, AccountUpdate, AccountUpgrade
from ...protocol.operations.base import VOID_RESULT, OperationResult, object_result
from ...protocol.types import AccountOptions, Authority
from ..errors import NotSupported, PermissionError_, UnknownObjectError, ValidationError
from ..objects import Account, AccountStatistics, CommitteeMember, Witness
from ..state import ChainState
from .base import Evaluator, register
from .checks import check_fee, is_valid_account_name

FULL_PERCENT = 10_000
VOTE_COMMITTEE, VOTE_WITNESS, VOTE_WORKER = 0, 1, 2


# --- stateless checks ---------------------------------------------------------------------------


def check_authority_shape(auth: Authority, what: str) -> None:
    """≥ 1 member, no address members, and a threshold the weights can reach."""
    members = len(auth.key_auths) + len(auth.account_auths) + len(auth.address_auths)
    if members == 0:
        raise ValidationError(f"{what} authority must name at least one key or account")
    if auth.address_auths:
        raise ValidationError(
            f"{what} authority must not use address members ({len(auth.address_auths)} given)"
        )
    total = sum(w for _, w in auth.key_auths) + sum(w for _, w in auth.account_auths)
    if total < auth.weight_threshold:
        raise ValidationError(
            f"{what} authority is impossible: its weights add up to {total}, "
            f"below its threshold {auth.weight_threshold}"
        )


def vote_type(vote_id: int) -> int:
    return vote_id & 0xFF


def format_vote(vote_id: int) -> str:
    return f"{vote_id & 0xFF}:{vote_id >> 8}"


def check_options_shape(options: AccountOptions) -> None:
    """core's ``account_options::validate``: at least as many slots as votes of each kind."""
    witnesses = sum(1 for v in options.votes if vote_type(v) == VOTE_WITNESS)
    committee = sum(1 for v in options.votes if vote_type(v) == VOTE_COMMITTEE)
    if witnesses > options.num_witness or committee > options.num_committee:
        raise ValidationError(
            f"account options vote for {witnesses} witness(es) and {committee} committee "
            f"member(s) but allow only num_witness={options.num_witness}, "
            f"num_committee={options.num_committee}"
        )


def committee_votes(options: AccountOptions) -> int:
    return sum(1 for v in options.votes if vote_type(v) == VOTE_COMMITTEE)


def is_voting(options: AccountOptions) -> bool:
    return options.voting_account != ids.PROXY_TO_SELF_ACCOUNT or bool(options.votes)


# --- checks against state -----------------------------------------------------------------------


def check_authority_accounts(state: ChainState, auth: Authority, what: str) -> None:
    """Every member account exists; at most ``maximum_authority_membership`` members."""
    limit = state.params.maximum_authority_membership
    members = len(auth.key_auths) + len(auth.account_auths) + len(auth.address_auths)
    if members > limit:
        raise ValidationError(
            f"{what} authority has {members} members, more than "
            f"maximum_authority_membership {limit}"
        )
    for member, _ in auth.account_auths:
        if state.db.find(member, Account) is None:
            raise UnknownObjectError(f"{what} authority names unknown account {member}")


def existing_vote_ids(state: ChainState) -> set[int]:
    votes = {w.vote_id for w in state.db.table(Witness)}
    votes.update(c.vote_id for c in state.db.table(CommitteeMember))
    return votes


def check_votes(state: ChainState, options: AccountOptions) -> None:
    """core's ``verify_account_votes``: counts within the chain's limits, proxy and votes exist."""
    params = state.params
    if options.num_witness > params.maximum_witness_count:
        raise ValidationError(
            f"num_witness {options.num_witness} exceeds maximum_witness_count "
            f"{params.maximum_witness_count}"
        )
    if options.num_committee > params.maximum_committee_count:
        raise ValidationError(
            f"num_committee {options.num_committee} exceeds maximum_committee_count "
            f"{params.maximum_committee_count}"
        )
    if state.db.find(options.voting_account, Account) is None:
        raise UnknownObjectError(f"voting account {options.voting_account} does not exist")
    if not options.votes:
        return
    known = existing_vote_ids(state)
    for vote in options.votes:
        if vote_type(vote) == VOTE_WORKER:
            raise NotSupported(f"vote {format_vote(vote)}: workers are not supported by this chain")
        if vote not in known:
            raise ValidationError(f"cannot vote for {format_vote(vote)}: it does not exist")


def is_member(account: Account, now_s: int) -> bool:
    """Lifetime member, or an annual member whose membership has not expired."""
    return account.is_lifetime_member or account.membership_expiration_date > now_s


# --- evaluators ---------------------------------------------------------------------------------


@register
class AccountCreateEvaluator(Evaluator[AccountCreate]):
    operation = AccountCreate

    def validate(self, op: AccountCreate) -> None:
        check_fee(op.fee)
        if not is_valid_account_name(op.name):
            raise ValidationError(
                f"account_create: invalid account name {op.name!r} (3-63 characters; dot-separated "
                "labels of a-z, 0-9 and '-', each starting with a letter and not ending with '-')"
            )
        if op.referrer_percent > FULL_PERCENT:
            raise ValidationError(
                f"account_create: referrer_percent {op.referrer_percent} exceeds 10000 (100%)"
            )
        check_authority_shape(op.owner, "owner")
        check_authority_shape(op.active, "active")
        check_options_shape(op.options)

    def evaluate(self, state: ChainState, op: AccountCreate) -> Any:
        registrar = state.account(op.registrar)
        if not registrar.is_lifetime_member:
            raise PermissionError_(
                f"account_create: registrar {state.describe_account(op.registrar)} is not a "
                "lifetime member; only lifetime members may register accounts"
            )
        referrer = state.account(op.referrer)
        if not is_member(referrer, state.head_time):
            raise PermissionError_(
                f"account_create: referrer {state.describe_account(op.referrer)} is not a member"
            )
        check_authority_accounts(state, op.owner, "owner")
        check_authority_accounts(state, op.active, "active")
        check_votes(state, op.options)
        if state.account_by_name(op.name) is not None:
            raise ValidationError(f"account_create: account name {op.name!r} is already taken")
        return referrer.lifetime_referrer

    def apply(self, state: ChainState, op: AccountCreate, plan: Any) -> OperationResult:
        db, params = state.db, state.params
        account_id = ObjectId(1, 2, db.next_instance(Account))
        stats = db.create(AccountStatistics, owner=account_id, name=op.name,
                          is_voting=is_voting(op.options))
        account = db.create(
            Account,
            registrar=op.registrar,
            referrer=op.referrer,
            lifetime_referrer=plan,
            network_fee_percentage=params.network_percent_of_fee,
            lifetime_referrer_fee_percentage=params.lifetime_referrer_percent_of_fee,
            referrer_rewards_percentage=op.referrer_percent,
            name=op.name,
            owner=op.owner,
            active=op.active,
            options=op.options,
            num_committee_voted=committee_votes(op.options),
            statistics=stats.id,
            creation_block_num=state.head_num + 1,
            creation_time=state.head_time,
        )
        with db.modify(state.dgp) as d:
            d.accounts_registered_this_interval += 1
        return object_result(account.id)


@register
class AccountUpdateEvaluator(Evaluator[AccountUpdate]):
    operation = AccountUpdate

    def validate(self, op: AccountUpdate) -> None:
        check_fee(op.fee)
        if op.account in (ids.TEMP_ACCOUNT, ids.COMMITTEE_ACCOUNT):
            raise ValidationError(f"account_update: account {op.account} cannot be updated")
        if op.owner is None and op.active is None and op.new_options is None:
            raise ValidationError(
                "account_update: nothing to update (give owner, active or new_options)"
            )
        if op.owner is not None:
            check_authority_shape(op.owner, "owner")
        if op.active is not None:
            check_authority_shape(op.active, "active")
        if op.new_options is not None:
            check_options_shape(op.new_options)

    def evaluate(self, state: ChainState, op: AccountUpdate) -> Any:
        account = state.account(op.account)
        if op.owner is not None:
            check_authority_accounts(state, op.owner, "owner")
        if op.active is not None:
            check_authority_accounts(state, op.active, "active")
        if op.new_options is not None:
            check_votes(state, op.new_options)
        return account

    def apply(self, state: ChainState, op: AccountUpdate, plan: Any) -> OperationResult:
        account: Account = plan
        opts = op.new_options
        if opts is not None and (opts.voting_account != account.options.voting_account
                                 or opts.votes != account.options.votes):
            stats = state.db.get(account.statistics, AccountStatistics)
            with state.db.modify(stats) as s:
                s.is_voting = is_voting(opts)
                s.last_vote_time = state.head_time
        with state.db.modify(account) as a:
            if op.owner is not None:
                a.owner = op.owner
                a.top_n_control_flags = 0
            if op.active is not None:
                a.active = op.active
                a.top_n_control_flags = 0
            if opts is not None:
                a.options = opts
                a.num_committee_voted = committee_votes(opts)
        return VOID_RESULT


@register
class AccountUpgradeEvaluator(Evaluator[AccountUpgrade]):
    operation = AccountUpgrade

    def validate(self, op: AccountUpgrade) -> None:
        check_fee(op.fee)
        if not op.upgrade_to_lifetime_member:
            raise NotSupported(
                "account_upgrade: annual membership is not supported "
                "(set upgrade_to_lifetime_member=true)"
            )

    def evaluate(self, state: ChainState, op: AccountUpgrade) -> Any:
        account = state.account(op.account_to_upgrade)
        if account.is_lifetime_member:
            raise ValidationError(
                f"account_upgrade: account {state.describe_account(account.id)} is already a "
                "lifetime member"
            )
        return account

    def apply(self, state: ChainState, op: AccountUpgrade, plan: Any) -> OperationResult:
        account: Account = plan
        with state.db.modify(account) as a:
            a.membership_expiration_date = Account.LIFETIME_MEMBER_EXPIRATION
            a.referrer = a.registrar = a.lifetime_referrer = a.id
            a.lifetime_referrer_fee_percentage = FULL_PERCENT - a.network_fee_percentage
        return VOID_RESULT
