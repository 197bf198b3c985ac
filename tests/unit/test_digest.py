"""The digest, composed and rendered from a fixed store: structure and figures (not pixels)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.digest.compose import compose
from bot.digest.render import render_html, render_text, subject
from bot.store import Store
from tests.unit.digest_support import END, START, fill

OWN = ("AuroraMotors", "AuroraSupport")


@pytest.fixture
def filled(sqlite_store: Store) -> Store:
    fill(sqlite_store)
    return sqlite_store


def digest_of(store: Store, start=START, end=END):  # type: ignore[no-untyped-def]
    return compose(store, start, end, brand="Aurora Motors", own_handles=OWN, feed_base_url="http://feed")


def test_the_viral_incident_comes_first_with_its_size_across_x_and_reddit(filled: Store) -> None:
    d = digest_of(filled)
    first = d.items[0]
    assert first.viral and first.posts == 3
    assert {s: n for s, (n, _) in first.by_source.items()} == {"x": 2, "reddit": 1}
    assert first.representative.author_handle == "mike"
    assert first.feed_url == f"http://feed/incidents/{first.incident_id}"
    assert (first.time_to_reply, first.time_to_ack) == (None, None)
    assert "alert to executive unacknowledged" in first.status and first.owner == "social queue"
    assert "recall" in first.summary.lower()
    assert first.growth and first.growth[-1][1] == 2400  # four re-polls, 600 reposts each


def test_items_are_ranked_by_projected_reach_then_velocity(filled: Store) -> None:
    items = digest_of(filled).items
    reach = [i.projected_reach for i in items]
    assert reach == sorted(reach, reverse=True) and len(items) == 2
    assert [i.rank for i in items] == [1, 2]


def test_the_answered_complaint_shows_its_time_to_a_public_reply(filled: Store) -> None:
    d = digest_of(filled)
    [answered] = d.answered
    assert (answered.post.author_handle, answered.responder, answered.time_to_reply) == ("sam", "AuroraSupport", 2700)
    delivery = next(i for i in d.items if i.representative.author_handle == "sam")
    assert (delivery.time_to_reply, delivery.replied_by) == (2700, "AuroraSupport")
    assert d.median_reply == 2700 and (d.viral, d.viral_answered) == (1, 0)
    text = render_text(d)
    assert "no public reply yet" in text and "answered by @AuroraSupport after 45 min" in text


def test_volumes_compare_topics_and_sentiment_with_the_period_before(filled: Store) -> None:
    d = digest_of(filled)
    assert (d.complaints.now, d.complaints.before) == (4, 1)  # praise is no complaint; the brand's reply is not counted
    by_topic = {v.name: (v.now, v.before, v.change) for v in d.topics}
    assert by_topic == {"billing": (3, 0, "new"), "delivery": (1, 1, "=")}
    assert {v.name: v.now for v in d.sentiments} == {"negative": 4, "neutral": 0, "positive": 0}
    assert d.emerging[0] == "billing: 3 complaints, none the period before"


def test_the_html_links_the_post_and_the_incident_and_references_its_charts(filled: Store) -> None:
    d = digest_of(filled)
    html = render_html(d, {"volume": "cid:volume.1@earshot", "growth": "cid:growth.1@earshot"})
    first = d.items[0]
    assert f'href="{first.representative.url}"' in html and f'href="{first.feed_url}"' in html
    assert 'src="cid:volume.1@earshot"' in html and 'src="cid:growth.1@earshot"' in html
    assert html.index('id="item-1"') < html.index('id="item-2"') and "no public reply yet" in html
    assert "VIRAL" in html and "3 posts" in html


def test_an_empty_period_says_so_plainly(filled: Store) -> None:
    d = digest_of(filled, START + timedelta(days=3), END + timedelta(days=3))
    assert d.empty and d.complaints.now == 0
    text = render_text(d)
    assert "No complaint went viral between" in text and "WHAT IS SPREADING" not in text
    assert "no complaint went viral" in subject(d)
    assert "No complaint went viral between" in render_html(d, {})


def test_sizes_across_sources_use_each_source_packages_display_name(filled: Store) -> None:
    from dataclasses import replace

    from connectors.registry import display_names

    assert display_names() == {
        "bluesky": "Bluesky",
        "jetstream": "Bluesky (Jetstream)",
        "mastodon": "Mastodon",
        "reddit": "Reddit",
        "replay": "Demo replay",
        "x": "X",
    }
    d = digest_of(filled)
    first = replace(d.items[0], by_source={"bluesky": (2, 900), "mastodon": (1, 40), "x": (1, 10)})
    shown = render_text(replace(d, items=[first], source_names=display_names()))
    assert "Bluesky" in shown and "Mastodon" in shown
