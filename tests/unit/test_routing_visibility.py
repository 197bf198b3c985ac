"""The visibility formula: reach now, velocity between snapshots, projection, viral threshold."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.core.posts import Engagement, Snapshot
from bot.routing.settings import VisibilitySettings
from bot.routing.visibility import measure
from tests.unit.routing_support import post

SETTINGS = VisibilitySettings(
    repost_audience=100,
    like_audience=5,
    reply_audience=10,
    velocity_window_hours=2,
    horizon_hours=3,
    viral_reach=250_000,
)


def sample(p, minutes: int, **metrics: int) -> Snapshot:  # type: ignore[no-untyped-def]
    return Snapshot(taken_at=p.created_at + timedelta(minutes=minutes), engagement=Engagement(**metrics))


def test_reach_counts_author_and_every_kind_of_engagement() -> None:
    p = post("1", reach=1000)
    vis = measure(p, [sample(p, 60, likes=10, reposts=2, quotes=1, replies=3)], SETTINGS)
    assert vis.reach == 1000 + 100 * 3 + 5 * 10 + 10 * 3


def test_velocity_is_growth_per_hour_between_oldest_and_newest_recent_snapshot() -> None:
    p = post("1", reach=2300)
    samples = [sample(p, 30 * r, reposts=900 * r) for r in range(1, 5)]  # +900 reposts every half hour
    vis = measure(p, samples, SETTINGS)
    assert vis.reposts_per_hour == pytest.approx(1800)
    assert vis.reach_per_hour == pytest.approx(180_000)
    assert vis.projected_reach == int(2300 + 100 * 3600 + 180_000 * 3)
    assert vis.viral and vis.describe().endswith(", VIRAL")
    assert vis.samples == 4


def test_quotes_spread_a_post_like_reposts() -> None:
    p = post("1", reach=0)
    vis = measure(p, [sample(p, 0, reposts=10, quotes=5), sample(p, 60, reposts=30, quotes=25)], SETTINGS)
    assert vis.reposts_per_hour == pytest.approx(40)


def test_a_post_nobody_can_see_scores_zero() -> None:
    p = post("1", reach=0)
    vis = measure(p, [sample(p, 60)], SETTINGS)
    assert (vis.projected_reach, vis.score, vis.viral) == (0, 0.0, False)
    assert "VIRAL" not in vis.describe()


def test_snapshots_older_than_the_window_do_not_count() -> None:
    p = post("1")
    samples = [sample(p, 0, reposts=0), sample(p, 600, reposts=100), sample(p, 660, reposts=100)]
    assert measure(p, samples, SETTINGS).velocity == 0


def test_one_snapshot_measures_growth_since_the_post_was_written() -> None:
    p = post("1", reach=50)
    vis = measure(p, [sample(p, 120, likes=40)], SETTINGS)
    assert vis.velocity == pytest.approx(20)


def test_a_like_in_the_first_minute_is_not_sixty_an_hour() -> None:
    p = post("1")
    assert measure(p, [sample(p, 1, likes=1)], SETTINGS).velocity == pytest.approx(4)  # 15-minute floor


def test_views_win_when_they_exceed_the_estimate() -> None:
    p = post("1", reach=10)
    assert measure(p, [sample(p, 60, views=50_000)], SETTINGS).reach == 50_000


def test_a_big_account_with_no_growth_is_not_viral() -> None:
    p = post("1", reach=200_000)
    vis = measure(p, [sample(p, 60), sample(p, 120)], SETTINGS)
    assert vis.projected_reach == 200_000 and not vis.viral
    assert vis.score == pytest.approx(5.3, abs=0.01)


def test_no_snapshots_uses_the_post_as_fetched() -> None:
    p = post("1", reach=40)
    assert measure(p, [], SETTINGS).reach == 40
