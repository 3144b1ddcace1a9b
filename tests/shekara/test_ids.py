"""ULIDs sort by time and carry their timestamp."""

from __future__ import annotations

from shekara.ids import is_ulid, new_ulid, ulid_time_ms


def test_ulids_are_valid_unique_and_time_sortable() -> None:
    ids = [new_ulid(1_700_000_000_000 + i) for i in range(200)]
    assert all(is_ulid(i) for i in ids)
    assert len(set(ids)) == 200
    assert ids == sorted(ids)
    assert ulid_time_ms(ids[5]) == 1_700_000_000_005


def test_is_ulid_rejects_lookalikes() -> None:
    assert not is_ulid("01KAKV0Z5B8Y6Q7WJ3M2N4P5RU")  # U is not Crockford base32
    assert not is_ulid("81KAKV0Z5B8Y6Q7WJ3M2N4P5R6")  # would overflow 128 bits
    assert not is_ulid("01KAKV0Z5B")


def test_a_trailing_newline_is_not_part_of_a_ulid() -> None:
    # Python's "$" also matches before a final newline; a ULID must be the whole text.
    ulid = new_ulid()
    assert is_ulid(ulid) and not is_ulid(ulid + "\n")
