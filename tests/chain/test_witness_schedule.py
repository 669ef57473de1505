"""Witness schedule rules against hand-computed and independently computed vectors."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from graphex.chain.witness_schedule import (
    WitnessScheduleError,
    irreversible_offset,
    is_shuffle_block,
    last_irreversible_block,
    missed_witnesses,
    next_current_aslot,
    participation_permyriad,
    scheduled_witness,
    shuffle_witnesses,
    slot_at_time,
    slot_time,
    update_recent_slots_filled,
    update_recently_missed_count,
)

MASK64 = 2**64 - 1
MULT = 2685821657736338717


def reference_shuffle(ids: list[int], time_s: int) -> list[int]:
    """Straightforward re-statement of reference §5.2 with explicit 64-bit masking."""
    w = list(ids)
    for i in range(len(w)):
        k = ((time_s << 32) + i * MULT) & MASK64
        k = k ^ (k >> 12)
        k = (k ^ (k << 25)) & MASK64
        k = k ^ (k >> 27)
        k = (k * MULT) & MASK64
        j = i + k % (len(w) - i)
        w[i], w[j] = w[j], w[i]
    return w


# Produced by a 10-line C++ program using uint64_t arithmetic (wraparound native), ids 0..N-1.
C_VECTORS = {
    (1_700_000_000, 11): [9, 3, 10, 8, 1, 2, 4, 6, 0, 7, 5],
    (1_700_000_000, 21): [6, 3, 8, 10, 2, 4, 5, 16, 15, 19, 12, 20, 14, 18, 17, 9, 1, 11, 13, 0, 7],
    (1, 11): [4, 1, 8, 6, 7, 2, 10, 3, 9, 5, 0],
    (4_294_967_295, 11): [0, 3, 7, 6, 4, 1, 9, 10, 8, 5, 2],
}


# --- shuffle -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("time_s", "n"), sorted(C_VECTORS))
def test_shuffle_matches_native_uint64_vectors(time_s: int, n: int) -> None:
    assert shuffle_witnesses(list(range(n)), time_s) == C_VECTORS[(time_s, n)]


def test_shuffle_of_eleven_witness_ids_matches_reference() -> None:
    ids = [f"1.6.{i}" for i in range(1, 12)]
    time_s = 1_700_000_000
    order = reference_shuffle(list(range(11)), time_s)
    assert shuffle_witnesses(ids, time_s) == [ids[i] for i in order]
    assert sorted(shuffle_witnesses(ids, time_s)) == sorted(ids)


@given(st.integers(0, 2**32 - 1), st.integers(0, 40))
def test_shuffle_agrees_with_reference_everywhere(time_s: int, n: int) -> None:
    assert shuffle_witnesses(list(range(n)), time_s) == reference_shuffle(list(range(n)), time_s)


def test_shuffle_at_time_zero_first_slot_keeps_first() -> None:
    # i = 0, time 0: k = 0 -> j = 0, so the first id stays first.
    assert shuffle_witnesses([7, 8, 9], 0)[0] == 7


def test_shuffle_does_not_mutate_input() -> None:
    ids = list(range(11))
    shuffle_witnesses(ids, 123)
    assert ids == list(range(11))


def test_is_shuffle_block() -> None:
    assert is_shuffle_block(0, 11) and is_shuffle_block(22, 11)
    assert not is_shuffle_block(23, 11)
    with pytest.raises(WitnessScheduleError):
        is_shuffle_block(5, 0)


# --- slots ---------------------------------------------------------------------------------------


def test_slot_zero_is_epoch() -> None:
    assert slot_time(1000, 3, 0, head_block_num=5) == 0
    assert slot_time(1000, 3, 0, head_block_num=0) == 0


def test_genesis_slots_start_one_interval_after_genesis_without_alignment() -> None:
    # genesis time 1001 is not a multiple of 3; slot 1 = 1004, no maintenance skip at genesis.
    assert slot_time(1001, 3, 1, head_block_num=0) == 1004
    assert slot_time(1001, 3, 2, head_block_num=0, head_is_maintenance_block=True) == 1007


def test_slot_time_aligns_head_time_down_to_interval() -> None:
    # head at 1001 -> head slot time 999; slot 1 = 1002, slot 4 = 1011.
    assert slot_time(1001, 3, 1, head_block_num=7) == 1002
    assert slot_time(1001, 3, 4, head_block_num=7) == 1011


def test_slot_time_after_maintenance_block_skips_slots() -> None:
    # head slot 999, skip 3 slots: slot 1 = 999 + 4*3 = 1011.
    assert slot_time(999, 3, 1, head_block_num=7, head_is_maintenance_block=True) == 1011
    assert (
        slot_time(
            999, 3, 1, head_block_num=7, head_is_maintenance_block=True, maintenance_skip_slots=0
        )
        == 1002
    )


def test_slot_at_time() -> None:
    assert slot_at_time(1001, 999, 3, head_block_num=7) == 0  # before slot 1 (1002)
    assert slot_at_time(1002, 999, 3, head_block_num=7) == 1
    assert slot_at_time(1004, 999, 3, head_block_num=7) == 1
    assert slot_at_time(1005, 999, 3, head_block_num=7) == 2
    assert slot_at_time(1011, 999, 3, head_block_num=7) == 4
    assert slot_at_time(0, 999, 3, head_block_num=7) == 0


def test_slot_at_time_after_maintenance_block() -> None:
    assert slot_at_time(1008, 999, 3, head_block_num=7, head_is_maintenance_block=True) == 0
    assert slot_at_time(1011, 999, 3, head_block_num=7, head_is_maintenance_block=True) == 1
    assert slot_at_time(1014, 999, 3, head_block_num=7, head_is_maintenance_block=True) == 2


@given(st.integers(1, 2**32), st.integers(1, 30), st.integers(1, 10_000), st.booleans())
def test_slot_at_time_inverts_slot_time(
    head_s: int, interval_s: int, slot: int, maint: bool
) -> None:
    t = slot_time(head_s, interval_s, slot, head_block_num=9, head_is_maintenance_block=maint)
    for when_s in (t, t + interval_s - 1):
        found = slot_at_time(
            when_s, head_s, interval_s, head_block_num=9, head_is_maintenance_block=maint
        )
        assert found == slot


def test_slot_time_refuses_bad_interval() -> None:
    with pytest.raises(WitnessScheduleError, match="block_interval_s"):
        slot_time(1000, 0, 1, head_block_num=1)


def test_scheduled_witness_and_aslot() -> None:
    shuffled = ["a", "b", "c", "d"]
    assert scheduled_witness(shuffled, 10, 1) == "d"  # (10 + 1) % 4 = 3
    assert scheduled_witness(shuffled, 10, 2) == "a"
    assert next_current_aslot(10, 0) == 11
    assert next_current_aslot(10, 2) == 13
    with pytest.raises(WitnessScheduleError):
        scheduled_witness([], 0, 1)


def test_missed_witnesses() -> None:
    shuffled = ["a", "b", "c", "d"]
    assert missed_witnesses(shuffled, 10, 0) == []
    assert missed_witnesses(shuffled, 10, 2) == ["d", "a"]
    assert missed_witnesses(shuffled, 10, 3) == ["d", "a", "b"]
    assert missed_witnesses(shuffled, 10, 4) == []  # missed >= N: nobody is charged


# --- participation -------------------------------------------------------------------------------


def test_recent_slots_filled_shifts() -> None:
    assert update_recent_slots_filled(0, 0) == 0b1
    assert update_recent_slots_filled(0b1, 0) == 0b11
    assert update_recent_slots_filled(0b11, 2) == 0b11100
    full = 2**128 - 1
    assert update_recent_slots_filled(full, 0) == full  # top bit falls off
    assert update_recent_slots_filled(full, 1) == full - 1
    assert update_recent_slots_filled(full, 128) == 0
    assert update_recent_slots_filled(full, 10**9) == 0


def test_participation_permyriad() -> None:
    assert participation_permyriad(2**128 - 1) == 10_000
    assert participation_permyriad(0) == 0
    assert participation_permyriad(0b1) == 78  # 10000 / 128 = 78.125 -> 78
    assert participation_permyriad(2**64 - 1) == 5_000
    assert participation_permyriad(2**43 - 1) == 3_359  # 43 * 10000 / 128 = 3359.375


def test_recently_missed_count() -> None:
    assert update_recently_missed_count(0, 2) == 8
    assert update_recently_missed_count(8, 0) == 5
    assert update_recently_missed_count(5, 0) == 2
    assert update_recently_missed_count(4, 0) == 3  # at 4: decrement by one
    assert update_recently_missed_count(1, 0) == 0
    assert update_recently_missed_count(0, 0) == 0
    assert update_recently_missed_count(100, 3, reset=True) == 0
    assert update_recently_missed_count(2**32 - 1, 1) == 3  # uint32 wraparound


# --- last irreversible block ---------------------------------------------------------------------


def test_offsets() -> None:
    assert irreversible_offset(11) == 3
    assert irreversible_offset(21) == 6
    assert irreversible_offset(10) == 3
    assert irreversible_offset(1) == 0


def test_lib_eleven_witnesses() -> None:
    confirmed = [100, 90, 95, 99, 98, 97, 96, 94, 93, 92, 91]
    # ascending: 90 91 92 [93] 94 ... -> index 3 = 93; 8 of 11 (>= 70%) confirmed >= 93.
    assert last_irreversible_block(confirmed, 0) == 93


def test_lib_twenty_one_witnesses() -> None:
    confirmed = list(range(200, 221))[::-1]  # 200..220
    assert last_irreversible_block(confirmed, 0) == 206


def test_lib_comments_from_bitshares() -> None:
    assert last_irreversible_block([1, 1, 1, 2, 2, 2, 2, 2, 2, 2], 0) == 2
    assert last_irreversible_block([1, 1, 1, 1, 1, 1, 1, 2, 2, 2], 0) == 1
    assert last_irreversible_block([3, 3, 3, 4, 4, 4, 4, 4, 4, 4], 0) == 4


def test_lib_never_decreases() -> None:
    assert last_irreversible_block([5] * 11, 50) == 50
    assert last_irreversible_block([60] * 11, 50) == 60


def test_lib_refuses_empty_set() -> None:
    with pytest.raises(WitnessScheduleError, match="empty"):
        last_irreversible_block([], 0)
