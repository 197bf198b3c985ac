"""Typed values check their invariants at construction."""

from datetime import UTC, datetime, timedelta

import pytest

from tests.conftest import NOW, make_post


def test_post_requires_timezone_aware_times():
    with pytest.raises(ValueError, match="timezone-aware"):
        make_post(created_at=datetime(2026, 1, 1))


@pytest.mark.parametrize("created_at", [datetime(1970, 1, 1, tzinfo=UTC), NOW + timedelta(days=30)])
def test_post_with_absurd_date_is_rejected(created_at):
    with pytest.raises(ValueError, match="created_at"):
        make_post(created_at=created_at, fetched_at=NOW)


def test_post_with_no_text_is_rejected():
    with pytest.raises(ValueError, match="text must not be empty"):
        make_post(text="   ")


def test_deleted_post_may_have_no_text():
    assert make_post(text="", is_deleted=True).is_deleted


def test_post_key_is_source_and_native_id():
    assert make_post("42", source="reddit").key == ("reddit", "42")
