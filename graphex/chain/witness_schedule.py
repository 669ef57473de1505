"""DPoS slot arithmetic, witness shuffle, participation and last-irreversible-block rules.

Owns the pure, integer-only rules of BitShares' ``db_witness_schedule.cpp`` and the DPoS parts of
``db_update.cpp`` (``update_global_dynamic_data``, ``update_last_irreversible_block``). Every
function takes plain ints (seconds since the epoch, block numbers, bit fields) and returns ints;
none reads a database or a clock.

Invariants:
- All arithmetic is on Python ints, masked to the C++ width where BitShares relies on wraparound
  (uint64 for the shuffle and the absolute slot, uint128 for ``recent_slots_filled``, uint32 for
  ``recently_missed_count``). Every division rounds down (integers are non-negative).
- Slot 0 is "no slot" and maps to time 0, as ``get_slot_time(0)`` returns the epoch.
- The last irreversible block number never decreases.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

T = TypeVar("T")

UINT32_MASK = (1 << 32) - 1
UINT64_MASK = (1 << 64) - 1
RECENT_SLOTS_BITS = 128
RECENT_SLOTS_MASK = (1 << RECENT_SLOTS_BITS) - 1

HUNDRED_PERCENT_PERMYRIAD = 10_000
IRREVERSIBLE_THRESHOLD_PERMYRIAD = 7_000
RECENTLY_MISSED_COUNT_INCREMENT = 4
RECENTLY_MISSED_COUNT_DECREMENT = 3
DEFAULT_MAINTENANCE_SKIP_SLOTS = 3

# Multiplier of the xorshift64* generator (http://xorshift.di.unimi.it/), as in BitShares.
SHUFFLE_MULTIPLIER = 2685821657736338717


class WitnessScheduleError(ValueError):
    """An input outside the domain of a witness-schedule rule (names the rule and the values)."""


def _require_non_negative(rule: str, **values: int) -> None:
    for name, value in values.items():
        if value < 0:
            raise WitnessScheduleError(f"{rule}: {name} must be >= 0, got {value}")


def _require_block_interval(block_interval_s: int) -> None:
    if block_interval_s < 1:
        raise WitnessScheduleError(
            f"slot time: block_interval_s must be >= 1, got {block_interval_s}"
        )


# --- slots -------------------------------------------------------------------------------------


def slot_time(
    head_time_s: int,
    block_interval_s: int,
    slot_num: int,
    *,
    head_block_num: int,
    head_is_maintenance_block: bool = False,
    maintenance_skip_slots: int = DEFAULT_MAINTENANCE_SKIP_SLOTS,
) -> int:
    """Time (s) of slot ``slot_num`` after the head block; BitShares ``get_slot_time``.

    Slot 0 is time 0. At genesis (``head_block_num == 0``) ``head_time_s`` is the genesis time and
    slot n is ``genesis + n * interval`` (no alignment, no maintenance skip). Otherwise slots count
    from the head time rounded down to the interval, shifted by ``maintenance_skip_slots`` when the
    head block was a maintenance block.
    """
    _require_block_interval(block_interval_s)
    _require_non_negative(
        "slot time",
        head_time_s=head_time_s,
        slot_num=slot_num,
        head_block_num=head_block_num,
        maintenance_skip_slots=maintenance_skip_slots,
    )
    if slot_num == 0:
        return 0
    if head_block_num == 0:
        return head_time_s + slot_num * block_interval_s
    head_slot_time_s = (head_time_s // block_interval_s) * block_interval_s
    if head_is_maintenance_block:
        slot_num += maintenance_skip_slots
    return head_slot_time_s + slot_num * block_interval_s


def slot_at_time(
    when_s: int,
    head_time_s: int,
    block_interval_s: int,
    *,
    head_block_num: int,
    head_is_maintenance_block: bool = False,
    maintenance_skip_slots: int = DEFAULT_MAINTENANCE_SKIP_SLOTS,
) -> int:
    """Slot number containing time ``when_s`` (0 if before slot 1); BitShares ``get_slot_at_time``."""
    first_slot_time_s = slot_time(
        head_time_s,
        block_interval_s,
        1,
        head_block_num=head_block_num,
        head_is_maintenance_block=head_is_maintenance_block,
        maintenance_skip_slots=maintenance_skip_slots,
    )
    if when_s < first_slot_time_s:
        return 0
    return (when_s - first_slot_time_s) // block_interval_s + 1


def scheduled_witness(shuffled: Sequence[T], current_aslot: int, slot_num: int) -> T:
    """Witness scheduled for ``slot_num`` slots after the head: ``shuffled[(aslot + n) % N]``."""
    if not shuffled:
        raise WitnessScheduleError("scheduled witness: the shuffled witness list is empty")
    _require_non_negative("scheduled witness", current_aslot=current_aslot, slot_num=slot_num)
    absolute_slot = (current_aslot + slot_num) & UINT64_MASK
    return shuffled[absolute_slot % len(shuffled)]


def next_current_aslot(current_aslot: int, missed_slots: int) -> int:
    """Absolute slot after applying a block that followed ``missed_slots`` empty slots (uint64)."""
    _require_non_negative("absolute slot", current_aslot=current_aslot, missed_slots=missed_slots)
    return (current_aslot + missed_slots + 1) & UINT64_MASK


def missed_witnesses(shuffled: Sequence[T], current_aslot: int, missed_slots: int) -> list[T]:
    """Witnesses whose slots 1..missed_slots were skipped; empty if ``missed_slots >= N``.

    Mirrors ``update_witness_missed_blocks``: each returned witness gets ``total_missed += 1``
    (a witness appears once per missed slot of its own).
    """
    _require_non_negative("missed witnesses", missed_slots=missed_slots)
    if missed_slots >= len(shuffled):
        return []
    return [scheduled_witness(shuffled, current_aslot, i + 1) for i in range(missed_slots)]


# --- shuffle -----------------------------------------------------------------------------------


def is_shuffle_block(head_block_num: int, active_witness_count: int) -> bool:
    """True when the schedule is reshuffled after this head block (``head % N == 0``)."""
    if active_witness_count < 1:
        raise WitnessScheduleError(
            f"shuffle: active witness count must be >= 1, got {active_witness_count}"
        )
    return head_block_num % active_witness_count == 0


def _xorshift64star(seed: int) -> int:
    k = seed & UINT64_MASK
    k ^= k >> 12
    k ^= (k << 25) & UINT64_MASK
    k ^= k >> 27
    return (k * SHUFFLE_MULTIPLIER) & UINT64_MASK


def shuffle_witnesses(active_sorted: Sequence[T], head_block_time_s: int) -> list[T]:
    """New round schedule: BitShares' xorshift64* Fisher-Yates over ids sorted ascending.

    ``active_sorted`` must already be in id order (BitShares iterates a ``flat_set``).
    """
    _require_non_negative("shuffle", head_block_time_s=head_block_time_s)
    shuffled = list(active_sorted)
    now_hi = (head_block_time_s << 32) & UINT64_MASK
    count = len(shuffled)
    for i in range(count):
        k = _xorshift64star(now_hi + i * SHUFFLE_MULTIPLIER)
        j = i + k % (count - i)
        shuffled[i], shuffled[j] = shuffled[j], shuffled[i]
    return shuffled


# --- participation -----------------------------------------------------------------------------


def update_recent_slots_filled(recent_slots_filled: int, missed: int) -> int:
    """Shift in one filled slot then ``missed`` empty ones: ``((x << 1) + 1) << missed`` (uint128)."""
    _require_non_negative(
        "recent slots filled", recent_slots_filled=recent_slots_filled, missed=missed
    )
    if missed >= RECENT_SLOTS_BITS:
        return 0
    return (((recent_slots_filled << 1) + 1) << missed) & RECENT_SLOTS_MASK


def participation_permyriad(recent_slots_filled: int) -> int:
    """Share of the last 128 slots that were filled, in 1/10000 (rounded down)."""
    _require_non_negative("participation", recent_slots_filled=recent_slots_filled)
    filled = (recent_slots_filled & RECENT_SLOTS_MASK).bit_count()
    return HUNDRED_PERCENT_PERMYRIAD * filled // RECENT_SLOTS_BITS


def update_recently_missed_count(count: int, missed: int, *, reset: bool = False) -> int:
    """Next ``recently_missed_count`` (uint32), as ``update_global_dynamic_data``.

    ``reset`` is for block 1 and blocks at or below the last checkpoint (result 0). Otherwise:
    ``+4 * missed`` when slots were missed, else ``-3`` while above 4, else ``-1`` down to 0.
    """
    _require_non_negative("recently missed count", count=count, missed=missed)
    if reset:
        return 0
    if missed > 0:
        return (count + RECENTLY_MISSED_COUNT_INCREMENT * missed) & UINT32_MASK
    if count > RECENTLY_MISSED_COUNT_INCREMENT:
        return count - RECENTLY_MISSED_COUNT_DECREMENT
    if count > 0:
        return count - 1
    return 0


# --- irreversibility ---------------------------------------------------------------------------


def irreversible_offset(active_witness_count: int) -> int:
    """Index into ascending confirmations: ``(10000 - 7000) * N // 10000`` (floor of 0.3 N)."""
    return (
        (HUNDRED_PERCENT_PERMYRIAD - IRREVERSIBLE_THRESHOLD_PERMYRIAD)
        * active_witness_count
        // HUNDRED_PERCENT_PERMYRIAD
    )


def last_irreversible_block(last_confirmed_block_nums: Sequence[int], previous_lib: int) -> int:
    """Highest block that >= 70% of active witnesses have built on; never below ``previous_lib``."""
    if not last_confirmed_block_nums:
        raise WitnessScheduleError("last irreversible block: the active witness set is empty")
    _require_non_negative("last irreversible block", previous_lib=previous_lib)
    ascending = sorted(last_confirmed_block_nums)
    candidate = ascending[irreversible_offset(len(ascending))]
    return max(candidate, previous_lib)
