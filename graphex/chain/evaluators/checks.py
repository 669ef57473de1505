"""Stateless checks shared by evaluators' ``validate`` steps."""

from __future__ import annotations

import re

from ...protocol.types import MAX_SHARE_SUPPLY, Asset
from ..errors import ValidationError

_LABEL = re.compile(r"[a-z](?:[a-z0-9-]*[a-z0-9])?\Z")
_SYMBOL = re.compile(r"[A-Z](?:[A-Z0-9.]*[A-Z])?\Z")


def check_positive(value: Asset, what: str) -> None:
    if value.amount <= 0:
        raise ValidationError(f"{what} must be positive, got {value.amount}")
    if value.amount > MAX_SHARE_SUPPLY:
        raise ValidationError(f"{what} {value.amount} exceeds the maximum supply {MAX_SHARE_SUPPLY}")


def check_fee(fee: Asset) -> None:
    if fee.amount < 0:
        raise ValidationError(f"fee must not be negative, got {fee.amount}")


def is_valid_account_name(name: str) -> bool:
    """BitShares' rule: 3..63 chars (1.. for labels), dot-separated labels of a-z, 0-9, '-'."""
    if not 3 <= len(name) <= 63:
        return False
    return all(_LABEL.match(label) for label in name.split("."))


def is_valid_symbol(symbol: str) -> bool:
    """3..16 chars, A-Z and 0-9 with at most one dot, starting and ending with a letter."""
    return 3 <= len(symbol) <= 16 and symbol.count(".") <= 1 and bool(_SYMBOL.match(symbol))


def is_cheap_name(name: str) -> bool:
    """A name with a digit, '.', '-' or '/', or no vowel, pays the basic (not premium) fee."""
    return any(ch.isdigit() or ch in ".-/" for ch in name) or not any(v in name for v in "aeiouy")
