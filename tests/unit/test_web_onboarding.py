"""The feed on a brand's first days: the shadow-mode banner and marks, and what relevance dropped per source."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.core.labels import Labels
from bot.delivery import Outbox
from bot.delivery.settings import TicketSettings
from tests.conftest import make_post
from tests.unit import web_support
from tests.unit.web_support import Feed, feed_fixture  # noqa: F401


def _off_brand(feed: Feed, *texts: str) -> None:
    """Posts the relevance check judged not about the brand, classified now."""
    posts = [make_post(str(10 + i), text=text) for i, text in enumerate(texts)]
    feed.store.save_batch("x", posts, None)
    labels = Labels(
        complaint=True,
        complaint_score=0.8,
        sentiment="negative",
        sentiment_score=0.7,
        severity=2,
        severity_score=0.5,
        urgency="medium",
        about_brand=False,
        relevance="names no handle, name, product or subreddit of the brand",
    )
    feed.store.save_labels([(2 + i, labels) for i in range(len(texts))], skip=[2 + i for i in range(len(texts))])


def test_in_shadow_mode_every_page_has_the_banner_and_each_shadow_alert_its_mark(
    feed: Feed, monkeypatch: pytest.MonkeyPatch
) -> None:
    feed.desk.outbox = Outbox(tickets=TicketSettings(), alerts=feed.desk.alerts, clock=feed.desk.clock, shadow=True)
    feed.desk.raise_alert("k2", "on-call", "Smoke in the cabin")
    monkeypatch.setattr(web_support, "CONTEXT", replace(web_support.CONTEXT, shadow=True))
    viewer = feed.login("vera")
    page = viewer.get("/").text
    assert 'class="shadow-banner"' in page and "sends nothing" in page
    assert page.count('class="badge shadow-mark"') == 1  # the shadow alert, not the one raised live
    assert 'class="shadow-banner"' in viewer.get("/sources").text


def test_out_of_shadow_mode_there_is_no_banner(feed: Feed) -> None:
    assert "shadow-banner" not in feed.login("vera").get("/").text


def test_the_sources_page_counts_posts_judged_off_brand_today_with_examples(feed: Feed) -> None:
    _off_brand(feed, "@SkyHighAir lost my bag again", "Aurora borealis over Tromsø tonight")
    page = feed.login("vera").get("/sources").text
    assert '<a href="#off-x">2</a>' in page
    assert "Judged not about the brand today" in page and "x: 2 posts" in page
    assert "@SkyHighAir lost my bag again" in page and "names no handle, name, product or subreddit" in page
