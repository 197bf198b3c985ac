"""What one digest item says: whose post stands for it, its size per source, status, links and summary."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from bot.delivery import acknowledge
from bot.digest.compose import compose
from bot.digest.model import Digest
from bot.store import Store
from bot.store.delivery_tables import AlertRow
from tests.unit.digest_support import END, START, fill
from tests.unit.routing_support import add, config, labels, post, route_stage

OWN = ("AuroraMotors", "AuroraSupport")


def digest_of(store: Store, feed: str = "http://feed") -> Digest:
    return compose(store, START, END, brand="Aurora Motors", own_handles=OWN, feed_base_url=feed)


@pytest.fixture
def filled(sqlite_store: Store) -> Store:
    fill(sqlite_store)
    return sqlite_store


def test_an_items_reach_per_source_adds_up_to_its_projected_reach(filled: Store) -> None:
    first = digest_of(filled).items[0]
    assert first.by_source["reddit"] == (1, 800)
    assert sum(reach for _, reach in first.by_source.values()) == first.projected_reach
    assert first.by_source["x"][1] > 2300 + 900  # the viral post's growth projected


def test_an_incidents_status_and_link_even_with_a_trailing_slash_on_the_feed(filled: Store) -> None:
    first = digest_of(filled, feed="http://feed/earshot/").items[0]
    assert first.feed_url == f"http://feed/earshot/incidents/{first.incident_id}"
    assert first.status.startswith("incident open; ticket #1 new; alert to executive")


def test_time_to_acknowledgement_is_the_first_ack_or_public_reply(filled: Store) -> None:
    items = digest_of(filled).items
    assert items[1].time_to_ack == 2700  # sam's complaint: answered in public 45 min after
    with filled.session() as session:
        [alert_id] = session.exec(select(AlertRow.id).where(AlertRow.post_id == items[0].representative.id)).all()
    acknowledge(filled, alert_id, "dana", now=START + timedelta(hours=3))
    first = digest_of(filled).items[0]
    assert first.time_to_ack == (START + timedelta(hours=3) - items[0].representative.created_at).total_seconds()
    assert "acknowledged by dana" in first.status


def test_the_brands_own_post_is_left_out_even_before_it_is_routed(sqlite_store: Store) -> None:
    fill(sqlite_store)
    before = digest_of(sqlite_store).complaints.now
    own = post("700", author="aurorasupport", reach=45000, minutes=5, text="Our charging app is down, we are on it.")
    add(sqlite_store, [(own, labels(topics=(("app", 0.8),), embedding=(0.0, 0.0, 1.0)))])  # classified, not routed
    digest = digest_of(sqlite_store)
    assert digest.complaints.now == before
    assert all(i.representative.author_handle != "aurorasupport" for i in digest.items)


def test_an_original_post_stands_for_its_incident_not_a_bigger_repost(sqlite_store: Store) -> None:
    original = post("800", author="dana", reach=300, text="The door handles froze shut, I could not get my kids out.")
    repost = post(
        "801",
        author="bigaccount",
        reach=90_000,
        minutes=10,
        kind="repost",
        parent_id="800",
        text="RT @dana: The door handles froze shut, I could not get my kids out.",
    )
    add(
        sqlite_store,
        [(original, labels(topics=(("doors", 0.8),))), (repost, labels(topics=(("doors", 0.8),)))],
    )
    route_stage(config(), sqlite_store).run_once()
    [item] = digest_of(sqlite_store).items
    assert item.posts == 2 and item.representative.author_handle == "dana"
    assert item.title == "The door handles froze shut, I could not get my kids out"


def test_the_summary_never_picks_a_line_that_only_names_the_brand(sqlite_store: Store) -> None:
    text = "Aurora Motors service, Aurora Motors team, Aurora Motors. The charger broke at home."
    add(sqlite_store, [(post("900", author="kim", reach=200, text=text), labels())])
    route_stage(config(), sqlite_store).run_once()
    [item] = digest_of(sqlite_store).items
    assert item.summary == "The charger broke at home."
